/* Cloning a file: FICLONE, where the two files then share their extents
 * until one is written (btrfs, XFS with reflink, bcachefs...). Every caller
 * that clones goes through here, so what counts as "cannot clone here, copy
 * instead" is decided once. */
#ifndef VSS_CLONE_H
#define VSS_CLONE_H

#include "base/error.h"

enum { VSS_CLONE_UNSUPPORTED = 1 };

/* dst_fd becomes a clone of the whole of src_fd.
 *   VSS_OK                 cloned.
 *   VSS_CLONE_UNSUPPORTED  these two cannot be cloned here (a filesystem
 *                          without reflinks, two filesystems, a flag or
 *                          open mode that forbids it...): copy instead.
 *   VSS_FAIL               failed as a copy would too (EIO, ENOSPC, EDQUOT,
 *                          ENOMEM).
 * Both failures fill e ("FICLONE: <strerror>") and leave errno as FICLONE
 * set it, for callers that word the error themselves. */
int vss_clone_fd(int dst_fd, int src_fd, vss_error *e);

#endif
