/* Property tests of range lists, with fixed seeds so a failure reproduces:
 * random lists survive format->parse and save->load unchanged, and the
 * operations agree with a naive byte-map model over a small universe. */
#include <stdlib.h>
#include <unistd.h>

#include "ranges/ranges.h"
#include "check.h"

enum { UNIVERSE = 512, CASES = 3000 };

static uint64_t rng_state;

static uint64_t rnd(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static uint64_t below(uint64_t n)
{
    return n == 0 ? 0 : rnd() % n;
}

/* A list in the small universe: up to 12 entries, some empty, some
 * overlapping, in any order. */
static vss_ranges *small_list(void)
{
    vss_ranges *r = vss_ranges_new();
    size_t n = (size_t)below(13);
    for (size_t i = 0; i < n; i++) {
        uint64_t off = below(UNIVERSE - 40), len = below(8) == 0 ? 0 : below(41);
        vss_ranges_append(r, off, len, NULL);
    }
    return r;
}

/* A list over all of u64: values of every magnitude, offset+length fitting. */
static vss_ranges *wide_list(void)
{
    vss_ranges *r = vss_ranges_new();
    size_t n = (size_t)below(20);
    for (size_t i = 0; i < n; i++) {
        uint64_t off = rnd() >> below(64), len = rnd() >> below(64);
        if (off > UINT64_MAX - len)
            len = UINT64_MAX - off;
        vss_ranges_append(r, off, len, NULL);
    }
    return r;
}

static void bytemap(const vss_ranges *r, unsigned char map[UNIVERSE])
{
    memset(map, 0, UNIVERSE);
    for (size_t i = 0; i < vss_ranges_count(r); i++) {
        const vss_range *v = &vss_ranges_items(r)[i];
        for (uint64_t b = v->offset; b < v->offset + v->length; b++)
            map[b] = 1;
    }
}

static bool same_list(const vss_ranges *a, const vss_ranges *b)
{
    size_t n = vss_ranges_count(a);
    return n == vss_ranges_count(b) &&
           (n == 0 || memcmp(vss_ranges_items(a), vss_ranges_items(b), n * sizeof(vss_range)) == 0);
}

/* Normalized: sorted, no empty entries, a gap between neighbours. */
static bool is_normalized(const vss_ranges *r)
{
    const vss_range *v = vss_ranges_items(r);
    for (size_t i = 0; i < vss_ranges_count(r); i++) {
        if (v[i].length == 0)
            return false;
        if (i > 0 && v[i].offset <= v[i - 1].offset + v[i - 1].length)
            return false;
    }
    return true;
}

TEST(format_then_parse_is_identity)
{
    rng_state = 0x5eed0001;
    for (int c = 0; c < CASES; c++) {
        vss_ranges *r = c % 2 ? wide_list() : small_list(), *back = NULL;
        char *s = vss_ranges_format(r, NULL);
        CHECK(s != NULL);
        CHECK(vss_ranges_parse(s, strlen(s), 0, &back, NULL) == VSS_OK);
        CHECK(back != NULL && same_list(r, back));
        /* the same values in hex with blanks parse to the same list */
        char hex[2048];
        size_t len = 0;
        for (size_t i = 0; i < vss_ranges_count(r) && len < sizeof hex - 100; i++)
            len += (size_t)snprintf(hex + len, sizeof hex - len, "%s 0x%" PRIx64 " :0X%" PRIX64,
                                    i ? " ," : "", vss_ranges_items(r)[i].offset,
                                    vss_ranges_items(r)[i].length);
        vss_ranges *fromhex = NULL;
        CHECK(vss_ranges_parse(hex, len, 0, &fromhex, NULL) == VSS_OK);
        CHECK(fromhex != NULL && same_list(r, fromhex));
        if (check_failures_in_test != 0) {
            fprintf(stderr, "  case %d: '%s'\n", c, s);
            c = CASES;
        }
        free(s);
        vss_ranges_free(fromhex);
        vss_ranges_free(back);
        vss_ranges_free(r);
    }
}

TEST(save_then_load_is_identity)
{
    char dir[] = "/tmp/luavss-ctest.XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r.bin", dir);
    rng_state = 0x5eed0002;
    for (int c = 0; c < 300; c++) { /* each save fsyncs: fewer cases */
        vss_ranges *r = c % 2 ? wide_list() : small_list(), *back = NULL;
        vss_error e;
        CHECK(vss_ranges_save(r, path, &e) == VSS_OK);
        CHECK(vss_ranges_load(path, &back, &e) == VSS_OK);
        CHECK(back != NULL && same_list(r, back));
        vss_ranges_free(back);
        vss_ranges_free(r);
        if (check_failures_in_test != 0) {
            fprintf(stderr, "  case %d: %s\n", c, e.message);
            break;
        }
    }
    unlink(path);
    rmdir(dir);
}

typedef int (*setop)(const vss_ranges *, const vss_ranges *, vss_ranges **, vss_error *);

