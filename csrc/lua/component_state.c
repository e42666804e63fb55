/* vss.ComponentState: one component of a backup components document
 * (csrc/documents/components.h) seen from Lua, with the IVssComponent calls of
 * writers and requesters. It keeps its vss.BackupComponents alive through
 * its uservalue, and holds the engine document its setters change, so it
 * needs nothing of components.c (which makes them). */
#include <stdlib.h>
#include <string.h>

#include "docs.h"

typedef struct lcs {
    vss_bc_component *c;
    vss_backup_components *bc; /* alive while the uservalue is */
} lcs;

static vss_bc_component *check_cs(lua_State *L, int idx)
{
    return ((lcs *)luaL_checkudata(L, idx, VSS_LUA_CSTATE_T))->c;
}

/* The document a ComponentState at idx belongs to. */
static vss_backup_components *cs_bc(lua_State *L, int idx)
{
    return ((lcs *)luaL_checkudata(L, idx, VSS_LUA_CSTATE_T))->bc;
}

void vss_lua_pushcstate(lua_State *L, int bcidx, vss_backup_components *bc, vss_bc_component *c)
{
    bcidx = lua_absindex(L, bcidx);
    lcs *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->c = c;
    u->bc = bc;
    luaL_setmetatable(L, VSS_LUA_CSTATE_T);
    lua_pushvalue(L, bcidx);
    lua_setiuservalue(L, -2, 1);
}

static int cs_tostring(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    lua_pushfstring(L, "vss.ComponentState(%s %s%s%s of writer %s)",
                    vss_enum_name(&vss_enum_component_type, c->type),
                    c->logical_path ? c->logical_path : "", c->logical_path ? "\\" : "", c->name,
                    c->writer->writer_id);
    return 1;
}

typedef int (*str_setter)(vss_backup_components *, vss_bc_component *, const char *, vss_error *);
typedef int (*bool_setter)(vss_backup_components *, vss_bc_component *, bool, vss_error *);
typedef int (*enum_setter)(vss_backup_components *, vss_bc_component *, int, vss_error *);

/* The component's settable fields: the get_ method (f.name) reads the
 * field, the set_ method calls the engine's setter of the field's kind. */
typedef struct cs_field {
    vss_lua_field f;
    const char *set;
    union {
        str_setter str;
        bool_setter boolean;
        enum_setter enumeration;
    } fn;
} cs_field;

#define STR(get, set, member, fn)                                                           \
    {VSS_LUA_FIELD(vss_bc_component, get, VSS_LUA_STR, member, NULL), set, {.str = fn}}
#define BOOL(get, set, member, fn)                                                          \
    {VSS_LUA_FIELD(vss_bc_component, get, VSS_LUA_BOOL, member, NULL), set, {.boolean = fn}}
#define ENUM(get, set, member, en, fn)                                                      \
    {VSS_LUA_FIELD(vss_bc_component, get, VSS_LUA_ENUM, member, en), set, {.enumeration = fn}}

static const cs_field fields[] = {
    STR("get_backup_stamp", "set_backup_stamp", backup_stamp, vss_bc_set_backup_stamp),
    STR("get_previous_backup_stamp", "set_previous_backup_stamp", previous_backup_stamp,
        vss_bc_set_previous_backup_stamp),
    STR("get_backup_options", "set_backup_options", backup_options, vss_bc_set_backup_options),
    STR("get_restore_options", "set_restore_options", restore_options,
        vss_bc_set_restore_options),
    STR("get_backup_metadata", "set_backup_metadata", backup_metadata,
        vss_bc_set_backup_metadata),
    STR("get_restore_metadata", "set_restore_metadata", restore_metadata,
        vss_bc_set_restore_metadata),
    STR("get_pre_restore_failure_msg", "set_pre_restore_failure_msg", pre_restore_failure_msg,
        vss_bc_set_pre_restore_failure_msg),
    STR("get_post_restore_failure_msg", "set_post_restore_failure_msg",
        post_restore_failure_msg, vss_bc_set_post_restore_failure_msg),
    BOOL("get_backup_succeeded", "set_backup_succeeded", backup_succeeded,
         vss_bc_set_backup_succeeded),
    BOOL("is_selected_for_restore", "set_selected_for_restore", selected_for_restore,
         vss_bc_set_selected_for_restore),
    BOOL("get_additional_restores", "set_additional_restores", additional_restores,
         vss_bc_set_additional_restores),
    ENUM("get_restore_target", "set_restore_target", restore_target, &vss_enum_restore_target,
         vss_bc_set_restore_target),
    ENUM("get_file_restore_status", "set_file_restore_status", file_restore_status,
         &vss_enum_file_restore_status, vss_bc_set_file_restore_status),
};

