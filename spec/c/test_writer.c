/* Writers and their dispatcher, driven by a C test writer: the second
 * implementation of vss_writer_ops (the Lua binding is the first). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/writer.h"
#include "check.h"

/* Every event any test writer receives is appended to one log, as
 * "<name>:<event> ", so the order across writers is visible. */
typedef struct tlog {
    char text[4096];
} tlog;

typedef struct twriter {
    const char *name;
    tlog *log;
    int fail_at; /* VSS_EV_* that fails, or -1 */
    int fail_code;
    int sleep_at; /* VSS_EV_* that takes sleep_ms, or -1 */
    unsigned sleep_ms;
    int level; /* VSS_APP_*, 0 = front end */
    uint32_t window_ms; /* freeze-to-thaw, 0 = default */
    int *released;
} twriter;

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int on_event(void *ctx, vss_writer_event *ev, vss_error *e)
{
    twriter *t = ctx;
    size_t n = strlen(t->log->text);
    snprintf(t->log->text + n, sizeof t->log->text - n, "%s:%s ", t->name,
             vss_writer_event_name(ev->type));
    if (ev->type == t->sleep_at)
        sleep_ms(t->sleep_ms);
    if (ev->type == VSS_EV_IDENTIFY) {
        if (vss_wm_set_restore_method(ev->metadata, VSS_RME_RESTORE_IF_CAN_REPLACE, NULL, NULL,
                                      VSS_WRE_NEVER, false, e) != VSS_OK)
            return VSS_FAIL;
        vss_wm_component c = {.type = VSS_CT_FILEGROUP, .name = "data", .selectable = true};
        if (vss_wm_add_component(ev->metadata, &c, e) != VSS_OK)
            return VSS_FAIL;
    }
    if (ev->type == VSS_EV_POST_SNAPSHOT && ev->components != NULL &&
        vss_bc_set_backup_stamp(ev->bc, ev->components->components[0], t->name, e) != VSS_OK)
        return VSS_FAIL;
    if (ev->type == t->fail_at)
        return vss_error_set(e, t->fail_code, "%s says no", t->name);
    return VSS_OK;
}

static void release(void *ctx)
{
    twriter *t = ctx;
    if (t->released)
        (*t->released)++;
}

static const vss_writer_ops test_ops = {
    on_event, on_event, on_event, on_event, on_event, on_event,
    on_event, on_event, on_event, on_event, on_event, release};

static const char *const ids[] = {
    "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222",
    "33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444"};

static vss_writer *make(twriter *t, int idx)
{
    vss_writer_info info = {
        .identity = {.writer_id = (char *)ids[idx], .instance_id = (char *)ids[idx],
                     .name = (char *)t->name, .usage = VSS_UT_USERDATA,
                     .source = VSS_ST_OTHER},
        .level = t->level,
        .freeze_to_thaw_ms = t->window_ms,
    };
    vss_writer *w = NULL;
    vss_error e;
    if (vss_writer_new(&info, &test_ops, t, &w, &e) != VSS_OK)
        fprintf(stderr, "vss_writer_new: %s\n", e.message);
    return w;
}

static twriter tw(const char *name, tlog *log)
{
    return (twriter){.name = name, .log = log, .fail_at = -1, .sleep_at = -1};
}

/* A BCD selecting the "data" component of each writer given. */
static vss_backup_components *bcd(vss_writers *ws)
{
    vss_bc_state st = {.backup_type = VSS_BT_FULL, .select_components = true};
    vss_backup_components *bc = NULL;
    vss_error e;
    CHECK(vss_bc_new(&st, &bc, &e) == VSS_OK);
    for (size_t i = 0; i < vss_writers_count(ws); i++) {
        const vss_wm_identity *id = vss_writer_identity(vss_writers_at(ws, i));
        CHECK(vss_bc_add_component(bc, id->writer_id, id->instance_id, VSS_CT_FILEGROUP, NULL,
                                   "data", NULL, &e) == VSS_OK);
    }
    return bc;
}

