/* Sets on disk: Query, cleanup of dead owners' leftovers, DeleteSnapshots
 * by id, IsVolumeSupported. They read the manifests in the areas. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/mem.h"
#include "base/array.h"

typedef int (*manifest_visit)(void *ud, const char *area, const char *file, vss_error *e);

static bool is_manifest_name(const char *n)
{
    size_t len = strlen(n);
    return len == VSS_GUID_BRACED_STRLEN + 9 && n[0] == '{' &&
           strcmp(n + VSS_GUID_BRACED_STRLEN, ".manifest") == 0;
}

/* A temporary manifest ".{id}.manifest.tmp.<pid>" whose writer is gone. */
static void drop_stale_tmp(const char *area, const char *n)
{
    const char *tail = strstr(n, ".manifest.tmp.");
    if (n[0] != '.' || tail == NULL)
        return;
    pid_t pid = (pid_t)strtol(tail + 14, NULL, 10);
    if (pid > 0 && vss_owner_start(pid) != 0)
        return;
    char *f = vss_path_join(area, n);
    if (f)
        unlink(f);
    free(f);
}

/* Seconds since the epoch at this boot (0 when unknown). */
static time_t boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (f == NULL)
        return 0;
    char line[256];
    long long t = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lld", &t) == 1)
            break;
    fclose(f);
    return (time_t)t;
}

/* A set directory without its manifest: a non-durable manifest lost to a
 * machine crash. Removed only when older than this boot, so it cannot be
 * a live set whose manifest is being written. */
static void drop_orphan(const char *area, const char *n)
{
    char *dir = vss_path_join(area, n), *man = dir ? vss_strdup_printf("%s.manifest", dir) : NULL;
    struct stat st;
    time_t boot = boot_time();
    if (man && access(man, F_OK) != 0 && errno == ENOENT && lstat(dir, &st) == 0 &&
        S_ISDIR(st.st_mode) && boot > 0 && st.st_mtime < boot)
        vss_tree_remove(dir, NULL);
    free(dir);
    free(man);
}

static int visit_area(const char *area, manifest_visit visit, void *ud, bool orphans, vss_error *e)
{
    DIR *d = opendir(area);
    if (d == NULL)
        return (errno == ENOENT || errno == ENOTDIR || errno == EACCES) ? VSS_OK
                                                                          : vss_error_sys(e, errno, "listing '%s'", area);
    int rc = VSS_OK;
    struct dirent *de;
    while (rc == VSS_OK && (de = readdir(d)) != NULL) {
        if (is_manifest_name(de->d_name)) {
            char *f = vss_path_join(area, de->d_name);
            rc = f ? visit(ud, area, f, e) : vss_error_set(e, ENOMEM, "out of memory");
            free(f);
        } else if (orphans && de->d_name[0] == '.' && de->d_name[1] == '{') {
            drop_stale_tmp(area, de->d_name);
        } else if (orphans && de->d_name[0] == '{' &&
                   strlen(de->d_name) == VSS_GUID_BRACED_STRLEN) {
            drop_orphan(area, de->d_name);
        }
    }
    closedir(d);
    if (orphans)
        rmdir(area); /* when the orphans were all it held */
    return rc;
}

/* Every area that may hold sets: the one at each mount point (or at the
 * mount point of path), and for path those on the way down to it. */
static int each_area(const char *path, manifest_visit visit, void *ud, bool orphans, vss_error *e)
{
    if (path == NULL) {
        vss_volume *vols = NULL;
        size_t n = 0;
        if (vss_volume_list(&vols, &n, e) != VSS_OK)
            return VSS_FAIL;
        int rc = VSS_OK;
        for (size_t i = 0; rc == VSS_OK && i < n; i++) {
            char *area = vss_path_join(vols[i].mountpoint, VSS_SNAPSHOT_AREA);
            rc = area ? visit_area(area, visit, ud, orphans, e) : vss_error_set(e, ENOMEM, "out of memory");
            free(area);
        }
        vss_volume_list_free(vols, n);
        return rc;
    }
    char *canon;
    vss_volume v;
    int rc = vss_volume_resolve(path, &canon, &v, e);
    if (rc == VSS_OK) {
        size_t start = strcmp(v.mountpoint, "/") == 0 ? 1 : strlen(v.mountpoint);
        /* the mount point, then each directory below it on the way to path */
        for (size_t cut = start; rc == VSS_OK;) {
            char saved = canon[cut];
            canon[cut] = '\0';
            char *area = vss_path_join(cut <= 1 && start == 1 ? "/" : canon, VSS_SNAPSHOT_AREA);
            canon[cut] = saved;
            rc = area ? visit_area(area, visit, ud, orphans, e) : vss_error_set(e, ENOMEM, "out of memory");
            free(area);
            if (saved == '\0')
                break;
            char *next = strchr(canon + cut + 1, '/');
            cut = next ? (size_t)(next - canon) : strlen(canon);
        }
        vss_volume_clear(&v);
    }
    free(canon);
    return rc;
}

typedef struct {
    vss_snapshot_set_info *list;
    size_t n, cap;
} query_ud;

