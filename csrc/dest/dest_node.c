/* Metadata and the entries that are not regular files: symlinks, fifos,
 * devices, hard links, directories' own attributes and inode flags, all
 * beneath the destination's root with no symlink followed (each entry is
 * reached through its directory's fd, opened by dest.c's resolution, and
 * named by one component). New entries are made under a temporary name
 * and renamed into place, like files. */
#include "dest/dest.h"
#include "dest/dest_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The flags a user sets with chattr; the file system's own are kept. */
#define USER_FLAGS                                                                               \
    (FS_SECRM_FL | FS_UNRM_FL | FS_SYNC_FL | FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL |      \
     FS_NOATIME_FL | FS_DIRSYNC_FL | FS_TOPDIR_FL | FS_PROJINHERIT_FL)
#define FROZEN (FS_IMMUTABLE_FL | FS_APPEND_FL)

/* The entry: an open fd (fd >= 0), else name in dir (never followed). */
typedef struct where {
    int fd, dir;
    const char *name;
    bool symlink;
    const char *rel; /* for messages */
} where;

static int stat_of(const where *w, struct stat *st)
{
    return w->fd >= 0 ? fstat(w->fd, st) : fstatat(w->dir, w->name, st, AT_SYMLINK_NOFOLLOW);
}

static int give_owner(const where *w, const vss_dest_meta *m, unsigned *lost, vss_error *e)
{
    struct stat st;
    if (stat_of(w, &st) != 0)
        return vss_error_sys(e, errno, "'%s': stat", w->rel);
    if (st.st_uid == m->uid && st.st_gid == m->gid)
        return VSS_OK;
    uid_t uid = m->uid;
    for (int pass = 0; pass < 2; pass++) {
        int r = w->fd >= 0 ? fchown(w->fd, uid, m->gid)
                           : fchownat(w->dir, w->name, uid, m->gid, AT_SYMLINK_NOFOLLOW);
        if (r == 0 && uid == m->uid)
            return VSS_OK;
        if (r != 0 && errno != EPERM)
            return vss_error_sys(e, errno, "'%s': chown %u:%u", w->rel, (unsigned)m->uid,
                                 (unsigned)m->gid);
        if (r == 0 || geteuid() == 0)
            break;
        /* not root: the group alone, when it is one of ours */
        uid = (uid_t)-1;
    }
    if (geteuid() == 0)
        return vss_error_sys(e, EPERM, "'%s': chown %u:%u", w->rel, (unsigned)m->uid,
                             (unsigned)m->gid);
    if (lost)
        *lost |= VSS_DEST_LOST_OWNER;
    return VSS_OK;
}

static int give_meta(const where *w, const vss_dest_meta *m, unsigned *lost, vss_error *e)
{
    if (give_owner(w, m, lost, e) != VSS_OK)
        return VSS_FAIL;
    mode_t mode = m->mode & 07777;
    if (!w->symlink &&
        (w->fd >= 0 ? fchmod(w->fd, mode) : fchmodat(w->dir, w->name, mode, 0)) != 0)
        return vss_error_sys(e, errno, "'%s': chmod %o", w->rel, (unsigned)mode);
    char proc[64 + NAME_MAX];
    if (w->fd < 0)
        snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", w->dir, w->name);
    for (size_t i = 0; i < m->nxattrs; i++) {
        const vss_dest_xattr *x = &m->xattrs[i];
        int r = w->fd >= 0 ? fsetxattr(w->fd, x->name, x->value, x->size, 0)
                           : lsetxattr(proc, x->name, x->value, x->size, 0);
        if (r != 0)
            return vss_error_sys(e, errno, "'%s': set xattr %s", w->rel, x->name);
    }
    struct timespec ts[2] = {m->atime, m->mtime};
    if ((w->fd >= 0 ? futimens(w->fd, ts) : utimensat(w->dir, w->name, ts, AT_SYMLINK_NOFOLLOW)) != 0)
        return vss_error_sys(e, errno, "'%s': set times", w->rel);
    return VSS_OK;
}

/* Set the user flags of fd to want (the others kept); want_mask: which
 * of them to consider. */
