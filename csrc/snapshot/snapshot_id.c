#include "snapshot/snapshot_id.h"
#include "base/hex.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int vss_id_random(vss_id *id, vss_error *e)
{
    size_t got = 0;
    while (got < sizeof id->b) {
        ssize_t r = getrandom(id->b + got, sizeof id->b - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return vss_error_sys(e, errno, "getrandom for a snapshot id");
        }
        got += (size_t)r;
    }
    id->b[6] = (uint8_t)((id->b[6] & 0x0f) | 0x40); /* version 4 */
    id->b[8] = (uint8_t)((id->b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return VSS_OK;
}

/* Byte index that starts each group, and where dashes go. */
static const int dash_after[] = {4, 6, 8, 10};

void vss_id_format(const vss_id *id, char out[VSS_ID_STRLEN + 1])
{
    char *p = out;
    *p++ = '{';
    for (int i = 0, d = 0; i < 16; i++) {
        if (d < 4 && i == dash_after[d]) {
            *p++ = '-';
            d++;
        }
        vss_hex_encode(&id->b[i], 1, p);
        p += 2;
    }
    *p++ = '}';
    *p = '\0';
}

int vss_id_parse(const char *s, vss_id *id, vss_error *e)
{
    if (s == NULL || strlen(s) != VSS_ID_STRLEN || s[0] != '{' || s[VSS_ID_STRLEN - 1] != '}')
        return vss_error_set(e, EINVAL, "snapshot id '%s': not of the form {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}",
                             s ? s : "(null)");
    const char *p = s + 1;
    for (int i = 0, d = 0; i < 16; i++) {
        if (d < 4 && i == dash_after[d]) {
            if (*p++ != '-')
                return vss_error_set(e, EINVAL, "snapshot id '%s': '-' expected at position %d", s,
                                     (int)(p - s));
            d++;
        }
        int hi = vss_hex_value(p[0]), lo = vss_hex_value(p[1]);
        if (hi < 0 || lo < 0)
            return vss_error_set(e, EINVAL, "snapshot id '%s': hex digit expected at position %d", s,
                                 (int)(p - s + 1));
        id->b[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return VSS_OK;
}

bool vss_id_equal(const vss_id *a, const vss_id *b)
{
    return memcmp(a->b, b->b, sizeof a->b) == 0;
}
