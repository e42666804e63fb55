/* The rooms behind snapshot.h: paths, volumes, manifests, trees and the
 * provider interface. Not for the binding; the C unit tests use it. */
#ifndef VSS_SNAPSHOT_INTERNAL_H
#define VSS_SNAPSHOT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "snapshot/snapshot.h"

/* ---- paths (snapshot_path.c): pure string work, no system calls ---- */

/* Lexical normal form of an absolute path: no "//", ".", "..", no trailing
 * '/' (except "/"). EINVAL for a relative or empty path. */
int vss_path_normalize(const char *in, char **out, vss_error *e);
/* Is the Linux path (normalized, '/' only) root or beneath it, on a component
 * boundary? Document paths, with either separator, use vss_path_within. */
bool vss_fspath_within(const char *path, const char *root);
/* root + (path relative to original); path must be within original. */
int vss_path_translate(const char *path, const char *original, const char *root, char **out,
                       vss_error *e);
char *vss_path_join(const char *dir, const char *name); /* NULL when out of memory */
/* Percent-escape bytes <= ' ', '%' and DEL so a path is one manifest token. */
char *vss_path_escape(const char *s);
int vss_path_unescape(const char *s, char **out, vss_error *e);

/* ---- volumes (snapshot_volume.c) ---- */

typedef struct vss_volume {
    char *mountpoint;
    char fstype[32];
} vss_volume;

/* The mounted filesystem holding path (canonical, absolute). */
int vss_volume_of(const char *path, vss_volume *v, vss_error *e);
/* realpath(path) into *canon (malloc'ed) and its volume into v. */
int vss_volume_resolve(const char *path, char **canon, vss_volume *v, vss_error *e);
/* Every mounted filesystem that may hold an area (pseudo filesystems left out). */
int vss_volume_list(vss_volume **out, size_t *n, vss_error *e);
void vss_volume_clear(vss_volume *v);
void vss_volume_list_free(vss_volume *list, size_t n);
/* Where the area of a set on v lives for path: the mount point when it is
 * writable, else the topmost writable directory on the way to path. */
int vss_volume_area_dir(const vss_volume *v, const char *path, char **out, vss_error *e);

/* ---- manifests (snapshot_manifest.c) ---- */

int vss_manifest_format(const vss_snapshot_set_info *info, char **out, vss_error *e);
int vss_manifest_parse(const char *text, vss_snapshot_set_info *info, vss_error *e);
/* <area>/<set-id>.manifest, via a temporary name and a rename, so no
 * process crash leaves half a manifest. durable: fsync the file before the
 * rename and the directory after, for sets that must outlive a machine
 * crash (persistent ones); the others, if a power cut loses their
 * manifest, leave a set directory older than the boot, which cleanup
 * removes. Creates the area directory when missing. */
int vss_manifest_write(const char *area, const vss_snapshot_set_info *info, bool durable,
                       vss_error *e);
int vss_manifest_read(const char *file, vss_snapshot_set_info *info, vss_error *e);
char *vss_manifest_name(const char *area, const vss_guid *set_id);
/* This process as a manifest owner. */
int vss_owner_self(pid_t *pid, uint64_t *start, char boot_id[40], vss_error *e);
/* Start time of pid (0 when it does not exist or is a zombie). */
uint64_t vss_owner_start(pid_t pid);
/* Delete the artefacts a manifest describes, then the manifest; the area
 * directory goes too when it is left empty. */
int vss_manifest_remove_set(const char *area, const vss_snapshot_set_info *info, vss_error *e);

/* ---- trees (snapshot_tree.c) ---- */

enum vss_tree_mode { VSS_TREE_CLONE, VSS_TREE_COPY };

typedef struct vss_tree_ctx {
    enum vss_tree_mode mode;
    uint64_t files, bytes;
    uint64_t next_tick_files, next_tick_bytes;
    int (*tick)(struct vss_tree_ctx *c); /* nonzero aborts */
    void *ud;
    char *buf;
    size_t bufsize;
    /* What a new file gets by itself, to spare the calls that would set it
     * again (each one an inode update): */
    uid_t euid;
    gid_t egid;
    int umask_bits;  /* -1 when unknown */
    bool dst_sgid;   /* the directory files are created in is set-group-ID */
} vss_tree_ctx;

void vss_tree_ctx_init(vss_tree_ctx *c, enum vss_tree_mode mode);

/* Mirror the tree at src (a file, directory, symlink...) to dst, creating
 * dst's missing parents as copies of src's parents below src_top/dst_top.
 * Directories named VSS_SNAPSHOT_AREA are left out. */
int vss_tree_mirror(vss_tree_ctx *c, const char *src_top, const char *dst_top, const char *src,
                    vss_error *e);
/* Remove a tree without following symlinks; btrfs subvolumes inside are
 * destroyed with BTRFS_IOC_SNAP_DESTROY. ENOENT is success. */
int vss_tree_remove(const char *path, vss_error *e);

/* ---- providers (snapshot_provider*.c) ---- */

typedef struct vss_take_ctx {
    vss_snapshot_progress_fn progress;
    void *ud;
    unsigned freeze_timeout_ms;
} vss_take_ctx;

/* A provider makes one kind of snapshot. A block-device provider (LVM,
 * device-mapper) fits the same five calls; it would set needs_freeze, and
 * the set freezes the filesystem (snapshot_freeze.h) around its take. */
typedef struct vss_snapshot_provider {
    const char *name;
    bool needs_freeze;
    /* Can it snapshot path on v? Fills *original (the tree root the
     * snapshot will mirror) and *reason (why, or why not). */
    int (*probe)(const vss_volume *v, const char *path, bool snapshot_required, char **original,
                 char **reason, vss_error *e);
    /* path (within snap->original) joins the snapshot's selection. */
    int (*add)(vss_snapshot *snap, const char *path, vss_error *e);
    /* Make snap->root from snap->original's selection. On failure it leaves
     * whatever it made for delete to remove. */
    int (*take)(vss_snapshot *snap, const vss_take_ctx *ctx, vss_error *e);
    int (*path)(const vss_snapshot *snap, const char *original, char **out, vss_error *e);
    /* Remove snap->root; works from a manifest alone (cleanup). */
    int (*remove)(const vss_snapshot *snap, vss_error *e);
} vss_snapshot_provider;

extern const vss_snapshot_provider vss_provider_btrfs, vss_provider_none;

/* By name ("btrfs", ...); NULL when unknown. */
const vss_snapshot_provider *vss_provider_find(const char *name);
/* The automatic choice for path on v: the cheapest that gives a consistent
 * point in time. */
int vss_provider_choose(const vss_volume *v, const char *path, bool snapshot_required,
                        const vss_snapshot_provider **p, char **original, char **reason,
                        vss_error *e);

/* Shared by providers (snapshot_selection.c): selection list and path translation. */
int vss_provider_add_selection(vss_snapshot *snap, const char *path, vss_error *e);
int vss_provider_path_selected(const vss_snapshot *snap, const char *original, char **out,
                               vss_error *e);

void vss_snapshot_clear(vss_snapshot *s);

#endif
