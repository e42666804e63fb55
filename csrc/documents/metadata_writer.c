/* The writer side of a Writer Metadata Document (IVssCreateWriterMetadata)
 * and the rules each call enforces (docs/model.md §2.5-2.7, §6.3). */
#include "documents/metadata_impl.h"

#include <stdlib.h>
#include <string.h>

#include "files/fileset.h"
#include "base/mem.h"
#include "base/array.h"
#include "base/guid.h"

static int check_logical_path(const char *lp, vss_error *e)
{
    if (lp == NULL || *lp == '\0')
        return VSS_OK;
    size_t n = strlen(lp);
    if (lp[0] == '\\' || lp[n - 1] == '\\' || strstr(lp, "\\\\") != NULL)
        return vss_error_set(e, EINVAL,
                             "logical path '%s': backslash-separated names, none of them empty",
                             lp);
    return VSS_OK;
}

int vss_wm_add_component(vss_writer_metadata *wm, const vss_wm_component *info, vss_error *e)
{
    const char *lp = info->logical_path && *info->logical_path ? info->logical_path : NULL;
    if (info->type != VSS_CT_DATABASE && info->type != VSS_CT_FILEGROUP)
        return vss_error_set(e, EINVAL, "component type: database or filegroup expected");
    if (info->name == NULL || info->name[0] == '\0')
        return vss_error_set(e, EINVAL, "component name: required");
    if (strchr(info->name, '\\') != NULL)
        return vss_error_set(e, EINVAL, "component name '%s': must not contain '\\'",
                             info->name);
    if (check_logical_path(lp, e) != VSS_OK)
        return VSS_FAIL;
    if (!vss_enum_mask_valid(&vss_enum_component_flags, info->component_flags))
        return vss_error_set(e, EINVAL, "component flags 0x%x: unknown bits",
                             (unsigned)info->component_flags);
    if (vss_wm_find_component(wm, lp, info->name) != NULL)
        return vss_error_set(e, EEXIST, "duplicate component '%s' at logical path '%s'",
                             info->name, vss_wm_lp_show_(lp));
    if (VSS_GROW(wm->components, wm->capcomponents, wm->ncomponents, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_component *c = calloc(1, sizeof *c);
    if (c == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    c->type = info->type;
    c->restore_metadata = info->restore_metadata;
    c->notify_on_backup_complete = info->notify_on_backup_complete;
    c->selectable = info->selectable;
    c->selectable_for_restore = info->selectable_for_restore;
    c->component_flags = info->component_flags;
    if (vss_strdup_opt(&c->logical_path, lp, e) != VSS_OK ||
        vss_strdup_opt(&c->name, info->name, e) != VSS_OK ||
        vss_strdup_opt(&c->caption, info->caption, e) != VSS_OK) {
        vss_wm_component_free_(c);
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
    vss_error_set(e, ENOENT, "no component '%s' at logical path '%s'", name ? name : "",
                  vss_wm_lp_show_(lp));
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
                    return vss_error_set(e, EEXIST,
                                         "file set %s\\%s is already in component '%s'",
                                         d->path, d->filespec, c->name);
                if (vss_filesets_overlap(o, d))
                    return vss_error_set(e, EINVAL,
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
        return vss_error_set(e, EINVAL, "component '%s' is a %s component, not a %s one",
                             c->name, vss_enum_name(&vss_enum_component_type, c->type),
                             vss_enum_name(&vss_enum_component_type, want_type));
    if (!vss_enum_mask_valid(&vss_enum_file_spec_backup_type, mask))
        return vss_error_set(e, EINVAL, "backup type mask 0x%x: unknown bits", (unsigned)mask);
    vss_filedesc d;
    if (vss_filedesc_init(&d, path, filespec, recursive, alt, mask, e) != VSS_OK)
        return VSS_FAIL;
    if (check_not_listed(wm, &d, e) != VSS_OK) {
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    vss_wm_file *f = vss_wm_files_push_(list(c), e);
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
    vss_wm_file *f = vss_wm_files_push_(list, e);
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
        return vss_error_set(e, EINVAL, "restore method: %d is not a restore method", method);
    if (!vss_enum_valid(&vss_enum_writer_restore, writer_restore))
        return vss_error_set(e, EINVAL, "writer restore: %d is not a writer restore value",
                             writer_restore);
    bool needs_service = method == VSS_RME_STOP_RESTORE_START ||
                         method == VSS_RME_RESTORE_STOP_START;
    if (needs_service && (service == NULL || *service == '\0'))
        return vss_error_set(e, EINVAL, "service: method %s needs the service to stop",
                             vss_enum_name(&vss_enum_restore_method, method));
    if (method == VSS_RME_CUSTOM && (user_procedure == NULL || *user_procedure == '\0'))
        return vss_error_set(e, EINVAL, "user procedure: method custom needs one");
    char *s = NULL, *u = NULL;
    if (vss_strdup_opt(&s, service && *service ? service : NULL, e) != VSS_OK ||
        vss_strdup_opt(&u, user_procedure && *user_procedure ? user_procedure : NULL, e) !=
            VSS_OK) {
        free(s);
        return VSS_FAIL;
    }
    vss_xml_free_strings(vss_wm_restore_attrs_, vss_wm_restore_nattrs_, &wm->restore);
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
        return vss_error_set(e, EINVAL, "destination: required");
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
        vss_error_set(e, ENOENT,
                      "alternate location mapping %s\\%s (recursive=%s): no component has "
                      "this file set",
                      d.path, d.filespec, recursive ? "yes" : "no");
        vss_filedesc_clear(&d);
        return VSS_FAIL;
    }
    vss_wm_file *f = vss_wm_files_push_(&wm->mappings, e);
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
        return vss_error_set(e, EINVAL, "on_writer_id: expected a GUID, got '%s'",
                             on_writer_id ? on_writer_id : "(none)");
    if (on_name == NULL || *on_name == '\0' || strchr(on_name, '\\') != NULL)
        return vss_error_set(e, EINVAL, "on_name: a component name without '\\' expected");
    if (check_logical_path(on_logical_path, e) != VSS_OK)
        return VSS_FAIL;
    if (VSS_GROW(c->dependencies, c->dependency_cap, c->dependency_count, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_dependency *d = &c->dependencies[c->dependency_count];
    memset(d, 0, sizeof *d);
    if (vss_strdup_opt(&d->writer_id, on_writer_id, e) != VSS_OK ||
        vss_strdup_opt(&d->logical_path,
                       on_logical_path && *on_logical_path ? on_logical_path : NULL,
                       e) != VSS_OK ||
        vss_strdup_opt(&d->component_name, on_name, e) != VSS_OK) {
        vss_xml_free_strings(vss_wm_dependency_attrs_, vss_wm_dependency_nattrs_, d);
        return VSS_FAIL;
    }
    c->dependency_count++;
    return VSS_OK;
}

int vss_wm_set_backup_schema(vss_writer_metadata *wm, uint32_t schema, vss_error *e)
{
    if (!vss_enum_mask_valid(&vss_enum_backup_schema, schema))
        return vss_error_set(e, EINVAL, "backup schema 0x%x: unknown bits", (unsigned)schema);
    const uint32_t di = VSS_BS_DIFFERENTIAL | VSS_BS_INCREMENTAL;
    if ((schema & VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL) && (schema & di) != di)
        return vss_error_set(e, EINVAL, "backup schema: exclusive_incremental_differential "
                                          "needs both differential and incremental");
    if ((schema & VSS_BS_TIMESTAMPED) && !(schema & di))
        return vss_error_set(e, EINVAL,
                             "backup schema: timestamped needs differential or incremental");
    if ((schema & VSS_BS_LAST_MODIFY) && !(schema & di))
        return vss_error_set(e, EINVAL,
                             "backup schema: last_modify needs differential or incremental");
    wm->backup_schema = schema;
    return VSS_OK;
}

int vss_wm_validate(const vss_writer_metadata *wm, vss_error *e)
{
    if (!wm->restore.present)
        return vss_error_set(e, EINVAL, "writer '%s': no restore method (set_restore_method "
                                          "is mandatory)",
                             wm->id.name);
    if (wm->backup_schema & VSS_BS_LOG) {
        bool logs = false;
        for (size_t i = 0; i < wm->ncomponents && !logs; i++)
            logs = wm->components[i]->log_files.count > 0;
        if (!logs)
            return vss_error_set(e, EINVAL, "backup schema log: no component has database "
                                              "log files");
    }
    return VSS_OK;
}
