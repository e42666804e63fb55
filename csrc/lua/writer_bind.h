/* How vss.backup (backup.c) drives a vss.WriterSession's writers through a
 * whole backup: the Lua writers run their handlers on this stack. */
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

/* One writer's GatherWriterStatus entry, the table session:status()
 * lists: {name=, writer_id=, instance_id=, state=, involved=, code=,
 * failure=, hresult=}. */
void vss_lua_push_writer_status(lua_State *L, const vss_writers *ws, const vss_writer *w);

#endif
