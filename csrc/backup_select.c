/* The requester's choices before any data moves: which components
 * (vss-reference.md §5), which backup type each writer takes, and the
 * previous backup stamps (§6.5). */
#include <stdlib.h>
#include <string.h>

#include "backup_impl.h"

int vss_backup_resolve(const vss_backup_ctx *r, const char *path, char **out, vss_error *e)
{
    if (r->o->root != NULL)
        return vss_pathmap_resolve(r->o->root, path, out, e);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if ((*out = strndup(path, n)) == NULL)
        return vss_error_set(e, "ENOMEM", "out of memory");
    return VSS_OK;
}

uint32_t vss_backup_required_bit(int type)
{
    switch (type) {
    case VSS_BT_INCREMENTAL: return VSS_FSBT_INCREMENTAL_BACKUP_REQUIRED;
    case VSS_BT_DIFFERENTIAL: return VSS_FSBT_DIFFERENTIAL_BACKUP_REQUIRED;
    case VSS_BT_LOG: return VSS_FSBT_LOG_BACKUP_REQUIRED;
    default: return VSS_FSBT_FULL_BACKUP_REQUIRED; /* full, copy */
    }
}

uint32_t vss_backup_snapshot_bit(int type)
{
    return vss_backup_required_bit(type) << 8;
}

int vss_backup_effective_type(int type, uint32_t schema)
{
    switch (type) {
    case VSS_BT_INCREMENTAL: return schema & VSS_BS_INCREMENTAL ? type : VSS_BT_FULL;
    case VSS_BT_DIFFERENTIAL: return schema & VSS_BS_DIFFERENTIAL ? type : VSS_BT_FULL;
    case VSS_BT_LOG: return schema & VSS_BS_LOG ? type : VSS_BT_FULL;
    default: return type; /* full; copy is a full that keeps no history */
    }
}

static bool names_writer(const char *s, const vss_wm_identity *id)
{
    return strcmp(s, id->name) == 0 || vss_wm_same_id(s, id->writer_id) ||
           vss_wm_same_id(s, id->instance_id);
}

/* "name" or "logical\path\name" */
static bool names_component(const char *s, const vss_wm_component *c)
{
    if (strcmp(s, c->name) == 0)
        return true;
    const char *lp = c->logical_path;
    if (lp == NULL || *lp == '\0')
        return false;
    size_t n = strlen(lp);
    return strncmp(s, lp, n) == 0 && s[n] == '\\' && strcmp(s + n + 1, c->name) == 0;
}

/* Components inside a selectable one's set are included with it, never
 * added themselves (§5). */
static bool has_selectable_ancestor(const vss_writer_metadata *wm, const vss_wm_component *c)
{
    for (size_t i = 0, n = vss_wm_component_count(wm); i < n; i++) {
        const vss_wm_component *k = vss_wm_component_at(wm, i);
        if (k != c && k->selectable && vss_wm_in_set(k, c))
            return true;
    }
    return false;
}

static bool wanted(const vss_backup_ctx *r, vss_backup_writer *bw, const vss_wm_component *c)
{
    const vss_backup_options *o = r->o;
    if (o->nselect == 0)
        return true;
    bool named = false, writer_named = false;
    for (size_t i = 0; i < o->nselect; i++) {
        named |= names_component(o->select[i], c);
        writer_named |= names_writer(o->select[i], vss_wm_get_identity(bw->wm));
    }
    if (named || writer_named)
        bw->required = true;
    return named || writer_named;
}

static int select_writer(vss_backup_ctx *r, vss_backup_writer *bw, vss_error *e)
{
    const vss_writer_metadata *wm = bw->wm;
    size_t n = vss_wm_component_count(wm);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const vss_wm_component *c = vss_wm_component_at(wm, i);
        if (!has_selectable_ancestor(wm, c) && wanted(r, bw, c))
            any = true;
    }
    if (!any)
        return VSS_OK;
    if (vss_bc_add_writer_metadata(r->bc, wm, e) != VSS_OK)
        return VSS_FAIL;
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    for (size_t i = 0; i < n; i++) {
        const vss_wm_component *c = vss_wm_component_at(wm, i);
        if (has_selectable_ancestor(wm, c))
            continue;
        /* every nonselectable top-level component goes with its writer */
        if (c->selectable && !wanted(r, bw, c))
            continue;
        vss_bc_component *bcc;
        if (vss_bc_add_component(r->bc, id->writer_id, id->instance_id, c->type, c->logical_path,
                                 c->name, &bcc, e) != VSS_OK)
            return VSS_FAIL;
        bw->entry = bcc->writer;
    }
    bw->included = true;
    bw->type = vss_backup_effective_type(r->o->type, vss_wm_backup_schema(wm));
    return VSS_OK;
}

