#include "base/hex.h"

#include <string.h>

int vss_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void vss_hex_encode(const void *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = bytes;
    for (size_t i = 0; i < n; i++) {
        *out++ = digits[b[i] >> 4];
        *out++ = digits[b[i] & 15];
    }
    *out = '\0';
}

size_t vss_percent_encode(const void *bytes, size_t n, const char *also, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    const unsigned char *b = bytes;
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        if (b[i] > ' ' && b[i] < 0x7f && b[i] != '%' && strchr(also, b[i]) == NULL) {
            *p++ = (char)b[i];
        } else {
            *p++ = '%';
            *p++ = digits[b[i] >> 4];
            *p++ = digits[b[i] & 15];
        }
    }
    *p = '\0';
    return (size_t)(p - out);
}

bool vss_percent_decode(const char *s, size_t n, char *out, size_t *bad)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[k++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? vss_hex_value(s[i + 1]) : -1;
        int lo = i + 2 < n ? vss_hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            *bad = i;
            return false;
        }
        out[k++] = (char)(hi << 4 | lo);
        i += 2;
    }
    out[k] = '\0';
    return true;
}
