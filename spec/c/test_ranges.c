/* Unit tests of csrc/ranges*.c: every function, every error message. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ranges/ranges.h"
#include "check.h"

/* Parse s (flags 0) or record a failure and return an empty list. */
static vss_ranges *P(const char *s)
{
    vss_ranges *r;
    vss_error e;
    if (vss_ranges_parse(s, strlen(s), 0, &r, &e) != VSS_OK) {
        fprintf(stderr, "  parse '%s': %s\n", s, e.message);
        check_failures_in_test++;
        return vss_ranges_new();
    }
    return r;
}

/* The canonical form of r, in a static buffer (tests only). */
static const char *F(const vss_ranges *r)
{
    static char buf[4096];
    char *s = vss_ranges_format(r, NULL);
    snprintf(buf, sizeof buf, "%s", s != NULL ? s : "(format failed)");
    free(s);
    return buf;
}

/* Parsing s with flags fails with code EINVAL and a message holding each
 * of the needles (NULL-terminated). */
static void expect_parse_error(const char *s, unsigned flags, const char *needle1,
                               const char *needle2)
{
    vss_ranges *r = (vss_ranges *)&r; /* must be reset to NULL */
    vss_error e;
    vss_error_clear(&e);
    int rc = vss_ranges_parse(s, strlen(s), flags, &r, &e);
    CHECK(rc == VSS_FAIL);
    CHECK(r == NULL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, needle1);
    if (needle2 != NULL)
        CHECK_CONTAINS(e.message, needle2);
    if (rc == VSS_OK)
        vss_ranges_free(r);
}

/* A fresh directory under /tmp, removed by rm_dir. */
static char *tmp_dir(void)
{
    char *d = strdup("/tmp/luavss-ctest.XXXXXX");
    if (d == NULL || mkdtemp(d) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

static void rm_dir(char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", d);
    free(d);
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, data, n) == (ssize_t)n);
    close(fd);
}

/* ---- container ------------------------------------------------------ */

TEST(new_append_count_items_clone)
{
    vss_ranges *r = vss_ranges_new();
    CHECK(r != NULL);
    CHECK_EQ_U64(vss_ranges_count(r), 0);
    for (uint64_t i = 0; i < 1000; i++) /* grows past the first capacity many times */
        CHECK(vss_ranges_append(r, i * 10, i, NULL) == VSS_OK);
    CHECK_EQ_U64(vss_ranges_count(r), 1000);
    CHECK_EQ_U64(vss_ranges_items(r)[999].offset, 9990);
    CHECK_EQ_U64(vss_ranges_items(r)[999].length, 999);
    vss_ranges *c = vss_ranges_clone(r);
    CHECK(c != NULL);
    CHECK_EQ_U64(vss_ranges_count(c), 1000);
    CHECK(memcmp(vss_ranges_items(c), vss_ranges_items(r), 1000 * sizeof(vss_range)) == 0);
    vss_ranges_free(r);
    vss_ranges_free(c);
    vss_ranges *empty = vss_ranges_new();
    c = vss_ranges_clone(empty);
    CHECK(c != NULL && vss_ranges_count(c) == 0);
    vss_ranges_free(empty);
    vss_ranges_free(c);
    vss_ranges_free(NULL);
}

