/* Growable arrays: a pointer, a count and a capacity kept side by side in
 * their owner. Growth lives here once: doubling from a small start, the
 * size computation checked for overflow, ENOMEM in e (which may be NULL,
 * for callers that word the error themselves). On failure the array is
 * left as it was, still the caller's to free. */
#ifndef VSS_ARRAY_H
#define VSS_ARRAY_H

#include <stddef.h>

#include "base/error.h"

/* Room for n+1 items of size bytes in *items (holding n, *cap allocated). */
int vss_grow(void **items, size_t *cap, size_t n, size_t size, vss_error *e);
/* Room for need items. */
int vss_grow_to(void **items, size_t *cap, size_t need, size_t size, vss_error *e);

/* The same for a typed array T *items with a size_t capacity:
 *     if (VSS_GROW(w->items, w->cap, w->n, e) != VSS_OK) return VSS_FAIL;
 *     w->items[w->n++] = x; */
#define VSS_GROW(items, cap, n, e) vss_grow((void **)&(items), &(cap), (n), sizeof *(items), (e))
#define VSS_GROW_TO(items, cap, need, e)                                                   \
    vss_grow_to((void **)&(items), &(cap), (need), sizeof *(items), (e))

#endif
