/* External writers (writer_external.h): events run as child processes
 * under a deadline, the BCD handed over as a file and read back. */
#include "engine/writer_external.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/array.h"
#include "base/cancel.h"

extern char **environ;

typedef struct ext {
    char *metadata;
    char **commands[VSS_EV_COUNT]; /* owned argv copies */
    char *name, *writer_id, *instance_id; /* for the environment */
} ext;

static void free_argv(char **argv)
{
    for (size_t i = 0; argv != NULL && argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
}

static void ext_release(void *ctx)
{
    ext *x = ctx;
    if (x == NULL)
        return;
    free(x->metadata);
    for (int i = 0; i < VSS_EV_COUNT; i++)
        free_argv(x->commands[i]);
    free(x->name);
    free(x->writer_id);
    free(x->instance_id);
    free(x);
}

static char **copy_argv(const char *const *argv)
{
    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out != NULL && i < n; i++)
        if ((out[i] = strdup(argv[i])) == NULL) {
            free_argv(out);
            return NULL;
        }
    return out;
}

/* ---- the environment ---- */

typedef struct envb {
    char **v;
    size_t n, cap;
    bool oom;
} envb;

static void env_push(envb *b, char *s)
{
    if (s == NULL || b->oom) {
        b->oom = true;
        free(s);
        return;
    }
    if (VSS_GROW_TO(b->v, b->cap, b->n + 2, NULL) != VSS_OK) { /* and the NULL after */
        b->oom = true;
        free(s);
        return;
    }
    b->v[b->n++] = s;
    b->v[b->n] = NULL;
}

static void env_set(envb *b, const char *k, const char *v)
{
    if (v == NULL)
        return;
    char *s = NULL;
    if (asprintf(&s, "%s=%s", k, v) < 0)
        s = NULL;
    env_push(b, s);
}

static void env_free(envb *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i]);
    free(b->v);
}

/* The caller's environment without VSS_* (ours must not be inherited from
 * an enclosing run), then ours. */
static int build_env(envb *b, const ext *x, const vss_writer_event *ev, const char *bcd_path,
                     vss_error *e)
{
    for (char **p = environ; p != NULL && *p != NULL; p++)
        if (strncmp(*p, "VSS_", 4) != 0)
            env_push(b, strdup(*p));
    env_set(b, "VSS_EVENT", vss_writer_event_name(ev->type));
    env_set(b, "VSS_WRITER_NAME", x->name);
    env_set(b, "VSS_WRITER_ID", x->writer_id);
    env_set(b, "VSS_INSTANCE_ID", x->instance_id);
    char ms[32];
    uint64_t now = vss_writer_clock_ms();
    snprintf(ms, sizeof ms, "%llu",
             (unsigned long long)(ev->deadline_ms > now ? ev->deadline_ms - now : 0));
    env_set(b, "VSS_TIMEOUT_MS", ms);
    if (ev->type == VSS_EV_IDENTIFY)
        env_set(b, "VSS_WMD", x->metadata);
    env_set(b, "VSS_BCD", bcd_path);
    if (ev->backup_type != VSS_BT_UNDEFINED)
        env_set(b, "VSS_BACKUP_TYPE", vss_enum_name(&vss_enum_backup_type, ev->backup_type));
    env_set(b, "VSS_SNAPSHOT_SET_ID", ev->snapshot_set_id);
    if (b->oom)
        return vss_error_set(e, VSS_WRITER_OUTOFRESOURCES, "no memory for the environment");
    return VSS_OK;
}

/* ---- running a command ---- */

typedef struct run {
    char out[VSS_EXTERNAL_OUTPUT_MAX + 1];
    size_t outlen;
    bool timed_out, lost, cancelled; /* cancelled: stopped as at a deadline, for a signal */
    int status;
} run;

/* Read what is there; false at the end of the output. */
static bool keep_output(run *r, int fd)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        size_t room = VSS_EXTERNAL_OUTPUT_MAX - r->outlen;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(r->out + r->outlen, buf, take);
        r->outlen += take;
    }
    r->out[r->outlen] = '\0';
    return n != 0;
}

/* A descriptor that polls readable when pid exits (Linux 5.3), or -1:
 * then the loop below looks in short slices. */
static int exit_fd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec always */
#else
    (void)pid;
    return -1;
#endif
}

