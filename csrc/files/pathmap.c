#include "files/pathmap.h"
#include "base/array.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *prefix; /* '\\' turned into '/', no trailing '/'; "" is the bare root */
    char *target; /* absolute, no trailing '/' unless it is "/" */
} mapping;

struct vss_pathmap {
    mapping *v;
    size_t n, cap;
};

static int is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* Copy s with '\\' as '/' and trailing separators dropped, keeping a lone
 * "/" when keep_root (a target may be the root, a prefix "\\" becomes ""). */
static char *normalize(const char *s, int keep_root)
{
    size_t n = strlen(s);
    while (n > 0 && is_sep(s[n - 1]))
        n--;
    if (n == 0 && keep_root && s[0] != '\0')
        n = 1;
    char *p = malloc(n + 1);
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = s[i] == '\\' ? '/' : s[i];
    p[n] = '\0';
    return p;
}

vss_pathmap *vss_pathmap_new(void)
{
    return calloc(1, sizeof(vss_pathmap));
}

void vss_pathmap_free(vss_pathmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].prefix);
        free(m->v[i].target);
    }
    free(m->v);
    free(m);
}

int vss_pathmap_add(vss_pathmap *m, const char *prefix, const char *target, vss_error *e)
{
    if (prefix == NULL || prefix[0] == '\0')
        return vss_error_set(e, EINVAL, "path_map: empty prefix");
    if (target == NULL || target[0] != '/')
        return vss_error_set(e, EINVAL, "path_map: target for '%s' must be an absolute path",
                             prefix);
    char *p = normalize(prefix, 0), *t = normalize(target, 1);
    if (p == NULL || t == NULL) {
        free(p);
        free(t);
        return vss_error_set(e, ENOMEM, "path_map: out of memory");
    }
    for (size_t i = 0; i < m->n; i++) {
        if (strcasecmp(m->v[i].prefix, p) == 0) {
            free(p);
            free(t);
            return vss_error_set(e, EINVAL, "path_map: prefix '%s' given twice", prefix);
        }
    }
    if (VSS_GROW(m->v, m->cap, m->n, NULL) != VSS_OK) {
        free(p);
        free(t);
        return vss_error_set(e, ENOMEM, "path_map: out of memory");
    }
    m->v[m->n].prefix = p;
    m->v[m->n].target = t;
    m->n++;
    return VSS_OK;
}

size_t vss_pathmap_count(const vss_pathmap *m)
{
    return m->n;
}

void vss_pathmap_get(const vss_pathmap *m, size_t i, const char **prefix, const char **target)
{
    *prefix = m->v[i].prefix;
    *target = m->v[i].target;
}

/* Does prefix (already normalized) match the start of path, ending at a
 * separator or at the end of path? */
static int prefix_applies(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        char a = prefix[i], b = path[i] == '\\' ? '/' : path[i];
        if (b == '\0')
            return 0;
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return path[n] == '\0' || is_sep(path[n]);
}

int vss_pathmap_resolve(const vss_pathmap *m, const char *path, char **out, vss_error *e)
{
    *out = NULL;
    const mapping *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < m->n; i++) {
        size_t n = strlen(m->v[i].prefix);
        if ((best == NULL || n > best_len) && prefix_applies(m->v[i].prefix, path)) {
            best = &m->v[i];
            best_len = n;
        }
    }
    if (best == NULL)
        return vss_error_set(e, ENOENT, "path_map: no prefix maps '%s'", path);
    const char *rest = path + best_len;
    size_t tlen = strlen(best->target);
    char *r = malloc(tlen + strlen(rest) + 2);
    if (r == NULL)
        return vss_error_set(e, ENOMEM, "path_map: out of memory");
    memcpy(r, best->target, tlen + 1);
    size_t len = strcmp(r, "/") == 0 ? 0 : tlen;
    while (*rest != '\0') {
        while (is_sep(*rest))
            rest++;
        size_t c = strcspn(rest, "/\\");
        if (c == 0)
            break;
        if (c == 2 && rest[0] == '.' && rest[1] == '.') {
            free(r);
            return vss_error_set(e, EINVAL, "path_map: '..' component in '%s'", path);
        }
        if (!(c == 1 && rest[0] == '.')) {
            r[len++] = '/';
            memcpy(r + len, rest, c);
            len += c;
        }
        rest += c;
    }
    r[len == 0 ? 1 : len] = '\0';
    *out = r;
    return VSS_OK;
}

bool vss_path_climbs(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return true;
    return false;
}

int vss_document_path(const vss_pathmap *m, const char *path, char **out, vss_error *e)
{
    if (m != NULL)
        return vss_pathmap_resolve(m, path, out, e);
    if (path[0] != '/')
        return vss_error_set(e, EINVAL, "'%s': not an absolute Linux path (give root = a path map)",
                             path);
    if (vss_path_climbs(path))
        return vss_error_set(e, VSS_ESCAPE, "'%s': a path from the documents holds '..'", path);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if ((*out = strndup(path, n)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    return VSS_OK;
}
