/* vss.enums: every VSS enumeration as a table name -> value, and the
 * conversions the document bindings use. */
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "filespec_types.h"

static int enum_argerror(lua_State *L, int arg, const vss_enum *en, const char *got)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "%s: '%s' is not one of ", en->name, got);
    luaL_addvalue(&b);
    for (size_t i = 0; i < en->count; i++) {
        if (i > 0)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, en->entries[i].name);
    }
    luaL_pushresult(&b);
    return luaL_argerror(L, arg, lua_tostring(L, -1));
}

int vss_lua_checkenum(lua_State *L, int arg, const vss_enum *en)
{
    const char *s = luaL_checkstring(L, arg);
    int64_t v;
    if (!vss_enum_value(en, s, &v))
        enum_argerror(L, arg, en, s);
    return (int)v;
}

int vss_lua_optenum(lua_State *L, int arg, const vss_enum *en, int def)
{
    return lua_isnoneornil(L, arg) ? def : vss_lua_checkenum(L, arg, en);
}

uint32_t vss_lua_checkmask(lua_State *L, int arg, const vss_enum *en)
{
    if (lua_isinteger(L, arg)) {
        lua_Integer n = lua_tointeger(L, arg);
        if (n < 0 || n > (lua_Integer)UINT32_MAX || !vss_enum_mask_valid(en, (uint64_t)n))
            luaL_argerror(L, arg, lua_pushfstring(L, "%s: %I has unknown bits", en->name, n));
        return (uint32_t)n;
    }
    luaL_argexpected(L, lua_type(L, arg) == LUA_TTABLE, arg, "list of names or integer");
    uint32_t mask = 0;
    lua_Integer n = luaL_len(L, arg);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, arg, i);
        const char *s = lua_tostring(L, -1);
        int64_t v;
        if (lua_type(L, -1) != LUA_TSTRING || !vss_enum_value(en, s, &v))
            luaL_argerror(L, arg, lua_pushfstring(L, "%s: entry %I is not a name of it", en->name, i));
        mask |= (uint32_t)v;
        lua_pop(L, 1);
    }
    return mask;
}

uint32_t vss_lua_optmask(lua_State *L, int arg, const vss_enum *en, uint32_t def)
{
    return lua_isnoneornil(L, arg) ? def : vss_lua_checkmask(L, arg, en);
}

int vss_lua_fieldenum(lua_State *L, int t, const char *name, const vss_enum *en, int def)
{
    lua_getfield(L, t, name);
    int64_t v = def;
    if (!lua_isnil(L, -1) &&
        (lua_type(L, -1) != LUA_TSTRING || !vss_enum_value(en, lua_tostring(L, -1), &v)))
        luaL_argerror(L, t, lua_pushfstring(L, "%s: a %s name expected", name, en->name));
    lua_pop(L, 1);
    return (int)v;
}

bool vss_lua_fieldbool(lua_State *L, int t, const char *name)
{
    if (lua_isnoneornil(L, t))
        return false;
    lua_getfield(L, t, name);
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        luaL_argerror(L, t, lua_pushfstring(L, "%s: boolean expected", name));
    bool v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

void vss_lua_pushenum(lua_State *L, const vss_enum *en, int64_t value)
{
    const char *s = vss_enum_name(en, value);
    if (s)
        lua_pushstring(L, s);
    else
        lua_pushinteger(L, (lua_Integer)value);
}

void vss_lua_pushmask(lua_State *L, const vss_enum *en, uint64_t mask)
{
    lua_newtable(L);
    lua_Integer n = 0;
    for (int bit = 0; bit < 64; bit++) {
        uint64_t b = UINT64_C(1) << bit;
        const char *s = (mask & b) ? vss_enum_name(en, (int64_t)b) : NULL;
        if (s == NULL)
            continue;
        lua_pushstring(L, s);
        lua_seti(L, -2, ++n);
        mask &= ~b;
    }
    if (mask != 0) {
        lua_pushinteger(L, (lua_Integer)mask);
        lua_seti(L, -2, ++n);
    }
}

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
void vss_lua_pushfiledesc(lua_State *L, const vss_filedesc *d)
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

int vss_lua_okresult(lua_State *L, int rc, const vss_error *e)
{
    if (rc != VSS_OK)
        return vss_lua_fail(L, e);
    lua_pushboolean(L, 1);
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

int vss_lua_open_enums(lua_State *L)
{
    lua_newtable(L);
    for (size_t i = 0; vss_enums[i] != NULL; i++) {
        const vss_enum *en = vss_enums[i];
        lua_createtable(L, 0, (int)en->count);
        for (size_t j = 0; j < en->count; j++) {
            lua_pushinteger(L, (lua_Integer)en->entries[j].value);
            lua_setfield(L, -2, en->entries[j].name);
        }
        lua_setfield(L, -2, en->name);
    }
    return 1;
}