static int set_flags(int fd, unsigned want, unsigned mask, const char *rel, vss_error *e)
{
    int cur = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &cur) != 0) {
        if ((errno == ENOTTY || errno == ENOTSUP || errno == EINVAL) && (want & mask) == 0)
            return VSS_OK; /* no flags here, none wanted */
        return vss_error_sys(e, errno, "'%s': get inode flags", rel);
    }
    int next = (int)(((unsigned)cur & ~mask) | (want & mask));
    if (next == cur)
        return VSS_OK;
    if (ioctl(fd, FS_IOC_SETFLAGS, &next) != 0)
        return vss_error_sys(e, errno, "'%s': set inode flags %x", rel, (unsigned)next);
    return VSS_OK;
}

int vss_dest_file_meta(vss_dest_file *f, const vss_dest_meta *m, unsigned *lost, vss_error *e)
{
    where w = {.fd = f->fd, .dir = f->dir_fd, .rel = f->relpath};
    return give_meta(&w, m, lost, e);
}

static int make_entry(vss_dest *t, vss_dest_file *f, const vss_dest_node *n, vss_error *e)
{
    vss_dest_file *src = NULL;
    if (n->type == 0 && dest_file_start(t, n->link, 0, &src, e) != VSS_OK)
        return VSS_FAIL;
    int rc = VSS_FAIL;
    for (int tries = 0; tries < 32; tries++) {
        if (dest_temp_name(f, e) != VSS_OK)
            break;
        int r;
        if (n->type == 0)
            r = linkat(src->dir_fd, src->name, f->dir_fd, f->tmp, 0);
        else if (n->type == S_IFLNK)
            r = symlinkat(n->target, f->dir_fd, f->tmp);
        else
            r = mknodat(f->dir_fd, f->tmp, (mode_t)n->type | 0600, n->rdev);
        if (r == 0) {
            rc = VSS_OK;
            break;
        }
        if (errno != EEXIST) {
            vss_error_sys(e, errno, "'%s': %s", f->relpath,
                          n->type == 0 ? "link" : n->type == S_IFLNK ? "symlink" : "mknod");
            break;
        }
    }
    if (src != NULL)
        dest_file_free(src);
    return rc;
}

