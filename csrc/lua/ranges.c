/* vss.ranges and the vss.Ranges userdata: a range list (csrc/ranges/ranges.h)
 * seen from Lua. A Ranges object is immutable: normalize, clip and the
 * set operations return new objects.
 *
 * The 2^63 rule (binding.h, vss_lua_pushu64): C keeps full u64 values, so
 * parse, format, save, load, the set operations and tostring handle any
 * value up to 2^64-1; reading a larger value than 2^63-1 as a number
 * (get, each, total, map) raises "exceeds Lua integer range". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranges/ranges.h"
#include "binding.h"

#define RANGES_T VSS_LUA_RANGES_T

typedef vss_lua_ranges lranges; /* binding.h: arguments read it directly */
#define check_ranges vss_lua_checkranges
#define push_new vss_lua_newranges

static int raise_error(lua_State *L, const vss_error *e)
{
    return luaL_error(L, "%s", e->message);
}

/* A non-negative integer argument (floats with an integral value count). */
static uint64_t check_u64(lua_State *L, int arg)
{
    lua_Integer v = luaL_checkinteger(L, arg);
    luaL_argcheck(L, v >= 0, arg, "must not be negative");
    return (uint64_t)v;
}

/* Option table {strict = bool, no_zero = bool} to parse/check flags. */
static unsigned check_flags(lua_State *L, int arg)
{
    static const char *const names[] = {"strict", "no_zero", NULL};
    if (!vss_lua_checkoptions(L, arg, names))
        return 0;
    return (vss_lua_fieldbool(L, arg, "strict", false) ? VSS_RANGES_STRICT : 0) |
           (vss_lua_fieldbool(L, arg, "no_zero", false) ? VSS_RANGES_NO_ZERO : 0);
}

/* vss.ranges.parse(s [, opts]) -> Ranges | nil, msg, "EINVAL" */
static int ranges_parse(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    luaL_checktype(L, 1, LUA_TSTRING);
    unsigned flags = check_flags(L, 2);
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    lranges *u = push_new(L);
    vss_error e;
    if (vss_ranges_parse(s, len, flags, &u->r, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

/* One field of an entry of new{}: t[i] or t.name. */
static uint64_t entry_value(lua_State *L, int pos, const char *name, lua_Integer entry)
{
    if (lua_geti(L, -1, pos) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_getfield(L, -1, name);
    }
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint)
        luaL_argerror(L, 1, lua_pushfstring(L, "entry %I: %s: integer expected, got %s", entry,
                                            name, luaL_typename(L, -1)));
    if (v < 0)
        luaL_argerror(L, 1, lua_pushfstring(L, "entry %I: %s must not be negative", entry, name));
    lua_pop(L, 1);
    return (uint64_t)v;
}

/* vss.ranges.new{ {offset, length}, {offset = o, length = l}, ... } */
static int ranges_new(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    if (!lua_isnoneornil(L, 1))
        luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1); /* the list stays at 1, the new object goes at 2 */
    lranges *u = push_new(L);
    u->r = vss_ranges_new();
    if (u->r == NULL)
        return luaL_error(L, "ranges: out of memory");
    lua_Integer n = lua_isnoneornil(L, 1) ? 0 : (lua_Integer)lua_rawlen(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, 1, i) != LUA_TTABLE)
            luaL_argerror(L, 1, lua_pushfstring(L, "entry %I: table expected, got %s", i,
                                                luaL_typename(L, -1)));
        uint64_t off = entry_value(L, 1, "offset", i);
        uint64_t len = entry_value(L, 2, "length", i);
        lua_pop(L, 1);
        vss_error e;
        if (vss_ranges_append(u->r, off, len, &e) != VSS_OK)
            return raise_error(L, &e);
    }
    return 1;
}

