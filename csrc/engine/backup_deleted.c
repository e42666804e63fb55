/* Deletions (docs/model.md §6.4: "the requester also tracks
 * deletions"): a file the chain up to the base still holds, that lies in
 * a file set walked now and was not found, is recorded as deleted, so a
 * restore of the chain does not bring it back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backup_impl.h"
#include "files/fileset.h"
#include "base/array.h"

typedef struct mention {
    const char *name;
    size_t age; /* 0 = the base, 1 = its base, ... */
    bool deleted;
    bool dir; /* a directory entry */
} mention;

static int by_name_then_age(const void *a, const void *b)
{
    const mention *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->age < y->age ? -1 : x->age > y->age;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file of a set matches its filespec; a directory (the walk reports
 * them all) lies below a recursive set's path. */
static bool in_sets(const char *name, bool is_dir, const vss_filedesc *sets, size_t nsets)
{
    const char *slash = strrchr(name, '/');
    if (slash == NULL)
        return false;
    size_t n = (size_t)(slash - name);
    char *dir = strndup(name, n ? n : 1);
    bool in = false;
    for (size_t i = 0; dir && i < nsets && !in; i++)
        in = is_dir ? sets[i].recursive && vss_path_within(dir, sets[i].path)
                    : vss_fileset_has_file(&sets[i], dir, slash + 1);
    free(dir);
    return in;
}

int vss_backup_record_deleted(vss_store *s, vss_store_tx *tx, char **walked, size_t nwalked,
                              const vss_filedesc *sets, size_t nsets, vss_error *e)
{
    char base[VSS_STORE_ID_MAX];
    snprintf(base, sizeof base, "%s", vss_store_tx_info(tx)->base);
    vss_store_manifest **chain = NULL;
    mention *m = NULL;
    size_t nchain = 0, capchain = 0, nm = 0, cap = 0;
    int rc = VSS_OK;
    /* the base, then its base... up to the full backup that starts the chain */
    while (rc == VSS_OK && base[0] != '\0') {
        if ((rc = VSS_GROW(chain, capchain, nchain, e)) != VSS_OK)
            break;
        if ((rc = vss_store_manifest_load(s, base, 0, &chain[nchain], e)) != VSS_OK)
            break;
        const vss_store_manifest *man = chain[nchain];
        for (size_t i = 0; rc == VSS_OK && i < man->n; i++) {
            if (man->entries[i].kind == VSS_STORE_ENTRY_DOCUMENT)
                continue;
            if ((rc = VSS_GROW(m, cap, nm, e)) != VSS_OK)
                break;
            m[nm++] = (mention){man->entries[i].name, nchain,
                                man->entries[i].kind == VSS_STORE_ENTRY_DELETED,
                                man->entries[i].kind == VSS_STORE_ENTRY_DIRECTORY};
        }
        snprintf(base, sizeof base, "%s", man->info.base);
        nchain++;
    }
    if (rc == VSS_OK) {
        qsort(m, nm, sizeof *m, by_name_then_age);
        qsort(walked, nwalked, sizeof *walked, by_string);
    }
    for (size_t i = 0; rc == VSS_OK && i < nm; i++) {
        /* the newest mention of a name says whether the chain holds it */
        if (i > 0 && strcmp(m[i].name, m[i - 1].name) == 0)
            continue;
        if (m[i].deleted || !in_sets(m[i].name, m[i].dir, sets, nsets))
            continue;
        if (bsearch(&m[i].name, walked, nwalked, sizeof *walked, by_string) == NULL)
            rc = vss_store_tx_record_deleted(tx, m[i].name, e);
    }
    free(m);
    for (size_t i = 0; i < nchain; i++)
        vss_store_manifest_free(chain[i]);
    free(chain);
    return rc;
}

/* ---- the chain's view for change detection ---- */

static int held_by_name_then_age(const void *a, const void *b)
{
    const vss_chain_held *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->age < y->age ? -1 : x->age > y->age;
}

int vss_backup_chain_open(vss_store *s, const char *base_id, vss_chain_view *v, vss_error *e)
{
    *v = (vss_chain_view){0};
    char base[VSS_STORE_ID_MAX];
    snprintf(base, sizeof base, "%s", base_id ? base_id : "");
    size_t capchain = 0, cap = 0;
    int rc = VSS_OK;
    while (rc == VSS_OK && base[0] != '\0') {
        if ((rc = VSS_GROW(v->chain, capchain, v->nchain, e)) != VSS_OK)
            break;
        if ((rc = vss_store_manifest_load(s, base, 0, &v->chain[v->nchain], e)) != VSS_OK)
            break;
        const vss_store_manifest *man = v->chain[v->nchain];
        for (size_t i = 0; rc == VSS_OK && i < man->n; i++) {
            const vss_store_entry *en = &man->entries[i];
            if (en->kind == VSS_STORE_ENTRY_DOCUMENT)
                continue;
            if ((rc = VSS_GROW(v->held, cap, v->n, e)) != VSS_OK)
                break;
            v->held[v->n++] = (vss_chain_held){en->name, en, v->nchain,
                                               en->kind == VSS_STORE_ENTRY_DELETED};
        }
        snprintf(base, sizeof base, "%s", man->info.base);
        v->nchain++;
    }
    if (rc != VSS_OK) {
        vss_backup_chain_close(v);
        return rc;
    }
    qsort(v->held, v->n, sizeof *v->held, held_by_name_then_age);
    size_t k = 0;
    for (size_t i = 0; i < v->n; i++)
        if (k == 0 || strcmp(v->held[i].name, v->held[k - 1].name) != 0)
            v->held[k++] = v->held[i];
    v->n = k;
    return VSS_OK;
}

static int held_by_name(const void *key, const void *elem)
{
    return strcmp(key, ((const vss_chain_held *)elem)->name);
}

const vss_store_entry *vss_backup_chain_find(const vss_chain_view *v, const char *name,
                                             size_t *age)
{
    const vss_chain_held *h = v->n ? bsearch(name, v->held, v->n, sizeof *v->held, held_by_name)
                                   : NULL;
    if (h == NULL || h->deleted)
        return NULL;
    if (age != NULL)
        *age = h->age;
    return h->en;
}

void vss_backup_chain_close(vss_chain_view *v)
{
    free(v->held);
    for (size_t i = 0; i < v->nchain; i++)
        vss_store_manifest_free(v->chain[i]);
    free(v->chain);
    *v = (vss_chain_view){0};
}
