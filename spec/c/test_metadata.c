#include <stdlib.h>
#include <string.h>

#include "documents/docxml.h"
#include "documents/metadata.h"
#include "check.h"

#define WID "8c6a8e4f-3a51-4c3e-9a7b-2f0d6c1e5a10"
#define IID "0f7d2a6b-9c4e-4b1d-8e2f-5a3c7b9d1e24"

static vss_writer_metadata *new_wm(void)
{
    vss_wm_identity id = {.writer_id = WID, .instance_id = IID, .name = "Test Writer",
                          .usage = VSS_UT_USERDATA, .source = VSS_ST_TRANSACTEDDB};
    vss_writer_metadata *wm = NULL;
    vss_error e;
    CHECK(vss_wm_new(&id, &wm, &e) == VSS_OK);
    return wm;
}

static int add(vss_writer_metadata *wm, int type, const char *lp, const char *name, bool sel,
               vss_error *e)
{
    vss_wm_component c = {.type = type, .logical_path = (char *)lp, .name = (char *)name,
                          .selectable = sel, .selectable_for_restore = sel};
    return vss_wm_add_component(wm, &c, e);
}

static vss_writer_metadata *parse(const char *xml, vss_error *e)
{
    vss_writer_metadata *wm = NULL;
    if (vss_wm_parse(xml, strlen(xml), &wm, e) != VSS_OK)
        return NULL;
    return wm;
}

