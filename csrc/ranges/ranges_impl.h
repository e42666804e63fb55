/* The inside of a vss_ranges, shared by the files that implement it
 * (ranges.c: the container, parsing and formatting; ranges_ops.c: the
 * operations; ranges_file.c: the binary ranges file). Nothing else
 * includes this header: everyone else sees the opaque type. */
#ifndef VSS_RANGES_IMPL_H
#define VSS_RANGES_IMPL_H

#include "ranges/ranges.h"

struct vss_ranges {
    vss_range *items;
    size_t count;
    size_t cap;
};

/* Make room for at least `need` entries (doubling); false when out of memory. */
bool vss_ranges_reserve_(vss_ranges *r, size_t need);

/* Append without the overflow check, for callers that know offset+length
 * fits (entries copied from another list). Room must be reserved. */
static inline void vss_ranges_push_(vss_ranges *r, uint64_t offset, uint64_t length)
{
    r->items[r->count].offset = offset;
    r->items[r->count].length = length;
    r->count++;
}

#endif
