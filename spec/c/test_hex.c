#include "base/hex.h"
#include "check.h"

TEST(hex_digits_both_cases)
{
    CHECK(vss_hex_value('0') == 0 && vss_hex_value('9') == 9);
    CHECK(vss_hex_value('a') == 10 && vss_hex_value('F') == 15);
    CHECK(vss_hex_value('g') == -1 && vss_hex_value(' ') == -1 && vss_hex_value('\0') == -1);
}

TEST(hex_encode_lowercase)
{
    char out[9];
    vss_hex_encode("\x00\x7f\xab\xff", 4, out);
    CHECK_STR(out, "007fabff");
}

TEST(percent_round_trip_of_every_byte_but_nul)
{
    unsigned char all[255];
    for (int i = 0; i < 255; i++)
        all[i] = (unsigned char)(i + 1);
    char enc[3 * sizeof all + 1], dec[sizeof enc];
    size_t n = vss_percent_encode(all, sizeof all, "=;", enc), bad = 0;
    CHECK(n == strlen(enc));
    CHECK(strchr(enc, ' ') == NULL && strchr(enc, '=') == NULL && strchr(enc, ';') == NULL);
    CHECK(strchr(enc, '\n') == NULL);
    CHECK(vss_percent_decode(enc, n, dec, &bad));
    CHECK(memcmp(dec, all, sizeof all) == 0 && dec[sizeof all] == '\0');
}

TEST(percent_plain_text_stays_readable)
{
    char out[64];
    vss_percent_encode("/srv/db/a b%", 12, "", out);
    CHECK_STR(out, "/srv/db/a%20b%25");
}

TEST(percent_decode_refuses_bad_escapes_and_nul)
{
    char out[16];
    size_t bad = 99;
    CHECK(!vss_percent_decode("ab%2", 4, out, &bad));
    CHECK(bad == 2);
    CHECK(!vss_percent_decode("%zz", 3, out, &bad));
    CHECK(!vss_percent_decode("x%00y", 5, out, &bad));
    CHECK(bad == 1);
    CHECK(vss_percent_decode("%41%62", 6, out, &bad));
    CHECK_STR(out, "Ab");
}

RUN_TESTS("test_hex", T(hex_digits_both_cases), T(hex_encode_lowercase),
          T(percent_round_trip_of_every_byte_but_nul), T(percent_plain_text_stays_readable),
          T(percent_decode_refuses_bad_escapes_and_nul))
