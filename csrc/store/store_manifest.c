/* The manifest of a backup: one line of text per entry, fields as
 * key=value, names escaped (docs/store-format.md). Its last line carries
 * the XXH3-128 of every byte before it, so truncation and damage show.
 * Text in and out only: reading one from the store, under its lock, is
 * store.c's. */
#include "base/hex.h"
#include "store/store_impl.h"
#include "base/array.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The words of the backup line's type=: the names of vss_enum_backup_type. */
const char *vss_store_type_name(int type)
{
    if (type < VSS_BT_FULL || type > VSS_BT_COPY)
        return NULL;
    return vss_enum_name(&vss_enum_backup_type, type);
}

int vss_store_type_parse(const char *name)
{
    int64_t v;
    if (!vss_enum_value(&vss_enum_backup_type, name, &v) || vss_store_type_name((int)v) == NULL)
        return 0;
    return (int)v;
}

/* key=<escaped value>: bytes outside '!'..'~' and any of "%=;, " as %XX. */
static void store_buf_escaped(vss_strbuf *b, const char *key, const void *value, size_t n)
{
    vss_strbuf_printf(b, " %s=", key);
    if (!vss_strbuf_reserve(b, 3 * n))
        return;
    b->len += vss_percent_encode(value, n, "=;,", b->p + b->len);
}

static void buf_hex(vss_strbuf *b, const unsigned char *v, size_t n)
{
    if (!vss_strbuf_reserve(b, 2 * n))
        return;
    vss_hex_encode(v, n, b->p + b->len);
    b->len += 2 * n;
}

static void buf_digest(vss_strbuf *b, const char *key, const vss_digest *d)
{
    vss_strbuf_printf(b, " %s=", key);
    buf_hex(b, d->bytes, VSS_DIGEST_SIZE);
}

static void buf_ranges(vss_strbuf *b, const char *key, const vss_ranges *r)
{
    char *s = vss_ranges_format(r, NULL);
    if (s == NULL) {
        b->oom = 1;
        return;
    }
    vss_strbuf_printf(b, " %s=", key);
    vss_strbuf_str(b, s);
    free(s);
}

static void buf_time(vss_strbuf *b, const char *key, const struct timespec *t)
{
    vss_strbuf_printf(b, " %s=%" PRId64 ".%09ld", key, (int64_t)t->tv_sec, t->tv_nsec);
}

void store_manifest_head(vss_strbuf *b, const vss_store_info *info)
{
    vss_strbuf_printf(b, "luavss-manifest %d\nbackup id=%s type=%s", VSS_STORE_VERSION, info->id,
                     vss_store_type_name(info->type));
    buf_time(b, "time", &info->time);
    vss_strbuf_printf(b, " base=%s files=%" PRIu64 " stored=%" PRIu64 "\n",
                     info->base[0] ? info->base : "-", info->files, info->stored);
}

static const char *const kind_words[] = {"file",    "partial", "deleted", "document", "directory",
                                         "symlink", "fifo",    "device",  "hardlink"};
#define NKINDS ((int)(sizeof kind_words / sizeof kind_words[0]))

const char *vss_store_kind_name(int kind)
{
    return kind >= VSS_STORE_ENTRY_FILE && kind < NKINDS ? kind_words[kind] : "";
}

