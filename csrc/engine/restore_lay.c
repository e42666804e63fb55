/* The files of a restore run: each backed-up file's layers collected from
 * the steps' manifests, then laid beneath its destination: a whole copy
 * into a new temporary, partial files' ranges at their offsets (over the
 * file in place, on a clone, when the run has no whole copy of it), the
 * ranges file a partial file named before its data, and directed targets
 * (docs/model.md §6.2) from a composed copy of the source. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/array.h"
#include "base/cancel.h"
#include "base/mem.h"
#include "files/fileset.h"
#include "engine/restore_engine.h"

/* ---- collecting ---- */

typedef struct hit {
    const char *name;
    size_t step, comp, set;
    const vss_store_entry *en;
} hit;

static int hit_cmp(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (x->step > y->step) - (x->step < y->step);
}

/* The component and file set a stored name belongs to; false when none
 * of the chosen ones. A file (symlink, fifo...) belongs where its set's
 * filespec matches it; a directory lies below a recursive set's path (the
 * walk reports every one); a deletion may be either. */
static bool owner_of(const rs_run *r, const char *name, vss_store_kind kind, size_t *comp,
                     size_t *set)
{
    const char *slash = strrchr(name, '/');
    if (slash == NULL || slash[1] == '\0')
        return false;
    char dir[4096];
    size_t n = slash == name ? 1 : (size_t)(slash - name);
    if (n >= sizeof dir)
        return false;
    memcpy(dir, name, n);
    dir[n] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0 && kind == VSS_STORE_ENTRY_DIRECTORY)
            continue;
        if (pass == 1 && kind != VSS_STORE_ENTRY_DIRECTORY && kind != VSS_STORE_ENTRY_DELETED)
            break;
        for (size_t c = 0; c < r->ncomps; c++)
            for (size_t k = 0; k < r->comps[c].nsets; k++) {
                const vss_filedesc *d = &r->comps[c].sets[k].d;
                if (pass == 0 ? vss_fileset_has_file(d, dir, slash + 1)
                              : d->recursive && (vss_path_within(dir, d->path) ||
                                                 (kind == VSS_STORE_ENTRY_DIRECTORY &&
                                                  strcmp(name, d->path) == 0))) {
                    *comp = c;
                    *set = k;
                    return true;
                }
            }
    }
    return false;
}

static int push_hit(hit **v, size_t *n, size_t *cap, const hit *h, vss_error *e)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        hit *g = realloc(*v, ncap * sizeof *g);
        if (g == NULL)
            return vss_error_set(e, ENOMEM, "out of memory");
        *v = g;
        *cap = ncap;
    }
    (*v)[(*n)++] = *h;
    return VSS_OK;
}

/* One file from its hits, in step order: a whole copy or a deletion
 * starts it afresh, partial files add to it. */
