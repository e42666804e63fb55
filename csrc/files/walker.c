#include "files/walker.h"
#include "base/array.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct {
    DIR *dir;
    size_t len; /* length of the disk path of this directory in w->disk */
    size_t *ex; /* excludes that apply to its entries */
    size_t nex;
} frame;

struct vss_walker {
    vss_filedesc d;
    vss_filedesc *ex; /* paths normalized */
    size_t nex;
    unsigned flags;
    bool skip_stat;
    bool started;

    /* disk = root + "/" + relpath of the current entry; orig likewise under
     * the original root when an alternate location is walked. */
    char *disk, *orig;
    size_t disk_cap, orig_cap;
    size_t root_len, orig_root_len;
    bool alternate;

    frame *stack;
    size_t depth, stack_cap;
    size_t *scratch; /* exclude set being computed for a child */

    vss_walk_entry entry;
    char message[512];
};

/* Collapse runs of '/', drop a trailing one; "/" becomes "" so that
 * joining always adds exactly one '/'. */
static char *normalize_dup(const char *s)
{
    char *p = malloc(strlen(s) + 1);
    if (p == NULL)
        return NULL;
    size_t n = 0;
    for (; *s != '\0'; s++)
        if (!(*s == '/' && n > 0 && p[n - 1] == '/'))
            p[n++] = *s;
    while (n > 0 && p[n - 1] == '/')
        n--;
    p[n] = '\0';
    return p;
}

