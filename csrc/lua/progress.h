/* The progress callback of long engine work (backup, restore) as a Lua
 * function: it gets {files=, bytes=, files_total=, bytes_total=, name=}
 * and returns false to stop. It runs under pcall: an error stops the work
 * and is kept for the message instead of unwinding the engine's frames. */
#ifndef VSS_LUA_PROGRESS_H
#define VSS_LUA_PROGRESS_H

#include "base/progress.h"
#include "binding.h"

typedef struct vss_lua_progress {
    lua_State *L;
    int fn;        /* stack index of the function, 0 when none */
    char err[512]; /* the function's error, when it raised */
} vss_lua_progress;

/* Field "progress" of the options table at t (a function or nil; raises
 * naming argument t otherwise). Returns the engine callback to pass with
 * lp as its data, or NULL when there is none. The function stays on the
 * stack. */
vss_progress_fn vss_lua_progress_field(lua_State *L, int t, vss_lua_progress *lp);

#endif
