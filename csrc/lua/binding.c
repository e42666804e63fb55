#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
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

/* Push the method table of the metatable at mt: its __index, or the first
 * upvalue of an __index function; nil when it has none yet. */
static void push_methods(lua_State *L, int mt)
{
    if (lua_getfield(L, mt, "__index") == LUA_TFUNCTION) {
        if (lua_getupvalue(L, -1, 1) == NULL)
            lua_pushnil(L);
        lua_remove(L, -2);
    }
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_pushnil(L);
    }
}

void vss_lua_newclass_index(lua_State *L, const char *tname, const luaL_Reg *metamethods,
                            const luaL_Reg *methods, lua_CFunction index)
{
    luaL_newmetatable(L, tname);
    int mt = lua_gettop(L);
    luaL_setfuncs(L, metamethods, 0);
    /* Opened again in one state (require after package.loaded was
     * cleared), a class keeps its method table, and what lua/vss/ added. */
    push_methods(L, mt);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    luaL_setfuncs(L, methods, 0);
    if (index != NULL)
        lua_pushcclosure(L, index, 1);
    lua_setfield(L, mt, "__index");
    lua_pop(L, 1);
}

void vss_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *metamethods,
                      const luaL_Reg *methods)
{
    vss_lua_newclass_index(L, tname, metamethods, methods, NULL);
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
    push_methods(L, lua_gettop(L));
    if (lua_isnil(L, -1))
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

/* ---- option tables ---- */

/* The key at the top (left there) is a string in known, or an integer
 * when list is true. */
static bool known_key(lua_State *L, const char *const *known, bool list)
{
    if (lua_type(L, -1) == LUA_TNUMBER)
        return list && lua_isinteger(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING)
        return false;
    const char *k = lua_tostring(L, -1);
    for (size_t i = 0; known[i] != NULL; i++)
        if (strcmp(known[i], k) == 0)
            return true;
    return false;
}

static void check_keys(lua_State *L, int t, int arg, const char *where, const char *noun,
                       const char *const *known, bool list)
{
    t = lua_absindex(L, t);
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        lua_pop(L, 1);
        if (!known_key(L, known, list)) {
            const char *k = luaL_tolstring(L, -1, NULL);
            luaL_argerror(L, arg, lua_pushfstring(L, "%s%sunknown %s '%s'", where ? where : "",
                                                  where ? ": " : "", noun, k));
        }
    }
}

int vss_lua_checkoptions(lua_State *L, int arg, const char *const *known)
{
    if (lua_isnoneornil(L, arg))
        return 0;
    luaL_checktype(L, arg, LUA_TTABLE);
    check_keys(L, arg, arg, NULL, "option", known, false);
    return 1;
}

void vss_lua_checkfields(lua_State *L, int t, int arg, const char *where,
                         const char *const *known, bool list)
{
    check_keys(L, t, arg, where, "field", known, list);
}

bool vss_lua_fieldbool(lua_State *L, int t, const char *name, bool def)
{
    if (lua_isnoneornil(L, t))
        return def;
    int ty = lua_getfield(L, t, name);
    if (ty != LUA_TNIL && ty != LUA_TBOOLEAN)
        luaL_argerror(L, t, lua_pushfstring(L, "%s: boolean expected, got %s", name,
                                            luaL_typename(L, -1)));
    bool v = ty == LUA_TNIL ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* ---- C strings ---- */

const char *vss_lua_checkcstring(lua_State *L, int arg, const char *what, vss_error *e)
{
    size_t len;
    const char *s = luaL_checklstring(L, arg, &len);
    if (strlen(s) == len)
        return s;
    if (e == NULL)
        luaL_argerror(L, arg, lua_pushfstring(L, "%s: contains a NUL byte", what));
    vss_error_set(e, EINVAL, "%s '%s...': contains a NUL byte", what, s);
    return NULL;
}

/* ---- vss.Ranges ---- */

vss_lua_ranges *vss_lua_newranges(lua_State *L)
{
    vss_lua_ranges *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->r = NULL;
    luaL_setmetatable(L, VSS_LUA_RANGES_T);
    return u;
}

vss_ranges *vss_lua_checkranges(lua_State *L, int idx)
{
    vss_lua_ranges *u = luaL_checkudata(L, idx, VSS_LUA_RANGES_T);
    if (u->r == NULL)
        luaL_argerror(L, idx, "released " VSS_LUA_RANGES_T);
    return u->r;
}

const vss_ranges *vss_lua_rangesarg(lua_State *L, int idx, int arg, const char *what)
{
    idx = lua_absindex(L, idx);
    vss_lua_ranges *u = luaL_testudata(L, idx, VSS_LUA_RANGES_T);
    if (u != NULL && u->r != NULL)
        return u->r;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_argerror(L, arg, lua_pushfstring(L, "%s: " VSS_LUA_RANGES_T " or inline string expected", what));
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    u = vss_lua_newranges(L);
    vss_error e;
    if (vss_ranges_parse(s, len, 0, &u->r, &e) != VSS_OK)
        luaL_argerror(L, arg, lua_pushfstring(L, "%s: %s", what, e.message));
    return u->r;
}

/* ---- unsigned 64-bit values ---- */

void vss_lua_pushu64(lua_State *L, uint64_t v, const char *what, ...)
{
    if (VSS_LUA_U64_FITS(v)) {
        lua_pushinteger(L, (lua_Integer)v);
        return;
    }
    va_list ap;
    va_start(ap, what);
    lua_pushvfstring(L, what, ap);
    va_end(ap);
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, v);
    luaL_error(L, "%s %s exceeds Lua integer range (2^63-1)", lua_tostring(L, -1), num);
}
