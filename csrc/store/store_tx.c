/* Writing a backup: a transaction holds the writer lock, fills a
 * directory under incoming/ with store-named objects, and on commit writes
 * the manifest, syncs, and renames the directory into backups/ in one
 * step. Until then nothing of it is visible; after a crash it is litter
 * that the next writer removes. */
#include "store/store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beneath.h"
#include "base/fileio.h"

#define SMALL_OBJECT (1 << 20)

struct vss_store_tx {
    vss_store *s;
    int lock;
    int dirfd;  /* incoming/<id> */
    int datafd; /* incoming/<id>/data */
    vss_store_info info;
    vss_strbuf body; /* the manifest's entry lines */
    uint64_t entries, next_object;
    uint64_t unsynced; /* small objects whose durability waits for commit */
    char **names; /* open-addressing set of "f:name" / "d:name" */
    size_t names_cap, names_n;
    store_copy copy;
    bool origin; /* vss_store_tx_origin for the next entry */
    uint64_t origin_ino;
    struct timespec origin_ctime;
};

void vss_store_tx_origin(vss_store_tx *tx, uint64_t ino, const struct timespec *ctime)
{
    tx->origin = true;
    tx->origin_ino = ino;
    tx->origin_ctime = *ctime;
}

/* The origin given for this entry, if any, replaces the source's own. */
static void apply_origin(vss_store_tx *tx, vss_store_attrs *a)
{
    if (tx->origin && a != NULL) {
        a->ino = tx->origin_ino;
        a->ctime = tx->origin_ctime;
    }
    tx->origin = false;
}

const char *vss_store_tx_id(const vss_store_tx *tx)
{
    return tx->info.id;
}

const vss_store_info *vss_store_tx_info(const vss_store_tx *tx)
{
    return &tx->info;
}

static uint64_t name_hash(const char *key)
{
    vss_digest d = vss_digest_of(key, strlen(key));
    uint64_t h;
    memcpy(&h, d.bytes, sizeof h);
    return h;
}

/* Adds key; 1 when added, 0 when already there, -1 out of memory. */
static int names_add(vss_store_tx *tx, char *key)
{
    if (2 * (tx->names_n + 1) > tx->names_cap) {
        size_t cap = tx->names_cap ? 2 * tx->names_cap : 256;
        char **t = calloc(cap, sizeof *t);
        if (t == NULL)
            return -1;
        for (size_t i = 0; i < tx->names_cap; i++) {
            if (tx->names[i] == NULL)
                continue;
            size_t j = name_hash(tx->names[i]) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = tx->names[i];
        }
        free(tx->names);
        tx->names = t;
        tx->names_cap = cap;
    }
    size_t j = name_hash(key) & (tx->names_cap - 1);
    while (tx->names[j]) {
        if (strcmp(tx->names[j], key) == 0)
            return 0;
        j = (j + 1) & (tx->names_cap - 1);
    }
    tx->names[j] = key;
    tx->names_n++;
    return 1;
}

static int claim_name(vss_store_tx *tx, char space, const char *name, vss_error *e)
{
    if (name[0] == '\0')
        return vss_error_set(e, EINVAL, "backup '%s': empty name", tx->info.id);
    size_t n = strlen(name);
    char *key = malloc(n + 3);
    if (key == NULL)
        return vss_error_set(e, ENOMEM, "backup '%s': out of memory", tx->info.id);
    key[0] = space;
    key[1] = ':';
    memcpy(key + 2, name, n + 1);
    int r = names_add(tx, key);
    if (r == 1)
        return VSS_OK;
    free(key);
    if (r < 0)
        return vss_error_set(e, ENOMEM, "backup '%s': out of memory", tx->info.id);
    return vss_error_set(e, EEXIST, "backup '%s': '%s' is already in this backup", tx->info.id,
                         name);
}

