/* What the bindings of the two documents share: enumerations as strings,
 * masks as lists of names, file descriptors as tables. */
#ifndef VSS_LUA_DOCS_H
#define VSS_LUA_DOCS_H

#include <stdint.h>

#include "../enums.h"
#include "../filespec.h"
#include "binding.h"

#define VSS_LUA_WM_T "vss.WriterMetadata"
#define VSS_LUA_COMPONENT_T "vss.Component"
#define VSS_LUA_BC_T "vss.BackupComponents"
#define VSS_LUA_CSTATE_T "vss.ComponentState"

/* The engine object of a vss.WriterMetadata argument (raises otherwise). */
struct vss_writer_metadata *vss_lua_checkwm(lua_State *L, int idx);
/* The engine object of a vss.BackupComponents argument (raises otherwise). */
struct vss_backup_components *vss_lua_checkbc(lua_State *L, int idx);

/* A Lua name of en ("incremental") -> its value; raises naming arg. */
int vss_lua_checkenum(lua_State *L, int arg, const vss_enum *en);
int vss_lua_optenum(lua_State *L, int arg, const vss_enum *en, int def);
/* A list of names or a number -> mask; raises naming arg and entry. */
uint32_t vss_lua_checkmask(lua_State *L, int arg, const vss_enum *en);
uint32_t vss_lua_optmask(lua_State *L, int arg, const vss_enum *en, uint32_t def);
/* The Lua name of value (the number when the table has none). */
void vss_lua_pushenum(lua_State *L, const vss_enum *en, int64_t value);
/* A mask as a list of single-bit names (unknown bits as one number). */
void vss_lua_pushmask(lua_State *L, const vss_enum *en, uint64_t mask);
/* A vss.FileDesc with a copy of d (path, filespec, recursive,
 * alternate_location, backup_type). */
void vss_lua_pushfiledesc(lua_State *L, const vss_filedesc *d);
/* Field name of the options table at t (absent: def / false); raises
 * naming argument t and the field. */
int vss_lua_fieldenum(lua_State *L, int t, const char *name, const vss_enum *en, int def);
bool vss_lua_fieldbool(lua_State *L, int t, const char *name);
/* A string or nil (absent -> NULL); raises when something else. */
const char *vss_lua_optstr(lua_State *L, int arg);
/* A boolean argument, nil counting as def. */
int vss_lua_optbool(lua_State *L, int arg, int def);
/* Push s, or nil when NULL. */
void vss_lua_pushstr(lua_State *L, const char *s);
/* A document's XML text (malloc'd, freed here) or, when NULL, nil,
 * message, code. */
int vss_lua_xmlresult(lua_State *L, char *xml, size_t len, const vss_error *e);
/* true for VSS_OK, else nil, message, code. */
int vss_lua_okresult(lua_State *L, int rc, const vss_error *e);
/* Raise the engine's message, prefixed with the method's name. */
int vss_lua_raise(lua_State *L, const char *method, const vss_error *e);
/* A 1-based index argument within [1, count] -> 0-based. */
size_t vss_lua_checkindex(lua_State *L, int arg, size_t count);

#endif
