/* The manifest of a set on one filesystem: a small line-oriented text file,
 * written before any artefact exists so a crash leaves a recognisable,
 * removable set. Paths are percent-escaped single tokens.
 *
 *   luavss-snapshot-set 1
 *   set {id}
 *   attributes 0x00000000
 *   state created
 *   owner <pid> <starttime> <boot-id>
 *   created <unix seconds>
 *   snapshot {id} <provider>      one block per snapshot:
 *   volume /mnt                     volume, original, root, reason,
 *   ...                             exposed (optional), select (0..n)
 *   end
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/strbuf.h"
#include "base/mem.h"

#define MAGIC "luavss-snapshot-set 1"

void vss_snapshot_clear(vss_snapshot *s)
{
    free(s->volume);
    free(s->original);
    free(s->root);
    free(s->exposed);
    free(s->reason);
    for (size_t i = 0; i < s->nselection; i++)
        free(s->selection[i]);
    free(s->selection);
    memset(s, 0, sizeof *s);
}

void vss_snapshot_set_info_clear(vss_snapshot_set_info *info)
{
    for (size_t i = 0; i < info->nsnapshots; i++)
        vss_snapshot_clear(&info->snapshots[i]);
    free(info->snapshots);
    memset(info, 0, sizeof *info);
}

/* One "key value" line; the value escaped unless escape is false. */
static void sb_line(vss_strbuf *b, const char *key, const char *value, bool escape)
{
    if (value == NULL)
        return;
    char *esc = escape ? vss_path_escape(value) : NULL;
    if (escape && esc == NULL) {
        b->oom = 1;
        return;
    }
    vss_strbuf_printf(b, "%s %s\n", key, escape ? esc : value);
    free(esc);
}

static void sb_add(vss_strbuf *b, const char *key, const char *value)
{
    sb_line(b, key, value, true);
}

int vss_manifest_format(const vss_snapshot_set_info *info, char **out, vss_error *e)
{
    vss_strbuf b = {0};
    char id[VSS_GUID_BUFSIZE], num[128];
    sb_line(&b, "luavss-snapshot-set", "1", false);
    vss_guid_format(&info->id, VSS_GUID_BRACED, id);
    sb_add(&b, "set", id);
    snprintf(num, sizeof num, "0x%08" PRIx32, info->attributes);
    sb_add(&b, "attributes", num);
    sb_add(&b, "state", info->state);
    snprintf(num, sizeof num, "%ld %" PRIu64 " %s", (long)info->owner_pid, info->owner_start,
             info->boot_id[0] ? info->boot_id : "-");
    sb_line(&b, "owner", num, false);
    snprintf(num, sizeof num, "%" PRId64, info->created);
    sb_add(&b, "created", num);
    for (size_t i = 0; i < info->nsnapshots; i++) {
        const vss_snapshot *s = &info->snapshots[i];
        vss_guid_format(&s->id, VSS_GUID_BRACED, id);
        sb_add(&b, "snapshot", id);
        sb_add(&b, "provider", s->provider);
        sb_add(&b, "volume", s->volume);
        sb_add(&b, "original", s->original);
        sb_add(&b, "root", s->root);
        sb_add(&b, "exposed", s->exposed);
        sb_add(&b, "reason", s->reason);
        for (size_t k = 0; k < s->nselection; k++)
            sb_add(&b, "select", s->selection[k]);
    }
    sb_add(&b, "end", "manifest");
    if (b.oom) {
        vss_strbuf_free(&b);
        return vss_error_set(e, ENOMEM, "out of memory writing a manifest");
    }
    *out = b.p;
    return VSS_OK;
}

static int set_string(char **slot, const char *value, int lineno, vss_error *e)
{
    if (*slot != NULL)
        return vss_error_set(e, EINVAL, "manifest line %d: repeated field", lineno);
    return vss_path_unescape(value, slot, e);
}

