#include <stdlib.h>

#include "files/pathmap.h"
#include "check.h"

static vss_pathmap *sample(void)
{
    vss_pathmap *m = vss_pathmap_new();
    vss_error e;
    CHECK(vss_pathmap_add(m, "%SystemRoot%", "/srv/win/Windows", &e) == VSS_OK);
    CHECK(vss_pathmap_add(m, "C:", "/srv/win/c/", &e) == VSS_OK);
    CHECK(vss_pathmap_add(m, "C:\\Program Files", "/opt/pf", &e) == VSS_OK);
    CHECK(vss_pathmap_add(m, "\\\\?\\Volume{1234}\\", "/mnt/vol", &e) == VSS_OK);
    return m;
}

static void expect(const vss_pathmap *m, const char *in, const char *want)
{
    char *out = NULL;
    vss_error e;
    int rc = vss_pathmap_resolve(m, in, &out, &e);
    if (rc != VSS_OK)
        fprintf(stderr, "  resolve '%s': %s\n", in, e.message);
    CHECK(rc == VSS_OK);
    CHECK_STR(out, want);
    free(out);
}

TEST(resolve_by_caseless_prefix_with_slashes_normalized)
{
    vss_pathmap *m = sample();
    expect(m, "%SystemRoot%\\System32", "/srv/win/Windows/System32");
    expect(m, "%systemroot%\\System32\\", "/srv/win/Windows/System32");
    expect(m, "%SYSTEMROOT%", "/srv/win/Windows");
    expect(m, "C:\\x", "/srv/win/c/x");
    expect(m, "c:/x//y/./z/", "/srv/win/c/x/y/z");
    expect(m, "C:\\", "/srv/win/c");
    expect(m, "C:", "/srv/win/c");
    expect(m, "C:\\Program Files\\SQL", "/opt/pf/SQL"); /* longest prefix wins */
    expect(m, "C:\\Program Filesx\\SQL", "/srv/win/c/Program Filesx/SQL");
    expect(m, "\\\\?\\Volume{1234}\\Boot", "/mnt/vol/Boot");
    expect(m, "C:\\Data\\Names Are Kept As Written", "/srv/win/c/Data/Names Are Kept As Written");
    vss_pathmap_free(m);
}

TEST(resolve_failures)
{
    vss_pathmap *m = sample();
    char *out = (char *)"sentinel";
    vss_error e;
    CHECK(vss_pathmap_resolve(m, "D:\\x", &out, &e) == VSS_FAIL);
    CHECK(out == NULL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "no prefix maps 'D:\\x'");
    CHECK(vss_pathmap_resolve(m, "C:x", &out, &e) == VSS_FAIL); /* not a component boundary */
    CHECK_CODE(e.code, ENOENT);
    CHECK(vss_pathmap_resolve(m, "/etc/passwd", &out, &e) == VSS_FAIL); /* never a guess */
    CHECK(vss_pathmap_resolve(m, "C:\\a\\..\\..\\etc", &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "'..' component in 'C:\\a\\..\\..\\etc'");
    CHECK(vss_pathmap_resolve(m, "C:\\..", &out, &e) == VSS_FAIL);
    CHECK(out == NULL);
    vss_pathmap_free(m);
}

TEST(add_failures_and_listing)
{
    vss_pathmap *m = vss_pathmap_new();
    vss_error e;
    CHECK(vss_pathmap_add(m, "", "/x", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "empty prefix");
    CHECK(vss_pathmap_add(m, "C:", "relative/dir", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "target for 'C:' must be an absolute path");
    CHECK(vss_pathmap_add(m, "C:", "", &e) == VSS_FAIL);
    CHECK(vss_pathmap_add(m, "C:\\", "/c", &e) == VSS_OK);
    CHECK(vss_pathmap_add(m, "c:", "/other", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "given twice");
    CHECK(vss_pathmap_add(m, "\\", "/", &e) == VSS_OK); /* volume-relative paths */
    CHECK_EQ_U64(vss_pathmap_count(m), 2);
    const char *p, *t;
    vss_pathmap_get(m, 0, &p, &t);
    CHECK_STR(p, "C:");
    CHECK_STR(t, "/c");
    vss_pathmap_get(m, 1, &p, &t);
    CHECK_STR(p, "");
    CHECK_STR(t, "/");
    expect(m, "\\System Volume Information\\Heat", "/System Volume Information/Heat");
    expect(m, "\\", "/");
    expect(m, "C:\\a", "/c/a");
    vss_pathmap_free(m);
    vss_pathmap_free(NULL);
}

/* Without a map, a document's path must be an absolute Linux path that
 * does not climb. */
TEST(document_paths_without_a_map)
{
    char *out = NULL;
    vss_error e;
    CHECK(vss_document_path(NULL, "/srv/db//", &out, &e) == VSS_OK);
    CHECK_STR(out, "/srv/db");
    free(out);
    CHECK(vss_document_path(NULL, "/", &out, &e) == VSS_OK);
    CHECK_STR(out, "/");
    free(out);
    CHECK(vss_document_path(NULL, "srv/db", &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK(vss_document_path(NULL, "/srv/../etc", &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_ESCAPE);
    CHECK(vss_document_path(NULL, "/srv/..", &out, &e) == VSS_FAIL);
    CHECK(vss_document_path(NULL, "/srv/..data/x..", &out, &e) == VSS_OK); /* names, not climbs */
    free(out);
    CHECK(vss_path_climbs("../x") && vss_path_climbs("a/../b") && !vss_path_climbs("a/..b/c."));
}

RUN_TESTS("test_pathmap", T(resolve_by_caseless_prefix_with_slashes_normalized),
          T(resolve_failures), T(add_failures_and_listing), T(document_paths_without_a_map))
