/* The Writer Metadata Document's model: the struct, the schema of the
 * fields that its lifecycle frees, creation and the read-only accessors.
 * The writer-side calls and their rules are in metadata_writer.c, XML in
 * metadata_xml.c. */
#include "documents/metadata_impl.h"
#include "base/mem.h"
#include "base/array.h"
#include "base/guid.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const vss_xattr vss_wm_identity_attrs_[] = {
    {"writerId", VSS_XGUID, offsetof(vss_wm_identity, writer_id), NULL, VSS_XREQUIRED, 0},
    {"instanceId", VSS_XGUID, offsetof(vss_wm_identity, instance_id), NULL, VSS_XREQUIRED, 0},
    {"instanceName", VSS_XSTR, offsetof(vss_wm_identity, instance_name), NULL, 0, 0},
    {"friendlyName", VSS_XSTR, offsetof(vss_wm_identity, name), NULL, VSS_XREQUIRED, 0},
    {"usage", VSS_XENUM, offsetof(vss_wm_identity, usage), &vss_enum_usage_type, 0, 0},
    {"dataSource", VSS_XENUM, offsetof(vss_wm_identity, source), &vss_enum_source_type, 0, 0},
    {"majorVersion", VSS_XU32, offsetof(vss_wm_identity, major_version), NULL, 0, 0},
    {"minorVersion", VSS_XU32, offsetof(vss_wm_identity, minor_version), NULL, 0, 0},
};
const vss_xattr vss_wm_restore_attrs_[] = {
    {"method", VSS_XENUM, offsetof(vss_wm_restore_method, method), &vss_enum_restore_method,
     VSS_XREQUIRED, 0},
    {"service", VSS_XSTR, offsetof(vss_wm_restore_method, service), NULL, 0, 0},
    {"userProcedure", VSS_XSTR, offsetof(vss_wm_restore_method, user_procedure), NULL, 0, 0},
    {"writerRestore", VSS_XENUM, offsetof(vss_wm_restore_method, writer_restore),
     &vss_enum_writer_restore, 0, 0},
    {"rebootRequired", VSS_XBOOL, offsetof(vss_wm_restore_method, reboot_required), NULL, 0, 0},
};
const vss_xattr vss_wm_component_attrs_[] = {
    {"logicalPath", VSS_XSTR, offsetof(vss_wm_component, logical_path), NULL, 0, 0},
    {"componentName", VSS_XSTR, offsetof(vss_wm_component, name), NULL, VSS_XREQUIRED, 0},
    {"caption", VSS_XSTR, offsetof(vss_wm_component, caption), NULL, 0, 0},
    {"restoreMetadata", VSS_XBOOL, offsetof(vss_wm_component, restore_metadata), NULL, 0, 0},
    {"notifyOnBackupComplete", VSS_XBOOL, offsetof(vss_wm_component, notify_on_backup_complete),
     NULL, 0, 0},
    {"selectable", VSS_XBOOL, offsetof(vss_wm_component, selectable), NULL, 0, 0},
    {"selectableForRestore", VSS_XBOOL, offsetof(vss_wm_component, selectable_for_restore), NULL,
     0, 0},
    {"componentFlags", VSS_XU32, offsetof(vss_wm_component, component_flags), NULL, 0, 0},
};
const vss_xattr vss_wm_dependency_attrs_[] = {
    {"onWriterId", VSS_XGUID, offsetof(vss_wm_dependency, writer_id), NULL, VSS_XREQUIRED, 0},
    {"onLogicalPath", VSS_XSTR, offsetof(vss_wm_dependency, logical_path), NULL, 0, 0},
    {"onComponentName", VSS_XSTR, offsetof(vss_wm_dependency, component_name), NULL,
     VSS_XREQUIRED, 0},
};

