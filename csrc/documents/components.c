/* The Backup Components Document's model: the struct, the schema that
 * maps its fields to XML attributes, its lifecycle, the backup and restore
 * state and the per-component setters. Rules with file sets are in
 * components_files.c, component selection in components_select.c, XML in
 * components_xml.c. */
#include "documents/components_impl.h"
#include "base/mem.h"
#include "base/array.h"
#include "base/guid.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define W_ATTR(n, k, f, fl) {n, k, offsetof(vss_bc_writer, f), NULL, fl, 0}
#define C_ATTR(n, k, f, en, fl, d) {n, k, offsetof(vss_bc_component, f), en, fl, d}
#define T_ATTR(T, n, k, f, fl) {n, k, offsetof(T, f), NULL, fl, 0}

const vss_xattr vss_bc_writer_attrs_[] = {
    W_ATTR("instanceId", VSS_XGUID, instance_id, VSS_XREQUIRED),
    W_ATTR("writerId", VSS_XGUID, writer_id, VSS_XREQUIRED),
    W_ATTR("instanceName", VSS_XSTR, instance_name, 0),
    W_ATTR("backupSchema", VSS_XU32, backup_schema, 0),
};
const vss_xattr vss_bc_component_attrs_[] = {
    C_ATTR("logicalPath", VSS_XSTR, logical_path, NULL, 0, 0),
    C_ATTR("componentName", VSS_XSTR, name, NULL, VSS_XREQUIRED, 0),
    C_ATTR("componentType", VSS_XENUM, type, &vss_enum_component_type, VSS_XREQUIRED, 0),
    C_ATTR("backupStamp", VSS_XSTR, backup_stamp, NULL, 0, 0),
    C_ATTR("previousBackupStamp", VSS_XSTR, previous_backup_stamp, NULL, 0, 0),
    C_ATTR("backupSucceeded", VSS_XBOOL, backup_succeeded, NULL, VSS_XOMIT_DEFAULT, 0),
    C_ATTR("backupOptions", VSS_XSTR, backup_options, NULL, 0, 0),
    C_ATTR("restoreOptions", VSS_XSTR, restore_options, NULL, 0, 0),
    C_ATTR("selectedForRestore", VSS_XBOOL, selected_for_restore, NULL, VSS_XOMIT_DEFAULT, 0),
    C_ATTR("additionalRestores", VSS_XBOOL, additional_restores, NULL, VSS_XOMIT_DEFAULT, 0),
    C_ATTR("restoreTarget", VSS_XENUM, restore_target, &vss_enum_restore_target,
           VSS_XOMIT_DEFAULT, VSS_RT_ORIGINAL),
    C_ATTR("fileRestoreStatus", VSS_XENUM, file_restore_status, &vss_enum_file_restore_status,
           VSS_XOMIT_DEFAULT, VSS_RS_UNDEFINED),
    C_ATTR("preRestoreFailureMsg", VSS_XSTR, pre_restore_failure_msg, NULL, 0, 0),
    C_ATTR("postRestoreFailureMsg", VSS_XSTR, post_restore_failure_msg, NULL, 0, 0),
};
const size_t vss_bc_writer_nattrs_ = ARRAY_LEN(vss_bc_writer_attrs_);
const size_t vss_bc_component_nattrs_ = ARRAY_LEN(vss_bc_component_attrs_);

