#include "dest/dest.h"
#include "dest/dest_impl.h"
#include "base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct vss_dest {
    int root_fd; /* O_PATH | O_DIRECTORY */
    unsigned flags;
    bool no_openat2; /* the kernel said ENOSYS once: walk with O_NOFOLLOW */
    char *root;
};


/* Returns a malloc'd canonical copy of relpath: components joined by one
 * '/', "" and "." dropped. *norm is "" when nothing is left. */
static int normalize(const char *relpath, int file, char **norm, vss_error *e)
{
    size_t len = strlen(relpath);
    if (len == 0)
        return vss_error_set(e, EINVAL, "restore path is empty");
    if (relpath[0] == '/')
        return vss_error_set(e, VSS_ESCAPE, "'%s': absolute path (paths are relative to the destination root)",
                             relpath);
    if (len >= PATH_MAX)
        return vss_error_set(e, ENAMETOOLONG, "'%.64s...': restore path too long", relpath);
    if (file && relpath[len - 1] == '/')
        return vss_error_set(e, EINVAL, "'%s': ends with '/' (names no file)", relpath);
    char *out = malloc(len + 1);
    if (out == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", relpath);
    size_t n = 0;
    for (const char *p = relpath; *p != '\0';) {
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            free(out);
            return vss_error_set(e, VSS_ESCAPE, "'%s': '..' component (paths stay beneath the destination root)",
                                 relpath);
        }
        if (k > 0 && !(k == 1 && p[0] == '.')) {
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, p, k);
            n += k;
        }
        p += k;
        p += *p == '/';
    }
    out[n] = '\0';
    if (file && n == 0) {
        free(out);
        return vss_error_set(e, EINVAL, "'%s': names no file", relpath);
    }
    *norm = out;
    return VSS_OK;
}

int vss_dest_path_check(const char *relpath, int file, vss_error *e)
{
    char *norm;
    if (normalize(relpath, file, &norm, e) != VSS_OK)
        return VSS_FAIL;
    free(norm);
    return VSS_OK;
}

int vss_dest_open(const char *root, unsigned flags, vss_dest **out, vss_error *e)
{
    vss_dest *t = calloc(1, sizeof *t);
    if (t == NULL)
        return vss_error_set(e, ENOMEM, "destination '%s': out of memory", root);
    t->flags = flags;
    t->no_openat2 = (flags & VSS_DEST_WALK) != 0;
    t->root = realpath(root, NULL);
    if (t->root == NULL) {
        vss_error_sys(e, errno, "destination '%s'", root);
        free(t);
        return VSS_FAIL;
    }
    t->root_fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (t->root_fd < 0) {
        vss_error_sys(e, errno, "destination '%s'", root);
        free(t->root);
        free(t);
        return VSS_FAIL;
    }
    *out = t;
    return VSS_OK;
}

void vss_dest_free(vss_dest *t)
{
    if (t == NULL)
        return;
    close(t->root_fd);
    free(t->root);
    free(t);
}

const char *vss_dest_root(const vss_dest *t)
{
    return t->root;
}

unsigned vss_dest_flags(const vss_dest *t)
{
    return t->flags;
}

char *vss_dest_path(const vss_dest *t, const char *relpath, vss_error *e)
{
    char *norm;
    if (normalize(relpath, 0, &norm, e) != VSS_OK)
        return NULL;
    size_t a = strlen(t->root), b = strlen(norm);
    char *p = malloc(a + b + 2);
    if (p == NULL) {
        vss_error_set(e, ENOMEM, "'%s': out of memory", relpath);
    } else if (b == 0) {
        memcpy(p, t->root, a + 1);
    } else {
        memcpy(p, t->root, a);
        p[a] = '/';
        memcpy(p + a + 1, norm, b + 1);
        if (a == 1) /* root "/" */
            memmove(p + 1, p + 2, b + 1);
    }
    free(norm);
    return p;
}