static int parse_field(vss_snapshot_set_info *info, const char *key, char *value, int lineno,
                       vss_error *e)
{
    vss_snapshot *s = info->nsnapshots ? &info->snapshots[info->nsnapshots - 1] : NULL;
    if (strcmp(key, "set") == 0)
        return vss_guid_parse(value, VSS_GUID_BRACED, "snapshot id", &info->id, e);
    if (strcmp(key, "attributes") == 0) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 0);
        if (errno || *end || v > UINT32_MAX)
            return vss_error_set(e, EINVAL, "manifest line %d: bad attributes '%s'", lineno, value);
        info->attributes = (uint32_t)v;
        return VSS_OK;
    }
    if (strcmp(key, "state") == 0) {
        snprintf(info->state, sizeof info->state, "%s", value);
        return VSS_OK;
    }
    if (strcmp(key, "owner") == 0) {
        long pid;
        uint64_t start;
        char boot[40];
        if (sscanf(value, "%ld %" SCNu64 " %39s", &pid, &start, boot) != 3 || pid <= 0)
            return vss_error_set(e, EINVAL, "manifest line %d: bad owner '%s'", lineno, value);
        info->owner_pid = (pid_t)pid;
        info->owner_start = start;
        snprintf(info->boot_id, sizeof info->boot_id, "%s", strcmp(boot, "-") == 0 ? "" : boot);
        return VSS_OK;
    }
    if (strcmp(key, "created") == 0) {
        info->created = strtoll(value, NULL, 10);
        return VSS_OK;
    }
    if (strcmp(key, "snapshot") == 0) {
        vss_snapshot *grown = realloc(info->snapshots, (info->nsnapshots + 1) * sizeof *grown);
        if (grown == NULL)
            return vss_error_set(e, ENOMEM, "out of memory reading a manifest");
        info->snapshots = grown;
        s = &grown[info->nsnapshots++];
        memset(s, 0, sizeof *s);
        return vss_guid_parse(value, VSS_GUID_BRACED, "snapshot id", &s->id, e);
    }
    if (s == NULL)
        return vss_error_set(e, EINVAL, "manifest line %d: '%s' before any snapshot", lineno, key);
    if (strcmp(key, "provider") == 0) {
        if (vss_provider_find(value) == NULL)
            return vss_error_set(e, EINVAL, "manifest line %d: unknown provider '%s'", lineno, value);
        snprintf(s->provider, sizeof s->provider, "%s", value);
        return VSS_OK;
    }
    if (strcmp(key, "volume") == 0)
        return set_string(&s->volume, value, lineno, e);
    if (strcmp(key, "original") == 0)
        return set_string(&s->original, value, lineno, e);
    if (strcmp(key, "root") == 0)
        return set_string(&s->root, value, lineno, e);
    if (strcmp(key, "exposed") == 0)
        return set_string(&s->exposed, value, lineno, e);
    if (strcmp(key, "reason") == 0)
        return set_string(&s->reason, value, lineno, e);
    if (strcmp(key, "select") == 0) {
        char **grown = realloc(s->selection, (s->nselection + 1) * sizeof *grown);
        if (grown == NULL)
            return vss_error_set(e, ENOMEM, "out of memory reading a manifest");
        s->selection = grown;
        s->selection[s->nselection] = NULL;
        if (vss_path_unescape(value, &s->selection[s->nselection], e) != VSS_OK)
            return VSS_FAIL;
        s->nselection++;
        return VSS_OK;
    }
    return VSS_OK; /* a field of a later version */
}

int vss_manifest_parse(const char *text, vss_snapshot_set_info *info, vss_error *e)
{
    memset(info, 0, sizeof *info);
    char *copy = strdup(text);
    if (copy == NULL)
        return vss_error_set(e, ENOMEM, "out of memory reading a manifest");
    int lineno = 0, rc = VSS_OK;
    bool ended = false;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && rc == VSS_OK;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, MAGIC) != 0)
                rc = vss_error_set(e, EINVAL, "manifest line 1: '" MAGIC "' expected");
            continue;
        }
        if (ended) {
            rc = vss_error_set(e, EINVAL, "manifest line %d: text after the end", lineno);
            break;
        }
        char *sp = strchr(line, ' ');
        if (sp == NULL) {
            rc = vss_error_set(e, EINVAL, "manifest line %d: 'key value' expected", lineno);
            break;
        }
        *sp = '\0';
        if (strcmp(line, "end") == 0)
            ended = true;
        else
            rc = parse_field(info, line, sp + 1, lineno, e);
    }
    free(copy);
    if (rc == VSS_OK && !ended)
        rc = vss_error_set(e, EINVAL, "manifest truncated after line %d", lineno);
    for (size_t i = 0; rc == VSS_OK && i < info->nsnapshots; i++) {
        const vss_snapshot *s = &info->snapshots[i];
        if (!s->provider[0] || !s->volume || !s->original || !s->root)
            rc = vss_error_set(e, EINVAL, "manifest snapshot %zu: provider, volume, original and root required",
                               i + 1);
    }
    if (rc != VSS_OK)
        vss_snapshot_set_info_clear(info);
    return rc;
}