/* Milliseconds until `at` (0 when past), at most cap. */
static int wait_ms(uint64_t now, uint64_t at, int cap)
{
    return at <= now ? 0 : at - now < (uint64_t)cap ? (int)(at - now) : cap;
}

/* Wait for pid, reading its output, until it exits; at the deadline the
 * group gets SIGTERM, and SIGKILL after the grace. The exit is seen by
 * waitpid, not by the pipe's end, which a grandchild may hold open. */
static void supervise(run *r, pid_t pid, int fd, uint64_t deadline_ms)
{
    uint64_t kill_at = 0;
    bool open = true;
    int xfd = exit_fd(pid);
    for (;;) {
        pid_t got = waitpid(pid, &r->status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR) {
            /* ECHILD: someone set SIGCHLD to SIG_IGN; the status is lost */
            r->lost = true;
            break;
        }
        uint64_t now = vss_writer_clock_ms();
        if (!r->timed_out && (now >= deadline_ms || vss_cancelled())) {
            r->timed_out = true;
            r->cancelled = now < deadline_ms;
            kill(-pid, SIGTERM);
            kill_at = now + VSS_EXTERNAL_KILL_GRACE_MS;
        } else if (r->timed_out && kill_at != 0 && now >= kill_at) {
            kill(-pid, SIGKILL);
            kill_at = 0;
        }
        int ms = wait_ms(now, r->timed_out ? (kill_at ? kill_at : now + 10) : deadline_ms,
                         xfd >= 0 ? 1000 : open ? 10 : 2);
        struct pollfd p[2];
        nfds_t n = 0;
        if (open)
            p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
        if (xfd >= 0)
            p[n++] = (struct pollfd){.fd = xfd, .events = POLLIN};
        if (poll(p, n, ms) > 0 && open) {
            if (p[0].revents & POLLIN)
                open = keep_output(r, fd);
            else if (p[0].revents & (POLLHUP | POLLERR))
                open = false;
        }
    }
    if (xfd >= 0)
        close(xfd);
    keep_output(r, fd);
    if (r->timed_out)
        kill(-pid, SIGKILL); /* whatever the group left behind */
}

static int spawn(char *const argv[], char *const envp[], int outfd, pid_t *pid, vss_error *e)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, outfd, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    int err = posix_spawnp(pid, argv[0], &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (err != 0)
        return vss_error_sys(e, err, "cannot run '%s'", argv[0]);
    return VSS_OK;
}

static int exit_kind(int status)
{
    switch (status) {
    case VSS_EXTERNAL_EXIT_RETRYABLE: return VSS_WE_RETRYABLE;
    case VSS_EXTERNAL_EXIT_OUTOFRESOURCES: return VSS_WE_OUTOFRESOURCES;
    case VSS_EXTERNAL_EXIT_TIMEOUT: return VSS_WE_TIMEOUT;
    case VSS_EXTERNAL_EXIT_INCONSISTENTSNAPSHOT: return VSS_WE_INCONSISTENTSNAPSHOT;
    default: return VSS_WE_NONRETRYABLE;
    }
}

static int run_command(char *const argv[], char *const envp[], uint64_t deadline_ms,
                       vss_error *e)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return vss_error_set(e, VSS_WRITER_OUTOFRESOURCES, "pipe: %s", strerror(errno));
    pid_t pid;
    vss_error se;
    if (spawn(argv, envp, fds[1], &pid, &se) != VSS_OK) {
        close(fds[0]);
        close(fds[1]);
        return vss_error_set(e, VSS_WRITER_NONRETRYABLE, "%s", se.message);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    run *r = calloc(1, sizeof *r);
    if (r == NULL) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(fds[0]);
        return vss_error_set(e, VSS_WRITER_OUTOFRESOURCES, "no memory");
    }
    supervise(r, pid, fds[0], deadline_ms);
    close(fds[0]);
    /* the output's trailing newline would end the message oddly */
    while (r->outlen > 0 && (r->out[r->outlen - 1] == '\n' || r->out[r->outlen - 1] == ' '))
        r->out[--r->outlen] = '\0';
    const char *sep = r->outlen ? ": " : "";
    int rc = VSS_OK;
    if (r->lost)
        rc = vss_error_set(e, VSS_WRITER_NONRETRYABLE, "'%s': its exit status was lost "
                           "(SIGCHLD ignored?)", argv[0]);
    else if (r->cancelled)
        rc = vss_error_set(e, VSS_WRITER_NONRETRYABLE, "'%s' was stopped: the run was interrupted%s%s",
                           argv[0], sep, r->out);
    else if (r->timed_out)
        rc = vss_error_set(e, VSS_WRITER_TIMEOUT, "'%s' was stopped at its deadline%s%s",
                           argv[0], sep, r->out);
    else if (WIFSIGNALED(r->status))
        rc = vss_error_set(e, VSS_WRITER_NONRETRYABLE, "'%s' was killed by signal %d%s%s",
                           argv[0], WTERMSIG(r->status), sep, r->out);
    else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0)
        rc = vss_error_set(e, vss_writer_error_code(exit_kind(WEXITSTATUS(r->status))),
                           "'%s' exited with status %d%s%s", argv[0], WEXITSTATUS(r->status),
                           sep, r->out);
    free(r);
    return rc;
}