/* Open path beneath dirfd without following any symlink. */
int dest_open_beneath(vss_dest *t, int dirfd, const char *path, int flags, mode_t mode)
{
    if (!t->no_openat2) {
        struct open_how how = {
            .flags = (uint64_t)(flags | O_CLOEXEC),
            .mode = mode,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        for (int tries = 0; tries < 8; tries++) {
            long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
            if (fd >= 0)
                return (int)fd;
            if (errno != EAGAIN && errno != EINTR)
                break;
        }
        if (errno != ENOSYS)
            return -1;
        t->no_openat2 = true;
    }
    if (strchr(path, '/') != NULL) { /* callers of the fallback walk themselves */
        errno = EINVAL;
        return -1;
    }
    int fd = openat(dirfd, path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    struct stat st;
    if (fd >= 0 && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
        close(fd);
        errno = ELOOP;
        return -1;
    }
    if (fd < 0 && errno == ENOTDIR && fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        errno = ELOOP;
    return fd;
}

int dest_resolve_error(vss_error *e, int err, const char *relpath, const char *what)
{
    if (err == ELOOP)
        return vss_error_set(e, VSS_ESCAPE, "'%s': %s: a symlink on the way is not followed", relpath, what);
    if (err == EXDEV)
        return vss_error_set(e, VSS_ESCAPE, "'%s': %s: resolves outside the destination root", relpath, what);
    return vss_error_sys(e, err, "'%s': %s", relpath, what);
}

/* One component at a time from the root, creating what is missing. */
static int walk_dirs(vss_dest *t, const char *dir, int create, const char *relpath, vss_error *e)
{
    int cur = openat(t->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return dest_resolve_error(e, errno, relpath, "open destination root"), -1;
    char comp[NAME_MAX + 1];
    for (const char *p = dir; *p != '\0';) {
        size_t k = strcspn(p, "/");
        if (k > NAME_MAX) {
            close(cur);
            return vss_error_set(e, ENAMETOOLONG, "'%s': a component is too long", relpath), -1;
        }
        memcpy(comp, p, k);
        comp[k] = '\0';
        p += k;
        p += *p == '/';
        if (create && mkdirat(cur, comp, 0777) != 0 && errno != EEXIST) {
            int err = errno;
            close(cur);
            return vss_error_sys(e, err, "'%s': mkdir '%s'", relpath, comp), -1;
        }
        int next = dest_open_beneath(t, cur, comp, O_PATH | O_DIRECTORY, 0);
        int err = errno;
        close(cur);
        if (next < 0)
            return dest_resolve_error(e, err, relpath, "open directory"), -1;
        cur = next;
    }
    int fd = openat(cur, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        dest_resolve_error(e, errno, relpath, "open directory");
    close(cur);
    return fd;
}

/* The directory dir (canonical, "" for the root) as an O_RDONLY fd, or -1. */
static int open_dir(vss_dest *t, const char *dir, int create, const char *relpath, vss_error *e)
{
    if (*dir == '\0')
        dir = ".";
    if (!t->no_openat2) {
        int fd = dest_open_beneath(t, t->root_fd, dir, O_RDONLY | O_DIRECTORY, 0);
        if (fd >= 0)
            return fd;
        if (!t->no_openat2 && !(errno == ENOENT && create))
            return dest_resolve_error(e, errno, relpath, "open directory"), -1;
    }
    return walk_dirs(t, strcmp(dir, ".") == 0 ? "" : dir, create, relpath, e);
}

int vss_dest_mkdir(vss_dest *t, const char *relpath, vss_error *e)
{
    char *norm;
    if (normalize(relpath, 0, &norm, e) != VSS_OK)
        return VSS_FAIL;
    int fd = open_dir(t, norm, 1, relpath, e);
    free(norm);
    if (fd < 0)
        return VSS_FAIL;
    close(fd);
    return VSS_OK;
}

/* ".<name>.vss-" and eight of make_temp's digits */
static bool is_temp_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 15 || n[0] != '.' || memcmp(n + len - 13, ".vss-", 5) != 0)
        return false;
    for (size_t i = len - 8; i < len; i++)
        if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'z')))
            return false;
    return true;
}

