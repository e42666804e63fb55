/* vss.components and the vss.BackupComponents / vss.ComponentState
 * userdata: the backup components document (csrc/components.h) seen from
 * Lua. A BackupComponents keeps the WriterMetadata attached to it alive (a
 * table in its uservalue); a ComponentState keeps its BackupComponents. */
#include <stdlib.h>
#include <string.h>

#include "../components.h"
#include "docs.h"

typedef struct lbc {
    vss_backup_components *bc;
} lbc;

typedef struct lcs {
    vss_bc_component *c;
} lcs;

static vss_backup_components *check_bc(lua_State *L, int idx)
{
    return ((lbc *)luaL_checkudata(L, idx, VSS_LUA_BC_T))->bc;
}

vss_backup_components *vss_lua_checkbc(lua_State *L, int idx) { return check_bc(L, idx); }

static vss_bc_component *check_cs(lua_State *L, int idx)
{
    return ((lcs *)luaL_checkudata(L, idx, VSS_LUA_CSTATE_T))->c;
}

/* The BackupComponents a ComponentState at idx belongs to. */
static vss_backup_components *cs_bc(lua_State *L, int idx)
{
    lua_getiuservalue(L, idx, 1);
    vss_backup_components *bc = ((lbc *)lua_touserdata(L, -1))->bc;
    lua_pop(L, 1);
    return bc;
}

static lbc *push_bc(lua_State *L)
{
    lbc *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->bc = NULL;
    luaL_setmetatable(L, VSS_LUA_BC_T);
    lua_newtable(L); /* the attached WriterMetadata */
    lua_setiuservalue(L, -2, 1);
    return u;
}

static void push_cs(lua_State *L, int bcidx, vss_bc_component *c)
{
    bcidx = lua_absindex(L, bcidx);
    lcs *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->c = c;
    luaL_setmetatable(L, VSS_LUA_CSTATE_T);
    lua_pushvalue(L, bcidx);
    lua_setiuservalue(L, -2, 1);
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
    vss_bc_state st = {
        .backup_type = vss_lua_fieldenum(L, 1, "backup_type", &vss_enum_backup_type, VSS_BT_FULL),
        .select_components = vss_lua_fieldbool(L, 1, "select_components"),
        .bootable_system_state = vss_lua_fieldbool(L, 1, "bootable_system_state"),
        .partial_file_support = vss_lua_fieldbool(L, 1, "partial_file_support"),
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

static int bc_get_backup_state(lua_State *L)
{
    const vss_bc_state *st = vss_bc_get_state(check_bc(L, 1));
    vss_lua_checknargs(L, 1);
    lua_createtable(L, 0, 6);
    vss_lua_pushenum(L, &vss_enum_backup_type, st->backup_type);
    lua_setfield(L, -2, "backup_type");
    lua_pushboolean(L, st->select_components);
    lua_setfield(L, -2, "select_components");
    lua_pushboolean(L, st->bootable_system_state);
    lua_setfield(L, -2, "bootable_system_state");
    lua_pushboolean(L, st->partial_file_support);
    lua_setfield(L, -2, "partial_file_support");
    vss_lua_pushenum(L, &vss_enum_restore_type, st->restore_type);
    lua_setfield(L, -2, "restore_type");
    vss_lua_pushstr(L, st->snapshot_set_id);
    lua_setfield(L, -2, "snapshot_set_id");
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
    push_cs(L, 1, c);
    return 1;
}

/* get_component(writer_id or instance_id, logical_path, name) */
static int bc_get_component(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    const char *w = luaL_checkstring(L, 2);
    const char *lp = vss_lua_optstr(L, 3);
    const char *name = luaL_checkstring(L, 4);
    vss_lua_checknargs(L, 4);
    vss_bc_component *c = vss_bc_find_component(bc, w, lp, name);
    if (c == NULL)
        lua_pushnil(L);
    else
        push_cs(L, 1, c);
    return 1;
}

static int bc_get_writer_components_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)vss_bc_writer_count(check_bc(L, 1)));
    return 1;
}

