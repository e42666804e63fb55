/* vss.store, vss.Store and vss.StoreTransaction: the backup store
 * (csrc/store/store.h) seen from Lua. A Store holds the store directory open; a
 * transaction holds the writer lock until commit, abort, __close or
 * __gc. A transaction keeps its Store alive (uservalue 1), and the engine
 * store is freed when the Store is closed and no transaction uses it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/store.h"
#include "binding.h"

#define STORE_T "vss.Store"
#define TX_T "vss.StoreTransaction"

typedef struct lstore {
    vss_store *s; /* NULL once closed and no transaction needs it */
    int closed;
    int ntx; /* open transactions using s */
} lstore;

typedef struct ltx {
    vss_store_tx *tx; /* NULL once committed or aborted */
    lstore *owner;
    char id[VSS_STORE_ID_MAX];
    const char *state; /* "open", "committed", "aborted" */
} ltx;

static vss_store *check_store(lua_State *L, int idx)
{
    lstore *u = luaL_checkudata(L, idx, STORE_T);
    if (u->closed)
        luaL_argerror(L, idx, "closed vss.Store");
    return u->s;
}

static ltx *check_tx(lua_State *L, int idx)
{
    ltx *u = luaL_checkudata(L, idx, TX_T);
    if (u->tx == NULL)
        luaL_argerror(L, idx, lua_pushfstring(L, "%s vss.StoreTransaction", u->state));
    return u;
}

/* A name, id or path argument: a C string, and not empty. */
static const char *check_cstring(lua_State *L, int arg, const char *what)
{
    const char *s = vss_lua_checkcstring(L, arg, what, NULL);
    if (s[0] == '\0')
        luaL_argerror(L, arg, lua_pushfstring(L, "%s is empty", what));
    return s;
}

/* {wait = false} -> VSS_STORE_NOWAIT */
static unsigned wait_flag(lua_State *L, int arg)
{
    return vss_lua_fieldbool(L, arg, "wait", true) ? 0 : VSS_STORE_NOWAIT;
}

/* true, or nil, message, code. */
static void store_release(lstore *u)
{
    if (u->closed && u->ntx == 0 && u->s) {
        vss_store_free(u->s);
        u->s = NULL;
    }
}

