/* The data path: whole files (reflinked when the filesystem can, else
 * copied through one STORE_IO_BUF buffer, 256 KiB, at the same offsets so
 * holes stay holes) and range sets (exactly the range bytes, packed). Every byte is
 * hashed on the way: a reflink still reads the source once to hash it. */
#include "store/store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cancel.h"
#include "base/clone.h"

int store_copy_init(store_copy *c, vss_error *e)
{
    c->buf = malloc(STORE_IO_BUF);
    c->whole = vss_hasher_new();
    c->part = vss_hasher_new();
    if (c->buf == NULL || c->whole == NULL || c->part == NULL) {
        store_copy_fini(c);
        return vss_error_set(e, ENOMEM, "store: out of memory for the copy buffer");
    }
    return VSS_OK;
}

void store_copy_fini(store_copy *c)
{
    free(c->buf);
    vss_hasher_free(c->whole);
    vss_hasher_free(c->part);
    memset(c, 0, sizeof *c);
}

#define WRITEBACK_STEP (16ull << 20)

static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static int pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
    size_t put = 0;
    while (put < n) {
        ssize_t k = pwrite(fd, (const char *)buf + put, n - put, (off_t)(off + put));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        put += (size_t)k;
    }
    return 0;
}

/* Next data extent at or after off: [*start, *end); 0 when there is
 * none. Filesystems without SEEK_DATA report the whole file as data. */
static int next_extent(int fd, uint64_t off, uint64_t size, uint64_t *start, uint64_t *end)
{
    if (off >= size)
        return 0;
    off_t d = lseek(fd, (off_t)off, SEEK_DATA);
    if (d < 0) {
        if (errno == ENXIO)
            return 0;
        *start = off;
        *end = size;
        return 1;
    }
    if ((uint64_t)d >= size)
        return 0;
    off_t h = lseek(fd, d, SEEK_HOLE);
    *start = (uint64_t)d;
    *end = h < 0 || (uint64_t)h > size ? size : (uint64_t)h;
    return 1;
}

/* Hash [start, end) of src; when dst_fd >= 0 also write it there at
 * dst_off. Feeds the part hasher too when part is set. A short read means
 * the source shrank under us: *got says how far it went. */
static int copy_span(store_copy *c, int src_fd, uint64_t start, uint64_t end, int dst_fd,
                     uint64_t dst_off, int part, uint64_t *got, const char *what,
                     const char *dst_side, vss_error *e)
{
    uint64_t off = start;
    while (off < end) {
        if (vss_cancelled()) /* a signal: stop within one buffer */
            return vss_cancel_check(e, what);
        size_t want = end - off < STORE_IO_BUF ? (size_t)(end - off) : STORE_IO_BUF;
        ssize_t k = pread_full(src_fd, c->buf, want, off);
        if (k < 0)
            return vss_error_sys(e, errno, "%s: read at %" PRIu64, what, off);
        if (k == 0)
            break;
        vss_hasher_update(c->whole, c->buf, (size_t)k);
        if (part)
            vss_hasher_update(c->part, c->buf, (size_t)k);
        uint64_t at = dst_off + (off - start);
        if (dst_fd >= 0 && pwrite_full(dst_fd, c->buf, (size_t)k, at) != 0)
            return vss_error_sys(e, errno, "write to %s at %" PRIu64 " (copying %s)", dst_side, at,
                                 what);
        /* Start writeback of each finished 16 MiB now, so the fsync at the
         * end of the object has little left to wait for. */
        if (dst_fd >= 0 && (at + (uint64_t)k) / WRITEBACK_STEP != at / WRITEBACK_STEP)
            sync_file_range(dst_fd, (off_t)((at + (uint64_t)k) / WRITEBACK_STEP - 1) * WRITEBACK_STEP,
                            WRITEBACK_STEP, SYNC_FILE_RANGE_WRITE);
        off += (uint64_t)k;
        if ((size_t)k < want)
            break;
    }
    *got = off - start;
    return VSS_OK;
}

