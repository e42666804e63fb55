#include "components.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "docxml.h"
#include "fileset.h"
#include "ranges.h"

struct vss_backup_components {
    char *version;
    vss_bc_state state;
    vss_bc_writer **writers;
    size_t nwriters, capwriters;
    const vss_writer_metadata **wms; /* attached, not owned */
    size_t nwms, capwms;
    xmlDocPtr source;
    vss_xextra *root_extra;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BC_ATTR(n, k, f, en, fl, d) {n, k, offsetof(struct vss_backup_components, f), en, fl, d}
#define W_ATTR(n, k, f, fl) {n, k, offsetof(vss_bc_writer, f), NULL, fl, 0}
#define C_ATTR(n, k, f, en, fl, d) {n, k, offsetof(vss_bc_component, f), en, fl, d}
#define T_ATTR(T, n, k, f, fl) {n, k, offsetof(T, f), NULL, fl, 0}

static const vss_xattr root_attrs[] = {
    BC_ATTR("version", VSS_XSTR, version, NULL, 0, 0),
    BC_ATTR("bootableSystemStateBackup", VSS_XBOOL, state.bootable_system_state, NULL, 0, 0),
    BC_ATTR("selectComponents", VSS_XBOOL, state.select_components, NULL, 0, 0),
    BC_ATTR("backupType", VSS_XENUM, state.backup_type, &vss_enum_backup_type, 0, 0),
    BC_ATTR("partialFileSupport", VSS_XBOOL, state.partial_file_support, NULL, 0, 0),
    BC_ATTR("snapshotSetId", VSS_XGUID, state.snapshot_set_id, NULL, 0, 0),
    BC_ATTR("restoreType", VSS_XENUM, state.restore_type, &vss_enum_restore_type,
            VSS_XOMIT_DEFAULT, VSS_RTYPE_UNDEFINED),
};
static const vss_xattr writer_attrs[] = {
    W_ATTR("instanceId", VSS_XGUID, instance_id, VSS_XREQUIRED),
    W_ATTR("writerId", VSS_XGUID, writer_id, VSS_XREQUIRED),
    W_ATTR("instanceName", VSS_XSTR, instance_name, 0),
    W_ATTR("backupSchema", VSS_XU32, backup_schema, 0),
};
static const vss_xattr component_attrs[] = {
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
static const vss_xattr backup_metadata_attrs[] = {
    C_ATTR("metadata", VSS_XSTR, backup_metadata, NULL, 0, 0),
};
static const vss_xattr restore_metadata_attrs[] = {
    C_ATTR("metadata", VSS_XSTR, restore_metadata, NULL, 0, 0),
};
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

/* The per-component lists, each one element name and one struct array. */
typedef struct child_kind {
    const char *element;
    const vss_xattr *spec;
    size_t nspec, size, items, count, cap, extra;
} child_kind;

#define KIND(el, spec, T, arr, cnt, cp)                                                     \
    {el, spec, ARRAY_LEN(spec), sizeof(T), offsetof(vss_bc_component, arr),               \
     offsetof(vss_bc_component, cnt), offsetof(vss_bc_component, cp), offsetof(T, extra)}

static const child_kind kinds[] = {
    KIND("PARTIAL_FILE", partial_attrs, vss_bc_partial_file, partial_files, partial_file_count,
         partial_file_cap),
    KIND("DIRECTED_TARGET", directed_attrs, vss_bc_directed_target, directed_targets,
         directed_target_count, directed_target_cap),
    KIND("DIFFERENCED_FILE", differenced_attrs, vss_bc_differenced_file, differenced_files,
         differenced_file_count, differenced_file_cap),
    KIND("NEW_TARGET", target_attrs, vss_wm_file, new_targets.items, new_targets.count,
         new_targets.cap),
    KIND("ALTERNATE_LOCATION_MAPPING", target_attrs, vss_wm_file,
         alternate_location_mappings.items, alternate_location_mappings.count,
         alternate_location_mappings.cap),
    KIND("RESTORE_SUBCOMPONENT", subcomponent_attrs, vss_bc_restore_subcomponent,
         restore_subcomponents, restore_subcomponent_count, restore_subcomponent_cap),
};
enum { K_PARTIAL, K_DIRECTED, K_DIFFERENCED, K_NEW_TARGET, K_MAPPING, K_SUBCOMPONENT };

#define FIELD(obj, off, T) ((T *)((char *)(obj) + (off)))

/* Append a filled item (ownership of its strings moves to the list). */
static void *kind_append(vss_bc_component *c, const child_kind *k, const void *item, vss_error *e)
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

static void kind_free_all(vss_bc_component *c, const child_kind *k)
{
    char *items = *FIELD(c, k->items, char *);
    size_t count = *FIELD(c, k->count, size_t);
    for (size_t i = 0; i < count; i++) {
        vss_xml_free_strings(k->spec, k->nspec, items + i * k->size);
        vss_xextra_free(*FIELD(items + i * k->size, k->extra, vss_xextra *));
    }
    free(items);
}

static void component_free(vss_bc_component *c)
{
    if (c == NULL)
        return;
    vss_xml_free_strings(component_attrs, ARRAY_LEN(component_attrs), c);
    free(c->backup_metadata);
    free(c->restore_metadata);
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        kind_free_all(c, &kinds[i]);
    vss_xextra_free(c->extra);
    vss_xextra_free(c->backup_metadata_extra);
    vss_xextra_free(c->restore_metadata_extra);
    free(c);
}

static void writer_free(vss_bc_writer *w)
{
    if (w == NULL)
        return;
    vss_xml_free_strings(writer_attrs, ARRAY_LEN(writer_attrs), w);
    for (size_t i = 0; i < w->component_count; i++)
        component_free(w->components[i]);
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
        writer_free(bc->writers[i]);
    free(bc->writers);
    free(bc->wms);
    vss_xextra_free(bc->root_extra);
    if (bc->source)
        xmlFreeDoc(bc->source);
    free(bc);
}

static vss_backup_components *bc_alloc(vss_error *e)
{
    vss_backup_components *bc = calloc(1, sizeof *bc);
    if (bc == NULL || (bc->version = strdup("1.2")) == NULL) {
        free(bc);
        vss_error_set(e, "ENOMEM", "out of memory");
        return NULL;
    }
    return bc;
}

int vss_bc_new(const vss_bc_state *state, vss_backup_components **out, vss_error *e)
{
    *out = NULL;
    vss_backup_components *bc = bc_alloc(e);
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
        return vss_error_set(e, "EINVAL", "backup type: %d is not a backup type", backup_type);
    bc->state.select_components = select_components;
    bc->state.bootable_system_state = bootable_system_state;
    bc->state.backup_type = backup_type;
    bc->state.partial_file_support = partial_file_support;
    return VSS_OK;
}

int vss_bc_set_restore_state(vss_backup_components *bc, int restore_type, vss_error *e)
{
    if (!vss_enum_valid(&vss_enum_restore_type, restore_type))
        return vss_error_set(e, "EINVAL", "restore type: %d is not a restore type", restore_type);
    bc->state.restore_type = restore_type;
    return VSS_OK;
}

int vss_bc_set_snapshot_set_id(vss_backup_components *bc, const char *id, vss_error *e)
{
    if (id == NULL || !vss_guid_valid(id))
        return vss_error_set(e, "EINVAL", "snapshot set id: expected a GUID, got '%s'",
                             id ? id : "(none)");
    char *s;
    if (vss_strdup_opt(&s, id, e) != VSS_OK)
        return VSS_FAIL;
    free(bc->state.snapshot_set_id);
    bc->state.snapshot_set_id = s;
    return VSS_OK;
}

/* ---- writers and their metadata ---- */

int vss_bc_add_writer_metadata(vss_backup_components *bc, const vss_writer_metadata *wm,
                               vss_error *e)
{
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    for (size_t i = 0; i < bc->nwms; i++) {
        const vss_wm_identity *o = vss_wm_get_identity(bc->wms[i]);
        if (vss_wm_same_id(o->writer_id, id->writer_id) &&
            vss_wm_same_id(o->instance_id, id->instance_id)) {
            bc->wms[i] = wm; /* a newer Identify of the same instance */
            return VSS_OK;
        }
    }
    if (vss_grow((void **)&bc->wms, &bc->capwms, bc->nwms, sizeof *bc->wms, e) != VSS_OK)
        return VSS_FAIL;
    bc->wms[bc->nwms++] = wm;
    return VSS_OK;
}

const vss_writer_metadata *vss_bc_writer_metadata(const vss_backup_components *bc,
                                                  const vss_bc_writer *w)
{
    for (size_t i = 0; i < bc->nwms; i++) {
        const vss_wm_identity *id = vss_wm_get_identity(bc->wms[i]);
        if (vss_wm_same_id(id->writer_id, w->writer_id) &&
            vss_wm_same_id(id->instance_id, w->instance_id))
            return bc->wms[i];
    }
    return NULL;
}

static const char *lp_show(const char *lp) { return lp ? lp : ""; }

/* The writer's metadata and its description of c, for a rule that needs
 * them; `what` names the operation in the error. */
static const vss_wm_component *need_wm(const vss_backup_components *bc,
                                       const vss_bc_component *c, const char *what,
                                       const vss_writer_metadata **wmp, vss_error *e)
{
    const vss_writer_metadata *wm = vss_bc_writer_metadata(bc, c->writer);
    if (wm == NULL) {
        vss_error_set(e, "EINVAL",
                      "%s: needs writer %s's metadata (attach it with add_writer_metadata)", what,
                      c->writer->writer_id);
        return NULL;
    }
    const vss_wm_component *m = vss_wm_find_component(wm, c->logical_path, c->name);
    if (m == NULL)
        vss_error_set(e, "ENOENT", "%s: component '%s' at logical path '%s' is not in writer "
                                   "%s's metadata",
                      what, c->name, lp_show(c->logical_path), c->writer->writer_id);
    *wmp = wm;
    return m;
}

vss_bc_component *vss_bc_find_component(const vss_backup_components *bc, const char *writer_id,
                                        const char *logical_path, const char *name)
{
    for (size_t i = 0; i < bc->nwriters; i++) {
        vss_bc_writer *w = bc->writers[i];
        if (!vss_wm_same_id(w->writer_id, writer_id) && !vss_wm_same_id(w->instance_id, writer_id))
            continue;
        for (size_t j = 0; j < w->component_count; j++) {
            vss_bc_component *c = w->components[j];
            if (strcmp(c->name, name) == 0 && vss_wm_same_path(c->logical_path, logical_path))
                return c;
        }
    }
    return NULL;
}

static int check_wm_component(const vss_writer_metadata *wm, int type, const char *lp,
                              const char *name, vss_error *e)
{
    const vss_wm_component *m = vss_wm_find_component(wm, lp, name);
    if (m == NULL)
        return vss_error_set(e, "ENOENT", "component '%s' at logical path '%s' is not in writer "
                                          "'%s''s metadata",
                             name, lp_show(lp), vss_wm_get_identity(wm)->name);
    if (m->type != type)
        return vss_error_set(e, "EINVAL", "component '%s' is a %s component in its metadata",
                             name, vss_enum_name(&vss_enum_component_type, m->type));
    /* Subcomponents come with the selectable component that defines their
     * set and are never added themselves (§5). */
    for (size_t i = 0; i < vss_wm_component_count(wm); i++) {
        const vss_wm_component *s = vss_wm_component_at(wm, i);
        if (s != m && s->selectable && vss_wm_in_set(s, m))
            return vss_error_set(e, "EINVAL",
                                 "component '%s' is a subcomponent of selectable component "
                                 "'%s'; add that one",
                                 name, s->name);
    }
    return VSS_OK;
}

int vss_bc_add_component(vss_backup_components *bc, const char *writer_id,
                         const char *instance_id, int type, const char *logical_path,
                         const char *name, vss_bc_component **out, vss_error *e)
{
    const char *lp = logical_path && *logical_path ? logical_path : NULL;
    if (out)
        *out = NULL;
    if (writer_id == NULL || !vss_guid_valid(writer_id))
        return vss_error_set(e, "EINVAL", "writer id: expected a GUID, got '%s'",
                             writer_id ? writer_id : "(none)");
    if (instance_id == NULL || !vss_guid_valid(instance_id))
        return vss_error_set(e, "EINVAL", "instance id: expected a GUID, got '%s'",
                             instance_id ? instance_id : "(none)");
    if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP)
        return vss_error_set(e, "EINVAL", "component type: database or filegroup expected");
    if (name == NULL || *name == '\0' || strchr(name, '\\') != NULL)
        return vss_error_set(e, "EINVAL", "component name: required, without '\\'");
    vss_bc_writer *w = NULL;
    for (size_t i = 0; i < bc->nwriters && w == NULL; i++)
        if (vss_wm_same_id(bc->writers[i]->writer_id, writer_id) &&
            vss_wm_same_id(bc->writers[i]->instance_id, instance_id))
            w = bc->writers[i];
    for (size_t j = 0; w != NULL && j < w->component_count; j++)
        if (strcmp(w->components[j]->name, name) == 0 &&
            vss_wm_same_path(w->components[j]->logical_path, lp))
            return vss_error_set(e, "EEXIST", "component '%s' at logical path '%s' is already "
                                              "added for writer %s",
                                 name, lp_show(lp), writer_id);
    const vss_writer_metadata *wm = NULL;
    for (size_t i = 0; i < bc->nwms && wm == NULL; i++) {
        const vss_wm_identity *id = vss_wm_get_identity(bc->wms[i]);
        if (vss_wm_same_id(id->writer_id, writer_id) && vss_wm_same_id(id->instance_id, instance_id))
            wm = bc->wms[i];
    }
    if (wm != NULL && check_wm_component(wm, type, lp, name, e) != VSS_OK)
        return VSS_FAIL;
    bool new_writer = w == NULL;
    if (new_writer) {
        if (vss_grow((void **)&bc->writers, &bc->capwriters, bc->nwriters, sizeof *bc->writers,
                     e) != VSS_OK)
            return VSS_FAIL;
        w = calloc(1, sizeof *w);
        if (w == NULL || vss_strdup_opt(&w->writer_id, writer_id, e) != VSS_OK ||
            vss_strdup_opt(&w->instance_id, instance_id, e) != VSS_OK ||
            (wm && vss_strdup_opt(&w->instance_name, vss_wm_get_identity(wm)->instance_name, e))) {
            writer_free(w);
            return vss_error_set(e, "ENOMEM", "out of memory");
        }
        w->backup_schema = wm ? vss_wm_backup_schema(wm) : 0;
    }
    vss_bc_component *c = calloc(1, sizeof *c);
    if (c == NULL ||
        vss_grow((void **)&w->components, &w->component_cap, w->component_count,
                 sizeof *w->components, e) != VSS_OK ||
        vss_strdup_opt(&c->logical_path, lp, e) != VSS_OK ||
        vss_strdup_opt(&c->name, name, e) != VSS_OK) {
        component_free(c);
        if (new_writer)
            writer_free(w);
        return vss_error_set(e, "ENOMEM", "out of memory");
    }
    c->writer = w;
    c->type = type;
    c->restore_target = VSS_RT_ORIGINAL;
    w->components[w->component_count++] = c;
    if (new_writer)
        bc->writers[bc->nwriters++] = w;
    if (out)
        *out = c;
    return VSS_OK;
}

int vss_bc_validate(const vss_backup_components *bc, vss_error *e)
{
    for (size_t i = 0; i < bc->nwriters; i++) {
        const vss_bc_writer *w = bc->writers[i];
        const vss_writer_metadata *wm = vss_bc_writer_metadata(bc, w);
        for (size_t k = 0; wm != NULL && k < vss_wm_component_count(wm); k++) {
            const vss_wm_component *m = vss_wm_component_at(wm, k);
            bool covered = m->selectable;
            for (size_t j = 0; j < vss_wm_component_count(wm) && !covered; j++) {
                const vss_wm_component *s = vss_wm_component_at(wm, j);
                covered = s != m && s->selectable && vss_wm_in_set(s, m);
            }
            bool added = false;
            for (size_t j = 0; j < w->component_count && !added; j++)
                added = strcmp(w->components[j]->name, m->name) == 0 &&
                        vss_wm_same_path(w->components[j]->logical_path, m->logical_path);
            if (!covered && !added)
                return vss_error_set(e, "EINVAL",
                                     "writer '%s': nonselectable component '%s' at logical path "
                                     "'%s' must be added with the others",
                                     vss_wm_get_identity(wm)->name, m->name,
                                     lp_show(m->logical_path));
        }
    }
    return VSS_OK;
}

/* ---- simple setters ---- */

static int set_str(char **field, const char *v, vss_error *e)
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
    return set_str(&c->backup_options, options, e);
}

