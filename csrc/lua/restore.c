/* vss.core.restore.run(store_path, writers, options): the binding of
 * vss_restore (csrc/engine/restore.h), the whole chain in one call;
 * lua/vss/restore.lua checks the options and offers `vss.restore{...}`. */
#include <stdlib.h>
#include <string.h>

#include "base/cancel.h"
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
    if (lua_getfield(L, t, "backup") != LUA_TNIL && !lua_isstring(L, -1))
        luaL_argerror(L, t, "backup: string expected");
    o->backup = lua_tostring(L, -1);
    o->select = vss_lua_strings_field(L, t, "select", &o->nselect);
    o->paths = vss_lua_strings_field(L, t, "paths", &o->npaths);
    lua_getfield(L, t, "location");
    const char *loc = vss_lua_optstr(L, -1);
    o->location = loc ? vss_restore_location_parse(loc) : VSS_RESTORE_LOCATION_ORIGINAL;
    if (o->location == 0)
        luaL_argerror(L, t, lua_pushfstring(L, "location: invalid value '%s'", loc));
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
    } else {
        o->service = vss_restore_systemctl;
    }
    o->progress = vss_lua_progress_field(L, t, lp);
    o->progress_ud = lp;
}

/* Where each step's documents go: into the step list at `docs`, and into
 * the stack slot the writers' handlers read their BCD from. */
typedef struct lsteps {
    lua_State *L;
    int docs, slot;
    lua_Integer n;
} lsteps;

/* (step, docs, k): the step's documents become Lua objects, docs[k] */
static int adopt_step(lua_State *L)
{
    vss_restore_step *s = lua_touserdata(L, 1);
    vss_lua_adoptbc(L, &s->bc, s->wms, s->nwms);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 2, lua_tointeger(L, 3));
    return 1;
}

static int on_step(void *ud, vss_restore_step *s, vss_error *e)
{
    lsteps *ls = ud;
    lua_State *L = ls->L;
    if (!lua_checkstack(L, 4))
        return vss_error_set(e, ENOMEM, "out of memory");
    lua_pushcfunction(L, adopt_step);
    lua_pushlightuserdata(L, s);
    lua_pushvalue(L, ls->docs);
    lua_pushinteger(L, ++ls->n);
    if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
        vss_error_set(e, ENOMEM, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "out of memory");
        lua_pop(L, 1);
        return VSS_FAIL;
    }
    lua_replace(L, ls->slot);
    return VSS_OK;
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
    C_FIELD("backup", VSS_LUA_STR, backup, NULL),
};

static void push_files(lua_State *L, const vss_restore_file_result *files, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const vss_restore_file_result *f = &files[i];
        VSS_LUA_PUSHFIELDS(L, f, file_fields);
        lua_pushstring(L, vss_restore_file_status_name(f->status));
        lua_setfield(L, -2, "status");
        vss_lua_pushstr(L, f->code ? vss_code_name(f->code) : NULL);
        lua_setfield(L, -2, "code");
        if (f->component != VSS_RESTORE_NO_COMPONENT) { /* none: an entry no file set owns */
            lua_pushinteger(L, (lua_Integer)f->component + 1);
            lua_setfield(L, -2, "component");
        }
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_components(lua_State *L, const vss_restore_component_result *c, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        VSS_LUA_PUSHFIELDS(L, &c[i], component_fields);
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
}

/* The totals a step and the whole share. */
static void push_totals(lua_State *L, uint64_t bytes, uint64_t size, size_t restored, size_t failed,
                        bool reboot_required)
{
    vss_lua_pushu64(L, bytes, "bytes");
    lua_setfield(L, -2, "bytes");
    vss_lua_pushu64(L, size, "size");
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)restored);
    lua_setfield(L, -2, "restored");
    lua_pushinteger(L, (lua_Integer)failed);
    lua_setfield(L, -2, "failed");
    lua_pushboolean(L, reboot_required);
    lua_setfield(L, -2, "reboot_required");
}

/* steps[k] = {backup=, files=, components=, bytes=, restored=, failed=,
 * reboot_required=, components_document=docs[k]} */
