/* Filesystem freeze (FIFREEZE / FITHAW) with a hard timeout that always
 * thaws. The freeze is never held by the caller's process: a small freezer
 * child freezes, reports over a pipe, and thaws when told, when the pipe
 * closes (the parent died), when its timer fires or when it receives a
 * catchable signal (PR_SET_PDEATHSIG sends one), whichever comes first. */
#ifndef VSS_SNAPSHOT_FREEZE_H
#define VSS_SNAPSHOT_FREEZE_H

#include <sys/types.h>

#include "base/error.h"

typedef struct vss_freezer vss_freezer;

/* Freeze the filesystem mounted at mountpoint for at most timeout_ms.
 * Needs CAP_SYS_ADMIN (EPERM otherwise). */
int vss_freeze(const char *mountpoint, unsigned timeout_ms, vss_freezer **out, vss_error *e);

/* Thaw and reap the child; frees f. HOLD_WRITES_TIMEOUT when the timeout
 * had already thawed it (what was done while "frozen" was not). */
int vss_thaw(vss_freezer *f, vss_error *e);

pid_t vss_freezer_pid(const vss_freezer *f);
const char *vss_freezer_mountpoint(const vss_freezer *f);

#endif
