/* Virtual disks as sources (issue #13): VHD (v1) and VHDX images, fixed,
 * dynamic and differencing, opened read-only and read exactly.
 *
 * The on-disk structures are parsed here (vhdx.c, vhd.c), not by libvhdi:
 * libvhdi exposes no BAT, block states or sector bitmaps, does not verify
 * header CRCs, ignores a pending VHDX log and reads ZERO blocks of a
 * differencing VHDX from the parent (docs: vdisk reference §4.2). Every
 * field read from an image is checked; a bad image fails with VSS_ECORRUPT
 * and a message naming the structure and its file offset.
 *
 * A vss_vdisk is a chain of layers: layer 0 is the file opened, layer i+1
 * is the parent of layer i. Reads go down the chain; a layer without a
 * parent reads what it leaves to a parent as zeros. One handle is used by
 * one thread at a time. */
#ifndef VSS_VDISK_H
#define VSS_VDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/guid.h"
#include "ranges/ranges.h"

typedef struct vss_vdisk vss_vdisk; /* opaque */

enum vss_vdisk_format { VSS_VDISK_VHD = 1, VSS_VDISK_VHDX = 2 };
enum vss_vdisk_type { VSS_VDISK_FIXED = 2, VSS_VDISK_DYNAMIC = 3, VSS_VDISK_DIFFERENCING = 4 };

/* The longest chain opened (a deeper one is refused, VSS_ECHAIN). */
#define VSS_VDISK_MAX_DEPTH 256

/* A parent locator entry, as UTF-8: VHDX key/value pairs
 * ("parent_linkage", "relative_path", ...); for VHD the platform code
 * ("W2ku", "W2ru") and the path it holds. */
typedef struct vss_vdisk_locator {
    char *key;
    char *value;
} vss_vdisk_locator;

typedef struct vss_vdisk_info {
    const char *path;
    int format;              /* enum vss_vdisk_format */
    int type;                /* enum vss_vdisk_type */
    uint64_t virtual_size;   /* bytes */
    uint32_t logical_sector; /* 512 or 4096 (VHD: 512) */
    uint32_t physical_sector;
    uint32_t block_size;     /* VHDX and dynamic VHD; a fixed VHD: 0 */
    char creator[128];       /* VHDX creator string; VHD creator application and version */
    /* The identifier a child names its parent by: VHDX DataWriteGuid, VHD
     * footer UniqueId. parent_id: VHDX parent_linkage (as parsed), VHD
     * parent UniqueId; parent_id2: VHDX parent_linkage2 (has_parent_id2). */
    vss_guid id;
    vss_guid parent_id, parent_id2;
    bool has_parent_id2;
    /* VHDX only */
    vss_guid file_write_guid, virtual_disk_id, log_guid;
    uint64_t sequence;        /* of the current header */
    int current_header;       /* 1 or 2 */
    bool other_header_valid;
    bool leave_allocated;
    bool log_replayed;        /* a pending log (LogGuid set) was replayed in memory */
    /* VHD only: the dynamic header's parent name (UTF-8), "" if none */
    char parent_name[1024];
    size_t nlocators;
    vss_vdisk_locator *locators;
} vss_vdisk_info;

/* Finds a parent file from a locator path that is absolute on Windows
 * ("C:\\...", "\\\\?\\Volume{...}\\..."): a malloc'd Linux path, or NULL
 * when it maps to nothing. */
typedef char *(*vss_vdisk_resolve_fn)(void *ctx, const char *windows_path);

typedef struct vss_vdisk_opts {
    /* The parents, nearest first, given explicitly: parents[i] is the
     * parent of layer i. When a differencing layer has no entry here its
     * parent is searched through its locators: the relative path (from
     * the child's folder), the absolute Windows paths through resolve,
     * then a file of the parent's name in the child's folder. */
    const char *const *parents;
    size_t nparents;
    vss_vdisk_resolve_fn resolve;
    void *resolve_ctx;
    /* Accept a parent whose identifier does not match the child's link. */
    bool force;
} vss_vdisk_opts;

/* Open path (and its parents). opts may be NULL. Codes: the errno of a
 * failed open or read; VSS_ECORRUPT for a bad structure (the message
 * names it and its offset; a pending VHDX log that cannot be replayed);
 * ENOTSUP for what is valid but not read here (an unknown required
 * region or metadata item);
 * VSS_ECHAIN for a parent not found, a link that does not match (both
 * identifiers named), a loop or a chain deeper than VSS_VDISK_MAX_DEPTH. */
int vss_vdisk_open(const char *path, const vss_vdisk_opts *opts, vss_vdisk **out, vss_error *e);
void vss_vdisk_free(vss_vdisk *d);

size_t vss_vdisk_depth(const vss_vdisk *d);
/* The info of layer (0 = the file opened); NULL past the chain. */
const vss_vdisk_info *vss_vdisk_layer_info(const vss_vdisk *d, size_t layer);
uint64_t vss_vdisk_size(const vss_vdisk *d);

/* Read len bytes at off of the virtual disk through the chain. EINVAL when
 * [off, off+len) is not inside the disk; VSS_ECORRUPT when a bitmap or
 * block read finds the file shorter than its tables said. */
int vss_vdisk_read(vss_vdisk *d, uint64_t off, size_t len, void *buf, vss_error *e);

/* What layer holds, as normalized ranges of virtual-disk byte offsets:
 * *data the bytes whose data is in the layer's file (sector-granular
 * where bitmaps exist), *zero the bytes it declares zero or undefined
 * (VHDX ZERO, UNMAPPED, UNDEFINED blocks). Either pointer may be NULL.
 * The rest the layer leaves to its parent (zeros without one). */
int vss_vdisk_allocated(vss_vdisk *d, size_t layer, vss_ranges **data, vss_ranges **zero,
                        vss_error *e);
/* What layer owns, i.e. does not leave to its parent: data ∪ zero. */
int vss_vdisk_owned(vss_vdisk *d, size_t layer, vss_ranges **out, vss_error *e);

/* Write the disk's data over ranges (NULL: the whole disk) to fd at the
 * same offsets: only bytes some layer holds and that are not all zeros
 * are written (in 1 MiB pieces), so holes stay holes; fd is then
 * extended (never shortened) to the disk's size. */
int vss_vdisk_copy_to(vss_vdisk *d, int fd, const vss_ranges *ranges, vss_error *e);

const char *vss_vdisk_format_name(int format); /* "VHD", "VHDX" */
const char *vss_vdisk_type_name(int type);     /* "fixed", "dynamic", "differencing" */

#endif
