/* Verify: re-read everything of a backup and say exactly what is
 * damaged. It holds the read lock for its duration, so only a delete
 * waits for it. */
#include "store/store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fileio.h"
#include "documents/metadata.h"
#include "files/fileset.h"
#include "files/pathmap.h"

typedef struct verifier {
    vss_store_report *r;
    const char *id;
    const char *name;
    int oom;
} verifier;

static void problem(verifier *v, const char *what, const vss_digest *expected,
                    const vss_digest *actual, const char *message)
{
    vss_store_report *r = v->r;
    vss_store_problem *np = realloc(r->problems, (r->nproblems + 1) * sizeof *np);
    if (np == NULL) {
        v->oom = 1;
        return;
    }
    r->problems = np;
    vss_store_problem *p = &np[r->nproblems++];
    memset(p, 0, sizeof *p);
    snprintf(p->backup, sizeof p->backup, "%s", v->id);
    p->name = v->name ? strdup(v->name) : NULL;
    p->what = strdup(what);
    if (expected)
        vss_digest_hex(expected, p->expected);
    if (actual)
        vss_digest_hex(actual, p->actual);
    char text[1024];
    if (expected && actual)
        snprintf(text, sizeof text, "backup '%s': %s%s%s%s: expected %s, actual %s", v->id,
                 v->name ? "'" : "", v->name ? v->name : "", v->name ? "': " : "", what,
                 p->expected, p->actual);
    else if (expected)
        snprintf(text, sizeof text, "backup '%s': %s%s%s%s: digest is not %s", v->id,
                 v->name ? "'" : "", v->name ? v->name : "", v->name ? "': " : "", what,
                 p->expected);
    else
        snprintf(text, sizeof text, "backup '%s': %s%s%s%s%s%s", v->id, v->name ? "'" : "",
                 v->name ? v->name : "", v->name ? "': " : "", what, message ? ": " : "",
                 message ? message : "");
    p->message = strdup(text);
}

static void on_damage(void *ctx, const char *what, const vss_digest *expected,
                      const vss_digest *actual)
{
    problem(ctx, what, expected, actual, NULL);
}

static void verify_ranges_file(verifier *v, vss_store *s, store_copy *c, const vss_store_entry *en)
{
    vss_store_entry doc = {0};
    doc.kind = VSS_STORE_ENTRY_DOCUMENT;
    memcpy(doc.object, en->ranges_object, sizeof doc.object);
    doc.size = doc.stored = en->ranges_size;
    doc.digest = en->ranges_digest;
    vss_error e;
    int damaged, fd = store_open_object(s, v->id, doc.object, &e);
    if (fd < 0) {
        problem(v, "ranges file object missing", NULL, NULL, e.message);
        return;
    }
    if (store_read_entry(c, fd, &doc, -1, NULL, NULL, &damaged, &e) != VSS_OK)
        problem(v, "ranges file unreadable", NULL, NULL, e.message);
    else if (damaged)
        problem(v, "ranges file", NULL, NULL, "damaged (digest or size)");
    close(fd);
}

/* A sound document's bytes (checked); NULL when it cannot be read. */
static char *read_document(vss_store *s, store_copy *c, const char *id, const vss_store_entry *en,
                           size_t *len)
{
    vss_error e;
    int fd = store_open_object(s, id, en->object, &e);
    if (fd < 0)
        return NULL;
    int tmp = memfd_create("vss-verify-doc", MFD_CLOEXEC), damaged = 1;
    char *p = NULL;
    if (tmp >= 0 && store_read_entry(c, fd, en, tmp, NULL, NULL, &damaged, &e) == VSS_OK &&
        !damaged && (p = malloc(en->size + 1)) != NULL) {
        if (pread(tmp, p, en->size, 0) != (ssize_t)en->size) {
            free(p);
            p = NULL;
        } else {
            p[en->size] = '\0';
            *len = en->size;
        }
    }
    if (tmp >= 0)
        close(tmp);
    close(fd);
    return p;
}

typedef struct sets {
    vss_filedesc *v;
    size_t n, cap;
} sets;

static void sets_free(sets *f)
{
    for (size_t i = 0; i < f->n; i++)
        vss_filedesc_clear(&f->v[i]);
    free(f->v);
}

