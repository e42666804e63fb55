/* VHDX (MS-VHDX v8.0): headers, region table, metadata, parent locator,
 * BAT, sector bitmaps. Little-endian; GUIDs in Microsoft's mixed-endian
 * layout, turned into string order (vss_guid) on reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdisk/vdisk_impl.h"

#define MiB (UINT64_C(1) << 20)
#define KiB (UINT64_C(1) << 10)

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void le_guid(const uint8_t *p, vss_guid *g)
{
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        g->b[i] = p[order[i]];
}

static bool guid_is(const vss_guid *g, const char *s)
{
    vss_guid k;
    if (vss_guid_parse(s, VSS_GUID_BARE, NULL, &k, NULL) != VSS_OK)
        return false;
    return vss_guid_equal(g, &k);
}

static bool guid_zero(const vss_guid *g)
{
    for (int i = 0; i < 16; i++)
        if (g->b[i])
            return false;
    return true;
}

#define BAT_GUID "2dc27766-f623-4200-9d64-115e9bfd4a08"
#define META_GUID "8b7ca206-4790-4b9a-b8fe-575f050f886e"
#define FILEPARAM_GUID "caa16737-fa36-4d43-b3b6-33f0aa44e76b"
#define VSIZE_GUID "2fa54224-cd1b-4876-b211-5dbed83bf4b8"
#define DISKID_GUID "beca12ab-b2e6-4523-93ef-c309e000c746"
#define LSS_GUID "8141bf1d-a96f-4709-ba47-f233a8faab5f"
#define PSS_GUID "cda348c7-445d-4471-9cc9-e9885251c556"
#define LOCATOR_GUID "a8d35f2d-b30b-454d-abf7-d3d84834ab0c"
#define LOCTYPE_GUID "b04aefb7-d19e-4a81-b789-25b8e9445913"

static uint32_t crc_with_zero_field(const uint8_t *buf, size_t n, size_t field)
{
    /* CRC-32C over n bytes with the 4-byte checksum field read as zero,
     * without writing into the caller's buffer. */
    uint8_t *copy = malloc(n);
    if (copy == NULL)
        return 0;
    memcpy(copy, buf, n);
    memset(copy + field, 0, 4);
    uint32_t c = vss_crc32c(copy, n);
    free(copy);
    return c;
}

int vss_vhdx_parse_header(const uint8_t buf[4096], uint64_t at, vhdx_header *h, vss_error *e)
{
    if (memcmp(buf, "head", 4) != 0)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX header at 0x%llx: bad signature",
                             (unsigned long long)at);
    uint32_t want = le32(buf + 4), got = crc_with_zero_field(buf, 4096, 4);
    if (want != got)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX header at 0x%llx: CRC-32C 0x%08x, computed 0x%08x",
                             (unsigned long long)at, want, got);
    h->sequence = le64(buf + 8);
    le_guid(buf + 16, &h->file_write);
    le_guid(buf + 32, &h->data_write);
    le_guid(buf + 48, &h->log_guid);
    h->log_version = le16(buf + 64);
    h->version = le16(buf + 66);
    h->log_length = le32(buf + 68);
    h->log_offset = le64(buf + 72);
    if (h->version != 1)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX header at 0x%llx: version %u, expected 1",
                             (unsigned long long)at, h->version);
    if (h->log_version != 0)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX header at 0x%llx: log version %u, expected 0",
                             (unsigned long long)at, h->log_version);
    if (h->log_length % MiB || h->log_offset % MiB || (h->log_length && h->log_offset < MiB))
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX header at 0x%llx: log at 0x%llx length 0x%x is not in whole "
                             "MiB past the first",
                             (unsigned long long)at, (unsigned long long)h->log_offset,
                             h->log_length);
    return VSS_OK;
}

