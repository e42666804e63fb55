/* See progress.h. */
#include "progress.h"

#include <stdio.h>

static int call_progress(void *ud, const vss_progress *p)
{
    vss_lua_progress *lp = ud;
    lua_State *L = lp->L;
    lua_pushvalue(L, lp->fn);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)p->files_done);
    lua_setfield(L, -2, "files");
    lua_pushinteger(L, (lua_Integer)p->bytes_done);
    lua_setfield(L, -2, "bytes");
    lua_pushinteger(L, (lua_Integer)p->files_total);
    lua_setfield(L, -2, "files_total");
    lua_pushinteger(L, (lua_Integer)p->bytes_total);
    lua_setfield(L, -2, "bytes_total");
    if (p->name != NULL) {
        lua_pushstring(L, p->name);
        lua_setfield(L, -2, "name");
    }
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        snprintf(lp->err, sizeof lp->err, "progress: %s", msg ? msg : "error");
        lua_pop(L, 1);
        return 1;
    }
    int stop = lua_toboolean(L, -1) == 0 && !lua_isnil(L, -1); /* false stops */
    lua_pop(L, 1);
    return stop;
}

vss_progress_fn vss_lua_progress_field(lua_State *L, int t, vss_lua_progress *lp)
{
    lp->L = L;
    lp->fn = 0;
    lp->err[0] = '\0';
    if (lua_getfield(L, t, "progress") == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    luaL_argexpected(L, lua_isfunction(L, -1), t, "progress: function");
    lp->fn = lua_gettop(L);
    return call_progress;
}
