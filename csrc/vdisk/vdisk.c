/* The chain: opening a disk and its parents, reads through the layers,
 * allocation per layer, copying out. The formats are in vhdx.c and vhd.c. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "vdisk/vdisk_impl.h"

struct vss_vdisk {
    vdisk_layer *layers;
    size_t depth;
};

const char *vss_vdisk_format_name(int format)
{
    return format == VSS_VDISK_VHD ? "VHD" : format == VSS_VDISK_VHDX ? "VHDX" : "?";
}

const char *vss_vdisk_type_name(int type)
{
    switch (type) {
    case VSS_VDISK_FIXED:
        return "fixed";
    case VSS_VDISK_DYNAMIC:
        return "dynamic";
    case VSS_VDISK_DIFFERENCING:
        return "differencing";
    }
    return "?";
}

/* ---- layers ---- */

static void layer_clear(vdisk_layer *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    free(l->bat);
    free(l->bits);
    for (size_t i = 0; i < l->npatches; i++)
        free(l->patches[i].data);
    free(l->patches);
    for (size_t i = 0; i < l->info.nlocators; i++)
        free(l->info.locators[i].key), free(l->info.locators[i].value);
    free(l->info.locators);
    free((char *)l->info.path);
    memset(l, 0, sizeof *l);
    l->fd = -1;
}

static int layer_open(vdisk_layer *l, const char *path, struct stat *st, vss_error *e)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->info.path = strdup(path);
    if (l->info.path == NULL)
        return vss_error_sys(e, ENOMEM, "virtual disk '%s'", path);
    l->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (l->fd < 0)
        return vss_error_sys(e, errno, "virtual disk '%s'", path);
    if (fstat(l->fd, st) != 0)
        return vss_error_sys(e, errno, "virtual disk '%s'", path);
    if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
        return vss_error_set(e, EINVAL, "virtual disk '%s': not a regular file", path);
    off_t end = lseek(l->fd, 0, SEEK_END);
    if (end < 0)
        return vss_error_sys(e, errno, "virtual disk '%s'", path);
    l->file_size = (uint64_t)end;
    uint8_t sig[8] = {0}, foot[8] = {0};
    if (l->file_size >= 8 && vss_vdisk_pread(l, sig, 8, 0, "file signature", e) != VSS_OK)
        return VSS_FAIL;
    if (l->file_size >= 512 &&
        vss_vdisk_pread(l, foot, 8, l->file_size - 512, "VHD footer", e) != VSS_OK)
        return VSS_FAIL;
    int rc;
    vss_error sub;
    if (memcmp(sig, "vhdxfile", 8) == 0)
        rc = vss_vhdx_open_layer(l, &sub);
    else if (memcmp(foot, "conectix", 8) == 0 || memcmp(sig, "conectix", 8) == 0)
        rc = vss_vhd_open_layer(l, &sub);
    else
        return vss_error_set(e, VSS_ECORRUPT,
                             "'%s': neither a VHDX (no \"vhdxfile\" at 0) nor a VHD (no "
                             "\"conectix\" footer)",
                             path);
    if (rc != VSS_OK)
        return vss_error_set(e, sub.code, "'%s': %s", path, sub.message);
    return VSS_OK;
}

static int layer_map(vdisk_layer *l, uint64_t off, uint64_t max, int *kind, uint64_t *foff,
                     uint64_t *len, vss_error *e)
{
    if (l->info.format == VSS_VDISK_VHDX)
        return vss_vhdx_map(l, off, max, kind, foff, len, e);
    return vss_vhd_map(l, off, max, kind, foff, len, e);
}

/* ---- finding parents ---- */

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (s == NULL)
        return strdup(".");
    if (s == path)
        return strdup("/");
    return strndup(path, (size_t)(s - path));
}

static const char *win_base(const char *p)
{
    const char *b = p;
    for (const char *s = p; *s; s++)
        if (*s == '\\' || *s == '/')
            b = s + 1;
    return b;
}

