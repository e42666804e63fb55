/* vss.core.snapshot: the vss.SnapshotSet and vss.Freeze types and the
 * query / cleanup / delete / is_volume_supported functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "snapshot/snapshot_freeze.h"
#include "binding.h"

#define SET_T "vss.SnapshotSet"
#define FREEZE_T "vss.Freeze"

typedef struct {
    vss_snapshot_set *set; /* NULL once released */
} lset;

typedef struct {
    vss_freezer *f; /* NULL once thawed */
} lfreeze;

/* The choices of a field: a provider (kind 0), a context (1) or an
 * attribute (2) this engine supports; NULL past the last. */
static const char *choice(int kind, size_t i)
{
    if (kind == 0)
        return vss_snapshot_provider_name(i);
    const vss_enum *en = kind == 1 ? &vss_enum_snapshot_context
                                   : &vss_enum_volume_snapshot_attributes;
    for (size_t k = 0, n = 0; k < en->count; k++)
        if (vss_snapshot_attributes_supported((uint32_t)en->entries[k].value) && n++ == i)
            return en->entries[k].name;
    return NULL;
}

/* An option of a table argument, the value at the top: "bad argument #arg
 * to 'f' (field: invalid value 'x' (expected a, b or c))". */
static int field_option_error(lua_State *L, int arg, const char *field, int kind)
{
    const char *v = lua_tostring(L, -1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "%s: invalid value '%s' (expected ", field, v ? v : luaL_typename(L, -1));
    luaL_addvalue(&b);
    for (size_t i = 0; choice(kind, i) != NULL; i++) {
        if (i > 0)
            luaL_addstring(&b, choice(kind, i + 1) ? ", " : " or ");
        luaL_addchar(&b, '"');
        luaL_addstring(&b, choice(kind, i));
        luaL_addchar(&b, '"');
    }
    luaL_addchar(&b, ')');
    luaL_pushresult(&b);
    return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* The engine's name for provider v ("auto", "btrfs"...); NULL when none. */
static const char *find_provider(const char *v)
{
    const char *p;
    for (size_t i = 0; v != NULL && (p = vss_snapshot_provider_name(i)) != NULL; i++)
        if (strcmp(p, v) == 0)
            return p;
    return NULL;
}

static const char *field_provider(lua_State *L, int arg)
{
    const char *p = find_provider(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL);
    if (p == NULL)
        field_option_error(L, arg, "provider", 0);
    return p;
}

static lset *check_set(lua_State *L, int idx)
{
    lset *s = luaL_checkudata(L, idx, SET_T);
    if (s->set == NULL)
        luaL_argerror(L, idx, "snapshot set was released");
    return s;
}

/* Bit masks accept a list of names or a number. */
static uint32_t check_attributes(lua_State *L, int idx, const char *field)
{
    if (lua_isinteger(L, idx))
        return (uint32_t)lua_tointeger(L, idx);
    if (!lua_istable(L, idx)) {
        lua_pushfstring(L, "%s: list of names or number expected", field);
        luaL_argerror(L, 1, lua_tostring(L, -1));
    }
    uint32_t mask = 0;
    for (lua_Integer i = 1; lua_rawgeti(L, idx, i) != LUA_TNIL; i++) {
        const char *name = lua_tostring(L, -1);
        int64_t bit;
        bool found = name && vss_enum_value(&vss_enum_volume_snapshot_attributes, name, &bit) &&
                     vss_snapshot_attributes_supported((uint32_t)bit);
        if (found)
            mask |= (uint32_t)bit;
        if (!found) {
            lua_pushfstring(L, "%s: entry %d", field, (int)i);
            lua_insert(L, -2);
            field_option_error(L, 1, lua_tostring(L, -2), 2);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return mask;
}

static int set_new(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_snapshot_options opt = {0};
    if (!lua_isnoneornil(L, 1)) {
        static const char *const known[] = {"provider", "context", "attributes",
                                            "freeze_timeout", "progress", NULL};
        vss_lua_checkoptions(L, 1, known); /* a misspelt option is never ignored */
        lua_getfield(L, 1, "provider");
        if (!lua_isnil(L, -1)) {
            opt.provider = field_provider(L, 1);
        }
        lua_getfield(L, 1, "context");
        if (!lua_isnil(L, -1)) {
            const char *v = lua_tostring(L, -1);
            int64_t ctx;
            if (v == NULL || !vss_enum_value(&vss_enum_snapshot_context, v, &ctx) ||
                !vss_snapshot_attributes_supported((uint32_t)ctx))
                field_option_error(L, 1, "context", 1);
            opt.attributes = (uint32_t)ctx;
        }
        lua_getfield(L, 1, "attributes");
        if (!lua_isnil(L, -1))
            opt.attributes |= check_attributes(L, lua_gettop(L), "attributes");
        lua_getfield(L, 1, "freeze_timeout");
        if (!lua_isnil(L, -1)) {
            lua_Number t = lua_tonumber(L, -1);
            if (!(t > 0 && t <= 3600))
                luaL_argerror(L, 1, "freeze_timeout: seconds in (0, 3600] expected");
            opt.freeze_timeout_ms = (unsigned)(t * 1000);
        }
        lua_getfield(L, 1, "progress");
        if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
            luaL_argerror(L, 1, "progress: function expected");
        lua_pop(L, 5);
    }
    lset *s = lua_newuserdatauv(L, sizeof *s, 1);
    s->set = NULL;
    luaL_setmetatable(L, SET_T);
    if (!lua_isnoneornil(L, 1)) {
        lua_getfield(L, 1, "progress");
        lua_setiuservalue(L, -2, 1);
    }
    vss_error err;
    if (vss_snapshot_set_new(&opt, &s->set, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    return 1;
}

static int set_add(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    lset *s = check_set(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *provider = NULL;
    bool required = true;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_getfield(L, 3, "provider");
        if (!lua_isnil(L, -1))
            provider = field_provider(L, 3);
        lua_getfield(L, 3, "snapshot_required");
        if (!lua_isnil(L, -1)) {
            if (!lua_isboolean(L, -1))
                luaL_argerror(L, 3, "snapshot_required: boolean expected");
            required = lua_toboolean(L, -1);
        }
        lua_pop(L, 2);
    }
    vss_error err;
    if (vss_snapshot_set_add(s->set, path, provider, required, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    lua_settop(L, 1);
    return 1;
}

/* The progress callback runs Lua from inside the take; an error in it (or
 * a false return) aborts the take, which then rolls back. */
typedef struct {
    lua_State *L;
    char message[256];
} progress_ud;

static int call_progress(void *ud, const vss_snapshot_progress *p)
{
    progress_ud *pu = ud;
    lua_State *L = pu->L;
    lua_pushvalue(L, -1); /* the function, left on top by set_take */
    lua_createtable(L, 0, 6);
    lua_pushstring(L, p->provider);
    lua_setfield(L, -2, "provider");
    lua_pushstring(L, p->volume);
    lua_setfield(L, -2, "volume");
    lua_pushinteger(L, (lua_Integer)p->files);
    lua_setfield(L, -2, "files");
    lua_pushinteger(L, (lua_Integer)p->bytes);
    lua_setfield(L, -2, "bytes");
    lua_pushboolean(L, p->done);
    lua_setfield(L, -2, "done");
    if (p->message) {
        lua_pushstring(L, p->message);
        lua_setfield(L, -2, "message");
    }
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        snprintf(pu->message, sizeof pu->message, "progress callback: %s",
                 lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
        return 1;
    }
    bool stop = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (stop)
        snprintf(pu->message, sizeof pu->message, "take aborted: the progress callback returned false");
    return stop;
}

/* The progress function set_new stored in the uservalue sits on top of
 * the stack while the take runs: call_progress calls it from there. */
static int set_take(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lset *s = check_set(L, 1);
    progress_ud pu = {L, ""};
    vss_error err;
    int rc;
    bool progress = lua_getiuservalue(L, 1, 1) == LUA_TFUNCTION;
    vss_snapshot_set_progress(s->set, progress ? call_progress : NULL, &pu);
    rc = vss_snapshot_set_take(s->set, &err);
    vss_snapshot_set_progress(s->set, NULL, NULL);
    if (rc != VSS_OK) {
        if (pu.message[0])
            vss_error_set(&err, ECANCELED, "%s", pu.message);
        return vss_lua_fail(L, &err);
    }
    lua_settop(L, 1);
    return 1;
}

static int set_path(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    lset *s = check_set(L, 1);
    const char *original = luaL_checkstring(L, 2);
    char *out = NULL;
    vss_error err;
    if (vss_snapshot_set_path(s->set, original, &out, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    lua_pushstring(L, out);
    free(out);
    return 1;
}

static int set_expose(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    lset *s = check_set(L, 1);
    const char *original = luaL_checkstring(L, 2);
    const char *mountpoint = luaL_checkstring(L, 3);
    vss_error err;
    return vss_lua_okresult(L, vss_snapshot_set_expose(s->set, original, mountpoint, &err), &err);
}

static void push_id(lua_State *L, const vss_guid *id)
{
    char s[VSS_GUID_BUFSIZE];
    vss_guid_format(id, VSS_GUID_BRACED, s);
    lua_pushstring(L, s);
}

static void push_snapshot(lua_State *L, const vss_snapshot *snap)
{
    lua_createtable(L, 0, 8);
    push_id(L, &snap->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, snap->provider);
    lua_setfield(L, -2, "provider");
    lua_pushstring(L, snap->volume);
    lua_setfield(L, -2, "volume");
    lua_pushstring(L, snap->original);
    lua_setfield(L, -2, "original");
    lua_pushstring(L, snap->root);
    lua_setfield(L, -2, "root");
    if (snap->exposed) {
        lua_pushstring(L, snap->exposed);
        lua_setfield(L, -2, "exposed");
    }
    if (snap->reason) {
        lua_pushstring(L, snap->reason);
        lua_setfield(L, -2, "reason");
    }
    lua_createtable(L, (int)snap->nselection, 0);
    for (size_t i = 0; i < snap->nselection; i++) {
        lua_pushstring(L, snap->selection[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "selection");
}

static void push_set_info(lua_State *L, const vss_snapshot_set_info *info)
{
    lua_createtable(L, 0, 9);
    push_id(L, &info->id);
    lua_setfield(L, -2, "id");
    uint32_t ctx = info->attributes & ~(uint32_t)VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
    const char *cname = vss_snapshot_attributes_supported(ctx)
                            ? vss_enum_name(&vss_enum_snapshot_context, ctx)
                            : NULL;
    if (cname != NULL) {
        lua_pushstring(L, cname);
        lua_setfield(L, -2, "context");
    }
    lua_newtable(L);
    int n = 0;
    for (int bit = 0; bit < 32; bit++) {
        const char *aname = (info->attributes >> bit) & 1u
                                ? vss_enum_name(&vss_enum_volume_snapshot_attributes,
                                                (int64_t)1 << bit)
                                : NULL;
        if (aname != NULL) {
            lua_pushstring(L, aname);
            lua_rawseti(L, -2, ++n);
        }
    }
    lua_setfield(L, -2, "attributes");
    lua_pushstring(L, info->state);
    lua_setfield(L, -2, "state");
    if (info->owner_pid > 0) {
        lua_pushinteger(L, info->owner_pid);
        lua_setfield(L, -2, "owner_pid");
        lua_pushboolean(L, vss_snapshot_owner_alive(info));
        lua_setfield(L, -2, "owner_alive");
        lua_pushinteger(L, (lua_Integer)info->created);
        lua_setfield(L, -2, "created");
    }
    lua_createtable(L, (int)info->nsnapshots, 0);
    for (size_t i = 0; i < info->nsnapshots; i++) {
        push_snapshot(L, &info->snapshots[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "snapshots");
}

static int set_describe(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lset *s = check_set(L, 1);
    push_set_info(L, vss_snapshot_set_describe(s->set));
    return 1;
}

static int set_id(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lset *s = check_set(L, 1);
    push_id(L, &vss_snapshot_set_describe(s->set)->id);
    return 1;
}

static int set_delete(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lset *s = check_set(L, 1);
    vss_error err;
    return vss_lua_okresult(L, vss_snapshot_set_delete(s->set, &err), &err);
}

static int set_release(lua_State *L)
{
    lset *s = luaL_checkudata(L, 1, SET_T);
    vss_snapshot_set_free(s->set);
    s->set = NULL;
    return 0;
}

static int set_tostring(lua_State *L)
{
    lset *s = luaL_checkudata(L, 1, SET_T);
    if (s->set == NULL) {
        lua_pushliteral(L, SET_T " (released)");
        return 1;
    }
    const vss_snapshot_set_info *info = vss_snapshot_set_describe(s->set);
    char id[VSS_GUID_BUFSIZE];
    vss_guid_format(&info->id, VSS_GUID_BRACED, id);
    lua_pushfstring(L, SET_T " %s (%s, %d snapshot%s)", id, info->state, (int)info->nsnapshots,
                    info->nsnapshots == 1 ? "" : "s");
    return 1;
}

static int snap_query(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    const char *path = luaL_optstring(L, 1, NULL);
    vss_snapshot_set_info *list = NULL;
    size_t n = 0;
    vss_error err;
    if (vss_snapshot_query(path, &list, &n, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        push_set_info(L, &list[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    vss_snapshot_query_free(list, n);
    return 1;
}

static int snap_cleanup(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    const char *path = luaL_optstring(L, 1, NULL);
    unsigned removed = 0;
    vss_error err;
    if (vss_snapshot_cleanup(path, &removed, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    lua_pushinteger(L, removed);
    return 1;
}

static int snap_delete(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    const char *s = luaL_checkstring(L, 1);
    vss_guid id;
    vss_error err;
    if (vss_guid_parse(s, VSS_GUID_BRACED, "snapshot id", &id, &err) != VSS_OK)
        return luaL_argerror(L, 1, err.message);
    return vss_lua_okresult(L, vss_snapshot_delete_id(&id, &err), &err);
}

static int snap_supported(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    const char *path = luaL_checkstring(L, 1);
    const char *provider = NULL;
    if (!lua_isnoneornil(L, 2) && (provider = find_provider(luaL_checkstring(L, 2))) == NULL) {
        lua_pushvalue(L, 2);
        field_option_error(L, 2, "provider", 0);
    }
    bool ok = false;
    char *reason = NULL;
    vss_error err;
    if (vss_snapshot_is_volume_supported(path, provider, &ok, &reason, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    lua_pushboolean(L, ok);
    lua_pushstring(L, reason ? reason : "");
    free(reason);
    return 2;
}

static int snap_freeze(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    const char *path = luaL_checkstring(L, 1);
    lua_Number t = luaL_optnumber(L, 2, 10);
    luaL_argcheck(L, t > 0 && t <= 3600, 2, "timeout: seconds in (0, 3600] expected");
    lfreeze *f = lua_newuserdatauv(L, sizeof *f, 0);
    f->f = NULL;
    luaL_setmetatable(L, FREEZE_T);
    vss_error err;
    if (vss_freeze(path, (unsigned)(t * 1000), &f->f, &err) != VSS_OK)
        return vss_lua_fail(L, &err);
    return 1;
}

static int freeze_thaw(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lfreeze *f = luaL_checkudata(L, 1, FREEZE_T);
    luaL_argcheck(L, f->f != NULL, 1, "already thawed");
    vss_freezer *fz = f->f;
    f->f = NULL;
    vss_error err;
    return vss_lua_okresult(L, vss_thaw(fz, &err), &err);
}

static int freeze_pid(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lfreeze *f = luaL_checkudata(L, 1, FREEZE_T);
    luaL_argcheck(L, f->f != NULL, 1, "already thawed");
    lua_pushinteger(L, vss_freezer_pid(f->f));
    return 1;
}

static int freeze_release(lua_State *L)
{
    lfreeze *f = luaL_checkudata(L, 1, FREEZE_T);
    vss_thaw(f->f, NULL);
    f->f = NULL;
    return 0;
}

static int freeze_tostring(lua_State *L)
{
    lfreeze *f = luaL_checkudata(L, 1, FREEZE_T);
    if (f->f == NULL)
        lua_pushliteral(L, FREEZE_T " (thawed)");
    else
        lua_pushfstring(L, FREEZE_T " %s (freezer pid %d)", vss_freezer_mountpoint(f->f),
                        (int)vss_freezer_pid(f->f));
    return 1;
}

int vss_lua_open_snapshot(lua_State *L)
{
    static const luaL_Reg set_meta[] = {
        {"__gc", set_release}, {"__close", set_release}, {"__tostring", set_tostring}, {NULL, NULL}};
    static const luaL_Reg set_methods[] = {
        {"add", set_add},           {"take", set_take},     {"path", set_path},
        {"expose", set_expose},     {"describe", set_describe}, {"id", set_id},
        {"delete", set_delete},     {"release", set_release}, {NULL, NULL}};
    static const luaL_Reg freeze_meta[] = {
        {"__gc", freeze_release}, {"__close", freeze_release}, {"__tostring", freeze_tostring}, {NULL, NULL}};
    static const luaL_Reg freeze_methods[] = {{"thaw", freeze_thaw}, {"pid", freeze_pid}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"set", set_new},          {"query", snap_query},
        {"cleanup", snap_cleanup}, {"delete", snap_delete},
        {"freeze", snap_freeze},   {"is_volume_supported", snap_supported},
        {NULL, NULL}};
    vss_lua_newclass(L, SET_T, set_meta, set_methods);
    vss_lua_newclass(L, FREEZE_T, freeze_meta, freeze_methods);
    luaL_newlib(L, funcs);
    vss_lua_export_methods(L, SET_T);
    vss_lua_export_methods(L, FREEZE_T);
    return 1;
}
