/* vss.core.restore.run(session|nil, bc, store_path, options): the binding
 * of vss_restore_run (csrc/engine/restore.h). lua/vss/restore.lua resolves the
 * chain, loads each step's documents and offers `vss.restore{...}`. */
#include <stdlib.h>
#include <string.h>

#include "engine/restore.h"
#include "docs.h"
#include "filespec_types.h"
#include "progress.h"
#include "writer_bind.h"

static const char *string_of(lua_State *L, int t, int idx, const char *what, size_t i)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_argerror(L, t, lua_pushfstring(L, "new_targets[%d].%s: string expected", (int)i, what));
    return lua_tostring(L, idx);
}

/* new_targets = { {path=, filespec=, recursive=, to=}, ... } */
static vss_restore_new_target *new_targets_field(lua_State *L, int t, size_t *n)
{
    *n = 0;
    if (lua_getfield(L, t, "new_targets") == LUA_TNIL)
        return NULL;
    if (!lua_istable(L, -1))
        luaL_argerror(L, t, "new_targets: table expected");
    int list = lua_gettop(L);
    size_t len = (size_t)luaL_len(L, list);
    vss_restore_new_target *v = lua_newuserdatauv(L, (len + 1) * sizeof *v, 0);
    for (size_t i = 0; i < len; i++) {
        if (lua_geti(L, list, (lua_Integer)i + 1) != LUA_TTABLE)
            luaL_argerror(L, t, lua_pushfstring(L, "new_targets[%d]: table expected", (int)i + 1));
        int nt = lua_gettop(L);
        lua_getfield(L, nt, "path");
        lua_getfield(L, nt, "filespec");
        lua_getfield(L, nt, "to");
        lua_getfield(L, nt, "recursive");
        /* the strings live in the entry table, which the list keeps */
        v[i] = (vss_restore_new_target){.path = string_of(L, t, nt + 1, "path", i + 1),
                                        .filespec = string_of(L, t, nt + 2, "filespec", i + 1),
                                        .to = string_of(L, t, nt + 3, "to", i + 1),
                                        .recursive = lua_toboolean(L, nt + 4)};
        lua_settop(L, nt - 1);
    }
    *n = len;
    return v;
}

typedef struct lservice {
    lua_State *L;
    int fn;
} lservice;

/* service(action, name) -> true | nil, message */
static int call_service(void *ud, const char *action, const char *service, vss_error *e)
{
    lservice *s = ud;
    lua_State *L = s->L;
    lua_pushvalue(L, s->fn);
    lua_pushstring(L, action);
    lua_pushstring(L, service);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
        vss_error_set(e, VSS_ESERVICE, "service '%s' %s: %s", service, action,
                      lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
        return VSS_FAIL;
    }
    int rc = VSS_OK;
    if (!lua_toboolean(L, -2))
        rc = vss_error_set(e, VSS_ESERVICE, "service '%s' %s: %s", service, action,
                           lua_tostring(L, -1) ? lua_tostring(L, -1) : "failed");
    lua_pop(L, 2);
    return rc;
}

static void read_options(lua_State *L, int t, vss_restore_options *o, lservice *svc,
                         vss_lua_progress *lp)
{
    o->steps = vss_lua_strings_field(L, t, "steps", &o->nsteps);
    o->select = vss_lua_strings_field(L, t, "select", &o->nselect);
    o->more_follow = vss_lua_fieldbool(L, t, "more_follow", false);
    o->continues = vss_lua_fieldbool(L, t, "continues", false);
    static const char *const targets[] = {"original", "alternate", "new", NULL};
    lua_getfield(L, t, "target");
    o->target = luaL_checkoption(L, -1, "original", targets) + 1;
    lua_getfield(L, t, "to");
    o->to = lua_tostring(L, -1);
    o->new_targets = new_targets_field(L, t, &o->nnew_targets);
    if (lua_getfield(L, t, "root") != LUA_TNIL && (o->root = vss_lua_topathmap(L, -1)) == NULL)
        luaL_argerror(L, t, "root: vss.PathMap expected");
    lua_getfield(L, t, "overwrite");
    o->overwrite = lua_isnil(L, -1) ? -1 : lua_toboolean(L, -1);
    o->restore_type = vss_lua_fieldenum(L, t, "restore_type", &vss_enum_restore_type, 0);
    if (lua_getfield(L, t, "service") != LUA_TNIL) {
        luaL_argexpected(L, lua_isfunction(L, -1), t, "service: function");
        *svc = (lservice){.L = L, .fn = lua_gettop(L)};
        o->service = call_service;
        o->service_ud = svc;
    }
    o->progress = vss_lua_progress_field(L, t, lp);
    o->progress_ud = lp;
}

