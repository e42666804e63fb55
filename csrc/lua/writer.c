/* vss.writer: the vss.Writer and vss.WriterSession userdata. A Lua writer
 * is one implementation of vss_writer_ops (csrc/engine/writer.h) whose callbacks
 * call the handlers kept in the Writer's uservalue; an external writer is
 * the engine's own (csrc/engine/writer_external.h). A session binds the
 * dispatcher: its methods deliver one event to all its writers.
 *
 * The engine calls a Lua handler from inside a session method, so the
 * session tells each Lua writer, for the length of the call, which
 * lua_State runs it and where the handler table and the BCD sit on that
 * stack. Handlers run under lua_pcall: a Lua error never unwinds the
 * engine's frames. */
#include <stdlib.h>
#include <string.h>

#include "engine/writer.h"
#include "engine/writer_external.h"
#include "docs.h"
#include "writer_bind.h"

#define WRITER_T "vss.Writer"
#define SESSION_T "vss.WriterSession"
#define ERROR_T "vss.WriterError"

typedef struct lwriter {
    vss_writer *w;
    bool external;
    /* Set by a session for the length of one event. */
    lua_State *L;
    int handlers; /* stack index of the handler table */
    int bc; /* stack index of the BackupComponents, 0 when none */
} lwriter;

typedef struct lsession {
    vss_writers *ws;
} lsession;

static lwriter *check_writer(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, WRITER_T);
}

static lsession *check_session(lua_State *L, int idx)
{
    lsession *s = luaL_checkudata(L, idx, SESSION_T);
    if (s->ws == NULL)
        luaL_argerror(L, idx, "attempt to use a closed vss.WriterSession");
    return s;
}

/* ---- error objects ---- */

static void push_error(lua_State *L, const char *code, const char *message)
{
    lua_createtable(L, 0, 2);
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    luaL_setmetatable(L, ERROR_T);
}

/* vss.writer.error(code, message): what a handler raises to fail with a
 * kind other than non-retryable. */
static int m_error(lua_State *L)
{
    const char *code = luaL_checkstring(L, 1);
    const char *name = NULL;
    for (int k = VSS_WE_NONE + 1; name == NULL && vss_writer_error_code(k) != 0; k++)
        if (strcmp(vss_code_name(vss_writer_error_code(k)), code) == 0)
            name = vss_code_name(vss_writer_error_code(k));
    if (name == NULL) { /* the bad value, and the valid ones */
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        lua_pushfstring(L, "invalid value '%s' (expected ", code);
        luaL_addvalue(&b);
        for (int k = VSS_WE_NONE + 1; vss_writer_error_code(k) != 0; k++) {
            if (k > VSS_WE_NONE + 1)
                luaL_addstring(&b, vss_writer_error_code(k + 1) != 0 ? ", " : " or ");
            luaL_addstring(&b, vss_code_name(vss_writer_error_code(k)));
        }
        luaL_addchar(&b, ')');
        luaL_pushresult(&b);
        return luaL_argerror(L, 1, lua_tostring(L, -1));
    }
    const char *msg = luaL_optstring(L, 2, name);
    vss_lua_checknargs(L, 2);
    push_error(L, name, msg);
    return 1;
}

static int error_tostring(lua_State *L)
{
    lua_getfield(L, 1, "code");
    lua_getfield(L, 1, "message");
    lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
    return 1;
}

/* The error value at the top of the stack (popped) as a handler failure.
 * Nothing here may raise: the engine's frames are below. */
static int handler_failure(lua_State *L, const char *event, vss_error *e)
{
    int top = lua_gettop(L);
    if (lua_getmetatable(L, -1)) {
        luaL_getmetatable(L, ERROR_T);
        bool ours = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (ours) {
            lua_pushliteral(L, "code");
            lua_rawget(L, top);
            lua_pushliteral(L, "message");
            lua_rawget(L, top);
            const char *code = lua_tostring(L, -2), *msg = lua_tostring(L, -1);
            int c = vss_code_from_name(code);
            vss_error_set(e, c ? c : VSS_WRITER_NONRETRYABLE, "%s", msg ? msg : event);
            lua_settop(L, top - 1);
            return VSS_FAIL;
        }
    }
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
        vss_error_set(e, VSS_WRITER_NONRETRYABLE, "%s", lua_tostring(L, -1));
    else
        vss_error_set(e, VSS_WRITER_NONRETRYABLE, "%s raised a %s value", event,
                      luaL_typename(L, -1));
    lua_settop(L, top - 1);
    return VSS_FAIL;
}

