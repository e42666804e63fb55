/* The backup store engine: opening and format versions, the chain of
 * backups, whole / sparse / partial files, names that are not paths,
 * verify naming the damage, delete with dependents, locks and leftovers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "store/store.h"
#include "check.h"

static char root[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, name);
    return buf[k];
}

static void remove_root(void)
{
    char cmd[128];
    if (root[0] && snprintf(cmd, sizeof cmd, "rm -rf '%s'", root) < (int)sizeof cmd)
        (void)!system(cmd);
}

static void setup(void)
{
    remove_root();
    snprintf(root, sizeof root, "/tmp/luavss-ctest-store.XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0 && vss_write_full(fd, data, n) == 0);
    close(fd);
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 9)) & 255);
    return p;
}

/* A pattern file `name` of n bytes and a range list over it. */
static unsigned char *source_with_ranges(const char *name, size_t n, unsigned seed,
                                         const char *ranges, vss_ranges **r)
{
    unsigned char *p = pattern(n, seed);
    write_file(tmp_path(name), p, n);
    vss_error e;
    *r = NULL;
    CHECK(vss_ranges_parse(ranges, strlen(ranges), 0, r, &e) == VSS_OK);
    return p;
}

static vss_store *new_store(const char *name)
{
    vss_store *s = NULL;
    vss_error e;
    CHECK(vss_store_open(tmp_path(name), VSS_STORE_CREATE, &s, &e) == VSS_OK);
    return s;
}

static void backup_one(vss_store *s, int type, const char *base, const char *name, const char *src,
                       char id[VSS_STORE_ID_MAX])
{
    vss_store_tx *tx = NULL;
    vss_error e;
    CHECK(vss_store_begin(s, type, base, 0, &tx, &e) == VSS_OK);
    if (tx == NULL)
        return;
    if (name)
        CHECK(vss_store_tx_add_file(tx, name, src, NULL, NULL, VSS_STORE_ATTRS, &e) == VSS_OK);
    CHECK(vss_store_tx_commit(tx, id, &e) == VSS_OK);
    vss_store_tx_free(tx);
}

