/* vss.Walker: the open walk of d:walk{...} (filespec.c reads its options),
 * fourth value of the generic for so that `break` closes its directories. */
#include <stdlib.h>
#include <string.h>

#include "filespec_types.h"

enum { W_OPEN, W_DONE, W_CLOSED };

typedef struct {
    vss_walker *w;
    int state;
} lwalker;

static void release(lwalker *p, int state)
{
    vss_walker_free(p->w);
    p->w = NULL;
    if (p->state != W_CLOSED)
        p->state = state;
}

static lwalker *check_walker(lua_State *L, int idx)
{
    lwalker *p = luaL_checkudata(L, idx, VSS_WALKER_T);
    if (p->state == W_CLOSED)
        luaL_error(L, "attempt to use a closed " VSS_WALKER_T);
    return p;
}

/* The iterator is a closure whose upvalues are the entry's keys and kind
 * names, made once: setting a field then costs no string lookup, which is
 * a good part of the per-entry time on a big tree. */
enum {
    K_PATH = 1, K_ORIGINAL, K_RELPATH, K_NAME, K_KIND, K_MODE, K_SIZE, K_MTIME, K_MTIME_NSEC,
    K_UID, K_GID, K_INO, K_DEV, K_NLINK, K_ERROR, K_CODE, K_ERRNO,
    K_KIND0, /* vss_entry_kind names follow, in enum order */
    N_UPVALUES = K_KIND0 + VSS_ENTRY_ERROR
};
static const char *const keys[] = {"path", "original", "relpath", "name", "kind", "mode", "size",
                                   "mtime", "mtime_nsec", "uid", "gid", "ino", "dev", "nlink",
                                   "error", "code", "errno"};

#define KEY(k) lua_pushvalue(L, lua_upvalueindex(k))

static void set_int(lua_State *L, int k, lua_Integer v)
{
    KEY(k);
    lua_pushinteger(L, v);
    lua_rawset(L, -3);
}

/* lua_pushstring goes through Lua's string cache keyed by the pointer;
 * the walker's buffers sit at one address, so every lookup would strcmp
 * against the previous path. With the length given, none is made. */
static void push_str(lua_State *L, const char *v)
{
    lua_pushlstring(L, v, strlen(v));
}

static void set_str(lua_State *L, int k, const char *v)
{
    KEY(k);
    push_str(L, v);
    lua_rawset(L, -3);
}

static void push_entry(lua_State *L, const vss_walk_entry *en)
{
    lua_createtable(L, 0, 16);
    KEY(K_PATH);
    push_str(L, en->path);
    if (en->original == en->path) {
        KEY(K_ORIGINAL);
        lua_pushvalue(L, -2);
        lua_rawset(L, -5);
        lua_rawset(L, -3);
    } else {
        lua_rawset(L, -3);
        set_str(L, K_ORIGINAL, en->original);
    }
    set_str(L, K_RELPATH, en->relpath);
    set_str(L, K_NAME, en->name);
    KEY(K_KIND);
    KEY(K_KIND0 + (int)en->kind);
    lua_rawset(L, -3);
    if (en->has_stat) {
        const struct stat *st = &en->st;
        set_int(L, K_MODE, (lua_Integer)st->st_mode);
        set_int(L, K_SIZE, (lua_Integer)st->st_size);
        set_int(L, K_MTIME, (lua_Integer)st->st_mtim.tv_sec);
        set_int(L, K_MTIME_NSEC, (lua_Integer)st->st_mtim.tv_nsec);
        set_int(L, K_UID, (lua_Integer)st->st_uid);
        set_int(L, K_GID, (lua_Integer)st->st_gid);
        set_int(L, K_INO, (lua_Integer)st->st_ino);
        set_int(L, K_DEV, (lua_Integer)st->st_dev);
        set_int(L, K_NLINK, (lua_Integer)st->st_nlink);
    }
    if (en->kind == VSS_ENTRY_ERROR) {
        set_str(L, K_ERROR, en->message);
        set_str(L, K_CODE, vss_code_name(en->code));
        set_int(L, K_ERRNO, en->sys_errno);
    }
}

/* The iterator: walker:next() -> entry table, or nil at the end (which
 * also closes the directories at once). */
static int w_next(lua_State *L)
{
    lwalker *p = check_walker(L, 1);
    lua_settop(L, 1);
    if (p->state == W_DONE)
        return 0;
    const vss_walk_entry *en;
    if (vss_walker_next(p->w, &en) == 0) {
        release(p, W_DONE);
        return 0;
    }
    push_entry(L, en);
    return 1;
}

static int w_close(lua_State *L)
{
    lwalker *p = luaL_checkudata(L, 1, VSS_WALKER_T);
    release(p, W_CLOSED);
    p->state = W_CLOSED;
    return 0;
}

static int w_tostring(lua_State *L)
{
    lwalker *p = luaL_checkudata(L, 1, VSS_WALKER_T);
    if (p->state == W_OPEN)
        lua_pushfstring(L, VSS_WALKER_T " (open, %d directories deep)",
                        (int)vss_walker_depth(p->w));
    else
        lua_pushstring(L, p->state == W_DONE ? VSS_WALKER_T " (done)" : VSS_WALKER_T " (closed)");
    return 1;
}

int vss_lua_walk_open(lua_State *L, const vss_filedesc *d, const vss_pathmap *map,
                      vss_walk_options *o)
{
    lwalker *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->w = NULL;
    p->state = W_CLOSED; /* born closed: __gc is safe if open fails */
    luaL_setmetatable(L, VSS_WALKER_T);
    /* nothing raises from here to the clear: the paths are C memory */
    vss_walk_paths paths = {0};
    vss_error e;
    int rc = VSS_OK;
    if (map != NULL) {
        rc = vss_walk_paths_resolve(&paths, map, d, o->excludes, o->exclude_count, &e);
        o->original_root = paths.original;
        o->root = paths.read;
        o->excludes = paths.excludes;
    }
    if (rc == VSS_OK)
        rc = vss_walker_open(&p->w, d, o, &e);
    vss_walk_paths_clear(&paths);
    if (rc != VSS_OK)
        return vss_lua_fail(L, &e);
    p->state = W_OPEN;
    luaL_getmetafield(L, -1, "__index");
    lua_getfield(L, -1, "next");
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    lua_pushnil(L);
    lua_pushvalue(L, -4);
    return 4;
}

static void push_next(lua_State *L)
{
    for (int k = K_PATH; k < K_KIND0; k++)
        lua_pushstring(L, keys[k - 1]);
    for (int k = 0; k <= VSS_ENTRY_ERROR; k++)
        lua_pushstring(L, vss_entry_kind_name((vss_entry_kind)k));
    lua_pushcclosure(L, w_next, N_UPVALUES);
}

void vss_lua_register_walker(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", w_close},
                                    {"__close", w_close},
                                    {"__tostring", w_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"close", w_close}, {NULL, NULL}};
    vss_lua_newclass(L, VSS_WALKER_T, meta, methods);
    luaL_getmetatable(L, VSS_WALKER_T);
    lua_getfield(L, -1, "__index");
    push_next(L);
    lua_setfield(L, -2, "next");
    lua_pop(L, 2);
}
