/* The restore chain (restore.h): the backup asked for (the latest by
 * default) and the chain it stands on, split into steps; each step's
 * documents loaded from the store and the writers it tells chosen; the
 * steps run (restore_step.c) and merged; the rule that stops a chain and
 * the verdict on the whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/restore_engine.h"
#include "base/guid.h"
#include "base/mem.h"

static const char *const location_names[] = {NULL, "original", "alternate", "new"};

const char *vss_restore_location_name(int location)
{
    if (location < VSS_RESTORE_LOCATION_ORIGINAL || location > VSS_RESTORE_LOCATION_NEW)
        return NULL;
    return location_names[location];
}

int vss_restore_location_parse(const char *name)
{
    for (int l = VSS_RESTORE_LOCATION_ORIGINAL; name != NULL && l <= VSS_RESTORE_LOCATION_NEW; l++)
        if (strcmp(name, location_names[l]) == 0)
            return l;
    return 0;
}

static int check_options(const vss_restore_options *o, vss_error *e)
{
    if (o->location < 0 || o->location > VSS_RESTORE_LOCATION_NEW)
        return vss_error_set(e, EINVAL, "restore: unknown location %d", o->location);
    /* Without location "new" they would be ignored and the files laid in
     * place, over the live ones: refused here, for every caller. */
    if (o->to != NULL && o->location != VSS_RESTORE_LOCATION_NEW)
        return vss_error_set(e, EINVAL, "restore: 'to' goes with location \"new\" only");
    if (o->nnew_targets > 0 && o->location != VSS_RESTORE_LOCATION_NEW)
        return vss_error_set(e, EINVAL, "restore: new targets go with location \"new\" only");
    if (o->to != NULL && o->to[0] != '/')
        return vss_error_set(e, EINVAL, "restore: 'to' must be an absolute path, not '%s'", o->to);
    for (size_t i = 0; i < o->nnew_targets; i++)
        if (o->new_targets[i].to == NULL || o->new_targets[i].to[0] != '/')
            return vss_error_set(e, EINVAL, "restore: new target %zu: 'to' must be an absolute path",
                                 i + 1);
    if (o->npaths > 0 && o->nselect > 0 && o->npick == 0)
        return vss_error_set(e, EINVAL, "restore: paths and components both given: restore by "
                                        "path or by component, not both (a path names its "
                                        "component already)");
    for (size_t i = 0; i < o->npaths; i++) {
        const char *p = o->paths[i];
        if (p == NULL || p[0] != '/' || vss_path_climbs(p) || strstr(p, "//") != NULL)
            return vss_error_set(e, EINVAL, "restore: path '%s' is no absolute path (without "
                                            "'..' or '//') of the backup", p ? p : "(null)");
    }
    return VSS_OK;
}

/* Restore by path: each path is held by the point in time (the last of
 * chain): some stored entry is it (a directory, when it ends in "/") or
 * lies beneath it, and no newer backup of the chain deleted or replaced
 * it. ENOENT naming the first that is not, before anything is written. */
static int check_paths(const vss_restore_options *o, vss_store_reader *rd,
                       const vss_store_info *chain, size_t nchain, vss_error *e)
{
    for (size_t p = 0; p < o->npaths; p++) {
        bool held = false, dir = rs_path_dir(o->paths[p]);
        for (size_t i = nchain; !held && i-- > 0;) {
            const vss_store_manifest *m;
            if (vss_store_reader_manifest(rd, chain[i].id, &m, e) != VSS_OK)
                return VSS_FAIL;
            for (size_t k = 0; !held && k < m->n; k++) {
                const vss_store_entry *en = &m->entries[k];
                bool exact;
                if (en->kind == VSS_STORE_ENTRY_DOCUMENT || en->kind == VSS_STORE_ENTRY_DELETED ||
                    !rs_path_match(o->paths[p], en->name, &exact) ||
                    (exact && dir && en->kind != VSS_STORE_ENTRY_DIRECTORY))
                    continue;
                held = true; /* unless a newer backup has its own word on it */
                for (size_t j = i + 1; held && j < nchain; j++)
                    held = vss_store_reader_find(rd, chain[j].id, VSS_STORE_ENTRY_FILE,
                                                 en->name) == NULL;
            }
        }
        if (!held)
            return vss_error_set(e, ENOENT, "restore: backup '%s' holds no '%s' (nothing restored)",
                                 chain[nchain - 1].id, o->paths[p]);
    }
    return VSS_OK;
}