/* get_writer_components(i) -> {writer_id=, instance_id=, instance_name=,
 * backup_schema=, components={ComponentState...}} */
static int bc_get_writer_components(lua_State *L)
{
    const vss_backup_components *bc = check_bc(L, 1);
    size_t i = vss_lua_checkindex(L, 2, vss_bc_writer_count(bc));
    vss_lua_checknargs(L, 2);
    const vss_bc_writer *w = vss_bc_writer_at(bc, i);
    lua_createtable(L, 0, 5);
    vss_lua_pushstr(L, w->writer_id);
    lua_setfield(L, -2, "writer_id");
    vss_lua_pushstr(L, w->instance_id);
    lua_setfield(L, -2, "instance_id");
    vss_lua_pushstr(L, w->instance_name);
    lua_setfield(L, -2, "instance_name");
    vss_lua_pushmask(L, &vss_enum_backup_schema, w->backup_schema);
    lua_setfield(L, -2, "backup_schema");
    lua_createtable(L, (int)w->component_count, 0);
    for (size_t j = 0; j < w->component_count; j++) {
        push_cs(L, 1, w->components[j]);
        lua_seti(L, -2, (lua_Integer)j + 1);
    }
    lua_setfield(L, -2, "components");
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

/* ---- ComponentState ---- */

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

static const struct {
    const char *get, *set;
    size_t off;
    str_setter fn;
} str_fields[] = {
    {"get_backup_stamp", "set_backup_stamp", offsetof(vss_bc_component, backup_stamp),
     vss_bc_set_backup_stamp},
    {"get_previous_backup_stamp", "set_previous_backup_stamp",
     offsetof(vss_bc_component, previous_backup_stamp), vss_bc_set_previous_backup_stamp},
    {"get_backup_options", "set_backup_options", offsetof(vss_bc_component, backup_options),
     vss_bc_set_backup_options},
    {"get_restore_options", "set_restore_options", offsetof(vss_bc_component, restore_options),
     vss_bc_set_restore_options},
    {"get_backup_metadata", "set_backup_metadata", offsetof(vss_bc_component, backup_metadata),
     vss_bc_set_backup_metadata},
    {"get_restore_metadata", "set_restore_metadata",
     offsetof(vss_bc_component, restore_metadata), vss_bc_set_restore_metadata},
    {"get_pre_restore_failure_msg", "set_pre_restore_failure_msg",
     offsetof(vss_bc_component, pre_restore_failure_msg), vss_bc_set_pre_restore_failure_msg},
    {"get_post_restore_failure_msg", "set_post_restore_failure_msg",
     offsetof(vss_bc_component, post_restore_failure_msg), vss_bc_set_post_restore_failure_msg},
};

static const struct {
    const char *get, *set;
    size_t off;
    bool_setter fn;
} bool_fields[] = {
    {"get_backup_succeeded", "set_backup_succeeded", offsetof(vss_bc_component, backup_succeeded),
     vss_bc_set_backup_succeeded},
    {"is_selected_for_restore", "set_selected_for_restore",
     offsetof(vss_bc_component, selected_for_restore), vss_bc_set_selected_for_restore},
    {"get_additional_restores", "set_additional_restores",
     offsetof(vss_bc_component, additional_restores), vss_bc_set_additional_restores},
};

static const struct {
    const char *get, *set;
    size_t off;
    const vss_enum *en;
    enum_setter fn;
} enum_fields[] = {
    {"get_restore_target", "set_restore_target", offsetof(vss_bc_component, restore_target),
     &vss_enum_restore_target, vss_bc_set_restore_target},
    {"get_file_restore_status", "set_file_restore_status",
     offsetof(vss_bc_component, file_restore_status), &vss_enum_file_restore_status,
     vss_bc_set_file_restore_status},
};

static int cs_get_str(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    vss_lua_checknargs(L, 1);
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    vss_lua_pushstr(L, *(char *const *)((const char *)c + str_fields[i].off));
    return 1;
}

static int cs_set_str(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    const char *v = vss_lua_optstr(L, 2);
    vss_lua_checknargs(L, 2);
    vss_error e;
    if (str_fields[i].fn(cs_bc(L, 1), c, v, &e) != VSS_OK)
        return vss_lua_raise(L, str_fields[i].set, &e);
    return 0;
}

static int cs_get_bool(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    vss_lua_checknargs(L, 1);
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    lua_pushboolean(L, *(const bool *)((const char *)c + bool_fields[i].off));
    return 1;
}

static int cs_set_bool(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    vss_lua_checknargs(L, 2);
    vss_error e;
    if (bool_fields[i].fn(cs_bc(L, 1), c, lua_toboolean(L, 2), &e) != VSS_OK)
        return vss_lua_raise(L, bool_fields[i].set, &e);
    return 0;
}

static int cs_get_enum(lua_State *L)
{
    const vss_bc_component *c = check_cs(L, 1);
    vss_lua_checknargs(L, 1);
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    vss_lua_pushenum(L, enum_fields[i].en, *(const int *)((const char *)c + enum_fields[i].off));
    return 1;
}

static int cs_set_enum(lua_State *L)
{
    vss_bc_component *c = check_cs(L, 1);
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    int v = vss_lua_checkenum(L, 2, enum_fields[i].en);
    vss_lua_checknargs(L, 2);
    vss_error e;
    if (enum_fields[i].fn(cs_bc(L, 1), c, v, &e) != VSS_OK)
        return vss_lua_raise(L, enum_fields[i].set, &e);
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

static int push_target(lua_State *L, const vss_wm_files *f)
{
    size_t i = vss_lua_checkindex(L, 2, f->count);
    vss_lua_checknargs(L, 2);
    vss_lua_pushfiledesc(L, &f->items[i].d);
    return 1;
}

static int cs_get_new_target(lua_State *L) { return push_target(L, &check_cs(L, 1)->new_targets); }
static int cs_get_alternate_location_mapping(lua_State *L)
{
    return push_target(L, &check_cs(L, 1)->alternate_location_mappings);
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
        {"validate", bc_validate},
        {"xml", bc_xml},
        {"save", bc_save},
        {NULL, NULL}};
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
    static const luaL_Reg funcs[] = {
        {"parse", m_parse}, {"load", m_load}, {"new", m_new}, {NULL, NULL}};
    vss_lua_newclass(L, VSS_LUA_BC_T, bc_meta, bc_methods);
    vss_lua_newclass(L, VSS_LUA_CSTATE_T, cs_meta, cs_methods);
    luaL_getmetatable(L, VSS_LUA_CSTATE_T);
    lua_getfield(L, -1, "__index");
    for (size_t i = 0; i < sizeof str_fields / sizeof str_fields[0]; i++) {
        add_closure(L, str_fields[i].get, cs_get_str, i);
        add_closure(L, str_fields[i].set, cs_set_str, i);
    }
    for (size_t i = 0; i < sizeof bool_fields / sizeof bool_fields[0]; i++) {
        add_closure(L, bool_fields[i].get, cs_get_bool, i);
        add_closure(L, bool_fields[i].set, cs_set_bool, i);
    }
    for (size_t i = 0; i < sizeof enum_fields / sizeof enum_fields[0]; i++) {
        add_closure(L, enum_fields[i].get, cs_get_enum, i);
        add_closure(L, enum_fields[i].set, cs_set_enum, i);
    }
    lua_pop(L, 2);
    luaL_newlib(L, funcs);
    /* The method tables, for the pure-Lua conveniences of lua/vss/. */
    static const char *const classes[][2] = {{VSS_LUA_BC_T, "BackupComponents"},
                                             {VSS_LUA_CSTATE_T, "ComponentState"}};
    for (size_t i = 0; i < 2; i++) {
        luaL_getmetatable(L, classes[i][0]);
        lua_getfield(L, -1, "__index");
        lua_setfield(L, -3, classes[i][1]);
        lua_pop(L, 1);
    }
    return 1;
}
