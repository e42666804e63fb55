/* vss.enums: every VSS enumeration as a table name -> value, and the
 * conversions the document bindings use. */
#include <string.h>

#include "docs.h"

/* Pushes "<what>: '<got>' is not one of a, b, c" (every name of en). */
static const char *push_not_one_of(lua_State *L, const char *what, const vss_enum *en,
                                   const char *got)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "%s: '%s' is not one of ", what, got);
    luaL_addvalue(&b);
    for (size_t i = 0; i < en->count; i++) {
        if (i > 0)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, en->entries[i].name);
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

static int enum_argerror(lua_State *L, int arg, const vss_enum *en, const char *got)
{
    return luaL_argerror(L, arg, push_not_one_of(L, en->name, en, got));
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
        if (lua_type(L, -1) != LUA_TSTRING || !vss_enum_value(en, s, &v)) {
            const char *what = lua_pushfstring(L, "%s: entry %I", en->name, i);
            luaL_argerror(L, arg, push_not_one_of(L, what, en, s ? s : luaL_typename(L, -2)));
        }
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
        luaL_argerror(L, t, push_not_one_of(L, name, en, lua_type(L, -1) == LUA_TSTRING
                                                             ? lua_tostring(L, -1)
                                                             : luaL_typename(L, -1)));
    lua_pop(L, 1);
    return (int)v;
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
