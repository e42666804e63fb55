#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "check.h"

static int write_text(int fd, const void *ctx)
{
    const char *s = ctx;
    return vss_write_full(fd, s, strlen(s));
}

static int write_then_fail(int fd, const void *ctx)
{
    (void)ctx;
    (void)vss_write_full(fd, "partial", 7);
    errno = ENOSPC;
    return -1;
}

static void slurp(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? vss_read_full(fd, buf, n - 1) : -1;
    buf[got > 0 ? got : 0] = '\0';
    if (fd >= 0)
        close(fd);
}

static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        n += de->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static char dir[] = "/tmp/luavss-fileio.XXXXXX";
static char path[64];

TEST(replace_creates_new_file_0600)
{
    vss_error e;
    CHECK(vss_file_replace(path, write_text, "hello", "test file", &e) == VSS_OK);
    char buf[64];
    slurp(path, buf, sizeof buf);
    CHECK_STR(buf, "hello");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
}

TEST(replace_keeps_mode_of_existing_file)
{
    vss_error e;
    CHECK(chmod(path, 0644) == 0);
    CHECK(vss_file_replace(path, write_text, "again", "test file", &e) == VSS_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
}

TEST(failed_write_leaves_original_and_no_temporary)
{
    vss_error e;
    CHECK(vss_file_replace(path, write_then_fail, NULL, "test file", &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOSPC);
    CHECK_CONTAINS(e.message, "test file '");
    CHECK_CONTAINS(e.message, "': write: ");
    char buf[64];
    slurp(path, buf, sizeof buf);
    CHECK_STR(buf, "again");
    CHECK(entries_in(dir) == 1);
}

TEST(missing_directory_is_reported)
{
    vss_error e;
    char bad[96];
    snprintf(bad, sizeof bad, "%s/no/such/file", dir);
    CHECK(vss_file_replace(bad, write_text, "x", "test file", &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "create temporary");
}

TEST(read_full_stops_at_end_of_file)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(vss_read_full(fd, buf, sizeof buf) == 5);
    CHECK(vss_read_full(fd, buf, sizeof buf) == 0);
    close(fd);
}

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

static void setup(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/f", dir);
    atexit(cleanup);
}

__attribute__((constructor)) static void init(void) { setup(); }

RUN_TESTS("test_fileio", T(replace_creates_new_file_0600), T(replace_keeps_mode_of_existing_file),
          T(failed_write_leaves_original_and_no_temporary), T(missing_directory_is_reported),
          T(read_full_stops_at_end_of_file))
