#include "base/array.h"

#include <stdint.h>
#include <stdlib.h>

int vss_grow(void **items, size_t *cap, size_t n, size_t size, vss_error *e)
{
    if (n < *cap)
        return VSS_OK;
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > SIZE_MAX / size)
        return vss_error_set(e, ENOMEM, "out of memory");
    void *p = realloc(*items, ncap * size);
    if (p == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    *items = p;
    *cap = ncap;
    return VSS_OK;
}
