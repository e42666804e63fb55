/* vss.components and the vss.BackupComponents userdata: the backup
 * components document (csrc/documents/components.h) seen from Lua. A
 * BackupComponents keeps the WriterMetadata attached to it alive (a table
 * in its uservalue). Its components are vss.ComponentState
 * (component_state.c). */
#include <stdlib.h>
#include <string.h>

#include "docs.h"

typedef struct lbc {
    vss_backup_components *bc;
} lbc;

vss_backup_components *vss_lua_checkbc(lua_State *L, int idx)
{
    return ((lbc *)luaL_checkudata(L, idx, VSS_LUA_BC_T))->bc;
}

#define check_bc vss_lua_checkbc

static lbc *push_bc(lua_State *L)
{
    lbc *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->bc = NULL;
    luaL_setmetatable(L, VSS_LUA_BC_T);
    lua_newtable(L); /* the attached WriterMetadata */
    lua_setiuservalue(L, -2, 1);
    return u;
}

void vss_lua_adoptbc(lua_State *L, vss_backup_components **bc, vss_writer_metadata **wms,
                     size_t n)
{
    lbc *u = push_bc(L);
    u->bc = *bc;
    *bc = NULL;
    lua_getiuservalue(L, -1, 1);
    for (size_t i = 0; i < n; i++) {
        vss_lua_adoptwm(L, &wms[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pop(L, 1);
}

static int bc_gc(lua_State *L)
{
    lbc *u = luaL_checkudata(L, 1, VSS_LUA_BC_T);
    vss_bc_free(u->bc);
    u->bc = NULL;
    return 0;
}

static int bc_tostring(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    size_t n = 0;
    for (size_t i = 0; i < vss_bc_writer_count(bc); i++)
        n += vss_bc_writer_at(bc, i)->component_count;
    lua_pushfstring(L, "vss.BackupComponents(%s, %d writers, %d components)",
                    vss_enum_name(&vss_enum_backup_type, vss_bc_get_state(bc)->backup_type),
                    (int)vss_bc_writer_count(bc), (int)n);
    return 1;
}

/* ---- module functions ---- */

static int m_parse(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    vss_lua_checknargs(L, 1);
    lbc *u = push_bc(L);
    vss_error e;
    if (vss_bc_parse(s, len, &u->bc, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

static int m_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    vss_lua_checknargs(L, 1);
    lbc *u = push_bc(L);
    vss_error e;
    if (vss_bc_load(path, &u->bc, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

/* new{backup_type=, select_components=, bootable_system_state=,
 *     partial_file_support=, restore_type=, snapshot_set_id=} */
static int m_new(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    vss_lua_checknargs(L, 1);
    static const char *const known[] = {"backup_type", "select_components",
                                        "bootable_system_state", "partial_file_support",
                                        "restore_type", "snapshot_set_id", NULL};
    vss_lua_checkoptions(L, 1, known); /* a misspelt option is never ignored */
    vss_bc_state st = {
        .backup_type = vss_lua_fieldenum(L, 1, "backup_type", &vss_enum_backup_type, VSS_BT_FULL),
        .select_components = vss_lua_fieldbool(L, 1, "select_components", false),
        .bootable_system_state = vss_lua_fieldbool(L, 1, "bootable_system_state", false),
        .partial_file_support = vss_lua_fieldbool(L, 1, "partial_file_support", false),
        .restore_type = vss_lua_fieldenum(L, 1, "restore_type", &vss_enum_restore_type, VSS_RTYPE_UNDEFINED),
    };
    lua_getfield(L, 1, "snapshot_set_id");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, 1, "snapshot_set_id: string expected");
    st.snapshot_set_id = (char *)lua_tostring(L, -1);
    lbc *u = push_bc(L);
    vss_error e;
    if (vss_bc_new(&st, &u->bc, &e) != VSS_OK)
        return luaL_argerror(L, 1, e.message);
    return 1;
}

/* ---- BackupComponents ---- */

#define ST_FIELD(name, kind, member, en) VSS_LUA_FIELD(vss_bc_state, name, kind, member, en)
static const vss_lua_field backup_state_fields[] = {
    ST_FIELD("backup_type", VSS_LUA_ENUM, backup_type, &vss_enum_backup_type),
    ST_FIELD("select_components", VSS_LUA_BOOL, select_components, NULL),
    ST_FIELD("bootable_system_state", VSS_LUA_BOOL, bootable_system_state, NULL),
    ST_FIELD("partial_file_support", VSS_LUA_BOOL, partial_file_support, NULL),
    ST_FIELD("restore_type", VSS_LUA_ENUM, restore_type, &vss_enum_restore_type),
    ST_FIELD("snapshot_set_id", VSS_LUA_STR, snapshot_set_id, NULL),
};

static int bc_get_backup_state(lua_State *L)
{
    const vss_bc_state *st = vss_bc_get_state(check_bc(L, 1));
    vss_lua_checknargs(L, 1);
    VSS_LUA_PUSHFIELDS(L, st, backup_state_fields);
    return 1;
}

static int bc_document_version(lua_State *L)
{
    lua_pushstring(L, vss_bc_version(check_bc(L, 1)));
    return 1;
}

/* set_backup_state(select_components, bootable_system_state, backup_type
 * [, partial_file_support]) */
static int bc_set_backup_state(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    luaL_checktype(L, 3, LUA_TBOOLEAN);
    int type = vss_lua_checkenum(L, 4, &vss_enum_backup_type);
    int partial = vss_lua_optbool(L, 5, 0);
    vss_lua_checknargs(L, 5);
    vss_error e;
    if (vss_bc_set_backup_state(bc, lua_toboolean(L, 2), lua_toboolean(L, 3), type, partial, &e))
        return vss_lua_raise(L, "set_backup_state", &e);
    return 0;
}

static int bc_set_restore_state(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    int type = vss_lua_checkenum(L, 2, &vss_enum_restore_type);
    vss_lua_checknargs(L, 2);
    vss_error e;
    if (vss_bc_set_restore_state(bc, type, &e) != VSS_OK)
        return vss_lua_raise(L, "set_restore_state", &e);
    return 0;
}

static int bc_set_snapshot_set_id(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    const char *id = luaL_checkstring(L, 2);
    vss_lua_checknargs(L, 2);
    vss_error e;
    if (vss_bc_set_snapshot_set_id(bc, id, &e) != VSS_OK)
        return luaL_argerror(L, 2, e.message);
    return 0;
}

/* Attach wm (at idx) for the rules, and keep it alive with the BCD. */
static void attach(lua_State *L, vss_backup_components *bc, int idx)
{
    vss_writer_metadata *wm = vss_lua_checkwm(L, idx);
    vss_error e;
    if (vss_bc_add_writer_metadata(bc, wm, &e) != VSS_OK)
        vss_lua_raise(L, "add_writer_metadata", &e);
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, idx);
    lua_seti(L, -2, luaL_len(L, -2) + 1);
    lua_pop(L, 1);
}

static int bc_add_writer_metadata(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    vss_lua_checknargs(L, 2);
    attach(L, bc, 2);
    return 0;
}

/* add_component(writer, type, logical_path, name) -> ComponentState;
 * writer is a WriterMetadata (attached on the way) or {writer_id=,
 * instance_id=}. */
static int bc_add_component(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    int type = vss_lua_checkenum(L, 3, &vss_enum_component_type);
    const char *lp = vss_lua_optstr(L, 4);
    const char *name = luaL_checkstring(L, 5);
    vss_lua_checknargs(L, 5);
    const char *writer_id, *instance_id;
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_getfield(L, 2, "writer_id");
        lua_getfield(L, 2, "instance_id");
        writer_id = lua_tostring(L, -2);
        instance_id = lua_tostring(L, -1);
        if (writer_id == NULL || instance_id == NULL)
            luaL_argerror(L, 2, "writer_id and instance_id strings expected");
    } else {
        luaL_argexpected(L, luaL_testudata(L, 2, VSS_LUA_WM_T) != NULL, 2,
                         "vss.WriterMetadata or {writer_id=, instance_id=}");
        attach(L, bc, 2);
        const vss_wm_identity *id = vss_wm_get_identity(vss_lua_checkwm(L, 2));
        writer_id = id->writer_id;
        instance_id = id->instance_id;
    }
    vss_bc_component *c;
    vss_error e;
    if (vss_bc_add_component(bc, writer_id, instance_id, type, lp, name, &c, &e) != VSS_OK)
        return vss_lua_raise(L, "add_component", &e);
    vss_lua_pushcstate(L, 1, bc, c);
    return 1;
}

/* get_component(writer_id or instance_id, logical_path, name) */
static int bc_get_component(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    const char *w = luaL_checkstring(L, 2);
    const char *lp = vss_lua_optstr(L, 3);
    const char *name = luaL_checkstring(L, 4);
    vss_lua_checknargs(L, 4);
    vss_bc_component *c = vss_bc_find_component(bc, w, lp, name);
    if (c == NULL)
        lua_pushnil(L);
    else
        vss_lua_pushcstate(L, 1, bc, c);
    return 1;
}

static int bc_get_writer_components_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)vss_bc_writer_count(check_bc(L, 1)));
    return 1;
}

#define W_FIELD(name, kind, member, en) VSS_LUA_FIELD(vss_bc_writer, name, kind, member, en)
static const vss_lua_field writer_fields[] = {
    W_FIELD("writer_id", VSS_LUA_STR, writer_id, NULL),
    W_FIELD("instance_id", VSS_LUA_STR, instance_id, NULL),
    W_FIELD("instance_name", VSS_LUA_STR, instance_name, NULL),
    W_FIELD("backup_schema", VSS_LUA_MASK, backup_schema, &vss_enum_backup_schema),
};

/* get_writer_components(i) -> {writer_id=, instance_id=, instance_name=,
 * backup_schema=, components={ComponentState...}} */
static int bc_get_writer_components(lua_State *L)
{
    vss_backup_components *bc = check_bc(L, 1);
    size_t i = vss_lua_checkindex(L, 2, vss_bc_writer_count(bc));
    vss_lua_checknargs(L, 2);
    const vss_bc_writer *w = vss_bc_writer_at(bc, i);
    VSS_LUA_PUSHFIELDS(L, w, writer_fields);
    lua_createtable(L, (int)w->component_count, 0);
    for (size_t j = 0; j < w->component_count; j++) {
        vss_lua_pushcstate(L, 1, bc, w->components[j]);
        lua_seti(L, -2, (lua_Integer)j + 1);
    }
    lua_setfield(L, -2, "components");
    return 1;
}

/* find_writer(writer_id, instance_id) -> i | nil: the index of that
 * writer's entry for get_writer_components (vss_bc_find_writer). */
static int bc_find_writer(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    const char *writer_id = luaL_checkstring(L, 2);
    const char *instance_id = luaL_checkstring(L, 3);
    vss_lua_checknargs(L, 3);
    const vss_bc_writer *w = vss_bc_find_writer(bc, writer_id, instance_id);
    for (size_t i = 0; w != NULL && i < vss_bc_writer_count(bc); i++)
        if (vss_bc_writer_at(bc, i) == w) {
            lua_pushinteger(L, (lua_Integer)i + 1);
            return 1;
        }
    lua_pushnil(L);
    return 1;
}

/* validate() -> true, or nil, message, "EINVAL" */
static int bc_validate(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    vss_lua_checknargs(L, 1);
    vss_error e;
    return vss_lua_okresult(L, vss_bc_validate(bc, &e), &e);
}

static int bc_xml(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    vss_lua_checknargs(L, 1);
    vss_error e;
    size_t len = 0;
    char *s = vss_bc_xml(bc, &len, &e);
    return vss_lua_xmlresult(L, s, len, &e);
}

static int bc_save(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    const char *path = luaL_checkstring(L, 2);
    vss_lua_checknargs(L, 2);
    vss_error e;
    return vss_lua_okresult(L, vss_bc_save(bc, path, &e), &e);
}

int vss_lua_open_components(lua_State *L)
{
    static const luaL_Reg bc_meta[] = {{"__gc", bc_gc}, {"__tostring", bc_tostring}, {NULL, NULL}};
    static const luaL_Reg bc_methods[] = {
        {"get_backup_state", bc_get_backup_state},
        {"document_version", bc_document_version},
        {"set_backup_state", bc_set_backup_state},
        {"set_restore_state", bc_set_restore_state},
        {"set_snapshot_set_id", bc_set_snapshot_set_id},
        {"add_writer_metadata", bc_add_writer_metadata},
        {"add_component", bc_add_component},
        {"get_component", bc_get_component},
        {"get_writer_components_count", bc_get_writer_components_count},
        {"get_writer_components", bc_get_writer_components},
        {"find_writer", bc_find_writer},
        {"validate", bc_validate},
        {"xml", bc_xml},
        {"save", bc_save},
        {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"parse", m_parse}, {"load", m_load}, {"new", m_new}, {NULL, NULL}};
    vss_lua_newclass(L, VSS_LUA_BC_T, bc_meta, bc_methods);
    vss_lua_newclass_cstate(L);
    luaL_newlib(L, funcs);
    vss_lua_export_methods(L, VSS_LUA_BC_T);
    vss_lua_export_methods(L, VSS_LUA_CSTATE_T);
    return 1;
}
