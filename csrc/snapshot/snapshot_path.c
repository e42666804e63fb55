/* Path strings of snapshot sets: normal forms, containment, translation
 * from an original path to its snapshot path, manifest escaping. */
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "snapshot/snapshot_internal.h"
#include "base/mem.h"

int vss_path_normalize(const char *in, char **out, vss_error *e)
{
    *out = NULL;
    if (in == NULL || in[0] != '/')
        return vss_error_set(e, EINVAL, "path '%s': an absolute path expected", in ? in : "(null)");
    size_t n = strlen(in);
    char *buf = malloc(n + 2);
    if (buf == NULL)
        return vss_error_set(e, ENOMEM, "out of memory normalizing '%s'", in);
    size_t len = 0; /* buf holds "" for "/", else "/a/b" */
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t clen = (size_t)(p - start);
        if (clen == 0 || (clen == 1 && start[0] == '.'))
            continue;
        if (clen == 2 && start[0] == '.' && start[1] == '.') {
            while (len > 0 && buf[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* drop the '/' too */
            continue;
        }
        buf[len++] = '/';
        memcpy(buf + len, start, clen);
        len += clen;
    }
    if (len == 0)
        buf[len++] = '/';
    buf[len] = '\0';
    *out = buf;
    return VSS_OK;
}

bool vss_fspath_within(const char *path, const char *root)
{
    size_t rn = strlen(root);
    if (rn == 1 && root[0] == '/')
        return path[0] == '/';
    return strncmp(path, root, rn) == 0 && (path[rn] == '\0' || path[rn] == '/');
}

int vss_path_translate(const char *path, const char *original, const char *root, char **out,
                       vss_error *e)
{
    *out = NULL;
    if (!vss_fspath_within(path, original))
        return vss_error_set(e, VSS_OBJECT_NOT_FOUND, "'%s' is not beneath '%s'", path, original);
    const char *rest = path + strlen(original);
    if (strcmp(original, "/") == 0)
        rest = path; /* "/a" beneath "/" keeps its leading '/' */
    if (strcmp(rest, "/") == 0)
        rest = "";
    *out = vss_strdup_printf("%s%s", root, rest);
    if (*out == NULL)
        return vss_error_set(e, ENOMEM, "out of memory translating '%s'", path);
    return VSS_OK;
}

char *vss_path_join(const char *dir, const char *name)
{
    size_t dn = strlen(dir);
    if (dn > 0 && dir[dn - 1] == '/')
        return vss_strdup_printf("%s%s", dir, name);
    return vss_strdup_printf("%s/%s", dir, name);
}

char *vss_path_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    if (out != NULL)
        vss_percent_encode(s, n, "", out);
    return out;
}

int vss_path_unescape(const char *s, char **out, vss_error *e)
{
    size_t n = strlen(s), bad;
    *out = malloc(n + 1);
    if (*out == NULL)
        return vss_error_set(e, ENOMEM, "out of memory reading a manifest");
    if (!vss_percent_decode(s, n, *out, &bad)) {
        free(*out);
        *out = NULL;
        return vss_error_set(e, EINVAL, "bad escape at position %zu of '%s'", bad + 1, s);
    }
    return VSS_OK;
}
