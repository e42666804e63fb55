/* What the bindings of the two documents share: enumerations as strings,
 * masks as lists of names, file descriptors as tables, table-driven field
 * getters, results, and the hooks between the files of one document's
 * binding (enums.c and docs.c implement the helpers). */
#ifndef VSS_LUA_DOCS_H
#define VSS_LUA_DOCS_H

#include <stddef.h>
#include <stdint.h>

#include "documents/components.h"
#include "documents/enums.h"
#include "files/filespec.h"
#include "binding.h"

#define VSS_LUA_WM_T "vss.WriterMetadata"
#define VSS_LUA_COMPONENT_T "vss.Component"
#define VSS_LUA_BC_T "vss.BackupComponents"
#define VSS_LUA_CSTATE_T "vss.ComponentState"

/* The engine object of a vss.WriterMetadata argument (raises otherwise). */
struct vss_writer_metadata *vss_lua_checkwm(lua_State *L, int idx);
/* Register vss.Component (metadata_component.c). */
void vss_lua_newclass_component(lua_State *L);
/* A vss.Component for c of the WriterMetadata at wmidx. */
void vss_lua_pushcomponent(lua_State *L, int wmidx, const vss_wm_component *c);
/* Push a vss.WriterMetadata that owns *wm from now on (*wm set NULL). */
void vss_lua_adoptwm(lua_State *L, vss_writer_metadata **wm);
/* Push a vss.BackupComponents that owns *bc from now on, keeping alive
 * the n documents of wms, which are attached to it (each pointer is set
 * NULL as Lua takes it, so a raise midway leaves no object with two
 * owners). */
void vss_lua_adoptbc(lua_State *L, vss_backup_components **bc, vss_writer_metadata **wms,
                     size_t n);
/* The engine object of a vss.BackupComponents (raises otherwise). */
vss_backup_components *vss_lua_checkbc(lua_State *L, int idx);
/* Register vss.ComponentState (component_state.c). */
void vss_lua_newclass_cstate(lua_State *L);
/* A vss.ComponentState for c of bc, the BackupComponents at bcidx. */
void vss_lua_pushcstate(lua_State *L, int bcidx, vss_backup_components *bc, vss_bc_component *c);

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
/* method(i): the i-th (argument 2) file set of f as a vss.FileDesc. */
int vss_lua_pushfileat(lua_State *L, const vss_wm_files *f);
/* One field of an engine struct as a Lua value, for table-driven
 * getters: VSS_LUA_STR char * (NULL -> nil), VSS_LUA_BOOL bool,
 * VSS_LUA_ENUM int (its name in en), VSS_LUA_MASK uint32_t (a list of en's
 * names), VSS_LUA_U32 uint32_t, VSS_LUA_SIZE size_t (counts). */
typedef enum {
    VSS_LUA_STR, VSS_LUA_BOOL, VSS_LUA_ENUM, VSS_LUA_MASK, VSS_LUA_U32, VSS_LUA_SIZE
} vss_lua_fkind;
typedef struct vss_lua_field {
    const char *name;
    vss_lua_fkind kind;
    size_t offset;
    const vss_enum *en;
} vss_lua_field;
#define VSS_LUA_FIELD(T, name, kind, member, en) {name, kind, offsetof(T, member), en}
/* Push the field f of obj. */
void vss_lua_pushfield(lua_State *L, const void *obj, const vss_lua_field *f);
/* Push a table {name = value} of the n fields of obj. */
void vss_lua_pushfields(lua_State *L, const void *obj, const vss_lua_field *f, size_t n);
#define VSS_LUA_PUSHFIELDS(L, obj, fields)                                                  \
    vss_lua_pushfields(L, obj, fields, sizeof(fields) / sizeof((fields)[0]))
/* Field name of the options table at t (absent: def); raises naming
 * argument t and the field (vss_lua_fieldbool in binding.h for booleans). */
int vss_lua_fieldenum(lua_State *L, int t, const char *name, const vss_enum *en, int def);
/* A string or nil (absent -> NULL); raises when something else. */
const char *vss_lua_optstr(lua_State *L, int arg);
/* A boolean argument, nil counting as def. */
int vss_lua_optbool(lua_State *L, int arg, int def);
/* Push s, or nil when NULL. */
void vss_lua_pushstr(lua_State *L, const char *s);
/* A document's XML text (malloc'd, freed here) or, when NULL, nil,
 * message, code. */
int vss_lua_xmlresult(lua_State *L, char *xml, size_t len, const vss_error *e);
/* Raise the engine's message, prefixed with the method's name. */
int vss_lua_raise(lua_State *L, const char *method, const vss_error *e);
/* A 1-based index argument within [1, count] -> 0-based. */
size_t vss_lua_checkindex(lua_State *L, int arg, size_t count);

#endif
