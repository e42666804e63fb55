/* vss.filespec: file descriptors (vss.FileDesc), filespec matching, and the
 * constructors of path maps and walkers. */
#include <stdio.h>
#include <string.h>

#include "documents/enums.h"
#include "filespec_types.h"

/* Backup-type bits by the engine's table (documents/enums.h); its group
 * entries (all_backup_required) are accepted on input only. */
static const vss_enum *const backup_types = &vss_enum_file_spec_backup_type;

/* A backup-type mask at idx: a list of names or a number. */
static uint32_t check_mask(lua_State *L, int idx, int arg)
{
    if (lua_isinteger(L, idx)) {
        lua_Integer v = lua_tointeger(L, idx);
        if (v < 0 || !vss_enum_mask_valid(backup_types, (uint64_t)v)) {
            char msg[64];
            snprintf(msg, sizeof msg, "backup_type: unknown bits in 0x%llx", (long long)v);
            return (uint32_t)luaL_argerror(L, arg, msg);
        }
        return (uint32_t)v;
    }
    if (!lua_istable(L, idx))
        return (uint32_t)luaL_argerror(
            L, arg,
            lua_pushfstring(L, "backup_type: list of names or integer expected, got %s",
                            luaL_typename(L, idx)));
    uint32_t mask = 0;
    lua_Integer n = luaL_len(L, idx);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, idx, i);
        const char *s = lua_tostring(L, -1);
        int64_t bits;
        if (s == NULL || lua_type(L, -1) != LUA_TSTRING || !vss_enum_value(backup_types, s, &bits))
            return (uint32_t)luaL_argerror(
                L, arg,
                lua_pushfstring(L, "backup_type: unknown name '%s' at entry %d",
                                s ? s : luaL_typename(L, -1), (int)i));
        mask |= (uint32_t)bits;
        lua_pop(L, 1);
    }
    return mask;
}

static const char *opt_string(lua_State *L, int idx, int arg, const char *what, const char *name)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    if (lua_type(L, idx) != LUA_TSTRING) {
        luaL_argerror(L, arg,
                      lua_pushfstring(L, "%s%s%s: string expected, got %s", what ? what : "",
                                      what ? "." : "", name, luaL_typename(L, idx)));
    }
    return lua_tostring(L, idx);
}

/* Fill out from the five values at base..base+4 (path, filespec,
 * recursive, alternate_location, backup_type). */
static void from_values(lua_State *L, int base, int arg, const char *what, vss_filedesc *out)
{
    const char *path = opt_string(L, base, arg, what, "path");
    const char *filespec = opt_string(L, base + 1, arg, what, "filespec");
    if (path == NULL || filespec == NULL)
        luaL_argerror(L, arg,
                      lua_pushfstring(L, "%s%s%s: string expected, got nil", what ? what : "",
                                      what ? "." : "", path == NULL ? "path" : "filespec"));
    if (!lua_isnoneornil(L, base + 2) && !lua_isboolean(L, base + 2))
        luaL_argerror(L, arg,
                      lua_pushfstring(L, "%s%srecursive: boolean expected, got %s",
                                      what ? what : "", what ? "." : "",
                                      luaL_typename(L, base + 2)));
    bool recursive = lua_toboolean(L, base + 2);
    const char *alt = opt_string(L, base + 3, arg, what, "alternate_location");
    uint32_t mask = lua_isnoneornil(L, base + 4) ? VSS_FSBT_DEFAULT : check_mask(L, base + 4, arg);
    vss_error e;
    if (vss_filedesc_init(out, path, filespec, recursive, alt, mask, &e) != VSS_OK) {
        if (what != NULL)
            lua_pushfstring(L, "%s: %s", what, e.message);
        else
            lua_pushstring(L, e.message);
        luaL_argerror(L, arg, lua_tostring(L, -1));
    }
}

static const char *const fields[] = {"path", "filespec", "recursive", "alternate_location",
                                     "backup_type", NULL};

void vss_lua_tofiledesc(lua_State *L, int idx, int arg, const char *what, vss_filedesc *out)
{
    idx = lua_absindex(L, idx);
    /* A typo ("recursve") is not silently ignored; integers are the list form. */
    vss_lua_checkfields(L, idx, arg, what, fields, true);
    int top = lua_gettop(L);
    for (int i = 0; fields[i] != NULL; i++) {
        if (lua_getfield(L, idx, fields[i]) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_geti(L, idx, i + 1);
        }
    }
    from_values(L, top + 1, arg, what, out);
    lua_settop(L, top);
}

