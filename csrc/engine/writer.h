/* Writers: the applications that take part in a backup (docs/model.md
 * §1, §2.8, §3). A writer is a set of event handlers behind a struct of
 * callbacks, so the engine never knows what implements them: a Lua writer
 * (csrc/lua/writer.c), an external program (writer_external.h) or a C test
 * writer. vss_writers is the requester's side of the writer protocol: it
 * delivers one event to every writer in VSS order, keeps each writer's
 * VSS_WS_* state and failure, and enforces the timeouts. */
#ifndef VSS_WRITER_H
#define VSS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "documents/components.h"
#include "base/error.h"
#include "documents/metadata.h"

typedef enum vss_writer_event_type {
    VSS_EV_IDENTIFY,
    VSS_EV_PREPARE_BACKUP,
    VSS_EV_PREPARE_SNAPSHOT,
    VSS_EV_FREEZE,
    VSS_EV_THAW,
    VSS_EV_POST_SNAPSHOT,
    VSS_EV_ABORT,
    VSS_EV_BACKUP_COMPLETE,
    VSS_EV_BACKUP_SHUTDOWN,
    VSS_EV_PRE_RESTORE,
    VSS_EV_POST_RESTORE,
    VSS_EV_COUNT
} vss_writer_event_type;

/* "identify", "prepare_backup", ... (the Lua handler names). */
const char *vss_writer_event_name(int type);

/* The writer error kinds of SetWriterFailure (§3.1, §4.1). Their codes in a
 * vss_error are VSS_WRITER_RETRYABLE and so on, in Lua "WRITER_RETRYABLE". */
typedef enum vss_writer_error_kind {
    VSS_WE_NONE,
    VSS_WE_INCONSISTENTSNAPSHOT, /* 0x800423F0 */
    VSS_WE_OUTOFRESOURCES,       /* 0x800423F1 */
    VSS_WE_TIMEOUT,              /* 0x800423F2 */
    VSS_WE_RETRYABLE,            /* 0x800423F3 */
    VSS_WE_NONRETRYABLE,         /* 0x800423F4 */
} vss_writer_error_kind;

int vss_writer_error_code(int kind); /* VSS_WRITER_TIMEOUT...; 0 for NONE */
uint32_t vss_writer_error_hresult(int kind); /* VSS_E_WRITERERROR_*; 0 for NONE */
/* The kind a handler's error code stands for: a VSS_WRITER_* code is itself;
 * ENOMEM, ENOSPC, EDQUOT, EMFILE, ENFILE -> out of resources; ETIMEDOUT
 * -> timeout; EAGAIN, EBUSY -> retryable; anything else -> non-retryable. */
int vss_writer_error_kind_of(int code);
/* §3.1: retry after a while for out of resources, timeout and retryable. */
bool vss_writer_error_retryable(int kind);

/* What VSS hands a writer with an event. */
typedef struct vss_writer_event {
    int type; /* VSS_EV_* */
    /* identify: a fresh document holding the writer's identity. The
     * handler fills it, or replaces it with a document of its own (freeing
     * the one given), as an external writer loading its file does. */
    vss_writer_metadata *metadata;
    /* prepare_backup, post_snapshot, backup_complete, pre_restore,
     * post_restore: the requester's document, which the writer may change
     * (stamps, partial files...), and this writer's entry in it (NULL when
     * none of its components is included). NULL for the other events. */
    vss_backup_components *bc;
    vss_bc_writer *components;
    int backup_type; /* VSS_BT_* of the BCD, or of the one prepare_backup had;
                      * VSS_BT_UNDEFINED before */
    const char *snapshot_set_id; /* backup_shutdown, and whatever the BCD knows; may be NULL */
    /* Monotonic milliseconds (vss_writer_clock_ms) by which the handler must
     * return. A handler that can be interrupted stops there; one that
     * returns later fails with WRITER_TIMEOUT all the same. */
    uint64_t deadline_ms;
} vss_writer_event;

