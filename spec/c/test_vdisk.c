/* The vdisk room's parsers on bytes in memory: CRC-32C, UTF-16, bit runs,
 * VHDX header, region table, metadata and locator, VHD footer and dynamic
 * header. Whole images are the specs' (spec/vdisk_spec.lua). */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "check.h"
#include "vdisk/vdisk_impl.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void putbe32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A GUID string in the file's mixed-endian layout. */
static void put_guid(uint8_t *p, const char *s)
{
    vss_guid g;
    vss_guid_parse(s, VSS_GUID_BARE, NULL, &g, NULL);
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        p[order[i]] = g.b[i];
}

static void seal(uint8_t *buf, size_t n) { put32(buf + 4, 0), put32(buf + 4, vss_crc32c(buf, n)); }

TEST(crc32c_known_values)
{
    CHECK_EQ_U64(vss_crc32c("123456789", 9), 0xE3069283u);
    CHECK_EQ_U64(vss_crc32c("", 0), 0);
    uint8_t z[32] = {0};
    CHECK_EQ_U64(vss_crc32c(z, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
}

TEST(utf16_to_utf8)
{
    const uint8_t le[] = {'a', 0, 0xe9, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0, 'x', 0};
    char *s = vss_vdisk_utf16(le, sizeof le, false);
    CHECK_STR(s, "a\xc3\xa9\xf0\x9f\x98\x80"); /* stops at the NUL */
    free(s);
    const uint8_t be[] = {0, 'C', 0, ':'};
    s = vss_vdisk_utf16(be, 4, true);
    CHECK_STR(s, "C:");
    free(s);
    const uint8_t lone[] = {0x00, 0xdc};
    CHECK(vss_vdisk_utf16(lone, 2, false) == NULL);
    CHECK(vss_vdisk_utf16(le, 3, false) == NULL);
}

TEST(bit_runs_both_orders)
{
    uint8_t bits[4] = {0x0f, 0xff, 0xff, 0x00};
    bool set;
    CHECK_EQ_U64(vss_vdisk_bitrun(bits, 0, 32, false, &set), 4);
    CHECK(set);
    CHECK_EQ_U64(vss_vdisk_bitrun(bits, 4, 32, false, &set), 8);
    CHECK(!set);
    CHECK_EQ_U64(vss_vdisk_bitrun(bits, 8, 32, false, &set), 24);
    CHECK(set);
    CHECK_EQ_U64(vss_vdisk_bitrun(bits, 24, 30, false, &set), 30);
    CHECK(!set);
    CHECK_EQ_U64(vss_vdisk_bitrun(bits, 0, 32, true, &set), 4); /* MSB first: 0000 1111 */
    CHECK(!set);
    CHECK_EQ_U64(vss_vdisk_bitrun(bits, 4, 32, true, &set), 24);
    CHECK(set);
}

static void good_header(uint8_t *h, uint64_t seq)
{
    memset(h, 0, 4096);
    memcpy(h, "head", 4);
    put64(h + 8, seq);
    put_guid(h + 32, "b298d413-f67e-412a-9a72-c7c7fc9b6cb5");
    put16(h + 66, 1);
    put32(h + 68, 1 << 20);
    put64(h + 72, 1 << 20);
    seal(h, 4096);
}

TEST(vhdx_image_header)
{
    uint8_t h[4096];
    vhdx_header out;
    vss_error e;
    good_header(h, 7);
    CHECK(vss_vhdx_parse_header(h, 0x20000, &out, &e) == VSS_OK);
    CHECK_EQ_U64(out.sequence, 7);
    char g[VSS_GUID_BUFSIZE];
    vss_guid_format(&out.data_write, VSS_GUID_BARE, g);
    CHECK_STR(g, "b298d413-f67e-412a-9a72-c7c7fc9b6cb5");
    h[300] ^= 1;
    CHECK(vss_vhdx_parse_header(h, 0x20000, &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECORRUPT);
    CHECK_CONTAINS(e.message, "VHDX header at 0x20000: CRC-32C");
    good_header(h, 7);
    put16(h + 66, 2);
    seal(h, 4096);
    CHECK(vss_vhdx_parse_header(h, 0x10000, &out, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "version 2");
    good_header(h, 7);
    put64(h + 72, 12345);
    seal(h, 4096);
    CHECK(vss_vhdx_parse_header(h, 0x10000, &out, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "whole MiB");
    good_header(h, 7);
    memcpy(h, "hea!", 4);
    CHECK(vss_vhdx_parse_header(h, 0x10000, &out, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "bad signature");
}

static uint8_t *region_table(void)
{
    uint8_t *t = calloc(1, 65536);
    memcpy(t, "regi", 4);
    put32(t + 8, 2);
    put_guid(t + 16, "2dc27766-f623-4200-9d64-115e9bfd4a08");
    put64(t + 32, 3 << 20), put32(t + 40, 1 << 20), put32(t + 44, 1);
    put_guid(t + 48, "8b7ca206-4790-4b9a-b8fe-575f050f886e");
    put64(t + 64, 2 << 20), put32(t + 72, 1 << 20), put32(t + 76, 1);
    seal(t, 65536);
    return t;
}

TEST(vhdx_region_table)
{
    uint8_t *t = region_table();
    vhdx_region bat, meta;
    vss_error e;
    CHECK(vss_vhdx_parse_region_table(t, 0x30000, 8 << 20, &bat, &meta, &e) == VSS_OK);
    CHECK_EQ_U64(bat.offset, 3 << 20);
    CHECK_EQ_U64(meta.offset, 2 << 20);
    /* past the end of a 3.5 MiB file */
    CHECK(vss_vhdx_parse_region_table(t, 0x30000, (7 << 20) / 2, &bat, &meta, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entry 1 at 0x300000 length 0x100000 is not whole MiB inside");
    /* overlapping */
    put64(t + 64, 3 << 20);
    seal(t, 65536);
    CHECK(vss_vhdx_parse_region_table(t, 0x30000, 8 << 20, &bat, &meta, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entries 1 and 2 overlap");
    /* an unknown required region */
    put64(t + 64, 2 << 20);
    put_guid(t + 48, "11111111-2222-3333-4444-555555555555");
    seal(t, 65536);
    CHECK(vss_vhdx_parse_region_table(t, 0x30000, 8 << 20, &bat, &meta, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOTSUP);
    CHECK_CONTAINS(e.message, "unknown required region {11111111-2222-3333-4444-555555555555}");
    /* not required: ignored, but then there is no metadata region */
    put32(t + 76, 0);
    seal(t, 65536);
    CHECK(vss_vhdx_parse_region_table(t, 0x30000, 8 << 20, &bat, &meta, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "no metadata region");
    /* too many entries */
    put32(t + 8, 2048);
    seal(t, 65536);
    CHECK(vss_vhdx_parse_region_table(t, 0x30000, 8 << 20, &bat, &meta, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "2048 entries, at most 2047");
    free(t);
}

/* A metadata region of 1 MiB with the five required items. */
static uint8_t *metadata(uint32_t bs, uint64_t vsize, uint32_t lss)
{
    uint8_t *m = calloc(1, 1 << 20);
    memcpy(m, "metadata", 8);
    put16(m + 10, 5);
    static const char *ids[5] = {"caa16737-fa36-4d43-b3b6-33f0aa44e76b",
                                 "2fa54224-cd1b-4876-b211-5dbed83bf4b8",
                                 "beca12ab-b2e6-4523-93ef-c309e000c746",
                                 "8141bf1d-a96f-4709-ba47-f233a8faab5f",
                                 "cda348c7-445d-4471-9cc9-e9885251c556"};
    static const uint32_t len[5] = {8, 8, 16, 4, 4};
    uint32_t off = 65536;
    for (int i = 0; i < 5; i++) {
        uint8_t *p = m + 32 + i * 32;
        put_guid(p, ids[i]);
        put32(p + 16, off), put32(p + 20, len[i]), put32(p + 24, 4);
        off += 64;
    }
    put32(m + 65536, bs);
    put64(m + 65536 + 64, vsize);
    put32(m + 65536 + 192, lss);
    put32(m + 65536 + 256, 4096);
    return m;
}

TEST(vhdx_metadata)
{
    vss_vdisk_info info;
    vss_error e;
    uint8_t *m = metadata(32 << 20, 10 << 20, 512);
    memset(&info, 0, sizeof info);
    CHECK(vss_vhdx_parse_metadata(m, 1 << 20, 2 << 20, &info, &e) == VSS_OK);
    CHECK_EQ_U64(info.block_size, 32 << 20);
    CHECK_EQ_U64(info.virtual_size, 10 << 20);
    CHECK_EQ_U64(info.physical_sector, 4096);
    CHECK(info.type == VSS_VDISK_DYNAMIC);
    free(m);
    m = metadata(3 << 20, 10 << 20, 512);
    CHECK(vss_vhdx_parse_metadata(m, 1 << 20, 2 << 20, &info, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "VHDX file parameters at 0x210000: block size 3145728");
    free(m);
    m = metadata(1 << 20, (uint64_t)65 << 40, 512);
    CHECK(vss_vhdx_parse_metadata(m, 1 << 20, 2 << 20, &info, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "VHDX virtual disk size at 0x210040");
    free(m);
    m = metadata(1 << 20, 10 << 20, 1024);
    CHECK(vss_vhdx_parse_metadata(m, 1 << 20, 2 << 20, &info, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "logical sector size at 0x2100c0: 1024");
    free(m);
    /* an item outside the region; a differencing disk without a locator */
    m = metadata(1 << 20, 10 << 20, 512);
    put32(m + 32 + 16, (1 << 20) - 4);
    CHECK(vss_vhdx_parse_metadata(m, 1 << 20, 2 << 20, &info, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "item 1 at 0xffffc length 0x8 outside the region");
    put32(m + 32 + 16, 65536);
    put32(m + 65536 + 4, 2);
    CHECK(vss_vhdx_parse_metadata(m, 1 << 20, 2 << 20, &info, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "a differencing disk without a parent locator");
    free(m);
}

static size_t put_utf16(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        p[2 * i] = (uint8_t)s[i], p[2 * i + 1] = 0;
    return 2 * n;
}

TEST(vhdx_locator)
{
    uint8_t l[512] = {0};
    put_guid(l, "b04aefb7-d19e-4a81-b789-25b8e9445913");
    put16(l + 18, 2);
    size_t at = 20 + 2 * 12;
    const char *kv[4] = {"parent_linkage", "{ff34003b-11ed-4cf8-a166-b2be05e20b80}",
                         "relative_path", ".\\p.vhdx"};
    for (int i = 0; i < 2; i++) {
        uint8_t *ent = l + 20 + i * 12;
        size_t k = put_utf16(l + at, kv[2 * i]);
        put32(ent, (uint32_t)at), put16(ent + 8, (uint16_t)k);
        at += k;
        size_t v = put_utf16(l + at, kv[2 * i + 1]);
        put32(ent + 4, (uint32_t)at), put16(ent + 10, (uint16_t)v);
        at += v;
    }
    vss_vdisk_info info;
    memset(&info, 0, sizeof info);
    vss_error e;
    CHECK(vss_vhdx_parse_locator(l, at, 0x300000, &info, &e) == VSS_OK);
    CHECK_EQ_U64(info.nlocators, 2);
    if (info.nlocators == 2)
        CHECK_STR(info.locators[1].value, ".\\p.vhdx");
    char g[VSS_GUID_BUFSIZE];
    vss_guid_format(&info.parent_id, VSS_GUID_BARE, g);
    CHECK_STR(g, "ff34003b-11ed-4cf8-a166-b2be05e20b80");
    for (size_t i = 0; i < info.nlocators; i++)
        free(info.locators[i].key), free(info.locators[i].value);
    free(info.locators);
    /* a value past the item */
    memset(&info, 0, sizeof info);
    CHECK(vss_vhdx_parse_locator(l, at - 2, 0x300000, &info, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entry 2");
    CHECK_CONTAINS(e.message, "outside its");
    for (size_t i = 0; i < info.nlocators; i++)
        free(info.locators[i].key), free(info.locators[i].value);
    free(info.locators);
}

static void vhd_seal(uint8_t *p, size_t n, size_t field)
{
    uint32_t sum = 0;
    memset(p + field, 0, 4);
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    putbe32(p + field, ~sum);
}

TEST(vhd_footer_and_dynamic_header)
{
    uint8_t f[512] = {0};
    memcpy(f, "conectix", 8);
    putbe32(f + 12, 0x00010000);
    putbe32(f + 48 + 4, 10 << 20);
    putbe32(f + 60, 3);
    vhd_seal(f, 512, 64);
    vhd_footer out;
    vss_error e;
    CHECK(vss_vhd_parse_footer(f, 0x1000, &out, &e) == VSS_OK);
    CHECK_EQ_U64(out.current_size, 10 << 20);
    CHECK_EQ_U64(out.disk_type, 3);
    f[100] = 1;
    CHECK(vss_vhd_parse_footer(f, 0x1000, &out, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "VHD footer at 0x1000: checksum");
    f[100] = 0;
    putbe32(f + 60, 5);
    vhd_seal(f, 512, 64);
    CHECK(vss_vhd_parse_footer(f, 0x1000, &out, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "disk type 5");
    uint8_t h[1024] = {0};
    memcpy(h, "cxsparse", 8);
    putbe32(h + 32, 3 << 20);
    vhd_seal(h, 1024, 36);
    vhd_dynheader dh;
    CHECK(vss_vhd_parse_dynheader(h, 512, &dh, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "block size 3145728");
    putbe32(h + 32, 2 << 20);
    vhd_seal(h, 1024, 36);
    CHECK(vss_vhd_parse_dynheader(h, 512, &dh, &e) == VSS_OK);
    CHECK_EQ_U64(dh.block_size, 2 << 20);
}

RUN_TESTS("test_vdisk", T(crc32c_known_values), T(utf16_to_utf8), T(bit_runs_both_orders),
          T(vhdx_image_header), T(vhdx_region_table), T(vhdx_metadata), T(vhdx_locator),
          T(vhd_footer_and_dynamic_header))