static const char *locator(const vss_vdisk_info *info, const char *key)
{
    for (size_t i = 0; i < info->nlocators; i++)
        if (strcmp(info->locators[i].key, key) == 0)
            return info->locators[i].value;
    return NULL;
}

typedef struct cands {
    char *v[8];
    size_t n;
} cands;

static void cand_add(cands *c, char *p)
{
    if (p == NULL || c->n == 8) {
        free(p);
        return;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i], p) == 0) {
            free(p);
            return;
        }
    c->v[c->n++] = p;
}

static char *relative(const char *dir, const char *rel)
{
    char *r = vss_strdup_printf("%s/%s", dir, rel);
    if (r)
        for (char *s = r + strlen(dir); *s; s++)
            if (*s == '\\')
                *s = '/';
    return r;
}

static void parent_candidates(const vdisk_layer *child, const vss_vdisk_opts *o, cands *c)
{
    const vss_vdisk_info *in = &child->info;
    char *dir = dir_of(in->path);
    if (dir == NULL)
        return;
    const char *rel, *abs[3] = {NULL, NULL, NULL};
    if (in->format == VSS_VDISK_VHDX) {
        rel = locator(in, "relative_path");
        abs[0] = locator(in, "absolute_win32_path");
        abs[1] = locator(in, "volume_path");
    } else {
        rel = locator(in, "W2ru");
        abs[0] = locator(in, "W2ku");
        abs[1] = in->parent_name[0] ? in->parent_name : NULL;
    }
    if (rel)
        cand_add(c, relative(dir, rel));
    for (int i = 0; abs[i] && o && o->resolve; i++)
        cand_add(c, o->resolve(o->resolve_ctx, abs[i]));
    const char *names[3] = {rel, abs[0], abs[1]};
    for (int i = 0; i < 3; i++)
        if (names[i] && *win_base(names[i]))
            cand_add(c, vss_strdup_printf("%s/%s", dir, win_base(names[i])));
    free(dir);
}

static int check_link(const vdisk_layer *child, const vdisk_layer *parent, bool force,
                      vss_error *e)
{
    const vss_vdisk_info *c = &child->info, *p = &parent->info;
    if (c->format != p->format)
        return vss_error_set(e, VSS_ECHAIN, "'%s': its parent '%s' is a %s, not a %s", c->path,
                             p->path, vss_vdisk_format_name(p->format),
                             vss_vdisk_format_name(c->format));
    if (c->logical_sector != p->logical_sector)
        return vss_error_set(e, VSS_ECHAIN,
                             "'%s': logical sector size %u, its parent '%s' has %u", c->path,
                             c->logical_sector, p->path, p->logical_sector);
    if (vss_guid_equal(&c->parent_id, &p->id) ||
        (c->has_parent_id2 && vss_guid_equal(&c->parent_id2, &p->id)) || force)
        return VSS_OK;
    char want[VSS_GUID_BUFSIZE], got[VSS_GUID_BUFSIZE];
    vss_guid_format(&c->parent_id, VSS_GUID_BRACED, want);
    vss_guid_format(&p->id, VSS_GUID_BRACED, got);
    return vss_error_set(e, VSS_ECHAIN,
                         "'%s' links to parent %s, but '%s' is %s (%s); force to accept it",
                         c->path, want, p->path, got,
                         c->format == VSS_VDISK_VHDX ? "its DataWriteGuid" : "its unique id");
}

/* ---- open ---- */