void store_manifest_entry(vss_strbuf *b, const vss_store_entry *en)
{
    vss_strbuf_str(b, kind_words[en->kind]);
    store_buf_escaped(b, "name", en->name, strlen(en->name));
    if (en->kind == VSS_STORE_ENTRY_SYMLINK || en->kind == VSS_STORE_ENTRY_HARDLINK)
        store_buf_escaped(b, "target", en->target, strlen(en->target));
    if (en->kind == VSS_STORE_ENTRY_DEVICE)
        vss_strbuf_printf(b, " rdev=%" PRIu64, en->rdev);
    if (en->kind <= VSS_STORE_ENTRY_DOCUMENT && en->kind != VSS_STORE_ENTRY_DELETED) {
        vss_strbuf_printf(b, " object=%s size=%" PRIu64 " stored=%" PRIu64, en->object, en->size,
                         en->stored);
        buf_digest(b, "digest", &en->digest);
    }
    if (en->kind == VSS_STORE_ENTRY_FILE)
        buf_ranges(b, "extents", en->ranges);
    if (en->kind == VSS_STORE_ENTRY_PARTIAL) {
        buf_ranges(b, "ranges", en->ranges);
        vss_strbuf_str(b, " parts=");
        size_t n = vss_ranges_count(en->ranges);
        for (size_t i = 0; i < n; i++) {
            if (i)
                vss_strbuf_str(b, ",");
            buf_hex(b, en->parts[i].bytes, VSS_DIGEST_SIZE);
        }
        if (en->ranges_file) {
            store_buf_escaped(b, "ranges_file", en->ranges_file, strlen(en->ranges_file));
            vss_strbuf_printf(b, " ranges_object=%s ranges_size=%" PRIu64, en->ranges_object,
                             en->ranges_size);
            buf_digest(b, "ranges_digest", &en->ranges_digest);
        }
    }
    const vss_store_attrs *a = en->attrs;
    if (a) {
        vss_strbuf_printf(b, " mode=%" PRIo32 " uid=%" PRIu32 " gid=%" PRIu32, a->mode, a->uid,
                         a->gid);
        buf_time(b, "atime", &a->atime);
        buf_time(b, "mtime", &a->mtime);
        buf_time(b, "ctime", &a->ctime);
        if (a->flags)
            vss_strbuf_printf(b, " flags=%" PRIx32, a->flags);
        if (a->ino)
            vss_strbuf_printf(b, " ino=%" PRIu64, a->ino);
        for (size_t i = 0; i < a->nxattrs; i++) {
            store_buf_escaped(b, "xattr", a->xattrs[i].name, strlen(a->xattrs[i].name));
            vss_strbuf_str(b, ";");
            buf_hex(b, a->xattrs[i].value, a->xattrs[i].size);
        }
    }
    vss_strbuf_str(b, "\n");
}

void store_manifest_end(vss_strbuf *b, uint64_t entries)
{
    if (b->oom)
        return;
    vss_digest d = vss_digest_of(b->p, b->len);
    vss_strbuf_printf(b, "end entries=%" PRIu64, entries);
    buf_digest(b, "digest", &d);
    vss_strbuf_str(b, "\n");
}

/* ---- parsing ---- */

/* A version 1 file's digest covers its holes as zeros: hashing them
 * costs what the manifest claims, so only this much is done. */
#define STORE_V1_HOLES_MAX (1ull << 30) /* ~0.1 s of XXH3 over zeros */

typedef struct parser {
    const char *id;
    size_t line;
    vss_error *e;
    int version;
} parser;