/* ---- deadlines: a count hook raises once the handler's time is up ---- */

static const char deadline_key = 'D'; /* registry: thread -> deadline (ms) */

static void deadline_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &deadline_key);
    lua_rawgetp(L, -1, L);
    lua_Integer deadline = lua_tointeger(L, -1);
    lua_pop(L, 2);
    if (deadline > 0 && vss_writer_clock_ms() > (uint64_t)deadline) {
        /* From now on at every instruction, so a handler that catches the
         * error with pcall cannot take another 1000 steps of its own. */
        lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
        push_error(L, "WRITER_TIMEOUT", "the handler was stopped at its deadline");
        lua_error(L);
    }
}

static void set_deadline(lua_State *L, uint64_t deadline_ms)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &deadline_key);
    if (deadline_ms)
        lua_pushinteger(L, (lua_Integer)deadline_ms);
    else
        lua_pushnil(L);
    lua_rawsetp(L, -2, L);
    lua_pop(L, 1);
}

/* ---- the Lua writer's callback ---- */

static int lua_event(void *ctx, vss_writer_event *ev, vss_error *e)
{
    lwriter *u = ctx;
    lua_State *L = u->L;
    const char *name = vss_writer_event_name(ev->type);
    if (L == NULL || !lua_checkstack(L, 8))
        return vss_error_set(e, VSS_WRITER_OUTOFRESOURCES, "%s: no Lua stack", name);
    lua_pushstring(L, name);
    if (lua_rawget(L, u->handlers) == LUA_TNIL) {
        lua_pop(L, 1);
        return VSS_OK; /* CVssWriter's default */
    }
    int nargs = 0;
    if (ev->bc != NULL && u->bc != 0) {
        lua_pushvalue(L, u->bc);
        nargs = 1;
    } else if (ev->type == VSS_EV_BACKUP_SHUTDOWN) {
        vss_lua_pushstr(L, ev->snapshot_set_id);
        nargs = 1;
    }
    lua_Hook old_hook = lua_gethook(L);
    int old_mask = lua_gethookmask(L), old_count = lua_gethookcount(L);
    set_deadline(L, ev->deadline_ms);
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1000);
    int st = lua_pcall(L, nargs, 1, 0);
    lua_sethook(L, old_hook, old_mask, old_count);
    set_deadline(L, 0);
    if (st != LUA_OK)
        return handler_failure(L, name, e);
    int rc = VSS_OK;
    if (ev->type == VSS_EV_IDENTIFY) {
        /* lua/vss/writer.lua's identify returns the filled document as XML */
        size_t len;
        const char *xml = lua_tolstring(L, -1, &len);
        vss_writer_metadata *wm = NULL;
        if (xml == NULL)
            rc = vss_error_set(e, VSS_WRITER_NONRETRYABLE, "identify returned no document");
        else if ((rc = vss_wm_parse(xml, len, &wm, e)) == VSS_OK) {
            vss_wm_free(ev->metadata);
            ev->metadata = wm;
        }
    }
    lua_pop(L, 1);
    return rc;
}

static const vss_writer_ops lua_ops = {lua_event, lua_event, lua_event, lua_event,
                                       lua_event, lua_event, lua_event, lua_event,
                                       lua_event, lua_event, lua_event, NULL};

/* ---- vss.Writer ---- */

static const char *field_string(lua_State *L, int t, const char *name, bool required)
{
    int ty = lua_getfield(L, t, name);
    lua_pop(L, 1); /* the table keeps the string alive */
    if (ty == LUA_TNIL && !required)
        return NULL;
    if (ty != LUA_TSTRING)
        luaL_argerror(L, t, lua_pushfstring(L, "%s: string expected", name));
    lua_getfield(L, t, name);
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    return s;
}

