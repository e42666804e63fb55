/* Snapshot sets, in the shape of IVssBackupComponents' StartSnapshotSet /
 * AddToSnapshotSet / DoSnapshotSet / Query / DeleteSnapshots / ExposeSnapshot
 * (docs/model.md §2.4, §4). A volume is a mounted filesystem; what is
 * added is a volume, a directory or a file on it. Each snapshot (one per
 * volume, or per btrfs subvolume) is made by a provider chosen per volume:
 * btrfs, reflink, copy or none (snapshot_provider.h).
 *
 * On disk a set leaves, per filesystem root, only names it recognises:
 *   <root>/.luavss-snapshots/<set-id>.manifest   written atomically first
 *   <root>/.luavss-snapshots/<set-id>/<snapshot-id>/   the snapshot data
 * and the manifest records the owner (pid, start time, boot id), so the
 * next run removes what a dead owner left and never a live set. */
#ifndef VSS_SNAPSHOT_H
#define VSS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "documents/enums.h"
#include "base/error.h"
#include "base/guid.h"

/* Contexts (VSS_CTX_*) and attributes (VSS_VOLSNAP_ATTR_*) are those of
 * enums.h. The ones that mean something here: PERSISTENT (kept when the
 * owner dies; cleanup spares it), NO_AUTO_RELEASE (not deleted when the
 * set is released), NO_WRITERS, EXPOSED_LOCALLY, FILE_SHARE; contexts
 * BACKUP, FILE_SHARE_BACKUP, NAS_ROLLBACK, APP_ROLLBACK. */

/* The attribute bits a caller may add to a context. */
#define VSS_SNAPSHOT_USER_ATTRS                                                        \
    (VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE |                  \
     VSS_VOLSNAP_ATTR_NO_WRITERS)

/* Whether a set can be made with attributes (a VSS_CTX_* context OR'ed
 * with extra attributes): only VSS_SNAPSHOT_USER_ATTRS bits, so the
 * contexts backup, file_share_backup, app_rollback and nas_rollback. */
bool vss_snapshot_attributes_supported(uint32_t attributes);

/* The provider names a caller may ask for, i = 0, 1, ...: "auto" (chosen
 * per volume), then each provider ("btrfs", "reflink", "copy", "none");
 * NULL past the last. */
const char *vss_snapshot_provider_name(size_t i);

/* Name of the per-filesystem area, at the filesystem's mount point. */
#define VSS_SNAPSHOT_AREA ".luavss-snapshots"

/* One snapshot of the set: `root` mirrors `original` at the point in time. */
typedef struct vss_snapshot {
    vss_guid id;
    char provider[16];  /* "btrfs", "reflink", "copy", "none" */
    char *volume;       /* mount point of the filesystem */
    char *original;     /* the original tree root `root` stands for */
    char *root;         /* its snapshot (== original for "none") */
    char *exposed;      /* where it is exposed read-only, or NULL */
    char *reason;       /* why this provider (set:providers()) */
    char **selection;   /* the added paths it covers (absolute, canonical) */
    size_t nselection;
} vss_snapshot;

/* A set as its manifest(s) describe it (the VSS_SNAPSHOT_PROP of each
 * member plus the set's owner). */
typedef struct vss_snapshot_set_info {
    vss_guid id;
    uint32_t attributes;  /* context | extra attributes */
    char state[16];       /* "preparing", "created", "deleting" */
    pid_t owner_pid;
    uint64_t owner_start; /* /proc/<pid>/stat starttime, clock ticks */
    char boot_id[40];
    int64_t created;      /* unix seconds */
    vss_snapshot *snapshots;
    size_t nsnapshots;
} vss_snapshot_set_info;

void vss_snapshot_set_info_clear(vss_snapshot_set_info *info);

