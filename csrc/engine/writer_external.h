/* External writers: an application not written in Lua takes part in a
 * backup with a metadata document in a file and a command per event (the
 * spirit of VSS's express writers, docs/model.md §2.7, with events added).
 *
 * Identify runs the identify command if there is one (it may regenerate
 * the file), then loads the metadata file afresh. Every other event runs
 * its command, if any; an event without a command succeeds (CVssWriter's
 * defaults, §2.8).
 *
 * A command runs as a child process in its own process group, with stdin
 * from /dev/null, stdout and stderr into one pipe (the first
 * VSS_EXTERNAL_OUTPUT_MAX bytes end up in a failure's message), no other
 * file descriptor, and this environment added to the caller's:
 *   VSS_EVENT          "freeze", "post_snapshot", ... (writer.h's names)
 *   VSS_WRITER_NAME, VSS_WRITER_ID, VSS_INSTANCE_ID
 *   VSS_TIMEOUT_MS     milliseconds left before the command is stopped
 *   VSS_WMD            identify: the metadata file
 *   VSS_BCD            events with a backup components document: a
 *                      temporary copy of it; the command may change it
 *   VSS_BACKUP_TYPE    with a BCD: "full", "incremental", ...
 *   VSS_SNAPSHOT_SET_ID  when known (backup_shutdown, or from the BCD)
 * After the command, the copy is read back and what a writer may change in
 * its own components is carried into the requester's document through the
 * same calls a Lua writer makes (so VSS's rules apply): backup stamp,
 * backup and restore metadata, restore target, pre/post-restore failure
 * messages, and added partial files, directed targets and differenced
 * files. Any other change is ignored.
 *
 * Exit status -> writer error kind:
 *   0 success; 75 (EX_TEMPFAIL) WRITER_RETRYABLE; 71 (EX_OSERR)
 *   WRITER_OUTOFRESOURCES; 124 (as timeout(1)) WRITER_TIMEOUT; 79
 *   WRITER_INCONSISTENTSNAPSHOT; any other status, a signal, or a command
 *   that cannot be started: WRITER_NONRETRYABLE.
 * At the event's deadline the process group gets SIGTERM, and SIGKILL
 * VSS_EXTERNAL_KILL_GRACE_MS later; the writer fails with WRITER_TIMEOUT. */
#ifndef VSS_WRITER_EXTERNAL_H
#define VSS_WRITER_EXTERNAL_H

#include "engine/writer.h"

#define VSS_EXTERNAL_OUTPUT_MAX 1024
#define VSS_EXTERNAL_KILL_GRACE_MS 500u

enum {
    VSS_EXTERNAL_EXIT_RETRYABLE = 75,
    VSS_EXTERNAL_EXIT_OUTOFRESOURCES = 71,
    VSS_EXTERNAL_EXIT_TIMEOUT = 124,
    VSS_EXTERNAL_EXIT_INCONSISTENTSNAPSHOT = 79,
};

typedef struct vss_writer_external_cfg {
    const char *metadata; /* path of the writer metadata document */
    /* argv per event (NULL-terminated; argv[0] searched in PATH), or NULL */
    const char *const *commands[VSS_EV_COUNT];
    int level; /* VSS_APP_*, 0 = front end */
    /* as vss_writer_info's (0: not given) */
    uint32_t freeze_to_thaw_ms, event_default_ms, event_timeout_ms[VSS_EV_COUNT];
} vss_writer_external_cfg;

/* Loads the metadata document for the writer's identity (an unreadable or
 * invalid file fails here, with the loader's code). */
int vss_writer_external_new(const vss_writer_external_cfg *cfg, vss_writer **out,
                            vss_error *e);

#endif
