#include <string.h>

#include "documents/enums.h"
#include "check.h"

TEST(values_are_the_vss_numbers)
{
    int64_t v;
    CHECK(vss_enum_value(&vss_enum_backup_type, "incremental", &v) && v == 2);
    CHECK(vss_enum_value(&vss_enum_backup_type, "copy", &v) && v == 5);
    CHECK(vss_enum_value(&vss_enum_restore_target, "directed", &v) && v == 3);
    CHECK(vss_enum_value(&vss_enum_restore_method, "restore_stop_start", &v) && v == 8);
    CHECK(vss_enum_value(&vss_enum_file_spec_backup_type, "full_backup_required", &v) && v == 1);
    CHECK(vss_enum_value(&vss_enum_file_spec_backup_type, "created_during_backup", &v) &&
          v == 0x10000);
    CHECK(vss_enum_value(&vss_enum_backup_schema, "writer_supports_parallel_restores", &v) &&
          v == 0x8000);
    CHECK(vss_enum_value(&vss_enum_writer_state, "failed_at_backupshutdown", &v) && v == 15);
    CHECK(vss_enum_value(&vss_enum_application_level, "auto", &v) && v == -1);
    CHECK(vss_enum_value(&vss_enum_snapshot_context, "nas_rollback", &v) && v == 0x19);
    CHECK(!vss_enum_value(&vss_enum_backup_type, "INCREMENTAL", &v));
    CHECK(!vss_enum_value(&vss_enum_backup_type, "weekly", &v));
}

TEST(every_table_round_trips_names_and_spellings)
{
    for (size_t i = 0; vss_enums[i] != NULL; i++) {
        const vss_enum *en = vss_enums[i];
        CHECK(vss_enum_find(en->name) == en);
        for (size_t j = 0; j < en->count; j++) {
            const vss_enum_entry *x = &en->entries[j];
            int64_t v = -2;
            CHECK(vss_enum_value(en, x->name, &v) && v == x->value);
            bool alias = en->mask && (x->value & (x->value - 1)) != 0;
            if (!alias)
                CHECK_STR(vss_enum_name(en, x->value), x->name);
            if (x->xml != NULL) {
                CHECK(vss_enum_from_xml(en, x->xml, &v) && v == x->value);
                CHECK_STR(vss_enum_xml(en, x->value), x->xml);
            }
            CHECK(vss_enum_valid(en, x->value));
            for (size_t k = 0; k < j; k++)
                CHECK(strcmp(en->entries[k].name, x->name) != 0);
        }
    }
    CHECK(vss_enum_find("no_such_enum") == NULL);
}

TEST(windows_spellings_differ_from_the_c_names)
{
    int64_t v;
    CHECK(vss_enum_from_xml(&vss_enum_source_type, "TRANSACTION_DB", &v) && v == VSS_ST_TRANSACTEDDB);
    CHECK(vss_enum_from_xml(&vss_enum_restore_method, "RESTORE_IF_CAN_BE_REPLACED", &v) &&
          v == VSS_RME_RESTORE_IF_CAN_REPLACE);
    CHECK(vss_enum_from_xml(&vss_enum_restore_method, "REPLACE_AT_REBOOT", &v) &&
          v == VSS_RME_RESTORE_AT_REBOOT);
    CHECK(vss_enum_from_xml(&vss_enum_usage_type, "bootable_system_state", &v) &&
          v == VSS_UT_BOOTABLESYSTEMSTATE); /* case is not significant */
    CHECK(!vss_enum_from_xml(&vss_enum_restore_method, "RESTORE_IF_CAN_REPLACE", &v));
    CHECK(!vss_enum_from_xml(&vss_enum_backup_schema, "1", &v)); /* masks are numbers */
}

TEST(masks_know_their_bits)
{
    CHECK(vss_enum_mask_valid(&vss_enum_backup_schema, 881));
    CHECK(!vss_enum_mask_valid(&vss_enum_backup_schema, 0x800));
    CHECK(vss_enum_mask_valid(&vss_enum_file_spec_backup_type, VSS_FSBT_DEFAULT));
    CHECK(!vss_enum_mask_valid(&vss_enum_file_spec_backup_type, 0x20000));
    CHECK(vss_enum_mask_valid(&vss_enum_component_flags, 7));
    CHECK(!vss_enum_mask_valid(&vss_enum_component_flags, 8));
    CHECK(vss_enum_name(&vss_enum_file_spec_backup_type, VSS_FSBT_ALL_BACKUP_REQUIRED) == NULL);
    CHECK(!vss_enum_valid(&vss_enum_backup_type, 7));
    CHECK(!vss_enum_valid(&vss_enum_backup_type, -1));
}

RUN_TESTS("test_enums", T(values_are_the_vss_numbers), T(every_table_round_trips_names_and_spellings),
          T(windows_spellings_differ_from_the_c_names), T(masks_know_their_bits))