/* vss.ranges.load(path) -> Ranges | nil, msg, code */
static int ranges_load(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    const char *path = luaL_checkstring(L, 1);
    lranges *u = push_new(L);
    vss_error e;
    if (vss_ranges_load(path, &u->r, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

/* vss.ranges.is_file_reference(s) -> path | nil */
static int ranges_is_file_reference(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    luaL_checktype(L, 1, LUA_TSTRING);
    /* an embedded NUL: no usable path, no valid list */
    const char *s = vss_lua_checkcstring(L, 1, "string", NULL);
    const char *path;
    if (!vss_ranges_file_reference(s, &path))
        return 0;
    lua_pushstring(L, path);
    return 1;
}

/* vss.ranges.resolve(s [, {strict=, no_zero=}]) -> Ranges | nil, msg, code:
 * an inline list or the ranges file it names (vss_ranges_resolve). */
static int ranges_resolve(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    luaL_checktype(L, 1, LUA_TSTRING);
    unsigned flags = check_flags(L, 2);
    /* an embedded NUL: no usable path, no valid list */
    const char *s = vss_lua_checkcstring(L, 1, "string", NULL);
    lranges *u = push_new(L);
    vss_error e;
    if (vss_ranges_resolve(s, flags, &u->r, NULL, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

/* vss.ranges.map(src, dst) -> { {src=, dst=, length=}, ... } | nil, msg, "EINVAL" */
static int ranges_map(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_ranges *src = check_ranges(L, 1), *dst = check_ranges(L, 2);
    vss_range_copy *plan;
    size_t n;
    vss_error e;
    if (vss_ranges_map(src, dst, &plan, &n, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    /* plan is malloc'd: check the values before building anything that
     * can raise, so a raise never leaks it. */
    for (size_t i = 0; i < n; i++) {
        const vss_range_copy c = plan[i];
        if (!VSS_LUA_U64_FITS(c.src_offset) || !VSS_LUA_U64_FITS(c.dst_offset) ||
            !VSS_LUA_U64_FITS(c.length)) {
            free(plan);
            uint64_t v = !VSS_LUA_U64_FITS(c.src_offset) ? c.src_offset
                         : !VSS_LUA_U64_FITS(c.dst_offset) ? c.dst_offset : c.length;
            vss_lua_pushu64(L, v, "ranges: map: entry %I: a value", (lua_Integer)(i + 1));
        }
    }
    lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 3);
        lua_pushinteger(L, (lua_Integer)plan[i].src_offset);
        lua_setfield(L, -2, "src");
        lua_pushinteger(L, (lua_Integer)plan[i].dst_offset);
        lua_setfield(L, -2, "dst");
        lua_pushinteger(L, (lua_Integer)plan[i].length);
        lua_setfield(L, -2, "length");
        lua_rawseti(L, -2, (lua_Integer)(i + 1));
    }
    free(plan);
    return 1;
}

/* ---- methods -------------------------------------------------------- */

static int m_format(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_ranges *r = check_ranges(L, 1);
    vss_error e;
    char *s = vss_ranges_format(r, &e);
    if (s == NULL)
        return raise_error(L, &e);
    lua_pushstring(L, s);
    free(s);
    return 1;
}

/* tostring: vss.Ranges(3 ranges, 1536 bytes: 0:512,1024:512,4096:512),
 * the first PREVIEW entries then "…" for long lists. */
enum { PREVIEW = 8 };

static int m_tostring(lua_State *L)
{
    vss_ranges *r = check_ranges(L, 1);
    size_t n = vss_ranges_count(r), shown = n < PREVIEW ? n : PREVIEW;
    char total[48], list[PREVIEW * VSS_RANGES_MAX_ENTRY_CHARS];
    uint64_t sum;
    if (vss_ranges_total(r, &sum, NULL) == VSS_OK)
        snprintf(total, sizeof total, "%" PRIu64 " byte%s", sum, sum == 1 ? "" : "s");
    else
        snprintf(total, sizeof total, "over 2^64-1 bytes");
    size_t len = vss_ranges_format_entries(r, 0, shown, list);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "%s(%I range%s, %s", RANGES_T, (lua_Integer)n, n == 1 ? "" : "s", total);
    luaL_addvalue(&b);
    if (n != 0) {
        luaL_addstring(&b, ": ");
        luaL_addlstring(&b, list, len);
    }
    if (shown < n)
        luaL_addstring(&b, ",\xE2\x80\xA6"); /* U+2026 HORIZONTAL ELLIPSIS */
    luaL_addchar(&b, ')');
    luaL_pushresult(&b);
    return 1;
}

static int m_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)vss_ranges_count(check_ranges(L, 1)));
    return 1;
}

static int m_total(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_ranges *r = check_ranges(L, 1);
    uint64_t sum;
    vss_error e;
    if (vss_ranges_total(r, &sum, &e) != VSS_OK)
        return raise_error(L, &e);
    vss_lua_pushu64(L, sum, "ranges: total length");
    return 1;
}

/* r:get(i) -> offset, length (nil past the end) */
static int m_get(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_ranges *r = check_ranges(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || (lua_Unsigned)i > vss_ranges_count(r))
        return 0;
    const vss_range *v = &vss_ranges_items(r)[i - 1];
    vss_lua_pushu64(L, v->offset, "ranges: entry %I: offset", i);
    vss_lua_pushu64(L, v->length, "ranges: entry %I: length", i);
    return 2;
}

static int each_next(lua_State *L)
{
    vss_ranges *r = check_ranges(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2) + 1;
    if (i < 1 || (lua_Unsigned)i > vss_ranges_count(r))
        return 0;
    const vss_range *v = &vss_ranges_items(r)[i - 1];
    lua_pushinteger(L, i);
    vss_lua_pushu64(L, v->offset, "ranges: entry %I: offset", i);
    vss_lua_pushu64(L, v->length, "ranges: entry %I: length", i);
    return 3;
}

/* for i, offset, length in r:each() do ... end */
static int m_each(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    check_ranges(L, 1);
    lua_pushcfunction(L, each_next);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    return 3;
}

static int m_save(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_ranges *r = check_ranges(L, 1);
    const char *path = luaL_checkstring(L, 2);
    vss_error e;
    return vss_lua_okresult(L, vss_ranges_save(r, path, &e), &e);
}

/* r:check([opts]) -> true | nil, msg, "EINVAL" */
static int m_check(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_ranges *r = check_ranges(L, 1);
    unsigned flags = check_flags(L, 2);
    vss_error e;
    return vss_lua_okresult(L, vss_ranges_check(r, flags, &e), &e);
}

/* A copy of the list at idx as a new userdata on the stack. */
static vss_ranges *push_clone(lua_State *L, int idx)
{
    vss_ranges *r = check_ranges(L, idx);
    lranges *u = push_new(L);
    u->r = vss_ranges_clone(r);
    if (u->r == NULL)
        luaL_error(L, "ranges: out of memory");
    return u->r;
}

static int m_normalize(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    vss_ranges_normalize(push_clone(L, 1));
    return 1;
}

static int m_clip(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    check_ranges(L, 1);
    uint64_t size = check_u64(L, 2);
    vss_ranges_clip(push_clone(L, 1), size);
    return 1;
}

/* r:overlaps() -> false | true, i, j (1-based, i < j) */
static int m_overlaps(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    size_t i, j;
    if (!vss_ranges_overlap(check_ranges(L, 1), &i, &j)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_pushboolean(L, 1);
    lua_pushinteger(L, (lua_Integer)i + 1);
    lua_pushinteger(L, (lua_Integer)j + 1);
    return 3;
}

typedef int (*setop)(const vss_ranges *, const vss_ranges *, vss_ranges **, vss_error *);

static int set_operation(lua_State *L, setop op)
{
    vss_ranges *a = check_ranges(L, 1), *b = check_ranges(L, 2);
    lranges *u = push_new(L);
    vss_error e;
    if (op(a, b, &u->r, &e) != VSS_OK)
        return raise_error(L, &e); /* only out of memory */
    return 1;
}

static int m_union(lua_State *L)
{
    return set_operation(L, vss_ranges_union);
}

static int m_intersection(lua_State *L)
{
    return set_operation(L, vss_ranges_intersection);
}

static int m_difference(lua_State *L)
{
    return set_operation(L, vss_ranges_difference);
}

/* Equal when the lists are equal entry by entry, as written; compare
 * a:normalize() == b:normalize() for "the same bytes". */
static int m_eq(lua_State *L)
{
    lranges *ua = luaL_testudata(L, 1, RANGES_T), *ub = luaL_testudata(L, 2, RANGES_T);
    if (ua == NULL || ub == NULL || ua->r == NULL || ub->r == NULL) {
        lua_pushboolean(L, 0); /* a list never equals another kind of userdata */
        return 1;
    }
    vss_ranges *a = ua->r, *b = ub->r;
    size_t n = vss_ranges_count(a);
    lua_pushboolean(L, n == vss_ranges_count(b) &&
                           (n == 0 || memcmp(vss_ranges_items(a), vss_ranges_items(b),
                                             n * sizeof(vss_range)) == 0));
    return 1;
}

static int m_gc(lua_State *L)
{
    lranges *u = luaL_checkudata(L, 1, RANGES_T);
    vss_ranges_free(u->r);
    u->r = NULL;
    return 0;
}

int vss_lua_open_ranges(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__tostring", m_tostring}, {"__len", m_len},      {"__eq", m_eq},
        {"__add", m_union},         {"__mul", m_intersection}, {"__sub", m_difference},
        {"__gc", m_gc},             {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"format", m_format},
        {"total", m_total},
        {"get", m_get},
        {"each", m_each},
        {"save", m_save},
        {"check", m_check},
        {"normalize", m_normalize},
        {"clip", m_clip},
        {"overlaps", m_overlaps},
        {"union", m_union},
        {"intersection", m_intersection},
        {"difference", m_difference},
        {NULL, NULL},
    };
    static const luaL_Reg functions[] = {
        {"parse", ranges_parse},
        {"new", ranges_new},
        {"load", ranges_load},
        {"is_file_reference", ranges_is_file_reference},
        {"resolve", ranges_resolve},
        {"map", ranges_map},
        {NULL, NULL},
    };
    vss_lua_newclass(L, RANGES_T, meta, methods);
    luaL_newlib(L, functions);
    vss_lua_export_methods(L, RANGES_T);
    return 1;
}
