/* The file-level providers (reflink, copy, none) and the automatic choice.
 * The btrfs provider lives in snapshot_btrfs.c, the selection list every
 * provider keeps in snapshot_selection.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/mem.h"
#include "base/clone.h"

static int set_strings(char **original, const char *o, char **reason, char *r, vss_error *e)
{
    *original = o ? strdup(o) : NULL;
    *reason = r;
    if ((o && *original == NULL) || r == NULL) {
        free(*original);
        free(r);
        *original = *reason = NULL;
        return vss_error_set(e, ENOMEM, "out of memory probing a provider");
    }
    return VSS_OK;
}

/* The directory the area's parent is in: where probe files may go. */
static char *probe_dir(const vss_volume *v, const char *path, vss_error *e)
{
    char *area = NULL;
    if (vss_volume_area_dir(v, path, &area, e) != VSS_OK)
        return NULL;
    *strrchr(area, '/') = '\0';
    return area;
}

/* Clone one anonymous file into another: nothing to clean up, even after a crash. */
static int try_clone(const char *dir)
{
    int a = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (a < 0)
        return errno;
    int b = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (b < 0) {
        int err = errno;
        close(a);
        return err;
    }
    int err = 0;
    if (write(a, "luavss", 6) != 6 || fsync(a) != 0)
        err = errno ? errno : EIO;
    else if (vss_clone_fd(b, a, NULL) != VSS_OK)
        err = errno;
    close(a);
    close(b);
    return err;
}

static int reflink_probe(const vss_volume *v, const char *path, bool snapshot_required,
                         char **original, char **reason, vss_error *e)
{
    (void)snapshot_required;
    char *dir = probe_dir(v, path, e);
    if (dir == NULL) {
        set_strings(original, NULL, reason,
                    vss_strdup_printf("reflink: %s", e ? e->message : "no writable directory"), e);
        return VSS_FAIL;
    }
    int err = try_clone(dir);
    if (err == ENOENT) /* the area is made on first use: ask the volume's root */
        err = try_clone(v->mountpoint);
    free(dir);
    if (err != 0) {
        set_strings(original, NULL, reason,
                    vss_strdup_printf("reflink: %s at %s cannot clone files (FICLONE: %s)", v->fstype,
                                      v->mountpoint, strerror(err)),
                    e);
        return vss_error_set(e, VSS_VOLUME_NOT_SUPPORTED, "%s", *reason ? *reason : "reflink");
    }
    return set_strings(original, v->mountpoint, reason,
                       vss_strdup_printf("reflink: %s at %s clones files (FICLONE), O(metadata) per "
                                         "file; each file is taken whole, files one after another",
                                         v->fstype, v->mountpoint),
                       e);
}

static int mirror_take(vss_snapshot *snap, const vss_take_ctx *ctx, enum vss_tree_mode mode,
                       vss_error *e);

static int reflink_take(vss_snapshot *snap, const vss_take_ctx *ctx, vss_error *e)
{
    return mirror_take(snap, ctx, VSS_TREE_CLONE, e);
}

static int tree_remove(const vss_snapshot *snap, vss_error *e)
{
    return vss_tree_remove(snap->root, e);
}

static const vss_snapshot_provider provider_reflink = {
    "reflink", false, reflink_probe, vss_provider_add_selection, reflink_take,
    vss_provider_path_selected, tree_remove,
};

static int copy_probe(const vss_volume *v, const char *path, bool snapshot_required, char **original,
                      char **reason, vss_error *e)
{
    (void)snapshot_required;
    char *dir = probe_dir(v, path, e);
    if (dir == NULL) {
        set_strings(original, NULL, reason, vss_strdup_printf("copy: %s", e ? e->message : "no area"), e);
        return VSS_FAIL;
    }
    free(dir);
    return set_strings(original, v->mountpoint, reason,
                       vss_strdup_printf("copy: copies the data of every selected file on %s at %s: "
                                         "slow, O(bytes); consistent only while writers are frozen",
                                         v->fstype, v->mountpoint),
                       e);
}

static int copy_take(vss_snapshot *snap, const vss_take_ctx *ctx, vss_error *e)
{
    return mirror_take(snap, ctx, VSS_TREE_COPY, e);
}

static const vss_snapshot_provider provider_copy = {
    "copy", false, copy_probe, vss_provider_add_selection, copy_take, vss_provider_path_selected,
    tree_remove,
};

typedef struct {
    vss_tree_ctx tree;
    const vss_take_ctx *take;
    vss_snapshot *snap;
} mirror_ud;

static int mirror_tick(vss_tree_ctx *c)
{
    mirror_ud *m = c->ud;
    vss_snapshot_progress p = {m->snap->provider, m->snap->volume, NULL, c->files, c->bytes, false};
    return m->take->progress(m->take->ud, &p);
}