/* ---- the BCD handed over and read back ---- */

static int write_bcd(const vss_backup_components *bc, char *path, size_t pathsz, vss_error *e)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, pathsz, "%s/vss-bcd-XXXXXX.xml", dir && *dir ? dir : "/tmp");
    int fd = mkostemps(path, 4, O_CLOEXEC);
    if (fd < 0)
        return vss_error_sys(e, errno, "temporary BCD '%s'", path);
    size_t len;
    char *xml = vss_bc_xml(bc, &len, e);
    int rc = VSS_OK;
    if (xml == NULL)
        rc = VSS_FAIL;
    else if (vss_write_full(fd, xml, len) != 0)
        rc = vss_error_sys(e, errno, "temporary BCD '%s'", path);
    free(xml);
    close(fd);
    if (rc != VSS_OK)
        unlink(path);
    return rc;
}

static bool differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Carry what a writer may change in one component from the edited copy
 * into the requester's document, through the rule-checking calls. */
static int carry_component(vss_backup_components *bc, vss_bc_component *c,
                           const vss_bc_component *x, vss_error *e)
{
    if (differs(c->backup_stamp, x->backup_stamp) &&
        vss_bc_set_backup_stamp(bc, c, x->backup_stamp, e) != VSS_OK)
        return VSS_FAIL;
    if (differs(c->backup_metadata, x->backup_metadata) &&
        vss_bc_set_backup_metadata(bc, c, x->backup_metadata, e) != VSS_OK)
        return VSS_FAIL;
    if (differs(c->restore_metadata, x->restore_metadata) &&
        vss_bc_set_restore_metadata(bc, c, x->restore_metadata, e) != VSS_OK)
        return VSS_FAIL;
    if (c->restore_target != x->restore_target &&
        vss_bc_set_restore_target(bc, c, x->restore_target, e) != VSS_OK)
        return VSS_FAIL;
    if (differs(c->pre_restore_failure_msg, x->pre_restore_failure_msg) &&
        vss_bc_set_pre_restore_failure_msg(bc, c, x->pre_restore_failure_msg, e) != VSS_OK)
        return VSS_FAIL;
    if (differs(c->post_restore_failure_msg, x->post_restore_failure_msg) &&
        vss_bc_set_post_restore_failure_msg(bc, c, x->post_restore_failure_msg, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = c->partial_file_count; i < x->partial_file_count; i++) {
        const vss_bc_partial_file *p = &x->partial_files[i];
        if (vss_bc_add_partial_file(bc, c, p->path, p->filename, p->ranges, p->metadata, e) !=
            VSS_OK)
            return VSS_FAIL;
    }
    for (size_t i = c->directed_target_count; i < x->directed_target_count; i++) {
        const vss_bc_directed_target *d = &x->directed_targets[i];
        if (vss_bc_add_directed_target(bc, c, d->src_path, d->src_filename, d->src_ranges,
                                       d->dst_path, d->dst_filename, d->dst_ranges,
                                       e) != VSS_OK)
            return VSS_FAIL;
    }
    for (size_t i = c->differenced_file_count; i < x->differenced_file_count; i++) {
        const vss_bc_differenced_file *d = &x->differenced_files[i];
        if (vss_bc_add_differenced_files_by_last_modify_time(bc, c, d->path, d->filespec,
                                                             d->recursive, d->last_modify_time,
                                                             e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int read_back(vss_writer_event *ev, const char *path, vss_error *e)
{
    vss_backup_components *edited = NULL;
    vss_error le;
    if (vss_bc_load(path, &edited, &le) != VSS_OK)
        return vss_error_set(e, VSS_WRITER_NONRETRYABLE, "the BCD it was given: %s", le.message);
    int rc = VSS_OK;
    vss_bc_writer *w = ev->components;
    const vss_bc_writer *ew = w ? vss_bc_find_writer(edited, w->writer_id, w->instance_id) : NULL;
    for (size_t i = 0; ew != NULL && i < w->component_count && rc == VSS_OK; i++) {
        vss_bc_component *c = w->components[i];
        const vss_bc_component *x = vss_bc_writer_component(ew, c->logical_path, c->name);
        if (x != NULL && carry_component(ev->bc, c, x, &le) != VSS_OK)
            rc = vss_error_set(e, VSS_WRITER_NONRETRYABLE, "its change to component '%s': %s",
                               c->name, le.message);
    }
    vss_bc_free(edited);
    return rc;
}

/* ---- the handler ---- */

static int ext_event(void *ctx, vss_writer_event *ev, vss_error *e)
{
    ext *x = ctx;
    char bcd[4096];
    bool have_bcd = false;
    int rc = VSS_OK;
    if (x->commands[ev->type] != NULL) {
        if (ev->bc != NULL) {
            vss_error we;
            if (write_bcd(ev->bc, bcd, sizeof bcd, &we) != VSS_OK)
                return vss_error_set(e, VSS_WRITER_OUTOFRESOURCES, "%s", we.message);
            have_bcd = true;
        }
        envb env = {0};
        rc = build_env(&env, x, ev, have_bcd ? bcd : NULL, e);
        if (rc == VSS_OK)
            rc = run_command(x->commands[ev->type], env.v, ev->deadline_ms, e);
        env_free(&env);
        if (rc == VSS_OK && have_bcd)
            rc = read_back(ev, bcd, e);
        if (have_bcd)
            unlink(bcd);
    }
    if (rc == VSS_OK && ev->type == VSS_EV_IDENTIFY) {
        vss_writer_metadata *wm = NULL;
        vss_error le;
        if (vss_wm_load(x->metadata, &wm, &le) != VSS_OK)
            return vss_error_set(e, VSS_WRITER_NONRETRYABLE, "%s", le.message);
        vss_wm_free(ev->metadata);
        ev->metadata = wm;
    }
    return rc;
}

int vss_writer_external_new(const vss_writer_external_cfg *cfg, vss_writer **out,
                            vss_error *e)
{
    *out = NULL;
    vss_writer_metadata *wm = NULL;
    if (vss_wm_load(cfg->metadata, &wm, e) != VSS_OK)
        return VSS_FAIL;
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    ext *x = calloc(1, sizeof *x);
    bool oom = x == NULL;
    if (!oom) {
        x->metadata = strdup(cfg->metadata);
        x->name = id->name ? strdup(id->name) : NULL;
        x->writer_id = id->writer_id ? strdup(id->writer_id) : NULL;
        x->instance_id = id->instance_id ? strdup(id->instance_id) : NULL;
        oom = x->metadata == NULL;
        for (int i = 0; i < VSS_EV_COUNT && !oom; i++)
            if (cfg->commands[i] != NULL) {
                if (cfg->commands[i][0] == NULL) {
                    vss_wm_free(wm);
                    ext_release(x);
                    return vss_error_set(e, EINVAL, "command for %s: empty",
                                         vss_writer_event_name(i));
                }
                oom = (x->commands[i] = copy_argv(cfg->commands[i])) == NULL;
            }
    }
    if (oom) {
        vss_wm_free(wm);
        ext_release(x);
        return vss_error_sys(e, ENOMEM, "external writer '%s'", cfg->metadata);
    }
    vss_writer_info info = {.identity = *id, .level = cfg->level,
                            .freeze_to_thaw_ms = cfg->freeze_to_thaw_ms,
                            .event_default_ms = cfg->event_default_ms};
    memcpy(info.event_timeout_ms, cfg->event_timeout_ms, sizeof info.event_timeout_ms);
    static const vss_writer_ops ops = {ext_event, ext_event, ext_event, ext_event,
                                       ext_event, ext_event, ext_event, ext_event,
                                       ext_event, ext_event, ext_event, ext_release};
    int rc = vss_writer_new(&info, &ops, x, out, e); /* releases x on failure */
    vss_wm_free(wm);
    return rc;
}
