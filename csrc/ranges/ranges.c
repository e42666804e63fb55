/* Range lists: the growable container, the inline form's parser and its
 * canonical formatter (docs/model.md §6.1). The parser and the
 * formatter are hand-written loops: a differential backup of a large
 * database file can carry hundreds of thousands of ranges. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranges/ranges_impl.h"
#include "base/array.h"

vss_ranges *vss_ranges_new(void)
{
    return calloc(1, sizeof(vss_ranges));
}

void vss_ranges_free(vss_ranges *r)
{
    if (r == NULL)
        return;
    free(r->items);
    free(r);
}

bool vss_ranges_reserve_(vss_ranges *r, size_t need)
{
    return need <= r->cap || VSS_GROW_TO(r->items, r->cap, need, NULL) == VSS_OK;
}

vss_ranges *vss_ranges_clone(const vss_ranges *r)
{
    vss_ranges *c = vss_ranges_new();
    if (c == NULL)
        return NULL;
    if (r->count != 0) {
        if (!vss_ranges_reserve_(c, r->count)) {
            vss_ranges_free(c);
            return NULL;
        }
        memcpy(c->items, r->items, r->count * sizeof(vss_range));
        c->count = r->count;
    }
    return c;
}

size_t vss_ranges_count(const vss_ranges *r)
{
    return r->count;
}

const vss_range *vss_ranges_items(const vss_ranges *r)
{
    return r->items;
}

int vss_ranges_append(vss_ranges *r, uint64_t offset, uint64_t length, vss_error *e)
{
    if (offset > UINT64_MAX - length)
        return vss_error_set(e, EINVAL,
                             "ranges: entry %zu: offset %" PRIu64 " + length %" PRIu64
                             " exceeds 2^64-1",
                             r->count + 1, offset, length);
    if (r->count == r->cap && !vss_ranges_reserve_(r, r->count + 1))
        return vss_error_set(e, ENOMEM, "ranges: out of memory at entry %zu", r->count + 1);
    vss_ranges_push_(r, offset, length);
    return VSS_OK;
}

int vss_ranges_total(const vss_ranges *r, uint64_t *total, vss_error *e)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < r->count; i++) {
        if (sum > UINT64_MAX - r->items[i].length)
            return vss_error_set(e, ERANGE,
                                 "ranges: total length exceeds 2^64-1 at entry %zu", i + 1);
        sum += r->items[i].length;
    }
    *total = sum;
    return VSS_OK;
}

/* Why cur may not follow prev under flags, or NULL when it may. prev is
 * NULL for the first entry. Strict lists are sorted and disjoint, so the
 * previous entry is the only one cur can collide with. */
static const char *entry_rule(const vss_range *prev, const vss_range *cur, unsigned flags)
{
    if (cur->length == 0 && (flags & (VSS_RANGES_STRICT | VSS_RANGES_NO_ZERO)))
        return "zero-length entry";
    if ((flags & VSS_RANGES_STRICT) && prev != NULL) {
        if (cur->offset < prev->offset)
            return "not sorted (offset below the previous entry's)";
        if (cur->offset < prev->offset + prev->length)
            return "overlaps the previous entry";
    }
    return NULL;
}

int vss_ranges_check(const vss_ranges *r, unsigned flags, vss_error *e)
{
    for (size_t i = 0; i < r->count; i++) {
        const char *why = entry_rule(i > 0 ? &r->items[i - 1] : NULL, &r->items[i], flags);
        if (why != NULL)
            return vss_error_set(e, EINVAL, "ranges: entry %zu (%" PRIu64 ":%" PRIu64 "): %s",
                                 i + 1, r->items[i].offset, r->items[i].length, why);
    }
    return VSS_OK;
}

/* ---- parsing -------------------------------------------------------- */

typedef struct parser {
    const unsigned char *s;
    size_t len;
    size_t pos;
    size_t entry; /* 1-based number of the entry being read */
    vss_error *e;
} parser;

static inline bool is_blank(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline void skip_blanks(parser *p)
{
    while (p->pos < p->len && is_blank(p->s[p->pos]))
        p->pos++;
}

/* Positions in messages are 1-based, as an editor counts columns. */
static int parse_fail(parser *p, size_t pos, const char *why)
{
    return vss_error_set(p->e, EINVAL, "ranges: entry %zu at position %zu: %s", p->entry,
                         pos + 1, why);
}

static int bad_char(parser *p, const char *where)
{
    unsigned char c = p->s[p->pos];
    char shown[8];
    if (c >= 0x20 && c < 0x7f)
        snprintf(shown, sizeof shown, "'%c'", c);
    else
        snprintf(shown, sizeof shown, "\\x%02x", c);
    return vss_error_set(p->e, EINVAL, "ranges: entry %zu at position %zu: unexpected %s %s",
                         p->entry, p->pos + 1, shown, where);
}

static inline int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One value: decimal digits, or 0x/0X and hex digits. what = "offset" or
 * "length", for the messages. */
static int parse_value(parser *p, uint64_t *out, const char *what)
{
    const unsigned char *s = p->s;
    size_t pos = p->pos, len = p->len, start = pos;
    uint64_t v = 0;
    char why[64];
    if (pos + 1 < len && s[pos] == '0' && (s[pos + 1] | 0x20) == 'x') {
        pos += 2;
        size_t digits = pos;
        int d;
        while (pos < len && (d = hex_digit(s[pos])) >= 0) {
            if (v >> 60 != 0) {
                snprintf(why, sizeof why, "%s exceeds 2^64-1", what);
                return parse_fail(p, start, why);
            }
            v = v << 4 | (uint64_t)d;
            pos++;
        }
        if (pos == digits) {
            snprintf(why, sizeof why, "%s: no hex digits after 0x", what);
            return parse_fail(p, start, why);
        }
    } else {
        if (pos == len || s[pos] < '0' || s[pos] > '9') {
            if (pos == len) {
                snprintf(why, sizeof why, "missing %s", what);
                return parse_fail(p, pos, why);
            }
            p->pos = pos;
            snprintf(why, sizeof why, "where the %s should start", what);
            return bad_char(p, why);
        }
        while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
            unsigned d = s[pos] - '0';
            /* UINT64_MAX = 18446744073709551615 */
            if (v >= 1844674407370955161u && (v > 1844674407370955161u || d > 5)) {
                snprintf(why, sizeof why, "%s exceeds 2^64-1", what);
                return parse_fail(p, start, why);
            }
            v = v * 10 + d;
            pos++;
        }
    }
    p->pos = pos;
    *out = v;
    return VSS_OK;
}

