/* Shared helpers of the Lua binding. Only files under csrc/lua/ include the
 * Lua C API; each of them binds one Lua type or submodule and holds no
 * backup logic: check arguments, convert, call one engine function, push. */
#ifndef VSS_LUA_BINDING_H
#define VSS_LUA_BINDING_H

#include <lauxlib.h>
#include <lua.h>

#include "base/error.h"

/* Operational failure: push nil, message, code and return 3. */
int vss_lua_fail(lua_State *L, const vss_error *e);

/* The result of an engine call that returns only a status: true for
 * VSS_OK, else nil, message, code. */
int vss_lua_okresult(lua_State *L, int rc, const vss_error *e);

/* Raise "bad argument #n to 'f' (no more than N arguments expected)" when
 * a call has extra arguments, so typos such as set:take(true) fail loudly. */
void vss_lua_checknargs(lua_State *L, int maxargs);

/* Field name of the options table at t: a list of strings, as a
 * NULL-terminated array (*n entries), or NULL when the field is nil.
 * Raises naming argument t and the entry otherwise. The table and the
 * array stay on the stack, which keeps the strings alive. */
const char **vss_lua_strings_field(lua_State *L, int t, const char *name, size_t *n);

/* Create the metatable tname (its __name is tname), fill it with the
 * metamethods, and set __index to a table of the methods. The stack is
 * left as it was: the class is found by name (luaL_setmetatable). */
void vss_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *metamethods,
                      const luaL_Reg *methods);

/* The one way lua/vss/ extends a C class: the module table at the top
 * gets methods.<Class> (tname without its "vss.": methods.Dest for
 * "vss.Dest"), the class's method table, to which the Lua module adds
 * its conveniences when it is required. A class whose __index is a
 * function (vss.FileDesc) keeps its method table as that function's
 * first upvalue. */
void vss_lua_export_methods(lua_State *L, const char *tname);

/* The module's entry point (`require "vss.core"`). */
int luaopen_vss_core(lua_State *L);

/* Submodule openers: each pushes its table (and registers its classes). */
int vss_lua_open_ranges(lua_State *L);
int vss_lua_open_filespec(lua_State *L);
int vss_lua_open_enums(lua_State *L);
int vss_lua_open_metadata(lua_State *L);
int vss_lua_open_components(lua_State *L);
int vss_lua_open_store(lua_State *L);
int vss_lua_open_snapshot(lua_State *L);
int vss_lua_open_writer(lua_State *L);
int vss_lua_open_restore(lua_State *L);
int vss_lua_open_dest(lua_State *L);
int vss_lua_open_backup(lua_State *L);

#endif
