/* One step of a restore chain (docs/model.md §1.4):
 * the components chosen from the step's stored BCD, the restore state and
 * new targets set, identify and pre_restore, each component's destination
 * decided by its restore target and its writer's restore method, the
 * files laid (restore_lay.c), file restore status, post_restore. The
 * chain around it is restore_chain.c's. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "files/fileset.h"
#include "engine/restore_engine.h"
#include "base/guid.h"

/* ---- choosing the components ---- */

/* s names the component or its writer */
static bool names(const char *s, const vss_wm_identity *id, const vss_bc_component *c)
{
    return vss_wm_names_writer(s, id) || vss_wm_names_component(s, c->logical_path, c->name);
}

static bool no_lp(const char *lp)
{
    return lp == NULL || *lp == '\0';
}

static bool selected(const rs_run *r, const vss_wm_identity *id, const vss_bc_component *c)
{
    if (r->o->npick > 0) {
        for (size_t i = 0; i < r->o->npick; i++) {
            const vss_restore_pick *p = &r->o->pick[i];
            if (vss_guid_same(p->writer_id, id->writer_id) && strcmp(p->name, c->name) == 0 &&
                (no_lp(p->logical_path) ? no_lp(c->logical_path)
                                        : !no_lp(c->logical_path) &&
                                              strcmp(p->logical_path, c->logical_path) == 0))
                return true;
        }
        return false;
    }
    bool hit = r->o->nselect == 0;
    for (size_t i = 0; i < r->o->nselect && !hit; i++)
        hit = names(r->o->select[i], id, c);
    return hit;
}

