/* luaopen_vss_core: the C module behind `require "vss"`. It only collects
 * the submodules; each one lives in its own file under csrc/lua/. */
#include <time.h>

#include "base/version.h"
#include "binding.h"

static const struct {
    const char *name;
    lua_CFunction open;
} submodules[] = {
    {"ranges", vss_lua_open_ranges},
    {"filespec", vss_lua_open_filespec},
    {"enums", vss_lua_open_enums},
    {"metadata", vss_lua_open_metadata},
    {"components", vss_lua_open_components},
    {"store", vss_lua_open_store},
    {"snapshot", vss_lua_open_snapshot},
    {"writer", vss_lua_open_writer},
    {"restore", vss_lua_open_restore},
    {"dest", vss_lua_open_dest},
    {"backup", vss_lua_open_backup},
    {"tree", vss_lua_open_tree},
    {"vdisk", vss_lua_open_vdisk},
};

/* vss.core.clock(): seconds from a monotonic clock, for progress and benchmarks. */
static int core_clock(lua_State *L)
{
    vss_lua_checknargs(L, 0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

int luaopen_vss_core(lua_State *L)
{
    luaL_checkversion(L);
    lua_newtable(L);
    lua_pushliteral(L, VSS_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushcfunction(L, core_clock);
    lua_setfield(L, -2, "clock");
    for (size_t i = 0; i < sizeof submodules / sizeof submodules[0]; i++) {
        lua_pushcfunction(L, submodules[i].open);
        lua_call(L, 0, 1);
        lua_setfield(L, -2, submodules[i].name);
    }
    return 1;
}
