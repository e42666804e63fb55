#include <stdlib.h>
#include <string.h>

#include "documents/components.h"
#include "check.h"

#define WID "a65faa63-5ea8-4ebc-9dbd-a0c4db26912a"
#define IID "235435d9-34d6-41ea-8c08-5958a9982636"

/* A writer with a selectable database (set "Inst\db") holding a
 * non-selectable subcomponent, and a file group. */
static vss_writer_metadata *writer(uint32_t schema)
{
    vss_wm_identity id = {.writer_id = WID, .instance_id = IID, .name = "SQL",
                          .instance_name = "inst1", .usage = VSS_UT_USERDATA};
    vss_writer_metadata *wm = NULL;
    vss_error e;
    CHECK(vss_wm_new(&id, &wm, &e) == VSS_OK);
    vss_wm_component db = {.type = VSS_CT_DATABASE, .logical_path = "Inst", .name = "db",
                           .selectable = true, .selectable_for_restore = true};
    vss_wm_component ft = {.type = VSS_CT_FILEGROUP, .logical_path = "Inst\\db", .name = "fulltext",
                           .selectable_for_restore = true};
    vss_wm_component logs = {.type = VSS_CT_FILEGROUP, .logical_path = "Inst\\db", .name = "x"};
    vss_wm_component conf = {.type = VSS_CT_FILEGROUP, .name = "conf"};
    CHECK(vss_wm_add_component(wm, &db, &e) == VSS_OK);
    CHECK(vss_wm_add_component(wm, &ft, &e) == VSS_OK);
    CHECK(vss_wm_add_component(wm, &logs, &e) == VSS_OK);
    CHECK(vss_wm_add_component(wm, &conf, &e) == VSS_OK);
    CHECK(vss_wm_add_database_files(wm, "Inst", "db", "/data", "db.mdf", 0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_add_database_log_files(wm, "Inst", "db", "/data", "db.ldf", 0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, "Inst\\db", "fulltext", "/data/ft", "*", true, NULL,
                                         0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, NULL, "conf", "/etc/sql", "*.conf", false, NULL,
                                         0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_set_backup_schema(wm, schema, &e) == VSS_OK);
    return wm;
}

static vss_backup_components *bcd(int type, bool partial)
{
    vss_bc_state st = {.backup_type = type, .select_components = true,
                       .partial_file_support = partial};
    vss_backup_components *bc = NULL;
    vss_error e;
    CHECK(vss_bc_new(&st, &bc, &e) == VSS_OK);
    return bc;
}

static vss_bc_component *add_db(vss_backup_components *bc, vss_writer_metadata *wm)
{
    vss_error e;
    vss_bc_component *c = NULL;
    if (wm)
        CHECK(vss_bc_add_writer_metadata(bc, wm, &e) == VSS_OK);
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_DATABASE, "Inst", "db", &c, &e) == VSS_OK);
    return c;
}

TEST(add_component_rules)
{
    vss_error e;
    vss_writer_metadata *wm = writer(0);
    vss_backup_components *bc = bcd(VSS_BT_FULL, false);
    vss_bc_component *c = add_db(bc, wm);
    CHECK(c != NULL && c->restore_target == VSS_RT_ORIGINAL);
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_DATABASE, "Inst", "db", NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_FILEGROUP, "Inst\\db", "fulltext", NULL, &e) ==
          VSS_FAIL);
    CHECK_CONTAINS(e.message, "subcomponent of selectable component 'db'");
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_FILEGROUP, NULL, "nope", NULL, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_DATABASE, NULL, "conf", NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "filegroup component");
    CHECK(vss_bc_add_component(bc, "x", IID, VSS_CT_DATABASE, NULL, "conf", NULL, &e) == VSS_FAIL);
    CHECK(vss_bc_validate(bc, &e) == VSS_FAIL); /* conf: nonselectable, no selectable parent */
    CHECK_CONTAINS(e.message, "nonselectable component 'conf'");
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_FILEGROUP, NULL, "conf", NULL, &e) == VSS_OK);
    CHECK(vss_bc_validate(bc, &e) == VSS_OK); /* fulltext and x come with db */
    CHECK_EQ_U64(vss_bc_writer_count(bc), 1);
    CHECK_STR(vss_bc_writer_at(bc, 0)->instance_name, "inst1");
    CHECK(vss_bc_find_component(bc, "A65FAA63-5EA8-4EBC-9DBD-A0C4DB26912A", "Inst", "db") == c);
    CHECK(vss_bc_find_component(bc, IID, NULL, "conf") != NULL);
    vss_bc_free(bc);
    vss_wm_free(wm);
}

