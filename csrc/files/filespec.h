/* File specifications: a file set as VSS has it (path + filespec +
 * recursive, an optional alternate location, a backup-type mask), the
 * matching of '*' and '?' filespecs, and the walker that expands a file set
 * into files on disk (docs/model.md §6.3). */
#ifndef VSS_FILESPEC_H
#define VSS_FILESPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* VSS_FILE_SPEC_BACKUP_TYPE bits (§4). */
enum {
    VSS_FSBT_FULL_BACKUP_REQUIRED = 0x1,
    VSS_FSBT_DIFFERENTIAL_BACKUP_REQUIRED = 0x2,
    VSS_FSBT_INCREMENTAL_BACKUP_REQUIRED = 0x4,
    VSS_FSBT_LOG_BACKUP_REQUIRED = 0x8,
    VSS_FSBT_FULL_SNAPSHOT_REQUIRED = 0x100,
    VSS_FSBT_DIFFERENTIAL_SNAPSHOT_REQUIRED = 0x200,
    VSS_FSBT_INCREMENTAL_SNAPSHOT_REQUIRED = 0x400,
    VSS_FSBT_LOG_SNAPSHOT_REQUIRED = 0x800,
    VSS_FSBT_CREATED_DURING_BACKUP = 0x10000,
    VSS_FSBT_ALL_BACKUP_REQUIRED = 0xF,
    VSS_FSBT_ALL_SNAPSHOT_REQUIRED = 0xF00,
    VSS_FSBT_DEFAULT = 0xF0F,
};

enum {
    /* Match filespecs without regard to ASCII case, as Windows does; for
     * documents that come from Windows. Linux matching is case-sensitive. */
    VSS_MATCH_CASELESS = 1u << 0,
};

/* A file descriptor (IVssWMFiledesc). Strings are owned, kept as written
 * (Windows forms such as %SystemRoot%\System32 included). */
typedef struct vss_filedesc {
    char *path;
    char *filespec;
    bool recursive;
    char *alternate_location; /* NULL when none */
    uint32_t backup_type_mask; /* VSS_FSBT_*; VSS_FSBT_DEFAULT unless given */
} vss_filedesc;

/* Fill d with copies of the strings. Fails, naming the argument, when path
 * is empty or has a wildcard, or filespec is empty or has a separator, or
 * alternate_location (NULL for none) is empty or has a wildcard. The mask is
 * kept as given (a document may carry bits newer than this list). On
 * failure d holds no memory. */
int vss_filedesc_init(vss_filedesc *d, const char *path, const char *filespec, bool recursive,
                      const char *alternate_location, uint32_t backup_type_mask, vss_error *e);
int vss_filedesc_copy(vss_filedesc *dst, const vss_filedesc *src, vss_error *e);
void vss_filedesc_clear(vss_filedesc *d); /* frees the strings; d stays reusable */

/* True when a and b name the same file set: paths equal once separators
 * and a trailing separator are normalized (vss_path_equal), filespecs equal
 * as strings, both under flags; recursive equal. The alternate location and
 * mask are not compared. "*" and "*.*" are different strings, so different
 * sets, as VSS compares the triple as written. */
bool vss_filedesc_same_set(const vss_filedesc *a, const vss_filedesc *b, unsigned flags);

/* Filespec matching of one file name (no directory part): '*' any run,
 * '?' one character, "*.*" also matches names without a dot. The rules, in
 * full (docs/model.md §6.3 infers FindFirstFile's):
 * - Case: exact bytes by default, as Linux names are; VSS_MATCH_CASELESS
 *   folds ASCII letters only (bytes >= 0x80 compare exactly), for documents
 *   written on Windows.
 * - '*' matches any run of characters, including none; '?' exactly one
 *   character (one UTF-8 sequence when the name is valid UTF-8 there, else
 *   one byte); every other character matches itself ('[' is not special).
 * - A trailing ".*" may also match nothing at the end of the name, so "*.*"
 *   matches every name and "File1.*" matches "File1" too.
 * - Cost is O(len(filespec) * len(name)) at worst (greedy star with one
 *   backtrack point), never exponential: "*a*a*a*a*b" is cheap. */
bool vss_filespec_match(const char *filespec, const char *name, unsigned flags);

/* True when the filespec matches every name ("*", "**", "*.*"): lets the
 * walker prune a directory that a recursive exclude removes entirely. */
bool vss_filespec_matches_all(const char *filespec);

/* True when two paths name the same directory as written: '/' and '\' are
 * one separator, runs of them count as one, a trailing one is ignored; the
 * characters compare as vss_filespec_match compares them under flags. */
bool vss_path_equal(const char *a, const char *b, unsigned flags);

#endif