static int add_set(rs_component *rc, const vss_filedesc *doc, const rs_run *r, vss_error *e)
{
    rs_set *v = realloc(rc->sets, (rc->nsets + 1) * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    rc->sets = v;
    rs_set *s = &v[rc->nsets];
    memset(s, 0, sizeof *s);
    s->doc = doc;
    char *path;
    if (rs_resolve(r, doc->path, &path, e) != VSS_OK)
        return VSS_FAIL;
    int rc2 = vss_filedesc_init(&s->d, path, doc->filespec, doc->recursive, NULL, 0, e);
    free(path);
    if (rc2 != VSS_OK)
        return VSS_FAIL;
    rc->nsets++;
    return VSS_OK;
}

static int add_list(rs_component *rc, const vss_wm_files *l, const rs_run *r, vss_error *e)
{
    for (size_t i = 0; i < l->count; i++)
        if (add_set(rc, &l->items[i].d, r, e) != VSS_OK)
            return VSS_FAIL;
    return VSS_OK;
}

/* The component's file sets: its own and its subcomponents' (§5). */
static int component_sets(rs_component *rc, const vss_wm_component *set, const rs_run *r,
                          vss_error *e)
{
    for (size_t j = 0, n = vss_wm_component_count(rc->wm); j < n; j++) {
        const vss_wm_component *m = vss_wm_component_at(rc->wm, j);
        if (vss_wm_in_set(set, m) && (add_list(rc, &m->files, r, e) != VSS_OK ||
                                      add_list(rc, &m->database_files, r, e) != VSS_OK ||
                                      add_list(rc, &m->log_files, r, e) != VSS_OK))
            return VSS_FAIL;
    }
    return VSS_OK;
}

static vss_writer *live_writer(vss_writers *ws, const vss_bc_writer *bw)
{
    for (size_t i = 0; ws && i < vss_writers_count(ws); i++) {
        vss_writer *w = vss_writers_at(ws, i);
        if (vss_wm_is_writer(vss_writer_identity(w), bw->writer_id, bw->instance_id))
            return w;
    }
    return NULL;
}

/* The newest of the plan's older BCDs (before its last backup) in which
 * the component of writer (writer_id, instance_id) named lp\\name
 * succeeded: its index, or SIZE_MAX. */
static size_t older_success(const rs_run *r, const char *writer_id, const char *instance_id,
                            const char *lp, const char *name, size_t below)
{
    for (size_t j = below; r->older != NULL && j-- > 0;) {
        const vss_bc_writer *ow = vss_bc_find_writer(r->older[j], writer_id, instance_id);
        const vss_bc_component *oc = ow ? vss_bc_writer_component(ow, lp, name) : NULL;
        if (oc != NULL && oc->backup_succeeded)
            return j;
    }
    return SIZE_MAX;
}

static size_t count_components(const vss_backup_components *bc)
{
    size_t total = 0;
    for (size_t i = 0; i < vss_bc_writer_count(bc); i++)
        total += vss_bc_writer_at(bc, i)->component_count;
    return total;
}

/* Take component c of bw (in bc, wm its metadata) into the step, laid as
 * of backup from. */
static int take_component(rs_run *r, vss_writers *ws, vss_backup_components *bc,
                          const vss_bc_writer *bw, const vss_writer_metadata *wm,
                          vss_bc_component *c, const char *from, vss_error *e)
{
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    const vss_wm_component *wc = vss_wm_find_component(wm, c->logical_path, c->name);
    if (wc == NULL)
        return vss_error_set(e, VSS_ECORRUPT, "component '%s' of writer '%s' is not in its metadata",
                             c->name, id->name);
    rs_component *rc = &r->comps[r->ncomps++];
    *rc = (rs_component){.bcc = c, .bc = bc, .from = from, .wm = wm, .method = vss_wm_get_restore_method(wm),
                         .live = live_writer(ws, bw), .target = VSS_RT_ORIGINAL};
    if (vss_bc_set_additional_restores(bc, c, r->more_follow, e) != VSS_OK ||
        component_sets(rc, wc, r, e) != VSS_OK)
        return VSS_FAIL;
    return VSS_OK;
}

/* The components of the step's BCD that succeeded there; and, when the
 * step lays several backups, each component that failed there (or is not
 * there: its writer's identify failed) as of the newest of them in which
 * it succeeded. */
static int choose_components(rs_run *r, vss_writers *ws, vss_error *e)
{
    vss_backup_components *bc = r->bc;
    size_t total = count_components(bc);
    for (size_t j = 0; r->older != NULL && j + 1 < r->nids; j++)
        total += count_components(r->older[j]);
    if ((r->comps = calloc(total + 1, sizeof *r->comps)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    const char *last = r->ids[r->nids - 1];
    for (size_t i = 0; i < vss_bc_writer_count(bc); i++) {
        vss_bc_writer *bw = vss_bc_writer_at(bc, i);
        const vss_writer_metadata *wm = vss_bc_writer_metadata(bc, bw);
        if (wm == NULL)
            return vss_error_set(e, ENOENT, "no writer metadata for writer %s", bw->writer_id);
        const vss_wm_identity *id = vss_wm_get_identity(wm);
        for (size_t k = 0; k < bw->component_count; k++) {
            vss_bc_component *c = bw->components[k];
            const char *from = c->backup_succeeded ? last : NULL;
            if (from == NULL) {
                size_t j = older_success(r, bw->writer_id, bw->instance_id, c->logical_path,
                                         c->name, r->nids - 1);
                from = j == SIZE_MAX ? NULL : r->ids[j];
            }
            bool take = from != NULL && selected(r, id, c);
            if (vss_bc_set_selected_for_restore(bc, c, take, e) != VSS_OK)
                return VSS_FAIL;
            if (take && take_component(r, ws, bc, bw, wm, c, from, e) != VSS_OK)
                return VSS_FAIL;
        }
    }
    /* components the last BCD does not hold, newest first */
    for (size_t j = r->older ? r->nids - 1 : 0; j-- > 0;) {
        vss_backup_components *ob = r->older[j];
        for (size_t i = 0; i < vss_bc_writer_count(ob); i++) {
            vss_bc_writer *bw = vss_bc_writer_at(ob, i);
            for (size_t k = 0; k < bw->component_count; k++) {
                vss_bc_component *c = bw->components[k];
                const vss_bc_writer *lw = vss_bc_find_writer(bc, bw->writer_id, bw->instance_id);
                if (!c->backup_succeeded ||
                    (lw && vss_bc_writer_component(lw, c->logical_path, c->name)) ||
                    older_success(r, bw->writer_id, bw->instance_id, c->logical_path, c->name,
                                  r->nids - 1) != j)
                    continue;
                const vss_writer_metadata *wm = vss_bc_writer_metadata(ob, bw);
                if (wm == NULL)
                    return vss_error_set(e, ENOENT, "no writer metadata for writer %s in backup '%s'",
                                         bw->writer_id, r->ids[j]);
                if (selected(r, vss_wm_get_identity(wm), c) &&
                    take_component(r, ws, ob, bw, wm, c, r->ids[j], e) != VSS_OK)
                    return VSS_FAIL;
            }
        }
    }
    for (size_t i = 0; !r->select_checked && i < r->o->nselect; i++) {
        bool hit = false;
        for (size_t c = 0; c < r->ncomps && !hit; c++)
            hit = names(r->o->select[i], vss_wm_get_identity(r->comps[c].wm), r->comps[c].bcc);
        if (!hit)
            return vss_error_set(e, ENOENT,
                                 "'%s' names no component that the backup holds and that succeeded",
                                 r->o->select[i]);
    }
    return VSS_OK;
}

/* ---- destinations ---- */

static int set_dest(rs_set *s, int how, const char *root, const char *prefix, vss_error *e)
{
    free(s->root);
    free(s->prefix);
    s->how = how;
    s->root = strdup(root);
    s->prefix = strdup(prefix);
    if (s->root == NULL || s->prefix == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    return VSS_OK;
}

static bool same_set(const vss_filedesc *a, const vss_filedesc *b)
{
    return vss_path_equal(a->path, b->path, 0) && strcmp(a->filespec, b->filespec) == 0 &&
           a->recursive == b->recursive;
}

/* The writer's alternate location mapping of s (§6.3), or NULL. */
static const vss_filedesc *mapping_of(const rs_component *c, const rs_set *s)
{
    const vss_wm_files *m = vss_wm_alternate_location_mappings(c->wm);
    for (size_t i = 0; i < m->count; i++)
        if (m->items[i].d.alternate_location && same_set(&m->items[i].d, s->doc))
            return &m->items[i].d;
    return NULL;
}

/* Alternate locations for the sets that have a mapping, recorded with
 * AddAlternativeLocationMapping; the rest stay where they were. */
static int use_alternate(rs_run *r, rs_component *c, vss_error *e)
{
    for (size_t i = 0; i < c->nsets; i++) {
        rs_set *s = &c->sets[i];
        const vss_filedesc *m = mapping_of(c, s);
        if (m == NULL || s->how == VSS_RT_ALTERNATE)
            continue;
        char *dir;
        if (rs_resolve(r, m->alternate_location, &dir, e) != VSS_OK)
            return VSS_FAIL;
        int rc = set_dest(s, VSS_RT_ALTERNATE, dir, "", e);
        free(dir);
        if (rc != VSS_OK || vss_bc_add_alternative_location_mapping(
                                c->bc, c->bcc, s->doc->path, s->doc->filespec, s->doc->recursive,
                                m->alternate_location, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static const vss_restore_new_target *new_target_of(const rs_run *r, const rs_set *s)
{
    for (size_t i = 0; i < r->o->nnew_targets; i++) {
        const vss_restore_new_target *t = &r->o->new_targets[i];
        vss_filedesc d = {.path = (char *)t->path, .filespec = (char *)t->filespec,
                          .recursive = t->recursive};
        if (same_set(&d, s->doc))
            return t;
    }
    return NULL;
}

/* §6.6: a new target for every set (its own, or beneath `to`), recorded
 * with AddNewTarget for the writer. A writer whose schema refuses new
 * targets may not be told; it is an error only when the writer takes
 * part (without it, this is a plain restore of files elsewhere). */
static int use_new_targets(rs_run *r, rs_component *c, vss_error *e)
{
    for (size_t i = 0; i < c->nsets; i++) {
        rs_set *s = &c->sets[i];
        const vss_restore_new_target *t = new_target_of(r, s);
        int rc;
        char *dir = NULL;
        if (t != NULL) {
            rc = set_dest(s, 0, t->to, "", e);
            dir = strdup(t->to);
        } else if (r->o->to != NULL) {
            rc = set_dest(s, 0, r->o->to, s->d.path + 1, e);
            size_t n = strlen(r->o->to);
            dir = malloc(n + strlen(s->d.path) + 1);
            if (dir != NULL)
                strcat(strcpy(dir, r->o->to), s->d.path);
        } else {
            return vss_error_set(e, EINVAL, "new target: file set %s\\%s has no new target and no 'to' was given",
                                 s->doc->path, s->doc->filespec);
        }
        if (rc != VSS_OK || dir == NULL) {
            free(dir);
            return rc != VSS_OK ? rc : vss_error_set(e, ENOMEM, "out of memory");
        }
        vss_error err;
        rc = vss_bc_add_new_target(c->bc, c->bcc, s->doc->path, s->doc->filespec, s->doc->recursive,
                                   dir, &err);
        free(dir);
        if (rc != VSS_OK && c->live != NULL) {
            if (e)
                *e = err;
            return VSS_FAIL;
        }
    }
    return VSS_OK;
}

static int requested_targets(rs_run *r, vss_error *e)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        for (size_t k = 0; k < c->nsets; k++)
            if (set_dest(&c->sets[k], VSS_RT_ORIGINAL, c->sets[k].d.path, "", e) != VSS_OK)
                return VSS_FAIL;
        int method = c->method->present ? c->method->method : VSS_RME_UNDEFINED;
        int rc = VSS_OK;
        if (r->o->location == VSS_RESTORE_LOCATION_NEW)
            rc = use_new_targets(r, c, e);
        else if (r->o->location == VSS_RESTORE_LOCATION_ALTERNATE ||
                 method == VSS_RME_RESTORE_TO_ALTERNATE_LOCATION)
            rc = use_alternate(r, c, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
        if (r->o->location == VSS_RESTORE_LOCATION_ALTERNATE)
            c->target = VSS_RT_ALTERNATE;
    }
    return VSS_OK;
}

/* After pre_restore: what each writer asked for (§2.1 SetRestoreTarget,
 * SetPreRestoreFailureMsg) and what its method says. */
static int writers_choices(rs_run *r, vss_writers *ws, vss_error *e)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        const char *msg;
        if (c->live != NULL && (vss_writer_failure(c->live, &msg) != VSS_WE_NONE ||
                                !vss_writers_involved(ws, c->live)))
            c->skipped = true;
        if (c->bcc->pre_restore_failure_msg != NULL)
            c->skipped = true;
        int method = c->method->present ? c->method->method : VSS_RME_UNDEFINED;
        int rt = c->bcc->restore_target;
        if (c->live != NULL && rt != VSS_RT_UNDEFINED && rt != VSS_RT_ORIGINAL)
            c->target = rt; /* the writer's word overrides the method (§2.1) */
        if (c->target == VSS_RT_ALTERNATE && use_alternate(r, c, e) != VSS_OK)
            return VSS_FAIL;
        if (c->target == VSS_RT_ORIGINAL_LOCATION)
            for (size_t k = 0; k < c->nsets; k++)
                if (c->sets[k].how == VSS_RT_ALTERNATE &&
                    set_dest(&c->sets[k], VSS_RT_ORIGINAL, c->sets[k].d.path, "", e) != VSS_OK)
                    return VSS_FAIL;
        if (r->o->overwrite >= 0 || r->continues)
            c->replace = r->o->overwrite != 0 || r->continues;
        else
            c->replace = method == VSS_RME_RESTORE_IF_CAN_REPLACE ||
                         method == VSS_RME_STOP_RESTORE_START ||
                         method == VSS_RME_RESTORE_STOP_START ||
                         method == VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE;
    }
    return VSS_OK;
}

/* RESTORE_IF_NOT_THERE (§4 VSS_RME_*): restore only when none of the
 * component's files is there; else to the alternate locations if the
 * writer maps its sets, else not at all. */
static int if_not_there(rs_run *r, vss_error *e)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        if (c->skipped || r->continues || r->o->overwrite > 0 || !c->method->present ||
            c->method->method != VSS_RME_RESTORE_IF_NOT_THERE)
            continue;
        bool present;
        if (rs_any_present(r, i, &present, e) != VSS_OK)
            return VSS_FAIL;
        if (!present)
            continue;
        bool mapped = false;
        for (size_t k = 0; k < c->nsets && !mapped; k++)
            mapped = c->sets[k].how != VSS_RT_ALTERNATE && mapping_of(c, &c->sets[k]) != NULL;
        if (mapped) {
            if (use_alternate(r, c, e) != VSS_OK || rs_any_present(r, i, &present, e) != VSS_OK)
                return VSS_FAIL;
            c->target = VSS_RT_ALTERNATE;
        }
        c->refused = present;
    }
    return VSS_OK;
}

static int services(rs_run *r, bool before, vss_error *e)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        const vss_wm_restore_method *m = c->method;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = r->comps[j].wm == c->wm;
        if (dup || c->skipped || !m->present || m->service == NULL || *m->service == '\0')
            continue;
        const char *const *acts = NULL;
        static const char *const stop[] = {"stop", NULL}, *const start[] = {"start", NULL},
                                 *const restart[] = {"stop", "start", NULL};
        if (m->method == VSS_RME_STOP_RESTORE_START)
            acts = before ? stop : start;
        else if (m->method == VSS_RME_RESTORE_STOP_START && !before)
            acts = restart;
        for (; acts && *acts; acts++) {
            if (r->o->service == NULL)
                return vss_error_set(e, EINVAL, "writer '%s' needs service '%s' %sped, and no service handler was given",
                                     vss_wm_get_identity(c->wm)->name, m->service, *acts);
            if (r->o->service(r->o->service_ud, *acts, m->service, e) != VSS_OK)
                return VSS_FAIL;
        }
    }
    return VSS_OK;
}

/* After a run that stopped between the services' stop and their start:
 * start each service the stop_restore_start method stopped, so a stopped
 * restore leaves none down (a failure to start is not the error to report). */
static void start_stopped(rs_run *r)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        const vss_wm_restore_method *m = c->method;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = r->comps[j].wm == c->wm;
        if (dup || c->skipped || !m->present || m->service == NULL || *m->service == '\0' ||
            m->method != VSS_RME_STOP_RESTORE_START || r->o->service == NULL)
            continue;
        vss_error ignored;
        r->o->service(r->o->service_ud, "start", m->service, &ignored);
    }
}

