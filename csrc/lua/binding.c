#include <string.h>

#include "binding.h"

int vss_lua_fail(lua_State *L, const vss_error *e)
{
    luaL_pushfail(L);
    lua_pushstring(L, e->message[0] != '\0' ? e->message : "unknown error");
    lua_pushstring(L, e->code != 0 ? vss_code_name(e->code) : "EIO");
    return 3;
}

int vss_lua_okresult(lua_State *L, int rc, const vss_error *e)
{
    if (rc != VSS_OK)
        return vss_lua_fail(L, e);
    lua_pushboolean(L, 1);
    return 1;
}

void vss_lua_checknargs(lua_State *L, int maxargs)
{
    int n = lua_gettop(L);
    if (n > maxargs) {
        lua_pushfstring(L, "no more than %d argument%s expected, got %d", maxargs,
                        maxargs == 1 ? "" : "s", n);
        luaL_argerror(L, maxargs + 1, lua_tostring(L, -1));
    }
}

void vss_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *metamethods,
                      const luaL_Reg *methods)
{
    luaL_newmetatable(L, tname);
    luaL_setfuncs(L, metamethods, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

void vss_lua_export_methods(lua_State *L, const char *tname)
{
    if (lua_getfield(L, -1, "methods") == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "methods");
    }
    luaL_getmetatable(L, tname);
    if (lua_getfield(L, -1, "__index") == LUA_TFUNCTION) {
        lua_getupvalue(L, -1, 1);
        lua_remove(L, -2);
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: no method table to export", tname);
    lua_setfield(L, -3, strncmp(tname, "vss.", 4) == 0 ? tname + 4 : tname);
    lua_pop(L, 2);
}

const char **vss_lua_strings_field(lua_State *L, int t, const char *name, size_t *n)
{
    *n = 0;
    if (lua_getfield(L, t, name) == LUA_TNIL)
        return NULL;
    if (!lua_istable(L, -1))
        luaL_argerror(L, t, lua_pushfstring(L, "%s: table expected, got %s", name, luaL_typename(L, -1)));
    size_t len = (size_t)luaL_len(L, -1);
    const char **v = lua_newuserdatauv(L, (len + 1) * sizeof *v, 0);
    for (size_t i = 0; i < len; i++) {
        lua_geti(L, -2, (lua_Integer)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_argerror(L, t, lua_pushfstring(L, "%s[%d]: string expected, got %s", name,
                                                (int)i + 1, luaL_typename(L, -1)));
        v[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    v[len] = NULL;
    *n = len;
    return v;
}
