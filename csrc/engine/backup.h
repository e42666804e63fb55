/* The requester: one backup from writers to the store, in the order VSS
 * prescribes (docs/model.md §1): identify, component selection (§5),
 * the backup type each writer can take, previous backup stamps from the
 * store (§6.5), prepare_backup, a snapshot set over the file sets that
 * need one, prepare_snapshot / freeze / take / thaw / post_snapshot, the
 * data (whole files, partial files as their ranges only, differenced
 * files by last-modify time: §6.3-6.4), the documents, commit,
 * backup_complete, and backup_shutdown always.
 *
 * A failed backup leaves the store as it was: the store transaction is
 * only committed once every byte and document is in it. */
#ifndef VSS_BACKUP_H
#define VSS_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "documents/components.h"
#include "base/error.h"
#include "files/pathmap.h"
#include "base/progress.h"
#include "engine/writer.h"

typedef struct vss_backup_options {
    /* VSS_BT_FULL ... VSS_BT_COPY. An incremental, differential or log
     * backup with no base in the store is taken as a full one. */
    int type;
    bool partial_file_support;
    /* The BCD's bootable system state: writers of usage
     * VSS_UT_BOOTABLESYSTEMSTATE / VSS_UT_SYSTEMSERVICE are required, and
     * their components not flagged VSS_CF_NOT_SYSTEM_STATE are selected
     * whatever select says. */
    bool bootable_system_state;
    /* What to back up: each entry a writer (name, writer or instance id),
     * a component ("logical\path\name" or its name). Those writers'
     * components are required: a failure of theirs fails the backup.
     * NULL / 0: every writer, every component, none required. The
     * components those depend on (§2.6) come too; a dependency no writer
     * reports fails the backup (ENOENT). */
    const char *const *select;
    size_t nselect;
    /* NULL: no snapshot, read the live files; "auto" or a provider
     * name: a snapshot set over the file sets that need one. */
    const char *snapshot;
    const vss_pathmap *root; /* Windows-form paths of documents; may be NULL */
    vss_progress_fn progress;
    void *progress_ud;
} vss_backup_options;

typedef struct vss_backup_writer_result {
    vss_writer *writer;
    int type;         /* effective VSS_BT_*; VSS_BT_UNDEFINED when not included */
    bool included;    /* had components in the backup */
    bool skipped;     /* failed before its data was safe: components left out */
} vss_backup_writer_result;

/* An entry the walk reported that a backup cannot keep (a socket). */
typedef struct vss_backup_skip {
    char *name;
    const char *why; /* "socket" */
} vss_backup_skip;

typedef struct vss_backup_result {
    char id[48];
    int type; /* as taken: full when o->type had no base */
    /* files: entries stored (files, partial files, directories, symlinks,
     * fifos, devices, hard links); bytes: the data bytes written to the
     * store (holes and unstored ranges not counted); size: the logical
     * size of the files and ranges backed up. */
    uint64_t files, bytes, size;
    vss_backup_skip *skipped; /* sockets, not stored */
    size_t nskipped;
    vss_backup_writer_result *writers; /* one per writer of ws, in order */
    size_t nwriters;
} vss_backup_result;

/* bc: a fresh BCD (the caller may hand it to writers' handlers, e.g. as
 * a Lua object); its backup state is set here. ws: the writers, none of
 * whom has had an event of this operation yet. store_path: the store
 * (created when absent). On VSS_FAIL nothing was committed; r still says
 * what each writer did. */
int vss_backup_run(vss_writers *ws, vss_backup_components *bc, const char *store_path,
                   const vss_backup_options *o, vss_backup_result *r, vss_error *e);
void vss_backup_result_clear(vss_backup_result *r);

#endif
