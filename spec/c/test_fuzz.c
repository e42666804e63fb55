/* The crashes the fuzz targets found (fuzz/, README: Fuzzing), each fed
 * again through the entry point it crashed, and every input of the seed
 * corpora (fuzz/corpus/<target>/, where each crash input is kept) replayed
 * through the targets themselves, built here with the suite's compiler
 * (and its sanitizers under SAN=1). Inputs sit flush against a
 * PROT_NONE page, so a read past their end faults in any build. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/error.h"
#include "ranges/ranges.h"
#include "store/store_impl.h"
#include "check.h"

/* The targets, renamed so the five live in one program. */
int fuzz_ranges_parse(const uint8_t *data, size_t size);
int fuzz_ranges_file(const uint8_t *data, size_t size);
int fuzz_wmd(const uint8_t *data, size_t size);
int fuzz_bcd(const uint8_t *data, size_t size);
int fuzz_store_manifest(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_ranges_parse
#include "../../fuzz/ranges_parse.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_ranges_file
#include "../../fuzz/ranges_file.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_wmd
#include "../../fuzz/wmd.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_bcd
#include "../../fuzz/bcd.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_store_manifest
#include "../../fuzz/store_manifest.c"
#undef LLVMFuzzerTestOneInput

/* len bytes ending right where an unmapped page begins. */
typedef struct guarded {
    void *map;
    size_t maplen;
    char *p;
} guarded;

static guarded guard(const void *data, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + page - 1) / page;
    guarded g = {NULL, (pages + 1) * page, NULL};
    g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED) {
        perror("mmap");
        abort();
    }
    if (mprotect((char *)g.map + pages * page, page, PROT_NONE) != 0) {
        perror("mprotect");
        abort();
    }
    g.p = (char *)g.map + pages * page - len;
    if (len)
        memcpy(g.p, data, len);
    return g;
}

static void unguard(guarded *g)
{
    munmap(g->map, g->maplen);
}

#define HEAD "luavss-manifest 1\nbackup id=b1 type=full time=1.000000000 base=- files=1 stored=0\n"

/* store_manifest.c named a bad entry kind with '%.20s' of the line: past
 * the end of a buffer that is not NUL-terminated (found by
 * fuzz/store_manifest, corpus crash-unknown-kind-at-end). */
TEST(manifest_unknown_kind_at_the_end_of_the_buffer)
{
    static const char text[] = HEAD "bogus\n";
    guarded g = guard(text, sizeof text - 1);
    vss_error e = {0};
    vss_store_manifest *m = NULL;
    CHECK(store_manifest_parse(g.p, sizeof text - 1, "b1", 0, &m, &e) == VSS_FAIL);
    CHECK(m == NULL);
    CHECK_CODE(e.code, VSS_ECORRUPT);
    CHECK_CONTAINS(e.message, "line 3: unknown entry kind 'bogus'");
    unguard(&g);
}

/* ... and a field without '=' with '%.40s' from the field on: past the
 * buffer's end, and through the following lines into the message
 * (corpus crash-field-without-eq-at-end). */