vss_filedesc *vss_lua_checkfiledesc(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, VSS_FILEDESC_T);
}

vss_filedesc *vss_lua_newfiledesc(lua_State *L)
{
    vss_filedesc *d = lua_newuserdatauv(L, sizeof *d, 0);
    memset(d, 0, sizeof *d);
    luaL_setmetatable(L, VSS_FILEDESC_T);
    return d;
}

/* vss.filespec.new{ path=, filespec=, recursive=, alternate_location=,
 * backup_type= } or new(path, filespec [, recursive [, alt [, type]]]) */
static int fs_new(lua_State *L)
{
    /* The userdata comes first, empty, so its __gc owns the strings from
     * the moment they exist. */
    if (lua_istable(L, 1)) {
        vss_lua_checknargs(L, 1);
        vss_lua_tofiledesc(L, 1, 1, NULL, vss_lua_newfiledesc(L));
        return 1;
    }
    vss_lua_checknargs(L, 5);
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 5);
    from_values(L, 1, 1, NULL, vss_lua_newfiledesc(L));
    return 1;
}

static unsigned opt_flags(lua_State *L, int idx, int arg)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    luaL_argexpected(L, lua_istable(L, idx), arg, "table of options");
    lua_getfield(L, idx, "caseless");
    unsigned flags = lua_toboolean(L, -1) ? VSS_MATCH_CASELESS : 0;
    lua_pop(L, 1);
    return flags;
}

/* vss.filespec.match(filespec, name [, {caseless=true}]) */
static int fs_match(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    const char *spec = luaL_checkstring(L, 1);
    const char *name = luaL_checkstring(L, 2);
    luaL_argcheck(L, strpbrk(spec, "/\\") == NULL, 1, "filespec: directory separator");
    lua_pushboolean(L, vss_filespec_match(spec, name, opt_flags(L, 3, 3)));
    return 1;
}

static int fd_same_set(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_filedesc *a = vss_lua_checkfiledesc(L, 1);
    vss_filedesc *b = vss_lua_checkfiledesc(L, 2);
    lua_pushboolean(L, vss_filedesc_same_set(a, b, opt_flags(L, 3, 3)));
    return 1;
}

static int fd_backup_types(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_filedesc *d = vss_lua_checkfiledesc(L, 1);
    lua_newtable(L);
    int n = 0;
    for (int bit = 0; bit < 32; bit++) {
        const char *name = (d->backup_type_mask >> bit) & 1u
                               ? vss_enum_name(backup_types, (int64_t)1 << bit)
                               : NULL;
        if (name != NULL) {
            lua_pushstring(L, name);
            lua_rawseti(L, -2, ++n);
        }
    }
    return 1;
}