/* Parse into r (which may be NULL: only check the grammar and values). */
static int parse_into(parser *p, unsigned flags, vss_ranges *r)
{
    vss_range prev = {0, 0}, cur;
    skip_blanks(p);
    if (p->pos == p->len)
        return VSS_OK; /* empty (or blank) string: the empty list */
    for (p->entry = 1;; p->entry++) {
        size_t start = p->pos;
        if (p->pos == p->len || p->s[p->pos] == ',')
            return parse_fail(p, p->pos, "empty entry");
        if (parse_value(p, &cur.offset, "offset") != VSS_OK)
            return VSS_FAIL;
        skip_blanks(p);
        if (p->pos == p->len)
            return parse_fail(p, p->pos, "missing ':' and length");
        if (p->s[p->pos] != ':')
            return bad_char(p, "after the offset (expected ':')");
        p->pos++;
        skip_blanks(p);
        if (parse_value(p, &cur.length, "length") != VSS_OK)
            return VSS_FAIL;
        if (cur.offset > UINT64_MAX - cur.length)
            return parse_fail(p, start, "offset + length exceeds 2^64-1");
        if (flags != 0) {
            const char *why = entry_rule(p->entry > 1 ? &prev : NULL, &cur, flags);
            if (why != NULL)
                return parse_fail(p, start, why);
            prev = cur;
        }
        if (r != NULL) {
            if (r->count == r->cap && !vss_ranges_reserve_(r, r->count + 1))
                return vss_error_set(p->e, ENOMEM, "ranges: out of memory at entry %zu",
                                     p->entry);
            vss_ranges_push_(r, cur.offset, cur.length);
        }
        skip_blanks(p);
        if (p->pos == p->len)
            return VSS_OK;
        if (p->s[p->pos] != ',')
            return bad_char(p, "after the length (expected ',' or the end)");
        p->pos++;
        skip_blanks(p);
    }
}

int vss_ranges_parse(const char *s, size_t len, unsigned flags, vss_ranges **out, vss_error *e)
{
    *out = NULL;
    vss_ranges *r = vss_ranges_new();
    if (r == NULL)
        return vss_error_set(e, ENOMEM, "ranges: out of memory");
    parser p = {(const unsigned char *)s, len, 0, 0, e};
    if (parse_into(&p, flags, r) != VSS_OK) {
        vss_ranges_free(r);
        return VSS_FAIL;
    }
    *out = r;
    return VSS_OK;
}

bool vss_ranges_is_inline(const char *s, size_t len)
{
    parser p = {(const unsigned char *)s, len, 0, 0, NULL};
    return parse_into(&p, 0, NULL) == VSS_OK;
}

/* ---- formatting ----------------------------------------------------- */

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* Write v in decimal at p; return the end. Two digits a step from the
 * right into a scratch buffer, then one copy. */
static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    char *t = tmp + sizeof tmp;
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        t -= 2;
        t[0] = digit_pairs[i];
        t[1] = digit_pairs[i + 1];
    }
    if (v >= 10) {
        t -= 2;
        t[0] = digit_pairs[v * 2];
        t[1] = digit_pairs[v * 2 + 1];
    } else {
        *--t = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(p, t, n);
    return p + n;
}

size_t vss_ranges_format_entries(const vss_ranges *r, size_t first, size_t n, char *buf)
{
    char *p = buf;
    for (size_t i = first; i < first + n; i++) {
        if (i != first)
            *p++ = ',';
        p = put_u64(p, r->items[i].offset);
        *p++ = ':';
        p = put_u64(p, r->items[i].length);
    }
    return (size_t)(p - buf);
}

char *vss_ranges_format(const vss_ranges *r, vss_error *e)
{
    if (r->count > (SIZE_MAX - 1) / VSS_RANGES_MAX_ENTRY_CHARS) {
        vss_error_set(e, ENOMEM, "ranges: %zu entries are too many to format", r->count);
        return NULL;
    }
    char *buf = malloc(r->count * VSS_RANGES_MAX_ENTRY_CHARS + 1);
    if (buf == NULL) {
        vss_error_set(e, ENOMEM, "ranges: out of memory formatting %zu entries", r->count);
        return NULL;
    }
    size_t n = vss_ranges_format_entries(r, 0, r->count, buf);
    buf[n] = '\0';
    char *fit = realloc(buf, n + 1); /* give back the worst-case slack */
    return fit != NULL ? fit : buf;
}
