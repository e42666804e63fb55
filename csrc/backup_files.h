/* The backup's view of one file set on disk: the regular files it selects,
 * each with the path to read and the path it stands for (vss-reference.md
 * §6.3). Apart from backup.c because the walker and the store each name
 * their own entry kinds. */
#ifndef VSS_BACKUP_FILES_H
#define VSS_BACKUP_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "filespec.h"

typedef struct vss_backup_file {
    const char *path;     /* read here (the snapshot, an alternate location) */
    const char *original; /* the file it stands for, under the set's path */
    uint64_t size;
    struct timespec mtime;
} vss_backup_file;

typedef int (*vss_backup_file_fn)(void *ud, const vss_backup_file *f, vss_error *e);

/* Walk d reading from read_root (a directory standing for original_root,
 * the set's path in Linux form), minus the excludes (Linux paths,
 * compared with the originals). Directories, symlinks and special files
 * are not data and are passed over; an entry that cannot be read fails the
 * walk (§6.3: a requester fails the backup when a file is missing). */
int vss_backup_walk(const vss_filedesc *d, const char *read_root, const char *original_root,
                    const vss_filedesc *excludes, size_t nexcludes, vss_backup_file_fn fn,
                    void *ud, vss_error *e);

/* The backup's snapshot set, behind a door of its own for the same reason
 * (snapshot.h and enums.h both name the VSS_CTX_* values). */
typedef struct vss_snapshot_set vss_snapshot_set;
#define VSS_BACKUP_SET_ID_LEN 38 /* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */
/* A backup-context set; id gets its GUID. */
int vss_backup_set_new(vss_snapshot_set **out, char id[VSS_BACKUP_SET_ID_LEN + 1], vss_error *e);
/* Add dir unless it is already in (provider "auto" or a provider's name). */
int vss_backup_set_add(vss_snapshot_set *s, const char *dir, const char *provider, vss_error *e);
int vss_backup_set_take(vss_snapshot_set *s, vss_error *e);
/* Where dir is read in the snapshot (malloc'd). */
int vss_backup_set_path(const vss_snapshot_set *s, const char *dir, char **out, vss_error *e);
void vss_backup_set_free(vss_snapshot_set *s);

#endif
