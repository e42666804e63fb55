#include "base/beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* Set once the kernel said ENOSYS: every later call walks. Racing threads
 * at worst both try openat2 once. */
static bool no_openat2;

/* A path a walk may take: relative, no empty, "." or ".." component. */
static bool plain_path(const char *p)
{
    if (*p == '\0' || *p == '/')
        return false;
    for (;;) {
        size_t k = strcspn(p, "/");
        if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (k > NAME_MAX)
            return false;
        p += k;
        if (*p == '\0')
            return true;
        p++;
    }
}

static int walk(int dirfd, const char *path, int flags, mode_t mode)
{
    int cur = dirfd;
    char comp[NAME_MAX + 1];
    for (;;) {
        size_t k = strcspn(path, "/");
        memcpy(comp, path, k);
        comp[k] = '\0';
        path += k;
        if (*path == '\0') {
            int fd = openat(cur, comp, flags, mode);
            int err = errno;
            struct stat st;
            if (fd < 0 && err == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                err = ELOOP;
            if (cur != dirfd)
                close(cur);
            errno = err;
            return fd;
        }
        path++;
        int next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        struct stat st;
        if (next < 0 && err == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            err = ELOOP;
        if (cur != dirfd)
            close(cur);
        if (next < 0) {
            errno = err;
            return -1;
        }
        cur = next;
    }
}

int vss_open_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
    if (!plain_path(relpath)) {
        errno = EINVAL;
        return -1;
    }
    flags |= O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
        struct open_how how = {
            .flags = (uint64_t)flags,
            .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        for (int tries = 0; tries < 8; tries++) {
            long fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof how);
            if (fd >= 0)
                return (int)fd;
            if (errno != EAGAIN && errno != EINTR)
                break;
        }
        if (errno != ENOSYS && errno != EPERM) /* EPERM: a seccomp filter that denies it */
            return -1;
        __atomic_store_n(&no_openat2, true, __ATOMIC_RELAXED);
    }
    return walk(dirfd, relpath, flags, mode);
}

int vss_open_beneath_walk(int dirfd, const char *relpath, int flags, mode_t mode)
{
    if (!plain_path(relpath)) {
        errno = EINVAL;
        return -1;
    }
    return walk(dirfd, relpath, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);
}