static int cs_get_field(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    vss_lua_checknargs(L, 1);
    vss_lua_pushfield(L, c, &fields[lua_tointeger(L, lua_upvalueindex(1))].f);
    return 1;
}

static int cs_set_field(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    const cs_field *f = &fields[lua_tointeger(L, lua_upvalueindex(1))];
    vss_error e;
    int rc;
    switch (f->f.kind) {
    case VSS_LUA_STR: {
        const char *v = vss_lua_optstr(L, 2);
        vss_lua_checknargs(L, 2);
        rc = f->fn.str(cs_bc(L, 1), c, v, &e);
        break;
    }
    case VSS_LUA_BOOL:
        luaL_checktype(L, 2, LUA_TBOOLEAN);
        vss_lua_checknargs(L, 2);
        rc = f->fn.boolean(cs_bc(L, 1), c, lua_toboolean(L, 2), &e);
        break;
    default: {
        int v = vss_lua_checkenum(L, 2, f->f.en);
        vss_lua_checknargs(L, 2);
        rc = f->fn.enumeration(cs_bc(L, 1), c, v, &e);
        break;
    }
    }
    if (rc != VSS_OK)
        return vss_lua_raise(L, f->set, &e);
    return 0;
}

static int cs_get_logical_path(lua_State *L)
{
    vss_lua_pushstr(L, check_cs(L, 1)->logical_path);
    return 1;
}

static int cs_get_component_name(lua_State *L)
{
    lua_pushstring(L, check_cs(L, 1)->name);
    return 1;
}

static int cs_get_component_type(lua_State *L)
{
    vss_lua_pushenum(L, &vss_enum_component_type, check_cs(L, 1)->type);
    return 1;
}

/* GetWriterInfo: instance id, writer id. */
static int cs_get_writer_info(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    lua_pushstring(L, c->writer->instance_id);
    lua_pushstring(L, c->writer->writer_id);
    return 2;
}

static int cs_backup_components(lua_State *L)
{
    check_cs(L, 1);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

#define COUNT_FN(fname, field)                                                              \
    static int fname(lua_State *L)                                                          \
    {                                                                                       \
        lua_pushinteger(L, (lua_Integer)check_cs(L, 1)->field);                             \
        return 1;                                                                           \
    }
COUNT_FN(cs_get_partial_file_count, partial_file_count)
COUNT_FN(cs_get_directed_target_count, directed_target_count)
COUNT_FN(cs_get_differenced_files_count, differenced_file_count)
COUNT_FN(cs_get_new_target_count, new_targets.count)
COUNT_FN(cs_get_alternate_location_mapping_count, alternate_location_mappings.count)
COUNT_FN(cs_get_restore_subcomponent_count, restore_subcomponent_count)

/* get_partial_file(i) -> path, filename, ranges, metadata */
static int cs_get_partial_file(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->partial_file_count);
    vss_lua_checknargs(L, 2);
    const vss_bc_partial_file *p = &c->partial_files[i];
    lua_pushstring(L, p->path);
    lua_pushstring(L, p->filename);
    lua_pushstring(L, p->ranges);
    vss_lua_pushstr(L, p->metadata);
    return 4;
}