/* A session of up to four test writers, "a", "b", ... logging into one
 * log, and a BCD selecting each one's "data" component. fx_init names
 * them; the test adjusts f.t[i]; fx_open makes the writers and session. */
typedef struct fixture {
    tlog log;
    twriter t[4];
    vss_writer *w[4];
    size_t n;
    vss_writers *ws;
    vss_backup_components *bc;
} fixture;

static void fx_init(fixture *f, size_t n)
{
    static const char *const names[] = {"a", "b", "c", "d"};
    memset(f, 0, sizeof *f);
    f->n = n;
    for (size_t i = 0; i < n; i++)
        f->t[i] = tw(names[i], &f->log);
}

static void fx_open(fixture *f)
{
    vss_error e;
    CHECK(vss_writers_new(&f->ws, &e) == VSS_OK);
    for (size_t i = 0; i < f->n; i++) {
        f->w[i] = make(&f->t[i], (int)i);
        CHECK(vss_writers_add(f->ws, f->w[i], &e) == VSS_OK);
    }
    f->bc = bcd(f->ws);
}

static void fx_close(fixture *f)
{
    vss_writers_free(f->ws);
    vss_bc_free(f->bc);
    for (size_t i = 0; i < f->n; i++)
        vss_writer_free(f->w[i]);
}

/* identify, prepare_backup, prepare_snapshot: ready to freeze */
static void up_to_freeze(vss_writers *ws, vss_backup_components *bc)
{
    vss_error e;
    CHECK(vss_writers_identify(ws, &e) == VSS_OK);
    CHECK(vss_writers_prepare_backup(ws, bc, &e) == VSS_OK);
    CHECK(vss_writers_prepare_snapshot(ws, &e) == VSS_OK);
}

static int run_backup(vss_writers *ws, vss_backup_components *bc)
{
    int failures = 0;
    vss_error e;
    failures += vss_writers_identify(ws, &e) != VSS_OK;
    failures += vss_writers_prepare_backup(ws, bc, &e) != VSS_OK;
    failures += vss_writers_prepare_snapshot(ws, &e) != VSS_OK;
    failures += vss_writers_freeze(ws, &e) != VSS_OK;
    failures += vss_writers_thaw(ws, &e) != VSS_OK;
    failures += vss_writers_post_snapshot(ws, bc, &e) != VSS_OK;
    failures += vss_writers_backup_complete(ws, bc, &e) != VSS_OK;
    failures += vss_writers_backup_shutdown(ws, "{snap}", &e) != VSS_OK;
    return failures;
}

TEST(a_backup_delivers_every_event_in_order)
{
    fixture f;
    fx_init(&f, 1);
    int released = 0;
    f.t[0].released = &released;
    fx_open(&f);
    vss_writer *w = f.w[0];
    vss_error e;
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_STABLE);
    CHECK(vss_writers_identify(f.ws, &e) == VSS_OK);
    CHECK(vss_writer_metadata_of(w) != NULL);
    CHECK_EQ_U64(vss_wm_component_count(vss_writer_metadata_of(w)), 1);
    CHECK(vss_writers_prepare_backup(f.ws, f.bc, &e) == VSS_OK);
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_STABLE);
    CHECK(vss_writers_prepare_snapshot(f.ws, &e) == VSS_OK);
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_WAITING_FOR_FREEZE);
    CHECK(vss_writers_freeze(f.ws, &e) == VSS_OK);
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_WAITING_FOR_THAW);
    CHECK(vss_writers_thaw(f.ws, &e) == VSS_OK);
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_WAITING_FOR_POST_SNAPSHOT);
    CHECK(vss_writers_post_snapshot(f.ws, f.bc, &e) == VSS_OK);
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_WAITING_FOR_BACKUP_COMPLETE);
    /* the writer changed the requester's document */
    CHECK_STR(vss_bc_find_component(f.bc, ids[0], NULL, "data")->backup_stamp, "a");
    CHECK(vss_writers_backup_complete(f.ws, f.bc, &e) == VSS_OK);
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_STABLE);
    CHECK(vss_writers_backup_shutdown(f.ws, "{snap}", &e) == VSS_OK);
    CHECK_STR(f.log.text, "a:identify a:prepare_backup a:prepare_snapshot a:freeze a:thaw "
                          "a:post_snapshot a:backup_complete a:backup_shutdown ");
    CHECK(vss_writer_failure(w, NULL) == VSS_WE_NONE);
    CHECK(vss_writers_failed_policy(w, true) == VSS_WA_KEEP);
    /* one session per operation */
    CHECK(vss_writers_identify(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_BAD_STATE);
    fx_close(&f);
    CHECK_EQ_U64(released, 1);
}

