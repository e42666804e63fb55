/* base/cancel: a scope turns SIGINT/SIGTERM/SIGHUP into a flag the
 * engine's loops test, then gives the caller its handlers back and the
 * signals that arrived; an ignored signal stays ignored; a second arrival
 * takes its old course at once; scopes nest. Real signals (raise). */
#include <errno.h>
#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cancel.h"
#include "base/fileio.h"
#include "dest/dest.h"
#include "documents/enums.h"
#include "store/store.h"
#include "check.h"

static volatile sig_atomic_t got_int, got_term, got_hup;

static void own(int sig)
{
    if (sig == SIGINT)
        got_int++;
    else if (sig == SIGTERM)
        got_term++;
    else if (sig == SIGHUP)
        got_hup++;
}

static void install(int sig, void (*fn)(int))
{
    struct sigaction sa = {0};
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void (*handler_of(int sig))(int)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler;
}

static void reset(void)
{
    got_int = got_term = got_hup = 0;
    install(SIGINT, own);
    install(SIGTERM, own);
    install(SIGHUP, own);
}

TEST(a_signal_in_the_scope_sets_the_flag_and_reaches_the_old_handler_on_leaving)
{
    reset();
    vss_error e;
    CHECK(vss_cancel_enter(&e) == VSS_OK);
    CHECK(!vss_cancelled());
    CHECK(vss_cancel_check(&e, "backup") == VSS_OK);
    CHECK(handler_of(SIGINT) != own);
    raise(SIGINT);
    CHECK(got_int == 0); /* not yet: the work stops first */
    CHECK(vss_cancelled());
    CHECK(vss_cancel_signal() == SIGINT);
    CHECK(vss_cancel_check(&e, "backup") == VSS_FAIL);
    CHECK_CODE(e.code, ECANCELED);
    CHECK_STR(e.message, "backup interrupted by SIGINT");
    raise(SIGTERM); /* another signal: the first one names the cause */
    CHECK(vss_cancel_signal() == SIGINT);
    vss_cancel_leave();
    CHECK(got_int == 1);
    CHECK(got_term == 1);
    CHECK(got_hup == 0);
    CHECK(!vss_cancelled());
    CHECK(handler_of(SIGINT) == own && handler_of(SIGTERM) == own && handler_of(SIGHUP) == own);
}

TEST(no_signal_no_flag_and_nothing_raised)
{
    reset();
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    vss_cancel_leave();
    CHECK(got_int == 0 && got_term == 0 && got_hup == 0);
    CHECK(handler_of(SIGINT) == own);
}

TEST(an_ignored_signal_stays_ignored)
{
    reset();
    install(SIGTERM, SIG_IGN);
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    CHECK(handler_of(SIGTERM) == SIG_IGN);
    raise(SIGTERM);
    CHECK(!vss_cancelled());
    vss_cancel_leave();
    CHECK(handler_of(SIGTERM) == SIG_IGN);
    install(SIGTERM, own);
}

TEST(a_second_arrival_takes_its_old_course_at_once_and_only_once)
{
    reset();
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    raise(SIGINT);
    CHECK(got_int == 0);
    raise(SIGINT); /* a second Ctrl-C */
    CHECK(got_int == 1);
    CHECK(handler_of(SIGINT) == own);
    CHECK(vss_cancelled());
    vss_cancel_leave();
    CHECK(got_int == 1); /* not raised again */
}

TEST(scopes_nest_the_outermost_installs_and_restores)
{
    reset();
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    vss_cancel_leave();
    CHECK(handler_of(SIGHUP) != own);
    raise(SIGHUP);
    CHECK(got_hup == 0);
    vss_cancel_enter(NULL); /* inner: keeps the flag */
    CHECK(vss_cancel_signal() == SIGHUP);
    vss_cancel_leave();
    CHECK(got_hup == 0);
    vss_cancel_leave();
    CHECK(got_hup == 1);
    CHECK(handler_of(SIGHUP) == own);
    vss_cancel_leave(); /* unbalanced: nothing */
    CHECK(handler_of(SIGHUP) == own);
}

TEST(a_copy_stops_within_a_step_with_ECANCELED_and_runs_after_the_scope)
{
    reset();
    char path[] = "/tmp/vss_cancel_XXXXXX";
    int src = mkstemp(path), dst;
    CHECK(src >= 0);
    unlink(path);
    char dpath[] = "/tmp/vss_cancel_XXXXXX";
    dst = mkstemp(dpath);
    CHECK(dst >= 0);
    unlink(dpath);
    CHECK(ftruncate(src, 8 << 20) == 0);
    CHECK(vss_write_full(src, "data", 4) == 0);
    vss_range_copy all = {0, 0, 8 << 20};
    vss_error e;
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    vss_cancel_request();
    CHECK(vss_cancel_signal() == -1);
    CHECK(vss_apply_copy_plan(src, dst, &all, 1, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ECANCELED);
    CHECK_STR(e.message, "copy cancelled");
    struct stat st;
    CHECK(fstat(dst, &st) == 0 && st.st_size == 0); /* not a byte */
    vss_cancel_leave();
    CHECK(got_int + got_term + got_hup == 0); /* a request is no signal */
    CHECK(vss_apply_copy_plan(src, dst, &all, 1, &e) == VSS_OK);
    CHECK(fstat(dst, &st) == 0 && st.st_size == 8 << 20);
    close(src);
    close(dst);
}

/* entries of dir, . and .. aside */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d)) != NULL;)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

TEST(a_store_copy_stops_in_the_file_and_the_transaction_leaves_nothing)
{
    reset();
    char root[] = "/tmp/vss_cancel_store_XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char src[600], store[600], incoming[700], cmd[700];
    snprintf(src, sizeof src, "%s/big", root);
    snprintf(store, sizeof store, "%s/store", root);
    snprintf(incoming, sizeof incoming, "%s/incoming", store);
    int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 4; i++)
        CHECK(vss_write_full(fd, chunk, sizeof chunk) == 0);
    close(fd);
    vss_store *s = NULL;
    vss_store_tx *tx = NULL;
    vss_error e;
    CHECK(vss_store_open(store, VSS_STORE_CREATE, &s, &e) == VSS_OK);
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(entries(incoming) == 1);
    CHECK(vss_cancel_enter(NULL) == VSS_OK);
    raise(SIGTERM);
    CHECK(vss_store_tx_add_file(tx, src, src, NULL, NULL, VSS_STORE_ATTRS, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ECANCELED);
    CHECK_CONTAINS(e.message, "interrupted by SIGTERM");
    vss_store_tx_free(tx);
    CHECK(entries(incoming) == 0);
    vss_store_free(s);
    CHECK(got_term == 0);
    vss_cancel_leave();
    CHECK(got_term == 1);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

RUN_TESTS("test_cancel",
          T(a_signal_in_the_scope_sets_the_flag_and_reaches_the_old_handler_on_leaving),
          T(no_signal_no_flag_and_nothing_raised), T(an_ignored_signal_stays_ignored),
          T(a_second_arrival_takes_its_old_course_at_once_and_only_once),
          T(scopes_nest_the_outermost_installs_and_restores),
          T(a_copy_stops_within_a_step_with_ECANCELED_and_runs_after_the_scope),
          T(a_store_copy_stops_in_the_file_and_the_transaction_leaves_nothing))
