/* The backup store: backup sets on disk (a directory), each immutable once
 * committed, written under a temporary name and renamed into place, every
 * stored byte covered by an XXH3-128 digest. The layout and the manifest
 * are described in docs/store-format.md.
 *
 * Locking: writers (a transaction, a delete) hold an exclusive flock on
 * <store>/lock for their whole run, so a crashed writer's lock goes with
 * its process. Readers take a shared flock on <store>/read.lock for one
 * call; only a delete takes it exclusively, so reading never waits for a
 * long backup. The next writer to take the lock removes what a crashed
 * one left behind (incoming/, trash/). */
#ifndef VSS_STORE_H
#define VSS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/digest.h"
#include "base/error.h"
#include "documents/enums.h"
#include "ranges/ranges.h"

/* The format written: version 2 (a whole file's digest covers its
 * extents' bytes, never its holes; the directory, symlink, fifo, device
 * and hardlink entries and the flags= attribute). Version 1 stores and manifests are
 * still read (docs/store-format.md). */
#define VSS_STORE_VERSION 2
#define VSS_STORE_ID_MAX 48
/* The reserved document name of the Backup Components Document; every
 * other document of a backup is a writer metadata document. */
#define VSS_STORE_COMPONENTS "backup_components"

enum {
    VSS_STORE_CREATE = 1u << 0, /* open: make the store when path is absent or empty */
    VSS_STORE_NOWAIT = 1u << 1, /* lock: fail with ELOCKED instead of waiting */
    VSS_STORE_FORCE = 1u << 2,  /* delete: even when other backups depend on it */
    VSS_STORE_ATTRS = 1u << 3,  /* add_file: record attributes; extract: apply them */
};

/* A backup's type is a VSS_BT_* (documents/enums.h), full to copy; the
 * manifest spells it with its name in vss_enum_backup_type ("full",
 * "incremental"...). NULL for any other number (undefined, other). */
const char *vss_store_type_name(int type);
int vss_store_type_parse(const char *name); /* 0 when unknown */


typedef struct vss_store_info {
    char id[VSS_STORE_ID_MAX];
    int type;
    struct timespec time; /* when the transaction began, UTC */
    char base[VSS_STORE_ID_MAX]; /* "" when none */
    uint64_t files;  /* entries other than documents */
    uint64_t stored; /* data bytes held (file data, ranges, documents) */
} vss_store_info;

/* What a backup of type builds on, the one rule for chains (README, Backup,
 * "Type"; docs/store-format.md, Chains): a differential on a full; an
 * incremental or a log backup on a full, incremental, differential or log
 * backup (a log backup is incremental-like, as in VSS: it holds what
 * changed since the previous backup, and the next one builds on it); full
 * and copy on nothing. Nothing builds on a copy, which keeps no history.
 * The requester takes a component's previous backup stamp by the same
 * rule, from the newest such backup that holds the component. */
bool vss_store_builds_on(int type, int earlier);
/* The newest backup of v (n of them, oldest first) that a backup of type
 * builds on: its base when none is named. NULL when there is none. */
const vss_store_info *vss_store_base_for(int type, const vss_store_info *v, size_t n);

typedef struct vss_store vss_store;
typedef struct vss_store_tx vss_store_tx;

typedef enum vss_store_kind {
    VSS_STORE_ENTRY_FILE,     /* a whole regular file */
    VSS_STORE_ENTRY_PARTIAL,  /* only the listed ranges of a file */
    VSS_STORE_ENTRY_DELETED,  /* gone since the base backup */
    VSS_STORE_ENTRY_DOCUMENT, /* an XML document, opaque bytes */
    /* metadata only (manifest version 2): */
    VSS_STORE_ENTRY_DIRECTORY, /* a directory (attributes) */
    VSS_STORE_ENTRY_SYMLINK,   /* a symlink: target is its text, never followed */
    VSS_STORE_ENTRY_FIFO,      /* a named pipe */
    VSS_STORE_ENTRY_DEVICE,    /* a character or block device (mode says which), rdev */
    VSS_STORE_ENTRY_HARDLINK,  /* another name of the inode stored as target in this backup */
} vss_store_kind;

/* "file", "partial", "deleted", "document", "directory", "symlink",
 * "fifo", "device", "hardlink": the manifest's word for a kind, and its
 * Lua name; "" for another number. */
const char *vss_store_kind_name(int kind);

typedef struct vss_store_xattr {
    char *name;
    unsigned char *value;
    size_t size;
} vss_store_xattr;

typedef struct vss_store_attrs {
    uint32_t mode, uid, gid;
    struct timespec atime, mtime, ctime;
    vss_store_xattr *xattrs;
    size_t nxattrs;
    uint32_t flags; /* inode flags (FS_IOC_GETFLAGS) within VSS_STORE_FLAGS; 0: none */
    uint64_t ino;   /* the inode number of the file it stands for (change
                       detection; with ctime, the original's, not a
                       snapshot mirror's); 0: not recorded */
} vss_store_attrs;

