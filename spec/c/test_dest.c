#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "dest/dest.h"
#include "check.h"

/* Each test: a fresh <tmp>/root (the destination) and <tmp>/outside (where
 * escapes would land). */
static char base[64], root[96], outside[96];

static void fixture(void)
{
    snprintf(base, sizeof base, "/tmp/luavss-rt.XXXXXX");
    if (mkdtemp(base) == NULL)
        perror("mkdtemp");
    snprintf(root, sizeof root, "%s/root", base);
    snprintf(outside, sizeof outside, "%s/outside", base);
    mkdir(root, 0755);
    mkdir(outside, 0755);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}

static char *at(const char *dir, const char *rel)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", dir, rel);
    return p;
}

static void put(const char *path, const char *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || vss_write_full(fd, data, n) != 0)
        perror(path);
    if (fd >= 0)
        close(fd);
}

/* The whole file, malloc'd, size in *n; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = vss_read_full(fd, buf, (size_t)st.st_size);
    close(fd);
    buf[got > 0 ? got : 0] = '\0';
    *n = got > 0 ? (size_t)got : 0;
    return buf;
}

static int same_text(const char *path, const char *want)
{
    size_t n;
    char *got = slurp(path, &n);
    int ok = got != NULL && n == strlen(want) && memcmp(got, want, n) == 0;
    free(got);
    return ok;
}

/* Entries of dir, dot files included (temporaries start with '.'). */
static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    return n;
}

static vss_dest *open_dest(unsigned flags)
{
    vss_dest *t = NULL;
    vss_error e;
    if (vss_dest_open(root, flags, &t, &e) != VSS_OK)
        fprintf(stderr, "open destination: %s\n", e.message);
    return t;
}

static int write_new(vss_dest *t, const char *rel, const char *data, vss_error *e)
{
    vss_dest_file *f;
    if (vss_dest_begin_file(t, rel, &f, e) != VSS_OK)
        return VSS_FAIL;
    if (vss_write_full(vss_dest_file_fd(f), data, strlen(data)) != 0) {
        vss_dest_file_abort(f);
        return vss_error_sys(e, errno, "write");
    }
    return vss_dest_file_commit(f, e);
}

