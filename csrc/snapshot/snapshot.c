/* A snapshot set: StartSnapshotSet, AddToSnapshotSet, DoSnapshotSet,
 * path translation, ExposeSnapshot, DeleteSnapshots and the release. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapshot/snapshot_freeze.h"
#include "snapshot/snapshot_internal.h"
#include "base/mem.h"
#include "base/array.h"

enum set_state { SET_STARTED, SET_TAKEN, SET_FAILED, SET_DELETED };

typedef struct member {
    char *area;
    const vss_snapshot_provider *provider;
} member;

struct vss_snapshot_set {
    vss_snapshot_set_info info; /* info.snapshots[i] goes with members[i] */
    member *members;
    vss_snapshot_options opt;
    char *default_provider; /* NULL = auto */
    enum set_state state;
    char **cleaned;         /* volumes already cleaned of dead owners' sets */
    size_t ncleaned, capcleaned;
};

bool vss_snapshot_attributes_supported(uint32_t attributes)
{
    return (attributes & ~(uint32_t)VSS_SNAPSHOT_USER_ATTRS) == 0;
}

int vss_snapshot_set_new(const vss_snapshot_options *opt, vss_snapshot_set **out, vss_error *e)
{
    *out = NULL;
    vss_snapshot_options o = opt ? *opt : (vss_snapshot_options){0};
    if (!vss_snapshot_attributes_supported(o.attributes))
        return vss_error_set(e, VSS_UNSUPPORTED_CONTEXT, "snapshot context/attributes 0x%x: unsupported bits 0x%x",
                             o.attributes, o.attributes & ~(uint32_t)VSS_SNAPSHOT_USER_ATTRS);
    if (o.provider && strcmp(o.provider, "auto") != 0 && vss_provider_find(o.provider) == NULL)
        return vss_error_set(e, EINVAL, "unknown snapshot provider '%s'", o.provider);
    vss_snapshot_set *s = calloc(1, sizeof *s);
    if (s == NULL)
        return vss_error_set(e, ENOMEM, "out of memory starting a snapshot set");
    if (o.provider && strcmp(o.provider, "auto") != 0 && (s->default_provider = strdup(o.provider)) == NULL) {
        free(s);
        return vss_error_set(e, ENOMEM, "out of memory starting a snapshot set");
    }
    o.provider = NULL;
    s->opt = o;
    s->info.attributes = o.attributes;
    snprintf(s->info.state, sizeof s->info.state, "started");
    if (vss_guid_random(&s->info.id, e) != VSS_OK) {
        free(s->default_provider);
        free(s);
        return VSS_FAIL;
    }
    *out = s;
    return VSS_OK;
}

static bool already_cleaned(vss_snapshot_set *s, const char *volume)
{
    for (size_t i = 0; i < s->ncleaned; i++)
        if (strcmp(s->cleaned[i], volume) == 0)
            return true;
    if (VSS_GROW(s->cleaned, s->capcleaned, s->ncleaned, NULL) != VSS_OK)
        return true; /* cleaning is a courtesy: skip it rather than fail */
    if ((s->cleaned[s->ncleaned] = strdup(volume)) != NULL)
        s->ncleaned++;
    return false;
}

