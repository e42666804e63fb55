/* Inside the vdisk room: one layer (one image file) and the parsers of its
 * structures. The parsers of fixed-size structures work on bytes in memory
 * (the entry points a fuzz target calls); the layer openers read the file. */
#ifndef VSS_VDISK_IMPL_H
#define VSS_VDISK_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdisk/vdisk.h"

/* What a layer says about a run of virtual-disk bytes. */
enum vdisk_kind {
    VDISK_DATA,   /* in this file, at a file offset */
    VDISK_ZERO,   /* declared zero (VHDX ZERO, UNMAPPED) */
    VDISK_UNDEF,  /* VHDX UNDEFINED: read as zeros, the parent not consulted */
    VDISK_PARENT, /* left to the parent (zeros without one) */
};

typedef struct vdisk_patch {
    uint64_t off, len;
    uint8_t *data;
} vdisk_patch;

typedef struct vdisk_layer {
    int fd;
    uint64_t file_size;
    vss_vdisk_info info;
    /* dynamic and differencing: the BAT. VHDX: the raw entries; VHD: the
     * block's sector offset, or UINT64_MAX when unallocated. */
    uint64_t *bat;
    size_t bat_count;
    uint64_t nblocks;
    uint32_t chunk_ratio;  /* VHDX */
    uint32_t vhd_bitmap;   /* VHD: bytes of a block's sector bitmap, padded to 512 */
    /* A VHDX log replayed in memory: the writes it holds, in log order,
     * laid over every read of the file (data NULL: zeros). file_size is
     * then at least the log's LastFileOffset; real_size the file's own. */
    struct vdisk_patch *patches;
    size_t npatches;
    uint64_t real_size;
    /* the sector bitmap of one block, kept between calls */
    uint8_t *bits;
    size_t bits_len;
    uint64_t bits_block;
    bool bits_valid;
} vdisk_layer;

/* CRC-32C (Castagnoli) of n bytes. */
uint32_t vss_crc32c(const void *p, size_t n);

/* ---- VHDX (vhdx.c) ---- */

typedef struct vhdx_header {
    uint64_t sequence;
    vss_guid file_write, data_write, log_guid;
    uint16_t log_version, version;
    uint32_t log_length;
    uint64_t log_offset;
} vhdx_header;

typedef struct vhdx_region {
    vss_guid id;
    uint64_t offset;
    uint32_t length;
    bool required;
} vhdx_region;

/* A 4 KiB image header at file offset at (for messages): signature,
 * CRC-32C, version 1, log version 0, log offset and length in whole MiB. */
int vss_vhdx_parse_header(const uint8_t buf[4096], uint64_t at, vhdx_header *h, vss_error *e);
/* A 64 KiB region table: signature, CRC-32C, at most 2047 entries, each
 * 1 MiB-aligned, at or past 1 MiB, inside file_size, none overlapping;
 * the BAT and metadata regions found (*bat, *meta), an unknown required
 * region refused (ENOTSUP). */
int vss_vhdx_parse_region_table(const uint8_t buf[65536], uint64_t at, uint64_t file_size,
                                vhdx_region *bat, vhdx_region *meta, vss_error *e);
/* The metadata region (len bytes read from file offset at): the table and
 * its items into info (block size, flags, virtual size, sector sizes,
 * disk id, parent locator). */
int vss_vhdx_parse_metadata(const uint8_t *buf, size_t len, uint64_t at, vss_vdisk_info *info,
                            vss_error *e);
/* A VHDX parent locator item (len bytes at file offset at) into info's
 * locators and parent ids. */
int vss_vhdx_parse_locator(const uint8_t *buf, size_t len, uint64_t at, vss_vdisk_info *info,
                           vss_error *e);
/* The BAT entries (count of them, file offset at) against the layer's
 * geometry: states, offsets inside the file, no overlap with each other or
 * the regions. */
int vss_vhdx_check_bat(vdisk_layer *l, uint64_t at, const vhdx_region *regions, size_t nregions,
                       vss_error *e);

/* Replay the log of header h in memory (vhdx_log.c): find the active
 * sequence (valid entries: signature, CRC-32C, LogGuid, consecutive
 * sequence numbers; the newest whose tail is in it), check its
 * descriptors and data sectors, and record their writes as l's patches.
 * VSS_ECORRUPT naming the entry and offset when it cannot be replayed. */
int vss_vhdx_replay_log(vdisk_layer *l, const vhdx_header *h, vss_error *e);

int vss_vhdx_open_layer(vdisk_layer *l, vss_error *e);
int vss_vhdx_map(vdisk_layer *l, uint64_t off, uint64_t max, int *kind, uint64_t *foff,
                 uint64_t *len, vss_error *e);

/* ---- VHD (vhd.c) ---- */

typedef struct vhd_footer {
    uint64_t data_offset, current_size;
    uint32_t disk_type;
    uint8_t creator_app[4];
    uint32_t creator_version;
    vss_guid unique_id;
} vhd_footer;

typedef struct vhd_dynheader {
    uint64_t table_offset;
    uint32_t max_entries, block_size;
    vss_guid parent_id;
} vhd_dynheader;

/* A 512-byte footer at file offset at: cookie, checksum, version, type. */
int vss_vhd_parse_footer(const uint8_t buf[512], uint64_t at, vhd_footer *f, vss_error *e);
/* A 1024-byte dynamic header: cookie, checksum, block size. */
int vss_vhd_parse_dynheader(const uint8_t buf[1024], uint64_t at, vhd_dynheader *h,
                            vss_error *e);

int vss_vhd_open_layer(vdisk_layer *l, vss_error *e);
int vss_vhd_map(vdisk_layer *l, uint64_t off, uint64_t max, int *kind, uint64_t *foff,
                uint64_t *len, vss_error *e);

/* ---- shared (vdisk_util.c) ---- */

/* pread exactly n bytes at off; VSS_ECORRUPT naming what when the file is
 * shorter, the errno otherwise. */
int vss_vdisk_pread(const vdisk_layer *l, void *buf, size_t n, uint64_t off, const char *what,
                    vss_error *e);
/* UTF-16 (le or be) to a malloc'd UTF-8 string; NULL on bad input or memory. */
char *vss_vdisk_utf16(const uint8_t *p, size_t bytes, bool big_endian);
/* Add a locator entry (copies); VSS_FAIL on memory. */
int vss_vdisk_add_locator(vss_vdisk_info *info, const char *key, const char *value,
                          vss_error *e);
/* A run of equal bits in a bitmap from bit `first` up to bit `end`: the
 * index past the run; *set gets the bit. msb: bit 0 is the byte's 0x80. */
uint64_t vss_vdisk_bitrun(const uint8_t *bits, uint64_t first, uint64_t end, bool msb,
                          bool *set);

#endif