TEST(hostile_paths_are_refused)
{
    fixture();
    vss_dest *t = open_dest(VSS_DEST_REPLACE);
    static const struct {
        const char *path;
        int code;
    } bad[] = {
        {"", EINVAL},               {"/etc/passwd", VSS_ESCAPE}, {"..", VSS_ESCAPE},
        {"../x", VSS_ESCAPE},       {"a/../../b", VSS_ESCAPE},   {"a/..", VSS_ESCAPE},
        {"a/b/../c", VSS_ESCAPE},   {".", EINVAL},               {"./", EINVAL},
        {"a/", EINVAL},             {"//x", VSS_ESCAPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vss_error e;
        vss_dest_file *f = NULL;
        CHECK(vss_dest_begin_file(t, bad[i].path, &f, &e) == VSS_FAIL);
        CHECK(f == NULL);
        CHECK_CODE(e.code, bad[i].code);
        if (bad[i].path[0] != '\0')
            CHECK_CONTAINS(e.message, bad[i].path);
        CHECK(vss_dest_begin_update(t, bad[i].path, &f, &e) == VSS_FAIL);
        CHECK_CODE(e.code, bad[i].code);
    }
    vss_error e;
    CHECK(vss_dest_mkdir(t, "../up", &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    CHECK(vss_dest_path(t, "/abs", &e) == NULL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    CHECK(entries_in(root) == 0);
    CHECK(entries_in(base) == 2);
    vss_dest_free(t);
    teardown();
}

TEST(paths_are_canonical_beneath_the_root)
{
    fixture();
    vss_dest *t = open_dest(0);
    vss_error e;
    char *p = vss_dest_path(t, "a//./b/c", &e);
    char want[256];
    char *real = realpath(root, NULL);
    snprintf(want, sizeof want, "%s/a/b/c", real);
    CHECK_STR(p, want);
    free(p);
    p = vss_dest_path(t, ".", &e);
    CHECK_STR(p, real);
    free(p);
    free(real);
    CHECK(vss_dest_path_check("a/b", 1, &e) == VSS_OK);
    CHECK(vss_dest_path_check("a/b/", 1, &e) == VSS_FAIL);
    CHECK(vss_dest_path_check("a/b/", 0, &e) == VSS_OK);
    vss_dest_free(t);
    teardown();
}

TEST(missing_root_fails)
{
    vss_dest *t = NULL;
    vss_error e;
    CHECK(vss_dest_open("/nonexistent/luavss-root", 0, &t, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "/nonexistent/luavss-root");
    CHECK(t == NULL);
}

TEST(new_files_and_parents_are_created)
{
    fixture();
    vss_dest *t = open_dest(0);
    vss_error e;
    CHECK(write_new(t, "db/data/main.mdf", "hello", &e) == VSS_OK);
    CHECK(same_text(at(root, "db/data/main.mdf"), "hello"));
    CHECK(write_new(t, "top.txt", "x", &e) == VSS_OK);
    CHECK(same_text(at(root, "top.txt"), "x"));
    CHECK(vss_dest_mkdir(t, "logs/2024/01", &e) == VSS_OK);
    CHECK(vss_dest_mkdir(t, "logs/2024", &e) == VSS_OK);
    struct stat st;
    CHECK(stat(at(root, "logs/2024/01"), &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(entries_in(at(root, "db/data")) == 1);
    vss_dest_free(t);
    teardown();
}

static void symlinks_in_the_middle(unsigned walk)
{
    static const char *const paths[] = {"a/x", "a/sub/x", "d/b/x", "rel/x"};
    vss_dest *t = open_dest(VSS_DEST_REPLACE | walk);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        vss_error e;
        vss_dest_file *f = NULL;
        CHECK(vss_dest_begin_file(t, paths[i], &f, &e) == VSS_FAIL);
        CHECK_CODE(e.code, VSS_ESCAPE);
        CHECK_CONTAINS(e.message, paths[i]);
        CHECK_CONTAINS(e.message, "symlink");
        CHECK(vss_dest_begin_update(t, paths[i], &f, &e) == VSS_FAIL);
        CHECK_CODE(e.code, VSS_ESCAPE);
        CHECK(vss_dest_mkdir(t, paths[i], &e) == VSS_FAIL);
        CHECK_CODE(e.code, VSS_ESCAPE);
    }
    vss_error e;
    CHECK(write_new(t, walk ? "d/w1/w2/x" : "d/o1/o2/x", "fine", &e) == VSS_OK); /* real directories are fine */
    CHECK(same_text(at(root, walk ? "d/w1/w2/x" : "d/o1/o2/x"), "fine"));
    CHECK(entries_in(outside) == 0);
    vss_dest_free(t);
}

TEST(symlink_in_a_middle_directory_is_not_followed)
{
    fixture();
    CHECK(symlink(outside, at(root, "a")) == 0);
    CHECK(mkdir(at(root, "d"), 0755) == 0);
    CHECK(symlink(outside, at(root, "d/b")) == 0);
    CHECK(symlink("../../outside", at(root, "rel")) == 0);
    symlinks_in_the_middle(0);
    symlinks_in_the_middle(VSS_DEST_WALK); /* kernels without openat2 */
    teardown();
}

TEST(symlink_as_final_component_is_not_followed)
{
    fixture();
    put(at(outside, "victim"), "secret", 6);
    CHECK(symlink(at(outside, "victim"), at(root, "f")) == 0);
    vss_error e;
    vss_dest_file *f = NULL;
    vss_dest *keep = open_dest(0);
    CHECK(vss_dest_begin_file(keep, "f", &f, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    vss_dest_free(keep);

    vss_dest *w = open_dest(VSS_DEST_WALK);
    CHECK(vss_dest_begin_update(w, "f", &f, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    vss_dest_free(w);
    vss_dest *t = open_dest(VSS_DEST_REPLACE);
    CHECK(vss_dest_begin_update(t, "f", &f, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    CHECK_CONTAINS(e.message, "'f'");
    /* Replacing puts a file where the link was; the link's target is untouched. */
    CHECK(write_new(t, "f", "restored", &e) == VSS_OK);
    struct stat st;
    CHECK(lstat(at(root, "f"), &st) == 0 && S_ISREG(st.st_mode));
    CHECK(same_text(at(root, "f"), "restored"));
    CHECK(same_text(at(outside, "victim"), "secret"));
    CHECK(entries_in(outside) == 1);
    CHECK(entries_in(root) == 1);
    vss_dest_free(t);
    teardown();
}

TEST(existing_file_needs_replace)
{
    fixture();
    put(at(root, "x"), "old", 3);
    CHECK(chmod(at(root, "x"), 0640) == 0);
    vss_dest *t = open_dest(0);
    vss_error e;
    CHECK(write_new(t, "x", "new", &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    CHECK_CONTAINS(e.message, "'x'");
    CHECK(same_text(at(root, "x"), "old"));
    vss_dest_free(t);

    t = open_dest(VSS_DEST_REPLACE);
    CHECK(write_new(t, "x", "new", &e) == VSS_OK);
    CHECK(same_text(at(root, "x"), "new"));
    struct stat st;
    CHECK(stat(at(root, "x"), &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK(mkdir(at(root, "dir"), 0755) == 0);
    CHECK(write_new(t, "dir", "new", &e) == VSS_FAIL);
    CHECK_CODE(e.code, EISDIR);
    CHECK(entries_in(root) == 2);
    vss_dest_free(t);
    teardown();
}

TEST(a_file_appearing_before_commit_is_not_replaced)
{
    fixture();
    vss_dest *t = open_dest(0);
    vss_error e;
    vss_dest_file *f;
    CHECK(vss_dest_begin_file(t, "race", &f, &e) == VSS_OK);
    CHECK(vss_write_full(vss_dest_file_fd(f), "ours", 4) == 0);
    put(at(root, "race"), "theirs", 6);
    CHECK(vss_dest_file_commit(f, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    CHECK(same_text(at(root, "race"), "theirs"));
    CHECK(entries_in(root) == 1);
    vss_dest_free(t);
    teardown();
}

TEST(commit_and_abort_leave_no_temporaries)
{
    fixture();
    vss_dest *t = open_dest(VSS_DEST_REPLACE);
    vss_error e;
    vss_dest_file *f;
    CHECK(vss_dest_begin_file(t, "sub/a", &f, &e) == VSS_OK);
    CHECK(entries_in(at(root, "sub")) == 1); /* the temporary, beside its name */
    CHECK(vss_write_full(vss_dest_file_fd(f), "aaaa", 4) == 0);
    vss_dest_file_abort(f);
    CHECK(entries_in(at(root, "sub")) == 0);
    CHECK(vss_dest_begin_file(t, "sub/a", &f, &e) == VSS_OK);
    CHECK(vss_dest_file_commit(f, &e) == VSS_OK);
    CHECK(entries_in(at(root, "sub")) == 1);
    CHECK(vss_dest_begin_update(t, "sub/a", &f, &e) == VSS_OK);
    CHECK(entries_in(at(root, "sub")) == 2);
    vss_dest_file_abort(f);
    CHECK(vss_dest_begin_update(t, "sub/a", &f, &e) == VSS_OK);
    CHECK(vss_dest_file_commit(f, &e) == VSS_OK);
    CHECK(entries_in(at(root, "sub")) == 1);
    vss_dest_file_abort(NULL);
    vss_dest_free(t);
    teardown();
}

TEST(update_keeps_untouched_bytes_and_mode)
{
    fixture();
    char data[10000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    put(at(root, "db"), data, sizeof data);
    CHECK(chmod(at(root, "db"), 0604) == 0);
    vss_dest *t = open_dest(0); /* updates don't need replace */
    vss_error e;
    vss_dest_file *f;
    CHECK(vss_dest_begin_update(t, "db", &f, &e) == VSS_OK);
    int fd = vss_dest_file_fd(f);
    CHECK(pwrite(fd, "XYZ", 3, 4096) == 3);
    CHECK(pwrite(fd, "END", 3, 10000) == 3);
    /* before commit the original is intact */
    size_t n;
    char *got = slurp(at(root, "db"), &n);
    CHECK(n == sizeof data && memcmp(got, data, n) == 0);
    free(got);
    CHECK(vss_dest_file_commit(f, &e) == VSS_OK);
    memcpy(data + 4096, "XYZ", 3);
    got = slurp(at(root, "db"), &n);
    CHECK_EQ_U64(n, sizeof data + 3);
    CHECK(got != NULL && memcmp(got, data, sizeof data) == 0 && memcmp(got + 10000, "END", 3) == 0);
    free(got);
    struct stat st;
    CHECK(stat(at(root, "db"), &st) == 0 && (st.st_mode & 07777) == 0604);
    CHECK(vss_dest_begin_update(t, "missing", &f, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK(mkdir(at(root, "dir"), 0755) == 0);
    CHECK(vss_dest_begin_update(t, "dir", &f, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK(entries_in(root) == 2);
    vss_dest_free(t);
    teardown();
}

/* Deterministic content: byte i of file `seed`. */
static void fill(char *buf, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char)(x >> 16);
    }
}

/* The naive model: apply the plan with memcpy onto an in-memory dst. */
static void model(const char *src, char *dst, size_t *dst_len, const vss_range_copy *plan, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (plan[i].length == 0)
            continue; /* copies nothing, grows nothing */
        size_t end = (size_t)(plan[i].dst_offset + plan[i].length);
        if (end > *dst_len) {
            memset(dst + *dst_len, 0, end - *dst_len);
            *dst_len = end;
        }
        memcpy(dst + plan[i].dst_offset, src + plan[i].src_offset, (size_t)plan[i].length);
    }
}

static int plan_matches_model(const vss_range_copy *plan, size_t n, size_t src_len, size_t dst_len)
{
    char *src = malloc(src_len), *want = malloc(1 << 20);
    fill(src, src_len, 1);
    fill(want, dst_len, 2);
    put(at(root, "src"), src, src_len);
    put(at(root, "dst"), want, dst_len);
    model(src, want, &dst_len, plan, n);
    int s = open(at(root, "src"), O_RDONLY | O_CLOEXEC), d = open(at(root, "dst"), O_RDWR | O_CLOEXEC);
    vss_error e;
    int rc = vss_apply_copy_plan(s, d, plan, n, &e);
    if (rc != VSS_OK)
        fprintf(stderr, "  plan: %s\n", e.message);
    close(s);
    close(d);
    size_t got_len;
    char *got = slurp(at(root, "dst"), &got_len);
    int ok = rc == VSS_OK && got_len == dst_len && memcmp(got, want, dst_len) == 0;
    free(got);
    free(src);
    free(want);
    return ok;
}

TEST(copy_plan_moves_splits_and_merges)
{
    fixture();
    /* move: one range to another place */
    vss_range_copy move[] = {{100, 500, 300}};
    CHECK(plan_matches_model(move, 1, 4096, 1000));
    /* split: one source range into three destination pieces, out of order */
    vss_range_copy split[] = {{0, 3000, 100}, {100, 0, 100}, {200, 1500, 100}};
    CHECK(plan_matches_model(split, 3, 4096, 1000));
    /* merge: scattered source ranges into one contiguous destination run */
    vss_range_copy merge[] = {{10, 0, 50}, {900, 50, 70}, {4000, 120, 96}};
    CHECK(plan_matches_model(merge, 3, 4096, 200));
    /* grow far past the end (a hole before it) and overwrite in plan order */
    vss_range_copy grow[] = {{0, 200000, 4096}, {0, 200100, 10}, {50, 200100, 5}};
    CHECK(plan_matches_model(grow, 3, 4096, 10));
    CHECK(plan_matches_model(NULL, 0, 10, 10));
    teardown();
}

TEST(random_plans_match_the_model)
{
    fixture();
    srand(20241122);
    for (int round = 0; round < 40; round++) {
        size_t n = (size_t)(rand() % 50);
        size_t src_len = 1 + (size_t)(rand() % 300000);
        vss_range_copy plan[50];
        for (size_t i = 0; i < n; i++) {
            uint64_t len = (uint64_t)(rand() % (round % 2 ? 200000 : 5000));
            if (len > src_len)
                len = src_len;
            plan[i].src_offset = (uint64_t)rand() % (src_len - len + 1);
            plan[i].dst_offset = (uint64_t)(rand() % 600000);
            plan[i].length = len;
        }
        CHECK(plan_matches_model(plan, n, src_len, (size_t)(rand() % 300000)));
    }
    teardown();
}

/* Many small non-overlapping destinations (the vectored path): a shuffled
 * packing of source pieces, with gaps. */
TEST(permutation_plans_match_the_model)
{
    fixture();
    srand(7);
    enum { PIECES = 3000 };
    static vss_range_copy plan[PIECES];
    static size_t order[PIECES];
    for (int round = 0; round < 4; round++) {
        uint64_t off = 0;
        for (size_t i = 0; i < PIECES; i++) {
            plan[i].src_offset = off;
            plan[i].length = (uint64_t)(rand() % (round == 3 ? 1 : 300));
            off += plan[i].length + (uint64_t)(rand() % 3);
            order[i] = i;
        }
        size_t src_len = (size_t)off + 1;
        for (size_t i = PIECES - 1; i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        uint64_t at = (uint64_t)(rand() % 100);
        for (size_t k = 0; k < PIECES; k++) {
            plan[order[k]].dst_offset = at;
            at += plan[order[k]].length + (uint64_t)(round % 2 ? rand() % 5 : 0);
        }
        CHECK(at < (1u << 20));
        CHECK(plan_matches_model(plan, PIECES, src_len, (size_t)(rand() % 1000)));
    }
    /* overlapping destinations: plan order decides, the last copy wins */
    vss_range_copy same[20];
    for (size_t i = 0; i < 20; i++)
        same[i] = (vss_range_copy){i * 10, 5, 10};
    CHECK(plan_matches_model(same, 20, 400, 50));
    teardown();
}

/* Across file systems copy_file_range says EXDEV: pread/pwrite instead. */
TEST(copy_plan_across_file_systems)
{
    fixture();
    char shm[] = "/dev/shm/luavss-rt.XXXXXX";
    int s = mkstemp(shm);
    if (s < 0) {
        fprintf(stderr, "  skipped: no /dev/shm\n");
        teardown();
        return;
    }
    unlink(shm);
    enum { LEN = 3 << 20 };
    char *data = malloc(LEN);
    fill(data, LEN, 9);
    CHECK(vss_write_full(s, data, LEN) == 0);
    int d = open(at(root, "dst"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    vss_range_copy plan[] = {{100, 5, LEN - 100}, {0, 0, 5}};
    vss_error e;
    CHECK(vss_apply_copy_plan(s, d, plan, 2, &e) == VSS_OK);
    size_t n;
    char *got = slurp(at(root, "dst"), &n);
    CHECK_EQ_U64(n, LEN - 95);
    CHECK(got != NULL && memcmp(got, data, 5) == 0 && memcmp(got + 5, data + 100, LEN - 100) == 0);
    free(got);
    free(data);
    close(s);
    close(d);
    teardown();
}

TEST(copy_plan_errors_name_the_entry)
{
    fixture();
    put(at(root, "src"), "0123456789", 10);
    int s = open(at(root, "src"), O_RDONLY | O_CLOEXEC);
    int d = open(at(root, "dst"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    vss_error e;
    vss_range_copy past[] = {{0, 0, 4}, {8, 4, 4}};
    CHECK(vss_apply_copy_plan(s, d, past, 2, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "entry 2");
    CHECK_CONTAINS(e.message, "ends at 10");
    vss_range_copy over[] = {{UINT64_MAX - 1, 0, 4}};
    CHECK(vss_apply_copy_plan(s, d, over, 1, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "entry 1");
    vss_range_copy big[] = {{0, (uint64_t)INT64_MAX, 2}};
    CHECK(vss_apply_copy_plan(s, d, big, 1, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK(vss_apply_copy_plan(s, -1, past, 1, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EBADF);
    close(s);
    close(d);
    teardown();
}

/* What a batch told about each file. */
typedef struct told {
    int n;
    char codes[8][32];
} told;

static void tell(void *ud, void *tag, const vss_error *e)
{
    told *t = ud;
    int i = (int)(intptr_t)tag;
    if (i >= 0 && i < 8)
        snprintf(t->codes[i], sizeof t->codes[i], "%s", e ? vss_code_name(e->code) : "ok");
    t->n++;
}

static void batch_file(vss_dest *t, vss_dest_batch *b, const char *rel, const char *data,
                       intptr_t tag)
{
    vss_dest_file *f;
    vss_error e;
    CHECK(vss_dest_begin_file(t, rel, &f, &e) == VSS_OK);
    CHECK(vss_write_full(vss_dest_file_fd(f), data, strlen(data)) == 0);
    CHECK(vss_dest_batch_add(b, f, (void *)tag, &e) == VSS_OK);
}

/* Files of a batch appear only at its commit, all of them; a name that
 * appeared meanwhile is not replaced; a batch dropped leaves nothing. */
TEST(batch_commits_together)
{
    fixture();
    vss_dest *t = open_dest(0);
    vss_dest_batch *b;
    vss_error e;
    CHECK(vss_dest_batch_new(&b, &e) == VSS_OK);
    batch_file(t, b, "a/one", "1", 0);
    batch_file(t, b, "a/two", "22", 1);
    batch_file(t, b, "b/three", "333", 2);
    CHECK_EQ_U64(vss_dest_batch_count(b), 3);
    CHECK_EQ_U64(vss_dest_batch_dirs(b), 2);
    CHECK_EQ_U64(vss_dest_batch_bytes(b), 6);
    CHECK(access(at(root, "a/one"), F_OK) != 0); /* not before the commit */
    put(at(root, "b/three"), "mine", 4);         /* appears meanwhile */
    told got = {0};
    CHECK(vss_dest_batch_commit(b, tell, &got, &e) == VSS_OK);
    CHECK(got.n == 3);
    CHECK_STR(got.codes[0], "ok");
    CHECK_STR(got.codes[1], "ok");
    CHECK_STR(got.codes[2], "EEXIST");
    size_t n;
    char *p = slurp(at(root, "a/two"), &n);
    CHECK(p && n == 2 && memcmp(p, "22", 2) == 0);
    free(p);
    p = slurp(at(root, "b/three"), &n);
    CHECK(p && n == 4 && memcmp(p, "mine", 4) == 0);
    free(p);
    CHECK(entries_in(at(root, "a")) == 2 && entries_in(at(root, "b")) == 1); /* no temporaries */
    /* reusable; dropped with files pending, it leaves none of them */
    batch_file(t, b, "a/four", "4444", 3);
    CHECK(entries_in(at(root, "a")) == 3);
    vss_dest_batch_free(b);
    CHECK(entries_in(at(root, "a")) == 2);
    /* sweep removes what a killed restore left, and only that */
    put(at(root, "a/.one.vss-abcd1234"), "x", 1);
    put(at(root, "a/.keep.vss-ABCD1234"), "x", 1);
    size_t removed;
    CHECK(vss_dest_sweep(t, "a", &removed, &e) == VSS_OK);
    CHECK_EQ_U64(removed, 1);
    CHECK(entries_in(at(root, "a")) == 3);
    CHECK(vss_dest_sweep(t, "missing", &removed, &e) == VSS_OK);
    /* remove: a file goes, a missing one is fine, a directory is refused */
    CHECK(vss_dest_remove(t, "a/one", &e) == VSS_OK);
    CHECK(access(at(root, "a/one"), F_OK) != 0);
    CHECK(vss_dest_remove(t, "a/one", &e) == VSS_OK);
    CHECK(vss_dest_remove(t, "b", &e) == VSS_FAIL);
    CHECK_CODE(e.code, EISDIR);
    vss_dest_free(t);
    teardown();
}

/* Symlinks, fifos, hard links and metadata go beneath the root the same
 * way files do: no symlink followed on the way or for the link's source,
 * a directory never replaced, nothing replaced without the flag. */
TEST(nodes_stay_beneath_the_root)
{
    fixture();
    vss_error e;
    vss_dest *t = open_dest(VSS_DEST_REPLACE);
    CHECK(symlink(outside, at(root, "away")) == 0);
    put(at(outside, "target"), "secret", 6);
    vss_dest_node ln = {.type = S_IFLNK, .target = "../../etc/passwd"};
    vss_dest_meta m = {.mode = 0644, .uid = getuid(), .gid = getgid(),
                       .mtime = {.tv_sec = 1000000000, .tv_nsec = 123456789},
                       .atime = {.tv_sec = 1000000000, .tv_nsec = 0}};
    /* a symlink's text is data: written as is, never followed */
    CHECK(vss_dest_node_make(t, "d/link", &ln, &m, NULL, &e) == VSS_OK);
    char buf[64] = "";
    CHECK(readlink(at(root, "d/link"), buf, sizeof buf - 1) == 16);
    CHECK_STR(buf, "../../etc/passwd");
    struct stat st;
    CHECK(lstat(at(root, "d/link"), &st) == 0 && st.st_mtim.tv_nsec == 123456789);
    /* through a symlink on the way: refused, nothing made outside */
    CHECK(vss_dest_node_make(t, "away/link", &ln, &m, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    vss_dest_node fifo = {.type = S_IFIFO};
    CHECK(vss_dest_node_make(t, "away/fifo", &fifo, &m, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    /* a hard link whose source lies through a symlink: refused */
    vss_dest_node hl = {.type = 0, .link = "away/target"};
    CHECK(vss_dest_node_make(t, "stolen", &hl, NULL, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    CHECK(entries_in(outside) == 1);
    /* a hard link to a symlink links the symlink, not what it names */
    vss_dest_node hl2 = {.type = 0, .link = "away"};
    CHECK(vss_dest_node_make(t, "alias", &hl2, NULL, NULL, &e) == VSS_OK);
    CHECK(lstat(at(root, "alias"), &st) == 0 && S_ISLNK(st.st_mode));
    /* a fifo with its mode and times; a directory in its place is kept */
    CHECK(vss_dest_node_make(t, "d/fifo", &fifo, &m, NULL, &e) == VSS_OK);
    CHECK(lstat(at(root, "d/fifo"), &st) == 0 && S_ISFIFO(st.st_mode) &&
          (st.st_mode & 07777) == 0644 && st.st_mtim.tv_sec == 1000000000);
    CHECK(vss_dest_node_make(t, "d", &fifo, &m, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EISDIR);
    /* a hard link replaces a file; no temporaries left */
    put(at(root, "d/file"), "one", 3);
    put(at(root, "d/other"), "two", 3);
    vss_dest_node hl3 = {.type = 0, .link = "d/file"};
    CHECK(vss_dest_node_make(t, "d/other", &hl3, NULL, NULL, &e) == VSS_OK);
    CHECK(lstat(at(root, "d/other"), &st) == 0 && st.st_nlink == 2);
    CHECK(vss_dest_node_make(t, "d/other", &hl3, NULL, NULL, &e) == VSS_OK); /* again: same inode */
    CHECK(entries_in(at(root, "d")) == 4);
    /* metadata of an existing entry: never through a symlink */
    CHECK(vss_dest_set_meta(t, "away/target", &m, VSS_DEST_META_ALL, NULL, &e) == VSS_FAIL);
    CHECK(vss_dest_set_meta(t, "d/link", &m, VSS_DEST_META_ALL, NULL, &e) == VSS_FAIL);
    CHECK(lstat(at(outside, "target"), &st) == 0 && st.st_mtim.tv_sec != 1000000000);
    vss_dest_free(t);
    /* without replace: an existing name is EEXIST */
    t = open_dest(0);
    CHECK(vss_dest_node_make(t, "d/fifo", &fifo, &m, NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    vss_dest_free(t);
    teardown();
}

RUN_TESTS("test_dest", T(hostile_paths_are_refused), T(paths_are_canonical_beneath_the_root),
          T(missing_root_fails), T(new_files_and_parents_are_created),
          T(symlink_in_a_middle_directory_is_not_followed), T(symlink_as_final_component_is_not_followed),
          T(existing_file_needs_replace), T(a_file_appearing_before_commit_is_not_replaced),
          T(commit_and_abort_leave_no_temporaries), T(update_keeps_untouched_bytes_and_mode),
          T(copy_plan_moves_splits_and_merges), T(random_plans_match_the_model), T(permutation_plans_match_the_model), T(copy_plan_across_file_systems),
          T(copy_plan_errors_name_the_entry), T(batch_commits_together),
          T(nodes_stay_beneath_the_root))
