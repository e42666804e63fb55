/* vss_clone_fd: a clone or a clear "copy instead", never a failure for a
 * filesystem or a file that cannot clone. The filesystem the tests run on
 * decides which of the first two a plain pair of files gets. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/clone.h"
#include "base/fileio.h"
#include "check.h"

static int temp_file(const char *text)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/vss_clone_XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0) {
        unlink(path);
        if (text != NULL && vss_write_full(fd, text, strlen(text)) != 0) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

TEST(clones_or_says_copy_instead)
{
    int src = temp_file("luavss clone test"), dst = temp_file(NULL);
    CHECK(src >= 0 && dst >= 0);
    vss_error e;
    vss_error_clear(&e);
    int rc = vss_clone_fd(dst, src, &e);
    CHECK(rc == VSS_OK || rc == VSS_CLONE_UNSUPPORTED);
    if (rc == VSS_OK) {
        char buf[64] = "";
        CHECK(pread(dst, buf, sizeof buf - 1, 0) == 17);
        CHECK_STR(buf, "luavss clone test");
    } else {
        CHECK_CONTAINS(e.message, "FICLONE: ");
        CHECK(e.sys_errno != 0);
    }
    close(src);
    close(dst);
}

TEST(a_destination_open_for_reading_only_is_copy_instead)
{
    int src = temp_file("data"), dst = temp_file(NULL);
    CHECK(src >= 0 && dst >= 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", dst);
    int ro = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(ro >= 0);
    errno = 0;
    CHECK(vss_clone_fd(ro, src, NULL) == VSS_CLONE_UNSUPPORTED);
    CHECK(errno != 0);
    close(ro);
    close(src);
    close(dst);
}

TEST(a_pipe_is_copy_instead_and_errno_is_kept)
{
    int src = temp_file("data"), p[2];
    CHECK(src >= 0 && pipe(p) == 0);
    vss_error e;
    CHECK(vss_clone_fd(p[1], src, &e) == VSS_CLONE_UNSUPPORTED);
    CHECK(errno == e.sys_errno);
    CHECK(vss_clone_fd(src, -1, &e) == VSS_CLONE_UNSUPPORTED);
    CHECK(errno == EBADF);
    CHECK_CONTAINS(e.message, "FICLONE");
    close(p[0]);
    close(p[1]);
    close(src);
}

RUN_TESTS("test_clone", T(clones_or_says_copy_instead),
          T(a_destination_open_for_reading_only_is_copy_instead),
          T(a_pipe_is_copy_instead_and_errno_is_kept))