static const vss_xattr partial_attrs[] = {
    T_ATTR(vss_bc_partial_file, "path", VSS_XSTR, path, VSS_XREQUIRED),
    T_ATTR(vss_bc_partial_file, "filename", VSS_XSTR, filename, VSS_XREQUIRED),
    T_ATTR(vss_bc_partial_file, "ranges", VSS_XSTR, ranges, VSS_XREQUIRED),
    T_ATTR(vss_bc_partial_file, "metadata", VSS_XSTR, metadata, 0),
};
static const vss_xattr directed_attrs[] = {
    T_ATTR(vss_bc_directed_target, "srcPath", VSS_XSTR, src_path, VSS_XREQUIRED),
    T_ATTR(vss_bc_directed_target, "srcFilename", VSS_XSTR, src_filename, VSS_XREQUIRED),
    T_ATTR(vss_bc_directed_target, "srcRanges", VSS_XSTR, src_ranges, VSS_XREQUIRED),
    T_ATTR(vss_bc_directed_target, "dstPath", VSS_XSTR, dst_path, VSS_XREQUIRED),
    T_ATTR(vss_bc_directed_target, "dstFilename", VSS_XSTR, dst_filename, VSS_XREQUIRED),
    T_ATTR(vss_bc_directed_target, "dstRanges", VSS_XSTR, dst_ranges, VSS_XREQUIRED),
};
static const vss_xattr differenced_attrs[] = {
    T_ATTR(vss_bc_differenced_file, "path", VSS_XSTR, path, VSS_XREQUIRED),
    T_ATTR(vss_bc_differenced_file, "filespec", VSS_XSTR, filespec, VSS_XREQUIRED),
    T_ATTR(vss_bc_differenced_file, "recursive", VSS_XBOOL, recursive, 0),
    T_ATTR(vss_bc_differenced_file, "lastModifyTime", VSS_XU64, last_modify_time, 0),
    T_ATTR(vss_bc_differenced_file, "lsn", VSS_XSTR, lsn, 0),
};
static const vss_xattr subcomponent_attrs[] = {
    T_ATTR(vss_bc_restore_subcomponent, "logicalPath", VSS_XSTR, logical_path, 0),
    T_ATTR(vss_bc_restore_subcomponent, "componentName", VSS_XSTR, name, VSS_XREQUIRED),
    T_ATTR(vss_bc_restore_subcomponent, "repair", VSS_XBOOL, repair, 0),
};
static const vss_xattr target_attrs[] = {
    T_ATTR(vss_wm_file, "path", VSS_XSTR, d.path, VSS_XREQUIRED),
    T_ATTR(vss_wm_file, "filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED),
    T_ATTR(vss_wm_file, "recursive", VSS_XBOOL, d.recursive, 0),
    T_ATTR(vss_wm_file, "alternatePath", VSS_XSTR, d.alternate_location, VSS_XREQUIRED),
};

#define KIND(el, spec, T, arr, cnt, cp)                                                     \
    {el, spec, ARRAY_LEN(spec), sizeof(T), offsetof(vss_bc_component, arr),               \
     offsetof(vss_bc_component, cnt), offsetof(vss_bc_component, cp), offsetof(T, extra)}

const vss_bc_kind_ vss_bc_kinds_[K_COUNT] = {
    [K_PARTIAL] = KIND("PARTIAL_FILE", partial_attrs, vss_bc_partial_file, partial_files,
                       partial_file_count, partial_file_cap),
    [K_DIRECTED] = KIND("DIRECTED_TARGET", directed_attrs, vss_bc_directed_target,
                        directed_targets, directed_target_count, directed_target_cap),
    [K_DIFFERENCED] = KIND("DIFFERENCED_FILE", differenced_attrs, vss_bc_differenced_file,
                           differenced_files, differenced_file_count, differenced_file_cap),
    [K_NEW_TARGET] = KIND("NEW_TARGET", target_attrs, vss_wm_file, new_targets.items,
                          new_targets.count, new_targets.cap),
    [K_MAPPING] = KIND("ALTERNATE_LOCATION_MAPPING", target_attrs, vss_wm_file,
                       alternate_location_mappings.items, alternate_location_mappings.count,
                       alternate_location_mappings.cap),
    [K_SUBCOMPONENT] = KIND("RESTORE_SUBCOMPONENT", subcomponent_attrs,
                            vss_bc_restore_subcomponent, restore_subcomponents,
                            restore_subcomponent_count, restore_subcomponent_cap),
};

void *vss_bc_kind_append_(vss_bc_component *c, const vss_bc_kind_ *k, const void *item,
                          vss_error *e)
{
    void **items = FIELD(c, k->items, void *);
    size_t *count = FIELD(c, k->count, size_t), *cap = FIELD(c, k->cap, size_t);
    if (vss_grow(items, cap, *count, k->size, e) != VSS_OK)
        return NULL;
    char *slot = (char *)*items + *count * k->size;
    memcpy(slot, item, k->size);
    (*count)++;
    return slot;
}

void vss_bc_kind_free_item_(const vss_bc_kind_ *k, void *item)
{
    vss_xml_free_strings(k->spec, k->nspec, item);
    vss_xextra_free(*FIELD(item, k->extra, vss_xextra *));
}

static void kind_free_all(vss_bc_component *c, const vss_bc_kind_ *k)
{
    char *items = *FIELD(c, k->items, char *);
    size_t count = *FIELD(c, k->count, size_t);
    for (size_t i = 0; i < count; i++)
        vss_bc_kind_free_item_(k, items + i * k->size);
    free(items);
}

void vss_bc_component_free_(vss_bc_component *c)
{
    if (c == NULL)
        return;
    vss_xml_free_strings(vss_bc_component_attrs_, vss_bc_component_nattrs_, c);
    free(c->backup_metadata);
    free(c->restore_metadata);
    for (size_t i = 0; i < K_COUNT; i++)
        kind_free_all(c, &vss_bc_kinds_[i]);
    vss_xextra_free(c->extra);
    vss_xextra_free(c->backup_metadata_extra);
    vss_xextra_free(c->restore_metadata_extra);
    free(c);
}

void vss_bc_writer_free_(vss_bc_writer *w)
{
    if (w == NULL)
        return;
    vss_xml_free_strings(vss_bc_writer_attrs_, vss_bc_writer_nattrs_, w);
    for (size_t i = 0; i < w->component_count; i++)
        vss_bc_component_free_(w->components[i]);
    free(w->components);
    vss_xextra_free(w->extra);
    free(w);
}

void vss_bc_free(vss_backup_components *bc)
{
    if (bc == NULL)
        return;
    free(bc->version);
    free(bc->state.snapshot_set_id);
    for (size_t i = 0; i < bc->nwriters; i++)
        vss_bc_writer_free_(bc->writers[i]);
    free(bc->writers);
    free(bc->wms);
    vss_xextra_free(bc->root_extra);
    if (bc->source)
        xmlFreeDoc(bc->source);
    free(bc);
}

vss_backup_components *vss_bc_alloc_(vss_error *e)
{
    vss_backup_components *bc = calloc(1, sizeof *bc);
    if (bc == NULL || (bc->version = strdup("1.2")) == NULL) {
        free(bc);
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    return bc;
}

int vss_bc_new(const vss_bc_state *state, vss_backup_components **out, vss_error *e)
{
    *out = NULL;
    vss_backup_components *bc = vss_bc_alloc_(e);
    if (bc == NULL)
        return VSS_FAIL;
    if (vss_bc_set_backup_state(bc, state->select_components, state->bootable_system_state,
                                state->backup_type, state->partial_file_support, e) != VSS_OK ||
        vss_bc_set_restore_state(bc, state->restore_type, e) != VSS_OK ||
        (state->snapshot_set_id && vss_bc_set_snapshot_set_id(bc, state->snapshot_set_id, e))) {
        vss_bc_free(bc);
        return VSS_FAIL;
    }
    *out = bc;
    return VSS_OK;
}

/* ---- state ---- */

const vss_bc_state *vss_bc_get_state(const vss_backup_components *bc) { return &bc->state; }
const char *vss_bc_version(const vss_backup_components *bc) { return bc->version ? bc->version : ""; }
size_t vss_bc_writer_count(const vss_backup_components *bc) { return bc->nwriters; }
vss_bc_writer *vss_bc_writer_at(const vss_backup_components *bc, size_t i)
{
    return i < bc->nwriters ? bc->writers[i] : NULL;
}

int vss_bc_set_backup_state(vss_backup_components *bc, bool select_components,
                            bool bootable_system_state, int backup_type,
                            bool partial_file_support, vss_error *e)
{
    if (!vss_enum_valid(&vss_enum_backup_type, backup_type))
        return vss_error_set(e, EINVAL, "backup type: %d is not a backup type", backup_type);
    bc->state.select_components = select_components;
    bc->state.bootable_system_state = bootable_system_state;
    bc->state.backup_type = backup_type;
    bc->state.partial_file_support = partial_file_support;
    return VSS_OK;
}

int vss_bc_set_restore_state(vss_backup_components *bc, int restore_type, vss_error *e)
{
    if (!vss_enum_valid(&vss_enum_restore_type, restore_type))
        return vss_error_set(e, EINVAL, "restore type: %d is not a restore type", restore_type);
    bc->state.restore_type = restore_type;
    return VSS_OK;
}

int vss_bc_set_snapshot_set_id(vss_backup_components *bc, const char *id, vss_error *e)
{
    if (id == NULL || !vss_guid_valid(id))
        return vss_error_set(e, EINVAL, "snapshot set id: expected a GUID, got '%s'",
                             id ? id : "(none)");
    char *s;
    if (vss_strdup_opt(&s, id, e) != VSS_OK)
        return VSS_FAIL;
    free(bc->state.snapshot_set_id);
    bc->state.snapshot_set_id = s;
    return VSS_OK;
}

/* ---- simple setters ---- */

int vss_bc_set_str_(char **field, const char *v, vss_error *e)
{
    char *s;
    if (vss_strdup_opt(&s, v, e) != VSS_OK)
        return VSS_FAIL;
    free(*field);
    *field = s;
    return VSS_OK;
}

int vss_bc_set_backup_succeeded(vss_backup_components *bc, vss_bc_component *c, bool ok,
                                vss_error *e)
{
    (void)bc, (void)e;
    c->backup_succeeded = ok;
    return VSS_OK;
}

int vss_bc_set_backup_options(vss_backup_components *bc, vss_bc_component *c,
                              const char *options, vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->backup_options, options, e);
}

int vss_bc_set_restore_options(vss_backup_components *bc, vss_bc_component *c,
                               const char *options, vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->restore_options, options, e);
}

