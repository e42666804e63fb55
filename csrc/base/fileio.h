/* File I/O every room needs: full reads and writes that survive EINTR and
 * short counts, and the durable replace (temporary name, fsync, rename,
 * fsync of the directory) that crash-safe writes are made of. */
#ifndef VSS_FILEIO_H
#define VSS_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

/* read() until n bytes or the end of file; bytes read, or -1 with errno. */
ssize_t vss_read_full(int fd, void *buf, size_t n);

/* write() all n bytes; 0, or -1 with errno. */
int vss_write_full(int fd, const void *buf, size_t n);

/* Writes the content to fd; returns 0, or -1 with errno set. */
typedef int (*vss_write_fn)(int fd, const void *ctx);

/* Replace path durably with what fn writes: a temporary file beside it,
 * fsynced, renamed over path, then the directory fsynced. A file being
 * replaced keeps its permissions; a new one is 0600. On failure path is
 * untouched and the temporary is gone. `what` starts error messages
 * ("ranges file '/x': fsync: ..."). */
int vss_file_replace(const char *path, vss_write_fn fn, const void *ctx, const char *what, vss_error *e);

#endif
