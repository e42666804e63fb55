/* vss.vdisk: vss.VirtualDisk, a VHD or VHDX chain opened read-only
 * (csrc/vdisk/vdisk.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filespec_types.h"
#include "vdisk/vdisk.h"

#define VDISK_T "vss.VirtualDisk"

typedef struct {
    vss_vdisk *d;
} lvdisk;

static vss_vdisk *check(lua_State *L)
{
    lvdisk *u = luaL_checkudata(L, 1, VDISK_T);
    if (u->d == NULL)
        luaL_error(L, "attempt to use a closed " VDISK_T);
    return u->d;
}

static char *resolve_through_map(void *ctx, const char *windows_path)
{
    char *out;
    vss_error e;
    if (vss_pathmap_resolve(ctx, windows_path, &out, &e) != VSS_OK)
        return NULL;
    return out;
}

/* vdisk.open(path [, {parents = {...}, root = path_map, force = false}]) */
static int l_open(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    static const char *const known[] = {"parents", "root", "force", NULL};
    vss_error e;
    vss_error_clear(&e);
    const char *path = vss_lua_checkcstring(L, 1, "path", &e);
    vss_vdisk_opts o = {0};
    if (vss_lua_checkoptions(L, 2, known)) {
        o.force = vss_lua_fieldbool(L, 2, "force", false);
        o.parents = vss_lua_strings_field(L, 2, "parents", &o.nparents);
        lua_getfield(L, 2, "root");
        if (!lua_isnil(L, -1)) {
            vss_pathmap *m = vss_lua_topathmap(L, -1);
            if (m == NULL)
                return luaL_argerror(L, 2, "root: vss.PathMap expected (vss.filespec.path_map)");
            o.resolve = resolve_through_map, o.resolve_ctx = m;
        }
        /* the map stays referenced by the options table */
        lua_pop(L, 1);
    }
    if (path == NULL)
        return vss_lua_fail(L, &e);
    lvdisk *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->d = NULL;
    luaL_setmetatable(L, VDISK_T);
    if (vss_vdisk_open(path, &o, &u->d, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

static void push_guid(lua_State *L, const vss_guid *g, const char *name)
{
    char s[VSS_GUID_BUFSIZE];
    vss_guid_format(g, VSS_GUID_BRACED, s);
    lua_pushstring(L, s);
    lua_setfield(L, -2, name);
}

static void push_info(lua_State *L, const vss_vdisk_info *in, size_t layer)
{
    lua_newtable(L);
    lua_pushstring(L, in->path);
    lua_setfield(L, -2, "path");
    lua_pushinteger(L, (lua_Integer)layer);
    lua_setfield(L, -2, "layer");
    lua_pushstring(L, vss_vdisk_format_name(in->format));
    lua_setfield(L, -2, "format");
    lua_pushstring(L, vss_vdisk_type_name(in->type));
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)in->virtual_size); /* at most 64 TiB */
    lua_setfield(L, -2, "virtual_size");
    lua_pushinteger(L, in->logical_sector);
    lua_setfield(L, -2, "logical_sector_size");
    lua_pushinteger(L, in->physical_sector);
    lua_setfield(L, -2, "physical_sector_size");
    lua_pushinteger(L, in->block_size);
    lua_setfield(L, -2, "block_size");
    lua_pushstring(L, in->creator);
    lua_setfield(L, -2, "creator");
    push_guid(L, &in->id, "id");
    bool diff = in->type == VSS_VDISK_DIFFERENCING;
    if (diff)
        push_guid(L, &in->parent_id, "parent_id");
    if (diff && in->has_parent_id2)
        push_guid(L, &in->parent_id2, "parent_id2");
    if (in->format == VSS_VDISK_VHDX) {
        push_guid(L, &in->id, "data_write_guid");
        push_guid(L, &in->file_write_guid, "file_write_guid");
        push_guid(L, &in->virtual_disk_id, "virtual_disk_id");
        push_guid(L, &in->log_guid, "log_guid");
        lua_pushinteger(L, (lua_Integer)(in->sequence & LUA_MAXINTEGER));
        lua_setfield(L, -2, "sequence");
        lua_pushinteger(L, in->current_header);
        lua_setfield(L, -2, "current_header");
        lua_pushboolean(L, in->other_header_valid);
        lua_setfield(L, -2, "other_header_valid");
        lua_pushboolean(L, in->log_replayed); /* replayed in memory at open */
        lua_setfield(L, -2, "log_pending");
        lua_pushboolean(L, in->leave_allocated);
        lua_setfield(L, -2, "leave_allocated");
    } else {
        push_guid(L, &in->id, "unique_id");
        if (diff) {
            push_guid(L, &in->parent_id, "parent_uuid");
            lua_pushstring(L, in->parent_name);
            lua_setfield(L, -2, "parent_name");
        }
    }
    lua_createtable(L, (int)in->nlocators, 0);
    for (size_t i = 0; i < in->nlocators; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, in->locators[i].key);
        lua_setfield(L, -2, "key");
        lua_pushstring(L, in->locators[i].value);
        lua_setfield(L, -2, "value");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "locators");
}

