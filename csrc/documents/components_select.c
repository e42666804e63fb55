/* Component selection (docs/model.md §5): writers, their attached
 * metadata, AddComponent and the whole-document check of what a backup
 * must contain. */
#include "documents/components_impl.h"
#include "base/mem.h"
#include "base/array.h"
#include "base/guid.h"

#include <stdlib.h>
#include <string.h>

/* ---- writers and their metadata ---- */

/* The attached metadata of the writer (writer_id, instance_id); its index
 * in bc->wms, or bc->nwms when none. */
static size_t wm_index(const vss_backup_components *bc, const char *writer_id,
                       const char *instance_id)
{
    size_t i = 0;
    while (i < bc->nwms && !vss_wm_is_writer(vss_wm_get_identity(bc->wms[i]), writer_id, instance_id))
        i++;
    return i;
}

vss_bc_writer *vss_bc_find_writer(const vss_backup_components *bc, const char *writer_id,
                                  const char *instance_id)
{
    for (size_t i = 0; i < bc->nwriters; i++) {
        vss_bc_writer *w = bc->writers[i];
        const vss_wm_identity entry = {.writer_id = w->writer_id, .instance_id = w->instance_id};
        if (vss_wm_is_writer(&entry, writer_id, instance_id))
            return w;
    }
    return NULL;
}

int vss_bc_add_writer_metadata(vss_backup_components *bc, const vss_writer_metadata *wm,
                               vss_error *e)
{
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    size_t i = wm_index(bc, id->writer_id, id->instance_id);
    if (i < bc->nwms) {
        bc->wms[i] = wm; /* a newer Identify of the same instance */
        return VSS_OK;
    }
    if (VSS_GROW(bc->wms, bc->capwms, bc->nwms, e) != VSS_OK)
        return VSS_FAIL;
    bc->wms[bc->nwms++] = wm;
    return VSS_OK;
}

const vss_writer_metadata *vss_bc_writer_metadata(const vss_backup_components *bc,
                                                  const vss_bc_writer *w)
{
    size_t i = wm_index(bc, w->writer_id, w->instance_id);
    return i < bc->nwms ? bc->wms[i] : NULL;
}

vss_bc_component *vss_bc_find_component(const vss_backup_components *bc, const char *writer_id,
                                        const char *logical_path, const char *name)
{
    for (size_t i = 0; i < bc->nwriters; i++) {
        vss_bc_writer *w = bc->writers[i];
        if (!vss_guid_same(w->writer_id, writer_id) && !vss_guid_same(w->instance_id, writer_id))
            continue;
        vss_bc_component *c = vss_bc_writer_component(w, logical_path, name);
        if (c != NULL)
            return c;
    }
    return NULL;
}

vss_bc_component *vss_bc_writer_component(const vss_bc_writer *w, const char *logical_path,
                                          const char *name)
{
    for (size_t j = 0; j < w->component_count; j++) {
        vss_bc_component *c = w->components[j];
        if (strcmp(c->name, name) == 0 && vss_wm_same_path(c->logical_path, logical_path))
            return c;
    }
    return NULL;
}

static int check_wm_component(const vss_writer_metadata *wm, int type, const char *lp,
                              const char *name, vss_error *e)
{
    const vss_wm_component *m = vss_wm_find_component(wm, lp, name);
    if (m == NULL)
        return vss_error_set(e, ENOENT, "component '%s' at logical path '%s' is not in writer "
                                          "'%s''s metadata",
                             name, vss_bc_lp_show_(lp), vss_wm_get_identity(wm)->name);
    if (m->type != type)
        return vss_error_set(e, EINVAL, "component '%s' is a %s component in its metadata",
                             name, vss_enum_name(&vss_enum_component_type, m->type));
    /* Subcomponents come with the selectable component that defines their
     * set and are never added themselves (§5). */
    for (size_t i = 0; i < vss_wm_component_count(wm); i++) {
        const vss_wm_component *s = vss_wm_component_at(wm, i);
        if (s != m && s->selectable && vss_wm_in_set(s, m))
            return vss_error_set(e, EINVAL,
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
        return vss_error_set(e, EINVAL, "writer id: expected a GUID, got '%s'",
                             writer_id ? writer_id : "(none)");
    if (instance_id == NULL || !vss_guid_valid(instance_id))
        return vss_error_set(e, EINVAL, "instance id: expected a GUID, got '%s'",
                             instance_id ? instance_id : "(none)");
    if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP)
        return vss_error_set(e, EINVAL, "component type: database or filegroup expected");
    if (name == NULL || *name == '\0' || strchr(name, '\\') != NULL)
        return vss_error_set(e, EINVAL, "component name: required, without '\\'");
    vss_bc_writer *w = vss_bc_find_writer(bc, writer_id, instance_id);
    for (size_t j = 0; w != NULL && j < w->component_count; j++)
        if (strcmp(w->components[j]->name, name) == 0 &&
            vss_wm_same_path(w->components[j]->logical_path, lp))
            return vss_error_set(e, EEXIST, "component '%s' at logical path '%s' is already "
                                              "added for writer %s",
                                 name, vss_bc_lp_show_(lp), writer_id);
    size_t k = wm_index(bc, writer_id, instance_id);
    const vss_writer_metadata *wm = k < bc->nwms ? bc->wms[k] : NULL;
    if (wm != NULL && check_wm_component(wm, type, lp, name, e) != VSS_OK)
        return VSS_FAIL;
    bool new_writer = w == NULL;
    if (new_writer) {
        if (VSS_GROW(bc->writers, bc->capwriters, bc->nwriters, e) != VSS_OK)
            return VSS_FAIL;
        w = calloc(1, sizeof *w);
        if (w == NULL || vss_strdup_opt(&w->writer_id, writer_id, e) != VSS_OK ||
            vss_strdup_opt(&w->instance_id, instance_id, e) != VSS_OK ||
            (wm && vss_strdup_opt(&w->instance_name, vss_wm_get_identity(wm)->instance_name, e))) {
            vss_bc_writer_free_(w);
            return vss_error_set(e, ENOMEM, "out of memory");
        }
        w->backup_schema = wm ? vss_wm_backup_schema(wm) : 0;
    }
    vss_bc_component *c = calloc(1, sizeof *c);
    if (c == NULL ||
        VSS_GROW(w->components, w->component_cap, w->component_count, e) != VSS_OK ||
        vss_strdup_opt(&c->logical_path, lp, e) != VSS_OK ||
        vss_strdup_opt(&c->name, name, e) != VSS_OK) {
        vss_bc_component_free_(c);
        if (new_writer)
            vss_bc_writer_free_(w);
        return vss_error_set(e, ENOMEM, "out of memory");
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
                return vss_error_set(e, EINVAL,
                                     "writer '%s': nonselectable component '%s' at logical path "
                                     "'%s' must be added with the others",
                                     vss_wm_get_identity(wm)->name, m->name,
                                     vss_bc_lp_show_(m->logical_path));
        }
    }
    return VSS_OK;
}
