#include <stdlib.h>

#include "base/strbuf.h"
#include "check.h"

TEST(appends_text_and_bytes)
{
    vss_strbuf b = {0};
    vss_strbuf_str(&b, "key");
    vss_strbuf_add(&b, "=v\0x", 4);
    CHECK(b.len == 7 && b.p[7] == '\0' && !b.oom);
    CHECK(memcmp(b.p, "key=v\0x", 7) == 0);
    vss_strbuf_free(&b);
    CHECK(b.p == NULL && b.len == 0);
}

TEST(printf_longer_than_its_small_buffer)
{
    vss_strbuf b = {0};
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    vss_strbuf_printf(&b, "<%s>%d", big, 42);
    CHECK(b.len == 1003 && !b.oom);
    CHECK(b.p[0] == '<' && b.p[1000] == '>' && strcmp(b.p + 1001, "42") == 0);
    vss_strbuf_printf(&b, "|%s", "end");
    CHECK_STR(b.p + 1003, "|end");
    vss_strbuf_free(&b);
}

TEST(oom_sticks)
{
    vss_strbuf b = {0};
    b.oom = 1;
    vss_strbuf_str(&b, "x");
    CHECK(!vss_strbuf_reserve(&b, 1));
    CHECK(b.p == NULL && b.len == 0);
}

RUN_TESTS("test_strbuf", T(appends_text_and_bytes), T(printf_longer_than_its_small_buffer),
          T(oom_sticks))
