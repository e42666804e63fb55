/* The restore chain (engine/restore.h) driven by a C writer against a
 * real store and real files in a temporary directory (the Lua side is
 * spec/restore_spec.lua): full, incremental and differential chains
 * restored at every point and compared byte for byte with what was
 * backed up, a writer vetoing a step, a deleted base, a writer whose
 * writerRestore is never, and a writer failing post_restore. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup.h"
#include "engine/restore.h"
#include "store/store.h"
#include "check.h"

/* ---- a C writer: database files <root>/db/ *.db, logs <root>/log/ *.log ---- */

enum { POST_FINE, POST_MESSAGE, POST_HANDLER };

typedef struct cwriter {
    char db[256], log[256];
    const char *partial;  /* ranges of a.db reported at post_snapshot, or NULL */
    int writer_restore;   /* VSS_WRE_* of its metadata */
    int veto_at;          /* the pre_restore (1, 2...) it vetoes by message, 0: none */
    int fail_pre_at;      /* the pre_restore whose handler fails, 0: none */
    int post;             /* POST_* */
    int pre_restores;
    char events[1024];    /* restore events: "pre+ post pre- post " (+: additional restores) */
} cwriter;

static void note(cwriter *t, const char *s)
{
    size_t n = strlen(t->events);
    snprintf(t->events + n, sizeof t->events - n, "%s ", s);
}

static int identify(cwriter *t, vss_writer_metadata *wm, vss_error *e)
{
    vss_wm_component c = {.type = VSS_CT_DATABASE, .name = "main"};
    uint32_t schema = VSS_BS_INCREMENTAL | VSS_BS_DIFFERENTIAL | VSS_BS_TIMESTAMPED |
                      VSS_BS_WRITER_SUPPORTS_NEW_TARGET;
    if (vss_wm_set_restore_method(wm, VSS_RME_RESTORE_IF_CAN_REPLACE, NULL, NULL,
                                  t->writer_restore, false, e) != VSS_OK ||
        vss_wm_set_backup_schema(wm, schema, e) != VSS_OK ||
        vss_wm_add_component(wm, &c, e) != VSS_OK ||
        vss_wm_add_database_files(wm, NULL, "main", t->db, "*.db", VSS_FSBT_DEFAULT, e) != VSS_OK ||
        vss_wm_add_database_log_files(wm, NULL, "main", t->log, "*.log", VSS_FSBT_DEFAULT, e) !=
            VSS_OK)
        return VSS_FAIL;
    return VSS_OK;
}

static int on_event(void *ctx, vss_writer_event *ev, vss_error *e)
{
    cwriter *t = ctx;
    if (ev->type == VSS_EV_IDENTIFY)
        return identify(t, ev->metadata, e);
    if (ev->components == NULL || ev->components->component_count == 0)
        return VSS_OK;
    vss_bc_component *c = ev->components->components[0];
    switch (ev->type) {
    case VSS_EV_POST_SNAPSHOT:
        if (t->partial != NULL)
            return vss_bc_add_partial_file(ev->bc, c, t->db, "a.db", t->partial, NULL, e);
        return VSS_OK;
    case VSS_EV_PRE_RESTORE:
        t->pre_restores++;
        note(t, c->additional_restores ? "pre+" : "pre-");
        if (t->pre_restores == t->fail_pre_at)
            return vss_error_set(e, VSS_WRITER_RETRYABLE, "database is busy");
        if (t->pre_restores == t->veto_at)
            return vss_bc_set_pre_restore_failure_msg(ev->bc, c, "database is online", e);
        return VSS_OK;
    case VSS_EV_POST_RESTORE:
        note(t, "post");
        if (t->post == POST_HANDLER)
            return vss_error_set(e, VSS_WRITER_NONRETRYABLE, "recovery failed");
        if (t->post == POST_MESSAGE)
            return vss_bc_set_post_restore_failure_msg(ev->bc, c, "recovery failed", e);
        return VSS_OK;
    default:
        return VSS_OK;
    }
}

