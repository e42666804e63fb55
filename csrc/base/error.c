#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The one table of engine code names: the strings scripts match on, so a
 * name never changes once released. */
static const char *const engine_names[VSS_CODE_END - VSS_CODE_ENGINE] = {
    [VSS_ECORRUPT - VSS_CODE_ENGINE] = "ECORRUPT",
    [VSS_ECHAIN - VSS_CODE_ENGINE] = "ECHAIN",
    [VSS_ESCAPE - VSS_CODE_ENGINE] = "ESCAPE",
    [VSS_EFORMAT - VSS_CODE_ENGINE] = "EFORMAT",
    [VSS_ELOCKED - VSS_CODE_ENGINE] = "ELOCKED",
    [VSS_EPARTIAL - VSS_CODE_ENGINE] = "EPARTIAL",
    [VSS_EPOSTRESTORE - VSS_CODE_ENGINE] = "EPOSTRESTORE",
    [VSS_ESERVICE - VSS_CODE_ENGINE] = "ESERVICE",
    [VSS_CHANGED - VSS_CODE_ENGINE] = "CHANGED",
    [VSS_BAD_STATE - VSS_CODE_ENGINE] = "BAD_STATE",
    [VSS_OBJECT_NOT_FOUND - VSS_CODE_ENGINE] = "OBJECT_NOT_FOUND",
    [VSS_OBJECT_ALREADY_EXISTS - VSS_CODE_ENGINE] = "OBJECT_ALREADY_EXISTS",
    [VSS_VOLUME_NOT_SUPPORTED - VSS_CODE_ENGINE] = "VOLUME_NOT_SUPPORTED",
    [VSS_UNSUPPORTED_CONTEXT - VSS_CODE_ENGINE] = "UNSUPPORTED_CONTEXT",
    [VSS_HOLD_WRITES_TIMEOUT - VSS_CODE_ENGINE] = "HOLD_WRITES_TIMEOUT",
    [VSS_WRITER_INCONSISTENTSNAPSHOT - VSS_CODE_ENGINE] = "WRITER_INCONSISTENTSNAPSHOT",
    [VSS_WRITER_OUTOFRESOURCES - VSS_CODE_ENGINE] = "WRITER_OUTOFRESOURCES",
    [VSS_WRITER_TIMEOUT - VSS_CODE_ENGINE] = "WRITER_TIMEOUT",
    [VSS_WRITER_RETRYABLE - VSS_CODE_ENGINE] = "WRITER_RETRYABLE",
    [VSS_WRITER_NONRETRYABLE - VSS_CODE_ENGINE] = "WRITER_NONRETRYABLE",
};

/* Linux numbers errno below 200; the bound only keeps the name search short. */
enum { MAX_ERRNO = 4096 };

const char *vss_code_name(int code)
{
    if (code == 0)
        return "";
    if (code >= VSS_CODE_ENGINE && code < VSS_CODE_END) {
        const char *n = engine_names[code - VSS_CODE_ENGINE];
        return n != NULL ? n : "EIO";
    }
    const char *n = code > 0 && code < VSS_CODE_ENGINE ? strerrorname_np(code) : NULL;
    return n != NULL ? n : "EIO";
}

int vss_code_from_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return 0;
    for (int c = VSS_CODE_ENGINE; c < VSS_CODE_END; c++)
        if (engine_names[c - VSS_CODE_ENGINE] != NULL &&
            strcmp(engine_names[c - VSS_CODE_ENGINE], name) == 0)
            return c;
    for (int c = 1; c < MAX_ERRNO; c++) {
        const char *n = strerrorname_np(c);
        if (n != NULL && strcmp(n, name) == 0)
            return c;
    }
    return 0;
}

void vss_error_clear(vss_error *e)
{
    if (e == NULL)
        return;
    e->code = 0;
    e->sys_errno = 0;
    e->message[0] = '\0';
}

int vss_error_set(vss_error *e, int code, const char *fmt, ...)
{
    if (e == NULL)
        return VSS_FAIL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->code = code != 0 ? code : EINVAL;
    e->sys_errno = 0;
    return VSS_FAIL;
}

int vss_error_sys(vss_error *e, int errnum, const char *fmt, ...)
{
    if (e == NULL)
        return VSS_FAIL;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof e->message)
        snprintf(e->message + n, sizeof e->message - (size_t)n, ": %s", strerror(errnum));
    /* An errno without a name is still that errno; its name reads "EIO". */
    e->code = errnum != 0 ? errnum : EIO;
    e->sys_errno = errnum;
    return VSS_FAIL;
}
