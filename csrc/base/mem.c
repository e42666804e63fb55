#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vss_strdup_opt(char **dst, const char *src, vss_error *e)
{
    if (src == NULL) {
        *dst = NULL;
        return VSS_OK;
    }
    *dst = strdup(src);
    return *dst ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
}

char *vss_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}