int vss_vhdx_parse_region_table(const uint8_t buf[65536], uint64_t at, uint64_t file_size,
                                vhdx_region *bat, vhdx_region *meta, vss_error *e)
{
    unsigned long long a = (unsigned long long)at;
    if (memcmp(buf, "regi", 4) != 0)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX region table at 0x%llx: bad signature", a);
    uint32_t want = le32(buf + 4), got = crc_with_zero_field(buf, 65536, 4);
    if (want != got)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX region table at 0x%llx: CRC-32C 0x%08x, computed 0x%08x", a,
                             want, got);
    uint32_t n = le32(buf + 8);
    if (n > 2047)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX region table at 0x%llx: %u entries, at most 2047", a, n);
    bool have_bat = false, have_meta = false;
    vhdx_region r[2047];
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = buf + 16 + (size_t)i * 32;
        le_guid(p, &r[i].id);
        r[i].offset = le64(p + 16);
        r[i].length = le32(p + 24);
        r[i].required = le32(p + 28) & 1;
        if (r[i].offset % MiB || r[i].offset < MiB || r[i].length % MiB || r[i].length == 0 ||
            r[i].offset > file_size || r[i].length > file_size - r[i].offset)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX region table at 0x%llx: entry %u at 0x%llx length 0x%x "
                                 "is not whole MiB inside the file (size 0x%llx)",
                                 a, i + 1, (unsigned long long)r[i].offset, r[i].length,
                                 (unsigned long long)file_size);
        for (uint32_t j = 0; j < i; j++)
            if (r[i].offset < r[j].offset + r[j].length && r[j].offset < r[i].offset + r[i].length)
                return vss_error_set(e, VSS_ECORRUPT,
                                     "VHDX region table at 0x%llx: entries %u and %u overlap", a,
                                     j + 1, i + 1);
        if (guid_is(&r[i].id, BAT_GUID)) {
            if (have_bat)
                return vss_error_set(e, VSS_ECORRUPT, "VHDX region table at 0x%llx: two BATs", a);
            have_bat = true, *bat = r[i];
        } else if (guid_is(&r[i].id, META_GUID)) {
            if (have_meta)
                return vss_error_set(e, VSS_ECORRUPT,
                                     "VHDX region table at 0x%llx: two metadata regions", a);
            have_meta = true, *meta = r[i];
        } else if (r[i].required) {
            char g[VSS_GUID_BUFSIZE];
            vss_guid_format(&r[i].id, VSS_GUID_BRACED, g);
            return vss_error_set(e, ENOTSUP,
                                 "VHDX region table at 0x%llx: unknown required region %s", a, g);
        }
    }
    if (!have_bat || !have_meta)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX region table at 0x%llx: no %s region", a,
                             have_bat ? "metadata" : "BAT");
    return VSS_OK;
}

int vss_vhdx_parse_locator(const uint8_t *buf, size_t len, uint64_t at, vss_vdisk_info *info,
                           vss_error *e)
{
    unsigned long long a = (unsigned long long)at;
    if (len < 20)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX parent locator at 0x%llx: %zu bytes", a, len);
    vss_guid type;
    le_guid(buf, &type);
    if (!guid_is(&type, LOCTYPE_GUID))
        return vss_error_set(e, ENOTSUP, "VHDX parent locator at 0x%llx: unknown locator type",
                             a);
    uint16_t n = le16(buf + 18);
    if (20 + (size_t)n * 12 > len)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX parent locator at 0x%llx: %u entries do not fit in %zu bytes",
                             a, n, len);
    bool linkage = false;
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *p = buf + 20 + (size_t)i * 12;
        uint32_t ko = le32(p), vo = le32(p + 4);
        uint16_t kl = le16(p + 8), vl = le16(p + 10);
        if (kl == 0 || vl == 0 || kl % 2 || vl % 2 || ko > len || kl > len - ko || vo > len ||
            vl > len - vo)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX parent locator at 0x%llx: entry %u (key 0x%x+%u, value "
                                 "0x%x+%u) outside its %zu bytes",
                                 a, i + 1, ko, kl, vo, vl, len);
        char *k = vss_vdisk_utf16(buf + ko, kl, false), *v = vss_vdisk_utf16(buf + vo, vl, false);
        if (k == NULL || v == NULL) {
            free(k), free(v);
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX parent locator at 0x%llx: entry %u is not UTF-16", a,
                                 i + 1);
        }
        int rc = VSS_OK;
        for (size_t j = 0; j < info->nlocators && rc == VSS_OK; j++)
            if (strcmp(info->locators[j].key, k) == 0)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHDX parent locator at 0x%llx: key '%s' twice", a, k);
        if (rc == VSS_OK && (strcmp(k, "parent_linkage") == 0 ||
                             strcmp(k, "parent_linkage2") == 0)) {
            vss_guid g;
            if (vss_guid_parse(v, VSS_GUID_BRACED, k, &g, e) != VSS_OK)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHDX parent locator at 0x%llx: %s '%s' is not a {GUID}", a,
                                   k, v);
            else if (k[14] == '2') /* an all-zero parent_linkage2 names nothing */
                info->parent_id2 = g, info->has_parent_id2 = !guid_zero(&g);
            else
                info->parent_id = g, linkage = true;
        }
        if (rc == VSS_OK)
            rc = vss_vdisk_add_locator(info, k, v, e);
        free(k), free(v);
        if (rc != VSS_OK)
            return rc;
    }
    if (!linkage)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX parent locator at 0x%llx: no parent_linkage",
                             a);
    return VSS_OK;
}