static uint32_t field_u32(lua_State *L, int t, const char *name)
{
    lua_getfield(L, t, name);
    int ok = 1;
    lua_Integer v = lua_isnil(L, -1) ? 0 : lua_tointegerx(L, -1, &ok);
    if (!ok || v < 0 || v > (lua_Integer)UINT32_MAX)
        luaL_argerror(L, t, lua_pushfstring(L, "%s: integer 0..2^32-1 expected", name));
    lua_pop(L, 1);
    return (uint32_t)v;
}

static uint32_t seconds_to_ms(lua_State *L, int t, const char *name)
{
    lua_Number s = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || !(s > 0) || s * 1000 > (lua_Number)UINT32_MAX)
        luaL_argerror(L, t, lua_pushfstring(L, "timeouts.%s: seconds (a positive number) "
                                               "expected", name));
    uint32_t ms = (uint32_t)(s * 1000 + 0.5);
    return ms ? ms : 1;
}

/* names, then every event's name, then NULL, into out (which holds
 * VSS_EV_COUNT more than names). */
static void with_events(const char *const *names, size_t n, const char **out)
{
    if (n > 0)
        memcpy(out, names, n * sizeof *out);
    for (int i = 0; i < VSS_EV_COUNT; i++)
        out[n + (size_t)i] = vss_writer_event_name(i);
    out[n + VSS_EV_COUNT] = NULL;
}

