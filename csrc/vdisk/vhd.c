/* VHD v1 (Microsoft VHD specification 1.0): footer, dynamic header, parent
 * locators, BAT, per-block sector bitmaps. Big-endian. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdisk/vdisk_impl.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static uint32_t vhd_checksum(const uint8_t *p, size_t n, size_t field)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (i < field || i >= field + 4)
            sum += p[i];
    return ~sum;
}

static uint32_t vhd_checksum_sum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    return sum;
}

int vss_vhd_parse_footer(const uint8_t buf[512], uint64_t at, vhd_footer *f, vss_error *e)
{
    unsigned long long a = (unsigned long long)at;
    if (memcmp(buf, "conectix", 8) != 0)
        return vss_error_set(e, VSS_ECORRUPT, "VHD footer at 0x%llx: bad cookie", a);
    uint32_t want = be32(buf + 64), got = vhd_checksum(buf, 512, 64);
    if (want != got && !(memcmp(buf + 28, "qemu", 4) == 0 &&
                         want == ~(~got - vhd_checksum_sum(buf + 68, 16)))) {
        /* Old qemu (before 1.x) summed the footer before it set the unique
         * id; such a footer is accepted when that is its only difference. */
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD footer at 0x%llx: checksum 0x%08x, computed 0x%08x", a, want,
                             got);
    }
    if (be32(buf + 12) >> 16 != 1)
        return vss_error_set(e, VSS_ECORRUPT, "VHD footer at 0x%llx: format version 0x%08x", a,
                             be32(buf + 12));
    f->data_offset = be64(buf + 16);
    memcpy(f->creator_app, buf + 28, 4);
    f->creator_version = be32(buf + 32);
    f->current_size = be64(buf + 48);
    f->disk_type = be32(buf + 60);
    memcpy(f->unique_id.b, buf + 68, 16);
    if (f->disk_type < 2 || f->disk_type > 4)
        return vss_error_set(e, VSS_ECORRUPT, "VHD footer at 0x%llx: disk type %u", a,
                             f->disk_type);
    if (f->current_size == 0 || f->current_size % 512 || f->current_size > (UINT64_C(1) << 44))
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD footer at 0x%llx: current size %llu is not whole sectors up "
                             "to 16 TiB",
                             a, (unsigned long long)f->current_size);
    return VSS_OK;
}

int vss_vhd_parse_dynheader(const uint8_t buf[1024], uint64_t at, vhd_dynheader *h,
                            vss_error *e)
{
    unsigned long long a = (unsigned long long)at;
    if (memcmp(buf, "cxsparse", 8) != 0)
        return vss_error_set(e, VSS_ECORRUPT, "VHD dynamic header at 0x%llx: bad cookie", a);
    uint32_t want = be32(buf + 36), got = vhd_checksum(buf, 1024, 36);
    if (want != got)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD dynamic header at 0x%llx: checksum 0x%08x, computed 0x%08x", a,
                             want, got);
    h->table_offset = be64(buf + 16);
    h->max_entries = be32(buf + 28);
    h->block_size = be32(buf + 32);
    memcpy(h->parent_id.b, buf + 40, 16);
    uint32_t bs = h->block_size;
    if (bs < 512 || bs > (UINT32_C(1) << 28) || (bs & (bs - 1)))
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD dynamic header at 0x%llx: block size %u is not a power of 2 "
                             "from 512 bytes to 256 MiB",
                             a, bs);
    return VSS_OK;
}

typedef struct span {
    uint64_t off, len;
} span;

static int span_cmp(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return a->off < b->off ? -1 : a->off > b->off;
}