/* Progress of DoSnapshotSet: return nonzero to abort the take (rolled back). */
typedef struct vss_snapshot_progress {
    const char *provider;
    const char *volume;
    const char *message;  /* a note (e.g. "copy provider: copying data, slow"), or NULL */
    uint64_t files;
    uint64_t bytes;
    bool done;            /* last call for this snapshot */
} vss_snapshot_progress;
typedef int (*vss_snapshot_progress_fn)(void *ud, const vss_snapshot_progress *p);

typedef struct vss_snapshot_options {
    uint32_t attributes;       /* a VSS_CTX_* context OR'ed with extra attributes */
    const char *provider;      /* "auto" (NULL) or a provider name, the default for add */
    unsigned freeze_timeout_ms; /* hard bound of a filesystem freeze; 0 = 10000 */
    vss_snapshot_progress_fn progress;
    void *progress_ud;
} vss_snapshot_options;

typedef struct vss_snapshot_set vss_snapshot_set;

/* StartSnapshotSet: a new set with a fresh random id. */
int vss_snapshot_set_new(const vss_snapshot_options *opt, vss_snapshot_set **out, vss_error *e);

/* AddToSnapshotSet: a volume, directory or file. provider NULL = the set's
 * default. snapshot_required false (no *_SNAPSHOT_REQUIRED file spec bit)
 * lets "auto" pick "none". Leftovers of dead owners on that volume are
 * cleaned up first. Fails with VOLUME_NOT_SUPPORTED when a
 * forced provider cannot serve the volume, BAD_STATE after take. */
int vss_snapshot_set_add(vss_snapshot_set *s, const char *path, const char *provider,
                         bool snapshot_required, vss_error *e);

/* Replace the progress callback of the options (NULL: none). */
void vss_snapshot_set_progress(vss_snapshot_set *s, vss_snapshot_progress_fn fn, void *ud);

/* DoSnapshotSet: every snapshot of the set, or none of them (rollback). */
int vss_snapshot_set_take(vss_snapshot_set *s, vss_error *e);

/* The snapshot path of an original path (malloc'ed), after take.
 * OBJECT_NOT_FOUND when the set holds no snapshot of it. */
int vss_snapshot_set_path(const vss_snapshot_set *s, const char *original, char **out,
                          vss_error *e);

/* ExposeSnapshot: a read-only bind mount of the snapshot holding `original`
 * at `mountpoint` (an existing directory). Needs CAP_SYS_ADMIN. */
int vss_snapshot_set_expose(vss_snapshot_set *s, const char *original, const char *mountpoint,
                            vss_error *e);

/* DeleteSnapshots for this set: unexpose, remove every artefact. */
int vss_snapshot_set_delete(vss_snapshot_set *s, vss_error *e);

/* The release: deletes the snapshots unless NO_AUTO_RELEASE, then frees. */
void vss_snapshot_set_free(vss_snapshot_set *s);

const vss_snapshot_set_info *vss_snapshot_set_describe(const vss_snapshot_set *s);

/* Query: the sets recorded on the filesystem of `path`, or on every mounted
 * filesystem when path is NULL; one entry per set (volumes merged). */
int vss_snapshot_query(const char *path, vss_snapshot_set_info **out, size_t *n, vss_error *e);
void vss_snapshot_query_free(vss_snapshot_set_info *list, size_t n);

/* True when the owner recorded in info is this boot's live process. */
bool vss_snapshot_owner_alive(const vss_snapshot_set_info *info);

/* Remove the leftovers of dead owners (persistent sets are kept) on the
 * filesystem of `path`, or everywhere when NULL. */
int vss_snapshot_cleanup(const char *path, unsigned *removed, vss_error *e);

/* DeleteSnapshots(set id) from any process: removes a set of a dead owner
 * or a persistent one; BAD_STATE when a live process holds it. */
int vss_snapshot_delete_id(const vss_guid *set_id, vss_error *e);

/* IsVolumeSupported: can `provider` ("auto" or NULL for any) snapshot the
 * filesystem of path? reason (malloc'ed) says why or why not. */
int vss_snapshot_is_volume_supported(const char *path, const char *provider, bool *supported,
                                     char **reason, vss_error *e);

#endif
