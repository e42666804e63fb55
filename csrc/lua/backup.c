/* vss.core.backup.run(session, bc, store_path, options): the binding of
 * vss_backup_run (csrc/engine/backup.h). lua/vss/backup.lua makes the session
 * and the BackupComponents and offers `vss.backup{...}`. */
#include <stdlib.h>
#include <string.h>

#include "base/cancel.h"
#include "engine/backup.h"
#include "docs.h"
#include "filespec_types.h"
#include "progress.h"
#include "writer_bind.h"

/* session:status()'s entries, with what the backup did with each writer */
static void push_writers(lua_State *L, const vss_writers *ws, const vss_backup_result *r)
{
    lua_createtable(L, (int)r->nwriters, 0);
    for (size_t i = 0; i < r->nwriters; i++) {
        const vss_backup_writer_result *w = &r->writers[i];
        vss_lua_push_writer_status(L, ws, w->writer);
        if (w->included) {
            vss_lua_pushenum(L, &vss_enum_backup_type, w->type);
            lua_setfield(L, -2, "type");
        }
        lua_pushboolean(L, w->included);
        lua_setfield(L, -2, "included");
        lua_pushboolean(L, w->skipped);
        lua_setfield(L, -2, "skipped");
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
}

/* run(session, bc, store_path, {type=, partial_file_support=,
 * bootable_system_state=, select=, snapshot=, root=, progress=}) -> result | nil, message, code, writers */
static int b_run(lua_State *L)
{
    vss_backup_components *bc = vss_lua_checkbc(L, 2);
    const char *store_path = luaL_checkstring(L, 3);
    luaL_checktype(L, 4, LUA_TTABLE);
    vss_lua_checknargs(L, 4);
    vss_backup_options o = {0};
    o.type = vss_lua_fieldenum(L, 4, "type", &vss_enum_backup_type, VSS_BT_FULL);
    if (o.type < VSS_BT_FULL || o.type > VSS_BT_COPY)
        luaL_argerror(L, 4, "type: full, incremental, differential, log or copy expected");
    o.partial_file_support = vss_lua_fieldbool(L, 4, "partial_file_support", false);
    o.bootable_system_state = vss_lua_fieldbool(L, 4, "bootable_system_state", false);
    o.select = vss_lua_strings_field(L, 4, "select", &o.nselect);
    if (lua_getfield(L, 4, "snapshot") == LUA_TSTRING)
        o.snapshot = lua_tostring(L, -1);
    else
        luaL_argexpected(L, !lua_toboolean(L, -1), 4, "snapshot: string or false");
    if (lua_getfield(L, 4, "root") != LUA_TNIL &&
        (o.root = vss_lua_topathmap(L, -1)) == NULL)
        luaL_argerror(L, 4, "root: vss.PathMap expected");
    vss_lua_progress lp;
    o.progress = vss_lua_progress_field(L, 4, &lp);
    o.progress_ud = &lp;
    int top = lua_gettop(L);
    vss_writers *ws = vss_lua_session_bind(L, 1, 2);
    vss_backup_result r;
    vss_error e;
    /* SIGINT/SIGTERM/SIGHUP stop the run (ECANCELED, nothing committed);
     * leaving puts the script's handlers back and raises the signal again */
    int rc = vss_cancel_enter(&e);
    if (rc == VSS_OK) {
        rc = vss_backup_run(ws, bc, store_path, &o, &r, &e);
        if (rc != VSS_OK && e.code != ECANCELED)
            vss_cancel_check(&e, "backup");
        vss_cancel_leave();
    } else {
        memset(&r, 0, sizeof r);
    }
    vss_lua_session_unbind(L, 1, top);
    if (rc != VSS_OK) {
        if (lp.err[0] != '\0')
            vss_error_set(&e, ECANCELED, "%s", lp.err);
        vss_lua_fail(L, &e);
        push_writers(L, ws, &r);
        vss_backup_result_clear(&r);
        return 4;
    }
    lua_createtable(L, 0, 6);
    lua_pushstring(L, r.id);
    lua_setfield(L, -2, "id");
    vss_lua_pushenum(L, &vss_enum_backup_type, r.type);
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)r.files);
    lua_setfield(L, -2, "files");
    vss_lua_pushu64(L, r.bytes, "bytes");
    lua_setfield(L, -2, "bytes");
    vss_lua_pushu64(L, r.size, "size");
    lua_setfield(L, -2, "size");
    lua_createtable(L, (int)r.nskipped, 0);
    for (size_t i = 0; i < r.nskipped; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, r.skipped[i].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, r.skipped[i].why);
        lua_setfield(L, -2, "reason");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "skipped");
    push_writers(L, ws, &r);
    lua_setfield(L, -2, "writers");
    vss_backup_result_clear(&r);
    return 1;
}

int vss_lua_open_backup(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"run", b_run}, {NULL, NULL}};
    luaL_newlib(L, funcs);
    return 1;
}