/* The inode flags recorded and restored: the ones a user sets with chattr
 * (immutable, append-only, nodump, noatime, sync, dirsync, secure and
 * undeletable removal, topdir, project inherit), not the file system's own
 * (extents, inline data...). */
#define VSS_STORE_FLAGS 0x200300fbu

typedef struct vss_store_entry {
    vss_store_kind kind;
    char *name;         /* as given: any bytes but NUL */
    char object[24];    /* store-generated file name; "" for deleted */
    uint64_t size;      /* the file's size (documents: their size) */
    uint64_t stored;    /* bytes of data in the object */
    vss_ranges *ranges; /* partial: the ranges kept; file: its data extents
                           (the rest are holes); NULL otherwise */
    vss_digest digest;  /* file: the whole content, holes as zeros;
                           partial: the range bytes in order; document: it */
    vss_digest *parts;  /* partial: one digest per range */
    vss_store_attrs *attrs; /* NULL when not recorded */
    char *target;       /* symlink: its text; hardlink: the name it links to */
    uint64_t rdev;      /* device: major and minor (makedev) */
    char *ranges_file;  /* partial: the ranges file named, kept as object */
    char ranges_object[24];
    uint64_t ranges_size;
    vss_digest ranges_digest;
    bool holes_hashed;  /* a version 1 manifest's file: its digest covers
                           the holes as zeros */
    char *bad;          /* why the entry cannot be used (its sizes, ranges
                           or counts disagree, its name is malformed or
                           given twice); NULL when sound. The parser sets
                           it; verify reports it, a restore fails the file */
} vss_store_entry;

typedef struct vss_store_manifest {
    int version; /* of the manifest text: 1 or 2 */
    vss_store_info info;
    vss_store_entry *entries;
    size_t n;
} vss_store_manifest;

int vss_store_open(const char *path, unsigned flags, vss_store **out, vss_error *e);
void vss_store_free(vss_store *s);
const char *vss_store_path(const vss_store *s);

/* Committed backups, oldest first. *out is malloc'd. */
int vss_store_list(vss_store *s, unsigned flags, vss_store_info **out, size_t *n, vss_error *e);

/* A backup's manifest, parsed and checked (ECORRUPT naming the line). */
int vss_store_manifest_load(vss_store *s, const char *id, unsigned flags, vss_store_manifest **out,
                            vss_error *e);
void vss_store_manifest_free(vss_store_manifest *m);
const vss_store_entry *vss_store_manifest_find(const vss_store_manifest *m, vss_store_kind kind,
                                               const char *name);
/* The writer metadata documents of a backup, in manifest order: the one
 * after prev (the first when prev is NULL), NULL past the last. Every
 * document but VSS_STORE_COMPONENTS is one (the backup names each by its
 * writer's instance id). */
const vss_store_entry *vss_store_manifest_writer_metadata(const vss_store_manifest *m,
                                                          const vss_store_entry *prev);

/* A document's bytes, digest checked. *out is malloc'd (NUL-terminated). */
int vss_store_document(vss_store *s, const char *id, const char *name, unsigned flags, char **out,
                       size_t *len, vss_error *e);

/* Write one stored file, as of backup id, to dst_fd (a regular file,
 * truncated to the file's size; holes and unstored bytes stay holes),
 * checking the digest while reading: ECORRUPT on a mismatch. The file is
 * taken from id's chain: the newest backup of it that holds the name, back
 * to its last whole copy, each partial file after that laid over it at its
 * offsets (sized as at its backup). ENOENT when no backup of the chain
 * holds it or it was deleted as of id; with only partial copies in the
 * chain, the newest one's ranges over what dst_fd holds. With
 * VSS_STORE_ATTRS the newest entry's recorded mode, times, xattrs (and
 * owner, where permitted) are applied. */
int vss_store_extract(vss_store *s, const char *id, const char *name, int dst_fd, unsigned flags,
                      vss_error *e);

/* A reading session for restores: the read lock held from open to free
 * (so no delete runs meanwhile), manifests parsed once and kept, entries
 * found by name in O(log n). Extract and document above are one-call
 * sessions. */
typedef struct vss_store_reader vss_store_reader;

int vss_store_reader_open(vss_store *s, unsigned flags, vss_store_reader **out, vss_error *e);
void vss_store_reader_free(vss_store_reader *rd);
/* The chain that backup id stands on, oldest (a full or copy) first and id
 * last. ENOENT for an unknown id, ECHAIN when a base is missing. *out is
 * malloc'd. */
int vss_store_reader_chain(vss_store_reader *rd, const char *id, vss_store_info **out, size_t *n,
                           vss_error *e);
/* A backup's manifest, kept by the reader (valid until it is freed). */
int vss_store_reader_manifest(vss_store_reader *rd, const char *id,
                              const vss_store_manifest **out, vss_error *e);
/* An entry of that manifest by kind and name (a file kind finds partial
 * and deleted entries too); NULL when absent. */
