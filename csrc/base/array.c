#include "base/array.h"

#include <stdint.h>
#include <stdlib.h>

#define FIRST_CAP 4

int vss_grow_to(void **items, size_t *cap, size_t need, size_t size, vss_error *e)
{
    if (need <= *cap && *items != NULL)
        return VSS_OK;
    size_t ncap = *cap ? *cap : FIRST_CAP;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return vss_error_set(e, ENOMEM, "out of memory");
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / size)
        return vss_error_set(e, ENOMEM, "out of memory");
    void *p = realloc(*items, ncap * size);
    if (p == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    *items = p;
    *cap = ncap;
    return VSS_OK;
}

int vss_grow(void **items, size_t *cap, size_t n, size_t size, vss_error *e)
{
    if (n == SIZE_MAX)
        return vss_error_set(e, ENOMEM, "out of memory");
    return vss_grow_to(items, cap, n + 1, size, e);
}
