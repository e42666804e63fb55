/* Trees of the reflink and copy providers: mirror an original tree into a
 * snapshot area (clone or copy each file, keep modes, owners and times),
 * and remove a tree without ever following a symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/mem.h"
#include "base/cancel.h"
#include "base/clone.h"

enum { TICK_FILES = 1000 };
#define TICK_BYTES (64ull << 20)

/* Owner, mode and times of st onto fd (or name under dirfd for symlinks).
 * An unprivileged caller keeps its own ownership: EPERM there is fine. */
static int copy_meta(int fd, int dirfd, const char *name, const struct stat *st, const char *path,
                     vss_error *e)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (fd >= 0) {
        if (fchown(fd, st->st_uid, st->st_gid) != 0 && errno != EPERM)
            return vss_error_sys(e, errno, "chown '%s'", path);
        if (fchmod(fd, st->st_mode & 07777) != 0)
            return vss_error_sys(e, errno, "chmod '%s'", path);
        if (futimens(fd, ts) != 0)
            return vss_error_sys(e, errno, "setting times of '%s'", path);
        return VSS_OK;
    }
    if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EPERM)
        return vss_error_sys(e, errno, "chown '%s'", path);
    if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) != 0)
        return vss_error_sys(e, errno, "setting times of '%s'", path);
    return VSS_OK;
}

/* The extended attributes (ACLs, capabilities, user.*...) of the source
 * onto the copy, and its inode flags but immutable and append-only (which
 * would keep the snapshot from being removed). By fd where one is given
 * (>= 0), else by name in its directory, never following a symlink. A
 * file system without xattrs or flags has nothing to copy. */
static int copy_extras(int sfd, int sdir, const char *sname, int dfd, int ddir, const char *dname,
                       const char *path, vss_error *e)
{
    char sp[64 + NAME_MAX], dp[64 + NAME_MAX];
    if (sfd < 0)
        snprintf(sp, sizeof sp, "/proc/self/fd/%d/%s", sdir, sname);
    if (dfd < 0)
        snprintf(dp, sizeof dp, "/proc/self/fd/%d/%s", ddir, dname);
    ssize_t n = sfd >= 0 ? flistxattr(sfd, NULL, 0) : llistxattr(sp, NULL, 0);
    int rc = VSS_OK;
    if (n < 0 && errno != ENOTSUP && errno != ENOENT)
        return vss_error_sys(e, errno, "listing the xattrs of '%s'", path);
    char *names = n > 0 ? malloc((size_t)n) : NULL;
    if (n > 0 && names == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    if (n > 0)
        n = sfd >= 0 ? flistxattr(sfd, names, (size_t)n) : llistxattr(sp, names, (size_t)n);
    char *value = NULL;
    size_t cap = 0;
    for (char *p = names; rc == VSS_OK && n > 0 && p < names + n; p += strlen(p) + 1) {
        ssize_t vn = sfd >= 0 ? fgetxattr(sfd, p, NULL, 0) : lgetxattr(sp, p, NULL, 0);
        if (vn >= 0 && (size_t)vn + 1 > cap) {
            char *v = realloc(value, (size_t)vn + 1);
            if (v == NULL) {
                rc = vss_error_set(e, ENOMEM, "out of memory");
                break;
            }
            value = v;
            cap = (size_t)vn + 1;
        }
        if (vn >= 0)
            vn = sfd >= 0 ? fgetxattr(sfd, p, value, (size_t)vn) : lgetxattr(sp, p, value, (size_t)vn);
        if (vn < 0)
            rc = vss_error_sys(e, errno, "reading xattr %s of '%s'", p, path);
        else if ((dfd >= 0 ? fsetxattr(dfd, p, value, (size_t)vn, 0)
                           : lsetxattr(dp, p, value, (size_t)vn, 0)) != 0 && errno != ENOTSUP)
            rc = vss_error_sys(e, errno, "setting xattr %s on the snapshot of '%s'", p, path);
    }
    free(names);
    free(value);
    int flags = 0;
    if (rc == VSS_OK && sfd >= 0 && dfd >= 0 && ioctl(sfd, FS_IOC_GETFLAGS, &flags) == 0) {
        flags &= (FS_SECRM_FL | FS_UNRM_FL | FS_SYNC_FL | FS_NODUMP_FL | FS_NOATIME_FL |
                  FS_DIRSYNC_FL | FS_TOPDIR_FL | FS_PROJINHERIT_FL);
        int cur = 0;
        if (flags != 0 && ioctl(dfd, FS_IOC_GETFLAGS, &cur) == 0) {
            cur |= flags;
            if (ioctl(dfd, FS_IOC_SETFLAGS, &cur) != 0 && errno != ENOTTY && errno != ENOTSUP)
                rc = vss_error_sys(e, errno, "setting inode flags on the snapshot of '%s'", path);
        }
    }
    return rc;
}

static int read_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (f == NULL)
        return -1;
    char line[256];
    unsigned m;
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "Umask: %o", &m) == 1)
            found = (int)(m & 0777);
    fclose(f);
    return found;
}