/* The file sets of every component of the writers' documents, in Linux
 * form; -1 when one cannot be told without a path map (Windows forms)
 * or read. */
static int add_sets(sets *f, const vss_wm_files *l)
{
    for (size_t i = 0; i < l->count; i++) {
        const vss_filedesc *d = &l->items[i].d;
        char *path;
        if (vss_document_path(NULL, d->path, &path, NULL) != VSS_OK)
            return -1;
        vss_filedesc *v = f->n < f->cap ? f->v : realloc(f->v, (f->cap = f->cap * 2 + 8) * sizeof *v);
        if (v == NULL) {
            free(path);
            return -1;
        }
        f->v = v;
        int rc = vss_filedesc_init(&v[f->n], path, d->filespec, d->recursive, NULL, 0, NULL);
        free(path);
        if (rc != VSS_OK)
            return -1;
        f->n++;
    }
    return 0;
}

static int writers_sets(vss_store *s, store_copy *c, const char *id, const vss_store_manifest *m,
                        sets *f)
{
    for (const vss_store_entry *en = vss_store_manifest_writer_metadata(m, NULL); en != NULL;
         en = vss_store_manifest_writer_metadata(m, en)) {
        if (en->bad != NULL)
            return -1;
        size_t len;
        char *xml = read_document(s, c, id, en, &len);
        vss_writer_metadata *wm = NULL;
        int rc = xml != NULL && vss_wm_parse(xml, len, &wm, NULL) == VSS_OK ? 0 : -1;
        free(xml);
        for (size_t j = 0; rc == 0 && j < vss_wm_component_count(wm); j++) {
            const vss_wm_component *wc = vss_wm_component_at(wm, j);
            if (add_sets(f, &wc->files) != 0 || add_sets(f, &wc->database_files) != 0 ||
                add_sets(f, &wc->log_files) != 0)
                rc = -1;
        }
        vss_wm_free(wm);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* In a backup that a backup wrote (a Backup Components Document and
 * writer metadata documents), every
 * file entry belongs to a file set of its writers' documents: one that
 * lies outside every set, or names a set's directory itself, is a
 * problem (a restore fails it). Skipped when the documents cannot be
 * read, or name their paths in Windows form (that needs a path map). */
static void verify_owners(verifier *v, vss_store *s, store_copy *c, const vss_store_manifest *m)
{
    if (vss_store_manifest_find(m, VSS_STORE_ENTRY_DOCUMENT, VSS_STORE_COMPONENTS) == NULL ||
        vss_store_manifest_writer_metadata(m, NULL) == NULL)
        return;
    sets f = {0};
    if (writers_sets(s, c, v->id, m, &f) != 0) {
        sets_free(&f);
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const vss_store_entry *en = &m->entries[i];
        if (en->kind == VSS_STORE_ENTRY_DOCUMENT || en->bad != NULL)
            continue;
        const char *slash = strrchr(en->name, '/');
        char dir[4096];
        size_t dn = slash == en->name ? 1 : (size_t)(slash - en->name);
        if (slash == NULL || dn >= sizeof dir)
            continue;
        memcpy(dir, en->name, dn);
        dir[dn] = '\0';
        bool owned = false, is_dir = false;
        /* a directory belongs to a recursive set it lies in, or is its own
         * directory (the walk reports them all); a deletion may be either */
        bool dirlike = en->kind == VSS_STORE_ENTRY_DIRECTORY || en->kind == VSS_STORE_ENTRY_DELETED;
        for (size_t k = 0; k < f.n && !owned; k++) {
            owned = (en->kind != VSS_STORE_ENTRY_DIRECTORY &&
                     vss_fileset_has_file(&f.v[k], dir, slash + 1)) ||
                    (dirlike && f.v[k].recursive &&
                     (vss_path_within(dir, f.v[k].path) || strcmp(f.v[k].path, en->name) == 0));
            is_dir = is_dir || strcmp(f.v[k].path, en->name) == 0;
        }
        if (owned)
            continue;
        v->name = en->name;
        problem(v, "entry", NULL, NULL,
                is_dir ? "names the directory of a file set itself, not a file in it"
                       : "lies outside every file set of the backup's writers");
    }
    v->name = NULL;
    sets_free(&f);
}

/* The chain backup info stands on, each base present: a missing one is
 * a problem of the backup (it cannot be restored). */
static void verify_chain(verifier *v, const vss_store_info *info, const vss_store_info *list,
                         size_t n)
{
    const vss_store_info *b = info;
    for (size_t len = 0; b->base[0] != '\0'; len++) {
        const vss_store_info *base = NULL;
        for (size_t i = 0; i < n && base == NULL; i++)
            if (strcmp(list[i].id, b->base) == 0)
                base = &list[i];
        char text[256];
        if (base == NULL) {
            snprintf(text, sizeof text, "backup '%s' builds on '%s', which is not in the store",
                     b->id, b->base);
            problem(v, "chain", NULL, NULL, text);
            return;
        }
        if (len > n) {
            problem(v, "chain", NULL, NULL, "its chain loops");
            return;
        }
        b = base;
    }
}

static void verify_backup(verifier *v, vss_store *s, store_copy *c, const vss_store_info *list,
                          size_t n)
{
    vss_store_manifest *m;
    vss_error e;
    v->name = NULL;
    if (store_manifest_read(s, v->id, &m, &e) != VSS_OK) {
        problem(v, "manifest", NULL, NULL, e.message);
        return;
    }
    v->r->backups++;
    verify_chain(v, &m->info, list, n);
    for (size_t i = 0; i < m->n; i++) {
        const vss_store_entry *en = &m->entries[i];
        v->name = en->name;
        if (en->bad != NULL) { /* named without opening its object */
            problem(v, "entry", NULL, NULL, en->bad);
            continue;
        }
        if (en->kind == VSS_STORE_ENTRY_DELETED || en->object[0] == '\0')
            continue; /* no data: a deletion, a directory, symlink, fifo, device, hard link */
        v->r->files++;
        int fd = store_open_object(s, v->id, en->object, &e), damaged;
        if (fd < 0) {
            problem(v, "missing object", NULL, NULL, e.message);
            continue;
        }
        if (store_read_entry(c, fd, en, -1, on_damage, v, &damaged, &e) != VSS_OK)
            problem(v, "unreadable object", NULL, NULL, e.message);
        v->r->bytes += en->stored;
        close(fd);
        if (en->ranges_file)
            verify_ranges_file(v, s, c, en);
    }
    v->name = NULL;
    verify_owners(v, s, c, m);
    vss_store_manifest_free(m);
}

int vss_store_verify(vss_store *s, const char *id, unsigned flags, vss_store_report **out,
                     vss_error *e)
{
    if (id && store_check_id(id, e) != VSS_OK)
        return VSS_FAIL;
    int lock;
    if (store_lock(s, STORE_READ_LOCK, LOCK_SH, flags, &lock, e) != VSS_OK)
        return VSS_FAIL;
    vss_store_info *list = NULL;
    size_t n = 0;
    store_copy c = {0};
    vss_store_report *r = calloc(1, sizeof *r);
    int rc = r ? VSS_OK : vss_error_set(e, ENOMEM, "verify: out of memory");
    if (rc == VSS_OK)
        rc = store_list_unlocked(s, &list, &n, e);
    if (rc == VSS_OK)
        rc = store_copy_init(&c, e);
    int found = id == NULL;
    verifier v = {r, NULL, NULL, 0};
    for (size_t i = 0; rc == VSS_OK && i < n; i++) {
        if (id && strcmp(list[i].id, id) != 0)
            continue;
        found = 1;
        v.id = list[i].id;
        verify_backup(&v, s, &c, list, n);
    }
    if (rc == VSS_OK && !found)
        rc = vss_error_set(e, ENOENT, "no backup '%s' in the store", id);
    if (rc == VSS_OK && v.oom)
        rc = vss_error_set(e, ENOMEM, "verify: out of memory");
    store_copy_fini(&c);
    free(list);
    store_unlock(lock);
    if (rc != VSS_OK) {
        vss_store_report_free(r);
        return VSS_FAIL;
    }
    *out = r;
    return VSS_OK;
}

void vss_store_report_free(vss_store_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nproblems; i++) {
        free(r->problems[i].name);
        free(r->problems[i].what);
        free(r->problems[i].message);
    }
    free(r->problems);
    free(r);
}
