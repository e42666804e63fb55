/* vss_entry_stat_read: one entry's lstat data, content digest, link text,
 * xattrs and inode flags (entry_stat.h). */
#include "files/entry_stat.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>


static void part_fail(vss_entry_stat *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void part_fail(vss_entry_stat *s, int err, const char *fmt, ...)
{
    if (s->part_errno)
        return; /* the first one is kept */
    s->part_errno = err;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->part_message, sizeof s->part_message, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof s->part_message)
        snprintf(s->part_message + n, sizeof s->part_message - (size_t)n, ": %s", strerror(err));
}

/* Open a regular file or directory at path without following a symlink
 * and check it is the entry lstat saw (it may have been swapped since). */
static int open_same(vss_entry_stat *s, int dirfd, const char *path)
{
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    if (S_ISDIR(s->st.st_mode))
        flags |= O_DIRECTORY;
    int fd = openat(dirfd, path, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership */
        fd = openat(dirfd, path, flags);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_ino != s->st.st_ino || st.st_dev != s->st.st_dev) {
        close(fd);
        errno = ESTALE;
        return -1;
    }
    return fd;
}

/* Digest of the whole content; holes (SEEK_HOLE) fed as zeros without
 * reading them, so a sparse file costs what its data costs. */
static int digest_fd(int fd, uint64_t size, vss_digest *out)
{
    vss_hasher *h = vss_hasher_new();
    if (!h) {
        errno = ENOMEM;
        return -1;
    }
    enum { BUF = 1 << 17 };
    unsigned char *buf = malloc(BUF);
    if (!buf) {
        vss_hasher_free(h);
        errno = ENOMEM;
        return -1;
    }
    int rc = -1;
    uint64_t pos = 0;
    while (pos < size) {
        off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) { /* no data to the end: a hole */
                vss_hasher_update_zeros(h, size - pos);
                pos = size;
                break;
            }
            if (errno != EINVAL && errno != EOPNOTSUPP)
                goto out;
            data = (off_t)pos; /* no SEEK_DATA here: read everything */
        }
        if ((uint64_t)data > size)
            data = (off_t)size;
        vss_hasher_update_zeros(h, (uint64_t)data - pos);
        pos = (uint64_t)data;
        off_t hole = lseek(fd, (off_t)pos, SEEK_HOLE);
        uint64_t end = hole < 0 || (uint64_t)hole > size ? size : (uint64_t)hole;
        if (end <= pos)
            end = size;
        while (pos < end) {
            size_t want = end - pos < BUF ? (size_t)(end - pos) : BUF;
            ssize_t n = pread(fd, buf, want, (off_t)pos);
            if (n < 0)
                goto out;
            if (n == 0) { /* shrank under us: what is there is all */
                size = pos;
                break;
            }
            vss_hasher_update(h, buf, (size_t)n);
            pos += (uint64_t)n;
        }
    }
    /* grown under us: read on to the end, so the digest is of one content */
    for (;;) {
        ssize_t n = pread(fd, buf, BUF, (off_t)pos);
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        vss_hasher_update(h, buf, (size_t)n);
        pos += (uint64_t)n;
    }
    *out = vss_hasher_digest(h);
    rc = 0;
out:;
    int saved = errno;
    free(buf);
    vss_hasher_free(h);
    errno = saved;
    return rc;
}

static int read_target(vss_entry_stat *s, int dirfd, const char *path, vss_error *e)
{
    size_t cap = s->st.st_size > 0 ? (size_t)s->st.st_size + 1 : 256;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return vss_error_set(e, ENOMEM, "%s: out of memory", path);
        ssize_t n = readlinkat(dirfd, path, buf, cap);
        if (n < 0) {
            part_fail(s, errno, "%s: readlink", path);
            free(buf);
            return VSS_OK;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            s->target = buf;
            return VSS_OK;
        }
        free(buf);
        cap *= 2;
    }
}

static int cmp_xattr(const void *a, const void *b)
{
    return strcmp(((const vss_xattr *)a)->name, ((const vss_xattr *)b)->name);
}

/* The xattrs by path (l* calls: a symlink's own, never its target's),
 * through /proc/self/fd when an fd is open (same entry, no race). */
static int read_xattrs(vss_entry_stat *s, const char *path, vss_error *e)
{
    ssize_t n = 0;
    char *names = NULL;
    for (int tries = 0;; tries++) {
        n = llistxattr(path, NULL, 0);
        if (n < 0) {
            if (errno != ENOTSUP)
                part_fail(s, errno, "%s: listxattr", path);
            return VSS_OK;
        }
        if (n == 0)
            return VSS_OK;
        names = malloc((size_t)n);
        if (!names)
            return vss_error_set(e, ENOMEM, "%s: out of memory", path);
        ssize_t m = llistxattr(path, names, (size_t)n);
        if (m >= 0) {
            n = m;
            break;
        }
        free(names);
        names = NULL;
        if (errno != ERANGE || tries > 8) {
            part_fail(s, errno, "%s: listxattr", path);
            return VSS_OK;
        }
    }
    size_t count = 0;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1)
        count++;
    s->xattrs = calloc(count ? count : 1, sizeof *s->xattrs);
    if (!s->xattrs) {
        free(names);
        return vss_error_set(e, ENOMEM, "%s: out of memory", path);
    }
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
        const char *name = names + i;
        if (!*name)
            continue;
        char *value = NULL;
        ssize_t len;
        for (int tries = 0;; tries++) {
            len = lgetxattr(path, name, NULL, 0);
            if (len < 0)
                break;
            value = malloc((size_t)len + 1);
            if (!value) {
                free(names);
                return vss_error_set(e, ENOMEM, "%s: out of memory", path);
            }
            ssize_t m = lgetxattr(path, name, value, (size_t)len);
            if (m >= 0) {
                len = m;
                break;
            }
            free(value);
            value = NULL;
            if (errno != ERANGE || tries > 8) {
                len = -1;
                break;
            }
        }
        if (len < 0) {
            if (errno != ENODATA) /* removed meanwhile: not there */
                part_fail(s, errno, "%s: getxattr %s", path, name);
            continue;
        }
        value[len] = '\0';
        vss_xattr *x = &s->xattrs[s->xattr_count++];
        x->name = strdup(name);
        x->value = value;
        x->len = (size_t)len;
        if (!x->name) {
            free(names);
            return vss_error_set(e, ENOMEM, "%s: out of memory", path);
        }
    }
    free(names);
    qsort(s->xattrs, s->xattr_count, sizeof *s->xattrs, cmp_xattr);
    return VSS_OK;
}