static int bad(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(parser *p, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return vss_error_set(p->e, VSS_ECORRUPT, "backup '%s': manifest line %zu: %s", p->id, p->line,
                         what);
}

/* Decode %XX escapes; NULL when out of memory or malformed. */
static char *unescape(const char *v, size_t n)
{
    char *out = malloc(n + 1);
    size_t bad;
    if (out != NULL && !vss_percent_decode(v, n, out, &bad)) {
        free(out);
        out = NULL;
    }
    return out;
}

static int parse_u64(const char *v, size_t n, uint64_t *out, int base)
{
    if (n == 0 || n > 22)
        return -1;
    char tmp[24];
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    if (tmp[0] < '0' || tmp[0] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(tmp, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = x;
    return 0;
}

static int parse_u32(const char *v, size_t n, uint32_t *out, int base)
{
    uint64_t x;
    if (parse_u64(v, n, &x, base) != 0 || x > UINT32_MAX)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

static int parse_time(const char *v, size_t n, struct timespec *t)
{
    const char *dot = memchr(v, '.', n);
    uint64_t sec, nsec;
    int neg = n > 0 && v[0] == '-';
    const char *s = v + neg;
    if (dot == NULL || parse_u64(s, (size_t)(dot - s), &sec, 10) != 0 ||
        parse_u64(dot + 1, n - (size_t)(dot + 1 - v), &nsec, 10) != 0 || nsec > 999999999 ||
        sec > INT64_MAX)
        return -1;
    t->tv_sec = neg ? -(time_t)sec : (time_t)sec;
    t->tv_nsec = (long)nsec;
    return 0;
}

static int parse_object(const char *v, size_t n, char out[24])
{
    if (n == 0 || n >= 24)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9')))
            return -1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

static int parse_ranges(const char *v, size_t n, vss_ranges **out)
{
    return vss_ranges_parse(v, n, VSS_RANGES_STRICT, out, NULL) == VSS_OK ? 0 : -1;
}

static int parse_hexbytes(const char *v, size_t n, unsigned char **out, size_t *size)
{
    if (n % 2)
        return -1;
    unsigned char *p = malloc(n / 2 + 1);
    if (p == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = vss_hex_value(v[2 * i]), lo = vss_hex_value(v[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(p);
            return -1;
        }
        p[i] = (unsigned char)(hi << 4 | lo);
    }
    *out = p;
    *size = n / 2;
    return 0;
}

static int add_xattr(vss_store_attrs *a, const char *v, size_t n)
{
    const char *semi = memchr(v, ';', n);
    if (semi == NULL)
        return -1;
    vss_store_xattr x;
    x.name = unescape(v, (size_t)(semi - v));
    if (x.name == NULL)
        return -1;
    if (parse_hexbytes(semi + 1, n - (size_t)(semi + 1 - v), &x.value, &x.size) != 0) {
        free(x.name);
        return -1;
    }
    vss_store_xattr *nx = realloc(a->xattrs, (a->nxattrs + 1) * sizeof *nx);
    if (nx == NULL) {
        free(x.name);
        free(x.value);
        return -1;
    }
    a->xattrs = nx;
    a->xattrs[a->nxattrs++] = x;
    return 0;
}

static int parse_parts(const char *v, size_t n, vss_digest **out, size_t *count)
{
    size_t k = n == 0 ? 0 : (n + 1) / (2 * VSS_DIGEST_SIZE + 1);
    if (n != 0 && k * (2 * VSS_DIGEST_SIZE + 1) != n + 1)
        return -1;
    vss_digest *d = malloc((k ? k : 1) * sizeof *d);
    if (d == NULL)
        return -1;
    for (size_t i = 0; i < k; i++) {
        const char *h = v + i * (2 * VSS_DIGEST_SIZE + 1);
        if (!vss_digest_parse(h, 2 * VSS_DIGEST_SIZE, &d[i]) ||
            (i + 1 < k && h[2 * VSS_DIGEST_SIZE] != ',')) {
            free(d);
            return -1;
        }
    }
    *out = d;
    *count = k;
    return 0;
}

static vss_store_attrs *need_attrs(vss_store_entry *en)
{
    if (en->attrs == NULL)
        en->attrs = calloc(1, sizeof *en->attrs);
    return en->attrs;
}

/* One key=value of an entry line; -1 when the value is bad or unknown. */
static int entry_field(vss_store_entry *en, const char *k, size_t kn, const char *v, size_t n,
                       size_t *nparts, unsigned *seen, int version)
{
#define KEY(s) (kn == sizeof s - 1 && memcmp(k, s, kn) == 0)
    if (KEY("name")) {
        *seen |= 1;
        return en->name == NULL && (en->name = unescape(v, n)) != NULL ? 0 : -1;
    }
    /* A field only on the kinds the writer gives it (store_manifest_entry):
     * one on another kind would count in the totals and vanish when the
     * manifest is written again (found by fuzz/store_manifest). */
    bool data = en->kind == VSS_STORE_ENTRY_FILE || en->kind == VSS_STORE_ENTRY_PARTIAL ||
                en->kind == VSS_STORE_ENTRY_DOCUMENT;
    bool partial = en->kind == VSS_STORE_ENTRY_PARTIAL;
    if (KEY("object") && data)
        return *seen |= 2, parse_object(v, n, en->object);
    if (KEY("size") && data)
        return parse_u64(v, n, &en->size, 10);
    if (KEY("stored") && data)
        return parse_u64(v, n, &en->stored, 10);
    if (KEY("digest") && data)
        return *seen |= 4, vss_digest_parse(v, n, &en->digest) ? 0 : -1;
    if ((KEY("extents") && en->kind == VSS_STORE_ENTRY_FILE) ||
        (KEY("ranges") && en->kind == VSS_STORE_ENTRY_PARTIAL))
        return en->ranges == NULL ? (*seen |= 8, parse_ranges(v, n, &en->ranges)) : -1;
    if (KEY("parts") && en->kind == VSS_STORE_ENTRY_PARTIAL)
        return en->parts == NULL ? (*seen |= 16, parse_parts(v, n, &en->parts, nparts)) : -1;
    if (KEY("target") &&
        (en->kind == VSS_STORE_ENTRY_SYMLINK || en->kind == VSS_STORE_ENTRY_HARDLINK))
        return en->target == NULL && (en->target = unescape(v, n)) != NULL ? (*seen |= 32, 0) : -1;
    if (KEY("rdev") && en->kind == VSS_STORE_ENTRY_DEVICE)
        return *seen |= 64, parse_u64(v, n, &en->rdev, 10);
    if (KEY("ranges_file") && partial)
        return en->ranges_file == NULL && (en->ranges_file = unescape(v, n)) != NULL ? 0 : -1;
    if (KEY("ranges_object") && partial)
        return parse_object(v, n, en->ranges_object);
    if (KEY("ranges_size") && partial)
        return parse_u64(v, n, &en->ranges_size, 10);
    if (KEY("ranges_digest") && partial)
        return vss_digest_parse(v, n, &en->ranges_digest) ? 0 : -1;
    vss_store_attrs *a;
    if (KEY("mode"))
        return (a = need_attrs(en)) ? parse_u32(v, n, &a->mode, 8) : -1;
    if (KEY("uid"))
        return (a = need_attrs(en)) ? parse_u32(v, n, &a->uid, 10) : -1;
    if (KEY("gid"))
        return (a = need_attrs(en)) ? parse_u32(v, n, &a->gid, 10) : -1;
    if (KEY("atime"))
        return (a = need_attrs(en)) ? parse_time(v, n, &a->atime) : -1;
    if (KEY("mtime"))
        return (a = need_attrs(en)) ? parse_time(v, n, &a->mtime) : -1;
    if (KEY("ctime"))
        return (a = need_attrs(en)) ? parse_time(v, n, &a->ctime) : -1;
    if (KEY("flags") && version >= 2)
        return (a = need_attrs(en)) ? parse_u32(v, n, &a->flags, 16) : -1;
    if (KEY("ino") && version >= 2)
        return (a = need_attrs(en)) ? parse_u64(v, n, &a->ino, 10) : -1;
    if (KEY("xattr"))
        return (a = need_attrs(en)) ? add_xattr(a, v, n) : -1;
#undef KEY
    return -1;
}

static int set_bad(vss_store_entry *en, vss_error *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_bad(vss_store_entry *en, vss_error *e, const char *fmt, ...)
{
    if (en->bad != NULL)
        return VSS_OK; /* the first reason is enough */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    en->bad = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (en->bad == NULL)
        return vss_error_set(e, ENOMEM, "manifest: out of memory");
    va_start(ap, fmt);
    vsnprintf(en->bad, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return VSS_OK;
}

/* The name of a file entry: an absolute path, no empty, "." or ".."
 * component, no trailing '/'. */
static const char *name_fault(const char *name)
{
    if (name[0] == '\0')
        return "an empty name";
    if (name[0] != '/')
        return "not an absolute path";
    if (name[1] == '\0')
        return "the root directory, not a file";
    for (const char *c = name + 1;;) {
        size_t k = strcspn(c, "/");
        if (k == 0)
            return c[0] == '\0' ? "a trailing '/'" : "an empty component ('//')";
        if ((k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
            return "a '.' or '..' component";
        c += k;
        if (*c == '\0')
            return NULL;
        c++;
    }
}

/* Every size, range and count of an entry against the others, before any
 * object is opened: what disagrees makes the entry bad (named by verify,
 * a failed file in a restore), never a cost. Generic over kinds: a kind
 * with data has size, stored and object; ranges (extents or kept ranges)
 * lie within size and sum to stored. */
static int check_entry(vss_store_entry *en, vss_error *e)
{
    if (en->kind == VSS_STORE_ENTRY_DELETED)
        return VSS_OK;
    if (en->size > (uint64_t)INT64_MAX || en->stored > (uint64_t)INT64_MAX ||
        en->ranges_size > (uint64_t)INT64_MAX)
        return set_bad(en, e, "size %" PRIu64 ", stored %" PRIu64 ": beyond 2^63-1", en->size,
                       en->stored);
    if (en->stored > en->size && en->kind != VSS_STORE_ENTRY_DOCUMENT)
        return set_bad(en, e, "stored %" PRIu64 " is more than the size %" PRIu64, en->stored,
                       en->size);
    if (en->kind == VSS_STORE_ENTRY_DOCUMENT && en->stored != en->size)
        return set_bad(en, e, "stored %" PRIu64 " is not the size %" PRIu64, en->stored, en->size);
    if (en->ranges != NULL) {
        size_t n = vss_ranges_count(en->ranges);
        const vss_range *it = vss_ranges_items(en->ranges);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (it[i].length == 0 || it[i].offset > en->size ||
                it[i].length > en->size - it[i].offset)
                return set_bad(en, e, "%s %zu (%" PRIu64 ":%" PRIu64 ") lies beyond the size %" PRIu64,
                               en->kind == VSS_STORE_ENTRY_FILE ? "extent" : "range", i + 1,
                               it[i].offset, it[i].length, en->size);
            sum += it[i].length; /* no wrap: each lies within size < 2^63, sorted, apart */
        }
        if (sum != en->stored)
            return set_bad(en, e, "stored %" PRIu64 " is not the %s' total %" PRIu64, en->stored,
                           en->kind == VSS_STORE_ENTRY_FILE ? "extents" : "ranges", sum);
    }
    return VSS_OK;
}

/* Names given twice among the file entries, or twice among the documents:
 * each is bad, since a reader could not say which one is meant. */
static int name_cmp(const void *a, const void *b)
{
    const vss_store_entry *x = *(vss_store_entry *const *)a, *y = *(vss_store_entry *const *)b;
    int dx = x->kind == VSS_STORE_ENTRY_DOCUMENT, dy = y->kind == VSS_STORE_ENTRY_DOCUMENT;
    if (dx != dy)
        return dx - dy;
    return strcmp(x->name, y->name);
}

static int mark_duplicates(vss_store_manifest *m, vss_error *e)
{
    /* A backup with a Backup Components Document was written by a
     * backup (vss_backup): its files are named by their absolute paths,
     * the names a restore maps into file sets. */
    if (vss_store_manifest_find(m, VSS_STORE_ENTRY_DOCUMENT, VSS_STORE_COMPONENTS) != NULL)
        for (size_t i = 0; i < m->n; i++) {
            vss_store_entry *en = &m->entries[i];
            const char *f = en->kind != VSS_STORE_ENTRY_DOCUMENT ? name_fault(en->name) : NULL;
            if (f != NULL && set_bad(en, e, "malformed name: %s", f) != VSS_OK)
                return VSS_FAIL;
        }
    if (m->n < 2)
        return VSS_OK;
    vss_store_entry **v = malloc(m->n * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "manifest: out of memory");
    for (size_t i = 0; i < m->n; i++)
        v[i] = &m->entries[i];
    qsort(v, m->n, sizeof *v, name_cmp);
    int rc = VSS_OK;
    for (size_t i = 1; i < m->n && rc == VSS_OK; i++)
        if (name_cmp(&v[i - 1], &v[i]) == 0) {
            rc = set_bad(v[i - 1], e, "%s", "named twice in the backup");
            if (rc == VSS_OK)
                rc = set_bad(v[i], e, "%s", "named twice in the backup");
        }
    free(v);
    return rc;
}

static int parse_entry(parser *p, const char *line, size_t len, vss_store_entry *en)
{
    memset(en, 0, sizeof *en);
    const char *sp = memchr(line, ' ', len);
    size_t wn = sp ? (size_t)(sp - line) : len;
    int kind = -1;
    for (int k = 0; k < (p->version >= 2 ? NKINDS : 4); k++)
        if (strlen(kind_words[k]) == wn && memcmp(line, kind_words[k], wn) == 0)
            kind = k;
    if (kind < 0)
        return bad(p, "unknown entry kind '%.*s'", (int)(wn < 20 ? wn : 20), line);
    en->kind = (vss_store_kind)kind;
    size_t nparts = 0;
    unsigned seen = 0;
    const char *pos = line + wn, *end = line + len;
    while (pos < end) {
        pos++; /* the blank */
        const char *tok_end = memchr(pos, ' ', (size_t)(end - pos));
        if (tok_end == NULL)
            tok_end = end;
        const char *eq = memchr(pos, '=', (size_t)(tok_end - pos));
        if (eq == NULL) {
            size_t tn = (size_t)(tok_end - pos);
            return bad(p, "field without '=' (%.*s)", (int)(tn < 40 ? tn : 40), pos);
        }
        if (entry_field(en, pos, (size_t)(eq - pos), eq + 1, (size_t)(tok_end - eq - 1), &nparts,
                        &seen, p->version) != 0) {
            char key[40];
            snprintf(key, sizeof key, "%.*s", (int)(eq - pos > 30 ? 30 : eq - pos), pos);
            return bad(p, "bad field '%s'", key);
        }
        pos = tok_end;
    }
    unsigned need = 1;
    if (kind == VSS_STORE_ENTRY_FILE || kind == VSS_STORE_ENTRY_PARTIAL)
        need = 1 | 2 | 4 | 8;
    if (kind == VSS_STORE_ENTRY_DOCUMENT)
        need = 1 | 2 | 4;
    if (kind == VSS_STORE_ENTRY_PARTIAL)
        need |= 16;
    if (kind == VSS_STORE_ENTRY_SYMLINK || kind == VSS_STORE_ENTRY_HARDLINK)
        need |= 32;
    if (kind == VSS_STORE_ENTRY_DEVICE)
        need |= 64;
    if (kind > VSS_STORE_ENTRY_DOCUMENT && kind != VSS_STORE_ENTRY_HARDLINK && en->attrs == NULL)
        return bad(p, "%s entry lacks its attributes", kind_words[kind]);
    if ((seen & need) != need)
        return bad(p, "%s entry lacks a field", kind_words[kind]);
    if (kind == VSS_STORE_ENTRY_PARTIAL && nparts != vss_ranges_count(en->ranges))
        return bad(p, "%s", "parts do not match the ranges");
    if (en->ranges_file && en->ranges_object[0] == '\0')
        return bad(p, "%s", "ranges_file without ranges_object");
    if (en->ranges_file == NULL && (en->ranges_object[0] != '\0' || en->ranges_size != 0))
        return bad(p, "%s", "ranges_object or ranges_size without ranges_file");
    return check_entry(en, p->e);
}

static int parse_head(parser *p, const char *line, size_t len, vss_store_info *info)
{
    char buf[512];
    if (len >= sizeof buf)
        return bad(p, "%s", "backup line too long");
    memcpy(buf, line, len);
    buf[len] = '\0';
    char id[VSS_STORE_ID_MAX], type[32], base[VSS_STORE_ID_MAX], time[48];
    uint64_t files, stored;
    if (sscanf(buf, "backup id=%47s type=%31s time=%47s base=%47s files=%" SCNu64
                    " stored=%" SCNu64,
               id, type, time, base, &files, &stored) != 6)
        return bad(p, "%s", "malformed backup line");
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "%s", id);
    info->type = vss_store_type_parse(type);
    if (info->type == 0)
        return bad(p, "unknown backup type '%s'", type);
    if (parse_time(time, strlen(time), &info->time) != 0)
        return bad(p, "bad time '%s'", time);
    if (strcmp(base, "-") != 0)
        snprintf(info->base, sizeof info->base, "%s", base);
    info->files = files;
    info->stored = stored;
    return VSS_OK;
}

void store_attrs_free(vss_store_attrs *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nxattrs; i++) {
        free(a->xattrs[i].name);
        free(a->xattrs[i].value);
    }
    free(a->xattrs);
    free(a);
}

void store_entry_clear(vss_store_entry *en)
{
    free(en->name);
    vss_ranges_free(en->ranges);
    free(en->parts);
    store_attrs_free(en->attrs);
    free(en->ranges_file);
    free(en->bad);
    free(en->target);
    memset(en, 0, sizeof *en);
}

void vss_store_manifest_free(vss_store_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        store_entry_clear(&m->entries[i]);
    free(m->entries);
    free(m);
}

static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len)
        return 0;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    if (nl == NULL)
        return -1; /* an unterminated line: the file was cut */
    *line = text + *pos;
    *n = (size_t)(nl - *line);
    *pos = (size_t)(nl - text) + 1;
    return 1;
}

static int parse_body(parser *p, const char *text, size_t len, size_t pos, vss_store_manifest *m)
{
    size_t cap = 0;
    const char *line;
    size_t n;
    int r;
    while ((r = next_line(text, len, &pos, &line, &n)) == 1) {
        p->line++;
        if (n >= 4 && memcmp(line, "end ", 4) == 0) {
            size_t body = (size_t)(line - text);
            vss_digest want, got = vss_digest_of(text, body);
            uint64_t count;
            char hex[VSS_DIGEST_HEX + 8];
            char tail[128];
            snprintf(tail, sizeof tail, "%.*s", (int)(n < 127 ? n : 127), line);
            if (sscanf(tail, "end entries=%" SCNu64 " digest=%40s", &count, hex) != 2 ||
                !vss_digest_parse(hex, strlen(hex), &want))
                return bad(p, "%s", "malformed end line");
            if (!vss_digest_equal(&want, &got)) /* what it is instead is not told */
                return vss_error_set(p->e, VSS_ECORRUPT,
                                     "backup '%s': manifest damaged: digest is not %s", p->id, hex);
            if (count != m->n)
                return bad(p, "%s", "entry count disagrees");
            if (pos != len)
                return bad(p, "%s", "data after the end line");
            uint64_t files = 0, stored = 0;
            int wrapped = 0;
            for (size_t i = 0; i < m->n; i++) {
                const vss_store_entry *en = &m->entries[i];
                files += en->kind != VSS_STORE_ENTRY_DOCUMENT;
                wrapped |= __builtin_add_overflow(stored, en->stored, &stored);
                wrapped |= __builtin_add_overflow(stored, en->ranges_size, &stored);
            }
            if (files != m->info.files || wrapped || stored != m->info.stored) {
                p->line = 2;
                return bad(p, "files=%" PRIu64 " stored=%" PRIu64
                              " disagree with the entries (%" PRIu64 " files, %s%" PRIu64 " bytes)",
                           m->info.files, m->info.stored, files, wrapped ? "more than " : "",
                           stored);
            }
            return mark_duplicates(m, p->e);
        }
        if (VSS_GROW(m->entries, cap, m->n, NULL) != VSS_OK)
            return vss_error_set(p->e, ENOMEM, "backup '%s': out of memory", p->id);
        int rc = parse_entry(p, line, n, &m->entries[m->n]);
        vss_store_entry *en = &m->entries[m->n];
        en->holes_hashed = m->version == 1 && en->kind == VSS_STORE_ENTRY_FILE;
        m->n++; /* even when bad: it is freed with the rest */
        if (rc == VSS_OK && en->holes_hashed && en->bad == NULL &&
            en->size - en->stored > STORE_V1_HOLES_MAX)
            rc = set_bad(en, p->e,
                         "a version 1 entry whose digest covers %" PRIu64
                         " bytes of holes, more than a reader hashes (%llu)",
                         en->size - en->stored, STORE_V1_HOLES_MAX);
        if (rc != VSS_OK)
            return rc;
    }
    return vss_error_set(p->e, VSS_ECORRUPT, "backup '%s': manifest truncated (no end line)", p->id);
}

int store_manifest_parse(const char *text, size_t len, const char *id, int head_only,
                         vss_store_manifest **out, vss_error *e)
{
    parser p = {id, 0, e, 1};
    vss_store_manifest *m = calloc(1, sizeof *m);
    if (m == NULL)
        return vss_error_set(e, ENOMEM, "backup '%s': out of memory", id);
    size_t pos = 0, n = 0;
    const char *line = NULL;
    char magic[32];
    int rc = VSS_OK;
    p.line = 1;
    if (next_line(text, len, &pos, &line, &n) != 1 || n >= sizeof magic) {
        rc = bad(&p, "%s", "not a manifest");
    } else {
        int version = 0;
        snprintf(magic, sizeof magic, "%.*s", (int)n, line);
        if (sscanf(magic, "luavss-manifest %d", &version) != 1 || version < 1)
            rc = bad(&p, "%s", "not a manifest");
        else if (version > VSS_STORE_VERSION)
            rc = vss_error_set(e, VSS_EFORMAT, "backup '%s': manifest version %d is newer than %d",
                               id, version, VSS_STORE_VERSION);
        m->version = version;
        p.version = version;
    }
    p.line = 2;
    if (rc == VSS_OK && next_line(text, len, &pos, &line, &n) != 1)
        rc = bad(&p, "%s", "no backup line");
    if (rc == VSS_OK)
        rc = parse_head(&p, line, n, &m->info);
    if (rc == VSS_OK && strcmp(m->info.id, id) != 0)
        rc = bad(&p, "id '%s' is not the directory's", m->info.id);
    if (rc == VSS_OK && !head_only)
        rc = parse_body(&p, text, len, pos, m);
    if (rc != VSS_OK) {
        vss_store_manifest_free(m);
        return VSS_FAIL;
    }
    *out = m;
    return VSS_OK;
}

const vss_store_entry *vss_store_manifest_find(const vss_store_manifest *m, vss_store_kind kind,
                                               const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->entries[i].kind == kind && strcmp(m->entries[i].name, name) == 0)
            return &m->entries[i];
    return NULL;
}

const vss_store_entry *vss_store_manifest_writer_metadata(const vss_store_manifest *m,
                                                          const vss_store_entry *prev)
{
    for (size_t i = prev ? (size_t)(prev - m->entries) + 1 : 0; i < m->n; i++)
        if (m->entries[i].kind == VSS_STORE_ENTRY_DOCUMENT &&
            strcmp(m->entries[i].name, VSS_STORE_COMPONENTS) != 0)
            return &m->entries[i];
    return NULL;
}