int vss_vdisk_open(const char *path, const vss_vdisk_opts *opts, vss_vdisk **out, vss_error *e)
{
    *out = NULL;
    vss_vdisk *d = calloc(1, sizeof *d);
    struct stat *ids = calloc(VSS_VDISK_MAX_DEPTH, sizeof *ids);
    if (d == NULL || ids == NULL || !(d->layers = calloc(VSS_VDISK_MAX_DEPTH, sizeof *d->layers))) {
        free(d), free(ids);
        return vss_error_sys(e, ENOMEM, "virtual disk '%s'", path);
    }
    int rc = layer_open(&d->layers[0], path, &ids[0], e);
    d->depth = 1;
    while (rc == VSS_OK && d->layers[d->depth - 1].info.type == VSS_VDISK_DIFFERENCING) {
        vdisk_layer *child = &d->layers[d->depth - 1];
        if (d->depth == VSS_VDISK_MAX_DEPTH) {
            rc = vss_error_set(e, VSS_ECHAIN, "'%s': a chain deeper than %d layers", path,
                               VSS_VDISK_MAX_DEPTH);
            break;
        }
        vdisk_layer *pl = &d->layers[d->depth];
        struct stat *pst = &ids[d->depth];
        cands c = {{0}, 0};
        if (opts && d->depth - 1 < opts->nparents && opts->parents[d->depth - 1])
            cand_add(&c, strdup(opts->parents[d->depth - 1]));
        else
            parent_candidates(child, opts, &c);
        size_t i;
        for (i = 0; i < c.n; i++)
            if (access(c.v[i], F_OK) == 0)
                break;
        if (i == c.n) {
            char tried[1024] = "";
            for (size_t j = 0; j < c.n; j++)
                snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s'%s'",
                         j ? ", " : "", c.v[j]);
            const char *name = child->info.format == VSS_VDISK_VHDX
                                   ? locator(&child->info, "relative_path")
                                   : locator(&child->info, "W2ru");
            rc = vss_error_set(e, VSS_ECHAIN,
                               "'%s' is a differencing disk and its parent (%s) was not found%s%s",
                               child->info.path,
                               name ? name : child->info.parent_name[0] ? child->info.parent_name
                                                                         : "no locator",
                               c.n ? "; tried " : "", tried);
        } else {
            rc = layer_open(pl, c.v[i], pst, e);
            d->depth++;
            for (size_t j = 0; j + 1 < d->depth && rc == VSS_OK; j++)
                if (ids[j].st_dev == pst->st_dev && ids[j].st_ino == pst->st_ino)
                    rc = vss_error_set(e, VSS_ECHAIN,
                                       "'%s': the chain loops: the parent of layer %zu is '%s', "
                                       "layer %zu",
                                       path, d->depth - 2, pl->info.path, j);
            if (rc == VSS_OK)
                rc = check_link(child, pl, opts && opts->force, e);
        }
        for (size_t j = 0; j < c.n; j++)
            free(c.v[j]);
    }
    free(ids);
    if (rc != VSS_OK) {
        vss_vdisk_free(d);
        return VSS_FAIL;
    }
    *out = d;
    return VSS_OK;
}

void vss_vdisk_free(vss_vdisk *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->depth; i++)
        layer_clear(&d->layers[i]);
    free(d->layers);
    free(d);
}

size_t vss_vdisk_depth(const vss_vdisk *d) { return d->depth; }

const vss_vdisk_info *vss_vdisk_layer_info(const vss_vdisk *d, size_t layer)
{
    return layer < d->depth ? &d->layers[layer].info : NULL;
}

uint64_t vss_vdisk_size(const vss_vdisk *d) { return d->layers[0].info.virtual_size; }

/* ---- reads ---- */

