/* A small C unit-test harness: TEST(name) defines a test, CHECK* record a
 * failure with file:line and carry on, RUN_TESTS runs them in order and
 * prints "<program>: N passed, N failed" (read by spec/run.sh). */
#ifndef VSS_CHECK_H
#define VSS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures_in_test;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
            check_failures_in_test++;                                                       \
        }                                                                                   \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                  \
    do {                                                                                    \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                        \
        if (check_a_ != check_b_) {                                                         \
            fprintf(stderr, "  %s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n",       \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);                        \
            check_failures_in_test++;                                                       \
        }                                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                                     \
    do {                                                                                    \
        const char *check_a_ = (a), *check_b_ = (b);                                        \
        if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) {      \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,       \
                    __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",                       \
                    check_b_ ? check_b_ : "(null)");                                        \
            check_failures_in_test++;                                                       \
        }                                                                                   \
    } while (0)

/* Two error codes (ENOENT, VSS_ECHAIN...) are equal; a failure shows their
 * names. Needs base/error.h, included before it where used. */
#define CHECK_CODE(a, b)                                                                    \
    do {                                                                                    \
        int check_a_ = (a), check_b_ = (b);                                                 \
        if (check_a_ != check_b_) {                                                         \
            fprintf(stderr, "  %s:%d: %s == %s failed: %s != %s\n", __FILE__, __LINE__, #a, \
                    #b, vss_code_name(check_a_), vss_code_name(check_b_));                  \
            check_failures_in_test++;                                                       \
        }                                                                                   \
    } while (0)

/* The message of a vss_error must mention `needle` (e.g. "entry 3"). */
#define CHECK_CONTAINS(hay, needle)                                                         \
    do {                                                                                    \
        const char *check_h_ = (hay), *check_n_ = (needle);                                 \
        if (check_h_ == NULL || strstr(check_h_, check_n_) == NULL) {                       \
            fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,          \
                    __LINE__, check_h_ ? check_h_ : "(null)", check_n_);                    \
            check_failures_in_test++;                                                       \
        }                                                                                   \
    } while (0)

#define TEST(name) static void name(void)

typedef struct {
    const char *name;
    void (*fn)(void);
} check_test;

static int check_run(const char *program, const check_test *tests, size_t n)
{
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        check_failures_in_test = 0;
        tests[i].fn();
        if (check_failures_in_test == 0) {
            passed++;
        } else {
            failed++;
            fprintf(stderr, "FAIL %s: %s\n", program, tests[i].name);
        }
    }
    printf("%s: %d passed, %d failed\n", program, passed, failed);
    return failed == 0 ? 0 : 1;
}

#define T(name) {#name, name}
#define RUN_TESTS(program, ...)                                                             \
    int main(void)                                                                          \
    {                                                                                       \
        static const check_test tests_[] = {__VA_ARGS__};                                   \
        return check_run(program, tests_, sizeof tests_ / sizeof tests_[0]);                \
    }

#endif
