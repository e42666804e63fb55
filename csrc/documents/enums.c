#include "documents/enums.h"

#include <strings.h>
#include <string.h>

#define TABLE(var, nm, is_mask, ...)                                                        \
    static const vss_enum_entry var##_entries[] = {__VA_ARGS__};                            \
    const vss_enum var = {nm, is_mask, var##_entries,                                       \
                          sizeof var##_entries / sizeof var##_entries[0]}

/* Value spellings in the documents: the ones Windows was seen to write
 * (docs/model.md §7.2, §7.3) and, where none was seen, our choice in the
 * same style: upper case in the WMD, the Lua name in the BCD. */
TABLE(vss_enum_backup_type, "backup_type", false,
      {VSS_BT_UNDEFINED, "undefined", "undefined"}, {VSS_BT_FULL, "full", "full"},
      {VSS_BT_INCREMENTAL, "incremental", "incremental"},
      {VSS_BT_DIFFERENTIAL, "differential", "differential"}, {VSS_BT_LOG, "log", "log"},
      {VSS_BT_COPY, "copy", "copy"}, {VSS_BT_OTHER, "other", "other"});

TABLE(vss_enum_restore_type, "restore_type", false,
      {VSS_RTYPE_UNDEFINED, "undefined", "undefined"}, {VSS_RTYPE_BY_COPY, "by_copy", "by_copy"},
      {VSS_RTYPE_IMPORT, "import", "import"}, {VSS_RTYPE_OTHER, "other", "other"});

TABLE(vss_enum_rollforward_type, "rollforward_type", false,
      {VSS_RF_UNDEFINED, "undefined", "undefined"}, {VSS_RF_NONE, "none", "none"},
      {VSS_RF_ALL, "all", "all"}, {VSS_RF_PARTIAL, "partial", "partial"});

TABLE(vss_enum_backup_schema, "backup_schema", true,
      {VSS_BS_DIFFERENTIAL, "differential", NULL}, {VSS_BS_INCREMENTAL, "incremental", NULL},
      {VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL, "exclusive_incremental_differential", NULL},
      {VSS_BS_LOG, "log", NULL}, {VSS_BS_COPY, "copy", NULL},
      {VSS_BS_TIMESTAMPED, "timestamped", NULL}, {VSS_BS_LAST_MODIFY, "last_modify", NULL},
      {VSS_BS_LSN, "lsn", NULL},
      {VSS_BS_WRITER_SUPPORTS_NEW_TARGET, "writer_supports_new_target", NULL},
      {VSS_BS_WRITER_SUPPORTS_RESTORE_WITH_MOVE, "writer_supports_restore_with_move", NULL},
      {VSS_BS_INDEPENDENT_SYSTEM_STATE, "independent_system_state", NULL},
      {VSS_BS_ROLLFORWARD_RESTORE, "rollforward_restore", NULL},
      {VSS_BS_RESTORE_RENAME, "restore_rename", NULL},
      {VSS_BS_AUTHORITATIVE_RESTORE, "authoritative_restore", NULL},
      {VSS_BS_WRITER_SUPPORTS_PARALLEL_RESTORES, "writer_supports_parallel_restores", NULL});

TABLE(vss_enum_file_spec_backup_type, "file_spec_backup_type", true,
      {VSS_FSBT_FULL_BACKUP_REQUIRED, "full_backup_required", NULL},
      {VSS_FSBT_DIFFERENTIAL_BACKUP_REQUIRED, "differential_backup_required", NULL},
      {VSS_FSBT_INCREMENTAL_BACKUP_REQUIRED, "incremental_backup_required", NULL},
      {VSS_FSBT_LOG_BACKUP_REQUIRED, "log_backup_required", NULL},
      {VSS_FSBT_FULL_SNAPSHOT_REQUIRED, "full_snapshot_required", NULL},
      {VSS_FSBT_DIFFERENTIAL_SNAPSHOT_REQUIRED, "differential_snapshot_required", NULL},
      {VSS_FSBT_INCREMENTAL_SNAPSHOT_REQUIRED, "incremental_snapshot_required", NULL},
      {VSS_FSBT_LOG_SNAPSHOT_REQUIRED, "log_snapshot_required", NULL},
      {VSS_FSBT_CREATED_DURING_BACKUP, "created_during_backup", NULL},
      {VSS_FSBT_ALL_BACKUP_REQUIRED, "all_backup_required", NULL},
      {VSS_FSBT_ALL_SNAPSHOT_REQUIRED, "all_snapshot_required", NULL});

TABLE(vss_enum_restore_target, "restore_target", false,
      {VSS_RT_UNDEFINED, "undefined", "undefined"}, {VSS_RT_ORIGINAL, "original", "original"},
      {VSS_RT_ALTERNATE, "alternate", "alternate"}, {VSS_RT_DIRECTED, "directed", "directed"},
      {VSS_RT_ORIGINAL_LOCATION, "original_location", "original_location"});

TABLE(vss_enum_restore_method, "restore_method", false,
      {VSS_RME_UNDEFINED, "undefined", "UNDEFINED"},
      {VSS_RME_RESTORE_IF_NOT_THERE, "restore_if_not_there", "RESTORE_IF_NOT_THERE"},
      {VSS_RME_RESTORE_IF_CAN_REPLACE, "restore_if_can_replace", "RESTORE_IF_CAN_BE_REPLACED"},
      {VSS_RME_STOP_RESTORE_START, "stop_restore_start", "STOP_RESTORE_START"},
      {VSS_RME_RESTORE_TO_ALTERNATE_LOCATION, "restore_to_alternate_location",
       "RESTORE_TO_ALTERNATE_LOCATION"},
      {VSS_RME_RESTORE_AT_REBOOT, "restore_at_reboot", "REPLACE_AT_REBOOT"},
      {VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE, "restore_at_reboot_if_cannot_replace",
       "REPLACE_AT_REBOOT_IF_CANNOT_REPLACE"},
      {VSS_RME_CUSTOM, "custom", "CUSTOM"},
      {VSS_RME_RESTORE_STOP_START, "restore_stop_start", "RESTORE_STOP_START"});

TABLE(vss_enum_writer_restore, "writer_restore", false,
      {VSS_WRE_UNDEFINED, "undefined", "undefined"}, {VSS_WRE_NEVER, "never", "never"},
      {VSS_WRE_IF_REPLACE_FAILS, "if_replace_fails", "ifReplaceFails"},
      {VSS_WRE_ALWAYS, "always", "always"});

TABLE(vss_enum_component_type, "component_type", false,
      {VSS_CT_UNDEFINED, "undefined", "undefined"}, {VSS_CT_DATABASE, "database", "database"},
      {VSS_CT_FILEGROUP, "filegroup", "filegroup"});

TABLE(vss_enum_component_flags, "component_flags", true,
      {VSS_CF_BACKUP_RECOVERY, "backup_recovery", NULL},
      {VSS_CF_APP_ROLLBACK_RECOVERY, "app_rollback_recovery", NULL},
      {VSS_CF_NOT_SYSTEM_STATE, "not_system_state", NULL});

TABLE(vss_enum_usage_type, "usage_type", false, {VSS_UT_UNDEFINED, "undefined", "UNDEFINED"},
      {VSS_UT_BOOTABLESYSTEMSTATE, "bootable_system_state", "BOOTABLE_SYSTEM_STATE"},
      {VSS_UT_SYSTEMSERVICE, "system_service", "SYSTEM_SERVICE"},
      {VSS_UT_USERDATA, "user_data", "USER_DATA"}, {VSS_UT_OTHER, "other", "OTHER"});

TABLE(vss_enum_source_type, "source_type", false, {VSS_ST_UNDEFINED, "undefined", "UNDEFINED"},
      {VSS_ST_TRANSACTEDDB, "transacted_db", "TRANSACTION_DB"},
      {VSS_ST_NONTRANSACTEDDB, "nontransacted_db", "NONTRANSACTION_DB"},
      {VSS_ST_OTHER, "other", "OTHER"});

TABLE(vss_enum_file_restore_status, "file_restore_status", false,
      {VSS_RS_UNDEFINED, "undefined", "undefined"}, {VSS_RS_NONE, "none", "none"},
      {VSS_RS_ALL, "all", "all"}, {VSS_RS_FAILED, "failed", "failed"});

TABLE(vss_enum_alternate_writer_state, "alternate_writer_state", false,
      {VSS_AWS_UNDEFINED, "undefined", NULL},
      {VSS_AWS_NO_ALTERNATE_WRITER, "no_alternate_writer", NULL},
      {VSS_AWS_ALTERNATE_WRITER_EXISTS, "alternate_writer_exists", NULL},
      {VSS_AWS_THIS_IS_ALTERNATE_WRITER, "this_is_alternate_writer", NULL});

TABLE(vss_enum_subscribe_mask, "subscribe_mask", true,
      {VSS_SM_POST_SNAPSHOT_FLAG, "post_snapshot_flag", NULL},
      {VSS_SM_BACKUP_EVENTS_FLAG, "backup_events_flag", NULL},
      {VSS_SM_RESTORE_EVENTS_FLAG, "restore_events_flag", NULL},
      {VSS_SM_IO_THROTTLING_FLAG, "io_throttling_flag", NULL},
      {VSS_SM_ALL_FLAGS, "all_flags", NULL});

TABLE(vss_enum_application_level, "application_level", false,
      {VSS_APP_UNKNOWN, "unknown", NULL}, {VSS_APP_SYSTEM, "system", NULL},
      {VSS_APP_BACK_END, "back_end", NULL}, {VSS_APP_FRONT_END, "front_end", NULL},
      {VSS_APP_SYSTEM_RM, "system_rm", NULL}, {VSS_APP_AUTO, "auto", NULL});

TABLE(vss_enum_object_type, "object_type", false, {VSS_OBJECT_UNKNOWN, "unknown", NULL},
      {VSS_OBJECT_NONE, "none", NULL}, {VSS_OBJECT_SNAPSHOT_SET, "snapshot_set", NULL},
      {VSS_OBJECT_SNAPSHOT, "snapshot", NULL}, {VSS_OBJECT_PROVIDER, "provider", NULL},
      {VSS_OBJECT_TYPE_COUNT, "type_count", NULL});

TABLE(vss_enum_provider_type, "provider_type", false, {VSS_PROV_UNKNOWN, "unknown", NULL},
      {VSS_PROV_SYSTEM, "system", NULL}, {VSS_PROV_SOFTWARE, "software", NULL},
      {VSS_PROV_HARDWARE, "hardware", NULL}, {VSS_PROV_FILESHARE, "fileshare", NULL});

TABLE(vss_enum_snapshot_state, "snapshot_state", false, {VSS_SS_UNKNOWN, "unknown", NULL},
      {VSS_SS_PREPARING, "preparing", NULL},
      {VSS_SS_PROCESSING_PREPARE, "processing_prepare", NULL},
      {VSS_SS_PREPARED, "prepared", NULL},
      {VSS_SS_PROCESSING_PRECOMMIT, "processing_precommit", NULL},
      {VSS_SS_PRECOMMITTED, "precommitted", NULL},
      {VSS_SS_PROCESSING_COMMIT, "processing_commit", NULL},
      {VSS_SS_COMMITTED, "committed", NULL},
      {VSS_SS_PROCESSING_POSTCOMMIT, "processing_postcommit", NULL},
      {VSS_SS_PROCESSING_PREFINALCOMMIT, "processing_prefinalcommit", NULL},
      {VSS_SS_PREFINALCOMMITTED, "prefinalcommitted", NULL},
      {VSS_SS_PROCESSING_POSTFINALCOMMIT, "processing_postfinalcommit", NULL},
      {VSS_SS_CREATED, "created", NULL}, {VSS_SS_ABORTED, "aborted", NULL},
      {VSS_SS_DELETED, "deleted", NULL}, {VSS_SS_POSTCOMMITTED, "postcommitted", NULL},
      {VSS_SS_COUNT, "count", NULL});

TABLE(vss_enum_writer_state, "writer_state", false, {VSS_WS_UNKNOWN, "unknown", NULL},
      {VSS_WS_STABLE, "stable", NULL}, {VSS_WS_WAITING_FOR_FREEZE, "waiting_for_freeze", NULL},
      {VSS_WS_WAITING_FOR_THAW, "waiting_for_thaw", NULL},
      {VSS_WS_WAITING_FOR_POST_SNAPSHOT, "waiting_for_post_snapshot", NULL},
      {VSS_WS_WAITING_FOR_BACKUP_COMPLETE, "waiting_for_backup_complete", NULL},
      {VSS_WS_FAILED_AT_IDENTIFY, "failed_at_identify", NULL},
      {VSS_WS_FAILED_AT_PREPARE_BACKUP, "failed_at_prepare_backup", NULL},
      {VSS_WS_FAILED_AT_PREPARE_SNAPSHOT, "failed_at_prepare_snapshot", NULL},
      {VSS_WS_FAILED_AT_FREEZE, "failed_at_freeze", NULL},
      {VSS_WS_FAILED_AT_THAW, "failed_at_thaw", NULL},
      {VSS_WS_FAILED_AT_POST_SNAPSHOT, "failed_at_post_snapshot", NULL},
      {VSS_WS_FAILED_AT_BACKUP_COMPLETE, "failed_at_backup_complete", NULL},
      {VSS_WS_FAILED_AT_PRE_RESTORE, "failed_at_pre_restore", NULL},
      {VSS_WS_FAILED_AT_POST_RESTORE, "failed_at_post_restore", NULL},
      {VSS_WS_FAILED_AT_BACKUPSHUTDOWN, "failed_at_backupshutdown", NULL},
      {VSS_WS_COUNT, "count", NULL});

TABLE(vss_enum_snapshot_property_id, "snapshot_property_id", false,
      {VSS_SPROPID_UNKNOWN, "unknown", NULL}, {VSS_SPROPID_SNAPSHOT_ID, "snapshot_id", NULL},
      {VSS_SPROPID_SNAPSHOT_SET_ID, "snapshot_set_id", NULL},
      {VSS_SPROPID_SNAPSHOTS_COUNT, "snapshots_count", NULL},
      {VSS_SPROPID_SNAPSHOT_DEVICE, "snapshot_device", NULL},
      {VSS_SPROPID_ORIGINAL_VOLUME, "original_volume", NULL},
      {VSS_SPROPID_ORIGINATING_MACHINE, "originating_machine", NULL},
      {VSS_SPROPID_SERVICE_MACHINE, "service_machine", NULL},
      {VSS_SPROPID_EXPOSED_NAME, "exposed_name", NULL},
      {VSS_SPROPID_EXPOSED_PATH, "exposed_path", NULL},
      {VSS_SPROPID_PROVIDER_ID, "provider_id", NULL},
      {VSS_SPROPID_SNAPSHOT_ATTRIBUTES, "snapshot_attributes", NULL},
      {VSS_SPROPID_CREATION_TIMESTAMP, "creation_timestamp", NULL},
      {VSS_SPROPID_STATUS, "status", NULL});

TABLE(vss_enum_volume_snapshot_attributes, "volume_snapshot_attributes", true,
      {VSS_VOLSNAP_ATTR_PERSISTENT, "persistent", NULL},
      {VSS_VOLSNAP_ATTR_NO_AUTORECOVERY, "no_autorecovery", NULL},
      {VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE, "client_accessible", NULL},
      {VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE, "no_auto_release", NULL},
      {VSS_VOLSNAP_ATTR_NO_WRITERS, "no_writers", NULL},
      {VSS_VOLSNAP_ATTR_TRANSPORTABLE, "transportable", NULL},
      {VSS_VOLSNAP_ATTR_NOT_SURFACED, "not_surfaced", NULL},
      {VSS_VOLSNAP_ATTR_NOT_TRANSACTED, "not_transacted", NULL},
      {VSS_VOLSNAP_ATTR_HARDWARE_ASSISTED, "hardware_assisted", NULL},
      {VSS_VOLSNAP_ATTR_DIFFERENTIAL, "differential", NULL},
      {VSS_VOLSNAP_ATTR_PLEX, "plex", NULL}, {VSS_VOLSNAP_ATTR_IMPORTED, "imported", NULL},
      {VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY, "exposed_locally", NULL},
      {VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY, "exposed_remotely", NULL},
      {VSS_VOLSNAP_ATTR_AUTORECOVER, "autorecover", NULL},
      {VSS_VOLSNAP_ATTR_ROLLBACK_RECOVERY, "rollback_recovery", NULL},
      {VSS_VOLSNAP_ATTR_DELAYED_POSTSNAPSHOT, "delayed_postsnapshot", NULL},
      {VSS_VOLSNAP_ATTR_TXF_RECOVERY, "txf_recovery", NULL},
      {VSS_VOLSNAP_ATTR_FILE_SHARE, "file_share", NULL});

/* Contexts are attribute combinations, not bits; SetContext ORs extra
 * attributes in, which the binding handles with volume_snapshot_attributes. */
TABLE(vss_enum_snapshot_context, "snapshot_context", false, {VSS_CTX_BACKUP, "backup", NULL},
      {VSS_CTX_FILE_SHARE_BACKUP, "file_share_backup", NULL},
      {VSS_CTX_NAS_ROLLBACK, "nas_rollback", NULL}, {VSS_CTX_APP_ROLLBACK, "app_rollback", NULL},
      {VSS_CTX_CLIENT_ACCESSIBLE, "client_accessible", NULL},
      {VSS_CTX_CLIENT_ACCESSIBLE_WRITERS, "client_accessible_writers", NULL},
      {VSS_CTX_ALL, "all", NULL});

TABLE(vss_enum_snapshot_compatibility, "snapshot_compatibility", true,
      {0x1, "disable_defrag", NULL}, {0x2, "disable_contentindex", NULL});

TABLE(vss_enum_provider_capabilities, "provider_capabilities", true, {0x1, "legacy", NULL},
      {0x2, "compliant", NULL}, {0x4, "lun_repoint", NULL}, {0x8, "lun_resync", NULL},
      {0x10, "offline_creation", NULL}, {0x20, "multiple_import", NULL},
      {0x40, "recycling", NULL}, {0x80, "plex", NULL}, {0x100, "differential", NULL},
      {0x200, "clustered", NULL});

TABLE(vss_enum_hardware_options, "hardware_options", true,
      {0x1, "breakex_flag_mask_luns", NULL}, {0x2, "breakex_flag_make_read_write", NULL},
      {0x4, "breakex_flag_revert_identity_all", NULL},
      {0x8, "breakex_flag_revert_identity_none", NULL},
      {0x100, "onlunstatechange_notify_read_write", NULL},
      {0x200, "onlunstatechange_notify_lun_pre_recovery", NULL},
      {0x400, "onlunstatechange_notify_lun_post_recovery", NULL},
      {0x800, "onlunstatechange_do_mask_luns", NULL});

TABLE(vss_enum_recovery_options, "recovery_options", true,
      {0x100, "revert_identity_all", NULL}, {0x200, "no_volume_check", NULL});

const vss_enum *const vss_enums[] = {
    &vss_enum_backup_type, &vss_enum_restore_type, &vss_enum_rollforward_type,
    &vss_enum_backup_schema, &vss_enum_file_spec_backup_type, &vss_enum_restore_target,
    &vss_enum_restore_method, &vss_enum_writer_restore, &vss_enum_component_type,
    &vss_enum_component_flags, &vss_enum_usage_type, &vss_enum_source_type,
    &vss_enum_file_restore_status, &vss_enum_alternate_writer_state, &vss_enum_subscribe_mask,
    &vss_enum_application_level, &vss_enum_object_type, &vss_enum_provider_type,
    &vss_enum_snapshot_state, &vss_enum_writer_state, &vss_enum_snapshot_property_id,
    &vss_enum_volume_snapshot_attributes, &vss_enum_snapshot_context,
    &vss_enum_snapshot_compatibility, &vss_enum_provider_capabilities,
    &vss_enum_hardware_options, &vss_enum_recovery_options, NULL,
};

const vss_enum *vss_enum_find(const char *name)
{
    for (size_t i = 0; vss_enums[i] != NULL; i++)
        if (strcmp(vss_enums[i]->name, name) == 0)
            return vss_enums[i];
    return NULL;
}

static bool single_bit(int64_t v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

const char *vss_enum_name(const vss_enum *en, int64_t value)
{
    for (size_t i = 0; i < en->count; i++)
        if (en->entries[i].value == value && (!en->mask || single_bit(value)))
            return en->entries[i].name;
    return NULL;
}

bool vss_enum_value(const vss_enum *en, const char *name, int64_t *value)
{
    for (size_t i = 0; i < en->count; i++) {
        if (strcmp(en->entries[i].name, name) == 0) {
            *value = en->entries[i].value;
            return true;
        }
    }
    return false;
}

const char *vss_enum_xml(const vss_enum *en, int64_t value)
{
    for (size_t i = 0; i < en->count; i++)
        if (en->entries[i].value == value)
            return en->entries[i].xml;
    return NULL;
}

bool vss_enum_from_xml(const vss_enum *en, const char *s, int64_t *value)
{
    for (size_t i = 0; i < en->count; i++) {
        if (en->entries[i].xml != NULL && strcasecmp(en->entries[i].xml, s) == 0) {
            *value = en->entries[i].value;
            return true;
        }
    }
    return false;
}

bool vss_enum_mask_valid(const vss_enum *en, uint64_t mask)
{
    uint64_t known = 0;
    for (size_t i = 0; i < en->count; i++)
        known |= (uint64_t)en->entries[i].value;
    return (mask & ~known) == 0;
}

bool vss_enum_valid(const vss_enum *en, int64_t value)
{
    if (en->mask)
        return value >= 0 && vss_enum_mask_valid(en, (uint64_t)value);
    for (size_t i = 0; i < en->count; i++)
        if (en->entries[i].value == value)
            return true;
    return false;
}
