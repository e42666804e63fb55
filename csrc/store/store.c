/* The store as a whole: opening (the format marker), locks, listing and
 * reading manifests, deleting with the chain in mind, and cleaning up
 * after crashed writers. */
#include "store/store_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beneath.h"
#include "base/fileio.h"
#include "base/array.h"

bool vss_store_builds_on(int type, int earlier)
{
    switch (type) {
    case VSS_BT_DIFFERENTIAL: return earlier == VSS_BT_FULL;
    case VSS_BT_INCREMENTAL:
    case VSS_BT_LOG: return earlier >= VSS_BT_FULL && earlier <= VSS_BT_LOG;
    default: return false; /* full, copy */
    }
}

const vss_store_info *vss_store_base_for(int type, const vss_store_info *v, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (vss_store_builds_on(type, v[i].type))
            return &v[i];
    return NULL;
}

const char *vss_store_path(const vss_store *s)
{
    return s->path;
}

/* Ids are store-generated ("20261122T202321Z-3"); one that names a path
 * (a '/', a leading '.') is refused before it reaches openat. */
int store_check_id(const char *id, vss_error *e)
{
    size_t n = strlen(id);
    if (n == 0 || n >= VSS_STORE_ID_MAX || id[0] == '.' || strchr(id, '/') != NULL)
        return vss_error_set(e, ENOENT, "no backup '%s' in the store", id);
    return VSS_OK;
}

static const char *type_word(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symlink";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISREG(m))
        return "a regular file";
    return "of an unknown type";
}

int store_open(vss_store *s, const char *rel, int flags, mode_t mode, unsigned type,
               vss_error *e)
{
    int fd = vss_open_beneath(s->dirfd, rel, flags, mode);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "store '%s': %s: a symlink on the way, not followed (a store holds none)",
                                 s->path, rel), -1;
        if (err == EXDEV || err == EINVAL)
            return vss_error_set(e, VSS_ECORRUPT, "store '%s': %s: leads outside the store",
                                 s->path, rel), -1;
        if (err == ENXIO || err == ENODEV) /* a FIFO without a writer, a device */
            return vss_error_set(e, VSS_ECORRUPT,
                                 "store '%s': %s is not a regular file or a directory",
                                 s->path, rel), -1;
        return vss_error_sys(e, err, "store '%s': open %s", s->path, rel), -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return vss_error_sys(e, err, "store '%s': stat %s", s->path, rel), -1;
    }
    if ((st.st_mode & S_IFMT) != type) {
        close(fd);
        return vss_error_set(e, VSS_ECORRUPT, "store '%s': %s is %s, not %s", s->path, rel,
                             type_word(st.st_mode), type_word(type)), -1;
    }
    return fd;
}

int store_lock(vss_store *s, const char *name, int op, unsigned flags, int *fd, vss_error *e)
{
    *fd = store_open(s, name, O_RDWR | O_CREAT, 0600, S_IFREG, e);
    if (*fd < 0)
        return VSS_FAIL;
    if (flags & VSS_STORE_NOWAIT)
        op |= LOCK_NB;
    int rc;
    while ((rc = flock(*fd, op)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        int err = errno;
        close(*fd);
        *fd = -1;
        if (err == EWOULDBLOCK)
            return vss_error_set(e, VSS_ELOCKED, "store '%s': %s is held by another process", s->path,
                                 name);
        return vss_error_sys(e, err, "store '%s': lock %s", s->path, name);
    }
    return VSS_OK;
}

void store_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the last descriptor drops the flock */
}

int store_remove_tree(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (store_remove_tree(fd, de->d_name) != 0)
            rc = -1;
    }
    closedir(d);
    if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

void store_clean_dir(vss_store *s, const char *name)
{
    int fd = store_open(s, name, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, NULL);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            store_remove_tree(fd, de->d_name);
    closedir(d);
}

