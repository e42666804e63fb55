/* vss.PathMap: vss.filespec.path_map{ [windows_prefix] = linux_dir, ... }. */
#include <stdlib.h>

#include "filespec_types.h"

typedef struct {
    vss_pathmap *m;
} lpathmap;

vss_pathmap *vss_lua_topathmap(lua_State *L, int idx)
{
    lpathmap *p = luaL_testudata(L, idx, VSS_PATHMAP_T);
    return p != NULL ? p->m : NULL;
}

static vss_pathmap *check(lua_State *L)
{
    lpathmap *p = luaL_checkudata(L, 1, VSS_PATHMAP_T);
    luaL_argcheck(L, p->m != NULL, 1, "unfinished vss.PathMap");
    return p->m;
}

int vss_lua_path_map(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    lpathmap *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->m = NULL;
    luaL_setmetatable(L, VSS_PATHMAP_T); /* born empty: __gc copes */
    p->m = vss_pathmap_new();
    if (p->m == NULL)
        return luaL_error(L, "path_map: out of memory");
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
            lua_pushfstring(L, "mappings: string keys and values expected, got %s = %s",
                            luaL_typename(L, -2), luaL_typename(L, -1));
            return luaL_argerror(L, 1, lua_tostring(L, -1));
        }
        vss_error e;
        if (vss_pathmap_add(p->m, lua_tostring(L, -2), lua_tostring(L, -1), &e) != VSS_OK)
            return luaL_argerror(L, 1, e.message);
        lua_pop(L, 1);
    }
    return 1;
}

/* map:resolve(path) -> linux_path | nil, message, code */
static int pm_resolve(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_pathmap *m = check(L);
    const char *path = luaL_checkstring(L, 2);
    char *out;
    vss_error e;
    if (vss_pathmap_resolve(m, path, &out, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    lua_pushstring(L, out);
    free(out);
    return 1;
}

/* map:mappings() -> { [prefix] = target } as normalized */
static int pm_mappings(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_pathmap *m = check(L);
    size_t n = vss_pathmap_count(m);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        const char *prefix, *target;
        vss_pathmap_get(m, i, &prefix, &target);
        lua_pushstring(L, target);
        lua_setfield(L, -2, prefix);
    }
    return 1;
}

static int pm_tostring(lua_State *L)
{
    vss_pathmap *m = check(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, VSS_PATHMAP_T " {");
    size_t n = vss_pathmap_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *prefix, *target;
        vss_pathmap_get(m, i, &prefix, &target);
        lua_pushfstring(L, "%s %s -> %s", i ? "," : "", prefix[0] ? prefix : "\\", target);
        luaL_addvalue(&b);
    }
    luaL_addstring(&b, " }");
    luaL_pushresult(&b);
    return 1;
}

static int pm_gc(lua_State *L)
{
    lpathmap *p = luaL_checkudata(L, 1, VSS_PATHMAP_T);
    vss_pathmap_free(p->m);
    p->m = NULL;
    return 0;
}

void vss_lua_register_pathmap(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", pm_gc}, {"__tostring", pm_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"resolve", pm_resolve}, {"mappings", pm_mappings}, {NULL, NULL}};
    vss_lua_newclass(L, VSS_PATHMAP_T, meta, methods);
}