int vss_dest_sweep(vss_dest *t, const char *reldir, size_t *removed,
                   vss_error *e)
{
    if (removed)
        *removed = 0;
    if (*reldir == '\0')
        reldir = ".";
    char *norm;
    if (normalize(reldir, 0, &norm, e) != VSS_OK)
        return VSS_FAIL;
    vss_error err;
    int fd = open_dir(t, norm, 0, reldir, &err);
    free(norm);
    if (fd < 0) {
        if (err.sys_errno == ENOENT)
            return VSS_OK;
        if (e)
            *e = err;
        return VSS_FAIL;
    }
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return vss_error_sys(e, errno, "'%s': read directory", reldir);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (is_temp_name(de->d_name) && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISDIR(st.st_mode) && unlinkat(dirfd(d), de->d_name, 0) == 0 && removed)
            (*removed)++;
    }
    closedir(d);
    return VSS_OK;
}

/* A fresh temporary ".<name>.vss-XXXXXXXX" in dir_fd, O_EXCL (never a
 * symlink followed), into f->tmp and f->fd. */
int dest_temp_name(vss_dest_file *f, vss_error *e)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return vss_error_sys(e, errno, "'%s': getrandom", f->relpath);
    char suffix[sizeof rnd + 1];
    for (size_t i = 0; i < sizeof rnd; i++)
        suffix[i] = digits[rnd[i] % 36];
    suffix[sizeof rnd] = '\0';
    snprintf(f->tmp, sizeof f->tmp, ".%.200s.vss-%s", f->name, suffix);
    return VSS_OK;
}