/* timeouts = { freeze_to_thaw = s, event = s, <event name> = s } */
static void read_timeouts(lua_State *L, int t, vss_writer_info *info)
{
    static const char *const names[] = {"freeze_to_thaw", "event"};
    int ty = lua_getfield(L, t, "timeouts");
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (ty != LUA_TTABLE)
        luaL_argerror(L, t, "timeouts: table expected");
    int tt = lua_gettop(L);
    const char *known[2 + VSS_EV_COUNT + 1];
    with_events(names, 2, known);
    vss_lua_checkfields(L, tt, t, "timeouts", known, false);
    /* which one wins is the engine's rule (vss_writer_event_timeout_ms) */
    uint32_t *into[2 + VSS_EV_COUNT] = {&info->freeze_to_thaw_ms, &info->event_default_ms};
    for (int i = 0; i < VSS_EV_COUNT; i++)
        into[2 + i] = &info->event_timeout_ms[i];
    for (size_t k = 0; known[k] != NULL; k++) {
        if (lua_getfield(L, tt, known[k]) != LUA_TNIL)
            *into[k] = seconds_to_ms(L, t, known[k]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int read_level(lua_State *L, int t)
{
    return vss_lua_fieldenum(L, t, "level", &vss_enum_application_level, VSS_APP_FRONT_END);
}

/* Misuse of a definition table: a field nobody reads is a typo. known
 * has n names (at most MAX_FIELDS); the events' handler names are fields
 * too. */
enum { MAX_FIELDS = 16 };
static void check_fields(lua_State *L, int t, const char *const *known, size_t n)
{
    const char *all[MAX_FIELDS + VSS_EV_COUNT + 1];
    with_events(known, n, all);
    vss_lua_checkfields(L, t, t, NULL, all, false);
}

static lwriter *push_writer(lua_State *L, int nuv)
{
    lwriter *u = lua_newuserdatauv(L, sizeof *u, nuv);
    memset(u, 0, sizeof *u);
    luaL_setmetatable(L, WRITER_T);
    return u;
}

/* new(def, handlers): def as vss.writer{} takes it; handlers maps event
 * names to the functions to call (lua/vss/writer.lua wraps the user's). */
static int m_new(lua_State *L)
{
    static const char *const known[] = {"name", "writer_id", "instance_id", "instance_name",
                                        "usage", "source", "major_version", "minor_version",
                                        "level", "timeouts"};
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    vss_lua_checknargs(L, 2);
    check_fields(L, 1, known, sizeof known / sizeof *known);
    for (int i = 0; i < VSS_EV_COUNT; i++) {
        const char *ev = vss_writer_event_name(i);
        int ty = lua_getfield(L, 1, ev);
        bool callable = ty == LUA_TNIL || ty == LUA_TFUNCTION;
        if (!callable && luaL_getmetafield(L, -1, "__call") != LUA_TNIL) {
            callable = true;
            lua_pop(L, 1);
        }
        if (!callable)
            luaL_argerror(L, 1, lua_pushfstring(L, "%s: function expected, got %s", ev,
                                                luaL_typename(L, -1)));
        lua_pop(L, 1);
    }
    vss_writer_info info = {
        .identity = {
            .writer_id = (char *)field_string(L, 1, "writer_id", true),
            .instance_id = (char *)field_string(L, 1, "instance_id", true),
            .name = (char *)field_string(L, 1, "name", true),
            .instance_name = (char *)field_string(L, 1, "instance_name", false),
            .usage = vss_lua_fieldenum(L, 1, "usage", &vss_enum_usage_type, VSS_UT_USERDATA),
            .source = vss_lua_fieldenum(L, 1, "source", &vss_enum_source_type, VSS_ST_OTHER),
            .major_version = field_u32(L, 1, "major_version"),
            .minor_version = field_u32(L, 1, "minor_version"),
        },
        .level = read_level(L, 1),
    };
    read_timeouts(L, 1, &info);
    lwriter *u = push_writer(L, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    vss_error e;
    if (vss_writer_new(&info, &lua_ops, u, &u->w, &e) != VSS_OK)
        return luaL_argerror(L, 1, e.message);
    return 1;
}

/* external{ metadata = path, events = { freeze = {argv...}, ... }, level =,
 * timeouts = } */
static int m_external(lua_State *L)
{
    static const char *const known[] = {"metadata", "events", "level", "timeouts"};
    luaL_checktype(L, 1, LUA_TTABLE);
    vss_lua_checknargs(L, 1);
    check_fields(L, 1, known, sizeof known / sizeof *known);
    vss_writer_external_cfg cfg = {.metadata = field_string(L, 1, "metadata", true),
                                   .level = read_level(L, 1)};
    vss_writer_info t = {0};
    read_timeouts(L, 1, &t);
    cfg.freeze_to_thaw_ms = t.freeze_to_thaw_ms;
    cfg.event_default_ms = t.event_default_ms;
    memcpy(cfg.event_timeout_ms, t.event_timeout_ms, sizeof cfg.event_timeout_ms);
    int ty = lua_getfield(L, 1, "events");
    if (ty != LUA_TNIL && ty != LUA_TTABLE)
        luaL_argerror(L, 1, "events: table expected");
    int evt = lua_gettop(L);
    /* Each argv is a userdata left on the stack below the iteration; its
     * strings stay alive in the events table while the engine copies them. */
    vss_error e;
    if (ty == LUA_TTABLE) {
        const char *names[VSS_EV_COUNT + 1];
        with_events(NULL, 0, names);
        vss_lua_checkfields(L, evt, 1, "events", names, false);
        for (int i = 0; i < VSS_EV_COUNT; i++) {
            const char *k = names[i];
            if (lua_getfield(L, evt, k) == LUA_TNIL) {
                lua_pop(L, 1);
                continue;
            }
            if (lua_type(L, -1) != LUA_TTABLE || luaL_len(L, -1) < 1)
                luaL_argerror(L, 1, lua_pushfstring(L, "events.%s: a list {program, args...} "
                                                       "expected", k));
            lua_Integer n = luaL_len(L, -1);
            luaL_checkstack(L, 4, NULL);
            const char **argv = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *argv, 0);
            for (lua_Integer j = 1; j <= n; j++) {
                if (lua_geti(L, -2, j) != LUA_TSTRING)
                    luaL_argerror(L, 1, lua_pushfstring(L, "events.%s[%d]: string expected",
                                                        k, (int)j));
                argv[j - 1] = lua_tostring(L, -1);
                lua_pop(L, 1);
            }
            argv[n] = NULL;
            cfg.commands[i] = argv;
            lua_remove(L, -2); /* the list; argv stays */
        }
    }
    lwriter *u = push_writer(L, 1);
    u->external = true;
    int rc = vss_writer_external_new(&cfg, &u->w, &e);
    if (rc != VSS_OK)
        return vss_lua_fail(L, &e);
    lua_newtable(L); /* no Lua handlers */
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int writer_gc(lua_State *L)
{
    lwriter *u = luaL_checkudata(L, 1, WRITER_T);
    /* A session holding this writer was finalized first: it was created
     * after the writer, and Lua runs finalizers in reverse order. */
    vss_writer_free(u->w);
    u->w = NULL;
    return 0;
}

static vss_writer *live_writer(lua_State *L, int idx)
{
    lwriter *u = check_writer(L, idx);
    if (u->w == NULL)
        luaL_argerror(L, idx, "attempt to use a released vss.Writer");
    return u->w;
}

static void push_state(lua_State *L, const vss_writer *w)
{
    vss_lua_pushenum(L, &vss_enum_writer_state, vss_writer_state(w));
}

static int writer_tostring(lua_State *L)
{
    vss_writer *w = live_writer(L, 1);
    const char *msg;
    int kind = vss_writer_failure(w, &msg);
    lua_pushfstring(L, "vss.Writer(%s\"%s\", ",
                    check_writer(L, 1)->external ? "external " : "", vss_writer_identity(w)->name);
    push_state(L, w);
    if (kind != VSS_WE_NONE)
        lua_pushfstring(L, ": %s)", vss_code_name(vss_writer_error_code(kind)));
    else
        lua_pushliteral(L, ")");
    lua_concat(L, 3);
    return 1;
}

static int writer_state(lua_State *L)
{
    vss_writer *w = live_writer(L, 1);
    vss_lua_checknargs(L, 1);
    push_state(L, w);
    return 1;
}

/* failure() -> code, message; nil when the writer has not failed */
static int writer_failure(lua_State *L)
{
    vss_writer *w = live_writer(L, 1);
    vss_lua_checknargs(L, 1);
    const char *msg;
    int kind = vss_writer_failure(w, &msg);
    if (kind == VSS_WE_NONE) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, vss_code_name(vss_writer_error_code(kind)));
    lua_pushstring(L, msg);
    return 2;
}

/* name, writer_id, instance_id into the table on top */
static void set_ids(lua_State *L, const vss_writer *w)
{
    const vss_wm_identity *id = vss_writer_identity(w);
    lua_pushstring(L, id->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, id->writer_id);
    lua_setfield(L, -2, "writer_id");
    lua_pushstring(L, id->instance_id);
    lua_setfield(L, -2, "instance_id");
}

static void push_identity(lua_State *L, const vss_writer *w)
{
    const vss_wm_identity *id = vss_writer_identity(w);
    lua_createtable(L, 0, 8);
    set_ids(L, w);
    vss_lua_pushstr(L, id->instance_name);
    lua_setfield(L, -2, "instance_name");
    vss_lua_pushenum(L, &vss_enum_usage_type, id->usage);
    lua_setfield(L, -2, "usage");
    vss_lua_pushenum(L, &vss_enum_source_type, id->source);
    lua_setfield(L, -2, "source");
    vss_lua_pushenum(L, &vss_enum_application_level, vss_writer_level(w));
    lua_setfield(L, -2, "level");
    lua_pushnumber(L, vss_writer_freeze_to_thaw_ms(w) / 1000.0);
    lua_setfield(L, -2, "freeze_to_thaw");
}

static int writer_identity(lua_State *L)
{
    vss_writer *w = live_writer(L, 1);
    vss_lua_checknargs(L, 1);
    push_identity(L, w);
    return 1;
}

/* metadata_xml() -> the document of the last identify as XML, or nil */
static int writer_metadata_xml(lua_State *L)
{
    vss_writer *w = live_writer(L, 1);
    vss_lua_checknargs(L, 1);
    const vss_writer_metadata *wm = vss_writer_metadata_of(w);
    if (wm == NULL) {
        lua_pushnil(L);
        return 1;
    }
    vss_error e;
    size_t len = 0;
    char *xml = vss_wm_xml(wm, &len, &e);
    return vss_lua_xmlresult(L, xml, len, &e);
}

/* failed_policy([required]) -> "keep" | "skip" | "fail": the requester's
 * choice for this writer (vss_writers_failed_policy). */
static int writer_failed_policy(lua_State *L)
{
    vss_writer *w = live_writer(L, 1);
    int required = vss_lua_optbool(L, 2, 0);
    vss_lua_checknargs(L, 2);
    lua_pushstring(L, vss_writers_failed_policy_name(vss_writers_failed_policy(w, required)));
    return 1;
}

/* ---- vss.WriterSession ---- */

/* session{ w1, w2, ... } */
static int m_session(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    vss_lua_checknargs(L, 1);
    lua_Integer n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        if (luaL_testudata(L, -1, WRITER_T) == NULL)
            luaL_argerror(L, 1, lua_pushfstring(L, "entry %d: vss.Writer expected, got %s",
                                                (int)i, luaL_typename(L, -1)));
        live_writer(L, -1);
        lua_pop(L, 1);
    }
    lsession *s = lua_newuserdatauv(L, sizeof *s, 1);
    s->ws = NULL;
    luaL_setmetatable(L, SESSION_T);
    lua_createtable(L, (int)n, 0);
    lua_setiuservalue(L, -2, 1);
    vss_error e;
    if (vss_writers_new(&s->ws, &e) != VSS_OK)
        return vss_lua_fail(L, &e);
    lua_getiuservalue(L, -1, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        /* into the list first: what the dispatcher holds, the session keeps alive */
        lua_geti(L, 1, i);
        lwriter *u = lua_touserdata(L, -1);
        lua_seti(L, -2, i);
        if (vss_writers_add(s->ws, u->w, &e) != VSS_OK)
            luaL_argerror(L, 1, lua_pushfstring(L, "entry %d: %s", (int)i, e.message));
    }
    lua_pop(L, 1);
    return 1;
}

/* Before an event: tell every Lua writer of the list at `list` where its
 * handlers and the BCD are. Leaves one handler table per writer on the
 * stack. */
static void bind_list(lua_State *L, int list, int bcidx)
{
    lua_Integer n = luaL_len(L, list);
    luaL_checkstack(L, (int)n + 10, "too many writers");
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, list, i);
        lwriter *u = lua_touserdata(L, -1);
        lua_getiuservalue(L, -1, 1);
        lua_replace(L, -2);
        u->L = L;
        u->handlers = lua_gettop(L);
        u->bc = bcidx;
    }
}