int vss_bc_set_restore_options(vss_backup_components *bc, vss_bc_component *c,
                               const char *options, vss_error *e)
{
    (void)bc;
    return set_str(&c->restore_options, options, e);
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

int vss_bc_set_previous_backup_stamp(vss_backup_components *bc, vss_bc_component *c,
                                     const char *stamp, vss_error *e)
{
    int t = bc->state.backup_type;
    if (t != VSS_BT_INCREMENTAL && t != VSS_BT_DIFFERENTIAL)
        return vss_error_set(e, "EINVAL", "previous backup stamp: only for an incremental or "
                                          "differential backup (this one is %s)",
                             vss_enum_name(&vss_enum_backup_type, t));
    return set_str(&c->previous_backup_stamp, stamp, e);
}

int vss_bc_set_file_restore_status(vss_backup_components *bc, vss_bc_component *c, int status,
                                   vss_error *e)
{
    (void)bc;
    if (status == VSS_RS_UNDEFINED || !vss_enum_valid(&vss_enum_file_restore_status, status))
        return vss_error_set(e, "EINVAL", "file restore status: none, all or failed expected");
    c->file_restore_status = status;
    return VSS_OK;
}

int vss_bc_set_backup_stamp(vss_backup_components *bc, vss_bc_component *c, const char *stamp,
                            vss_error *e)
{
    (void)bc;
    return set_str(&c->backup_stamp, stamp, e);
}

int vss_bc_set_backup_metadata(vss_backup_components *bc, vss_bc_component *c,
                               const char *metadata, vss_error *e)
{
    (void)bc;
    return set_str(&c->backup_metadata, metadata, e);
}

int vss_bc_set_restore_metadata(vss_backup_components *bc, vss_bc_component *c,
                                const char *metadata, vss_error *e)
{
    (void)bc;
    return set_str(&c->restore_metadata, metadata, e);
}

int vss_bc_set_restore_target(vss_backup_components *bc, vss_bc_component *c, int target,
                              vss_error *e)
{
    (void)bc;
    if (target == VSS_RT_UNDEFINED || !vss_enum_valid(&vss_enum_restore_target, target))
        return vss_error_set(e, "EINVAL", "restore target: %d is not a restore target", target);
    c->restore_target = target;
    return VSS_OK;
}

int vss_bc_set_pre_restore_failure_msg(vss_backup_components *bc, vss_bc_component *c,
                                       const char *msg, vss_error *e)
{
    (void)bc;
    return set_str(&c->pre_restore_failure_msg, msg, e);
}

int vss_bc_set_post_restore_failure_msg(vss_backup_components *bc, vss_bc_component *c,
                                        const char *msg, vss_error *e)
{
    (void)bc;
    return set_str(&c->post_restore_failure_msg, msg, e);
}

/* ---- paths, file sets and their overlap ---- */

static bool is_sep(char ch) { return ch == '\\' || ch == '/'; }

/* Visit the file sets of every component in m's set; stop when fn says so. */
typedef bool (*set_visit)(const vss_wm_component *owner, const vss_filedesc *d, void *arg);

static const vss_wm_component *visit_sets(const vss_writer_metadata *wm,
                                          const vss_wm_component *set, set_visit fn, void *arg,
                                          const vss_filedesc **hit)
{
    for (size_t i = 0; i < vss_wm_component_count(wm); i++) {
        const vss_wm_component *m = vss_wm_component_at(wm, i);
        if (set != NULL && !vss_wm_in_set(set, m))
            continue;
        const vss_wm_files *lists[] = {&m->files, &m->database_files, &m->log_files};
        for (size_t l = 0; l < 3; l++)
            for (size_t j = 0; j < lists[l]->count; j++)
                if (fn(m, &lists[l]->items[j].d, arg)) {
                    if (hit)
                        *hit = &lists[l]->items[j].d;
                    return m;
                }
    }
    return NULL;
}

static bool visit_same(const vss_wm_component *o, const vss_filedesc *d, void *arg)
{
    (void)o;
    return vss_filedesc_same_set(d, arg, 0);
}

static bool visit_overlap(const vss_wm_component *o, const vss_filedesc *d, void *arg)
{
    (void)o;
    return vss_filesets_overlap(d, arg);
}

typedef struct file_ref {
    const char *dir, *name;
} file_ref;

static bool visit_has_file(const vss_wm_component *o, const vss_filedesc *d, void *arg)
{
    (void)o;
    const file_ref *f = arg;
    return vss_fileset_has_file(d, f->dir, f->name);
}

/* ---- rules with file sets ---- */

static bool has_wildcard(const char *s) { return strpbrk(s, "*?") != NULL; }

/* Paths take no wildcards, but a Win32 device prefix "\\?\" is not one. */
static int check_dir(const char *what, const char *p, vss_error *e)
{
    if (p == NULL || *p == '\0')
        return vss_error_set(e, "EINVAL", "%s: a path is required", what);
    if (has_wildcard(strncmp(p, "\\\\?\\", 4) == 0 ? p + 4 : p))
        return vss_error_set(e, "EINVAL", "%s '%s': wildcards are not allowed in a path", what, p);
    return VSS_OK;
}

static int check_name(const char *what, const char *n, vss_error *e)
{
    if (n == NULL || *n == '\0')
        return vss_error_set(e, "EINVAL", "%s: a file name is required", what);
    if (has_wildcard(n) || strpbrk(n, "\\/") != NULL)
        return vss_error_set(e, "EINVAL", "%s '%s': a file name without wildcards or separators",
                             what, n);
    return VSS_OK;
}

static int check_ranges(const char *what, const char *s, vss_ranges **out, vss_error *e)
{
    vss_ranges *r = NULL;
    if (s == NULL || *s == '\0')
        return vss_error_set(e, "EINVAL", "%s: a range list is required", what);
    if (vss_ranges_parse(s, strlen(s), VSS_RANGES_NO_ZERO, &r, e) != VSS_OK) {
        char msg[sizeof e->message];
        if (e) {
            snprintf(msg, sizeof msg, "%s: %.400s", what, e->message);
            memcpy(e->message, msg, sizeof msg);
        }
        return VSS_FAIL;
    }
    if (out)
        *out = r;
    else
        vss_ranges_free(r);
    return VSS_OK;
}

/* §6.1: an inline list, or a ranges file ("File=" optional). Since any
 * string that fails the grammar could be read as a path, a bare path must
 * look like one (absolute, a drive, or an environment variable), and a
 * string that starts like a list must be a valid list. */
static int check_partial_ranges(const char *ranges, vss_error *e)
{
    const char *ref = NULL;
    if (ranges == NULL || *ranges == '\0')
        return vss_error_set(e, "EINVAL", "ranges: a range list or a ranges file is required");
    const char *p = ranges + strspn(ranges, " \t");
    if (*p >= '0' && *p <= '9')
        return check_ranges("ranges", ranges, NULL, e);
    if (!vss_ranges_file_reference(ranges, &ref) || ref == NULL || *ref == '\0')
        return vss_error_set(e, "EINVAL", "ranges '%s': names no ranges file", ranges);
    bool drive = ((ref[0] | 0x20) >= 'a' && (ref[0] | 0x20) <= 'z') && ref[1] == ':';
    if (!(is_sep(ref[0]) || ref[0] == '%' || drive))
        return vss_error_set(e, "EINVAL",
                             "ranges '%s': neither a range list nor the full path of a ranges "
                             "file",
                             ranges);
    return VSS_OK;
}

int vss_bc_add_partial_file(vss_backup_components *bc, vss_bc_component *c, const char *path,
                            const char *filename, const char *ranges, const char *metadata,
                            vss_error *e)
{
    if (!bc->state.partial_file_support)
        return vss_error_set(e, "EINVAL", "add_partial_file: the backup state does not enable "
                                          "partial file support");
    if (check_dir("path", path, e) != VSS_OK || check_name("filename", filename, e) != VSS_OK)
        return VSS_FAIL;
    if (check_partial_ranges(ranges, e) != VSS_OK)
        return VSS_FAIL;
    /* §6.4: a file is either partial or differenced, never both. */
    for (size_t i = 0; i < c->differenced_file_count; i++) {
        const vss_bc_differenced_file *df = &c->differenced_files[i];
        vss_filedesc d = {.path = df->path, .filespec = df->filespec, .recursive = df->recursive};
        if (vss_fileset_has_file(&d, path, filename))
            return vss_error_set(e, "EINVAL", "partial file %s\\%s is already a differenced file "
                                              "(%s\\%s)",
                                 path, filename, df->path, df->filespec);
    }
    vss_bc_partial_file p = {0};
    if (vss_strdup_opt(&p.path, path, e) != VSS_OK ||
        vss_strdup_opt(&p.filename, filename, e) != VSS_OK ||
        vss_strdup_opt(&p.ranges, ranges, e) != VSS_OK ||
        vss_strdup_opt(&p.metadata, metadata, e) != VSS_OK ||
        kind_append(c, &kinds[K_PARTIAL], &p, e) == NULL) {
        vss_xml_free_strings(partial_attrs, ARRAY_LEN(partial_attrs), &p);
        return VSS_FAIL;
    }
    return VSS_OK;
}

int vss_bc_set_ranges_file_path(vss_backup_components *bc, vss_bc_component *c, size_t index,
                                const char *ranges_file, vss_error *e)
{
    (void)bc;
    if (index >= c->partial_file_count)
        return vss_error_set(e, "ERANGE", "partial file %zu: component '%s' has %zu", index,
                             c->name, c->partial_file_count);
    if (check_dir("ranges file", ranges_file, e) != VSS_OK)
        return VSS_FAIL;
    return set_str(&c->partial_files[index].ranges, ranges_file, e);
}

int vss_bc_add_directed_target(vss_backup_components *bc, vss_bc_component *c,
                               const char *src_path, const char *src_filename,
                               const char *src_ranges, const char *dst_path,
                               const char *dst_filename, const char *dst_ranges, vss_error *e)
{
    if (c->restore_target != VSS_RT_DIRECTED)
        return vss_error_set(e, "EINVAL", "add_directed_target: component '%s' has restore "
                                          "target %s; set it to directed first",
                             c->name, vss_enum_name(&vss_enum_restore_target, c->restore_target));
    if (check_dir("source path", src_path, e) != VSS_OK ||
        check_name("source file name", src_filename, e) != VSS_OK ||
        check_dir("destination path", dst_path, e) != VSS_OK ||
        check_name("destination file name", dst_filename, e) != VSS_OK)
        return VSS_FAIL;
    vss_ranges *src = NULL, *dst = NULL;
    vss_range_copy *plan = NULL;
    size_t n = 0;
    int rc = VSS_FAIL;
    if (check_ranges("source ranges", src_ranges, &src, e) != VSS_OK ||
        check_ranges("destination ranges", dst_ranges, &dst, e) != VSS_OK ||
        vss_ranges_map(src, dst, &plan, &n, e) != VSS_OK)
        goto out;
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, "add_directed_target", &wm, e);
    if (m == NULL)
        goto out;
    file_ref f = {src_path, src_filename};
    if (visit_sets(wm, m, visit_has_file, &f, NULL) == NULL) {
        vss_error_set(e, "ENOENT", "directed target source %s\\%s: not in a file set of "
                                   "component '%s'",
                      src_path, src_filename, c->name);
        goto out;
    }
    /* A partially backed-up file can only be remapped by its own ranges. */
    for (size_t i = 0; i < c->partial_file_count; i++) {
        const vss_bc_partial_file *p = &c->partial_files[i];
        const char *ref;
        if (!vss_path_equal(p->path, src_path, 0) || strcmp(p->filename, src_filename) != 0 ||
            vss_ranges_file_reference(p->ranges, &ref))
            continue;
        vss_ranges *pr = NULL;
        char *a = NULL, *b = NULL;
        bool same = vss_ranges_parse(p->ranges, strlen(p->ranges), 0, &pr, NULL) == VSS_OK &&
                    (a = vss_ranges_format(pr, NULL)) != NULL &&
                    (b = vss_ranges_format(src, NULL)) != NULL && strcmp(a, b) == 0;
        vss_ranges_free(pr);
        free(a);
        free(b);
        if (!same) {
            vss_error_set(e, "EINVAL", "source ranges '%s' of partial file %s\\%s: must be the "
                                       "ranges it was backed up with ('%s')",
                          src_ranges, src_path, src_filename, p->ranges);
            goto out;
        }
    }
    vss_bc_directed_target t = {0};
    if (vss_strdup_opt(&t.src_path, src_path, e) != VSS_OK ||
        vss_strdup_opt(&t.src_filename, src_filename, e) != VSS_OK ||
        vss_strdup_opt(&t.src_ranges, src_ranges, e) != VSS_OK ||
        vss_strdup_opt(&t.dst_path, dst_path, e) != VSS_OK ||
        vss_strdup_opt(&t.dst_filename, dst_filename, e) != VSS_OK ||
        vss_strdup_opt(&t.dst_ranges, dst_ranges, e) != VSS_OK ||
        kind_append(c, &kinds[K_DIRECTED], &t, e) == NULL) {
        vss_xml_free_strings(directed_attrs, ARRAY_LEN(directed_attrs), &t);
        goto out;
    }
    rc = VSS_OK;
out:
    vss_ranges_free(src);
    vss_ranges_free(dst);
    free(plan);
    return rc;
}