int vss_bc_set_selected_for_restore(vss_backup_components *bc, vss_bc_component *c, bool sel,
                                    vss_error *e)
{
    (void)bc, (void)e;
    c->selected_for_restore = sel;
    return VSS_OK;
}

int vss_bc_set_additional_restores(vss_backup_components *bc, vss_bc_component *c, bool more,
                                   vss_error *e)
{
    (void)bc, (void)e;
    c->additional_restores = more;
    return VSS_OK;
}

bool vss_bc_takes_previous_stamp(int backup_type)
{
    return backup_type == VSS_BT_INCREMENTAL || backup_type == VSS_BT_DIFFERENTIAL;
}

int vss_bc_set_previous_backup_stamp(vss_backup_components *bc, vss_bc_component *c,
                                     const char *stamp, vss_error *e)
{
    int t = bc->state.backup_type;
    if (!vss_bc_takes_previous_stamp(t))
        return vss_error_set(e, EINVAL, "previous backup stamp: only for an incremental or "
                                          "differential backup (this one is %s)",
                             vss_enum_name(&vss_enum_backup_type, t));
    return vss_bc_set_str_(&c->previous_backup_stamp, stamp, e);
}

int vss_bc_set_file_restore_status(vss_backup_components *bc, vss_bc_component *c, int status,
                                   vss_error *e)
{
    (void)bc;
    if (status == VSS_RS_UNDEFINED || !vss_enum_valid(&vss_enum_file_restore_status, status))
        return vss_error_set(e, EINVAL, "file restore status: none, all or failed expected");
    c->file_restore_status = status;
    return VSS_OK;
}