/* Forget a name whose entry failed, so that it may be added again. */
static void release_name(vss_store_tx *tx, char space, const char *name)
{
    for (size_t i = 0; i < tx->names_cap; i++) {
        char *k = tx->names[i];
        if (k && k[0] == space && strcmp(k + 2, name) == 0) {
            /* Re-insert the cluster after it so probing stays correct. */
            free(k);
            tx->names[i] = NULL;
            tx->names_n--;
            for (size_t j = (i + 1) & (tx->names_cap - 1); tx->names[j];
                 j = (j + 1) & (tx->names_cap - 1)) {
                char *moved = tx->names[j];
                tx->names[j] = NULL;
                tx->names_n--;
                names_add(tx, moved);
            }
            return;
        }
    }
}

/* "full" or "full, incremental, differential or log": the types a backup
 * of type builds on, for messages. */
static void base_types(int type, char *buf, size_t n)
{
    const char *names[VSS_BT_COPY + 1];
    size_t k = 0;
    for (int t = VSS_BT_FULL; t <= VSS_BT_COPY; t++)
        if (vss_store_builds_on(type, t))
            names[k++] = vss_store_type_name(t);
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i == 0 ? "" : i + 1 < k ? ", " : " or ",
                                names[i]);
}

static int choose_base(vss_store_tx *tx, const char *base, uint64_t *seq, vss_error *e)
{
    int type = tx->info.type;
    vss_store_info *v;
    size_t n;
    if (store_list_unlocked(tx->s, &v, &n, e) != VSS_OK)
        return VSS_FAIL;
    *seq = 0;
    for (size_t i = 0; i < n; i++) {
        const char *dash = strrchr(v[i].id, '-');
        uint64_t k = dash ? strtoull(dash + 1, NULL, 10) : 0;
        if (k > *seq)
            *seq = k;
    }
    int rc = VSS_OK;
    const char *tn = vss_store_type_name(type);
    char kinds[64];
    base_types(type, kinds, sizeof kinds);
    if (type == VSS_BT_FULL || type == VSS_BT_COPY) {
        if (base && base[0])
            rc = vss_error_set(e, EINVAL, "a %s backup has no base (got '%s')", tn, base);
    } else if (base == NULL || base[0] == '\0') {
        const vss_store_info *b = vss_store_base_for(type, v, n);
        if (b == NULL)
            rc = vss_error_set(e, VSS_ECHAIN, "no %s backup in the store to base a%s %s backup on",
                               kinds, type == VSS_BT_INCREMENTAL ? "n" : "", tn);
        else
            snprintf(tx->info.base, sizeof tx->info.base, "%s", b->id);
    } else {
        size_t i = 0;
        while (i < n && strcmp(v[i].id, base) != 0)
            i++;
        int bt = i < n ? v[i].type : 0;
        if (i == n)
            rc = vss_error_set(e, ENOENT, "no backup '%s' in the store", base);
        else if (!vss_store_builds_on(type, bt))
            rc = vss_error_set(e, VSS_ECHAIN, "a %s backup cannot build on '%s' (a %s backup; it "
                               "builds on a %s backup)", tn, base,
                               bt ? vss_store_type_name(bt) : "damaged", kinds);
        else
            snprintf(tx->info.base, sizeof tx->info.base, "%s", base);
    }
    free(v);
    return rc;
}