/* ---- the result ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int fill_components(rs_run *r, vss_error *e)
{
    vss_restore_step *res = r->res;
    if ((res->components = calloc(r->ncomps + 1, sizeof *res->components)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    res->ncomponents = r->ncomps;
    for (size_t i = 0; i < r->ncomps; i++) {
        const rs_component *c = &r->comps[i];
        vss_restore_component_result *o = &res->components[i];
        o->writer = strdup(vss_wm_get_identity(c->wm)->name);
        o->logical_path = dup_or_null(c->bcc->logical_path);
        o->name = strdup(c->bcc->name);
        o->target = c->target;
        o->method = c->method->present ? c->method->method : VSS_RME_UNDEFINED;
        o->status = c->bcc->file_restore_status;
        o->pre_restore_failure = dup_or_null(c->bcc->pre_restore_failure_msg);
        o->post_restore_failure = dup_or_null(c->bcc->post_restore_failure_msg);
        o->backup = c->from;
        const char *msg;
        if (o->post_restore_failure == NULL && c->live != NULL &&
            vss_writer_state(c->live) == VSS_WS_FAILED_AT_POST_RESTORE &&
            vss_writer_failure(c->live, &msg) != VSS_WE_NONE)
            o->post_restore_failure = strdup(msg); /* its handler failed */
        if (o->writer == NULL || o->name == NULL)
            return vss_error_set(e, ENOMEM, "out of memory");
    }
    return VSS_OK;
}