/* get_directed_target(i) -> src_path, src_filename, src_ranges, dst_path,
 * dst_filename, dst_ranges */
static int cs_get_directed_target(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->directed_target_count);
    vss_lua_checknargs(L, 2);
    const vss_bc_directed_target *t = &c->directed_targets[i];
    const char *v[] = {t->src_path, t->src_filename, t->src_ranges,
                       t->dst_path, t->dst_filename, t->dst_ranges};
    for (int k = 0; k < 6; k++)
        lua_pushstring(L, v[k]);
    return 6;
}

/* get_differenced_file(i) -> path, filespec, recursive, lsn, last_modify_time */
static int cs_get_differenced_file(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->differenced_file_count);
    vss_lua_checknargs(L, 2);
    const vss_bc_differenced_file *d = &c->differenced_files[i];
    lua_pushstring(L, d->path);
    lua_pushstring(L, d->filespec);
    lua_pushboolean(L, d->recursive);
    vss_lua_pushstr(L, d->lsn);
    lua_pushinteger(L, (lua_Integer)d->last_modify_time);
    return 5;
}

static int cs_get_new_target(lua_State *L)
{
    return vss_lua_pushfileat(L, &check_cs(L, 1)->new_targets);
}
static int cs_get_alternate_location_mapping(lua_State *L)
{
    return vss_lua_pushfileat(L, &check_cs(L, 1)->alternate_location_mappings);
}

/* get_restore_subcomponent(i) -> logical_path, name, repair */
static int cs_get_restore_subcomponent(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->restore_subcomponent_count);
    vss_lua_checknargs(L, 2);
    const vss_bc_restore_subcomponent *r = &c->restore_subcomponents[i];
    vss_lua_pushstr(L, r->logical_path);
    lua_pushstring(L, r->name);
    lua_pushboolean(L, r->repair);
    return 3;
}

static int cs_add_partial_file(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *name = luaL_checkstring(L, 3);
    const char *ranges = luaL_checkstring(L, 4);
    const char *meta = vss_lua_optstr(L, 5);
    vss_lua_checknargs(L, 5);
    vss_error e;
    if (vss_bc_add_partial_file(cs_bc(L, 1), c, path, name, ranges, meta, &e) != VSS_OK)
        return vss_lua_raise(L, "add_partial_file", &e);
    return 0;
}

static int cs_set_ranges_file_path(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    size_t i = vss_lua_checkindex(L, 2, c->partial_file_count);
    const char *path = luaL_checkstring(L, 3);
    vss_lua_checknargs(L, 3);
    vss_error e;
    if (vss_bc_set_ranges_file_path(cs_bc(L, 1), c, i, path, &e) != VSS_OK)
        return vss_lua_raise(L, "set_ranges_file_path", &e);
    return 0;
}

static int cs_add_directed_target(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    const char *v[6];
    for (int k = 0; k < 6; k++)
        v[k] = luaL_checkstring(L, k + 2);
    vss_lua_checknargs(L, 7);
    vss_error e;
    if (vss_bc_add_directed_target(cs_bc(L, 1), c, v[0], v[1], v[2], v[3], v[4], v[5], &e))
        return vss_lua_raise(L, "add_directed_target", &e);
    return 0;
}

/* add_differenced_files_by_last_modify_time(path, filespec, recursive, filetime) */
static int cs_add_differenced_files(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *spec = luaL_checkstring(L, 3);
    luaL_checktype(L, 4, LUA_TBOOLEAN);
    lua_Integer t = luaL_checkinteger(L, 5);
    luaL_argcheck(L, t >= 0, 5, "FILETIME must not be negative");
    vss_lua_checknargs(L, 5);
    vss_error e;
    if (vss_bc_add_differenced_files_by_last_modify_time(cs_bc(L, 1), c, path, spec,
                                                         lua_toboolean(L, 4), (uint64_t)t, &e))
        return vss_lua_raise(L, "add_differenced_files_by_last_modify_time", &e);
    return 0;
}

