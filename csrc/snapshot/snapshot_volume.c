/* Volumes are mounted filesystems, found in /proc/self/mountinfo. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/array.h"

void vss_volume_clear(vss_volume *v)
{
    free(v->mountpoint);
    v->mountpoint = NULL;
    v->fstype[0] = '\0';
}

void vss_volume_list_free(vss_volume *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vss_volume_clear(&list[i]);
    free(list);
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo; decode in place. */
static void unoctal(char *s)
{
    char *q = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
            p[3] <= '7') {
            *q++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
            p += 3;
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
}

/* Split one mountinfo line into mount point and filesystem type. */
static bool parse_line(char *line, char **mnt, char **fstype)
{
    char *save = NULL, *tok;
    int field = 0;
    *mnt = *fstype = NULL;
    bool after_dash = false;
    for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
        if (field == 4)
            *mnt = tok;
        if (after_dash) {
            *fstype = tok;
            break;
        }
        if (field >= 6 && strcmp(tok, "-") == 0)
            after_dash = true;
    }
    if (*mnt == NULL || *fstype == NULL)
        return false;
    unoctal(*mnt);
    return true;
}

typedef int (*mount_visit)(void *ud, const char *mnt, const char *fstype, vss_error *e);

static int each_mount(mount_visit visit, void *ud, vss_error *e)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return vss_error_sys(e, errno, "opening /proc/self/mountinfo");
    char *line = NULL;
    size_t cap = 0;
    int rc = VSS_OK;
    while (rc == VSS_OK && getline(&line, &cap, f) > 0) {
        char *mnt, *fstype;
        if (parse_line(line, &mnt, &fstype))
            rc = visit(ud, mnt, fstype, e);
    }
    free(line);
    fclose(f);
    return rc;
}

typedef struct {
    const char *path;
    vss_volume *best;
    size_t best_len;
} find_ud;

static int find_visit(void *ud, const char *mnt, const char *fstype, vss_error *e)
{
    find_ud *f = ud;
    size_t n = strlen(mnt);
    /* A later entry for the same mount point is mounted over the earlier. */
    if (vss_fspath_within(f->path, mnt) && (f->best->mountpoint == NULL || n >= f->best_len)) {
        char *copy = strdup(mnt);
        if (copy == NULL)
            return vss_error_set(e, ENOMEM, "out of memory reading mounts");
        free(f->best->mountpoint);
        f->best->mountpoint = copy;
        snprintf(f->best->fstype, sizeof f->best->fstype, "%s", fstype);
        f->best_len = n;
    }
    return VSS_OK;
}

int vss_volume_of(const char *path, vss_volume *v, vss_error *e)
{
    v->mountpoint = NULL;
    v->fstype[0] = '\0';
    find_ud f = {path, v, 0};
    if (each_mount(find_visit, &f, e) != VSS_OK) {
        vss_volume_clear(v);
        return VSS_FAIL;
    }
    if (v->mountpoint == NULL)
        return vss_error_set(e, ENOENT, "no mounted filesystem holds '%s'", path);
    return VSS_OK;
}

int vss_volume_resolve(const char *path, char **canon, vss_volume *v, vss_error *e)
{
    v->mountpoint = NULL;
    v->fstype[0] = '\0';
    *canon = realpath(path, NULL);
    if (*canon == NULL)
        return vss_error_sys(e, errno, "'%s'", path);
    if (vss_volume_of(*canon, v, e) != VSS_OK) {
        free(*canon);
        *canon = NULL;
        return VSS_FAIL;
    }
    return VSS_OK;
}

/* Filesystems that never hold files of ours. */
static bool pseudo_fs(const char *t)
{
    static const char *const names[] = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2",
                                        "mqueue", "debugfs", "tracefs", "securityfs", "pstore",
                                        "bpf", "configfs", "fusectl", "hugetlbfs", "autofs",
                                        "binfmt_misc", "nsfs", "efivarfs", "rpc_pipefs", "selinuxfs"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(t, names[i]) == 0)
            return true;
    return false;
}

typedef struct {
    vss_volume *list;
    size_t n, cap;
} list_ud;

static int list_visit(void *ud, const char *mnt, const char *fstype, vss_error *e)
{
    list_ud *l = ud;
    if (pseudo_fs(fstype))
        return VSS_OK;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->list[i].mountpoint, mnt) == 0)
            return VSS_OK;
    if (VSS_GROW(l->list, l->cap, l->n, NULL) != VSS_OK)
        return vss_error_set(e, ENOMEM, "out of memory listing mounts");
    vss_volume *v = &l->list[l->n];
    v->mountpoint = strdup(mnt);
    if (v->mountpoint == NULL)
        return vss_error_set(e, ENOMEM, "out of memory listing mounts");
    snprintf(v->fstype, sizeof v->fstype, "%s", fstype);
    l->n++;
    return VSS_OK;
}

int vss_volume_list(vss_volume **out, size_t *n, vss_error *e)
{
    list_ud l = {NULL, 0, 0};
    if (each_mount(list_visit, &l, e) != VSS_OK) {
        vss_volume_list_free(l.list, l.n);
        return VSS_FAIL;
    }
    *out = l.list;
    *n = l.n;
    return VSS_OK;
}

int vss_volume_area_dir(const vss_volume *v, const char *path, char **out, vss_error *e)
{
    *out = NULL;
    if (access(v->mountpoint, W_OK) == 0) {
        *out = vss_path_join(v->mountpoint, VSS_SNAPSHOT_AREA);
        return *out ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
    }
    /* Walk from the mount point down towards path. */
    size_t mlen = strcmp(v->mountpoint, "/") == 0 ? 0 : strlen(v->mountpoint);
    char *dir = strdup(path);
    if (dir == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    for (char *p = dir + mlen + 1; p && *p;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK) == 0) {
            *out = vss_path_join(dir, VSS_SNAPSHOT_AREA);
            free(dir);
            return *out ? VSS_OK : vss_error_set(e, ENOMEM, "out of memory");
        }
        if (!slash)
            break;
        *slash = '/';
        p = slash + 1;
    }
    free(dir);
    return vss_error_set(e, EACCES,
                         "no writable directory for the snapshot area between '%s' and '%s'",
                         v->mountpoint, path);
}