static int append_snapshots(vss_snapshot_set_info *into, vss_snapshot_set_info *from, vss_error *e)
{
    vss_snapshot *grown = realloc(into->snapshots, (into->nsnapshots + from->nsnapshots) * sizeof *grown);
    if (grown == NULL && into->nsnapshots + from->nsnapshots > 0)
        return vss_error_set(e, ENOMEM, "out of memory querying snapshots");
    into->snapshots = grown;
    for (size_t i = 0; i < from->nsnapshots; i++) {
        bool dup = false; /* the same area seen through two mounts */
        for (size_t k = 0; k < into->nsnapshots && !dup; k++)
            dup = vss_guid_equal(&into->snapshots[k].id, &from->snapshots[i].id);
        if (dup)
            vss_snapshot_clear(&from->snapshots[i]);
        else
            into->snapshots[into->nsnapshots++] = from->snapshots[i];
    }
    free(from->snapshots);
    from->snapshots = NULL;
    from->nsnapshots = 0;
    return VSS_OK;
}

static int query_visit(void *ud, const char *area, const char *file, vss_error *e)
{
    (void)area;
    query_ud *q = ud;
    vss_snapshot_set_info info;
    if (vss_manifest_read(file, &info, NULL) != VSS_OK)
        return VSS_OK; /* not ours to judge here; cleanup leaves it too */
    for (size_t i = 0; i < q->n; i++) {
        if (vss_guid_equal(&q->list[i].id, &info.id)) {
            int rc = append_snapshots(&q->list[i], &info, e);
            vss_snapshot_set_info_clear(&info);
            return rc;
        }
    }
    if (VSS_GROW(q->list, q->cap, q->n, NULL) != VSS_OK) {
        vss_snapshot_set_info_clear(&info);
        return vss_error_set(e, ENOMEM, "out of memory querying snapshots");
    }
    q->list[q->n++] = info;
    return VSS_OK;
}

void vss_snapshot_query_free(vss_snapshot_set_info *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vss_snapshot_set_info_clear(&list[i]);
    free(list);
}

int vss_snapshot_query(const char *path, vss_snapshot_set_info **out, size_t *n, vss_error *e)
{
    query_ud q = {NULL, 0, 0};
    if (each_area(path, query_visit, &q, false, e) != VSS_OK) {
        vss_snapshot_query_free(q.list, q.n);
        return VSS_FAIL;
    }
    *out = q.list;
    *n = q.n;
    return VSS_OK;
}

typedef struct {
    unsigned removed;
    const vss_guid *only;  /* delete_id: this set, whatever its attributes */
    bool found;
} cleanup_ud;

static int cleanup_visit(void *ud, const char *area, const char *file, vss_error *e)
{
    cleanup_ud *c = ud;
    vss_snapshot_set_info info;
    if (vss_manifest_read(file, &info, NULL) != VSS_OK)
        return VSS_OK;
    bool remove;
    int rc = VSS_OK;
    if (c->only) {
        remove = vss_guid_equal(&info.id, c->only);
        if (remove) {
            c->found = true;
            bool held = vss_snapshot_owner_alive(&info) && info.owner_pid != getpid() &&
                        !(info.attributes & (VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE));
            if (held) {
                remove = false;
                rc = vss_error_set(e, VSS_BAD_STATE, "snapshot set in '%s' is held by live process %ld", file,
                                   (long)info.owner_pid);
            }
        }
    } else {
        bool kept = (info.attributes & VSS_VOLSNAP_ATTR_PERSISTENT) && strcmp(info.state, "created") == 0;
        remove = !kept && !vss_snapshot_owner_alive(&info);
    }
    if (remove) {
        rc = vss_manifest_remove_set(area, &info, e);
        if (rc == VSS_OK)
            c->removed++;
    }
    vss_snapshot_set_info_clear(&info);
    return rc;
}

int vss_snapshot_cleanup(const char *path, unsigned *removed, vss_error *e)
{
    cleanup_ud c = {0, NULL, false};
    int rc = each_area(path, cleanup_visit, &c, true, e);
    if (removed)
        *removed = c.removed;
    return rc;
}

int vss_snapshot_delete_id(const vss_guid *set_id, vss_error *e)
{
    cleanup_ud c = {0, set_id, false};
    if (each_area(NULL, cleanup_visit, &c, false, e) != VSS_OK)
        return VSS_FAIL;
    if (!c.found) {
        char id[VSS_GUID_BUFSIZE];
        vss_guid_format(set_id, VSS_GUID_BRACED, id);
        return vss_error_set(e, VSS_OBJECT_NOT_FOUND, "no snapshot set %s on any mounted filesystem", id);
    }
    return VSS_OK;
}

int vss_snapshot_is_volume_supported(const char *path, const char *provider, bool *supported,
                                     char **reason, vss_error *e)
{
    *supported = false;
    *reason = NULL;
    char *canon;
    vss_volume v;
    int rc = vss_volume_resolve(path, &canon, &v, e);
    if (rc == VSS_OK) {
        char *original = NULL;
        vss_error why;
        vss_error_clear(&why);
        const vss_snapshot_provider *p = NULL;
        if (provider == NULL || strcmp(provider, "auto") == 0)
            *supported = vss_provider_choose(&v, canon, true, &p, &original, reason, &why) == VSS_OK;
        else if ((p = vss_provider_find(provider)) == NULL)
            rc = vss_error_set(e, EINVAL, "unknown snapshot provider '%s'", provider);
        else
            *supported = p->probe(&v, canon, true, &original, reason, &why) == VSS_OK;
        if (rc == VSS_OK && *reason == NULL)
            *reason = strdup(why.message);
        free(original);
        vss_volume_clear(&v);
    }
    free(canon);
    return rc;
}
