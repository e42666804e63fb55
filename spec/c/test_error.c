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

RUN_TESTS("test_error", T(set_fills_code_and_message), T(sys_names_errno_and_appends_strerror),
          T(null_error_is_allowed), T(long_messages_are_truncated_not_overflowed))