int vss_vhdx_parse_metadata(const uint8_t *buf, size_t len, uint64_t at, vss_vdisk_info *info,
                            vss_error *e)
{
    unsigned long long a = (unsigned long long)at;
    if (len < 64 * KiB || memcmp(buf, "metadata", 8) != 0)
        return vss_error_set(e, VSS_ECORRUPT, "VHDX metadata table at 0x%llx: bad signature", a);
    uint16_t n = le16(buf + 10);
    if (n > 2047)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX metadata table at 0x%llx: %u entries, at most 2047", a, n);
    /* The virtual disk id is the page 83 data item (MS-VHDX 2.6.2.5). */
    enum { FP, VS, ID, LS, PS, LOC, NKNOWN };
    static const char *const ids[NKNOWN] = {FILEPARAM_GUID, VSIZE_GUID, DISKID_GUID,
                                           LSS_GUID, PSS_GUID, LOCATOR_GUID};
    static const uint32_t sizes[NKNOWN] = {8, 8, 16, 4, 4, 0};
    static const char *const names[NKNOWN] = {"file parameters", "virtual disk size",
                                             "virtual disk id (page 83 data)",
                                             "logical sector size", "physical sector size",
                                             "parent locator"};
    const uint8_t *item[NKNOWN] = {0};
    uint32_t itemlen[NKNOWN] = {0};
    uint32_t offs[2047], lens[2047];
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *p = buf + 32 + (size_t)i * 32;
        vss_guid g;
        le_guid(p, &g);
        uint32_t off = le32(p + 16), l = le32(p + 20), flags = le32(p + 24);
        offs[i] = off, lens[i] = l;
        if (l != 0 && (off < 64 * KiB || off > len || l > len - off || l > MiB))
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX metadata table at 0x%llx: item %u at 0x%x length 0x%x "
                                 "outside the region (0x%zx bytes)",
                                 a, i + 1, off, l, len);
        for (uint16_t j = 0; j < i; j++)
            if (l && lens[j] && off < offs[j] + lens[j] && offs[j] < off + l)
                return vss_error_set(e, VSS_ECORRUPT,
                                     "VHDX metadata table at 0x%llx: items %u and %u overlap", a,
                                     j + 1, i + 1);
        int k = -1;
        for (int j = 0; j < NKNOWN; j++)
            if (guid_is(&g, ids[j]))
                k = j;
        if (k < 0) {
            if (flags & 4) {
                char s[VSS_GUID_BUFSIZE];
                vss_guid_format(&g, VSS_GUID_BRACED, s);
                return vss_error_set(e, ENOTSUP,
                                     "VHDX metadata table at 0x%llx: unknown required item %s",
                                     a, s);
            }
            continue;
        }
        if (item[k])
            return vss_error_set(e, VSS_ECORRUPT, "VHDX metadata table at 0x%llx: %s twice", a,
                                 names[k]);
        if ((sizes[k] && l != sizes[k]) || l == 0)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX metadata table at 0x%llx: %s of %u bytes", a, names[k], l);
        item[k] = buf + off, itemlen[k] = l;
    }
    for (int k = FP; k <= PS; k++)
        if (!item[k])
            return vss_error_set(e, VSS_ECORRUPT, "VHDX metadata table at 0x%llx: no %s", a,
                                 names[k]);
    uint32_t bs = le32(item[FP]), fl = le32(item[FP] + 4);
    bool has_parent = fl & 2;
    info->leave_allocated = fl & 1;
    if (bs < MiB || bs > 256 * MiB || (bs & (bs - 1)))
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX file parameters at 0x%llx: block size %u is not a power of 2 "
                             "from 1 MiB to 256 MiB",
                             a + (unsigned long long)(item[FP] - buf), bs);
    info->block_size = bs;
    info->logical_sector = le32(item[LS]);
    info->physical_sector = le32(item[PS]);
    if (info->logical_sector != 512 && info->logical_sector != 4096)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX logical sector size at 0x%llx: %u, expected 512 or 4096",
                             a + (unsigned long long)(item[LS] - buf), info->logical_sector);
    if (info->physical_sector != 512 && info->physical_sector != 4096)
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX physical sector size at 0x%llx: %u, expected 512 or 4096",
                             a + (unsigned long long)(item[PS] - buf), info->physical_sector);
    info->virtual_size = le64(item[VS]);
    if (info->virtual_size == 0 || info->virtual_size % info->logical_sector ||
        info->virtual_size > (UINT64_C(64) << 40))
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX virtual disk size at 0x%llx: %llu is not a multiple of the "
                             "sector size up to 64 TiB",
                             a + (unsigned long long)(item[VS] - buf),
                             (unsigned long long)info->virtual_size);
    le_guid(item[ID], &info->virtual_disk_id);
    if (has_parent) {
        if (!item[LOC])
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX metadata table at 0x%llx: a differencing disk without a "
                                 "parent locator",
                                 a);
        if (vss_vhdx_parse_locator(item[LOC], itemlen[LOC],
                                   at + (uint64_t)(item[LOC] - buf), info, e) != VSS_OK)
            return VSS_FAIL;
        info->type = VSS_VDISK_DIFFERENCING;
    } else {
        info->type = info->leave_allocated ? VSS_VDISK_FIXED : VSS_VDISK_DYNAMIC;
    }
    return VSS_OK;
}