/* The member for (volume, provider, original), created when missing. */
static int member_for(vss_snapshot_set *s, const vss_volume *v, const vss_snapshot_provider *p,
                      char *original, char *reason, const char *area, vss_snapshot **out, vss_error *e)
{
    for (size_t i = 0; i < s->info.nsnapshots; i++) {
        vss_snapshot *snap = &s->info.snapshots[i];
        if (s->members[i].provider == p && strcmp(snap->volume, v->mountpoint) == 0 &&
            strcmp(snap->original, original) == 0) {
            free(original);
            free(reason);
            *out = snap;
            return VSS_OK;
        }
    }
    size_t n = s->info.nsnapshots;
    vss_snapshot *snaps = realloc(s->info.snapshots, (n + 1) * sizeof *snaps);
    if (snaps != NULL)
        s->info.snapshots = snaps;
    member *members = snaps ? realloc(s->members, (n + 1) * sizeof *members) : NULL;
    if (members != NULL)
        s->members = members;
    if (snaps == NULL || members == NULL) {
        free(original);
        free(reason);
        return vss_error_set(e, ENOMEM, "out of memory adding to the snapshot set");
    }
    vss_snapshot *snap = &snaps[n];
    memset(snap, 0, sizeof *snap);
    snap->original = original;
    snap->reason = reason;
    snprintf(snap->provider, sizeof snap->provider, "%s", p->name);
    members[n].provider = p;
    members[n].area = strdup(area);
    snap->volume = strdup(v->mountpoint);
    int rc = vss_guid_random(&snap->id, e);
    if (rc == VSS_OK) {
        char sid[VSS_GUID_BUFSIZE], setid[VSS_GUID_BUFSIZE];
        vss_guid_format(&snap->id, VSS_GUID_BRACED, sid);
        vss_guid_format(&s->info.id, VSS_GUID_BRACED, setid);
        snap->root = p == &vss_provider_none ? strdup(original)
                                               : vss_strdup_printf("%s/%s/%s", area, setid, sid);
        if (members[n].area == NULL || snap->volume == NULL || snap->root == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory adding to the snapshot set");
    }
    if (rc != VSS_OK) {
        free(members[n].area);
        vss_snapshot_clear(snap);
        return VSS_FAIL;
    }
    s->info.nsnapshots++;
    *out = snap;
    return VSS_OK;
}

int vss_snapshot_set_add(vss_snapshot_set *s, const char *path, const char *provider,
                         bool snapshot_required, vss_error *e)
{
    if (s->state != SET_STARTED)
        return vss_error_set(e, VSS_BAD_STATE, "add '%s': the set was already taken or deleted", path);
    char *canon = realpath(path, NULL);
    if (canon == NULL)
        return vss_error_sys(e, errno, "add '%s'", path);
    vss_volume v = {0};
    char *original = NULL, *reason = NULL, *area = NULL;
    const vss_snapshot_provider *p = NULL;
    int rc = vss_volume_of(canon, &v, e);
    if (rc == VSS_OK && !already_cleaned(s, v.mountpoint))
        vss_snapshot_cleanup(canon, NULL, NULL);
    const char *name = provider ? provider : s->default_provider;
    if (rc == VSS_OK && name && strcmp(name, "auto") != 0) {
        p = vss_provider_find(name);
        if (p == NULL)
            rc = vss_error_set(e, EINVAL, "unknown snapshot provider '%s'", name);
        else if (p->probe(&v, canon, snapshot_required, &original, &reason, e) != VSS_OK)
            rc = vss_error_set(e, VSS_VOLUME_NOT_SUPPORTED, "add '%s': %s", path,
                               reason ? reason : (e ? e->message : name));
    } else if (rc == VSS_OK) {
        rc = vss_provider_choose(&v, canon, snapshot_required, &p, &original, &reason, e);
    }
    if (rc == VSS_OK && vss_volume_area_dir(&v, canon, &area, e) != VSS_OK) {
        rc = VSS_FAIL;
        if (p == &vss_provider_none) /* it writes nothing: any name will do */
            rc = (area = vss_path_join(v.mountpoint, VSS_SNAPSHOT_AREA)) != NULL
                     ? VSS_OK
                     : vss_error_set(e, ENOMEM, "out of memory");
    }
    vss_snapshot *snap = NULL;
    if (rc == VSS_OK) {
        rc = member_for(s, &v, p, original, reason, area, &snap, e);
        original = reason = NULL; /* member_for owns them now */
    }
    if (rc == VSS_OK)
        rc = p->add(snap, canon, e);
    free(original);
    free(reason);
    free(area);
    free(canon);
    vss_volume_clear(&v);
    return rc;
}

/* The members of s whose area is `area`, as a set of their own (shallow). */
static int area_view(const vss_snapshot_set *s, const char *area, vss_snapshot_set_info *view,
                     vss_error *e)
{
    *view = s->info;
    view->snapshots = malloc((s->info.nsnapshots + 1) * sizeof *view->snapshots);
    if (view->snapshots == NULL)
        return vss_error_set(e, ENOMEM, "out of memory writing a manifest");
    view->nsnapshots = 0;
    for (size_t i = 0; i < s->info.nsnapshots; i++)
        if (strcmp(s->members[i].area, area) == 0)
            view->snapshots[view->nsnapshots++] = s->info.snapshots[i];
    return VSS_OK;
}

/* Is members[i] the first with its area, and does the area hold anything
 * but "none" snapshots? Each such area is written and removed once; an
 * area of "none" snapshots only would have nothing to record (and may be
 * on a read-only filesystem). */
static bool first_of_area(const vss_snapshot_set *s, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(s->members[k].area, s->members[i].area) == 0)
            return false;
    for (size_t k = i; k < s->info.nsnapshots; k++)
        if (strcmp(s->members[k].area, s->members[i].area) == 0 &&
            s->members[k].provider != &vss_provider_none)
            return true;
    return false;
}

static int write_manifests(vss_snapshot_set *s, vss_error *e)
{
    for (size_t i = 0; i < s->info.nsnapshots; i++) {
        if (!first_of_area(s, i))
            continue;
        vss_snapshot_set_info view;
        if (area_view(s, s->members[i].area, &view, e) != VSS_OK)
            return VSS_FAIL;
        bool durable = (s->info.attributes & VSS_VOLSNAP_ATTR_PERSISTENT) != 0;
        int rc = vss_manifest_write(s->members[i].area, &view, durable, e);
        free(view.snapshots);
        if (rc != VSS_OK)
            return rc;
    }
    return VSS_OK;
}