void vss_tree_ctx_init(vss_tree_ctx *c, enum vss_tree_mode mode)
{
    memset(c, 0, sizeof *c);
    c->mode = mode;
    c->euid = geteuid();
    c->egid = getegid();
    c->umask_bits = read_umask();
}

/* A new regular file's owner, mode and times, with only the calls it needs. */
static int file_meta(const vss_tree_ctx *c, int fd, const struct stat *st, const char *path, vss_error *e)
{
    bool owned = st->st_uid == c->euid && st->st_gid == c->egid && !c->dst_sgid;
    if (!owned && fchown(fd, st->st_uid, st->st_gid) != 0 && errno != EPERM)
        return vss_error_sys(e, errno, "chown '%s'", path);
    mode_t want = st->st_mode & 07777;
    bool moded = c->umask_bits >= 0 && want == ((st->st_mode & 0777) & ~(mode_t)c->umask_bits) && owned;
    if (!moded && fchmod(fd, want) != 0)
        return vss_error_sys(e, errno, "chmod '%s'", path);
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (futimens(fd, ts) != 0)
        return vss_error_sys(e, errno, "setting times of '%s'", path);
    return VSS_OK;
}

static int tick(vss_tree_ctx *c, vss_error *e)
{
    if (vss_cancelled()) /* a signal: per file and per buffer copied */
        return vss_cancel_check(e, "snapshot");
    if (c->tick == NULL || (c->files < c->next_tick_files && c->bytes < c->next_tick_bytes))
        return VSS_OK;
    c->next_tick_files = c->files + TICK_FILES;
    c->next_tick_bytes = c->bytes + TICK_BYTES;
    if (c->tick(c) != 0)
        return vss_error_set(e, ECANCELED, "snapshot aborted by the progress callback");
    return VSS_OK;
}

/* Copy the data of a regular file, holes kept as holes. */
static int copy_data(vss_tree_ctx *c, int in, int out, const struct stat *st, const char *path,
                     vss_error *e)
{
    if (c->buf == NULL) {
        c->bufsize = 1 << 20;
        c->buf = malloc(c->bufsize);
        if (c->buf == NULL)
            return vss_error_set(e, ENOMEM, "out of memory copying '%s'", path);
    }
    off_t off = 0;
    while (off < st->st_size) {
        off_t data = lseek(in, off, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;
        if (data < 0)
            data = off; /* no SEEK_DATA: copy everything */
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            hole = st->st_size;
        for (off_t pos = data; pos < hole;) {
            size_t want = (size_t)(hole - pos) < c->bufsize ? (size_t)(hole - pos) : c->bufsize;
            ssize_t r = pread(in, c->buf, want, pos);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return vss_error_sys(e, errno, "reading '%s'", path);
            if (r == 0) {
                hole = pos; /* the file shrank under us */
                break;
            }
            for (ssize_t done = 0; done < r;) {
                ssize_t w = pwrite(out, c->buf + done, (size_t)(r - done), pos + done);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0)
                    return vss_error_sys(e, errno, "copying '%s'", path);
                done += w;
            }
            pos += r;
            c->bytes += (uint64_t)r;
            if (tick(c, e) != VSS_OK)
                return VSS_FAIL;
        }
        off = hole;
    }
    /* Only a trailing hole needs it: a truncate per file costs XFS a flush. */
    if (off < st->st_size && ftruncate(out, st->st_size) != 0)
        return vss_error_sys(e, errno, "sizing the copy of '%s'", path);
    return VSS_OK;
}

