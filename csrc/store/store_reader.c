/* Reading a backup back: a reader session holds the read lock and the
 * manifests it has parsed, so a restore of many files parses each
 * manifest once and finds entries by binary search. Extract and document
 * are one-call sessions over it. Every byte laid is digest-checked on
 * the way (store_read_entry). */
#include "store/store_impl.h"
#include "base/array.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct cached {
    char id[VSS_STORE_ID_MAX];
    vss_store_manifest *m;
    const vss_store_entry **by_name; /* sorted by name, then kind */
} cached;

struct vss_store_reader {
    vss_store *s;
    int lock;
    store_copy c;
    vss_store_info *list; /* committed backups, for chains */
    size_t nlist;
    cached *manifests;
    size_t nmanifests, capmanifests;
};

int vss_store_reader_open(vss_store *s, unsigned flags, vss_store_reader **out, vss_error *e)
{
    vss_store_reader *rd = calloc(1, sizeof *rd);
    if (rd == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    rd->s = s;
    if (store_lock(s, STORE_READ_LOCK, LOCK_SH, flags, &rd->lock, e) != VSS_OK) {
        free(rd);
        return VSS_FAIL;
    }
    if (store_copy_init(&rd->c, e) != VSS_OK ||
        store_list_unlocked(s, &rd->list, &rd->nlist, e) != VSS_OK) {
        vss_store_reader_free(rd);
        return VSS_FAIL;
    }
    *out = rd;
    return VSS_OK;
}

void vss_store_reader_free(vss_store_reader *rd)
{
    if (rd == NULL)
        return;
    for (size_t i = 0; i < rd->nmanifests; i++) {
        vss_store_manifest_free(rd->manifests[i].m);
        free(rd->manifests[i].by_name);
    }
    free(rd->manifests);
    free(rd->list);
    store_copy_fini(&rd->c);
    store_unlock(rd->lock);
    free(rd);
}

static const vss_store_info *info_of(const vss_store_reader *rd, const char *id)
{
    for (size_t i = 0; i < rd->nlist; i++)
        if (strcmp(rd->list[i].id, id) == 0)
            return &rd->list[i];
    return NULL;
}

int vss_store_reader_chain(vss_store_reader *rd, const char *id, vss_store_info **out, size_t *n,
                           vss_error *e)
{
    const vss_store_info *at = info_of(rd, id);
    if (at == NULL)
        return vss_error_set(e, ENOENT, "no backup '%s' in the store", id);
    size_t len = 1;
    /* a chain cannot be longer than the store; a loop would be damage */
    for (const vss_store_info *b = at; b->base[0] != '\0'; len++) {
        const vss_store_info *base = info_of(rd, b->base);
        if (base == NULL)
            return vss_error_set(e, VSS_ECHAIN, "backup '%s' builds on '%s', which is not in the store",
                                 b->id, b->base);
        if (len > rd->nlist)
            return vss_error_set(e, VSS_ECORRUPT, "backup '%s': its chain loops", id);
        b = base;
    }
    vss_store_info *v = malloc(len * sizeof *v);
    if (v == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    size_t i = len;
    for (const vss_store_info *b = at; i > 0; b = info_of(rd, b->base))
        v[--i] = *b;
    *out = v;
    *n = len;
    return VSS_OK;
}

static int by_name_cmp(const void *a, const void *b)
{
    const vss_store_entry *x = *(const vss_store_entry *const *)a;
    const vss_store_entry *y = *(const vss_store_entry *const *)b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (int)x->kind - (int)y->kind;
}

static cached *manifest_of(vss_store_reader *rd, const char *id, vss_error *e)
{
    for (size_t i = 0; i < rd->nmanifests; i++)
        if (strcmp(rd->manifests[i].id, id) == 0)
            return &rd->manifests[i];
    if (VSS_GROW(rd->manifests, rd->capmanifests, rd->nmanifests, e) != VSS_OK)
        return NULL;
    cached *c = &rd->manifests[rd->nmanifests];
    memset(c, 0, sizeof *c);
    if (store_manifest_read(rd->s, id, &c->m, e) != VSS_OK)
        return NULL;
    c->by_name = malloc((c->m->n + 1) * sizeof *c->by_name);
    if (c->by_name == NULL) {
        vss_store_manifest_free(c->m);
        return vss_error_set(e, ENOMEM, "out of memory"), NULL;
    }
    for (size_t i = 0; i < c->m->n; i++)
        c->by_name[i] = &c->m->entries[i];
    qsort(c->by_name, c->m->n, sizeof *c->by_name, by_name_cmp);
    snprintf(c->id, sizeof c->id, "%s", id);
    rd->nmanifests++;
    return c;
}

int vss_store_reader_manifest(vss_store_reader *rd, const char *id,
                              const vss_store_manifest **out, vss_error *e)
{
    cached *c = manifest_of(rd, id, e);
    if (c == NULL)
        return VSS_FAIL;
    *out = c->m;
    return VSS_OK;
}

static bool file_kind(vss_store_kind k)
{
    return k != VSS_STORE_ENTRY_DOCUMENT;
}

const vss_store_entry *vss_store_reader_find(vss_store_reader *rd, const char *id,
                                             vss_store_kind kind, const char *name)
{
    cached *c = manifest_of(rd, id, NULL);
    if (c == NULL)
        return NULL;
    size_t lo = 0, hi = c->m->n;
    while (lo < hi) { /* the first entry not below name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->by_name[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < c->m->n && strcmp(c->by_name[lo]->name, name) == 0; lo++) {
        vss_store_kind k = c->by_name[lo]->kind;
        if (k == kind || (file_kind(kind) && file_kind(k)))
            return c->by_name[lo];
    }
    return NULL;
}

typedef struct first_damage {
    char what[128];
    char expected[VSS_DIGEST_HEX], actual[VSS_DIGEST_HEX];
} first_damage;

static void keep_first(void *ctx, const char *what, const vss_digest *expected,
                       const vss_digest *actual)
{
    first_damage *f = ctx;
    if (f->what[0])
        return;
    snprintf(f->what, sizeof f->what, "%s", what);
    if (expected)
        vss_digest_hex(expected, f->expected);
    if (actual)
        vss_digest_hex(actual, f->actual);
}

/* Read one entry (or a kept ranges file, given as a document entry) to
 * dst_fd, naming the first damage. */
static int read_checked(vss_store_reader *rd, const char *id, const vss_store_entry *en,
                        const char *what, int dst_fd, vss_error *e)
{
    if (en->bad != NULL) /* before the object is even opened */
        return vss_error_set(e, VSS_ECORRUPT, "backup '%s': '%s': %s", id, what, en->bad);
    int obj = store_open_object(rd->s, id, en->object, e);
    if (obj < 0)
        return VSS_FAIL;
    int damaged = 0;
    first_damage f = {{0}, {0}, {0}};
    int rc = store_read_entry(&rd->c, obj, en, dst_fd, keep_first, &f, &damaged, e);
    close(obj);
    if (rc != VSS_OK || !damaged)
        return rc;
    if (f.expected[0])
        return vss_error_set(e, VSS_ECORRUPT,
                             "backup '%s': '%s': %s damaged: digest is not %s", id, what, f.what,
                             f.expected);
    return vss_error_set(e, VSS_ECORRUPT, "backup '%s': '%s': %s", id, what, f.what);
}

/* sized: a partial entry leaves the file at its size at backup time;
 * extract leaves it where its last range ends (store:read's contract). */
static int lay(vss_store_reader *rd, const char *id, const vss_store_entry *en, int dst_fd,
               unsigned flags, bool sized, vss_error *e)
{
    if (en->bad != NULL)
        return vss_error_set(e, VSS_ECORRUPT, "backup '%s': '%s': %s", id, en->name, en->bad);
    if (en->kind == VSS_STORE_ENTRY_DELETED)
        return vss_error_set(e, ENOENT, "backup '%s': '%s' was deleted", id, en->name);
    if (en->object[0] == '\0')
        return vss_error_set(e, EINVAL, "backup '%s': '%s' is a %s, not file data", id, en->name,
                             vss_store_kind_name(en->kind));
    if (read_checked(rd, id, en, en->name, dst_fd, e) != VSS_OK)
        return VSS_FAIL;
    if (sized && en->kind == VSS_STORE_ENTRY_PARTIAL && ftruncate(dst_fd, (off_t)en->size) != 0)
        return vss_error_sys(e, errno, "'%s': set the size", en->name);
    if (en->attrs && (flags & VSS_STORE_ATTRS))
        return store_apply_attrs(dst_fd, en->attrs, en->name, e);
    return VSS_OK;
}

int vss_store_reader_lay(vss_store_reader *rd, const char *id, const vss_store_entry *en,
                         int dst_fd, unsigned flags, vss_error *e)
{
    return lay(rd, id, en, dst_fd, flags, true, e);
}

int vss_store_reader_ranges_file(vss_store_reader *rd, const char *id, const vss_store_entry *en,
                                 int dst_fd, vss_error *e)
{
    if (en->ranges_file == NULL)
        return vss_error_set(e, ENOENT, "backup '%s': '%s' kept no ranges file", id, en->name);
    vss_store_entry doc = {.kind = VSS_STORE_ENTRY_DOCUMENT, .size = en->ranges_size,
                           .stored = en->ranges_size, .digest = en->ranges_digest};
    memcpy(doc.object, en->ranges_object, sizeof doc.object);
    if (ftruncate(dst_fd, 0) != 0)
        return vss_error_sys(e, errno, "'%s': truncate", en->ranges_file);
    return read_checked(rd, id, &doc, en->ranges_file, dst_fd, e);
}

int vss_store_reader_document(vss_store_reader *rd, const char *id, const char *name, char **out,
                              size_t *len, vss_error *e)
{
    if (manifest_of(rd, id, e) == NULL)
        return VSS_FAIL;
    const vss_store_entry *en = vss_store_reader_find(rd, id, VSS_STORE_ENTRY_DOCUMENT, name);
    if (en == NULL)
        return vss_error_set(e, ENOENT, "backup '%s' has no document '%s'", id, name);
    /* Documents are small; read them through a memory file. */
    int tmp = memfd_create("vss-doc", MFD_CLOEXEC);
    if (tmp < 0)
        return vss_error_sys(e, errno, "backup '%s': document '%s'", id, name);
    int rc = read_checked(rd, id, en, name, tmp, e);
    char *p = NULL;
    if (rc == VSS_OK) {
        p = malloc(en->size + 1);
        ssize_t got = p ? pread(tmp, p, en->size, 0) : -1;
        if (got != (ssize_t)en->size) {
            free(p);
            p = NULL;
            rc = vss_error_set(e, ENOMEM, "backup '%s': document '%s': out of memory", id, name);
        } else {
            p[got] = '\0';
            *out = p;
            *len = (size_t)got;
        }
    }
    close(tmp);
    return rc;
}

int vss_store_document(vss_store *s, const char *id, const char *name, unsigned flags, char **out,
                       size_t *len, vss_error *e)
{
    vss_store_reader *rd;
    if (vss_store_reader_open(s, flags, &rd, e) != VSS_OK)
        return VSS_FAIL;
    int rc = vss_store_reader_document(rd, id, name, out, len, e);
    vss_store_reader_free(rd);
    return rc;
}

/* The file name as of backup id, from its chain: the newest entry of
 * it in id or a backup id stands on, back to its last whole copy. *base
 * is that whole copy's index in chain (SIZE_MAX when none: then only the
 * newest entry, which id itself may not hold), layers[0 .. *n-1] the
 * entries to lay, oldest first, their backups in ids. ENOENT when no
 * backup of the chain names it, or the newest that does deleted it. */
static int chain_layers(vss_store_reader *rd, const char *id, const char *name,
                        vss_store_info **chainp, const vss_store_entry ***layers,
                        const char ***ids, size_t *n, vss_error *e)
{
    vss_store_info *chain = NULL;
    size_t nchain = 0;
    *chainp = NULL;
    *layers = NULL;
    *ids = NULL;
    *n = 0;
    if (vss_store_reader_chain(rd, id, &chain, &nchain, e) != VSS_OK)
        return VSS_FAIL;
    const vss_store_entry **l = calloc(nchain + 1, sizeof *l);
    const char **li = calloc(nchain + 1, sizeof *li);
    int rc = l && li ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
    size_t k = 0;
    bool whole = false;
    for (size_t i = nchain; rc == VSS_OK && i-- > 0;) {
        if (manifest_of(rd, chain[i].id, e) == NULL) {
            rc = VSS_FAIL;
            break;
        }
        const vss_store_entry *en = vss_store_reader_find(rd, chain[i].id, VSS_STORE_ENTRY_FILE, name);
        if (en == NULL)
            continue;
        bool data = en->kind == VSS_STORE_ENTRY_FILE || en->kind == VSS_STORE_ENTRY_PARTIAL;
        if (en->kind == VSS_STORE_ENTRY_DELETED && k == 0)
            rc = vss_error_set(e, ENOENT, "backup '%s' has no file '%s' (deleted as of backup '%s')",
                               id, name, chain[i].id);
        if (rc != VSS_OK || (k > 0 && !data))
            break; /* partial files over no whole copy of that file */
        l[k] = en;
        li[k++] = chain[i].id;
        if (en->kind != VSS_STORE_ENTRY_PARTIAL) {
            whole = true;
            break;
        }
    }
    if (rc == VSS_OK && k == 0)
        rc = vss_error_set(e, ENOENT, "backup '%s' has no file '%s'", id, name);
    if (rc == VSS_OK && !whole) /* no whole copy in the chain: the newest entry alone */
        k = 1;
    if (rc != VSS_OK) {
        free(l);
        free(li);
        free(chain);
        return VSS_FAIL;
    }
    for (size_t i = 0; i < k / 2; i++) { /* oldest first */
        const vss_store_entry *t = l[i];
        l[i] = l[k - 1 - i];
        l[k - 1 - i] = t;
        const char *u = li[i];
        li[i] = li[k - 1 - i];
        li[k - 1 - i] = u;
    }
    *chainp = chain;
    *layers = l;
    *ids = li;
    *n = k;
    return VSS_OK;
}

int vss_store_extract(vss_store *s, const char *id, const char *name, int dst_fd, unsigned flags,
                      vss_error *e)
{
    vss_store_reader *rd;
    if (vss_store_reader_open(s, flags, &rd, e) != VSS_OK)
        return VSS_FAIL;
    vss_store_info *chain = NULL;
    const vss_store_entry **layers = NULL;
    const char **ids = NULL;
    size_t n = 0;
    int rc = store_check_id(id, e);
    if (rc == VSS_OK && manifest_of(rd, id, e) == NULL)
        rc = VSS_FAIL;
    if (rc == VSS_OK)
        rc = chain_layers(rd, id, name, &chain, &layers, &ids, &n, e);
    for (size_t i = 0; rc == VSS_OK && i < n; i++)
        if (layers[i]->object[0] == '\0')
            rc = vss_error_set(e, EINVAL, "backup '%s': '%s' is a %s, not file data", ids[i], name,
                               vss_store_kind_name(layers[i]->kind));
    /* the whole copy, then each partial file at its offsets (sized as at
     * its backup while more follow); the attributes of the newest */
    for (size_t i = 0; rc == VSS_OK && dst_fd >= 0 && i < n; i++)
        rc = lay(rd, ids[i], layers[i], dst_fd, i + 1 == n ? flags : 0, n > 1, e);
    for (size_t i = 0; rc == VSS_OK && dst_fd < 0 && i < n; i++)
        rc = read_checked(rd, ids[i], layers[i], name, -1, e);
    free(layers);
    free(ids);
    free(chain);
    vss_store_reader_free(rd);
    return rc;
}
