/* Binary ranges files (csrc/ranges/ranges_file.c): vss_ranges_decode on
 * the bytes in memory, and the same bytes written to a file and read back
 * with vss_ranges_read_file and vss_ranges_load. Oracles: the three agree
 * (same verdict, same entries, read_file keeps exactly the bytes), and a
 * list that decodes saves to a file that loads back to the same list. */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ranges/ranges.h"

static char input_path[64];
static char saved_path[80];

static int same(const vss_ranges *a, const vss_ranges *b)
{
    size_t n = vss_ranges_count(a);
    return n == vss_ranges_count(b) &&
           (n == 0 || memcmp(vss_ranges_items(a), vss_ranges_items(b), n * sizeof(vss_range)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (input_path[0] == '\0') {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(input_path, sizeof input_path, "%s/vss-fuzz-ranges-%d", dir, (int)getpid());
        snprintf(saved_path, sizeof saved_path, "%s.saved", input_path);
    }
    vss_error e = {0};
    vss_ranges *dec = NULL, *rd = NULL, *ld = NULL;
    int rc = vss_ranges_decode(data, size, "input", &dec, &e);
    FUZZ_CHECK(rc == VSS_OK ? dec != NULL : dec == NULL && e.message[0] != '\0', e.message);

    FILE *f = fopen(input_path, "wb");
    if (f == NULL || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fuzz_fail("cannot write the input file", input_path);
    void *bytes = NULL;
    size_t len = 0;
    int rc_rd = vss_ranges_read_file(input_path, &rd, &bytes, &len, &e);
    int rc_ld = vss_ranges_load(input_path, &ld, &e);
    FUZZ_CHECK(rc_rd == rc && rc_ld == rc, "decode, read_file and load disagree");
    if (rc == VSS_OK) {
        FUZZ_CHECK(len == size && (size == 0 || memcmp(bytes, data, size) == 0),
                   "read_file kept other bytes");
        FUZZ_CHECK(same(dec, rd) && same(dec, ld), "decode, read_file and load differ");
        vss_ranges *back = NULL;
        FUZZ_CHECK(vss_ranges_save(dec, saved_path, &e) == VSS_OK, e.message);
        FUZZ_CHECK(vss_ranges_load(saved_path, &back, &e) == VSS_OK, e.message);
        FUZZ_CHECK(same(dec, back), "save then load differs");
        vss_ranges_free(back);
        unlink(saved_path);
    }
    free(bytes);
    vss_ranges_free(dec);
    vss_ranges_free(rd);
    vss_ranges_free(ld);
    unlink(input_path);
    return 0;
}