int vss_bc_set_backup_stamp(vss_backup_components *bc, vss_bc_component *c, const char *stamp,
                            vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->backup_stamp, stamp, e);
}

int vss_bc_set_backup_metadata(vss_backup_components *bc, vss_bc_component *c,
                               const char *metadata, vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->backup_metadata, metadata, e);
}

int vss_bc_set_restore_metadata(vss_backup_components *bc, vss_bc_component *c,
                                const char *metadata, vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->restore_metadata, metadata, e);
}

int vss_bc_set_restore_target(vss_backup_components *bc, vss_bc_component *c, int target,
                              vss_error *e)
{
    (void)bc;
    if (target == VSS_RT_UNDEFINED || !vss_enum_valid(&vss_enum_restore_target, target))
        return vss_error_set(e, EINVAL, "restore target: %d is not a restore target", target);
    c->restore_target = target;
    return VSS_OK;
}

int vss_bc_set_pre_restore_failure_msg(vss_backup_components *bc, vss_bc_component *c,
                                       const char *msg, vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->pre_restore_failure_msg, msg, e);
}

int vss_bc_set_post_restore_failure_msg(vss_backup_components *bc, vss_bc_component *c,
                                        const char *msg, vss_error *e)
{
    (void)bc;
    return vss_bc_set_str_(&c->post_restore_failure_msg, msg, e);
}
