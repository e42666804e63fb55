#include <errno.h>

#include "base/error.h"
#include "check.h"

TEST(set_fills_code_and_message)
{
    vss_error e;
    vss_error_clear(&e);
    CHECK(vss_error_set(&e, EINVAL, "ranges: missing ':' at entry %d", 3) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_STR(e.message, "ranges: missing ':' at entry 3");
    CHECK(e.sys_errno == 0);
}

TEST(sys_names_errno_and_appends_strerror)
{
    vss_error e;
    CHECK(vss_error_sys(&e, ENOENT, "open '%s'", "/nonexistent") == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "open '/nonexistent': ");
    CHECK_CONTAINS(e.message, "No such file");
    CHECK(e.sys_errno == ENOENT);
}

TEST(null_error_is_allowed)
{
    CHECK(vss_error_set(NULL, EINVAL, "x") == VSS_FAIL);
    CHECK(vss_error_sys(NULL, EIO, "x") == VSS_FAIL);
    vss_error_clear(NULL);
}

TEST(long_messages_are_truncated_not_overflowed)
{
    vss_error e;
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    vss_error_sys(&e, EACCES, "%s", big);
    CHECK(strlen(e.message) == sizeof e.message - 1);
    CHECK_CODE(e.code, EACCES);
}

/* Scripts match on these strings, so each engine code has one of its own,
 * and the binding can turn a name from Lua back into the same code. */
TEST(every_engine_code_has_a_distinct_name_that_round_trips)
{
    for (int c = VSS_CODE_ENGINE; c < VSS_CODE_END; c++) {
        const char *n = vss_code_name(c);
        CHECK(n != NULL && n[0] != '\0' && strcmp(n, "EIO") != 0);
        CHECK_CODE(vss_code_from_name(n), c);
        for (int d = VSS_CODE_ENGINE; d < c; d++)
            CHECK(strcmp(n, vss_code_name(d)) != 0);
        /* no engine name shadows an errno name */
        for (int x = 1; x < 200; x++) {
            const char *en = strerrorname_np(x);
            CHECK(en == NULL || strcmp(en, n) != 0);
        }
    }
    CHECK_STR(vss_code_name(VSS_ECHAIN), "ECHAIN");
    CHECK_STR(vss_code_name(VSS_WRITER_TIMEOUT), "WRITER_TIMEOUT");
    CHECK_STR(vss_code_name(VSS_BAD_STATE), "BAD_STATE");
}

TEST(an_errno_is_its_own_code_and_name)
{
    CHECK_STR(vss_code_name(ENOENT), "ENOENT");
    CHECK_STR(vss_code_name(ENOMEM), "ENOMEM");
    CHECK_STR(vss_code_name(EXDEV), "EXDEV");
    CHECK_CODE(vss_code_from_name("ENOSPC"), ENOSPC);
    CHECK_CODE(vss_code_from_name("EACCES"), EACCES);
    CHECK_STR(vss_code_name(0), "");
    CHECK_CODE(vss_code_from_name(""), 0);
    CHECK_CODE(vss_code_from_name(NULL), 0);
    CHECK_CODE(vss_code_from_name("NO_SUCH_CODE"), 0);
    /* an errno the C library cannot name keeps its number, read as EIO */
    vss_error e;
    vss_error_sys(&e, 9999, "x");
    CHECK(e.code == 9999 && e.sys_errno == 9999);
    CHECK_STR(vss_code_name(e.code), "EIO");
    CHECK_STR(vss_code_name(VSS_CODE_END), "EIO");
}

TEST(clear_and_set_use_zero_for_none)
{
    vss_error e;
    vss_error_set(&e, VSS_ECORRUPT, "x");
    CHECK_CODE(e.code, VSS_ECORRUPT);
    vss_error_clear(&e);
    CHECK(e.code == 0 && e.sys_errno == 0 && e.message[0] == '\0');
    vss_error_set(&e, 0, "no code given");
    CHECK_CODE(e.code, EINVAL);
}

RUN_TESTS("test_error", T(set_fills_code_and_message), T(sys_names_errno_and_appends_strerror),
          T(null_error_is_allowed), T(long_messages_are_truncated_not_overflowed),
          T(every_engine_code_has_a_distinct_name_that_round_trips),
          T(an_errno_is_its_own_code_and_name), T(clear_and_set_use_zero_for_none))
