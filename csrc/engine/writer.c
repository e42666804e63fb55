/* Writers and the dispatcher that drives them (writer.h): per-writer
 * state, the VSS order of events, failures and timeouts. */
#include "engine/writer.h"
#include "base/guid.h"
#include "base/array.h"
#include "base/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct vss_writer {
    vss_writer_info info; /* identity strings owned */
    vss_writer_ops ops;
    void *ctx;
    int state; /* VSS_WS_* */
    int failure; /* VSS_WE_* */
    char message[512];
    vss_writer_metadata *wm;
    /* Documents replaced by a later identify: a BCD of this operation may
     * still point at them (vss_bc_add_writer_metadata does not copy), so
     * they live until the writer's next operation. */
    vss_writer_metadata **retired;
    size_t nretired, capretired;
    /* The operation in progress. */
    vss_writers *session;
    bool identified; /* got identify: backup_shutdown is owed */
    bool identify_ok, involved, aborted, shut_down, frozen, past_post_snapshot;
    uint64_t freeze_start_ms;
};

enum phase {
    P_NEW, P_IDENTIFIED, P_BACKUP_PREPARED, P_SNAPSHOT_PREPARED, P_FROZEN, P_THAWED,
    P_POST_SNAPSHOT, P_COMPLETE, P_RESTORE_PREPARED, P_RESTORED, P_ABORTED, P_SHUTDOWN
};

struct vss_writers {
    vss_writer **items;
    size_t count, cap;
    enum phase phase;
    bool delivering; /* a handler is running */
    int backup_type; /* of the BCD that opened the operation, for the events without one */
};

static const char *const event_names[VSS_EV_COUNT] = {
    "identify", "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
    "abort", "backup_complete", "backup_shutdown", "pre_restore", "post_restore"};

/* The state a failure at each event leaves (docs/model.md §3.1); abort has none. */
static const int failed_state[VSS_EV_COUNT] = {
    VSS_WS_FAILED_AT_IDENTIFY, VSS_WS_FAILED_AT_PREPARE_BACKUP,
    VSS_WS_FAILED_AT_PREPARE_SNAPSHOT, VSS_WS_FAILED_AT_FREEZE, VSS_WS_FAILED_AT_THAW,
    VSS_WS_FAILED_AT_POST_SNAPSHOT, 0, VSS_WS_FAILED_AT_BACKUP_COMPLETE,
    VSS_WS_FAILED_AT_BACKUPSHUTDOWN, VSS_WS_FAILED_AT_PRE_RESTORE, VSS_WS_FAILED_AT_POST_RESTORE};

const char *vss_writer_event_name(int type)
{
    return type >= 0 && type < VSS_EV_COUNT ? event_names[type] : "?";
}

