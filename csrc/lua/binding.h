/* Shared helpers of the Lua binding. Only files under csrc/lua/ include the
 * Lua C API; each of them binds one Lua type or submodule and holds no
 * backup logic: check arguments, convert, call one engine function, push.
 * Arguments are read here the one way: option tables and their fields, C
 * strings, vss.Ranges, unsigned 64-bit values. */
#ifndef VSS_LUA_BINDING_H
#define VSS_LUA_BINDING_H

#include <lauxlib.h>
#include <lua.h>

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "ranges/ranges.h"

/* Operational failure: push nil, message, code and return 3. */
int vss_lua_fail(lua_State *L, const vss_error *e);

/* The result of an engine call that returns only a status: true for
 * VSS_OK, else nil, message, code. */
int vss_lua_okresult(lua_State *L, int rc, const vss_error *e);

/* Raise "bad argument #n to 'f' (no more than N arguments expected)" when
 * a call has extra arguments, so typos such as set:take(true) fail loudly. */
void vss_lua_checknargs(lua_State *L, int maxargs);

/* ---- option tables ----
 * An options argument is none, nil or a table; the readers below take
 * none and nil for an empty table, and raise naming the argument. */

/* Check the options argument arg: a table whose keys are all strings in
 * known (NULL-terminated), else "unknown option 'key'". Returns 1 for a
 * table, 0 for none or nil. */
int vss_lua_checkoptions(lua_State *L, int arg, const char *const *known);

/* Check the keys of the table at t (a definition, such as a writer's or a
 * file set's, read as argument arg): strings in known, or integers when
 * list is true (a table that may also be given as a list); else
 * "<where>: unknown field 'key'" (where may be NULL). */
void vss_lua_checkfields(lua_State *L, int t, int arg, const char *where,
                         const char *const *known, bool list);

/* Field name of the options table at t as a boolean: def when absent,
 * else "name: boolean expected, got <type>". */
bool vss_lua_fieldbool(lua_State *L, int t, const char *name, bool def);

/* Field name of the options table at t: a list of strings, as a
 * NULL-terminated array (*n entries), or NULL when the field is nil.
 * Raises naming argument t and the entry otherwise. The table and the
 * array stay on the stack, which keeps the strings alive. */
const char **vss_lua_strings_field(lua_State *L, int t, const char *name, size_t *n);

/* ---- C strings ----
 * A string argument that C reads as a C string (a path, a name, an id):
 * one holding a NUL byte names nothing. Not a string: raises. With a NUL
 * byte: raises "what: contains a NUL byte" when e is NULL, else returns
 * NULL with e filled ("what '<start>...': contains a NUL byte", EINVAL),
 * for paths that are data and fail like any bad path. */
const char *vss_lua_checkcstring(lua_State *L, int arg, const char *what, vss_error *e);

/* ---- vss.Ranges ----
 * The userdata of a range list (ranges.c is the class). Arguments read the
 * list from it directly. */
#define VSS_LUA_RANGES_T "vss.Ranges"
typedef struct vss_lua_ranges {
    vss_ranges *r; /* NULL only once collected */
} vss_lua_ranges;

/* A new vss.Ranges whose ->r is NULL, for the caller to set: made before
 * the list, so a raise in between leaks nothing. */
vss_lua_ranges *vss_lua_newranges(lua_State *L);
/* The list of the vss.Ranges at idx; raises otherwise. */
vss_ranges *vss_lua_checkranges(lua_State *L, int idx);
/* A ranges argument at idx (argument arg): a vss.Ranges, or an inline
 * string parsed into a new vss.Ranges left on the stack (which keeps it
 * alive); raises "what: <why>" for anything else or a bad string. */
const vss_ranges *vss_lua_rangesarg(lua_State *L, int idx, int arg, const char *what);

/* ---- unsigned 64-bit values ----
 * The 2^63 rule (README, ranges): C keeps full u64 values; a Lua integer
 * stops at 2^63-1. A value pushed as a number is pushed exactly, or
 * raises "<what> <value> exceeds Lua integer range (2^63-1)" rather than
 * handing out a wrapped or rounded number; what is formatted as
 * lua_pushfstring formats, only then. */
#define VSS_LUA_U64_FITS(v) ((uint64_t)(v) <= (uint64_t)LUA_MAXINTEGER)
void vss_lua_pushu64(lua_State *L, uint64_t v, const char *what, ...);

/* ---- classes ---- */

/* Create the metatable tname (its __name is tname), fill it with the
 * metamethods, and set __index to a table of the methods (the one it has
 * when the module is opened again in the same state). The stack is left
 * as it was: the class is found by name (luaL_setmetatable). */
void vss_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *metamethods,
                      const luaL_Reg *methods);
/* The same for a class with fields: __index is index, a C closure whose
 * upvalue 1 is the table of the methods. */
void vss_lua_newclass_index(lua_State *L, const char *tname, const luaL_Reg *metamethods,
                            const luaL_Reg *methods, lua_CFunction index);

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
int vss_lua_open_tree(lua_State *L);
int vss_lua_open_vdisk(lua_State *L);

#endif
