/* The requester's restore (docs/model.md §1.4, §6.2,
 * §6.3, §6.6): a backup laid back from the store with the chain it stands
 * on, by the stored writer metadata and Backup Components Documents, with
 * the live writers told (identify, pre_restore, post_restore) and the
 * component state they read.
 *
 * vss_restore resolves the chain (the full first, the backup asked for
 * last) and lays it in steps. Without writers the whole chain is one
 * step: a file's content is composed from its last whole copy and the
 * partial files after it, in one temporary, committed once. With writers
 * each backup is a step of its own, so every writer sees every restore
 * (additional_restores on all but the last), and a later step replaces
 * what an earlier one laid. Each step is ruled by its last backup's
 * documents; a writer whose stored writerRestore is "never" is not told.
 * A step that leaves a file out (failed, vetoed, not replaced, or put off
 * to a reboot because it could not be replaced) ends the chain there:
 * the later backups' ranges would land on a file that is not that file at
 * that point in time. Bases are per component (docs/model.md §6.5): a
 * component whose writer failed in a backup is laid as of the newest
 * backup of the chain in which it succeeded, or, when it succeeded in
 * none, as of its last success before the chain (that backup restored
 * with its own chain, the component alone: vss_restore_pick); each
 * component result names its backup. Every file is written beneath its destination
 * directory only (dest/dest.h: no "..", no absolute names, no
 * symlinks followed), to a temporary renamed over the old file, so a
 * crash leaves the old file or the new one. */
#ifndef VSS_RESTORE_H
#define VSS_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/progress.h"
#include "documents/components.h"
#include "engine/writer.h"
#include "files/pathmap.h"
#include "store/store.h"

/* Where the requester asks the files to go. A writer may still direct
 * its components in pre_restore (VSS_RT_DIRECTED, VSS_RT_ALTERNATE...):
 * that is the VSS restore target, a name of its own. */
enum {
    VSS_RESTORE_LOCATION_ORIGINAL = 1, /* the file sets' own directories */
    VSS_RESTORE_LOCATION_ALTERNATE,    /* the writer's alternate location mappings */
    VSS_RESTORE_LOCATION_NEW,          /* new targets (AddNewTarget), or everything beneath `to` */
};
/* "original", "alternate", "new"; NULL for any other number. */
const char *vss_restore_location_name(int location);
/* The VSS_RESTORE_LOCATION_* a name stands for; 0 when none. */
int vss_restore_location_parse(const char *name);

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
/* The usual one: `systemctl <action> <service>` (no shell between);
 * ESERVICE when it does not exit 0. ud is unused. */
int vss_restore_systemctl(void *ud, const char *action, const char *service, vss_error *e);

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

#define VSS_RESTORE_NO_COMPONENT SIZE_MAX

typedef struct vss_restore_file_result {
    char *name;    /* the backed-up file, as the store names it */
    char *path;    /* where it was written (absolute); NULL when it was not */
    int status;    /* VSS_RESTORE_FILE_* */
    char *message; /* NULL when restored */
    int code; /* the error's code (VSS_ECORRUPT, VSS_ESCAPE, ...); 0 when none */
    size_t component; /* index in components; VSS_RESTORE_NO_COMPONENT for a
                         stored entry no file set owns (a failed file) */
    uint64_t bytes;   /* bytes laid from the store */
} vss_restore_file_result;

typedef struct vss_restore_component_result {
    char *writer, *logical_path, *name; /* writer: its name in the stored metadata */
    int target;      /* VSS_RT_* it was restored by */
    int method;      /* the writer's VSS_RME_* */
    int status;      /* VSS_RS_* as set for post_restore */
    char *pre_restore_failure, *post_restore_failure; /* the writer's messages; NULL when none */
    /* The backup it was restored as of: the newest of the chain, up to
     * the point, in which it succeeded (a component whose writer failed
     * is not in that backup: it comes back as of its last success). One
     * of the result's chain ids. */
    const char *backup;
} vss_restore_component_result;

/* One step of the chain: what it laid and the documents it followed. */
typedef struct vss_restore_step {
    const char *backup;   /* its last backup, whose documents rule it */
    size_t first, count;  /* its backups: chain[first .. first + count - 1] */
    /* Its BCD as the writers left it, each writer's stored metadata (wms)
     * attached; NULL where on_step took them. */
    vss_backup_components *bc;
    vss_writer_metadata **wms;
    size_t nwms;
    vss_restore_file_result *files;
    size_t nfiles;
    vss_restore_component_result *components;
    size_t ncomponents;
    uint64_t bytes;          /* data bytes laid from the store (holes not counted) */
    uint64_t size;           /* the logical size of the files laid */
    size_t restored, failed; /* failed: files whose laying failed */
    bool reboot_required;
} vss_restore_step;

