/* Inside the store: what store.c, store_manifest.c, store_copy.c,
 * store_tx.c, store_reader.c and store_verify.c share. Not part of the
 * engine's API. */
#ifndef VSS_STORE_IMPL_H
#define VSS_STORE_IMPL_H

#include "store/store.h"
#include "base/strbuf.h"

#define STORE_MARKER "luavss-store"
#define STORE_LOCK "lock"
#define STORE_READ_LOCK "read.lock"
#define STORE_BACKUPS "backups"
#define STORE_INCOMING "incoming"
#define STORE_TRASH "trash"
#define STORE_MANIFEST "manifest"
#define STORE_DATA "data"
/* Large sequential I/O, bounded memory. Measured on ext4 (bench/store.lua):
 * 256 KiB copies a 2 GiB file 3-4x faster than 1 MiB, whose buffer no
 * longer fits the CPU cache between the read and the write. */
#define STORE_IO_BUF (256u << 10)

struct vss_store {
    char *path;
    int dirfd;
};

/* flock name (under the store) with op LOCK_SH or LOCK_EX; *fd >= 0 then.
 * With VSS_STORE_NOWAIT a held lock fails with ELOCKED. */
int store_lock(vss_store *s, const char *name, int op, unsigned flags, int *fd, vss_error *e);
void store_unlock(int fd);
/* Remove name (a file or a whole tree) beneath dirfd; 0 or -1 with errno. */
int store_remove_tree(int dirfd, const char *name);
/* Remove every entry of the directory name beneath the store (leftovers). */
void store_clean_dir(vss_store *s, const char *name);
/* Open rel beneath the store and nowhere else (base/beneath.h: no
 * symlink followed, non-blocking), then fstat it: what is not a regular
 * file (type S_IFREG) or a directory (S_IFDIR) is ECORRUPT naming it, as
 * is a symlink on the way. ENOENT stays ENOENT. fd, or -1 with e set. */
int store_open(vss_store *s, const char *rel, int flags, mode_t mode, unsigned type,
               vss_error *e);
/* Open an object of a committed backup for reading (a regular file). */
int store_open_object(vss_store *s, const char *id, const char *object, vss_error *e);
int store_check_id(const char *id, vss_error *e);

/* Manifest text (docs/store-format.md). head_only parses the first two
 * lines (for listings); else the whole text and its end digest. */
int store_manifest_parse(const char *text, size_t len, const char *id, int head_only,
                         vss_store_manifest **out, vss_error *e);
void store_manifest_head(vss_strbuf *b, const vss_store_info *info);
void store_manifest_entry(vss_strbuf *b, const vss_store_entry *en);
void store_manifest_end(vss_strbuf *b, uint64_t entries);
void store_entry_clear(vss_store_entry *en);
void store_attrs_free(vss_store_attrs *a);

/* The data path (store_copy.c). */
typedef struct store_copy {
    unsigned char *buf; /* STORE_IO_BUF bytes */
    vss_hasher *whole;  /* the entry digest */
    vss_hasher *part;   /* one range's digest */
} store_copy;

int store_copy_init(store_copy *c, vss_error *e);
void store_copy_fini(store_copy *c);
/* Whole file src_fd (size bytes) to dst_fd at the same offsets, holes
 * kept; fills en->ranges (the data extents), en->stored, en->digest. */
int store_copy_whole(store_copy *c, int src_fd, int dst_fd, uint64_t size, vss_store_entry *en,
                     const char *src_path, vss_error *e);
/* Only ranges (clipped to size), packed in order; fills en->ranges,
 * en->parts, en->stored, en->digest. */
int store_copy_ranges(store_copy *c, int src_fd, int dst_fd, uint64_t size, const vss_ranges *r,
                      vss_store_entry *en, const char *src_path, vss_error *e);
/* Read the source's attributes and xattrs. */
int store_read_attrs(int fd, const char *src_path, vss_store_attrs **out, vss_error *e);
int store_apply_attrs(int fd, const vss_store_attrs *a, const char *what, vss_error *e);
/* The same of an entry that is not opened (a symlink, fifo, device): lstat
 * data and l*xattr; a directory's inode flags too. */
int store_read_attrs_path(const char *path, vss_store_attrs **out, vss_error *e);

/* Info of every backup, oldest first, for callers holding a lock (store.c). */
int store_list_unlocked(vss_store *s, vss_store_info **out, size_t *n, vss_error *e);
/* A manifest, for callers holding the read lock (store.c). */
int store_manifest_read(vss_store *s, const char *id, vss_store_manifest **out, vss_error *e);

/* Reading an entry's object back (store_copy.c): every digest checked,
 * each mismatch handed to damage (what: "data", "range 2 (4096:512)",
 * "object size"); *damaged says whether any was found. When dst_fd >= 0
 * the bytes are laid down there at the file's offsets. */
typedef void (*store_damage_fn)(void *ctx, const char *what, const vss_digest *expected,
                                const vss_digest *actual);
int store_read_entry(store_copy *c, int obj_fd, const vss_store_entry *en, int dst_fd,
                     store_damage_fn damage, void *ctx, int *damaged, vss_error *e);
#endif