#define F_FIELD(name, kind, member, en) VSS_LUA_FIELD(vss_restore_file_result, name, kind, member, en)
static const vss_lua_field file_fields[] = {
    F_FIELD("name", VSS_LUA_STR, name, NULL),
    F_FIELD("path", VSS_LUA_STR, path, NULL),
    F_FIELD("message", VSS_LUA_STR, message, NULL),
};

#define C_FIELD(name, kind, member, en) \
    VSS_LUA_FIELD(vss_restore_component_result, name, kind, member, en)
static const vss_lua_field component_fields[] = {
    C_FIELD("writer", VSS_LUA_STR, writer, NULL),
    C_FIELD("logical_path", VSS_LUA_STR, logical_path, NULL),
    C_FIELD("name", VSS_LUA_STR, name, NULL),
    C_FIELD("target", VSS_LUA_ENUM, target, &vss_enum_restore_target),
    C_FIELD("method", VSS_LUA_ENUM, method, &vss_enum_restore_method),
    C_FIELD("status", VSS_LUA_ENUM, status, &vss_enum_file_restore_status),
    C_FIELD("pre_restore_failure", VSS_LUA_STR, pre_restore_failure, NULL),
    C_FIELD("post_restore_failure", VSS_LUA_STR, post_restore_failure, NULL),
};

static void push_files(lua_State *L, const vss_restore_result *r)
{
    lua_createtable(L, (int)r->nfiles, 0);
    for (size_t i = 0; i < r->nfiles; i++) {
        const vss_restore_file_result *f = &r->files[i];
        VSS_LUA_PUSHFIELDS(L, f, file_fields);
        lua_pushstring(L, vss_restore_file_status_name(f->status));
        lua_setfield(L, -2, "status");
        vss_lua_pushstr(L, f->code ? vss_code_name(f->code) : NULL);
        lua_setfield(L, -2, "code");
        lua_pushinteger(L, (lua_Integer)f->component + 1);
        lua_setfield(L, -2, "component");
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_components(lua_State *L, const vss_restore_result *r)
{
    lua_createtable(L, (int)r->ncomponents, 0);
    for (size_t i = 0; i < r->ncomponents; i++) {
        VSS_LUA_PUSHFIELDS(L, &r->components[i], component_fields);
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
}

/* run(session | nil, bc, store_path, {steps=, more_follow=, continues=,
 * select=, target=, to=, new_targets=, root=, overwrite=, restore_type=,
 * service=, progress=}) -> {files=, components=, bytes=, restored=,
 * failed=, reboot_required=} | nil, message, code */
static int r_run(lua_State *L)
{
    vss_backup_components *bc = vss_lua_checkbc(L, 2);
    const char *store_path = luaL_checkstring(L, 3);
    luaL_checktype(L, 4, LUA_TTABLE);
    vss_lua_checknargs(L, 4);
    vss_restore_options o = {0};
    lservice svc;
    vss_lua_progress lp;
    read_options(L, 4, &o, &svc, &lp);
    int top = lua_gettop(L);
    vss_writers *ws = lua_isnil(L, 1) ? NULL : vss_lua_session_bind(L, 1, 2);
    vss_restore_result r;
    vss_error e;
    int rc = vss_restore_run(ws, bc, store_path, &o, &r, &e);
    if (ws != NULL)
        vss_lua_session_unbind(L, 1, top);
    if (rc != VSS_OK) {
        if (lp.err[0] != '\0')
            vss_error_set(&e, ECANCELED, "%s", lp.err);
        return vss_lua_fail(L, &e);
    }
    lua_createtable(L, 0, 6);
    push_files(L, &r);
    lua_setfield(L, -2, "files");
    push_components(L, &r);
    lua_setfield(L, -2, "components");
    lua_pushinteger(L, (lua_Integer)r.bytes);
    lua_setfield(L, -2, "bytes");
    lua_pushinteger(L, (lua_Integer)r.restored);
    lua_setfield(L, -2, "restored");
    lua_pushinteger(L, (lua_Integer)r.failed);
    lua_setfield(L, -2, "failed");
    lua_pushboolean(L, r.reboot_required);
    lua_setfield(L, -2, "reboot_required");
    vss_restore_result_clear(&r);
    return 1;
}

int vss_lua_open_restore(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"run", r_run}, {NULL, NULL}};
    luaL_newlib(L, funcs);
    return 1;
}