static int fd_index(lua_State *L)
{
    vss_filedesc *d = vss_lua_checkfiledesc(L, 1);
    const char *k = lua_tostring(L, 2);
    if (k != NULL && lua_type(L, 2) == LUA_TSTRING) {
        if (strcmp(k, "path") == 0)
            lua_pushstring(L, d->path);
        else if (strcmp(k, "filespec") == 0)
            lua_pushstring(L, d->filespec);
        else if (strcmp(k, "recursive") == 0)
            lua_pushboolean(L, d->recursive);
        else if (strcmp(k, "alternate_location") == 0)
            lua_pushstring(L, d->alternate_location); /* nil when NULL */
        else if (strcmp(k, "backup_type") == 0)
            lua_pushinteger(L, (lua_Integer)d->backup_type_mask);
        else
            lua_getfield(L, lua_upvalueindex(1), k);
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

static int fd_tostring(lua_State *L)
{
    vss_filedesc *d = vss_lua_checkfiledesc(L, 1);
    lua_pushfstring(L, VSS_FILEDESC_T "(%s [%s]%s", d->path, d->filespec,
                    d->recursive ? " recursive" : "");
    if (d->alternate_location != NULL)
        lua_pushfstring(L, " alternate_location=%s", d->alternate_location);
    else
        lua_pushliteral(L, "");
    char mask[40] = ")";
    if (d->backup_type_mask != VSS_FSBT_DEFAULT)
        snprintf(mask, sizeof mask, " backup_type=0x%x)", (unsigned)d->backup_type_mask);
    lua_pushstring(L, mask);
    lua_concat(L, 3);
    return 1;
}

/* d:walk{ excludes = {...}, root = path_map, caseless = bool, stat = bool }
 * -> iterator, walker, nil, walker | nil, message, code */
static int fd_walk(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_filedesc *d = vss_lua_checkfiledesc(L, 1);
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_newtable(L);
    }
    static const char *const known[] = {"excludes", "root", "caseless", "stat", NULL};
    vss_lua_checkoptions(L, 2, known);
    lua_settop(L, 2);
    vss_walk_options o = {0};
    lua_getfield(L, 2, "caseless"); /* 3 */
    o.flags = lua_toboolean(L, 3) ? VSS_MATCH_CASELESS : 0;
    o.skip_stat = lua_getfield(L, 2, "stat") != LUA_TNIL && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 2, "root"); /* 4 */
    vss_pathmap *map = NULL;
    if (!lua_isnil(L, 4)) {
        map = vss_lua_topathmap(L, 4);
        luaL_argexpected(L, map != NULL, 2, "root: " VSS_PATHMAP_T " or nil");
    }
    lua_getfield(L, 2, "excludes"); /* 5 */
    luaL_argcheck(L, lua_isnil(L, 5) || lua_istable(L, 5), 2, "excludes: list expected");
    lua_Integer nex = lua_isnil(L, 5) ? 0 : luaL_len(L, 5);
    lua_newtable(L); /* 6: keeps alive the descriptors made from tables */
    const int keep = 6;
    /* Shallow copies: every string is borrowed from a Lua object in keep or
     * in excludes; vss_walker_open copies what it needs. */
    vss_filedesc *ex = lua_newuserdatauv(L, (size_t)(nex > 0 ? nex : 1) * sizeof *ex, 0); /* 7 */
    for (lua_Integer i = 1; i <= nex; i++) {
        lua_geti(L, 5, i);
        const vss_filedesc *src = luaL_testudata(L, -1, VSS_FILEDESC_T);
        if (src == NULL) {
            if (!lua_istable(L, -1))
                luaL_argerror(L, 2, lua_pushfstring(L, "excludes[%d]: " VSS_FILEDESC_T
                                                       " or table expected, got %s",
                                                    (int)i, luaL_typename(L, -1)));
            vss_filedesc *nd = vss_lua_newfiledesc(L);
            lua_pushfstring(L, "excludes[%d]", (int)i);
            vss_lua_tofiledesc(L, -3, 2, lua_tostring(L, -1), nd);
            lua_pop(L, 1);
            lua_rawseti(L, keep, (lua_Integer)luaL_len(L, keep) + 1);
            src = nd;
        }
        ex[i - 1] = *src;
        lua_pop(L, 1);
    }
    o.excludes = ex;
    o.exclude_count = (size_t)nex;
    return vss_lua_walk_open(L, d, map, &o);
}

static int fd_gc(lua_State *L)
{
    vss_filedesc_clear(vss_lua_checkfiledesc(L, 1));
    return 0;
}

int vss_lua_open_filespec(lua_State *L)
{
    static const luaL_Reg methods[] = {{"same_set", fd_same_set},
                                       {"backup_types", fd_backup_types},
                                       {"walk", fd_walk},
                                       {NULL, NULL}};
    static const luaL_Reg meta[] = {{"__gc", fd_gc}, {"__tostring", fd_tostring}, {NULL, NULL}};
    vss_lua_newclass_index(L, VSS_FILEDESC_T, meta, methods, fd_index);
    vss_lua_register_pathmap(L);
    vss_lua_register_walker(L);

    static const luaL_Reg funcs[] = {{"new", fs_new},
                                     {"match", fs_match},
                                     {"path_map", vss_lua_path_map},
                                     {NULL, NULL}};
    luaL_newlib(L, funcs);
    lua_createtable(L, 0, (int)backup_types->count);
    for (size_t k = 0; k < backup_types->count; k++) {
        lua_pushinteger(L, (lua_Integer)backup_types->entries[k].value);
        lua_setfield(L, -2, backup_types->entries[k].name);
    }
    lua_setfield(L, -2, "backup_types");
    vss_lua_export_methods(L, VSS_FILEDESC_T);
    vss_lua_export_methods(L, VSS_PATHMAP_T);
    vss_lua_export_methods(L, VSS_WALKER_T);
    return 1;
}