/* A writer named in select whose identify failed: the backup cannot
 * have what was asked for. */
static int named_but_unknown(const vss_backup_ctx *r, const vss_writer *w, vss_error *e)
{
    const vss_wm_identity *id = vss_writer_identity(w);
    for (size_t i = 0; i < r->o->nselect; i++) {
        if (names_writer(r->o->select[i], id)) {
            const char *msg;
            int kind = vss_writer_failure(w, &msg);
            return vss_error_set(e, kind ? vss_writer_error_code(kind) : "WRITER_NONRETRYABLE",
                                 "writer '%s' failed: %s", id->name, msg);
        }
    }
    return VSS_OK;
}

int vss_backup_select(vss_backup_ctx *r, vss_error *e)
{
    for (size_t i = 0; i < r->nw; i++) {
        vss_backup_writer *bw = &r->w[i];
        bw->wm = vss_writer_metadata_of(bw->w);
        if (bw->wm == NULL ? named_but_unknown(r, bw->w, e) != VSS_OK
                           : select_writer(r, bw, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

/* The backups a stamp may come from: a differential builds on the last
 * full; an incremental on the last backup of any kind but copy, which
 * keeps no history. */
static bool stamp_source(int backup, int type)
{
    if (backup == VSS_STORE_COPY)
        return false;
    return type != VSS_BT_DIFFERENTIAL || backup == VSS_STORE_FULL;
}

typedef struct old_bcds {
    vss_store_info *list;
    vss_backup_components **bc; /* parsed on demand */
    size_t n;
} old_bcds;

static int old_bcd(vss_backup_ctx *r, old_bcds *o, size_t i, vss_backup_components **out,
                   vss_error *e)
{
    if (o->bc[i] == NULL) {
        char *xml;
        size_t len;
        if (vss_store_document(r->store, o->list[i].id, VSS_STORE_COMPONENTS, 0, &xml, &len,
                               e) != VSS_OK)
            return VSS_FAIL;
        int rc = vss_bc_parse(xml, len, &o->bc[i], e);
        free(xml);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    *out = o->bc[i];
    return VSS_OK;
}

static int carry_component(vss_backup_ctx *r, old_bcds *o, vss_backup_writer *bw,
                           vss_bc_component *c, vss_error *e)
{
    for (size_t i = o->n; i-- > 0;) {
        if (!stamp_source(o->list[i].type, bw->type))
            continue;
        vss_backup_components *old;
        if (old_bcd(r, o, i, &old, e) != VSS_OK)
            return VSS_FAIL;
        vss_bc_component *oc = vss_bc_find_component(old, bw->entry->instance_id,
                                                     c->logical_path, c->name);
        if (oc == NULL || !oc->backup_succeeded)
            continue;
        if (!bw->has_previous || o->list[i].time.tv_sec > bw->previous_time.tv_sec) {
            bw->has_previous = true;
            bw->previous_time = o->list[i].time;
        }
        if (oc->backup_stamp == NULL)
            return VSS_OK;
        return vss_bc_set_previous_backup_stamp(r->bc, c, oc->backup_stamp, e);
    }
    return VSS_OK;
}

int vss_backup_carry_stamps(vss_backup_ctx *r, vss_error *e)
{
    old_bcds o = {0};
    if (vss_store_list(r->store, 0, &o.list, &o.n, e) != VSS_OK)
        return VSS_FAIL;
    int rc = VSS_OK;
    if (o.n > 0 && (o.bc = calloc(o.n, sizeof *o.bc)) == NULL)
        rc = vss_error_set(e, "ENOMEM", "out of memory");
    for (size_t i = 0; rc == VSS_OK && i < r->nw; i++) {
        vss_backup_writer *bw = &r->w[i];
        if (!bw->included || (bw->type != VSS_BT_INCREMENTAL && bw->type != VSS_BT_DIFFERENTIAL))
            continue;
        for (size_t k = 0; rc == VSS_OK && k < bw->entry->component_count; k++)
            rc = carry_component(r, &o, bw, bw->entry->components[k], e);
    }
    for (size_t i = 0; o.bc != NULL && i < o.n; i++)
        vss_bc_free(o.bc[i]);
    free(o.bc);
    free(o.list);
    return rc;
}