static int read_layer(vss_vdisk *d, size_t i, uint64_t off, uint64_t len, uint8_t *buf,
                      vss_error *e)
{
    vdisk_layer *l = &d->layers[i];
    while (len > 0) {
        if (off >= l->info.virtual_size) { /* a parent smaller than its child */
            memset(buf, 0, len);
            return VSS_OK;
        }
        uint64_t max = l->info.virtual_size - off < len ? l->info.virtual_size - off : len;
        int kind;
        uint64_t foff, n;
        if (layer_map(l, off, max, &kind, &foff, &n, e) != VSS_OK)
            return VSS_FAIL;
        if (kind == VDISK_DATA) {
            /* gather the runs that follow in the file into one pread */
            uint64_t total = n;
            while (total < max) {
                int k2;
                uint64_t f2, n2;
                if (layer_map(l, off + total, max - total, &k2, &f2, &n2, e) != VSS_OK)
                    return VSS_FAIL;
                if (k2 != VDISK_DATA || f2 != foff + total)
                    break;
                total += n2;
            }
            n = total;
            if (vss_vdisk_pread(l, buf, (size_t)n, foff, "data", e) != VSS_OK)
                return VSS_FAIL;
        } else if (kind == VDISK_PARENT && i + 1 < d->depth) {
            if (read_layer(d, i + 1, off, n, buf, e) != VSS_OK)
                return VSS_FAIL;
        } else {
            memset(buf, 0, n);
        }
        off += n, len -= n, buf += n;
    }
    return VSS_OK;
}

int vss_vdisk_read(vss_vdisk *d, uint64_t off, size_t len, void *buf, vss_error *e)
{
    uint64_t size = vss_vdisk_size(d);
    if (off > size || len > size - off)
        return vss_error_set(e, EINVAL,
                             "read of %zu bytes at %llu: past the end of the disk (%llu bytes)",
                             len, (unsigned long long)off, (unsigned long long)size);
    return read_layer(d, 0, off, len, buf, e);
}

/* ---- allocation ---- */

typedef struct runs {
    vss_ranges *r;
    uint64_t start, len;
} runs;

static int run_add(runs *r, uint64_t off, uint64_t len, vss_error *e)
{
    if (r->len && r->start + r->len == off) {
        r->len += len;
        return VSS_OK;
    }
    if (r->len && vss_ranges_append(r->r, r->start, r->len, e) != VSS_OK)
        return VSS_FAIL;
    r->start = off, r->len = len;
    return VSS_OK;
}

static int run_end(runs *r, vss_error *e)
{
    if (r->len && vss_ranges_append(r->r, r->start, r->len, e) != VSS_OK)
        return VSS_FAIL;
    r->len = 0;
    return VSS_OK;
}

int vss_vdisk_allocated(vss_vdisk *d, size_t layer, vss_ranges **data, vss_ranges **zero,
                        vss_error *e)
{
    if (data)
        *data = NULL;
    if (zero)
        *zero = NULL;
    if (layer >= d->depth)
        return vss_error_set(e, EINVAL, "layer %zu: the chain has %zu", layer, d->depth);
    vdisk_layer *l = &d->layers[layer];
    runs rd = {vss_ranges_new(), 0, 0}, rz = {vss_ranges_new(), 0, 0};
    int rc = VSS_OK;
    if (rd.r == NULL || rz.r == NULL)
        rc = vss_error_sys(e, ENOMEM, "allocation of '%s'", l->info.path);
    uint64_t off = 0, size = l->info.virtual_size;
    while (rc == VSS_OK && off < size) {
        int kind;
        uint64_t foff, n;
        rc = layer_map(l, off, size - off, &kind, &foff, &n, e);
        if (rc == VSS_OK && kind == VDISK_DATA)
            rc = run_add(&rd, off, n, e);
        else if (rc == VSS_OK && (kind == VDISK_ZERO || kind == VDISK_UNDEF))
            rc = run_add(&rz, off, n, e);
        off += n;
    }
    if (rc == VSS_OK)
        rc = run_end(&rd, e);
    if (rc == VSS_OK)
        rc = run_end(&rz, e);
    if (rc != VSS_OK || !data)
        vss_ranges_free(rd.r);
    else
        *data = rd.r;
    if (rc != VSS_OK || !zero)
        vss_ranges_free(rz.r);
    else
        *zero = rz.r;
    return rc;
}