int vss_store_begin(vss_store *s, int type, const char *base, unsigned flags, vss_store_tx **out,
                    vss_error *e)
{
    if (vss_store_type_name(type) == NULL)
        return vss_error_set(e, EINVAL, "unknown backup type %d", type);
    vss_store_tx *tx = calloc(1, sizeof *tx);
    if (tx == NULL)
        return vss_error_set(e, ENOMEM, "store '%s': out of memory", s->path);
    tx->s = s;
    tx->dirfd = tx->datafd = -1;
    tx->info.type = type;
    if (store_lock(s, STORE_LOCK, LOCK_EX, flags, &tx->lock, e) != VSS_OK) {
        free(tx);
        return VSS_FAIL;
    }
    /* We hold the writer lock: whatever is in incoming/ or trash/ belongs
     * to a writer that died. */
    store_clean_dir(s, STORE_INCOMING);
    store_clean_dir(s, STORE_TRASH);
    uint64_t seq;
    clock_gettime(CLOCK_REALTIME, &tx->info.time);
    if (store_copy_init(&tx->copy, e) != VSS_OK || choose_base(tx, base, &seq, e) != VSS_OK) {
        vss_store_tx_free(tx);
        return VSS_FAIL;
    }
    struct tm tm;
    gmtime_r(&tx->info.time.tv_sec, &tm);
    snprintf(tx->info.id, sizeof tx->info.id, "%04d%02d%02dT%02d%02d%02dZ-%" PRIu64,
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             seq + 1);
    int inc = store_open(s, STORE_INCOMING, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
    if (inc < 0) {
        vss_store_tx_free(tx);
        return VSS_FAIL;
    }
    if (mkdirat(inc, tx->info.id, 0700) != 0 ||
        (tx->dirfd = vss_open_beneath(inc, tx->info.id, O_RDONLY | O_DIRECTORY, 0)) < 0 ||
        mkdirat(tx->dirfd, STORE_DATA, 0700) != 0 ||
        (tx->datafd = vss_open_beneath(tx->dirfd, STORE_DATA, O_RDONLY | O_DIRECTORY, 0)) < 0) {
        vss_error_sys(e, errno, "store '%s': create %s/%s", s->path, STORE_INCOMING, tx->info.id);
        close(inc);
        vss_store_tx_free(tx);
        return VSS_FAIL;
    }
    close(inc);
    *out = tx;
    return VSS_OK;
}

static int new_object(vss_store_tx *tx, char prefix, char name[24], vss_error *e)
{
    snprintf(name, 24, "%c%" PRIu64, prefix, ++tx->next_object);
    int fd = openat(tx->datafd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return vss_error_sys(e, errno, "backup '%s': create object %s", tx->info.id, name);
    return fd;
}

/* Make an object durable and close it; on failure it is removed. A large
 * object is fsynced at once (its writeback has been running while it was
 * copied). A small one only has its writeback started: one syncfs at
 * commit covers them all, where an fsync each would cost a disk flush per
 * file (1000 files of 4 KiB: 1.0 s with fsync each, measured). */
static int finish_object(vss_store_tx *tx, int fd, const char *name, int ok, vss_error *e)
{
    struct stat st;
    int small = fstat(fd, &st) == 0 && st.st_size < SMALL_OBJECT;
    if (ok && small) {
        sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        tx->unsynced++;
    } else if (ok && fsync(fd) != 0) {
        ok = 0;
        vss_error_sys(e, errno, "backup '%s': sync object %s", tx->info.id, name);
    }
    if (close(fd) != 0 && ok) {
        ok = 0;
        vss_error_sys(e, errno, "backup '%s': close object %s", tx->info.id, name);
    }
    if (!ok)
        unlinkat(tx->datafd, name, 0);
    return ok ? VSS_OK : VSS_FAIL;
}

static int store_bytes(vss_store_tx *tx, char prefix, const void *data, size_t len, char object[24],
                       vss_error *e)
{
    int fd = new_object(tx, prefix, object, e);
    if (fd < 0)
        return VSS_FAIL;
    int ok = vss_write_full(fd, data, len) == 0;
    if (!ok)
        vss_error_sys(e, errno, "backup '%s': write object %s", tx->info.id, object);
    return finish_object(tx, fd, object, ok, e);
}

static int append_entry(vss_store_tx *tx, const vss_store_entry *en, vss_error *e)
{
    size_t before = tx->body.len;
    store_manifest_entry(&tx->body, en);
    if (tx->body.oom) {
        tx->body.oom = 0;
        tx->body.len = before;
        return vss_error_set(e, ENOMEM, "backup '%s': out of memory", tx->info.id);
    }
    tx->entries++;
    if (en->kind != VSS_STORE_ENTRY_DOCUMENT)
        tx->info.files++;
    tx->info.stored += en->stored + en->ranges_size;
    return VSS_OK;
}

/* The ranges file named for a partial file, kept as an object, as VSS asks
 * of a requester. It is read once: the bytes kept and the ranges *loaded
 * (copied when the caller gave none) are the same version of the file,
 * even if it changes while the backup runs. */
static int keep_ranges_file(vss_store_tx *tx, const char *path, vss_store_entry *en,
                            vss_ranges **loaded, vss_error *e)
{
    void *bytes;
    size_t len;
    if (vss_ranges_read_file(path, loaded, &bytes, &len, e) != VSS_OK)
        return VSS_FAIL;
    int rc = store_bytes(tx, 'r', bytes, len, en->ranges_object, e);
    if (rc == VSS_OK) {
        en->ranges_size = (uint64_t)len;
        en->ranges_digest = vss_digest_of(bytes, len);
        rc = (en->ranges_file = strdup(path)) ? VSS_OK
                                              : vss_error_set(e, ENOMEM, "out of memory");
    }
    free(bytes);
    return rc;
}

static int add_file_data(vss_store_tx *tx, vss_store_entry *en, const char *source_path,
                         const vss_ranges *ranges, const char *ranges_file, unsigned flags,
                         vss_error *e)
{
    vss_ranges *loaded = NULL;
    if (ranges_file && keep_ranges_file(tx, ranges_file, en, &loaded, e) != VSS_OK)
        return VSS_FAIL;
    if (ranges == NULL)
        ranges = loaded;
    en->kind = ranges ? VSS_STORE_ENTRY_PARTIAL : VSS_STORE_ENTRY_FILE;
    int src = open(source_path, O_RDONLY | O_CLOEXEC);
    if (src < 0) {
        vss_ranges_free(loaded);
        return vss_error_sys(e, errno, "'%s'", source_path);
    }
    struct stat st;
    int rc = VSS_OK;
    if (fstat(src, &st) != 0)
        rc = vss_error_sys(e, errno, "'%s': stat", source_path);
    else if (!S_ISREG(st.st_mode))
        rc = vss_error_set(e, EINVAL, "'%s' is not a regular file", source_path);
    else if ((flags & VSS_STORE_ATTRS) && store_read_attrs(src, source_path, &en->attrs, e) != VSS_OK)
        rc = VSS_FAIL;
    apply_origin(tx, en->attrs);
    int dst = rc == VSS_OK ? new_object(tx, 'f', en->object, e) : -1;
    if (rc == VSS_OK && dst < 0)
        rc = VSS_FAIL;
    if (rc == VSS_OK) {
        rc = ranges ? store_copy_ranges(&tx->copy, src, dst, (uint64_t)st.st_size, ranges, en,
                                        source_path, e)
                    : store_copy_whole(&tx->copy, src, dst, (uint64_t)st.st_size, en, source_path, e);
        rc = finish_object(tx, dst, en->object, rc == VSS_OK, e);
    }
    close(src);
    vss_ranges_free(loaded);
    return rc;
}

int vss_store_tx_add_file(vss_store_tx *tx, const char *name, const char *source_path,
                          const vss_ranges *ranges, const char *ranges_file, unsigned flags,
                          vss_error *e)
{
    if (claim_name(tx, 'f', name, e) != VSS_OK)
        return VSS_FAIL;
    vss_store_entry en = {0};
    int rc = (en.name = strdup(name)) ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
    if (rc == VSS_OK)
        rc = add_file_data(tx, &en, source_path, ranges, ranges_file, flags, e);
    if (rc == VSS_OK)
        rc = append_entry(tx, &en, e);
    if (rc != VSS_OK) {
        if (en.ranges_object[0])
            unlinkat(tx->datafd, en.ranges_object, 0);
        if (en.object[0])
            unlinkat(tx->datafd, en.object, 0);
        release_name(tx, 'f', name);
    }
    store_entry_clear(&en);
    return rc;
}

int vss_store_tx_add_document(vss_store_tx *tx, const char *name, const void *data, size_t len,
                              vss_error *e)
{
    if (claim_name(tx, 'd', name, e) != VSS_OK)
        return VSS_FAIL;
    vss_store_entry en = {0};
    en.kind = VSS_STORE_ENTRY_DOCUMENT;
    en.size = en.stored = len;
    en.digest = vss_digest_of(data, len);
    en.name = (char *)name;
    int rc = store_bytes(tx, 'd', data, len, en.object, e);
    if (rc == VSS_OK)
        rc = append_entry(tx, &en, e);
    if (rc != VSS_OK)
        release_name(tx, 'd', name);
    return rc;
}

int vss_store_tx_record_deleted(vss_store_tx *tx, const char *name, vss_error *e)
{
    if (claim_name(tx, 'f', name, e) != VSS_OK)
        return VSS_FAIL;
    vss_store_entry en = {0};
    en.kind = VSS_STORE_ENTRY_DELETED;
    en.name = (char *)name;
    int rc = append_entry(tx, &en, e);
    if (rc != VSS_OK)
        release_name(tx, 'f', name);
    return rc;
}

int vss_store_tx_add_node(vss_store_tx *tx, const char *name, const char *source_path,
                          vss_store_kind *kind, vss_error *e)
{
    vss_store_entry en = {0};
    int rc = store_read_attrs_path(source_path, &en.attrs, e);
    mode_t m = rc == VSS_OK ? en.attrs->mode : 0;
    apply_origin(tx, rc == VSS_OK ? en.attrs : NULL);
    if (rc != VSS_OK)
        return VSS_FAIL;
    if (S_ISDIR(m))
        en.kind = VSS_STORE_ENTRY_DIRECTORY;
    else if (S_ISFIFO(m))
        en.kind = VSS_STORE_ENTRY_FIFO;
    else if (S_ISCHR(m) || S_ISBLK(m))
        en.kind = VSS_STORE_ENTRY_DEVICE;
    else if (S_ISLNK(m))
        en.kind = VSS_STORE_ENTRY_SYMLINK;
    else
        rc = vss_error_set(e, ENOTSUP, "'%s': a %s is not stored", source_path,
                           S_ISSOCK(m) ? "socket" : "regular file (add_file)");
    if (rc == VSS_OK && en.kind == VSS_STORE_ENTRY_DEVICE) {
        struct stat st;
        rc = lstat(source_path, &st) == 0 ? VSS_OK : vss_error_sys(e, errno, "'%s': stat", source_path);
        en.rdev = (uint64_t)st.st_rdev;
    }
    if (rc == VSS_OK && en.kind == VSS_STORE_ENTRY_SYMLINK) {
        /* the link text, read whole: its length may exceed st_size (procfs) */
        size_t cap = 256;
        for (;;) {
            char *t = realloc(en.target, cap);
            if (t == NULL) {
                rc = vss_error_set(e, ENOMEM, "out of memory");
                break;
            }
            en.target = t;
            ssize_t n = readlink(source_path, t, cap);
            if (n < 0) {
                rc = vss_error_sys(e, errno, "'%s': readlink", source_path);
                break;
            }
            if ((size_t)n < cap) {
                t[n] = '\0';
                break;
            }
            cap *= 2;
        }
    }
    if (rc == VSS_OK && claim_name(tx, 'f', name, e) != VSS_OK)
        rc = VSS_FAIL;
    else if (rc == VSS_OK) {
        en.name = (char *)name;
        rc = append_entry(tx, &en, e);
        en.name = NULL;
        if (rc != VSS_OK)
            release_name(tx, 'f', name);
    }
    if (rc == VSS_OK && kind)
        *kind = en.kind;
    store_entry_clear(&en);
    return rc;
}

int vss_store_tx_add_hardlink(vss_store_tx *tx, const char *name, const char *target,
                              vss_error *e)
{
    if (target == NULL || target[0] == '\0')
        return vss_error_set(e, EINVAL, "'%s': a hard link needs the name it links to", name);
    if (claim_name(tx, 'f', name, e) != VSS_OK)
        return VSS_FAIL;
    vss_store_entry en = {0};
    en.kind = VSS_STORE_ENTRY_HARDLINK;
    en.name = (char *)name;
    en.target = (char *)target;
    int rc = append_entry(tx, &en, e);
    if (rc != VSS_OK)
        release_name(tx, 'f', name);
    return rc;
}

static int write_manifest(vss_store_tx *tx, vss_error *e)
{
    vss_strbuf m = {0};
    store_manifest_head(&m, &tx->info);
    vss_strbuf_add(&m, tx->body.p ? tx->body.p : "", tx->body.len);
    store_manifest_end(&m, tx->entries);
    if (m.oom) {
        vss_strbuf_free(&m);
        return vss_error_set(e, ENOMEM, "backup '%s': out of memory", tx->info.id);
    }
    int fd = openat(tx->dirfd, STORE_MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    int ok = fd >= 0 && vss_write_full(fd, m.p, m.len) == 0 && fsync(fd) == 0;
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    vss_strbuf_free(&m);
    if (!ok)
        return vss_error_sys(e, err, "backup '%s': write manifest", tx->info.id);
    return VSS_OK;
}

int vss_store_tx_commit(vss_store_tx *tx, char id[VSS_STORE_ID_MAX], vss_error *e)
{
    vss_store *s = tx->s;
    char from[VSS_STORE_ID_MAX + 16], to[VSS_STORE_ID_MAX + 16];
    snprintf(from, sizeof from, STORE_INCOMING "/%s", tx->info.id);
    snprintf(to, sizeof to, STORE_BACKUPS "/%s", tx->info.id);
    if (write_manifest(tx, e) != VSS_OK)
        return VSS_FAIL;
    /* syncfs reports writeback errors of the filesystem since datafd was
     * opened (Linux 5.8 and later), so a lost small object fails here. */
    if (tx->unsynced > 0 && syncfs(tx->datafd) != 0)
        return vss_error_sys(e, errno, "backup '%s': sync objects", tx->info.id);
    if (fsync(tx->datafd) != 0 || fsync(tx->dirfd) != 0)
        return vss_error_sys(e, errno, "backup '%s': sync", tx->info.id);
    int ifd = store_open(s, STORE_INCOMING, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
    if (ifd < 0)
        return VSS_FAIL;
    int bfd = store_open(s, STORE_BACKUPS, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
    if (bfd < 0) {
        close(ifd);
        return VSS_FAIL;
    }
    if (renameat(ifd, tx->info.id, bfd, tx->info.id) != 0) {
        int err = errno;
        close(ifd);
        close(bfd);
        return vss_error_sys(e, err, "backup '%s': commit (rename %s to %s)", tx->info.id, from, to);
    }
    close(ifd);
    int ok = fsync(bfd) == 0;
    int err = errno;
    close(bfd);
    if (id)
        snprintf(id, VSS_STORE_ID_MAX, "%s", tx->info.id);
    if (!ok) /* renamed but perhaps not durable: say so, the backup is there */
        return vss_error_sys(e, err, "backup '%s': sync %s after commit", tx->info.id,
                             STORE_BACKUPS);
    return VSS_OK;
}

void vss_store_tx_free(vss_store_tx *tx)
{
    if (tx == NULL)
        return;
    if (tx->datafd >= 0)
        close(tx->datafd);
    if (tx->dirfd >= 0)
        close(tx->dirfd);
    /* Uncommitted: remove it now (after a commit the name is gone). */
    if (tx->info.id[0]) {
        int inc = store_open(tx->s, STORE_INCOMING, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, NULL);
        if (inc >= 0) {
            store_remove_tree(inc, tx->info.id);
            close(inc);
        }
    }
    store_unlock(tx->lock);
    for (size_t i = 0; i < tx->names_cap; i++)
        free(tx->names[i]);
    free(tx->names);
    vss_strbuf_free(&tx->body);
    store_copy_fini(&tx->copy);
    free(tx);
}