/* Read a file beneath the store whole; *out malloc'd, NUL-terminated. */
static int store_read_file(vss_store *s, const char *rel, char **out, size_t *len, vss_error *e)
{
    int fd = store_open(s, rel, O_RDONLY, 0, S_IFREG, e);
    if (fd < 0)
        return VSS_FAIL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return vss_error_sys(e, errno, "store '%s': stat %s", s->path, rel);
    }
    size_t n = (size_t)st.st_size;
    char *p = malloc(n + 1);
    if (p == NULL) {
        close(fd);
        return vss_error_set(e, ENOMEM, "store '%s': %s: out of memory", s->path, rel);
    }
    ssize_t got = vss_read_full(fd, p, n);
    int err = errno;
    close(fd);
    if (got < 0) {
        free(p);
        return vss_error_sys(e, err, "store '%s': read %s", s->path, rel);
    }
    p[got] = '\0';
    *out = p;
    *len = (size_t)got;
    return VSS_OK;
}

int store_open_object(vss_store *s, const char *id, const char *object, vss_error *e)
{
    char rel[VSS_STORE_ID_MAX + 64];
    snprintf(rel, sizeof rel, STORE_BACKUPS "/%s/" STORE_DATA "/%s", id, object);
    return store_open(s, rel, O_RDONLY, 0, S_IFREG, e);
}

static int write_marker(int fd, const void *ctx)
{
    (void)ctx;
    char text[64];
    int n = snprintf(text, sizeof text, STORE_MARKER "\nversion %d\n", VSS_STORE_VERSION);
    return vss_write_full(fd, text, (size_t)n);
}

/* An entry of the directory creation may have left: the three
 * directories (empty), the two lock files, the marker's temporary. */
static int creation_leftover(int dirfd, const char *name)
{
    static const char *const dirs[] = {STORE_BACKUPS, STORE_INCOMING, STORE_TRASH};
    static const char *const files[] = {STORE_LOCK, STORE_READ_LOCK};
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT; /* gone meanwhile */
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strcmp(name, dirs[i]) == 0) {
            if (!S_ISDIR(st.st_mode))
                return 0;
            int fd = vss_open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY, 0);
            if (fd < 0)
                return 0;
            DIR *d = fdopendir(fd);
            if (d == NULL) {
                close(fd);
                return 0;
            }
            int empty = 1;
            struct dirent *de;
            while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                    empty = 0;
            closedir(d);
            return empty;
        }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (strcmp(name, files[i]) == 0)
            return S_ISREG(st.st_mode);
    return strncmp(name, STORE_MARKER ".tmp.", sizeof STORE_MARKER + 4) == 0 &&
           S_ISREG(st.st_mode);
}

/* Empty, or holding only what a creation (perhaps cut short, perhaps
 * running now in another process) leaves: then creation may go on. */
static int creatable(int fd)
{
    int dup_fd = dup(fd);
    if (dup_fd < 0)
        return 0;
    DIR *d = fdopendir(dup_fd);
    if (d == NULL) {
        close(dup_fd);
        return 0;
    }
    rewinddir(d);
    int ok = 1;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            ok = creation_leftover(fd, de->d_name);
    closedir(d);
    return ok;
}

static int create_layout(vss_store *s, vss_error *e)
{
    static const char *const dirs[] = {STORE_BACKUPS, STORE_INCOMING, STORE_TRASH};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (mkdirat(s->dirfd, dirs[i], 0700) != 0 && errno != EEXIST)
            return vss_error_sys(e, errno, "store '%s': create %s", s->path, dirs[i]);
    if (fsync(s->dirfd) != 0)
        return vss_error_sys(e, errno, "store '%s': sync", s->path);
    /* The marker last: a store whose creation was cut short has none and
     * is created again on the next open with create. */
    char *marker = malloc(strlen(s->path) + sizeof STORE_MARKER + 1);
    if (marker == NULL)
        return vss_error_set(e, ENOMEM, "store '%s': out of memory", s->path);
    sprintf(marker, "%s/" STORE_MARKER, s->path);
    int rc = vss_file_replace(marker, write_marker, NULL, "store marker", e);
    free(marker);
    return rc;
}

