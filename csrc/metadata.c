#include "metadata.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "docxml.h"
#include "fileset.h"

struct vss_writer_metadata {
    char *version;
    uint32_t backup_schema;
    vss_wm_identity id;
    vss_wm_restore_method restore;
    vss_wm_component **components;
    size_t ncomponents, capcomponents;
    vss_wm_files include, exclude, exclude_snapshot, mappings;
    /* The parsed document the unknown attributes and elements live in. */
    xmlDocPtr source;
    vss_xextra *root_extra, *id_extra, *restore_extra, *locations_extra;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_ATTR(n, k, f, fl, d) {n, k, offsetof(vss_wm_file, f), NULL, fl, d}

static const vss_xattr root_attrs[] = {
    {"version", VSS_XSTR, offsetof(struct vss_writer_metadata, version), NULL, 0, 0},
    {"backupSchema", VSS_XU32, offsetof(struct vss_writer_metadata, backup_schema), NULL,
     VSS_XOMIT_DEFAULT, 0},
};
static const vss_xattr identity_attrs[] = {
    {"writerId", VSS_XGUID, offsetof(vss_wm_identity, writer_id), NULL, VSS_XREQUIRED, 0},
    {"instanceId", VSS_XGUID, offsetof(vss_wm_identity, instance_id), NULL, VSS_XREQUIRED, 0},
    {"instanceName", VSS_XSTR, offsetof(vss_wm_identity, instance_name), NULL, 0, 0},
    {"friendlyName", VSS_XSTR, offsetof(vss_wm_identity, name), NULL, VSS_XREQUIRED, 0},
    {"usage", VSS_XENUM, offsetof(vss_wm_identity, usage), &vss_enum_usage_type, 0, 0},
    {"dataSource", VSS_XENUM, offsetof(vss_wm_identity, source), &vss_enum_source_type, 0, 0},
    {"majorVersion", VSS_XU32, offsetof(vss_wm_identity, major_version), NULL, 0, 0},
    {"minorVersion", VSS_XU32, offsetof(vss_wm_identity, minor_version), NULL, 0, 0},
};
static const vss_xattr restore_attrs[] = {
    {"method", VSS_XENUM, offsetof(vss_wm_restore_method, method), &vss_enum_restore_method,
     VSS_XREQUIRED, 0},
    {"service", VSS_XSTR, offsetof(vss_wm_restore_method, service), NULL, 0, 0},
    {"userProcedure", VSS_XSTR, offsetof(vss_wm_restore_method, user_procedure), NULL, 0, 0},
    {"writerRestore", VSS_XENUM, offsetof(vss_wm_restore_method, writer_restore),
     &vss_enum_writer_restore, 0, 0},
    {"rebootRequired", VSS_XBOOL, offsetof(vss_wm_restore_method, reboot_required), NULL, 0, 0},
};
static const vss_xattr component_attrs[] = {
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
/* FILE_LIST: Windows leaves recursive out when it is "no". */
static const vss_xattr file_list_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("recursive", VSS_XBOOL, d.recursive, VSS_XOMIT_DEFAULT, 0),
    FILE_ATTR("alternatePath", VSS_XSTR, d.alternate_location, 0, 0),
    FILE_ATTR("filespecBackupType", VSS_XU32, d.backup_type_mask, 0, VSS_FSBT_DEFAULT),
};
static const vss_xattr database_file_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("filespecBackupType", VSS_XU32, d.backup_type_mask, 0, VSS_FSBT_DEFAULT),
};
static const vss_xattr exclude_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("recursive", VSS_XBOOL, d.recursive, 0, 0),
};
static const vss_xattr include_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("recursive", VSS_XBOOL, d.recursive, 0, 0),
    FILE_ATTR("alternatePath", VSS_XSTR, d.alternate_location, 0, 0),
};
static const vss_xattr dependency_attrs[] = {
    {"onWriterId", VSS_XGUID, offsetof(vss_wm_dependency, writer_id), NULL, VSS_XREQUIRED, 0},
    {"onLogicalPath", VSS_XSTR, offsetof(vss_wm_dependency, logical_path), NULL, 0, 0},
    {"onComponentName", VSS_XSTR, offsetof(vss_wm_dependency, component_name), NULL,
     VSS_XREQUIRED, 0},
};

/* ---- small helpers ---- */