static int read_locators(vdisk_layer *l, const uint8_t *dh, uint64_t at, vss_error *e)
{
    char *name = vss_vdisk_utf16(dh + 64, 512, true);
    if (name) {
        snprintf(l->info.parent_name, sizeof l->info.parent_name, "%s", name);
        free(name);
    }
    for (int i = 0; i < 8; i++) {
        const uint8_t *p = dh + 576 + i * 24;
        uint32_t code = be32(p), len = be32(p + 8);
        uint64_t off = be64(p + 16);
        if (code == 0)
            continue;
        char key[5];
        memcpy(key, p, 4), key[4] = 0;
        for (int j = 0; j < 4; j++)
            if (key[j] < 32 || key[j] > 126)
                key[j] = '?';
        if (len == 0 || len > 65536 || off > l->file_size || len > l->file_size - off)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHD parent locator %d at 0x%llx: data at 0x%llx length %u "
                                 "outside the file",
                                 i + 1, (unsigned long long)(at + 576 + (uint64_t)i * 24),
                                 (unsigned long long)off, len);
        if (strcmp(key, "W2ku") != 0 && strcmp(key, "W2ru") != 0)
            continue; /* deprecated or Mac locators: not used to find a parent */
        uint8_t *buf = malloc(len);
        if (buf == NULL)
            return vss_error_sys(e, ENOMEM, "VHD parent locator");
        if (vss_vdisk_pread(l, buf, len, off, "VHD parent locator data", e) != VSS_OK) {
            free(buf);
            return VSS_FAIL;
        }
        size_t n = len & ~(size_t)1;
        while (n >= 2 && buf[n - 1] == 0 && buf[n - 2] == 0)
            n -= 2; /* NUL padding */
        char *v = vss_vdisk_utf16(buf, n, false);
        free(buf);
        if (v == NULL)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHD parent locator %d at 0x%llx: not UTF-16", i + 1,
                                 (unsigned long long)off);
        int rc = vss_vdisk_add_locator(&l->info, key, v, e);
        free(v);
        if (rc != VSS_OK)
            return rc;
    }
    return VSS_OK;
}

int vss_vhd_open_layer(vdisk_layer *l, vss_error *e)
{
    uint8_t foot[512], dh[1024];
    vhd_footer f;
    l->info.format = VSS_VDISK_VHD;
    l->info.logical_sector = l->info.physical_sector = 512;
    if (l->file_size < 512)
        return vss_error_set(e, VSS_ECORRUPT, "VHD file of %llu bytes: no footer",
                             (unsigned long long)l->file_size);
    uint64_t fat = l->file_size - 512;
    if (vss_vdisk_pread(l, foot, 512, fat, "VHD footer", e) != VSS_OK)
        return VSS_FAIL;
    vss_error fe;
    if (vss_vhd_parse_footer(foot, fat, &f, &fe) != VSS_OK) {
        /* a dynamic disk keeps a copy of its footer at 0 */
        if (vss_vdisk_pread(l, foot, 512, 0, "VHD footer copy", e) != VSS_OK ||
            vss_vhd_parse_footer(foot, 0, &f, e) != VSS_OK || f.disk_type == VSS_VDISK_FIXED) {
            *e = fe;
            return VSS_FAIL;
        }
    }
    l->info.type = (int)f.disk_type;
    l->info.virtual_size = f.current_size;
    l->info.id = f.unique_id;
    char app[5];
    for (int i = 0; i < 4; i++)
        app[i] = f.creator_app[i] >= 32 && f.creator_app[i] < 127 ? (char)f.creator_app[i] : ' ';
    app[4] = 0;
    for (int i = 3; i >= 0 && app[i] == ' '; i--)
        app[i] = 0; /* trailing blanks and NULs of the application name */
    snprintf(l->info.creator, sizeof l->info.creator, "%s %u.%u", app, f.creator_version >> 16,
             f.creator_version & 0xffff);
    if (f.disk_type == VSS_VDISK_FIXED) {
        if (f.current_size > fat)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHD footer at 0x%llx: current size %llu is past the file's "
                                 "data (%llu bytes)",
                                 (unsigned long long)fat, (unsigned long long)f.current_size,
                                 (unsigned long long)fat);
        return VSS_OK;
    }
    uint64_t dat = f.data_offset;
    if (dat < 512 || dat % 512 || dat > fat || 1024 > fat - dat)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD footer: dynamic header offset 0x%llx outside the file",
                             (unsigned long long)dat);
    if (vss_vdisk_pread(l, dh, 1024, dat, "VHD dynamic header", e) != VSS_OK)
        return VSS_FAIL;
    vhd_dynheader h;
    if (vss_vhd_parse_dynheader(dh, dat, &h, e) != VSS_OK)
        return VSS_FAIL;
    if (f.disk_type == VSS_VDISK_DIFFERENCING) {
        l->info.parent_id = h.parent_id;
        if (read_locators(l, dh, dat, e) != VSS_OK)
            return VSS_FAIL;
    }
    l->info.block_size = h.block_size;
    l->nblocks = (f.current_size + h.block_size - 1) / h.block_size;
    if (h.max_entries < l->nblocks)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD dynamic header at 0x%llx: %u BAT entries for %llu blocks",
                             (unsigned long long)dat, h.max_entries,
                             (unsigned long long)l->nblocks);
    uint64_t bat_len = (uint64_t)h.max_entries * 4;
    if (h.table_offset % 512 || h.table_offset > fat || bat_len > fat - h.table_offset)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHD dynamic header at 0x%llx: BAT at 0x%llx (%u entries) outside "
                             "the file",
                             (unsigned long long)dat, (unsigned long long)h.table_offset,
                             h.max_entries);
    l->vhd_bitmap = (uint32_t)(((h.block_size / 512 + 7) / 8 + 511) / 512 * 512);
    l->bat_count = (size_t)l->nblocks;
    uint8_t *raw = malloc(l->bat_count * 4 + 1);
    l->bat = malloc(l->bat_count * 8 + 1);
    span *s = malloc((l->bat_count + 3) * sizeof *s);
    int rc = VSS_OK;
    if (raw == NULL || l->bat == NULL || s == NULL)
        rc = vss_error_sys(e, ENOMEM, "VHD BAT of %zu entries", l->bat_count);
    else
        rc = vss_vdisk_pread(l, raw, l->bat_count * 4, h.table_offset, "VHD BAT", e);
    size_t ns = 0;
    if (rc == VSS_OK) {
        s[ns++] = (span){dat, 1024};
        s[ns++] = (span){h.table_offset, bat_len};
        uint64_t blen = (uint64_t)l->vhd_bitmap + h.block_size;
        for (size_t i = 0; i < l->bat_count && rc == VSS_OK; i++) {
            uint32_t v = be32(raw + i * 4);
            if (v == UINT32_MAX) {
                l->bat[i] = UINT64_MAX;
                continue;
            }
            uint64_t off = (uint64_t)v * 512;
            /* the last block may stop where the disk does */
            uint64_t need = (uint64_t)l->vhd_bitmap +
                            (f.current_size - i * (uint64_t)h.block_size < h.block_size
                                 ? f.current_size - i * (uint64_t)h.block_size
                                 : h.block_size);
            if (off > fat || need > fat - off)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHD BAT entry %zu at 0x%llx: block at 0x%llx past the end "
                                   "of the file's data (0x%llx)",
                                   i, (unsigned long long)(h.table_offset + i * 4),
                                   (unsigned long long)off, (unsigned long long)fat);
            l->bat[i] = off;
            s[ns++] = (span){off, need < blen ? need : blen};
        }
    }
    if (rc == VSS_OK) {
        qsort(s, ns, sizeof *s, span_cmp);
        for (size_t i = 1; i < ns && rc == VSS_OK; i++)
            if (s[i].off < s[i - 1].off + s[i - 1].len)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHD: block or table at 0x%llx overlaps the one at 0x%llx",
                                   (unsigned long long)s[i].off, (unsigned long long)s[i - 1].off);
    }
    free(raw);
    free(s);
    return rc;
}

