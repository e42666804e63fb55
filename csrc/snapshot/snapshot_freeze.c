#include "snapshot/snapshot_freeze.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One socket pair joins parent and child: the parent sends 'T' to ask
 * for the thaw (EOF, when it dies, thaws too); the child answers 'F'
 * frozen, 'E'+errno, then 'T' thawed or 'A' thawed by its timeout. A
 * socket, not a pipe, so a late 'T' to a gone child is EPIPE, not SIGPIPE. */
struct vss_freezer {
    pid_t pid;
    int sock;
    char *mountpoint;
};

/* Child state, touched by its signal handlers. */
static volatile sig_atomic_t child_fd = -1, child_frozen, child_stop;

static void child_signal(int sig)
{
    (void)sig;
    if (child_frozen)
        ioctl(child_fd, FITHAW, 0);
    if (child_frozen)
        _exit(3);
    child_stop = 1; /* the freeze is still in progress: thaw as soon as it returns */
}

static void child_report(int fd, char c, int err)
{
    unsigned char msg[2] = {(unsigned char)c, (unsigned char)err};
    while (send(fd, msg, 2, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* The freezer child: only async-signal-safe calls from here on. */
static void child_main(const char *mountpoint, int sock, pid_t parent, unsigned timeout_ms)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = child_signal;
    sigfillset(&sa.sa_mask);
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Belt: the parent's death signals us (and we thaw) even if the pipe
     * were somehow kept open; braces: our own session, so a terminal's ^C
     * to the parent's group does not interrupt a thaw. */
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(4);
    int fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        child_report(sock, 'E', errno);
        _exit(1);
    }
    child_fd = fd;
    /* The timer covers a FIFREEZE that itself takes long (it syncs). */
    alarm(timeout_ms / 1000 + 2);
    if (ioctl(fd, FIFREEZE, 0) != 0) {
        child_report(sock, 'E', errno);
        _exit(1);
    }
    child_frozen = 1;
    if (child_stop) {
        ioctl(fd, FITHAW, 0);
        _exit(3);
    }
    child_report(sock, 'F', 0);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char why = 'A';
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long spent = (now.tv_sec - t0.tv_sec) * 1000LL + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (spent >= (long long)timeout_ms)
            break;
        struct pollfd p = {sock, POLLIN, 0};
        int r = poll(&p, 1, (int)((long long)timeout_ms - spent));
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0) {
            char c = 0;
            ssize_t n = read(sock, &c, 1);
            if ((n < 0 && errno == EINTR) || (n == 1 && c != 'T'))
                continue;
            why = n == 1 ? 'T' : 'P'; /* EOF: the parent is gone */
            break;
        }
        if (r == 0)
            break;
    }
    int err = ioctl(fd, FITHAW, 0) == 0 ? 0 : errno;
    child_frozen = 0;
    child_report(sock, why, err);
    _exit(0);
}

/* Wait for two status bytes, at most ms milliseconds. */
static int read_status(int fd, unsigned char msg[2], int ms)
{
    size_t got = 0;
    while (got < 2) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? ETIMEDOUT : errno;
        ssize_t n = read(fd, msg + got, 2 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return EPIPE;
        got += (size_t)n;
    }
    return 0;
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int vss_freeze(const char *mountpoint, unsigned timeout_ms, vss_freezer **out, vss_error *e)
{
    *out = NULL;
    if (timeout_ms == 0)
        timeout_ms = 10000;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return vss_error_sys(e, errno, "freeze '%s': socketpair", mountpoint);
    vss_freezer *f = calloc(1, sizeof *f);
    char *mp = strdup(mountpoint);
    if (f == NULL || mp == NULL) {
        free(f);
        free(mp);
        close(sv[0]);
        close(sv[1]);
        return vss_error_set(e, ENOMEM, "out of memory freezing '%s'", mountpoint);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        free(f);
        free(mp);
        close(sv[0]);
        close(sv[1]);
        return vss_error_sys(e, err, "freeze '%s': fork", mountpoint);
    }
    if (pid == 0) {
        /* keep only the socket: an inherited descriptor (another freezer's
         * socket, a pipe someone reads to EOF) must not outlive the parent */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0)
            for (int fd = 0; fd < 3; fd++)
                dup2(null, fd);
        if (dup2(sv[1], 3) != 3)
            _exit(6);
        close_range(4, ~0U, 0);
        child_main(mp, 3, parent, timeout_ms);
        _exit(5);
    }
    close(sv[1]);
    f->pid = pid;
    f->sock = sv[0];
    f->mountpoint = mp;
    unsigned char msg[2];
    int err = read_status(f->sock, msg, (int)timeout_ms + 1000);
    if (err != 0 || msg[0] != 'F') {
        close(f->sock); /* a frozen child thaws on EOF */
        if (err == ETIMEDOUT)
            kill(pid, SIGTERM);
        reap(pid);
        free(f->mountpoint);
        free(f);
        if (err != 0)
            return vss_error_sys(e, err, "freeze '%s': no answer from the freezer", mountpoint);
        return vss_error_sys(e, msg[0] == 'E' ? msg[1] : EIO, "freeze '%s' (FIFREEZE)", mountpoint);
    }
    *out = f;
    return VSS_OK;
}

int vss_thaw(vss_freezer *f, vss_error *e)
{
    if (f == NULL)
        return VSS_OK;
    while (send(f->sock, "T", 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
    unsigned char msg[2] = {0, 0};
    int err = read_status(f->sock, msg, 10000);
    close(f->sock);
    if (err == ETIMEDOUT)
        kill(f->pid, SIGTERM);
    reap(f->pid);
    int rc = VSS_OK;
    if (err != 0 && err != EPIPE)
        rc = vss_error_sys(e, err, "thaw '%s': no answer from the freezer", f->mountpoint);
    else if (err == EPIPE || msg[0] == 'A')
        rc = vss_error_set(e, VSS_HOLD_WRITES_TIMEOUT,
                           "'%s' was thawed by its timeout before the thaw was asked for",
                           f->mountpoint);
    else if (msg[1] != 0)
        rc = vss_error_sys(e, msg[1], "thaw '%s' (FITHAW)", f->mountpoint);
    free(f->mountpoint);
    free(f);
    return rc;
}

pid_t vss_freezer_pid(const vss_freezer *f)
{
    return f->pid;
}

const char *vss_freezer_mountpoint(const vss_freezer *f)
{
    return f->mountpoint;
}
