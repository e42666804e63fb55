/* The requester's run: the events in VSS order, the snapshot set, the
 * data, the documents and the commit (docs/model.md §1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/backup_files.h"
#include "engine/backup_impl.h"
#include "files/fileset.h"
#include "files/walker.h"
#include "snapshot/snapshot.h"
#include "base/array.h"
#include "base/cancel.h"
#include "base/strbuf.h"
#include "documents/enums.h"

enum { PLAN_DATA, PLAN_NODE, PLAN_LINK };

typedef struct planned {
    char *name, *source;
    vss_ranges *ranges; /* partial file: only these; NULL: whole */
    char *ranges_file;
    uint64_t size;
    int what;             /* PLAN_DATA: file data; PLAN_NODE: a directory, symlink, fifo,
                             device; PLAN_LINK: a hard link to link */
    uint64_t dev, ino, nlink;
    const char *link;     /* PLAN_LINK: the name stored with the data (another entry's) */
    bool optional;        /* unchanged, but another name of its inode may be
                             taken: then it is taken too (hard links) */
    char *via;            /* optional, held as a hard link to this name: taken
                             unless that name is of its group now */
    uint64_t origin_ino;  /* what change detection compares next time (ident) */
    struct timespec origin_ctime;
} planned;

/* The inode and ctime change detection compares for a walked entry: its
 * own, unless it is read from a snapshot mirror (a copy or reflink: other
 * inodes, ctimes of the copy), where the original's lstat is used; when
 * the original changed after the snapshot, ctime 0 is recorded, so that
 * the next backup takes it. */
typedef struct ident {
    uint64_t ino;
    struct timespec ctime;
} ident;

typedef struct data_run {
    vss_backup_ctx *r;
    vss_snapshot_set *set;
    planned *plan;
    size_t nplan, cap;
    vss_backup_writer *bw; /* the file set being walked belongs to ... */
    vss_bc_component *bcc; /* ... this explicitly added component */
    /* for deletions: every file seen, and the sets walked (Linux paths) */
    char **walked;
    size_t nwalked, capwalked;
    vss_filedesc *sets;
    size_t nsets, capsets;
    vss_backup_result *res; /* for what is skipped */
    size_t skipcap;
    bool from_snapshot;     /* the set being walked is read from a snapshot */
    vss_store_tx *tx;       /* for the chain's view */
    vss_chain_view chain;   /* what the chain up to the base holds */
    bool chain_loaded;
} data_run;

/* Append one element of size sz to *v (count *n, capacity *cap). */
static void *push(void **v, size_t *n, size_t *cap, size_t sz)
{
    if (vss_grow(v, cap, *n, sz, NULL) != VSS_OK)
        return NULL;
    return (char *)*v + (*n)++ * sz;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (s != NULL) {
        memcpy(s, dir, a);
        s[a] = '/';
        memcpy(s + a + 1, name, b + 1);
    }
    return s;
}

static uint64_t filetime(const struct timespec *t)
{
    const int64_t epoch_delta = 11644473600; /* 1601-01-01 to 1970-01-01, seconds */
    if (t->tv_sec < -epoch_delta)
        return 0;
    return (uint64_t)(t->tv_sec + epoch_delta) * 10000000u + (uint64_t)t->tv_nsec / 100u;
}

/* ---- which file sets ---- */

typedef int (*fileset_fn)(data_run *d, const vss_filedesc *f, vss_error *e);

static int each_list(data_run *d, const vss_wm_files *l, fileset_fn fn, vss_error *e)
{
    uint32_t bit = vss_backup_required_bit(d->bw->type);
    for (size_t i = 0; i < l->count; i++)
        if ((l->items[i].d.backup_type_mask & bit) && fn(d, &l->items[i].d, e) != VSS_OK)
            return VSS_FAIL;
    return VSS_OK;
}

/* The file sets of every kept writer's components and their implicit
 * subcomponents whose *_BACKUP_REQUIRED bit this backup's type has. */
