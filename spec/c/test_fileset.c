#include <stdlib.h>
#include <string.h>

#include "files/fileset.h"
#include "check.h"

TEST(paths_within)
{
    CHECK(vss_path_within("/data/ft", "/data"));
    CHECK(vss_path_within("/data", "/data/"));
    CHECK(vss_path_within("\\data\\ft\\x", "/data//ft"));
    CHECK(vss_path_within("/x", "/"));
    CHECK(vss_path_within("C:\\Windows\\System32", "C:\\"));
    CHECK(!vss_path_within("/database", "/data"));
    CHECK(!vss_path_within("/data", "/data/ft"));
    CHECK(!vss_path_within("data", "/data"));
    CHECK(!vss_path_within("/Data", "/data"));
}

TEST(file_in_set)
{
    vss_filedesc flat = {.path = "/data", .filespec = "*.mdf"};
    vss_filedesc deep = {.path = "/data", .filespec = "*.mdf", .recursive = true};
    CHECK(vss_fileset_has_file(&flat, "/data/", "db.mdf"));
    CHECK(!vss_fileset_has_file(&flat, "/data/sub", "db.mdf"));
    CHECK(vss_fileset_has_file(&deep, "/data/sub", "db.mdf"));
    CHECK(!vss_fileset_has_file(&deep, "/data/sub", "db.ldf"));
    CHECK(!vss_fileset_has_file(&deep, "/other", "db.mdf"));
}

TEST(filespec_intersection)
{
    CHECK(vss_filespecs_intersect("*", "db.mdf"));
    CHECK(vss_filespecs_intersect("*.mdf", "db.*"));
    CHECK(vss_filespecs_intersect("*.*", "SAM"));
    CHECK(vss_filespecs_intersect("File1.*", "File1")); /* ".*" may match nothing */
    CHECK(vss_filespecs_intersect("a?c", "*c"));
    CHECK(vss_filespecs_intersect("ab*", "*cd"));
    CHECK(!vss_filespecs_intersect("*.mdf", "*.ldf"));
    CHECK(!vss_filespecs_intersect("db.mdf", "db.ldf"));
    CHECK(!vss_filespecs_intersect("a?", "abc"));
    CHECK(!vss_filespecs_intersect("a*b", "c*"));
    CHECK(!vss_filespecs_intersect("File1.*", "File2"));
}

TEST(sets_overlap)
{
    vss_filedesc a = {.path = "/data", .filespec = "*", .recursive = true};
    vss_filedesc b = {.path = "/data/sub/x", .filespec = "*.log"};
    vss_filedesc c = {.path = "/data", .filespec = "*.log"};
    vss_filedesc d = {.path = "/data/sub", .filespec = "*.mdf", .recursive = true};
    CHECK(vss_filesets_overlap(&a, &b));
    CHECK(vss_filesets_overlap(&b, &a));
    CHECK(!vss_filesets_overlap(&b, &c)); /* c is not recursive */
    CHECK(!vss_filesets_overlap(&b, &d)); /* beneath d, but no common name */
    CHECK(vss_filesets_overlap(&c, &a));
}

/* Property: over short filespecs, vss_filespecs_intersect says yes exactly
 * when some name (of length <= len(a)+len(b), which is enough for a
 * witness) matches both with the real matcher. */
TEST(intersection_agrees_with_the_matcher)
{
    static const char pat_alpha[] = "a.*?";
    static const char name_alpha[] = "ab.";
    char pats[100][4];
    int np = 0;
    for (int len = 1; len <= 3; len++) {
        int total = 1;
        for (int k = 0; k < len; k++)
            total *= 4;
        for (int v = 0; v < total; v++) {
            int x = v;
            for (int k = 0; k < len; k++, x /= 4)
                pats[np][k] = pat_alpha[x % 4];
            pats[np][len] = '\0';
            np++;
        }
    }
    char (*names)[7] = malloc(1200 * sizeof *names);
    int nn = 0;
    for (int len = 1; len <= 6; len++) {
        int total = 1;
        for (int k = 0; k < len; k++)
            total *= 3;
        for (int v = 0; v < total; v++) {
            int x = v;
            for (int k = 0; k < len; k++, x /= 3)
                names[nn][k] = name_alpha[x % 3];
            names[nn][len] = '\0';
            nn++;
        }
    }
    int disagreements = 0;
    for (int i = 0; i < np; i++) {
        for (int j = 0; j < np; j++) {
            bool witness = false;
            for (int k = 0; k < nn && !witness; k++)
                witness = vss_filespec_match(pats[i], names[k], 0) &&
                          vss_filespec_match(pats[j], names[k], 0);
            if (witness != vss_filespecs_intersect(pats[i], pats[j]) && disagreements++ < 5)
                fprintf(stderr, "  '%s' ~ '%s': matcher %d, intersect %d\n", pats[i], pats[j],
                        witness, !witness);
        }
    }
    CHECK(disagreements == 0);
    free(names);
}

RUN_TESTS("test_fileset", T(paths_within), T(file_in_set), T(filespec_intersection), T(sets_overlap),
          T(intersection_agrees_with_the_matcher))