TEST(append_rejects_offset_plus_length_overflow)
{
    vss_ranges *r = vss_ranges_new();
    vss_error e;
    CHECK(vss_ranges_append(r, UINT64_MAX, 0, &e) == VSS_OK);
    CHECK(vss_ranges_append(r, UINT64_MAX - 5, 5, &e) == VSS_OK);
    CHECK(vss_ranges_append(r, UINT64_MAX - 5, 6, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "entry 3");
    CHECK_CONTAINS(e.message, "exceeds 2^64-1");
    CHECK_EQ_U64(vss_ranges_count(r), 2);
    vss_ranges_free(r);
}

TEST(total_sums_and_detects_overflow)
{
    vss_ranges *r = P("0:512,1024:512,4096:512");
    uint64_t t = 0;
    CHECK(vss_ranges_total(r, &t, NULL) == VSS_OK);
    CHECK_EQ_U64(t, 1536);
    vss_ranges_free(r);
    r = P("0:0x8000000000000000,0:0x8000000000000000");
    vss_error e;
    CHECK(vss_ranges_total(r, &t, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ERANGE);
    CHECK_CONTAINS(e.message, "entry 2");
    vss_ranges_free(r);
    r = vss_ranges_new();
    CHECK(vss_ranges_total(r, &t, NULL) == VSS_OK);
    CHECK_EQ_U64(t, 0);
    vss_ranges_free(r);
}

/* ---- parse and format ----------------------------------------------- */

TEST(parse_inline_forms)
{
    vss_ranges *r = P("64:448,0x1239E8577A:65536"); /* the example of the VSS docs */
    CHECK_EQ_U64(vss_ranges_count(r), 2);
    CHECK_EQ_U64(vss_ranges_items(r)[1].offset, 0x1239E8577Aull);
    CHECK_STR(F(r), "64:448,78280939386:65536");
    vss_ranges_free(r);
    r = P(" 1 : 2 ,\t3:4 , 0X10:0xff \n");
    CHECK_STR(F(r), "1:2,3:4,16:255");
    vss_ranges_free(r);
    r = P("007:010"); /* leading zeros are decimal, not octal */
    CHECK_STR(F(r), "7:10");
    vss_ranges_free(r);
    r = P("18446744073709551615:0,0:0xFFFFFFFFFFFFFFFF,0x0000000000000000001:1");
    CHECK_STR(F(r), "18446744073709551615:0,0:18446744073709551615,1:1");
    vss_ranges_free(r);
}

TEST(empty_and_blank_strings_are_the_empty_list)
{
    vss_ranges *r = P("");
    CHECK_EQ_U64(vss_ranges_count(r), 0);
    CHECK_STR(F(r), "");
    vss_ranges_free(r);
    r = P("  \t ");
    CHECK_EQ_U64(vss_ranges_count(r), 0);
    vss_ranges_free(r);
}

TEST(parse_errors_name_entry_position_and_reason)
{
    expect_parse_error("1:2,,3:4", 0, "entry 2 at position 5", "empty entry");
    expect_parse_error("1:2,", 0, "entry 2 at position 5", "empty entry");
    expect_parse_error(",1:2", 0, "entry 1 at position 1", "empty entry");
    expect_parse_error("12", 0, "entry 1 at position 3", "missing ':'");
    expect_parse_error("1:2,12 34", 0, "entry 2 at position 8", "unexpected '3' after the offset");
    expect_parse_error("1a:2", 0, "position 2", "unexpected 'a' after the offset");
    expect_parse_error("1:2b", 0, "position 4", "unexpected 'b' after the length");
    expect_parse_error(":5", 0, "position 1", "where the offset should start");
    expect_parse_error("5:", 0, "position 3", "missing length");
    expect_parse_error("5:,6:1", 0, "entry 1 at position 3", "where the length should start");
    expect_parse_error("-1:2", 0, "unexpected '-'", NULL);
    expect_parse_error("+1:2", 0, "unexpected '+'", NULL);
    expect_parse_error("0x:1", 0, "position 1", "no hex digits after 0x");
    expect_parse_error("1:0xg", 0, "length: no hex digits", NULL);
    expect_parse_error("1;2", 0, "unexpected ';'", NULL);
    expect_parse_error("1:2:3", 0, "unexpected ':' after the length", NULL);
    expect_parse_error("1:2\x01", 0, "unexpected \\x01", NULL);
}

TEST(parse_rejects_values_above_2_64_minus_1)
{
    expect_parse_error("18446744073709551616:0", 0, "entry 1 at position 1",
                       "offset exceeds 2^64-1");
    expect_parse_error("0:99999999999999999999", 0, "length exceeds 2^64-1", NULL);
    expect_parse_error("1:1,0x10000000000000000:0", 0, "entry 2 at position 5",
                       "offset exceeds 2^64-1");
    expect_parse_error("0:0x1FFFFFFFFFFFFFFFF", 0, "length exceeds 2^64-1", NULL);
    expect_parse_error("18446744073709551615:1", 0, "entry 1 at position 1",
                       "offset + length exceeds 2^64-1");
    expect_parse_error("0:1,0xFFFFFFFFFFFFFFF0:0x11", 0, "entry 2",
                       "offset + length exceeds 2^64-1");
}

TEST(parse_with_embedded_nul_uses_the_length)
{
    vss_ranges *r;
    vss_error e;
    CHECK(vss_ranges_parse("1:2\0" "3:4", 7, 0, &r, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "unexpected \\x00");
    CHECK(vss_ranges_parse("1:2,3:4", 3, 0, &r, &e) == VSS_OK); /* only "1:2" */
    CHECK_STR(F(r), "1:2");
    vss_ranges_free(r);
}

TEST(zero_length_entries_rejected_only_when_asked)
{
    vss_ranges *r = P("0:0,5:0");
    CHECK_EQ_U64(vss_ranges_count(r), 2);
    vss_ranges_free(r);
    expect_parse_error("1:1,5:0", VSS_RANGES_NO_ZERO, "entry 2 at position 5",
                       "zero-length entry");
    expect_parse_error("5:0", VSS_RANGES_STRICT, "entry 1", "zero-length entry");
}

TEST(strict_rejects_unsorted_and_overlapping)
{
    expect_parse_error("0:10,20:5,15:1", VSS_RANGES_STRICT, "entry 3 at position 11", "not sorted");
    expect_parse_error("0:10,5:10", VSS_RANGES_STRICT, "entry 2 at position 6",
                       "overlaps the previous entry");
    vss_ranges *r;
    CHECK(vss_ranges_parse("0:10,10:10,30:1", 15, VSS_RANGES_STRICT, &r, NULL) == VSS_OK);
    CHECK_EQ_U64(vss_ranges_count(r), 3); /* adjacent is not overlapping */
    vss_ranges_free(r);
    r = P("20:5,0:10,5:10"); /* foreign writers' lists are accepted as written */
    CHECK_STR(F(r), "20:5,0:10,5:10");
    vss_ranges_free(r);
}

TEST(check_applies_the_same_rules)
{
    vss_ranges *r = P("0:10,20:5,15:1");
    vss_error e;
    CHECK(vss_ranges_check(r, 0, &e) == VSS_OK);
    CHECK(vss_ranges_check(r, VSS_RANGES_NO_ZERO, &e) == VSS_OK);
    CHECK(vss_ranges_check(r, VSS_RANGES_STRICT, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "entry 3 (15:1)");
    CHECK_CONTAINS(e.message, "not sorted");
    vss_ranges_free(r);
    r = P("0:10,3:0");
    CHECK(vss_ranges_check(r, VSS_RANGES_NO_ZERO, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entry 2 (3:0): zero-length entry");
    vss_ranges_free(r);
    r = P("0:10,3:1");
    CHECK(vss_ranges_check(r, VSS_RANGES_STRICT, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entry 2 (3:1): overlaps");
    vss_ranges_free(r);
}

TEST(format_entries_previews_a_slice)
{
    vss_ranges *r = P("1:2,30:40,500:600");
    char buf[3 * VSS_RANGES_MAX_ENTRY_CHARS];
    size_t n = vss_ranges_format_entries(r, 1, 2, buf);
    CHECK(n == strlen("30:40,500:600") && memcmp(buf, "30:40,500:600", n) == 0);
    CHECK_EQ_U64(vss_ranges_format_entries(r, 0, 0, buf), 0);
    vss_ranges_free(r);
    r = P("18446744073709551615:0");
    CHECK_EQ_U64(vss_ranges_format_entries(r, 0, 1, buf), 22);
    vss_ranges_free(r);
}

TEST(is_inline_and_file_reference)
{
    CHECK(vss_ranges_is_inline("1:2, 3:4", 8));
    CHECK(vss_ranges_is_inline("", 0));
    CHECK(!vss_ranges_is_inline("1:2,", 4));
    CHECK(!vss_ranges_is_inline("18446744073709551616:0", 22));
    const char *path = NULL;
    CHECK(vss_ranges_file_reference("File=/backup/db.ranges", &path));
    CHECK_STR(path, "/backup/db.ranges");
    CHECK(vss_ranges_file_reference("fILe=C:\\ranges.bin", &path));
    CHECK_STR(path, "C:\\ranges.bin");
    CHECK(vss_ranges_file_reference("/var/lib/db.ranges", &path));
    CHECK_STR(path, "/var/lib/db.ranges");
    CHECK(vss_ranges_file_reference("ranges.bin", &path));
    CHECK_STR(path, "ranges.bin");
    CHECK(vss_ranges_file_reference("1:2,x", &path)); /* not the grammar: a path, as VSS says */
    CHECK_STR(path, "1:2,x");
    path = NULL;
    CHECK(!vss_ranges_file_reference("64:448,0x1239E8577A:65536", &path));
    CHECK(!vss_ranges_file_reference("", &path));
    CHECK(!vss_ranges_file_reference("File=", &path));
    CHECK(path == NULL);
}

/* ---- ranges file ---------------------------------------------------- */

TEST(save_writes_little_endian_and_load_reads_it_back)
{
    char *d = tmp_dir(), path[512];
    snprintf(path, sizeof path, "%s/r.bin", d);
    vss_ranges *r = P("1:2,0x0102030405060708:16");
    vss_error e;
    CHECK(vss_ranges_save(r, path, &e) == VSS_OK);
    unsigned char want[8 + 32] = {2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                  2, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1,
                                  16, 0, 0, 0, 0, 0, 0, 0};
    unsigned char got[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(read(fd, got, sizeof got) == (ssize_t)sizeof want);
    close(fd);
    CHECK(memcmp(got, want, sizeof want) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    vss_ranges *back;
    CHECK(vss_ranges_load(path, &back, &e) == VSS_OK);
    CHECK_STR(F(back), "1:2,72623859790382856:16");
    vss_ranges_free(back);
    /* Replacing keeps the mode and leaves no temporary behind. */
    CHECK(chmod(path, 0640) == 0);
    vss_ranges *empty = vss_ranges_new();
    CHECK(vss_ranges_save(empty, path, &e) == VSS_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_size == 8);
    CHECK(vss_ranges_load(path, &back, &e) == VSS_OK);
    CHECK_EQ_U64(vss_ranges_count(back), 0);
    vss_ranges_free(back);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", d);
    CHECK(system(cmd) == 0);
    vss_ranges_free(empty);
    vss_ranges_free(r);
    rm_dir(d);
}

/* One reading of "a ranges string or a ranges file", for partial files
 * and directed targets alike: flags apply to either form. */
TEST(resolve_reads_either_form)
{
    char *d = tmp_dir(), path[512], ref[600];
    snprintf(path, sizeof path, "%s/r.bin", d);
    vss_ranges *r = P("20:10,0:10");
    vss_error e;
    CHECK(vss_ranges_save(r, path, &e) == VSS_OK);
    vss_ranges *got;
    const char *file = "unset";
    CHECK(vss_ranges_resolve("5:5,0x10:1", 0, &got, &file, &e) == VSS_OK);
    CHECK(file == NULL);
    CHECK_STR(F(got), "5:5,16:1");
    vss_ranges_free(got);
    snprintf(ref, sizeof ref, "file=%s", path);
    CHECK(vss_ranges_resolve(ref, 0, &got, &file, &e) == VSS_OK);
    CHECK_STR(file, path);
    CHECK_STR(F(got), "20:10,0:10");
    vss_ranges_free(got);
    CHECK(vss_ranges_resolve(path, 0, &got, NULL, &e) == VSS_OK); /* a bare path */
    vss_ranges_free(got);
    CHECK(vss_ranges_resolve(path, VSS_RANGES_STRICT, &got, NULL, &e) == VSS_FAIL);
    CHECK(got == NULL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, path);
    CHECK_CONTAINS(e.message, "not sorted");
    CHECK(vss_ranges_resolve("10:1,0:1", VSS_RANGES_STRICT, &got, NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "not sorted");
    CHECK(vss_ranges_resolve("File=", 0, &got, &file, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "names no ranges file");
    snprintf(ref, sizeof ref, "File=%s/none", d);
    CHECK(vss_ranges_resolve(ref, 0, &got, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    vss_ranges_free(r);
    rm_dir(d);
}

/* read_file: the bytes and the ranges of one read; decode: the same format
 * from memory, with load's checks. */
TEST(read_file_gives_bytes_and_their_ranges)
{
    char *d = tmp_dir(), path[512];
    snprintf(path, sizeof path, "%s/r.bin", d);
    vss_ranges *r = P("1:2,4096:16");
    vss_error e;
    CHECK(vss_ranges_save(r, path, &e) == VSS_OK);
    vss_ranges *got;
    void *bytes;
    size_t len;
    CHECK(vss_ranges_read_file(path, &got, &bytes, &len, &e) == VSS_OK);
    CHECK_EQ_U64(len, 8 + 2 * 16);
    CHECK_STR(F(got), "1:2,4096:16");
    vss_ranges *again;
    CHECK(vss_ranges_decode(bytes, len, "mem", &again, &e) == VSS_OK);
    CHECK_STR(F(again), "1:2,4096:16");
    vss_ranges_free(again);
    CHECK(vss_ranges_decode(bytes, len - 1, "mem", &again, &e) == VSS_FAIL);
    CHECK(again == NULL);
    CHECK_CONTAINS(e.message, "'mem': count 2 disagrees with the size 39");
    CHECK(vss_ranges_decode(bytes, 7, "mem", &again, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "truncated: 7 bytes");
    unsigned char over[8 + 16] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80,
                                  0, 0, 0, 0, 0, 0, 0, 0x80};
    CHECK(vss_ranges_decode(over, sizeof over, "mem", &again, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "exceeds 2^64-1");
    free(bytes);
    vss_ranges_free(got);
    CHECK(vss_ranges_read_file(d, &got, &bytes, &len, &e) == VSS_FAIL); /* a directory */
    CHECK(got == NULL && bytes == NULL);
    CHECK_CONTAINS(e.message, "not a regular file");
    vss_ranges_free(r);
    rm_dir(d);
}

TEST(save_reports_unwritable_places)
{
    vss_ranges *r = P("1:2");
    vss_error e;
    CHECK(vss_ranges_save(r, "/nonexistent-dir/r.bin", &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "'/nonexistent-dir/r.bin'");
    char *d = tmp_dir();
    CHECK(vss_ranges_save(r, d, &e) == VSS_FAIL); /* a directory is in the way */
    CHECK_CONTAINS(e.message, "rename");
    rm_dir(d);
    vss_ranges_free(r);
}

/* Write count then `pairs` u64 values (already LE on this host) to path. */
static void write_raw(const char *path, uint64_t count, const uint64_t *pairs, size_t nvalues,
                      size_t extra_bytes)
{
    unsigned char buf[256] = {0};
    uint64_t c = htole64(count);
    memcpy(buf, &c, 8);
    for (size_t i = 0; i < nvalues; i++) {
        uint64_t v = htole64(pairs[i]);
        memcpy(buf + 8 + 8 * i, &v, 8);
    }
    write_file(path, buf, 8 + 8 * nvalues + extra_bytes);
}

static void expect_load_error(const char *path, int code, const char *needle)
{
    vss_ranges *r = (vss_ranges *)&r;
    vss_error e;
    CHECK(vss_ranges_load(path, &r, &e) == VSS_FAIL);
    CHECK(r == NULL);
    CHECK_CODE(e.code, code);
    CHECK_CONTAINS(e.message, needle);
    CHECK_CONTAINS(e.message, path);
}

TEST(load_rejects_bad_files)
{
    char *d = tmp_dir(), path[512];
    snprintf(path, sizeof path, "%s/r.bin", d);
    uint64_t pairs[4] = {1, 2, 3, 4};
    write_raw(path, 2, pairs, 3, 0); /* count 2, one and a half pairs */
    expect_load_error(path, EINVAL, "count 2 disagrees with the size 32");
    write_raw(path, 1, pairs, 4, 0); /* count 1, two pairs */
    expect_load_error(path, EINVAL, "count 1 disagrees with the size 40");
    write_raw(path, 1, pairs, 2, 3); /* trailing bytes */
    expect_load_error(path, EINVAL, "disagrees");
    write_raw(path, UINT64_MAX / 8, pairs, 2, 0); /* a count that would overflow 8+16n */
    expect_load_error(path, EINVAL, "disagrees");
    write_file(path, "\1\0\0", 3);
    expect_load_error(path, EINVAL, "truncated: 3 bytes");
    write_file(path, "", 0);
    expect_load_error(path, EINVAL, "truncated: 0 bytes");
    uint64_t bad[2] = {UINT64_MAX, 1};
    write_raw(path, 1, bad, 2, 0);
    expect_load_error(path, EINVAL, "entry 1: offset 18446744073709551615 + length 1");
    snprintf(path, sizeof path, "%s/missing.bin", d);
    expect_load_error(path, ENOENT, "No such file");
    expect_load_error(d, EINVAL, "not a regular file");
    snprintf(path, sizeof path, "%s/fifo", d);
    CHECK(mkfifo(path, 0600) == 0);
    expect_load_error(path, EINVAL, "not a regular file"); /* and does not hang */
    rm_dir(d);
}

/* ---- operations ----------------------------------------------------- */

TEST(normalize_sorts_merges_and_drops_empty)
{
    vss_ranges *r = P("50:10,0:10,5:10,15:5,40:0,60:5,100:1,99:3,200:0");
    vss_ranges_normalize(r);
    CHECK_STR(F(r), "0:20,50:15,99:3");
    vss_ranges_free(r);
    r = P("0:100,10:5,20:5");
    vss_ranges_normalize(r);
    CHECK_STR(F(r), "0:100");
    vss_ranges_free(r);
    r = P("18446744073709551610:5,0:0");
    vss_ranges_normalize(r);
    CHECK_STR(F(r), "18446744073709551610:5");
    vss_ranges_free(r);
    r = P("");
    vss_ranges_normalize(r);
    CHECK_EQ_U64(vss_ranges_count(r), 0);
    vss_ranges_free(r);
}

static void expect_overlap(const char *s, bool want, size_t wi, size_t wj)
{
    vss_ranges *r = P(s);
    size_t i = 99, j = 99;
    CHECK(vss_ranges_overlap(r, &i, &j) == want);
    if (want) {
        CHECK_EQ_U64(i, wi);
        CHECK_EQ_U64(j, wj);
    }
    CHECK(vss_ranges_overlap(r, NULL, NULL) == want);
    vss_ranges_free(r);
}

TEST(overlap_finds_a_pair)
{
    expect_overlap("", false, 0, 0);
    expect_overlap("0:10,10:10,20:1", false, 0, 0);
    expect_overlap("0:10,9:10", true, 0, 1);
    expect_overlap("0:100,200:5,50:1", true, 0, 2);   /* unsorted */
    expect_overlap("0:100,100:5,150:1,99:0", false, 0, 0); /* zero length overlaps nothing */
    expect_overlap("0:100,10:0,20:1", true, 0, 2);    /* contained, reaching back */
    expect_overlap("30:5,0:10,12:3,5:1", true, 1, 3);
}

TEST(clip_cuts_to_the_size_keeping_order)
{
    vss_ranges *r = P("100:50,0:10,140:0,90:20,150:1,5:0");
    vss_ranges_clip(r, 100);
    CHECK_STR(F(r), "0:10,90:10,5:0");
    vss_ranges_clip(r, 0);
    CHECK_EQ_U64(vss_ranges_count(r), 0);
    vss_ranges_free(r);
    r = P("0:18446744073709551615");
    vss_ranges_clip(r, UINT64_MAX);
    CHECK_STR(F(r), "0:18446744073709551615");
    vss_ranges_free(r);
}

typedef int (*setop)(const vss_ranges *, const vss_ranges *, vss_ranges **, vss_error *);

static void expect_setop(setop op, const char *a, const char *b, const char *want)
{
    vss_ranges *ra = P(a), *rb = P(b), *out = NULL;
    CHECK(op(ra, rb, &out, NULL) == VSS_OK);
    CHECK(out != NULL);
    if (out != NULL)
        CHECK_STR(F(out), want);
    vss_ranges_free(out);
    vss_ranges_free(ra);
    vss_ranges_free(rb);
}

TEST(set_operations)
{
    expect_setop(vss_ranges_union, "0:10,30:10", "10:5,35:10,100:0", "0:15,30:15");
    expect_setop(vss_ranges_union, "", "", "");
    expect_setop(vss_ranges_union, "5:5", "", "5:5");
    expect_setop(vss_ranges_intersection, "0:100", "10:10,50:60", "10:10,50:50");
    expect_setop(vss_ranges_intersection, "0:10,20:10", "5:20", "5:5,20:5");
    expect_setop(vss_ranges_intersection, "0:10", "10:10", "");
    expect_setop(vss_ranges_intersection, "0:10,0:10", "0:5,5:5", "0:10"); /* inputs normalized */
    expect_setop(vss_ranges_difference, "0:100", "10:10,50:60", "0:10,20:30");
    expect_setop(vss_ranges_difference, "0:10,20:10", "0:30", "");
    expect_setop(vss_ranges_difference, "0:10,20:10", "", "0:10,20:10");
    expect_setop(vss_ranges_difference, "30:10,0:10", "5:1,8:25", "0:5,6:2,33:7");
    expect_setop(vss_ranges_difference, "0:18446744073709551615", "1:18446744073709551613",
                 "0:1,18446744073709551614:1");
}

TEST(map_builds_the_directed_copy_plan)
{
    vss_ranges *src = P("0:512,4096:1024"), *dst = P("8192:512,0:1024");
    vss_range_copy *plan;
    size_t n;
    vss_error e;
    CHECK(vss_ranges_map(src, dst, &plan, &n, &e) == VSS_OK);
    CHECK_EQ_U64(n, 2);
    CHECK_EQ_U64(plan[0].src_offset, 0);
    CHECK_EQ_U64(plan[0].dst_offset, 8192);
    CHECK_EQ_U64(plan[0].length, 512);
    CHECK_EQ_U64(plan[1].src_offset, 4096);
    CHECK_EQ_U64(plan[1].dst_offset, 0);
    CHECK_EQ_U64(plan[1].length, 1024);
    free(plan);
    vss_ranges_free(dst);
    dst = P("0:512");
    CHECK(vss_ranges_map(src, dst, &plan, &n, &e) == VSS_FAIL);
    CHECK(plan == NULL && n == 0);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "source has 2 ranges, the destination 1");
    vss_ranges_free(dst);
    dst = P("0:512,1:1023");
    CHECK(vss_ranges_map(src, dst, &plan, &n, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entry 2 has source length 1024 but destination length 1023");
    vss_ranges_free(dst);
    vss_ranges_free(src);
    src = P("");
    CHECK(vss_ranges_map(src, src, &plan, &n, &e) == VSS_OK);
    CHECK(n == 0);
    free(plan);
    vss_ranges_free(src);
}

RUN_TESTS("test_ranges", T(new_append_count_items_clone),
          T(append_rejects_offset_plus_length_overflow), T(total_sums_and_detects_overflow),
          T(parse_inline_forms), T(empty_and_blank_strings_are_the_empty_list),
          T(parse_errors_name_entry_position_and_reason),
          T(parse_rejects_values_above_2_64_minus_1), T(parse_with_embedded_nul_uses_the_length),
          T(zero_length_entries_rejected_only_when_asked),
          T(strict_rejects_unsorted_and_overlapping), T(check_applies_the_same_rules),
          T(format_entries_previews_a_slice), T(is_inline_and_file_reference),
          T(save_writes_little_endian_and_load_reads_it_back), T(resolve_reads_either_form),
          T(read_file_gives_bytes_and_their_ranges), T(save_reports_unwritable_places),
          T(load_rejects_bad_files), T(normalize_sorts_merges_and_drops_empty),
          T(overlap_finds_a_pair), T(clip_cuts_to_the_size_keeping_order), T(set_operations),
          T(map_builds_the_directed_copy_plan))