/* The marker's version; 0 when there is none (ENOENT), -1 on failure. */
static int read_marker(vss_store *s, vss_error *e)
{
    vss_error err;
    int fd = store_open(s, STORE_MARKER, O_RDONLY, 0, S_IFREG, &err);
    if (fd < 0) {
        if (err.code == ENOENT)
            return 0;
        if (e)
            *e = err;
        return -1;
    }
    char text[64];
    ssize_t n = vss_read_full(fd, text, sizeof text - 1); /* a marker is short */
    int rerr = errno;
    close(fd);
    if (n < 0)
        return vss_error_sys(e, rerr, "store '%s': read %s", s->path, STORE_MARKER), -1;
    text[n] = '\0';
    int version = 0;
    if (sscanf(text, STORE_MARKER "\nversion %d", &version) != 1 || version < 1)
        return vss_error_set(e, VSS_EFORMAT, "store '%s': unreadable %s file", s->path,
                             STORE_MARKER), -1;
    if (version > VSS_STORE_VERSION)
        return vss_error_set(e, VSS_EFORMAT,
                             "store '%s' has format version %d; this luavss reads up to %d",
                             s->path, version, VSS_STORE_VERSION), -1;
    return version;
}

static int check_marker(vss_store *s, unsigned flags, vss_error *e)
{
    /* Idempotent and safe to race: every step of creation may be done
     * twice (mkdir EEXIST, the marker replaced atomically with the same
     * bytes), so a creation cut short, or one running now in another
     * process, is completed. Twice: a marker missing at the first look
     * may have been written by the other creator since, which may then
     * have begun a backup (and the directory no longer looks new). */
    for (int look = 0; look < 2; look++) {
        int v = read_marker(s, e);
        if (v != 0)
            return v > 0 ? VSS_OK : VSS_FAIL;
        if ((flags & VSS_STORE_CREATE) && creatable(s->dirfd))
            return create_layout(s, e);
    }
    return vss_error_set(e, VSS_EFORMAT, "'%s' is not a luavss store (no %s file)%s", s->path,
                         STORE_MARKER,
                         (flags & VSS_STORE_CREATE)
                             ? " and holds more than a store's creation leaves"
                             : "");
}

int vss_store_open(const char *path, unsigned flags, vss_store **out, vss_error *e)
{
    if ((flags & VSS_STORE_CREATE) && mkdir(path, 0700) != 0 && errno != EEXIST)
        return vss_error_sys(e, errno, "store '%s': create", path);
    vss_store *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return vss_error_set(e, ENOMEM, "store '%s': out of memory", path);
    }
    s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        vss_error_sys(e, errno, "store '%s'", path);
        vss_store_free(s);
        return VSS_FAIL;
    }
    if (check_marker(s, flags, e) != VSS_OK) {
        vss_store_free(s);
        return VSS_FAIL;
    }
    *out = s;
    return VSS_OK;
}

void vss_store_free(vss_store *s)
{
    if (s == NULL)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->path);
    free(s);
}

static int read_info(vss_store *s, const char *id, vss_store_info *info)
{
    char rel[VSS_STORE_ID_MAX + 32];
    snprintf(rel, sizeof rel, STORE_BACKUPS "/%s/" STORE_MANIFEST, id);
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "%s", id);
    int fd = store_open(s, rel, O_RDONLY, 0, S_IFREG, NULL);
    if (fd < 0)
        return -1;
    char head[4096];
    ssize_t n = vss_read_full(fd, head, sizeof head - 1);
    close(fd);
    if (n < 0)
        return -1;
    head[n] = '\0';
    vss_store_manifest *m;
    if (store_manifest_parse(head, (size_t)n, id, 1, &m, NULL) != VSS_OK)
        return -1;
    *info = m->info;
    vss_store_manifest_free(m);
    return 0;
}

