/* What the files of the backup engine share: one run's state. */
#ifndef VSS_BACKUP_IMPL_H
#define VSS_BACKUP_IMPL_H

#include <time.h>

#include "engine/backup.h"
#include "engine/backup_files.h"
#include "store/store.h"

typedef struct vss_backup_writer {
    vss_writer *w;
    const vss_writer_metadata *wm; /* NULL when identify failed */
    vss_bc_writer *entry;          /* its entry in the BCD, once components are added */
    int type;                      /* effective VSS_BT_* */
    bool included, required, skipped;
    bool has_previous; /* a backup of its components is in the store */
    struct timespec previous_time;
} vss_backup_writer;

typedef struct vss_backup_ctx {
    const vss_backup_options *o;
    vss_writers *ws;
    vss_backup_components *bc;
    vss_store *store;
    int type; /* the backup's VSS_BT_*: o->type, or full when the store has no base */
    vss_backup_writer *w;
    size_t nw;
} vss_backup_ctx;

/* docs/model.md §5: add each writer's components to the BCD as o->select (and the
 * bootable system state) says, then what they depend on (§2.6), and
 * attach each included writer's metadata. */
int vss_backup_select(vss_backup_ctx *r, vss_error *e);
/* §6.5: the previous backup stamps of the writers taking an incremental or
 * differential backup (vss_bc_takes_previous_stamp), from the newest
 * backup in the store that holds each component and that the writer's
 * type builds on (vss_store_builds_on: an incremental's from any but a
 * copy, a log backup included; a differential's from a full). */
int vss_backup_carry_stamps(vss_backup_ctx *r, vss_error *e);

/* Record as deleted what the chain up to tx's base holds inside the
 * walked file sets (sets: their paths in Linux form) but the walk did not
 * find (walked: every file name seen; sorted here). */
int vss_backup_record_deleted(vss_store *s, vss_store_tx *tx, char **walked, size_t nwalked,
                              const vss_filedesc *sets, size_t nsets, vss_error *e);

/* The chain's view for change detection (docs/model.md §6.4, issue #11):
 * every name the chain up to a base holds, with its newest entry. */
typedef struct vss_chain_held {
    const char *name;
    const vss_store_entry *en;
    size_t age;                /* 0 = the base, 1 = its base, ... */
    bool deleted;
} vss_chain_held;

typedef struct vss_chain_view {
    vss_store_manifest **chain;
    size_t nchain;
    vss_chain_held *held; /* by name, the newest mention only */
    size_t n;
} vss_chain_view;

/* Load the chain from base ("": none) back to its full backup. */
int vss_backup_chain_open(vss_store *s, const char *base, vss_chain_view *v, vss_error *e);
/* The newest entry the chain holds for name, NULL when the chain does
 * not hold it (never held, or deleted); *age (may be NULL): of which
 * backup (0 = the base). */
const vss_store_entry *vss_backup_chain_find(const vss_chain_view *v, const char *name,
                                             size_t *age);
void vss_backup_chain_close(vss_chain_view *v);

/* VSS_FSBT_*_BACKUP_REQUIRED / _SNAPSHOT_REQUIRED of a backup type. */
uint32_t vss_backup_required_bit(int type);
uint32_t vss_backup_snapshot_bit(int type);

/* A path of a document in Linux form (through o->root when given), no
 * trailing separator. malloc'd. */
int vss_backup_resolve(const vss_backup_ctx *r, const char *path, char **out, vss_error *e);

#endif