static int mirror_take(vss_snapshot *snap, const vss_take_ctx *ctx, enum vss_tree_mode mode,
                       vss_error *e)
{
    mirror_ud m = {{0}, ctx, snap};
    vss_tree_ctx_init(&m.tree, mode);
    m.tree.ud = &m;
    m.tree.tick = ctx->progress ? mirror_tick : NULL;
    if (ctx->progress && mode == VSS_TREE_COPY) {
        vss_snapshot_progress p = {snap->provider, snap->volume,
                                   "copy provider: copying file data, slow (no reflink or "
                                   "subvolume snapshot on this filesystem)",
                                   0, 0, false};
        if (ctx->progress(ctx->ud, &p) != 0)
            return vss_error_set(e, ECANCELED, "snapshot aborted by the progress callback");
    }
    if (mkdir(snap->root, 0700) != 0) {
        return vss_error_sys(e, errno, "creating '%s'", snap->root);
    }
    int rc = VSS_OK;
    for (size_t i = 0; rc == VSS_OK && i < snap->nselection; i++) {
        /* a selection beneath another is mirrored with it */
        bool nested = false;
        for (size_t k = 0; k < snap->nselection && !nested; k++)
            nested = k != i && vss_fspath_within(snap->selection[i], snap->selection[k]) &&
                     strcmp(snap->selection[i], snap->selection[k]) != 0;
        if (!nested)
            rc = vss_tree_mirror(&m.tree, snap->original, snap->root, snap->selection[i], e);
    }
    free(m.tree.buf);
    if (rc == VSS_OK && ctx->progress) {
        vss_snapshot_progress p = {snap->provider, snap->volume, NULL, m.tree.files, m.tree.bytes, true};
        if (ctx->progress(ctx->ud, &p) != 0)
            rc = vss_error_set(e, ECANCELED, "snapshot aborted by the progress callback");
    }
    return rc;
}

static int none_probe(const vss_volume *v, const char *path, bool snapshot_required, char **original,
                      char **reason, vss_error *e)
{
    struct statvfs sv;
    const char *why = !snapshot_required
                          ? "none: no file spec requires a snapshot; reads the live files (backup "
                            "without a shadow copy)"
                      : (statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY))
                          ? "none: mounted read-only, the live files are already a point in time"
                          : "none: forced; reads the live files (no shadow copy)";
    return set_strings(original, v->mountpoint, reason, strdup(why), e);
}

static int none_take(vss_snapshot *snap, const vss_take_ctx *ctx, vss_error *e)
{
    (void)snap;
    (void)ctx;
    (void)e;
    return VSS_OK;
}

static int none_remove(const vss_snapshot *snap, vss_error *e)
{
    (void)snap;
    (void)e;
    return VSS_OK;
}

const vss_snapshot_provider vss_provider_none = {
    "none", false, none_probe, vss_provider_add_selection, none_take, vss_provider_path_selected,
    none_remove,
};

static const vss_snapshot_provider *const providers[] = {
    &vss_provider_btrfs, &provider_reflink, &provider_copy, &vss_provider_none,
};

const char *vss_snapshot_provider_name(size_t i)
{
    if (i == 0)
        return "auto";
    return i <= sizeof providers / sizeof providers[0] ? providers[i - 1]->name : NULL;
}

const vss_snapshot_provider *vss_provider_find(const char *name)
{
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

int vss_provider_choose(const vss_volume *v, const char *path, bool snapshot_required,
                        const vss_snapshot_provider **p, char **original, char **reason, vss_error *e)
{
    struct statvfs sv;
    if (!snapshot_required || (statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY))) {
        *p = &vss_provider_none;
        return vss_provider_none.probe(v, path, snapshot_required, original, reason, e);
    }
    /* cheapest first; each refusal explains the choice that follows */
    char *refused = NULL;
    for (size_t i = 0; i < 3; i++) {
        char *why = NULL;
        vss_error probe_err;
        vss_error_clear(&probe_err);
        if (providers[i]->probe(v, path, true, original, &why, &probe_err) == VSS_OK) {
            *p = providers[i];
            *reason = refused ? vss_strdup_printf("%s (not: %s)", why, refused) : why;
            if (refused)
                free(why);
            free(refused);
            if (*reason == NULL) {
                free(*original);
                *original = NULL;
                return vss_error_set(e, ENOMEM, "out of memory choosing a provider");
            }
            return VSS_OK;
        }
        const char *text = why ? why : probe_err.message;
        char *joined = refused ? vss_strdup_printf("%s; %s", refused, text) : strdup(text);
        free(refused);
        free(why);
        refused = joined;
    }
    vss_error_set(e, VSS_VOLUME_NOT_SUPPORTED, "no provider can snapshot '%s': %s", path,
                  refused ? refused : "out of memory");
    free(refused);
    return VSS_FAIL;
}