/* why, its message after prefix (why may not be e). */
static int prefixed(vss_error *e, const vss_error *why, const char *prefix)
{
    vss_error_set(e, why->code, "%s%s", prefix, why->message);
    if (e != NULL)
        e->sys_errno = why->sys_errno;
    return VSS_FAIL;
}

static int latest(vss_store *st, const char *store_path, char id[VSS_STORE_ID_MAX], vss_error *e)
{
    vss_store_info *list;
    size_t n;
    if (vss_store_list(st, 0, &list, &n, e) != VSS_OK)
        return VSS_FAIL;
    int rc = n == 0 ? vss_error_set(e, ENOENT, "store '%s' holds no backup", store_path) : VSS_OK;
    if (rc == VSS_OK)
        memcpy(id, list[n - 1].id, VSS_STORE_ID_MAX);
    free(list);
    return rc;
}

/* ---- a step's documents ---- */

/* The step's BCD, parsed, with each of its writers' stored metadata
 * attached (the document named by the writer's instance id). */
static int load_bcd(vss_store_reader *rd, vss_restore_step *s, vss_error *e);
static int load_wms(vss_store_reader *rd, vss_restore_step *s, vss_error *e);

static int load_documents(vss_store_reader *rd, vss_restore_step *s, vss_error *e)
{
    if (load_bcd(rd, s, e) != VSS_OK)
        return VSS_FAIL;
    return load_wms(rd, s, e);
}

static int load_bcd(vss_store_reader *rd, vss_restore_step *s, vss_error *e)
{
    const char *id = s->backup;
    char *xml, prefix[VSS_STORE_ID_MAX + 300];
    size_t len;
    vss_error why;
    if (vss_store_reader_document(rd, id, VSS_STORE_COMPONENTS, &xml, &len, e) != VSS_OK)
        return VSS_FAIL;
    int rc = vss_bc_parse(xml, len, &s->bc, &why);
    free(xml);
    snprintf(prefix, sizeof prefix, "backup '%s': ", id);
    if (rc != VSS_OK)
        return prefixed(e, &why, prefix);
    return VSS_OK;
}

