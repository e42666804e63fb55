/* base/beneath: opens that stay beneath a directory, by openat2 and by the
 * component walk of kernels without it, on real files, symlinks and FIFOs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beneath.h"
#include "check.h"

static char root[256];

static const char *at(const char *rel)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/luavss-beneath.XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
    mkdir(at("in"), 0700);
    mkdir(at("in/d"), 0700);
    mkdir(at("out"), 0700);
    int fd = open(at("in/d/f"), O_WRONLY | O_CREAT, 0600);
    if (fd >= 0)
        close(fd);
    fd = open(at("out/secret"), O_WRONLY | O_CREAT, 0600);
    if (fd >= 0)
        close(fd);
    if (symlink(at("out"), at("in/link")) != 0 || symlink("d/f", at("in/d/flink")) != 0 ||
        mkfifo(at("in/d/fifo"), 0600) != 0)
        abort();
}

typedef int (*opener)(int, const char *, int, mode_t);

static void check_opener(opener op)
{
    int dir = open(at("in"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dir >= 0);
    int fd = op(dir, "d/f", O_RDONLY, 0);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    /* a symlinked directory on the way, a symlink last: ELOOP */
    CHECK(op(dir, "link/secret", O_RDONLY, 0) == -1 && errno == ELOOP);
    CHECK(op(dir, "d/flink", O_RDONLY, 0) == -1 && errno == ELOOP);
    /* climbing or absolute: refused before the kernel sees it */
    CHECK(op(dir, "../out/secret", O_RDONLY, 0) == -1 && errno == EINVAL);
    CHECK(op(dir, "d/../../out/secret", O_RDONLY, 0) == -1 && errno == EINVAL);
    CHECK(op(dir, "/etc/passwd", O_RDONLY, 0) == -1 && errno == EINVAL);
    CHECK(op(dir, "d//f", O_RDONLY, 0) == -1 && errno == EINVAL);
    /* a FIFO without a writer opens at once (non-blocking), to be refused by fstat */
    fd = op(dir, "d/fifo", O_RDONLY, 0);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode));
    if (fd >= 0)
        close(fd);
    /* creating through a symlinked directory is refused, nothing made outside */
    CHECK(op(dir, "link/new", O_WRONLY | O_CREAT, 0600) == -1 && errno == ELOOP);
    CHECK(access(at("out/new"), F_OK) != 0);
    fd = op(dir, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    unlink(at("in/d/new"));
    close(dir);
}

TEST(openat2_path)
{
    setup();
    check_opener(vss_open_beneath);
}

TEST(walk_path)
{
    check_opener(vss_open_beneath_walk);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

RUN_TESTS("test_beneath", T(openat2_path), T(walk_path))