TEST(partial_files)
{
    vss_error e;
    vss_backup_components *bc = bcd(VSS_BT_FULL, false);
    vss_bc_component *c = add_db(bc, NULL);
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "0:10", NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "partial file support");
    CHECK(vss_bc_set_backup_state(bc, true, false, VSS_BT_FULL, true, &e) == VSS_OK);
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "0:10,x:5", NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "ranges");
    CHECK_CONTAINS(e.message, "entry 2");
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "", NULL, &e) == VSS_FAIL);
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "ranges.bin", NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "full path");
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "File=", NULL, &e) == VSS_FAIL);
    CHECK(vss_bc_add_partial_file(bc, c, "/da*", "db.mdf", "0:1", NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "wildcards");
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db?.mdf", "0:1", NULL, &e) == VSS_FAIL);
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "0:4096, 0x10000:512", "m", &e) ==
          VSS_OK);
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.ldf", "File=/backup/r.bin", NULL, &e) ==
          VSS_OK);
    CHECK_EQ_U64(c->partial_file_count, 2);
    CHECK_STR(c->partial_files[0].ranges, "0:4096, 0x10000:512");
    CHECK_STR(c->partial_files[0].metadata, "m");
    CHECK(vss_bc_set_ranges_file_path(bc, c, 2, "/x", &e) == VSS_FAIL);
    CHECK_CODE(e.code, ERANGE);
    CHECK(vss_bc_set_ranges_file_path(bc, c, 1, "/restored/r.bin", &e) == VSS_OK);
    CHECK_STR(c->partial_files[1].ranges, "/restored/r.bin");
    vss_bc_free(bc);
}

TEST(directed_targets)
{
    vss_error e;
    vss_writer_metadata *wm = writer(0);
    vss_backup_components *bc = bcd(VSS_BT_FULL, true);
    vss_bc_component *c = add_db(bc, NULL);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:100", "/new", "db.mdf", "0:100",
                                     &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "set it to directed first");
    CHECK(vss_bc_set_restore_target(bc, c, VSS_RT_UNDEFINED, &e) == VSS_FAIL);
    CHECK(vss_bc_set_restore_target(bc, c, VSS_RT_DIRECTED, &e) == VSS_OK);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:100", "/new", "db.mdf", "0:100",
                                     &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "metadata");
    CHECK(vss_bc_add_writer_metadata(bc, wm, &e) == VSS_OK);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:100,200:5", "/new", "db.mdf",
                                     "0:100", &e) == VSS_FAIL);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:100", "/new", "db.mdf", "50:99",
                                     &e) == VSS_FAIL);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "other.mdf", "0:100", "/new", "x", "0:100",
                                     &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "not in a file set");
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:100", "/new", "db*", "0:100",
                                     &e) == VSS_FAIL);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:100,100:50", "/new", "db.mdf",
                                     "1000:100,0:50", &e) == VSS_OK);
    /* a subcomponent's files belong to the set */
    CHECK(vss_bc_add_directed_target(bc, c, "/data/ft/sub", "cat.ix", "0:1", "/n", "cat.ix", "7:1",
                                     &e) == VSS_OK);
    CHECK_EQ_U64(c->directed_target_count, 2);
    CHECK_STR(c->directed_targets[0].dst_ranges, "1000:100,0:50");
    /* a partial file is remapped with its own ranges only */
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.ldf", "0:10,20:10", NULL, &e) == VSS_OK);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.ldf", "0:10", "/n", "db.ldf", "0:10",
                                     &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "ranges it was backed up with");
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.ldf", "0:10,20:10", "/n", "db.ldf",
                                     "0:10,10:10", &e) == VSS_OK);
    vss_bc_free(bc);
    vss_wm_free(wm);
}

