/* The requester's choices before any data moves: which components
 * (docs/model.md §5), which backup type each writer takes, and the
 * previous backup stamps (§6.5). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backup_impl.h"
#include "base/guid.h"

int vss_backup_resolve(const vss_backup_ctx *r, const char *path, char **out, vss_error *e)
{
    return vss_document_path(r->o->root, path, out, e);
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

/* The type a writer's schema lets it take (full where it lacks o->type). */
static int effective_type(int type, uint32_t schema)
{
    switch (type) {
    case VSS_BT_INCREMENTAL: return schema & VSS_BS_INCREMENTAL ? type : VSS_BT_FULL;
    case VSS_BT_DIFFERENTIAL: return schema & VSS_BS_DIFFERENTIAL ? type : VSS_BT_FULL;
    case VSS_BT_LOG: return schema & VSS_BS_LOG ? type : VSS_BT_FULL;
    default: return type; /* full; copy is a full that keeps no history */
    }
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

/* With bootable system state in the BCD, the writers that hold it (usage
 * bootable system state or system service) are required, whatever select
 * says. */
static bool system_state_writer(const vss_backup_ctx *r, const vss_wm_identity *id)
{
    return r->o->bootable_system_state &&
           (id->usage == VSS_UT_BOOTABLESYSTEMSTATE || id->usage == VSS_UT_SYSTEMSERVICE);
}

static bool wanted(const vss_backup_ctx *r, vss_backup_writer *bw, const vss_wm_component *c)
{
    const vss_backup_options *o = r->o;
    if (system_state_writer(r, vss_wm_get_identity(bw->wm)) &&
        !(c->component_flags & VSS_CF_NOT_SYSTEM_STATE))
        return true;
    if (o->nselect == 0)
        return true;
    bool named = false, writer_named = false;
    for (size_t i = 0; i < o->nselect; i++) {
        named |= vss_wm_names_component(o->select[i], c->logical_path, c->name);
        writer_named |= vss_wm_names_writer(o->select[i], vss_wm_get_identity(bw->wm));
    }
    if (named || writer_named)
        bw->required = true;
    return named || writer_named;
}

/* Puts the writer in the BCD: its metadata, every nonselectable top-level
 * component (they go with their writer) and the selectable ones wanted. */
static int include_writer(vss_backup_ctx *r, vss_backup_writer *bw, vss_error *e)
{
    const vss_writer_metadata *wm = bw->wm;
    if (vss_bc_add_writer_metadata(r->bc, wm, e) != VSS_OK)
        return VSS_FAIL;
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    for (size_t i = 0, n = vss_wm_component_count(wm); i < n; i++) {
        const vss_wm_component *c = vss_wm_component_at(wm, i);
        if (has_selectable_ancestor(wm, c))
            continue;
        if (c->selectable && !wanted(r, bw, c))
            continue;
        vss_bc_component *bcc;
        if (vss_bc_add_component(r->bc, id->writer_id, id->instance_id, c->type, c->logical_path,
                                 c->name, &bcc, e) != VSS_OK)
            return VSS_FAIL;
        bw->entry = bcc->writer;
    }
    bw->included = true;
    bw->type = effective_type(r->type, vss_wm_backup_schema(wm));
    return VSS_OK;
}

static int select_writer(vss_backup_ctx *r, vss_backup_writer *bw, vss_error *e)
{
    const vss_writer_metadata *wm = bw->wm;
    if (system_state_writer(r, vss_wm_get_identity(wm)))
        bw->required = true;
    bool any = false;
    for (size_t i = 0, n = vss_wm_component_count(wm); i < n; i++) {
        const vss_wm_component *c = vss_wm_component_at(wm, i);
        if (!has_selectable_ancestor(wm, c) && wanted(r, bw, c))
            any = true;
    }
    return any ? include_writer(r, bw, e) : VSS_OK;
}

/* ---- dependencies (§2.6 IVssWMDependency) ---- */

/* What the requester adds for c: c itself, or the selectable component
 * without a selectable ancestor whose set holds it (subcomponents come
 * with their set, never alone). */
static const vss_wm_component *set_holding(const vss_writer_metadata *wm,
                                           const vss_wm_component *c)
{
    if (!has_selectable_ancestor(wm, c))
        return c;
    for (size_t i = 0, n = vss_wm_component_count(wm); i < n; i++) {
        const vss_wm_component *k = vss_wm_component_at(wm, i);
        if (k != c && k->selectable && vss_wm_in_set(k, c) && !has_selectable_ancestor(wm, k))
            return k;
    }
    return c;
}

/* Is c already in the backup, itself or inside the set of a component
 * the BCD holds? */
static bool covered(const vss_backup_writer *bw, const vss_wm_component *c)
{
    if (!bw->included || bw->entry == NULL)
        return false;
    for (size_t k = 0; k < bw->entry->component_count; k++) {
        const vss_bc_component *bcc = bw->entry->components[k];
        const vss_wm_component *m = vss_wm_find_component(bw->wm, bcc->logical_path, bcc->name);
        if (m != NULL && vss_wm_in_set(m, c))
            return true;
    }
    return false;
}

/* "logical\path\name", or "name" */
static void component_label(char *buf, size_t n, const char *lp, const char *name)
{
    if (lp != NULL && *lp != '\0')
        snprintf(buf, n, "%s\\%s", lp, name);
    else
        snprintf(buf, n, "%s", name);
}

/* One dependency of from (a component of bw in the backup): the component
 * it names goes into the backup too, from every writer instance that
 * reports it; *added says whether the BCD grew. None reporting it fails
 * the backup, naming both. */
static int satisfy(vss_backup_ctx *r, vss_backup_writer *bw, const vss_wm_component *from,
                   const vss_wm_dependency *dep, bool *added, vss_error *e)
{
    bool found = false;
    for (size_t i = 0; i < r->nw; i++) {
        vss_backup_writer *tw = &r->w[i];
        if (tw->wm == NULL || !vss_guid_same(dep->writer_id, vss_wm_get_identity(tw->wm)->writer_id))
            continue;
        const vss_wm_component *tc =
            vss_wm_find_component(tw->wm, dep->logical_path, dep->component_name);
        if (tc == NULL)
            continue;
        found = true;
        if (bw->required)
            tw->required = true; /* what a required component needs is required */
        if (covered(tw, tc))
            continue;
        if (!tw->included && include_writer(r, tw, e) != VSS_OK)
            return VSS_FAIL;
        if (!covered(tw, tc)) {
            const vss_wm_component *add = set_holding(tw->wm, tc);
            const vss_wm_identity *id = vss_wm_get_identity(tw->wm);
            vss_bc_component *bcc;
            if (vss_bc_add_component(r->bc, id->writer_id, id->instance_id, add->type,
                                     add->logical_path, add->name, &bcc, e) != VSS_OK)
                return VSS_FAIL;
            tw->entry = bcc->writer;
        }
        *added = true;
    }
    if (found)
        return VSS_OK;
    char a[256], b[256];
    component_label(a, sizeof a, from->logical_path, from->name);
    component_label(b, sizeof b, dep->logical_path, dep->component_name);
    return vss_error_set(e, ENOENT,
                         "component '%s' of writer '%s' depends on component '%s' of writer %s, "
                         "which no writer reports",
                         a, vss_wm_get_identity(bw->wm)->name, b, dep->writer_id);
}

/* Until nothing more is added: the dependencies of every component in the
 * backup, its subcomponents' included. */
static int add_dependencies(vss_backup_ctx *r, vss_error *e)
{
    bool added = true;
    while (added) {
        added = false;
        for (size_t i = 0; i < r->nw; i++) {
            vss_backup_writer *bw = &r->w[i];
            /* the entry may grow while its dependencies are added: by index */
            for (size_t k = 0; bw->included && bw->entry && k < bw->entry->component_count;
                 k++) {
                const vss_bc_component *bcc = bw->entry->components[k];
                const vss_wm_component *set =
                    vss_wm_find_component(bw->wm, bcc->logical_path, bcc->name);
                for (size_t j = 0, n = vss_wm_component_count(bw->wm); set && j < n; j++) {
                    const vss_wm_component *m = vss_wm_component_at(bw->wm, j);
                    if (!vss_wm_in_set(set, m))
                        continue;
                    for (size_t d = 0; d < m->dependency_count; d++)
                        if (satisfy(r, bw, m, &m->dependencies[d], &added, e) != VSS_OK)
                            return VSS_FAIL;
                }
            }
        }
    }
    return VSS_OK;
}

/* A writer named in select (or holding bootable system state the BCD
 * asks for) whose identify failed: the backup cannot have what was asked
 * for. */
static int named_but_unknown(const vss_backup_ctx *r, const vss_writer *w, vss_error *e)
{
    const vss_wm_identity *id = vss_writer_identity(w);
    bool needed = system_state_writer(r, id);
    for (size_t i = 0; !needed && i < r->o->nselect; i++)
        needed = vss_wm_names_writer(r->o->select[i], id);
    if (!needed)
        return VSS_OK;
    const char *msg;
    int kind = vss_writer_failure(w, &msg);
    return vss_error_set(e, kind ? vss_writer_error_code(kind) : VSS_WRITER_NONRETRYABLE,
                         "writer '%s' failed: %s", id->name, msg);
}

/* A select entry naming no writer and no component of any writer would be
 * silently ignored (a typo backs up nothing): it fails the backup. */
static int select_names_something(const vss_backup_ctx *r, vss_error *e)
{
    for (size_t s = 0; s < r->o->nselect; s++) {
        const char *name = r->o->select[s];
        bool hit = false;
        for (size_t i = 0; i < r->nw && !hit; i++) {
            const vss_backup_writer *bw = &r->w[i];
            hit = vss_wm_names_writer(name, vss_writer_identity(bw->w));
            for (size_t k = 0, n = bw->wm ? vss_wm_component_count(bw->wm) : 0; k < n && !hit; k++) {
                const vss_wm_component *c = vss_wm_component_at(bw->wm, k);
                hit = vss_wm_names_component(name, c->logical_path, c->name);
            }
        }
        if (hit)
            continue;
        /* perhaps a component of a writer whose identify failed: say so */
        for (size_t i = 0; i < r->nw; i++) {
            const char *msg;
            if (r->w[i].wm == NULL && vss_writer_failure(r->w[i].w, &msg) != VSS_WE_NONE)
                return vss_error_set(e, ENOENT, "select: '%s' names no writer and no component "
                                                "that the writers report (writer '%s' failed at "
                                                "identify: %s)",
                                     name, vss_writer_identity(r->w[i].w)->name, msg);
        }
        return vss_error_set(e, ENOENT, "select: '%s' names no writer and no component that "
                                        "the writers report", name);
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
    if (select_names_something(r, e) != VSS_OK)
        return VSS_FAIL;
    return add_dependencies(r, e);
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

/* The newest backup that the writer's type builds on (vss_store_builds_on:
 * the rule that picks the store's base) and that holds component c
 * backed up: a log backup's for a later incremental, never a copy's. A
 * component whose writer failed is not in that backup (docs/model.md
 * §6.5): its base is the last backup in which it succeeded. *at: its
 * index in o->list, or SIZE_MAX when there is none. */
static int last_success(vss_backup_ctx *r, old_bcds *o, const vss_backup_writer *bw,
                        const vss_bc_component *c, size_t *at, const vss_bc_component **oc_out,
                        vss_error *e)
{
    *at = SIZE_MAX;
    for (size_t i = o->n; i-- > 0;) {
        if (!vss_store_builds_on(bw->type, o->list[i].type))
            continue;
        vss_backup_components *old;
        if (old_bcd(r, o, i, &old, e) != VSS_OK)
            return VSS_FAIL;
        const vss_bc_writer *ow =
            vss_bc_find_writer(old, bw->entry->writer_id, bw->entry->instance_id);
        vss_bc_component *oc = ow ? vss_bc_writer_component(ow, c->logical_path, c->name) : NULL;
        if (oc == NULL || !oc->backup_succeeded)
            continue;
        *at = i;
        *oc_out = oc;
        return VSS_OK;
    }
    return VSS_OK;
}

/* in[i]: o->list[i] is in the chain this backup builds on (its base, the
 * base's base, ... down to the full). */
static void mark_chain(const old_bcds *o, int type, bool *in)
{
    const vss_store_info *b = vss_store_base_for(type, o->list, o->n);
    while (b != NULL) {
        in[b - o->list] = true;
        const vss_store_info *next = NULL;
        for (size_t i = 0; b->base[0] != '\0' && i < o->n && next == NULL; i++)
            if (strcmp(o->list[i].id, b->base) == 0 && !in[i])
                next = &o->list[i];
        b = next;
    }
}

/* Bases are per component: each component's previous stamp and time come
 * from its last success. When a component of the writer has no success
 * in the chain this backup builds on (its writer failed there, or it is
 * new), the restore of this point could not compose it from the chain:
 * the writer takes a full backup (r.writers[i].type says so; it is told
 * no previous stamp). */
static int carry_writer(vss_backup_ctx *r, old_bcds *o, const bool *in,
                        vss_backup_writer *bw, vss_error *e)
{
    size_t n = bw->entry->component_count;
    size_t *at = calloc(n + 1, sizeof *at);
    const vss_bc_component **oc = calloc(n + 1, sizeof *oc);
    int rc = at && oc ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
    bool whole = true;
    for (size_t k = 0; rc == VSS_OK && k < n; k++) {
        rc = last_success(r, o, bw, bw->entry->components[k], &at[k], &oc[k], e);
        if (rc == VSS_OK && (at[k] == SIZE_MAX || !in[at[k]]))
            whole = false;
    }
    if (rc == VSS_OK && !whole)
        bw->type = VSS_BT_FULL;
    for (size_t k = 0; rc == VSS_OK && whole && k < n; k++) {
        const vss_store_info *b = &o->list[at[k]];
        if (!bw->has_previous || b->time.tv_sec > bw->previous_time.tv_sec) {
            bw->has_previous = true;
            bw->previous_time = b->time;
        }
        if (oc[k]->backup_stamp != NULL)
            rc = vss_bc_set_previous_backup_stamp(r->bc, bw->entry->components[k],
                                                  oc[k]->backup_stamp, e);
    }
    free(at);
    free(oc);
    return rc;
}

int vss_backup_carry_stamps(vss_backup_ctx *r, vss_error *e)
{
    old_bcds o = {0};
    if (vss_store_list(r->store, 0, &o.list, &o.n, e) != VSS_OK)
        return VSS_FAIL;
    bool *in = calloc(o.n + 1, sizeof *in);
    int rc = in ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
    if (rc == VSS_OK && o.n > 0 && (o.bc = calloc(o.n, sizeof *o.bc)) == NULL)
        rc = vss_error_set(e, ENOMEM, "out of memory");
    if (rc == VSS_OK)
        mark_chain(&o, r->type, in);
    for (size_t i = 0; rc == VSS_OK && i < r->nw; i++) {
        vss_backup_writer *bw = &r->w[i];
        if (!bw->included || !vss_bc_takes_previous_stamp(bw->type))
            continue;
        rc = carry_writer(r, &o, in, bw, e);
    }
    for (size_t i = 0; o.bc != NULL && i < o.n; i++)
        vss_bc_free(o.bc[i]);
    free(o.bc);
    free(o.list);
    free(in);
    return rc;
}