bool vss_wm_same_id(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
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

static vss_wm_file *files_push(vss_wm_files *f, vss_error *e)
{
    if (vss_grow((void **)&f->items, &f->cap, f->count, sizeof *f->items, e) != VSS_OK)
        return NULL;
    vss_wm_file *x = &f->items[f->count++];
    memset(x, 0, sizeof *x);
    return x;
}

static void component_free(vss_wm_component *c)
{
    if (c == NULL)
        return;
    vss_xml_free_strings(component_attrs, ARRAY_LEN(component_attrs), c);
    files_clear(&c->files);
    files_clear(&c->database_files);
    files_clear(&c->log_files);
    for (size_t i = 0; i < c->dependency_count; i++) {
        vss_xml_free_strings(dependency_attrs, ARRAY_LEN(dependency_attrs), &c->dependencies[i]);
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
    vss_xml_free_strings(identity_attrs, ARRAY_LEN(identity_attrs), &wm->id);
    vss_xml_free_strings(restore_attrs, ARRAY_LEN(restore_attrs), &wm->restore);
    for (size_t i = 0; i < wm->ncomponents; i++)
        component_free(wm->components[i]);
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

static vss_writer_metadata *wm_alloc(vss_error *e)
{
    vss_writer_metadata *wm = calloc(1, sizeof *wm);
    if (wm == NULL || (wm->version = strdup("1.2")) == NULL) {
        free(wm);
        vss_error_set(e, "ENOMEM", "out of memory");
        return NULL;
    }
    return wm;
}

int vss_wm_new(const vss_wm_identity *id, vss_writer_metadata **out, vss_error *e)
{
    *out = NULL;
    if (id->writer_id == NULL || !vss_guid_valid(id->writer_id))
        return vss_error_set(e, "EINVAL", "writer_id: expected a GUID, got '%s'",
                             id->writer_id ? id->writer_id : "(none)");
    if (id->instance_id == NULL || !vss_guid_valid(id->instance_id))
        return vss_error_set(e, "EINVAL", "instance_id: expected a GUID, got '%s'",
                             id->instance_id ? id->instance_id : "(none)");
    if (id->name == NULL || id->name[0] == '\0')
        return vss_error_set(e, "EINVAL", "name: a writer needs a name");
    if (!vss_enum_valid(&vss_enum_usage_type, id->usage))
        return vss_error_set(e, "EINVAL", "usage: %d is not a usage type", id->usage);
    if (!vss_enum_valid(&vss_enum_source_type, id->source))
        return vss_error_set(e, "EINVAL", "source: %d is not a source type", id->source);
    vss_writer_metadata *wm = wm_alloc(e);
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

static const char *lp_show(const char *lp)
{
    return lp && *lp ? lp : "";
}

/* ---- writer side ---- */

static int check_logical_path(const char *lp, vss_error *e)
{
    if (lp == NULL || *lp == '\0')
        return VSS_OK;
    size_t n = strlen(lp);
    if (lp[0] == '\\' || lp[n - 1] == '\\' || strstr(lp, "\\\\") != NULL)
        return vss_error_set(e, "EINVAL",
                             "logical path '%s': backslash-separated names, none of them empty",
                             lp);
    return VSS_OK;
}

int vss_wm_add_component(vss_writer_metadata *wm, const vss_wm_component *info, vss_error *e)
{
    const char *lp = info->logical_path && *info->logical_path ? info->logical_path : NULL;
    if (info->type != VSS_CT_DATABASE && info->type != VSS_CT_FILEGROUP)
        return vss_error_set(e, "EINVAL", "component type: database or filegroup expected");
    if (info->name == NULL || info->name[0] == '\0')
        return vss_error_set(e, "EINVAL", "component name: required");
    if (strchr(info->name, '\\') != NULL)
        return vss_error_set(e, "EINVAL", "component name '%s': must not contain '\\'",
                             info->name);
    if (check_logical_path(lp, e) != VSS_OK)
        return VSS_FAIL;
    if (!vss_enum_mask_valid(&vss_enum_component_flags, info->component_flags))
        return vss_error_set(e, "EINVAL", "component flags 0x%x: unknown bits",
                             (unsigned)info->component_flags);
    if (vss_wm_find_component(wm, lp, info->name) != NULL)
        return vss_error_set(e, "EEXIST", "duplicate component '%s' at logical path '%s'",
                             info->name, lp_show(lp));
    if (vss_grow((void **)&wm->components, &wm->capcomponents, wm->ncomponents,
                 sizeof *wm->components, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_component *c = calloc(1, sizeof *c);
    if (c == NULL)
        return vss_error_set(e, "ENOMEM", "out of memory");
    c->type = info->type;
    c->restore_metadata = info->restore_metadata;
    c->notify_on_backup_complete = info->notify_on_backup_complete;
    c->selectable = info->selectable;
    c->selectable_for_restore = info->selectable_for_restore;
    c->component_flags = info->component_flags;
    if (vss_strdup_opt(&c->logical_path, lp, e) != VSS_OK ||
        vss_strdup_opt(&c->name, info->name, e) != VSS_OK ||
        vss_strdup_opt(&c->caption, info->caption, e) != VSS_OK) {
        component_free(c);
        return VSS_FAIL;
    }
    wm->components[wm->ncomponents++] = c;
    return VSS_OK;
}

static vss_wm_component *find_mut(vss_writer_metadata *wm, const char *lp, const char *name,
                                  vss_error *e)
{
    for (size_t i = 0; i < wm->ncomponents; i++) {
        vss_wm_component *c = wm->components[i];
        if (name && strcmp(c->name, name) == 0 && vss_wm_same_path(c->logical_path, lp))
            return c;
    }
    vss_error_set(e, "ENOENT", "no component '%s' at logical path '%s'", name ? name : "",
                  lp_show(lp));
    return NULL;
}

/* §6.3: "file sets of one writer must not overlap; each file is specified
 * once". Without the disk, overlap is what the triples say: directories
 * that meet and filespecs that some name matches both. */
static int check_not_listed(const vss_writer_metadata *wm, const vss_filedesc *d, vss_error *e)
{
    for (size_t i = 0; i < wm->ncomponents; i++) {
        const vss_wm_component *c = wm->components[i];
        const vss_wm_files *lists[] = {&c->files, &c->database_files, &c->log_files};
        for (size_t l = 0; l < 3; l++) {
            for (size_t j = 0; j < lists[l]->count; j++) {
                const vss_filedesc *o = &lists[l]->items[j].d;
                if (vss_filedesc_same_set(o, d, 0))
                    return vss_error_set(e, "EEXIST",
                                         "file set %s\\%s is already in component '%s'",
                                         d->path, d->filespec, c->name);
                if (vss_filesets_overlap(o, d))
                    return vss_error_set(e, "EINVAL",
                                         "file set %s\\%s overlaps file set %s\\%s of component "
                                         "'%s'",
                                         d->path, d->filespec, o->path, o->filespec, c->name);
            }
        }
    }
    return VSS_OK;
}

static int add_file(vss_writer_metadata *wm, const char *lp, const char *name, int want_type,
                    vss_wm_files *(*list)(vss_wm_component *), const char *path,
                    const char *filespec, bool recursive, const char *alt, uint32_t mask,
                    vss_error *e)
{
    vss_wm_component *c = find_mut(wm, lp, name, e);
    if (c == NULL)
        return VSS_FAIL;
    if (c->type != want_type)
        return vss_error_set(e, "EINVAL", "component '%s' is a %s component, not a %s one",
                             c->name, vss_enum_name(&vss_enum_component_type, c->type),
                             vss_enum_name(&vss_enum_component_type, want_type));
    if (!vss_enum_mask_valid(&vss_enum_file_spec_backup_type, mask))
        return vss_error_set(e, "EINVAL", "backup type mask 0x%x: unknown bits", (unsigned)mask);
    vss_filedesc d;
    if (vss_filedesc_init(&d, path, filespec, recursive, alt, mask, e) != VSS_OK)
        return VSS_FAIL;
    if (check_not_listed(wm, &d, e) != VSS_OK) {
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    vss_wm_file *f = files_push(list(c), e);
    if (f == NULL) {
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    f->d = d;
    return VSS_OK;
}

static vss_wm_files *list_db(vss_wm_component *c) { return &c->database_files; }
static vss_wm_files *list_log(vss_wm_component *c) { return &c->log_files; }
static vss_wm_files *list_group(vss_wm_component *c) { return &c->files; }

int vss_wm_add_database_files(vss_writer_metadata *wm, const char *logical_path,
                              const char *name, const char *path, const char *filespec,
                              uint32_t backup_type_mask, vss_error *e)
{
    return add_file(wm, logical_path, name, VSS_CT_DATABASE, list_db, path, filespec, false,
                    NULL, backup_type_mask, e);
}

int vss_wm_add_database_log_files(vss_writer_metadata *wm, const char *logical_path,
                                  const char *name, const char *path, const char *filespec,
                                  uint32_t backup_type_mask, vss_error *e)
{
    return add_file(wm, logical_path, name, VSS_CT_DATABASE, list_log, path, filespec, false,
                    NULL, backup_type_mask, e);
}

int vss_wm_add_files_to_file_group(vss_writer_metadata *wm, const char *logical_path,
                                   const char *name, const char *path, const char *filespec,
                                   bool recursive, const char *alternate_location,
                                   uint32_t backup_type_mask, vss_error *e)
{
    return add_file(wm, logical_path, name, VSS_CT_FILEGROUP, list_group, path, filespec,
                    recursive, alternate_location, backup_type_mask, e);
}

static int add_plain(vss_wm_files *list, const char *path, const char *filespec, bool recursive,
                     const char *alt, vss_error *e)
{
    vss_filedesc d;
    if (vss_filedesc_init(&d, path, filespec, recursive, alt, VSS_FSBT_DEFAULT, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_file *f = files_push(list, e);
    if (f == NULL) {
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    f->d = d;
    return VSS_OK;
}

int vss_wm_add_exclude_files(vss_writer_metadata *wm, const char *path, const char *filespec,
                             bool recursive, vss_error *e)
{
    return add_plain(&wm->exclude, path, filespec, recursive, NULL, e);
}

int vss_wm_add_exclude_files_from_snapshot(vss_writer_metadata *wm, const char *path,
                                           const char *filespec, bool recursive, vss_error *e)
{
    return add_plain(&wm->exclude_snapshot, path, filespec, recursive, NULL, e);
}

int vss_wm_set_restore_method(vss_writer_metadata *wm, int method, const char *service,
                              const char *user_procedure, int writer_restore,
                              bool reboot_required, vss_error *e)
{
    if (method == VSS_RME_UNDEFINED || !vss_enum_valid(&vss_enum_restore_method, method))
        return vss_error_set(e, "EINVAL", "restore method: %d is not a restore method", method);
    if (!vss_enum_valid(&vss_enum_writer_restore, writer_restore))
        return vss_error_set(e, "EINVAL", "writer restore: %d is not a writer restore value",
                             writer_restore);
    bool needs_service = method == VSS_RME_STOP_RESTORE_START ||
                         method == VSS_RME_RESTORE_STOP_START;
    if (needs_service && (service == NULL || *service == '\0'))
        return vss_error_set(e, "EINVAL", "service: method %s needs the service to stop",
                             vss_enum_name(&vss_enum_restore_method, method));
    if (method == VSS_RME_CUSTOM && (user_procedure == NULL || *user_procedure == '\0'))
        return vss_error_set(e, "EINVAL", "user procedure: method custom needs one");
    char *s = NULL, *u = NULL;
    if (vss_strdup_opt(&s, service && *service ? service : NULL, e) != VSS_OK ||
        vss_strdup_opt(&u, user_procedure && *user_procedure ? user_procedure : NULL, e) !=
            VSS_OK) {
        free(s);
        return VSS_FAIL;
    }
    vss_xml_free_strings(restore_attrs, ARRAY_LEN(restore_attrs), &wm->restore);
    wm->restore.present = true;
    wm->restore.method = method;
    wm->restore.service = s;
    wm->restore.user_procedure = u;
    wm->restore.writer_restore = writer_restore;
    wm->restore.reboot_required = reboot_required;
    return VSS_OK;
}

int vss_wm_add_alternate_location_mapping(vss_writer_metadata *wm, const char *path,
                                          const char *filespec, bool recursive,
                                          const char *destination, vss_error *e)
{
    if (destination == NULL || *destination == '\0')
        return vss_error_set(e, "EINVAL", "destination: required");
    vss_filedesc d;
    if (vss_filedesc_init(&d, path, filespec, recursive, destination, VSS_FSBT_DEFAULT, e) !=
        VSS_OK)
        return VSS_FAIL;
    /* The (path, filespec, recursive) triple must be one of the
     * components' file sets (§6.3). */
    bool found = false;
    for (size_t i = 0; i < wm->ncomponents && !found; i++) {
        const vss_wm_component *c = wm->components[i];
        const vss_wm_files *lists[] = {&c->files, &c->database_files, &c->log_files};
        for (size_t l = 0; l < 3 && !found; l++)
            for (size_t j = 0; j < lists[l]->count && !found; j++)
                found = vss_filedesc_same_set(&lists[l]->items[j].d, &d, 0);
    }
    if (!found) {
        vss_error_set(e, "ENOENT",
                      "alternate location mapping %s\\%s (recursive=%s): no component has "
                      "this file set",
                      d.path, d.filespec, recursive ? "yes" : "no");
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    vss_wm_file *f = files_push(&wm->mappings, e);
    if (f == NULL) {
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    f->d = d;
    return VSS_OK;
}

int vss_wm_add_component_dependency(vss_writer_metadata *wm, const char *for_logical_path,
                                    const char *for_name, const char *on_writer_id,
                                    const char *on_logical_path, const char *on_name,
                                    vss_error *e)
{
    vss_wm_component *c = find_mut(wm, for_logical_path, for_name, e);
    if (c == NULL)
        return VSS_FAIL;
    if (on_writer_id == NULL || !vss_guid_valid(on_writer_id))
        return vss_error_set(e, "EINVAL", "on_writer_id: expected a GUID, got '%s'",
                             on_writer_id ? on_writer_id : "(none)");
    if (on_name == NULL || *on_name == '\0' || strchr(on_name, '\\') != NULL)
        return vss_error_set(e, "EINVAL", "on_name: a component name without '\\' expected");
    if (check_logical_path(on_logical_path, e) != VSS_OK)
        return VSS_FAIL;
    if (vss_grow((void **)&c->dependencies, &c->dependency_cap, c->dependency_count,
                 sizeof *c->dependencies, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_dependency *d = &c->dependencies[c->dependency_count];
    memset(d, 0, sizeof *d);
    if (vss_strdup_opt(&d->writer_id, on_writer_id, e) != VSS_OK ||
        vss_strdup_opt(&d->logical_path,
                       on_logical_path && *on_logical_path ? on_logical_path : NULL,
                       e) != VSS_OK ||
        vss_strdup_opt(&d->component_name, on_name, e) != VSS_OK) {
        vss_xml_free_strings(dependency_attrs, ARRAY_LEN(dependency_attrs), d);
        return VSS_FAIL;
    }
    c->dependency_count++;
    return VSS_OK;
}

int vss_wm_set_backup_schema(vss_writer_metadata *wm, uint32_t schema, vss_error *e)
{
    if (!vss_enum_mask_valid(&vss_enum_backup_schema, schema))
        return vss_error_set(e, "EINVAL", "backup schema 0x%x: unknown bits", (unsigned)schema);
    const uint32_t di = VSS_BS_DIFFERENTIAL | VSS_BS_INCREMENTAL;
    if ((schema & VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL) && (schema & di) != di)
        return vss_error_set(e, "EINVAL", "backup schema: exclusive_incremental_differential "
                                          "needs both differential and incremental");
    if ((schema & VSS_BS_TIMESTAMPED) && !(schema & di))
        return vss_error_set(e, "EINVAL",
                             "backup schema: timestamped needs differential or incremental");
    if ((schema & VSS_BS_LAST_MODIFY) && !(schema & di))
        return vss_error_set(e, "EINVAL",
                             "backup schema: last_modify needs differential or incremental");
    wm->backup_schema = schema;
    return VSS_OK;
}

int vss_wm_validate(const vss_writer_metadata *wm, vss_error *e)
{
    if (!wm->restore.present)
        return vss_error_set(e, "EINVAL", "writer '%s': no restore method (set_restore_method "
                                          "is mandatory)",
                             wm->id.name);
    if (wm->backup_schema & VSS_BS_LOG) {
        bool logs = false;
        for (size_t i = 0; i < wm->ncomponents && !logs; i++)
            logs = wm->components[i]->log_files.count > 0;
        if (!logs)
            return vss_error_set(e, "EINVAL", "backup schema log: no component has database "
                                              "log files");
    }
    return VSS_OK;
}

/* ---- XML load ---- */

static int load_file(xmlNodePtr n, const vss_xattr *spec, size_t nspec, vss_wm_files *list,
                     vss_error *e)
{
    vss_wm_file *f = files_push(list, e);
    if (f == NULL)
        return VSS_FAIL;
    vss_xml_defaults(spec, nspec, f);
    f->d.backup_type_mask = VSS_FSBT_DEFAULT;
    f->recursive_written = xmlHasProp(n, (const xmlChar *)"recursive") != NULL;
    return vss_xml_get_attrs(n, spec, nspec, f, &f->extra, e);
}

static int load_component(vss_writer_metadata *wm, xmlNodePtr n, int type, vss_error *e)
{
    vss_wm_component *c = calloc(1, sizeof *c);
    if (c == NULL ||
        vss_grow((void **)&wm->components, &wm->capcomponents, wm->ncomponents,
                 sizeof *wm->components, e) != VSS_OK) {
        free(c);
        return vss_error_set(e, "ENOMEM", "out of memory");
    }
    vss_xml_defaults(component_attrs, ARRAY_LEN(component_attrs), c);
    c->type = type;
    if (vss_xml_get_attrs(n, component_attrs, ARRAY_LEN(component_attrs), c, &c->extra, e) !=
        VSS_OK) {
        component_free(c);
        return VSS_FAIL;
    }
    if (c->logical_path && *c->logical_path == '\0') {
        free(c->logical_path);
        c->logical_path = NULL;
    }
    if (vss_wm_find_component(wm, c->logical_path, c->name) != NULL) {
        int rc = vss_error_set(e, "EINVAL", "<%s> at line %ld: duplicate component '%s' at "
                                            "logical path '%s'",
                               (const char *)n->name, xmlGetLineNo(n), c->name,
                               lp_show(c->logical_path));
        component_free(c);
        return rc;
    }
    wm->components[wm->ncomponents++] = c;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc;
        if (vss_xml_ignorable(k))
            continue;
        if (type == VSS_CT_FILEGROUP && vss_xml_is(k, "FILE_LIST"))
            rc = load_file(k, file_list_attrs, ARRAY_LEN(file_list_attrs), &c->files, e);
        else if (type == VSS_CT_DATABASE && vss_xml_is(k, "DATABASE_FILES"))
            rc = load_file(k, database_file_attrs, ARRAY_LEN(database_file_attrs),
                           &c->database_files, e);
        else if (type == VSS_CT_DATABASE && vss_xml_is(k, "DATABASE_LOGFILES"))
            rc = load_file(k, database_file_attrs, ARRAY_LEN(database_file_attrs), &c->log_files,
                           e);
        else if (vss_xml_is(k, "DEPENDENCY")) {
            rc = vss_grow((void **)&c->dependencies, &c->dependency_cap, c->dependency_count,
                          sizeof *c->dependencies, e);
            if (rc == VSS_OK) {
                vss_wm_dependency *d = &c->dependencies[c->dependency_count++];
                memset(d, 0, sizeof *d);
                rc = vss_xml_get_attrs(k, dependency_attrs, ARRAY_LEN(dependency_attrs), d,
                                       &d->extra, e);
            }
        } else
            rc = vss_xextra_add_node(&c->extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_locations(vss_writer_metadata *wm, xmlNodePtr n, vss_error *e)
{
    if (vss_xml_get_attrs(n, NULL, 0, NULL, &wm->locations_extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc;
        if (vss_xml_ignorable(k))
            continue;
        if (vss_xml_is(k, "FILE_GROUP"))
            rc = load_component(wm, k, VSS_CT_FILEGROUP, e);
        else if (vss_xml_is(k, "DATABASE"))
            rc = load_component(wm, k, VSS_CT_DATABASE, e);
        else if (vss_xml_is(k, "EXCLUDE_FILES"))
            rc = load_file(k, exclude_attrs, ARRAY_LEN(exclude_attrs), &wm->exclude, e);
        else if (vss_xml_is(k, "EXCLUDE_FILES_FROM_SNAPSHOT"))
            rc = load_file(k, exclude_attrs, ARRAY_LEN(exclude_attrs), &wm->exclude_snapshot, e);
        else if (vss_xml_is(k, "INCLUDE_FILES"))
            rc = load_file(k, include_attrs, ARRAY_LEN(include_attrs), &wm->include, e);
        else
            rc = vss_xextra_add_node(&wm->locations_extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_restore(vss_writer_metadata *wm, xmlNodePtr n, vss_error *e)
{
    if (wm->restore.present)
        return vss_error_set(e, "EINVAL", "<RESTORE_METHOD> at line %ld: a second one",
                             xmlGetLineNo(n));
    wm->restore.present = true;
    if (vss_xml_get_attrs(n, restore_attrs, ARRAY_LEN(restore_attrs), &wm->restore,
                          &wm->restore_extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc = VSS_OK;
        if (vss_xml_is(k, "ALTERNATE_LOCATION_MAPPING"))
            rc = load_file(k, include_attrs, ARRAY_LEN(include_attrs), &wm->mappings, e);
        else if (!vss_xml_ignorable(k))
            rc = vss_xextra_add_node(&wm->restore_extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_doc(vss_writer_metadata *wm, xmlNodePtr root, vss_error *e)
{
    free(wm->version);
    wm->version = NULL;
    if (vss_xml_get_attrs(root, root_attrs, ARRAY_LEN(root_attrs), wm, &wm->root_extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    bool have_id = false;
    for (xmlNodePtr k = root->children; k != NULL; k = k->next) {
        int rc;
        if (vss_xml_ignorable(k))
            continue;
        if (vss_xml_is(k, "IDENTIFICATION") && !have_id) {
            have_id = true;
            rc = vss_xml_get_attrs(k, identity_attrs, ARRAY_LEN(identity_attrs), &wm->id,
                                   &wm->id_extra, e);
        } else if (vss_xml_is(k, "RESTORE_METHOD"))
            rc = load_restore(wm, k, e);
        else if (vss_xml_is(k, "BACKUP_LOCATIONS") && wm->locations_extra == NULL &&
                 wm->ncomponents == 0)
            rc = load_locations(wm, k, e);
        else if (vss_xml_is(k, "ALTERNATE_LOCATION_MAPPING"))
            rc = load_file(k, include_attrs, ARRAY_LEN(include_attrs), &wm->mappings, e);
        else
            rc = vss_xextra_add_node(&wm->root_extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    if (!have_id)
        return vss_error_set(e, "EINVAL", "<WRITER_METADATA> at line %ld: no <IDENTIFICATION>",
                             xmlGetLineNo(root));
    return VSS_OK;
}

int vss_wm_parse(const char *xml, size_t len, vss_writer_metadata **out, vss_error *e)
{
    *out = NULL;
    xmlDocPtr doc;
    if (vss_xml_parse(xml, len, "WRITER_METADATA", VSS_WMD_NAMESPACE, &doc, e) != VSS_OK)
        return VSS_FAIL;
    vss_writer_metadata *wm = wm_alloc(e);
    if (wm == NULL) {
        xmlFreeDoc(doc);
        return VSS_FAIL;
    }
    wm->source = doc;
    if (load_doc(wm, xmlDocGetRootElement(doc), e) != VSS_OK) {
        vss_wm_free(wm);
        return VSS_FAIL;
    }
    *out = wm;
    return VSS_OK;
}

int vss_wm_load(const char *path, vss_writer_metadata **out, vss_error *e)
{
    char *buf;
    size_t len;
    *out = NULL;
    if (vss_xml_read_file(path, &buf, &len, e) != VSS_OK)
        return VSS_FAIL;
    int rc = vss_wm_parse(buf, len, out, e);
    free(buf);
    if (rc != VSS_OK)
        vss_xml_prefix_error(e, path);
    return rc;
}

/* ---- XML save ---- */

static xmlNodePtr add_el(xmlNodePtr parent, const char *name, vss_error *e)
{
    xmlNodePtr n = xmlNewChild(parent, xmlDocGetRootElement(parent->doc)->ns,
                               (const xmlChar *)name, NULL);
    if (n == NULL)
        vss_error_set(e, "ENOMEM", "out of memory");
    return n;
}

static int save_files(xmlNodePtr parent, const char *name, const vss_xattr *spec, size_t nspec,
                      const vss_wm_files *list, vss_error *e)
{
    for (size_t i = 0; i < list->count; i++) {
        const vss_wm_file *f = &list->items[i];
        xmlNodePtr n = add_el(parent, name, e);
        if (n == NULL || vss_xml_set_attrs(n, spec, nspec, f, f->extra, e) != VSS_OK)
            return VSS_FAIL;
        if (spec == file_list_attrs && f->recursive_written && !f->d.recursive &&
            xmlNewProp(n, (const xmlChar *)"recursive", (const xmlChar *)"no") == NULL)
            return vss_error_set(e, "ENOMEM", "out of memory");
        if (vss_xextra_put_nodes(f->extra, n, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int save_component(xmlNodePtr parent, const vss_wm_component *c, vss_error *e)
{
    xmlNodePtr n = add_el(parent, c->type == VSS_CT_DATABASE ? "DATABASE" : "FILE_GROUP", e);
    if (n == NULL ||
        vss_xml_set_attrs(n, component_attrs, ARRAY_LEN(component_attrs), c, c->extra, e) !=
            VSS_OK ||
        save_files(n, "FILE_LIST", file_list_attrs, ARRAY_LEN(file_list_attrs), &c->files, e) !=
            VSS_OK ||
        save_files(n, "DATABASE_FILES", database_file_attrs, ARRAY_LEN(database_file_attrs),
                   &c->database_files, e) != VSS_OK ||
        save_files(n, "DATABASE_LOGFILES", database_file_attrs, ARRAY_LEN(database_file_attrs),
                   &c->log_files, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = 0; i < c->dependency_count; i++) {
        xmlNodePtr d = add_el(n, "DEPENDENCY", e);
        if (d == NULL ||
            vss_xml_set_attrs(d, dependency_attrs, ARRAY_LEN(dependency_attrs),
                              &c->dependencies[i], c->dependencies[i].extra, e) != VSS_OK ||
            vss_xextra_put_nodes(c->dependencies[i].extra, d, e) != VSS_OK)
            return VSS_FAIL;
    }
    return vss_xextra_put_nodes(c->extra, n, e);
}

static int save_doc(const vss_writer_metadata *wm, xmlNodePtr root, vss_error *e)
{
    if (vss_xml_set_attrs(root, root_attrs, ARRAY_LEN(root_attrs), wm, wm->root_extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    xmlNodePtr id = add_el(root, "IDENTIFICATION", e);
    if (id == NULL ||
        vss_xml_set_attrs(id, identity_attrs, ARRAY_LEN(identity_attrs), &wm->id, wm->id_extra,
                          e) != VSS_OK ||
        vss_xextra_put_nodes(wm->id_extra, id, e) != VSS_OK)
        return VSS_FAIL;
    if (wm->restore.present) {
        xmlNodePtr r = add_el(root, "RESTORE_METHOD", e);
        if (r == NULL ||
            vss_xml_set_attrs(r, restore_attrs, ARRAY_LEN(restore_attrs), &wm->restore,
                              wm->restore_extra, e) != VSS_OK ||
            vss_xextra_put_nodes(wm->restore_extra, r, e) != VSS_OK)
            return VSS_FAIL;
    }
    xmlNodePtr loc = add_el(root, "BACKUP_LOCATIONS", e);
    if (loc == NULL || vss_xml_set_attrs(loc, NULL, 0, NULL, wm->locations_extra, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = 0; i < wm->ncomponents; i++)
        if (save_component(loc, wm->components[i], e) != VSS_OK)
            return VSS_FAIL;
    if (save_files(loc, "INCLUDE_FILES", include_attrs, ARRAY_LEN(include_attrs), &wm->include,
                   e) != VSS_OK ||
        save_files(loc, "EXCLUDE_FILES", exclude_attrs, ARRAY_LEN(exclude_attrs), &wm->exclude,
                   e) != VSS_OK ||
        save_files(loc, "EXCLUDE_FILES_FROM_SNAPSHOT", exclude_attrs, ARRAY_LEN(exclude_attrs),
                   &wm->exclude_snapshot, e) != VSS_OK ||
        vss_xextra_put_nodes(wm->locations_extra, loc, e) != VSS_OK ||
        save_files(root, "ALTERNATE_LOCATION_MAPPING", include_attrs, ARRAY_LEN(include_attrs),
                   &wm->mappings, e) != VSS_OK)
        return VSS_FAIL;
    return vss_xextra_put_nodes(wm->root_extra, root, e);
}

char *vss_wm_xml(const vss_writer_metadata *wm, size_t *len, vss_error *e)
{
    xmlDocPtr doc = vss_xml_new_doc("WRITER_METADATA", VSS_WMD_NAMESPACE);
    if (doc == NULL) {
        vss_error_set(e, "ENOMEM", "out of memory");
        return NULL;
    }
    char *out = NULL;
    if (save_doc(wm, xmlDocGetRootElement(doc), e) == VSS_OK)
        out = vss_xml_dump(doc, len, e);
    xmlFreeDoc(doc);
    return out;
}

int vss_wm_save(const vss_writer_metadata *wm, const char *path, vss_error *e)
{
    size_t len;
    char *xml = vss_wm_xml(wm, &len, e);
    if (xml == NULL)
        return VSS_FAIL;
    int rc = vss_xml_write_file(path, xml, len, e);
    free(xml);
    return rc;
}