static void unbind_list(lua_State *L, int list, int top)
{
    lua_Integer n = luaL_len(L, list);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, list, i);
        lwriter *u = lua_touserdata(L, -1);
        u->L = NULL;
        u->handlers = u->bc = 0;
        lua_pop(L, 1);
    }
    lua_settop(L, top);
}

static void bind_writers(lua_State *L, int sidx, int bcidx)
{
    lua_getiuservalue(L, sidx, 1);
    bind_list(L, lua_gettop(L), bcidx);
}

static void unbind_writers(lua_State *L, int sidx, int top)
{
    lua_getiuservalue(L, sidx, 1);
    unbind_list(L, lua_gettop(L), top);
}

typedef int (*plain_event)(vss_writers *, vss_error *);
typedef int (*bc_event)(vss_writers *, vss_backup_components *, vss_error *);

/* true, or nil, message, code when a writer failed; misuse (an event out
 * of order) raises. */
static int event_result(lua_State *L, int rc, const vss_error *e)
{
    if (rc != VSS_OK && e->code == VSS_BAD_STATE)
        return luaL_error(L, "%s", e->message);
    return vss_lua_okresult(L, rc, e);
}

static int run_plain(lua_State *L, plain_event fn)
{
    lsession *s = check_session(L, 1);
    vss_lua_checknargs(L, 1);
    int top = lua_gettop(L);
    bind_writers(L, 1, 0);
    vss_error e;
    int rc = fn(s->ws, &e);
    unbind_writers(L, 1, top);
    return event_result(L, rc, &e);
}