typedef struct span {
    uint64_t off, len;
    const char *what;
    uint64_t index;
} span;

static int span_cmp(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return a->off < b->off ? -1 : a->off > b->off;
}

int vss_vhdx_check_bat(vdisk_layer *l, uint64_t at, const vhdx_region *regions, size_t nregions,
                       vss_error *e)
{
    uint64_t cr = l->chunk_ratio, bs = l->info.block_size;
    bool diff = l->info.type == VSS_VDISK_DIFFERENCING;
    span *s = malloc((l->bat_count + nregions + 1) * sizeof *s);
    if (s == NULL)
        return vss_error_sys(e, ENOMEM, "VHDX BAT");
    size_t ns = 0;
    s[ns++] = (span){0, MiB, "the headers", 0};
    for (size_t i = 0; i < nregions; i++)
        s[ns++] = (span){regions[i].offset, regions[i].length, "a region", i};
    int rc = VSS_OK;
    for (size_t i = 0; i < l->bat_count && rc == VSS_OK; i++) {
        uint64_t v = l->bat[i], st = v & 7, off = (v >> 20) << 20;
        bool sb = (i % (cr + 1)) == cr;
        unsigned long long where = (unsigned long long)(at + i * 8);
        if (sb) {
            if (st != 0 && !(st == 6 && diff))
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHDX BAT entry %zu at 0x%llx: sector bitmap state %llu", i,
                                   where, (unsigned long long)st);
            else if (st == 6) {
                if (off < MiB || off > l->file_size || MiB > l->file_size - off)
                    rc = vss_error_set(e, VSS_ECORRUPT,
                                       "VHDX BAT entry %zu at 0x%llx: sector bitmap at 0x%llx "
                                       "past the end of the file (0x%llx)",
                                       i, where, (unsigned long long)off,
                                       (unsigned long long)l->file_size);
                else
                    s[ns++] = (span){off, MiB, "a sector bitmap block", i};
            }
            continue;
        }
        uint64_t b = i - i / (cr + 1);
        if (b >= l->nblocks) {
            if (st != 0)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHDX BAT entry %zu at 0x%llx: state %llu past the last block",
                                   i, where, (unsigned long long)st);
            continue;
        }
        if (st == 4 || st == 5 || (st == 7 && !diff)) {
            rc = vss_error_set(e, VSS_ECORRUPT,
                               "VHDX BAT entry %zu at 0x%llx (block %llu): state %llu%s", i,
                               where, (unsigned long long)b, (unsigned long long)st,
                               st == 7 ? " (partially present) in a disk without a parent"
                                       : " is reserved");
        } else if (st == 6 || st == 7) {
            uint64_t need = l->info.virtual_size - b * bs < bs ? l->info.virtual_size - b * bs
                                                                : bs;
            if (off < MiB || off > l->file_size || need > l->file_size - off)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHDX BAT entry %zu at 0x%llx (block %llu): data at 0x%llx "
                                   "past the end of the file (0x%llx)",
                                   i, where, (unsigned long long)b, (unsigned long long)off,
                                   (unsigned long long)l->file_size);
            else
                s[ns++] = (span){off, need, "a payload block", i};
            if (rc == VSS_OK && st == 7) {
                size_t sbi = (size_t)((b / cr) * (cr + 1) + cr);
                if (sbi >= l->bat_count || (l->bat[sbi] & 7) != 6)
                    rc = vss_error_set(e, VSS_ECORRUPT,
                                       "VHDX BAT entry %zu at 0x%llx (block %llu): partially "
                                       "present without a sector bitmap block",
                                       i, where, (unsigned long long)b);
            }
        }
    }
    if (rc == VSS_OK) {
        qsort(s, ns, sizeof *s, span_cmp);
        for (size_t i = 1; i < ns && rc == VSS_OK; i++)
            if (s[i].off < s[i - 1].off + s[i - 1].len)
                rc = vss_error_set(e, VSS_ECORRUPT,
                                   "VHDX BAT: %s at 0x%llx overlaps %s at 0x%llx", s[i].what,
                                   (unsigned long long)s[i].off, s[i - 1].what,
                                   (unsigned long long)s[i - 1].off);
    }
    free(s);
    return rc;
}

