--- A writer describes a database with its logs, saves its Writer Metadata
-- Document; a requester loads it and builds the Backup Components Document
-- of an incremental backup in which the writer reports a partial file.
--   lua5.4 examples/writer_metadata.lua [output directory]
local vss = require "vss"

local dir = arg and arg[1] or os.getenv("TMPDIR") or "/tmp"

-- Writer side (OnIdentify): identity, schema, restore method, components.
local wm = vss.metadata.new {
  writer_id = "8c6a8e4f-3a51-4c3e-9a7b-2f0d6c1e5a10",
  instance_id = "0f7d2a6b-9c4e-4b1d-8e2f-5a3c7b9d1e24",
  name = "Example DB Writer",
  usage = "user_data",
  source = "transacted_db",
}
wm:set_backup_schema { "differential", "incremental", "timestamped", "writer_supports_new_target" }
wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
wm:add_component("database", "Instances\\main", "sales", {
  caption = "Sales database",
  selectable = true,
  selectable_for_restore = true,
  notify_on_backup_complete = true,
})
wm:add_database_files("Instances\\main", "sales", "/var/lib/exampledb/main", "sales.db")
wm:add_database_log_files("Instances\\main", "sales", "/var/lib/exampledb/main/wal", "*.log")
wm:add_exclude_files("/var/lib/exampledb/main", "*.tmp", false)
assert(wm:validate())
local wmd_path = dir .. "/example-wmd.xml"
assert(wm:save(wmd_path))

-- Requester side: load the stored WMD, pick the component, build the BCD.
local loaded = assert(vss.metadata.load(wmd_path))
local comp = loaded:find_component("Instances\\main", "sales")
print(loaded, comp)
for _, f in ipairs(comp:database_files()) do print("  database file", f.path, f.filespec) end
for _, f in ipairs(comp:database_log_files()) do print("  log files", f.path, f.filespec) end

local bc = vss.components.new {
  backup_type = "incremental",
  select_components = true,
  partial_file_support = true,
}
local state = bc:add_component(loaded, "database", "Instances\\main", "sales")
state:set_previous_backup_stamp("lsn:41977")

-- The writer (PostSnapshot) says which byte ranges changed and stamps it.
state:add_partial_file("/var/lib/exampledb/main", "sales.db", "0:4096,1048576:65536", "pages 0,256")
state:set_backup_stamp("lsn:42311")
state:set_backup_succeeded(true)

local bcd_path = dir .. "/example-bcd.xml"
assert(bc:save(bcd_path))
local again = assert(vss.components.load(bcd_path))
local c = again:get_component(loaded:get_identity().writer_id, "Instances\\main", "sales")
local path, filename, ranges = c:get_partial_file(1)
print(again, c)
print("  partial file", path .. "/" .. filename, ranges, "stamp " .. c:get_backup_stamp())
return { wmd = wmd_path, bcd = bcd_path }