TEST(differenced_files)
{
    vss_error e;
    vss_writer_metadata *plain = writer(VSS_BS_INCREMENTAL);
    vss_writer_metadata *wm = writer(VSS_BS_INCREMENTAL | VSS_BS_LAST_MODIFY);
    vss_backup_components *bc = bcd(VSS_BT_FULL, true);
    vss_bc_component *c = add_db(bc, plain);
    const uint64_t t = 132215904000000000ull;
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data", "db.mdf", false, t,
                                                           &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "incremental or differential");
    CHECK(vss_bc_set_backup_state(bc, true, false, VSS_BT_INCREMENTAL, true, &e) == VSS_OK);
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data", "db.mdf", false, t,
                                                           &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "last_modify");
    CHECK(vss_bc_add_writer_metadata(bc, wm, &e) == VSS_OK); /* same instance: replaces */
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data", "db.mdf", false, t,
                                                           &e) == VSS_OK);
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data/", "*.mdf", false, t,
                                                           &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "partially overlap file set /data\\db.mdf of component 'db'");
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/etc", "*", true, t, &e) ==
          VSS_FAIL);
    CHECK_CONTAINS(e.message, "component 'conf'");
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data/ft", "*", true, t, &e) ==
          VSS_OK); /* exactly the subcomponent's set */
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data/new", "*.ndf", false, 0,
                                                           &e) == VSS_OK);
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data", "*.bak", false, 0,
                                                           &e) == VSS_OK);
    /* a file is partial or differenced, never both */
    CHECK(vss_bc_add_partial_file(bc, c, "/data/new", "a.ndf", "0:1", NULL, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "differenced");
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.ldf", "0:1", NULL, &e) == VSS_OK);
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data", "db.ldf", false, t,
                                                           &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "partial file");
    CHECK_EQ_U64(c->differenced_file_count, 4);
    CHECK_EQ_U64(c->differenced_files[0].last_modify_time, t);
    vss_bc_free(bc);
    vss_wm_free(wm);
    vss_wm_free(plain);
}

