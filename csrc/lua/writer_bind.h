/* How vss.backup (backup.c) drives a vss.WriterSession's writers through a
 * whole backup, and vss.restore (restore.c) a list of writers through a
 * restore: the Lua writers run their handlers on this stack. */
#ifndef VSS_LUA_WRITER_BIND_H
#define VSS_LUA_WRITER_BIND_H

#include "engine/writer.h"
#include "binding.h"

/* The session at sidx (absolute; raises when it is not an open one): its
 * writers learn the stack and the BackupComponents at bcidx (0: none)
 * they hand their handlers. Pushes one value per writer; unbind with the
 * stack top from before. */
vss_writers *vss_lua_session_bind(lua_State *L, int sidx, int bcidx);
void vss_lua_session_unbind(lua_State *L, int sidx, int top);

/* The same for a list of writers that no session holds (vss.restore,
 * whose engine makes a session per step): the table at list (absolute)
 * of vss.Writer objects, checked (raises naming the entry), their engine
 * objects in the array returned (*n of them; it lives on the stack). */
vss_writer **vss_lua_writers_bind(lua_State *L, int list, int bcidx, size_t *n);
void vss_lua_writers_unbind(lua_State *L, int list, int top);

/* One writer's GatherWriterStatus entry, the table session:status()
 * lists: {name=, writer_id=, instance_id=, state=, involved=, code=,
 * failure=, hresult=}. */
void vss_lua_push_writer_status(lua_State *L, const vss_writers *ws, const vss_writer *w);

#endif