int vss_entry_stat_read(vss_entry_stat *s, int dirfd, const char *path, unsigned what,
                        vss_error *e)
{
    memset(s, 0, sizeof *s);
    if (fstatat(dirfd, path, &s->st, AT_SYMLINK_NOFOLLOW) != 0)
        return vss_error_sys(e, errno, "%s", path);
    bool reg = S_ISREG(s->st.st_mode), dir = S_ISDIR(s->st.st_mode);
    if (S_ISLNK(s->st.st_mode) && (what & VSS_ES_TARGET)) {
        if (read_target(s, dirfd, path, e) != VSS_OK)
            return VSS_FAIL;
    }
    int fd = -1;
    if ((reg && (what & (VSS_ES_DIGEST | VSS_ES_FLAGS))) || (dir && (what & VSS_ES_FLAGS))) {
        fd = open_same(s, dirfd, path);
        if (fd < 0)
            part_fail(s, errno, "%s: open", path);
    }
    if (fd >= 0 && reg && (what & VSS_ES_DIGEST)) {
        if (digest_fd(fd, (uint64_t)s->st.st_size, &s->digest) == 0)
            s->has_digest = true;
        else
            part_fail(s, errno, "%s: read", path);
    }
    if (fd >= 0 && (what & VSS_ES_FLAGS)) {
        int fl = 0;
        if (ioctl(fd, FS_IOC_GETFLAGS, &fl) == 0) {
            s->has_flags = true;
            s->flags = (unsigned)fl;
        } else if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL) {
            part_fail(s, errno, "%s: FS_IOC_GETFLAGS", path);
        }
    }
    int rc = VSS_OK;
    if (what & VSS_ES_XATTRS) {
        /* l*xattr take a path: relative ones are resolved from dirfd
         * through /proc, absolute ones as they are */
        char buf[64];
        const char *p = path;
        char *joined = NULL;
        if (path[0] != '/' && dirfd != AT_FDCWD) {
            snprintf(buf, sizeof buf, "/proc/self/fd/%d/", dirfd);
            size_t a = strlen(buf), b = strlen(path);
            joined = malloc(a + b + 1);
            if (!joined) {
                rc = vss_error_set(e, ENOMEM, "%s: out of memory", path);
                goto out;
            }
            memcpy(joined, buf, a);
            memcpy(joined + a, path, b + 1);
            p = joined;
        }
        rc = read_xattrs(s, p, e);
        free(joined);
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

void vss_entry_stat_clear(vss_entry_stat *s)
{
    if (!s)
        return;
    free(s->target);
    for (size_t i = 0; i < s->xattr_count; i++) {
        free(s->xattrs[i].name);
        free(s->xattrs[i].value);
    }
    free(s->xattrs);
    memset(s, 0, sizeof *s);
}

/* lsattr's letters and order (e2fsprogs lib/e2p/pf.c), the settable ones. */
static const struct {
    unsigned bit;
    char letter;
} letters[] = {
    {0x00000001, 's'}, /* FS_SECRM_FL */
    {0x00000002, 'u'}, /* FS_UNRM_FL */
    {0x00000008, 'S'}, /* FS_SYNC_FL */
    {0x00010000, 'D'}, /* FS_DIRSYNC_FL */
    {0x00000010, 'i'}, /* FS_IMMUTABLE_FL */
    {0x00000020, 'a'}, /* FS_APPEND_FL */
    {0x00000040, 'd'}, /* FS_NODUMP_FL */
    {0x00000080, 'A'}, /* FS_NOATIME_FL */
    {0x00000004, 'c'}, /* FS_COMPR_FL */
    {0x00004000, 'j'}, /* FS_JOURNAL_DATA_FL */
    {0x00008000, 't'}, /* FS_NOTAIL_FL */
    {0x00020000, 'T'}, /* FS_TOPDIR_FL */
    {0x00800000, 'C'}, /* FS_NOCOW_FL */
    {0x02000000, 'x'}, /* FS_DAX_FL */
    {0x40000000, 'F'}, /* FS_CASEFOLD_FL */
    {0x20000000, 'P'}, /* FS_PROJINHERIT_FL */
    {0x00000400, 'm'}, /* FS_NOCOMP_FL */
};

void vss_inode_flags_letters(unsigned flags, char out[33])
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
        if (flags & letters[i].bit)
            out[n++] = letters[i].letter;
    out[n] = '\0';
}

unsigned vss_inode_flags_settable(void)
{
    unsigned m = 0;
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
        m |= letters[i].bit;
    return m;
}