static int mirror_file(vss_tree_ctx *c, int sdir, int ddir, const char *name, const struct stat *st,
                       const char *path, vss_error *e)
{
    int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (in < 0)
        return errno == ENOENT ? VSS_OK /* deleted during the take */
                               : vss_error_sys(e, errno, "opening '%s'", path);
    struct stat now;
    if (fstat(in, &now) != 0) {
        int err = errno;
        close(in);
        return vss_error_sys(e, err, "stat '%s'", path);
    }
    /* created with its final permissions: the umask aside, no chmod later */
    int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, now.st_mode & 0777);
    if (out < 0) {
        int err = errno;
        close(in);
        return vss_error_sys(e, err, "creating the snapshot of '%s'", path);
    }
    int rc = VSS_OK;
    if (c->mode == VSS_TREE_CLONE) {
        if (vss_clone_fd(out, in, NULL) != VSS_OK)
            rc = vss_error_sys(e, errno, "cloning '%s' (FICLONE)", path);
        else
            c->bytes += (uint64_t)now.st_size;
    } else {
        rc = copy_data(c, in, out, &now, path, e);
    }
    if (rc == VSS_OK)
        rc = file_meta(c, out, &now, path, e);
    if (rc == VSS_OK)
        rc = copy_extras(in, -1, NULL, out, -1, NULL, path, e);
    close(in);
    if (close(out) != 0 && rc == VSS_OK)
        rc = vss_error_sys(e, errno, "closing the snapshot of '%s'", path);
    (void)st;
    return rc;
}

static int mirror_entry(vss_tree_ctx *c, int sdir, int ddir, const char *name, char *path, size_t plen,
                        size_t pcap, vss_error *e);

/* Mirror the entries of the open directory sfd into dfd; path holds the
 * source directory's name (plen bytes) and grows with each entry. */
static int mirror_children(vss_tree_ctx *c, int sfd, int dfd, char *path, size_t plen, size_t pcap,
                           vss_error *e)
{
    int lfd = dup(sfd);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    if (d == NULL) {
        int err = errno;
        if (lfd >= 0)
            close(lfd);
        return vss_error_sys(e, err, "listing '%s'", path);
    }
    struct stat dst;
    bool saved_sgid = c->dst_sgid;
    c->dst_sgid = fstat(dfd, &dst) != 0 || (dst.st_mode & S_ISGID);
    int rc = VSS_OK;
    while (rc == VSS_OK) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno)
                rc = vss_error_sys(e, errno, "listing '%s'", path);
            break;
        }
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, VSS_SNAPSHOT_AREA) == 0)
            continue;
        size_t nlen = strlen(n);
        if (plen + 1 + nlen + 1 > pcap) {
            rc = vss_error_set(e, ENAMETOOLONG, "path too long beneath '%s'", path);
            break;
        }
        path[plen] = '/';
        memcpy(path + plen + 1, n, nlen + 1);
        rc = mirror_entry(c, sfd, dfd, n, path, plen + 1 + nlen, pcap, e);
        path[plen] = '\0';
    }
    closedir(d);
    c->dst_sgid = saved_sgid;
    return rc;
}

static int mirror_dir(vss_tree_ctx *c, int sdir, int ddir, const char *name, const struct stat *st,
                      char *path, size_t plen, size_t pcap, vss_error *e)
{
    if (mkdirat(ddir, name, 0700) != 0)
        return vss_error_sys(e, errno, "creating the snapshot of '%s'", path);
    int sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
        return errno == ENOENT ? VSS_OK : vss_error_sys(e, errno, "opening '%s'", path);
    int dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        int err = errno;
        close(sfd);
        return vss_error_sys(e, err, "opening the snapshot of '%s'", path);
    }
    int rc = mirror_children(c, sfd, dfd, path, plen, pcap, e);
    if (rc == VSS_OK)
        rc = copy_meta(dfd, -1, NULL, st, path, e);
    if (rc == VSS_OK) /* after the chmod, which would change an ACL's mask */
        rc = copy_extras(sfd, -1, NULL, dfd, -1, NULL, path, e);
    close(sfd);
    close(dfd);
    return rc;
}

