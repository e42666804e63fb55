/* The inline range-list parser (vss_ranges_parse, csrc/ranges/ranges.c).
 * Input: one byte of flags (its two low bits: VSS_RANGES_STRICT,
 * VSS_RANGES_NO_ZERO), then the list text, not NUL-terminated.
 * Oracles: vss_ranges_is_inline agrees with a parse without flags; a
 * parsed list formats to text that parses back to the same list. */
#include <string.h>

#include "fuzz.h"
#include "ranges/ranges.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0] & 3u;
    size_t len = size - 1;
    /* an exact-size copy: a read past len is a heap overflow ASan sees */
    char *s = malloc(len ? len : 1);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, len);

    vss_error e = {0};
    vss_ranges *r = NULL;
    int rc = vss_ranges_parse(s, len, flags, &r, &e);
    if (flags == 0)
        FUZZ_CHECK((rc == VSS_OK) == vss_ranges_is_inline(s, len), e.message);
    if (rc != VSS_OK) {
        FUZZ_CHECK(r == NULL && e.message[0] != '\0', "a failed parse names nothing");
        free(s);
        return 0;
    }
    char *text = vss_ranges_format(r, &e);
    if (text != NULL) {
        vss_ranges *back = NULL;
        FUZZ_CHECK(vss_ranges_parse(text, strlen(text), flags, &back, &e) == VSS_OK, e.message);
        FUZZ_CHECK(vss_ranges_count(back) == vss_ranges_count(r), text);
        FUZZ_CHECK(vss_ranges_count(r) == 0 ||
                       memcmp(vss_ranges_items(back), vss_ranges_items(r),
                              vss_ranges_count(r) * sizeof(vss_range)) == 0,
                   text);
        vss_ranges_free(back);
        free(text);
    }
    uint64_t total;
    (void)vss_ranges_total(r, &total, &e);
    vss_ranges_normalize(r);
    FUZZ_CHECK(vss_ranges_check(r, VSS_RANGES_STRICT, &e) == VSS_OK, e.message);
    vss_ranges_free(r);
    free(s);
    return 0;
}
