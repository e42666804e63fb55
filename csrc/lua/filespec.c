/* Placeholder until the filespec binding lands. */
#include "binding.h"

int vss_lua_open_filespec(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
