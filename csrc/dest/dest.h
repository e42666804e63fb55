/* Destinations: where a restore writes, and where its safety lives.
 * A destination holds a directory fd of its root; every path given to it is
 * relative data (from a document, a store, a script), never trusted:
 * absolute paths and ".." are refused, and no symlink met on the way is
 * followed (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or openat with
 * O_NOFOLLOW one component at a time on kernels before 5.6). A file is
 * never written in place: whole files go to a temporary name in their
 * directory, range updates to a clone of the existing file, and commit
 * fsyncs, renames and fsyncs the directory, so a crash leaves the old
 * content or the new one. */
#ifndef VSS_DEST_H
#define VSS_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/error.h"
#include "ranges/ranges.h"

typedef struct vss_dest vss_dest;
typedef struct vss_dest_file vss_dest_file;

enum {
    /* Whole-file writes may replace an existing entry ("restore if can
     * replace"); without it they fail with EEXIST ("restore if not
     * there"), checked again atomically at the rename. */
    VSS_DEST_REPLACE = 1u << 0,
    /* Resolve one component at a time with O_NOFOLLOW, as on kernels
     * without openat2 (chosen by itself on ENOSYS); for tests. */
    VSS_DEST_WALK = 1u << 1,
};

/* Codes: "ESCAPE" for a path that is absolute, holds "..", or meets a
 * symlink; "EINVAL" for an empty path or one naming no file; "EEXIST";
 * errno names for the rest. Messages name the relative path. */

/* root must be an existing directory (symlinks in root itself are the
 * caller's choice and are followed, once, here). */
int vss_dest_open(const char *root, unsigned flags, vss_dest **out,
                  vss_error *e);
void vss_dest_free(vss_dest *t);
const char *vss_dest_root(const vss_dest *t); /* absolute, resolved */
unsigned vss_dest_flags(const vss_dest *t);

/* Check relpath's syntax only (no file system access). "." and empty
 * components are skipped; a trailing '/' is refused when file is true. */
int vss_dest_path_check(const char *relpath, int file, vss_error *e);

/* root + "/" + relpath in canonical form, checked as above; malloc'd. */
char *vss_dest_path(const vss_dest *t, const char *relpath, vss_error *e);

/* Create relpath and its missing parents beneath the root (mode 0777 less
 * the umask); existing directories are fine, a symlink on the way is not. */
int vss_dest_mkdir(vss_dest *t, const char *relpath, vss_error *e);

/* Remove the temporaries (".<name>.vss-XXXXXXXX", regular files) that a
 * restore killed mid-file left in the directory reldir ("" for the root);
 * a directory not there is fine. *removed (may be NULL) counts them. */
int vss_dest_sweep(vss_dest *t, const char *reldir, size_t *removed,
                   vss_error *e);

/* Remove the file relpath (not a directory); one not there is fine. */
int vss_dest_remove(vss_dest *t, const char *relpath, vss_error *e);

/* A new file for relpath: an empty temporary beside it (parents created),
 * fd open for reading and writing. Fails with EEXIST when relpath exists
 * and the destination lacks VSS_DEST_REPLACE. A replaced file's mode is
 * kept; a new one is 0666 less the umask. */
int vss_dest_begin_file(vss_dest *t, const char *relpath,
                        vss_dest_file **out, vss_error *e);

/* A temporary clone of the existing regular file relpath (FICLONE when
 * the file system shares extents, else copy_file_range), with its mode
 * and, where permitted, its owner, to lay ranges on. */
int vss_dest_begin_update(vss_dest *t, const char *relpath,
                          vss_dest_file **out, vss_error *e);

/* The temporary's fd: write to it (store extract, copy plans); don't close it. */
int vss_dest_file_fd(const vss_dest_file *f);

/* fsync, rename over relpath (RENAME_NOREPLACE without the replace flag
 * for a new file), fsync the directory. f is freed either way; on failure
 * the temporary is removed and relpath is untouched. */
int vss_dest_file_commit(vss_dest_file *f, vss_error *e);

/* Drop the temporary; relpath is untouched. f is freed. NULL is fine. */
void vss_dest_file_abort(vss_dest_file *f);

/* A batch of files committed together. Each fsync is a flush of the
 * disk's cache; a restore of many small files would spend its time there.
 * So a batch starts each file's writeback as it is added, then, at
 * commit, makes them all durable with one syncfs per file system, renames
 * each into place, and fsyncs each directory once. A crash before the
 * commit leaves the old files and some temporaries (removed by
 * vss_dest_sweep); after it, what one commit per file leaves. */
typedef struct vss_dest_batch vss_dest_batch;

int vss_dest_batch_new(vss_dest_batch **out, vss_error *e);
/* Drops whatever is pending (temporaries removed, nothing renamed). */
void vss_dest_batch_free(vss_dest_batch *b);
/* f belongs to the batch from here on, also on failure (then it is
 * dropped); tag comes back with the file's outcome. */
int vss_dest_batch_add(vss_dest_batch *b, vss_dest_file *f, void *tag, vss_error *e);
size_t vss_dest_batch_count(const vss_dest_batch *b);
size_t vss_dest_batch_dirs(const vss_dest_batch *b); /* distinct directories */
uint64_t vss_dest_batch_bytes(const vss_dest_batch *b);
/* Told once per file at commit: e NULL when it is in place, else why
 * not ("EEXIST" when a new file's name appeared meanwhile). */