static const struct {
    int code;
    uint32_t hresult;
} kinds[] = {
    [VSS_WE_NONE] = {0, 0},
    [VSS_WE_INCONSISTENTSNAPSHOT] = {VSS_WRITER_INCONSISTENTSNAPSHOT, 0x800423F0u},
    [VSS_WE_OUTOFRESOURCES] = {VSS_WRITER_OUTOFRESOURCES, 0x800423F1u},
    [VSS_WE_TIMEOUT] = {VSS_WRITER_TIMEOUT, 0x800423F2u},
    [VSS_WE_RETRYABLE] = {VSS_WRITER_RETRYABLE, 0x800423F3u},
    [VSS_WE_NONRETRYABLE] = {VSS_WRITER_NONRETRYABLE, 0x800423F4u},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

int vss_writer_error_code(int kind)
{
    return kind >= 0 && (size_t)kind < NKINDS ? kinds[kind].code : 0;
}

uint32_t vss_writer_error_hresult(int kind)
{
    return kind >= 0 && (size_t)kind < NKINDS ? kinds[kind].hresult : 0;
}

int vss_writer_error_kind_of(int code)
{
    static const struct {
        int code;
        int kind;
    } sys[] = {{ENOMEM, VSS_WE_OUTOFRESOURCES}, {ENOSPC, VSS_WE_OUTOFRESOURCES},
               {EDQUOT, VSS_WE_OUTOFRESOURCES}, {EMFILE, VSS_WE_OUTOFRESOURCES},
               {ENFILE, VSS_WE_OUTOFRESOURCES}, {ETIMEDOUT, VSS_WE_TIMEOUT},
               {EAGAIN, VSS_WE_RETRYABLE},      {EBUSY, VSS_WE_RETRYABLE}};
    for (size_t k = 1; k < NKINDS; k++)
        if (code == kinds[k].code)
            return (int)k;
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        if (code == sys[i].code)
            return sys[i].kind;
    return VSS_WE_NONRETRYABLE;
}

bool vss_writer_error_retryable(int kind)
{
    return kind == VSS_WE_OUTOFRESOURCES || kind == VSS_WE_TIMEOUT || kind == VSS_WE_RETRYABLE;
}

uint64_t vss_writer_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the writer ---- */

static void free_identity(vss_wm_identity *id)
{
    free(id->writer_id);
    free(id->instance_id);
    free(id->instance_name);
    free(id->name);
}

int vss_writer_new(const vss_writer_info *info, const vss_writer_ops *ops, void *ctx,
                   vss_writer **out, vss_error *e)
{
    *out = NULL;
    const vss_wm_identity *id = &info->identity;
    int rc = VSS_FAIL;
    vss_writer *w = NULL;
    if (id->writer_id == NULL || id->instance_id == NULL || id->name == NULL) {
        vss_error_set(e, EINVAL, "writer: writer_id, instance_id and name are required");
        goto out;
    }
    if (info->level != 0 && info->level != VSS_APP_SYSTEM && info->level != VSS_APP_BACK_END &&
        info->level != VSS_APP_FRONT_END) {
        vss_error_set(e, EINVAL, "writer '%s': level %d is not system, back_end or front_end",
                      id->name, info->level);
        goto out;
    }
    vss_writer_metadata *probe; /* the document's rules on the identity (GUIDs...) */
    if (vss_wm_new(id, &probe, e) != VSS_OK)
        goto out;
    vss_wm_free(probe);
    if ((w = calloc(1, sizeof *w)) == NULL) {
        vss_error_sys(e, ENOMEM, "writer '%s'", id->name);
        goto out;
    }
    w->info = *info;
    w->info.identity.writer_id = w->info.identity.instance_id = NULL;
    w->info.identity.instance_name = w->info.identity.name = NULL;
    if (vss_strdup_opt(&w->info.identity.writer_id, id->writer_id, e) != VSS_OK ||
        vss_strdup_opt(&w->info.identity.instance_id, id->instance_id, e) != VSS_OK ||
        vss_strdup_opt(&w->info.identity.instance_name, id->instance_name, e) != VSS_OK ||
        vss_strdup_opt(&w->info.identity.name, id->name, e) != VSS_OK)
        goto out;
    if (w->info.level == 0)
        w->info.level = VSS_APP_FRONT_END;
    if (w->info.freeze_to_thaw_ms == 0)
        w->info.freeze_to_thaw_ms = VSS_WRITER_FREEZE_TO_THAW_MS;
    for (int i = 0; i < VSS_EV_COUNT; i++)
        w->info.event_timeout_ms[i] = vss_writer_event_timeout_ms(info, i);
    w->ops = *ops;
    w->ctx = ctx;
    w->state = VSS_WS_STABLE;
    *out = w;
    return VSS_OK;
out:
    if (w != NULL) {
        free_identity(&w->info.identity);
        free(w);
    }
    if (ops->release != NULL)
        ops->release(ctx);
    return rc;
}

void vss_writer_free(vss_writer *w)
{
    if (w == NULL)
        return;
    if (w->ops.release != NULL)
        w->ops.release(w->ctx);
    vss_wm_free(w->wm);
    for (size_t i = 0; i < w->nretired; i++)
        vss_wm_free(w->retired[i]);
    free(w->retired);
    free_identity(&w->info.identity);
    free(w);
}

const vss_wm_identity *vss_writer_identity(const vss_writer *w) { return &w->info.identity; }
int vss_writer_level(const vss_writer *w) { return w->info.level; }
uint32_t vss_writer_event_timeout_ms(const vss_writer_info *info, int type)
{
    if (info->event_timeout_ms[type] != 0)
        return info->event_timeout_ms[type];
    return info->event_default_ms != 0 ? info->event_default_ms : VSS_WRITER_EVENT_TIMEOUT_MS;
}

uint32_t vss_writer_freeze_to_thaw_ms(const vss_writer *w) { return w->info.freeze_to_thaw_ms; }
int vss_writer_state(const vss_writer *w) { return w->state; }
const vss_writer_metadata *vss_writer_metadata_of(const vss_writer *w) { return w->wm; }

int vss_writer_failure(const vss_writer *w, const char **message)
{
    if (message != NULL)
        *message = w->message;
    return w->failure;
}

static void start_operation(vss_writer *w)
{
    for (size_t i = 0; i < w->nretired; i++)
        vss_wm_free(w->retired[i]);
    w->nretired = 0;
    w->state = VSS_WS_STABLE;
    w->failure = VSS_WE_NONE;
    w->message[0] = '\0';
    w->identified = w->identify_ok = w->involved = w->aborted = false;
    w->shut_down = w->frozen = w->past_post_snapshot = false;
}

/* The first failure of an operation is the one that explains it; later
 * ones (in abort, in backup_shutdown) are added to its message. */
static void record_failure(vss_writer *w, int type, int kind, const char *msg)
{
    if (w->failure == VSS_WE_NONE) {
        w->failure = kind;
        snprintf(w->message, sizeof w->message, "%s", msg);
        if (failed_state[type] != 0)
            w->state = failed_state[type];
    } else {
        size_t n = strlen(w->message);
        snprintf(w->message + n, sizeof w->message - n, "; then at %s: %s",
                 event_names[type], msg);
    }
}

static vss_writer_handler handler_of(const vss_writer *w, int type)
{
    switch (type) {
    case VSS_EV_IDENTIFY: return w->ops.identify;
    case VSS_EV_PREPARE_BACKUP: return w->ops.prepare_backup;
    case VSS_EV_PREPARE_SNAPSHOT: return w->ops.prepare_snapshot;
    case VSS_EV_FREEZE: return w->ops.freeze;
    case VSS_EV_THAW: return w->ops.thaw;
    case VSS_EV_POST_SNAPSHOT: return w->ops.post_snapshot;
    case VSS_EV_ABORT: return w->ops.abort;
    case VSS_EV_BACKUP_COMPLETE: return w->ops.backup_complete;
    case VSS_EV_BACKUP_SHUTDOWN: return w->ops.backup_shutdown;
    case VSS_EV_PRE_RESTORE: return w->ops.pre_restore;
    default: return w->ops.post_restore;
    }
}

/* This writer's entry in bc: same writer id and instance id. */
static vss_bc_writer *entry_of(const vss_writer *w, vss_backup_components *bc)
{
    if (bc == NULL)
        return NULL;
    return vss_bc_find_writer(bc, w->info.identity.writer_id, w->info.identity.instance_id);
}

/* The identify handler's document must be whole and be this writer's. */
static int check_identified(const vss_writer *w, const vss_writer_metadata *wm, vss_error *e)
{
    if (wm == NULL)
        return vss_error_set(e, VSS_WRITER_NONRETRYABLE, "identify gave no metadata document");
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    if (!vss_wm_is_writer(id, w->info.identity.writer_id, w->info.identity.instance_id))
        return vss_error_set(e, VSS_WRITER_NONRETRYABLE,
                             "metadata document is writer %s instance %s, not %s instance %s",
                             id->writer_id ? id->writer_id : "?",
                             id->instance_id ? id->instance_id : "?",
                             w->info.identity.writer_id, w->info.identity.instance_id);
    vss_error ve;
    if (vss_wm_validate(wm, &ve) != VSS_OK)
        return vss_error_set(e, VSS_WRITER_NONRETRYABLE, "metadata document: %s", ve.message);
    return VSS_OK;
}

static int keep_metadata(vss_writer *w, vss_writer_metadata *wm, vss_error *e)
{
    if (w->wm != NULL) {
        if (VSS_GROW(w->retired, w->capretired, w->nretired, NULL) != VSS_OK) {
            vss_wm_free(wm);
            return vss_error_set(e, VSS_WRITER_OUTOFRESOURCES, "no memory to keep the document");
        }
        w->retired[w->nretired++] = w->wm;
    }
    w->wm = wm;
    return VSS_OK;
}

/* Run one handler with its deadline. VSS_OK, or VSS_FAIL with the
 * writer's failure recorded (kind and message). */
static int deliver(vss_writer *w, int type, vss_backup_components *bc,
                   const char *snapshot_set_id, uint64_t deadline_ms)
{
    vss_writer_event ev = {
        .type = type,
        .bc = bc,
        .components = entry_of(w, bc),
        .backup_type = bc != NULL ? vss_bc_get_state(bc)->backup_type
                                  : w->session->backup_type,
        .snapshot_set_id = snapshot_set_id,
        .deadline_ms = deadline_ms,
    };
    if (ev.snapshot_set_id == NULL && bc != NULL)
        ev.snapshot_set_id = vss_bc_get_state(bc)->snapshot_set_id;
    vss_error he;
    vss_error_clear(&he);
    int rc = VSS_OK;
    if (type == VSS_EV_IDENTIFY && vss_wm_new(&w->info.identity, &ev.metadata, &he) != VSS_OK)
        rc = VSS_FAIL;
    vss_writer_handler h = handler_of(w, type);
    if (rc == VSS_OK && h != NULL) {
        w->session->delivering = true;
        rc = h(w->ctx, &ev, &he);
        w->session->delivering = false;
        if (rc != VSS_OK && he.code == 0)
            vss_error_set(&he, VSS_WRITER_NONRETRYABLE, "%s failed", event_names[type]);
    }
    if (rc == VSS_OK && vss_writer_clock_ms() > deadline_ms)
        rc = vss_error_set(&he, VSS_WRITER_TIMEOUT, "%s returned after its deadline",
                           event_names[type]);
    if (rc == VSS_OK && type == VSS_EV_IDENTIFY) {
        rc = check_identified(w, ev.metadata, &he);
        if (rc == VSS_OK) {
            rc = keep_metadata(w, ev.metadata, &he);
            ev.metadata = NULL;
        }
    }
    vss_wm_free(ev.metadata);
    if (rc != VSS_OK)
        record_failure(w, type, vss_writer_error_kind_of(he.code), he.message);
    /* §3.1: a writer whose identify failed is left out of the metadata */
    if (rc != VSS_OK && type == VSS_EV_IDENTIFY && w->wm != NULL)
        keep_metadata(w, NULL, NULL);
    return rc;
}

static uint64_t deadline_of(const vss_writer *w, int type)
{
    return vss_writer_clock_ms() + w->info.event_timeout_ms[type];
}

/* ---- the dispatcher ---- */

int vss_writers_new(vss_writers **out, vss_error *e)
{
    if ((*out = calloc(1, sizeof **out)) == NULL)
        return vss_error_sys(e, ENOMEM, "writers");
    return VSS_OK;
}

void vss_writers_free(vss_writers *ws)
{
    if (ws == NULL)
        return;
    if (ws->phase != P_SHUTDOWN && ws->phase != P_NEW)
        vss_writers_backup_shutdown(ws, NULL, NULL);
    for (size_t i = 0; i < ws->count; i++)
        ws->items[i]->session = NULL;
    free(ws->items);
    free(ws);
}

int vss_writers_add(vss_writers *ws, vss_writer *w, vss_error *e)
{
    if (w->session != NULL)
        return vss_error_set(e, EBUSY, "writer '%s' already takes part in a session",
                             w->info.identity.name);
    if (ws->phase != P_NEW)
        return vss_error_set(e, VSS_BAD_STATE, "writer '%s': the session has begun",
                             w->info.identity.name);
    if (VSS_GROW(ws->items, ws->cap, ws->count, NULL) != VSS_OK)
        return vss_error_sys(e, ENOMEM, "writers");
    ws->items[ws->count++] = w;
    w->session = ws;
    start_operation(w);
    return VSS_OK;
}

size_t vss_writers_count(const vss_writers *ws) { return ws->count; }
vss_writer *vss_writers_at(const vss_writers *ws, size_t i) { return ws->items[i]; }

bool vss_writers_delivering(const vss_writers *ws) { return ws->delivering; }

bool vss_writers_involved(const vss_writers *ws, const vss_writer *w)
{
    (void)ws;
    return w->identify_ok && w->involved && !w->aborted;
}

/* Collects the outcome of one event for the caller's vss_error. */
typedef struct outcome {
    int failed;
    const vss_writer *first;
    int type;
} outcome;

static void note(outcome *o, const vss_writer *w, int rc)
{
    if (rc == VSS_OK)
        return;
    if (o->failed++ == 0)
        o->first = w;
}

static int finish(const outcome *o, vss_error *e)
{
    if (o->failed == 0)
        return VSS_OK;
    const vss_writer *w = o->first;
    if (o->failed == 1)
        return vss_error_set(e, vss_writer_error_code(w->failure), "writer '%s' failed at %s: %s",
                             w->info.identity.name, event_names[o->type], w->message);
    return vss_error_set(e, vss_writer_error_code(w->failure),
                         "writer '%s' failed at %s: %s (and %d more writers failed)",
                         w->info.identity.name, event_names[o->type], w->message, o->failed - 1);
}

static int bad_state(vss_error *e, int type, const char *why)
{
    return vss_error_set(e, VSS_BAD_STATE, "%s: %s", event_names[type], why);
}

/* An event is refused out of order, and from inside a handler: the
 * dispatcher is in the middle of another event then. */
static bool refused(const vss_writers *ws, int type, bool in_order, const char *why,
                    vss_error *e)
{
    if (ws->delivering)
        bad_state(e, type, "sent from inside a writer's handler");
    else if (!in_order)
        bad_state(e, type, why);
    return ws->delivering || !in_order;
}

/* Taking part and not failed: the writers the ordinary events go to. */
static bool active(const vss_writer *w)
{
    return w->identify_ok && w->involved && !w->aborted && w->failure == VSS_WE_NONE;
}

/* Deliver an event to every active writer in list order, moving those
 * that succeed to `next` (when not 0). */
static int broadcast(vss_writers *ws, int type, vss_backup_components *bc, int next,
                     vss_error *e)
{
    outcome o = {.type = type};
    for (size_t i = 0; i < ws->count; i++) {
        vss_writer *w = ws->items[i];
        if (!active(w))
            continue;
        if (type == VSS_EV_POST_SNAPSHOT)
            w->past_post_snapshot = true; /* no abort for it from here on */
        int rc = deliver(w, type, bc, NULL, deadline_of(w, type));
        if (rc == VSS_OK && next != 0)
            w->state = next;
        note(&o, w, rc);
    }
    return finish(&o, e);
}

int vss_writers_identify(vss_writers *ws, vss_error *e)
{
    if (refused(ws, VSS_EV_IDENTIFY, ws->phase != P_SHUTDOWN, "the session was shut down", e))
        return VSS_FAIL;
    outcome o = {.type = VSS_EV_IDENTIFY};
    for (size_t i = 0; i < ws->count; i++) {
        vss_writer *w = ws->items[i];
        /* §1: identify may come at any time; it changes no operation
         * state, but a writer that failed stays out. */
        if (w->identified && !w->identify_ok)
            continue;
        w->identified = true;
        int rc = deliver(w, VSS_EV_IDENTIFY, NULL, NULL, deadline_of(w, VSS_EV_IDENTIFY));
        if (rc == VSS_OK && ws->phase == P_NEW) {
            w->identify_ok = true;
            w->involved = true;
        } else if (rc != VSS_OK) {
            w->identify_ok = false;
        }
        note(&o, w, rc);
    }
    if (ws->phase == P_NEW)
        ws->phase = P_IDENTIFIED;
    return finish(&o, e);
}

/* §3.1: writers with no component included get nothing after
 * PrepareForBackup / PreRestore; without component selection, all take part. */
static void select_involved(vss_writers *ws, vss_backup_components *bc)
{
    bool select = vss_bc_get_state(bc)->select_components;
    for (size_t i = 0; i < ws->count; i++) {
        vss_writer *w = ws->items[i];
        if (!w->identify_ok || w->failure != VSS_WE_NONE)
            continue;
        const vss_bc_writer *bw = entry_of(w, bc);
        w->involved = !select || (bw != NULL && bw->component_count > 0);
    }
}

/* One event in its place in the order: refused unless the session is at
 * `from`; then delivered to the active writers, who move to `next` when
 * they succeed. */
static int step(vss_writers *ws, int type, enum phase from, enum phase to, const char *why,
                vss_backup_components *bc, int next, vss_error *e)
{
    if (refused(ws, type, ws->phase == from, why, e))
        return VSS_FAIL;
    ws->phase = to;
    return broadcast(ws, type, bc, next, e);
}

/* prepare_backup and pre_restore open an operation on a BCD. */
static int open_operation(vss_writers *ws, int type, enum phase next,
                          vss_backup_components *bc, vss_error *e)
{
    static const char why[] = "comes once, after identify";
    if (refused(ws, type, ws->phase == P_IDENTIFIED, why, e))
        return VSS_FAIL;
    ws->backup_type = vss_bc_get_state(bc)->backup_type;
    int rc = step(ws, type, P_IDENTIFIED, next, why, bc, VSS_WS_STABLE, e);
    select_involved(ws, bc);
    return rc;
}

int vss_writers_prepare_backup(vss_writers *ws, vss_backup_components *bc, vss_error *e)
{
    return open_operation(ws, VSS_EV_PREPARE_BACKUP, P_BACKUP_PREPARED, bc, e);
}

int vss_writers_prepare_snapshot(vss_writers *ws, vss_error *e)
{
    return step(ws, VSS_EV_PREPARE_SNAPSHOT, P_BACKUP_PREPARED, P_SNAPSHOT_PREPARED,
                "comes once, after prepare_backup", NULL, VSS_WS_WAITING_FOR_FREEZE, e);
}

/* A writer that fails freeze or thaw, or whose window ran out, aborts at
 * once (§3.2, "Aborting VSS Operations"). */
static void self_abort(vss_writer *w)
{
    w->frozen = false;
    w->aborted = true;
    deliver(w, VSS_EV_ABORT, NULL, NULL, deadline_of(w, VSS_EV_ABORT));
}

/* After freeze or thaw: on to the next state, or abort. */
static void settle_hold(vss_writer *w, int rc, int next, bool frozen)
{
    if (rc == VSS_OK) {
        w->state = next;
        w->frozen = frozen;
    } else {
        self_abort(w);
    }
}

static const int freeze_levels[] = {VSS_APP_FRONT_END, VSS_APP_BACK_END, VSS_APP_SYSTEM};
#define NLEVELS (sizeof freeze_levels / sizeof freeze_levels[0])

int vss_writers_freeze(vss_writers *ws, vss_error *e)
{
    if (refused(ws, VSS_EV_FREEZE, ws->phase == P_SNAPSHOT_PREPARED,
                "comes once, after prepare_snapshot", e))
        return VSS_FAIL;
    ws->phase = P_FROZEN;
    outcome o = {.type = VSS_EV_FREEZE};
    for (size_t l = 0; l < NLEVELS; l++) {
        for (size_t i = 0; i < ws->count; i++) {
            vss_writer *w = ws->items[i];
            if (!active(w) || w->info.level != freeze_levels[l])
                continue;
            w->freeze_start_ms = vss_writer_clock_ms();
            uint64_t window_end = w->freeze_start_ms + w->info.freeze_to_thaw_ms;
            uint64_t deadline = deadline_of(w, VSS_EV_FREEZE);
            int rc = deliver(w, VSS_EV_FREEZE, NULL, NULL,
                             deadline < window_end ? deadline : window_end);
            settle_hold(w, rc, VSS_WS_WAITING_FOR_THAW, true);
            note(&o, w, rc);
        }
    }
    return finish(&o, e);
}

int vss_writers_thaw(vss_writers *ws, vss_error *e)
{
    if (refused(ws, VSS_EV_THAW, ws->phase == P_FROZEN, "comes once, after freeze", e))
        return VSS_FAIL;
    ws->phase = P_THAWED;
    outcome o = {.type = VSS_EV_THAW};
    for (size_t l = NLEVELS; l-- > 0;) {
        for (size_t i = ws->count; i-- > 0;) {
            vss_writer *w = ws->items[i];
            if (!active(w) || !w->frozen || w->info.level != freeze_levels[l])
                continue;
            uint64_t held = vss_writer_clock_ms() - w->freeze_start_ms;
            int rc;
            if (held > w->info.freeze_to_thaw_ms) {
                char msg[160];
                snprintf(msg, sizeof msg,
                         "thaw came %llu ms after freeze, past the %lu ms freeze-to-thaw window",
                         (unsigned long long)held, (unsigned long)w->info.freeze_to_thaw_ms);
                record_failure(w, VSS_EV_FREEZE, VSS_WE_TIMEOUT, msg);
                rc = VSS_FAIL;
            } else {
                rc = deliver(w, VSS_EV_THAW, NULL, NULL, deadline_of(w, VSS_EV_THAW));
            }
            settle_hold(w, rc, VSS_WS_WAITING_FOR_POST_SNAPSHOT, false);
            note(&o, w, rc);
        }
    }
    return finish(&o, e);
}

int vss_writers_post_snapshot(vss_writers *ws, vss_backup_components *bc, vss_error *e)
{
    return step(ws, VSS_EV_POST_SNAPSHOT, P_THAWED, P_POST_SNAPSHOT, "comes once, after thaw",
                bc, VSS_WS_WAITING_FOR_BACKUP_COMPLETE, e);
}

int vss_writers_backup_complete(vss_writers *ws, vss_backup_components *bc, vss_error *e)
{
    return step(ws, VSS_EV_BACKUP_COMPLETE, P_POST_SNAPSHOT, P_COMPLETE,
                "comes once, after post_snapshot", bc, VSS_WS_STABLE, e);
}

int vss_writers_abort(vss_writers *ws, vss_error *e)
{
    if (refused(ws, VSS_EV_ABORT, ws->phase >= P_BACKUP_PREPARED && ws->phase <= P_POST_SNAPSHOT,
                "comes between prepare_backup and backup_complete", e))
        return VSS_FAIL;
    ws->phase = P_ABORTED;
    outcome o = {.type = VSS_EV_ABORT};
    for (size_t i = 0; i < ws->count; i++) {
        vss_writer *w = ws->items[i];
        if (!w->identify_ok || !w->involved || w->aborted || w->past_post_snapshot)
            continue;
        w->aborted = true;
        w->frozen = false;
        bool had_failed = w->failure != VSS_WE_NONE;
        int rc = deliver(w, VSS_EV_ABORT, NULL, NULL, deadline_of(w, VSS_EV_ABORT));
        if (!had_failed && w->failure == VSS_WE_NONE)
            w->state = VSS_WS_STABLE;
        note(&o, w, rc);
    }
    return finish(&o, e);
}

int vss_writers_backup_shutdown(vss_writers *ws, const char *snapshot_set_id, vss_error *e)
{
    if (refused(ws, VSS_EV_BACKUP_SHUTDOWN, ws->phase != P_SHUTDOWN, "was sent already", e))
        return VSS_FAIL;
    ws->phase = P_SHUTDOWN;
    outcome o = {.type = VSS_EV_BACKUP_SHUTDOWN};
    for (size_t i = 0; i < ws->count; i++) {
        vss_writer *w = ws->items[i];
        if (!w->identified || w->shut_down)
            continue;
        w->shut_down = true;
        note(&o, w, deliver(w, VSS_EV_BACKUP_SHUTDOWN, NULL, snapshot_set_id,
                            deadline_of(w, VSS_EV_BACKUP_SHUTDOWN)));
    }
    return finish(&o, e);
}

int vss_writers_pre_restore(vss_writers *ws, vss_backup_components *bc, vss_error *e)
{
    return open_operation(ws, VSS_EV_PRE_RESTORE, P_RESTORE_PREPARED, bc, e);
}

int vss_writers_post_restore(vss_writers *ws, vss_backup_components *bc, vss_error *e)
{
    return step(ws, VSS_EV_POST_RESTORE, P_RESTORE_PREPARED, P_RESTORED,
                "comes once, after pre_restore", bc, VSS_WS_STABLE, e);
}

const char *vss_writers_failed_policy_name(int policy)
{
    static const char *const names[] = {[VSS_WA_KEEP] = "keep", [VSS_WA_SKIP] = "skip",
                                        [VSS_WA_FAIL] = "fail"};
    return policy >= VSS_WA_KEEP && policy <= VSS_WA_FAIL ? names[policy] : "";
}

int vss_writers_failed_policy(const vss_writer *w, bool required)
{
    switch (w->state) {
    case VSS_WS_FAILED_AT_IDENTIFY:
    case VSS_WS_FAILED_AT_PREPARE_BACKUP:
    case VSS_WS_FAILED_AT_PREPARE_SNAPSHOT:
    case VSS_WS_FAILED_AT_FREEZE:
    case VSS_WS_FAILED_AT_THAW:
    case VSS_WS_FAILED_AT_POST_SNAPSHOT:
        return required ? VSS_WA_FAIL : VSS_WA_SKIP;
    default:
        return VSS_WA_KEEP;
    }
}