static size_t layer_arg(lua_State *L, vss_vdisk *d, int idx)
{
    lua_Integer n = luaL_optinteger(L, idx, 0);
    luaL_argcheck(L, n >= 0 && (size_t)n < vss_vdisk_depth(d), idx, "no such layer");
    return (size_t)n;
}

/* d:info([layer]) -> table */
static int l_info(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_vdisk *d = check(L);
    size_t layer = layer_arg(L, d, 2);
    push_info(L, vss_vdisk_layer_info(d, layer), layer);
    return 1;
}

/* d:chain() -> { info of layer 0, of its parent, ... } */
static int l_chain(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_vdisk *d = check(L);
    size_t n = vss_vdisk_depth(d);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        push_info(L, vss_vdisk_layer_info(d, i), i);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* d:read(offset, length) -> string | nil, message, code */
static int l_read(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_vdisk *d = check(L);
    lua_Integer off = luaL_checkinteger(L, 2), len = luaL_checkinteger(L, 3);
    luaL_argcheck(L, off >= 0, 2, "offset must not be negative");
    luaL_argcheck(L, len >= 0 && len <= (lua_Integer)1 << 30, 3,
                  "length must be from 0 to 1 GiB");
    vss_error e;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)len);
    if (vss_vdisk_read(d, (uint64_t)off, (size_t)len, p, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    luaL_pushresultsize(&b, (size_t)len);
    return 1;
}

/* d:allocated([layer]) -> data, zero (vss.Ranges) */
static int l_allocated(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_vdisk *d = check(L);
    size_t layer = layer_arg(L, d, 2);
    vss_lua_ranges *a = vss_lua_newranges(L);
    vss_lua_ranges *z = vss_lua_newranges(L);
    vss_error e;
    if (vss_vdisk_allocated(d, layer, &a->r, &z->r, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 2;
}

/* d:owned([layer]) -> vss.Ranges */
static int l_owned(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_vdisk *d = check(L);
    size_t layer = layer_arg(L, d, 2);
    vss_lua_ranges *u = vss_lua_newranges(L);
    vss_error e;
    if (vss_vdisk_owned(d, layer, &u->r, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

/* d:copy_to(path_or_fd [, ranges]) -> true | nil, message, code */
static int l_copy_to(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_vdisk *d = check(L);
    const vss_ranges *r = lua_isnoneornil(L, 3) ? NULL : vss_lua_rangesarg(L, 3, 3, "ranges");
    vss_error e;
    vss_error_clear(&e);
    int fd, own = 0;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer n = luaL_checkinteger(L, 2);
        luaL_argcheck(L, n >= 0 && n <= INT32_MAX, 2, "file descriptor expected");
        fd = (int)n;
    } else {
        const char *path = vss_lua_checkcstring(L, 2, "path", &e);
        if (path == NULL)
            return vss_lua_fail(L, &e);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            vss_error_sys(&e, errno, "copy_to '%s'", path);
            return vss_lua_fail(L, &e);
        }
        own = 1;
    }
    int rc = vss_vdisk_copy_to(d, fd, r, &e);
    if (own && close(fd) != 0 && rc == VSS_OK)
        rc = vss_error_sys(&e, errno, "copy_to: close");
    return vss_lua_okresult(L, rc, &e);
}

static int l_close(lua_State *L)
{
    lvdisk *u = luaL_checkudata(L, 1, VDISK_T);
    vss_vdisk_free(u->d);
    u->d = NULL;
    return 0;
}

static int l_tostring(lua_State *L)
{
    lvdisk *u = luaL_checkudata(L, 1, VDISK_T);
    if (u->d == NULL) {
        lua_pushliteral(L, VDISK_T " (closed)");
        return 1;
    }
    const vss_vdisk_info *in = vss_vdisk_layer_info(u->d, 0);
    size_t n = vss_vdisk_depth(u->d);
    lua_pushfstring(L, VDISK_T " (%s %s, %I bytes, %d layer%s: %s)",
                    vss_vdisk_format_name(in->format), vss_vdisk_type_name(in->type),
                    (lua_Integer)in->virtual_size, (int)n, n == 1 ? "" : "s", in->path);
    return 1;
}

int vss_lua_open_vdisk(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"info", l_info},   {"chain", l_chain},         {"read", l_read},
        {"allocated", l_allocated}, {"owned", l_owned}, {"copy_to", l_copy_to},
        {"close", l_close}, {NULL, NULL}};
    vss_lua_newclass(L, VDISK_T, meta, methods);
    lua_newtable(L);
    lua_pushcfunction(L, l_open);
    lua_setfield(L, -2, "open");
    vss_lua_export_methods(L, VDISK_T);
    return 1;
}
