#include <stdlib.h>

#include "files/filespec.h"
#include "check.h"

TEST(init_copies_and_clear_frees)
{
    vss_filedesc d;
    vss_error e;
    char path[] = "C:\\Data", spec[] = "*.mdf";
    CHECK(vss_filedesc_init(&d, path, spec, true, "/alt", VSS_FSBT_FULL_BACKUP_REQUIRED, &e) ==
          VSS_OK);
    path[0] = 'X';
    spec[0] = 'X';
    CHECK_STR(d.path, "C:\\Data");
    CHECK_STR(d.filespec, "*.mdf");
    CHECK_STR(d.alternate_location, "/alt");
    CHECK(d.recursive);
    CHECK_EQ_U64(d.backup_type_mask, VSS_FSBT_FULL_BACKUP_REQUIRED);
    vss_filedesc c;
    CHECK(vss_filedesc_copy(&c, &d, &e) == VSS_OK);
    CHECK(c.path != d.path);
    CHECK_STR(c.path, d.path);
    CHECK_STR(c.alternate_location, "/alt");
    vss_filedesc_clear(&d);
    CHECK(d.path == NULL && d.filespec == NULL && d.alternate_location == NULL);
    CHECK_EQ_U64(d.backup_type_mask, VSS_FSBT_DEFAULT);
    vss_filedesc_clear(&d); /* reusable, idempotent */
    CHECK(vss_filedesc_init(&d, "/x", "*", false, NULL, 0x12345678, &e) == VSS_OK);
    CHECK(d.alternate_location == NULL);
    CHECK_EQ_U64(d.backup_type_mask, 0x12345678); /* kept as given */
    vss_filedesc_clear(&d);
    vss_filedesc_clear(&c);
}

