/* Cancellation of long engine work by a signal. While a scope is open
 * (vss_cancel_enter .. vss_cancel_leave), SIGINT, SIGTERM and SIGHUP only
 * raise a flag, which the engine's loops test (vss_cancelled: per buffer
 * of data copied, per file, per event) to stop with ECANCELED and clean
 * up what they made. Leaving the scope puts the caller's handlers back and
 * raises each signal that arrived again, so it then has the effect it
 * would have had (Lua's "interrupted!", the default's termination).
 * A signal the caller ignores (SIG_IGN) is left ignored. A second arrival
 * of the same signal inside the scope takes its old course at once (a
 * second Ctrl-C still kills). The flag is process-wide; scopes nest (the
 * outermost one installs and restores). Engine code never installs it: a
 * binding or a program does, around one call. */
#ifndef VSS_CANCEL_H
#define VSS_CANCEL_H

#include <stdbool.h>

#include "base/error.h"

/* Nonzero once a signal (or vss_cancel_request) asked the work to stop. */
bool vss_cancelled(void);

/* The signal that asked (SIGINT...), -1 for vss_cancel_request, 0 none. */
int vss_cancel_signal(void);

/* VSS_OK, or ECANCELED "interrupted by SIGINT" (what names the work:
 * "backup", "restore"...) when cancelled. */
int vss_cancel_check(vss_error *e, const char *what);

/* Ask the work to stop without a signal (async-signal-safe). */
void vss_cancel_request(void);

/* Open a scope: install the handlers (the outermost scope; it also clears
 * the flag). Fails only when sigaction does. */
int vss_cancel_enter(vss_error *e);

/* Close it: the outermost one restores the handlers, clears the flag and
 * raises again each signal that arrived and has not yet taken its course. */
void vss_cancel_leave(void);

#endif
