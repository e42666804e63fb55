/* What the fuzz targets share (README, Development, Fuzzing): each
 * fuzz/<target>.c is one LLVMFuzzerTestOneInput calling the engine's real
 * entry point on the input and freeing everything; an oracle that fails
 * calls fuzz_fail, which aborts with the reason (libFuzzer keeps the
 * input as a crash). */
#ifndef VSS_FUZZ_H
#define VSS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz oracle failed: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

#define FUZZ_CHECK(cond, detail)                                                       \
    do {                                                                               \
        if (!(cond))                                                                   \
            fuzz_fail(#cond, detail);                                                  \
    } while (0)

#endif