TEST(manifest_field_without_eq_at_the_end_of_the_buffer)
{
    static const char text[] = HEAD "file abc\n";
    guarded g = guard(text, sizeof text - 1);
    vss_error e = {0};
    vss_store_manifest *m = NULL;
    CHECK(store_manifest_parse(g.p, sizeof text - 1, "b1", 0, &m, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECORRUPT);
    CHECK_CONTAINS(e.message, "line 3: field without '=' (abc)");
    unguard(&g);

    static const char two[] = HEAD "file abc\ndeleted name=zzz\n";
    CHECK(store_manifest_parse(two, sizeof two - 1, "b1", 0, &m, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "(abc)");
    CHECK(strstr(e.message, "zzz") == NULL);
}

/* vss_ranges_decode copied the pairs of an empty list into its NULL
 * items array: memcpy(NULL, p, 0), undefined (UBSan; found by
 * fuzz/ranges_file on its seed corpus/ranges_file/empty). The normal
 * API: an empty ranges file read with vss_ranges_read_file. */
TEST(empty_ranges_file_decodes)
{
    static const unsigned char zero[8] = {0};
    char path[] = "/tmp/vss-test-fuzz-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, zero, sizeof zero) == (ssize_t)sizeof zero);
    close(fd);
    vss_error e = {0};
    vss_ranges *r = NULL;
    void *bytes = NULL;
    size_t len = 0;
    CHECK(vss_ranges_read_file(path, &r, &bytes, &len, &e) == VSS_OK);
    CHECK(r != NULL && vss_ranges_count(r) == 0);
    CHECK_EQ_U64(len, 8);
    vss_ranges_free(r);
    free(bytes);
    unlink(path);

    guarded g = guard(zero, sizeof zero);
    r = NULL;
    CHECK(vss_ranges_decode(g.p, sizeof zero, "empty", &r, &e) == VSS_OK);
    CHECK(r != NULL && vss_ranges_count(r) == 0);
    vss_ranges_free(r);
    unguard(&g);
}

/* A BCD whose unknown text sits beside known elements: saving it linked
 * the kept text copies with xmlAddChild, which merges two adjacent text
 * nodes and frees one, then used it (heap use after free under ASan;
 * found by fuzz/bcd on the docsxml branch, fixed there, d95c7fe). Through
 * the normal API: load, save, load the saved text, save it the same. */
TEST(bcd_text_beside_known_elements_saves)
{
    vss_error e = {0};
    vss_backup_components *bc = NULL, *again = NULL;
    CHECK(vss_bc_load("fuzz/corpus/bcd/crash-text-merge-use-after-free", &bc, &e) == VSS_OK);
    if (bc == NULL)
        return;
    size_t len = 0, len2 = 0;
    char *xml = vss_bc_xml(bc, &len, &e);
    CHECK(xml != NULL);
    CHECK(xml != NULL && vss_bc_parse(xml, len, &again, &e) == VSS_OK);
    char *xml2 = again ? vss_bc_xml(again, &len2, &e) : NULL;
    CHECK(xml2 != NULL && len2 == len && memcmp(xml, xml2, len) == 0);
    free(xml);
    free(xml2);
    vss_bc_free(again);
    vss_bc_free(bc);
}

static const char *replaying; /* the input in hand, named if it crashes */

static void on_crash(int sig)
{
    static const char msg[] = "test_fuzz: crashed replaying ";
    if (write(2, msg, sizeof msg - 1) < 0 ||
        write(2, replaying, strlen(replaying)) < 0 || write(2, "\n", 1) < 0) {
        /* nothing more to do */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static size_t replay(const char *target, int (*fn)(const uint8_t *, size_t))
{
    char dir[256], path[512];
    snprintf(dir, sizeof dir, "fuzz/corpus/%s", target);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (d == NULL)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f == NULL)
            continue;
        static char buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        guarded g = guard(buf, len);
        replaying = path;
        fn((const uint8_t *)g.p, len);
        unguard(&g);
        n++;
    }
    closedir(d);
    return n;
}

/* Every seed and every crash input, through the target it belongs to: an
 * oracle that fails aborts (the input is named). */
TEST(corpora_replay_clean)
{
    signal(SIGSEGV, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGBUS, on_crash);
    CHECK(replay("ranges_parse", fuzz_ranges_parse) >= 3);
    CHECK(replay("ranges_file", fuzz_ranges_file) >= 3);
    CHECK(replay("wmd", fuzz_wmd) >= 3);
    CHECK(replay("bcd", fuzz_bcd) >= 2);
    CHECK(replay("store_manifest", fuzz_store_manifest) >= 3);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
}

RUN_TESTS("test_fuzz", T(manifest_unknown_kind_at_the_end_of_the_buffer),
          T(manifest_field_without_eq_at_the_end_of_the_buffer), T(empty_ranges_file_decodes),
          T(bcd_text_beside_known_elements_saves), T(corpora_replay_clean))
