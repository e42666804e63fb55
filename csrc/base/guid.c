#include "base/guid.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/hex.h"

int vss_guid_random(vss_guid *g, vss_error *e)
{
    size_t got = 0;
    while (got < sizeof g->b) {
        ssize_t r = getrandom(g->b + got, sizeof g->b - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return vss_error_sys(e, errno, "getrandom for a snapshot id");
        }
        got += (size_t)r;
    }
    g->b[6] = (uint8_t)((g->b[6] & 0x0f) | 0x40); /* version 4 */
    g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return VSS_OK;
}

/* The byte indexes a '-' comes before. */
static const int dash_before[] = {4, 6, 8, 10};

void vss_guid_format(const vss_guid *g, enum vss_guid_form form, char out[VSS_GUID_BUFSIZE])
{
    char *p = out;
    if (form == VSS_GUID_BRACED)
        *p++ = '{';
    for (int i = 0, d = 0; i < 16; i++) {
        if (d < 4 && i == dash_before[d]) {
            *p++ = '-';
            d++;
        }
        vss_hex_encode(&g->b[i], 1, p);
        p += 2;
    }
    if (form == VSS_GUID_BRACED)
        *p++ = '}';
    *p = '\0';
}

int vss_guid_parse(const char *s, enum vss_guid_form form, const char *what, vss_guid *g,
                   vss_error *e)
{
    bool braced = form == VSS_GUID_BRACED;
    size_t len = braced ? VSS_GUID_BRACED_STRLEN : VSS_GUID_STRLEN;
    if (what == NULL)
        what = "GUID";
    if (s == NULL || strlen(s) != len || (braced && (s[0] != '{' || s[len - 1] != '}')))
        return vss_error_set(e, EINVAL, "%s '%s': not of the form %s", what, s ? s : "(null)",
                             braced ? "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}"
                                    : "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
    const char *p = braced ? s + 1 : s;
    for (int i = 0, d = 0; i < 16; i++) {
        if (d < 4 && i == dash_before[d]) {
            if (*p++ != '-')
                return vss_error_set(e, EINVAL, "%s '%s': '-' expected at position %d", what, s,
                                     (int)(p - s));
            d++;
        }
        int hi = vss_hex_value(p[0]), lo = vss_hex_value(p[1]);
        if (hi < 0 || lo < 0)
            return vss_error_set(e, EINVAL, "%s '%s': hex digit expected at position %d", what,
                                 s, (int)(p - s + 1));
        g->b[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return VSS_OK;
}

bool vss_guid_valid(const char *s)
{
    vss_guid g;
    return vss_guid_parse(s, VSS_GUID_BARE, NULL, &g, NULL) == VSS_OK;
}

bool vss_guid_equal(const vss_guid *a, const vss_guid *b)
{
    return memcmp(a->b, b->b, sizeof a->b) == 0;
}

bool vss_guid_same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}
