/* The VSS enumerations with their exact numeric values (docs/model.md
 * §3.1, §4), and one table per enumeration that ties each value to its Lua
 * name ("incremental", "full_backup_required") and to its spelling in the
 * XML documents ("RESTORE_IF_CAN_BE_REPLACED", "full"). The XML spellings
 * that Windows was never seen to write are our choice (README lists them).
 * VSS_FSBT_* live in filespec.h and are reused here. */
#ifndef VSS_ENUMS_H
#define VSS_ENUMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "files/filespec.h"

enum { /* VSS_BACKUP_TYPE */
    VSS_BT_UNDEFINED, VSS_BT_FULL, VSS_BT_INCREMENTAL, VSS_BT_DIFFERENTIAL, VSS_BT_LOG,
    VSS_BT_COPY, VSS_BT_OTHER
};
enum { /* VSS_RESTORE_TYPE */
    VSS_RTYPE_UNDEFINED, VSS_RTYPE_BY_COPY, VSS_RTYPE_IMPORT, VSS_RTYPE_OTHER
};
enum { /* VSS_ROLLFORWARD_TYPE */
    VSS_RF_UNDEFINED, VSS_RF_NONE, VSS_RF_ALL, VSS_RF_PARTIAL
};
enum { /* VSS_BACKUP_SCHEMA (mask) */
    VSS_BS_UNDEFINED = 0x0,
    VSS_BS_DIFFERENTIAL = 0x1,
    VSS_BS_INCREMENTAL = 0x2,
    VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL = 0x4,
    VSS_BS_LOG = 0x8,
    VSS_BS_COPY = 0x10,
    VSS_BS_TIMESTAMPED = 0x20,
    VSS_BS_LAST_MODIFY = 0x40,
    VSS_BS_LSN = 0x80,
    VSS_BS_WRITER_SUPPORTS_NEW_TARGET = 0x100,
    VSS_BS_WRITER_SUPPORTS_RESTORE_WITH_MOVE = 0x200,
    VSS_BS_INDEPENDENT_SYSTEM_STATE = 0x400,
    VSS_BS_ROLLFORWARD_RESTORE = 0x1000,
    VSS_BS_RESTORE_RENAME = 0x2000,
    VSS_BS_AUTHORITATIVE_RESTORE = 0x4000,
    VSS_BS_WRITER_SUPPORTS_PARALLEL_RESTORES = 0x8000,
};
enum { /* VSS_RESTORE_TARGET */
    VSS_RT_UNDEFINED, VSS_RT_ORIGINAL, VSS_RT_ALTERNATE, VSS_RT_DIRECTED, VSS_RT_ORIGINAL_LOCATION
};
enum { /* VSS_RESTOREMETHOD_ENUM */
    VSS_RME_UNDEFINED, VSS_RME_RESTORE_IF_NOT_THERE, VSS_RME_RESTORE_IF_CAN_REPLACE,
    VSS_RME_STOP_RESTORE_START, VSS_RME_RESTORE_TO_ALTERNATE_LOCATION, VSS_RME_RESTORE_AT_REBOOT,
    VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE, VSS_RME_CUSTOM, VSS_RME_RESTORE_STOP_START
};
enum { /* VSS_WRITERRESTORE_ENUM */
    VSS_WRE_UNDEFINED, VSS_WRE_NEVER, VSS_WRE_IF_REPLACE_FAILS, VSS_WRE_ALWAYS
};
enum { /* VSS_COMPONENT_TYPE */
    VSS_CT_UNDEFINED, VSS_CT_DATABASE, VSS_CT_FILEGROUP
};
enum { /* VSS_COMPONENT_FLAGS (mask) */
    VSS_CF_BACKUP_RECOVERY = 0x1, VSS_CF_APP_ROLLBACK_RECOVERY = 0x2, VSS_CF_NOT_SYSTEM_STATE = 0x4
};
enum { /* VSS_USAGE_TYPE */
    VSS_UT_UNDEFINED, VSS_UT_BOOTABLESYSTEMSTATE, VSS_UT_SYSTEMSERVICE, VSS_UT_USERDATA, VSS_UT_OTHER
};
enum { /* VSS_SOURCE_TYPE */
    VSS_ST_UNDEFINED, VSS_ST_TRANSACTEDDB, VSS_ST_NONTRANSACTEDDB, VSS_ST_OTHER
};
enum { /* VSS_FILE_RESTORE_STATUS */
    VSS_RS_UNDEFINED, VSS_RS_NONE, VSS_RS_ALL, VSS_RS_FAILED
};
enum { /* VSS_ALTERNATE_WRITER_STATE */
    VSS_AWS_UNDEFINED, VSS_AWS_NO_ALTERNATE_WRITER, VSS_AWS_ALTERNATE_WRITER_EXISTS,
    VSS_AWS_THIS_IS_ALTERNATE_WRITER
};
enum { /* VSS_SUBSCRIBE_MASK */
    VSS_SM_POST_SNAPSHOT_FLAG = 0x1, VSS_SM_BACKUP_EVENTS_FLAG = 0x2,
    VSS_SM_RESTORE_EVENTS_FLAG = 0x4, VSS_SM_IO_THROTTLING_FLAG = 0x8
};
#define VSS_SM_ALL_FLAGS 0xFFFFFFFFu
enum { /* VSS_APPLICATION_LEVEL */
    VSS_APP_AUTO = -1, VSS_APP_UNKNOWN = 0, VSS_APP_SYSTEM, VSS_APP_BACK_END, VSS_APP_FRONT_END,
    VSS_APP_SYSTEM_RM
};
enum { /* VSS_OBJECT_TYPE */
    VSS_OBJECT_UNKNOWN, VSS_OBJECT_NONE, VSS_OBJECT_SNAPSHOT_SET, VSS_OBJECT_SNAPSHOT,
    VSS_OBJECT_PROVIDER, VSS_OBJECT_TYPE_COUNT
};
enum { /* VSS_PROVIDER_TYPE */
    VSS_PROV_UNKNOWN, VSS_PROV_SYSTEM, VSS_PROV_SOFTWARE, VSS_PROV_HARDWARE, VSS_PROV_FILESHARE
};
enum { /* VSS_SNAPSHOT_STATE */
    VSS_SS_UNKNOWN, VSS_SS_PREPARING, VSS_SS_PROCESSING_PREPARE, VSS_SS_PREPARED,
    VSS_SS_PROCESSING_PRECOMMIT, VSS_SS_PRECOMMITTED, VSS_SS_PROCESSING_COMMIT, VSS_SS_COMMITTED,
    VSS_SS_PROCESSING_POSTCOMMIT, VSS_SS_PROCESSING_PREFINALCOMMIT, VSS_SS_PREFINALCOMMITTED,
    VSS_SS_PROCESSING_POSTFINALCOMMIT, VSS_SS_CREATED, VSS_SS_ABORTED, VSS_SS_DELETED,
    VSS_SS_POSTCOMMITTED, VSS_SS_COUNT
};
enum { /* VSS_WRITER_STATE */
    VSS_WS_UNKNOWN, VSS_WS_STABLE, VSS_WS_WAITING_FOR_FREEZE, VSS_WS_WAITING_FOR_THAW,
    VSS_WS_WAITING_FOR_POST_SNAPSHOT, VSS_WS_WAITING_FOR_BACKUP_COMPLETE,
    VSS_WS_FAILED_AT_IDENTIFY, VSS_WS_FAILED_AT_PREPARE_BACKUP, VSS_WS_FAILED_AT_PREPARE_SNAPSHOT,
    VSS_WS_FAILED_AT_FREEZE, VSS_WS_FAILED_AT_THAW, VSS_WS_FAILED_AT_POST_SNAPSHOT,
    VSS_WS_FAILED_AT_BACKUP_COMPLETE, VSS_WS_FAILED_AT_PRE_RESTORE, VSS_WS_FAILED_AT_POST_RESTORE,
    VSS_WS_FAILED_AT_BACKUPSHUTDOWN, VSS_WS_COUNT
};
enum { /* VSS_SNAPSHOT_PROPERTY_ID */
    VSS_SPROPID_UNKNOWN, VSS_SPROPID_SNAPSHOT_ID, VSS_SPROPID_SNAPSHOT_SET_ID,
    VSS_SPROPID_SNAPSHOTS_COUNT, VSS_SPROPID_SNAPSHOT_DEVICE, VSS_SPROPID_ORIGINAL_VOLUME,
    VSS_SPROPID_ORIGINATING_MACHINE, VSS_SPROPID_SERVICE_MACHINE, VSS_SPROPID_EXPOSED_NAME,
    VSS_SPROPID_EXPOSED_PATH, VSS_SPROPID_PROVIDER_ID, VSS_SPROPID_SNAPSHOT_ATTRIBUTES,
    VSS_SPROPID_CREATION_TIMESTAMP, VSS_SPROPID_STATUS
};
enum { /* _VSS_VOLUME_SNAPSHOT_ATTRIBUTES (mask) */
    VSS_VOLSNAP_ATTR_PERSISTENT = 0x1, VSS_VOLSNAP_ATTR_NO_AUTORECOVERY = 0x2,
    VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE = 0x4, VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE = 0x8,
    VSS_VOLSNAP_ATTR_NO_WRITERS = 0x10, VSS_VOLSNAP_ATTR_TRANSPORTABLE = 0x20,
    VSS_VOLSNAP_ATTR_NOT_SURFACED = 0x40, VSS_VOLSNAP_ATTR_NOT_TRANSACTED = 0x80,
    VSS_VOLSNAP_ATTR_HARDWARE_ASSISTED = 0x10000, VSS_VOLSNAP_ATTR_DIFFERENTIAL = 0x20000,
    VSS_VOLSNAP_ATTR_PLEX = 0x40000, VSS_VOLSNAP_ATTR_IMPORTED = 0x80000,
    VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY = 0x100000, VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY = 0x200000,
    VSS_VOLSNAP_ATTR_AUTORECOVER = 0x400000, VSS_VOLSNAP_ATTR_ROLLBACK_RECOVERY = 0x800000,
    VSS_VOLSNAP_ATTR_DELAYED_POSTSNAPSHOT = 0x1000000, VSS_VOLSNAP_ATTR_TXF_RECOVERY = 0x2000000,
    VSS_VOLSNAP_ATTR_FILE_SHARE = 0x4000000
};
enum { /* _VSS_SNAPSHOT_CONTEXT */
    VSS_CTX_BACKUP = 0x00, VSS_CTX_FILE_SHARE_BACKUP = 0x10, VSS_CTX_NAS_ROLLBACK = 0x19,
    VSS_CTX_APP_ROLLBACK = 0x09, VSS_CTX_CLIENT_ACCESSIBLE = 0x1D,
    VSS_CTX_CLIENT_ACCESSIBLE_WRITERS = 0x0D
};
#define VSS_CTX_ALL 0xFFFFFFFFu