static int each_fileset(data_run *d, fileset_fn fn, vss_error *e)
{
    vss_backup_ctx *r = d->r;
    for (size_t i = 0; i < r->nw; i++) {
        vss_backup_writer *bw = &r->w[i];
        if (!bw->included || bw->skipped)
            continue;
        d->bw = bw;
        for (size_t k = 0; k < bw->entry->component_count; k++) {
            vss_bc_component *c = bw->entry->components[k];
            const vss_wm_component *set = vss_wm_find_component(bw->wm, c->logical_path, c->name);
            d->bcc = c;
            for (size_t j = 0, n = vss_wm_component_count(bw->wm); set && j < n; j++) {
                const vss_wm_component *m = vss_wm_component_at(bw->wm, j);
                if (!vss_wm_in_set(set, m))
                    continue;
                if (each_list(d, &m->files, fn, e) != VSS_OK ||
                    each_list(d, &m->database_files, fn, e) != VSS_OK ||
                    each_list(d, &m->log_files, fn, e) != VSS_OK)
                    return VSS_FAIL;
            }
        }
    }
    return VSS_OK;
}

/* ---- the snapshot set ---- */

static const char *read_dir(const vss_filedesc *f)
{
    return f->alternate_location ? f->alternate_location : f->path;
}

/* Add dir to the backup's snapshot set unless a snapshot already covers it
 * ("auto" lets the set choose the provider). */
static int set_add(vss_snapshot_set *s, const char *dir, const char *provider, vss_error *e)
{
    const vss_snapshot_set_info *info = vss_snapshot_set_describe(s);
    for (size_t i = 0; i < info->nsnapshots; i++)
        for (size_t j = 0; j < info->snapshots[i].nselection; j++)
            if (strcmp(info->snapshots[i].selection[j], dir) == 0)
                return VSS_OK;
    return vss_snapshot_set_add(s, dir, strcmp(provider, "auto") == 0 ? NULL : provider, true, e);
}

static int add_to_set(data_run *d, const vss_filedesc *f, vss_error *e)
{
    if (!(f->backup_type_mask & vss_backup_snapshot_bit(d->bw->type)))
        return VSS_OK; /* read live: "backup without a shadow copy" */
    char *dir;
    if (vss_backup_resolve(d->r, read_dir(f), &dir, e) != VSS_OK)
        return VSS_FAIL;
    int rc = set_add(d->set, dir, d->r->o->snapshot, e);
    free(dir);
    return rc;
}

/* ---- planning the data ---- */

static ident ident_of(const data_run *d, const vss_backup_file *f)
{
    ident id = {f->ino, f->ctime};
    struct stat st;
    if (!d->from_snapshot || strcmp(f->path, f->original) == 0)
        return id;
    if (lstat(f->original, &st) != 0)
        return (ident){0, {0, 0}};
    if ((uint64_t)st.st_ino == f->ino)
        return id; /* a snapshot that keeps inodes (btrfs, LVM): its own stat */
    id.ino = (uint64_t)st.st_ino;
    id.ctime = st.st_ctim;
    if ((st.st_mode & S_IFMT) != (f->mode & S_IFMT) || (uint64_t)st.st_size != f->size ||
        st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec)
        id.ctime = (struct timespec){0, 0};
    return id;
}

