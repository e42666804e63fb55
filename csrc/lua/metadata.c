/* vss.metadata and the vss.WriterMetadata userdata: the writer metadata
 * document (csrc/documents/metadata.h) seen from Lua. Its components are
 * vss.Component (metadata_component.c). */
#include <stdlib.h>
#include <string.h>

#include "documents/metadata.h"
#include "docs.h"

typedef struct lwm {
    vss_writer_metadata *wm;
} lwm;

vss_writer_metadata *vss_lua_checkwm(lua_State *L, int idx)
{
    return ((lwm *)luaL_checkudata(L, idx, VSS_LUA_WM_T))->wm;
}

#define check_wm vss_lua_checkwm

/* Userdata first, then the engine object: a raise in between leaks nothing. */
static lwm *push_wm(lua_State *L)
{
    lwm *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->wm = NULL;
    luaL_setmetatable(L, VSS_LUA_WM_T);
    return u;
}

void vss_lua_adoptwm(lua_State *L, vss_writer_metadata **wm)
{
    lwm *u = push_wm(L);
    u->wm = *wm;
    *wm = NULL;
}

static int wm_gc(lua_State *L)
{
    lwm *u = luaL_checkudata(L, 1, VSS_LUA_WM_T);
    vss_wm_free(u->wm);
    u->wm = NULL;
    return 0;
}

static int wm_tostring(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    const vss_wm_identity *id = vss_wm_get_identity(wm);
    lua_pushfstring(L, "vss.WriterMetadata(\"%s\" %s, %d components)", id->name ? id->name : "",
                    id->writer_id ? id->writer_id : "", (int)vss_wm_component_count(wm));
    return 1;
}

/* ---- module functions ---- */

static int m_parse(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    vss_lua_checknargs(L, 1);
    lwm *u = push_wm(L);
    vss_error e;
    if (vss_wm_parse(s, len, &u->wm, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

static int m_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    vss_lua_checknargs(L, 1);
    lwm *u = push_wm(L);
    vss_error e;
    if (vss_wm_load(path, &u->wm, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

static const char *field_str(lua_State *L, const char *name, bool required)
{
    int t = lua_getfield(L, 1, name);
    if (t == LUA_TNIL && !required) {
        lua_pop(L, 1);
        return NULL;
    }
    if (t != LUA_TSTRING)
        luaL_argerror(L, 1, lua_pushfstring(L, "%s: string expected, got %s", name,
                                            luaL_typename(L, -1)));
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1); /* the table still holds it */
    return s;
}

static uint32_t field_u32(lua_State *L, const char *name)
{
    lua_getfield(L, 1, name);
    lua_Integer v = 0;
    if (!lua_isnil(L, -1)) {
        int ok;
        v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 0 || v > (lua_Integer)UINT32_MAX)
            luaL_argerror(L, 1, lua_pushfstring(L, "%s: integer 0..2^32-1 expected", name));
    }
    lua_pop(L, 1);
    return (uint32_t)v;
}

static int m_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    vss_lua_checknargs(L, 1);
    static const char *const known[] = {"writer_id", "instance_id", "name", "instance_name",
                                        "usage", "source", "major_version", "minor_version",
                                        NULL};
    vss_lua_checkoptions(L, 1, known); /* a misspelt field is never ignored */
    vss_wm_identity id = {
        .writer_id = (char *)field_str(L, "writer_id", true),
        .instance_id = (char *)field_str(L, "instance_id", true),
        .name = (char *)field_str(L, "name", true),
        .instance_name = (char *)field_str(L, "instance_name", false),
        .usage = vss_lua_fieldenum(L, 1, "usage", &vss_enum_usage_type, VSS_UT_USERDATA),
        .source = vss_lua_fieldenum(L, 1, "source", &vss_enum_source_type, VSS_ST_OTHER),
        .major_version = field_u32(L, "major_version"),
        .minor_version = field_u32(L, "minor_version"),
    };
    lwm *u = push_wm(L);
    vss_error e;
    if (vss_wm_new(&id, &u->wm, &e) != VSS_OK)
        return luaL_argerror(L, 1, e.message);
    return 1;
}

/* ---- examining ---- */

#define ID_FIELD(name, kind, member, en) VSS_LUA_FIELD(vss_wm_identity, name, kind, member, en)
static const vss_lua_field identity_fields[] = {
    ID_FIELD("writer_id", VSS_LUA_STR, writer_id, NULL),
    ID_FIELD("instance_id", VSS_LUA_STR, instance_id, NULL),
    ID_FIELD("instance_name", VSS_LUA_STR, instance_name, NULL),
    ID_FIELD("name", VSS_LUA_STR, name, NULL),
    ID_FIELD("usage", VSS_LUA_ENUM, usage, &vss_enum_usage_type),
    ID_FIELD("source", VSS_LUA_ENUM, source, &vss_enum_source_type),
    ID_FIELD("major_version", VSS_LUA_U32, major_version, NULL),
    ID_FIELD("minor_version", VSS_LUA_U32, minor_version, NULL),
};

static int wm_get_identity(lua_State *L)
{
    const vss_wm_identity *id = vss_wm_get_identity(check_wm(L, 1));
    vss_lua_checknargs(L, 1);
    VSS_LUA_PUSHFIELDS(L, id, identity_fields);
    return 1;
}

static int wm_get_version(lua_State *L)
{
    const vss_wm_identity *id = vss_wm_get_identity(check_wm(L, 1));
    vss_lua_checknargs(L, 1);
    lua_pushinteger(L, id->major_version);
    lua_pushinteger(L, id->minor_version);
    return 2;
}

static int wm_document_version(lua_State *L)
{
    lua_pushstring(L, vss_wm_version(check_wm(L, 1)));
    return 1;
}

static int wm_get_backup_schema(lua_State *L)
{
    uint32_t s = vss_wm_backup_schema(check_wm(L, 1));
    vss_lua_checknargs(L, 1);
    vss_lua_pushmask(L, &vss_enum_backup_schema, s);
    lua_pushinteger(L, s);
    return 2;
}

/* method, service, user_procedure, writer_restore, reboot_required,
 * mapping_count, as GetRestoreMethod; nil when the writer has none. */
static int wm_get_restore_method(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    vss_lua_checknargs(L, 1);
    const vss_wm_restore_method *r = vss_wm_get_restore_method(wm);
    if (!r->present) {
        lua_pushnil(L);
        return 1;
    }
    vss_lua_pushenum(L, &vss_enum_restore_method, r->method);
    vss_lua_pushstr(L, r->service);
    vss_lua_pushstr(L, r->user_procedure);
    vss_lua_pushenum(L, &vss_enum_writer_restore, r->writer_restore);
    lua_pushboolean(L, r->reboot_required);
    lua_pushinteger(L, (lua_Integer)vss_wm_alternate_location_mappings(wm)->count);
    return 6;
}

static int wm_get_file_counts(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    vss_lua_checknargs(L, 1);
    lua_pushinteger(L, (lua_Integer)vss_wm_include_files(wm)->count);
    lua_pushinteger(L, (lua_Integer)vss_wm_exclude_files(wm)->count);
    lua_pushinteger(L, (lua_Integer)vss_wm_component_count(wm));
    return 3;
}

static int wm_get_include_file(lua_State *L)
{
    return vss_lua_pushfileat(L, vss_wm_include_files(check_wm(L, 1)));
}

static int wm_get_exclude_file(lua_State *L)
{
    return vss_lua_pushfileat(L, vss_wm_exclude_files(check_wm(L, 1)));
}

static int wm_get_exclude_from_snapshot_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)vss_wm_exclude_files_from_snapshot(check_wm(L, 1))->count);
    return 1;
}

