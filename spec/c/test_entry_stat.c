/* files/entry_stat.c: one entry's record on real files: the digest of a
 * sparse file equals the digest of its bytes with the holes as zeros (and
 * the one-shot digest), a byte in a hole changes it; link text never
 * followed; xattrs sorted with binary values; flags letters; a FIFO is not
 * opened; a missing entry fails with ENOENT; relative paths from a dirfd. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/error.h"
#include "files/entry_stat.h"
#include "check.h"

static char root[] = "/tmp/luavss-entry-stat.XXXXXX";

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", root, name);
}

TEST(sparse_digest_is_the_bytes_with_zeros)
{
    char p[256];
    path_of(p, sizeof p, "sparse");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    /* data, a 1 MiB hole, data, then a hole to the end */
    CHECK(pwrite(fd, "head", 4, 0) == 4);
    CHECK(pwrite(fd, "tail", 4, (1 << 20) + 4) == 4);
    CHECK(ftruncate(fd, (3 << 20)) == 0);
    close(fd);
    size_t n = 3 << 20;
    unsigned char *all = calloc(1, n);
    memcpy(all, "head", 4);
    memcpy(all + (1 << 20) + 4, "tail", 4);
    vss_digest want = vss_digest_of(all, n);
    vss_entry_stat s;
    vss_error e;
    CHECK(vss_entry_stat_read(&s, AT_FDCWD, p, VSS_ES_ALL, &e) == VSS_OK);
    CHECK(s.has_digest);
    CHECK(vss_digest_equal(&s.digest, &want));
    CHECK(s.part_errno == 0);
    vss_entry_stat_clear(&s);
    /* one byte inside the hole */
    fd = open(p, O_WRONLY | O_CLOEXEC);
    CHECK(pwrite(fd, "x", 1, 2 << 20) == 1);
    close(fd);
    all[2 << 20] = 'x';
    vss_digest want2 = vss_digest_of(all, n);
    CHECK(vss_entry_stat_read(&s, AT_FDCWD, p, VSS_ES_DIGEST, &e) == VSS_OK);
    CHECK(vss_digest_equal(&s.digest, &want2));
    CHECK(!vss_digest_equal(&want, &want2));
    vss_entry_stat_clear(&s);
    free(all);
}

TEST(symlink_text_never_followed)
{
    char p[256];
    path_of(p, sizeof p, "link");
    CHECK(symlink("sparse", p) == 0);
    vss_entry_stat s;
    vss_error e;
    CHECK(vss_entry_stat_read(&s, AT_FDCWD, p, VSS_ES_ALL, &e) == VSS_OK);
    CHECK(S_ISLNK(s.st.st_mode));
    CHECK_STR(s.target, "sparse");
    CHECK(!s.has_digest);
    CHECK(!s.has_flags);
    vss_entry_stat_clear(&s);
}

TEST(xattrs_sorted_with_binary_values)
{
    char p[256];
    path_of(p, sizeof p, "x");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    close(fd);
    if (lsetxattr(p, "user.b", "\0\1\2", 3, 0) != 0) {
        fprintf(stderr, "  (skipped: no user xattrs on /tmp)\n");
        return;
    }
    CHECK(lsetxattr(p, "user.a", "one", 3, 0) == 0);
    vss_entry_stat s;
    vss_error e;
    CHECK(vss_entry_stat_read(&s, AT_FDCWD, p, VSS_ES_XATTRS, &e) == VSS_OK);
    size_t user = 0;
    for (size_t i = 0; i < s.xattr_count; i++) {
        if (strncmp(s.xattrs[i].name, "user.", 5) != 0)
            continue;
        if (user == 0) {
            CHECK_STR(s.xattrs[i].name, "user.a");
            CHECK_EQ_U64(s.xattrs[i].len, 3);
            CHECK(memcmp(s.xattrs[i].value, "one", 3) == 0);
        } else {
            CHECK_STR(s.xattrs[i].name, "user.b");
            CHECK_EQ_U64(s.xattrs[i].len, 3);
            CHECK(memcmp(s.xattrs[i].value, "\0\1\2", 3) == 0);
        }
        user++;
    }
    CHECK_EQ_U64(user, 2);
    vss_entry_stat_clear(&s);
}

TEST(fifo_is_not_opened_and_relative_paths_use_dirfd)
{
    char p[256];
    path_of(p, sizeof p, "fifo");
    CHECK(mkfifo(p, 0600) == 0);
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    vss_entry_stat s;
    vss_error e;
    /* opening a FIFO for reading would block: the call returns at once */
    CHECK(vss_entry_stat_read(&s, dfd, "fifo", VSS_ES_ALL, &e) == VSS_OK);
    CHECK(S_ISFIFO(s.st.st_mode));
    CHECK(!s.has_digest && !s.has_flags && s.target == NULL);
    vss_entry_stat_clear(&s);
    CHECK(vss_entry_stat_read(&s, dfd, "none", VSS_ES_ALL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "none");
    vss_entry_stat_clear(&s);
    close(dfd);
}

TEST(flag_letters_as_lsattr_names_them)
{
    char out[33];
    vss_inode_flags_letters(0x10 | 0x20 | 0x80000 /* e: not settable */, out);
    CHECK_STR(out, "ia");
    vss_inode_flags_letters(0, out);
    CHECK_STR(out, "");
    CHECK((vss_inode_flags_settable() & 0x80000) == 0);
    CHECK((vss_inode_flags_settable() & 0x10) != 0);
}

static int setup(void)
{
    return mkdtemp(root) ? 0 : -1;
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
    static const check_test tests[] = {
        T(sparse_digest_is_the_bytes_with_zeros), T(symlink_text_never_followed),
        T(xattrs_sorted_with_binary_values), T(fifo_is_not_opened_and_relative_paths_use_dirfd),
        T(flag_letters_as_lsattr_names_them)};
    if (setup() != 0) {
        perror("mkdtemp");
        return 1;
    }
    int rc = check_run("test_entry_stat", tests, sizeof tests / sizeof tests[0]);
    teardown();
    return rc;
}