TEST(init_rejects_bad_arguments_naming_them)
{
    vss_filedesc d;
    vss_error e;
    CHECK(vss_filedesc_init(&d, "", "*", false, NULL, 0, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "path: empty");
    CHECK(vss_filedesc_init(&d, NULL, "*", false, NULL, 0, &e) == VSS_FAIL);
    CHECK(vss_filedesc_init(&d, "C:\\Da*ta", "*", false, NULL, 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "path: wildcard '*' at position 6 in 'C:\\Da*ta'");
    CHECK(vss_filedesc_init(&d, "/a?", "*", false, NULL, 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "wildcard '?' at position 3");
    CHECK(vss_filedesc_init(&d, "/a", "", false, NULL, 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "filespec: empty");
    CHECK(vss_filedesc_init(&d, "/a", "sub/*.txt", false, NULL, 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "filespec: directory separator at position 4 in 'sub/*.txt'");
    CHECK(vss_filedesc_init(&d, "/a", "sub\\x", false, NULL, 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "filespec: directory separator");
    CHECK(vss_filedesc_init(&d, "/a", "*", false, "", 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "alternate_location: empty");
    CHECK(vss_filedesc_init(&d, "/a", "*", false, "/b*", 0, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "alternate_location: wildcard");
    CHECK(d.path == NULL && d.filespec == NULL); /* nothing held on failure */
    CHECK(vss_filedesc_init(&d, "/a", "*", false, NULL, 0, NULL) == VSS_OK);
    vss_filedesc_clear(&d);
}

static bool same(const char *p1, const char *s1, bool r1, const char *p2, const char *s2, bool r2,
                 unsigned flags)
{
    vss_filedesc a, b;
    vss_filedesc_init(&a, p1, s1, r1, NULL, 0, NULL);
    vss_filedesc_init(&b, p2, s2, r2, "/elsewhere", 1, NULL);
    bool r = vss_filedesc_same_set(&a, &b, flags);
    vss_filedesc_clear(&a);
    vss_filedesc_clear(&b);
    return r;
}

TEST(same_set_normalizes_separators_and_obeys_case_rule)
{
    CHECK(same("C:\\Data", "*.mdf", true, "C:\\Data\\", "*.mdf", true, 0));
    CHECK(same("C:\\Data", "*.mdf", true, "C:/Data//", "*.mdf", true, 0));
    CHECK(same("/srv//data/", "x", false, "/srv/data", "x", false, 0));
    CHECK(!same("C:\\Data", "*.mdf", true, "C:\\Data", "*.mdf", false, 0));
    CHECK(!same("C:\\Data", "*.mdf", true, "C:\\Data", "*.ldf", true, 0));
    CHECK(!same("C:\\Data", "*.mdf", true, "c:\\data", "*.MDF", true, 0));
    CHECK(same("C:\\Data", "*.mdf", true, "c:\\data", "*.MDF", true, VSS_MATCH_CASELESS));
    CHECK(!same("/a", "*", true, "/a", "*.*", true, 0)); /* the triple as written */
    CHECK(!same("/a", "x", true, "/ab", "x", true, 0));
    CHECK(!same("/a", "x", true, "/a", "xy", true, 0));
    CHECK(same("/", "x", true, "//", "x", true, 0));
}

TEST(path_equal)
{
    CHECK(vss_path_equal("/a/b", "/a/b/", 0));
    CHECK(vss_path_equal("\\a\\b", "/a/b", 0));
    CHECK(!vss_path_equal("/a/b", "/a/bc", 0));
    CHECK(!vss_path_equal("/a/b", "/a", 0));
    CHECK(!vss_path_equal("/A", "/a", 0));
    CHECK(vss_path_equal("/A", "/a", VSS_MATCH_CASELESS));
}

static const struct {
    const char *spec, *name;
    bool exact, caseless;
} table[] = {
    /* docs/model.md §6.3 real filespecs */
    {"*", "anything.txt", true, true},
    {"*", "", true, true},
    {"*", "noext", true, true},
    {"*.*", "noext", true, true}, /* "*.*" also matches names without a dot */
    {"*.*", "a.b", true, true},
    {"*.*", ".hidden", true, true},
    {"*.xml", "writer.xml", true, true},
    {"*.xml", "writer.XML", false, true},
    {"*.xml", "writer.xmlx", false, false},
    {"*.xml", "xml", false, false},
    {"Perfc???.dat", "Perfc009.dat", true, true},
    {"Perfc???.dat", "PERFC009.DAT", false, true},
    {"Perfc???.dat", "Perfc09.dat", false, false},
    {"Perfc???.dat", "Perfc0009.dat", false, false},
    {"edb*.log", "edb.log", true, true}, /* '*' matches nothing */
    {"edb*.log", "edb00012.log", true, true},
    {"edb*.log", "edb00012.logx", false, false},
    {"SAM", "SAM", true, true},
    {"SAM", "sam", false, true},
    {"SAM", "SAMx", false, false},
    {"master.mdf", "master.mdf", true, true},
    /* the doc example: File1.* selects File1.txt, not File2.txt */
    {"File1.*", "File1.txt", true, true},
    {"File1.*", "File2.txt", false, false},
    {"File1.*", "File1", true, true}, /* trailing ".*" may match nothing */
    {"*x.*", "a.x", true, true},
    {"a.*", "ab", false, false},
    {"?", "a", true, true},
    {"?", "", false, false},
    {"?", "ab", false, false},
    {"?", "\xc3\xa9", true, true},         /* one UTF-8 character */
    {"??", "\xc3\xa9", false, false},
    {"?", "\xff", true, true},             /* invalid UTF-8: one byte */
    {"\xc3\x89", "\xc3\xa9", false, false}, /* only ASCII folds */
    {"a*b*c", "abc", true, true},
    {"a*b*c", "aXbYc", true, true},
    {"a*b*c", "aXbY", false, false},
    {"*ab", "aab", true, true},
    {"**", "x", true, true},
    {"[ab]", "[ab]", true, true}, /* brackets are literal */
    {"[ab]", "a", false, false},
    {"*.tar.gz", "x.tar.gz", true, true},
    {"*.tar.gz", "x.tar", false, false},
};

TEST(match_table)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        bool a = vss_filespec_match(table[i].spec, table[i].name, 0);
        bool b = vss_filespec_match(table[i].spec, table[i].name, VSS_MATCH_CASELESS);
        if (a != table[i].exact || b != table[i].caseless)
            fprintf(stderr, "  entry %zu: '%s' vs '%s': exact %d caseless %d\n", i,
                    table[i].spec, table[i].name, a, b);
        CHECK(a == table[i].exact);
        CHECK(b == table[i].caseless);
    }
}

TEST(match_pathological_patterns_are_cheap)
{
    /* A backtracking matcher takes ~n^k steps here; this one ~n*m. */
    char name[20001];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    CHECK(!vss_filespec_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name, 0));
    CHECK(!vss_filespec_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name, VSS_MATCH_CASELESS));
    CHECK(vss_filespec_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", name, 0));
    name[sizeof name - 2] = 'b';
    CHECK(vss_filespec_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name, 0));
    CHECK(!vss_filespec_match("*?*?*?*?*?*?*?*?*?*?*.*x", name, 0));
}

TEST(matches_all)
{
    CHECK(vss_filespec_matches_all("*"));
    CHECK(vss_filespec_matches_all("**"));
    CHECK(vss_filespec_matches_all("*.*"));
    CHECK(!vss_filespec_matches_all("*.txt"));
    CHECK(!vss_filespec_matches_all("?*"));
    CHECK(!vss_filespec_matches_all(""));
    /* what it claims, the matcher agrees with */
    const char *names[] = {"", "a", ".a", "a.", "a.b.c", "\xff"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(vss_filespec_match("*", names[i], 0));
        CHECK(vss_filespec_match("*.*", names[i], 0));
    }
}

RUN_TESTS("test_filespec", T(init_copies_and_clear_frees), T(init_rejects_bad_arguments_naming_them),
          T(same_set_normalizes_separators_and_obeys_case_rule), T(path_equal), T(match_table),
          T(match_pathological_patterns_are_cheap), T(matches_all))