TEST(events_out_of_order_are_refused)
{
    fixture f;
    fx_init(&f, 1);
    fx_open(&f);
    vss_error e;
    CHECK(vss_writers_freeze(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_BAD_STATE);
    CHECK_CONTAINS(e.message, "freeze");
    CHECK(vss_writers_identify(f.ws, &e) == VSS_OK);
    CHECK(vss_writers_thaw(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_BAD_STATE);
    CHECK(vss_writers_prepare_backup(f.ws, f.bc, &e) == VSS_OK);
    CHECK(vss_writers_prepare_backup(f.ws, f.bc, &e) == VSS_FAIL); /* once */
    CHECK_CODE(e.code, VSS_BAD_STATE);
    CHECK(vss_writers_pre_restore(f.ws, f.bc, &e) == VSS_FAIL); /* not in a backup */
    CHECK_CODE(e.code, VSS_BAD_STATE);
    /* a writer is in one session at a time */
    vss_writers *other;
    CHECK(vss_writers_new(&other, &e) == VSS_OK);
    CHECK(vss_writers_add(other, f.w[0], &e) == VSS_FAIL);
    CHECK_CODE(e.code, EBUSY);
    vss_writers_free(other);
    CHECK_STR(f.log.text, "a:identify a:prepare_backup ");
    vss_writers_free(f.ws); /* owes backup_shutdown */
    CHECK_STR(f.log.text, "a:identify a:prepare_backup a:backup_shutdown ");
    vss_bc_free(f.bc);
    vss_writer_free(f.w[0]);
}

/* A writer failing at each event in turn: its state, its failure, who else
 * hears what, and backup_shutdown at the end in every case. */
TEST(a_failure_at_every_event)
{
    static const struct {
        int event, state;
        int code;
    } cases[] = {
        {VSS_EV_IDENTIFY, VSS_WS_FAILED_AT_IDENTIFY, VSS_WRITER_NONRETRYABLE},
        {VSS_EV_PREPARE_BACKUP, VSS_WS_FAILED_AT_PREPARE_BACKUP, VSS_WRITER_RETRYABLE},
        {VSS_EV_PREPARE_SNAPSHOT, VSS_WS_FAILED_AT_PREPARE_SNAPSHOT, VSS_WRITER_OUTOFRESOURCES},
        {VSS_EV_FREEZE, VSS_WS_FAILED_AT_FREEZE, VSS_WRITER_INCONSISTENTSNAPSHOT},
        {VSS_EV_THAW, VSS_WS_FAILED_AT_THAW, VSS_WRITER_TIMEOUT},
        {VSS_EV_POST_SNAPSHOT, VSS_WS_FAILED_AT_POST_SNAPSHOT, VSS_WRITER_RETRYABLE},
        {VSS_EV_BACKUP_COMPLETE, VSS_WS_FAILED_AT_BACKUP_COMPLETE, VSS_WRITER_NONRETRYABLE},
        {VSS_EV_BACKUP_SHUTDOWN, VSS_WS_FAILED_AT_BACKUPSHUTDOWN, ENOMEM},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fixture f;
        fx_init(&f, 2);
        f.t[0].fail_at = cases[k].event;
        f.t[0].fail_code = cases[k].code;
        fx_open(&f);
        vss_writer *wa = f.w[0], *wb = f.w[1];
        CHECK_EQ_U64(run_backup(f.ws, f.bc), 1);
        CHECK_EQ_U64(vss_writer_state(wa), cases[k].state);
        const char *msg;
        int kind = vss_writer_failure(wa, &msg);
        CHECK_CODE(vss_writer_error_code(kind), cases[k].code == ENOMEM
                                                    ? VSS_WRITER_OUTOFRESOURCES
                                                    : cases[k].code);
        CHECK_STR(msg, "a says no");
        /* the other writer went all the way */
        CHECK_EQ_U64(vss_writer_state(wb), VSS_WS_STABLE);
        CHECK(strstr(f.log.text, "b:backup_complete") != NULL);
        /* the failed writer heard nothing more of the operation, except its
         * own abort after freeze/thaw, and backup_shutdown */
        char expect[64];
        snprintf(expect, sizeof expect, "a:%s ", vss_writer_event_name(cases[k].event));
        const char *at = strstr(f.log.text, expect);
        CHECK(at != NULL);
        if (at != NULL) {
            const char *next = strstr(at + 1, "a:");
            if (cases[k].event == VSS_EV_FREEZE || cases[k].event == VSS_EV_THAW) {
                CHECK(next != NULL && strncmp(next, "a:abort ", 8) == 0);
                next = next ? strstr(next + 1, "a:") : NULL;
            }
            if (cases[k].event != VSS_EV_BACKUP_SHUTDOWN)
                CHECK(next != NULL && strncmp(next, "a:backup_shutdown ", 18) == 0 &&
                      strstr(next + 1, "a:") == NULL);
        }
        int before = cases[k].event <= VSS_EV_POST_SNAPSHOT;
        CHECK_EQ_U64(vss_writers_failed_policy(wa, false), before ? VSS_WA_SKIP : VSS_WA_KEEP);
        CHECK_EQ_U64(vss_writers_failed_policy(wa, true), before ? VSS_WA_FAIL : VSS_WA_KEEP);
        fx_close(&f);
    }
}

TEST(the_failure_names_the_writer_and_counts_the_others)
{
    fixture f;
    fx_init(&f, 3);
    f.t[0].fail_at = f.t[1].fail_at = VSS_EV_PREPARE_SNAPSHOT;
    f.t[0].fail_code = VSS_WRITER_RETRYABLE;
    f.t[1].fail_code = EINVAL;
    fx_open(&f);
    vss_error e;
    CHECK(vss_writers_identify(f.ws, &e) == VSS_OK);
    CHECK(vss_writers_prepare_backup(f.ws, f.bc, &e) == VSS_OK);
    CHECK(vss_writers_prepare_snapshot(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_WRITER_RETRYABLE);
    CHECK_CONTAINS(e.message, "writer 'a' failed at prepare_snapshot: a says no");
    CHECK_CONTAINS(e.message, "1 more");
    CHECK_EQ_U64(vss_writer_failure(f.w[1], NULL), VSS_WE_NONRETRYABLE);
    CHECK_EQ_U64(vss_writer_state(f.w[2]), VSS_WS_WAITING_FOR_FREEZE);
    /* AbortBackup reaches all three, failed or not */
    CHECK(vss_writers_abort(f.ws, &e) == VSS_OK);
    CHECK(strstr(f.log.text, "a:abort") && strstr(f.log.text, "b:abort") &&
          strstr(f.log.text, "c:abort"));
    CHECK_EQ_U64(vss_writer_state(f.w[2]), VSS_WS_STABLE);
    CHECK_EQ_U64(vss_writer_state(f.w[0]), VSS_WS_FAILED_AT_PREPARE_SNAPSHOT);
    CHECK(vss_writers_freeze(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_BAD_STATE);
    fx_close(&f);
    CHECK(strstr(f.log.text, "c:backup_shutdown") != NULL);
}

/* docs/model.md §3.2: front-end writers freeze first, then back-end, then system; thaw
 * undoes it in reverse. */
TEST(freeze_order_follows_the_application_level)
{
    fixture f;
    fx_init(&f, 4);
    static const char *const names[] = {"sys", "fe1", "be", "fe2"};
    static const int levels[] = {VSS_APP_SYSTEM, VSS_APP_FRONT_END, VSS_APP_BACK_END, 0};
    for (int i = 0; i < 4; i++) {
        f.t[i].name = names[i];
        f.t[i].level = levels[i];
    }
    fx_open(&f);
    up_to_freeze(f.ws, f.bc);
    vss_error e;
    f.log.text[0] = '\0';
    CHECK(vss_writers_freeze(f.ws, &e) == VSS_OK);
    CHECK_STR(f.log.text, "fe1:freeze fe2:freeze be:freeze sys:freeze ");
    f.log.text[0] = '\0';
    CHECK(vss_writers_thaw(f.ws, &e) == VSS_OK);
    CHECK_STR(f.log.text, "sys:thaw be:thaw fe2:thaw fe1:thaw ");
    fx_close(&f);
}

TEST(a_thaw_past_the_freeze_window_fails_the_frozen_writers)
{
    fixture f;
    fx_init(&f, 2);
    f.t[0].window_ms = 50;
    f.t[1].window_ms = 5000;
    fx_open(&f);
    vss_writer *wa = f.w[0], *wb = f.w[1];
    up_to_freeze(f.ws, f.bc);
    vss_error e;
    CHECK(vss_writers_freeze(f.ws, &e) == VSS_OK);
    sleep_ms(80); /* the snapshot takes longer than a's window */
    f.log.text[0] = '\0';
    CHECK(vss_writers_thaw(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_WRITER_TIMEOUT);
    CHECK_EQ_U64(vss_writer_state(wa), VSS_WS_FAILED_AT_FREEZE);
    const char *msg;
    CHECK_EQ_U64(vss_writer_failure(wa, &msg), VSS_WE_TIMEOUT);
    CHECK_CONTAINS(msg, "50 ms freeze-to-thaw window");
    CHECK_STR(f.log.text, "b:thaw a:abort ");
    CHECK_EQ_U64(vss_writer_state(wb), VSS_WS_WAITING_FOR_POST_SNAPSHOT);
    CHECK(vss_writers_failed_policy(wa, false) == VSS_WA_SKIP);
    fx_close(&f);
    CHECK_CONTAINS(f.log.text, "a:backup_shutdown");
}

/* A C handler cannot be interrupted; one that returns past its deadline
 * (here, a freeze longer than the window) fails all the same. */
TEST(a_handler_returning_late_times_out)
{
    fixture f;
    fx_init(&f, 1);
    f.t[0].sleep_at = VSS_EV_FREEZE;
    f.t[0].sleep_ms = 60;
    f.t[0].window_ms = 20;
    fx_open(&f);
    up_to_freeze(f.ws, f.bc);
    vss_error e;
    CHECK(vss_writers_freeze(f.ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_WRITER_TIMEOUT);
    CHECK_EQ_U64(vss_writer_state(f.w[0]), VSS_WS_FAILED_AT_FREEZE);
    CHECK_CONTAINS(f.log.text, "a:freeze a:abort");
    fx_close(&f);
}

/* An event's own timeout wins over the writer's for every event, which
 * wins over the engine's default; the order they were given in is moot. */
TEST(event_timeouts_take_the_most_specific)
{
    vss_writer_info info = {0};
    CHECK_EQ_U64(vss_writer_event_timeout_ms(&info, VSS_EV_FREEZE), VSS_WRITER_EVENT_TIMEOUT_MS);
    info.event_timeout_ms[VSS_EV_PREPARE_SNAPSHOT] = 120000;
    CHECK_EQ_U64(vss_writer_event_timeout_ms(&info, VSS_EV_PREPARE_SNAPSHOT), 120000);
    CHECK_EQ_U64(vss_writer_event_timeout_ms(&info, VSS_EV_FREEZE), VSS_WRITER_EVENT_TIMEOUT_MS);
    info.event_default_ms = 5000;
    CHECK_EQ_U64(vss_writer_event_timeout_ms(&info, VSS_EV_PREPARE_SNAPSHOT), 120000);
    CHECK_EQ_U64(vss_writer_event_timeout_ms(&info, VSS_EV_FREEZE), 5000);
    CHECK_EQ_U64(vss_writer_event_timeout_ms(&info, VSS_EV_POST_RESTORE), 5000);
}

TEST(writers_without_included_components_drop_out_after_prepare_backup)
{
    fixture f;
    fx_init(&f, 2);
    fx_open(&f);
    /* a BCD with b's component only */
    vss_bc_free(f.bc);
    vss_bc_state st = {.backup_type = VSS_BT_INCREMENTAL, .select_components = true};
    vss_error e;
    CHECK(vss_bc_new(&st, &f.bc, &e) == VSS_OK);
    CHECK(vss_bc_add_component(f.bc, ids[1], ids[1], VSS_CT_FILEGROUP, NULL, "data", NULL,
                               &e) == VSS_OK);
    CHECK_EQ_U64(run_backup(f.ws, f.bc), 0);
    CHECK_STR(f.log.text, "a:identify b:identify a:prepare_backup b:prepare_backup "
                          "b:prepare_snapshot b:freeze b:thaw b:post_snapshot b:backup_complete "
                          "a:backup_shutdown b:backup_shutdown ");
    CHECK(!vss_writers_involved(f.ws, f.w[0]) && vss_writers_involved(f.ws, f.w[1]));
    fx_close(&f);
}

TEST(a_restore_delivers_pre_and_post_restore)
{
    fixture f;
    fx_init(&f, 2);
    f.t[1].fail_at = VSS_EV_PRE_RESTORE;
    f.t[1].fail_code = VSS_WRITER_NONRETRYABLE;
    fx_open(&f);
    vss_error e;
    CHECK(vss_writers_identify(f.ws, &e) == VSS_OK);
    CHECK(vss_writers_post_restore(f.ws, f.bc, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_BAD_STATE);
    CHECK(vss_writers_pre_restore(f.ws, f.bc, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "writer 'b' failed at pre_restore");
    CHECK_EQ_U64(vss_writer_state(f.w[1]), VSS_WS_FAILED_AT_PRE_RESTORE);
    CHECK(vss_writers_post_restore(f.ws, f.bc, &e) == VSS_OK);
    CHECK(vss_writers_backup_shutdown(f.ws, NULL, &e) == VSS_OK);
    CHECK_STR(f.log.text, "a:identify b:identify a:pre_restore b:pre_restore a:post_restore "
                          "a:backup_shutdown b:backup_shutdown ");
    CHECK_EQ_U64(vss_writer_state(f.w[0]), VSS_WS_STABLE);
    fx_close(&f);
}

/* §1: identify may come again mid-operation; the document a BCD already
 * points at stays valid (ASan checks this under make test SAN=1). */
TEST(a_second_identify_keeps_the_first_document_alive)
{
    fixture f;
    fx_init(&f, 1);
    fx_open(&f);
    vss_writer *wa = f.w[0];
    vss_error e;
    CHECK(vss_writers_identify(f.ws, &e) == VSS_OK);
    const vss_writer_metadata *first = vss_writer_metadata_of(wa);
    CHECK(vss_bc_add_writer_metadata(f.bc, first, &e) == VSS_OK);
    CHECK(vss_writers_prepare_backup(f.ws, f.bc, &e) == VSS_OK);
    CHECK(vss_writers_identify(f.ws, &e) == VSS_OK);
    CHECK(vss_writer_metadata_of(wa) != first);
    CHECK_EQ_U64(vss_writer_state(wa), VSS_WS_STABLE);
    CHECK(vss_bc_validate(f.bc, &e) == VSS_OK); /* reads the first document */
    CHECK_EQ_U64(vss_wm_component_count(first), 1);
    CHECK(vss_writers_prepare_snapshot(f.ws, &e) == VSS_OK);
    fx_close(&f);
}

static int bad_identify(void *ctx, vss_writer_event *ev, vss_error *e)
{
    (void)ctx;
    (void)ev;
    (void)e;
    return VSS_OK; /* no restore method: the document is not whole */
}

TEST(identify_must_give_a_whole_document)
{
    vss_writer_ops ops = {.identify = bad_identify};
    vss_writer_info info = {.identity = {.writer_id = (char *)ids[0],
                                         .instance_id = (char *)ids[0], .name = "x"}};
    vss_writer *w;
    vss_writers *ws;
    vss_error e;
    CHECK(vss_writer_new(&info, &ops, NULL, &w, &e) == VSS_OK);
    CHECK(vss_writers_new(&ws, &e) == VSS_OK);
    CHECK(vss_writers_add(ws, w, &e) == VSS_OK);
    CHECK(vss_writers_identify(ws, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_WRITER_NONRETRYABLE);
    CHECK_CONTAINS(e.message, "restore method");
    CHECK_EQ_U64(vss_writer_state(w), VSS_WS_FAILED_AT_IDENTIFY);
    CHECK(vss_writer_metadata_of(w) == NULL);
    vss_writers_free(ws);
    vss_writer_free(w);
    info.level = 7;
    CHECK(vss_writer_new(&info, &ops, NULL, &w, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "level 7");
}

TEST(error_kinds)
{
    CHECK_EQ_U64(vss_writer_error_hresult(VSS_WE_TIMEOUT), 0x800423F2u);
    CHECK_EQ_U64(vss_writer_error_hresult(VSS_WE_INCONSISTENTSNAPSHOT), 0x800423F0u);
    CHECK_EQ_U64(vss_writer_error_kind_of(VSS_WRITER_RETRYABLE), VSS_WE_RETRYABLE);
    CHECK_EQ_U64(vss_writer_error_kind_of(ENOSPC), VSS_WE_OUTOFRESOURCES);
    CHECK_EQ_U64(vss_writer_error_kind_of(ETIMEDOUT), VSS_WE_TIMEOUT);
    CHECK_EQ_U64(vss_writer_error_kind_of(EINVAL), VSS_WE_NONRETRYABLE);
    CHECK_EQ_U64(vss_writer_error_kind_of(0), VSS_WE_NONRETRYABLE);
    CHECK(vss_writer_error_retryable(VSS_WE_RETRYABLE));
    CHECK(!vss_writer_error_retryable(VSS_WE_NONRETRYABLE));
    CHECK(!vss_writer_error_retryable(VSS_WE_INCONSISTENTSNAPSHOT));
}

RUN_TESTS("test_writer", T(a_backup_delivers_every_event_in_order),
          T(events_out_of_order_are_refused), T(a_failure_at_every_event),
          T(the_failure_names_the_writer_and_counts_the_others),
          T(freeze_order_follows_the_application_level),
          T(a_thaw_past_the_freeze_window_fails_the_frozen_writers),
          T(a_handler_returning_late_times_out), T(event_timeouts_take_the_most_specific),
          T(writers_without_included_components_drop_out_after_prepare_backup),
          T(a_restore_delivers_pre_and_post_restore),
          T(a_second_identify_keeps_the_first_document_alive),
          T(identify_must_give_a_whole_document), T(error_kinds))