static int make_file(rs_file *f, const hit *h, size_t n, vss_error *e)
{
    *f = (rs_file){.name = h[0].name, .comp = h[n - 1].comp, .set = h[n - 1].set};
    if ((f->layers = malloc(n * sizeof *f->layers)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        vss_store_kind k = h[i].en->kind;
        if (k != VSS_STORE_ENTRY_PARTIAL) {
            f->nlayers = 0;
            f->deleted = k == VSS_STORE_ENTRY_DELETED;
        }
        if (k != VSS_STORE_ENTRY_DELETED)
            f->layers[f->nlayers++] = (rs_layer){.step = h[i].step, .en = h[i].en};
    }
    return VSS_OK;
}

/* Every component of the backup chosen: then an entry no chosen file set
 * owns is owned by none, and is malformed rather than another's. */
static bool all_chosen(const rs_run *r)
{
    size_t total = 0, chosen = 0;
    for (size_t i = 0; i < vss_bc_writer_count(r->bc); i++)
        total += vss_bc_writer_at(r->bc, i)->component_count;
    for (size_t c = 0; c < r->ncomps; c++)
        chosen += r->comps[c].bc == r->bc; /* not those from older BCDs */
    return chosen == total;
}

/* Why an entry that no chosen file set owns cannot be restored; NULL when
 * it may belong to a component not chosen. */
static const char *stray_reason(const rs_run *r, const vss_store_entry *en, bool every,
                                char *buf, size_t n)
{
    if (en->bad != NULL)
        return en->bad;
    if (!every)
        return NULL;
    for (size_t c = 0; c < r->ncomps; c++)
        for (size_t k = 0; k < r->comps[c].nsets; k++)
            if (strcmp(r->comps[c].sets[k].d.path, en->name) == 0) {
                snprintf(buf, n, "names the directory of a file set ('%s') itself, not a file in it",
                         en->name);
                return buf;
            }
    return "lies outside every file set of the backup's components";
}

int rs_paths_prune(rs_run *r, vss_error *e)
{
    if (r->o->npaths == 0 || r->ncomps == 0)
        return VSS_OK;
    bool *keep = calloc(r->ncomps, sizeof *keep);
    if (keep == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    for (size_t s = 0; s < r->nids; s++) {
        const vss_store_manifest *m;
        if (vss_store_reader_manifest(r->rd, r->ids[s], &m, e) != VSS_OK) {
            free(keep);
            return VSS_FAIL;
        }
        for (size_t i = 0; i < m->n; i++) {
            const vss_store_entry *en = &m->entries[i];
            size_t c, k;
            if (en->kind != VSS_STORE_ENTRY_DOCUMENT && rs_path_wanted(r->o, en->name) &&
                owner_of(r, en->name, en->kind, &c, &k))
                keep[c] = true;
        }
    }
    size_t n = 0;
    int rc = VSS_OK;
    for (size_t c = 0; c < r->ncomps; c++) {
        rs_component *rc_ = &r->comps[c];
        if (keep[c]) {
            r->comps[n++] = *rc_;
            continue;
        }
        if (rc == VSS_OK && rc_->bc == r->bc)
            rc = vss_bc_set_selected_for_restore(r->bc, rc_->bcc, false, e);
        for (size_t k = 0; k < rc_->nsets; k++) {
            vss_filedesc_clear(&rc_->sets[k].d);
            free(rc_->sets[k].root);
            free(rc_->sets[k].prefix);
        }
        free(rc_->sets);
    }
    r->ncomps = n;
    free(keep);
    return rc;
}

typedef struct stray {
    const char *name, *id;
    char *why;
} stray;

int rs_collect(rs_run *r, vss_error *e)
{
    hit *hits = NULL;
    size_t n = 0, cap = 0;
    stray *strays = NULL;
    size_t nstrays = 0, capstrays = 0;
    bool every = all_chosen(r);
    int rc = VSS_OK;
    for (size_t s = 0; rc == VSS_OK && s < r->nids; s++) {
        const vss_store_manifest *m;
        if ((rc = vss_store_reader_manifest(r->rd, r->ids[s], &m, e)) != VSS_OK)
            break;
        for (size_t i = 0; rc == VSS_OK && i < m->n; i++) {
            hit h = {.name = m->entries[i].name, .step = s, .en = &m->entries[i]};
            if (h.en->kind == VSS_STORE_ENTRY_DOCUMENT || !rs_path_wanted(r->o, h.name))
                continue;
            /* a store that names such a file was not written by a backup */
            if (h.name[0] != '/' || vss_path_climbs(h.name))
                rc = vss_error_set(e, VSS_ESCAPE, "backup '%s' names the file '%s', which is no absolute path without '..'; nothing restored",
                                   r->ids[s], h.name);
            else if (owner_of(r, h.name, h.en->kind, &h.comp, &h.set))
                rc = push_hit(&hits, &n, &cap, &h, e);
            else {
                /* not silently dropped: a failed file, named, with why */
                char buf[256];
                const char *why = stray_reason(r, h.en, every, buf, sizeof buf);
                if (why != NULL && VSS_GROW(strays, capstrays, nstrays, e) != VSS_OK)
                    rc = VSS_FAIL;
                else if (why != NULL &&
                         (strays[nstrays].why = vss_strdup_printf("backup '%s': '%s': %s",
                                                                  r->ids[s], h.name, why)) == NULL)
                    rc = vss_error_set(e, ENOMEM, "out of memory");
                else if (why != NULL)
                    strays[nstrays++].name = h.name;
            }
        }
    }
    if (rc == VSS_OK && n > 0) {
        qsort(hits, n, sizeof *hits, hit_cmp);
        if ((r->files = calloc(n, sizeof *r->files)) == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == VSS_OK && i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(hits[j].name, hits[i].name) == 0)
            j++;
        if ((rc = make_file(&r->files[r->nfiles], &hits[i], j - i, e)) == VSS_OK)
            r->nfiles++;
        i = j;
    }
    free(hits);
    if (rc != VSS_OK) {
        for (size_t i = 0; i < nstrays; i++)
            free(strays[i].why);
        free(strays);
        return VSS_FAIL;
    }
    /* one result per file, and room for directed targets naming none */
    size_t room = r->nfiles + nstrays + 1;
    for (size_t c = 0; c < r->ncomps; c++)
        room += r->comps[c].bcc->directed_target_count;
    vss_restore_step *res = r->res;
    if ((res->files = calloc(room, sizeof *res->files)) == NULL)
        rc = vss_error_set(e, ENOMEM, "out of memory");
    for (size_t i = 0; rc == VSS_OK && i < r->nfiles; i++) {
        rs_file *f = &r->files[i];
        f->result = res->nfiles++;
        res->files[f->result] = (vss_restore_file_result){.name = strdup(f->name),
                                                          .component = f->comp};
        if (res->files[f->result].name == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory");
        if (!f->deleted)
            r->comps[f->comp].total++;
    }
    if (rc != VSS_OK) {
        for (size_t i = 0; i < nstrays; i++)
            free(strays[i].why);
        free(strays);
        return VSS_FAIL;
    }
    /* entries no file set owns: failed files of no component */
    for (size_t i = 0; i < nstrays; i++) {
        res->files[res->nfiles++] = (vss_restore_file_result){
            .name = strdup(strays[i].name), .status = VSS_RESTORE_FILE_FAILED,
            .message = strays[i].why, .code = VSS_ECORRUPT, .component = VSS_RESTORE_NO_COMPONENT};
        res->failed++;
        strays[i].why = NULL;
    }
    free(strays);
    return VSS_OK;
}

/* ---- where a file goes ---- */

/* name relative to its set's directory */
static const char *rel_in_set(const rs_set *s, const char *name)
{
    size_t n = strlen(s->d.path);
    if (strcmp(name, s->d.path) == 0)
        return ""; /* the set's own directory */
    return strcmp(s->d.path, "/") == 0 ? name + 1 : name + n + 1;
}

/* prefix/rel beneath the set's root ("." for the root itself); malloc'd */
static char *dest_rel(const rs_set *s, const char *rel)
{
    size_t a = strlen(s->prefix), b = strlen(rel);
    char *p = malloc(a + b + 3);
    if (p != NULL && a + b == 0)
        strcpy(p, ".");
    else if (p != NULL)
        snprintf(p, a + b + 2, "%s%s%s", s->prefix, a && b ? "/" : "", rel);
    return p;
}

static char *absolute(const char *root, const char *rel)
{
    if (strcmp(rel, ".") == 0)
        return strdup(root);
    size_t a = strlen(root), b = strlen(rel);
    char *p = malloc(a + b + 2);
    if (p != NULL)
        snprintf(p, a + b + 2, "%s%s%s", root, strcmp(root, "/") == 0 ? "" : "/", rel);
    return p;
}

/* mkdir -p of an absolute directory (the destination root). */
static int make_dirs(const char *dir, vss_error *e)
{
    char *p = strdup(dir);
    if (p == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int err = errno;
            free(p);
            return vss_error_sys(e, err, "destination '%s': mkdir", dir);
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return VSS_OK;
}

static vss_dest *target_of(rs_run *r, const char *root, bool replace, vss_error *e)
{
    for (size_t i = 0; i < r->ntargets; i++)
        if (r->targets[i].replace == replace && strcmp(r->targets[i].root, root) == 0)
            return r->targets[i].t;
    rs_target *v = realloc(r->targets, (r->ntargets + 1) * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "out of memory"), NULL;
    r->targets = v;
    rs_target *t = &v[r->ntargets];
    *t = (rs_target){.root = strdup(root), .replace = replace};
    if (t->root == NULL)
        return vss_error_set(e, ENOMEM, "out of memory"), NULL;
    if (make_dirs(root, e) != VSS_OK ||
        vss_dest_open(root, replace ? VSS_DEST_REPLACE : 0, &t->t, e) != VSS_OK) {
        free(t->root);
        return NULL;
    }
    r->ntargets++;
    return t->t;
}

/* Remove what a restore killed in this directory left (once per run). */
static void sweep(rs_run *r, vss_dest *t, const char *rel)
{
    const char *slash = strrchr(rel, '/');
    int dl = slash ? (int)(slash - rel) : 0;
    const char *root = vss_dest_root(t);
    char *key = malloc(strlen(root) + (size_t)dl + 2);
    if (key == NULL)
        return;
    sprintf(key, "%s\n%.*s", root, dl, rel);
    for (size_t i = 0; i < r->nswept; i++)
        if (strcmp(r->swept[i], key) == 0) {
            free(key);
            return;
        }
    char **v = realloc(r->swept, (r->nswept + 1) * sizeof *v);
    if (v == NULL) {
        free(key);
        return;
    }
    r->swept = v;
    r->swept[r->nswept++] = key;
    vss_dest_sweep(t, strchr(key, '\n') + 1, NULL, NULL);
}

int rs_any_present(rs_run *r, size_t c, bool *present, vss_error *e)
{
    *present = false;
    for (size_t i = 0; i < r->nfiles && !*present; i++) {
        const rs_file *f = &r->files[i];
        if (f->comp != c || f->deleted || f->nlayers == 0 ||
            f->layers[0].en->kind > VSS_STORE_ENTRY_PARTIAL)
            continue; /* files only: a directory is there whenever anything is */
        const rs_set *s = &r->comps[c].sets[f->set];
        char *rel = dest_rel(s, rel_in_set(s, f->name));
        char *path = rel ? absolute(s->root, rel) : NULL;
        free(rel);
        if (path == NULL)
            return vss_error_set(e, ENOMEM, "out of memory");
        struct stat st;
        *present = lstat(path, &st) == 0;
        free(path);
    }
    return VSS_OK;
}

/* ---- laying ---- */

static int lay_layers(rs_run *r, const rs_file *f, int fd, unsigned flags, uint64_t *bytes,
                      vss_error *e)
{
    for (size_t i = 0; i < f->nlayers; i++) {
        const char *id = r->ids[f->layers[i].step];
        if (vss_store_reader_lay(r->rd, id, f->layers[i].en, fd, flags, e) != VSS_OK)
            return VSS_FAIL;
        *bytes += f->layers[i].en->stored;
    }
    return VSS_OK;
}

/* Prefix a system error of laying a file with its path at the destination
 * (the message says the side: "write to the destination", "store object
 * f3: read"). */
static void at_destination(vss_error *e, const char *root, const char *rel)
{
    char was[sizeof e->message];
    memcpy(was, e->message, sizeof was);
    int code = e->code, err = e->sys_errno;
    vss_error_set(e, code, "laying '%s%s%s': %s", root, strcmp(root, "/") == 0 ? "" : "/", rel,
                  was);
    e->sys_errno = err;
}

/* The attributes the newest layer recorded. */
static const vss_store_attrs *last_attrs(const rs_file *f)
{
    for (size_t i = f->nlayers; i-- > 0;)
        if (f->layers[i].en->attrs)
            return f->layers[i].en->attrs;
    return NULL;
}

static int push_index(size_t **v, size_t *n, size_t i, vss_error *e)
{
    size_t *g = realloc(*v, (*n + 1) * sizeof *g);
    if (g == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    g[(*n)++] = i;
    *v = g;
    return VSS_OK;
}

/* The recorded attributes as the destination takes them. */
static vss_dest_xattr *meta_of(const vss_store_attrs *a, vss_dest_meta *m, vss_error *e)
{
    vss_dest_xattr *x = malloc((a->nxattrs + 1) * sizeof *x);
    if (x == NULL)
        return vss_error_set(e, ENOMEM, "out of memory"), NULL;
    for (size_t i = 0; i < a->nxattrs; i++)
        x[i] = (vss_dest_xattr){a->xattrs[i].name, a->xattrs[i].value, a->xattrs[i].size};
    *m = (vss_dest_meta){.mode = a->mode, .uid = a->uid, .gid = a->gid, .atime = a->atime,
                         .mtime = a->mtime, .xattrs = x, .nxattrs = a->nxattrs,
                         .flags = a->flags};
    return x;
}

/* Give a the pending file out, or (out NULL) the existing entry rel of t
 * what (VSS_DEST_META_*). */
static int give_attrs(vss_dest_file *out, vss_dest *t, const char *rel,
                      const vss_store_attrs *a, unsigned what, unsigned *lost, vss_error *e)
{
    vss_dest_meta m;
    vss_dest_xattr *x = meta_of(a, &m, e);
    if (x == NULL)
        return VSS_FAIL;
    int rc = out ? vss_dest_file_meta(out, &m, lost, e)
                 : vss_dest_set_meta(t, rel, &m, what, lost, e);
    free(x);
    return rc;
}

/* Count a status in (d = 1) or out (d = -1) of the totals. */
static void count(rs_run *r, size_t comp, int status, int d)
{
    rs_component *c = &r->comps[comp];
    if (status == VSS_RESTORE_FILE_RESTORED) {
        c->restored += (size_t)d;
        r->res->restored += (size_t)d;
    } else if (status == VSS_RESTORE_FILE_FAILED) {
        c->failed += (size_t)d;
        r->res->failed += (size_t)d;
    }
}

/* A file's outcome; a directed source with several targets is restored
 * when all of them were laid, failed when one was not. */
static void set_result(rs_run *r, const rs_file *f, int status, const char *path,
                       const vss_error *why)
{
    vss_restore_file_result *o = &r->res->files[f->result];
    if (o->status == VSS_RESTORE_FILE_FAILED)
        return;
    count(r, f->comp, o->status, -1);
    count(r, f->comp, status, 1);
    o->status = status;
    free(o->path);
    o->path = path ? strdup(path) : NULL;
    free(o->message);
    o->message = why ? strdup(why->message) : NULL;
    o->code = why ? why->code : 0;
    if (status == VSS_RESTORE_FILE_RESTORED && why == NULL && (f->lost & VSS_DEST_LOST_OWNER)) {
        /* in place, but not all of it: said, not silent */
        o->message = strdup("restored, but not its owner: only root gives entries away");
        o->code = EPERM;
    }
    if (status == VSS_RESTORE_FILE_AT_REBOOT)
        r->res->reboot_required = true;
}

static bool cannot_replace(const vss_error *e)
{
    int n = e->sys_errno;
    return n == EACCES || n == EPERM || n == EBUSY || n == ETXTBSY || n == EROFS;
}

/* The partial file's entry in the component (for SetRangesFilePath). */
static long partial_index(rs_run *r, const vss_bc_component *c, const char *name)
{
    for (size_t i = 0; i < c->partial_file_count; i++) {
        char *dir;
        if (rs_resolve(r, c->partial_files[i].path, &dir, NULL) != VSS_OK)
            continue;
        char *full = absolute(dir, c->partial_files[i].filename);
        bool same = full && strcmp(full, name) == 0;
        free(dir);
        free(full);
        if (same)
            return (long)i;
    }
    return -1;
}

/* The ranges file the last partial layer named, laid before the data:
 * where it was when that lies in the set, else beside the data file;
 * the writer learns a new place through SetRangesFilePath. */
static int lay_ranges_file(rs_run *r, const rs_file *f, vss_error *e)
{
    const rs_layer *last = &f->layers[f->nlayers - 1];
    if (last->en->kind != VSS_STORE_ENTRY_PARTIAL || last->en->ranges_file == NULL)
        return VSS_OK;
    rs_component *c = &r->comps[f->comp];
    const rs_set *s = &c->sets[f->set];
    const char *rf = last->en->ranges_file;
    const char *slash = strrchr(rf, '/');
    char *dir = slash ? strndup(rf, slash == rf ? 1 : (size_t)(slash - rf)) : NULL;
    char *rel = NULL;
    if (dir && rf[0] == '/' && vss_path_within(dir, s->d.path)) {
        rel = dest_rel(s, rel_in_set(s, rf));
    } else {
        const char *data_rel = rel_in_set(s, f->name);
        const char *ds = strrchr(data_rel, '/');
        char *drel = malloc(strlen(data_rel) + strlen(slash ? slash + 1 : rf) + 2);
        if (drel != NULL)
            sprintf(drel, "%.*s%s%s", ds ? (int)(ds - data_rel) : 0, data_rel, ds ? "/" : "",
                    slash ? slash + 1 : rf);
        rel = drel ? dest_rel(s, drel) : NULL;
        free(drel);
    }
    free(dir);
    char *path = rel ? absolute(s->root, rel) : NULL;
    vss_dest *t = path ? target_of(r, s->root, true, e) : NULL;
    vss_dest_file *rfile = NULL;
    int rc = path == NULL ? vss_error_set(e, ENOMEM, "out of memory") : t ? VSS_OK : VSS_FAIL;
    if (rc == VSS_OK)
        rc = vss_dest_begin_file(t, rel, &rfile, e);
    if (rc == VSS_OK)
        rc = vss_store_reader_ranges_file(r->rd, r->ids[last->step], last->en,
                                          vss_dest_file_fd(rfile), e);
    if (rc == VSS_OK) {
        rc = vss_dest_file_commit(rfile, e);
        rfile = NULL;
    }
    vss_dest_file_abort(rfile);
    long idx = rc == VSS_OK && strcmp(path, rf) != 0 ? partial_index(r, c->bcc, f->name) : -1;
    if (idx >= 0)
        rc = vss_bc_set_ranges_file_path(c->bc, c->bcc, (size_t)idx, path, e);
    free(rel);
    free(path);
    return rc;
}

/* What became of a file laid (e NULL: it is in place at path). */
static void outcome(rs_run *r, const rs_file *f, const char *path, const vss_error *e)
{
    const rs_component *c = &r->comps[f->comp];
    int method = c->method->present ? c->method->method : VSS_RME_UNDEFINED;
    if (e == NULL)
        set_result(r, f, VSS_RESTORE_FILE_RESTORED, path, NULL);
    else if (e->code == EEXIST)
        set_result(r, f, VSS_RESTORE_FILE_EXISTS, NULL, e);
    else if (method == VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE && cannot_replace(e))
        set_result(r, f, VSS_RESTORE_FILE_AT_REBOOT, NULL, e);
    else
        set_result(r, f, VSS_RESTORE_FILE_FAILED, NULL, e);
}

static char *path_of(const rs_run *r, const rs_file *f)
{
    const rs_set *s = &r->comps[f->comp].sets[f->set];
    char *rel = dest_rel(s, rel_in_set(s, f->name));
    char *path = rel ? absolute(s->root, rel) : NULL;
    free(rel);
    return path;
}

static void committed(void *ud, void *tag, const vss_error *e)
{
    rs_run *r = ud;
    const rs_file *f = tag;
    char *path = e == NULL ? path_of(r, f) : NULL;
    outcome(r, f, path, e);
    free(path);
}

/* Up to this many files, directories (each held open) or bytes wait
 * for one durable commit: bounded descriptors, and bounded work lost to
 * a crash. */
#define BATCH_FILES 8192
#define BATCH_DIRS 256
#define BATCH_BYTES (256u << 20)

static int flush(rs_run *r, vss_error *e)
{
    if (vss_dest_batch_count(r->batch) == 0)
        return VSS_OK;
    return vss_dest_batch_commit(r->batch, committed, r, e);
}

/* One file laid into a temporary and handed to the batch: all or nothing.
 * VSS_FAIL only for what stops the run (out of memory, the batch unable
 * to sync); the file's own failures are its result. */
static int lay_file(rs_run *r, const rs_file *f, uint64_t *bytes, vss_error *run_e)
{
    rs_component *c = &r->comps[f->comp];
    const rs_set *s = &c->sets[f->set];
    char *rel = dest_rel(s, rel_in_set(s, f->name));
    vss_error e;
    vss_error_clear(&e);
    vss_dest *t = NULL;
    vss_dest_file *out = NULL;
    bool whole = f->layers[0].en->kind == VSS_STORE_ENTRY_FILE;
    int rc = rel ? VSS_OK : vss_error_set(&e, ENOMEM, "out of memory");
    if (rc == VSS_OK && (t = target_of(r, s->root, c->replace, &e)) == NULL)
        rc = VSS_FAIL;
    if (rc == VSS_OK) {
        sweep(r, t, rel);
        rc = lay_ranges_file(r, f, &e);
    }
    if (rc == VSS_OK && whole)
        rc = vss_dest_begin_file(t, rel, &out, &e);
    else if (rc == VSS_OK && !(r->continues && rs_laid_before(r, f->name)))
        /* what stands there is no point of this chain */
        rc = vss_error_set(&e, VSS_ECHAIN, "'%s': only partial copies in the backups laid, no whole one to lay them on",
                           f->name);
    else if (rc == VSS_OK && vss_dest_begin_update(t, rel, &out, &e) != VSS_OK) {
        rc = VSS_FAIL;
        if (e.sys_errno == ENOENT)
            vss_error_set(&e, ENOENT, "'%s/%s': partial file with nothing to lay it on: restore its chain from the full backup",
                          s->root, rel);
    }
    if (rc == VSS_OK &&
        (rc = lay_layers(r, f, vss_dest_file_fd(out), 0, bytes, &e)) != VSS_OK &&
        e.sys_errno != 0)
        at_destination(&e, s->root, rel);
    const vss_store_attrs *a = last_attrs(f);
    if (rc == VSS_OK && a != NULL)
        rc = give_attrs(out, NULL, NULL, a, 0, &((rs_file *)f)->lost, &e);
    if (rc == VSS_OK && a != NULL && a->flags != 0)
        rc = push_index(&r->flagged, &r->nflagged, (size_t)(f - r->files), &e);
    if (rc == VSS_OK) {
        r->res->size += f->layers[f->nlayers - 1].en->size;
        rc = vss_dest_batch_add(r->batch, out, (void *)f, &e);
        out = NULL;
    }
    vss_dest_file_abort(out);
    free(rel);
    if (rc != VSS_OK)
        outcome(r, f, NULL, &e);
    if (e.code == ENOMEM)
        return vss_error_set(run_e, ENOMEM, "out of memory");
    if (vss_cancel_check(run_e, "restore") != VSS_OK) /* a signal stops the run, not one file */
        return VSS_FAIL;
    if (vss_dest_batch_count(r->batch) >= BATCH_FILES ||
        vss_dest_batch_dirs(r->batch) >= BATCH_DIRS ||
        vss_dest_batch_bytes(r->batch) >= BATCH_BYTES)
        return flush(r, run_e);
    return VSS_OK;
}

static rs_file *file_named(rs_run *r, const char *name);

/* A directory (made now, its own metadata given at the end), a symlink,
 * fifo or device (made now, whole), or a hard link (at the end, once the
 * file it names is in place). Like lay_file, VSS_FAIL only for what stops
 * the run. */
static int lay_node(rs_run *r, rs_file *f, vss_error *run_e)
{
    rs_component *c = &r->comps[f->comp];
    const rs_set *s = &c->sets[f->set];
    const vss_store_entry *en = f->layers[0].en;
    size_t idx = (size_t)(f - r->files);
    if (en->kind == VSS_STORE_ENTRY_HARDLINK)
        return push_index(&r->links, &r->nlinks, idx, run_e);
    char *rel = dest_rel(s, rel_in_set(s, f->name));
    vss_error e;
    vss_error_clear(&e);
    vss_dest *t = NULL;
    int rc = rel ? VSS_OK : vss_error_set(&e, ENOMEM, "out of memory");
    if (rc == VSS_OK && (t = target_of(r, s->root, c->replace, &e)) == NULL)
        rc = VSS_FAIL;
    if (rc == VSS_OK && en->kind == VSS_STORE_ENTRY_DIRECTORY) {
        bool existed = false;
        rc = vss_dest_dir(t, rel, &existed, &e);
        /* not replacing: a directory there is used as it is (its content
         * is laid into it) and keeps its own metadata */
        if (rc == VSS_OK && !(existed && !c->replace))
            rc = push_index(&r->dirs, &r->ndirs, idx, &e);
    } else if (rc == VSS_OK) {
        sweep(r, t, rel);
        vss_dest_node n = {.type = en->attrs->mode & S_IFMT, .target = en->target,
                           .rdev = (dev_t)en->rdev};
        vss_dest_meta m;
        vss_dest_xattr *x = meta_of(en->attrs, &m, &e);
        rc = x ? vss_dest_node_make(t, rel, &n, &m, &f->lost, &e) : VSS_FAIL;
        free(x);
        r->nodes++;
    }
    char *path = rc == VSS_OK ? absolute(s->root, rel) : NULL;
    if (rc == VSS_OK)
        set_result(r, f, VSS_RESTORE_FILE_RESTORED, path, NULL);
    else
        outcome(r, f, NULL, &e);
    free(path);
    free(rel);
    if (e.code == ENOMEM)
        return vss_error_set(run_e, ENOMEM, "out of memory");
    return VSS_OK;
}

/* The hard links, once every file is in place: each names the entry its
 * backup stored the data with, which this run laid beneath the same
 * destination. */
static void lay_link(rs_run *r, rs_file *f)
{
    const vss_store_entry *en = f->layers[0].en;
    rs_component *c = &r->comps[f->comp];
    const rs_set *s = &c->sets[f->set];
    rs_file *to = file_named(r, en->target);
    vss_error e;
    vss_error_clear(&e);
    char *rel = dest_rel(s, rel_in_set(s, f->name)), *trel = NULL, *path = NULL;
    vss_dest *t = NULL;
    int rc = rel ? VSS_OK : vss_error_set(&e, ENOMEM, "out of memory");
    const rs_set *ts = to ? &r->comps[to->comp].sets[to->set] : NULL;
    if (rc == VSS_OK &&
        (to == NULL || r->res->files[to->result].status != VSS_RESTORE_FILE_RESTORED ||
         strcmp(ts->root, s->root) != 0))
        rc = vss_error_set(&e, ENOENT, "'%s': a hard link to '%s', which this restore did not lay beside it",
                           f->name, en->target);
    if (rc == VSS_OK && (trel = dest_rel(ts, rel_in_set(ts, to->name))) == NULL)
        rc = vss_error_set(&e, ENOMEM, "out of memory");
    if (rc == VSS_OK && (t = target_of(r, s->root, c->replace, &e)) == NULL)
        rc = VSS_FAIL;
    if (rc == VSS_OK) {
        sweep(r, t, rel);
        vss_dest_node n = {.type = 0, .link = trel};
        rc = vss_dest_node_make(t, rel, &n, NULL, NULL, &e);
    }
    if (rc == VSS_OK && (path = absolute(s->root, rel)) != NULL)
        set_result(r, f, VSS_RESTORE_FILE_RESTORED, path, NULL);
    else
        outcome(r, f, NULL, &e);
    free(path);
    free(rel);
    free(trel);
}

/* What is given last: hard links, then inode flags (an immutable file
 * takes no link), then each directory's own metadata, deepest first,
 * after everything in it (and directories gone at this point removed). */
static void lay_last(rs_run *r)
{
    for (size_t i = 0; i < r->nlinks; i++)
        lay_link(r, &r->files[r->links[i]]);
    for (size_t i = 0; i < r->nflagged; i++) {
        rs_file *f = &r->files[r->flagged[i]];
        if (r->res->files[f->result].status != VSS_RESTORE_FILE_RESTORED)
            continue;
        const rs_set *s = &r->comps[f->comp].sets[f->set];
        vss_error e;
        char *rel = dest_rel(s, rel_in_set(s, f->name));
        vss_dest *t = rel ? target_of(r, s->root, r->comps[f->comp].replace, &e) : NULL;
        if (t == NULL || give_attrs(NULL, t, rel, last_attrs(f), VSS_DEST_META_FLAGS, NULL, &e) != VSS_OK)
            set_result(r, f, VSS_RESTORE_FILE_FAILED, NULL, &e);
        free(rel);
    }
    /* names sorted: a directory's entries follow it, so backwards is deepest first */
    for (size_t i = r->nrmdirs; i-- > 0;) {
        rs_file *f = &r->files[r->rmdirs[i]];
        const rs_set *s = &r->comps[f->comp].sets[f->set];
        vss_error e;
        char *rel = dest_rel(s, rel_in_set(s, f->name));
        vss_dest *t = rel ? target_of(r, s->root, true, &e) : NULL;
        if (t == NULL || vss_dest_rmdir(t, rel, &e) != VSS_OK)
            set_result(r, f, VSS_RESTORE_FILE_FAILED, NULL, &e);
        free(rel);
    }
    for (size_t i = r->ndirs; i-- > 0;) {
        rs_file *f = &r->files[r->dirs[i]];
        if (r->res->files[f->result].status != VSS_RESTORE_FILE_RESTORED)
            continue;
        const rs_set *s = &r->comps[f->comp].sets[f->set];
        vss_error e;
        char *rel = dest_rel(s, rel_in_set(s, f->name));
        vss_dest *t = rel ? target_of(r, s->root, r->comps[f->comp].replace, &e) : NULL;
        if (t == NULL || give_attrs(NULL, t, rel, f->layers[0].en->attrs,
                                    VSS_DEST_META_ALL | VSS_DEST_META_FLAGS, &f->lost, &e) != VSS_OK)
            set_result(r, f, VSS_RESTORE_FILE_FAILED, NULL, &e);
        else if (f->lost)
            set_result(r, f, VSS_RESTORE_FILE_RESTORED, r->res->files[f->result].path, NULL);
        free(rel);
    }
    /* the entries made without a sync each, and the metadata given, made
     * durable: one syncfs per destination */
    if (r->nlinks + r->nflagged + r->ndirs + r->nrmdirs > 0 || r->nodes > 0)
        for (size_t i = 0; i < r->ntargets; i++)
            vss_dest_sync(r->targets[i].t, NULL);
}

/* ---- directed targets (§6.2) ---- */

static rs_file *file_named(rs_run *r, const char *name)
{
    size_t lo = 0, hi = r->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->files[mid].name, name);
        if (c == 0)
            return &r->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static char *doc_file(rs_run *r, const char *path, const char *filename, vss_error *e)
{
    char *dir;
    if (rs_resolve(r, path, &dir, e) != VSS_OK)
        return NULL;
    char *full = absolute(dir, filename);
    free(dir);
    if (full == NULL)
        vss_error_set(e, ENOMEM, "out of memory");
    return full;
}

/* dt's destination: beneath the directory of one of the component's sets */
static int directed_dest(const rs_component *c, const char *dst, const rs_set **set,
                         char **rel, vss_error *e)
{
    const char *slash = strrchr(dst, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash == dst ? 1 : (int)(slash - dst), dst);
    for (size_t k = 0; k < c->nsets; k++)
        if (vss_path_within(dir, c->sets[k].d.path)) {
            *set = &c->sets[k];
            *rel = dest_rel(*set, rel_in_set(*set, dst));
            return *rel ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
        }
    return vss_error_set(e, VSS_ESCAPE, "directed target '%s' lies outside the component's file sets",
                         dst);
}

/* A directed target whose source is no file of its component: a result
 * of its own (rs_collect left room). */
static void orphan_result(rs_run *r, rs_component *c, const char *name, const vss_error *why)
{
    vss_restore_file_result *o = &r->res->files[r->res->nfiles++];
    *o = (vss_restore_file_result){.name = strdup(name), .status = VSS_RESTORE_FILE_FAILED,
                                   .message = strdup(why->message),
                                   .component = (size_t)(c - r->comps)};
    o->code = why->code;
    c->failed++;
    c->total++;
    r->res->failed++;
}

static int lay_directed(rs_run *r, rs_component *c, const vss_bc_directed_target *dt,
                        uint64_t *bytes, vss_error *e)
{
    char *src = doc_file(r, dt->src_path, dt->src_filename, e);
    char *dst = src ? doc_file(r, dt->dst_path, dt->dst_filename, e) : NULL;
    rs_file *f = src ? file_named(r, src) : NULL;
    const rs_set *s = NULL;
    char *rel = NULL, *path = NULL;
    vss_ranges *sr = NULL, *dr = NULL;
    vss_range_copy *plan = NULL;
    size_t n = 0;
    vss_dest *t = NULL;
    int tmp = -1, rc = dst ? VSS_OK : VSS_FAIL;
    if (rc == VSS_OK && (f == NULL || &r->comps[f->comp] != c || f->nlayers == 0))
        rc = vss_error_set(e, ENOENT, "directed target: '%s' is not a file of component '%s' in this backup",
                           src, c->bcc->name);
    if (rc == VSS_OK)
        rc = directed_dest(c, dst, &s, &rel, e);
    if (rc == VSS_OK && (path = absolute(s->root, rel)) == NULL)
        rc = vss_error_set(e, ENOMEM, "out of memory");
    if (rc == VSS_OK && (vss_ranges_resolve(dt->src_ranges, 0, &sr, NULL, e) != VSS_OK ||
                         vss_ranges_resolve(dt->dst_ranges, 0, &dr, NULL, e) != VSS_OK ||
                         vss_ranges_map(sr, dr, &plan, &n, e) != VSS_OK))
        rc = VSS_FAIL;
    if (rc == VSS_OK && (t = target_of(r, s->root, true, e)) == NULL)
        rc = VSS_FAIL;
    /* the source composed (digests checked) in an unnamed file beside it */
    if (rc == VSS_OK && (tmp = open(vss_dest_root(t), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
        rc = vss_error_sys(e, errno, "'%s': temporary for the directed source", src);
    if (rc == VSS_OK)
        rc = lay_layers(r, f, tmp, 0, bytes, e);
    if (rc == VSS_OK) {
        sweep(r, t, rel);
        rc = vss_dest_apply_plan(t, rel, tmp, plan, n, e);
    }
    if (rc == VSS_OK)
        set_result(r, f, VSS_RESTORE_FILE_RESTORED, path, NULL);
    else if (f != NULL && &r->comps[f->comp] == c)
        set_result(r, f, VSS_RESTORE_FILE_FAILED, NULL, e);
    else
        orphan_result(r, c, src ? src : dt->src_filename, e);
    if (tmp >= 0)
        close(tmp);
    free(plan);
    vss_ranges_free(sr);
    vss_ranges_free(dr);
    free(src);
    free(dst);
    free(rel);
    free(path);
    return rc;
}

/* Mark the sources of a directed component's targets: they are laid
 * through the targets, not as themselves. */
static void mark_directed(rs_run *r)
{
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        if (c->skipped || c->target != VSS_RT_DIRECTED)
            continue;
        for (size_t k = 0; k < c->bcc->directed_target_count; k++) {
            const vss_bc_directed_target *dt = &c->bcc->directed_targets[k];
            char *src = doc_file(r, dt->src_path, dt->src_filename, NULL);
            rs_file *f = src ? file_named(r, src) : NULL;
            if (f != NULL && &r->comps[f->comp] == c)
                f->directed = true;
            free(src);
        }
    }
}

/* A file gone at this point in time. A run that continues a chain
 * removes it (an earlier run of this restore laid it); else what is in
 * its place is not ours to remove. */
static int unlay(rs_run *r, const rs_file *f)
{
    rs_component *c = &r->comps[f->comp];
    const rs_set *s = &c->sets[f->set];
    vss_error e;
    vss_error_clear(&e);
    char *rel = dest_rel(s, rel_in_set(s, f->name));
    vss_dest *t = rel && r->continues ? target_of(r, s->root, true, &e) : NULL;
    if (rel == NULL)
        return VSS_FAIL;
    if (t != NULL && vss_dest_remove(t, rel, &e) != VSS_OK && e.code == EISDIR) {
        /* a directory gone: removed at the end, once what was in it is */
        set_result(r, f, VSS_RESTORE_FILE_DELETED, NULL, NULL);
        free(rel);
        vss_error ne;
        return push_index(&r->rmdirs, &r->nrmdirs, (size_t)(f - r->files), &ne);
    } else if (t != NULL && e.code != 0) {
        set_result(r, f, VSS_RESTORE_FILE_FAILED, NULL, &e);
        c->total++; /* a failure to count, though no file to restore */
    } else {
        set_result(r, f, VSS_RESTORE_FILE_DELETED, NULL, NULL);
    }
    free(rel);
    return VSS_OK;
}

static int progress(rs_run *r, const char *name, uint64_t bytes, vss_error *e)
{
    r->p.files_done++;
    r->p.bytes_done += bytes;
    r->p.name = name;
    r->res->bytes += bytes;
    if (vss_cancel_check(e, "restore") != VSS_OK)
        return VSS_FAIL;
    if (r->o->progress && r->o->progress(r->o->progress_ud, &r->p) != 0)
        return vss_error_set(e, ECANCELED, "restore stopped by the progress callback");
    return VSS_OK;
}

int rs_lay_all(rs_run *r, vss_error *e)
{
    mark_directed(r);
    /* a directed source counts once per target */
    r->p = (vss_progress){0};
    for (size_t i = 0; i < r->nfiles; i++) {
        const rs_file *f = &r->files[i];
        if (!f->directed)
            r->p.files_total++;
        for (size_t k = 0; k < f->nlayers; k++)
            r->p.bytes_total += f->layers[k].en->stored;
    }
    for (size_t i = 0; i < r->ncomps; i++)
        if (!r->comps[i].skipped && r->comps[i].target == VSS_RT_DIRECTED)
            r->p.files_total += r->comps[i].bcc->directed_target_count;
    if (r->o->progress && r->o->progress(r->o->progress_ud, &r->p) != 0)
        return vss_error_set(e, ECANCELED, "restore stopped by the progress callback");
    for (size_t i = 0; i < r->nfiles; i++) {
        rs_file *f = &r->files[i];
        rs_component *c = &r->comps[f->comp];
        int method = c->method->present ? c->method->method : VSS_RME_UNDEFINED;
        uint64_t bytes = 0;
        if (f->directed)
            continue;
        int rc = VSS_OK;
        if (c->skipped)
            set_result(r, f, VSS_RESTORE_FILE_SKIPPED, NULL, NULL);
        else if (f->deleted)
            rc = unlay(r, f);
        else if (c->refused)
            set_result(r, f, VSS_RESTORE_FILE_EXISTS, NULL, NULL);
        else if (method == VSS_RME_RESTORE_AT_REBOOT)
            set_result(r, f, VSS_RESTORE_FILE_AT_REBOOT, NULL, NULL);
        else if (method == VSS_RME_CUSTOM)
            set_result(r, f, VSS_RESTORE_FILE_CUSTOM, NULL, NULL);
        else if (f->nlayers > 0 && f->layers[0].en->kind > VSS_STORE_ENTRY_DOCUMENT) {
            if (lay_node(r, f, e) != VSS_OK)
                return VSS_FAIL;
        } else if (lay_file(r, f, &bytes, e) != VSS_OK)
            return VSS_FAIL;
        if (rc != VSS_OK)
            return vss_error_set(e, ENOMEM, "out of memory");
        if (progress(r, f->name, bytes, e) != VSS_OK)
            return VSS_FAIL;
    }
    /* the whole files in place before directed targets and links lay onto them */
    if (flush(r, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = 0; i < r->ncomps; i++) {
        rs_component *c = &r->comps[i];
        if (c->skipped || c->target != VSS_RT_DIRECTED)
            continue;
        for (size_t k = 0; k < c->bcc->directed_target_count; k++) {
            uint64_t bytes = 0;
            vss_error de;
            if (lay_directed(r, c, &c->bcc->directed_targets[k], &bytes, &de) != VSS_OK &&
                de.code == ENOMEM)
                return vss_error_set(e, ENOMEM, "out of memory");
            if (progress(r, c->bcc->directed_targets[k].dst_filename, bytes, e) != VSS_OK)
                return VSS_FAIL;
        }
    }
    lay_last(r);
    return VSS_OK;
}
