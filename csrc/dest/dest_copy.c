/* Copies from one file to another: directed-target copy plans and
 * whole-file copies. The destination's all-or-nothing writes (dest.c)
 * lay them onto its pending files. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dest/dest_impl.h"
#include "dest/dest.h"
#include "base/cancel.h"
#include "base/clone.h"

#define SLOW_BUFFER (1u << 20)
#define FAST_CHUNK ((uint64_t)64 << 20) /* a signal is seen between steps */
#define VECTORED_MIN_ENTRIES 16
#define VECTORED_MAX_AVERAGE ((uint64_t)256 << 10)

static int source_ended(int src_fd, const vss_range_copy *c, size_t i, uint64_t at, vss_error *e)
{
    struct stat st;
    long long size = fstat(src_fd, &st) == 0 ? (long long)st.st_size : -1;
    return vss_error_set(e, EINVAL,
                         "copy plan entry %zu (%llu bytes from %llu to %llu): the source ends at %lld, "
                         "before %llu",
                         i + 1, (unsigned long long)c->length, (unsigned long long)c->src_offset,
                         (unsigned long long)c->dst_offset, size, (unsigned long long)at);
}

/* One step of entry c at done bytes in: copy_file_range while *fast, else
 * pread/pwrite through *buf. Returns bytes copied, 0 at the source's end,
 * -1 with errno. Switches *fast off where the kernel cannot copy. */
static ssize_t copy_step(int src, int dst, const vss_range_copy *c, uint64_t done, int *fast, char **buf)
{
    uint64_t left = c->length - done;
    for (;;) {
        if (*fast) {
            off_t so = (off_t)(c->src_offset + done), dof = (off_t)(c->dst_offset + done);
            ssize_t k = copy_file_range(src, &so, dst, &dof, left < FAST_CHUNK ? left : FAST_CHUNK, 0);
            if (k >= 0)
                return k;
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -1;
            *fast = 0;
        }
        if (*buf == NULL && (*buf = malloc(SLOW_BUFFER)) == NULL) {
            errno = ENOMEM;
            return -1;
        }
        size_t want = left < SLOW_BUFFER ? (size_t)left : SLOW_BUFFER;
        ssize_t k = pread(src, *buf, want, (off_t)(c->src_offset + done));
        if (k < 0 && errno == EINTR)
            continue;
        struct iovec one = {*buf, (size_t)(k > 0 ? k : 0)};
        if (k > 0 && vss_pwritev_full(dst, &one, 1, (off_t)(c->dst_offset + done)) != 0)
            return -1;
        return k;
    }
}

/* Every entry within 2^63-1 and, when the source is a regular file,
 * within its size: errors before anything is written. */
static int check_plan(int src_fd, const vss_range_copy *plan, size_t n, int *regular, vss_error *e)
{
    struct stat st;
    *regular = fstat(src_fd, &st) == 0 && S_ISREG(st.st_mode);
    for (size_t i = 0; i < n; i++) {
        const vss_range_copy *c = &plan[i];
        if (c->src_offset > INT64_MAX || c->length > INT64_MAX - c->src_offset ||
            c->dst_offset > INT64_MAX || c->length > INT64_MAX - c->dst_offset)
            return vss_error_set(e, EINVAL, "copy plan entry %zu: offset + length exceeds 2^63-1", i + 1);
        if (*regular && c->length > 0 && c->src_offset + c->length > (uint64_t)st.st_size)
            return source_ended(src_fd, c, i, c->src_offset + c->length, e);
    }
    return VSS_OK;
}

/* Entry by entry, in plan order. */
static int copy_each(int src_fd, int dst_fd, const vss_range_copy *plan, size_t n, vss_error *e)
{
    int fast = 1, rc = VSS_OK;
    char *buf = NULL;
    for (size_t i = 0; i < n && rc == VSS_OK; i++) {
        const vss_range_copy *c = &plan[i];
        for (uint64_t done = 0; done < c->length;) {
            if (vss_cancelled()) {
                rc = vss_cancel_check(e, "copy");
                break;
            }
            ssize_t k = copy_step(src_fd, dst_fd, c, done, &fast, &buf);
            if (k < 0) {
                rc = vss_error_sys(e, errno, "copy plan entry %zu (%llu bytes from %llu to %llu)", i + 1,
                                   (unsigned long long)c->length, (unsigned long long)c->src_offset,
                                   (unsigned long long)c->dst_offset);
                break;
            }
            if (k == 0) {
                rc = source_ended(src_fd, c, i, c->src_offset + done, e);
                break;
            }
            done += (uint64_t)k;
        }
    }
    free(buf);
    return rc;
}

int vss_apply_copy_plan(int src_fd, int dst_fd, const vss_range_copy *plan, size_t n, vss_error *e)
{
    int regular;
    if (check_plan(src_fd, plan, n, &regular, e) != VSS_OK)
        return VSS_FAIL;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += plan[i].length > VECTORED_MAX_AVERAGE ? VECTORED_MAX_AVERAGE : plan[i].length;
    /* Many small ranges: vectored writes; large ones: copy_file_range,
     * which may share extents and keeps the data out of user space. */
    if (regular && n >= VECTORED_MIN_ENTRIES && total / n < VECTORED_MAX_AVERAGE) {
        int rc = vss_dest_vectored_plan(src_fd, dst_fd, plan, n, e);
        if (rc != 1)
            return rc;
    }
    return copy_each(src_fd, dst_fd, plan, n, e);
}

int vss_copy_whole(int src_fd, int dst_fd, vss_error *e)
{
    struct stat st;
    if (fstat(src_fd, &st) != 0)
        return vss_error_sys(e, errno, "copy: stat source");
    if (!S_ISREG(st.st_mode))
        return vss_error_set(e, EINVAL, "copy: the source is not a regular file");
    int rc = vss_clone_fd(dst_fd, src_fd, e);
    if (rc == VSS_OK)
        return VSS_OK;
    if (rc == VSS_FAIL)
        return vss_error_sys(e, errno, "copy: clone the source (FICLONE)");
    vss_range_copy all = {0, 0, (uint64_t)st.st_size};
    if (vss_apply_copy_plan(src_fd, dst_fd, &all, st.st_size > 0, e) != VSS_OK)
        return VSS_FAIL;
    if (ftruncate(dst_fd, st.st_size) != 0)
        return vss_error_sys(e, errno, "copy: truncate destination");
    return VSS_OK;
}
