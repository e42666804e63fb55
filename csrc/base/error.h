/* Errors of the engine: a symbolic code, the errno behind it, and a message
 * that names the offending input. Every fallible engine call returns an int
 * status (VSS_OK or VSS_FAIL) and fills a vss_error the caller owns. */
#ifndef VSS_ERROR_H
#define VSS_ERROR_H

#include <stddef.h>

enum { VSS_OK = 0, VSS_FAIL = -1 };

typedef struct vss_error {
    char code[32];     /* "ENOENT", "EINVAL", "WRITER_TIMEOUT"...; "" when clear */
    int sys_errno;     /* the errno behind a system failure, else 0 */
    char message[512]; /* human text naming the bad input */
} vss_error;

void vss_error_clear(vss_error *e);

/* Fill e (which may be NULL) with a symbolic code and a formatted message.
 * Returns VSS_FAIL so callers can write `return vss_error_set(...)`. */
int vss_error_set(vss_error *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As vss_error_set, for a failed system call: the code is errno's name
 * ("ENOENT") and ": <strerror>" is appended to the message. */
int vss_error_sys(vss_error *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