/* A handler returns VSS_OK, or VSS_FAIL with e's code naming the kind
 * (see vss_writer_error_kind_of) and its message saying why. */
typedef int (*vss_writer_handler)(void *ctx, vss_writer_event *ev, vss_error *e);

/* A NULL handler does what CVssWriter's default does (§2.8): succeed. */
typedef struct vss_writer_ops {
    vss_writer_handler identify, prepare_backup, prepare_snapshot, freeze, thaw, post_snapshot,
        abort, backup_complete, backup_shutdown, pre_restore, post_restore;
    void (*release)(void *ctx); /* vss_writer_free calls it; may be NULL */
} vss_writer_ops;

#define VSS_WRITER_FREEZE_TO_THAW_MS 60000u /* dwTimeoutFreeze's default (§2.8, §3.2) */
/* VSS documents no limit for the other events (§3.2). Ours is generous,
 * for prepare_snapshot's heavy preparation, but finite. */
#define VSS_WRITER_EVENT_TIMEOUT_MS 600000u

typedef struct vss_writer_info {
    vss_wm_identity identity; /* writer_id, instance_id and name required */
    int level; /* VSS_APP_*; 0 = VSS_APP_FRONT_END, Initialize's default (§2.8) */
    uint32_t freeze_to_thaw_ms; /* 0 = VSS_WRITER_FREEZE_TO_THAW_MS */
    /* Each event's timeout: its own (event_timeout_ms), else the writer's
     * for every event (event_default_ms), else VSS_WRITER_EVENT_TIMEOUT_MS;
     * 0 is "not given". */
    uint32_t event_default_ms;
    uint32_t event_timeout_ms[VSS_EV_COUNT];
} vss_writer_info;

/* The timeout info gives event type (VSS_EV_*), by that precedence;
 * vss_writer_new keeps it for each event. */
uint32_t vss_writer_event_timeout_ms(const vss_writer_info *info, int type);

typedef struct vss_writer vss_writer;

/* The info is copied; ctx belongs to the writer from here on (ops->release
 * frees it, also when vss_writer_new fails). */
int vss_writer_new(const vss_writer_info *info, const vss_writer_ops *ops, void *ctx,
                   vss_writer **out, vss_error *e);
/* A writer still in a vss_writers must not be freed. */
void vss_writer_free(vss_writer *w);

const vss_wm_identity *vss_writer_identity(const vss_writer *w);
int vss_writer_level(const vss_writer *w);
uint32_t vss_writer_freeze_to_thaw_ms(const vss_writer *w);
int vss_writer_state(const vss_writer *w); /* VSS_WS_* */
/* The failure of the current operation: its kind (VSS_WE_NONE when none)
 * and message ("" when none). */
int vss_writer_failure(const vss_writer *w, const char **message);
/* The document of the last successful identify, or NULL (also after an
 * identify that failed: §3.1 leaves the writer out). A BCD may
 * point at it: it stays valid, even when a later identify replaces it,
 * until the writer joins another session or is freed. */
const vss_writer_metadata *vss_writer_metadata_of(const vss_writer *w);

/* The clock of the deadlines. */
uint64_t vss_writer_clock_ms(void);

/* ---- the dispatcher ---- */

typedef struct vss_writers vss_writers;

int vss_writers_new(vss_writers **out, vss_error *e);
/* Delivers backup_shutdown to every writer that got identify and not yet
 * backup_shutdown (§1: BackupShutdown is always sent), then frees the list;
 * the writers stay their owner's. Not from inside a handler. */
void vss_writers_free(vss_writers *ws);
/* A writer takes part in one session at a time (EBUSY otherwise); adding
 * it starts its operation afresh (stable, no failure). */
int vss_writers_add(vss_writers *ws, vss_writer *w, vss_error *e);
size_t vss_writers_count(const vss_writers *ws);
vss_writer *vss_writers_at(const vss_writers *ws, size_t i);