/* vss.store.open(path [, {create = bool}]) -> Store | nil, msg, code */
static int l_open(lua_State *L)
{
    static const char *const keys[] = {"create", NULL};
    vss_lua_checknargs(L, 2);
    const char *path = check_cstring(L, 1, "path");
    vss_lua_checkoptions(L, 2, keys);
    unsigned flags = vss_lua_fieldbool(L, 2, "create", false) ? VSS_STORE_CREATE : 0;
    lstore *u = lua_newuserdatauv(L, sizeof *u, 0);
    memset(u, 0, sizeof *u);
    u->closed = 1; /* until opened: __gc has nothing to do */
    luaL_setmetatable(L, STORE_T);
    vss_error e;
    if (vss_store_open(path, flags, &u->s, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    u->closed = 0;
    return 1;
}

static int l_store_close(lua_State *L)
{
    lstore *u = luaL_checkudata(L, 1, STORE_T);
    u->closed = 1;
    store_release(u);
    return 0;
}

static int l_store_tostring(lua_State *L)
{
    lstore *u = luaL_checkudata(L, 1, STORE_T);
    if (u->closed)
        lua_pushliteral(L, "vss.Store(closed)");
    else
        lua_pushfstring(L, "vss.Store(%s)", vss_store_path(u->s));
    return 1;
}

static int l_store_path(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    lua_pushstring(L, vss_store_path(check_store(L, 1)));
    return 1;
}

/* Sizes and counts as integers, by the 2^63 rule (binding.h): sizes of
 * files ever stored are below it, so only a forged manifest raises. */
static void set_u64(lua_State *L, const char *key, uint64_t v)
{
    vss_lua_pushu64(L, v, "store: %s", key);
    lua_setfield(L, -2, key);
}

static void set_str(lua_State *L, const char *key, const char *v)
{
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

static void push_info(lua_State *L, const vss_store_info *in)
{
    lua_createtable(L, 0, 8);
    set_str(L, "id", in->id);
    const char *t = vss_store_type_name(in->type);
    set_str(L, "type", t ? t : "damaged");
    lua_pushinteger(L, (lua_Integer)in->time.tv_sec);
    lua_setfield(L, -2, "time");
    lua_pushinteger(L, in->time.tv_nsec);
    lua_setfield(L, -2, "time_ns");
    if (in->base[0])
        set_str(L, "base", in->base);
    set_u64(L, "files", in->files);
    set_u64(L, "stored", in->stored);
}

/* A list of infos as a table; v is freed. */
static int push_infos(lua_State *L, vss_store_info *v, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        push_info(L, &v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    free(v);
    return 1;
}

/* store:list([{wait = bool}]) -> { {id=, type=, time=, base=, ...}, ... } oldest first */
static int l_list(lua_State *L)
{
    static const char *const keys[] = {"wait", NULL};
    vss_lua_checknargs(L, 2);
    vss_store *s = check_store(L, 1);
    vss_lua_checkoptions(L, 2, keys);
    vss_store_info *v;
    size_t n;
    vss_error e;
    if (vss_store_list(s, wait_flag(L, 2), &v, &n, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return push_infos(L, v, n);
}

/* store:chain(id [, {wait=}]) -> the infos of the backups id stands on,
 * the full first and id last | nil, message, code */
static int l_chain(lua_State *L)
{
    static const char *const keys[] = {"wait", NULL};
    vss_lua_checknargs(L, 3);
    vss_store *s = check_store(L, 1);
    const char *id = luaL_checkstring(L, 2);
    vss_lua_checkoptions(L, 3, keys);
    vss_store_reader *rd;
    vss_store_info *v;
    size_t n;
    vss_error e;
    if (vss_store_reader_open(s, wait_flag(L, 3), &rd, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    int rc = vss_store_reader_chain(rd, id, &v, &n, &e);
    vss_store_reader_free(rd);
    if (rc != VSS_OK)
        return vss_lua_fail(L, &e);
    return push_infos(L, v, n);
}

static void push_digest(lua_State *L, const vss_digest *d)
{
    char hex[VSS_DIGEST_HEX];
    vss_digest_hex(d, hex);
    lua_pushstring(L, hex);
}

static void push_ranges_string(lua_State *L, const vss_ranges *r)
{
    char *s = vss_ranges_format(r, NULL);
    lua_pushstring(L, s ? s : "");
    free(s);
}

static void set_time(lua_State *L, const char *key, const struct timespec *t)
{
    lua_pushinteger(L, (lua_Integer)t->tv_sec);
    lua_setfield(L, -2, key);
    lua_pushfstring(L, "%s_ns", key);
    lua_pushinteger(L, t->tv_nsec);
    lua_settable(L, -3);
}

static void push_attrs(lua_State *L, const vss_store_attrs *a)
{
    lua_createtable(L, 0, 10);
    lua_pushinteger(L, a->mode);
    lua_setfield(L, -2, "mode");
    lua_pushinteger(L, a->uid);
    lua_setfield(L, -2, "uid");
    lua_pushinteger(L, a->gid);
    lua_setfield(L, -2, "gid");
    set_time(L, "atime", &a->atime);
    set_time(L, "mtime", &a->mtime);
    set_time(L, "ctime", &a->ctime);
    lua_createtable(L, 0, (int)a->nxattrs);
    for (size_t i = 0; i < a->nxattrs; i++) {
        lua_pushlstring(L, (const char *)a->xattrs[i].value, a->xattrs[i].size);
        lua_setfield(L, -2, a->xattrs[i].name);
    }
    lua_setfield(L, -2, "xattrs");
    lua_pushinteger(L, a->flags);
    lua_setfield(L, -2, "flags");
    if (a->ino != 0) {
        lua_pushinteger(L, (lua_Integer)a->ino);
        lua_setfield(L, -2, "ino");
    }
}

static void push_entry(lua_State *L, const vss_store_entry *en)
{
    lua_createtable(L, 0, 10);
    set_str(L, "name", en->name);
    set_str(L, "kind", vss_store_kind_name(en->kind));
    if (en->bad) /* why it cannot be used (docs/store-format.md, What a reader checks) */
        set_str(L, "bad", en->bad);
    if (en->target)
        set_str(L, "target", en->target);
    if (en->kind == VSS_STORE_ENTRY_DEVICE)
        set_u64(L, "rdev", en->rdev);
    if (en->object[0] != '\0') {
        /* a forged size past 2^63-1 made the entry bad: not shown, not raised on */
        if (en->size <= (uint64_t)INT64_MAX)
            set_u64(L, "size", en->size);
        if (en->stored <= (uint64_t)INT64_MAX)
            set_u64(L, "stored", en->stored);
        push_digest(L, &en->digest);
        lua_setfield(L, -2, "digest");
        set_str(L, "object", en->object);
    }
    if (en->kind == VSS_STORE_ENTRY_FILE) {
        push_ranges_string(L, en->ranges);
        lua_setfield(L, -2, "extents");
    }
    if (en->kind == VSS_STORE_ENTRY_PARTIAL) {
        push_ranges_string(L, en->ranges);
        lua_setfield(L, -2, "ranges");
        if (en->ranges_file)
            set_str(L, "ranges_file", en->ranges_file);
    }
    if (en->attrs) {
        push_attrs(L, en->attrs);
        lua_setfield(L, -2, "attributes");
    }
}

/* store:entries(id) -> { {name=, kind=, size=, ...}, ... } in manifest order */
static int l_entries(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_store *s = check_store(L, 1);
    const char *id = check_cstring(L, 2, "id");
    vss_error e;
    vss_store_manifest *m;
    if (vss_store_manifest_load(s, id, 0, &m, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    lua_createtable(L, (int)m->n, 0);
    for (size_t i = 0; i < m->n; i++) {
        push_entry(L, &m->entries[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    vss_store_manifest_free(m);
    return 1;
}

/* Push a document's bytes; VSS_FAIL (nothing pushed) with e filled. */
static int push_document(lua_State *L, vss_store *s, const char *id, const char *name, vss_error *e)
{
    char *doc;
    size_t len;
    if (vss_store_document(s, id, name, 0, &doc, &len, e) != VSS_OK)
        return VSS_FAIL;
    lua_pushlstring(L, doc, len);
    free(doc);
    return VSS_OK;
}

/* store:document(id, name) -> xml string | nil, msg, code */
static int l_document(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_store *s = check_store(L, 1);
    const char *id = check_cstring(L, 2, "id");
    const char *name = check_cstring(L, 3, "name");
    vss_error e;
    if (push_document(L, s, id, name, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    return 1;
}

/* store:show(id) -> {id=, type=, ..., components = xml|nil, writer_metadata = {names}} */
static int l_show(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_store *s = check_store(L, 1);
    const char *id = check_cstring(L, 2, "id");
    vss_error e;
    vss_store_manifest *m;
    if (vss_store_manifest_load(s, id, 0, &m, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    push_info(L, &m->info);
    lua_newtable(L);
    lua_Integer k = 0;
    for (const vss_store_entry *en = NULL; (en = vss_store_manifest_writer_metadata(m, en)) != NULL;) {
        lua_pushstring(L, en->name);
        lua_rawseti(L, -2, ++k);
    }
    lua_setfield(L, -2, "writer_metadata");
    bool has_bcd = vss_store_manifest_find(m, VSS_STORE_ENTRY_DOCUMENT, VSS_STORE_COMPONENTS) != NULL;
    vss_store_manifest_free(m);
    if (has_bcd) {
        if (push_document(L, s, id, VSS_STORE_COMPONENTS, &e) != VSS_OK)
            return vss_lua_fail(L, &e);
        lua_setfield(L, -2, "components");
    }
    return 1;
}

/* store:extract(id, name, dst_path_or_fd [, {attributes = bool}]) -> true | nil, msg, code:
 * the file as of id, composed from its chain (vss_store_extract) */
static int l_extract(lua_State *L)
{
    static const char *const keys[] = {"attributes", NULL};
    vss_lua_checknargs(L, 4);
    vss_store *s = check_store(L, 1);
    const char *id = check_cstring(L, 2, "id");
    const char *name = check_cstring(L, 3, "name");
    int fd = -1, own = 0;
    if (lua_type(L, 4) == LUA_TNUMBER) {
        lua_Integer v = luaL_checkinteger(L, 4);
        luaL_argcheck(L, v >= 0 && v <= INT32_MAX, 4, "not a file descriptor");
        fd = (int)v;
    } else {
        luaL_argexpected(L, lua_type(L, 4) == LUA_TSTRING, 4, "path or file descriptor");
    }
    vss_lua_checkoptions(L, 5, keys);
    unsigned flags = vss_lua_fieldbool(L, 5, "attributes", true) ? VSS_STORE_ATTRS : 0;
    vss_error e;
    if (fd < 0) {
        const char *path = check_cstring(L, 4, "destination");
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            vss_error_sys(&e, errno, "'%s'", path);
            return vss_lua_fail(L, &e);
        }
        own = 1;
    }
    int rc = vss_store_extract(s, id, name, fd, flags, &e);
    if (own && close(fd) != 0 && rc == VSS_OK)
        rc = vss_error_sys(&e, errno, "close destination");
    return vss_lua_okresult(L, rc, &e);
}

/* store:read(id, name) -> the file's bytes (ranges of a partial file laid
 * at their offsets) | nil, msg, code. For small files and tests. */
static int l_read(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    vss_store *s = check_store(L, 1);
    const char *id = check_cstring(L, 2, "id");
    const char *name = check_cstring(L, 3, "name");
    vss_error e;
    int fd = memfd_create("vss-read", MFD_CLOEXEC);
    if (fd < 0) {
        vss_error_sys(&e, errno, "read '%s'", name);
        return vss_lua_fail(L, &e);
    }
    if (vss_store_extract(s, id, name, fd, 0, &e) != VSS_OK) {
        close(fd);
        return vss_lua_fail(L, &e);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, size > 0 ? (size_t)size : 0);
    ssize_t got = size > 0 ? pread(fd, p, (size_t)size, 0) : 0;
    close(fd);
    if (got < 0 || got != size) {
        vss_error_sys(&e, errno, "read '%s'", name);
        return vss_lua_fail(L, &e);
    }
    luaL_pushresultsize(&b, (size_t)got);
    return 1;
}

/* store:verify([id]) -> {ok=, backups=, files=, bytes=, problems = {...}} | nil, msg, code */
static int l_verify(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    vss_store *s = check_store(L, 1);
    const char *id = lua_isnoneornil(L, 2) ? NULL : check_cstring(L, 2, "id");
    vss_store_report *r;
    vss_error e;
    if (vss_store_verify(s, id, 0, &r, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    lua_createtable(L, 0, 5);
    lua_pushboolean(L, r->nproblems == 0);
    lua_setfield(L, -2, "ok");
    set_u64(L, "backups", r->backups);
    set_u64(L, "files", r->files);
    set_u64(L, "bytes", r->bytes);
    lua_createtable(L, (int)r->nproblems, 0);
    for (size_t i = 0; i < r->nproblems; i++) {
        const vss_store_problem *p = &r->problems[i];
        lua_createtable(L, 0, 6);
        set_str(L, "backup", p->backup);
        if (p->name)
            set_str(L, "name", p->name);
        set_str(L, "what", p->what ? p->what : "");
        if (p->expected[0])
            set_str(L, "expected", p->expected);
        if (p->actual[0])
            set_str(L, "actual", p->actual);
        set_str(L, "message", p->message ? p->message : "");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "problems");
    vss_store_report_free(r);
    return 1;
}

static void push_strings(lua_State *L, char **v, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* store:delete(id [, {force=, wait=}]) -> true, dependents | nil, msg, code, dependents */
static int l_delete(lua_State *L)
{
    static const char *const keys[] = {"force", "wait", NULL};
    vss_lua_checknargs(L, 3);
    vss_store *s = check_store(L, 1);
    const char *id = check_cstring(L, 2, "id");
    vss_lua_checkoptions(L, 3, keys);
    unsigned flags = wait_flag(L, 3) | (vss_lua_fieldbool(L, 3, "force", false) ? VSS_STORE_FORCE : 0);
    char **deps = NULL;
    size_t nd = 0;
    vss_error e;
    int rc = vss_store_delete(s, id, flags, &deps, &nd, &e);
    if (rc != VSS_OK) {
        vss_lua_fail(L, &e);
        push_strings(L, deps, nd);
        vss_store_strings_free(deps, nd);
        return 4;
    }
    lua_pushboolean(L, 1);
    push_strings(L, deps, nd);
    vss_store_strings_free(deps, nd);
    return 2;
}

/* "type: full, incremental, differential, log or copy expected, got x": the
 * types a store keeps, named by the engine's backup_type table. */
static int type_argerror(lua_State *L, int arg, const char *got)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "type: ");
    const char *prev = NULL;
    for (size_t i = 0; i < vss_enum_backup_type.count; i++) {
        const char *n = vss_store_type_name((int)vss_enum_backup_type.entries[i].value);
        if (n == NULL)
            continue;
        if (prev != NULL) {
            luaL_addstring(&b, prev);
            luaL_addstring(&b, ", ");
        }
        prev = n;
    }
    luaL_buffsub(&b, 2);
    luaL_addstring(&b, " or ");
    luaL_addstring(&b, prev);
    luaL_addstring(&b, " expected, got ");
    luaL_addstring(&b, got);
    luaL_pushresult(&b);
    return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* store:begin{type = "full"|..., base = id, wait = bool} -> StoreTransaction | nil, msg, code */
static int l_begin(lua_State *L)
{
    static const char *const keys[] = {"type", "base", "wait", NULL};
    vss_lua_checknargs(L, 2);
    check_store(L, 1);
    lstore *owner = lua_touserdata(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    vss_lua_checkoptions(L, 2, keys);
    lua_getfield(L, 2, "type");
    const char *tname = lua_tostring(L, -1);
    int type = tname ? vss_store_type_parse(tname) : 0;
    if (type == 0)
        type_argerror(L, 2, tname ? tname : luaL_typename(L, -1));
    lua_getfield(L, 2, "base");
    const char *base = NULL;
    if (!lua_isnil(L, -1)) {
        luaL_argexpected(L, lua_type(L, -1) == LUA_TSTRING, 2, "base: a backup id");
        base = lua_tostring(L, -1);
        if (type == VSS_BT_FULL || type == VSS_BT_COPY) /* options that contradict each other */
            luaL_argerror(L, 2, lua_pushfstring(L, "base and type = \"%s\" contradict each other: "
                                                   "a %s backup has no base",
                                                tname, tname));
    }
    unsigned flags = wait_flag(L, 2);
    ltx *u = lua_newuserdatauv(L, sizeof *u, 1);
    memset(u, 0, sizeof *u);
    u->state = "aborted";
    luaL_setmetatable(L, TX_T);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    vss_error e;
    if (vss_store_begin(owner->s, type, base, flags, &u->tx, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    u->owner = owner;
    owner->ntx++;
    u->state = "open";
    snprintf(u->id, sizeof u->id, "%s", vss_store_tx_id(u->tx));
    return 1;
}

static void tx_release(ltx *u, const char *state)
{
    if (u->tx == NULL)
        return;
    vss_store_tx_free(u->tx);
    u->tx = NULL;
    u->state = state;
    u->owner->ntx--;
    store_release(u->owner);
}

/* The ranges option: a vss.Ranges, or an inline string (a new vss.Ranges
 * on the stack keeps it); NULL when absent. */
static const vss_ranges *opt_ranges(lua_State *L, int arg)
{
    if (lua_isnoneornil(L, arg) || lua_getfield(L, arg, "ranges") == LUA_TNIL)
        return NULL;
    return vss_lua_rangesarg(L, -1, arg, "ranges");
}

/* tx:add_file(name, source_path [, {ranges=, ranges_file=, attributes=}]) -> true | nil, msg, code */
static int l_add_file(lua_State *L)
{
    static const char *const keys[] = {"ranges", "ranges_file", "attributes", NULL};
    vss_lua_checknargs(L, 4);
    ltx *u = check_tx(L, 1);
    const char *name = check_cstring(L, 2, "name");
    const char *src = check_cstring(L, 3, "source_path");
    vss_lua_checkoptions(L, 4, keys);
    unsigned flags = vss_lua_fieldbool(L, 4, "attributes", true) ? VSS_STORE_ATTRS : 0;
    const char *ranges_file = NULL;
    if (!lua_isnoneornil(L, 4)) {
        lua_getfield(L, 4, "ranges_file");
        if (!lua_isnil(L, -1)) {
            luaL_argexpected(L, lua_type(L, -1) == LUA_TSTRING, 4, "ranges_file: a path");
            ranges_file = lua_tostring(L, -1);
        }
    }
    const vss_ranges *r = opt_ranges(L, 4);
    vss_error e;
    int rc = vss_store_tx_add_file(u->tx, name, src, r, ranges_file, flags, &e);
    return vss_lua_okresult(L, rc, &e);
}

/* tx:add_document(name, xml) -> true | nil, msg, code */
static int l_add_document(lua_State *L)
{
    vss_lua_checknargs(L, 3);
    ltx *u = check_tx(L, 1);
    const char *name = check_cstring(L, 2, "name");
    size_t len;
    const char *xml = luaL_checklstring(L, 3, &len);
    vss_error e;
    int rc = vss_store_tx_add_document(u->tx, name, xml, len, &e);
    return vss_lua_okresult(L, rc, &e);
}

/* tx:record_deleted(name) -> true | nil, msg, code */
static int l_record_deleted(lua_State *L)
{
    vss_lua_checknargs(L, 2);
    ltx *u = check_tx(L, 1);
    const char *name = check_cstring(L, 2, "name");
    vss_error e;
    return vss_lua_okresult(L, vss_store_tx_record_deleted(u->tx, name, &e), &e);
}

/* tx:commit() -> id | nil, msg, code. The transaction is over either way. */
static int l_commit(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    ltx *u = check_tx(L, 1);
    char id[VSS_STORE_ID_MAX];
    vss_error e;
    int rc = vss_store_tx_commit(u->tx, id, &e);
    tx_release(u, rc == VSS_OK ? "committed" : "aborted");
    if (rc != VSS_OK)
        return vss_lua_fail(L, &e);
    lua_pushstring(L, id);
    return 1;
}

/* tx:abort(), __close, __gc: drop what was written and the lock; idempotent. */
static int l_abort(lua_State *L)
{
    ltx *u = luaL_checkudata(L, 1, TX_T);
    tx_release(u, "aborted");
    return 0;
}

static int l_tx_id(lua_State *L)
{
    vss_lua_checknargs(L, 1);
    ltx *u = luaL_checkudata(L, 1, TX_T);
    lua_pushstring(L, u->id);
    return 1;
}

static int l_tx_tostring(lua_State *L)
{
    ltx *u = luaL_checkudata(L, 1, TX_T);
    if (u->tx) {
        const vss_store_info *in = vss_store_tx_info(u->tx);
        lua_pushfstring(L, "vss.StoreTransaction(%s, %s%s%s, %I entries, open)", u->id,
                        vss_store_type_name(in->type), in->base[0] ? " on " : "", in->base,
                        (lua_Integer)in->files);
    } else {
        lua_pushfstring(L, "vss.StoreTransaction(%s, %s)", u->id[0] ? u->id : "-", u->state);
    }
    return 1;
}

int vss_lua_open_store(lua_State *L)
{
    static const luaL_Reg store_meta[] = {
        {"__gc", l_store_close}, {"__close", l_store_close}, {"__tostring", l_store_tostring},
        {NULL, NULL}};
    static const luaL_Reg store_methods[] = {
        {"list", l_list}, {"chain", l_chain},         {"show", l_show},       {"document", l_document},
        {"entries", l_entries},   {"extract", l_extract}, {"read", l_read},
        {"verify", l_verify},     {"delete", l_delete},   {"begin", l_begin},
        {"close", l_store_close}, {"path", l_store_path}, {NULL, NULL}};
    static const luaL_Reg tx_meta[] = {
        {"__gc", l_abort}, {"__close", l_abort}, {"__tostring", l_tx_tostring}, {NULL, NULL}};
    static const luaL_Reg tx_methods[] = {{"add_file", l_add_file},
                                          {"add_document", l_add_document},
                                          {"record_deleted", l_record_deleted},
                                          {"commit", l_commit},
                                          {"abort", l_abort},
                                          {"id", l_tx_id},
                                          {NULL, NULL}};
    vss_lua_newclass(L, STORE_T, store_meta, store_methods);
    vss_lua_newclass(L, TX_T, tx_meta, tx_methods);
    lua_newtable(L);
    lua_pushcfunction(L, l_open);
    lua_setfield(L, -2, "open");
    vss_lua_export_methods(L, STORE_T);
    vss_lua_export_methods(L, TX_T);
    lua_pushliteral(L, VSS_STORE_COMPONENTS);
    lua_setfield(L, -2, "COMPONENTS");
    lua_pushinteger(L, VSS_STORE_VERSION);
    lua_setfield(L, -2, "FORMAT_VERSION");
    return 1;
}
