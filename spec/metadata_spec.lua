-- vss.metadata: the Writer Metadata Document from Lua.
local vss = require "vss"
local support = require "support"

local WID = "8c6a8e4f-3a51-4c3e-9a7b-2f0d6c1e5a10"
local IID = "0f7d2a6b-9c4e-4b1d-8e2f-5a3c7b9d1e24"

local function writer(extra)
  local t = { writer_id = WID, instance_id = IID, name = "Spec Writer" }
  for k, v in pairs(extra or {}) do t[k] = v end
  return vss.metadata.new(t)
end

describe("vss.metadata", function()
  it("creates a document with identity, usage and source as names", function()
    local wm = writer { usage = "system_service", source = "nontransacted_db", instance_name = "i1",
      major_version = 3, minor_version = 1 }
    local id = wm:get_identity()
    assert.equal(WID, id.writer_id)
    assert.equal(IID, id.instance_id)
    assert.equal("Spec Writer", id.name)
    assert.equal("i1", id.instance_name)
    assert.equal("system_service", id.usage)
    assert.equal("nontransacted_db", id.source)
    assert.same({ 3, 1 }, { wm:get_version() })
    assert.equal("1.2", wm:document_version())
    assert.matches('^vss%.WriterMetadata%("Spec Writer" ' .. WID:gsub("%-", "%%-") .. ", 0 components%)$",
      tostring(wm))
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() vss.metadata.new() end)
    assert.error_matches(function() writer { writer_id = "nope" } end, "bad argument #1 to 'new' %(writer_id")
    assert.error_matches(function() writer { usage = "sometimes" } end,
      "usage: 'sometimes' is not one of undefined, bootable_system_state, system_service, user_data, other",
      1, true)
    assert.error_matches(function() writer { source = "paper" } end,
      "source: 'paper' is not one of undefined, transacted_db, nontransacted_db, other", 1, true)
    assert.error_matches(function() writer { name = 7 } end, "name: string expected")
    -- a misspelt field or option is never ignored
    assert.error_matches(function() writer { usag = "user_data" } end, "unknown option 'usag'", 1, true)
    assert.error_matches(function() writer():add_component("database", nil, "x", { selectabl = true }) end,
      "unknown option 'selectabl'", 1, true)
    local wm = writer()
    assert.error_matches(function() wm:add_component("table", nil, "x") end,
      "bad argument #1 to 'add_component' %(component_type: 'table' is not one of "
        .. "undefined, database, filegroup%)")
    assert.error_matches(function() wm:set_backup_schema { "differential", "weekly" } end,
      "backup_schema: entry 2: 'weekly' is not one of differential, incremental,", 1, true)
    assert.error_matches(function() wm:set_backup_schema(0x800) end, "unknown bits")
    assert.error_matches(function() wm:get_component(1) end, "index 1 out of range")
    assert.error_matches(function() wm:xml(1) end,
      "bad argument #1 to 'xml' %(no more than 1 argument expected")
  end)

  it("builds components, file lists and the rest as a writer does in OnIdentify", function()
    local wm = writer()
    local db = wm:add_component("database", "Inst", "sales", { caption = "Sales", selectable = true,
      selectable_for_restore = true, component_flags = { "backup_recovery", "not_system_state" } })
    assert.matches("^vss%.Component%(database Inst\\sales, 0 file sets%)$", tostring(db))
    wm:add_database_files("Inst", "sales", "/data", "sales.db")
    wm:add_database_log_files("Inst", "sales", "/wal", "*.log",
      { "log_backup_required", "log_snapshot_required" })
    wm:add_component("filegroup", nil, "conf")
    wm:add_files_to_file_group(nil, "conf", "/etc/app", "*.conf", true, "/srv/alt")
    wm:add_exclude_files("/data", "*.tmp", false)
    wm:add_exclude_files_from_snapshot("/data", "*.swp", true)
    wm:set_restore_method("stop_restore_start", "appd", nil, "if_replace_fails", true)
    wm:add_alternate_location_mapping("/etc/app", "*.conf", true, "/restore/conf")
    wm:add_component_dependency("Inst", "sales", IID, nil, "conf")
    wm:set_backup_schema { "differential", "log" }
    assert.is_true(wm:validate())

    local info = db:get_component_info()
    assert.same({ "backup_recovery", "not_system_state" }, info.component_flags)
    assert.equal("Sales", info.caption)
    assert.is_true(info.selectable)
    assert.equal(1, info.databases)
    assert.equal(1, info.log_files)
    assert.equal("sales", db:name())
    assert.equal("Inst", db:logical_path())
    assert.equal("database", db:type())
    local log = db:database_log_files()[1]
    assert.equal("vss.FileDesc", getmetatable(log).__name)
    assert.equal("/wal", log.path)
    assert.equal(0x808, log.backup_type)
    assert.same({ "log_backup_required", "log_snapshot_required" }, log:backup_types())
    assert.same({ writer_id = IID, component_name = "conf" }, db:dependencies()[1])
    local conf = wm:find_component(nil, "conf")
    assert.equal("/srv/alt", conf:files()[1].alternate_location)
    assert.is_true(conf:files()[1].recursive)
    local method, service, proc, wre, reboot, nmap = wm:get_restore_method()
    assert.same({ "stop_restore_start", "appd", "if_replace_fails", true, 1 },
      { method, service, wre, reboot, nmap })
    assert.is_nil(proc)
    local names, mask = wm:get_backup_schema()
    assert.same({ "differential", "log" }, names)
    assert.equal(9, mask)
    assert.equal(1, #wm:exclude_files())
    assert.equal("*.swp", wm:exclude_files_from_snapshot()[1].filespec)
    assert.equal("/restore/conf", wm:alternate_location_mappings()[1].alternate_location)
    assert.same({ 0, 1, 2 }, { wm:get_file_counts() })
    assert.equal(2, #wm:components())
  end)

  it("lets a component add its own files and dependencies", function()
    local wm = writer()
    local db = wm:add_component("database", "Inst", "db")
    db:add_database_files("/data", "db.mdf")
    db:add_database_log_files("/wal", "*.log", 0x8)
    db:add_component_dependency(IID, nil, "other")
    local fg = wm:add_component("filegroup", nil, "fg")
    fg:add_files_to_file_group("/etc/app", "*", true, "/alt")
    assert.error_matches(function() fg:add_database_files("/x", "y") end, "is a filegroup component")
    local info = db:get_component_info()
    assert.same({ 1, 1, 1 }, { info.databases, info.log_files, info.dependencies })
    assert.equal(0x8, db:database_log_files()[1].backup_type)
    assert.equal("/alt", fg:files()[1].alternate_location)
  end)

  it("enforces VSS's rules with messages that name the element", function()
    local wm = writer()
    wm:add_component("filegroup", "A", "x")
    assert.error_matches(function() wm:add_component("filegroup", "A", "x") end,
      "add_component: duplicate component 'x' at logical path 'A'")
    assert.error_matches(function() wm:add_component("filegroup", "A\\", "y") end, "logical path 'A\\'")
    assert.error_matches(function() wm:add_component("filegroup", "A", "y\\z") end, "must not contain")
    assert.error_matches(function() wm:add_database_files("A", "x", "/d", "f") end,
      "is a filegroup component, not a database one")
    assert.error_matches(function() wm:add_files_to_file_group("A", "nope", "/d", "*") end,
      "no component 'nope'")
    wm:add_files_to_file_group("A", "x", "/d", "*")
    assert.error_matches(function() wm:add_files_to_file_group("A", "x", "/d/", "*") end,
      "already in component")
    assert.error_matches(function() wm:add_files_to_file_group("A", "x", "//d/", "a.txt") end,
      "overlaps file set /d\\%* of component 'x'")
    assert.error_matches(function() wm:add_files_to_file_group("A", "x", "/d*", "*") end, "wildcard")
    assert.error_matches(function() wm:add_alternate_location_mapping("/d", "*", true, "/x") end,
      "no component has this file set")
    assert.error_matches(function() wm:set_restore_method("custom") end, "user procedure")
    assert.error_matches(function() wm:set_backup_schema { "timestamped" } end,
      "needs differential or incremental")
    local ok, msg, code = wm:validate()
    assert.is_nil(ok)
    assert.matches("restore method", msg)
    assert.equal("EINVAL", code)
  end)

  it("saves and loads back everything it modelled", function()
    local dir = support.tmpdir()
    local wm = writer { usage = "bootable_system_state" }
    wm:add_component("database", "Inst", "db", { selectable = true, notify_on_backup_complete = true })
    wm:add_database_files("Inst", "db", "/data", "db.mdf", 0x101)
    wm:set_restore_method("restore_at_reboot_if_cannot_replace", nil, nil, "never", true)
    wm:set_backup_schema(881)
    local path = dir .. "/wm.xml"
    assert.is_true(wm:save(path))
    local text = support.read(path)
    assert.matches('<WRITER_METADATA xmlns="x%-schema:#VssWriterMetadataInfo" version="1.2" '
      .. 'backupSchema="881">', text)
    assert.matches('usage="BOOTABLE_SYSTEM_STATE"', text)
    assert.matches('method="REPLACE_AT_REBOOT_IF_CANNOT_REPLACE"', text)
    assert.matches('filespecBackupType="257"', text)
    local back = assert(vss.metadata.load(path))
    assert.equal(text, back:xml())
    assert.same(wm:get_identity(), back:get_identity())
    assert.same(table.pack(wm:get_restore_method()), table.pack(back:get_restore_method()))
    assert.equal(0x101, back:find_component("Inst", "db"):database_files()[1].backup_type)
    assert.is_true(back:find_component("Inst", "db"):get_component_info().notify_on_backup_complete)
    support.rm_rf(dir)
  end)

  it("returns nil, message, code for bad documents and missing files", function()
    local r, msg, code = vss.metadata.load("/nonexistent/wm.xml")
    assert.is_nil(r)
    assert.matches("/nonexistent/wm.xml", msg)
    assert.equal("ENOENT", code)
    r, msg, code = vss.metadata.parse("<BACKUP_COMPONENTS/>")
    assert.is_nil(r)
    assert.matches("root element <BACKUP_COMPONENTS> at line 1: expected <WRITER_METADATA>", msg)
    assert.equal("EINVAL", code)
    r, msg = vss.metadata.parse('<WRITER_METADATA>\n<IDENTIFICATION writerId="' .. WID
      .. '" instanceId="' .. IID
      .. '" friendlyName="x" dataSource="SOMETIMES"/></WRITER_METADATA>')
    assert.is_nil(r)
    assert.matches('<IDENTIFICATION dataSource="SOMETIMES"> at line 2: expected a value of source_type', msg)
    r, msg = vss.metadata.parse("<WRITER_METADATA><unclosed></WRITER_METADATA>")
    assert.is_nil(r)
    assert.matches("XML error at line 1", msg)
  end)

  it("keeps the document alive while a component refers to it", function()
    local comp
    do
      local wm = writer()
      wm:add_component("filegroup", nil, "c1")
      wm:add_files_to_file_group(nil, "c1", "/etc", "*", true)
      comp = wm:get_component(1)
    end
    collectgarbage()
    collectgarbage()
    assert.equal("/etc", comp:files()[1].path)
    assert.equal("vss.WriterMetadata", getmetatable(comp:writer_metadata()).__name)
  end)

  it("exposes every VSS enumeration with its numbers", function()
    assert.equal(2, vss.enums.backup_type.incremental)
    assert.equal(3, vss.enums.restore_target.directed)
    local fsbt = vss.enums.file_spec_backup_type
    assert.equal(0xF0F, fsbt.full_backup_required | fsbt.all_backup_required | fsbt.all_snapshot_required)
    assert.equal(-1, vss.enums.application_level.auto)
    assert.equal(16, vss.enums.writer_state.count)
  end)
end)
