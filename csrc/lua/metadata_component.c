/* vss.Component: one component of a writer metadata document
 * (csrc/documents/metadata.h) seen from Lua, read-only. It keeps its
 * vss.WriterMetadata alive through its uservalue. */
#include "docs.h"

typedef struct lcomp {
    const vss_wm_component *c;
} lcomp;

static const vss_wm_component *check_comp(lua_State *L, int idx)
{
    return ((lcomp *)luaL_checkudata(L, idx, VSS_LUA_COMPONENT_T))->c;
}

void vss_lua_pushcomponent(lua_State *L, int wmidx, const vss_wm_component *c)
{
    wmidx = lua_absindex(L, wmidx);
    lcomp *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->c = c;
    luaL_setmetatable(L, VSS_LUA_COMPONENT_T);
    lua_pushvalue(L, wmidx);
    lua_setiuservalue(L, -2, 1);
}

static int comp_tostring(lua_State *L)
{
    const vss_wm_component *c = check_comp(L, 1);
    size_t files = c->files.count + c->database_files.count + c->log_files.count;
    lua_pushfstring(L, "vss.Component(%s %s%s%s, %d file sets)",
                    vss_enum_name(&vss_enum_component_type, c->type),
                    c->logical_path ? c->logical_path : "", c->logical_path ? "\\" : "", c->name,
                    (int)files);
    return 1;
}

/* GetComponentInfo: the VSS_COMPONENTINFO fields as a table. */
#define C_FIELD(name, kind, member, en) VSS_LUA_FIELD(vss_wm_component, name, kind, member, en)
static const vss_lua_field component_info_fields[] = {
    C_FIELD("type", VSS_LUA_ENUM, type, &vss_enum_component_type),
    C_FIELD("logical_path", VSS_LUA_STR, logical_path, NULL),
    C_FIELD("component_name", VSS_LUA_STR, name, NULL),
    C_FIELD("caption", VSS_LUA_STR, caption, NULL),
    C_FIELD("restore_metadata", VSS_LUA_BOOL, restore_metadata, NULL),
    C_FIELD("notify_on_backup_complete", VSS_LUA_BOOL, notify_on_backup_complete, NULL),
    C_FIELD("selectable", VSS_LUA_BOOL, selectable, NULL),
    C_FIELD("selectable_for_restore", VSS_LUA_BOOL, selectable_for_restore, NULL),
    C_FIELD("component_flags", VSS_LUA_MASK, component_flags, &vss_enum_component_flags),
    C_FIELD("file_count", VSS_LUA_SIZE, files.count, NULL),
    C_FIELD("databases", VSS_LUA_SIZE, database_files.count, NULL),
    C_FIELD("log_files", VSS_LUA_SIZE, log_files.count, NULL),
    C_FIELD("dependencies", VSS_LUA_SIZE, dependency_count, NULL),
};

static int comp_get_component_info(lua_State *L)
{
    const vss_wm_component *c = check_comp(L, 1);
    vss_lua_checknargs(L, 1);
    VSS_LUA_PUSHFIELDS(L, c, component_info_fields);
    return 1;
}

static int comp_get_file(lua_State *L)
{
    return vss_lua_pushfileat(L, &check_comp(L, 1)->files);
}
static int comp_get_database_file(lua_State *L)
{
    return vss_lua_pushfileat(L, &check_comp(L, 1)->database_files);
}
static int comp_get_database_log_file(lua_State *L)
{
    return vss_lua_pushfileat(L, &check_comp(L, 1)->log_files);
}

#define D_FIELD(name, member) VSS_LUA_FIELD(vss_wm_dependency, name, VSS_LUA_STR, member, NULL)
static const vss_lua_field dependency_fields[] = {
    D_FIELD("writer_id", writer_id),
    D_FIELD("logical_path", logical_path),
    D_FIELD("component_name", component_name),
};

static int comp_get_dependency(lua_State *L)
{
    const vss_wm_component *c = check_comp(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->dependency_count);
    vss_lua_checknargs(L, 2);
    VSS_LUA_PUSHFIELDS(L, &c->dependencies[i], dependency_fields);
    return 1;
}

static int comp_writer_metadata(lua_State *L)
{
    check_comp(L, 1);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

void vss_lua_newclass_component(lua_State *L)
{
    static const luaL_Reg comp_meta[] = {{"__tostring", comp_tostring}, {NULL, NULL}};
    static const luaL_Reg comp_methods[] = {
        {"get_component_info", comp_get_component_info},
        {"get_file", comp_get_file},
        {"get_database_file", comp_get_database_file},
        {"get_database_log_file", comp_get_database_log_file},
        {"get_dependency", comp_get_dependency},
        {"writer_metadata", comp_writer_metadata},
        {NULL, NULL}};
    vss_lua_newclass(L, VSS_LUA_COMPONENT_T, comp_meta, comp_methods);
}
