#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t vss_read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int vss_write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t k = write(fd, (const char *)buf + put, n - put);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        put += (size_t)k;
    }
    return 0;
}

/* fsync the directory that holds path, so a rename in it survives a crash. */
static int fsync_parent(const char *path, const char *what, vss_error *e)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL)
        return vss_error_set(e, ENOMEM, "%s '%s': out of memory", what, path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = VSS_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = vss_error_sys(e, errno, "%s '%s': sync directory '%s'", what, path, dir);
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

int vss_file_replace(const char *path, vss_write_fn fn, const void *ctx, const char *what, vss_error *e)
{
    static const char suffix[] = ".tmp.XXXXXX";
    size_t n = strlen(path);
    char *tmp = malloc(n + sizeof suffix);
    if (tmp == NULL)
        return vss_error_set(e, ENOMEM, "%s '%s': out of memory", what, path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, suffix, sizeof suffix);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        vss_error_sys(e, errno, "%s '%s': create temporary", what, path);
        free(tmp);
        return VSS_FAIL;
    }
    struct stat st;
    const char *step = NULL;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && fchmod(fd, st.st_mode & 07777) != 0)
        step = "chmod";
    else if (fn(fd, ctx) != 0)
        step = "write";
    else if (fsync(fd) != 0)
        step = "fsync";
    int err = errno;
    if (close(fd) != 0 && step == NULL) {
        step = "close";
        err = errno;
    }
    if (step == NULL && rename(tmp, path) != 0) {
        step = "rename";
        err = errno;
    }
    if (step != NULL) {
        unlink(tmp);
        vss_error_sys(e, err, "%s '%s': %s", what, path, step);
        free(tmp);
        return VSS_FAIL;
    }
    free(tmp);
    return fsync_parent(path, what, e);
}