static int run_bc(lua_State *L, bc_event fn)
{
    lsession *s = check_session(L, 1);
    vss_backup_components *bc = vss_lua_checkbc(L, 2);
    vss_lua_checknargs(L, 2);
    int top = lua_gettop(L);
    bind_writers(L, 1, 2);
    vss_error e;
    int rc = fn(s->ws, bc, &e);
    unbind_writers(L, 1, top);
    return event_result(L, rc, &e);
}

static int s_identify(lua_State *L) { return run_plain(L, vss_writers_identify); }
static int s_prepare_snapshot(lua_State *L) { return run_plain(L, vss_writers_prepare_snapshot); }
static int s_freeze(lua_State *L) { return run_plain(L, vss_writers_freeze); }
static int s_thaw(lua_State *L) { return run_plain(L, vss_writers_thaw); }
static int s_abort(lua_State *L) { return run_plain(L, vss_writers_abort); }
static int s_prepare_backup(lua_State *L) { return run_bc(L, vss_writers_prepare_backup); }
static int s_post_snapshot(lua_State *L) { return run_bc(L, vss_writers_post_snapshot); }
static int s_backup_complete(lua_State *L) { return run_bc(L, vss_writers_backup_complete); }
static int s_pre_restore(lua_State *L) { return run_bc(L, vss_writers_pre_restore); }
static int s_post_restore(lua_State *L) { return run_bc(L, vss_writers_post_restore); }

