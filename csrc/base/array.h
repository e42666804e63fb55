/* Growable arrays: a pointer, a count and a capacity kept side by side in
 * their owner. Growth lives here once: doubling from a small start, the
 * size computation checked for overflow, ENOMEM in e. */
#ifndef VSS_ARRAY_H
#define VSS_ARRAY_H

#include <stddef.h>

#include "base/error.h"

/* Grow an array so that it holds n+1 items of size bytes. */
int vss_grow(void **items, size_t *cap, size_t n, size_t size, vss_error *e);

#endif
