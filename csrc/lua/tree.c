/* vss.core.tree: one entry's full record (files/entry_stat.h), for the
 * comparer of lua/vss/tree.lua. */
#include <fcntl.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "binding.h"
#include "files/entry_stat.h"

static const char *type_name(mode_t m)
{
    if (S_ISREG(m))
        return "file";
    if (S_ISDIR(m))
        return "directory";
    if (S_ISLNK(m))
        return "symlink";
    if (S_ISFIFO(m))
        return "fifo";
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISCHR(m))
        return "char_device";
    if (S_ISBLK(m))
        return "block_device";
    return "unknown";
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void push_stat(lua_State *L, const vss_entry_stat *s)
{
    const struct stat *st = &s->st;
    lua_createtable(L, 0, 20);
    lua_pushstring(L, type_name(st->st_mode));
    lua_setfield(L, -2, "type");
    set_int(L, "mode", (lua_Integer)(st->st_mode & 07777));
    set_int(L, "uid", (lua_Integer)st->st_uid);
    set_int(L, "gid", (lua_Integer)st->st_gid);
    set_int(L, "size", (lua_Integer)st->st_size);
    set_int(L, "mtime", (lua_Integer)st->st_mtim.tv_sec);
    set_int(L, "mtime_nsec", (lua_Integer)st->st_mtim.tv_nsec);
    set_int(L, "ino", (lua_Integer)st->st_ino);
    set_int(L, "dev", (lua_Integer)st->st_dev);
    set_int(L, "nlink", (lua_Integer)st->st_nlink);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        set_int(L, "rdev_major", (lua_Integer)major(st->st_rdev));
        set_int(L, "rdev_minor", (lua_Integer)minor(st->st_rdev));
    }
    if (s->has_digest) {
        char hex[VSS_DIGEST_HEX];
        vss_digest_hex(&s->digest, hex);
        lua_pushstring(L, hex);
        lua_setfield(L, -2, "digest");
    }
    if (s->target) {
        lua_pushstring(L, s->target);
        lua_setfield(L, -2, "target");
    }
    lua_createtable(L, 0, (int)s->xattr_count);
    for (size_t i = 0; i < s->xattr_count; i++) {
        lua_pushlstring(L, s->xattrs[i].value, s->xattrs[i].len);
        lua_setfield(L, -2, s->xattrs[i].name);
    }
    lua_setfield(L, -2, "xattrs");
    if (s->has_flags) {
        set_int(L, "flags", (lua_Integer)s->flags);
        char letters[33];
        vss_inode_flags_letters(s->flags, letters);
        lua_pushstring(L, letters);
        lua_setfield(L, -2, "attributes");
    }
    if (s->part_errno) {
        lua_pushstring(L, s->part_message);
        lua_setfield(L, -2, "error");
        lua_pushstring(L, vss_code_name(s->part_errno));
        lua_setfield(L, -2, "code");
    }
}

/* tree.stat(path [, {digest=, target=, xattrs=, flags=}]) -> record | nil, msg, code */
static int t_stat(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    static const char *const known[] = {"digest", "target", "xattrs", "flags", NULL};
    vss_error e;
    vss_error_clear(&e);
    const char *path = vss_lua_checkcstring(L, 1, "path", &e);
    unsigned what = VSS_ES_ALL;
    if (vss_lua_checkoptions(L, 2, known)) {
        static const unsigned bits[] = {VSS_ES_DIGEST, VSS_ES_TARGET, VSS_ES_XATTRS, VSS_ES_FLAGS};
        for (int i = 0; known[i]; i++)
            if (!vss_lua_fieldbool(L, 2, known[i], true))
                what &= ~bits[i];
    }
    if (!path)
        return vss_lua_fail(L, &e);
    vss_entry_stat s;
    if (vss_entry_stat_read(&s, AT_FDCWD, path, what, &e) != VSS_OK) {
        vss_entry_stat_clear(&s);
        return vss_lua_fail(L, &e);
    }
    /* nothing below raises but memory errors, which leak only s's buffers */
    push_stat(L, &s);
    vss_entry_stat_clear(&s);
    return 1;
}

int vss_lua_open_tree(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"stat", t_stat}, {NULL, NULL}};
    luaL_newlib(L, funcs);
    lua_pushinteger(L, (lua_Integer)vss_inode_flags_settable());
    lua_setfield(L, -2, "SETTABLE_FLAGS");
    return 1;
}