TEST(open_create_and_versions)
{
    setup();
    vss_store *s = NULL;
    vss_error e;
    CHECK(vss_store_open(tmp_path("none"), 0, &s, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    s = new_store("st");
    vss_store_free(s);
    CHECK(vss_store_open(tmp_path("st"), 0, &s, &e) == VSS_OK);
    vss_store_free(s);
    /* a directory with other things in it is not taken over */
    mkdir(tmp_path("other"), 0700);
    write_file(tmp_path("other/x"), "x", 1);
    CHECK(vss_store_open(tmp_path("other"), VSS_STORE_CREATE, &s, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_EFORMAT);
    CHECK_CONTAINS(e.message, "not a luavss store");
    /* a newer format fails clearly */
    write_file(tmp_path("st/luavss-store"), "luavss-store\nversion 3\n", 23);
    CHECK(vss_store_open(tmp_path("st"), 0, &s, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_EFORMAT);
    CHECK_CONTAINS(e.message, "version 3");
}

TEST(chain_of_backups)
{
    setup();
    vss_store *s = new_store("st");
    write_file(tmp_path("f"), "hello", 5);
    char full[VSS_STORE_ID_MAX], inc[VSS_STORE_ID_MAX], inc2[VSS_STORE_ID_MAX],
        diff[VSS_STORE_ID_MAX];
    vss_store_tx *tx;
    vss_error e;
    CHECK(vss_store_begin(s, VSS_BT_INCREMENTAL, NULL, 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECHAIN);
    backup_one(s, VSS_BT_FULL, NULL, "f", tmp_path("f"), full);
    backup_one(s, VSS_BT_INCREMENTAL, NULL, "f", tmp_path("f"), inc);
    backup_one(s, VSS_BT_INCREMENTAL, NULL, "f", tmp_path("f"), inc2);
    backup_one(s, VSS_BT_DIFFERENTIAL, NULL, "f", tmp_path("f"), diff);
    CHECK(vss_store_begin(s, VSS_BT_DIFFERENTIAL, inc, 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECHAIN);
    CHECK(vss_store_begin(s, VSS_BT_FULL, full, 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK(vss_store_begin(s, VSS_BT_INCREMENTAL, "nope-9", 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    vss_store_info *v;
    size_t n;
    CHECK(vss_store_list(s, 0, &v, &n, &e) == VSS_OK);
    CHECK_EQ_U64(n, 4);
    if (n == 4) {
        CHECK_STR(v[0].id, full);
        CHECK(v[0].type == VSS_BT_FULL && v[0].base[0] == '\0');
        CHECK_STR(v[1].base, full); /* default base: the latest */
        CHECK_STR(v[2].base, inc);
        CHECK_STR(v[3].base, full); /* differential: the latest full */
        CHECK(v[3].type == VSS_BT_DIFFERENTIAL);
        CHECK_EQ_U64(v[0].files, 1);
        CHECK_EQ_U64(v[0].stored, 5);
    }
    free(v);
    vss_store_free(s);
}

/* The one rule of what a backup builds on: a log backup is incremental-like
 * (it builds on any backup but a copy, and incrementals and logs build on
 * it); a differential only on a full; nothing on a copy. */
TEST(what_a_backup_builds_on)
{
    static const int all[] = {VSS_BT_FULL, VSS_BT_INCREMENTAL, VSS_BT_DIFFERENTIAL, VSS_BT_LOG,
                              VSS_BT_COPY};
    for (size_t i = 0; i < 5; i++) {
        int t = all[i];
        CHECK(vss_store_builds_on(VSS_BT_DIFFERENTIAL, t) == (t == VSS_BT_FULL));
        CHECK(vss_store_builds_on(VSS_BT_INCREMENTAL, t) == (t != VSS_BT_COPY));
        CHECK(vss_store_builds_on(VSS_BT_LOG, t) == (t != VSS_BT_COPY));
        CHECK(!vss_store_builds_on(VSS_BT_FULL, t));
        CHECK(!vss_store_builds_on(VSS_BT_COPY, t));
        CHECK(!vss_store_builds_on(t, VSS_BT_UNDEFINED)); /* a damaged entry */
    }
    vss_store_info v[4] = {{.id = "a", .type = VSS_BT_FULL}, {.id = "b", .type = VSS_BT_LOG},
                           {.id = "c", .type = VSS_BT_INCREMENTAL}, {.id = "d", .type = VSS_BT_COPY}};
    CHECK_STR(vss_store_base_for(VSS_BT_INCREMENTAL, v, 4)->id, "c");
    CHECK_STR(vss_store_base_for(VSS_BT_LOG, v, 2)->id, "b");
    CHECK_STR(vss_store_base_for(VSS_BT_DIFFERENTIAL, v, 4)->id, "a");
    CHECK(vss_store_base_for(VSS_BT_FULL, v, 4) == NULL);
    CHECK(vss_store_base_for(VSS_BT_INCREMENTAL, v + 3, 1) == NULL);
    CHECK(vss_store_base_for(VSS_BT_LOG, v, 0) == NULL);
}

TEST(log_backups_in_chains)
{
    setup();
    vss_store *s = new_store("st");
    write_file(tmp_path("f"), "hello", 5);
    char full[VSS_STORE_ID_MAX], log[VSS_STORE_ID_MAX], inc[VSS_STORE_ID_MAX],
        log2[VSS_STORE_ID_MAX], copy[VSS_STORE_ID_MAX];
    vss_store_tx *tx;
    vss_error e;
    CHECK(vss_store_begin(s, VSS_BT_LOG, NULL, 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECHAIN);
    CHECK_CONTAINS(e.message, "no full, incremental, differential or log backup");
    backup_one(s, VSS_BT_FULL, NULL, "f", tmp_path("f"), full);
    backup_one(s, VSS_BT_LOG, NULL, "f", tmp_path("f"), log);   /* full -> log */
    backup_one(s, VSS_BT_INCREMENTAL, NULL, "f", tmp_path("f"), inc); /* -> incremental */
    backup_one(s, VSS_BT_LOG, NULL, "f", tmp_path("f"), log2);  /* -> log */
    backup_one(s, VSS_BT_COPY, NULL, "f", tmp_path("f"), copy);
    CHECK(vss_store_begin(s, VSS_BT_DIFFERENTIAL, log, 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECHAIN);
    CHECK_CONTAINS(e.message, "a log backup; it builds on a full backup");
    CHECK(vss_store_begin(s, VSS_BT_LOG, copy, 0, &tx, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECHAIN);
    CHECK(vss_store_begin(s, VSS_BT_INCREMENTAL, log, 0, &tx, &e) == VSS_OK); /* named: fine */
    CHECK_STR(vss_store_tx_info(tx)->base, log);
    vss_store_tx_free(tx);
    vss_store_info *v;
    size_t n;
    CHECK(vss_store_list(s, 0, &v, &n, &e) == VSS_OK);
    CHECK_EQ_U64(n, 5);
    if (n == 5) {
        CHECK_STR(v[1].base, full); /* the log on the full */
        CHECK_STR(v[2].base, log);  /* the incremental on the log */
        CHECK_STR(v[3].base, inc);  /* the second log on the incremental */
        CHECK(v[3].type == VSS_BT_LOG && v[4].base[0] == '\0');
    }
    free(v);
    /* the chain a restore walks goes through the logs */
    vss_store_reader *rd;
    CHECK(vss_store_reader_open(s, 0, &rd, &e) == VSS_OK);
    CHECK(vss_store_reader_chain(rd, log2, &v, &n, &e) == VSS_OK);
    CHECK_EQ_U64(n, 4);
    if (n == 4) {
        CHECK_STR(v[0].id, full);
        CHECK_STR(v[1].id, log);
        CHECK_STR(v[2].id, inc);
        CHECK_STR(v[3].id, log2);
    }
    free(v);
    vss_store_reader_free(rd);
    vss_store_free(s);
}

TEST(whole_file_round_trip_with_digest)
{
    setup();
    vss_store *s = new_store("st");
    size_t n = 3 * 1024 * 1024 + 17;
    unsigned char *p = pattern(n, 1);
    write_file(tmp_path("src"), p, n);
    char id[VSS_STORE_ID_MAX];
    backup_one(s, VSS_BT_FULL, NULL, "/var/db/main.db", tmp_path("src"), id);
    vss_store_manifest *m;
    vss_error e;
    CHECK(vss_store_manifest_load(s, id, 0, &m, &e) == VSS_OK);
    const vss_store_entry *en = vss_store_manifest_find(m, VSS_STORE_ENTRY_FILE, "/var/db/main.db");
    CHECK(en != NULL);
    if (en) {
        vss_digest d = vss_digest_of(p, n);
        CHECK(vss_digest_equal(&d, &en->digest));
        CHECK_EQ_U64(en->size, n);
        CHECK(en->attrs != NULL && (en->attrs->mode & 0777) == 0644);
    }
    vss_store_manifest_free(m);
    int fd = open(tmp_path("out"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    write_file(tmp_path("out"), "old content that must go away................", 46);
    CHECK(vss_store_extract(s, id, "/var/db/main.db", fd, 0, &e) == VSS_OK);
    unsigned char *back = malloc(n + 1);
    CHECK(pread(fd, back, n + 1, 0) == (ssize_t)n);
    CHECK(memcmp(back, p, n) == 0);
    close(fd);
    CHECK(vss_store_extract(s, id, "/missing", -1, 0, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    free(back);
    free(p);
    vss_store_free(s);
}

TEST(sparse_file_stays_sparse)
{
    setup();
    vss_store *s = new_store("st");
    int fd = open(tmp_path("sparse"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    uint64_t size = 256ull << 20;
    CHECK(ftruncate(fd, (off_t)size) == 0);
    CHECK(pwrite(fd, "head", 4, 0) == 4);
    CHECK(pwrite(fd, "middle", 6, 128 << 20) == 6);
    close(fd);
    char id[VSS_STORE_ID_MAX];
    backup_one(s, VSS_BT_FULL, NULL, "sparse", tmp_path("sparse"), id);
    vss_store_manifest *m;
    vss_error e;
    CHECK(vss_store_manifest_load(s, id, 0, &m, &e) == VSS_OK);
    const vss_store_entry *en = vss_store_manifest_find(m, VSS_STORE_ENTRY_FILE, "sparse");
    CHECK(en && vss_ranges_count(en->ranges) == 2 && en->stored < (1u << 20));
    char obj[256];
    snprintf(obj, sizeof obj, "%s/st/backups/%s/data/%s", root, id, en ? en->object : "");
    struct stat st;
    CHECK(stat(obj, &st) == 0 && (uint64_t)st.st_size == size && st.st_blocks * 512 < (4u << 20));
    vss_store_manifest_free(m);
    fd = open(tmp_path("out"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(vss_store_extract(s, id, "sparse", fd, 0, &e) == VSS_OK);
    CHECK(fstat(fd, &st) == 0 && (uint64_t)st.st_size == size && st.st_blocks * 512 < (4u << 20));
    char buf[8] = {0};
    CHECK(pread(fd, buf, 6, 128 << 20) == 6 && memcmp(buf, "middle", 6) == 0);
    close(fd);
    vss_store_free(s);
}

TEST(partial_file_keeps_only_the_ranges)
{
    setup();
    vss_store *s = new_store("st");
    size_t n = 1 << 20;
    vss_ranges *r;
    vss_error e;
    /* unsorted and past the end: kept sorted and clipped */
    unsigned char *p = source_with_ranges("db", n, 2, "8192:4096,100:10,1048000:4096", &r);
    vss_store_tx *tx;
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "db", tmp_path("db"), r, NULL, 0, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "db", tmp_path("db"), NULL, NULL, 0, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    CHECK(vss_store_tx_record_deleted(tx, "db", &e) == VSS_FAIL);
    CHECK(vss_store_tx_add_file(tx, "dir", root, NULL, NULL, 0, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK(vss_store_tx_add_file(tx, "dir", root, NULL, NULL, 0, &e) == VSS_FAIL); /* name freed */
    char id[VSS_STORE_ID_MAX];
    CHECK(vss_store_tx_commit(tx, id, &e) == VSS_OK);
    vss_store_tx_free(tx);
    vss_store_manifest *m;
    CHECK(vss_store_manifest_load(s, id, 0, &m, &e) == VSS_OK);
    const vss_store_entry *en = vss_store_manifest_find(m, VSS_STORE_ENTRY_PARTIAL, "db");
    CHECK(en != NULL);
    if (en) {
        CHECK_EQ_U64(en->stored, 10 + 4096 + (n - 1048000));
        char *f = vss_ranges_format(en->ranges, NULL);
        CHECK_STR(f, "100:10,8192:4096,1048000:576");
        free(f);
    }
    vss_store_manifest_free(m);
    int fd = open(tmp_path("out"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(vss_store_extract(s, id, "db", fd, 0, &e) == VSS_OK);
    unsigned char buf[4096];
    CHECK(pread(fd, buf, 4096, 8192) == 4096 && memcmp(buf, p + 8192, 4096) == 0);
    CHECK(pread(fd, buf, 10, 100) == 10 && memcmp(buf, p + 100, 10) == 0);
    CHECK(pread(fd, buf, 10, 0) == 10 && buf[0] == 0); /* not stored: a hole */
    close(fd);
    vss_ranges_free(r);
    free(p);
    vss_store_free(s);
}

/* A partial file named by a ranges file: the store reads that file once,
 * so the ranges file it keeps and the ranges it copied are one version
 * (a second read could see a file rewritten in between). */
TEST(ranges_file_kept_is_the_ranges_copied)
{
    setup();
    vss_store *s = new_store("st");
    size_t n = 1 << 20;
    vss_ranges *r;
    vss_error e;
    unsigned char *p = source_with_ranges("db", n, 3, "8192:4096,100:10,1048000:4096", &r);
    CHECK(vss_ranges_save(r, tmp_path("db.ranges"), &e) == VSS_OK);
    vss_store_tx *tx;
    char id[VSS_STORE_ID_MAX];
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "db", tmp_path("db"), NULL, tmp_path("db.ranges"), 0, &e) ==
          VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "bad", tmp_path("db"), NULL, tmp_path("db"), 0, &e) ==
          VSS_FAIL); /* not a ranges file: nothing kept */
    CHECK_CODE(e.code, EINVAL);
    CHECK(vss_store_tx_commit(tx, id, &e) == VSS_OK);
    vss_store_tx_free(tx);
    /* the file changes after the backup: the store keeps what it read */
    vss_ranges *later = NULL;
    CHECK(vss_ranges_parse("0:1", 3, 0, &later, &e) == VSS_OK);
    CHECK(vss_ranges_save(later, tmp_path("db.ranges"), &e) == VSS_OK);
    vss_store_reader *rd;
    CHECK(vss_store_reader_open(s, 0, &rd, &e) == VSS_OK);
    const vss_store_entry *en = vss_store_reader_find(rd, id, VSS_STORE_ENTRY_FILE, "db");
    CHECK(en != NULL && en->kind == VSS_STORE_ENTRY_PARTIAL && en->ranges_file != NULL);
    CHECK(vss_store_reader_find(rd, id, VSS_STORE_ENTRY_FILE, "bad") == NULL);
    if (en != NULL && en->ranges_file != NULL) {
        CHECK_STR(en->ranges_file, tmp_path("db.ranges"));
        int fd = open(tmp_path("kept.ranges"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(vss_store_reader_ranges_file(rd, id, en, fd, &e) == VSS_OK);
        unsigned char kept[256];
        ssize_t got = pread(fd, kept, sizeof kept, 0);
        close(fd);
        CHECK(got == 8 + 3 * 16); /* the file as it was at backup, three entries */
        /* its ranges, kept sorted and clipped to the file, are those copied */
        vss_ranges *back = NULL;
        CHECK(vss_ranges_decode(kept, got > 0 ? (size_t)got : 0, "kept", &back, &e) == VSS_OK);
        if (back != NULL) {
            vss_ranges_normalize(back);
            vss_ranges_clip(back, n);
            char *a = vss_ranges_format(back, NULL), *b = vss_ranges_format(en->ranges, NULL);
            CHECK_STR(a, b);
            CHECK_STR(b, "100:10,8192:4096,1048000:576");
            free(a);
            free(b);
        }
        vss_ranges_free(back);
    }
    vss_store_reader_free(rd);
    vss_ranges_free(later);
    vss_ranges_free(r);
    free(p);
    vss_store_free(s);
}

/* The reader of restores: chains, lookups among many names, a partial
 * file laid over a base and sized as it was, damage named. */
TEST(reader_chains_finds_and_lays)
{
    setup();
    vss_store *s = new_store("st");
    size_t n = 65536;
    unsigned char *base = pattern(n, 3);
    write_file(tmp_path("db"), base, n);
    vss_store_tx *tx;
    vss_error e;
    char full[VSS_STORE_ID_MAX], inc[VSS_STORE_ID_MAX], inc2[VSS_STORE_ID_MAX];
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "/d/db", tmp_path("db"), NULL, NULL, 0, &e) == VSS_OK);
    for (int i = 0; i < 300; i++) { /* many names around it */
        char name[32];
        snprintf(name, sizeof name, "/d/f%03d", i);
        CHECK(vss_store_tx_add_file(tx, name, tmp_path("db"), NULL, NULL, 0, &e) == VSS_OK);
    }
    CHECK(vss_store_tx_commit(tx, full, &e) == VSS_OK);
    vss_store_tx_free(tx);
    /* the file grows and two ranges change: a partial entry */
    unsigned char *grown = pattern(n + 4096, 9);
    memcpy(grown + 4096, base + 4096, n - 8192); /* unchanged between the ranges */
    write_file(tmp_path("db"), grown, n + 4096);
    vss_ranges *r;
    CHECK(vss_ranges_parse("0:4096,61440:8192", 17, 0, &r, &e) == VSS_OK);
    CHECK(vss_store_begin(s, VSS_BT_INCREMENTAL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "/d/db", tmp_path("db"), r, NULL, 0, &e) == VSS_OK);
    CHECK(vss_store_tx_record_deleted(tx, "/d/f007", &e) == VSS_OK);
    CHECK(vss_store_tx_commit(tx, inc, &e) == VSS_OK);
    vss_store_tx_free(tx);
    backup_one(s, VSS_BT_INCREMENTAL, NULL, NULL, NULL, inc2);

    vss_store_reader *rd;
    CHECK(vss_store_reader_open(s, 0, &rd, &e) == VSS_OK);
    vss_store_info *chain;
    size_t len;
    CHECK(vss_store_reader_chain(rd, inc2, &chain, &len, &e) == VSS_OK);
    CHECK_EQ_U64(len, 3);
    if (len == 3) {
        CHECK_STR(chain[0].id, full);
        CHECK_STR(chain[1].id, inc);
        CHECK_STR(chain[2].id, inc2);
    }
    free(chain);
    CHECK(vss_store_reader_chain(rd, "nope-1", &chain, &len, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    const vss_store_entry *en = vss_store_reader_find(rd, full, VSS_STORE_ENTRY_FILE, "/d/f150");
    CHECK(en != NULL && strcmp(en->name, "/d/f150") == 0);
    CHECK(vss_store_reader_find(rd, full, VSS_STORE_ENTRY_FILE, "/d/f300") == NULL);
    CHECK(vss_store_reader_find(rd, full, VSS_STORE_ENTRY_DOCUMENT, "/d/f150") == NULL);
    en = vss_store_reader_find(rd, inc, VSS_STORE_ENTRY_FILE, "/d/f007");
    CHECK(en != NULL && en->kind == VSS_STORE_ENTRY_DELETED);
    /* the base, then the partial over it: the new file, byte for byte */
    int fd = open(tmp_path("out"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const vss_store_entry *whole = vss_store_reader_find(rd, full, VSS_STORE_ENTRY_FILE, "/d/db");
    const vss_store_entry *part = vss_store_reader_find(rd, inc, VSS_STORE_ENTRY_FILE, "/d/db");
    CHECK(whole && part && part->kind == VSS_STORE_ENTRY_PARTIAL);
    if (whole && part) {
        CHECK(vss_store_reader_lay(rd, full, whole, fd, 0, &e) == VSS_OK);
        CHECK(vss_store_reader_lay(rd, inc, part, fd, 0, &e) == VSS_OK);
        struct stat st;
        CHECK(fstat(fd, &st) == 0 && (size_t)st.st_size == n + 4096);
        unsigned char *got = malloc(n + 4096);
        CHECK(pread(fd, got, n + 4096, 0) == (ssize_t)(n + 4096));
        CHECK(memcmp(got, grown, n + 4096) == 0);
        free(got);
        CHECK(vss_store_reader_lay(rd, inc, en, fd, 0, &e) == VSS_FAIL); /* deleted */
        CHECK_CODE(e.code, ENOENT);
    }
    close(fd);
    vss_store_reader_free(rd);
    vss_ranges_free(r);
    free(base);
    free(grown);
    vss_store_free(s);
}

TEST(names_are_data_not_paths)
{
    setup();
    vss_store *s = new_store("st");
    write_file(tmp_path("f"), "x", 1);
    static const char *const names[] = {"../../etc/passwd", "a b\nc", "100%=;,", "\xc3\xa9t\xc3\xa9",
                                        "/", "\t\x01\x7f"};
    vss_store_tx *tx;
    vss_error e;
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    for (size_t i = 0; i < 6; i++)
        CHECK(vss_store_tx_add_file(tx, names[i], tmp_path("f"), NULL, NULL, 0, &e) == VSS_OK);
    CHECK(vss_store_tx_add_document(tx, "a b\nc", "<x/>", 4, &e) == VSS_OK);
    char id[VSS_STORE_ID_MAX];
    CHECK(vss_store_tx_commit(tx, id, &e) == VSS_OK);
    vss_store_tx_free(tx);
    vss_store_manifest *m;
    CHECK(vss_store_manifest_load(s, id, 0, &m, &e) == VSS_OK);
    CHECK_EQ_U64(m->n, 7);
    for (size_t i = 0; i < 6 && i < m->n; i++)
        CHECK_STR(m->entries[i].name, names[i]);
    vss_store_manifest_free(m);
    char *doc;
    size_t len;
    CHECK(vss_store_document(s, id, "a b\nc", 0, &doc, &len, &e) == VSS_OK);
    CHECK(len == 4 && memcmp(doc, "<x/>", 4) == 0);
    free(doc);
    struct stat st;
    CHECK(stat(tmp_path("etc"), &st) != 0); /* nothing written by name */
    vss_store_free(s);
}

/* Which documents of a backup are writer metadata: all but the backup
 * components document, in the order stored. */
TEST(writer_metadata_documents_are_the_other_documents)
{
    setup();
    vss_store *s = new_store("st");
    write_file(tmp_path("f"), "x", 1);
    vss_store_tx *tx;
    vss_error e;
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_tx_add_document(tx, "{b-writer}", "<b/>", 4, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "/srv/f", tmp_path("f"), NULL, NULL, 0, &e) == VSS_OK);
    CHECK(vss_store_tx_add_document(tx, VSS_STORE_COMPONENTS, "<c/>", 4, &e) == VSS_OK);
    CHECK(vss_store_tx_add_document(tx, "{a-writer}", "<a/>", 4, &e) == VSS_OK);
    char id[VSS_STORE_ID_MAX];
    CHECK(vss_store_tx_commit(tx, id, &e) == VSS_OK);
    vss_store_tx_free(tx);
    vss_store_manifest *m;
    CHECK(vss_store_manifest_load(s, id, 0, &m, &e) == VSS_OK);
    const vss_store_entry *en = vss_store_manifest_writer_metadata(m, NULL);
    CHECK(en != NULL && strcmp(en->name, "{b-writer}") == 0);
    en = en ? vss_store_manifest_writer_metadata(m, en) : NULL;
    CHECK(en != NULL && strcmp(en->name, "{a-writer}") == 0);
    CHECK(en == NULL || vss_store_manifest_writer_metadata(m, en) == NULL);
    vss_store_manifest_free(m);
    backup_one(s, VSS_BT_FULL, NULL, "/srv/f", tmp_path("f"), id); /* no documents at all */
    CHECK(vss_store_manifest_load(s, id, 0, &m, &e) == VSS_OK);
    CHECK(vss_store_manifest_writer_metadata(m, NULL) == NULL);
    vss_store_manifest_free(m);
    vss_store_free(s);
}

static void flip_byte(const char *path, off_t at)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    unsigned char c;
    CHECK(pread(fd, &c, 1, at) == 1);
    c ^= 0x40;
    CHECK(pwrite(fd, &c, 1, at) == 1);
    close(fd);
}

TEST(verify_names_the_damage)
{
    setup();
    vss_store *s = new_store("st");
    vss_ranges *r;
    vss_error e;
    unsigned char *p = source_with_ranges("db", 64 * 1024, 3, "0:4096,16384:4096,32768:4096", &r);
    vss_store_tx *tx;
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "whole", tmp_path("db"), NULL, NULL, 0, &e) == VSS_OK);
    CHECK(vss_store_tx_add_file(tx, "part", tmp_path("db"), r, NULL, 0, &e) == VSS_OK);
    char id[VSS_STORE_ID_MAX], id2[VSS_STORE_ID_MAX];
    CHECK(vss_store_tx_commit(tx, id, &e) == VSS_OK);
    vss_store_tx_free(tx);
    backup_one(s, VSS_BT_INCREMENTAL, NULL, "whole", tmp_path("db"), id2);
    vss_store_report *rep;
    CHECK(vss_store_verify(s, NULL, 0, &rep, &e) == VSS_OK);
    CHECK(rep->nproblems == 0 && rep->backups == 2 && rep->files == 3);
    vss_store_report_free(rep);
    /* objects: f1 = whole, f2 = part (second range at 4096 in the object) */
    char obj[256];
    snprintf(obj, sizeof obj, "%s/st/backups/%s/data/f2", root, id);
    flip_byte(obj, 4096 + 100);
    snprintf(obj, sizeof obj, "%s/st/backups/%s/data/f1", root, id);
    flip_byte(obj, 5);
    CHECK(vss_store_verify(s, id, 0, &rep, &e) == VSS_OK);
    CHECK_EQ_U64(rep->nproblems, 3); /* whole: data; part: range 2 and data */
    int saw_range = 0, saw_whole = 0;
    for (size_t i = 0; i < rep->nproblems; i++) {
        vss_store_problem *pr = &rep->problems[i];
        CHECK_STR(pr->backup, id);
        if (pr->name && strcmp(pr->name, "part") == 0 && strstr(pr->what, "range 2 (16384:4096)"))
            saw_range = pr->expected[0] && !pr->actual[0]; /* the actual digest is never told */
        if (pr->name && strcmp(pr->name, "whole") == 0 && strcmp(pr->what, "data") == 0)
            saw_whole = 1;
    }
    CHECK(saw_range && saw_whole);
    vss_store_report_free(rep);
    int fd = open(tmp_path("out"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(vss_store_extract(s, id, "part", fd, 0, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECORRUPT);
    CHECK_CONTAINS(e.message, "range 2");
    close(fd);
    /* a truncated manifest */
    snprintf(obj, sizeof obj, "%s/st/backups/%s/manifest", root, id2);
    struct stat st;
    CHECK(stat(obj, &st) == 0 && truncate(obj, st.st_size - 20) == 0);
    CHECK(vss_store_verify(s, id2, 0, &rep, &e) == VSS_OK);
    CHECK_EQ_U64(rep->nproblems, 1);
    if (rep->nproblems == 1) {
        CHECK_STR(rep->problems[0].what, "manifest");
        CHECK_CONTAINS(rep->problems[0].message, "truncated");
    }
    vss_store_report_free(rep);
    vss_store_manifest *m;
    CHECK(vss_store_manifest_load(s, id2, 0, &m, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECORRUPT);
    vss_ranges_free(r);
    free(p);
    vss_store_free(s);
}

TEST(delete_respects_the_chain)
{
    setup();
    vss_store *s = new_store("st");
    write_file(tmp_path("f"), "abc", 3);
    char full[VSS_STORE_ID_MAX], inc[VSS_STORE_ID_MAX], inc2[VSS_STORE_ID_MAX],
        copy[VSS_STORE_ID_MAX];
    backup_one(s, VSS_BT_FULL, NULL, "f", tmp_path("f"), full);
    backup_one(s, VSS_BT_INCREMENTAL, NULL, "f", tmp_path("f"), inc);
    backup_one(s, VSS_BT_INCREMENTAL, NULL, "f", tmp_path("f"), inc2);
    backup_one(s, VSS_BT_COPY, NULL, "f", tmp_path("f"), copy);
    char **deps;
    size_t nd;
    vss_error e;
    CHECK(vss_store_delete(s, full, 0, &deps, &nd, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ECHAIN);
    CHECK_CONTAINS(e.message, inc);
    CHECK_CONTAINS(e.message, inc2);
    CHECK_EQ_U64(nd, 2);
    vss_store_strings_free(deps, nd);
    CHECK(vss_store_delete(s, inc2, 0, NULL, NULL, &e) == VSS_OK);
    CHECK(vss_store_delete(s, copy, 0, NULL, NULL, &e) == VSS_OK);
    CHECK(vss_store_delete(s, full, VSS_STORE_FORCE, &deps, &nd, &e) == VSS_OK);
    CHECK_EQ_U64(nd, 1);
    vss_store_strings_free(deps, nd);
    CHECK(vss_store_delete(s, full, 0, NULL, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK(vss_store_delete(s, "../st", 0, NULL, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    vss_store_info *v;
    size_t n;
    CHECK(vss_store_list(s, 0, &v, &n, &e) == VSS_OK);
    CHECK(n == 1 && strcmp(v[0].id, inc) == 0);
    free(v);
    vss_store_free(s);
}

TEST(lock_and_leftovers)
{
    setup();
    vss_store *s = new_store("st"), *s2 = NULL;
    vss_error e;
    CHECK(vss_store_open(tmp_path("st"), 0, &s2, &e) == VSS_OK);
    vss_store_tx *tx, *tx2;
    CHECK(vss_store_begin(s, VSS_BT_FULL, NULL, 0, &tx, &e) == VSS_OK);
    CHECK(vss_store_begin(s2, VSS_BT_FULL, NULL, VSS_STORE_NOWAIT, &tx2, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ELOCKED);
    char **deps;
    size_t nd;
    CHECK(vss_store_delete(s2, "x-1", VSS_STORE_NOWAIT, &deps, &nd, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ELOCKED);
    vss_store_info *v;
    size_t n;
    CHECK(vss_store_list(s2, VSS_STORE_NOWAIT, &v, &n, &e) == VSS_OK); /* readers don't wait */
    CHECK_EQ_U64(n, 0);
    free(v);
    char inc[256];
    snprintf(inc, sizeof inc, "%s/st/incoming/%s", root, vss_store_tx_id(tx));
    struct stat st;
    CHECK(stat(inc, &st) == 0);
    vss_store_tx_free(tx); /* abort */
    CHECK(stat(inc, &st) != 0);
    /* litter of a crashed writer goes with the next transaction */
    mkdir(tmp_path("st/incoming/20200101T000000Z-7"), 0700);
    write_file(tmp_path("st/incoming/20200101T000000Z-7/junk"), "j", 1);
    CHECK(vss_store_begin(s2, VSS_BT_FULL, NULL, VSS_STORE_NOWAIT, &tx2, &e) == VSS_OK);
    CHECK(stat(tmp_path("st/incoming/20200101T000000Z-7"), &st) != 0);
    vss_store_tx_free(tx2);
    vss_store_free(s);
    vss_store_free(s2);
    remove_root();
}

RUN_TESTS("test_store", T(open_create_and_versions), T(chain_of_backups),
          T(what_a_backup_builds_on), T(log_backups_in_chains),
          T(whole_file_round_trip_with_digest), T(sparse_file_stays_sparse),
          T(partial_file_keeps_only_the_ranges), T(ranges_file_kept_is_the_ranges_copied),
          T(reader_chains_finds_and_lays),
          T(names_are_data_not_paths), T(writer_metadata_documents_are_the_other_documents),
          T(verify_names_the_damage), T(delete_respects_the_chain), T(lock_and_leftovers))