static const vss_writer_ops ops = {on_event, on_event, on_event, on_event, on_event, on_event,
                                   on_event, on_event, on_event, on_event, on_event, NULL};

/* ---- files ---- */

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, data, n) == (ssize_t)n);
    close(fd);
}

/* n bytes at off, overwritten in place with a pattern of seed */
static void poke(const char *path, off_t off, size_t n, unsigned seed)
{
    unsigned char buf[8192];
    for (size_t i = 0; i < n && i < sizeof buf; i++)
        buf[i] = (unsigned char)((i * 31 + seed * 7) ^ (i >> 5));
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, buf, n, off) == (ssize_t)n);
    close(fd);
}

static char *read_file(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    char *p = malloc((size_t)st.st_size + 1);
    *n = (size_t)st.st_size;
    CHECK(p != NULL && read(fd, p, *n) == (ssize_t)*n);
    close(fd);
    return p;
}

/* What the writer's files held at one point in time: "db/a.db" -> bytes. */
typedef struct tfile {
    char name[300];
    char *data;
    size_t size;
} tfile;

typedef struct tstate {
    tfile files[16];
    size_t n;
} tstate;

static void snap_dir(const char *base, const char *sub, tstate *s)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", base, sub);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", and a temporary a killed restore left */
        CHECK(s->n < 16);
        if (s->n >= 16)
            break;
        tfile *f = &s->files[s->n++];
        char path[1024];
        snprintf(f->name, sizeof f->name, "%s/%s", sub, de->d_name);
        snprintf(path, sizeof path, "%s/%s", base, f->name);
        f->data = read_file(path, &f->size);
    }
    closedir(d);
}

static int tfile_cmp(const void *a, const void *b)
{
    return strcmp(((const tfile *)a)->name, ((const tfile *)b)->name);
}

/* The db/ and log/ files beneath base. */
static void snap(const char *base, tstate *s)
{
    memset(s, 0, sizeof *s);
    snap_dir(base, "db", s);
    snap_dir(base, "log", s);
    qsort(s->files, s->n, sizeof *s->files, tfile_cmp);
}

static void state_free(tstate *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->files[i].data);
    memset(s, 0, sizeof *s);
}

