/* Where file sets meet: the rules of docs/model.md §6.3-6.4 that compare one
 * (path, filespec, recursive) triple with another or with a file, without
 * looking at a disk. Paths compare byte for byte with '\' and '/' as one
 * separator, runs of them as one, trailing ones ignored. */
#ifndef VSS_FILESET_H
#define VSS_FILESET_H

#include <stdbool.h>

#include "files/filespec.h"

/* child is parent or lies beneath it (vss_path_equal, in filespec.h, says
 * whether two paths are the same). */
bool vss_path_within(const char *child, const char *parent);

/* A file named `name` in directory `dir` belongs to the file set d. */
bool vss_fileset_has_file(const vss_filedesc *d, const char *dir, const char *name);

/* Some file name matches both filespecs ('*' any run, '?' one character,
 * "*.*" every name): a reachability walk over pairs of pattern positions,
 * O(len(a)·len(b)). */
bool vss_filespecs_intersect(const char *a, const char *b);

/* Some file could belong to both sets: their directories meet (the same,
 * or one beneath a recursive other) and their filespecs intersect. */
bool vss_filesets_overlap(const vss_filedesc *x, const vss_filedesc *y);

#endif