static int wm_get_exclude_from_snapshot_file(lua_State *L)
{
    return vss_lua_pushfileat(L, vss_wm_exclude_files_from_snapshot(check_wm(L, 1)));
}

static int wm_get_alternate_location_mapping(lua_State *L)
{
    return vss_lua_pushfileat(L, vss_wm_alternate_location_mappings(check_wm(L, 1)));
}

static int wm_get_alternate_location_mapping_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)vss_wm_alternate_location_mappings(check_wm(L, 1))->count);
    return 1;
}

static int wm_get_component(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    size_t i = vss_lua_checkindex(L, 2, vss_wm_component_count(wm));
    vss_lua_checknargs(L, 2);
    vss_lua_pushcomponent(L, 1, vss_wm_component_at(wm, i));
    return 1;
}

/* find_component(logical_path or nil, name) -> Component or nil */
static int wm_find_component(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    const char *lp = vss_lua_optstr(L, 2);
    const char *name = luaL_checkstring(L, 3);
    vss_lua_checknargs(L, 3);
    const vss_wm_component *c = vss_wm_find_component(wm, lp, name);
    if (c == NULL)
        lua_pushnil(L);
    else
        vss_lua_pushcomponent(L, 1, c);
    return 1;
}

/* ---- writer side ---- */

/* add_component(type, logical_path, name [, {caption=, restore_metadata=,
 * notify_on_backup_complete=, selectable=, selectable_for_restore=,
 * component_flags=}]) -> Component */