static int load_wms(vss_store_reader *rd, vss_restore_step *s, vss_error *e)
{
    const char *id = s->backup;
    char *xml, prefix[VSS_STORE_ID_MAX + 300];
    size_t len;
    vss_error why;
    int rc;
    size_t n = vss_bc_writer_count(s->bc);
    if ((s->wms = calloc(n + 1, sizeof *s->wms)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *iid = vss_bc_writer_at(s->bc, i)->instance_id;
        if (iid == NULL)
            return vss_error_set(e, VSS_ECORRUPT, "backup '%s': writer %s has no instance id", id,
                                 vss_bc_writer_at(s->bc, i)->writer_id);
        if (vss_store_reader_document(rd, id, iid, &xml, &len, e) != VSS_OK)
            return VSS_FAIL;
        rc = vss_wm_parse(xml, len, &s->wms[s->nwms], &why);
        free(xml);
        snprintf(prefix, sizeof prefix, "backup '%s': writer %.200s: ", id, iid);
        if (rc != VSS_OK)
            return prefixed(e, &why, prefix);
        if (vss_bc_add_writer_metadata(s->bc, s->wms[s->nwms++], e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

/* The live writers the step tells: not those whose stored metadata says
 * they want no restore events (writerRestore "never"). told has room for
 * nwriters. */
static size_t choose_told(const vss_restore_step *s, vss_writer *const *writers, size_t nwriters,
                          vss_writer **told)
{
    size_t n = 0;
    for (size_t i = 0; i < nwriters; i++) {
        const vss_wm_identity *id = vss_writer_identity(writers[i]);
        bool quiet = false;
        for (size_t k = 0; k < s->nwms && !quiet; k++) {
            const vss_wm_restore_method *m = vss_wm_get_restore_method(s->wms[k]);
            const vss_bc_writer *bw = vss_bc_writer_at(s->bc, k);
            quiet = m->present && m->writer_restore == VSS_WRE_NEVER &&
                    vss_wm_is_writer(id, bw->writer_id, bw->instance_id);
        }
        if (!quiet)
            told[n++] = writers[i];
    }
    return n;
}

/* ---- the chain ---- */

static bool left_out_status(int status)
{
    return status == VSS_RESTORE_FILE_FAILED || status == VSS_RESTORE_FILE_SKIPPED ||
           status == VSS_RESTORE_FILE_EXISTS;
}

/* A step that left a file out (failed, vetoed, not replaced, or put off
 * to a reboot because it could not be replaced) ends the chain there: a
 * later backup's partial files would be laid over what is in place, which
 * is not that file at that point in time. The first such file. */
static const vss_restore_file_result *left_out(const vss_restore_step *s)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        const vss_restore_file_result *f = &s->files[i];
        if (left_out_status(f->status) ||
            (f->status == VSS_RESTORE_FILE_AT_REBOOT && f->message != NULL))
            return f;
    }
    return NULL;
}

typedef struct chain_run {
    const vss_restore_options *o;
    vss_store_reader *rd;
    vss_writer *const *writers;
    size_t nwriters;
    vss_writer **told;
    const char **ids; /* the chain's, oldest first */
    vss_restore_result *r;
} chain_run;

/* ---- per-component bases ---- */

/* The documents of the backups before a one-pass step's last one. */
typedef struct older_docs {
    vss_restore_step *d; /* only backup, bc, wms used */
    vss_backup_components **bc;
    size_t n;
} older_docs;

static void older_free(older_docs *o)
{
    for (size_t j = 0; o->d != NULL && j < o->n; j++) {
        vss_bc_free(o->d[j].bc);
        for (size_t i = 0; i < o->d[j].nwms; i++)
            vss_wm_free(o->d[j].wms[i]);
        free(o->d[j].wms);
    }
    free(o->d);
    free(o->bc);
}

/* Does a newer older BCD than j, or the last one, hold this component? */
static bool held_later(const older_docs *o, const vss_backup_components *last, size_t j,
                       const vss_bc_writer *bw, const vss_bc_component *c)
{
    const vss_bc_writer *lw = vss_bc_find_writer(last, bw->writer_id, bw->instance_id);
    if (lw && vss_bc_writer_component(lw, c->logical_path, c->name))
        return true;
    for (size_t k = j + 1; k < o->n; k++) {
        const vss_bc_writer *ow = vss_bc_find_writer(o->bc[k], bw->writer_id, bw->instance_id);
        const vss_bc_component *oc = ow ? vss_bc_writer_component(ow, c->logical_path, c->name) : NULL;
        if (oc != NULL && oc->backup_succeeded)
            return true;
    }
    return false;
}

/* The BCDs of ids[0 .. n-1] (the step's backups but its last, whose BCD
 * is last); the writers' metadata only where a component the last BCD
 * lacks is laid as of that backup. */
static int load_older(chain_run *c, const char *const *ids, size_t n,
                      const vss_backup_components *last, older_docs *o, vss_error *e)
{
    o->n = n;
    if ((o->d = calloc(n + 1, sizeof *o->d)) == NULL ||
        (o->bc = calloc(n + 1, sizeof *o->bc)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) {
        o->d[j].backup = ids[j];
        if (load_bcd(c->rd, &o->d[j], e) != VSS_OK)
            return VSS_FAIL;
        o->bc[j] = o->d[j].bc;
    }
    for (size_t j = 0; j < n; j++) {
        bool needed = false;
        const vss_backup_components *bc = o->bc[j];
        for (size_t i = 0; i < vss_bc_writer_count(bc) && !needed; i++) {
            const vss_bc_writer *bw = vss_bc_writer_at(bc, i);
            for (size_t k = 0; k < bw->component_count && !needed; k++)
                needed = bw->components[k]->backup_succeeded &&
                         !held_later(o, last, j, bw, bw->components[k]);
        }
        if (needed && load_wms(c->rd, &o->d[j], e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int run_step(chain_run *c, size_t k, vss_error *e)
{
    vss_restore_step *s = &c->r->steps[k];
    if (load_documents(c->rd, s, e) != VSS_OK)
        return VSS_FAIL;
    /* chosen before on_step may take the documents; they live on */
    vss_backup_components *bc = s->bc;
    size_t ntold = choose_told(s, c->writers, c->nwriters, c->told);
    if (c->o->on_step != NULL && c->o->on_step(c->o->step_ud, s, e) != VSS_OK)
        return VSS_FAIL;
    vss_writers *ws = NULL;
    if (ntold > 0 && vss_writers_new(&ws, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = 0; i < ntold; i++)
        if (vss_writers_add(ws, c->told[i], e) != VSS_OK) {
            vss_writers_free(ws);
            return VSS_FAIL;
        }
    rs_plan plan = {.ids = c->ids + s->first, .nids = s->count,
                    .more_follow = k + 1 < c->r->nplanned, .continues = k > 0,
                    .select_checked = true};
    older_docs old = {0};
    int rc = VSS_OK;
    if (s->count > 1) {
        rc = load_older(c, plan.ids, s->count - 1, bc, &old, e);
        plan.older = old.bc;
    }
    if (rc == VSS_OK)
        rc = rs_run_step(ws, bc, c->rd, c->o, &plan, s, e);
    older_free(&old);
    vss_writers_free(ws); /* backup_shutdown */
    return rc;
}

typedef struct occurrence {
    const char *name;
    size_t step, index; /* steps[step].files[index] */
} occurrence;

typedef struct merged {
    size_t step, index; /* where the file first appeared */
    const vss_restore_file_result *last; /* what the last step made of it */
} merged;

static int cmp_size(size_t a, size_t b)
{
    return (a > b) - (a < b);
}

static int occurrence_cmp(const void *a, const void *b)
{
    const occurrence *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        c = cmp_size(x->step, y->step);
    return c != 0 ? c : cmp_size(x->index, y->index);
}

static int merged_cmp(const void *a, const void *b)
{
    const merged *x = a, *y = b;
    int c = cmp_size(x->step, y->step);
    return c != 0 ? c : cmp_size(x->index, y->index);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every component of the steps, each as the last step that had it left
 * it: a step leaves out a component that failed in its backup, which an
 * earlier step laid as of its last success. */
static int merge_components(vss_restore_result *r, vss_error *e)
{
    size_t total = 0;
    for (size_t k = 0; k < r->nsteps; k++)
        total += r->steps[k].ncomponents;
    if ((r->merged_ = calloc(total + 1, sizeof *r->merged_)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t k = 0; k < r->nsteps; k++)
        for (size_t i = 0; i < r->steps[k].ncomponents; i++) {
            const vss_restore_component_result *c = &r->steps[k].components[i];
            size_t j = 0;
            while (j < n && !(same_str(r->merged_[j].writer, c->writer) &&
                              same_str(r->merged_[j].logical_path, c->logical_path) &&
                              same_str(r->merged_[j].name, c->name)))
                j++;
            r->merged_[j] = *c; /* the strings stay the step's */
            if (j == n)
                n++;
        }
    r->components = r->merged_;
    r->ncomponents = n;
    return VSS_OK;
}

/* The outcome of the whole chain: each file as the last step that had it
 * left it, in the order the files first appeared. */
static int merge(vss_restore_result *r, vss_error *e)
{
    size_t total = 0;
    for (size_t k = 0; k < r->nsteps; k++) {
        const vss_restore_step *s = &r->steps[k];
        total += s->nfiles;
        r->bytes += s->bytes;
        r->size += s->size;
        r->reboot_required = r->reboot_required || s->reboot_required;
    }
    if (merge_components(r, e) != VSS_OK)
        return VSS_FAIL;
    occurrence *all = malloc((total + 1) * sizeof *all);
    merged *m = malloc((total + 1) * sizeof *m);
    r->files = calloc(total + 1, sizeof *r->files);
    if (all == NULL || m == NULL || r->files == NULL) {
        free(all);
        free(m);
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    size_t n = 0, nm = 0;
    for (size_t k = 0; k < r->nsteps; k++)
        for (size_t i = 0; i < r->steps[k].nfiles; i++)
            all[n++] = (occurrence){.name = r->steps[k].files[i].name, .step = k, .index = i};
    qsort(all, n, sizeof *all, occurrence_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(all[j].name, all[i].name) == 0)
            j++;
        m[nm++] = (merged){.step = all[i].step, .index = all[i].index,
                           .last = &r->steps[all[j - 1].step].files[all[j - 1].index]};
        i = j;
    }
    qsort(m, nm, sizeof *m, merged_cmp);
    for (size_t i = 0; i < nm; i++) {
        r->files[i] = *m[i].last;
        if (r->files[i].status == VSS_RESTORE_FILE_RESTORED)
            r->restored++;
        else if (left_out_status(r->files[i].status))
            r->failed++;
    }
    r->nfiles = nm;
    free(all);
    free(m);
    return VSS_OK;
}

static const char *why_of(const vss_restore_file_result *f)
{
    return f->message != NULL ? f->message : vss_restore_file_status_name(f->status);
}

/* EPARTIAL when files were left out, EPOSTRESTORE when all are back but
 * a writer could not finish its side (recovery). */
static int verdict(const vss_restore_result *r, vss_error *e)
{
    if (r->nsteps < r->nplanned) {
        const vss_restore_file_result *f = left_out(&r->steps[r->nsteps - 1]);
        return vss_error_set(e, VSS_EPARTIAL,
                             "restore of '%s' stopped at backup '%s' (%zu of %zu): '%s': %s; the "
                             "later backups build on it",
                             r->backup, r->stopped, r->nsteps, r->nplanned, f->name, why_of(f));
    }
    for (size_t i = 0; i < r->nfiles; i++)
        if (left_out_status(r->files[i].status))
            return vss_error_set(e, VSS_EPARTIAL, "restore of '%s': %zu of %zu files not restored; '%s': %s",
                                 r->backup, r->failed, r->nfiles, r->files[i].name,
                                 why_of(&r->files[i]));
    for (size_t i = 0; i < r->ncomponents; i++) {
        const vss_restore_component_result *c = &r->components[i];
        if (c->post_restore_failure != NULL)
            return vss_error_set(e, VSS_EPOSTRESTORE,
                                 "restore of '%s': writer '%s' failed post_restore for '%s': %s",
                                 r->backup, c->writer, c->name, c->post_restore_failure);
    }
    return VSS_OK;
}

static int restore_point(const char *store_path, vss_writer *const *writers, size_t nwriters,
                         const vss_restore_options *o, bool walk_back, vss_restore_result **out,
                         vss_error *e);

/* ---- components whose last success lies before the chain ---- */

static bool same_component(const vss_bc_writer *aw, const vss_bc_component *a,
                           const vss_bc_writer *bw, const vss_bc_component *b)
{
    return vss_guid_same(aw->writer_id, bw->writer_id) &&
           (aw->instance_id == NULL || bw->instance_id == NULL ||
            vss_guid_same(aw->instance_id, bw->instance_id)) &&
           same_str(a->logical_path && *a->logical_path ? a->logical_path : NULL,
                    b->logical_path && *b->logical_path ? b->logical_path : NULL) &&
           strcmp(a->name, b->name) == 0;
}

typedef struct bcd_list {
    vss_backup_components **v;
    size_t n;
} bcd_list;

static void bcd_list_free(bcd_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        vss_bc_free(l->v[i]);
    free(l->v);
}

static int bcd_load(vss_store_reader *rd, const char *id, bcd_list *l, vss_error *e)
{
    vss_backup_components **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    l->v = v;
    vss_restore_step tmp = {.backup = id};
    if (load_bcd(rd, &tmp, e) != VSS_OK)
        return VSS_FAIL;
    l->v[l->n++] = tmp.bc;
    return VSS_OK;
}

/* Does a BCD of l hold component c of writer w, succeeded? */
static bool held(const bcd_list *l, const vss_bc_writer *w, const vss_bc_component *c)
{
    for (size_t i = 0; i < l->n; i++)
        for (size_t k = 0; k < vss_bc_writer_count(l->v[i]); k++) {
            const vss_bc_writer *ow = vss_bc_writer_at(l->v[i], k);
            for (size_t j = 0; j < ow->component_count; j++)
                if (ow->components[j]->backup_succeeded &&
                    same_component(ow, ow->components[j], w, c))
                    return true;
        }
    return false;
}

/* select entry s names component c of writer w: by the component's
 * name, or the writer's id or instance id (its name is in its metadata,
 * not in the BCD). */
static bool names_in_bcd(const char *s, const vss_bc_writer *w, const vss_bc_component *c)
{
    return vss_guid_same(s, w->writer_id) || vss_guid_same(s, w->instance_id) ||
           vss_wm_names_component(s, c->logical_path, c->name);
}

/* Does a BCD of l name component c of writer w at all (failed or not)? */
static bool named_in(const bcd_list *l, const vss_bc_writer *w, const vss_bc_component *c)
{
    for (size_t i = 0; i < l->n; i++)
        for (size_t k = 0; k < vss_bc_writer_count(l->v[i]); k++) {
            const vss_bc_writer *ow = vss_bc_writer_at(l->v[i], k);
            for (size_t j = 0; j < ow->component_count; j++)
                if (same_component(ow, ow->components[j], w, c))
                    return true;
        }
    return false;
}

static bool wanted_by(const vss_restore_options *o, const vss_bc_writer *w,
                      const vss_bc_component *c)
{
    bool hit = o->nselect == 0;
    for (size_t i = 0; i < o->nselect && !hit; i++)
        hit = names_in_bcd(o->select[i], w, c);
    return hit;
}

/* Does s name a component that succeeded in bc, or its writer? */
static bool bcd_names(const vss_backup_components *bc, const char *s)
{
    for (size_t k = 0; k < vss_bc_writer_count(bc); k++) {
        const vss_bc_writer *w = vss_bc_writer_at(bc, k);
        for (size_t j = 0; j < w->component_count; j++)
            if (w->components[j]->backup_succeeded && names_in_bcd(s, w, w->components[j]))
                return true;
    }
    return false;
}

/* Does s name, by its name, a writer of backup id (bc its BCD)? */
static int wmd_names(vss_store_reader *rd, const char *id, const vss_backup_components *bc,
                     const char *s, bool *hit, vss_error *e)
{
    for (size_t k = 0; k < vss_bc_writer_count(bc) && !*hit; k++) {
        const char *iid = vss_bc_writer_at(bc, k)->instance_id;
        char *xml;
        size_t len;
        vss_writer_metadata *wm;
        if (iid == NULL)
            continue;
        if (vss_store_reader_document(rd, id, iid, &xml, &len, e) != VSS_OK)
            return VSS_FAIL;
        int rc = vss_wm_parse(xml, len, &wm, e);
        free(xml);
        if (rc != VSS_OK)
            return VSS_FAIL;
        *hit = vss_wm_names_writer(s, vss_wm_get_identity(wm));
        vss_wm_free(wm);
    }
    return VSS_OK;
}

/* Before any file is laid: each select entry names a component that
 * succeeded in a backup of the chain, or before its full (a component
 * that failed in the whole chain comes from there), or one of their
 * writers. A step then does not refuse an entry whose component failed
 * in that step's backup. */
static int check_select(const vss_restore_options *o, vss_store *st, const vss_store_info *chain,
                        size_t nchain, vss_error *e)
{
    if (o->nselect == 0)
        return VSS_OK;
    vss_store_reader *rd = NULL;
    vss_store_info *list = NULL;
    size_t n = 0;
    bcd_list bcds = {0};
    int rc = vss_store_reader_open(st, 0, &rd, e);
    for (size_t i = 0; rc == VSS_OK && i < nchain; i++)
        rc = bcd_load(rd, chain[i].id, &bcds, e);
    bool listed = false;
    for (size_t s = 0; rc == VSS_OK && s < o->nselect; s++) {
        const char *name = o->select[s];
        bool hit = false;
        for (size_t i = 0; i < bcds.n && !hit; i++)
            hit = bcd_names(bcds.v[i], name);
        for (size_t i = 0; rc == VSS_OK && i < nchain && !hit; i++)
            rc = wmd_names(rd, chain[i].id, bcds.v[i], name, &hit, e);
        if (rc == VSS_OK && !hit && !listed) { /* the backups before the chain */
            listed = true;
            rc = vss_store_list(st, 0, &list, &n, e);
            for (size_t i = 0; rc == VSS_OK && i < n && strcmp(list[i].id, chain[0].id) != 0; i++)
                if (list[i].type != VSS_BT_COPY)
                    rc = bcd_load(rd, list[i].id, &bcds, e);
        }
        for (size_t i = nchain; rc == VSS_OK && i < bcds.n && !hit; i++)
            hit = bcd_names(bcds.v[i], name);
        if (rc == VSS_OK && !hit)
            rc = vss_error_set(e, ENOENT,
                               "'%s' names no component that the backup holds and that succeeded",
                               name);
    }
    bcd_list_free(&bcds);
    free(list);
    vss_store_reader_free(rd);
    return rc;
}

/* Append what sub restored to r: its files (their component indexes
 * moved past r's), its components, its totals. r keeps sub. */
static int append_older(vss_restore_result *r, vss_restore_result *sub, vss_error *e)
{
    vss_restore_result **o = realloc(r->older_, (r->nolder_ + 1) * sizeof *o);
    if (o == NULL) {
        vss_restore_result_free(sub);
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    r->older_ = o;
    r->older_[r->nolder_++] = sub;
    vss_restore_file_result *f = realloc(r->files, (r->nfiles + sub->nfiles + 1) * sizeof *f);
    vss_restore_component_result *c =
        f ? realloc(r->merged_, (r->ncomponents + sub->ncomponents + 1) * sizeof *c) : NULL;
    if (f != NULL)
        r->files = f;
    if (c == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    r->merged_ = c;
    for (size_t i = 0; i < sub->nfiles; i++) {
        r->files[r->nfiles + i] = sub->files[i];
        r->files[r->nfiles + i].component += r->ncomponents;
    }
    memcpy(r->merged_ + r->ncomponents, sub->components, sub->ncomponents * sizeof *c);
    r->components = r->merged_;
    r->nfiles += sub->nfiles;
    r->ncomponents += sub->ncomponents;
    r->bytes += sub->bytes;
    r->size += sub->size;
    r->restored += sub->restored;
    r->failed += sub->failed;
    r->reboot_required = r->reboot_required || sub->reboot_required;
    return VSS_OK;
}

/* A component the chain names but that succeeded in none of its backups
 * (its writer failed in all of them) is restored as of its last success:
 * the newest backup before the chain's full in which it succeeded,
 * restored with its own chain (docs/model.md §1.5), that component alone
 * (vss_restore_pick). The backups before the chain are read only while
 * such a component is pending. */
static int walk_back(const char *store_path, vss_writer *const *writers, size_t nwriters,
                     const vss_restore_options *o, vss_store *st, vss_restore_result *r,
                     vss_error *e)
{
    vss_store_reader *rd = NULL;
    vss_store_info *list = NULL;
    size_t n = 0, first = SIZE_MAX;
    bcd_list chain = {0}, older = {0};
    vss_restore_pick *pick = NULL;
    size_t npick = 0;
    int rc = vss_store_reader_open(st, 0, &rd, e);
    if (rc == VSS_OK)
        rc = vss_store_list(st, 0, &list, &n, e);
    for (size_t i = 0; rc == VSS_OK && i < n; i++)
        if (strcmp(list[i].id, r->chain[0].id) == 0)
            first = i;
    for (size_t i = 0; rc == VSS_OK && i < r->nchain; i++)
        rc = bcd_load(rd, r->chain[i].id, &chain, e);
    /* pending: the components the chain names but holds no success of */
    size_t pending = 0;
    for (size_t i = 0; rc == VSS_OK && i < chain.n; i++)
        for (size_t k = 0; k < vss_bc_writer_count(chain.v[i]); k++) {
            const vss_bc_writer *w = vss_bc_writer_at(chain.v[i], k);
            bcd_list before = {.v = chain.v, .n = i}; /* each counted once */
            for (size_t j = 0; j < w->component_count; j++)
                pending += !held(&chain, w, w->components[j]) &&
                           !named_in(&before, w, w->components[j]);
        }
    /* newest first, before the chain's full; a copy keeps no history */
    for (size_t i = first; rc == VSS_OK && pending > 0 && first != SIZE_MAX && i-- > 0;) {
        if (list[i].type == VSS_BT_COPY)
            continue;
        if ((rc = bcd_load(rd, list[i].id, &older, e)) != VSS_OK)
            break;
        const vss_backup_components *bc = older.v[older.n - 1];
        for (size_t k = 0; k < vss_bc_writer_count(bc); k++) {
            const vss_bc_writer *w = vss_bc_writer_at(bc, k);
            for (size_t j = 0; j < w->component_count; j++) {
                const vss_bc_component *c = w->components[j];
                /* not if the chain has it, nor a newer backup than this one */
                bcd_list newer = {.v = older.v, .n = older.n - 1};
                if (!c->backup_succeeded || held(&chain, w, c) || held(&newer, w, c) ||
                    !named_in(&chain, w, c))
                    continue;
                pending--; /* its last success: taken when selected */
                if (!wanted_by(o, w, c))
                    continue;
                vss_restore_pick *v = realloc(pick, (npick + 1) * sizeof *v);
                if (v == NULL) {
                    rc = vss_error_set(e, ENOMEM, "out of memory");
                    break;
                }
                pick = v;
                pick[npick++] = (vss_restore_pick){.writer_id = w->writer_id,
                                                   .logical_path = c->logical_path,
                                                   .name = c->name};
            }
        }
        if (rc == VSS_OK && npick > 0) {
            vss_restore_options o2 = *o;
            o2.backup = list[i].id;
            o2.select = NULL;
            o2.nselect = 0;
            o2.pick = pick;
            o2.npick = npick;
            vss_restore_result *sub = NULL;
            vss_error why;
            int src = restore_point(store_path, writers, nwriters, &o2, false, &sub, &why);
            if (sub == NULL && src != VSS_OK) {
                rc = prefixed(e, &why, "restoring the last success of a component that failed "
                                       "in the whole chain: ");
            } else if (sub != NULL && append_older(r, sub, e) != VSS_OK) {
                rc = VSS_FAIL;
            }
        }
        npick = 0;
    }
    free(pick);
    bcd_list_free(&chain);
    bcd_list_free(&older);
    free(list);
    vss_store_reader_free(rd);
    return rc;
}

int vss_restore(const char *store_path, vss_writer *const *writers, size_t nwriters,
                const vss_restore_options *o, vss_restore_result **out, vss_error *e)
{
    return restore_point(store_path, writers, nwriters, o, true, out, e);
}

static int restore_point(const char *store_path, vss_writer *const *writers, size_t nwriters,
                         const vss_restore_options *o, bool walk, vss_restore_result **out,
                         vss_error *e)
{
    *out = NULL;
    if (check_options(o, e) != VSS_OK)
        return VSS_FAIL;
    vss_restore_result *r = calloc(1, sizeof *r);
    chain_run c = {.o = o, .writers = writers, .nwriters = nwriters, .r = r};
    vss_store *st = NULL;
    char id[VSS_STORE_ID_MAX];
    int rc = r == NULL ? vss_error_set(e, ENOMEM, "out of memory") : VSS_OK;
    if (rc == VSS_OK)
        rc = vss_store_open(store_path, 0, &st, e);
    if (rc == VSS_OK && o->backup == NULL)
        rc = latest(st, store_path, id, e);
    if (rc == VSS_OK)
        rc = vss_store_reader_open(st, 0, &c.rd, e);
    if (rc == VSS_OK)
        rc = vss_store_reader_chain(c.rd, o->backup ? o->backup : id, &r->chain, &r->nchain, e);
    if (rc == VSS_OK) {
        r->backup = r->chain[r->nchain - 1].id;
        /* With writers each backup is a step, so they see every one (docs/model.md §1);
         * without, the chain is laid in one pass. */
        r->nplanned = nwriters > 0 ? r->nchain : 1;
        r->steps = calloc(r->nplanned, sizeof *r->steps);
        c.ids = malloc(r->nchain * sizeof *c.ids);
        c.told = malloc((nwriters + 1) * sizeof *c.told);
        if (r->steps == NULL || c.ids == NULL || c.told == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == VSS_OK && i < r->nchain; i++)
        c.ids[i] = r->chain[i].id;
    if (rc == VSS_OK && walk)
        rc = check_select(o, st, r->chain, r->nchain, e);
    if (rc == VSS_OK && walk)
        rc = check_paths(o, c.rd, r->chain, r->nchain, e);
    for (size_t k = 0; rc == VSS_OK && k < r->nplanned; k++) {
        vss_restore_step *s = &r->steps[k];
        s->first = nwriters > 0 ? k : 0;
        s->count = nwriters > 0 ? 1 : r->nchain;
        s->backup = r->chain[s->first + s->count - 1].id;
        r->nsteps = k + 1;
        rc = run_step(&c, k, e);
        if (rc == VSS_OK && k + 1 < r->nplanned && left_out(s) != NULL) {
            r->stopped = s->backup;
            break;
        }
    }
    free(c.ids);
    free(c.told);
    vss_store_reader_free(c.rd);
    if (rc == VSS_OK)
        rc = merge(r, e);
    if (rc == VSS_OK && walk && r->stopped == NULL)
        rc = walk_back(store_path, writers, nwriters, o, st, r, e);
    vss_store_free(st);
    if (rc != VSS_OK) {
        vss_restore_result_free(r);
        return VSS_FAIL;
    }
    *out = r;
    return verdict(r, e);
}

void vss_restore_result_free(vss_restore_result *r)
{
    if (r == NULL)
        return;
    for (size_t k = 0; k < r->nplanned && r->steps != NULL; k++) {
        vss_restore_step *s = &r->steps[k];
        rs_step_clear(s);
        vss_bc_free(s->bc); /* before the metadata it points at */
        for (size_t i = 0; i < s->nwms; i++)
            vss_wm_free(s->wms[i]);
        free(s->wms);
    }
    free(r->steps);
    free(r->chain);
    free(r->files);
    free(r->merged_);
    for (size_t i = 0; i < r->nolder_; i++)
        vss_restore_result_free(r->older_[i]);
    free(r->older_);
    free(r);
}