static int plan_add(data_run *d, const vss_backup_file *f, vss_ranges *ranges,
                    const char *ranges_file, vss_error *e)
{
    ident id = ident_of(d, f);
    planned *p = push((void **)&d->plan, &d->nplan, &d->cap, sizeof *p);
    if (p == NULL) {
        vss_ranges_free(ranges);
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    *p = (planned){.name = strdup(f->original), .source = strdup(f->path), .ranges = ranges,
                   .size = f->kind == VSS_ENTRY_FILE ? f->size : 0,
                   .what = f->kind == VSS_ENTRY_FILE ? PLAN_DATA : PLAN_NODE,
                   .dev = f->dev, .ino = f->ino, .nlink = f->nlink,
                   .origin_ino = id.ino, .origin_ctime = id.ctime};
    if (ranges_file != NULL)
        p->ranges_file = strdup(ranges_file);
    if (p->name == NULL || p->source == NULL || (ranges_file && p->ranges_file == NULL))
        return vss_error_set(e, ENOMEM, "out of memory");
    return VSS_OK;
}

/* 1 when f is one of the component's partial files (ranges set), 0 when
 * not, -1 on failure. */
static int partial_of(data_run *d, const vss_backup_file *f, vss_ranges **ranges,
                      const char **ranges_file, vss_error *e)
{
    const vss_bc_component *c = d->bcc;
    for (size_t i = 0; i < c->partial_file_count; i++) {
        const vss_bc_partial_file *pf = &c->partial_files[i];
        char *dir, *full;
        if (vss_backup_resolve(d->r, pf->path, &dir, e) != VSS_OK)
            return -1;
        full = join(dir, pf->filename);
        free(dir);
        if (full == NULL)
            return vss_error_set(e, ENOMEM, "out of memory"), -1;
        bool same = strcmp(full, f->original) == 0;
        free(full);
        if (!same)
            continue;
        if (vss_ranges_resolve(pf->ranges, 0, ranges, ranges_file, e) != VSS_OK)
            return -1;
        vss_ranges_normalize(*ranges);
        vss_ranges_clip(*ranges, f->size);
        return 1;
    }
    return 0;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The chain up to the backup's base, loaded when first needed. */
static const vss_store_entry *chain_find(data_run *d, const char *name, size_t *age,
                                         vss_error *e, int *rc)
{
    *rc = VSS_OK;
    if (!d->chain_loaded) {
        if (vss_backup_chain_open(d->r->store, vss_store_tx_info(d->tx)->base, &d->chain, e) !=
            VSS_OK) {
            *rc = VSS_FAIL;
            return NULL;
        }
        d->chain_loaded = true;
    }
    return vss_backup_chain_find(&d->chain, name, age);
}

/* Whether f differs from what the chain recorded for its path: not held,
 * or its size, mtime, ctime, inode, mode or owner differ (what restic and
 * borg compare). An inode of 0 was not recorded (older stores). A name
 * the chain holds as a hard link is taken again: the name its data is
 * stored under may be gone or another file by now (it is taken once: then
 * this backup holds its data). */
static bool changed(const data_run *d, const vss_backup_file *f, const vss_store_entry *en)
{
    if (en == NULL || en->kind != VSS_STORE_ENTRY_FILE || en->attrs == NULL || en->bad != NULL)
        return true;
    const vss_store_attrs *a = en->attrs;
    ident id = ident_of(d, f);
    return en->size != f->size || !same_time(&a->mtime, &f->mtime) ||
           !same_time(&a->ctime, &id.ctime) || (a->ino != 0 && a->ino != id.ino) ||
           a->mode != f->mode || a->uid != f->uid || a->gid != f->gid;
}

/* §6.4 for a differenced file set holding f: with a writer's time, f is
 * kept when newer than it, or when the chain does not hold its path (a
 * rename or a copy keeps an old mtime); with time 0 the requester decides:
 * kept when the chain does not hold it as it is now (changed). */
static int differenced_keep(data_run *d, const vss_backup_file *f, bool *keep,
                            const char **via, vss_error *e)
{
    *keep = true;
    *via = NULL;
    const vss_bc_component *c = d->bcc;
    const char *slash = strrchr(f->original, '/');
    char *fdir = strndup(f->original, (size_t)(slash - f->original));
    if (fdir == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    int rc = VSS_OK;
    for (size_t i = 0; rc == VSS_OK && i < c->differenced_file_count; i++) {
        const vss_bc_differenced_file *df = &c->differenced_files[i];
        vss_filedesc set = {.filespec = df->filespec, .recursive = df->recursive};
        if ((rc = vss_backup_resolve(d->r, df->path, &set.path, e)) != VSS_OK)
            break;
        if (vss_fileset_has_file(&set, fdir, slash + 1)) {
            size_t age = 0, tage = 1;
            const vss_store_entry *en = chain_find(d, f->original, &age, e, &rc);
            /* a hard link: compared with the data it links to, when the
             * chain's newest entry of that name is the one it linked to */
            const vss_store_entry *data = en;
            *via = NULL;
            if (rc == VSS_OK && en != NULL && en->kind == VSS_STORE_ENTRY_HARDLINK &&
                en->target != NULL) {
                data = chain_find(d, en->target, &tage, e, &rc);
                if (data == NULL || tage != age)
                    data = NULL;
                else
                    *via = en->target;
            }
            if (rc != VSS_OK) {
                free(set.path);
                break;
            }
            uint64_t since = df->last_modify_time;
            if (since != 0)
                *keep = filetime(&f->mtime) > since || en == NULL || (*via == NULL && en->kind == VSS_STORE_ENTRY_HARDLINK);
            else
                *keep = changed(d, f, data);
            if (*keep)
                *via = NULL;
        }
        free(set.path);
    }
    free(fdir);
    return rc;
}

static int plan_file(void *ud, const vss_backup_file *f, vss_error *e)
{
    data_run *d = ud;
    if (vss_cancel_check(e, "backup") != VSS_OK)
        return VSS_FAIL;
    char **seen = push((void **)&d->walked, &d->nwalked, &d->capwalked, sizeof *seen);
    if (seen == NULL || (*seen = strdup(f->original)) == NULL) {
        if (seen != NULL)
            d->nwalked--;
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    if (f->kind != VSS_ENTRY_FILE) {
        /* metadata only, recorded in every backup as it is at that point */
        if ((f->mode & S_IFMT) != S_IFSOCK)
            return plan_add(d, f, NULL, NULL, e);
        vss_backup_skip *k = push((void **)&d->res->skipped, &d->res->nskipped, &d->skipcap,
                                  sizeof *k);
        if (k == NULL || (k->name = strdup(f->original)) == NULL) {
            if (k != NULL)
                d->res->nskipped--;
            return vss_error_set(e, ENOMEM, "out of memory");
        }
        k->why = "socket";
        return VSS_OK;
    }
    vss_ranges *ranges = NULL;
    const char *ranges_file = NULL;
    int partial = partial_of(d, f, &ranges, &ranges_file, e);
    if (partial < 0)
        return VSS_FAIL;
    if (partial == 0) {
        bool keep;
        const char *via;
        if (differenced_keep(d, f, &keep, &via, e) != VSS_OK)
            return VSS_FAIL;
        if (!keep && f->nlink < 2)
            return VSS_OK;
        if (!keep) {
            if (plan_add(d, f, ranges, ranges_file, e) != VSS_OK)
                return VSS_FAIL;
            planned *p = &d->plan[d->nplan - 1];
            p->optional = true;
            if (via != NULL && (p->via = strdup(via)) == NULL)
                return vss_error_set(e, ENOMEM, "out of memory");
            return VSS_OK;
        }
    }
    return plan_add(d, f, ranges, ranges_file, e);
}

static int plan_fileset(data_run *d, const vss_filedesc *f, vss_error *e)
{
    vss_backup_ctx *r = d->r;
    char *snap = NULL;
    vss_walk_paths p = {0};
    /* The writer's excludes, and the files it excludes from the snapshot:
     * the snapshot set has no per-file exclusions, so they are left out
     * of the data instead (a snapshot still holds them). */
    const vss_wm_files *lists[2] = {vss_wm_exclude_files(d->bw->wm),
                                    vss_wm_exclude_files_from_snapshot(d->bw->wm)};
    vss_filedesc *excludes = malloc((lists[0]->count + lists[1]->count + 1) * sizeof *excludes);
    size_t nex = 0;
    int rc = excludes ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
    for (size_t l = 0; rc == VSS_OK && l < 2; l++)
        for (size_t i = 0; i < lists[l]->count; i++)
            excludes[nex++] = lists[l]->items[i].d;
    if (rc == VSS_OK)
        rc = vss_walk_paths_resolve(&p, r->o->root, f, excludes, nex, e);
    vss_filedesc *set = rc == VSS_OK ? push((void **)&d->sets, &d->nsets, &d->capsets,
                                            sizeof *set)
                                     : NULL;
    if (rc == VSS_OK && set == NULL)
        rc = vss_error_set(e, ENOMEM, "out of memory");
    else if (rc == VSS_OK)
        rc = vss_filedesc_init(set, p.original, f->filespec, f->recursive, NULL, 0, e);
    if (rc != VSS_OK && set != NULL)
        d->nsets--; /* init leaves nothing to free on failure */
    /* from the snapshot whenever one holds the set, never from the live file */
    if (rc == VSS_OK && d->set != NULL &&
        (f->backup_type_mask & vss_backup_snapshot_bit(d->bw->type)))
        rc = vss_snapshot_set_path(d->set, p.read, &snap, e);
    /* a recursive set's own directory is the set's too: its owner, mode,
     * times (after its content at restore) */
    struct stat st;
    if (rc == VSS_OK && f->recursive && strcmp(p.original, "/") != 0 &&
        lstat(snap ? snap : p.read, &st) == 0 && S_ISDIR(st.st_mode)) {
        vss_backup_file top = {.path = snap ? snap : p.read, .original = p.original,
                               .kind = VSS_ENTRY_DIRECTORY, .mode = (uint32_t)st.st_mode,
                               .mtime = st.st_mtim, .ino = (uint64_t)st.st_ino,
                               .ctime = st.st_ctim, .uid = (uint32_t)st.st_uid,
                               .gid = (uint32_t)st.st_gid};
        d->from_snapshot = snap != NULL;
        rc = plan_file(d, &top, e);
    }
    d->from_snapshot = snap != NULL;
    if (rc == VSS_OK)
        rc = vss_backup_walk(f, snap ? snap : p.read, p.original, p.excludes, p.exclude_count,
                             plan_file, d, e);
    vss_walk_paths_clear(&p);
    free(excludes);
    free(snap);
    return rc;
}

static void plan_free(data_run *d)
{
    for (size_t i = 0; i < d->nplan; i++) {
        free(d->plan[i].name);
        free(d->plan[i].via);
        free(d->plan[i].source);
        free(d->plan[i].ranges_file);
        vss_ranges_free(d->plan[i].ranges);
    }
    free(d->plan);
    for (size_t i = 0; i < d->nwalked; i++)
        free(d->walked[i]);
    free(d->walked);
    for (size_t i = 0; i < d->nsets; i++)
        vss_filedesc_clear(&d->sets[i]);
    free(d->sets);
    vss_backup_chain_close(&d->chain);
}

/* ---- writing ---- */

static int by_inode(const void *a, const void *b)
{
    const planned *x = *(planned *const *)a, *y = *(planned *const *)b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Hard links are stored once: of the whole files planned that share an
 * inode, the first planned keeps the data and the others become links to
 * its name. (A partial file keeps its own ranges.) */
static int plan_links(data_run *d, vss_error *e)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nplan; i++)
        n += d->plan[i].what == PLAN_DATA && d->plan[i].ranges == NULL &&
             d->plan[i].ranges_file == NULL && d->plan[i].nlink > 1;
    if (n < 2)
        return VSS_OK;
    planned **v = malloc(n * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    n = 0;
    for (size_t i = 0; i < d->nplan; i++)
        if (d->plan[i].what == PLAN_DATA && d->plan[i].ranges == NULL &&
            d->plan[i].ranges_file == NULL && d->plan[i].nlink > 1)
            v[n++] = &d->plan[i];
    qsort(v, n, sizeof *v, by_inode);
    for (size_t i = 1; i < n; i++) {
        size_t first = i - 1;
        while (first > 0 && v[first]->what == PLAN_LINK)
            first--;
        if (v[i]->dev == v[first]->dev && v[i]->ino == v[first]->ino &&
            strcmp(v[i]->name, v[first]->name) != 0) {
            v[i]->what = PLAN_LINK;
            v[i]->link = v[first]->name;
            v[i]->size = 0;
        }
    }
    free(v);
    return VSS_OK;
}

/* A hard-link group is taken whole or not at all: an unchanged name of an
 * inode another name of which is taken comes along (restored as a link
 * among the files restored together); a group of unchanged names stays
 * out. */
static int plan_groups(data_run *d, vss_error *e)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nplan; i++)
        n += d->plan[i].what == PLAN_DATA && d->plan[i].nlink > 1;
    if (n == 0)
        return VSS_OK;
    planned **v = malloc(n * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    n = 0;
    for (size_t i = 0; i < d->nplan; i++)
        if (d->plan[i].what == PLAN_DATA && d->plan[i].nlink > 1)
            v[n++] = &d->plan[i];
    qsort(v, n, sizeof *v, by_inode);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        bool needed = false;
        while (j < n && v[j]->dev == v[i]->dev && v[j]->ino == v[i]->ino)
            needed |= !v[j++]->optional;
        /* a name held as a link to a name no longer of its group */
        for (size_t k = i; k < j && !needed; k++) {
            bool found = v[k]->via == NULL;
            for (size_t m = i; m < j && !found; m++)
                found = strcmp(v[m]->name, v[k]->via) == 0;
            needed = !found;
        }
        for (size_t k = i; k < j; k++)
            v[k]->optional = !needed;
        i = j;
    }
    free(v);
    size_t k = 0;
    for (size_t i = 0; i < d->nplan; i++) {
        planned *p = &d->plan[i];
        free(p->via);
        p->via = NULL;
        if (p->optional) {
            free(p->name);
            free(p->source);
            free(p->ranges_file);
            vss_ranges_free(p->ranges);
        } else {
            d->plan[k++] = *p;
        }
    }
    d->nplan = k;
    return VSS_OK;
}

static int transfer(data_run *d, vss_store_tx *tx, vss_backup_result *res, vss_error *e)
{
    const vss_backup_options *o = d->r->o;
    if (plan_groups(d, e) != VSS_OK || plan_links(d, e) != VSS_OK)
        return VSS_FAIL;
    uint64_t stored0 = vss_store_tx_info(tx)->stored;
    vss_progress p = {.files_total = d->nplan};
    for (size_t i = 0; i < d->nplan; i++) {
        uint64_t n = d->plan[i].size;
        if (d->plan[i].ranges && vss_ranges_total(d->plan[i].ranges, &n, e) != VSS_OK)
            return VSS_FAIL;
        d->plan[i].size = n;
        p.bytes_total += n;
    }
    if (o->progress && o->progress(o->progress_ud, &p) != 0)
        return vss_error_set(e, ECANCELED, "backup stopped by the progress callback");
    for (size_t i = 0; i < d->nplan; i++) {
        planned *f = &d->plan[i];
        if (vss_cancel_check(e, "backup") != VSS_OK)
            return VSS_FAIL;
        int rc;
        if (f->what != PLAN_LINK)
            vss_store_tx_origin(tx, f->origin_ino, &f->origin_ctime);
        if (f->what == PLAN_LINK) {
            rc = vss_store_tx_add_hardlink(tx, f->name, f->link, e);
        } else if (f->what == PLAN_NODE) {
            /* overlapping file sets report a directory twice: it is one */
            vss_error ne;
            rc = vss_store_tx_add_node(tx, f->name, f->source, NULL, &ne);
            if (rc != VSS_OK && ne.code == EEXIST) {
                rc = VSS_OK;
                p.files_done--;
            } else if (rc != VSS_OK && e != NULL) {
                *e = ne;
            }
        } else {
            /* A partial file named by a ranges file: the store copies the ranges
             * of the very bytes it keeps (one read), not the ones planned with. */
            rc = vss_store_tx_add_file(tx, f->name, f->source, f->ranges_file ? NULL : f->ranges,
                                       f->ranges_file, VSS_STORE_ATTRS, e);
        }
        if (rc != VSS_OK)
            return VSS_FAIL;
        p.files_done++;
        p.bytes_done += f->size;
        p.name = f->name;
        if (o->progress && o->progress(o->progress_ud, &p) != 0)
            return vss_error_set(e, ECANCELED, "backup stopped by the progress callback");
    }
    res->files = p.files_done;
    res->size = p.bytes_done;
    res->bytes = vss_store_tx_info(tx)->stored - stored0;
    return VSS_OK;
}

static int add_documents(vss_backup_ctx *r, vss_store_tx *tx, vss_error *e)
{
    for (size_t i = 0; i < r->nw; i++) {
        vss_backup_writer *bw = &r->w[i];
        if (!bw->included)
            continue;
        for (size_t k = 0; k < bw->entry->component_count; k++)
            if (vss_bc_set_backup_succeeded(r->bc, bw->entry->components[k], !bw->skipped, e) !=
                VSS_OK)
                return VSS_FAIL;
        size_t len;
        char *xml = vss_wm_xml(bw->wm, &len, e);
        if (xml == NULL)
            return VSS_FAIL;
        /* the instance id names the document: the BCD's writer entry has it */
        int rc = vss_store_tx_add_document(tx, vss_wm_get_identity(bw->wm)->instance_id, xml,
                                           len, e);
        free(xml);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    size_t len;
    char *xml = vss_bc_xml(r->bc, &len, e);
    if (xml == NULL)
        return VSS_FAIL;
    int rc = vss_store_tx_add_document(tx, VSS_STORE_COMPONENTS, xml, len, e);
    free(xml);
    return rc;
}

/* ---- the events ---- */

/* After an event: the requester's decision about each writer that failed
 * (vss_writers_failed_policy). Fails when one it needs failed. */
static int decide(vss_backup_ctx *r, int rc, const vss_error *ev, vss_error *e)
{
    if (vss_cancel_check(e, "backup") != VSS_OK) /* a signal during the event */
        return VSS_FAIL;
    if (rc != VSS_OK && ev->code == VSS_BAD_STATE) {
        if (e != NULL)
            *e = *ev;
        return VSS_FAIL;
    }
    for (size_t i = 0; i < r->nw; i++) {
        vss_backup_writer *bw = &r->w[i];
        if (!bw->included)
            continue;
        int a = vss_writers_failed_policy(bw->w, bw->required);
        if (a == VSS_WA_KEEP)
            continue;
        bw->skipped = true;
        if (a == VSS_WA_FAIL) {
            const char *msg;
            int kind = vss_writer_failure(bw->w, &msg);
            return vss_error_set(e, vss_writer_error_code(kind), "writer '%s' failed: %s",
                                 vss_writer_identity(bw->w)->name, msg);
        }
    }
    return VSS_OK;
}

/* A backup that would hold nothing because writers failed (at identify
 * or later) is no backup: it fails, naming each writer and its failure,
 * with the first failed writer's code. Nothing failed, or something is
 * held: VSS_OK. */
static int held_nothing(const vss_backup_ctx *r, vss_error *e)
{
    bool held = false;
    size_t nfailed = 0;
    int code = 0;
    for (size_t i = 0; i < r->nw; i++) {
        const vss_backup_writer *bw = &r->w[i];
        if (bw->included && !bw->skipped && bw->entry != NULL && bw->entry->component_count > 0)
            held = true;
        const char *msg;
        if ((bw->wm == NULL || bw->skipped) && vss_writer_failure(bw->w, &msg) != VSS_WE_NONE)
            nfailed++;
    }
    if (held || nfailed == 0)
        return VSS_OK;
    vss_strbuf b = {0};
    vss_strbuf_str(&b, "backup holds nothing, nothing committed: ");
    size_t k = 0;
    for (size_t i = 0; i < r->nw; i++) {
        const vss_backup_writer *bw = &r->w[i];
        const char *msg;
        int kind = vss_writer_failure(bw->w, &msg);
        if ((bw->wm != NULL && !bw->skipped) || kind == VSS_WE_NONE)
            continue;
        if (code == 0)
            code = vss_writer_error_code(kind);
        /* "failed_at_freeze" reads "failed at freeze" */
        const char *state = vss_enum_name(&vss_enum_writer_state, vss_writer_state(bw->w));
        char how[64];
        snprintf(how, sizeof how, "%s", state ? state : "failed");
        for (char *u = how; *u; u++)
            *u = *u == '_' ? ' ' : *u;
        vss_strbuf_printf(&b, "%swriter '%s' %s: %s", k++ ? "; " : "",
                          vss_writer_identity(bw->w)->name, how, msg);
    }
    int rc = vss_error_set(e, code, "%s", b.oom ? "backup holds nothing: writers failed" : b.p);
    vss_strbuf_free(&b);
    return rc;
}

#define EVENT(call)                                                                   \
    do {                                                                              \
        vss_error ev_;                                                                \
        if (decide(&r, (call), &ev_, e) != VSS_OK)                                    \
            goto fail;                                                                \
    } while (0)

static int make_set(data_run *d, char id[VSS_GUID_BUFSIZE], vss_error *e)
{
    vss_snapshot_options so = {.attributes = VSS_CTX_BACKUP};
    if (vss_snapshot_set_new(&so, &d->set, e) != VSS_OK)
        return VSS_FAIL;
    const vss_guid *set_id = &vss_snapshot_set_describe(d->set)->id;
    vss_guid_format(set_id, VSS_GUID_BRACED, id);
    char bare[VSS_GUID_BUFSIZE]; /* the BCD writes GUIDs without braces */
    vss_guid_format(set_id, VSS_GUID_BARE, bare);
    if (vss_bc_set_snapshot_set_id(d->r->bc, bare, e) != VSS_OK)
        return VSS_FAIL;
    return each_fileset(d, add_to_set, e);
}

/* The store transaction. An incremental, differential or log backup with
 * no backup in the store to build on becomes a full one, as a VSS
 * requester does when it has no history (every writer then takes a full
 * backup; r->type says so). */
static int begin(vss_backup_ctx *r, vss_store_tx **tx, vss_error *e)
{
    vss_error first;
    if (vss_store_begin(r->store, r->type, NULL, 0, tx, &first) == VSS_OK)
        return VSS_OK;
    if (first.code != VSS_ECHAIN || r->type == VSS_BT_FULL || r->type == VSS_BT_COPY) {
        if (e != NULL)
            *e = first;
        return VSS_FAIL;
    }
    r->type = VSS_BT_FULL;
    return vss_store_begin(r->store, r->type, NULL, 0, tx, e);
}

static void fill_result(const vss_backup_ctx *r, vss_backup_result *res)
{
    for (size_t i = 0; res->writers && i < r->nw; i++)
        res->writers[i] = (vss_backup_writer_result){.writer = r->w[i].w,
                                                     .type = r->w[i].type,
                                                     .included = r->w[i].included,
                                                     .skipped = r->w[i].skipped};
}

int vss_backup_run(vss_writers *ws, vss_backup_components *bc, const char *store_path,
                   const vss_backup_options *o, vss_backup_result *res, vss_error *e)
{
    memset(res, 0, sizeof *res);
    res->type = o->type;
    vss_backup_ctx r = {.o = o, .ws = ws, .bc = bc, .type = o->type,
                        .nw = vss_writers_count(ws)};
    data_run d = {.r = &r, .res = res};
    vss_store_tx *tx = NULL;
    bool identified = false, abortable = false;
    char set_id[VSS_GUID_BUFSIZE] = "";
    if ((r.w = calloc(r.nw + 1, sizeof *r.w)) == NULL ||
        (res->writers = calloc(r.nw + 1, sizeof *res->writers)) == NULL) {
        vss_error_set(e, ENOMEM, "out of memory");
        goto fail;
    }
    res->nwriters = r.nw;
    for (size_t i = 0; i < r.nw; i++)
        r.w[i].w = vss_writers_at(ws, i);
    if (vss_store_open(store_path, VSS_STORE_CREATE, &r.store, e) != VSS_OK ||
        begin(&r, &tx, e) != VSS_OK ||
        vss_bc_set_backup_state(bc, true, o->bootable_system_state, r.type,
                                o->partial_file_support, e) != VSS_OK)
        goto fail;
    res->type = r.type;
    identified = true;
    EVENT(vss_writers_identify(ws, &ev_));
    if (vss_backup_select(&r, e) != VSS_OK || held_nothing(&r, e) != VSS_OK ||
        vss_backup_carry_stamps(&r, e) != VSS_OK)
        goto fail;
    abortable = true;
    EVENT(vss_writers_prepare_backup(ws, bc, &ev_));
    if (o->snapshot != NULL) {
        if (make_set(&d, set_id, e) != VSS_OK)
            goto fail;
    }
    EVENT(vss_writers_prepare_snapshot(ws, &ev_));
    EVENT(vss_writers_freeze(ws, &ev_));
    if (vss_cancel_check(e, "backup") != VSS_OK ||
        (d.set != NULL && vss_snapshot_set_take(d.set, e) != VSS_OK))
        goto fail;
    EVENT(vss_writers_thaw(ws, &ev_));
    EVENT(vss_writers_post_snapshot(ws, bc, &ev_));
    abortable = false;
    if (held_nothing(&r, e) != VSS_OK)
        goto fail;
    d.tx = tx;
    if (each_fileset(&d, plan_fileset, e) != VSS_OK || transfer(&d, tx, res, e) != VSS_OK)
        goto fail;
    if ((r.type == VSS_BT_INCREMENTAL || r.type == VSS_BT_DIFFERENTIAL) &&
        vss_backup_record_deleted(r.store, tx, d.walked, d.nwalked, d.sets, d.nsets, e) != VSS_OK)
        goto fail;
    if (add_documents(&r, tx, e) != VSS_OK || vss_cancel_check(e, "backup") != VSS_OK)
        goto fail;
    int committed = vss_store_tx_commit(tx, res->id, e);
    vss_store_tx_free(tx); /* done either way; frees the lock */
    tx = NULL;
    if (committed != VSS_OK)
        goto fail;
    /* the data is safe: what fails from here on keeps its components */
    vss_writers_backup_complete(ws, bc, NULL);
    vss_writers_backup_shutdown(ws, set_id[0] ? set_id : NULL, NULL);
    fill_result(&r, res);
    plan_free(&d);
    vss_snapshot_set_free(d.set);
    vss_store_free(r.store);
    free(r.w);
    return VSS_OK;
fail:
    if (abortable)
        vss_writers_abort(ws, NULL);
    if (identified)
        vss_writers_backup_shutdown(ws, set_id[0] ? set_id : NULL, NULL);
    fill_result(&r, res);
    vss_store_tx_free(tx);
    plan_free(&d);
    vss_snapshot_set_free(d.set);
    vss_store_free(r.store);
    free(r.w);
    return VSS_FAIL;
}

void vss_backup_result_clear(vss_backup_result *r)
{
    free(r->writers);
    for (size_t i = 0; i < r->nskipped; i++)
        free(r->skipped[i].name);
    free(r->skipped);
    memset(r, 0, sizeof *r);
}