static int make_temp(vss_dest_file *f, vss_error *e)
{
    for (int tries = 0; tries < 32; tries++) {
        if (dest_temp_name(f, e) != VSS_OK)
            return VSS_FAIL;
        f->fd = openat(f->dir_fd, f->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (f->fd >= 0)
            return VSS_OK;
        if (errno != EEXIST)
            return vss_error_sys(e, errno, "'%s': create temporary", f->relpath);
    }
    return vss_error_set(e, EEXIST, "'%s': no free temporary name", f->relpath);
}

void dest_file_free(vss_dest_file *f)
{
    if (f->dir_fd >= 0)
        close(f->dir_fd);
    free(f->relpath);
    free(f);
}

/* The end of a begin: f handed out, or dropped with its temporary. */
static int file_ready(vss_dest_file *f, int rc, vss_dest_file **out)
{
    if (rc != VSS_OK) {
        vss_dest_file_abort(f);
        return VSS_FAIL;
    }
    *out = f;
    return VSS_OK;
}

/* Split relpath, open (and maybe create) its directory, allocate f. */
int dest_file_start(vss_dest *t, const char *relpath, int create, vss_dest_file **out,
                      vss_error *e)
{
    char *norm;
    if (normalize(relpath, 1, &norm, e) != VSS_OK)
        return VSS_FAIL;
    size_t rl = strlen(relpath);
    vss_dest_file *f = calloc(1, sizeof *f);
    char *copy = malloc(rl + 1 + strlen(norm) + 1);
    if (f == NULL || copy == NULL) {
        free(f);
        free(copy);
        free(norm);
        return vss_error_set(e, ENOMEM, "'%s': out of memory", relpath);
    }
    memcpy(copy, relpath, rl + 1);
    f->relpath = copy;
    f->fd = -1;
    char *slash = strrchr(norm, '/');
    const char *name = slash ? slash + 1 : norm;
    f->name = copy + rl + 1;
    strcpy(f->name, name);
    if (slash)
        *slash = '\0';
    else
        norm[0] = '\0';
    if (strlen(f->name) > NAME_MAX) {
        free(norm);
        dest_file_free(f);
        return vss_error_set(e, ENAMETOOLONG, "'%s': file name too long", relpath);
    }
    f->dir_fd = open_dir(t, norm, create, relpath, e);
    free(norm);
    if (f->dir_fd < 0) {
        dest_file_free(f);
        return VSS_FAIL;
    }
    *out = f;
    return VSS_OK;
}

int vss_dest_begin_file(vss_dest *t, const char *relpath, vss_dest_file **out,
                        vss_error *e)
{
    vss_dest_file *f;
    if (dest_file_start(t, relpath, 1, &f, e) != VSS_OK)
        return VSS_FAIL;
    struct stat st;
    int have = fstatat(f->dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int rc = VSS_OK;
    if (!have && errno != ENOENT)
        rc = vss_error_sys(e, errno, "'%s': stat", relpath);
    else if (have && !(t->flags & VSS_DEST_REPLACE))
        rc = vss_error_set(e, EEXIST, "'%s': exists, and the destination does not replace files", relpath);
    else if (have && S_ISDIR(st.st_mode))
        rc = vss_error_set(e, EISDIR, "'%s': is a directory", relpath);
    else if (have && dest_unfreeze(t, f, relpath, e) != VSS_OK)
        rc = VSS_FAIL;
    else if (make_temp(f, e) != VSS_OK)
        rc = VSS_FAIL;
    else if (have && S_ISREG(st.st_mode) && fchmod(f->fd, st.st_mode & 07777) != 0)
        rc = vss_error_sys(e, errno, "'%s': chmod temporary", relpath);
    f->noreplace = !(t->flags & VSS_DEST_REPLACE);
    return file_ready(f, rc, out);
}

int vss_dest_begin_update(vss_dest *t, const char *relpath, vss_dest_file **out,
                          vss_error *e)
{
    vss_dest_file *f;
    if (dest_file_start(t, relpath, 0, &f, e) != VSS_OK)
        return VSS_FAIL;
    int src = dest_open_beneath(t, f->dir_fd, f->name, O_RDONLY, 0);
    struct stat st;
    int rc = VSS_OK;
    if (src < 0)
        rc = dest_resolve_error(e, errno, relpath, "open");
    else if (fstat(src, &st) != 0)
        rc = vss_error_sys(e, errno, "'%s': stat", relpath);
    else if (!S_ISREG(st.st_mode))
        rc = vss_error_set(e, EINVAL, "'%s': not a regular file", relpath);
    else if (make_temp(f, e) != VSS_OK || vss_copy_whole(src, f->fd, e) != VSS_OK)
        rc = VSS_FAIL;
    else if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(f->fd, st.st_uid, st.st_gid) != 0 &&
             errno != EPERM)
        rc = vss_error_sys(e, errno, "'%s': chown temporary", relpath);
    else if (fchmod(f->fd, st.st_mode & 07777) != 0) /* after chown, which clears set-id bits */
        rc = vss_error_sys(e, errno, "'%s': chmod temporary", relpath);
    if (src >= 0)
        close(src);
    return file_ready(f, rc, out);
}

int vss_dest_remove(vss_dest *t, const char *relpath, vss_error *e)
{
    vss_dest_file *f;
    vss_error err;
    if (dest_file_start(t, relpath, 0, &f, &err) != VSS_OK) {
        if (err.sys_errno == ENOENT)
            return VSS_OK; /* its directory is gone: so is it */
        if (e)
            *e = err;
        return VSS_FAIL;
    }
    int rc = VSS_OK;
    struct stat st;
    if (fstatat(f->dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        rc = vss_error_set(e, EISDIR, "'%s': is a directory", relpath);
    else if (dest_unfreeze(t, f, relpath, e) != VSS_OK)
        rc = VSS_FAIL;
    else if (unlinkat(f->dir_fd, f->name, 0) != 0 && errno != ENOENT)
        rc = vss_error_sys(e, errno, "'%s': remove", relpath);
    else if (fsync(f->dir_fd) != 0)
        rc = vss_error_sys(e, errno, "'%s': sync directory", relpath);
    dest_file_free(f);
    return rc;
}

/* The flags that keep an entry from being replaced or removed. */
#define FROZEN (FS_IMMUTABLE_FL | FS_APPEND_FL)

int dest_unfreeze(vss_dest *t, vss_dest_file *f, const char *relpath, vss_error *e)
{
    struct stat st;
    if (fstatat(f->dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
        return VSS_OK;
    int fd = dest_open_beneath(t, f->dir_fd, f->name, O_RDONLY | O_NONBLOCK, 0);
    if (fd < 0)
        return VSS_OK; /* what fails next says why */
    int cur = 0, rc = VSS_OK;
    if (ioctl(fd, FS_IOC_GETFLAGS, &cur) == 0 && (cur & FROZEN)) {
        cur &= ~FROZEN;
        if (ioctl(fd, FS_IOC_SETFLAGS, &cur) != 0)
            rc = vss_error_sys(e, errno, "'%s': clear the immutable and append-only flags", relpath);
    }
    close(fd);
    return rc;
}

int vss_dest_file_fd(const vss_dest_file *f)
{
    return f->fd;
}

int dest_file_rename(vss_dest_file *f)
{
    if (!f->noreplace)
        return renameat(f->dir_fd, f->tmp, f->dir_fd, f->name);
    if (renameat2(f->dir_fd, f->tmp, f->dir_fd, f->name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A file system without RENAME_NOREPLACE: link never replaces either. */
    if (linkat(f->dir_fd, f->tmp, f->dir_fd, f->name, 0) != 0)
        return -1;
    unlinkat(f->dir_fd, f->tmp, 0);
    return 0;
}

int vss_dest_file_commit(vss_dest_file *f, vss_error *e)
{
    const char *step = NULL;
    if (fsync(f->fd) != 0)
        step = "fsync";
    int err = errno;
    if (close(f->fd) != 0 && step == NULL) {
        step = "close";
        err = errno;
    }
    f->fd = -1;
    if (step == NULL && dest_file_rename(f) != 0) {
        step = "rename";
        err = errno;
    }
    int rc = VSS_OK;
    if (step != NULL) {
        unlinkat(f->dir_fd, f->tmp, 0);
        if (err == EEXIST)
            rc = vss_error_set(e, EEXIST, "'%s': appeared while restoring; not replaced", f->relpath);
        else
            rc = vss_error_sys(e, err, "'%s': %s", f->relpath, step);
    } else if (fsync(f->dir_fd) != 0) {
        rc = vss_error_sys(e, errno, "'%s': sync directory", f->relpath);
    }
    dest_file_free(f);
    return rc;
}

void vss_dest_file_abort(vss_dest_file *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0) {
        close(f->fd);
        unlinkat(f->dir_fd, f->tmp, 0);
    }
    dest_file_free(f);
}

/* ---- all-or-nothing writes over begin/commit ---- */

int vss_dest_write(vss_dest *t, const char *relpath, const void *data, size_t len,
                   vss_error *e)
{
    vss_dest_file *f;
    if (vss_dest_begin_file(t, relpath, &f, e) != VSS_OK)
        return VSS_FAIL;
    if (vss_write_full(vss_dest_file_fd(f), data, len) != 0) {
        vss_error_sys(e, errno, "'%s': write", relpath);
        vss_dest_file_abort(f);
        return VSS_FAIL;
    }
    return vss_dest_file_commit(f, e);
}

/* Prefix an error of a copy with the path it was for. */
static int for_path(vss_error *e, const char *relpath)
{
    if (e != NULL) {
        char m[sizeof e->message];
        memcpy(m, e->message, sizeof m);
        snprintf(e->message, sizeof e->message, "'%.200s': %.300s", relpath, m);
    }
    return VSS_FAIL;
}

int vss_dest_copy(vss_dest *t, const char *relpath, int src_fd, vss_error *e)
{
    vss_dest_file *f;
    if (vss_dest_begin_file(t, relpath, &f, e) != VSS_OK)
        return VSS_FAIL;
    if (vss_copy_whole(src_fd, vss_dest_file_fd(f), e) != VSS_OK) {
        vss_dest_file_abort(f);
        return for_path(e, relpath);
    }
    return vss_dest_file_commit(f, e);
}

int vss_dest_apply_plan(vss_dest *t, const char *relpath, int src_fd,
                        const vss_range_copy *plan, size_t n, vss_error *e)
{
    vss_dest_file *f;
    vss_error local;
    if (e == NULL)
        e = &local;
    if (vss_dest_begin_update(t, relpath, &f, e) != VSS_OK &&
        (e->code != ENOENT || vss_dest_begin_file(t, relpath, &f, e) != VSS_OK))
        return VSS_FAIL;
    if (vss_apply_copy_plan(src_fd, vss_dest_file_fd(f), plan, n, e) != VSS_OK) {
        vss_dest_file_abort(f);
        return for_path(e, relpath);
    }
    return vss_dest_file_commit(f, e);
}
