/* The ranges-file form of a partial file (docs/model.md §6.1): a string
 * that names a binary file of little-endian u64 values, the count first,
 * then offset/length pairs. No magic, no header: the size is the check. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "ranges/ranges_impl.h"

/* load reads the pairs straight into the items array. */
_Static_assert(sizeof(vss_range) == 16, "vss_range is two packed u64");

bool vss_ranges_file_reference(const char *s, const char **path)
{
    if (strncasecmp(s, "File=", 5) == 0) {
        if (s[5] == '\0')
            return false; /* "File=" and nothing: no path to name */
        *path = s + 5;
        return true;
    }
    if (vss_ranges_is_inline(s, strlen(s)))
        return false;
    *path = s;
    return true;
}

int vss_ranges_resolve(const char *s, unsigned flags, vss_ranges **out, const char **file,
                       vss_error *e)
{
    *out = NULL;
    const char *path;
    bool named = vss_ranges_file_reference(s, &path);
    if (file != NULL)
        *file = named ? path : NULL;
    if (!named) {
        if (!vss_ranges_is_inline(s, strlen(s)))
            return vss_error_set(e, EINVAL, "ranges '%s': names no ranges file", s);
        return vss_ranges_parse(s, strlen(s), flags, out, e);
    }
    if (vss_ranges_load(path, out, e) != VSS_OK)
        return VSS_FAIL;
    vss_error ce;
    if (flags != 0 && vss_ranges_check(*out, flags, &ce) != VSS_OK) {
        vss_ranges_free(*out);
        *out = NULL;
        return vss_error_set(e, ce.code, "ranges file '%s': %s", path, ce.message);
    }
    return VSS_OK;
}

/* The pairs in file order (little-endian, already in r->items) to host
 * order, each checked for offset+length overflow. */
static int convert_pairs(vss_ranges *r, uint64_t count, const char *path, vss_error *e)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t off = le64toh(r->items[i].offset), len = le64toh(r->items[i].length);
        if (off > UINT64_MAX - len)
            return vss_error_set(e, EINVAL,
                                 "ranges file '%s': entry %zu: offset %" PRIu64 " + length %" PRIu64
                                 " exceeds 2^64-1",
                                 path, i + 1, off, len);
        r->items[i].offset = off;
        r->items[i].length = len;
    }
    r->count = (size_t)count;
    return VSS_OK;
}

/* The count (little-endian, as read) checked against the file's size;
 * room for the pairs reserved in r. */
static int check_count(const char *path, uint64_t size, const unsigned char head[8],
                       uint64_t *count, vss_ranges *r, vss_error *e)
{
    memcpy(count, head, sizeof *count);
    *count = le64toh(*count);
    if (size < 8 || *count > (size - 8) / 16 || 8 + 16 * *count != size)
        return vss_error_set(e, EINVAL,
                             "ranges file '%s': count %" PRIu64 " disagrees with the size %" PRIu64
                             " (8 + 16 * count bytes expected)",
                             path, *count, size);
    if (*count > SIZE_MAX / sizeof(vss_range) || !vss_ranges_reserve_(r, (size_t)*count))
        return vss_error_set(e, ENOMEM, "ranges file '%s': out of memory for %" PRIu64 " ranges",
                             path, *count);
    return VSS_OK;
}

static int truncated(const char *path, size_t got, vss_error *e)
{
    return vss_error_set(e, EINVAL,
                         "ranges file '%s': truncated: %zu bytes, at least 8 expected (the count)",
                         path, got);
}

/* Read the pairs into r (count entries reserved). */
static int load_pairs(int fd, const char *path, uint64_t count, vss_ranges *r, vss_error *e)
{
    size_t bytes = (size_t)count * sizeof(vss_range);
    ssize_t got = vss_read_full(fd, r->items, bytes);
    if (got < 0)
        return vss_error_sys(e, errno, "ranges file '%s': read", path);
    if ((size_t)got != bytes)
        return vss_error_set(e, EINVAL,
                             "ranges file '%s': truncated: %zu of %zu bytes of ranges read", path,
                             (size_t)got, bytes);
    return convert_pairs(r, count, path, e);
}

/* O_NONBLOCK: a FIFO in the way must not hang the open; it is then
 * refused as not a regular file. Reads of regular files ignore it. */