int vss_bc_add_differenced_files_by_last_modify_time(vss_backup_components *bc,
                                                     vss_bc_component *c, const char *path,
                                                     const char *filespec, bool recursive,
                                                     uint64_t last_modify_time, vss_error *e)
{
    const char *what = "add_differenced_files_by_last_modify_time";
    int t = bc->state.backup_type;
    if (t != VSS_BT_INCREMENTAL && t != VSS_BT_DIFFERENTIAL)
        return vss_error_set(e, "EINVAL", "%s: only in an incremental or differential backup "
                                          "(this one is %s)",
                             what, vss_enum_name(&vss_enum_backup_type, t));
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, what, &wm, e);
    if (m == NULL)
        return VSS_FAIL;
    uint32_t schema = vss_wm_backup_schema(wm);
    uint32_t need = VSS_BS_LAST_MODIFY |
                    (t == VSS_BT_INCREMENTAL ? VSS_BS_INCREMENTAL : VSS_BS_DIFFERENTIAL);
    if ((schema & need) != need)
        return vss_error_set(e, "EINVAL", "%s: writer's backup schema %u lacks last_modify and "
                                          "%s",
                             what, (unsigned)schema, vss_enum_name(&vss_enum_backup_type, t));
    vss_filedesc d;
    if (vss_filedesc_init(&d, path, filespec, recursive, NULL, VSS_FSBT_DEFAULT, e) != VSS_OK)
        return VSS_FAIL;
    int rc = VSS_FAIL;
    const vss_filedesc *hit = NULL;
    /* Exactly a file set of this component, or new files overlapping no
     * file set of the writer at all (§6.4). */
    if (visit_sets(wm, m, visit_same, &d, NULL) == NULL) {
        const vss_wm_component *o = visit_sets(wm, NULL, visit_overlap, &d, &hit);
        if (o != NULL) {
            vss_error_set(e, "EINVAL", "differenced files %s\\%s partially overlap file set "
                                       "%s\\%s of component '%s'",
                          path, filespec, hit->path, hit->filespec, o->name);
            goto out;
        }
    }
    for (size_t i = 0; i < c->partial_file_count; i++) {
        if (vss_fileset_has_file(&d, c->partial_files[i].path, c->partial_files[i].filename)) {
            vss_error_set(e, "EINVAL", "differenced files %s\\%s include partial file %s\\%s",
                          path, filespec, c->partial_files[i].path, c->partial_files[i].filename);
            goto out;
        }
    }
    vss_bc_differenced_file df = {.recursive = recursive, .last_modify_time = last_modify_time};
    if (vss_strdup_opt(&df.path, path, e) != VSS_OK ||
        vss_strdup_opt(&df.filespec, filespec, e) != VSS_OK ||
        kind_append(c, &kinds[K_DIFFERENCED], &df, e) == NULL) {
        vss_xml_free_strings(differenced_attrs, ARRAY_LEN(differenced_attrs), &df);
        goto out;
    }
    rc = VSS_OK;