int store_manifest_read(vss_store *s, const char *id, vss_store_manifest **out, vss_error *e)
{
    if (store_check_id(id, e) != VSS_OK)
        return VSS_FAIL;
    char rel[VSS_STORE_ID_MAX + 32];
    snprintf(rel, sizeof rel, STORE_BACKUPS "/%s/" STORE_MANIFEST, id);
    char *text = NULL;
    size_t len = 0;
    vss_error err;
    if (store_read_file(s, rel, &text, &len, &err) != VSS_OK) {
        if (err.sys_errno == ENOENT)
            return vss_error_set(e, ENOENT, "no backup '%s' in the store", id);
        if (e)
            *e = err;
        return VSS_FAIL;
    }
    int rc = store_manifest_parse(text, len, id, 0, out, e);
    free(text);
    return rc;
}

int vss_store_manifest_load(vss_store *s, const char *id, unsigned flags, vss_store_manifest **out,
                            vss_error *e)
{
    int lock;
    if (store_lock(s, STORE_READ_LOCK, LOCK_SH, flags, &lock, e) != VSS_OK)
        return VSS_FAIL;
    int rc = store_manifest_read(s, id, out, e);
    store_unlock(lock);
    return rc;
}

static int cmp_info(const void *a, const void *b)
{
    const vss_store_info *x = a, *y = b;
    if (x->time.tv_sec != y->time.tv_sec)
        return x->time.tv_sec < y->time.tv_sec ? -1 : 1;
    if (x->time.tv_nsec != y->time.tv_nsec)
        return x->time.tv_nsec < y->time.tv_nsec ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Committed backups; the caller holds a lock. A backup whose manifest head
 * cannot be read is listed with type 0 so that it is not silently lost. */
static int list_locked(vss_store *s, vss_store_info **out, size_t *n, vss_error *e)
{
    int fd = store_open(s, STORE_BACKUPS, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
    if (fd < 0)
        return VSS_FAIL;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return vss_error_sys(e, errno, "store '%s': read %s", s->path, STORE_BACKUPS);
    }
    vss_store_info *v = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= VSS_STORE_ID_MAX)
            continue;
        if (VSS_GROW(v, cap, count, NULL) != VSS_OK) {
            free(v);
            closedir(d);
            return vss_error_set(e, ENOMEM, "store '%s': out of memory", s->path);
        }
        if (read_info(s, de->d_name, &v[count]) != 0)
            v[count].type = 0;
        count++;
    }
    closedir(d);
    if (count > 1)
        qsort(v, count, sizeof *v, cmp_info);
    *out = v;
    *n = count;
    return VSS_OK;
}

int vss_store_list(vss_store *s, unsigned flags, vss_store_info **out, size_t *n, vss_error *e)
{
    int lock;
    if (store_lock(s, STORE_READ_LOCK, LOCK_SH, flags, &lock, e) != VSS_OK)
        return VSS_FAIL;
    int rc = list_locked(s, out, n, e);
    store_unlock(lock);
    return rc;
}

int store_list_unlocked(vss_store *s, vss_store_info **out, size_t *n, vss_error *e)
{
    return list_locked(s, out, n, e);
}