static int s_backup_shutdown(lua_State *L)
{
    lsession *s = check_session(L, 1);
    const char *id = vss_lua_optstr(L, 2);
    vss_lua_checknargs(L, 2);
    int top = lua_gettop(L);
    bind_writers(L, 1, 0);
    vss_error e;
    int rc = vss_writers_backup_shutdown(s->ws, id, &e);
    unbind_writers(L, 1, top);
    return event_result(L, rc, &e);
}

/* status() -> { {name=, writer_id=, instance_id=, state=, code=,
 * failure=, hresult=}, ... } (GatherWriterStatus) */
void vss_lua_push_writer_status(lua_State *L, const vss_writers *ws, const vss_writer *w)
{
    const char *msg;
    int kind = vss_writer_failure(w, &msg);
    lua_createtable(L, 0, 8);
    set_ids(L, w);
    push_state(L, w);
    lua_setfield(L, -2, "state");
    lua_pushboolean(L, vss_writers_involved(ws, w));
    lua_setfield(L, -2, "involved");
    if (kind != VSS_WE_NONE) {
        lua_pushstring(L, vss_code_name(vss_writer_error_code(kind)));
        lua_setfield(L, -2, "code");
        lua_pushstring(L, msg);
        lua_setfield(L, -2, "failure");
        lua_pushinteger(L, (lua_Integer)vss_writer_error_hresult(kind));
        lua_setfield(L, -2, "hresult");
    }
}

static int s_status(lua_State *L)
{
    lsession *s = check_session(L, 1);
    vss_lua_checknargs(L, 1);
    size_t n = vss_writers_count(s->ws);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        vss_lua_push_writer_status(L, s->ws, vss_writers_at(s->ws, i));
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* writers() -> the session's vss.Writer objects, in order */
static int s_writers(lua_State *L)
{
    check_session(L, 1);
    vss_lua_checknargs(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_Integer n = luaL_len(L, -1);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, -2, i);
        lua_seti(L, -2, i);
    }
    return 1;
}

/* close / __close / __gc: backup_shutdown to whoever is owed it, then the
 * dispatcher goes. Idempotent. */
static int s_close(lua_State *L)
{
    lsession *s = luaL_checkudata(L, 1, SESSION_T);
    if (s->ws == NULL)
        return 0;
    if (vss_writers_delivering(s->ws))
        return luaL_error(L, "close: a writer's handler is running");
    int top = lua_gettop(L);
    bind_writers(L, 1, 0);
    vss_writers_free(s->ws);
    s->ws = NULL;
    unbind_writers(L, 1, top);
    return 0;
}

static int s_tostring(lua_State *L)
{
    lsession *s = luaL_checkudata(L, 1, SESSION_T);
    if (s->ws == NULL)
        lua_pushliteral(L, "vss.WriterSession(closed)");
    else
        lua_pushfstring(L, "vss.WriterSession(%d writers)", (int)vss_writers_count(s->ws));
    return 1;
}