typedef void (*vss_dest_batch_fn)(void *ud, void *tag, const vss_error *e);
/* Commit every pending file; the batch is empty and reusable after.
 * VSS_FAIL when the files could not be made durable (each file was told,
 * none renamed) or a directory not synced. */
int vss_dest_batch_commit(vss_dest_batch *b, vss_dest_batch_fn fn, void *ud,
                          vss_error *e);

/* Lay a directed-target copy plan: in plan order, length bytes from
 * src_offset of src_fd to dst_offset of dst_fd (which grows as needed).
 * EINVAL, before anything is written, when an entry overflows or reads
 * past the end of the source (naming it). Large ranges go by
 * copy_file_range (pread/pwrite where the kernel or file systems refuse);
 * many small ones with disjoint destinations go as vectored writes from a
 * mapping of the source, one pwritev per destination run, so the source must
 * not shrink meanwhile. src and dst must be different files. */
int vss_apply_copy_plan(int src_fd, int dst_fd, const vss_range_copy *plan, size_t n,
                        vss_error *e);

/* dst_fd becomes a copy of the regular file src_fd: FICLONE (shared
 * extents) where the file system allows, else copy_file_range. */
int vss_copy_whole(int src_fd, int dst_fd, vss_error *e);

/* ---- metadata and entries other than regular files (dest_node.c) ---- */

typedef struct vss_dest_xattr {
    const char *name;
    const void *value;
    size_t size;
} vss_dest_xattr;

/* What an entry is given besides its content. Owner first (as root; it
 * clears set-id bits and security.capability), then mode (set-id and
 * sticky bits included), extended attributes (POSIX ACLs and
 * capabilities are xattrs), times; inode flags apart, last of all. */
typedef struct vss_dest_meta {
    uint32_t mode; /* permission bits and S_ISUID/S_ISGID/S_ISVTX; type bits ignored */
    uint32_t uid, gid;
    struct timespec atime, mtime;
    const vss_dest_xattr *xattrs;
    size_t nxattrs;
    uint32_t flags; /* FS_IOC_SETFLAGS bits to set (immutable, append-only...) */
} vss_dest_meta;

/* *lost: what could not be given (not an error): the owner, when a
 * process that is not root cannot give the entry away. */
enum { VSS_DEST_LOST_OWNER = 1u << 0 };

/* Owner, mode, xattrs and times onto a pending file's temporary (not its
 * flags: an immutable file could not be renamed into place; set them
 * with vss_dest_set_meta(VSS_DEST_META_FLAGS) once it is). */
int vss_dest_file_meta(vss_dest_file *f, const vss_dest_meta *m, unsigned *lost, vss_error *e);

/* An entry other than a regular file or directory. */
typedef struct vss_dest_node {
    uint32_t type;      /* S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK; 0 for a hard link */
    const char *target; /* a symlink's text, written as is (never followed) */
    dev_t rdev;         /* a device's number */
    const char *link;   /* a hard link: the existing entry it names (relative,
                           beneath the same root, no symlink followed) */
} vss_dest_node;

/* relpath becomes the node (parents made): created under a temporary
 * name beside it, given m (NULL: nothing; a hard link shares its
 * inode's), then renamed into place (EEXIST without VSS_DEST_REPLACE,
 * EISDIR when a directory stands there). Not made durable one by one
 * (an fsync of the directory per symlink costs a disk flush each):
 * vss_dest_sync once after many. A crash before leaves the old entry or
 * the new one, and perhaps a temporary that vss_dest_sweep removes. */
int vss_dest_node_make(vss_dest *t, const char *relpath, const vss_dest_node *n,
                       const vss_dest_meta *m, unsigned *lost, vss_error *e);

/* The directory relpath and its parents made (vss_dest_mkdir); *existed
 * (may be NULL) says whether it was there already. With VSS_DEST_REPLACE
 * an existing one's immutable and append-only flags are cleared so that
 * its content can be laid (vss_dest_set_meta gives them back at the end). */
int vss_dest_dir(vss_dest *t, const char *relpath, bool *existed, vss_error *e);

enum {
    VSS_DEST_META_ALL = 1u << 0,   /* owner, mode, xattrs, times */
    VSS_DEST_META_FLAGS = 1u << 1, /* the inode flags */
};
/* Give the existing directory or regular file relpath (no symlink
 * followed) what of m `what` says, flags last. Directories are given
 * theirs after their content is laid, so that laying it does not change
 * their times. */
int vss_dest_set_meta(vss_dest *t, const char *relpath, const vss_dest_meta *m, unsigned what,
                      unsigned *lost, vss_error *e);
/* Make what was laid beneath the root durable: one syncfs of its file
 * system (entries, metadata and directories' changes alike). */
int vss_dest_sync(vss_dest *t, vss_error *e);
/* Remove the empty directory relpath; one not there is fine. */
int vss_dest_rmdir(vss_dest *t, const char *relpath, vss_error *e);

/* Conveniences over begin/commit. write: relpath becomes data. copy:
 * relpath becomes a copy of src_fd. apply_plan: the plan laid from src_fd
 * onto a clone of relpath when it exists (an update), else onto a new
 * file. Each is all or nothing. */
int vss_dest_write(vss_dest *t, const char *relpath, const void *data, size_t len,
                   vss_error *e);
int vss_dest_copy(vss_dest *t, const char *relpath, int src_fd, vss_error *e);
int vss_dest_apply_plan(vss_dest *t, const char *relpath, int src_fd,
                        const vss_range_copy *plan, size_t n, vss_error *e);

#endif
