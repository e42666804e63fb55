#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vss_error_clear(vss_error *e)
{
    if (e == NULL)
        return;
    e->code[0] = '\0';
    e->sys_errno = 0;
    e->message[0] = '\0';
}

static void set_code(vss_error *e, const char *code)
{
    snprintf(e->code, sizeof e->code, "%s", code != NULL ? code : "EINVAL");
}

int vss_error_set(vss_error *e, const char *code, const char *fmt, ...)
{
    if (e == NULL)
        return VSS_FAIL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    set_code(e, code);
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
    const char *name = strerrorname_np(errnum);
    set_code(e, name != NULL ? name : "EIO");
    e->sys_errno = errnum;
    return VSS_FAIL;
}
