/* What of the snapshot layer runs without root: path translation,
 * the manifest format, owners, and a copy-provider set in a temp dir. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/snapshot_internal.h"
#include "base/mem.h"
#include "check.h"

static void check_norm(const char *in, const char *want)
{
    char *out = NULL;
    CHECK(vss_path_normalize(in, &out, NULL) == VSS_OK);
    CHECK_STR(out, want);
    free(out);
}

TEST(path_normalize_is_lexical)
{
    check_norm("/", "/");
    check_norm("//a//b/", "/a/b");
    check_norm("/a/./b/../c", "/a/c");
    check_norm("/../..", "/");
    check_norm("/a/b/..", "/a");
    char *out;
    vss_error e;
    CHECK(vss_path_normalize("a/b", &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EINVAL);
    CHECK(vss_path_normalize("", &out, &e) == VSS_FAIL);
}

TEST(path_within_respects_component_boundaries)
{
    CHECK(vss_fspath_within("/mnt/a", "/mnt"));
    CHECK(vss_fspath_within("/mnt", "/mnt"));
    CHECK(!vss_fspath_within("/mntx", "/mnt"));
    CHECK(!vss_fspath_within("/mn", "/mnt"));
    CHECK(vss_fspath_within("/anything", "/"));
}

static void check_tr(const char *path, const char *orig, const char *root, const char *want)
{
    char *out = NULL;
    CHECK(vss_path_translate(path, orig, root, &out, NULL) == VSS_OK);
    CHECK_STR(out, want);
    free(out);
}

TEST(path_translate_maps_original_onto_snapshot_root)
{
    check_tr("/mnt/data/a.txt", "/mnt", "/mnt/.s/{x}/{y}", "/mnt/.s/{x}/{y}/data/a.txt");
    check_tr("/mnt", "/mnt", "/snap", "/snap");
    check_tr("/etc/passwd", "/", "/.s/1", "/.s/1/etc/passwd");
    check_tr("/", "/", "/.s/1", "/.s/1");
    char *out;
    vss_error e;
    CHECK(vss_path_translate("/mntx/a", "/mnt", "/snap", &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_OBJECT_NOT_FOUND);
}

TEST(selection_limits_translation_to_added_paths_and_their_parents)
{
    vss_snapshot snap;
    memset(&snap, 0, sizeof snap);
    snap.original = strdup("/mnt");
    snap.root = strdup("/mnt/.luavss-snapshots/{s}/{n}");
    CHECK(vss_provider_add_selection(&snap, "/mnt/db", NULL) == VSS_OK);
    CHECK(vss_provider_add_selection(&snap, "/mnt/db", NULL) == VSS_OK);
    CHECK_EQ_U64(snap.nselection, 1);
    char *out = NULL;
    CHECK(vss_provider_path_selected(&snap, "/mnt/db/x", &out, NULL) == VSS_OK);
    CHECK_STR(out, "/mnt/.luavss-snapshots/{s}/{n}/db/x");
    free(out);
    CHECK(vss_provider_path_selected(&snap, "/mnt", &out, NULL) == VSS_OK);
    free(out);
    vss_error e;
    CHECK(vss_provider_path_selected(&snap, "/mnt/dbx", &out, &e) == VSS_FAIL);
    CHECK_CODE(e.code, VSS_OBJECT_NOT_FOUND);
    vss_snapshot_clear(&snap);
}

TEST(escape_round_trips_awkward_paths)
{
    const char *s = "/mnt/a b/100%\n/\x7f\ttab";
    char *esc = vss_path_escape(s), *back = NULL;
    CHECK(strchr(esc, ' ') == NULL && strchr(esc, '\n') == NULL);
    CHECK_STR(esc, "/mnt/a%20b/100%25%0A/%7F%09tab");
    CHECK(vss_path_unescape(esc, &back, NULL) == VSS_OK);
    CHECK_STR(back, s);
    free(esc);
    free(back);
    vss_error e;
    CHECK(vss_path_unescape("/a%2", &back, &e) == VSS_FAIL);
    CHECK(vss_path_unescape("/a%00b", &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "position 3");
}

static void sample_info(vss_snapshot_set_info *info)
{
    memset(info, 0, sizeof *info);
    vss_guid_parse("{11111111-2222-4333-8444-555555555555}", VSS_GUID_BRACED, NULL, &info->id,
                   NULL);
    info->attributes = VSS_CTX_APP_ROLLBACK;
    snprintf(info->state, sizeof info->state, "created");
    info->owner_pid = 4242;
    info->owner_start = 987654;
    snprintf(info->boot_id, sizeof info->boot_id, "0b9f-boot");
    info->created = 1763840000;
    info->nsnapshots = 1;
    info->snapshots = calloc(1, sizeof *info->snapshots);
    vss_snapshot *s = &info->snapshots[0];
    vss_guid_parse("{aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee}", VSS_GUID_BRACED, NULL, &s->id, NULL);
    snprintf(s->provider, sizeof s->provider, "reflink");
    s->volume = strdup("/mnt/my vol");
    s->original = strdup("/mnt/my vol");
    s->root = strdup("/mnt/my vol/.luavss-snapshots/{1}/{a}");
    s->reason = strdup("reflink: xfs clones");
    vss_provider_add_selection(s, "/mnt/my vol/db", NULL);
    vss_provider_add_selection(s, "/mnt/my vol/100%", NULL);
}

TEST(manifest_round_trips)
{
    vss_snapshot_set_info info, back;
    sample_info(&info);
    char *text = NULL;
    CHECK(vss_manifest_format(&info, &text, NULL) == VSS_OK);
    CHECK(strncmp(text, "luavss-snapshot-set 1\nset {11111111-2222-4333-8444-555555555555}\n", 65) == 0);
    CHECK_CONTAINS(text, "\nattributes 0x00000009\n");
    CHECK_CONTAINS(text, "\nowner 4242 987654 0b9f-boot\n");
    CHECK_CONTAINS(text, "\nvolume /mnt/my%20vol\n");
    CHECK_CONTAINS(text, "\nselect /mnt/my%20vol/100%25\n");
    CHECK(strstr(text, "end manifest\n") != NULL);
    CHECK(vss_manifest_parse(text, &back, NULL) == VSS_OK);
    CHECK(vss_guid_equal(&back.id, &info.id));
    CHECK_EQ_U64(back.attributes, 9);
    CHECK_STR(back.state, "created");
    CHECK_EQ_U64(back.owner_pid, 4242);
    CHECK_EQ_U64(back.owner_start, 987654);
    CHECK_STR(back.boot_id, "0b9f-boot");
    CHECK_EQ_U64(back.created, 1763840000);
    CHECK_EQ_U64(back.nsnapshots, 1);
    CHECK_STR(back.snapshots[0].provider, "reflink");
    CHECK_STR(back.snapshots[0].volume, "/mnt/my vol");
    CHECK_STR(back.snapshots[0].root, "/mnt/my vol/.luavss-snapshots/{1}/{a}");
    CHECK(back.snapshots[0].exposed == NULL);
    CHECK_EQ_U64(back.snapshots[0].nselection, 2);
    CHECK_STR(back.snapshots[0].selection[1], "/mnt/my vol/100%");
    free(text);
    vss_snapshot_set_info_clear(&back);
    vss_snapshot_set_info_clear(&info);
}

TEST(manifest_rejects_truncated_and_bad_input)
{
    vss_snapshot_set_info info, back;
    sample_info(&info);
    char *text = NULL;
    vss_manifest_format(&info, &text, NULL);
    vss_error e;
    char *cut = strdup(text);
    *strstr(cut, "end manifest") = '\0';
    CHECK(vss_manifest_parse(cut, &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "truncated");
    CHECK(vss_manifest_parse("something else\n", &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "line 1");
    CHECK(vss_manifest_parse("luavss-snapshot-set 1\nvolume /x\nend manifest\n", &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "line 2");
    CHECK(vss_manifest_parse("luavss-snapshot-set 1\nowner x y z\nend manifest\n", &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "bad owner");
    CHECK(vss_manifest_parse("luavss-snapshot-set 1\nsnapshot {aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee}\n"
                             "provider lvm\nend manifest\n",
                             &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "unknown provider 'lvm'");
    CHECK(vss_manifest_parse("luavss-snapshot-set 1\nsnapshot {aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee}\n"
                             "provider copy\nend manifest\n",
                             &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "required");
    free(cut);
    free(text);
    vss_snapshot_set_info_clear(&info);
}

TEST(manifest_write_is_atomic_and_readable)
{
    char dir[] = "/tmp/luavss-ctest.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *area = vss_path_join(dir, VSS_SNAPSHOT_AREA);
    vss_snapshot_set_info info, back;
    sample_info(&info);
    CHECK(vss_manifest_write(area, &info, true, NULL) == VSS_OK);
    char *name = vss_manifest_name(area, &info.id);
    CHECK(vss_manifest_read(name, &back, NULL) == VSS_OK);
    CHECK_STR(back.snapshots[0].reason, "reflink: xfs clones");
    vss_snapshot_set_info_clear(&back);
    /* no temporary left behind: only the manifest */
    char *cmd = vss_strdup_printf("test $(ls -A '%s' | wc -l) = 1", area);
    CHECK(system(cmd) == 0);
    /* removing the set removes the manifest and the then-empty area */
    CHECK(vss_manifest_remove_set(area, &info, NULL) == VSS_OK);
    struct stat st;
    CHECK(stat(area, &st) != 0);
    free(cmd);
    free(name);
    free(area);
    vss_snapshot_set_info_clear(&info);
    rmdir(dir);
}

TEST(owner_self_is_alive_and_a_stranger_is_not)
{
    vss_snapshot_set_info info;
    memset(&info, 0, sizeof info);
    CHECK(vss_owner_self(&info.owner_pid, &info.owner_start, info.boot_id, NULL) == VSS_OK);
    CHECK(info.owner_start > 0);
    CHECK(vss_snapshot_owner_alive(&info));
    info.owner_start += 1; /* same pid, another process's start time: reused pid */
    CHECK(!vss_snapshot_owner_alive(&info));
    info.owner_start -= 1;
    snprintf(info.boot_id, sizeof info.boot_id, "another-boot");
    CHECK(!vss_snapshot_owner_alive(&info));
}

RUN_TESTS("test_snapshot", T(path_normalize_is_lexical),
          T(path_within_respects_component_boundaries),
          T(path_translate_maps_original_onto_snapshot_root),
          T(selection_limits_translation_to_added_paths_and_their_parents),
          T(escape_round_trips_awkward_paths), T(manifest_round_trips),
          T(manifest_rejects_truncated_and_bad_input), T(manifest_write_is_atomic_and_readable),
          T(owner_self_is_alive_and_a_stranger_is_not))