const vss_store_entry *vss_store_reader_find(vss_store_reader *rd, const char *id,
                                             vss_store_kind kind, const char *name);
/* Lay entry en of backup id onto dst_fd, digests checked on the way
 * (ECORRUPT naming what is damaged; dst_fd may then hold part of it):
 * a file replaces dst_fd's content (truncated, holes kept); a partial
 * file writes its ranges at their offsets over what dst_fd holds and
 * sets its size to the file's size at backup time. VSS_STORE_ATTRS
 * applies the recorded attributes. */
int vss_store_reader_lay(vss_store_reader *rd, const char *id, const vss_store_entry *en,
                         int dst_fd, unsigned flags, vss_error *e);
/* The ranges file a partial entry kept, written to dst_fd (checked). */
int vss_store_reader_ranges_file(vss_store_reader *rd, const char *id, const vss_store_entry *en,
                                 int dst_fd, vss_error *e);
/* A document's bytes, checked; *out malloc'd, NUL-terminated. */
int vss_store_reader_document(vss_store_reader *rd, const char *id, const char *name, char **out,
                              size_t *len, vss_error *e);

/* Deletes a backup. When others have it as base (directly or through
 * others) it is refused with ECHAIN naming them, unless VSS_STORE_FORCE;
 * *dependents (malloc'd, may be NULL) lists them either way. */
int vss_store_delete(vss_store *s, const char *id, unsigned flags, char ***dependents,
                     size_t *ndependents, vss_error *e);
void vss_store_strings_free(char **v, size_t n);

/* One damaged thing found by verify. */
typedef struct vss_store_problem {
    char backup[VSS_STORE_ID_MAX];
    char *name;       /* entry name, or NULL for the backup itself */
    char *what;       /* "manifest", "data", "range 3 (4096:4096)", "missing object" ... */
    char expected[VSS_DIGEST_HEX];
    char actual[VSS_DIGEST_HEX]; /* "" when there is no digest to show */
    char *message;
} vss_store_problem;

typedef struct vss_store_report {
    uint64_t backups, files, bytes;
    vss_store_problem *problems;
    size_t nproblems;
} vss_store_report;

/* Re-read everything of one backup (id) or of all (id NULL). Damage is
 * reported in *out, not as a failure; failure is for not being able to
 * look (ENOENT backup, ELOCKED). */
int vss_store_verify(vss_store *s, const char *id, unsigned flags, vss_store_report **out,
                     vss_error *e);
void vss_store_report_free(vss_store_report *r);

/* Writing. begin takes the writer lock (flags: VSS_STORE_NOWAIT) and
 * cleans leftovers; base "" or NULL means vss_store_base_for the type; a
 * named base must be one the type builds on (ECHAIN otherwise); full and
 * copy have none. */
int vss_store_begin(vss_store *s, int type, const char *base, unsigned flags, vss_store_tx **out,
                    vss_error *e);
/* Copy source_path (whole, or only ranges when not NULL) as name. A
 * ranges_file, when given, is kept in the store too, read once: with
 * ranges NULL its ranges are the ones copied, so the file kept and the
 * ranges stored are of one version of it. */
int vss_store_tx_add_file(vss_store_tx *tx, const char *name, const char *source_path,
                          const vss_ranges *ranges, const char *ranges_file, unsigned flags,
                          vss_error *e);
int vss_store_tx_add_document(vss_store_tx *tx, const char *name, const void *data, size_t len,
                              vss_error *e);
int vss_store_tx_record_deleted(vss_store_tx *tx, const char *name, vss_error *e);
/* A metadata-only entry (directory, symlink, fifo, device) for the entry
 * at source_path, read without following it (lstat, llistxattr; the inode
 * flags of a directory): kind from its type. ENOTSUP for a socket or a
 * regular file. *kind (may be NULL) says which was recorded. */
int vss_store_tx_add_node(vss_store_tx *tx, const char *name, const char *source_path,
                          vss_store_kind *kind, vss_error *e);
/* The inode number and ctime of the file the next add_file or add_node
 * stands for (what change detection compares, docs/store-format.md): a
 * backup read from a snapshot mirror records the original's, not the
 * mirror's. Without it the source's own are recorded. */
void vss_store_tx_origin(vss_store_tx *tx, uint64_t ino, const struct timespec *ctime);
/* name is another name of the inode stored as target in this backup. */
int vss_store_tx_add_hardlink(vss_store_tx *tx, const char *name, const char *target,
                              vss_error *e);
/* Makes the backup durable and visible; id gets its id. The tx is done
 * either way (commit, then free). */
int vss_store_tx_commit(vss_store_tx *tx, char id[VSS_STORE_ID_MAX], vss_error *e);
const char *vss_store_tx_id(const vss_store_tx *tx);
const vss_store_info *vss_store_tx_info(const vss_store_tx *tx);
/* Aborts when not committed: removes the temporary backup, drops the lock. */
void vss_store_tx_free(vss_store_tx *tx);

#endif
