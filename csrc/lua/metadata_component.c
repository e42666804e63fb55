/* vss.Component: one component of a writer metadata document
 * (csrc/metadata.h) seen from Lua, read-only. It keeps its
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

static void setfield_bool(lua_State *L, const char *k, bool v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

static void setfield_int(lua_State *L, const char *k, size_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

/* GetComponentInfo: the VSS_COMPONENTINFO fields as a table. */
static int comp_get_component_info(lua_State *L)
{
    const vss_wm_component *c = check_comp(L, 1);
    vss_lua_checknargs(L, 1);
    lua_createtable(L, 0, 13);
    vss_lua_pushenum(L, &vss_enum_component_type, c->type);
    lua_setfield(L, -2, "type");
    vss_lua_pushstr(L, c->logical_path);
    lua_setfield(L, -2, "logical_path");
    vss_lua_pushstr(L, c->name);
    lua_setfield(L, -2, "component_name");
    vss_lua_pushstr(L, c->caption);
    lua_setfield(L, -2, "caption");
    setfield_bool(L, "restore_metadata", c->restore_metadata);
    setfield_bool(L, "notify_on_backup_complete", c->notify_on_backup_complete);
    setfield_bool(L, "selectable", c->selectable);
    setfield_bool(L, "selectable_for_restore", c->selectable_for_restore);
    vss_lua_pushmask(L, &vss_enum_component_flags, c->component_flags);
    lua_setfield(L, -2, "component_flags");
    setfield_int(L, "file_count", c->files.count);
    setfield_int(L, "databases", c->database_files.count);
    setfield_int(L, "log_files", c->log_files.count);
    setfield_int(L, "dependencies", c->dependency_count);
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

static int comp_get_dependency(lua_State *L)
{
    const vss_wm_component *c = check_comp(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->dependency_count);
    vss_lua_checknargs(L, 2);
    const vss_wm_dependency *d = &c->dependencies[i];
    lua_createtable(L, 0, 3);
    vss_lua_pushstr(L, d->writer_id);
    lua_setfield(L, -2, "writer_id");
    vss_lua_pushstr(L, d->logical_path);
    lua_setfield(L, -2, "logical_path");
    vss_lua_pushstr(L, d->component_name);
    lua_setfield(L, -2, "component_name");
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