static int mirror_entry(vss_tree_ctx *c, int sdir, int ddir, const char *name, char *path, size_t plen,
                        size_t pcap, vss_error *e)
{
    struct stat st;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? VSS_OK : vss_error_sys(e, errno, "stat '%s'", path);
    c->files++;
    if (tick(c, e) != VSS_OK)
        return VSS_FAIL;
    if (S_ISDIR(st.st_mode))
        return mirror_dir(c, sdir, ddir, name, &st, path, plen, pcap, e);
    if (S_ISREG(st.st_mode))
        return mirror_file(c, sdir, ddir, name, &st, path, e);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(sdir, name, target, sizeof target - 1);
        if (n < 0)
            return errno == ENOENT ? VSS_OK : vss_error_sys(e, errno, "reading link '%s'", path);
        target[n] = '\0';
        if (symlinkat(target, ddir, name) != 0)
            return vss_error_sys(e, errno, "creating the snapshot of '%s'", path);
        if (copy_meta(-1, ddir, name, &st, path, e) != VSS_OK)
            return VSS_FAIL;
        return copy_extras(-1, sdir, name, -1, ddir, name, path, e);
    }
    if (S_ISSOCK(st.st_mode))
        return VSS_OK; /* a socket has no content to keep */
    if (mknodat(ddir, name, st.st_mode, st.st_rdev) != 0)
        return errno == EPERM ? VSS_OK : vss_error_sys(e, errno, "creating the snapshot of '%s'", path);
    if (copy_meta(-1, ddir, name, &st, path, e) != VSS_OK)
        return VSS_FAIL;
    return copy_extras(-1, sdir, name, -1, ddir, name, path, e);
}

