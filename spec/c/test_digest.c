/* Digests: known XXH3-128 vectors (computed with `xxhsum -H2`, xxhash
 * 0.8.1), streaming against one-shot across awkward chunk sizes, holes
 * hashed as zeros, and the hex form. */
#include <stdlib.h>

#include "base/digest.h"
#include "check.h"

static const char *hex_of(vss_digest d, char buf[VSS_DIGEST_HEX])
{
    vss_digest_hex(&d, buf);
    return buf;
}

TEST(known_vectors)
{
    char h[VSS_DIGEST_HEX];
    CHECK_STR(hex_of(vss_digest_of("", 0), h), "99aa06d3014798d86001c324468d497f");
    CHECK_STR(hex_of(vss_digest_of("abc", 3), h), "06b05ab6733a618578af5f94892f3950");
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    CHECK_STR(hex_of(vss_digest_of(fox, sizeof fox - 1), h), "ddd650205ca3e7fa24a1cc2e3a8a7651");
}

TEST(pattern_vector_streamed_in_odd_chunks)
{
    size_t n = 300000;
    unsigned char *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 7 + 3) & 255);
    char h[VSS_DIGEST_HEX];
    CHECK_STR(hex_of(vss_digest_of(p, n), h), "579ebd3b372c78218ea7f53679b9303f");
    static const size_t chunks[] = {1, 7, 63, 64, 65, 239, 240, 241, 1023, 4096, 65537};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        vss_hasher *s = vss_hasher_new();
        for (size_t off = 0; off < n; off += chunks[c])
            vss_hasher_update(s, p + off, n - off < chunks[c] ? n - off : chunks[c]);
        CHECK_STR(hex_of(vss_hasher_digest(s), h), "579ebd3b372c78218ea7f53679b9303f");
        vss_hasher_free(s);
    }
    free(p);
}

TEST(zeros_hash_as_a_hole)
{
    char h[VSS_DIGEST_HEX];
    vss_hasher *s = vss_hasher_new();
    vss_hasher_update_zeros(s, 1000000);
    CHECK_STR(hex_of(vss_hasher_digest(s), h), "ef233fc372a159319d648391f361d99a");
    /* mixed: data, hole, data equals the same bytes in one buffer */
    unsigned char *buf = calloc(1, 200000);
    buf[0] = 1;
    buf[199999] = 2;
    vss_hasher_reset(s);
    vss_hasher_update(s, buf, 1);
    vss_hasher_update_zeros(s, 199998);
    vss_hasher_update(s, buf + 199999, 1);
    vss_digest a = vss_hasher_digest(s), b = vss_digest_of(buf, 200000);
    CHECK(vss_digest_equal(&a, &b));
    vss_hasher_free(s);
    free(buf);
}

TEST(hex_round_trip_and_rejects)
{
    vss_digest d = vss_digest_of("abc", 3), back;
    char h[VSS_DIGEST_HEX];
    vss_digest_hex(&d, h);
    CHECK(vss_digest_parse(h, 32, &back));
    CHECK(vss_digest_equal(&d, &back));
    CHECK(vss_digest_parse("06B05AB6733A618578AF5F94892F3950", 32, &back));
    CHECK(vss_digest_equal(&d, &back));
    CHECK(!vss_digest_parse(h, 31, &back));
    CHECK(!vss_digest_parse("06b05ab6733a618578af5f94892f395g", 32, &back));
    CHECK(!vss_digest_parse("", 0, &back));
}

RUN_TESTS("test_digest", T(known_vectors), T(pattern_vector_streamed_in_odd_chunks),
          T(zeros_hash_as_a_hole), T(hex_round_trip_and_rejects))
