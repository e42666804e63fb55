/* The backup's view of one file set on disk: the regular files it selects,
 * each with the path to read and the path it stands for (docs/model.md
 * §6.3). */
#ifndef VSS_BACKUP_FILES_H
#define VSS_BACKUP_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "files/filespec.h"

typedef struct vss_backup_file {
    const char *path;     /* read here (the snapshot, an alternate location) */
    const char *original; /* the file it stands for, under the set's path */
    uint64_t size;
    struct timespec mtime;
    int kind;             /* VSS_ENTRY_FILE, _DIRECTORY, _SYMLINK or _OTHER (files/walker.h) */
    uint32_t mode;        /* lstat data */
    uint64_t dev, ino, nlink;
    struct timespec ctime;
    uint32_t uid, gid;
} vss_backup_file;

typedef int (*vss_backup_file_fn)(void *ud, const vss_backup_file *f, vss_error *e);

/* Walk d reading from read_root (a directory standing for original_root,
 * the set's path in Linux form), minus the excludes (Linux paths,
 * compared with the originals). Every entry the walk reports comes to fn:
 * regular files, directories, symlinks and special files (f->kind); an
 * entry that cannot be read fails the walk (§6.3: a requester fails the
 * backup when a file is missing). */
int vss_backup_walk(const vss_filedesc *d, const char *read_root, const char *original_root,
                    const vss_filedesc *excludes, size_t nexcludes, vss_backup_file_fn fn,
                    void *ud, vss_error *e);


#endif
