rockspec_format = "3.0"
package = "luavss"
version = "scm-1"
source = {
  url = "git+file://./luavss",
}
description = {
  summary = "The Volume Shadow Copy Service backup model for Linux, native engine with a Lua 5.4 API",
  detailed = [[
Writers, requesters, components, file specs, partial and differenced files,
backup stamps, directed and new-target restores and snapshot sets, in C,
scripted from Lua 5.4. VHD/VHDX virtual disks are sources through libvhdi.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  -- libxml2's headers live one level down (/usr/include/libxml2/libxml/).
  LIBXML2 = { header = "libxml2/libxml/xmlversion.h", library = "xml2" },
  LIBVHDI = { header = "libvhdi.h", library = "vhdi" },
  LIBXXHASH = { header = "xxhash.h", library = "xxhash" },
}
build = {
  type = "builtin",
  modules = {
    -- Every .c file under csrc/ belongs here (spec/rock_spec.lua checks it).
    ["vss.core"] = {
      sources = {
        "csrc/backup.c",
        "csrc/backup_deleted.c",
        "csrc/backup_files.c",
        "csrc/backup_select.c",
        "csrc/components.c",
        "csrc/components_files.c",
        "csrc/components_select.c",
        "csrc/components_xml.c",
        "csrc/digest.c",
        "csrc/docxml.c",
        "csrc/enums.c",
        "csrc/error.c",
        "csrc/fileio.c",
        "csrc/fileset.c",
        "csrc/filespec.c",
        "csrc/hex.c",
        "csrc/metadata.c",
        "csrc/metadata_writer.c",
        "csrc/metadata_xml.c",
        "csrc/pathmap.c",
        "csrc/ranges.c",
        "csrc/ranges_file.c",
        "csrc/ranges_ops.c",
        "csrc/restore_copy.c",
        "csrc/restore_gather.c",
        "csrc/restore_target.c",
        "csrc/snapshot.c",
        "csrc/snapshot_btrfs.c",
        "csrc/snapshot_freeze.c",
        "csrc/snapshot_id.c",
        "csrc/snapshot_manifest.c",
        "csrc/snapshot_path.c",
        "csrc/snapshot_provider.c",
        "csrc/snapshot_query.c",
        "csrc/snapshot_tree.c",
        "csrc/snapshot_volume.c",
        "csrc/store.c",
        "csrc/store_copy.c",
        "csrc/store_manifest.c",
        "csrc/store_read.c",
        "csrc/store_tx.c",
        "csrc/walker.c",
        "csrc/writer.c",
        "csrc/writer_external.c",
        "csrc/lua/backup.c",
        "csrc/lua/binding.c",
        "csrc/lua/component_state.c",
        "csrc/lua/components.c",
        "csrc/lua/core.c",
        "csrc/lua/docs.c",
        "csrc/lua/enums.c",
        "csrc/lua/filespec.c",
        "csrc/lua/metadata.c",
        "csrc/lua/metadata_component.c",
        "csrc/lua/pathmap.c",
        "csrc/lua/ranges.c",
        "csrc/lua/restore_target.c",
        "csrc/lua/snapshot.c",
        "csrc/lua/store.c",
        "csrc/lua/walker.c",
        "csrc/lua/writer.c",
      },
      defines = { "_GNU_SOURCE", "_FILE_OFFSET_BITS=64" },
      incdirs = { "$(LIBXML2_INCDIR)/libxml2", "$(LIBVHDI_INCDIR)", "$(LIBXXHASH_INCDIR)" },
      libdirs = { "$(LIBXML2_LIBDIR)", "$(LIBVHDI_LIBDIR)", "$(LIBXXHASH_LIBDIR)" },
      libraries = { "xml2", "vhdi", "xxhash" },
    },
    ["vss"] = "lua/vss/init.lua",
    ["vss.ranges"] = "lua/vss/ranges.lua",
    ["vss.filespec"] = "lua/vss/filespec.lua",
    ["vss.enums"] = "lua/vss/enums.lua",
    ["vss.metadata"] = "lua/vss/metadata.lua",
    ["vss.components"] = "lua/vss/components.lua",
    ["vss.store"] = "lua/vss/store.lua",
    ["vss.snapshot"] = "lua/vss/snapshot.lua",
    ["vss.writer"] = "lua/vss/writer.lua",
    ["vss.restore"] = "lua/vss/restore.lua",
    ["vss.backup"] = "lua/vss/backup.lua",
  },
}
test = {
  type = "command",
  command = "make test",
}
