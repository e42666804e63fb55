/* The btrfs provider: one read-only snapshot of the subvolume that holds
 * the data (BTRFS_IOC_SNAP_CREATE_V2 with BTRFS_SUBVOL_RDONLY), taken by
 * the filesystem at one instant, whatever the number of files. */
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/mem.h"

/* The subvolume root of path: the topmost directory above it, within the
 * mount, on the same st_dev (btrfs gives each subvolume its own). */
static int subvolume_root(const vss_volume *v, const char *path, char **out, vss_error *e)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return vss_error_sys(e, errno, "stat '%s'", path);
    char *cur = strdup(path);
    if (cur == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    dev_t dev = st.st_dev;
    ino_t ino = st.st_ino;
    if (!S_ISDIR(st.st_mode))
        ino = 0;
    while (strcmp(cur, v->mountpoint) != 0) {
        char *slash = strrchr(cur, '/');
        char *parent = slash == cur ? strdup("/") : strndup(cur, (size_t)(slash - cur));
        struct stat up;
        if (parent == NULL || stat(parent, &up) != 0 || up.st_dev != dev) {
            free(parent); /* cur is the topmost directory of this subvolume */
            break;
        }
        free(cur);
        cur = parent;
        ino = up.st_ino;
    }
    if (ino != BTRFS_FIRST_FREE_OBJECTID) {
        int r = vss_error_set(e, VSS_VOLUME_NOT_SUPPORTED,
                              "btrfs: the subvolume root of '%s' is not visible under %s", path,
                              v->mountpoint);
        free(cur);
        return r;
    }
    *out = cur;
    return VSS_OK;
}

static int btrfs_probe(const vss_volume *v, const char *path, bool snapshot_required, char **original,
                       char **reason, vss_error *e)
{
    (void)snapshot_required;
    *original = NULL;
    if (strcmp(v->fstype, "btrfs") != 0) {
        *reason = vss_strdup_printf("btrfs: %s at %s is not btrfs", v->fstype, v->mountpoint);
        return vss_error_set(e, VSS_VOLUME_NOT_SUPPORTED, "%s", *reason ? *reason : "btrfs");
    }
    if (geteuid() != 0) {
        /* a user may create a snapshot but not destroy it (without the
         * user_subvol_rm_allowed mount option): never leave one behind */
        *reason = vss_strdup_printf("btrfs: deleting a snapshot needs root");
        return vss_error_set(e, VSS_VOLUME_NOT_SUPPORTED, "%s", *reason ? *reason : "btrfs");
    }
    if (subvolume_root(v, path, original, e) != VSS_OK) {
        *reason = strdup(e ? e->message : "btrfs: no subvolume root");
        return VSS_FAIL;
    }
    *reason = vss_strdup_printf("btrfs: subvolume %s, one read-only snapshot, O(1), the whole "
                                "subvolume at one instant",
                                *original);
    if (*reason == NULL) {
        free(*original);
        *original = NULL;
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    return VSS_OK;
}

static int btrfs_take(vss_snapshot *snap, const vss_take_ctx *ctx, vss_error *e)
{
    char *parent = strdup(snap->root);
    if (parent == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    char *name = strrchr(parent, '/');
    *name++ = '\0';
    int rc = VSS_OK;
    int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int sfd = open(snap->original, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0 || sfd < 0) {
        rc = vss_error_sys(e, errno, "opening '%s'", pfd < 0 ? parent : snap->original);
    } else {
        /* Write back what is dirty first: the ioctl flushes again, but the
         * less is in flight, the less a not-yet-fsync'ed write is missed. */
        syncfs(sfd);
        struct btrfs_ioctl_vol_args_v2 args;
        memset(&args, 0, sizeof args);
        args.fd = sfd;
        args.flags = BTRFS_SUBVOL_RDONLY;
        snprintf(args.name, sizeof args.name, "%s", name);
        if (ioctl(pfd, BTRFS_IOC_SNAP_CREATE_V2, &args) != 0)
            rc = vss_error_sys(e, errno, "btrfs snapshot of '%s' (BTRFS_IOC_SNAP_CREATE_V2)",
                               snap->original);
    }
    if (pfd >= 0)
        close(pfd);
    if (sfd >= 0)
        close(sfd);
    free(parent);
    if (rc == VSS_OK && ctx->progress) {
        vss_snapshot_progress p = {snap->provider, snap->volume, NULL, 0, 0, true};
        if (ctx->progress(ctx->ud, &p) != 0)
            rc = vss_error_set(e, ECANCELED, "snapshot aborted by the progress callback");
    }
    return rc;
}

/* The whole subvolume is in the snapshot, not only the selection. */
static int btrfs_path(const vss_snapshot *snap, const char *original, char **out, vss_error *e)
{
    return vss_path_translate(original, snap->original, snap->root, out, e);
}

static int btrfs_remove(const vss_snapshot *snap, vss_error *e)
{
    return vss_tree_remove(snap->root, e); /* destroys the subvolume it finds */
}

const vss_snapshot_provider vss_provider_btrfs = {
    "btrfs", false, btrfs_probe, vss_provider_add_selection, btrfs_take, btrfs_path, btrfs_remove,
};
