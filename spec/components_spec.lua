-- vss.components: the Backup Components Document from Lua.
local vss = require "vss"
local support = require "support"

local WID = "a65faa63-5ea8-4ebc-9dbd-a0c4db26912a"
local IID = "235435d9-34d6-41ea-8c08-5958a9982636"

-- A writer with a selectable database holding a full-text subcomponent.
local function writer(schema)
  local wm = vss.metadata.new { writer_id = WID, instance_id = IID, name = "SQL", instance_name = "inst1" }
  wm:add_component("database", "Inst", "db", { selectable = true, selectable_for_restore = true })
  wm:add_component("filegroup", "Inst\\db", "fulltext", { selectable_for_restore = true })
  wm:add_database_files("Inst", "db", "/data", "db.mdf")
  wm:add_database_log_files("Inst", "db", "/data", "db.ldf")
  wm:add_files_to_file_group("Inst\\db", "fulltext", "/data/ft", "*", true)
  wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
  if schema then wm:set_backup_schema(schema) end
  return wm
end

describe("vss.components", function()
  it("creates a document from a backup state", function()
    local bc = vss.components.new { backup_type = "differential", select_components = true,
      partial_file_support = true, snapshot_set_id = "e109943b-232e-4b52-8dc4-62b7de94761b" }
    assert.same({ backup_type = "differential", select_components = true, bootable_system_state = false,
      partial_file_support = true, restore_type = "undefined",
      snapshot_set_id = "e109943b-232e-4b52-8dc4-62b7de94761b" }, bc:get_backup_state())
    assert.equal("vss.BackupComponents(differential, 0 writers, 0 components)", tostring(bc))
    assert.equal("full", vss.components.new(nil):get_backup_state().backup_type)
    bc:set_backup_state(false, true, "log")
    assert.equal("log", bc:get_backup_state().backup_type)
    bc:set_restore_state("by_copy")
    assert.equal("by_copy", bc:get_backup_state().restore_type)
    assert.error_matches(function() vss.components.new { backup_type = "weekly" } end,
      "backup_type: 'weekly' is not one of undefined, full, incremental, differential, log, copy, other",
      1, true)
    assert.error_matches(function() vss.components.new { backup_typ = "full" } end,
      "bad argument #1 to 'new' (unknown option 'backup_typ')", 1, true)
    assert.error_matches(function() vss.components.new { backup_type = 7 } end,
      "backup_type: 'number' is not one of undefined, full,", 1, true)
    assert.error_matches(function() bc:set_snapshot_set_id("x") end,
      "bad argument #1 to 'set_snapshot_set_id'")
  end)

  it("adds components of a writer and finds them again", function()
    local bc = vss.components.new { select_components = true }
    local wm = writer(881)
    local c = bc:add_component(wm, "database", "Inst", "db")
    assert.equal("vss.ComponentState(database Inst\\db of writer " .. WID .. ")", tostring(c))
    assert.same({ IID, WID }, { c:get_writer_info() })
    assert.equal("Inst", c:get_logical_path())
    assert.equal("db", c:get_component_name())
    assert.equal("database", c:get_component_type())
    assert.equal("original", c:get_restore_target())
    assert.equal(c:get_component_name(), bc:get_component(WID:upper(), "Inst", "db"):get_component_name())
    assert.is_nil(bc:get_component(WID, nil, "db"))
    local w = bc:get_writer_components(1)
    assert.equal("inst1", w.instance_name)
    assert.same({ "differential", "copy", "timestamped", "last_modify", "writer_supports_new_target",
      "writer_supports_restore_with_move" }, w.backup_schema)
    assert.error_matches(function() bc:add_component(wm, "database", "Inst", "db") end, "already added")
    assert.error_matches(function() bc:add_component(wm, "filegroup", "Inst\\db", "fulltext") end,
      "subcomponent of selectable component 'db'")
    assert.error_matches(function() bc:add_component("x", "database", "Inst", "db") end,
      "vss.WriterMetadata or {writer_id=, instance_id=} expected")
    local other = bc:add_component({ writer_id = "542da469-d3e1-473c-9f4f-7847f01fc64f",
      instance_id = "096a689b-077b-44e3-a7ba-5831d480c95b" }, "filegroup", nil, "COM+ REGDB")
    assert.equal("COM+ REGDB", other:get_component_name())
    assert.is_true(bc:validate())
    assert.equal(2, #bc:writers())
    assert.equal(2, #bc:components())
    -- a writer's entry by writer id and instance id, both, GUIDs without case
    assert.equal(1, bc:find_writer(WID:upper(), IID:upper()))
    assert.equal(2, bc:find_writer("542da469-d3e1-473c-9f4f-7847f01fc64f",
      "096A689B-077B-44E3-A7BA-5831D480C95B"))
    assert.is_nil(bc:find_writer(WID, "096a689b-077b-44e3-a7ba-5831d480c95b"))
    assert.is_nil(bc:find_writer(IID, WID))
  end)

  it("keeps writer metadata and the document alive for its components", function()
    local c
    do
      local bc = vss.components.new { backup_type = "incremental" }
      c = bc:add_component(writer { "incremental", "last_modify" }, "database", "Inst", "db")
    end
    collectgarbage()
    collectgarbage()
    c:add_differenced_files_by_last_modify_time("/data", "db.mdf", false, 0)
    assert.equal(1, c:get_differenced_files_count())
    assert.equal("vss.BackupComponents", getmetatable(c:backup_components()).__name)
  end)

  it("records partial files with valid range lists only", function()
    local bc = vss.components.new { backup_type = "full" }
    local c = bc:add_component(writer(), "database", "Inst", "db")
    assert.error_matches(function() c:add_partial_file("/data", "db.mdf", "0:1") end, "partial file support")
    bc:set_backup_state(true, false, "full", true)
    assert.error_matches(function() c:add_partial_file("/data", "db.mdf", "0:10,5") end,
      "add_partial_file: ranges: .*entry 2")
    assert.error_matches(function() c:add_partial_file("/data", "db*.mdf", "0:1") end, "wildcards")
    c:add_partial_file("/data", "db.mdf", "0:4096,0x100000:65536", "changed extents")
    c:add_partial_file("/data", "db.ldf", "File=/backup/db.ldf.ranges")
    assert.equal(2, c:get_partial_file_count())
    assert.same({ "/data", "db.mdf", "0:4096,0x100000:65536", "changed extents" }, { c:get_partial_file(1) })
    c:set_ranges_file_path(2, "/restore/db.ldf.ranges")
    assert.equal("/restore/db.ldf.ranges", c:partial_files()[2].ranges)
    assert.error_matches(function() c:set_ranges_file_path(3, "/x") end, "index 3 out of range")
  end)

  it("accepts directed targets only with restore target directed and matching ranges", function()
    local bc = vss.components.new { backup_type = "full" }
    local c = bc:add_component(writer(), "database", "Inst", "db")
    assert.error_matches(
      function() c:add_directed_target("/data", "db.mdf", "0:100", "/n", "db.mdf", "0:100") end,
      "set it to directed first")
    assert.error_matches(function() c:set_restore_target("sideways") end, "restore_target")
    c:set_restore_target("directed")
    assert.error_matches(
      function() c:add_directed_target("/data", "db.mdf", "0:100", "/n", "db.mdf", "0:99") end,
      "add_directed_target")
    assert.error_matches(
      function() c:add_directed_target("/data", "zz.mdf", "0:100", "/n", "zz", "0:100") end,
      "not in a file set")
    c:add_directed_target("/data", "db.mdf", "0:100,100:20", "/new", "db.mdf", "4096:100,0:20")
    assert.same({ src_path = "/data", src_filename = "db.mdf", src_ranges = "0:100,100:20", dst_path = "/new",
      dst_filename = "db.mdf", dst_ranges = "4096:100,0:20" }, c:directed_targets()[1])
  end)

  it("checks differenced files, new targets, mappings, subcomponents against the writer", function()
    local bc = vss.components.new { backup_type = "incremental" }
    local c = bc:add_component(writer { "incremental", "last_modify", "writer_supports_new_target" },
      "database", "Inst", "db")
    -- The SQL writer's real stamp "CAAAAMQv3+t4udUB" holds FILETIME 0x01D5B978EBDF2FC4,
    -- a moment of 2019-12-23 (docs/model.md §6.5).
    assert.equal("2019-12-23", os.date("!%Y-%m-%d", math.floor(vss.components.unix_time(0x01D5B978EBDF2FC4))))
    assert.equal(116444736000000000, vss.components.filetime(0))
    local t = vss.components.filetime(1577059200)
    assert.equal(1577059200, vss.components.unix_time(t))
    c:add_differenced_files_by_last_modify_time("/data/ft", "*", true, t)
    assert.error_matches(
      function() c:add_differenced_files_by_last_modify_time("/data", "*.mdf", false, t) end,
      "partially overlap file set /data\\db.mdf of component 'db'")
    assert.same({ path = "/data/ft", filespec = "*", recursive = true, last_modify_time = t },
      c:differenced_files()[1])
    c:add_new_target("/data", "db.mdf", false, "/restore")
    assert.error_matches(function() c:add_new_target("/data", "*.mdf", false, "/restore") end,
      "not a file set of component 'db'")
    assert.equal("/restore", c:new_targets()[1].alternate_location)
    c:add_alternative_location_mapping("/data/ft", "*", true, "/alt")
    assert.equal("/alt", c:get_alternate_location_mapping(1).alternate_location)
    c:add_restore_subcomponent("Inst\\db", "fulltext", true)
    assert.same({ { logical_path = "Inst\\db", name = "fulltext", repair = true } },
      c:restore_subcomponents())
    assert.error_matches(function() c:set_file_restore_status("undefined") end, "none, all or failed")

    local full = vss.components.new { backup_type = "full" }
    local fc = full:add_component(writer(), "database", "Inst", "db")
    assert.error_matches(function() fc:set_previous_backup_stamp("s") end, "only for an incremental")
    assert.error_matches(function() fc:add_new_target("/data", "db.mdf", false, "/r") end,
      "does not support new targets")
    local bare = vss.components.new { backup_type = "incremental" }
    local bcs = bare:add_component({ writer_id = WID, instance_id = IID }, "database", "Inst", "db")
    assert.error_matches(function() bcs:add_new_target("/data", "db.mdf", false, "/r") end,
      "needs writer .*'s metadata %(attach it with add_writer_metadata%)")
    bare:add_writer_metadata(writer { "writer_supports_new_target" })
    bcs:add_new_target("/data", "db.mdf", false, "/r")
  end)

  it("saves and loads back every component field", function()
    local dir = support.tmpdir()
    local bc = vss.components.new { backup_type = "incremental", partial_file_support = true,
      select_components = true }
    local wm = writer { "incremental", "last_modify", "timestamped" }
    local c = bc:add_component(wm, "database", "Inst", "db")
    c:set_previous_backup_stamp("prev")
    c:set_backup_stamp("CAAAAMQv3+t4udUB")
    c:set_backup_succeeded(true)
    c:set_backup_options("o")
    c:set_restore_options('"New Component Name"="db2"')
    c:set_backup_metadata("BCAAAFRBUEUA")
    c:set_restore_metadata("r")
    c:set_selected_for_restore(true)
    c:set_additional_restores(true)
    c:set_file_restore_status("failed")
    c:set_pre_restore_failure_msg("pre")
    c:set_post_restore_failure_msg("post")
    c:add_partial_file("/data", "db.mdf", "0:512")
    c:add_differenced_files_by_last_modify_time("/data/ft", "*", true, 42)
    local path = dir .. "/bcd.xml"
    assert.is_true(bc:save(path))
    local back = assert(vss.components.load(path))
    local b = back:get_component(WID, "Inst", "db")
    for _, get in ipairs { "get_previous_backup_stamp", "get_backup_stamp", "get_backup_succeeded",
      "get_backup_options", "get_restore_options", "get_backup_metadata", "get_restore_metadata",
      "is_selected_for_restore", "get_additional_restores", "get_file_restore_status",
      "get_pre_restore_failure_msg", "get_post_restore_failure_msg", "get_restore_target" } do
      assert.same(c[get](c), b[get](b), get)
    end
    assert.same(c:partial_files(), b:partial_files())
    assert.same(c:differenced_files(), b:differenced_files())
    assert.equal(support.read(path), back:xml())
    support.rm_rf(dir)
  end)

  it("returns nil, message, code for bad documents", function()
    local r, msg, code = vss.components.parse('<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata">\n'
      .. '<WRITER_COMPONENTS writerId="' .. WID .. '"/></BACKUP_COMPONENTS>')
    assert.is_nil(r)
    assert.matches("<WRITER_COMPONENTS> at line 2: missing attribute instanceId", msg)
    assert.equal("EINVAL", code)
    r, msg, code = vss.components.load("/nonexistent.xml")
    assert.is_nil(r)
    assert.matches("/nonexistent.xml", msg)
    assert.equal("ENOENT", code)
  end)

  it("rejects hostile XML: external entities, entity expansion, huge values", function()
    local xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
      .. '<BACKUP_COMPONENTS backupType="&e;"/>'
    local r, msg, code = vss.components.parse(xxe)
    assert.is_nil(r)
    assert.matches("line 1", msg)
    assert.equal("EINVAL", code)
    r, msg, code = vss.components.parse('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
      .. '<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata"/>')
    assert.is_nil(r)
    assert.matches("DOCTYPE not allowed", msg)
    assert.equal("EINVAL", code)
    local lol = '<!DOCTYPE x [<!ENTITY a "' .. ("a"):rep(100) .. '">'
    local prev = "a"
    for i = 1, 8 do
      local name = "e" .. i
      lol = lol .. "<!ENTITY " .. name .. ' "' .. ("&" .. prev .. ";"):rep(10) .. '">'
      prev = name
    end
    lol = lol .. ']><BACKUP_COMPONENTS backupType="&' .. prev .. ';"/>'
    r, msg, code = vss.components.parse(lol)
    assert.is_nil(r)
    assert.matches("line", msg)
    assert.equal("EINVAL", code)
    local huge = '<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" x="'
      .. ("A"):rep(11 * 2 ^ 20) .. '"/>'
    r, msg, code = vss.components.parse(huge)
    assert.is_nil(r)
    assert.matches("line", msg)
    assert.equal("EINVAL", code)
    -- under the limit a big unknown attribute is data, kept as it is
    local big = ("B"):rep(2 ^ 20)
    local bc = assert(vss.components.parse('<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" x="'
      .. big .. '"/>'))
    assert.truthy(bc:xml():find(big, 1, true))
  end)

  it("runs examples/writer_metadata.lua", function()
    local dir = support.tmpdir()
    local out, ok = support.sh(support.lua_env .. " lua5.4 "
      .. "examples/writer_metadata.lua " .. support.q(dir))
    assert.is_true(ok, out)
    assert.matches("partial file\t/var/lib/exampledb/main/sales.db\t0:4096,1048576:65536", out)
    local wm = assert(vss.metadata.load(dir .. "/example-wmd.xml"))
    local bc = assert(vss.components.load(dir .. "/example-bcd.xml"))
    local c = bc:get_component(wm:get_identity().writer_id, "Instances\\main", "sales")
    assert.equal("lsn:42311", c:get_backup_stamp())
    assert.equal("lsn:41977", c:get_previous_backup_stamp())
    support.rm_rf(dir)
  end)
end)
