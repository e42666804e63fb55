/* Operations on range lists: normalize, overlap, clip, the set operations
 * and the directed-target copy plan. Sort and sweep throughout, so a list
 * of a million ranges costs O(n log n), never O(n^2). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ranges/ranges_impl.h"

static int by_offset(const void *a, const void *b)
{
    const vss_range *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    if (x->length != y->length)
        return x->length < y->length ? -1 : 1;
    return 0;
}

static bool is_sorted(const vss_range *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i].offset < v[i - 1].offset)
            return false;
    return true;
}

void vss_ranges_normalize(vss_ranges *r)
{
    vss_range *v = r->items;
    size_t n = r->count, out = 0;
    if (!is_sorted(v, n)) /* lists are usually written in order: skip the sort */
        qsort(v, n, sizeof *v, by_offset);
    for (size_t i = 0; i < n; i++) {
        if (v[i].length == 0)
            continue;
        if (out > 0) {
            vss_range *last = &v[out - 1];
            uint64_t end = last->offset + last->length;
            if (v[i].offset <= end) { /* overlapping or adjacent: merge */
                uint64_t vend = v[i].offset + v[i].length;
                if (vend > end)
                    last->length = vend - last->offset;
                continue;
            }
        }
        v[out++] = v[i];
    }
    r->count = out;
}

/* Entries as (index, range) for the sweep of vss_ranges_overlap. */
typedef struct indexed {
    vss_range r;
    size_t index;
} indexed;

static int indexed_by_offset(const void *a, const void *b)
{
    const indexed *x = a, *y = b;
    int c = by_offset(&x->r, &y->r);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static bool overlapping(const vss_range *a, const vss_range *b)
{
    if (a->length == 0 || b->length == 0)
        return false;
    return a->offset < b->offset + b->length && b->offset < a->offset + a->length;
}

static bool report(size_t i, size_t j, size_t *first, size_t *second)
{
    if (first != NULL)
        *first = i < j ? i : j;
    if (second != NULL)
        *second = i < j ? j : i;
    return true;
}

/* Out of memory for the index: still answer, the slow way. */
static bool overlap_quadratic(const vss_ranges *r, size_t *first, size_t *second)
{
    for (size_t j = 1; j < r->count; j++)
        for (size_t i = 0; i < j; i++)
            if (overlapping(&r->items[i], &r->items[j]))
                return report(i, j, first, second);
    return false;
}

bool vss_ranges_overlap(const vss_ranges *r, size_t *first, size_t *second)
{
    const vss_range *v = r->items;
    size_t n = r->count;
    if (is_sorted(v, n)) {
        /* Sorted: an entry can only collide with the furthest-reaching
         * non-empty one before it. */
        size_t reach = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            if (v[i].length == 0)
                continue;
            if (reach != SIZE_MAX && overlapping(&v[reach], &v[i]))
                return report(reach, i, first, second);
            if (reach == SIZE_MAX ||
                v[i].offset + v[i].length > v[reach].offset + v[reach].length)
                reach = i;
        }
        return false;
    }
    indexed *x = n <= SIZE_MAX / sizeof *x ? malloc(n * sizeof *x) : NULL;
    if (x == NULL)
        return overlap_quadratic(r, first, second);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].length != 0)
            x[m++] = (indexed){v[i], i};
    qsort(x, m, sizeof *x, indexed_by_offset);
    bool found = false;
    for (size_t k = 1, reach = 0; k < m; k++) {
        if (overlapping(&x[reach].r, &x[k].r)) {
            found = report(x[reach].index, x[k].index, first, second);
            break;
        }
        if (x[k].r.offset + x[k].r.length > x[reach].r.offset + x[reach].r.length)
            reach = k;
    }
    free(x);
    return found;
}

void vss_ranges_clip(vss_ranges *r, uint64_t size)
{
    size_t out = 0;
    for (size_t i = 0; i < r->count; i++) {
        vss_range c = r->items[i];
        if (c.offset >= size)
            continue;
        if (c.length > size - c.offset)
            c.length = size - c.offset;
        r->items[out++] = c;
    }
    r->count = out;
}

/* Normalized copies of a and b, or an ENOMEM error. */
static int normalized_pair(const vss_ranges *a, const vss_ranges *b, vss_ranges **na,
                           vss_ranges **nb, vss_error *e)
{
    *na = vss_ranges_clone(a);
    *nb = vss_ranges_clone(b);
    if (*na == NULL || *nb == NULL) {
        vss_ranges_free(*na);
        vss_ranges_free(*nb);
        return vss_error_set(e, ENOMEM, "ranges: out of memory");
    }
    vss_ranges_normalize(*na);
    vss_ranges_normalize(*nb);
    return VSS_OK;
}