TEST(new_checks_identity)
{
    vss_error e;
    vss_writer_metadata *wm;
    vss_wm_identity id = {.writer_id = "not-a-guid", .instance_id = IID, .name = "x"};
    CHECK(vss_wm_new(&id, &wm, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "writer_id");
    id.writer_id = WID;
    id.name = "";
    CHECK(vss_wm_new(&id, &wm, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "name");
    id.name = "W";
    id.usage = 9;
    CHECK(vss_wm_new(&id, &wm, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "usage");
}

TEST(add_component_rules)
{
    vss_error e;
    vss_writer_metadata *wm = new_wm();
    CHECK(add(wm, VSS_CT_DATABASE, "Instances\\main", "sales", true, &e) == VSS_OK);
    CHECK(add(wm, VSS_CT_DATABASE, "Instances\\main", "sales", true, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    CHECK_CONTAINS(e.message, "duplicate component 'sales'");
    CHECK(add(wm, VSS_CT_FILEGROUP, NULL, "sales", true, &e) == VSS_OK); /* other path */
    CHECK(add(wm, VSS_CT_FILEGROUP, "", "sales", true, &e) == VSS_FAIL); /* "" is no path */
    CHECK(add(wm, VSS_CT_FILEGROUP, "\\lead", "x", true, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "logical path '\\lead'");
    CHECK(add(wm, VSS_CT_FILEGROUP, "trail\\", "x", true, &e) == VSS_FAIL);
    CHECK(add(wm, VSS_CT_FILEGROUP, "a\\\\b", "x", true, &e) == VSS_FAIL);
    CHECK(add(wm, VSS_CT_FILEGROUP, "a", "x\\y", true, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "must not contain");
    CHECK(add(wm, VSS_CT_UNDEFINED, "a", "x", true, &e) == VSS_FAIL);
    CHECK(add(wm, VSS_CT_FILEGROUP, "a", "", true, &e) == VSS_FAIL);
    vss_wm_component bad = {.type = VSS_CT_FILEGROUP, .name = "f", .component_flags = 8};
    CHECK(vss_wm_add_component(wm, &bad, &e) == VSS_FAIL);
    CHECK_EQ_U64(vss_wm_component_count(wm), 2);
    CHECK(vss_wm_find_component(wm, "Instances\\main", "sales")->type == VSS_CT_DATABASE);
    CHECK(vss_wm_find_component(wm, "", "sales")->type == VSS_CT_FILEGROUP);
    vss_wm_free(wm);
}

TEST(file_lists_follow_the_component_type)
{
    vss_error e;
    vss_writer_metadata *wm = new_wm();
    CHECK(add(wm, VSS_CT_DATABASE, "db", "sales", true, &e) == VSS_OK);
    CHECK(add(wm, VSS_CT_FILEGROUP, "fg", "conf", true, &e) == VSS_OK);
    CHECK(vss_wm_add_database_files(wm, "db", "sales", "/data", "sales.db", VSS_FSBT_DEFAULT, &e) ==
          VSS_OK);
    CHECK(vss_wm_add_database_log_files(wm, "db", "sales", "/data/wal", "*.log", 0xF0F, &e) ==
          VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, "db", "sales", "/etc", "*", true, NULL, 0xF0F, &e) ==
          VSS_FAIL);
    CHECK_CONTAINS(e.message, "is a database component");
    CHECK(vss_wm_add_database_files(wm, "fg", "conf", "/etc", "x", 0xF0F, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "is a filegroup component");
    CHECK(vss_wm_add_files_to_file_group(wm, "fg", "nope", "/etc", "*", true, NULL, 0xF0F, &e) ==
          VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK(vss_wm_add_files_to_file_group(wm, "fg", "conf", "/etc/app", "*.conf", true, "/alt",
                                         0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, "fg", "conf", "/etc/app/", "*.conf", true, NULL,
                                         0xF0F, &e) == VSS_FAIL);
    CHECK_CODE(e.code, EEXIST);
    CHECK(vss_wm_add_files_to_file_group(wm, "fg", "conf", "/etc/app/sub", "a.conf", false, NULL,
                                         0xF0F, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "overlaps file set /etc/app\\*.conf of component 'conf'");
    CHECK(vss_wm_add_database_files(wm, "db", "sales", "/data/", "*.db", 0xF0F, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "overlaps file set /data\\sales.db");
    CHECK(vss_wm_add_files_to_file_group(wm, "fg", "conf", "/etc/app/sub", "a.ini", false, NULL,
                                         0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, "fg", "conf", "/etc", "x", false, NULL, 0x20000,
                                         &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "mask");
    const vss_wm_component *c = vss_wm_find_component(wm, "fg", "conf");
    CHECK_EQ_U64(c->files.count, 2);
    CHECK_STR(c->files.items[0].d.alternate_location, "/alt");
    CHECK(c->files.items[0].d.recursive);
    c = vss_wm_find_component(wm, "db", "sales");
    CHECK_EQ_U64(c->database_files.count, 1);
    CHECK_EQ_U64(c->log_files.count, 1);
    CHECK_EQ_U64(c->log_files.items[0].d.backup_type_mask, 0xF0F);
    vss_wm_free(wm);
}

TEST(restore_method_mappings_dependencies_schema)
{
    vss_error e;
    vss_writer_metadata *wm = new_wm();
    CHECK(add(wm, VSS_CT_FILEGROUP, NULL, "conf", true, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, NULL, "conf", "/etc/app", "*", true, NULL, 0xF0F,
                                         &e) == VSS_OK);
    CHECK(vss_wm_set_restore_method(wm, VSS_RME_UNDEFINED, NULL, NULL, VSS_WRE_NEVER, false, &e) ==
          VSS_FAIL);
    CHECK(vss_wm_set_restore_method(wm, VSS_RME_STOP_RESTORE_START, NULL, NULL, VSS_WRE_NEVER,
                                    false, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "service");
    CHECK(vss_wm_set_restore_method(wm, VSS_RME_CUSTOM, NULL, "", VSS_WRE_NEVER, false, &e) ==
          VSS_FAIL);
    CHECK(vss_wm_set_restore_method(wm, VSS_RME_STOP_RESTORE_START, "appd", NULL, VSS_WRE_ALWAYS,
                                    true, &e) == VSS_OK);
    const vss_wm_restore_method *r = vss_wm_get_restore_method(wm);
    CHECK(r->present && r->method == VSS_RME_STOP_RESTORE_START && r->reboot_required);
    CHECK_STR(r->service, "appd");
    CHECK(vss_wm_add_alternate_location_mapping(wm, "/etc/app", "*", false, "/srv", &e) ==
          VSS_FAIL); /* recursive differs */
    CHECK_CONTAINS(e.message, "no component has this file set");
    CHECK(vss_wm_add_alternate_location_mapping(wm, "/etc/app", "*", true, "/srv", &e) == VSS_OK);
    CHECK(vss_wm_add_alternate_location_mapping(wm, "/etc/app", "*", true, "", &e) == VSS_FAIL);
    CHECK(vss_wm_add_component_dependency(wm, NULL, "conf", "nope", NULL, "x", &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "on_writer_id");
    CHECK(vss_wm_add_component_dependency(wm, NULL, "missing", WID, NULL, "x", &e) == VSS_FAIL);
    CHECK(vss_wm_add_component_dependency(wm, NULL, "conf", IID, "Other", "db", &e) == VSS_OK);
    CHECK_EQ_U64(vss_wm_find_component(wm, NULL, "conf")->dependency_count, 1);
    CHECK(vss_wm_set_backup_schema(wm, VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL |
                                           VSS_BS_INCREMENTAL, &e) == VSS_FAIL);
    CHECK(vss_wm_set_backup_schema(wm, VSS_BS_TIMESTAMPED, &e) == VSS_FAIL);
    CHECK(vss_wm_set_backup_schema(wm, VSS_BS_LAST_MODIFY, &e) == VSS_FAIL);
    CHECK(vss_wm_set_backup_schema(wm, 0x800, &e) == VSS_FAIL);
    CHECK(vss_wm_set_backup_schema(wm, 881, &e) == VSS_OK);
    CHECK_EQ_U64(vss_wm_backup_schema(wm), 881);
    CHECK(vss_wm_validate(wm, &e) == VSS_OK);
    CHECK(vss_wm_set_backup_schema(wm, VSS_BS_LOG, &e) == VSS_OK);
    CHECK(vss_wm_validate(wm, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "log");
    vss_wm_free(wm);
    wm = new_wm();
    CHECK(vss_wm_validate(wm, &e) == VSS_FAIL);
    CHECK_CONTAINS(e.message, "restore method");
    vss_wm_free(wm);
}

TEST(component_sets)
{
    vss_wm_component top = {.logical_path = "Instances", .name = "main"};
    vss_wm_component sub = {.logical_path = "Instances\\main", .name = "sales"};
    vss_wm_component deep = {.logical_path = "Instances\\main\\x", .name = "y"};
    vss_wm_component other = {.logical_path = "Instances\\mainline", .name = "z"};
    vss_wm_component root = {.name = "Instances"};
    CHECK(vss_wm_in_set(&top, &top));
    CHECK(vss_wm_in_set(&top, &sub));
    CHECK(vss_wm_in_set(&top, &deep));
    CHECK(!vss_wm_in_set(&top, &other));
    CHECK(!vss_wm_in_set(&sub, &top));
    CHECK(vss_wm_in_set(&root, &top));
    CHECK(vss_wm_in_set(&root, &deep));
}

TEST(xml_round_trip_of_everything_modelled)
{
    vss_error e;
    vss_writer_metadata *wm = new_wm();
    CHECK(add(wm, VSS_CT_DATABASE, "db", "sales", true, &e) == VSS_OK);
    CHECK(add(wm, VSS_CT_FILEGROUP, NULL, "conf", false, &e) == VSS_OK);
    CHECK(vss_wm_add_database_files(wm, "db", "sales", "/data", "sales.db", 0x101, &e) == VSS_OK);
    CHECK(vss_wm_add_database_log_files(wm, "db", "sales", "/wal", "*.log", 0xF0F, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, NULL, "conf", "/etc/app", "*", true, "/alt", 0xF0F,
                                         &e) == VSS_OK);
    CHECK(vss_wm_add_exclude_files(wm, "/data", "*.tmp", false, &e) == VSS_OK);
    CHECK(vss_wm_add_exclude_files_from_snapshot(wm, "/data", "*.swp", true, &e) == VSS_OK);
    CHECK(vss_wm_set_restore_method(wm, VSS_RME_CUSTOM, NULL, "call ops", VSS_WRE_IF_REPLACE_FAILS,
                                    false, &e) == VSS_OK);
    CHECK(vss_wm_add_alternate_location_mapping(wm, "/etc/app", "*", true, "/srv", &e) == VSS_OK);
    CHECK(vss_wm_add_component_dependency(wm, "db", "sales", IID, NULL, "conf", &e) == VSS_OK);
    CHECK(vss_wm_set_backup_schema(wm, VSS_BS_DIFFERENTIAL | VSS_BS_LOG, &e) == VSS_OK);
    size_t len;
    char *xml = vss_wm_xml(wm, &len, &e);
    CHECK(xml != NULL);
    vss_writer_metadata *back = parse(xml, &e);
    CHECK(back != NULL);
    if (back != NULL) {
        const vss_wm_identity *id = vss_wm_get_identity(back);
        CHECK_STR(id->writer_id, WID);
        CHECK_STR(id->name, "Test Writer");
        CHECK(id->usage == VSS_UT_USERDATA && id->source == VSS_ST_TRANSACTEDDB);
        CHECK_EQ_U64(vss_wm_backup_schema(back), VSS_BS_DIFFERENTIAL | VSS_BS_LOG);
        const vss_wm_restore_method *r = vss_wm_get_restore_method(back);
        CHECK(r->method == VSS_RME_CUSTOM && r->writer_restore == VSS_WRE_IF_REPLACE_FAILS);
        CHECK_STR(r->user_procedure, "call ops");
        const vss_wm_component *db = vss_wm_find_component(back, "db", "sales");
        CHECK(db != NULL && db->type == VSS_CT_DATABASE && db->selectable);
        CHECK(db && db->database_files.items[0].d.backup_type_mask == 0x101);
        CHECK(db && db->log_files.count == 1 && db->dependency_count == 1);
        CHECK(db && strcmp(db->dependencies[0].component_name, "conf") == 0);
        const vss_wm_component *fg = vss_wm_find_component(back, NULL, "conf");
        CHECK(fg != NULL && fg->logical_path == NULL && !fg->selectable);
        CHECK(fg && fg->files.count == 1 && fg->files.items[0].d.recursive);
        CHECK(fg && strcmp(fg->files.items[0].d.alternate_location, "/alt") == 0);
        CHECK_EQ_U64(vss_wm_exclude_files(back)->count, 1);
        CHECK_EQ_U64(vss_wm_exclude_files_from_snapshot(back)->count, 1);
        CHECK(vss_wm_exclude_files_from_snapshot(back)->items[0].d.recursive);
        CHECK_EQ_U64(vss_wm_alternate_location_mappings(back)->count, 1);
        CHECK_STR(vss_wm_alternate_location_mappings(back)->items[0].d.alternate_location, "/srv");
        size_t len2;
        char *xml2 = vss_wm_xml(back, &len2, &e);
        CHECK_STR(xml2, xml); /* a second save is byte-identical */
        free(xml2);
    }
    free(xml);
    vss_wm_free(back);
    vss_wm_free(wm);
}

#define HEAD "<WRITER_METADATA xmlns=\"x-schema:#VssWriterMetadataInfo\" version=\"1.2\">\n"
#define IDENT                                                                               \
    "<IDENTIFICATION writerId=\"" WID "\" instanceId=\"" IID "\" friendlyName=\"W\" "      \
    "usage=\"USER_DATA\" dataSource=\"OTHER\" majorVersion=\"1\" minorVersion=\"2\"/>\n"

TEST(unknown_attributes_and_elements_survive)
{
    vss_error e;
    const char *xml = HEAD IDENT
        "<FUTURE_THING level=\"3\"><INNER/></FUTURE_THING>\n"
        "<BACKUP_LOCATIONS><FILE_GROUP componentName=\"g\" selectable=\"yes\" icon=\"AAAA\">"
        "<FILE_LIST path=\"C:\\x\" filespec=\"*\" filespecBackupType=\"3855\" hint=\"fast\"/>"
        "<NOTE>text kept</NOTE></FILE_GROUP></BACKUP_LOCATIONS></WRITER_METADATA>";
    vss_writer_metadata *wm = parse(xml, &e);
    CHECK(wm != NULL);
    if (wm == NULL)
        return;
    const vss_wm_component *c = vss_wm_component_at(wm, 0);
    CHECK(c->files.count == 1 && !c->files.items[0].d.recursive);
    CHECK_EQ_U64(vss_wm_get_identity(wm)->minor_version, 2);
    size_t len;
    char *out = vss_wm_xml(wm, &len, &e);
    CHECK_CONTAINS(out, "icon=\"AAAA\"");
    CHECK_CONTAINS(out, "hint=\"fast\"");
    CHECK_CONTAINS(out, "<NOTE>text kept</NOTE>");
    CHECK_CONTAINS(out, "<FUTURE_THING level=\"3\">");
    CHECK_CONTAINS(out, "<INNER/>");
    free(out);
    vss_wm_free(wm);
}

TEST(bad_documents_are_refused_with_element_and_line)
{
    vss_error e;
    CHECK(parse("<WRITER_METADATA", &e) == NULL);
    CHECK_CODE(e.code, EINVAL);
    CHECK_CONTAINS(e.message, "line");
    CHECK(parse("<BACKUP_COMPONENTS/>", &e) == NULL);
    CHECK_CONTAINS(e.message, "expected <WRITER_METADATA>");
    CHECK(parse("<WRITER_METADATA xmlns=\"urn:other\"/>", &e) == NULL);
    CHECK_CONTAINS(e.message, "namespace");
    CHECK(parse(HEAD "</WRITER_METADATA>", &e) == NULL);
    CHECK_CONTAINS(e.message, "no <IDENTIFICATION>");
    CHECK(parse(HEAD "<IDENTIFICATION writerId=\"" WID "\" instanceId=\"" IID
                     "\" friendlyName=\"W\" usage=\"SOMETIMES\"/></WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "<IDENTIFICATION usage=\"SOMETIMES\"> at line 2");
    CHECK(parse(HEAD "<IDENTIFICATION writerId=\"{" WID "}\" instanceId=\"" IID
                     "\" friendlyName=\"W\"/></WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "writerId");
    CHECK(parse(HEAD IDENT "<BACKUP_LOCATIONS>\n<FILE_GROUP componentName=\"g\" selectable=\"maybe\"/>"
                           "</BACKUP_LOCATIONS></WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "selectable=\"maybe\"> at line 4: expected yes or no");
    CHECK(parse(HEAD IDENT "<BACKUP_LOCATIONS><FILE_GROUP componentName=\"g\"><FILE_LIST path=\"x\"/>"
                           "</FILE_GROUP></BACKUP_LOCATIONS></WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "missing attribute filespec");
    CHECK(parse(HEAD IDENT "<BACKUP_LOCATIONS><FILE_GROUP componentName=\"g\"/>\n<FILE_GROUP "
                           "componentName=\"g\"/></BACKUP_LOCATIONS></WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "duplicate component 'g'");
    CHECK(parse(HEAD IDENT "<BACKUP_LOCATIONS><FILE_GROUP componentName=\"g\" "
                           "componentFlags=\"99999999999\"/></BACKUP_LOCATIONS></WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "componentFlags");
}

TEST(hostile_xml_is_refused)
{
    vss_error e;
    CHECK(parse("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                "<WRITER_METADATA>&x;</WRITER_METADATA>",
                &e) == NULL);
    CHECK_CONTAINS(e.message, "DOCTYPE");
    CHECK(parse("<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
                "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
                "<WRITER_METADATA v=\"&d;&d;&d;&d;\"/>",
                &e) == NULL);
    CHECK_CODE(e.code, EINVAL);
    size_t n = 12u << 20; /* past libxml2's 10 MB limit for one value */
    char *big = malloc(n + 200);
    int k = snprintf(big, 200, "<WRITER_METADATA a=\"");
    memset(big + k, 'x', n);
    strcpy(big + k + n, "\"/>");
    CHECK(parse(big, &e) == NULL);
    CHECK_CODE(e.code, EINVAL);
    free(big);
}

TEST(load_names_the_file)
{
    vss_error e;
    vss_writer_metadata *wm;
    CHECK(vss_wm_load("/nonexistent/wm.xml", &wm, &e) == VSS_FAIL);
    CHECK_CODE(e.code, ENOENT);
    CHECK_CONTAINS(e.message, "/nonexistent/wm.xml");
}


/* A loaded document saves as itself, byte for byte here; an element whose
 * model item is gone goes, with the whitespace before it, and the rest
 * stays (attributes left out stay out while the model holds what their
 * absence reads as); the source is not changed by saving. */
TEST(loaded_document_saves_itself_and_drops_what_the_model_lost)
{
    static const char xml[] =
        "<WRITER_METADATA xmlns=\"x-schema:#VssWriterMetadataInfo\" version=\"1.2\">\n"
        "\t<IDENTIFICATION writerId=\"" WID "\" instanceId=\"" IID "\" friendlyName=\"W\" "
        "usage=\"USER_DATA\" dataSource=\"OTHER\" majorVersion=\"0\" minorVersion=\"0\"/>\n"
        "\t<BACKUP_LOCATIONS>\n"
        "\t\t<FILE_GROUP componentName=\"g\" selectable=\"Yes\">\n"
        "\t\t\t<FILE_LIST path=\"/a\" filespec=\"*\"/>\n"
        "\t\t\t<!-- b -->\n"
        "\t\t\t<FILE_LIST path=\"/b\" filespec=\"*\" filespecBackupType=\"03855\"/>\n"
        "\t\t</FILE_GROUP>\n"
        "\t</BACKUP_LOCATIONS>\n"
        "</WRITER_METADATA>\n";
    vss_error e;
    vss_writer_metadata *wm = parse(xml, &e);
    CHECK(wm != NULL);
    size_t len;
    char *out = vss_wm_xml(wm, &len, &e);
    CHECK(out != NULL);
    CHECK_STR(out, xml);
    free(out);
    vss_wm_component *c = (vss_wm_component *)vss_wm_find_component(wm, NULL, "g");
    CHECK(c != NULL && c->files.count == 2);
    vss_wm_file *f = &c->files.items[--c->files.count];
    vss_filedesc_clear(&f->d);
    vss_xextra_free(f->extra);
    c->selectable = false;
    static const char want[] =
        "<WRITER_METADATA xmlns=\"x-schema:#VssWriterMetadataInfo\" version=\"1.2\">\n"
        "\t<IDENTIFICATION writerId=\"" WID "\" instanceId=\"" IID "\" friendlyName=\"W\" "
        "usage=\"USER_DATA\" dataSource=\"OTHER\" majorVersion=\"0\" minorVersion=\"0\"/>\n"
        "\t<BACKUP_LOCATIONS>\n"
        "\t\t<FILE_GROUP componentName=\"g\" selectable=\"no\">\n"
        "\t\t\t<FILE_LIST path=\"/a\" filespec=\"*\"/>\n"
        "\t\t\t<!-- b -->\n"
        "\t\t</FILE_GROUP>\n"
        "\t</BACKUP_LOCATIONS>\n"
        "</WRITER_METADATA>\n";
    for (int i = 0; i < 2; i++) {
        out = vss_wm_xml(wm, &len, &e);
        CHECK(out != NULL);
        CHECK_STR(out, want);
        CHECK(len == strlen(want));
        free(out);
    }
    /* New: a file right after the file left (the comment stays after
     * it), a component after the group, its file indented one tab more. */
    CHECK(vss_wm_add_files_to_file_group(wm, NULL, "g", "/c", "*", true, NULL, 0xF0F, &e) == VSS_OK);
    CHECK(add(wm, VSS_CT_FILEGROUP, NULL, "h", false, &e) == VSS_OK);
    CHECK(vss_wm_add_files_to_file_group(wm, NULL, "h", "/d", "x", false, NULL, 0xF0F, &e) == VSS_OK);
    out = vss_wm_xml(wm, &len, &e);
    CHECK(out != NULL);
    CHECK_CONTAINS(out, "\t\t\t<FILE_LIST path=\"/a\" filespec=\"*\"/>\n"
                        "\t\t\t<FILE_LIST path=\"/c\" filespec=\"*\" recursive=\"yes\" "
                        "filespecBackupType=\"3855\"/>\n"
                        "\t\t\t<!-- b -->\n"
                        "\t\t</FILE_GROUP>\n"
                        "\t\t<FILE_GROUP componentName=\"h\" restoreMetadata=\"no\" "
                        "notifyOnBackupComplete=\"no\" selectable=\"no\" selectableForRestore=\"no\" "
                        "componentFlags=\"0\">\n"
                        "\t\t\t<FILE_LIST path=\"/d\" filespec=\"x\" filespecBackupType=\"3855\"/>\n"
                        "\t\t</FILE_GROUP>\n"
                        "\t</BACKUP_LOCATIONS>\n");
    free(out);
    vss_wm_free(wm);
}

RUN_TESTS("test_metadata", T(new_checks_identity), T(add_component_rules),
          T(file_lists_follow_the_component_type), T(restore_method_mappings_dependencies_schema),
          T(component_sets), T(xml_round_trip_of_everything_modelled),
          T(unknown_attributes_and_elements_survive), T(bad_documents_are_refused_with_element_and_line),
          T(hostile_xml_is_refused), T(load_names_the_file),
          T(loaded_document_saves_itself_and_drops_what_the_model_lost))