static int open_regular(const char *path, uint64_t *size, vss_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return vss_error_sys(e, errno, "ranges file '%s': open", path), -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        vss_error_sys(e, errno, "ranges file '%s': stat", path);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        vss_error_set(e, EINVAL, "ranges file '%s': not a regular file", path);
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static int load_fd(int fd, const char *path, uint64_t size, vss_ranges *r, vss_error *e)
{
    uint64_t count;
    unsigned char head[8];
    ssize_t got = vss_read_full(fd, head, sizeof head);
    if (got < 0)
        return vss_error_sys(e, errno, "ranges file '%s': read", path);
    if (got != (ssize_t)sizeof head)
        return truncated(path, (size_t)got, e);
    if (check_count(path, size, head, &count, r, e) != VSS_OK)
        return VSS_FAIL;
    return load_pairs(fd, path, count, r, e);
}

int vss_ranges_load(const char *path, vss_ranges **out, vss_error *e)
{
    *out = NULL;
    uint64_t size;
    int fd = open_regular(path, &size, e);
    if (fd < 0)
        return VSS_FAIL;
    vss_ranges *r = vss_ranges_new();
    int rc = r != NULL ? load_fd(fd, path, size, r, e)
                       : vss_error_set(e, ENOMEM, "ranges file '%s': out of memory", path);
    close(fd);
    if (rc != VSS_OK) {
        vss_ranges_free(r);
        return VSS_FAIL;
    }
    *out = r;
    return VSS_OK;
}

int vss_ranges_decode(const void *bytes, size_t len, const char *path, vss_ranges **out,
                      vss_error *e)
{
    *out = NULL;
    if (len < 8)
        return truncated(path, len, e);
    vss_ranges *r = vss_ranges_new();
    if (r == NULL)
        return vss_error_set(e, ENOMEM, "ranges file '%s': out of memory", path);
    uint64_t count;
    int rc = check_count(path, len, bytes, &count, r, e);
    if (rc == VSS_OK) {
        if (count > 0) /* an empty list has no items array: memcpy(NULL, ...) is undefined */
            memcpy(r->items, (const unsigned char *)bytes + 8, (size_t)count * sizeof(vss_range));
        rc = convert_pairs(r, count, path, e);
    }
    if (rc != VSS_OK) {
        vss_ranges_free(r);
        return VSS_FAIL;
    }
    *out = r;
    return VSS_OK;
}

int vss_ranges_read_file(const char *path, vss_ranges **out, void **bytes, size_t *len,
                         vss_error *e)
{
    *out = NULL;
    *bytes = NULL;
    *len = 0;
    uint64_t size;
    int fd = open_regular(path, &size, e);
    if (fd < 0)
        return VSS_FAIL;
    unsigned char *buf = size < SIZE_MAX ? malloc((size_t)size + 1) : NULL;
    ssize_t got = -1;
    int rc = VSS_OK;
    if (buf == NULL)
        rc = vss_error_set(e, ENOMEM, "ranges file '%s': out of memory for %" PRIu64 " bytes",
                           path, size);
    else if ((got = vss_read_full(fd, buf, (size_t)size)) < 0)
        rc = vss_error_sys(e, errno, "ranges file '%s': read", path);
    close(fd);
    /* decoded from exactly the bytes kept: a file that changes meanwhile
     * gives either a consistent pair or an error, never two versions */
    if (rc == VSS_OK)
        rc = vss_ranges_decode(buf, (size_t)got, path, out, e);
    if (rc != VSS_OK) {
        free(buf);
        return VSS_FAIL;
    }
    *bytes = buf;
    *len = (size_t)got;
    return VSS_OK;
}

/* ---- saving --------------------------------------------------------- */

/* Write the count and the pairs, little-endian, a bounded chunk at a time. */
static int write_ranges(int fd, const void *ctx)
{
    enum { CHUNK = 4096 };
    const vss_ranges *r = ctx;
    uint64_t buf[2 * CHUNK];
    uint64_t count = htole64((uint64_t)r->count);
    if (vss_write_full(fd, &count, sizeof count) != 0)
        return -1;
    for (size_t i = 0; i < r->count; i += CHUNK) {
        size_t n = r->count - i < CHUNK ? r->count - i : CHUNK;
        for (size_t k = 0; k < n; k++) {
            buf[2 * k] = htole64(r->items[i + k].offset);
            buf[2 * k + 1] = htole64(r->items[i + k].length);
        }
        if (vss_write_full(fd, buf, n * 2 * sizeof(uint64_t)) != 0)
            return -1;
    }
    return 0;
}

int vss_ranges_save(const vss_ranges *r, const char *path, vss_error *e)
{
    return vss_file_replace(path, write_ranges, r, "ranges file", e);
}