int vss_vhdx_open_layer(vdisk_layer *l, vss_error *e)
{
    uint8_t *buf = malloc(64 * KiB);
    uint8_t *meta = NULL;
    if (buf == NULL)
        return vss_error_sys(e, ENOMEM, "VHDX");
    int rc = VSS_FAIL;
    l->info.format = VSS_VDISK_VHDX;
    if (l->file_size < 2 * MiB) {
        vss_error_set(e, VSS_ECORRUPT, "VHDX file of %llu bytes: shorter than its headers",
                      (unsigned long long)l->file_size);
        goto out;
    }
    if (vss_vdisk_pread(l, buf, 520, 0, "VHDX file identifier", e) != VSS_OK)
        goto out;
    /* the creator is UTF-16 up to a NUL */
    {
        size_t n = 0;
        while (n < 512 && (buf[8 + n] || buf[9 + n]))
            n += 2;
        uint8_t tmp[512] = {0};
        memcpy(tmp, buf + 8, n);
        char *c = vss_vdisk_utf16(tmp, n, false);
        if (c) {
            snprintf(l->info.creator, sizeof l->info.creator, "%s", c);
            free(c);
        }
    }
    vhdx_header h[2];
    bool ok[2];
    vss_error he[2];
    for (int i = 0; i < 2; i++) {
        uint64_t at = (uint64_t)(i + 1) * 64 * KiB;
        if (vss_vdisk_pread(l, buf, 4096, at, "VHDX header", e) != VSS_OK)
            goto out;
        ok[i] = vss_vhdx_parse_header(buf, at, &h[i], &he[i]) == VSS_OK;
    }
    if (!ok[0] && !ok[1]) {
        vss_error_set(e, VSS_ECORRUPT, "VHDX: no valid header: %s; %s", he[0].message,
                      he[1].message);
        goto out;
    }
    int cur = ok[0] && (!ok[1] || h[0].sequence >= h[1].sequence) ? 0 : 1;
    l->info.current_header = cur + 1;
    l->info.other_header_valid = ok[1 - cur];
    l->info.sequence = h[cur].sequence;
    l->info.id = h[cur].data_write;
    l->info.file_write_guid = h[cur].file_write;
    l->info.log_guid = h[cur].log_guid;
    if (!guid_zero(&h[cur].log_guid)) {
        /* a log not yet replayed: replay it in memory before any other read */
        vss_error le;
        if (vss_vhdx_replay_log(l, &h[cur], &le) != VSS_OK) {
            vss_error_set(e, le.code, "VHDX header %d: pending log: %s", cur + 1, le.message);
            goto out;
        }
        l->info.log_replayed = true;
    }
    vhdx_region bat, md;
    vss_error re;
    int got = -1;
    for (int i = 0; i < 2 && got < 0; i++) {
        uint64_t at = (uint64_t)(3 + i) * 64 * KiB;
        if (vss_vdisk_pread(l, buf, 64 * KiB, at, "VHDX region table", e) != VSS_OK)
            goto out;
        if (vss_vhdx_parse_region_table(buf, at, l->file_size, &bat, &md,
                                        i == 0 ? &re : e) == VSS_OK)
            got = i;
        else if (i == 0 && re.code == ENOTSUP) {
            *e = re;
            goto out;
        }
    }
    if (got < 0)
        goto out;
    vhdx_region regions[3] = {bat, md, {.offset = h[cur].log_offset, .length = h[cur].log_length}};
    size_t nregions = h[cur].log_length ? 3 : 2;
    if (nregions == 3 && (h[cur].log_offset > l->file_size ||
                          h[cur].log_length > l->file_size - h[cur].log_offset)) {
        vss_error_set(e, VSS_ECORRUPT, "VHDX header %d: log at 0x%llx past the end of the file",
                      cur + 1, (unsigned long long)h[cur].log_offset);
        goto out;
    }
    for (size_t i = 0; i < 2 && nregions == 3; i++)
        if (regions[i].offset < regions[2].offset + regions[2].length &&
            regions[2].offset < regions[i].offset + regions[i].length) {
            vss_error_set(e, VSS_ECORRUPT, "VHDX: the log at 0x%llx overlaps the %s region",
                          (unsigned long long)regions[2].offset, i ? "metadata" : "BAT");
            goto out;
        }
    meta = malloc(md.length);
    if (meta == NULL) {
        vss_error_sys(e, ENOMEM, "VHDX metadata region");
        goto out;
    }
    if (vss_vdisk_pread(l, meta, md.length, md.offset, "VHDX metadata region", e) != VSS_OK ||
        vss_vhdx_parse_metadata(meta, md.length, md.offset, &l->info, e) != VSS_OK)
        goto out;
    uint64_t bs = l->info.block_size, lss = l->info.logical_sector;
    uint64_t cr = (UINT64_C(1) << 23) * lss / bs;
    l->chunk_ratio = (uint32_t)cr;
    l->nblocks = (l->info.virtual_size + bs - 1) / bs;
    uint64_t nbm = (l->nblocks + cr - 1) / cr;
    uint64_t count = l->info.type == VSS_VDISK_DIFFERENCING ? nbm * (cr + 1)
                                                             : l->nblocks + (l->nblocks - 1) / cr;
    if (count > bat.length / 8) {
        vss_error_set(e, VSS_ECORRUPT,
                      "VHDX BAT region at 0x%llx: %u bytes hold fewer than the %llu entries of "
                      "a %llu-byte disk",
                      (unsigned long long)bat.offset, bat.length, (unsigned long long)count,
                      (unsigned long long)l->info.virtual_size);
        goto out;
    }
    l->bat_count = (size_t)count;
    l->bat = malloc(l->bat_count * 8);
    uint8_t *raw = (uint8_t *)l->bat;
    if (l->bat == NULL) {
        vss_error_sys(e, ENOMEM, "VHDX BAT of %zu entries", l->bat_count);
        goto out;
    }
    if (vss_vdisk_pread(l, raw, l->bat_count * 8, bat.offset, "VHDX BAT", e) != VSS_OK)
        goto out;
    for (size_t i = 0; i < l->bat_count; i++)
        l->bat[i] = le64(raw + i * 8);
    if (vss_vhdx_check_bat(l, bat.offset, regions, nregions, e) != VSS_OK)
        goto out;
    rc = VSS_OK;
out:
    free(meta);
    free(buf);
    return rc;
}