int vss_ranges_union(const vss_ranges *a, const vss_ranges *b, vss_ranges **out, vss_error *e)
{
    *out = NULL;
    vss_ranges *u = vss_ranges_new();
    if (u == NULL || a->count > SIZE_MAX - b->count ||
        !vss_ranges_reserve_(u, a->count + b->count)) {
        vss_ranges_free(u);
        return vss_error_set(e, ENOMEM, "ranges: out of memory");
    }
    if (a->count != 0)
        memcpy(u->items, a->items, a->count * sizeof(vss_range));
    if (b->count != 0)
        memcpy(u->items + a->count, b->items, b->count * sizeof(vss_range));
    u->count = a->count + b->count;
    vss_ranges_normalize(u);
    *out = u;
    return VSS_OK;
}

/* Sweep two normalized lists; keep the bytes in a and (in b, or not in b
 * when `keep_outside_b`). The result is normalized: pieces come out sorted,
 * disjoint, and never adjacent because a's entries are not. */
static int sweep(const vss_ranges *a, const vss_ranges *b, bool keep_outside_b, vss_ranges **out,
                 vss_error *e)
{
    *out = NULL;
    vss_ranges *na, *nb;
    if (normalized_pair(a, b, &na, &nb, e) != VSS_OK)
        return VSS_FAIL;
    vss_ranges *res = vss_ranges_new();
    /* Each piece starts at an a entry or ends a b gap: na + nb bounds both. */
    if (res == NULL || !vss_ranges_reserve_(res, na->count + nb->count)) {
        vss_ranges_free(na);
        vss_ranges_free(nb);
        vss_ranges_free(res);
        return vss_error_set(e, ENOMEM, "ranges: out of memory");
    }
    size_t j = 0;
    for (size_t i = 0; i < na->count; i++) {
        uint64_t lo = na->items[i].offset, hi = lo + na->items[i].length;
        while (j < nb->count && nb->items[j].offset + nb->items[j].length <= lo)
            j++;
        /* b entries from j on end after lo; walk those that start before hi */
        for (size_t k = j; k < nb->count && nb->items[k].offset < hi; k++) {
            uint64_t blo = nb->items[k].offset, bhi = blo + nb->items[k].length;
            if (keep_outside_b) {
                if (blo > lo)
                    vss_ranges_push_(res, lo, blo - lo);
                lo = bhi;
                if (lo >= hi)
                    break;
            } else {
                uint64_t s = blo > lo ? blo : lo, t = bhi < hi ? bhi : hi;
                vss_ranges_push_(res, s, t - s);
            }
        }
        if (keep_outside_b && lo < hi)
            vss_ranges_push_(res, lo, hi - lo);
    }
    vss_ranges_free(na);
    vss_ranges_free(nb);
    *out = res;
    return VSS_OK;
}

int vss_ranges_intersection(const vss_ranges *a, const vss_ranges *b, vss_ranges **out,
                            vss_error *e)
{
    return sweep(a, b, false, out, e);
}

int vss_ranges_difference(const vss_ranges *a, const vss_ranges *b, vss_ranges **out,
                          vss_error *e)
{
    return sweep(a, b, true, out, e);
}

int vss_ranges_map(const vss_ranges *src, const vss_ranges *dst, vss_range_copy **plan,
                   size_t *n, vss_error *e)
{
    *plan = NULL;
    *n = 0;
    if (src->count != dst->count)
        return vss_error_set(e, EINVAL,
                             "directed target: the source has %zu ranges, the destination %zu",
                             src->count, dst->count);
    for (size_t i = 0; i < src->count; i++)
        if (src->items[i].length != dst->items[i].length)
            return vss_error_set(e, EINVAL,
                                 "directed target: entry %zu has source length %" PRIu64
                                 " but destination length %" PRIu64,
                                 i + 1, src->items[i].length, dst->items[i].length);
    if (src->count == 0)
        return VSS_OK;
    vss_range_copy *p = src->count <= SIZE_MAX / sizeof *p ? malloc(src->count * sizeof *p) : NULL;
    if (p == NULL)
        return vss_error_set(e, ENOMEM, "directed target: out of memory for %zu copies",
                             src->count);
    for (size_t i = 0; i < src->count; i++)
        p[i] = (vss_range_copy){src->items[i].offset, dst->items[i].offset, src->items[i].length};
    *plan = p;
    *n = src->count;
    return VSS_OK;
}
