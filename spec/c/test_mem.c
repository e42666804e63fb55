/* Heap strings: strdup that passes NULL through, and formatted strings. */
#include <stdlib.h>

#include "base/mem.h"
#include "check.h"

TEST(strdup_opt_copies_and_passes_null_through)
{
    char *s = (char *)"stale";
    CHECK(vss_strdup_opt(&s, NULL, NULL) == VSS_OK);
    CHECK(s == NULL);
    const char *src = "writer";
    CHECK(vss_strdup_opt(&s, src, NULL) == VSS_OK);
    CHECK_STR(s, "writer");
    CHECK(s != src);
    free(s);
}

TEST(strdup_printf_formats_onto_the_heap)
{
    char *s = vss_strdup_printf("%s/%s.manifest", "/area", "{id}");
    CHECK_STR(s, "/area/{id}.manifest");
    free(s);
    s = vss_strdup_printf("%d%%", 42);
    CHECK_STR(s, "42%");
    free(s);
}

RUN_TESTS("test_mem", T(strdup_opt_copies_and_passes_null_through),
          T(strdup_printf_formats_onto_the_heap))