int store_copy_whole(store_copy *c, int src_fd, int dst_fd, uint64_t size, vss_store_entry *en,
                     const char *src_path, vss_error *e)
{
    vss_hasher_reset(c->whole);
    if ((en->ranges = vss_ranges_new()) == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", src_path);
    int rc = vss_clone_fd(dst_fd, src_fd, e);
    if (rc == VSS_FAIL)
        return vss_error_sys(e, errno, "'%s': clone into the store (FICLONE)", src_path);
    int cloned = rc == VSS_OK;
    if (!cloned && ftruncate(dst_fd, (off_t)size) != 0)
        return vss_error_sys(e, errno, "'%s': size the stored copy", src_path);
    posix_fadvise(src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    uint64_t off = 0, start, end, stored = 0;
    while (next_extent(src_fd, off, size, &start, &end)) {
        uint64_t got; /* the digest covers the extents' bytes, not the holes */
        if (copy_span(c, src_fd, start, end, cloned ? -1 : dst_fd, start, 0, &got, src_path,
                      "the store", e) != VSS_OK)
            return VSS_FAIL;
        if (got > 0 && vss_ranges_append(en->ranges, start, got, e) != VSS_OK)
            return VSS_FAIL;
        stored += got;
        off = start + got;
        if (got < end - start) { /* shrank while we read: keep what we saw */
            size = off;
            if (ftruncate(dst_fd, (off_t)size) != 0)
                return vss_error_sys(e, errno, "'%s': size the stored copy", src_path);
            break;
        }
    }
    en->size = size;
    en->stored = stored;
    en->digest = vss_hasher_digest(c->whole);
    return VSS_OK;
}

int store_copy_ranges(store_copy *c, int src_fd, int dst_fd, uint64_t size, const vss_ranges *r,
                      vss_store_entry *en, const char *src_path, vss_error *e)
{
    vss_hasher_reset(c->whole);
    vss_ranges *kept = vss_ranges_clone(r);
    if (kept == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", src_path);
    vss_ranges_normalize(kept);
    vss_ranges_clip(kept, size);
    en->ranges = kept;
    size_t n = vss_ranges_count(kept);
    en->parts = malloc((n ? n : 1) * sizeof *en->parts);
    if (en->parts == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", src_path);
    const vss_range *it = vss_ranges_items(kept);
    uint64_t stored = 0;
    for (size_t i = 0; i < n; i++) {
        vss_hasher_reset(c->part);
        uint64_t got;
        if (copy_span(c, src_fd, it[i].offset, it[i].offset + it[i].length, dst_fd, stored, 1, &got,
                      src_path, "the store", e) != VSS_OK)
            return VSS_FAIL;
        if (got < it[i].length)
            return vss_error_set(e, EIO, "'%s': file shrank while range %zu (%" PRIu64 ":%" PRIu64
                                 ") was read", src_path, i + 1, it[i].offset, it[i].length);
        en->parts[i] = vss_hasher_digest(c->part);
        stored += got;
    }
    en->size = size;
    en->stored = stored;
    en->digest = vss_hasher_digest(c->whole);
    return VSS_OK;
}

static int read_xattrs(int fd, vss_store_attrs *a, const char *src_path, vss_error *e)
{
    ssize_t n = flistxattr(fd, NULL, 0);
    if (n < 0 && (errno == ENOTSUP || errno == ENOSYS))
        return VSS_OK;
    if (n < 0)
        return vss_error_sys(e, errno, "'%s': list xattrs", src_path);
    if (n == 0)
        return VSS_OK;
    char *names = malloc((size_t)n);
    if (names == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", src_path);
    n = flistxattr(fd, names, (size_t)n);
    if (n < 0) {
        free(names);
        return vss_error_sys(e, errno, "'%s': list xattrs", src_path);
    }
    int rc = VSS_OK;
    for (char *p = names; p < names + n && rc == VSS_OK; p += strlen(p) + 1) {
        ssize_t vn = fgetxattr(fd, p, NULL, 0);
        if (vn < 0) {
            rc = vss_error_sys(e, errno, "'%s': xattr %s", src_path, p);
            break;
        }
        vss_store_xattr x = {strdup(p), malloc((size_t)vn + 1), 0};
        vss_store_xattr *nx = realloc(a->xattrs, (a->nxattrs + 1) * sizeof *nx);
        if (x.name == NULL || x.value == NULL || nx == NULL) {
            free(x.name);
            free(x.value);
            if (nx)
                a->xattrs = nx;
            rc = vss_error_set(e, ENOMEM, "'%s': out of memory", src_path);
            break;
        }
        a->xattrs = nx;
        vn = fgetxattr(fd, p, x.value, (size_t)vn);
        if (vn < 0) {
            rc = vss_error_sys(e, errno, "'%s': xattr %s", src_path, p);
            free(x.name);
            free(x.value);
            break;
        }
        x.size = (size_t)vn;
        a->xattrs[a->nxattrs++] = x;
    }
    free(names);
    return rc;
}

/* The chattr flags of an open file or directory; 0 where the file system
 * has none. */
static uint32_t read_flags(int fd)
{
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0)
        return 0;
    return (uint32_t)flags & VSS_STORE_FLAGS;
}

static vss_store_attrs *attrs_of(const struct stat *st)
{
    vss_store_attrs *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->mode = st->st_mode;
    a->uid = st->st_uid;
    a->gid = st->st_gid;
    a->atime = st->st_atim;
    a->mtime = st->st_mtim;
    a->ctime = st->st_ctim;
    a->ino = (uint64_t)st->st_ino;
    return a;
}

int store_read_attrs_path(const char *path, vss_store_attrs **out, vss_error *e)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return vss_error_sys(e, errno, "'%s': stat", path);
    vss_store_attrs *a = attrs_of(&st);
    if (a == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", path);
    if (S_ISDIR(st.st_mode)) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            store_attrs_free(a);
            return vss_error_sys(e, errno, "'%s': open", path);
        }
        a->flags = read_flags(fd);
        int rc = read_xattrs(fd, a, path, e);
        close(fd);
        if (rc != VSS_OK) {
            store_attrs_free(a);
            return VSS_FAIL;
        }
        *out = a;
        return VSS_OK;
    }
    /* a symlink, fifo or device: never opened (a fifo would block, a
     * device answer), its xattrs read by name without following it */
    ssize_t n = llistxattr(path, NULL, 0);
    char *names = NULL;
    int rc = VSS_OK;
    if (n < 0 && errno != ENOTSUP && errno != ENOSYS)
        rc = vss_error_sys(e, errno, "'%s': list xattrs", path);
    if (rc == VSS_OK && n > 0 && ((names = malloc((size_t)n)) == NULL ||
                                  (n = llistxattr(path, names, (size_t)n)) < 0))
        rc = names ? vss_error_sys(e, errno, "'%s': list xattrs", path)
                   : vss_error_set(e, ENOMEM, "'%s': out of memory", path);
    for (char *p = names; rc == VSS_OK && n > 0 && p < names + n; p += strlen(p) + 1) {
        ssize_t vn = lgetxattr(path, p, NULL, 0);
        vss_store_xattr x = {strdup(p), vn >= 0 ? malloc((size_t)vn + 1) : NULL, 0};
        vss_store_xattr *nx = vn >= 0 ? realloc(a->xattrs, (a->nxattrs + 1) * sizeof *nx) : NULL;
        if (nx)
            a->xattrs = nx;
        if (vn < 0 || (vn = lgetxattr(path, p, x.value, (size_t)vn)) < 0)
            rc = vss_error_sys(e, errno, "'%s': xattr %s", path, p);
        else if (x.name == NULL || x.value == NULL || nx == NULL)
            rc = vss_error_set(e, ENOMEM, "'%s': out of memory", path);
        if (rc != VSS_OK) {
            free(x.name);
            free(x.value);
            break;
        }
        x.size = (size_t)vn;
        a->xattrs[a->nxattrs++] = x;
    }
    free(names);
    if (rc != VSS_OK) {
        store_attrs_free(a);
        return VSS_FAIL;
    }
    *out = a;
    return VSS_OK;
}

int store_read_attrs(int fd, const char *src_path, vss_store_attrs **out, vss_error *e)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return vss_error_sys(e, errno, "'%s': stat", src_path);
    vss_store_attrs *a = attrs_of(&st);
    if (a == NULL)
        return vss_error_set(e, ENOMEM, "'%s': out of memory", src_path);
    a->flags = read_flags(fd);
    if (read_xattrs(fd, a, src_path, e) != VSS_OK) {
        store_attrs_free(a);
        return VSS_FAIL;
    }
    *out = a;
    return VSS_OK;
}

int store_apply_attrs(int fd, const vss_store_attrs *a, const char *what, vss_error *e)
{
    /* Owner first (it may clear set-id bits), then mode, xattrs, and the
     * times last since every other change touches them. A non-root
     * process cannot give a file away: the owner is then left as it is. */
    if (geteuid() == 0 && fchown(fd, a->uid, a->gid) != 0)
        return vss_error_sys(e, errno, "%s: chown", what);
    if (fchmod(fd, a->mode & 07777) != 0)
        return vss_error_sys(e, errno, "%s: chmod", what);
    for (size_t i = 0; i < a->nxattrs; i++)
        if (fsetxattr(fd, a->xattrs[i].name, a->xattrs[i].value, a->xattrs[i].size, 0) != 0)
            return vss_error_sys(e, errno, "%s: set xattr %s", what, a->xattrs[i].name);
    struct timespec ts[2] = {a->atime, a->mtime};
    if (futimens(fd, ts) != 0)
        return vss_error_sys(e, errno, "%s: set times", what);
    return VSS_OK;
}

static void damaged_at(store_damage_fn damage, void *ctx, int *damaged, const char *what,
                       const vss_digest *expected, const vss_digest *actual)
{
    *damaged = 1;
    if (damage)
        damage(ctx, what, expected, actual);
}

/* Holes of the object inside what the manifest says is data: read as
 * zeros, but only this much per entry (a filesystem that stores zeroed
 * blocks as holes, ZFS with compression, makes a few); past it the
 * extents claim bytes the object does not hold, and reading them would
 * cost what the manifest claims rather than what is stored. */
#define HOLES_IN_EXTENTS_MAX (64ull << 20)

/* One extent [start, end) of a whole file's object: its data segments
 * copied (and hashed), its holes hashed as zeros within the budget. */
static int read_extent(store_copy *c, int obj_fd, uint64_t start, uint64_t end, int dst_fd,
                       uint64_t *holes, int *short_read, const char *what, vss_error *e)
{
    uint64_t off = start, ds, de, got;
    while (off < end) {
        if (!next_extent(obj_fd, off, end, &ds, &de))
            ds = de = end;
        if (ds > off) {
            *holes += ds - off;
            if (*holes > HOLES_IN_EXTENTS_MAX)
                return 1;
            vss_hasher_update_zeros(c->whole, ds - off);
        }
        if (de > ds) {
            if (copy_span(c, obj_fd, ds, de, dst_fd, ds, 0, &got, what, "the destination", e) !=
                VSS_OK)
                return -1;
            if (got < de - ds) {
                *short_read = 1;
                return 0;
            }
        }
        off = de;
    }
    return 0;
}

int store_read_entry(store_copy *c, int obj_fd, const vss_store_entry *en, int dst_fd,
                     store_damage_fn damage, void *ctx, int *damaged, vss_error *e)
{
    *damaged = 0;
    char what[160];
    snprintf(what, sizeof what, "store object %s", en->object);
    if (en->bad != NULL) {
        damaged_at(damage, ctx, damaged, en->bad, NULL, NULL);
        return VSS_OK;
    }
    struct stat st;
    if (fstat(obj_fd, &st) != 0)
        return vss_error_sys(e, errno, "%s: stat", what);
    /* The manifest's sizes agree with each other (the parser checked);
     * now with the object, before a byte is read or written. */
    uint64_t want_size = en->kind == VSS_STORE_ENTRY_FILE ? en->size : en->stored;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != want_size) {
        char m[96];
        snprintf(m, sizeof m, "object size %" PRIu64 ", expected %" PRIu64, (uint64_t)st.st_size,
                 want_size);
        damaged_at(damage, ctx, damaged, m, NULL, NULL);
        return VSS_OK;
    }
    vss_hasher_reset(c->whole);
    uint64_t got;
    if (en->kind == VSS_STORE_ENTRY_DOCUMENT) {
        if (copy_span(c, obj_fd, 0, en->size, dst_fd, 0, 0, &got, what, "the destination", e) !=
            VSS_OK)
            return VSS_FAIL;
    } else if (en->kind == VSS_STORE_ENTRY_FILE) {
        /* Zero length first: old bytes where the backup has holes must go. */
        if (dst_fd >= 0 && (ftruncate(dst_fd, 0) != 0 || ftruncate(dst_fd, (off_t)en->size) != 0))
            return vss_error_sys(e, errno, "size the destination to %" PRIu64, en->size);
        const vss_range *it = vss_ranges_items(en->ranges);
        uint64_t off = 0, holes = 0;
        for (size_t i = 0; i < vss_ranges_count(en->ranges); i++) {
            if (en->holes_hashed) /* version 1: holes as zeros (bounded by the parser) */
                vss_hasher_update_zeros(c->whole, it[i].offset - off);
            int short_read = 0;
            int r = read_extent(c, obj_fd, it[i].offset, it[i].offset + it[i].length, dst_fd,
                                &holes, &short_read, what, e);
            if (r < 0)
                return VSS_FAIL;
            if (r > 0 || short_read) {
                char m[128];
                snprintf(m, sizeof m, "extent %zu (%" PRIu64 ":%" PRIu64 ") %s", i + 1,
                         it[i].offset, it[i].length,
                         short_read ? "truncated" : "is holes in the object, not data");
                damaged_at(damage, ctx, damaged, m, NULL, NULL);
                return VSS_OK;
            }
            off = it[i].offset + it[i].length;
        }
        if (en->holes_hashed)
            vss_hasher_update_zeros(c->whole, en->size - off);
    } else if (en->kind == VSS_STORE_ENTRY_PARTIAL) {
        const vss_range *it = vss_ranges_items(en->ranges);
        uint64_t pos = 0;
        for (size_t i = 0; i < vss_ranges_count(en->ranges); i++) {
            vss_hasher_reset(c->part);
            if (copy_span(c, obj_fd, pos, pos + it[i].length, dst_fd, it[i].offset, 1, &got, what,
                          "the destination", e) != VSS_OK)
                return VSS_FAIL;
            vss_digest d = vss_hasher_digest(c->part);
            if (got < it[i].length || !vss_digest_equal(&d, &en->parts[i])) {
                char m[96];
                snprintf(m, sizeof m, "range %zu (%" PRIu64 ":%" PRIu64 ")%s", i + 1,
                         it[i].offset, it[i].length, got < it[i].length ? " truncated" : "");
                /* the expected digest only: the actual one of bytes the
                 * manifest chose would tell what they are */
                damaged_at(damage, ctx, damaged, m, &en->parts[i], NULL);
            }
            pos += it[i].length;
        }
    }
    vss_digest d = vss_hasher_digest(c->whole);
    if (!vss_digest_equal(&d, &en->digest))
        damaged_at(damage, ctx, damaged, "data", &en->digest, NULL);
    return VSS_OK;
}