char *vss_manifest_name(const char *area, const vss_guid *set_id)
{
    char id[VSS_GUID_BUFSIZE];
    vss_guid_format(set_id, VSS_GUID_BRACED, id);
    return vss_strdup_printf("%s/%s.manifest", area, id);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int vss_manifest_write(const char *area, const vss_snapshot_set_info *info, bool durable, vss_error *e)
{
    char *text = NULL;
    if (vss_manifest_format(info, &text, e) != VSS_OK)
        return VSS_FAIL;
    char id[VSS_GUID_BUFSIZE];
    vss_guid_format(&info->id, VSS_GUID_BRACED, id);
    char *final = vss_manifest_name(area, &info->id);
    char *tmp = vss_strdup_printf("%s/.%s.manifest.tmp.%ld", area, id, (long)getpid());
    int rc = VSS_FAIL, fd = -1, dfd = -1;
    if (final == NULL || tmp == NULL) {
        vss_error_set(e, ENOMEM, "out of memory writing a manifest");
        goto out;
    }
    /* A cleanup elsewhere may remove the area the moment it is empty:
     * create it again then. */
    for (int attempt = 0; fd < 0 && attempt < 3; attempt++) {
        if (mkdir(area, 0755) != 0 && errno != EEXIST) {
            vss_error_sys(e, errno, "creating the snapshot area '%s'", area);
            goto out;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != ENOENT)
            break;
    }
    if (fd < 0) {
        vss_error_sys(e, errno, "creating '%s'", tmp);
        goto out;
    }
    if (write_all(fd, text, strlen(text)) != 0 || (durable && fsync(fd) != 0)) {
        vss_error_sys(e, errno, "writing '%s'", tmp);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, final) != 0) {
        vss_error_sys(e, errno, "renaming '%s'", tmp);
        unlink(tmp);
        goto out;
    }
    if (!durable) {
        rc = VSS_OK;
        goto out;
    }
    dfd = open(area, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        vss_error_sys(e, errno, "syncing '%s'", area);
        goto out;
    }
    rc = VSS_OK;
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(text);
    free(final);
    free(tmp);
    return rc;
}

int vss_manifest_read(const char *file, vss_snapshot_set_info *info, vss_error *e)
{
    memset(info, 0, sizeof *info);
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vss_error_sys(e, errno, "opening manifest '%s'", file);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 24)) {
        close(fd);
        return vss_error_set(e, EINVAL, "manifest '%s': not a regular file of sane size", file);
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (text && got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (text == NULL)
        return vss_error_set(e, ENOMEM, "out of memory reading '%s'", file);
    text[got] = '\0';
    int rc = vss_manifest_parse(text, info, e);
    free(text);
    if (rc != VSS_OK && e) {
        char msg[sizeof e->message];
        snprintf(msg, sizeof msg, "%s", e->message);
        vss_error_set(e, e->code, "%s: %s", file, msg);
    }
    return rc;
}

uint64_t vss_owner_start(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* comm may hold spaces and ')': fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
        return 0; /* a zombie has ended: its sets are leftovers */
    unsigned long long start = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (++field == 22) {
            start = strtoull(tok, NULL, 10);
            break;
        }
    }
    return start;
}

static void read_boot_id(char boot_id[40])
{
    boot_id[0] = '\0';
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, boot_id, 39);
    close(fd);
    boot_id[n > 0 ? n : 0] = '\0';
    boot_id[strcspn(boot_id, "\n")] = '\0';
}

int vss_owner_self(pid_t *pid, uint64_t *start, char boot_id[40], vss_error *e)
{
    *pid = getpid();
    *start = vss_owner_start(*pid);
    if (*start == 0)
        return vss_error_set(e, EIO, "cannot read this process's start time from /proc");
    read_boot_id(boot_id);
    return VSS_OK;
}

bool vss_snapshot_owner_alive(const vss_snapshot_set_info *info)
{
    char boot[40];
    read_boot_id(boot);
    if (info->boot_id[0] && boot[0] && strcmp(info->boot_id, boot) != 0)
        return false; /* rebooted since: the pid is someone else's */
    uint64_t start = vss_owner_start(info->owner_pid);
    return start != 0 && start == info->owner_start;
}

int vss_manifest_remove_set(const char *area, const vss_snapshot_set_info *info, vss_error *e)
{
    int rc = VSS_OK;
    for (size_t i = 0; i < info->nsnapshots; i++) {
        const vss_snapshot *s = &info->snapshots[i];
        if (s->exposed && umount2(s->exposed, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT &&
            rc == VSS_OK)
            rc = vss_error_sys(e, errno, "unexposing '%s'", s->exposed);
        const vss_snapshot_provider *p = vss_provider_find(s->provider);
        if (p && p->remove(s, e) != VSS_OK)
            rc = VSS_FAIL;
    }
    if (rc != VSS_OK)
        return rc; /* keep the manifest: the next cleanup retries */
    char id[VSS_GUID_BUFSIZE];
    vss_guid_format(&info->id, VSS_GUID_BRACED, id);
    char *dir = vss_strdup_printf("%s/%s", area, id);
    char *man = vss_manifest_name(area, &info->id);
    if (dir == NULL || man == NULL) {
        free(dir);
        free(man);
        return vss_error_set(e, ENOMEM, "out of memory removing a set");
    }
    rc = vss_tree_remove(dir, e);
    if (rc == VSS_OK && unlink(man) != 0 && errno != ENOENT)
        rc = vss_error_sys(e, errno, "removing '%s'", man);
    if (rc == VSS_OK) {
        int dfd = open(area, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        rmdir(area); /* only when empty: other sets may live there */
    }
    free(dir);
    free(man);
    return rc;
}