static int relocate(lua_State *L, bool mapping)
{
    vss_bc_component *c = check_cs(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *spec = luaL_checkstring(L, 3);
    luaL_checktype(L, 4, LUA_TBOOLEAN);
    const char *to = luaL_checkstring(L, 5);
    vss_lua_checknargs(L, 5);
    vss_error e;
    int rc = mapping ? vss_bc_add_alternative_location_mapping(cs_bc(L, 1), c, path, spec,
                                                               lua_toboolean(L, 4), to, &e)
                     : vss_bc_add_new_target(cs_bc(L, 1), c, path, spec, lua_toboolean(L, 4), to,
                                             &e);
    if (rc != VSS_OK)
        return vss_lua_raise(L, mapping ? "add_alternative_location_mapping" : "add_new_target",
                             &e);
    return 0;
}

static int cs_add_new_target(lua_State *L) { return relocate(L, false); }
static int cs_add_alternative_location_mapping(lua_State *L) { return relocate(L, true); }

static int cs_add_restore_subcomponent(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    const char *lp = vss_lua_optstr(L, 2);
    const char *name = luaL_checkstring(L, 3);
    int repair = vss_lua_optbool(L, 4, 0);
    vss_lua_checknargs(L, 4);
    vss_error e;
    if (vss_bc_add_restore_subcomponent(cs_bc(L, 1), c, lp, name, repair, &e) != VSS_OK)
        return vss_lua_raise(L, "add_restore_subcomponent", &e);
    return 0;
}

static void add_closure(lua_State *L, const char *name, lua_CFunction fn, size_t i)
{
    lua_pushinteger(L, (lua_Integer)i);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
}

void vss_lua_newclass_cstate(lua_State *L)
{
    static const luaL_Reg cs_meta[] = {{"__tostring", cs_tostring}, {NULL, NULL}};
    static const luaL_Reg cs_methods[] = {
        {"get_logical_path", cs_get_logical_path},
        {"get_component_name", cs_get_component_name},
        {"get_component_type", cs_get_component_type},
        {"get_writer_info", cs_get_writer_info},
        {"backup_components", cs_backup_components},
        {"get_partial_file_count", cs_get_partial_file_count},
        {"get_partial_file", cs_get_partial_file},
        {"get_directed_target_count", cs_get_directed_target_count},
        {"get_directed_target", cs_get_directed_target},
        {"get_differenced_files_count", cs_get_differenced_files_count},
        {"get_differenced_file", cs_get_differenced_file},
        {"get_new_target_count", cs_get_new_target_count},
        {"get_new_target", cs_get_new_target},
        {"get_alternate_location_mapping_count", cs_get_alternate_location_mapping_count},
        {"get_alternate_location_mapping", cs_get_alternate_location_mapping},
        {"get_restore_subcomponent_count", cs_get_restore_subcomponent_count},
        {"get_restore_subcomponent", cs_get_restore_subcomponent},
        {"add_partial_file", cs_add_partial_file},
        {"set_ranges_file_path", cs_set_ranges_file_path},
        {"add_directed_target", cs_add_directed_target},
        {"add_differenced_files_by_last_modify_time", cs_add_differenced_files},
        {"add_new_target", cs_add_new_target},
        {"add_alternative_location_mapping", cs_add_alternative_location_mapping},
        {"add_restore_subcomponent", cs_add_restore_subcomponent},
        {NULL, NULL}};
    vss_lua_newclass(L, VSS_LUA_CSTATE_T, cs_meta, cs_methods);
    luaL_getmetatable(L, VSS_LUA_CSTATE_T);
    lua_getfield(L, -1, "__index");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        add_closure(L, fields[i].f.name, cs_get_field, i);
        add_closure(L, fields[i].set, cs_set_field, i);
    }
    lua_pop(L, 2);
}
