/* A batch of restored files made durable together (dest.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dest/dest_impl.h"
#include "base/array.h"

typedef struct pending {
    vss_dest_file *f; /* its dir_fd is the batch's (dirs[dir].fd) */
    void *tag;
    size_t dir;
} pending;

/* The directories of the pending files, each opened once: a batch may
 * hold thousands of files and few directories. */
typedef struct batch_dir {
    int fd;
    dev_t dev;
    ino_t ino;
} batch_dir;

struct vss_dest_batch {
    pending *v;
    size_t n, cap;
    batch_dir *dirs;
    size_t ndirs, capdirs;
    uint64_t bytes;
};

/* Drop f, whose dir_fd is borrowed from the batch. */
static void drop(vss_dest_file *f, bool unlink_tmp)
{
    if (unlink_tmp)
        unlinkat(f->dir_fd, f->tmp, 0);
    f->dir_fd = -1;
    dest_file_free(f);
}

static void close_dirs(vss_dest_batch *b)
{
    for (size_t i = 0; i < b->ndirs; i++)
        close(b->dirs[i].fd);
    b->ndirs = 0;
}

int vss_dest_batch_new(vss_dest_batch **out, vss_error *e)
{
    if ((*out = calloc(1, sizeof **out)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    return VSS_OK;
}

void vss_dest_batch_free(vss_dest_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        drop(b->v[i].f, true);
    close_dirs(b);
    free(b->dirs);
    free(b->v);
    free(b);
}

size_t vss_dest_batch_count(const vss_dest_batch *b)
{
    return b->n;
}

size_t vss_dest_batch_dirs(const vss_dest_batch *b)
{
    return b->ndirs;
}

/* The batch's entry for f's directory, taking over f->dir_fd when new
 * (else closing it for the batch's own); -1 when out of memory. */
static long dir_of(vss_dest_batch *b, vss_dest_file *f, const struct stat *st)
{
    for (size_t i = 0; i < b->ndirs; i++)
        if (b->dirs[i].dev == st->st_dev && b->dirs[i].ino == st->st_ino) {
            close(f->dir_fd);
            f->dir_fd = b->dirs[i].fd;
            return (long)i;
        }
    if (VSS_GROW(b->dirs, b->capdirs, b->ndirs, NULL) != VSS_OK)
        return -1;
    b->dirs[b->ndirs] = (batch_dir){.fd = f->dir_fd, .dev = st->st_dev, .ino = st->st_ino};
    return (long)b->ndirs++;
}

uint64_t vss_dest_batch_bytes(const vss_dest_batch *b)
{
    return b->bytes;
}

int vss_dest_batch_add(vss_dest_batch *b, vss_dest_file *f, void *tag, vss_error *e)
{
    struct stat st, dst;
    int rc = VSS_GROW(b->v, b->cap, b->n, e);
    if (rc == VSS_OK && (fstat(f->fd, &st) != 0 || fstat(f->dir_fd, &dst) != 0))
        rc = vss_error_sys(e, errno, "'%s': stat", f->relpath);
    /* start the writeback now, so the syncfs at commit has little left */
    if (rc == VSS_OK && sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0 &&
        errno != ENOSYS && errno != EINVAL)
        rc = vss_error_sys(e, errno, "'%s': start writeback", f->relpath);
    if (rc == VSS_OK && close(f->fd) != 0)
        rc = vss_error_sys(e, errno, "'%s': close", f->relpath);
    else if (rc != VSS_OK)
        close(f->fd);
    f->fd = -1;
    long dir = -1;
    if (rc == VSS_OK && (dir = dir_of(b, f, &dst)) < 0)
        rc = vss_error_set(e, ENOMEM, "out of memory");
    if (rc != VSS_OK) { /* f->dir_fd is still its own */
        unlinkat(f->dir_fd, f->tmp, 0);
        dest_file_free(f);
        return VSS_FAIL;
    }
    b->v[b->n++] = (pending){.f = f, .tag = tag, .dir = (size_t)dir};
    b->bytes += (uint64_t)st.st_size;
    return VSS_OK;
}

/* One syncfs per file system the batch touches; it also reports writeback
 * errors since the files were opened (Linux 5.8+). */
static int sync_all(vss_dest_batch *b, vss_error *e)
{
    for (size_t i = 0; i < b->ndirs; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = b->dirs[j].dev == b->dirs[i].dev;
        if (!seen && syncfs(b->dirs[i].fd) != 0)
            return vss_error_sys(e, errno, "sync the restored files' file system");
    }
    return VSS_OK;
}

static int sync_dirs(vss_dest_batch *b, vss_error *e)
{
    for (size_t i = 0; i < b->ndirs; i++)
        if (fsync(b->dirs[i].fd) != 0)
            return vss_error_sys(e, errno, "sync a restored directory");
    return VSS_OK;
}

int vss_dest_batch_commit(vss_dest_batch *b, vss_dest_batch_fn fn, void *ud,
                          vss_error *e)
{
    vss_error err;
    int rc = sync_all(b, &err);
    for (size_t i = 0; i < b->n; i++) {
        vss_dest_file *f = b->v[i].f;
        vss_error fe;
        const vss_error *why = NULL;
        if (rc != VSS_OK) {
            why = &err;
        } else if (dest_file_rename(f) != 0) {
            if (errno == EEXIST)
                vss_error_set(&fe, EEXIST, "'%s': appeared while restoring; not replaced", f->relpath);
            else
                vss_error_sys(&fe, errno, "'%s': rename", f->relpath);
            why = &fe;
        }
        fn(ud, b->v[i].tag, why);
        drop(f, why != NULL);
    }
    if (rc == VSS_OK)
        rc = sync_dirs(b, &err);
    close_dirs(b);
    b->n = 0;
    b->bytes = 0;
    if (rc != VSS_OK && e)
        *e = err;
    return rc;
}