vss_writers *vss_lua_session_bind(lua_State *L, int sidx, int bcidx)
{
    lsession *s = check_session(L, sidx);
    bind_writers(L, sidx, bcidx);
    return s->ws;
}

void vss_lua_session_unbind(lua_State *L, int sidx, int top)
{
    unbind_writers(L, sidx, top);
}

vss_writer **vss_lua_writers_bind(lua_State *L, int list, int bcidx, size_t *n)
{
    *n = (size_t)luaL_len(L, list);
    vss_writer **v = lua_newuserdatauv(L, (*n + 1) * sizeof *v, 0);
    for (size_t i = 0; i < *n; i++) {
        lua_geti(L, list, (lua_Integer)i + 1);
        if (luaL_testudata(L, -1, WRITER_T) == NULL)
            luaL_argerror(L, list, lua_pushfstring(L, "writers: entry %d: vss.Writer expected, got %s",
                                                   (int)i + 1, luaL_typename(L, -1)));
        v[i] = live_writer(L, -1);
        lua_pop(L, 1);
    }
    bind_list(L, list, bcidx);
    return v;
}

void vss_lua_writers_unbind(lua_State *L, int list, int top)
{
    unbind_list(L, list, top);
}

int vss_lua_open_writer(lua_State *L)
{
    static const luaL_Reg writer_meta[] = {
        {"__gc", writer_gc}, {"__tostring", writer_tostring}, {NULL, NULL}};
    static const luaL_Reg writer_methods[] = {
        {"state", writer_state},
        {"failure", writer_failure},
        {"identity", writer_identity},
        {"metadata_xml", writer_metadata_xml},
        {"failed_policy", writer_failed_policy},
        {NULL, NULL}};
    static const luaL_Reg session_meta[] = {
        {"__gc", s_close}, {"__close", s_close}, {"__tostring", s_tostring}, {NULL, NULL}};
    static const luaL_Reg session_methods[] = {
        {"identify", s_identify},
        {"prepare_backup", s_prepare_backup},
        {"prepare_snapshot", s_prepare_snapshot},
        {"freeze", s_freeze},
        {"thaw", s_thaw},
        {"post_snapshot", s_post_snapshot},
        {"backup_complete", s_backup_complete},
        {"abort", s_abort},
        {"backup_shutdown", s_backup_shutdown},
        {"pre_restore", s_pre_restore},
        {"post_restore", s_post_restore},
        {"status", s_status},
        {"writers", s_writers},
        {"close", s_close},
        {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"new", m_new}, {"external", m_external}, {"session", m_session}, {"error", m_error},
        {NULL, NULL}};
    vss_lua_newclass(L, WRITER_T, writer_meta, writer_methods);
    vss_lua_newclass(L, SESSION_T, session_meta, session_methods);
    if (luaL_newmetatable(L, ERROR_T)) {
        lua_pushcfunction(L, error_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &deadline_key);
    if (lua_isnil(L, -1)) {
        lua_newtable(L); /* an entry lives for one handler call */
        lua_rawsetp(L, LUA_REGISTRYINDEX, &deadline_key);
    }
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    vss_lua_export_methods(L, WRITER_T);
    vss_lua_export_methods(L, SESSION_T);
    lua_pushinteger(L, VSS_EXTERNAL_EXIT_RETRYABLE);
    lua_setfield(L, -2, "EXIT_RETRYABLE");
    lua_pushinteger(L, VSS_EXTERNAL_EXIT_OUTOFRESOURCES);
    lua_setfield(L, -2, "EXIT_OUTOFRESOURCES");
    lua_pushinteger(L, VSS_EXTERNAL_EXIT_TIMEOUT);
    lua_setfield(L, -2, "EXIT_TIMEOUT");
    lua_pushinteger(L, VSS_EXTERNAL_EXIT_INCONSISTENTSNAPSHOT);
    lua_setfield(L, -2, "EXIT_INCONSISTENTSNAPSHOT");
    return 1;
}
