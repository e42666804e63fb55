#include "base/clone.h"

#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

/* The failures after which a copy would fail as well; every other one
 * means this pair, on this filesystem, does not clone. */
static int copy_would_fail(int err)
{
    return err == EIO || err == ENOSPC || err == EDQUOT || err == ENOMEM;
}

int vss_clone_fd(int dst_fd, int src_fd, vss_error *e)
{
#ifdef FICLONE
    if (ioctl(dst_fd, FICLONE, src_fd) == 0)
        return VSS_OK;
    int err = errno;
#else
    (void)dst_fd;
    (void)src_fd;
    int err = EOPNOTSUPP;
#endif
    vss_error_sys(e, err, "FICLONE");
    errno = err;
    return copy_would_fail(err) ? VSS_FAIL : VSS_CLONE_UNSUPPORTED;
}
