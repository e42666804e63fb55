/* vss.Dest and vss.DestFile: the destination of a restore
 * (csrc/dest/dest.h) and its pending files. Paths are data: a hostile one
 * returns nil, message, "ESCAPE" like any other operational failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dest/dest.h"
#include "binding.h"

#define DEST_T "vss.Dest"
#define FILE_T "vss.DestFile"

typedef struct {
    vss_dest *t;
} ldest;

typedef struct {
    vss_dest_file *f;
    char state[16]; /* "pending", "committed", "aborted" */
} lfile;

static vss_dest *check_dest(lua_State *L)
{
    ldest *u = luaL_checkudata(L, 1, DEST_T);
    if (u->t == NULL)
        luaL_error(L, "attempt to use a closed " DEST_T);
    return u->t;
}

static vss_dest_file *check_file(lua_State *L)
{
    lfile *u = luaL_checkudata(L, 1, FILE_T);
    if (u->f == NULL)
        luaL_error(L, "attempt to use a " FILE_T " already %s", u->state);
    return u->f;
}

/* A relative path argument: a NUL byte in it fails like any bad path
 * (NULL, e filled), for paths are data. */
static const char *relpath_arg(lua_State *L, int arg, vss_error *e)
{
    return vss_lua_checkcstring(L, arg, "path", e);
}

/* vss.dest(root [, {replace = bool}]) -> Dest | nil, msg, code (also
 * vss.restore.target, its deprecated name) */
