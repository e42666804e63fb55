/* Path maps: the explicit translation of the Windows-form paths written in
 * VSS documents (%SystemRoot%\System32, C:\Data, \\?\Volume{...}\x) into
 * Linux paths. luavss never guesses a mapping: a path resolves only through
 * a prefix the caller added, or fails with ENOENT. */
#ifndef VSS_PATHMAP_H
#define VSS_PATHMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

typedef struct vss_pathmap vss_pathmap;

vss_pathmap *vss_pathmap_new(void); /* NULL when out of memory */
void vss_pathmap_free(vss_pathmap *m);

/* Map the Windows-side prefix (e.g. "%SystemRoot%", "C:", "\\" for
 * volume-relative paths) to an absolute Linux directory. '\\' and '/' are
 * one separator; trailing ones are dropped. Fails on an empty prefix, a
 * relative or empty target, or a prefix added twice (compared caselessly). */
int vss_pathmap_add(vss_pathmap *m, const char *prefix, const char *target, vss_error *e);

size_t vss_pathmap_count(const vss_pathmap *m);
/* The i-th mapping in the order added, as normalized. */
void vss_pathmap_get(const vss_pathmap *m, size_t i, const char **prefix, const char **target);

/* Resolve path through the longest prefix that matches it caselessly
 * (ASCII) and ends at a component boundary. The rest is split on '\\' and
 * '/', empty and "." components dropped, and joined under the target with
 * '/'; the result has no trailing separator. *out is malloc'd (caller
 * frees). Fails with ENOENT when no prefix applies and EINVAL on a ".."
 * component, which could climb out of the target. */
int vss_pathmap_resolve(const vss_pathmap *m, const char *path, char **out, vss_error *e);

/* A path from a document in Linux form: through m when one is given
 * (vss_pathmap_resolve), else the path itself, which must then be
 * absolute and hold no ".." component (EINVAL, ESCAPE: a document is data,
 * not a licence to name any place). No trailing separator; malloc'd. */
int vss_document_path(const vss_pathmap *m, const char *path, char **out, vss_error *e);

/* path has a ".." component ('/' separated). */
bool vss_path_climbs(const char *path);

#endif