/* Remove every artefact of the set, area by area; the first error wins. */
static int remove_all(vss_snapshot_set *s, vss_error *e)
{
    int rc = VSS_OK;
    for (size_t i = 0; i < s->info.nsnapshots; i++) {
        if (!first_of_area(s, i))
            continue;
        vss_snapshot_set_info view;
        vss_error err;
        vss_error_clear(&err);
        if (area_view(s, s->members[i].area, &view, &err) != VSS_OK ||
            vss_manifest_remove_set(s->members[i].area, &view, &err) != VSS_OK) {
            if (rc == VSS_OK && e)
                *e = err;
            rc = VSS_FAIL;
        }
        free(view.snapshots);
    }
    return rc;
}

static int take_one(vss_snapshot_set *s, size_t i, const vss_take_ctx *ctx, vss_error *e)
{
    vss_snapshot *snap = &s->info.snapshots[i];
    const vss_snapshot_provider *p = s->members[i].provider;
    vss_freezer *fz = NULL;
    if (p->needs_freeze && vss_freeze(snap->volume, ctx->freeze_timeout_ms, &fz, e) != VSS_OK)
        return VSS_FAIL;
    int rc = p->take(snap, ctx, e);
    vss_error thaw_err;
    if (fz && vss_thaw(fz, &thaw_err) != VSS_OK && rc == VSS_OK) {
        if (e)
            *e = thaw_err;
        rc = VSS_FAIL;
    }
    return rc;
}

int vss_snapshot_set_take(vss_snapshot_set *s, vss_error *e)
{
    if (s->state != SET_STARTED)
        return vss_error_set(e, VSS_BAD_STATE, "take: the set was already taken, failed or deleted");
    if (s->info.nsnapshots == 0)
        return vss_error_set(e, VSS_BAD_STATE, "take: nothing was added to the set");
    if (vss_owner_self(&s->info.owner_pid, &s->info.owner_start, s->info.boot_id, e) != VSS_OK)
        return VSS_FAIL;
    s->info.created = (int64_t)time(NULL);
    snprintf(s->info.state, sizeof s->info.state, "preparing");
    /* The manifests go first: whatever a crash leaves is then recognisable. */
    int rc = write_manifests(s, e);
    char setid[VSS_GUID_BUFSIZE];
    vss_guid_format(&s->info.id, VSS_GUID_BRACED, setid);
    for (size_t i = 0; rc == VSS_OK && i < s->info.nsnapshots; i++) {
        if (!first_of_area(s, i))
            continue;
        char *dir = vss_strdup_printf("%s/%s", s->members[i].area, setid);
        if (dir == NULL)
            rc = vss_error_set(e, ENOMEM, "out of memory");
        else if (mkdir(dir, 0700) != 0)
            rc = vss_error_sys(e, errno, "creating '%s'", dir);
        free(dir);
    }
    vss_take_ctx ctx = {s->opt.progress, s->opt.progress_ud, s->opt.freeze_timeout_ms};
    for (size_t i = 0; rc == VSS_OK && i < s->info.nsnapshots; i++)
        rc = take_one(s, i, &ctx, e);
    if (rc == VSS_OK) {
        snprintf(s->info.state, sizeof s->info.state, "created");
        rc = write_manifests(s, e);
    }
    if (rc == VSS_OK && (s->info.attributes & VSS_VOLSNAP_ATTR_PERSISTENT))
        sync(); /* a persistent set outlives a crash */
    if (rc != VSS_OK) {
        remove_all(s, NULL); /* the take's error is the one to report */
        s->state = SET_FAILED;
        snprintf(s->info.state, sizeof s->info.state, "failed");
        return VSS_FAIL;
    }
    s->state = SET_TAKEN;
    return VSS_OK;
}

/* How closely snap holds path: the length of its best selection, 0 if not. */
static size_t hold_score(const vss_snapshot *snap, const char *path)
{
    size_t best = 0;
    for (size_t i = 0; i < snap->nselection; i++)
        if (vss_fspath_within(path, snap->selection[i]) && strlen(snap->selection[i]) + 1 > best)
            best = strlen(snap->selection[i]) + 1;
    return best;
}