TEST(operations_agree_with_a_byte_map)
{
    static const struct {
        const char *name;
        setop op;
    } ops[] = {{"union", vss_ranges_union},
               {"intersection", vss_ranges_intersection},
               {"difference", vss_ranges_difference}};
    rng_state = 0x5eed0003;
    for (int c = 0; c < CASES && check_failures_in_test == 0; c++) {
        vss_ranges *a = small_list(), *b = small_list();
        unsigned char ma[UNIVERSE], mb[UNIVERSE], mr[UNIVERSE];
        bytemap(a, ma);
        bytemap(b, mb);
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            vss_ranges *out = NULL;
            CHECK(ops[k].op(a, b, &out, NULL) == VSS_OK);
            bytemap(out, mr);
            for (size_t x = 0; x < UNIVERSE; x++) {
                unsigned char want = k == 0 ? (ma[x] | mb[x])
                                   : k == 1 ? (ma[x] & mb[x])
                                            : (ma[x] & !mb[x]);
                if (mr[x] != want) {
                    fprintf(stderr, "  case %d: %s wrong at byte %zu\n", c, ops[k].name, x);
                    check_failures_in_test++;
                    break;
                }
            }
            CHECK(is_normalized(out));
            vss_ranges_free(out);
        }
        vss_ranges *n = vss_ranges_clone(a);
        vss_ranges_normalize(n);
        bytemap(n, mr);
        CHECK(memcmp(ma, mr, UNIVERSE) == 0);
        CHECK(is_normalized(n));
        vss_ranges_free(n);
        /* clip: the same entries in the same order, each cut at size */
        uint64_t size = below(UNIVERSE);
        vss_ranges *cl = vss_ranges_clone(a);
        vss_ranges_clip(cl, size);
        size_t j = 0;
        for (size_t i = 0; i < vss_ranges_count(a); i++) {
            const vss_range *v = &vss_ranges_items(a)[i];
            if (v->offset >= size)
                continue;
            uint64_t len = v->offset + v->length > size ? size - v->offset : v->length;
            CHECK(j < vss_ranges_count(cl));
            if (j < vss_ranges_count(cl)) {
                CHECK_EQ_U64(vss_ranges_items(cl)[j].offset, v->offset);
                CHECK_EQ_U64(vss_ranges_items(cl)[j].length, len);
            }
            j++;
        }
        CHECK_EQ_U64(vss_ranges_count(cl), j);
        vss_ranges_free(cl);
        vss_ranges_free(a);
        vss_ranges_free(b);
    }
}

/* Two entries share a byte, the slow way. */
static bool naive_overlap(const vss_ranges *r)
{
    const vss_range *v = vss_ranges_items(r);
    for (size_t i = 0; i < vss_ranges_count(r); i++)
        for (size_t j = i + 1; j < vss_ranges_count(r); j++)
            if (v[i].length && v[j].length && v[i].offset < v[j].offset + v[j].length &&
                v[j].offset < v[i].offset + v[i].length)
                return true;
    return false;
}

TEST(overlap_agrees_with_the_naive_check)
{
    rng_state = 0x5eed0004;
    for (int c = 0; c < CASES && check_failures_in_test == 0; c++) {
        vss_ranges *r = small_list();
        if (c % 3 == 0) /* sorted lists take the other path */
            vss_ranges_normalize(r);
        size_t i = 0, j = 0;
        bool got = vss_ranges_overlap(r, &i, &j);
        CHECK(got == naive_overlap(r));
        if (got) {
            const vss_range *v = vss_ranges_items(r);
            CHECK(i < j && j < vss_ranges_count(r));
            CHECK(v[i].length && v[j].length && v[i].offset < v[j].offset + v[j].length &&
                  v[j].offset < v[i].offset + v[i].length);
        }
        /* strict parse accepts exactly the sorted, disjoint, non-empty lists */
        char *s = vss_ranges_format(r, NULL);
        vss_ranges *p = NULL;
        bool strict_ok = vss_ranges_parse(s, strlen(s), VSS_RANGES_STRICT, &p, NULL) == VSS_OK;
        bool sorted = true, nonzero = true;
        for (size_t k = 0; k < vss_ranges_count(r); k++) {
            nonzero = nonzero && vss_ranges_items(r)[k].length != 0;
            if (k > 0 && vss_ranges_items(r)[k].offset < vss_ranges_items(r)[k - 1].offset)
                sorted = false;
        }
        CHECK(strict_ok == (sorted && nonzero && !got));
        vss_ranges_free(p);
        free(s);
        vss_ranges_free(r);
    }
}

TEST(map_pairs_entries_in_order)
{
    rng_state = 0x5eed0005;
    for (int c = 0; c < CASES && check_failures_in_test == 0; c++) {
        vss_ranges *src = small_list(), *dst = vss_ranges_new();
        for (size_t i = 0; i < vss_ranges_count(src); i++)
            vss_ranges_append(dst, below(1000), vss_ranges_items(src)[i].length, NULL);
        vss_range_copy *plan = NULL;
        size_t n = 0;
        CHECK(vss_ranges_map(src, dst, &plan, &n, NULL) == VSS_OK);
        CHECK_EQ_U64(n, vss_ranges_count(src));
        for (size_t i = 0; i < n; i++) {
            CHECK_EQ_U64(plan[i].src_offset, vss_ranges_items(src)[i].offset);
            CHECK_EQ_U64(plan[i].dst_offset, vss_ranges_items(dst)[i].offset);
            CHECK_EQ_U64(plan[i].length, vss_ranges_items(src)[i].length);
        }
        free(plan);
        if (n > 0) { /* any one length off breaks it */
            vss_ranges *bad = vss_ranges_new();
            size_t k = (size_t)below(n);
            for (size_t i = 0; i < n; i++)
                vss_ranges_append(bad, 0, vss_ranges_items(src)[i].length + (i == k), NULL);
            vss_error e;
            CHECK(vss_ranges_map(src, bad, &plan, &n, &e) == VSS_FAIL);
            char want[32];
            snprintf(want, sizeof want, "entry %zu ", k + 1);
            CHECK_CONTAINS(e.message, want);
            vss_ranges_free(bad);
        }
        vss_ranges_free(src);
        vss_ranges_free(dst);
    }
}

RUN_TESTS("test_ranges_props", T(format_then_parse_is_identity), T(save_then_load_is_identity),
          T(operations_agree_with_a_byte_map), T(overlap_agrees_with_the_naive_check),
          T(map_pairs_entries_in_order))