out:
    vss_filedesc_clear(&d);
    return rc;
}

/* New targets and used mappings name a file set of the component's set. */
static int add_relocation(vss_backup_components *bc, vss_bc_component *c, int kind,
                          const char *what, const char *path, const char *filespec,
                          bool recursive, const char *to, vss_error *e)
{
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, what, &wm, e);
    if (m == NULL)
        return VSS_FAIL;
    if (kind == K_NEW_TARGET && !(vss_wm_backup_schema(wm) & VSS_BS_WRITER_SUPPORTS_NEW_TARGET))
        return vss_error_set(e, "EINVAL", "%s: writer '%s' does not support new targets (backup "
                                          "schema lacks writer_supports_new_target)",
                             what, vss_wm_get_identity(wm)->name);
    if (check_dir("alternate path", to, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_file f = {0};
    if (vss_filedesc_init(&f.d, path, filespec, recursive, to, VSS_FSBT_DEFAULT, e) != VSS_OK)
        return VSS_FAIL;
    if (visit_sets(wm, m, visit_same, &f.d, NULL) == NULL) {
        vss_error_set(e, "ENOENT", "%s: %s\\%s (recursive=%s) is not a file set of component "
                                   "'%s'",
                      what, path, filespec, recursive ? "yes" : "no", c->name);
        vss_filedesc_clear(&f.d);
        return VSS_FAIL;
    }
    if (kind_append(c, &kinds[kind], &f, e) == NULL) {
        vss_filedesc_clear(&f.d);
        return VSS_FAIL;
    }
    return VSS_OK;
}

int vss_bc_add_new_target(vss_backup_components *bc, vss_bc_component *c, const char *path,
                          const char *filespec, bool recursive, const char *alternate_path,
                          vss_error *e)
{
    return add_relocation(bc, c, K_NEW_TARGET, "add_new_target", path, filespec, recursive,
                          alternate_path, e);
}

int vss_bc_add_alternative_location_mapping(vss_backup_components *bc, vss_bc_component *c,
                                            const char *path, const char *filespec,
                                            bool recursive, const char *destination,
                                            vss_error *e)
{
    return add_relocation(bc, c, K_MAPPING, "add_alternative_location_mapping", path, filespec,
                          recursive, destination, e);
}

int vss_bc_add_restore_subcomponent(vss_backup_components *bc, vss_bc_component *c,
                                    const char *logical_path, const char *name, bool repair,
                                    vss_error *e)
{
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, "add_restore_subcomponent", &wm, e);
    if (m == NULL)
        return VSS_FAIL;
    const char *lp = logical_path && *logical_path ? logical_path : NULL;
    const vss_wm_component *s = name ? vss_wm_find_component(wm, lp, name) : NULL;
    if (s == NULL || s == m || !vss_wm_in_set(m, s))
        return vss_error_set(e, "ENOENT", "restore subcomponent '%s' at logical path '%s': not a "
                                          "subcomponent of '%s'",
                             name ? name : "", lp_show(lp), c->name);
    if (!s->selectable_for_restore)
        return vss_error_set(e, "EINVAL", "restore subcomponent '%s': not selectable for restore",
                             name);
    vss_bc_restore_subcomponent r = {.repair = repair};
    if (vss_strdup_opt(&r.logical_path, lp, e) != VSS_OK ||
        vss_strdup_opt(&r.name, name, e) != VSS_OK ||
        kind_append(c, &kinds[K_SUBCOMPONENT], &r, e) == NULL) {
        vss_xml_free_strings(subcomponent_attrs, ARRAY_LEN(subcomponent_attrs), &r);
        return VSS_FAIL;
    }
    return VSS_OK;
}

