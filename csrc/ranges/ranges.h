/* Range lists: what partial files and directed targets are made of
 * (docs/model.md §6.1-6.2). A list of (offset, length) byte ranges in
 * the order given; operations say whether they need it normalized. */
#ifndef VSS_RANGES_H
#define VSS_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct vss_range {
    uint64_t offset;
    uint64_t length;
} vss_range;

typedef struct vss_ranges vss_ranges; /* opaque, growable */

/* One copy of a directed-target plan: length bytes from src_offset of the
 * backed-up file to dst_offset of the destination file. */
typedef struct vss_range_copy {
    uint64_t src_offset;
    uint64_t dst_offset;
    uint64_t length;
} vss_range_copy;

enum {
    /* Parse/check: entries sorted by offset, none overlapping, none of zero
     * length. Without it, foreign writers' unsorted or overlapping lists are
     * accepted as written (VSS says nothing about order). */
    VSS_RANGES_STRICT = 1u << 0,
    /* Parse/check: reject zero-length entries even when not strict. */
    VSS_RANGES_NO_ZERO = 1u << 1,
};

vss_ranges *vss_ranges_new(void); /* NULL when out of memory */
void vss_ranges_free(vss_ranges *r);
vss_ranges *vss_ranges_clone(const vss_ranges *r);

size_t vss_ranges_count(const vss_ranges *r);
const vss_range *vss_ranges_items(const vss_ranges *r); /* count entries */

/* Append one entry; fails on offset+length overflow or out of memory. */
int vss_ranges_append(vss_ranges *r, uint64_t offset, uint64_t length, vss_error *e);

/* Sum of lengths (overlaps counted twice); fails if it exceeds 2^64-1. */
int vss_ranges_total(const vss_ranges *r, uint64_t *total, vss_error *e);

/* Inline form: "o1:l1,o2:l2", decimal or 0x hex, optional blanks around
 * ',' and ':'. Errors name the entry (1-based) and the byte position. */
int vss_ranges_parse(const char *s, size_t len, unsigned flags, vss_ranges **out,
                     vss_error *e);

/* True when s[0..len) is a valid inline list (flags 0): the numeric-pair
 * grammar with every value and every offset+length within 2^64-1. */
bool vss_ranges_is_inline(const char *s, size_t len);

/* Canonical form: decimal, no blanks. Returns a malloc'd string ("" for an
 * empty list) or NULL with e filled. */
char *vss_ranges_format(const vss_ranges *r, vss_error *e);

/* The longest formatted entry with its separator: 20 + ':' + 20 + ','. */
#define VSS_RANGES_MAX_ENTRY_CHARS 42

/* Format entries [first, first+n) into buf (room for
 * n * VSS_RANGES_MAX_ENTRY_CHARS bytes), canonical form, no NUL added.
 * Returns the number of bytes written. For previews of long lists. */
size_t vss_ranges_format_entries(const vss_ranges *r, size_t first, size_t n, char *buf);

/* A partial-file ranges string that is not an inline list names a ranges
 * file: an optional case-insensitive "File=" then a path. Returns true and
 * points *path at the path inside s when s is such a reference. As VSS
 * says, anything that does not match the inline grammar is a path, so a
 * caller that wants the parse error of a mistyped list parses first. "" is
 * the empty inline list; "File=" alone names nothing (false). */
bool vss_ranges_file_reference(const char *s, const char **path);

/* Binary ranges file: little-endian u64 count, then count u64 pairs.
 * load checks the count against the file size (EINVAL when they disagree,
 * when the file is truncated or when an entry's offset+length overflows;
 * the errno name when it cannot be read). save writes a temporary file
 * beside path, fsyncs it, renames it over path and fsyncs the directory;
 * a replaced file keeps its permissions, a new one is 0600. */
int vss_ranges_load(const char *path, vss_ranges **out, vss_error *e);
int vss_ranges_save(const vss_ranges *r, const char *path, vss_error *e);
/* The same format from bytes in memory (path names them in messages). */
int vss_ranges_decode(const void *bytes, size_t len, const char *path, vss_ranges **out,
                      vss_error *e);
/* Read the ranges file once: its bytes (*bytes malloc'd, *len of them) and
 * the ranges decoded from those very bytes, for a caller that keeps the
 * file and uses its ranges (the store), so the two cannot disagree. */
int vss_ranges_read_file(const char *path, vss_ranges **out, void **bytes, size_t *len,
                         vss_error *e);

/* The ranges a partial-file or directed-target string stands for (§6.1,
 * §6.2), the one reading of "a ranges string or a ranges file": an inline
 * list, parsed with flags, or the ranges file it names ("File=<path>" or
 * a bare path), loaded and checked against flags. *file (file may be
 * NULL) points at the path inside s when s names a file, else is NULL.
 * EINVAL for "File=" alone, which names nothing. */
int vss_ranges_resolve(const char *s, unsigned flags, vss_ranges **out, const char **file,
                       vss_error *e);

/* Validate an existing list against flags (as parse would). */
int vss_ranges_check(const vss_ranges *r, unsigned flags, vss_error *e);

/* Sort by offset, drop zero-length entries, merge overlapping and adjacent. */
void vss_ranges_normalize(vss_ranges *r);

/* True when two entries share a byte (zero-length entries share none);
 * then *first < *second (either pointer may be NULL) get the 0-based
 * indices of one such pair in the list as given. */
bool vss_ranges_overlap(const vss_ranges *r, size_t *first, size_t *second);

/* Cut the list to [0, size): entries past size are dropped, entries that
 * cross it are shortened. Order is kept. */
void vss_ranges_clip(vss_ranges *r, uint64_t size);

/* Set operations over the bytes covered; inputs need not be normalized,
 * the result is. */
int vss_ranges_union(const vss_ranges *a, const vss_ranges *b, vss_ranges **out, vss_error *e);
int vss_ranges_intersection(const vss_ranges *a, const vss_ranges *b, vss_ranges **out,
                            vss_error *e);
int vss_ranges_difference(const vss_ranges *a, const vss_ranges *b, vss_ranges **out,
                          vss_error *e);

/* Directed-target copy plan: src and dst must have the same count and the
 * same length entry by entry (§6.2). *plan is malloc'd, *n entries, in order. */
int vss_ranges_map(const vss_ranges *src, const vss_ranges *dst, vss_range_copy **plan,
                   size_t *n, vss_error *e);

#endif
