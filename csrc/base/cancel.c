/* See cancel.h. The handler touches only sig_atomic_t flags, sigaction
 * and raise (async-signal-safe); errno is kept for the code it interrupts. */
#include "base/cancel.h"

#include <signal.h>
#include <string.h>

static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIGS (sizeof sigs / sizeof sigs[0])

static volatile sig_atomic_t flag;            /* the signal, -1 requested, 0 none */
static volatile sig_atomic_t arrived[NSIGS];  /* arrivals inside the scope */
static volatile sig_atomic_t passed[NSIGS];   /* already given back to the old handler */
static struct sigaction old[NSIGS];
static bool caught[NSIGS];
static int depth;

static int index_of(int sig)
{
    for (size_t i = 0; i < NSIGS; i++)
        if (sigs[i] == sig)
            return (int)i;
    return -1;
}

static void on_signal(int sig)
{
    int saved = errno;
    int i = index_of(sig);
    if (i >= 0) {
        if (flag == 0)
            flag = sig;
        arrived[i]++;
        if (arrived[i] >= 2 && !passed[i]) {
            /* again: the old course now (pending until this handler returns) */
            passed[i] = 1;
            sigaction(sig, &old[i], NULL);
            raise(sig);
        }
    }
    errno = saved;
}

bool vss_cancelled(void)
{
    return flag != 0;
}

int vss_cancel_signal(void)
{
    return flag;
}

void vss_cancel_request(void)
{
    if (flag == 0)
        flag = -1;
}

int vss_cancel_check(vss_error *e, const char *what)
{
    int sig = flag;
    if (sig == 0)
        return VSS_OK;
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : NULL;
    if (name == NULL)
        return vss_error_set(e, ECANCELED, "%s cancelled", what);
    return vss_error_set(e, ECANCELED, "%s interrupted by %s", what, name);
}

static void block(sigset_t *prev)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NSIGS; i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, prev);
}

int vss_cancel_enter(vss_error *e)
{
    if (depth++ > 0)
        return VSS_OK;
    sigset_t prev;
    block(&prev);
    flag = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGS; i++)
        sigaddset(&sa.sa_mask, sigs[i]);
    /* Restarted system calls: the loops test the flag; a call that failed
     * with EINTR would only turn into an odd error. */
    sa.sa_flags = SA_RESTART;
    int rc = VSS_OK;
    for (size_t i = 0; i < NSIGS; i++) {
        arrived[i] = passed[i] = 0;
        caught[i] = false;
        struct sigaction cur;
        if (sigaction(sigs[i], NULL, &cur) != 0) {
            rc = vss_error_sys(e, errno, "sigaction");
            break;
        }
        if (!(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_IGN)
            continue; /* ignored by the caller: it stays ignored */
        old[i] = cur;
        if (sigaction(sigs[i], &sa, NULL) != 0) {
            rc = vss_error_sys(e, errno, "sigaction");
            break;
        }
        caught[i] = true;
    }
    sigprocmask(SIG_SETMASK, &prev, NULL);
    if (rc != VSS_OK)
        vss_cancel_leave();
    return rc;
}

void vss_cancel_leave(void)
{
    if (depth == 0 || --depth > 0)
        return;
    sigset_t prev;
    block(&prev); /* what arrives while the handlers change waits for the old ones */
    bool again[NSIGS];
    for (size_t i = 0; i < NSIGS; i++) {
        if (caught[i])
            sigaction(sigs[i], &old[i], NULL);
        again[i] = caught[i] && arrived[i] > 0 && !passed[i];
        caught[i] = false;
        arrived[i] = passed[i] = 0;
    }
    flag = 0;
    sigprocmask(SIG_SETMASK, &prev, NULL);
    for (size_t i = 0; i < NSIGS; i++)
        if (again[i])
            raise(sigs[i]);
}