static int wm_add_component(lua_State *L)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    vss_wm_component info = {0};
    info.type = vss_lua_checkenum(L, 2, &vss_enum_component_type);
    info.logical_path = (char *)vss_lua_optstr(L, 3);
    info.name = (char *)luaL_checkstring(L, 4);
    vss_lua_checknargs(L, 5);
    if (!lua_isnoneornil(L, 5)) {
        static const char *const known[] = {"caption", "component_flags", "restore_metadata",
                                            "notify_on_backup_complete", "selectable",
                                            "selectable_for_restore", NULL};
        vss_lua_checkoptions(L, 5, known);
        lua_getfield(L, 5, "caption");
        if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
            luaL_argerror(L, 5, "caption: string expected");
        info.caption = (char *)lua_tostring(L, -1);
        lua_getfield(L, 5, "component_flags");
        if (!lua_isnil(L, -1))
            info.component_flags = vss_lua_checkmask(L, lua_gettop(L), &vss_enum_component_flags);
        lua_pop(L, 1); /* caption stays on the stack until the call */
        info.restore_metadata = vss_lua_fieldbool(L, 5, "restore_metadata", false);
        info.notify_on_backup_complete = vss_lua_fieldbool(L, 5, "notify_on_backup_complete", false);
        info.selectable = vss_lua_fieldbool(L, 5, "selectable", false);
        info.selectable_for_restore = vss_lua_fieldbool(L, 5, "selectable_for_restore", false);
    }
    vss_error e;
    if (vss_wm_add_component(wm, &info, &e) != VSS_OK)
        return vss_lua_raise(L, "add_component", &e);
    vss_lua_pushcomponent(L, 1, vss_wm_find_component(wm, info.logical_path, info.name));
    return 1;
}

/* add_database_files / add_database_log_files(logical_path, name, path,
 * filespec [, backup_type_mask]) */
static int add_db(lua_State *L, bool log)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    const char *lp = vss_lua_optstr(L, 2);
    const char *name = luaL_checkstring(L, 3);
    const char *path = luaL_checkstring(L, 4);
    const char *spec = luaL_checkstring(L, 5);
    uint32_t mask = vss_lua_optmask(L, 6, &vss_enum_file_spec_backup_type, VSS_FSBT_DEFAULT);
    vss_lua_checknargs(L, 6);
    vss_error e;
    int rc = log ? vss_wm_add_database_log_files(wm, lp, name, path, spec, mask, &e)
                 : vss_wm_add_database_files(wm, lp, name, path, spec, mask, &e);
    if (rc != VSS_OK)
        return vss_lua_raise(L, log ? "add_database_log_files" : "add_database_files", &e);
    return 0;
}

static int wm_add_database_files(lua_State *L) { return add_db(L, false); }
static int wm_add_database_log_files(lua_State *L) { return add_db(L, true); }

/* add_files_to_file_group(logical_path, name, path, filespec, recursive
 * [, alternate_location [, backup_type_mask]]) */
static int wm_add_files_to_file_group(lua_State *L)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    const char *lp = vss_lua_optstr(L, 2);
    const char *name = luaL_checkstring(L, 3);
    const char *path = luaL_checkstring(L, 4);
    const char *spec = luaL_checkstring(L, 5);
    int rec = vss_lua_optbool(L, 6, 0);
    const char *alt = vss_lua_optstr(L, 7);
    uint32_t mask = vss_lua_optmask(L, 8, &vss_enum_file_spec_backup_type, VSS_FSBT_DEFAULT);
    vss_lua_checknargs(L, 8);
    vss_error e;
    if (vss_wm_add_files_to_file_group(wm, lp, name, path, spec, rec, alt, mask, &e) != VSS_OK)
        return vss_lua_raise(L, "add_files_to_file_group", &e);
    return 0;
}

static int add_exclude(lua_State *L, bool snapshot)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *spec = luaL_checkstring(L, 3);
    int rec = vss_lua_optbool(L, 4, 0);
    vss_lua_checknargs(L, 4);
    vss_error e;
    int rc = snapshot ? vss_wm_add_exclude_files_from_snapshot(wm, path, spec, rec, &e)
                      : vss_wm_add_exclude_files(wm, path, spec, rec, &e);
    if (rc != VSS_OK)
        return vss_lua_raise(L, snapshot ? "add_exclude_files_from_snapshot" : "add_exclude_files",
                             &e);
    return 0;
}

static int wm_add_exclude_files(lua_State *L) { return add_exclude(L, false); }
static int wm_add_exclude_files_from_snapshot(lua_State *L) { return add_exclude(L, true); }

/* set_restore_method(method, service, user_procedure, writer_restore, reboot_required) */
static int wm_set_restore_method(lua_State *L)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    int method = vss_lua_checkenum(L, 2, &vss_enum_restore_method);
    const char *service = vss_lua_optstr(L, 3);
    const char *proc = vss_lua_optstr(L, 4);
    int wre = vss_lua_optenum(L, 5, &vss_enum_writer_restore, VSS_WRE_NEVER);
    int reboot = vss_lua_optbool(L, 6, 0);
    vss_lua_checknargs(L, 6);
    vss_error e;
    if (vss_wm_set_restore_method(wm, method, service, proc, wre, reboot, &e) != VSS_OK)
        return vss_lua_raise(L, "set_restore_method", &e);
    return 0;
}

