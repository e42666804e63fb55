/* The Backup Components Document (BCD): the state of one backup or restore
 * session that requester and writers share (docs/model.md §1, §2.1,
 * §2.4, §5, §6, §7.3). Every IVssComponent / IVssBackupComponents
 * operation on it is a function here that enforces VSS's rules. Rules that
 * need the writer's file sets (new targets, differenced files, directed
 * targets, mappings, restore subcomponents) use the writer's metadata
 * document, which the caller attaches with vss_bc_add_writer_metadata and
 * keeps alive as long as the BCD. */
#ifndef VSS_COMPONENTS_H
#define VSS_COMPONENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "documents/metadata.h"

#define VSS_BCD_NAMESPACE "x-schema:#VssComponentMetadata"

typedef struct vss_bc_partial_file {
    char *path, *filename;
    char *ranges; /* inline "o:l,..." or a ranges file ("File=" optional) */
    char *metadata; /* NULL when none */
    vss_xextra *extra;
} vss_bc_partial_file;

typedef struct vss_bc_directed_target {
    char *src_path, *src_filename, *src_ranges;
    char *dst_path, *dst_filename, *dst_ranges;
    vss_xextra *extra;
} vss_bc_directed_target;

typedef struct vss_bc_differenced_file {
    char *path, *filespec;
    bool recursive;
    uint64_t last_modify_time; /* FILETIME: 100 ns ticks since 1601-01-01 UTC */
    char *lsn; /* reserved by VSS; kept when present */
    vss_xextra *extra;
} vss_bc_differenced_file;

typedef struct vss_bc_restore_subcomponent {
    char *logical_path, *name;
    bool repair;
    vss_xextra *extra;
} vss_bc_restore_subcomponent;

typedef struct vss_bc_writer vss_bc_writer;

typedef struct vss_bc_component {
    vss_bc_writer *writer;
    int type; /* VSS_CT_* */
    char *logical_path; /* NULL when none */
    char *name;
    char *backup_stamp, *previous_backup_stamp; /* NULL when none */
    bool backup_succeeded;
    char *backup_options, *restore_options;
    char *backup_metadata, *restore_metadata;
    bool selected_for_restore, additional_restores;
    int restore_target; /* VSS_RT_*, VSS_RT_ORIGINAL by default */
    int file_restore_status; /* VSS_RS_* */
    char *pre_restore_failure_msg, *post_restore_failure_msg;
    vss_bc_partial_file *partial_files;
    size_t partial_file_count, partial_file_cap;
    vss_bc_directed_target *directed_targets;
    size_t directed_target_count, directed_target_cap;
    vss_bc_differenced_file *differenced_files;
    size_t differenced_file_count, differenced_file_cap;
    vss_bc_restore_subcomponent *restore_subcomponents;
    size_t restore_subcomponent_count, restore_subcomponent_cap;
    vss_wm_files new_targets; /* d.alternate_location = the new directory */
    vss_wm_files alternate_location_mappings; /* the mappings actually used */
    vss_xextra *extra, *backup_metadata_extra, *restore_metadata_extra;
} vss_bc_component;

struct vss_bc_writer {
    char *writer_id, *instance_id;
    char *instance_name; /* NULL when none */
    uint32_t backup_schema;
    vss_bc_component **components;
    size_t component_count, component_cap;
    vss_xextra *extra;
};

typedef struct vss_bc_state {
    int backup_type; /* VSS_BT_* */
    bool select_components, bootable_system_state, partial_file_support;
    int restore_type; /* VSS_RTYPE_* */
    char *snapshot_set_id; /* NULL when none */
} vss_bc_state;

typedef struct vss_backup_components vss_backup_components;

int vss_bc_new(const vss_bc_state *state, vss_backup_components **out, vss_error *e);
void vss_bc_free(vss_backup_components *bc);
int vss_bc_parse(const char *xml, size_t len, vss_backup_components **out, vss_error *e);
int vss_bc_load(const char *path, vss_backup_components **out, vss_error *e);
char *vss_bc_xml(const vss_backup_components *bc, size_t *len, vss_error *e);
int vss_bc_save(const vss_backup_components *bc, const char *path, vss_error *e);

const vss_bc_state *vss_bc_get_state(const vss_backup_components *bc);
const char *vss_bc_version(const vss_backup_components *bc);
int vss_bc_set_backup_state(vss_backup_components *bc, bool select_components,
                            bool bootable_system_state, int backup_type,
                            bool partial_file_support, vss_error *e);
int vss_bc_set_restore_state(vss_backup_components *bc, int restore_type, vss_error *e);
int vss_bc_set_snapshot_set_id(vss_backup_components *bc, const char *id, vss_error *e);

size_t vss_bc_writer_count(const vss_backup_components *bc);
vss_bc_writer *vss_bc_writer_at(const vss_backup_components *bc, size_t i);
/* The entry of the writer (writer_id, instance_id), by vss_wm_is_writer;
 * NULL when bc has none. */
vss_bc_writer *vss_bc_find_writer(const vss_backup_components *bc, const char *writer_id,
                                  const char *instance_id);