static int file_statuses(rs_run *r, vss_error *e)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        int st = c->restored == 0 ? VSS_RS_NONE
                 : c->failed == 0 && c->restored == c->total ? VSS_RS_ALL
                                                              : VSS_RS_FAILED;
        if (vss_bc_set_file_restore_status(c->bc, c->bcc, st, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static void free_run(rs_run *r)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        for (size_t k = 0; k < r->comps[i].nsets; k++) {
            vss_filedesc_clear(&r->comps[i].sets[k].d);
            free(r->comps[i].sets[k].root);
            free(r->comps[i].sets[k].prefix);
        }
        free(r->comps[i].sets);
    }
    free(r->comps);
    for (size_t i = 0; i < r->nfiles; i++)
        free(r->files[i].layers);
    free(r->files);
    for (size_t i = 0; i < r->ntargets; i++) {
        vss_dest_free(r->targets[i].t);
        free(r->targets[i].root);
    }
    free(r->targets);
    for (size_t i = 0; i < r->nswept; i++)
        free(r->swept[i]);
    free(r->swept);
    free(r->links);
    free(r->flagged);
    free(r->dirs);
    free(r->rmdirs);
    free(r->before);
    vss_dest_batch_free(r->batch);
}

int rs_run_step(vss_writers *ws, vss_backup_components *bc, vss_store_reader *rd,
                const vss_restore_options *o, const rs_plan *plan, vss_restore_step *res,
                vss_error *e)
{
    rs_run r = {.o = o, .ids = plan->ids, .nids = plan->nids, .older = plan->older,
                .select_checked = plan->select_checked,
                .more_follow = plan->more_follow,
                .continues = plan->continues, .bc = bc, .rd = rd, .res = res};
    bool told = false, stopped = false;
    if (plan->nids == 0) {
        vss_error_set(e, EINVAL, "restore: no backup to restore");
        goto fail;
    }
    if (vss_dest_batch_new(&r.batch, e) != VSS_OK)
        goto fail;
    for (size_t i = 0; i < r.nids; i++) {
        const vss_store_manifest *m;
        if (vss_store_reader_manifest(rd, r.ids[i], &m, e) != VSS_OK)
            goto fail;
    }
    if (r.continues) {
        if (vss_store_reader_chain(rd, r.ids[0], &r.before, &r.nbefore, e) != VSS_OK)
            goto fail;
        r.nbefore--; /* ids[0] itself */
    }
    if (vss_bc_set_restore_state(bc, o->restore_type ? o->restore_type : VSS_RTYPE_BY_COPY, e) !=
            VSS_OK ||
        choose_components(&r, ws, e) != VSS_OK || rs_paths_prune(&r, e) != VSS_OK ||
        requested_targets(&r, e) != VSS_OK)
        goto fail;
    if (ws != NULL) {
        told = true;
        vss_writers_identify(ws, NULL); /* a writer whose identify fails is not told */
        vss_writers_pre_restore(ws, bc, NULL);
    }
    if (writers_choices(&r, ws, e) != VSS_OK || rs_collect(&r, e) != VSS_OK ||
        if_not_there(&r, e) != VSS_OK)
        goto fail;
    stopped = true; /* from here a failure starts the stopped services again */
    if (services(&r, true, e) != VSS_OK || rs_lay_all(&r, e) != VSS_OK)
        goto fail;
    stopped = false;
    if (services(&r, false, e) != VSS_OK || file_statuses(&r, e) != VSS_OK)
        goto fail;
    if (ws != NULL)
        vss_writers_post_restore(ws, bc, NULL);
    told = false;
    if (fill_components(&r, e) != VSS_OK)
        goto fail;
    free_run(&r);
    return VSS_OK;
fail:
    if (stopped) /* stopped, interrupted (a signal, the progress callback, a failure) */
        start_stopped(&r);
    if (told) /* post_restore with the status so far, so no writer waits */
        if (file_statuses(&r, NULL) == VSS_OK)
            vss_writers_post_restore(ws, bc, NULL);
    free_run(&r);
    rs_step_clear(res);
    return VSS_FAIL;
}