static int wm_add_alternate_location_mapping(lua_State *L)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *spec = luaL_checkstring(L, 3);
    int rec = vss_lua_optbool(L, 4, 0);
    const char *dest = luaL_checkstring(L, 5);
    vss_lua_checknargs(L, 5);
    vss_error e;
    if (vss_wm_add_alternate_location_mapping(wm, path, spec, rec, dest, &e) != VSS_OK)
        return vss_lua_raise(L, "add_alternate_location_mapping", &e);
    return 0;
}

static int wm_add_component_dependency(lua_State *L)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    const char *for_lp = vss_lua_optstr(L, 2);
    const char *for_name = luaL_checkstring(L, 3);
    const char *on_writer = luaL_checkstring(L, 4);
    const char *on_lp = vss_lua_optstr(L, 5);
    const char *on_name = luaL_checkstring(L, 6);
    vss_lua_checknargs(L, 6);
    vss_error e;
    if (vss_wm_add_component_dependency(wm, for_lp, for_name, on_writer, on_lp, on_name, &e) !=
        VSS_OK)
        return vss_lua_raise(L, "add_component_dependency", &e);
    return 0;
}

static int wm_set_backup_schema(lua_State *L)
{
    vss_writer_metadata *wm = check_wm(L, 1);
    uint32_t mask = vss_lua_checkmask(L, 2, &vss_enum_backup_schema);
    vss_lua_checknargs(L, 2);
    vss_error e;
    if (vss_wm_set_backup_schema(wm, mask, &e) != VSS_OK)
        return vss_lua_raise(L, "set_backup_schema", &e);
    return 0;
}

/* validate() -> true, or nil, message, "EINVAL" */
static int wm_validate(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    vss_lua_checknargs(L, 1);
    vss_error e;
    return vss_lua_okresult(L, vss_wm_validate(wm, &e), &e);
}

static int wm_xml(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    vss_lua_checknargs(L, 1);
    vss_error e;
    size_t len = 0;
    char *s = vss_wm_xml(wm, &len, &e);
    return vss_lua_xmlresult(L, s, len, &e);
}

static int wm_save(lua_State *L)
{
    const vss_writer_metadata *wm = check_wm(L, 1);
    const char *path = luaL_checkstring(L, 2);
    vss_lua_checknargs(L, 2);
    vss_error e;
    return vss_lua_okresult(L, vss_wm_save(wm, path, &e), &e);
}

int vss_lua_open_metadata(lua_State *L)
{
    static const luaL_Reg wm_meta[] = {
        {"__gc", wm_gc}, {"__tostring", wm_tostring}, {NULL, NULL}};
    static const luaL_Reg wm_methods[] = {
        {"get_identity", wm_get_identity},
        {"get_version", wm_get_version},
        {"document_version", wm_document_version},
        {"get_backup_schema", wm_get_backup_schema},
        {"get_restore_method", wm_get_restore_method},
        {"get_file_counts", wm_get_file_counts},
        {"get_include_file", wm_get_include_file},
        {"get_exclude_file", wm_get_exclude_file},
        {"get_exclude_from_snapshot_count", wm_get_exclude_from_snapshot_count},
        {"get_exclude_from_snapshot_file", wm_get_exclude_from_snapshot_file},
        {"get_alternate_location_mapping", wm_get_alternate_location_mapping},
        {"get_alternate_location_mapping_count", wm_get_alternate_location_mapping_count},
        {"get_component", wm_get_component},
        {"find_component", wm_find_component},
        {"add_component", wm_add_component},
        {"add_database_files", wm_add_database_files},
        {"add_database_log_files", wm_add_database_log_files},
        {"add_files_to_file_group", wm_add_files_to_file_group},
        {"add_exclude_files", wm_add_exclude_files},
        {"add_exclude_files_from_snapshot", wm_add_exclude_files_from_snapshot},
        {"set_restore_method", wm_set_restore_method},
        {"add_alternate_location_mapping", wm_add_alternate_location_mapping},
        {"add_component_dependency", wm_add_component_dependency},
        {"set_backup_schema", wm_set_backup_schema},
        {"validate", wm_validate},
        {"xml", wm_xml},
        {"save", wm_save},
        {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"parse", m_parse}, {"load", m_load}, {"new", m_new}, {NULL, NULL}};
    vss_lua_newclass(L, VSS_LUA_WM_T, wm_meta, wm_methods);
    vss_lua_newclass_component(L);
    luaL_newlib(L, funcs);
    vss_lua_export_methods(L, VSS_LUA_WM_T);
    vss_lua_export_methods(L, VSS_LUA_COMPONENT_T);
    return 1;
}
