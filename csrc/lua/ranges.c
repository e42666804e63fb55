/* Placeholder until the ranges binding lands. */
#include "binding.h"

int vss_lua_open_ranges(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