TEST(new_targets_mappings_subcomponents)
{
    vss_error e;
    vss_writer_metadata *wm = writer(0);
    vss_writer_metadata *nt = writer(VSS_BS_WRITER_SUPPORTS_NEW_TARGET);
    vss_backup_components *bc = bcd(VSS_BT_FULL, false);
    vss_bc_component *c = add_db(bc, wm);
    CHECK(vss_bc_add_new_target(bc, c, "/data", "db.mdf", false, "/restore", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "does not support new targets");
    CHECK(vss_bc_add_writer_metadata(bc, nt, &e) == VSS_OK);
    CHECK(vss_bc_add_new_target(bc, c, "/data", "db.mdf", true, "/restore", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "is not a file set of component 'db'");
    CHECK(vss_bc_add_new_target(bc, c, "/etc/sql", "*.conf", false, "/restore", &e) == VSS_FAIL);
    CHECK(vss_bc_add_new_target(bc, c, "/data", "db.mdf", false, "", &e) == VSS_FAIL);
    CHECK(vss_bc_add_new_target(bc, c, "/data", "db.mdf", false, "/restore", &e) == VSS_OK);
    CHECK_STR(c->new_targets.items[0].d.alternate_location, "/restore");
    CHECK(vss_bc_add_alternative_location_mapping(bc, c, "/data/ft", "*", true, "/alt", &e) ==
          VSS_OK);
    CHECK(vss_bc_add_alternative_location_mapping(bc, c, "/data/ft", "*.x", true, "/alt", &e) ==
          VSS_FAIL);
    CHECK(vss_bc_add_restore_subcomponent(bc, c, "Inst\\db", "fulltext", true, &e) == VSS_OK);
    CHECK(vss_bc_add_restore_subcomponent(bc, c, "Inst\\db", "x", false, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "not selectable for restore");
    CHECK(vss_bc_add_restore_subcomponent(bc, c, NULL, "conf", false, &e) == VSS_FAIL);
    CHECK(vss_bc_add_restore_subcomponent(bc, c, "Inst", "db", false, &e) == VSS_FAIL);
    CHECK_EQ_U64(c->restore_subcomponent_count, 1);
    CHECK(c->restore_subcomponents[0].repair);
    vss_bc_free(bc);
    vss_wm_free(wm);
    vss_wm_free(nt);
}

TEST(stamps_and_states)
{
    vss_error e;
    vss_backup_components *bc = bcd(VSS_BT_FULL, false);
    vss_bc_component *c = add_db(bc, NULL);
    CHECK(vss_bc_set_previous_backup_stamp(bc, c, "s1", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "this one is full");
    CHECK(vss_bc_set_backup_state(bc, true, false, VSS_BT_DIFFERENTIAL, false, &e) == VSS_OK);
    CHECK(vss_bc_set_previous_backup_stamp(bc, c, "s1", &e) == VSS_OK);
    CHECK(vss_bc_set_backup_stamp(bc, c, "s2", &e) == VSS_OK);
    CHECK(vss_bc_set_file_restore_status(bc, c, VSS_RS_UNDEFINED, &e) == VSS_FAIL);
    CHECK(vss_bc_set_file_restore_status(bc, c, 7, &e) == VSS_FAIL);
    CHECK(vss_bc_set_file_restore_status(bc, c, VSS_RS_FAILED, &e) == VSS_OK);
    CHECK(vss_bc_set_backup_state(bc, true, false, 9, false, &e) == VSS_FAIL);
    CHECK(vss_bc_set_restore_state(bc, 4, &e) == VSS_FAIL);
    CHECK(vss_bc_set_snapshot_set_id(bc, "nope", &e) == VSS_FAIL);
    CHECK_STR(c->previous_backup_stamp, "s1");
    CHECK_STR(c->backup_stamp, "s2");
    vss_bc_free(bc);
}

/* The one writer matcher: writer id and instance id, both, without case;
 * two instances of one writer are two entries. */
TEST(writer_matcher)
{
    vss_error e;
    vss_wm_identity id = {.writer_id = WID, .instance_id = IID};
    CHECK(vss_wm_is_writer(&id, "A65FAA63-5EA8-4EBC-9DBD-A0C4DB26912A", IID));
    CHECK(!vss_wm_is_writer(&id, WID, WID));
    CHECK(!vss_wm_is_writer(&id, IID, IID));
    CHECK(!vss_wm_is_writer(&id, WID, NULL));
    vss_wm_identity none = {.writer_id = WID};
    CHECK(!vss_wm_is_writer(&none, WID, NULL));
    const char *iid2 = "11111111-2222-3333-4444-555555555555";
    vss_backup_components *bc = bcd(VSS_BT_FULL, false);
    vss_bc_component *c1 = add_db(bc, NULL), *c2 = NULL;
    CHECK(vss_bc_add_component(bc, WID, iid2, VSS_CT_FILEGROUP, NULL, "conf", &c2, &e) == VSS_OK);
    vss_bc_writer *w1 = vss_bc_find_writer(bc, WID, "235435D9-34D6-41EA-8C08-5958A9982636");
    vss_bc_writer *w2 = vss_bc_find_writer(bc, WID, iid2);
    CHECK(w1 != NULL && w2 != NULL && w1 != w2);
    CHECK(vss_bc_find_writer(bc, IID, WID) == NULL);
    if (w1 != NULL && w2 != NULL) {
        CHECK(vss_bc_writer_component(w1, "Inst", "db") == c1);
        CHECK(vss_bc_writer_component(w1, NULL, "conf") == NULL);
        CHECK(vss_bc_writer_component(w2, "", "conf") == c2);
    }
    vss_bc_free(bc);
}

TEST(xml_round_trip_and_unknowns)
{
    vss_error e;
    vss_writer_metadata *wm = writer(VSS_BS_INCREMENTAL | VSS_BS_LAST_MODIFY |
                                     VSS_BS_WRITER_SUPPORTS_NEW_TARGET);
    vss_backup_components *bc = bcd(VSS_BT_INCREMENTAL, true);
    CHECK(vss_bc_set_snapshot_set_id(bc, "e109943b-232e-4b52-8dc4-62b7de94761b", &e) == VSS_OK);
    CHECK(vss_bc_set_restore_state(bc, VSS_RTYPE_BY_COPY, &e) == VSS_OK);
    vss_bc_component *c = add_db(bc, wm);
    CHECK(vss_bc_set_backup_stamp(bc, c, "CAAAAMQv3+t4udUB", &e) == VSS_OK);
    CHECK(vss_bc_set_previous_backup_stamp(bc, c, "prev", &e) == VSS_OK);
    CHECK(vss_bc_set_backup_succeeded(bc, c, true, &e) == VSS_OK);
    CHECK(vss_bc_set_backup_options(bc, c, "opt=1", &e) == VSS_OK);
    CHECK(vss_bc_set_restore_options(bc, c, "\"New Component Name\"=\"x\"", &e) == VSS_OK);
    CHECK(vss_bc_set_backup_metadata(bc, c, "BCAAAFRBUEUA", &e) == VSS_OK);
    CHECK(vss_bc_set_restore_metadata(bc, c, "rm", &e) == VSS_OK);
    CHECK(vss_bc_set_selected_for_restore(bc, c, true, &e) == VSS_OK);
    CHECK(vss_bc_set_additional_restores(bc, c, true, &e) == VSS_OK);
    CHECK(vss_bc_set_file_restore_status(bc, c, VSS_RS_ALL, &e) == VSS_OK);
    CHECK(vss_bc_set_pre_restore_failure_msg(bc, c, "pre <&> msg", &e) == VSS_OK);
    CHECK(vss_bc_set_post_restore_failure_msg(bc, c, "post", &e) == VSS_OK);
    CHECK(vss_bc_add_partial_file(bc, c, "/data", "db.mdf", "0:4096", "pm", &e) == VSS_OK);
    CHECK(vss_bc_add_differenced_files_by_last_modify_time(bc, c, "/data/ft", "*", true,
                                                           0x01D5B979EBDF2FC4ull, &e) == VSS_OK);
    CHECK(vss_bc_add_new_target(bc, c, "/data", "db.ldf", false, "/r", &e) == VSS_OK);
    CHECK(vss_bc_add_alternative_location_mapping(bc, c, "/data/ft", "*", true, "/a", &e) == VSS_OK);
    CHECK(vss_bc_add_restore_subcomponent(bc, c, "Inst\\db", "fulltext", false, &e) == VSS_OK);
    CHECK(vss_bc_set_restore_target(bc, c, VSS_RT_DIRECTED, &e) == VSS_OK);
    CHECK(vss_bc_add_directed_target(bc, c, "/data", "db.mdf", "0:4096", "/n", "db.mdf", "8192:4096",
                                     &e) == VSS_OK);
    size_t len;
    char *xml = vss_bc_xml(bc, &len, &e);
    CHECK(xml != NULL);
    vss_backup_components *back = NULL;
    CHECK(vss_bc_parse(xml, len, &back, &e) == VSS_OK);
    if (back != NULL) {
        const vss_bc_state *st = vss_bc_get_state(back);
        CHECK(st->backup_type == VSS_BT_INCREMENTAL && st->partial_file_support &&
              st->select_components && !st->bootable_system_state);
        CHECK(st->restore_type == VSS_RTYPE_BY_COPY);
        CHECK_STR(st->snapshot_set_id, "e109943b-232e-4b52-8dc4-62b7de94761b");
        vss_bc_component *b = vss_bc_find_component(back, WID, "Inst", "db");
        CHECK(b != NULL);
        if (b != NULL) {
            CHECK_EQ_U64(b->writer->backup_schema, vss_wm_backup_schema(wm));
            CHECK_STR(b->backup_stamp, "CAAAAMQv3+t4udUB");
            CHECK_STR(b->previous_backup_stamp, "prev");
            CHECK(b->backup_succeeded && b->selected_for_restore && b->additional_restores);
            CHECK_STR(b->restore_options, "\"New Component Name\"=\"x\"");
            CHECK_STR(b->backup_metadata, "BCAAAFRBUEUA");
            CHECK_STR(b->restore_metadata, "rm");
            CHECK(b->restore_target == VSS_RT_DIRECTED && b->file_restore_status == VSS_RS_ALL);
            CHECK_STR(b->pre_restore_failure_msg, "pre <&> msg");
            CHECK(b->partial_file_count == 1 && b->differenced_file_count == 1);
            CHECK_EQ_U64(b->differenced_files[0].last_modify_time, 0x01D5B979EBDF2FC4ull);
            CHECK(b->differenced_files[0].recursive);
            CHECK(b->new_targets.count == 1 && b->alternate_location_mappings.count == 1);
            CHECK(b->restore_subcomponent_count == 1 && b->directed_target_count == 1);
            CHECK_STR(b->directed_targets[0].dst_ranges, "8192:4096");
        }
        size_t len2;
        char *xml2 = vss_bc_xml(back, &len2, &e);
        CHECK_STR(xml2, xml);
        free(xml2);
    }
    vss_bc_free(back);
    free(xml);
    const char *odd =
        "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" "
        "backupType=\"full\" future=\"1\"><WRITER_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" "
        "instanceId=\"" IID "\" writerId=\"" WID "\" backupSchema=\"0\"><COMPONENT componentName=\"c\" "
        "componentType=\"filegroup\" lun=\"7\"><BACKUP_METADATA xmlns=\"\" metadata=\"m\"/>"
        "<SNAPSHOT_DESCRIPTION id=\"1\"/></COMPONENT></WRITER_COMPONENTS></BACKUP_COMPONENTS>";
    CHECK(vss_bc_parse(odd, strlen(odd), &back, &e) == VSS_OK);
    if (back != NULL) {
        CHECK_STR(vss_bc_writer_at(back, 0)->components[0]->backup_metadata, "m");
        xml = vss_bc_xml(back, &len, &e);
        CHECK_CONTAINS(xml, "future=\"1\"");
        CHECK_CONTAINS(xml, "lun=\"7\"");
        CHECK_CONTAINS(xml, "<SNAPSHOT_DESCRIPTION id=\"1\"/>");
        free(xml);
        vss_bc_free(back);
    }
    const char *bad = "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\">\n"
                      "<WRITER_COMPONENTS instanceId=\"" IID "\" writerId=\"" WID "\">\n"
                      "<COMPONENT componentName=\"c\" componentType=\"table\"/>"
                      "</WRITER_COMPONENTS></BACKUP_COMPONENTS>";
    CHECK(vss_bc_parse(bad, strlen(bad), &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "<COMPONENT componentType=\"table\"> at line 3");
    bad = "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" backupType=\"weekly\"/>";
    CHECK(vss_bc_parse(bad, strlen(bad), &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "backupType");
    CHECK(vss_bc_parse("<WRITER_METADATA/>", 18, &back, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "expected <BACKUP_COMPONENTS>");
    vss_bc_free(bc);
    vss_wm_free(wm);
}


/* A loaded BCD saves as itself: BACKUP_METADATA keeps xmlns="" when its
 * value changes, the unknown element and the comment stay between the
 * components; a new component goes after the last one of its writer, a
 * new writer after the last writer, both indented like their neighbours. */
TEST(loaded_document_saves_itself)
{
    static const char xml[] =
        "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" "
        "bootableSystemStateBackup=\"no\" selectComponents=\"yes\" backupType=\"full\" "
        "partialFileSupport=\"no\">\n"
        "\t<WRITER_COMPONENTS writerId=\"" WID "\" instanceId=\"" IID "\" backupSchema=\"0\">\n"
        "\t\t<!-- first -->\n"
        "\t\t<COMPONENT componentName=\"db\" componentType=\"database\" backupStamp=\"S1\">\n"
        "\t\t\t<BACKUP_METADATA xmlns=\"\" metadata=\"abc\"/>\n"
        "\t\t</COMPONENT>\n"
        "\t\t<FUTURE xmlns=\"urn:x\" a=\"1\"/>\n"
        "\t\t<COMPONENT logicalPath=\"L\" componentName=\"log\" componentType=\"filegroup\"/>\n"
        "\t</WRITER_COMPONENTS>\n"
        "</BACKUP_COMPONENTS>\n";
    vss_error e;
    vss_backup_components *bc = NULL;
    CHECK(vss_bc_parse(xml, strlen(xml), &bc, &e) == VSS_OK);
    size_t len;
    char *out = vss_bc_xml(bc, &len, &e);
    CHECK(out != NULL);
    CHECK_STR(out, xml);
    free(out);
    vss_bc_component *c = vss_bc_find_component(bc, WID, NULL, "db");
    CHECK(c != NULL);
    CHECK(vss_bc_set_backup_metadata(bc, c, "xyz", &e) == VSS_OK);
    CHECK(vss_bc_set_backup_stamp(bc, c, "S2", &e) == VSS_OK);
    CHECK(vss_bc_add_component(bc, WID, IID, VSS_CT_FILEGROUP, NULL, "more", NULL, &e) == VSS_OK);
    CHECK(vss_bc_add_component(bc, "11111111-2222-3333-4444-555555555555",
                               "11111111-2222-3333-4444-555555555556", VSS_CT_FILEGROUP, NULL, "w2",
                               NULL, &e) == VSS_OK);
    static const char want[] =
        "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" "
        "bootableSystemStateBackup=\"no\" selectComponents=\"yes\" backupType=\"full\" "
        "partialFileSupport=\"no\">\n"
        "\t<WRITER_COMPONENTS writerId=\"" WID "\" instanceId=\"" IID "\" backupSchema=\"0\">\n"
        "\t\t<!-- first -->\n"
        "\t\t<COMPONENT componentName=\"db\" componentType=\"database\" backupStamp=\"S2\">\n"
        "\t\t\t<BACKUP_METADATA xmlns=\"\" metadata=\"xyz\"/>\n"
        "\t\t</COMPONENT>\n"
        "\t\t<FUTURE xmlns=\"urn:x\" a=\"1\"/>\n"
        "\t\t<COMPONENT logicalPath=\"L\" componentName=\"log\" componentType=\"filegroup\"/>\n"
        "\t\t<COMPONENT componentName=\"more\" componentType=\"filegroup\"/>\n"
        "\t</WRITER_COMPONENTS>\n"
        "\t<WRITER_COMPONENTS instanceId=\"11111111-2222-3333-4444-555555555556\" "
        "writerId=\"11111111-2222-3333-4444-555555555555\" backupSchema=\"0\">\n"
        "\t\t<COMPONENT componentName=\"w2\" componentType=\"filegroup\"/>\n"
        "\t</WRITER_COMPONENTS>\n"
        "</BACKUP_COMPONENTS>\n";
    out = vss_bc_xml(bc, &len, &e);
    CHECK(out != NULL);
    CHECK_STR(out, want);
    free(out);
    vss_bc_free(bc);
}

RUN_TESTS("test_components", T(add_component_rules), T(partial_files), T(directed_targets),
          T(differenced_files), T(new_targets_mappings_subcomponents), T(stamps_and_states),
          T(writer_matcher), T(xml_round_trip_and_unknowns), T(loaded_document_saves_itself))