/* The events, as the requester sends them (§1). Each one is delivered to
 * every writer that takes part and returns VSS_OK when all of them
 * succeeded. When some failed, their states say so (failed_at_<event>),
 * and the call returns VSS_FAIL with the first failure's code
 * ("WRITER_RETRYABLE"...) and a message naming the writer. An event out of
 * order, or sent from inside a handler, is refused with "BAD_STATE" and
 * delivered to nobody.
 *
 * Who takes part: identify goes to every writer; a writer whose identify
 * failed gets nothing more but backup_shutdown (§3.1). After
 * prepare_backup / pre_restore, only the writers with components in the
 * BCD take part (all writers when the BCD does not select components).
 * A writer that failed gets no further event but abort and
 * backup_shutdown. */
int vss_writers_identify(vss_writers *ws, vss_error *e);
int vss_writers_prepare_backup(vss_writers *ws, vss_backup_components *bc, vss_error *e);
int vss_writers_prepare_snapshot(vss_writers *ws, vss_error *e);
/* Freeze goes front-end writers first, then back-end, then system ones:
 * §3.2 orders it by application level (VSS_APP_FRONT_END(3), then
 * VSS_APP_BACK_END(2), then VSS_APP_SYSTEM(1)); the usage type does not
 * enter into it. Within one level, the order the writers were added. Thaw
 * goes in the reverse order, so a layer resumes before those above it.
 * Each frozen writer's freeze-to-thaw window runs from its own freeze; a
 * freeze handler's deadline is the end of that window. A handler that
 * fails freeze or thaw, or a writer whose window has passed when thaw
 * comes, gets abort at once (§3.2: VSS calls OnAbort) instead of thaw;
 * the window's expiry is failed_at_freeze with WRITER_TIMEOUT. The
 * dispatcher runs no timer of its own: a window that passes while the
 * requester takes the snapshot is noticed when thaw comes. */
int vss_writers_freeze(vss_writers *ws, vss_error *e);
int vss_writers_thaw(vss_writers *ws, vss_error *e);
int vss_writers_post_snapshot(vss_writers *ws, vss_backup_components *bc, vss_error *e);
int vss_writers_backup_complete(vss_writers *ws, vss_backup_components *bc, vss_error *e);
/* AbortBackup: every writer taking part that has not reached
 * post_snapshot nor been aborted gets abort (VSS sends none after
 * PostSnapshot); those not failed go back to stable. */
int vss_writers_abort(vss_writers *ws, vss_error *e);
/* To every writer that got identify and has not had it yet. */
int vss_writers_backup_shutdown(vss_writers *ws, const char *snapshot_set_id, vss_error *e);
int vss_writers_pre_restore(vss_writers *ws, vss_backup_components *bc, vss_error *e);
int vss_writers_post_restore(vss_writers *ws, vss_backup_components *bc, vss_error *e);

/* A handler is running: events sent now are refused (BAD_STATE), and
 * the list must not be freed. */
bool vss_writers_delivering(const vss_writers *ws);

/* Whether a writer takes part in the current operation (identify
 * succeeded, components included, not aborted). */
bool vss_writers_involved(const vss_writers *ws, const vss_writer *w);

/* The requester's decision about one writer after the events (the backup
 * engine calls it for every writer before copying data and before
 * committing):
 *   VSS_WA_KEEP — no failure, or one after the data was safe
 *     (backup_complete, backup_shutdown): keep its components;
 *   VSS_WA_SKIP — it failed before its data was consistent in the
 *     snapshot (identify ... post_snapshot): back up without its
 *     components, report it;
 *   VSS_WA_FAIL — as SKIP, but the caller needs its components (they
 *     were selected explicitly, or it holds bootable system state):
 *     the backup fails with the writer's code.
 * §3.1 / "Writer Errors and Vetoes": the requester may accept a veto or
 * go on without the writer; this is that choice, made once, here. */
enum { VSS_WA_KEEP, VSS_WA_SKIP, VSS_WA_FAIL };
int vss_writers_failed_policy(const vss_writer *w, bool required);
/* "keep", "skip", "fail" (the Lua names); "" for another number. */
const char *vss_writers_failed_policy_name(int policy);

#endif
