/* The manifest parser on hostile text: a buffer that is not NUL-terminated
 * ends at a guard page (any read past its length faults), and the generic
 * entry checks (sizes, ranges, counts, names, duplicates). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/store_impl.h"
#include "check.h"

/* text copied to the very end of a readable page, the next page
 * PROT_NONE: no NUL after it, and a read past it is a SIGSEGV. */
static const char *guarded(const char *text, size_t len, void **map, size_t *maplen)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + pg - 1) / pg + 1;
    char *p = mmap(NULL, (pages + 0) * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        abort();
    if (mprotect(p + (pages - 1) * pg, pg, PROT_NONE) != 0)
        abort();
    char *at = p + (pages - 1) * pg - len;
    memcpy(at, text, len);
    *map = p;
    *maplen = pages * pg;
    return at;
}

static int parse(const char *text, vss_store_manifest **m, vss_error *e)
{
    void *map;
    size_t maplen, len = strlen(text);
    const char *g = guarded(text, len, &map, &maplen);
    int rc = store_manifest_parse(g, len, "b1", 0, m, e);
    munmap(map, maplen);
    return rc;
}

/* A whole manifest of these entry lines, with a correct end line. */
static char *manifest(const char *head, const char *entries, size_t n)
{
    vss_strbuf b = {0};
    vss_strbuf_printf(&b, "luavss-manifest 2\n%s\n%s", head, entries);
    vss_digest d = vss_digest_of(b.p, b.len);
    char hex[VSS_DIGEST_HEX];
    vss_digest_hex(&d, hex);
    vss_strbuf_printf(&b, "end entries=%zu digest=%s\n", n, hex);
    return b.p;
}

#define D0 "00000000000000000000000000000000"

TEST(error_messages_stay_within_the_text)
{
    vss_store_manifest *m;
    vss_error e;
    /* an unknown kind and a field without '=' as the last bytes */
    CHECK(parse("luavss-manifest 2\nbackup id=b1 type=full time=1.000000000 base=- files=0 stored=0\nab\n",
                &m, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECORRUPT);
    CHECK_CONTAINS(e.message, "unknown entry kind 'ab'");
    CHECK(parse("luavss-manifest 2\nbackup id=b1 type=full time=1.000000000 base=- files=0 stored=0\nfile xy\n",
                &m, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "field without '=' (xy)");
    /* cut anywhere: never a read past the end */
    char *t = manifest("backup id=b1 type=full time=1.000000000 base=- files=1 stored=3",
                       "file name=/a object=f1 size=3 stored=3 digest=" D0 " extents=0:3\n", 1);
    for (size_t cut = 0; cut < strlen(t); cut++) {
        void *map;
        size_t maplen;
        const char *g = guarded(t, cut, &map, &maplen);
        m = NULL;
        if (store_manifest_parse(g, cut, "b1", 0, &m, &e) == VSS_OK)
            vss_store_manifest_free(m);
        munmap(map, maplen);
    }
    CHECK(parse(t, &m, &e) == VSS_OK);
    vss_store_manifest_free(m);
    free(t);
}

static const char *bad_of(const char *head, const char *entries, size_t n, const char *name)
{
    static char why[640];
    char *t = manifest(head, entries, n);
    vss_store_manifest *m;
    vss_error e;
    why[0] = '\0';
    if (parse(t, &m, &e) != VSS_OK) {
        snprintf(why, sizeof why, "FAIL %s", e.message);
    } else {
        for (size_t i = 0; i < m->n; i++)
            if (strcmp(m->entries[i].name, name) == 0 && m->entries[i].bad)
                snprintf(why, sizeof why, "%s", m->entries[i].bad);
        vss_store_manifest_free(m);
    }
    free(t);
    return why;
}

TEST(entries_checked_against_themselves)
{
    const char *h1 = "backup id=b1 type=full time=1.000000000 base=- files=1 stored=3";
    CHECK_STR(bad_of(h1, "file name=/a object=f1 size=3 stored=3 digest=" D0 " extents=0:3\n", 1,
                     "/a"), "");
    CHECK_CONTAINS(bad_of(h1, "file name=/a object=f1 size=2 stored=3 digest=" D0 " extents=0:3\n",
                          1, "/a"), "stored 3 is more than the size 2");
    CHECK_CONTAINS(bad_of(h1, "file name=/a object=f1 size=9 stored=3 digest=" D0
                              " extents=8:3\n", 1, "/a"), "extent 1 (8:3) lies beyond the size 9");
    CHECK_CONTAINS(bad_of(h1, "file name=/a object=f1 size=9 stored=3 digest=" D0
                              " extents=0:2\n", 1, "/a"), "stored 3 is not the extents' total 2");
    CHECK_CONTAINS(bad_of(h1, "file name=/a object=f1 size=18446744073709551615 stored=3 digest=" D0
                              " extents=0:3\n", 1, "/a"), "beyond 2^63-1");
    const char *h0 = "backup id=b1 type=full time=1.000000000 base=- files=0 stored=3";
    CHECK_CONTAINS(bad_of(h0, "document name=d object=d1 size=4 stored=3 digest=" D0 "\n", 1, "d"),
                   "stored 3 is not the size 4");
    /* the backup line against the entries: the manifest is damaged */
    CHECK_CONTAINS(bad_of(h0, "file name=/a object=f1 size=3 stored=3 digest=" D0 " extents=0:3\n",
                          1, "/a"), "FAIL");
    /* duplicates, both named */
    const char *h2 = "backup id=b1 type=full time=1.000000000 base=- files=2 stored=6";
    CHECK_CONTAINS(bad_of(h2, "file name=/a object=f1 size=3 stored=3 digest=" D0 " extents=0:3\n"
                              "file name=/a object=f2 size=3 stored=3 digest=" D0 " extents=0:3\n",
                          2, "/a"), "named twice");
    /* names: only checked in a backup with a Backup Components Document */
    const char *h3 = "backup id=b1 type=full time=1.000000000 base=- files=1 stored=3";
    CHECK_STR(bad_of(h3, "file name=rel/x/ object=f1 size=3 stored=3 digest=" D0 " extents=0:3\n", 1,
                     "rel/x/"), "");
    CHECK_CONTAINS(bad_of(h3, "file name=/x/ object=f1 size=3 stored=3 digest=" D0 " extents=0:3\n"
                              "document name=backup_components object=d1 size=0 stored=0 digest=" D0
                              "\n", 2, "/x/"), "a trailing '/'");
    CHECK_CONTAINS(bad_of(h3, "file name=/x/../y object=f1 size=3 stored=3 digest=" D0
                              " extents=0:3\n"
                              "document name=backup_components object=d1 size=0 stored=0 digest=" D0
                              "\n", 2, "/x/../y"), "'..'");
}

RUN_TESTS("test_store_manifest", T(error_messages_stay_within_the_text),
          T(entries_checked_against_themselves))