/* The files beneath base are exactly want's, byte for byte. */
static bool same_tree(const char *base, const tstate *want)
{
    tstate got;
    snap(base, &got);
    bool same = got.n == want->n;
    for (size_t i = 0; same && i < got.n; i++)
        same = strcmp(got.files[i].name, want->files[i].name) == 0 &&
               got.files[i].size == want->files[i].size &&
               memcmp(got.files[i].data, want->files[i].data, got.files[i].size) == 0;
    if (!same) {
        fprintf(stderr, "  %s: want", base);
        for (size_t i = 0; i < want->n; i++)
            fprintf(stderr, " %s(%zu)", want->files[i].name, want->files[i].size);
        fprintf(stderr, "; got");
        for (size_t i = 0; i < got.n; i++)
            fprintf(stderr, " %s(%zu)", got.files[i].name, got.files[i].size);
        fprintf(stderr, "\n");
    }
    state_free(&got);
    return same;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- the fixture: a temporary root, its store, one writer ---- */

typedef struct fx {
    char root[64], store[96];
    cwriter t;
    vss_writer *w;
} fx;

static void fx_path(const fx *f, char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", f->root, rel);
}

static void fx_write(const fx *f, const char *rel, const char *data)
{
    char p[256];
    fx_path(f, p, sizeof p, rel);
    write_file(p, data, strlen(data));
}

static void fx_open(fx *f, int writer_restore)
{
    memset(f, 0, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/luavss-ctest.XXXXXX");
    CHECK(mkdtemp(f->root) != NULL);
    snprintf(f->store, sizeof f->store, "%s/store", f->root);
    snprintf(f->t.db, sizeof f->t.db, "%s/db", f->root);
    snprintf(f->t.log, sizeof f->t.log, "%s/log", f->root);
    CHECK(mkdir(f->t.db, 0755) == 0);
    CHECK(mkdir(f->t.log, 0755) == 0);
    unsigned char big[65536];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7 + (i >> 8));
    char p[256];
    fx_path(f, p, sizeof p, "db/a.db");
    write_file(p, big, sizeof big);
    fx_write(f, "db/b.db", "bee");
    fx_write(f, "log/1.log", "log one");
    f->t.writer_restore = writer_restore;
    vss_writer_info info = {.identity = {.writer_id = "11111111-1111-1111-1111-111111111111",
                                         .instance_id = "22222222-2222-2222-2222-222222222222",
                                         .name = "c"}};
    vss_error e;
    CHECK(vss_writer_new(&info, &ops, &f->t, &f->w, &e) == VSS_OK);
}

static void fx_close(fx *f)
{
    vss_writer_free(f->w);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    CHECK(system(cmd) == 0);
}

/* One backup of type; its id in id, and the writer's files as they are in s. */
static void backup(fx *f, int type, const char *partial, char id[VSS_STORE_ID_MAX], tstate *s)
{
    vss_writers *ws;
    vss_backup_components *bc;
    vss_bc_state st = {.backup_type = type, .select_components = true};
    vss_error e;
    CHECK(vss_writers_new(&ws, &e) == VSS_OK);
    CHECK(vss_writers_add(ws, f->w, &e) == VSS_OK);
    CHECK(vss_bc_new(&st, &bc, &e) == VSS_OK);
    f->t.partial = partial;
    vss_backup_options o = {.type = type, .partial_file_support = true};
    vss_backup_result r;
    CHECK(vss_backup_run(ws, bc, f->store, &o, &r, &e) == VSS_OK);
    CHECK(r.type == type);
    memcpy(id, r.id, VSS_STORE_ID_MAX);
    vss_backup_result_clear(&r);
    vss_writers_free(ws);
    vss_bc_free(bc);
    f->t.partial = NULL;
    if (s != NULL)
        snap(f->root, s);
}

/* on_step: the steps' backups, in order */
typedef struct seen_steps {
    char ids[8][VSS_STORE_ID_MAX];
    size_t n;
} seen_steps;

static int on_step(void *ud, vss_restore_step *s, vss_error *e)
{
    seen_steps *seen = ud;
    if (s->bc == NULL || s->nwms != 1 || seen->n >= 8)
        return vss_error_set(e, EINVAL, "step without its documents");
    snprintf(seen->ids[seen->n++], VSS_STORE_ID_MAX, "%s", s->backup);
    return VSS_OK;
}

/* Restore backup id (NULL: the latest) to <root>/<out> (location new), with
 * the fixture's writer told or not. */
static int restore_to(fx *f, const char *id, const char *out, bool told, seen_steps *seen,
                      vss_restore_result **r, vss_error *e)
{
    char to[256];
    fx_path(f, to, sizeof to, out);
    vss_restore_options o = {.backup = id, .location = VSS_RESTORE_LOCATION_NEW, .to = to,
                             .overwrite = -1, .on_step = seen ? on_step : NULL, .step_ud = seen};
    vss_writer *const ws[] = {f->w};
    f->t.events[0] = '\0';
    f->t.pre_restores = 0;
    return vss_restore(f->store, ws, told ? 1 : 0, &o, r, e);
}

/* ---- the tests ---- */

TEST(full_incremental_differential_chains_at_every_point)
{
    fx f;
    fx_open(&f, VSS_WRE_ALWAYS);
    char ids[5][VSS_STORE_ID_MAX], path[256];
    tstate states[5];
    fx_path(&f, path, sizeof path, "db/a.db");
    backup(&f, VSS_BT_FULL, NULL, ids[0], &states[0]);
    /* an incremental of a.db's changed ranges, a log added */
    poke(path, 4096, 100, 1);
    poke(path, 30000, 50, 2);
    fx_write(&f, "log/2.log", "log two");
    backup(&f, VSS_BT_INCREMENTAL, "4096:100,30000:50", ids[1], &states[1]);
    /* a whole-file incremental: b.db rewritten, a log gone */
    fx_write(&f, "db/b.db", "bee, second of its name");
    char one[256];
    fx_path(&f, one, sizeof one, "log/1.log");
    CHECK(unlink(one) == 0);
    backup(&f, VSS_BT_INCREMENTAL, NULL, ids[2], &states[2]);
    /* a differential: everything since the full */
    poke(path, 60000, 10, 3);
    backup(&f, VSS_BT_DIFFERENTIAL, NULL, ids[3], &states[3]);
    /* an incremental on the differential, of one range */
    poke(path, 0, 10, 4);
    backup(&f, VSS_BT_INCREMENTAL, "0:10", ids[4], &states[4]);

    static const size_t chain_of[5][4] = {{0}, {0, 1}, {0, 1, 2}, {0, 3}, {0, 3, 4}};
    static const size_t chain_len[5] = {1, 2, 3, 2, 3};
    for (size_t i = 0; i < 5; i++)
        for (int told = 0; told <= 1; told++) {
            char out[32], base[512];
            snprintf(out, sizeof out, "out%zu-%d", i, told);
            seen_steps seen = {0};
            vss_restore_result *r;
            vss_error e;
            int rc = restore_to(&f, ids[i], out, told, &seen, &r, &e);
            CHECK(rc == VSS_OK);
            if (rc != VSS_OK) {
                fprintf(stderr, "  point %zu told %d: %s: %s\n", i, told, vss_code_name(e.code),
                        e.message);
                vss_restore_result_free(r);
                continue;
            }
            CHECK_STR(r->backup, ids[i]);
            CHECK_EQ_U64(r->nchain, chain_len[i]);
            for (size_t k = 0; k < r->nchain && k < chain_len[i]; k++)
                CHECK_STR(r->chain[k].id, ids[chain_of[i][k]]);
            /* with the writer told, each backup is a step; without, one pass */
            size_t steps = told ? chain_len[i] : 1;
            CHECK_EQ_U64(r->nsteps, steps);
            CHECK_EQ_U64(r->nplanned, steps);
            CHECK(r->stopped == NULL);
            CHECK_EQ_U64(seen.n, steps);
            for (size_t k = 0; k < seen.n; k++)
                CHECK_STR(seen.ids[k], told ? ids[chain_of[i][k]] : ids[i]);
            CHECK_EQ_U64(r->failed, 0);
            CHECK_EQ_U64(r->restored, states[i].n);
            snprintf(base, sizeof base, "%s/%s%s", f.root, out, f.root);
            CHECK(same_tree(base, &states[i]));
            vss_restore_result_free(r);
            if (told && i == 2)
                CHECK_STR(f.t.events, "pre+ post pre+ post pre- post ");
            if (!told)
                CHECK_STR(f.t.events, "");
        }
    for (size_t i = 0; i < 5; i++)
        state_free(&states[i]);
    fx_close(&f);
}

TEST(a_writer_vetoing_a_step_stops_the_chain_there)
{
    for (int how = 0; how < 2; how++) {
        fx f;
        fx_open(&f, VSS_WRE_ALWAYS);
        char ids[3][VSS_STORE_ID_MAX], path[256];
        tstate states[3];
        fx_path(&f, path, sizeof path, "db/a.db");
        backup(&f, VSS_BT_FULL, NULL, ids[0], &states[0]);
        poke(path, 100, 200, 5);
        backup(&f, VSS_BT_INCREMENTAL, "100:200", ids[1], &states[1]);
        fx_write(&f, "db/b.db", "bee three");
        backup(&f, VSS_BT_INCREMENTAL, NULL, ids[2], &states[2]);
        /* the second step is refused: by a failure message, or a failing handler */
        if (how == 0)
            f.t.veto_at = 2;
        else
            f.t.fail_pre_at = 2;
        vss_restore_result *r;
        vss_error e;
        CHECK(restore_to(&f, NULL, "out", true, NULL, &r, &e) == VSS_FAIL);
        CHECK(e.code == VSS_EPARTIAL);
        char want[200];
        snprintf(want, sizeof want, "stopped at backup '%s' (2 of 3)", ids[1]);
        CHECK_CONTAINS(e.message, want);
        CHECK(r != NULL);
        if (r != NULL) {
            CHECK_STR(r->stopped, ids[1]);
            CHECK_EQ_U64(r->nsteps, 2);
            CHECK_EQ_U64(r->nplanned, 3);
            CHECK(r->nsteps == 2 && r->steps[1].nfiles > 0);
            for (size_t i = 0; r->nsteps == 2 && i < r->steps[1].nfiles; i++)
                CHECK(r->steps[1].files[i].status == VSS_RESTORE_FILE_SKIPPED);
            CHECK_EQ_U64(r->failed, r->nfiles);
            if (how == 0)
                CHECK_STR(r->components[0].pre_restore_failure, "database is online");
            vss_restore_result_free(r);
        }
        /* the first step laid the full; neither later backup was laid */
        CHECK_EQ_U64(f.t.pre_restores, 2);
        char base[512];
        snprintf(base, sizeof base, "%s/out%s", f.root, f.root);
        CHECK(same_tree(base, &states[0]));
        for (size_t i = 0; i < 3; i++)
            state_free(&states[i]);
        fx_close(&f);
    }
}

TEST(a_chain_whose_base_was_deleted_is_refused_writing_nothing)
{
    fx f;
    fx_open(&f, VSS_WRE_ALWAYS);
    char full[VSS_STORE_ID_MAX], inc[VSS_STORE_ID_MAX], path[256];
    fx_path(&f, path, sizeof path, "db/a.db");
    backup(&f, VSS_BT_FULL, NULL, full, NULL);
    poke(path, 0, 100, 6);
    backup(&f, VSS_BT_INCREMENTAL, "0:100", inc, NULL);
    vss_store *s;
    vss_error e;
    CHECK(vss_store_open(f.store, 0, &s, &e) == VSS_OK);
    CHECK(vss_store_delete(s, full, VSS_STORE_FORCE, NULL, NULL, &e) == VSS_OK);
    vss_store_free(s);
    for (int told = 0; told <= 1; told++) {
        vss_restore_result *r = (vss_restore_result *)&r;
        CHECK(restore_to(&f, NULL, "out", told, NULL, &r, &e) == VSS_FAIL);
        CHECK(r == NULL);
        CHECK(e.code == VSS_ECHAIN);
        char want[200];
        snprintf(want, sizeof want, "'%s' builds on '%s'", inc, full);
        CHECK_CONTAINS(e.message, want);
        CHECK_STR(f.t.events, "");
        fx_path(&f, path, sizeof path, "out");
        CHECK(!exists(path));
    }
    fx_close(&f);
}

TEST(a_writer_whose_writer_restore_is_never_is_not_told)
{
    fx f;
    fx_open(&f, VSS_WRE_NEVER);
    char ids[2][VSS_STORE_ID_MAX], path[256];
    tstate states[2];
    fx_path(&f, path, sizeof path, "db/a.db");
    backup(&f, VSS_BT_FULL, NULL, ids[0], &states[0]);
    poke(path, 1000, 10, 7);
    backup(&f, VSS_BT_INCREMENTAL, "1000:10", ids[1], &states[1]);
    vss_restore_result *r;
    vss_error e;
    CHECK(restore_to(&f, NULL, "out", true, NULL, &r, &e) == VSS_OK);
    CHECK_STR(f.t.events, "");
    CHECK(vss_writer_state(f.w) != VSS_WS_FAILED_AT_PRE_RESTORE);
    if (r != NULL) {
        /* a writer was given: still a step per backup, though none was told */
        CHECK_EQ_U64(r->nsteps, 2);
        CHECK_EQ_U64(r->restored, states[1].n);
        vss_restore_result_free(r);
    }
    char base[512];
    snprintf(base, sizeof base, "%s/out%s", f.root, f.root);
    CHECK(same_tree(base, &states[1]));
    for (size_t i = 0; i < 2; i++)
        state_free(&states[i]);
    fx_close(&f);
}

TEST(a_writer_failing_post_restore_fails_the_restore_with_the_files_back)
{
    for (int post = POST_MESSAGE; post <= POST_HANDLER; post++) {
        fx f;
        fx_open(&f, VSS_WRE_ALWAYS);
        char id[VSS_STORE_ID_MAX];
        tstate state;
        backup(&f, VSS_BT_FULL, NULL, id, &state);
        fx_write(&f, "db/b.db", "ruined");
        f.t.post = post;
        /* to the original location: the method replaces what is there */
        vss_restore_options o = {.overwrite = -1};
        vss_writer *const ws[] = {f.w};
        vss_restore_result *r;
        vss_error e;
        CHECK(vss_restore(f.store, ws, 1, &o, &r, &e) == VSS_FAIL);
        CHECK(e.code == VSS_EPOSTRESTORE);
        CHECK_CONTAINS(e.message, "writer 'c' failed post_restore for 'main'");
        CHECK_CONTAINS(e.message, "recovery failed");
        CHECK(r != NULL);
        if (r != NULL) {
            CHECK_EQ_U64(r->restored, state.n);
            CHECK_EQ_U64(r->failed, 0);
            CHECK(r->ncomponents == 1 && r->components[0].status == VSS_RS_ALL);
            CHECK_CONTAINS(r->components[0].post_restore_failure, "recovery failed");
            vss_restore_result_free(r);
        }
        CHECK(same_tree(f.root, &state));
        state_free(&state);
        fx_close(&f);
    }
}

TEST(options_and_an_empty_store_are_refused_before_anything_is_read)
{
    fx f;
    fx_open(&f, VSS_WRE_ALWAYS);
    vss_restore_result *r;
    vss_error e;
    vss_restore_options o = {.to = "/tmp/x"};
    CHECK(vss_restore(f.store, NULL, 0, &o, &r, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "'to' goes with location \"new\" only");
    vss_restore_new_target nt = {.path = "/srv", .filespec = "*", .to = "/tmp/x"};
    o = (vss_restore_options){.new_targets = &nt, .nnew_targets = 1};
    CHECK(vss_restore(f.store, NULL, 0, &o, &r, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "new targets go with location \"new\" only");
    o = (vss_restore_options){.location = 7};
    CHECK(vss_restore(f.store, NULL, 0, &o, &r, &e) == VSS_FAIL);
    CHECK(e.code == EINVAL);
    o = (vss_restore_options){0};
    vss_store *s;
    CHECK(vss_store_open(f.store, VSS_STORE_CREATE, &s, &e) == VSS_OK);
    vss_store_free(s);
    CHECK(vss_restore(f.store, NULL, 0, &o, &r, &e) == VSS_FAIL);
    CHECK(e.code == ENOENT);
    CHECK_CONTAINS(e.message, "holds no backup");
    CHECK(r == NULL);
    CHECK_STR(vss_restore_location_name(VSS_RESTORE_LOCATION_NEW), "new");
    CHECK(vss_restore_location_parse("alternate") == VSS_RESTORE_LOCATION_ALTERNATE);
    CHECK(vss_restore_location_parse("directed") == 0);
    CHECK(vss_restore_location_name(0) == NULL);
    fx_close(&f);
}

RUN_TESTS("test_restore", T(full_incremental_differential_chains_at_every_point),
          T(a_writer_vetoing_a_step_stops_the_chain_there),
          T(a_chain_whose_base_was_deleted_is_refused_writing_nothing),
          T(a_writer_whose_writer_restore_is_never_is_not_told),
          T(a_writer_failing_post_restore_fails_the_restore_with_the_files_back),
          T(options_and_an_empty_store_are_refused_before_anything_is_read))