/* Create dst_top/rel's missing parents as copies of src_top/rel's. */
static int make_parents(const char *src_top, const char *dst_top, const char *rel, vss_error *e)
{
    char *r = strdup(rel);
    if (r == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    int rc = VSS_OK;
    for (char *slash = strchr(r + 1, '/'); slash && rc == VSS_OK; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        char *s = vss_strdup_printf("%s%s", src_top, r), *d = vss_strdup_printf("%s%s", dst_top, r);
        struct stat st;
        if (s == NULL || d == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory");
        else if (lstat(s, &st) != 0)
            rc = vss_error_sys(e, errno, "stat '%s'", s);
        else if (mkdir(d, 0700) == 0) {
            int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0)
                rc = vss_error_sys(e, errno, "opening '%s'", d);
            else {
                /* keep it writable for the owner until the take ends */
                st.st_mode |= S_IWUSR | S_IXUSR;
                rc = copy_meta(fd, -1, NULL, &st, s, e);
                close(fd);
            }
        } else if (errno != EEXIST)
            rc = vss_error_sys(e, errno, "creating '%s'", d);
        free(s);
        free(d);
        *slash = '/';
    }
    free(r);
    return rc;
}

int vss_tree_mirror(vss_tree_ctx *c, const char *src_top, const char *dst_top, const char *src,
                    vss_error *e)
{
    const char *rel = strcmp(src_top, "/") == 0 ? src : src + strlen(src_top);
    if (*rel == '\0' || strcmp(src, src_top) == 0) {
        /* the whole volume: mirror its entries into dst_top itself */
        int sdir = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int ddir = open(dst_top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t pcap = 8192;
        char *path = malloc(pcap);
        int rc;
        if (sdir < 0 || ddir < 0)
            rc = vss_error_sys(e, errno, "opening '%s'", sdir < 0 ? src : dst_top);
        else if (path == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory");
        else {
            snprintf(path, pcap, "%s", strcmp(src, "/") == 0 ? "" : src);
            rc = mirror_children(c, sdir, ddir, path, strlen(path), pcap, e);
        }
        free(path);
        if (sdir >= 0)
            close(sdir);
        if (ddir >= 0)
            close(ddir);
        return rc;
    }
    if (make_parents(src_top, dst_top, rel, e) != VSS_OK)
        return VSS_FAIL;
    char *sparent = strdup(src), *dparent = vss_strdup_printf("%s%s", dst_top, rel);
    int rc = VSS_OK, sdir = -1, ddir = -1;
    size_t pcap = 8192;
    char *path = malloc(pcap);
    if (sparent == NULL || dparent == NULL || path == NULL) {
        rc = vss_error_set(e, ENOMEM, "out of memory");
        goto out;
    }
    char *sname = strrchr(sparent, '/'), *dname = strrchr(dparent, '/');
    *sname++ = '\0';
    *dname++ = '\0';
    sdir = open(sparent[0] ? sparent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ddir = open(dparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sdir < 0 || ddir < 0) {
        rc = vss_error_sys(e, errno, "opening '%s'", sdir < 0 ? sparent : dparent);
        goto out;
    }
    snprintf(path, pcap, "%s", src);
    struct stat st;
    if (fstatat(ddir, dname, &st, AT_SYMLINK_NOFOLLOW) == 0)
        goto out; /* already mirrored, as part of an earlier selection */
    c->dst_sgid = fstat(ddir, &st) != 0 || (st.st_mode & S_ISGID);
    rc = mirror_entry(c, sdir, ddir, sname, path, strlen(path), pcap, e);
out:
    if (sdir >= 0)
        close(sdir);
    if (ddir >= 0)
        close(ddir);
    free(sparent);
    free(dparent);
    free(path);
    return rc;
}

static bool is_subvolume(int dirfd, const char *name, const struct stat *st)
{
    if (st->st_ino != BTRFS_FIRST_FREE_OBJECTID)
        return false;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct statfs sf;
    bool yes = fstatfs(fd, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
    close(fd);
    return yes;
}

static int remove_at(int parent, const char *name, const char *path, int depth, vss_error *e)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? VSS_OK : vss_error_sys(e, errno, "stat '%s'", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, name, 0) != 0 && errno != ENOENT)
            return vss_error_sys(e, errno, "removing '%s'", path);
        return VSS_OK;
    }
    if (is_subvolume(parent, name, &st)) {
        struct btrfs_ioctl_vol_args args;
        memset(&args, 0, sizeof args);
        snprintf(args.name, sizeof args.name, "%s", name);
        if (ioctl(parent, BTRFS_IOC_SNAP_DESTROY, &args) != 0)
            return vss_error_sys(e, errno, "destroying btrfs snapshot '%s'", path);
        return VSS_OK;
    }
    if (depth > 4096)
        return vss_error_set(e, ELOOP, "'%s': too deep to remove", path);
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return vss_error_sys(e, errno, "opening '%s'", path);
    if ((st.st_mode & 0700) != 0700)
        fchmod(fd, 0700); /* a mirrored read-only directory */
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int err = errno;
        close(fd);
        return vss_error_sys(e, err, "listing '%s'", path);
    }
    int rc = VSS_OK;
    struct dirent *de;
    while (rc == VSS_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *child = vss_path_join(path, de->d_name);
        rc = child ? remove_at(dirfd(d), de->d_name, child, depth + 1, e)
                   : vss_error_set(e, ENOMEM, "out of memory");
        free(child);
    }
    closedir(d);
    if (rc == VSS_OK && unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = vss_error_sys(e, errno, "removing '%s'", path);
    return rc;
}

int vss_tree_remove(const char *path, vss_error *e)
{
    char *parent = strdup(path);
    if (parent == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    char *slash = strrchr(parent, '/');
    if (slash == NULL || slash[1] == '\0') {
        free(parent);
        return vss_error_set(e, EINVAL, "refusing to remove '%s'", path);
    }
    *slash = '\0';
    int dfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (dfd < 0)
        rc = errno == ENOENT ? VSS_OK : vss_error_sys(e, errno, "opening '%s'", parent);
    else {
        rc = remove_at(dfd, slash + 1, path, 0, e);
        close(dfd);
    }
    free(parent);
    return rc;
}