static void push_steps(lua_State *L, const vss_restore_result *r, int docs)
{
    lua_createtable(L, (int)r->nsteps, 0);
    for (size_t k = 0; k < r->nsteps; k++) {
        const vss_restore_step *s = &r->steps[k];
        lua_createtable(L, 0, 8);
        lua_pushstring(L, s->backup);
        lua_setfield(L, -2, "backup");
        push_files(L, s->files, s->nfiles);
        lua_setfield(L, -2, "files");
        push_components(L, s->components, s->ncomponents);
        lua_setfield(L, -2, "components");
        push_totals(L, s->bytes, s->size, s->restored, s->failed, s->reboot_required);
        lua_geti(L, docs, (lua_Integer)k + 1);
        lua_setfield(L, -2, "components_document");
        lua_seti(L, -2, (lua_Integer)k + 1);
    }
}

static void push_result(lua_State *L, const vss_restore_result *r, int docs)
{
    lua_createtable(L, 0, 12);
    lua_pushstring(L, r->backup);
    lua_setfield(L, -2, "backup");
    lua_createtable(L, (int)r->nchain, 0);
    for (size_t i = 0; i < r->nchain; i++) {
        lua_pushstring(L, r->chain[i].id);
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "chain");
    push_steps(L, r, docs);
    lua_setfield(L, -2, "steps");
    /* every component, as the last step that had it left it */
    push_components(L, r->components, r->ncomponents);
    lua_setfield(L, -2, "components");
    push_files(L, r->files, r->nfiles);
    lua_setfield(L, -2, "files");
    push_totals(L, r->bytes, r->size, r->restored, r->failed, r->reboot_required);
    if (r->stopped != NULL) {
        lua_pushstring(L, r->stopped);
        lua_setfield(L, -2, "stopped");
    }
}

/* run(store_path, writers | nil, {backup=, select=, paths=, location=, to=,
 * new_targets=, root=, overwrite=, restore_type=, service=, progress=})
 * -> result | nil, message, code [, result] (vss_restore: the result
 * with EPARTIAL and EPOSTRESTORE) */
static int r_run(lua_State *L)
{
    const char *store_path = luaL_checkstring(L, 1);
    if (!lua_isnil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    vss_lua_checknargs(L, 3);
    vss_restore_options o = {0};
    lservice svc;
    vss_lua_progress lp;
    read_options(L, 3, &o, &svc, &lp);
    lua_newtable(L); /* each step's BackupComponents */
    lsteps ls = {.L = L, .docs = lua_gettop(L)};
    lua_pushnil(L);
    ls.slot = lua_gettop(L);
    o.on_step = on_step;
    o.step_ud = &ls;
    int top = lua_gettop(L);
    size_t nw = 0;
    vss_writer **ws = lua_isnil(L, 2) ? NULL : vss_lua_writers_bind(L, 2, ls.slot, &nw);
    vss_restore_result *r = NULL;
    vss_error e;
    /* as in vss.backup: a signal stops the run with ECANCELED, then is raised again */
    int rc = vss_cancel_enter(&e);
    if (rc == VSS_OK) {
        rc = vss_restore(store_path, ws, nw, &o, &r, &e);
        if (rc != VSS_OK && r == NULL && e.code != ECANCELED)
            vss_cancel_check(&e, "restore");
        vss_cancel_leave();
    }
    if (ws != NULL)
        vss_lua_writers_unbind(L, 2, top);
    if (rc != VSS_OK && r == NULL) {
        if (lp.err[0] != '\0')
            vss_error_set(&e, ECANCELED, "%s", lp.err);
        return vss_lua_fail(L, &e);
    }
    int n = 1;
    if (rc != VSS_OK)
        n = vss_lua_fail(L, &e) + 1;
    push_result(L, r, ls.docs);
    vss_restore_result_free(r);
    return n;
}
int vss_lua_open_restore(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"run", r_run}, {NULL, NULL}};
    luaL_newlib(L, funcs);
    /* locations = {"original", "alternate", "new"}: the engine's names */
    lua_newtable(L);
    for (int l = 1; vss_restore_location_name(l) != NULL; l++) {
        lua_pushstring(L, vss_restore_location_name(l));
        lua_rawseti(L, -2, l);
    }
    lua_setfield(L, -2, "locations");
    return 1;
}
