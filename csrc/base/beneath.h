/* Opening a path beneath a directory and nowhere else: no symlink is
 * followed on the way (not even the last component), no ".." climbs out,
 * and no open blocks (a FIFO or a device is opened non-blocking, so the
 * caller's fstat can refuse it). openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS where the kernel has it
 * (5.6 and later); elsewhere one component at a time with O_NOFOLLOW. */
#ifndef VSS_BENEATH_H
#define VSS_BENEATH_H

#include <sys/types.h>

/* open(2) flags and mode for relpath (components separated by '/', no
 * leading '/', no "." or ".." component, none empty) beneath dirfd.
 * O_CLOEXEC, O_NOFOLLOW and O_NONBLOCK are added. Returns the fd, or -1
 * with errno: ELOOP for a symlink on the way, EXDEV or EINVAL for a path
 * that would leave dirfd, ENOTDIR for a non-directory on the way. */
int vss_open_beneath(int dirfd, const char *relpath, int flags, mode_t mode);
/* The same by the component walk alone, as on kernels without openat2
 * (for the tests of that path). */
int vss_open_beneath_walk(int dirfd, const char *relpath, int flags, mode_t mode);

#endif