/* One value of an enumeration. In a mask table an entry with several bits
 * (VSS_FSBT_ALL_BACKUP_REQUIRED) is an alias: accepted by name, never
 * produced when a mask is split into names. */
typedef struct vss_enum_entry {
    int64_t value;
    const char *name; /* Lua name: the C name, lower case, without its prefix */
    const char *xml;  /* spelling in the documents; NULL when never written */
} vss_enum_entry;

typedef struct vss_enum {
    const char *name; /* "backup_type" */
    bool mask;
    const vss_enum_entry *entries;
    size_t count;
} vss_enum;

extern const vss_enum vss_enum_backup_type, vss_enum_restore_type, vss_enum_rollforward_type,
    vss_enum_backup_schema, vss_enum_file_spec_backup_type, vss_enum_restore_target,
    vss_enum_restore_method, vss_enum_writer_restore, vss_enum_component_type,
    vss_enum_component_flags, vss_enum_usage_type, vss_enum_source_type,
    vss_enum_file_restore_status, vss_enum_alternate_writer_state, vss_enum_subscribe_mask,
    vss_enum_application_level, vss_enum_object_type, vss_enum_provider_type,
    vss_enum_snapshot_state, vss_enum_writer_state, vss_enum_snapshot_property_id,
    vss_enum_volume_snapshot_attributes, vss_enum_snapshot_context,
    vss_enum_snapshot_compatibility, vss_enum_provider_capabilities, vss_enum_hardware_options,
    vss_enum_recovery_options;

/* Every table, NULL-terminated, for listing (vss.enums in Lua). */
extern const vss_enum *const vss_enums[];

/* By the enumeration's name ("backup_type"); NULL when unknown. */
const vss_enum *vss_enum_find(const char *name);

/* Lua name of a value (for a mask: of a single bit); NULL when unknown. */
const char *vss_enum_name(const vss_enum *en, int64_t value);
/* Value of a Lua name (exact); false when unknown. */
bool vss_enum_value(const vss_enum *en, const char *name, int64_t *value);

/* The XML spelling of a value, and back (ASCII case ignored, as MSXML's
 * writers are not consistent about it). */
const char *vss_enum_xml(const vss_enum *en, int64_t value);
bool vss_enum_from_xml(const vss_enum *en, const char *s, int64_t *value);

/* A mask holds only bits the enumeration defines. */
bool vss_enum_mask_valid(const vss_enum *en, uint64_t mask);
/* A value is one the enumeration defines. */
bool vss_enum_valid(const vss_enum *en, int64_t value);

#endif
