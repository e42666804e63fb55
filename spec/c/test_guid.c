/* GUIDs: the two spellings, either case on the way in, lower case on the
 * way out, and the caseless comparison VSS makes. */
#include <string.h>

#include "base/guid.h"
#include "check.h"

static vss_guid sample(void)
{
    vss_guid id;
    for (int i = 0; i < 16; i++)
        id.b[i] = (uint8_t)(0xA0 + i);
    return id;
}

TEST(id_format_is_braced_lowercase_8_4_4_4_12)
{
    vss_guid id = sample();
    char s[VSS_GUID_BUFSIZE];
    vss_guid_format(&id, VSS_GUID_BRACED, s);
    CHECK_STR(s, "{a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf}");
    CHECK_EQ_U64(strlen(s), VSS_GUID_BRACED_STRLEN);
    vss_guid back;
    CHECK(vss_guid_parse("{A0A1A2A3-A4A5-A6A7-A8A9-AAABACADAEAF}", VSS_GUID_BRACED, NULL, &back,
                         NULL) == VSS_OK);
    CHECK(vss_guid_equal(&id, &back));
}

TEST(bare_form_is_the_braced_one_without_braces)
{
    vss_guid id = sample(), back;
    char s[VSS_GUID_BUFSIZE];
    vss_guid_format(&id, VSS_GUID_BARE, s);
    CHECK_STR(s, "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
    CHECK_EQ_U64(strlen(s), VSS_GUID_STRLEN);
    CHECK(vss_guid_parse("A0a1A2a3-a4A5-a6a7-A8A9-aaabacadaeaf", VSS_GUID_BARE, NULL, &back, NULL) ==
          VSS_OK);
    CHECK(vss_guid_equal(&id, &back));
    back.b[15] ^= 1;
    CHECK(!vss_guid_equal(&id, &back));
}

TEST(id_random_is_version_4_and_distinct)
{
    vss_guid a, b;
    CHECK(vss_guid_random(&a, NULL) == VSS_OK);
    CHECK(vss_guid_random(&b, NULL) == VSS_OK);
    CHECK(!vss_guid_equal(&a, &b));
    CHECK_EQ_U64(a.b[6] >> 4, 4);
    CHECK_EQ_U64(a.b[8] >> 6, 2);
    char s[VSS_GUID_BUFSIZE];
    vss_guid_format(&a, VSS_GUID_BRACED, s);
    CHECK_EQ_U64(strlen(s), 38);
    CHECK(s[15] == '4');
    vss_guid_format(&a, VSS_GUID_BARE, s);
    CHECK(vss_guid_valid(s));
}

TEST(id_parse_rejects_malformed_with_position)
{
    vss_guid id;
    vss_error e;
    CHECK(vss_guid_parse("a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf", VSS_GUID_BRACED, "snapshot id", &id,
                         &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_STR(e.message, "snapshot id 'a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf': not of the form "
                         "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}");
    CHECK(vss_guid_parse("{a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeag}", VSS_GUID_BRACED, "snapshot id",
                         &id, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "position 36");
    CHECK(vss_guid_parse("{a0a1a2a3+a4a5-a6a7-a8a9-aaabacadaeaf}", VSS_GUID_BRACED, "snapshot id",
                         &id, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "'-' expected at position 10");
    CHECK(vss_guid_parse(NULL, VSS_GUID_BRACED, "snapshot id", &id, &e) == VSS_FAIL);
    CHECK(vss_guid_parse("{a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf}", VSS_GUID_BARE, NULL, &id, &e) ==
          VSS_FAIL);
    CHECK_CONTAINS(e.message, "GUID '{a0a1a2a3");
    CHECK_CONTAINS(e.message, "not of the form xxxxxxxx-");
    CHECK(vss_guid_parse("a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeag", VSS_GUID_BARE, NULL, &id, &e) ==
          VSS_FAIL);
    CHECK_CONTAINS(e.message, "hex digit expected at position 35");
}

TEST(valid_is_the_bare_form_in_either_case)
{
    CHECK(vss_guid_valid("a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf"));
    CHECK(vss_guid_valid("E8132975-6F93-4464-A53E-1050253AE220"));
    CHECK(!vss_guid_valid("{a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf}"));
    CHECK(!vss_guid_valid("a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaea"));
    CHECK(!vss_guid_valid("a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf0"));
    CHECK(!vss_guid_valid("a0a1a2a3a4a5-a6a7-a8a9-aaabacadaeaf-"));
    CHECK(!vss_guid_valid("g0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf"));
    CHECK(!vss_guid_valid(""));
    CHECK(!vss_guid_valid(NULL));
}

TEST(same_ignores_case_and_refuses_null)
{
    CHECK(vss_guid_same("e8132975-6f93-4464-a53e-1050253ae220",
                        "E8132975-6F93-4464-A53E-1050253AE220"));
    CHECK(!vss_guid_same("e8132975-6f93-4464-a53e-1050253ae220",
                         "e8132975-6f93-4464-a53e-1050253ae221"));
    CHECK(!vss_guid_same(NULL, "e8132975-6f93-4464-a53e-1050253ae220"));
    CHECK(!vss_guid_same("e8132975-6f93-4464-a53e-1050253ae220", NULL));
    CHECK(!vss_guid_same(NULL, NULL));
}

RUN_TESTS("test_guid", T(id_format_is_braced_lowercase_8_4_4_4_12),
          T(bare_form_is_the_braced_one_without_braces), T(id_random_is_version_4_and_distinct),
          T(id_parse_rejects_malformed_with_position), T(valid_is_the_bare_form_in_either_case),
          T(same_ignores_case_and_refuses_null))