const size_t vss_wm_identity_nattrs_ = ARRAY_LEN(vss_wm_identity_attrs_);
const size_t vss_wm_restore_nattrs_ = ARRAY_LEN(vss_wm_restore_attrs_);
const size_t vss_wm_component_nattrs_ = ARRAY_LEN(vss_wm_component_attrs_);
const size_t vss_wm_dependency_nattrs_ = ARRAY_LEN(vss_wm_dependency_attrs_);

/* ---- small helpers ---- */

bool vss_wm_is_writer(const vss_wm_identity *id, const char *writer_id, const char *instance_id)
{
    return vss_guid_same(id->writer_id, writer_id) && vss_guid_same(id->instance_id, instance_id);
}

bool vss_wm_same_path(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

bool vss_wm_in_set(const vss_wm_component *set, const vss_wm_component *c)
{
    if (set == c)
        return true;
    /* The set's members have logical paths under "<lp>\<name>". */
    const char *lp = set->logical_path ? set->logical_path : "";
    size_t lpn = strlen(lp), nn = strlen(set->name);
    const char *clp = c->logical_path ? c->logical_path : "";
    if (lpn > 0) {
        if (strncmp(clp, lp, lpn) != 0 || clp[lpn] != '\\')
            return false;
        clp += lpn + 1;
    }
    return strncmp(clp, set->name, nn) == 0 && (clp[nn] == '\0' || clp[nn] == '\\');
}

static void files_clear(vss_wm_files *f)
{
    for (size_t i = 0; i < f->count; i++) {
        vss_filedesc_clear(&f->items[i].d);
        vss_xextra_free(f->items[i].extra);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

vss_wm_file *vss_wm_files_push_(vss_wm_files *f, vss_error *e)
{
    if (VSS_GROW(f->items, f->cap, f->count, e) != VSS_OK)
        return NULL;
    vss_wm_file *x = &f->items[f->count++];
    memset(x, 0, sizeof *x);
    return x;
}

void vss_wm_component_free_(vss_wm_component *c)
{
    if (c == NULL)
        return;
    vss_xml_free_strings(vss_wm_component_attrs_, vss_wm_component_nattrs_, c);
    files_clear(&c->files);
    files_clear(&c->database_files);
    files_clear(&c->log_files);
    for (size_t i = 0; i < c->dependency_count; i++) {
        vss_xml_free_strings(vss_wm_dependency_attrs_, vss_wm_dependency_nattrs_,
                             &c->dependencies[i]);
        vss_xextra_free(c->dependencies[i].extra);
    }
    free(c->dependencies);
    vss_xextra_free(c->extra);
    free(c);
}

void vss_wm_free(vss_writer_metadata *wm)
{
    if (wm == NULL)
        return;
    free(wm->version);
    vss_xml_free_strings(vss_wm_identity_attrs_, vss_wm_identity_nattrs_, &wm->id);
    vss_xml_free_strings(vss_wm_restore_attrs_, vss_wm_restore_nattrs_, &wm->restore);
    for (size_t i = 0; i < wm->ncomponents; i++)
        vss_wm_component_free_(wm->components[i]);
    free(wm->components);
    files_clear(&wm->include);
    files_clear(&wm->exclude);
    files_clear(&wm->exclude_snapshot);
    files_clear(&wm->mappings);
    vss_xextra_free(wm->root_extra);
    vss_xextra_free(wm->id_extra);
    vss_xextra_free(wm->restore_extra);
    vss_xextra_free(wm->locations_extra);
    if (wm->source)
        xmlFreeDoc(wm->source);
    free(wm);
}

vss_writer_metadata *vss_wm_alloc_(vss_error *e)
{
    vss_writer_metadata *wm = calloc(1, sizeof *wm);
    if (wm == NULL || (wm->version = strdup("1.2")) == NULL) {
        free(wm);
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    return wm;
}

int vss_wm_new(const vss_wm_identity *id, vss_writer_metadata **out, vss_error *e)
{
    *out = NULL;
    if (id->writer_id == NULL || !vss_guid_valid(id->writer_id))
        return vss_error_set(e, EINVAL, "writer_id: expected a GUID, got '%s'",
                             id->writer_id ? id->writer_id : "(none)");
    if (id->instance_id == NULL || !vss_guid_valid(id->instance_id))
        return vss_error_set(e, EINVAL, "instance_id: expected a GUID, got '%s'",
                             id->instance_id ? id->instance_id : "(none)");
    if (id->name == NULL || id->name[0] == '\0')
        return vss_error_set(e, EINVAL, "name: a writer needs a name");
    if (!vss_enum_valid(&vss_enum_usage_type, id->usage))
        return vss_error_set(e, EINVAL, "usage: %d is not a usage type", id->usage);
    if (!vss_enum_valid(&vss_enum_source_type, id->source))
        return vss_error_set(e, EINVAL, "source: %d is not a source type", id->source);
    vss_writer_metadata *wm = vss_wm_alloc_(e);
    if (wm == NULL)
        return VSS_FAIL;
    wm->id = *id;
    wm->id.writer_id = wm->id.instance_id = wm->id.instance_name = wm->id.name = NULL;
    if (vss_strdup_opt(&wm->id.writer_id, id->writer_id, e) != VSS_OK ||
        vss_strdup_opt(&wm->id.instance_id, id->instance_id, e) != VSS_OK ||
        vss_strdup_opt(&wm->id.instance_name, id->instance_name, e) != VSS_OK ||
        vss_strdup_opt(&wm->id.name, id->name, e) != VSS_OK) {
        vss_wm_free(wm);
        return VSS_FAIL;
    }
    *out = wm;
    return VSS_OK;
}

/* ---- accessors ---- */

const vss_wm_identity *vss_wm_get_identity(const vss_writer_metadata *wm) { return &wm->id; }
const char *vss_wm_version(const vss_writer_metadata *wm) { return wm->version ? wm->version : ""; }
uint32_t vss_wm_backup_schema(const vss_writer_metadata *wm) { return wm->backup_schema; }
const vss_wm_restore_method *vss_wm_get_restore_method(const vss_writer_metadata *wm)
{
    return &wm->restore;
}
size_t vss_wm_component_count(const vss_writer_metadata *wm) { return wm->ncomponents; }
const vss_wm_component *vss_wm_component_at(const vss_writer_metadata *wm, size_t i)
{
    return i < wm->ncomponents ? wm->components[i] : NULL;
}
const vss_wm_files *vss_wm_include_files(const vss_writer_metadata *wm) { return &wm->include; }
const vss_wm_files *vss_wm_exclude_files(const vss_writer_metadata *wm) { return &wm->exclude; }
const vss_wm_files *vss_wm_exclude_files_from_snapshot(const vss_writer_metadata *wm)
{
    return &wm->exclude_snapshot;
}
const vss_wm_files *vss_wm_alternate_location_mappings(const vss_writer_metadata *wm)
{
    return &wm->mappings;
}

const vss_wm_component *vss_wm_find_component(const vss_writer_metadata *wm,
                                              const char *logical_path, const char *name)
{
    for (size_t i = 0; i < wm->ncomponents; i++) {
        const vss_wm_component *c = wm->components[i];
        if (strcmp(c->name, name) == 0 && vss_wm_same_path(c->logical_path, logical_path))
            return c;
    }
    return NULL;
}

bool vss_wm_names_writer(const char *s, const vss_wm_identity *id)
{
    return strcmp(s, id->name) == 0 || vss_guid_same(s, id->writer_id) ||
           vss_guid_same(s, id->instance_id);
}

bool vss_wm_names_component(const char *s, const char *logical_path, const char *name)
{
    if (strcmp(s, name) == 0)
        return true;
    if (logical_path == NULL || *logical_path == '\0')
        return false;
    size_t n = strlen(logical_path);
    return strncmp(s, logical_path, n) == 0 && s[n] == '\\' && strcmp(s + n + 1, name) == 0;
}
