#include "files/fileset.h"

#include <stdlib.h>
#include <string.h>

static bool is_sep(char ch)
{
    return ch == '\\' || ch == '/';
}

static const char *skip_seps(const char *s)
{
    while (is_sep(*s))
        s++;
    return s;
}

/* Component by component, so that runs of separators count as one, as
 * vss_path_equal counts them. */
bool vss_path_within(const char *child, const char *parent)
{
    if (is_sep(*child) != is_sep(*parent))
        return false; /* rooted and relative never meet */
    const char *c = child, *p = parent;
    for (;;) {
        c = skip_seps(c);
        p = skip_seps(p);
        if (*p == '\0')
            return true;
        for (; *p != '\0' && !is_sep(*p); c++, p++)
            if (*c != *p)
                return false;
        if (*c != '\0' && !is_sep(*c))
            return false;
    }
}

bool vss_fileset_has_file(const vss_filedesc *d, const char *dir, const char *name)
{
    bool where = d->recursive ? vss_path_within(dir, d->path) : vss_path_equal(dir, d->path, 0);
    return where && vss_filespec_match(d->filespec, name, 0);
}

static bool patterns_intersect(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 4096 || nb > 4096)
        return true; /* absurd filespecs: assume the worst */
    /* Reachability over pairs of positions in the two patterns: '*' may
     * stay put while the other side consumes a character. */
    size_t w = nb + 1;
    unsigned char *seen = calloc((na + 1) * w, 1);
    size_t *stack = malloc((na + 1) * w * sizeof *stack);
    bool found = false;
    if (seen == NULL || stack == NULL) {
        free(seen);
        free(stack);
        return true;
    }
    size_t top = 0;
    stack[top++] = 0;
    seen[0] = 1;
    while (top > 0 && !found) {
        size_t s = stack[--top], i = s / w, j = s % w;
        if (i == na && j == nb) {
            found = true;
            break;
        }
        size_t next[3];
        int nn = 0;
        if (i < na && a[i] == '*')
            next[nn++] = (i + 1) * w + j;
        if (j < nb && b[j] == '*')
            next[nn++] = i * w + j + 1;
        if (i < na && j < nb) {
            bool wild = a[i] == '*' || a[i] == '?' || b[j] == '*' || b[j] == '?';
            if (wild || a[i] == b[j])
                next[nn++] = (a[i] == '*' ? i : i + 1) * w + (b[j] == '*' ? j : j + 1);
        }
        for (int k = 0; k < nn; k++) {
            if (!seen[next[k]]) {
                seen[next[k]] = 1;
                stack[top++] = next[k];
            }
        }
    }
    free(seen);
    free(stack);
    return found;
}

/* A trailing ".*" may match nothing (vss_filespec_match), so such a
 * filespec is also tried without it. */
static size_t short_form(const char *p, size_t n)
{
    return n >= 2 && p[n - 2] == '.' && p[n - 1] == '*' ? n - 2 : n;
}

bool vss_filespecs_intersect(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), sa = short_form(a, na), sb = short_form(b, nb);
    return patterns_intersect(a, na, b, nb) || patterns_intersect(a, sa, b, nb) ||
           patterns_intersect(a, na, b, sb) || patterns_intersect(a, sa, b, sb);
}

bool vss_filesets_overlap(const vss_filedesc *x, const vss_filedesc *y)
{
    bool dirs = vss_path_equal(x->path, y->path, 0) ||
                (x->recursive && vss_path_within(y->path, x->path)) ||
                (y->recursive && vss_path_within(x->path, y->path));
    return dirs && vss_filespecs_intersect(x->filespec, y->filespec);
}