int vss_vhd_map(vdisk_layer *l, uint64_t off, uint64_t max, int *kind, uint64_t *foff,
                uint64_t *len, vss_error *e)
{
    uint64_t n;
    if (l->info.type == VSS_VDISK_FIXED) {
        *kind = VDISK_DATA, *foff = off;
        n = l->info.virtual_size - off;
        *len = n < max ? n : max;
        return VSS_OK;
    }
    uint64_t bs = l->info.block_size, b = off / bs, in = off % bs;
    uint64_t end = (b + 1) * bs < l->info.virtual_size ? (b + 1) * bs : l->info.virtual_size;
    uint64_t v = l->bat[b];
    *foff = 0;
    if (v == UINT64_MAX) {
        *kind = VDISK_PARENT;
        n = end - off;
    } else {
        if (!(l->bits_valid && l->bits_block == b)) {
            if (l->bits_len < l->vhd_bitmap) {
                uint8_t *nb = realloc(l->bits, l->vhd_bitmap);
                if (nb == NULL)
                    return vss_error_sys(e, ENOMEM, "VHD sector bitmap");
                l->bits = nb, l->bits_len = l->vhd_bitmap;
            }
            l->bits_valid = false;
            if (vss_vdisk_pread(l, l->bits, l->vhd_bitmap, v, "VHD sector bitmap", e) != VSS_OK)
                return VSS_FAIL;
            l->bits_valid = true, l->bits_block = b;
        }
        bool set;
        uint64_t last = (end - b * bs + 511) / 512;
        uint64_t stop = vss_vdisk_bitrun(l->bits, in / 512, last, true, &set);
        n = stop * 512 - in;
        if (b * bs + stop * 512 > end)
            n = end - off;
        *kind = set ? VDISK_DATA : VDISK_PARENT;
        if (set)
            *foff = v + l->vhd_bitmap + in;
    }
    *len = n < max ? n : max;
    return VSS_OK;
}
