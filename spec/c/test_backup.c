/* The backup engine driven by a C writer (the Lua one is in
 * spec/backup_spec.lua): a full backup, a partial-file incremental with
 * its stamp carried over, and a required writer failing at freeze. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup.h"
#include "store/store.h"
#include "check.h"

typedef struct cwriter {
    char dir[256];
    int fail_at;          /* VSS_EV_* or -1 */
    const char *partial;  /* ranges reported in post_snapshot, or NULL */
    char seen_stamp[64];  /* previous stamp at prepare_backup */
    int backups;
} cwriter;

static int on_event(void *ctx, vss_writer_event *ev, vss_error *e)
{
    cwriter *t = ctx;
    if (ev->type == t->fail_at)
        return vss_error_set(e, VSS_WRITER_RETRYABLE, "not now");
    if (ev->type == VSS_EV_IDENTIFY) {
        vss_wm_component c = {.type = VSS_CT_DATABASE, .name = "main"};
        if (vss_wm_set_restore_method(ev->metadata, VSS_RME_RESTORE_IF_CAN_REPLACE, NULL, NULL,
                                      VSS_WRE_NEVER, false, e) != VSS_OK ||
            vss_wm_set_backup_schema(ev->metadata, VSS_BS_INCREMENTAL | VSS_BS_TIMESTAMPED,
                                     e) != VSS_OK ||
            vss_wm_add_component(ev->metadata, &c, e) != VSS_OK ||
            vss_wm_add_database_files(ev->metadata, NULL, "main", t->dir, "*.db",
                                      VSS_FSBT_DEFAULT, e) != VSS_OK)
            return VSS_FAIL;
    }
    if (ev->components == NULL || ev->components->component_count == 0)
        return VSS_OK;
    vss_bc_component *c = ev->components->components[0];
    if (ev->type == VSS_EV_PREPARE_BACKUP)
        snprintf(t->seen_stamp, sizeof t->seen_stamp, "%s",
                 c->previous_backup_stamp ? c->previous_backup_stamp : "");
    if (ev->type == VSS_EV_POST_SNAPSHOT) {
        char stamp[32];
        snprintf(stamp, sizeof stamp, "stamp-%d", ++t->backups);
        if (vss_bc_set_backup_stamp(ev->bc, c, stamp, e) != VSS_OK)
            return VSS_FAIL;
        if (t->partial &&
            vss_bc_add_partial_file(ev->bc, c, t->dir, "a.db", t->partial, NULL, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static const vss_writer_ops ops = {on_event, on_event, on_event, on_event, on_event, on_event,
                                   on_event, on_event, on_event, on_event, on_event, NULL};

typedef struct fx {
    char root[64], store[96];
    cwriter t;
    vss_writer *w;
} fx;

static void write_file(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
    close(fd);
}

static void fx_open(fx *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/luavss-ctest.XXXXXX");
    CHECK(mkdtemp(f->root) != NULL);
    snprintf(f->store, sizeof f->store, "%s/store", f->root);
    snprintf(f->t.dir, sizeof f->t.dir, "%s/db", f->root);
    CHECK(mkdir(f->t.dir, 0755) == 0);
    char p[300];
    snprintf(p, sizeof p, "%s/a.db", f->t.dir);
    write_file(p, "0123456789abcdefghij");
    f->t.fail_at = -1;
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

/* One backup of the fixture's writer; the result's writers are freed. */
static int run(fx *f, int type, const char *const *select, size_t nselect, vss_backup_result *r,
               vss_error *e)
{
    vss_writers *ws;
    vss_backup_components *bc;
    vss_bc_state st = {.backup_type = type, .select_components = true};
    CHECK(vss_writers_new(&ws, e) == VSS_OK);
    CHECK(vss_writers_add(ws, f->w, e) == VSS_OK);
    CHECK(vss_bc_new(&st, &bc, e) == VSS_OK);
    vss_backup_options o = {.type = type, .partial_file_support = true, .select = select,
                            .nselect = nselect};
    int rc = vss_backup_run(ws, bc, f->store, &o, r, e);
    vss_writers_free(ws);
    vss_bc_free(bc);
    return rc;
}

static size_t count_backups(const char *path)
{
    vss_store *s;
    vss_store_info *list;
    size_t n = 0;
    vss_error e;
    CHECK(vss_store_open(path, VSS_STORE_CREATE, &s, &e) == VSS_OK);
    CHECK(vss_store_list(s, 0, &list, &n, &e) == VSS_OK);
    free(list);
    vss_store_free(s);
    return n;
}

TEST(full_then_partial_incremental)
{
    fx f;
    fx_open(&f);
    vss_backup_result r;
    vss_error e;
    CHECK(run(&f, VSS_BT_FULL, NULL, 0, &r, &e) == VSS_OK);
    CHECK_EQ_U64(r.files, 1);
    CHECK_EQ_U64(r.bytes, 20);
    CHECK_STR(f.t.seen_stamp, "");
    vss_backup_result_clear(&r);
    f.t.partial = "2:3,10:4";
    CHECK(run(&f, VSS_BT_INCREMENTAL, NULL, 0, &r, &e) == VSS_OK);
    CHECK_EQ_U64(r.files, 1);
    CHECK_EQ_U64(r.bytes, 7);
    CHECK_STR(f.t.seen_stamp, "stamp-1");
    CHECK(r.nwriters == 1 && r.writers[0].type == VSS_BT_INCREMENTAL);
    vss_store *s;
    vss_store_manifest *m;
    CHECK(vss_store_open(f.store, 0, &s, &e) == VSS_OK);
    CHECK(vss_store_manifest_load(s, r.id, 0, &m, &e) == VSS_OK);
    char name[300];
    snprintf(name, sizeof name, "%s/a.db", f.t.dir);
    const vss_store_entry *en = vss_store_manifest_find(m, VSS_STORE_ENTRY_PARTIAL, name);
    CHECK(en != NULL);
    if (en != NULL) {
        CHECK_EQ_U64(en->stored, 7);
        CHECK_EQ_U64(en->size, 20);
    }
    CHECK(vss_store_manifest_find(m, VSS_STORE_ENTRY_DOCUMENT, VSS_STORE_COMPONENTS) != NULL);
    vss_store_manifest_free(m);
    vss_store_free(s);
    vss_backup_result_clear(&r);
    fx_close(&f);
}

TEST(required_writer_failing_at_freeze_commits_nothing)
{
    fx f;
    fx_open(&f);
    vss_backup_result r;
    vss_error e;
    CHECK(run(&f, VSS_BT_FULL, NULL, 0, &r, &e) == VSS_OK);
    vss_backup_result_clear(&r);
    f.t.fail_at = VSS_EV_FREEZE;
    static const char *const sel[] = {"main"};
    CHECK(run(&f, VSS_BT_FULL, sel, 1, &r, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_WRITER_RETRYABLE);
    CHECK_CONTAINS(e.message, "not now");
    CHECK(r.nwriters == 1 && r.writers[0].skipped);
    CHECK(vss_writer_state(f.w) == VSS_WS_FAILED_AT_FREEZE);
    vss_backup_result_clear(&r);
    CHECK_EQ_U64(count_backups(f.store), 1);
    /* not required: skipped; the backup would hold nothing, so it is none,
     * its message naming the writer and its failure */
    CHECK(run(&f, VSS_BT_FULL, NULL, 0, &r, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_WRITER_RETRYABLE);
    CHECK_CONTAINS(e.message, "failed at freeze: ");
    CHECK_CONTAINS(e.message, "not now");
    CHECK(r.writers[0].skipped);
    vss_backup_result_clear(&r);
    CHECK_EQ_U64(count_backups(f.store), 1);
    fx_close(&f);
}

RUN_TESTS("test_backup", T(full_then_partial_incremental),
          T(required_writer_failing_at_freeze_commits_nothing))