static int bitmap_of(vdisk_layer *l, uint64_t b, vss_error *e)
{
    if (l->bits_valid && l->bits_block == b)
        return VSS_OK;
    uint64_t cr = l->chunk_ratio;
    size_t slice = (size_t)(l->info.block_size / l->info.logical_sector / 8);
    uint64_t sb = l->bat[(b / cr) * (cr + 1) + cr];
    uint64_t at = ((sb >> 20) << 20) + (b % cr) * slice;
    if (l->bits_len < slice) {
        uint8_t *n = realloc(l->bits, slice);
        if (n == NULL)
            return vss_error_sys(e, ENOMEM, "VHDX sector bitmap");
        l->bits = n, l->bits_len = slice;
    }
    l->bits_valid = false;
    if (vss_vdisk_pread(l, l->bits, slice, at, "VHDX sector bitmap", e) != VSS_OK)
        return VSS_FAIL;
    l->bits_valid = true, l->bits_block = b;
    return VSS_OK;
}

int vss_vhdx_map(vdisk_layer *l, uint64_t off, uint64_t max, int *kind, uint64_t *foff,
                 uint64_t *len, vss_error *e)
{
    uint64_t bs = l->info.block_size, cr = l->chunk_ratio;
    uint64_t b = off / bs, in = off % bs;
    uint64_t end = (b + 1) * bs < l->info.virtual_size ? (b + 1) * bs : l->info.virtual_size;
    uint64_t n = end - off;
    uint64_t v = l->bat[b + b / cr];
    *foff = 0;
    switch (v & 7) {
    case 0:
        *kind = VDISK_PARENT;
        break;
    case 1:
        *kind = VDISK_UNDEF;
        break;
    case 2:
    case 3:
        *kind = VDISK_ZERO;
        break;
    case 6:
        *kind = VDISK_DATA;
        *foff = ((v >> 20) << 20) + in;
        break;
    default: { /* 7: checked at open */
        if (bitmap_of(l, b, e) != VSS_OK)
            return VSS_FAIL;
        uint64_t lss = l->info.logical_sector;
        bool set;
        uint64_t s = in / lss, last = (end - b * bs + lss - 1) / lss;
        uint64_t stop = vss_vdisk_bitrun(l->bits, s, last, false, &set);
        n = stop * lss - in;
        if (b * bs + stop * lss > end)
            n = end - off;
        *kind = set ? VDISK_DATA : VDISK_PARENT;
        if (set)
            *foff = ((v >> 20) << 20) + in;
    }
    }
    *len = n < max ? n : max;
    return VSS_OK;
}
