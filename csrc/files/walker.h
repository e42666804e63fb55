/* The walker: expands one file descriptor (vss_filedesc) into the entries
 * on disk, streaming. Memory and open descriptors grow with the depth of
 * the tree, never with the number of files: it keeps a stack of open
 * directories (one fd each) and one path buffer.
 *
 * Rules:
 * - Non-recursive: the files directly in the directory whose names match
 *   the filespec. Recursive: the same in every directory below, and every
 *   directory itself (whatever its name: VSS recreates all directories,
 *   empty ones too, on restore). The walked directory itself is not
 *   reported. Order is readdir order, parents before their contents.
 * - Symlinks are reported as symlinks (lstat data) and never followed; a
 *   directory is entered with openat(parent, name, O_NOFOLLOW|O_DIRECTORY)
 *   and checked against its lstat identity, so one swapped for a symlink
 *   during the walk is reported, not followed. Only the walked directory
 *   itself may be reached through a symlink.
 * - Mount points are followed, as VSS follows mounted folders; each entry
 *   carries its st_dev so a caller can stay on one filesystem.
 * - An entry that cannot be read (EACCES on a directory, a file gone
 *   between readdir and lstat) comes out as VSS_ENTRY_ERROR with errno,
 *   code and message, and the walk goes on. A walked directory that cannot
 *   be opened is one such entry.
 * - Excludes subtract: an entry is dropped when an exclude's path is its
 *   parent directory, or any ancestor when the exclude is recursive, and
 *   the exclude's filespec matches its name. Exclude paths are compared
 *   with the path the entry stands for (under the descriptor's path, not
 *   the alternate location). A directory dropped this way is still entered
 *   (files below it may be selected), unless a recursive exclude whose
 *   filespec matches every name covers it.
 * - An alternate location is where the data is read: it is walked instead
 *   of path with the same filespec and recursion; each entry gives the path
 *   read and the path it stands for under the descriptor's path. */
#ifndef VSS_WALKER_H
#define VSS_WALKER_H

#include <stddef.h>
#include <sys/stat.h>

#include "base/error.h"
#include "files/filespec.h"
#include "files/pathmap.h"

typedef enum {
    VSS_ENTRY_FILE,
    VSS_ENTRY_DIRECTORY,
    VSS_ENTRY_SYMLINK,
    VSS_ENTRY_OTHER, /* fifo, socket, device */
    VSS_ENTRY_ERROR,
} vss_entry_kind;

typedef struct vss_walk_entry {
    vss_entry_kind kind;
    const char *path;     /* the path read on disk */
    const char *original; /* the path it stands for; == path without an alternate location */
    const char *relpath;  /* below the walked directory, '/'-separated; "" only for
                           * an error entry about the walked directory itself */
    const char *name;     /* last component of relpath */
    bool has_stat;        /* st is lstat data (false for some errors) */
    struct stat st;
    int sys_errno;        /* VSS_ENTRY_ERROR: the errno */
    int code;             /* VSS_ENTRY_ERROR: EACCES, VSS_CHANGED...; else 0 */
    const char *message;  /* VSS_ENTRY_ERROR: human text naming the path; else NULL */
} vss_walk_entry;

typedef struct vss_walk_options {
    /* The directory to walk, as a Linux path, when the descriptor's own
     * (path, or alternate_location when set) is not one: e.g. resolved by
     * a vss_pathmap. NULL: walk what the descriptor says, as written. */
    const char *root;
    /* The Linux path that stands for the descriptor's path; used when an
     * alternate location is walked. NULL: the descriptor's path. */
    const char *original_root;
    /* Excludes, with paths already in Linux form (resolved by the caller). */
    const vss_filedesc *excludes;
    size_t exclude_count;
    unsigned flags; /* VSS_MATCH_CASELESS */
    /* Skip the lstat of non-directories whose type readdir already gives
     * (has_stat false, kind from d_type): for a caller that opens and fstats
     * each file anyway, this halves the syscalls of a walk. */
    bool skip_stat;
} vss_walk_options;

typedef struct vss_walker vss_walker;

/* Copy what it needs from d and o (neither is kept). Opens nothing yet:
 * an unreadable walked directory is the first entry. Fails only on a bad
 * argument or no memory. */
int vss_walker_open(vss_walker **w, const vss_filedesc *d, const vss_walk_options *o,
                    vss_error *e);

/* Next entry: returns 1 and points *entry at storage valid until the next
 * call or vss_walker_free; 0 at the end (all directories closed). Never
 * fails: trouble on disk becomes VSS_ENTRY_ERROR entries. */
int vss_walker_next(vss_walker *w, const vss_walk_entry **entry);

/* Closes the open directories; NULL is fine. */
void vss_walker_free(vss_walker *w);

/* Open directories right now (for tests of the bounded-stack promise). */
size_t vss_walker_depth(const vss_walker *w);

const char *vss_entry_kind_name(vss_entry_kind k);

/* The Linux paths of a walk of a file set written in a document: the
 * descriptor's path, where its data is read (its alternate location, else
 * that path) and each exclude's path, every one resolved by
 * vss_document_path through map (without a map each must already be an
 * absolute Linux path without ".."). The backup and d:walk{root = map}
 * both walk a document's file set this way. */
typedef struct vss_walk_paths {
    char *original;         /* the descriptor's path */
    char *read;             /* the directory walked */
    vss_filedesc *excludes; /* path resolved and owned; filespec borrowed from the caller's */
    size_t exclude_count;
} vss_walk_paths;

/* Fill p (cleared first, so clearing it is always fine); the first path
 * that does not resolve fails the whole, excludes first, naming it. */
int vss_walk_paths_resolve(vss_walk_paths *p, const vss_pathmap *map, const vss_filedesc *d,
                           const vss_filedesc *excludes, size_t exclude_count, vss_error *e);
void vss_walk_paths_clear(vss_walk_paths *p);

#endif