/* ---- XML load ---- */

static int load_metadata(xmlNodePtr n, const vss_xattr *spec, vss_bc_component *c,
                         vss_xextra **extra, vss_error *e)
{
    if (vss_xml_get_attrs(n, spec, 1, c, extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next)
        if (!vss_xml_ignorable(k) && vss_xextra_add_node(extra, k, e) != VSS_OK)
            return VSS_FAIL;
    return VSS_OK;
}

static int load_child(vss_bc_component *c, const child_kind *k, xmlNodePtr n, vss_error *e)
{
    union {
        vss_bc_partial_file p;
        vss_bc_directed_target t;
        vss_bc_differenced_file d;
        vss_bc_restore_subcomponent r;
        vss_wm_file f;
    } u;
    void *item = &u;
    memset(&u, 0, sizeof u);
    vss_xml_defaults(k->spec, k->nspec, item);
    vss_xextra **extra = FIELD(item, k->extra, vss_xextra *);
    if (vss_xml_get_attrs(n, k->spec, k->nspec, item, extra, e) != VSS_OK) {
        vss_xml_free_strings(k->spec, k->nspec, item);
        vss_xextra_free(*extra);
        return VSS_FAIL;
    }
    for (xmlNodePtr ch = n->children; ch != NULL; ch = ch->next)
        if (!vss_xml_ignorable(ch) && vss_xextra_add_node(extra, ch, e) != VSS_OK)
            return VSS_FAIL;
    if (kind_append(c, k, item, e) == NULL) {
        vss_xml_free_strings(k->spec, k->nspec, item);
        vss_xextra_free(*extra);
        return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_component(vss_bc_writer *w, xmlNodePtr n, vss_error *e)
{
    vss_bc_component *c = calloc(1, sizeof *c);
    if (c == NULL || vss_grow((void **)&w->components, &w->component_cap, w->component_count,
                              sizeof *w->components, e) != VSS_OK) {
        free(c);
        return vss_error_set(e, "ENOMEM", "out of memory");
    }
    vss_xml_defaults(component_attrs, ARRAY_LEN(component_attrs), c);
    c->writer = w;
    w->components[w->component_count++] = c;
    if (vss_xml_get_attrs(n, component_attrs, ARRAY_LEN(component_attrs), c, &c->extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    if (c->logical_path && *c->logical_path == '\0') {
        free(c->logical_path);
        c->logical_path = NULL;
    }
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc = VSS_OK;
        size_t i = 0;
        if (vss_xml_ignorable(k))
            continue;
        if (vss_xml_is(k, "BACKUP_METADATA") && c->backup_metadata == NULL)
            rc = load_metadata(k, backup_metadata_attrs, c, &c->backup_metadata_extra, e);
        else if (vss_xml_is(k, "RESTORE_METADATA") && c->restore_metadata == NULL)
            rc = load_metadata(k, restore_metadata_attrs, c, &c->restore_metadata_extra, e);
        else {
            while (i < ARRAY_LEN(kinds) && !vss_xml_is(k, kinds[i].element))
                i++;
            rc = i < ARRAY_LEN(kinds) ? load_child(c, &kinds[i], k, e)
                                      : vss_xextra_add_node(&c->extra, k, e);
        }
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_writer(vss_backup_components *bc, xmlNodePtr n, vss_error *e)
{
    vss_bc_writer *w = calloc(1, sizeof *w);
    if (w == NULL ||
        vss_grow((void **)&bc->writers, &bc->capwriters, bc->nwriters, sizeof *bc->writers, e) !=
            VSS_OK) {
        free(w);
        return vss_error_set(e, "ENOMEM", "out of memory");
    }
    bc->writers[bc->nwriters++] = w;
    if (vss_xml_get_attrs(n, writer_attrs, ARRAY_LEN(writer_attrs), w, &w->extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc = VSS_OK;
        if (vss_xml_is(k, "COMPONENT"))
            rc = load_component(w, k, e);
        else if (!vss_xml_ignorable(k))
            rc = vss_xextra_add_node(&w->extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

int vss_bc_parse(const char *xml, size_t len, vss_backup_components **out, vss_error *e)
{
    *out = NULL;
    xmlDocPtr doc;
    if (vss_xml_parse(xml, len, "BACKUP_COMPONENTS", VSS_BCD_NAMESPACE, &doc, e) != VSS_OK)
        return VSS_FAIL;
    vss_backup_components *bc = bc_alloc(e);
    if (bc == NULL) {
        xmlFreeDoc(doc);
        return VSS_FAIL;
    }
    bc->source = doc;
    free(bc->version);
    vss_xml_defaults(root_attrs, ARRAY_LEN(root_attrs), bc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = vss_xml_get_attrs(root, root_attrs, ARRAY_LEN(root_attrs), bc, &bc->root_extra, e);
    for (xmlNodePtr k = root->children; k != NULL && rc == VSS_OK; k = k->next) {
        if (vss_xml_is(k, "WRITER_COMPONENTS"))
            rc = load_writer(bc, k, e);
        else if (!vss_xml_ignorable(k))
            rc = vss_xextra_add_node(&bc->root_extra, k, e);
    }
    if (rc != VSS_OK) {
        vss_bc_free(bc);
        return VSS_FAIL;
    }
    *out = bc;
    return VSS_OK;
}

int vss_bc_load(const char *path, vss_backup_components **out, vss_error *e)
{
    char *buf;
    size_t len;
    *out = NULL;
    if (vss_xml_read_file(path, &buf, &len, e) != VSS_OK)
        return VSS_FAIL;
    int rc = vss_bc_parse(buf, len, out, e);
    free(buf);
    if (rc != VSS_OK)
        vss_xml_prefix_error(e, path);
    return rc;
}

/* ---- XML save ---- */

static xmlNodePtr add_el(xmlNodePtr parent, const char *name, const vss_xattr *spec, size_t n,
                         const void *obj, const vss_xextra *extra, vss_error *e)
{
    xmlNodePtr el = xmlNewChild(parent, xmlDocGetRootElement(parent->doc)->ns,
                                (const xmlChar *)name, NULL);
    if (el == NULL) {
        vss_error_set(e, "ENOMEM", "out of memory");
        return NULL;
    }
    if (vss_xml_set_attrs(el, spec, n, obj, extra, e) != VSS_OK)
        return NULL;
    return el;
}

static int save_component(xmlNodePtr parent, const vss_bc_component *c, vss_error *e)
{
    xmlNodePtr n = add_el(parent, "COMPONENT", component_attrs, ARRAY_LEN(component_attrs), c,
                          c->extra, e);
    if (n == NULL)
        return VSS_FAIL;
    if (c->backup_metadata || c->backup_metadata_extra) {
        xmlNodePtr m = add_el(n, "BACKUP_METADATA", backup_metadata_attrs, 1, c,
                              c->backup_metadata_extra, e);
        if (m == NULL || vss_xextra_put_nodes(c->backup_metadata_extra, m, e) != VSS_OK)
            return VSS_FAIL;
    }
    if (c->restore_metadata || c->restore_metadata_extra) {
        xmlNodePtr m = add_el(n, "RESTORE_METADATA", restore_metadata_attrs, 1, c,
                              c->restore_metadata_extra, e);
        if (m == NULL || vss_xextra_put_nodes(c->restore_metadata_extra, m, e) != VSS_OK)
            return VSS_FAIL;
    }
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        const child_kind *k = &kinds[i];
        const char *items = *FIELD(c, k->items, const char *);
        size_t count = *FIELD(c, k->count, const size_t);
        for (size_t j = 0; j < count; j++) {
            const char *it = items + j * k->size;
            const vss_xextra *x = *FIELD(it, k->extra, vss_xextra *const);
            xmlNodePtr el = add_el(n, k->element, k->spec, k->nspec, it, x, e);
            if (el == NULL || vss_xextra_put_nodes(x, el, e) != VSS_OK)
                return VSS_FAIL;
        }
    }
    return vss_xextra_put_nodes(c->extra, n, e);
}

char *vss_bc_xml(const vss_backup_components *bc, size_t *len, vss_error *e)
{
    xmlDocPtr doc = vss_xml_new_doc("BACKUP_COMPONENTS", VSS_BCD_NAMESPACE);
    if (doc == NULL) {
        vss_error_set(e, "ENOMEM", "out of memory");
        return NULL;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = vss_xml_set_attrs(root, root_attrs, ARRAY_LEN(root_attrs), bc, bc->root_extra, e);
    for (size_t i = 0; i < bc->nwriters && rc == VSS_OK; i++) {
        const vss_bc_writer *w = bc->writers[i];
        xmlNodePtr wn = add_el(root, "WRITER_COMPONENTS", writer_attrs, ARRAY_LEN(writer_attrs),
                               w, w->extra, e);
        rc = wn ? VSS_OK : VSS_FAIL;
        for (size_t j = 0; j < w->component_count && rc == VSS_OK; j++)
            rc = save_component(wn, w->components[j], e);
        if (rc == VSS_OK)
            rc = vss_xextra_put_nodes(w->extra, wn, e);
    }
    if (rc == VSS_OK)
        rc = vss_xextra_put_nodes(bc->root_extra, root, e);
    char *out = rc == VSS_OK ? vss_xml_dump(doc, len, e) : NULL;
    xmlFreeDoc(doc);
    return out;
}

int vss_bc_save(const vss_backup_components *bc, const char *path, vss_error *e)
{
    size_t len;
    char *xml = vss_bc_xml(bc, &len, e);
    if (xml == NULL)
        return VSS_FAIL;
    int rc = vss_xml_write_file(path, xml, len, e);
    free(xml);
    return rc;
}