int vss_vdisk_owned(vss_vdisk *d, size_t layer, vss_ranges **out, vss_error *e)
{
    vss_ranges *a, *z;
    *out = NULL;
    if (vss_vdisk_allocated(d, layer, &a, &z, e) != VSS_OK)
        return VSS_FAIL;
    int rc = vss_ranges_union(a, z, out, e);
    vss_ranges_free(a);
    vss_ranges_free(z);
    return rc;
}

/* ---- copy out ---- */

static bool all_zero(const uint8_t *p, size_t n)
{
    static const uint8_t z[4096];
    while (n >= sizeof z) {
        if (memcmp(p, z, sizeof z) != 0)
            return false;
        p += sizeof z, n -= sizeof z;
    }
    return memcmp(p, z, n) == 0;
}

int vss_vdisk_copy_to(vss_vdisk *d, int fd, const vss_ranges *ranges, vss_error *e)
{
    uint64_t size = vss_vdisk_size(d);
    vss_ranges *held = vss_ranges_new(), *want = NULL;
    if (held == NULL)
        return vss_error_sys(e, ENOMEM, "copy");
    int rc = VSS_OK;
    for (size_t i = 0; i < d->depth && rc == VSS_OK; i++) {
        vss_ranges *a, *u;
        rc = vss_vdisk_allocated(d, i, &a, NULL, e);
        if (rc == VSS_OK) {
            rc = vss_ranges_union(held, a, &u, e);
            vss_ranges_free(a);
            if (rc == VSS_OK)
                vss_ranges_free(held), held = u;
        }
    }
    vss_ranges_clip(held, size);
    if (rc == VSS_OK && ranges) {
        const vss_range *it = vss_ranges_items(ranges);
        for (size_t i = 0; i < vss_ranges_count(ranges) && rc == VSS_OK; i++)
            if (it[i].offset > size || it[i].length > size - it[i].offset)
                rc = vss_error_set(e, EINVAL, "range %llu:%llu is past the end of the disk (%llu)",
                                   (unsigned long long)it[i].offset,
                                   (unsigned long long)it[i].length, (unsigned long long)size);
        if (rc == VSS_OK)
            rc = vss_ranges_intersection(held, ranges, &want, e);
    } else if (rc == VSS_OK) {
        want = held, held = NULL;
    }
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = rc == VSS_OK ? malloc(CHUNK) : NULL;
    if (rc == VSS_OK && buf == NULL)
        rc = vss_error_sys(e, ENOMEM, "copy");
    const vss_range *it = want ? vss_ranges_items(want) : NULL;
    for (size_t i = 0; want && i < vss_ranges_count(want) && rc == VSS_OK; i++) {
        for (uint64_t o = it[i].offset; o < it[i].offset + it[i].length && rc == VSS_OK;) {
            size_t n = it[i].offset + it[i].length - o < CHUNK ? (size_t)(it[i].offset + it[i].length - o)
                                                              : CHUNK;
            rc = vss_vdisk_read(d, o, n, buf, e);
            if (rc == VSS_OK && !all_zero(buf, n)) {
                size_t done = 0;
                while (done < n && rc == VSS_OK) {
                    ssize_t w = pwrite(fd, buf + done, n - done, (off_t)(o + done));
                    if (w < 0 && errno == EINTR)
                        continue;
                    if (w <= 0)
                        rc = vss_error_sys(e, w < 0 ? errno : EIO, "copy: write at %llu",
                                           (unsigned long long)(o + done));
                    else
                        done += (size_t)w;
                }
            }
            o += n;
        }
    }
    struct stat st;
    if (rc == VSS_OK && fstat(fd, &st) != 0)
        rc = vss_error_sys(e, errno, "copy: fstat");
    if (rc == VSS_OK && S_ISREG(st.st_mode) && (uint64_t)st.st_size < size &&
        ftruncate(fd, (off_t)size) != 0)
        rc = vss_error_sys(e, errno, "copy: extending to %llu bytes", (unsigned long long)size);
    free(buf);
    vss_ranges_free(held);
    vss_ranges_free(want);
    return rc;
}
