/* Inside the restore target: the strategies that lay a copy plan. */
#ifndef VSS_RESTORE_IMPL_H
#define VSS_RESTORE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "error.h"
#include "ranges.h"

/* Lay a plan whose entries are all checked (no overflow, within the
 * source's src_size bytes) by gathering: the source mapped, the entries
 * sorted by destination, each contiguous destination run written with one
 * pwritev. Returns VSS_OK, VSS_FAIL (e filled), or 1 when the plan does
 * not suit it (destination ranges overlap, so plan order matters; the
 * source cannot be mapped) and nothing was written. */
/* pwritev all of iov[0..cnt) at off, through short writes and EINTR
 * (iov is consumed); 0, or -1 with errno. */
int vss_pwritev_full(int fd, struct iovec *iov, int cnt, off_t off);

int vss_restore_gather_plan(int src_fd, int dst_fd, const vss_range_copy *plan, size_t n, vss_error *e);

#endif
