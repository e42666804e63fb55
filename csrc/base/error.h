/* Errors of the engine: a code, the errno behind it, and a message that
 * names the offending input. Every fallible engine call returns an int
 * status (VSS_OK or VSS_FAIL) and fills a vss_error the caller owns. */
#ifndef VSS_ERROR_H
#define VSS_ERROR_H

#include <errno.h>
#include <stddef.h>

enum { VSS_OK = 0, VSS_FAIL = -1 };

/* A code is an int in one of two families, so that engine code compares
 * integers and a script still sees one string per code (vss_code_name):
 * - the system family is errno itself (ENOENT, ENOMEM, ...), named as
 *   <errno.h> names it;
 * - the engine family starts at VSS_CODE_ENGINE, far above any errno.
 * 0 means no error. The README's "Errors" section lists what each means. */
#define VSS_CODE_ENGINE 0x10000

enum vss_code {
    VSS_ECORRUPT = VSS_CODE_ENGINE, /* stored data fails its check */
    VSS_ECHAIN,           /* a backup chain is broken or does not fit */
    VSS_ESCAPE,           /* a path leaves the root it must stay under */
    VSS_EFORMAT,          /* a store of another format version */
    VSS_ELOCKED,          /* the store is held by another process */
    VSS_EPARTIAL,         /* a restore laid some files but not all */
    VSS_EPOSTRESTORE,     /* files laid, a writer failed post_restore */
    VSS_ESERVICE,         /* a service could not be stopped or started */
    VSS_CHANGED,          /* a walked entry vanished or changed under the walk */
    VSS_BAD_STATE,        /* a call out of order (VSS_E_BAD_STATE) */
    VSS_OBJECT_NOT_FOUND, /* no such snapshot or set (VSS_E_OBJECT_NOT_FOUND) */
    VSS_OBJECT_ALREADY_EXISTS,
    VSS_VOLUME_NOT_SUPPORTED,
    VSS_UNSUPPORTED_CONTEXT,
    VSS_HOLD_WRITES_TIMEOUT,
    VSS_WRITER_INCONSISTENTSNAPSHOT, /* the writer error kinds (engine/writer.h) */
    VSS_WRITER_OUTOFRESOURCES,
    VSS_WRITER_TIMEOUT,
    VSS_WRITER_RETRYABLE,
    VSS_WRITER_NONRETRYABLE,
    VSS_CODE_END /* one past the last engine code */
};

typedef struct vss_error {
    int code;          /* ENOENT, VSS_WRITER_TIMEOUT...; 0 when clear */
    int sys_errno;     /* the errno behind a system failure, else 0 */
    char message[512]; /* human text naming the bad input */
} vss_error;

/* The name a script sees: "ENOENT", "WRITER_TIMEOUT"; "" for 0. An errno
 * without a name, or a number that is no code, reads "EIO". */
const char *vss_code_name(int code);
/* The code of a name (the inverse of vss_code_name); 0 when none has it. */
int vss_code_from_name(const char *name);

void vss_error_clear(vss_error *e);

/* Fill e (which may be NULL) with a code and a formatted message.
 * Returns VSS_FAIL so callers can write `return vss_error_set(...)`. */
int vss_error_set(vss_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As vss_error_set, for a failed system call: the code is errnum (which
 * sys_errno keeps too) and ": <strerror>" is appended to the message. */
int vss_error_sys(vss_error *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
