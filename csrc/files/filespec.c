#include "files/filespec.h"

#include <stdlib.h>
#include <string.h>

static int is_sep(char c)
{
    return c == '/' || c == '\\';
}

static unsigned char fold(unsigned char c, unsigned flags)
{
    if ((flags & VSS_MATCH_CASELESS) && c >= 'A' && c <= 'Z')
        return (unsigned char)(c - 'A' + 'a');
    return c;
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (s == NULL)
        return NULL;
    char *p = strdup(s);
    if (p == NULL)
        *ok = false;
    return p;
}

int vss_filedesc_init(vss_filedesc *d, const char *path, const char *filespec, bool recursive,
                      const char *alternate_location, uint32_t backup_type_mask, vss_error *e)
{
    memset(d, 0, sizeof *d);
    if (path == NULL || path[0] == '\0')
        return vss_error_set(e, EINVAL, "path: empty");
    size_t bad = strcspn(path, "*?");
    if (path[bad] != '\0')
        return vss_error_set(e, EINVAL, "path: wildcard '%c' at position %zu in '%s'", path[bad],
                             bad + 1, path);
    if (filespec == NULL || filespec[0] == '\0')
        return vss_error_set(e, EINVAL, "filespec: empty");
    bad = strcspn(filespec, "/\\");
    if (filespec[bad] != '\0')
        return vss_error_set(e, EINVAL,
                             "filespec: directory separator at position %zu in '%s'", bad + 1,
                             filespec);
    if (alternate_location != NULL) {
        if (alternate_location[0] == '\0')
            return vss_error_set(e, EINVAL, "alternate_location: empty");
        bad = strcspn(alternate_location, "*?");
        if (alternate_location[bad] != '\0')
            return vss_error_set(e, EINVAL,
                                 "alternate_location: wildcard '%c' at position %zu in '%s'",
                                 alternate_location[bad], bad + 1, alternate_location);
    }
    bool ok = true;
    d->path = dup_or_null(path, &ok);
    d->filespec = dup_or_null(filespec, &ok);
    d->alternate_location = dup_or_null(alternate_location, &ok);
    d->recursive = recursive;
    d->backup_type_mask = backup_type_mask;
    if (!ok) {
        vss_filedesc_clear(d);
        return vss_error_set(e, ENOMEM, "file descriptor '%s': out of memory", path);
    }
    return VSS_OK;
}

int vss_filedesc_copy(vss_filedesc *dst, const vss_filedesc *src, vss_error *e)
{
    return vss_filedesc_init(dst, src->path, src->filespec, src->recursive,
                             src->alternate_location, src->backup_type_mask, e);
}

void vss_filedesc_clear(vss_filedesc *d)
{
    free(d->path);
    free(d->filespec);
    free(d->alternate_location);
    memset(d, 0, sizeof *d);
    d->backup_type_mask = VSS_FSBT_DEFAULT;
}

/* Length of p once a run of trailing separators is dropped (a lone "/"
 * stays: it is the root, not a trailing separator). */
static size_t trimmed_len(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && is_sep(p[n - 1]))
        n--;
    return n;
}

bool vss_path_equal(const char *a, const char *b, unsigned flags)
{
    size_t na = trimmed_len(a), nb = trimmed_len(b);
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (is_sep(a[i]) && is_sep(b[j])) {
            /* Runs of separators count as one, as both systems read them. */
            while (i < na && is_sep(a[i]))
                i++;
            while (j < nb && is_sep(b[j]))
                j++;
            continue;
        }
        if (fold((unsigned char)a[i], flags) != fold((unsigned char)b[j], flags))
            return false;
        i++;
        j++;
    }
    return i == na && j == nb;
}

bool vss_filedesc_same_set(const vss_filedesc *a, const vss_filedesc *b, unsigned flags)
{
    if (a->recursive != b->recursive || !vss_path_equal(a->path, b->path, flags))
        return false;
    const unsigned char *x = (const unsigned char *)a->filespec;
    const unsigned char *y = (const unsigned char *)b->filespec;
    for (; *x != '\0' && *y != '\0'; x++, y++)
        if (fold(*x, flags) != fold(*y, flags))
            return false;
    return *x == *y;
}

/* Bytes in the UTF-8 character at s (1 when s is not a valid lead byte
 * followed by its continuation bytes): '?' stands for one character, not
 * one byte, as on Windows where it is one UTF-16 unit. */
static size_t char_len(const unsigned char *s)
{
    size_t n = *s >= 0xF0 && *s <= 0xF4 ? 4 : *s >= 0xE0 ? 3 : *s >= 0xC2 && *s < 0xE0 ? 2 : 1;
    if (*s < 0xC2 || *s > 0xF4)
        return 1;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    return n;
}

/* The classic greedy matcher: on a mismatch, go back to the last '*' and
 * let it swallow one more character. Only the last star is remembered, which
 * is enough (an earlier star could only swallow what the later one can), so
 * the cost is O(len(pattern) * len(name)) at worst, never exponential. */
static bool match_glob(const unsigned char *p, const unsigned char *pend, const unsigned char *s,
                       unsigned flags)
{
    const unsigned char *star = NULL, *resume = NULL;
    while (*s != '\0') {
        if (p < pend && *p == '*') {
            while (p < pend && *p == '*')
                p++;
            if (p == pend)
                return true;
            star = p;
            resume = s;
        } else if (p < pend && *p == '?') {
            p++;
            s += char_len(s);
        } else if (p < pend && fold(*p, flags) == fold(*s, flags)) {
            p++;
            s++;
        } else if (star != NULL) {
            resume += char_len(resume);
            p = star;
            s = resume;
        } else {
            return false;
        }
    }
    while (p < pend && *p == '*')
        p++;
    return p == pend;
}

bool vss_filespec_match(const char *filespec, const char *name, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)filespec;
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(filespec);
    if (match_glob(p, p + n, s, flags))
        return true;
    /* FindFirstFile lets a trailing ".*" match nothing at the end of a name
     * (its DOS_DOT): "*.*" selects every name, "File1.*" also "File1". */
    if (n >= 2 && p[n - 2] == '.' && p[n - 1] == '*')
        return match_glob(p, p + n - 2, s, flags);
    return false;
}

bool vss_filespec_matches_all(const char *filespec)
{
    if (strcmp(filespec, "*.*") == 0)
        return true;
    for (const char *c = filespec; *c != '\0'; c++)
        if (*c != '*')
            return false;
    return filespec[0] != '\0';
}