/* One component exactly: its writer's id, logical path ("" or NULL for
 * none) and name. */
typedef struct vss_restore_pick {
    const char *writer_id, *logical_path, *name;
} vss_restore_pick;

typedef struct vss_restore_options {
    const char *backup; /* the point in time; NULL: the latest backup of the store */
    /* Components to restore: names as vss_backup_options.select; NULL: all
     * that the backup holds. */
    const char *const *select;
    size_t nselect;
    /* Or (npick > 0, select then unused) exactly these components. */
    const vss_restore_pick *pick;
    size_t npick;
    /* Restore by path (npaths > 0): only the stored entries named by one
     * of these absolute Linux paths, or lying beneath one (a path ending
     * in "/" names a directory and what lies beneath it; "/" names
     * everything). Components none of whose entries match are not chosen,
     * so their writers are not told; the writers of the others hear of
     * the restore as usual (identify, pre_restore, post_restore), with
     * only the matching files laid (their file restore status counts
     * those). Every path must be held by the point in time (a file, or
     * something beneath it, not deleted as of that backup): ENOENT naming
     * the first that is not, before anything is written. Not with
     * select (EINVAL: one or the other). */
    const char *const *paths;
    size_t npaths;
    int location; /* VSS_RESTORE_LOCATION_*; 0 means original */
    /* LOCATION_NEW: a file set without a new target of its own goes to
     * `to` followed by its original path (so /srv/db lands in
     * <to>/srv/db). */
    const char *to;
    const vss_restore_new_target *new_targets;
    size_t nnew_targets;
    const vss_pathmap *root; /* the Windows-form paths of the documents, as at backup */
    /* -1: the restore method decides (replace for RESTORE_IF_CAN_REPLACE
     * and the stop/start methods, never otherwise); 0: never; 1: always. */
    int overwrite;
    int restore_type; /* VSS_RTYPE_*; 0: by copy */
    vss_restore_service_fn service; /* NULL: a method that needs one fails (EINVAL) */
    void *service_ud;
    vss_progress_fn progress; /* per step: its totals are the step's */
    void *progress_ud;
    /* Called for each step once its documents are loaded, before its
     * writers hear of it (a binding hands step->bc to its writers'
     * handlers). It may take the documents, each by setting its pointer
     * (step->bc, an entry of step->wms) to NULL, and then keeps them
     * alive until vss_restore returns. Its failure fails the restore.
     * NULL: none. */
    int (*on_step)(void *ud, vss_restore_step *step, vss_error *e);
    void *step_ud;
} vss_restore_options;

typedef struct vss_restore_result {
    const char *backup;   /* the point in time restored: chain[nchain - 1].id */
    vss_store_info *chain; /* the backups it stands on, the full first */
    size_t nchain;
    vss_restore_step *steps; /* those run, in order */
    size_t nsteps, nplanned; /* nsteps < nplanned when the chain stopped */
    const char *stopped;     /* the backup of the step it stopped at; NULL when none */
    /* Each file as the last step that had it left it (the strings are
     * the steps'); restored: those restored, failed: those failed,
     * vetoed or not replaced. */
    vss_restore_file_result *files;
    size_t nfiles;
    /* Every component restored, each as the last step that had it left
     * it (a step leaves out a component that failed in its backup), in
     * the order they first appeared. */
    const vss_restore_component_result *components;
    size_t ncomponents;
    vss_restore_component_result *merged_; /* what components points at (owned) */
    /* the restores of components whose last success lies before the
     * chain (owned; their files and components are appended here) */
    struct vss_restore_result **older_;
    size_t nolder_;
    uint64_t bytes, size; /* as in a step, summed */
    size_t restored, failed;
    bool reboot_required;
} vss_restore_result;

/* Restore backup o->backup of the store at store_path, with its chain.
 * writers: the live writers (none: nobody is told); each step adds those
 * told to a vss_writers of its own, so none may be in another session,
 * and frees it after (backup_shutdown). Returns VSS_OK with *out when
 * every file is back and every writer content; VSS_FAIL otherwise:
 *   EPARTIAL with *out when files were left out (r->stopped says whether
 *     the chain stopped), EPOSTRESTORE with *out when the files are back
 *     but a writer failed post_restore;
 *   any other code with *out NULL: bad options, no such backup, a chain
 *     whose base is gone (ECHAIN), a missing or damaged document, the
 *     store's lock, a writer that cannot join, a service that failed...
 *     A step that had begun laying its files leaves them laid. */
int vss_restore(const char *store_path, vss_writer *const *writers, size_t nwriters,
                const vss_restore_options *o, vss_restore_result **out, vss_error *e);
void vss_restore_result_free(vss_restore_result *r);

#endif
