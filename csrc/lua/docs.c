/* Binding helpers shared by the two documents (docs.h) that are not about
 * enumerations: optional arguments, results, indexes and file
 * descriptors. */
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "filespec_types.h"

void vss_lua_pushstr(lua_State *L, const char *s)
{
    if (s)
        lua_pushstring(L, s);
    else
        lua_pushnil(L);
}

/* A vss.FileDesc (the filespec binding's type) holding copies of d's
 * fields. Copied as they are, not re-validated: documents from Windows
 * hold paths such as "\\?\Volume{...}\Boot" that a writer could not add. */
static void pushfiledesc(lua_State *L, const vss_filedesc *d)
{
    vss_filedesc *n = vss_lua_newfiledesc(L);
    n->recursive = d->recursive;
    n->backup_type_mask = d->backup_type_mask;
    n->path = d->path ? strdup(d->path) : NULL;
    n->filespec = d->filespec ? strdup(d->filespec) : NULL;
    n->alternate_location = d->alternate_location ? strdup(d->alternate_location) : NULL;
    if ((d->path && !n->path) || (d->filespec && !n->filespec) ||
        (d->alternate_location && !n->alternate_location))
        luaL_error(L, "out of memory");
}

const char *vss_lua_optstr(lua_State *L, int arg)
{
    if (lua_isnoneornil(L, arg))
        return NULL;
    luaL_argexpected(L, lua_type(L, arg) == LUA_TSTRING, arg, "string or nil");
    return lua_tostring(L, arg);
}

int vss_lua_optbool(lua_State *L, int arg, int def)
{
    if (lua_isnoneornil(L, arg))
        return def;
    luaL_argexpected(L, lua_isboolean(L, arg), arg, "boolean");
    return lua_toboolean(L, arg);
}

int vss_lua_xmlresult(lua_State *L, char *xml, size_t len, const vss_error *e)
{
    if (xml == NULL)
        return vss_lua_fail(L, e);
    lua_pushlstring(L, xml, len);
    free(xml);
    return 1;
}

int vss_lua_raise(lua_State *L, const char *method, const vss_error *e)
{
    return luaL_error(L, "%s: %s", method, e->message);
}

size_t vss_lua_checkindex(lua_State *L, int arg, size_t count)
{
    lua_Integer i = luaL_checkinteger(L, arg);
    if (i < 1 || (lua_Unsigned)i > count)
        luaL_argerror(L, arg, lua_pushfstring(L, "index %I out of range 1..%I", i, (lua_Integer)count));
    return (size_t)(i - 1);
}

int vss_lua_pushfileat(lua_State *L, const vss_wm_files *f)
{
    size_t i = vss_lua_checkindex(L, 2, f->count);
    vss_lua_checknargs(L, 2);
    pushfiledesc(L, &f->items[i].d);
    return 1;
}

void vss_lua_pushfield(lua_State *L, const void *obj, const vss_lua_field *f)
{
    const char *at = (const char *)obj + f->offset;
    switch (f->kind) {
    case VSS_LUA_STR:
        vss_lua_pushstr(L, *(char *const *)at);
        break;
    case VSS_LUA_BOOL:
        lua_pushboolean(L, *(const bool *)at);
        break;
    case VSS_LUA_ENUM:
        vss_lua_pushenum(L, f->en, *(const int *)at);
        break;
    case VSS_LUA_MASK:
        vss_lua_pushmask(L, f->en, *(const uint32_t *)at);
        break;
    case VSS_LUA_U32:
        lua_pushinteger(L, *(const uint32_t *)at);
        break;
    case VSS_LUA_SIZE:
        lua_pushinteger(L, (lua_Integer)*(const size_t *)at);
        break;
    }
}

void vss_lua_pushfields(lua_State *L, const void *obj, const vss_lua_field *f, size_t n)
{
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        vss_lua_pushfield(L, obj, &f[i]);
        lua_setfield(L, -2, f[i].name);
    }
}