static bool path_eq(const char *a, const char *b, unsigned flags)
{
    return (flags & VSS_MATCH_CASELESS) ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

/* Is dir strictly below ancestor (both normalized)? */
static bool path_below(const char *dir, const char *ancestor, unsigned flags)
{
    size_t n = strlen(ancestor);
    if (strlen(dir) <= n || dir[n] != '/')
        return false;
    return (flags & VSS_MATCH_CASELESS) ? strncasecmp(dir, ancestor, n) == 0
                                        : strncmp(dir, ancestor, n) == 0;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    char *p = realloc(*buf, n);
    if (p == NULL)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

int vss_walker_open(vss_walker **out, const vss_filedesc *d, const vss_walk_options *o,
                    vss_error *e)
{
    *out = NULL;
    vss_walk_options none = {0};
    if (o == NULL)
        o = &none;
    vss_walker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return vss_error_set(e, ENOMEM, "walker: out of memory");
    if (vss_filedesc_copy(&w->d, d, e) != VSS_OK) {
        free(w);
        return VSS_FAIL;
    }
    w->flags = o->flags;
    w->skip_stat = o->skip_stat;
    w->alternate = d->alternate_location != NULL;
    const char *root = o->root ? o->root : w->alternate ? d->alternate_location : d->path;
    const char *orig = o->original_root ? o->original_root : d->path;
    if (!w->alternate)
        orig = root;
    char *r = normalize_dup(root), *g = normalize_dup(orig);
    if (r == NULL || g == NULL)
        goto nomem;
    w->root_len = strlen(r);
    w->orig_root_len = strlen(g);
    if (reserve(&w->disk, &w->disk_cap, w->root_len + 2) != 0 ||
        reserve(&w->orig, &w->orig_cap, w->orig_root_len + 2) != 0)
        goto nomem;
    memcpy(w->disk, r, w->root_len + 1);
    memcpy(w->orig, g, w->orig_root_len + 1);
    free(r);
    free(g);
    r = g = NULL;
    if (o->exclude_count > 0) {
        w->ex = calloc(o->exclude_count, sizeof *w->ex);
        w->scratch = calloc(o->exclude_count, sizeof *w->scratch);
        if (w->ex == NULL || w->scratch == NULL)
            goto nomem;
        for (size_t i = 0; i < o->exclude_count; i++) {
            if (vss_filedesc_copy(&w->ex[i], &o->excludes[i], e) != VSS_OK) {
                vss_walker_free(w);
                return VSS_FAIL;
            }
            w->nex = i + 1;
            char *p = normalize_dup(w->ex[i].path);
            if (p == NULL)
                goto nomem;
            free(w->ex[i].path);
            w->ex[i].path = p;
        }
    }
    *out = w;
    return VSS_OK;
nomem:
    free(r);
    free(g);
    vss_walker_free(w);
    return vss_error_set(e, ENOMEM, "walker: out of memory");
}

static void pop(vss_walker *w)
{
    frame *f = &w->stack[--w->depth];
    closedir(f->dir);
    free(f->ex);
}

void vss_walker_free(vss_walker *w)
{
    if (w == NULL)
        return;
    while (w->depth > 0)
        pop(w);
    free(w->stack);
    for (size_t i = 0; i < w->nex; i++)
        vss_filedesc_clear(&w->ex[i]);
    free(w->ex);
    free(w->scratch);
    free(w->disk);
    free(w->orig);
    vss_filedesc_clear(&w->d);
    free(w);
}

size_t vss_walker_depth(const vss_walker *w)
{
    return w->depth;
}

const char *vss_entry_kind_name(vss_entry_kind k)
{
    switch (k) {
    case VSS_ENTRY_FILE:
        return "file";
    case VSS_ENTRY_DIRECTORY:
        return "directory";
    case VSS_ENTRY_SYMLINK:
        return "symlink";
    case VSS_ENTRY_OTHER:
        return "other";
    case VSS_ENTRY_ERROR:
        return "error";
    }
    return "error";
}

/* The excludes that apply to the entries of the directory whose original
 * path is dir: the recursive ones of its parent, and those naming it. The
 * result goes to w->scratch; returns the count, or SIZE_MAX when a
 * recursive exclude that matches every name covers it (prune). */
static size_t child_excludes(vss_walker *w, const frame *parent, const char *dir)
{
    size_t n = 0;
    if (parent != NULL) {
        for (size_t k = 0; k < parent->nex; k++)
            if (w->ex[parent->ex[k]].recursive)
                w->scratch[n++] = parent->ex[k];
    }
    for (size_t i = 0; i < w->nex; i++) {
        bool applies = path_eq(w->ex[i].path, dir, w->flags) ||
                       (parent == NULL && w->ex[i].recursive &&
                        path_below(dir, w->ex[i].path, w->flags));
        if (!applies)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = w->scratch[k] == i;
        if (!seen)
            w->scratch[n++] = i;
    }
    for (size_t k = 0; k < n; k++)
        if (w->ex[w->scratch[k]].recursive && vss_filespec_matches_all(w->ex[w->scratch[k]].filespec))
            return SIZE_MAX;
    return n;
}

static bool excluded(const vss_walker *w, const frame *f, const char *name)
{
    for (size_t k = 0; k < f->nex; k++)
        if (vss_filespec_match(w->ex[f->ex[k]].filespec, name, w->flags))
            return true;
    return false;
}

static int push(vss_walker *w, DIR *dir, size_t len, size_t nex)
{
    if (VSS_GROW(w->stack, w->stack_cap, w->depth, NULL) != VSS_OK)
        return -1;
    frame *f = &w->stack[w->depth];
    f->ex = NULL;
    f->nex = nex;
    if (nex > 0) {
        f->ex = malloc(nex * sizeof *f->ex);
        if (f->ex == NULL)
            return -1;
        memcpy(f->ex, w->scratch, nex * sizeof *f->ex);
    }
    f->dir = dir;
    f->len = len;
    w->depth++;
    return 0;
}

/* Point the entry at the current disk path (of length len) and its
 * original counterpart. */
static int set_paths(vss_walker *w, size_t len)
{
    vss_walk_entry *en = &w->entry;
    en->path = w->disk;
    en->relpath = len > w->root_len ? w->disk + w->root_len + 1 : w->disk + len;
    const char *slash = strrchr(en->relpath, '/');
    en->name = slash ? slash + 1 : en->relpath;
    en->original = w->disk;
    if (w->alternate) {
        size_t tail = len - w->root_len; /* "/relpath" */
        if (reserve(&w->orig, &w->orig_cap, w->orig_root_len + tail + 1) != 0)
            return -1;
        memcpy(w->orig + w->orig_root_len, w->disk + w->root_len, tail + 1);
        en->original = w->orig;
    }
    if (en->path[0] == '\0')
        en->path = "/";
    if (en->original[0] == '\0')
        en->original = "/";
    return 0;
}

static int report_error(vss_walker *w, size_t len, int err, const char *what, bool has_stat)
{
    vss_walk_entry *en = &w->entry;
    set_paths(w, len);
    en->kind = VSS_ENTRY_ERROR;
    en->has_stat = has_stat;
    en->sys_errno = err;
    snprintf(w->message, sizeof w->message, "%s '%s'%s%s", what, en->path, err ? ": " : "",
             err ? strerror(err) : "");
    en->code = err ? err : VSS_CHANGED;
    en->message = w->message;
    return 1;
}

static vss_entry_kind kind_of(mode_t m)
{
    return S_ISREG(m) ? VSS_ENTRY_FILE
         : S_ISDIR(m) ? VSS_ENTRY_DIRECTORY
         : S_ISLNK(m) ? VSS_ENTRY_SYMLINK
                      : VSS_ENTRY_OTHER;
}

static int report(vss_walker *w, size_t len, const struct stat *st)
{
    vss_walk_entry *en = &w->entry;
    if (set_paths(w, len) != 0)
        return report_error(w, len, ENOMEM, "walk", true);
    en->kind = kind_of(st->st_mode);
    en->has_stat = true;
    en->st = *st;
    en->sys_errno = 0;
    en->code = 0;
    en->message = NULL;
    return 1;
}

/* An entry known by its d_type alone (skip_stat). */
static int report_type(vss_walker *w, size_t len, unsigned char type)
{
    vss_walk_entry *en = &w->entry;
    if (set_paths(w, len) != 0)
        return report_error(w, len, ENOMEM, "walk", false);
    en->kind = type == DT_REG ? VSS_ENTRY_FILE : type == DT_LNK ? VSS_ENTRY_SYMLINK : VSS_ENTRY_OTHER;
    en->has_stat = false;
    en->sys_errno = 0;
    en->code = 0;
    en->message = NULL;
    return 1;
}

/* Make the directory fd the top of the stack (it is consumed). Returns 0,
 * or 1 with an error entry ready. */
static int push_fd(vss_walker *w, int fd, size_t len, size_t nex, bool has_stat)
{
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        int err = errno;
        close(fd);
        return report_error(w, len, err, "open directory", has_stat);
    }
    if (push(w, dir, len, nex) != 0) {
        closedir(dir);
        return report_error(w, len, ENOMEM, "open directory", has_stat);
    }
    return 0;
}

static int open_root(vss_walker *w)
{
    size_t len = w->root_len;
    const char *p = len == 0 ? "/" : w->disk;
    /* The walked directory may itself be reached through a symlink: the
     * caller named it. Nothing below it is. */
    size_t nex = child_excludes(w, NULL, w->alternate ? w->orig : w->disk);
    if (nex == SIZE_MAX)
        return 0;
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return report_error(w, len, errno, "open directory", false);
    return push_fd(w, fd, len, nex, false);
}

/* A directory entry at the current path (length len) in frame f. st is its
 * lstat data when already known, else NULL. Returns 1 when an entry is
 * ready, 0 to go on reading. */
static int enter_directory(vss_walker *w, size_t fi, size_t len, const char *name,
                           const struct stat *known)
{
    frame *f = &w->stack[fi];
    bool hidden = excluded(w, f, name);
    if (set_paths(w, len) != 0)
        return report_error(w, len, ENOMEM, "walk", false);
    size_t nex = child_excludes(w, f, w->entry.original);
    struct stat st;
    if (nex == SIZE_MAX) {
        if (hidden)
            return 0;
        if (known == NULL && fstatat(dirfd(f->dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return report_error(w, len, errno, "lstat", false);
        return report(w, len, known ? known : &st);
    }
    int fd = openat(dirfd(f->dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        bool has = fstatat(dirfd(f->dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if ((err == ELOOP || err == ENOTDIR) && has && !S_ISDIR(st.st_mode)) {
            /* Swapped for a symlink or a file since readdir: report what is
             * there now, under the rules for non-directories. */
            if (hidden || !vss_filespec_match(w->d.filespec, name, w->flags))
                return 0;
            return report(w, len, &st);
        }
        if (has)
            w->entry.st = st;
        return report_error(w, len, err, "open directory", has);
    }
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return report_error(w, len, err, "fstat", false);
    }
    if (known != NULL && (known->st_dev != st.st_dev || known->st_ino != st.st_ino)) {
        close(fd);
        w->entry.st = *known;
        return report_error(w, len, 0, "directory changed during the walk:", true);
    }
    if (push_fd(w, fd, len, nex, true))
        return 1;
    return hidden ? 0 : report(w, len, &st);
}

int vss_walker_next(vss_walker *w, const vss_walk_entry **entry)
{
    *entry = &w->entry;
    if (!w->started) {
        w->started = true;
        if (open_root(w))
            return 1;
    }
    while (w->depth > 0) {
        size_t fi = w->depth - 1;
        frame *f = &w->stack[fi];
        errno = 0;
        struct dirent *de = readdir(f->dir);
        if (de == NULL) {
            int err = errno;
            size_t len = f->len;
            pop(w);
            if (err != 0) {
                w->disk[len] = '\0';
                return report_error(w, len, err, "read directory", false);
            }
            continue;
        }
        const char *name = de->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        size_t nlen = strlen(name);
        size_t len = f->len + 1 + nlen;
        if (reserve(&w->disk, &w->disk_cap, len + 1) != 0) {
            w->disk[f->len] = '\0';
            return report_error(w, f->len, ENOMEM, "walk", false);
        }
        w->disk[f->len] = '/';
        memcpy(w->disk + f->len + 1, name, nlen + 1);
        name = w->disk + f->len + 1;

        unsigned char type = de->d_type;
        if (type == DT_DIR) {
            if (!w->d.recursive)
                continue;
            int r = enter_directory(w, fi, len, name, NULL);
            if (r)
                return r;
            continue;
        }
        /* Skip the lstat for names the filespec rejects: most of a big tree. */
        if (type != DT_UNKNOWN &&
            (!vss_filespec_match(w->d.filespec, name, w->flags) || excluded(w, f, name)))
            continue;
        if (type != DT_UNKNOWN && w->skip_stat)
            return report_type(w, len, type);
        struct stat st;
        if (fstatat(dirfd(f->dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return report_error(w, len, errno, "lstat", false);
        if (S_ISDIR(st.st_mode)) {
            if (!w->d.recursive)
                continue;
            int r = enter_directory(w, fi, len, name, &st);
            if (r)
                return r;
            continue;
        }
        if (type == DT_UNKNOWN &&
            (!vss_filespec_match(w->d.filespec, name, w->flags) || excluded(w, f, name)))
            continue;
        return report(w, len, &st);
    }
    return 0;
}

void vss_walk_paths_clear(vss_walk_paths *p)
{
    for (size_t i = 0; i < p->exclude_count; i++)
        free(p->excludes[i].path);
    free(p->excludes);
    free(p->original);
    free(p->read);
    *p = (vss_walk_paths){0};
}

int vss_walk_paths_resolve(vss_walk_paths *p, const vss_pathmap *map, const vss_filedesc *d,
                           const vss_filedesc *excludes, size_t exclude_count, vss_error *e)
{
    *p = (vss_walk_paths){0};
    if (exclude_count > 0 && (p->excludes = calloc(exclude_count, sizeof *p->excludes)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    int rc = VSS_OK;
    for (size_t i = 0; rc == VSS_OK && i < exclude_count; i++) {
        p->excludes[i] = excludes[i];
        p->excludes[i].path = NULL;
        p->excludes[i].alternate_location = NULL; /* excludes compare with originals */
        p->exclude_count++;
        rc = vss_document_path(map, excludes[i].path, &p->excludes[i].path, e);
    }
    if (rc == VSS_OK)
        rc = vss_document_path(map, d->path, &p->original, e);
    if (rc == VSS_OK)
        rc = vss_document_path(map, d->alternate_location ? d->alternate_location : d->path,
                               &p->read, e);
    if (rc != VSS_OK)
        vss_walk_paths_clear(p);
    return rc;
}
