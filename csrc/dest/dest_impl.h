/* Inside the destination: its pending files and the strategies that lay a copy plan. */
#ifndef VSS_DEST_IMPL_H
#define VSS_DEST_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <limits.h>
#include <stdbool.h>

#include "base/error.h"
#include "ranges/ranges.h"
#include "dest/dest.h"

struct vss_dest_file {
    int dir_fd; /* the directory both names live in, O_RDONLY for fsync */
    int fd;     /* -1 once closed (a batch closes it early) */
    bool noreplace;
    char *relpath; /* as given, for messages */
    char *name;
    char tmp[NAME_MAX + 1];
};

/* dest.c's helpers for dest_node.c: open path beneath dirfd following no
 * symlink; an error of that for relpath; split relpath and open its
 * directory (create: make the missing ones); a fresh temporary name in
 * f->tmp (nothing created). */
int dest_open_beneath(vss_dest *t, int dirfd, const char *path, int flags, mode_t mode);
int dest_resolve_error(vss_error *e, int err, const char *relpath, const char *what);
int dest_file_start(vss_dest *t, const char *relpath, int create, vss_dest_file **out,
                    vss_error *e);
int dest_temp_name(vss_dest_file *f, vss_error *e);
/* Clear the immutable and append-only flags of the regular file or
 * directory f->name (in f->dir_fd), so that it can be replaced or
 * removed; nothing to do for other entries or where none is set
 * (dest_node.c). */
int dest_unfreeze(vss_dest *t, vss_dest_file *f, const char *relpath, vss_error *e);

/* Rename the temporary over its name (RENAME_NOREPLACE for a new file);
 * 0, or -1 with errno. */
int dest_file_rename(vss_dest_file *f);
/* Close the directory, free f (the temporary stays). */
void dest_file_free(vss_dest_file *f);

/* pwritev all of iov[0..cnt) at off, through short writes and EINTR
 * (iov is consumed); 0, or -1 with errno. */
int vss_pwritev_full(int fd, struct iovec *iov, int cnt, off_t off);

/* Lay a plan whose entries are all checked (no overflow, within the
 * source's size) by vectored writes: the source mapped, the entries
 * sorted by destination, each contiguous destination run written with one
 * pwritev. Returns VSS_OK, VSS_FAIL (e filled), or 1 when the plan does
 * not suit it (destination ranges overlap, so plan order matters; the
 * source cannot be mapped) and nothing was written. */
int vss_dest_vectored_plan(int src_fd, int dst_fd, const vss_range_copy *plan, size_t n, vss_error *e);

#endif
