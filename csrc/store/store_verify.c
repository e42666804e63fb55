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
        if (en->kind == VSS_STORE_ENTRY_DELETED)
            continue;
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