static int l_open(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    const char *root = vss_lua_checkcstring(L, 1, "root", NULL);
    static const char *const known[] = {"replace", NULL};
    vss_lua_checkoptions(L, 2, known);
    unsigned flags = vss_lua_fieldbool(L, 2, "replace", false) ? VSS_DEST_REPLACE : 0;
    ldest *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->t = NULL;
    luaL_setmetatable(L, DEST_T);
    vss_error e;
    if (vss_dest_open(root, flags, &u->t, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

static int l_dest_close(lua_State *L)
{
    ldest *u = luaL_checkudata(L, 1, DEST_T);
    vss_dest_free(u->t);
    u->t = NULL;
    return 0;
}

static int l_dest_tostring(lua_State *L)
{
    ldest *u = luaL_checkudata(L, 1, DEST_T);
    if (u->t == NULL)
        lua_pushliteral(L, DEST_T " (closed)");
    else
        lua_pushfstring(L, DEST_T " (%s%s)", vss_dest_root(u->t),
                        vss_dest_flags(u->t) & VSS_DEST_REPLACE ? ", replace" : "");
    return 1;
}

static int l_root(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lua_pushstring(L, vss_dest_root(check_dest(L)));
    return 1;
}

/* t:path(relpath) -> the checked absolute path | nil, msg, code */
static int l_path(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_dest *t = check_dest(L);
    vss_error e;
    const char *rel = relpath_arg(L, 2, &e);
    char *p = rel ? vss_dest_path(t, rel, &e) : NULL;
    if (p == NULL)
        return vss_lua_fail(L, &e);
    lua_pushstring(L, p);
    free(p);
    return 1;
}

static int l_mkdir(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_dest *t = check_dest(L);
    vss_error e;
    const char *rel = relpath_arg(L, 2, &e);
    return vss_lua_okresult(L, rel ? vss_dest_mkdir(t, rel, &e) : VSS_FAIL, &e);
}

static int l_write_file(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_dest *t = check_dest(L);
    size_t len;
    const char *data = luaL_checklstring(L, 3, &len);
    vss_error e;
    const char *rel = relpath_arg(L, 2, &e);
    return vss_lua_okresult(L, rel ? vss_dest_write(t, rel, data, len, &e) : VSS_FAIL, &e);
}

/* The source file of a copy, opened read-only; -1 with e filled. */
static int open_source(lua_State *L, int arg, vss_error *e)
{
    const char *path = vss_lua_checkcstring(L, arg, "source", NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        vss_error_sys(e, errno, "source '%s'", path);
    return fd;
}

enum { COPY_WHOLE, DEST_PLAN, FILE_PLAN };

/* Open the source path at src_arg, make one engine copy from it onto t's
 * rel or onto f, close it; push the status. */
static int copy_from(lua_State *L, int kind, int src_arg, vss_dest *t, const char *rel,
                     vss_dest_file *f, const vss_range_copy *plan, size_t n, vss_error *e)
{
    int fd = kind == FILE_PLAN || rel != NULL ? open_source(L, src_arg, e) : -1;
    int rc = VSS_FAIL;
    if (fd >= 0) {
        if (kind == COPY_WHOLE)
            rc = vss_dest_copy(t, rel, fd, e);
        else if (kind == DEST_PLAN)
            rc = vss_dest_apply_plan(t, rel, fd, plan, n, e);
        else
            rc = vss_apply_copy_plan(fd, vss_dest_file_fd(f), plan, n, e);
        close(fd);
    }
    return vss_lua_okresult(L, rc, e);
}

/* t:copy_file(relpath, source_path) -> true | nil, msg, code */
static int l_copy_file(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_dest *t = check_dest(L);
    vss_error e;
    const char *rel = relpath_arg(L, 2, &e);
    return copy_from(L, COPY_WHOLE, 3, t, rel, NULL, NULL, 0, &e);
}

static uint64_t plan_field(lua_State *L, int arg, lua_Integer i, const char *key)
{
    lua_getfield(L, -1, key);
    int isnum;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum || v < 0)
        luaL_argerror(L, arg,
                      lua_pushfstring(L, "plan: entry %I: %s must be a non-negative integer", i, key));
    lua_pop(L, 1);
    return (uint64_t)v;
}

/* A plan as vss.ranges.map returns it: { {src=, dst=, length=}, ... }. */
static vss_range_copy *check_plan(lua_State *L, int arg, size_t *n)
{
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_Integer count = luaL_len(L, arg);
    vss_range_copy *plan = lua_newuserdatauv(L, (size_t)count * sizeof *plan + 1, 0);
    for (lua_Integer i = 1; i <= count; i++) {
        if (lua_geti(L, arg, i) != LUA_TTABLE)
            luaL_argerror(L, arg, lua_pushfstring(L, "plan: entry %I is not a table", i));
        plan[i - 1].src_offset = plan_field(L, arg, i, "src");
        plan[i - 1].dst_offset = plan_field(L, arg, i, "dst");
        plan[i - 1].length = plan_field(L, arg, i, "length");
        lua_pop(L, 1);
    }
    *n = (size_t)count;
    return plan;
}

/* t:apply_plan(relpath, source_path, plan) -> true | nil, msg, code
 * (lua/vss/dest.lua adds the form with two range lists). */
static int l_apply_plan(lua_State *L)
{
    vss_lua_checknargs(L, 4);
    vss_dest *t = check_dest(L);
    size_t n;
    vss_range_copy *plan = check_plan(L, 4, &n);
    vss_error e;
    const char *rel = relpath_arg(L, 2, &e);
    return copy_from(L, DEST_PLAN, 3, t, rel, NULL, plan, n, &e);
}

typedef int (*begin_fn)(vss_dest *, const char *, vss_dest_file **, vss_error *);

static int begin(lua_State *L, begin_fn fn)
{
    vss_lua_checknargs(L, 2);
    vss_dest *t = check_dest(L);
    vss_error e;
    const char *rel = relpath_arg(L, 2, &e);
    if (rel == NULL)
        return vss_lua_fail(L, &e);
    lfile *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->f = NULL;
    strcpy(u->state, "aborted");
    luaL_setmetatable(L, FILE_T);
    if (fn(t, rel, &u->f, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    strcpy(u->state, "pending");
    return 1;
}

/* t:begin_file(relpath) / t:begin_update(relpath) -> DestFile | nil, msg, code */
static int l_begin_file(lua_State *L)
{
    return begin(L, vss_dest_begin_file);
}

static int l_begin_update(lua_State *L)
{
    return begin(L, vss_dest_begin_update);
}

static int l_file_fd(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lua_pushinteger(L, vss_dest_file_fd(check_file(L)));
    return 1;
}

/* f:apply_plan(source_path, plan) -> true | nil, msg, code: one more
 * source laid onto the pending file (a destination fed by several). */
static int l_file_apply_plan(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_dest_file *f = check_file(L);
    size_t n;
    vss_range_copy *plan = check_plan(L, 3, &n);
    vss_error e;
    return copy_from(L, FILE_PLAN, 2, NULL, NULL, f, plan, n, &e);
}

static int l_file_commit(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_dest_file *f = check_file(L);
    lfile *u = lua_touserdata(L, 1);
    u->f = NULL;
    vss_error e;
    int rc = vss_dest_file_commit(f, &e);
    strcpy(u->state, rc == VSS_OK ? "committed" : "aborted");
    return vss_lua_okresult(L, rc, &e);
}

/* f:abort(), __close, __gc: drop the temporary unless committed; idempotent. */
static int l_file_abort(lua_State *L)
{
    lfile *u = luaL_checkudata(L, 1, FILE_T);
    if (u->f != NULL) {
        vss_dest_file_abort(u->f);
        u->f = NULL;
        strcpy(u->state, "aborted");
    }
    return 0;
}

static int l_file_tostring(lua_State *L)
{
    lfile *u = luaL_checkudata(L, 1, FILE_T);
    if (u->f == NULL)
        lua_pushfstring(L, FILE_T " (%s)", u->state);
    else
        lua_pushfstring(L, FILE_T " (pending, fd %d)", vss_dest_file_fd(u->f));
    return 1;
}

int vss_lua_open_dest(lua_State *L)
{
    static const luaL_Reg dest_meta[] = {
        {"__gc", l_dest_close}, {"__close", l_dest_close}, {"__tostring", l_dest_tostring}, {NULL, NULL}};
    static const luaL_Reg dest_methods[] = {
        {"root", l_root},           {"path", l_path},
        {"mkdir", l_mkdir},         {"write_file", l_write_file},
        {"copy_file", l_copy_file}, {"apply_plan", l_apply_plan},
        {"begin_file", l_begin_file}, {"begin_update", l_begin_update},
        {"close", l_dest_close},  {NULL, NULL}};
    static const luaL_Reg file_meta[] = {
        {"__gc", l_file_abort}, {"__close", l_file_abort}, {"__tostring", l_file_tostring}, {NULL, NULL}};
    static const luaL_Reg file_methods[] = {
        {"fd", l_file_fd},       {"apply_plan", l_file_apply_plan}, {"commit", l_file_commit},
        {"abort", l_file_abort}, {NULL, NULL}};
    vss_lua_newclass(L, DEST_T, dest_meta, dest_methods);
    vss_lua_newclass(L, FILE_T, file_meta, file_methods);
    lua_newtable(L);
    lua_pushcfunction(L, l_open);
    lua_setfield(L, -2, "open");
    vss_lua_export_methods(L, DEST_T);
    vss_lua_export_methods(L, FILE_T);
    return 1;
}
