/* The requester's restore (vss-reference.md §1 "Restore sequence", §6.2,
 * §6.3, §6.6): backed-up files laid back from the store, by the stored
 * writer metadata and Backup Components Document, with the writers told
 * (pre_restore, post_restore) and the component state they read.
 *
 * One run lays one or more consecutive backups of a chain (`steps`,
 * oldest first): a file's content is composed from its last whole copy
 * and the partial files after it, in one temporary, committed once. With
 * writers taking part, each backup of a chain is a run of its own, so
 * every writer sees every restore (additional_restores on all but the
 * last); without, a whole chain is one run. Either way each file is
 * written beneath its destination directory only (dest/dest.h: no
 * "..", no absolute names, no symlinks followed), to a temporary renamed
 * over the old file, so a crash leaves the old file or the new one. */
#ifndef VSS_RESTORE_H
#define VSS_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "documents/components.h"
#include "base/error.h"
#include "files/pathmap.h"
#include "base/progress.h"
#include "engine/writer.h"

/* Where the requester asks the files to go. A writer may still direct
 * its components in pre_restore (VSS_RT_DIRECTED, VSS_RT_ALTERNATE...). */
enum {
    VSS_RESTORE_TO_ORIGINAL = 1, /* the file sets' own directories */
    VSS_RESTORE_TO_ALTERNATE,    /* the writer's alternate location mappings */
    VSS_RESTORE_TO_NEW,          /* new targets (AddNewTarget), or everything beneath `to` */
};

/* One requester new target (§6.6): a file set of the stored writer
 * metadata, as written there, and the directory it goes to instead. */
typedef struct vss_restore_new_target {
    const char *path, *filespec;
    bool recursive;
    const char *to; /* a Linux directory */
} vss_restore_new_target;

/* Stop or start a service (STOP_RESTORE_START, RESTORE_STOP_START).
 * action is "stop" or "start". */
typedef int (*vss_restore_service_fn)(void *ud, const char *action, const char *service,
                                      vss_error *e);

typedef struct vss_restore_options {
    const char *const *steps; /* backup ids, oldest first; the last one's documents rule */
    size_t nsteps;
    /* more_follow: more runs of this chain follow (each component gets
     * additional_restores). continues: an earlier run laid the previous
     * point in time (the backups before steps[0] in its chain): what it
     * laid is replaced, and partial files are laid over it. A file whose
     * steps hold only partial copies, and that no earlier backup holds
     * whole, fails (ECHAIN): what stands in its place is no point of the
     * chain. */
    bool more_follow, continues;
    /* Components to restore: names as vss_backup_options.select; NULL: all
     * that the backup holds. */
    const char *const *select;
    size_t nselect;
    int target; /* VSS_RESTORE_TO_*; 0 means original */
    /* TO_NEW: a file set without a new target of its own goes to `to`
     * followed by its original path (so /srv/db lands in <to>/srv/db). */
    const char *to;
    const vss_restore_new_target *new_targets;
    size_t nnew_targets;
    const vss_pathmap *root; /* the Windows-form paths of the documents, as at backup */
    /* -1: the restore method decides (replace for RESTORE_IF_CAN_REPLACE
     * and the stop/start methods, never otherwise); 0: never; 1: always. */
    int overwrite;
    int restore_type; /* VSS_RTYPE_*; 0: by copy */
    vss_restore_service_fn service;
    void *service_ud;
    vss_progress_fn progress;
    void *progress_ud;
} vss_restore_options;

/* What became of one backed-up file. */
enum {
    VSS_RESTORE_FILE_RESTORED = 1,
    VSS_RESTORE_FILE_FAILED,    /* message says why; the old file is untouched */
    VSS_RESTORE_FILE_EXISTS,    /* not replaced: the method or the caller said so */
    VSS_RESTORE_FILE_AT_REBOOT, /* RESTORE_AT_REBOOT...: recorded, not performed */
    VSS_RESTORE_FILE_CUSTOM,    /* the writer restores it itself (CUSTOM) */
    VSS_RESTORE_FILE_DELETED,   /* gone at that point in time: not laid */
    VSS_RESTORE_FILE_SKIPPED,   /* its writer failed pre_restore or vetoed */
};
const char *vss_restore_file_status_name(int status); /* "restored", ... */

typedef struct vss_restore_file_result {
    char *name;    /* the backed-up file, as the store names it */
    char *path;    /* where it was written (absolute); NULL when it was not */
    int status;    /* VSS_RESTORE_FILE_* */
    char *message; /* NULL when restored */
    int code; /* the error's code (VSS_ECORRUPT, VSS_ESCAPE, ...); 0 when none */
    size_t component; /* index in components */
    uint64_t bytes;   /* bytes laid from the store */
} vss_restore_file_result;

typedef struct vss_restore_component_result {
    char *writer, *logical_path, *name; /* writer: its name in the stored metadata */
    int target;      /* VSS_RT_* it was restored by */
    int method;      /* the writer's VSS_RME_* */
    int status;      /* VSS_RS_* as set for post_restore */
    char *pre_restore_failure, *post_restore_failure; /* the writer's messages; NULL when none */
} vss_restore_component_result;

typedef struct vss_restore_result {
    vss_restore_file_result *files;
    size_t nfiles;
    vss_restore_component_result *components;
    size_t ncomponents;
    uint64_t bytes;
    size_t restored, failed;
    bool reboot_required;
} vss_restore_result;

/* bc: the last step's Backup Components Document, parsed, with each
 * writer's stored metadata attached (vss_bc_add_writer_metadata); the
 * restore state goes into it and the writers change it. ws: the live
 * writers (NULL: nobody is told); identify, pre_restore and post_restore
 * are sent to them. Fails (nothing written) on bad options, a missing
 * backup or document, or the store's lock; once files are being laid it
 * returns VSS_OK and r says what became of each: the caller checks
 * r->failed. */
int vss_restore_run(vss_writers *ws, vss_backup_components *bc, const char *store_path,
                    const vss_restore_options *o, vss_restore_result *r, vss_error *e);
void vss_restore_result_clear(vss_restore_result *r);

#endif