static int translate(const vss_snapshot_set *s, const char *norm, char **out, size_t *which,
                     vss_error *e)
{
    size_t best = 0, at = 0;
    for (size_t i = 0; i < s->info.nsnapshots; i++) {
        size_t score = hold_score(&s->info.snapshots[i], norm);
        if (score > best) {
            best = score;
            at = i;
        }
    }
    if (best > 0) {
        *which = at;
        return s->members[at].provider->path(&s->info.snapshots[at], norm, out, e);
    }
    /* not beneath a selection: a directory leading to one, or elsewhere in a btrfs subvolume */
    for (size_t i = 0; i < s->info.nsnapshots; i++) {
        vss_error ignored;
        if (vss_fspath_within(norm, s->info.snapshots[i].original) &&
            s->members[i].provider->path(&s->info.snapshots[i], norm, out, &ignored) == VSS_OK) {
            *which = i;
            return VSS_OK;
        }
    }
    return vss_error_set(e, VSS_OBJECT_NOT_FOUND, "'%s' is not in snapshot set", norm);
}

static int path_of(const vss_snapshot_set *s, const char *original, char **out, size_t *which,
                   vss_error *e)
{
    *out = NULL;
    if (s->state != SET_TAKEN)
        return vss_error_set(e, VSS_BAD_STATE, "path '%s': the set is not taken", original);
    char *norm = NULL;
    if (vss_path_normalize(original, &norm, e) != VSS_OK)
        return VSS_FAIL;
    int rc = translate(s, norm, out, which, e);
    if (rc != VSS_OK) {
        /* through a symlink, perhaps: the resolved path may be in */
        char *canon = realpath(original, NULL);
        vss_error again;
        if (canon && strcmp(canon, norm) != 0 && translate(s, canon, out, which, &again) == VSS_OK)
            rc = VSS_OK;
        free(canon);
    }
    if (rc != VSS_OK && e && e->code == VSS_OBJECT_NOT_FOUND) {
        char setid[VSS_GUID_BUFSIZE];
        vss_guid_format(&s->info.id, VSS_GUID_BRACED, setid);
        vss_error_set(e, VSS_OBJECT_NOT_FOUND, "'%s' is not in snapshot set %s", original, setid);
    }
    free(norm);
    return rc;
}

int vss_snapshot_set_path(const vss_snapshot_set *s, const char *original, char **out, vss_error *e)
{
    size_t which;
    return path_of(s, original, out, &which, e);
}

int vss_snapshot_set_expose(vss_snapshot_set *s, const char *original, const char *mountpoint,
                            vss_error *e)
{
    char *src = NULL, *mp = realpath(mountpoint, NULL);
    size_t which = 0;
    if (mp == NULL)
        return vss_error_sys(e, errno, "expose at '%s'", mountpoint);
    int rc = path_of(s, original, &src, &which, e);
    vss_snapshot *snap = rc == VSS_OK ? &s->info.snapshots[which] : NULL;
    if (rc == VSS_OK && snap->exposed)
        rc = vss_error_set(e, VSS_OBJECT_ALREADY_EXISTS, "snapshot of '%s' is already exposed at '%s'",
                           original, snap->exposed);
    if (rc == VSS_OK && mount(src, mp, NULL, MS_BIND, NULL) != 0)
        rc = vss_error_sys(e, errno, "expose '%s' at '%s' (bind mount)", original, mp);
    if (rc == VSS_OK && mount(NULL, mp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
        rc = vss_error_sys(e, errno, "expose '%s' at '%s' read-only", original, mp);
        umount2(mp, MNT_DETACH);
    }
    if (rc == VSS_OK) {
        snap->exposed = mp;
        mp = NULL;
        s->info.attributes |= VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
        rc = write_manifests(s, e);
    }
    free(src);
    free(mp);
    return rc;
}

int vss_snapshot_set_delete(vss_snapshot_set *s, vss_error *e)
{
    if (s->state == SET_DELETED)
        return VSS_OK;
    int rc = s->state == SET_TAKEN ? remove_all(s, e) : VSS_OK;
    if (rc == VSS_OK) {
        s->state = SET_DELETED;
        snprintf(s->info.state, sizeof s->info.state, "deleted");
    }
    return rc;
}

void vss_snapshot_set_free(vss_snapshot_set *s)
{
    if (s == NULL)
        return;
    if (s->state == SET_TAKEN && !(s->info.attributes & VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE))
        vss_snapshot_set_delete(s, NULL);
    for (size_t i = 0; i < s->info.nsnapshots; i++)
        free(s->members[i].area);
    free(s->members);
    vss_snapshot_set_info_clear(&s->info);
    for (size_t i = 0; i < s->ncleaned; i++)
        free(s->cleaned[i]);
    free(s->cleaned);
    free(s->default_provider);
    free(s);
}

void vss_snapshot_set_progress(vss_snapshot_set *s, vss_snapshot_progress_fn fn, void *ud)
{
    s->opt.progress = fn;
    s->opt.progress_ud = ud;
}

const vss_snapshot_set_info *vss_snapshot_set_describe(const vss_snapshot_set *s)
{
    return &s->info;
}
