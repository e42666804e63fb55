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