/* Attach a writer's metadata for the rules that need it. Not owned: it
 * must outlive the BCD (or be attached again after a reload). */
int vss_bc_add_writer_metadata(vss_backup_components *bc, const vss_writer_metadata *wm,
                               vss_error *e);
/* The attached metadata of a writer entry, or NULL. */
const vss_writer_metadata *vss_bc_writer_metadata(const vss_backup_components *bc,
                                                  const vss_bc_writer *w);

/* AddComponent. With the writer's metadata attached, the component must
 * be in it, of that type, and not a subcomponent of a selectable one. */
int vss_bc_add_component(vss_backup_components *bc, const char *writer_id,
                         const char *instance_id, int type, const char *logical_path,
                         const char *name, vss_bc_component **out, vss_error *e);
/* §5: a writer with components in the backup needs every nonselectable
 * component that has no selectable ancestor added explicitly. Checked for
 * the writers whose metadata is attached. */
int vss_bc_validate(const vss_backup_components *bc, vss_error *e);

/* By writer id (or instance id) and (logical path, name); NULL if none. */
vss_bc_component *vss_bc_find_component(const vss_backup_components *bc, const char *writer_id,
                                        const char *logical_path, const char *name);
/* A component of one writer's entry by (logical path, name); NULL if none. */
vss_bc_component *vss_bc_writer_component(const vss_bc_writer *w, const char *logical_path,
                                          const char *name);

/* Requester operations (IVssBackupComponents, ‹comp› = c). */
int vss_bc_set_backup_succeeded(vss_backup_components *bc, vss_bc_component *c, bool ok,
                                vss_error *e);
int vss_bc_set_backup_options(vss_backup_components *bc, vss_bc_component *c,
                              const char *options, vss_error *e);
int vss_bc_set_restore_options(vss_backup_components *bc, vss_bc_component *c,
                               const char *options, vss_error *e);
int vss_bc_set_selected_for_restore(vss_backup_components *bc, vss_bc_component *c, bool sel,
                                    vss_error *e);
int vss_bc_set_additional_restores(vss_backup_components *bc, vss_bc_component *c, bool more,
                                   vss_error *e);
/* A previous backup stamp is for an incremental or a differential backup
 * only (docs/model.md §1, §6.5): a log backup builds on an earlier one
 * (store/store.h, vss_store_builds_on) but its writers are told no stamp,
 * while a later incremental takes its stamp from the log backup. */
bool vss_bc_takes_previous_stamp(int backup_type);
int vss_bc_set_previous_backup_stamp(vss_backup_components *bc, vss_bc_component *c,
                                     const char *stamp, vss_error *e);
int vss_bc_set_file_restore_status(vss_backup_components *bc, vss_bc_component *c, int status,
                                   vss_error *e);
int vss_bc_add_new_target(vss_backup_components *bc, vss_bc_component *c, const char *path,
                          const char *filespec, bool recursive, const char *alternate_path,
                          vss_error *e);
int vss_bc_add_alternative_location_mapping(vss_backup_components *bc, vss_bc_component *c,
                                            const char *path, const char *filespec,
                                            bool recursive, const char *destination,
                                            vss_error *e);
int vss_bc_add_restore_subcomponent(vss_backup_components *bc, vss_bc_component *c,
                                    const char *logical_path, const char *name, bool repair,
                                    vss_error *e);
int vss_bc_set_ranges_file_path(vss_backup_components *bc, vss_bc_component *c, size_t index,
                                const char *ranges_file, vss_error *e);

/* Writer operations (IVssComponent). */
int vss_bc_set_backup_stamp(vss_backup_components *bc, vss_bc_component *c, const char *stamp,
                            vss_error *e);
int vss_bc_set_backup_metadata(vss_backup_components *bc, vss_bc_component *c,
                               const char *metadata, vss_error *e);
int vss_bc_set_restore_metadata(vss_backup_components *bc, vss_bc_component *c,
                                const char *metadata, vss_error *e);
int vss_bc_set_restore_target(vss_backup_components *bc, vss_bc_component *c, int target,
                              vss_error *e);
int vss_bc_set_pre_restore_failure_msg(vss_backup_components *bc, vss_bc_component *c,
                                       const char *msg, vss_error *e);
int vss_bc_set_post_restore_failure_msg(vss_backup_components *bc, vss_bc_component *c,
                                        const char *msg, vss_error *e);
int vss_bc_add_partial_file(vss_backup_components *bc, vss_bc_component *c, const char *path,
                            const char *filename, const char *ranges, const char *metadata,
                            vss_error *e);
int vss_bc_add_directed_target(vss_backup_components *bc, vss_bc_component *c,
                               const char *src_path, const char *src_filename,
                               const char *src_ranges, const char *dst_path,
                               const char *dst_filename, const char *dst_ranges, vss_error *e);
int vss_bc_add_differenced_files_by_last_modify_time(vss_backup_components *bc,
                                                     vss_bc_component *c, const char *path,
                                                     const char *filespec, bool recursive,
                                                     uint64_t last_modify_time, vss_error *e);


#endif
