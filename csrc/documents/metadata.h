/* The Writer Metadata Document (WMD): what a writer says about itself in
 * Identify (docs/model.md §2.5-2.7, §7.2). The writer side builds it
 * with the vss_wm_add_* / vss_wm_set_* calls, which enforce VSS's rules;
 * the requester side examines it through the read-only structs. Loading
 * keeps what the model does not know, and saving writes it back. */
#ifndef VSS_METADATA_H
#define VSS_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "documents/enums.h"
#include "base/error.h"
#include "files/filespec.h"

#define VSS_WMD_NAMESPACE "x-schema:#VssWriterMetadataInfo"

typedef struct vss_xextra vss_xextra; /* unknown XML kept for saving */

/* A file set of the document (component files, excludes, mappings). For
 * a mapping, d.alternate_location is the destination. */
typedef struct vss_wm_file {
    vss_filedesc d;
    vss_xextra *extra;
} vss_wm_file;

typedef struct vss_wm_files {
    vss_wm_file *items;
    size_t count, cap;
} vss_wm_files;

typedef struct vss_wm_dependency {
    char *writer_id;
    char *logical_path; /* NULL when none */
    char *component_name;
    vss_xextra *extra;
} vss_wm_dependency;

typedef struct vss_wm_component {
    int type; /* VSS_CT_* */
    char *logical_path; /* NULL when none */
    char *name;
    char *caption; /* NULL when none */
    bool restore_metadata, notify_on_backup_complete, selectable, selectable_for_restore;
    uint32_t component_flags; /* VSS_CF_* */
    vss_wm_files files; /* file-group files */
    vss_wm_files database_files, log_files;
    vss_wm_dependency *dependencies;
    size_t dependency_count, dependency_cap;
    vss_xextra *extra;
} vss_wm_component;

typedef struct vss_wm_identity {
    char *writer_id, *instance_id;
    char *instance_name; /* NULL when none */
    char *name; /* friendlyName */
    int usage; /* VSS_UT_* */
    int source; /* VSS_ST_* */
    uint32_t major_version, minor_version;
} vss_wm_identity;

typedef struct vss_wm_restore_method {
    bool present; /* some writers (BITS) have none */
    int method; /* VSS_RME_* */
    char *service, *user_procedure; /* NULL when none */
    int writer_restore; /* VSS_WRE_* */
    bool reboot_required;
} vss_wm_restore_method;

typedef struct vss_writer_metadata vss_writer_metadata;

/* A new document for a writer. writer_id and instance_id are GUIDs,
 * name is required; the rest of *id is copied as given. */
int vss_wm_new(const vss_wm_identity *id, vss_writer_metadata **out, vss_error *e);
void vss_wm_free(vss_writer_metadata *wm);

int vss_wm_parse(const char *xml, size_t len, vss_writer_metadata **out, vss_error *e);
int vss_wm_load(const char *path, vss_writer_metadata **out, vss_error *e);
char *vss_wm_xml(const vss_writer_metadata *wm, size_t *len, vss_error *e); /* malloc'd */
int vss_wm_save(const vss_writer_metadata *wm, const char *path, vss_error *e);

const vss_wm_identity *vss_wm_get_identity(const vss_writer_metadata *wm);
const char *vss_wm_version(const vss_writer_metadata *wm); /* the document's version="1.2" */
uint32_t vss_wm_backup_schema(const vss_writer_metadata *wm);
const vss_wm_restore_method *vss_wm_get_restore_method(const vss_writer_metadata *wm);

size_t vss_wm_component_count(const vss_writer_metadata *wm);
const vss_wm_component *vss_wm_component_at(const vss_writer_metadata *wm, size_t i);
/* By (logical path, name); a NULL or empty logical path means none. */
const vss_wm_component *vss_wm_find_component(const vss_writer_metadata *wm,
                                              const char *logical_path, const char *name);

const vss_wm_files *vss_wm_include_files(const vss_writer_metadata *wm);
const vss_wm_files *vss_wm_exclude_files(const vss_writer_metadata *wm);
const vss_wm_files *vss_wm_exclude_files_from_snapshot(const vss_writer_metadata *wm);
const vss_wm_files *vss_wm_alternate_location_mappings(const vss_writer_metadata *wm);

/* Writer side (IVssCreateWriterMetadata). info's file lists and
 * dependencies are ignored; its strings are copied. */
int vss_wm_add_component(vss_writer_metadata *wm, const vss_wm_component *info, vss_error *e);
int vss_wm_add_database_files(vss_writer_metadata *wm, const char *logical_path,
                              const char *name, const char *path, const char *filespec,
                              uint32_t backup_type_mask, vss_error *e);
int vss_wm_add_database_log_files(vss_writer_metadata *wm, const char *logical_path,
                                  const char *name, const char *path, const char *filespec,
                                  uint32_t backup_type_mask, vss_error *e);
int vss_wm_add_files_to_file_group(vss_writer_metadata *wm, const char *logical_path,
                                   const char *name, const char *path, const char *filespec,
                                   bool recursive, const char *alternate_location,
                                   uint32_t backup_type_mask, vss_error *e);
int vss_wm_add_exclude_files(vss_writer_metadata *wm, const char *path, const char *filespec,
                             bool recursive, vss_error *e);
int vss_wm_add_exclude_files_from_snapshot(vss_writer_metadata *wm, const char *path,
                                           const char *filespec, bool recursive, vss_error *e);
int vss_wm_set_restore_method(vss_writer_metadata *wm, int method, const char *service,
                              const char *user_procedure, int writer_restore,
                              bool reboot_required, vss_error *e);
int vss_wm_add_alternate_location_mapping(vss_writer_metadata *wm, const char *path,
                                          const char *filespec, bool recursive,
                                          const char *destination, vss_error *e);
int vss_wm_add_component_dependency(vss_writer_metadata *wm, const char *for_logical_path,
                                    const char *for_name, const char *on_writer_id,
                                    const char *on_logical_path, const char *on_name,
                                    vss_error *e);
int vss_wm_set_backup_schema(vss_writer_metadata *wm, uint32_t schema, vss_error *e);

/* Whole-document rules that depend on the order of the calls: a restore
 * method is set, VSS_BS_LOG has log files to go with it. */
int vss_wm_validate(const vss_writer_metadata *wm, vss_error *e);

/* Component sets (§5): c is member when it is set itself or its logical
 * path is set's "<logical path>\<name>" or beneath it. */
bool vss_wm_in_set(const vss_wm_component *set, const vss_wm_component *c);

/* How a requester names a writer: its name, writer id or instance id. */
bool vss_wm_names_writer(const char *s, const vss_wm_identity *id);
/* How a requester names a component: "name" or "logical\path\name". */
bool vss_wm_names_component(const char *s, const char *logical_path, const char *name);

/* The one writer matcher: is id the writer (writer_id, instance_id)? Both
 * ids must be equal, without case (vss_guid_same); a NULL id matches
 * nothing (every WMD and BCD names its instance: instanceId is required). */
bool vss_wm_is_writer(const vss_wm_identity *id, const char *writer_id, const char *instance_id);

/* Logical path and name equality; NULL and "" are the same (no path). */
bool vss_wm_same_path(const char *a, const char *b);

#endif
