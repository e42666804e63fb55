#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vss_strbuf_reserve(vss_strbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void vss_strbuf_add(vss_strbuf *b, const void *data, size_t n)
{
    if (!vss_strbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void vss_strbuf_str(vss_strbuf *b, const char *s)
{
    vss_strbuf_add(b, s, strlen(s));
}

void vss_strbuf_printf(vss_strbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        vss_strbuf_add(b, small, (size_t)n);
        return;
    }
    if (!vss_strbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void vss_strbuf_free(vss_strbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