void vss_store_strings_free(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Every backup that builds on id, directly or through others. */
static int dependents_of(const vss_store_info *v, size_t n, const char *id, char ***out,
                         size_t *nout)
{
    char *mark = calloc(n ? n : 1, 1);
    if (mark == NULL)
        return -1;
    int grew = 1;
    while (grew) {
        grew = 0;
        for (size_t i = 0; i < n; i++) {
            if (mark[i] || v[i].base[0] == '\0')
                continue;
            int hit = strcmp(v[i].base, id) == 0;
            for (size_t j = 0; j < n && !hit; j++)
                hit = mark[j] && strcmp(v[i].base, v[j].id) == 0;
            if (hit)
                mark[i] = grew = 1;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += mark[i];
    char **r = calloc(k ? k : 1, sizeof *r);
    if (r == NULL) {
        free(mark);
        return -1;
    }
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (mark[i] && (r[k++] = strdup(v[i].id)) == NULL) {
            vss_store_strings_free(r, k);
            free(mark);
            return -1;
        }
    free(mark);
    *out = r;
    *nout = k;
    return 0;
}

static int delete_locked(vss_store *s, const char *id, unsigned flags, char ***deps, size_t *ndeps,
                         vss_error *e)
{
    vss_store_info *v;
    size_t n;
    if (list_locked(s, &v, &n, e) != VSS_OK)
        return VSS_FAIL;
    size_t i = 0;
    while (i < n && strcmp(v[i].id, id) != 0)
        i++;
    if (i == n) {
        free(v);
        return vss_error_set(e, ENOENT, "no backup '%s' in the store", id);
    }
    char **d;
    size_t nd;
    if (dependents_of(v, n, id, &d, &nd) != 0) {
        free(v);
        return vss_error_set(e, ENOMEM, "store '%s': out of memory", s->path);
    }
    free(v);
    if (nd > 0 && !(flags & VSS_STORE_FORCE)) {
        vss_strbuf b = {0};
        for (size_t k = 0; k < nd; k++)
            vss_strbuf_printf(&b, "%s%s", k ? ", " : "", d[k]);
        vss_error_set(e, VSS_ECHAIN, "backup '%s' is the base of %s; delete %s first or force",
                      id, b.oom ? "others" : b.p, nd > 1 ? "them" : "it");
        vss_strbuf_free(&b);
        if (deps) {
            *deps = d;
            *ndeps = nd;
        } else {
            vss_store_strings_free(d, nd);
        }
        return VSS_FAIL;
    }
    if (deps) {
        *deps = d;
        *ndeps = nd;
    } else {
        vss_store_strings_free(d, nd);
    }
    /* Out of sight in one atomic step, then removed at leisure: a crash in
     * between leaves only trash that the next writer clears. */
    int bfd = store_open(s, STORE_BACKUPS, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
    if (bfd < 0)
        return VSS_FAIL;
    int tfd = store_open(s, STORE_TRASH, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
    if (tfd < 0) {
        close(bfd);
        return VSS_FAIL;
    }
    store_remove_tree(tfd, id);
    int moved = renameat(bfd, id, tfd, id) == 0;
    int err = errno;
    close(tfd);
    if (moved && fsync(bfd) != 0) {
        err = errno;
        close(bfd);
        return vss_error_sys(e, err, "store '%s': sync %s", s->path, STORE_BACKUPS);
    }
    close(bfd);
    if (!moved)
        return vss_error_sys(e, err, "store '%s': delete backup '%s'", s->path, id);
    store_clean_dir(s, STORE_TRASH);
    return VSS_OK;
}

int vss_store_delete(vss_store *s, const char *id, unsigned flags, char ***deps, size_t *ndeps,
                     vss_error *e)
{
    if (deps) {
        *deps = NULL;
        *ndeps = 0;
    }
    if (store_check_id(id, e) != VSS_OK)
        return VSS_FAIL;
    int wlock, rlock;
    if (store_lock(s, STORE_LOCK, LOCK_EX, flags, &wlock, e) != VSS_OK)
        return VSS_FAIL;
    if (store_lock(s, STORE_READ_LOCK, LOCK_EX, flags, &rlock, e) != VSS_OK) {
        store_unlock(wlock);
        return VSS_FAIL;
    }
    store_clean_dir(s, STORE_INCOMING);
    int rc = delete_locked(s, id, flags, deps, ndeps, e);
    store_unlock(rlock);
    store_unlock(wlock);
    return rc;
}