int vss_dest_node_make(vss_dest *t, const char *relpath, const vss_dest_node *n,
                       const vss_dest_meta *m, unsigned *lost, vss_error *e)
{
    if (n->type != 0 && n->type != S_IFLNK && n->type != S_IFIFO && n->type != S_IFCHR &&
        n->type != S_IFBLK)
        return vss_error_set(e, EINVAL, "'%s': no such entry type %o", relpath, (unsigned)n->type);
    if ((n->type == 0 && (n->link == NULL || n->link[0] == '\0')) ||
        (n->type == S_IFLNK && n->target == NULL))
        return vss_error_set(e, EINVAL, "'%s': a link without its target", relpath);
    vss_dest_file *f;
    if (dest_file_start(t, relpath, 1, &f, e) != VSS_OK)
        return VSS_FAIL;
    bool replace = (vss_dest_flags(t) & VSS_DEST_REPLACE) != 0;
    f->noreplace = !replace;
    struct stat st;
    int have = fstatat(f->dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int rc = VSS_OK;
    if (!have && errno != ENOENT)
        rc = vss_error_sys(e, errno, "'%s': stat", relpath);
    else if (have && !replace)
        rc = vss_error_set(e, EEXIST, "'%s': exists, and the destination does not replace files",
                           relpath);
    else if (have && S_ISDIR(st.st_mode))
        rc = vss_error_set(e, EISDIR, "'%s': is a directory", relpath);
    else if (have && dest_unfreeze(t, f, relpath, e) != VSS_OK)
        rc = VSS_FAIL;
    if (rc == VSS_OK)
        rc = make_entry(t, f, n, e);
    if (rc != VSS_OK) {
        dest_file_free(f);
        return VSS_FAIL;
    }
    where w = {.fd = -1, .dir = f->dir_fd, .name = f->tmp, .symlink = n->type == S_IFLNK,
               .rel = relpath};
    if (m != NULL && n->type != 0)
        rc = give_meta(&w, m, lost, e);
    if (rc == VSS_OK && dest_file_rename(f) != 0)
        rc = errno == EEXIST
                 ? vss_error_set(e, EEXIST, "'%s': appeared while restoring; not replaced", relpath)
                 : vss_error_sys(e, errno, "'%s': rename", relpath);
    /* a temporary left over: on failure, or when the name already was a
     * link to the same inode (rename then does nothing) */
    unlinkat(f->dir_fd, f->tmp, 0);
    dest_file_free(f);
    return rc;
}

/* The directory or regular file relpath, opened beneath the root. */
static int open_entry(vss_dest *t, const char *relpath, vss_error *e)
{
    vss_dest_file *f;
    if (vss_dest_path_check(relpath, 0, e) != VSS_OK)
        return -1;
    if (strspn(relpath, "./") == strlen(relpath)) {
        /* the root itself ("."): its directory fd, as any entry's parent */
        if (dest_file_start(t, "x", 0, &f, e) != VSS_OK)
            return -1;
        int fd = fcntl(f->dir_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            vss_error_sys(e, errno, "'%s': open", vss_dest_root(t));
        dest_file_free(f);
        return fd;
    }
    if (dest_file_start(t, relpath, 0, &f, e) != VSS_OK)
        return -1;
    struct stat st;
    int fd = -1;
    if (fstatat(f->dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        vss_error_sys(e, errno, "'%s': stat", relpath);
    else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        vss_error_set(e, EINVAL, "'%s': not a directory or regular file", relpath);
    else if ((fd = dest_open_beneath(t, f->dir_fd, f->name, O_RDONLY | O_NONBLOCK, 0)) < 0)
        dest_resolve_error(e, errno, relpath, "open");
    dest_file_free(f);
    return fd;
}

int vss_dest_dir(vss_dest *t, const char *relpath, bool *existed, vss_error *e)
{
    if (existed) {
        vss_error probe;
        int fd = open_entry(t, relpath, &probe);
        *existed = fd >= 0;
        if (fd >= 0)
            close(fd);
    }
    if (vss_dest_mkdir(t, relpath, e) != VSS_OK)
        return VSS_FAIL;
    if (!(vss_dest_flags(t) & VSS_DEST_REPLACE))
        return VSS_OK;
    int fd = open_entry(t, relpath, e);
    if (fd < 0)
        return VSS_FAIL;
    int cur = 0, rc = VSS_OK;
    if (ioctl(fd, FS_IOC_GETFLAGS, &cur) == 0 && (cur & FROZEN))
        rc = set_flags(fd, 0, FROZEN, relpath, e);
    close(fd);
    return rc;
}

int vss_dest_set_meta(vss_dest *t, const char *relpath, const vss_dest_meta *m, unsigned what,
                      unsigned *lost, vss_error *e)
{
    int fd = open_entry(t, relpath, e);
    if (fd < 0)
        return VSS_FAIL;
    where w = {.fd = fd, .dir = -1, .rel = relpath};
    int rc = VSS_OK;
    if (what & VSS_DEST_META_ALL)
        rc = give_meta(&w, m, lost, e);
    if (rc == VSS_OK && (what & VSS_DEST_META_FLAGS))
        rc = set_flags(fd, m->flags & USER_FLAGS, USER_FLAGS, relpath, e);
    close(fd);
    return rc;
}

int vss_dest_sync(vss_dest *t, vss_error *e)
{
    vss_dest_file *f;
    if (dest_file_start(t, "x", 0, &f, e) != VSS_OK) /* the root, as a directory fd */
        return VSS_FAIL;
    int rc = syncfs(f->dir_fd) == 0 ? VSS_OK
                                     : vss_error_sys(e, errno, "'%s': sync", vss_dest_root(t));
    dest_file_free(f);
    return rc;
}

int vss_dest_rmdir(vss_dest *t, const char *relpath, vss_error *e)
{
    vss_dest_file *f;
    vss_error err;
    if (dest_file_start(t, relpath, 0, &f, &err) != VSS_OK) {
        if (err.sys_errno == ENOENT)
            return VSS_OK;
        if (e)
            *e = err;
        return VSS_FAIL;
    }
    int rc = dest_unfreeze(t, f, relpath, e);
    if (rc == VSS_OK && unlinkat(f->dir_fd, f->name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = vss_error_sys(e, errno, "'%s': remove directory", relpath);
    else if (rc == VSS_OK && fsync(f->dir_fd) != 0)
        rc = vss_error_sys(e, errno, "'%s': sync directory", relpath);
    dest_file_free(f);
    return rc;
}
