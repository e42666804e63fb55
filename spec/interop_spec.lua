-- Interoperability with documents Windows wrote (DiskShadow on Server 2012 +
-- SQL Server 2017, ../shared/testdata/windows-vss): every one loads, its
-- content is reachable from Lua, and load -> save -> load keeps everything
-- the model knows and every attribute it does not.
local vss = require "vss"
local support = require "support"

local root = support.testdata .. "/windows-vss"
local present = support.exists(root .. "/no_sql/WM0.xml")

local documents = {}
for _, run in ipairs { "no_sql", "with_sql" } do
  documents[#documents + 1] = run .. "/BCDocument.xml"
  for i = 0, 10 do documents[#documents + 1] = run .. "/WM" .. i .. ".xml" end
end

local entities = { lt = "<", gt = ">", amp = "&", quot = '"', apos = "'" }
local function decode(s)
  return (s:gsub("&(#?x?)(%w+);", function(kind, body)
    if kind == "#x" then return utf8.char(tonumber(body, 16)) end
    if kind == "#" then return utf8.char(tonumber(body)) end
    return entities[body]
  end))
end

-- The elements and attributes of a document as a multiset of "ELEMENT" and
-- "ELEMENT@name=value" (values as an XML parser sees them: entities
-- decoded, whitespace characters normalized to spaces); namespace
-- declarations left out.
local function attributes(text)
  local out = {}
  for tag, body in text:gmatch("<([%a_][%w_]*)([^<>]*)>") do
    out[tag] = (out[tag] or 0) + 1
    for name, value in body:gmatch('([%w_:]+)="([^"]*)"') do
      if name ~= "xmlns" and not name:match("^xmlns:") then
        local key = tag .. "@" .. name .. "=" .. decode(value:gsub("\r\n?", "\n")):gsub("[\r\n\t]", " ")
        out[key] = (out[key] or 0) + 1
      end
    end
  end
  return out
end

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

local function filedesc(d)
  return { d.path, d.filespec, d.recursive, d.alternate_location, d.backup_type }
end

local function map(list, fn)
  local out = {}
  for i, v in ipairs(list) do out[i] = fn(v) end
  return out
end

-- Everything the WMD model holds, as plain Lua values.
local function dump_wm(wm)
  local restore = table.pack(wm:get_restore_method())
  local _, schema = wm:get_backup_schema()
  return {
    identity = wm:get_identity(),
    schema = schema,
    restore = restore,
    version = wm:document_version(),
    excludes = map(wm:exclude_files(), filedesc),
    excludes_snapshot = map(wm:exclude_files_from_snapshot(), filedesc),
    includes = map(wm:include_files(), filedesc),
    mappings = map(wm:alternate_location_mappings(), filedesc),
    components = map(wm:components(), function(c)
      return {
        info = c:get_component_info(),
        files = map(c:files(), filedesc),
        database_files = map(c:database_files(), filedesc),
        log_files = map(c:database_log_files(), filedesc),
        dependencies = c:dependencies(),
      }
    end),
  }
end

local getters = { "get_logical_path", "get_component_name", "get_component_type", "get_backup_stamp",
  "get_previous_backup_stamp", "get_backup_succeeded", "get_backup_options", "get_restore_options",
  "get_backup_metadata", "get_restore_metadata", "is_selected_for_restore", "get_additional_restores",
  "get_restore_target", "get_file_restore_status", "get_pre_restore_failure_msg",
  "get_post_restore_failure_msg" }

-- Everything the BCD model holds, as plain Lua values.
local function dump_bc(bc)
  return {
    state = bc:get_backup_state(),
    version = bc:document_version(),
    writers = map(bc:writers(), function(w)
      return {
        w.writer_id, w.instance_id, w.instance_name, w.backup_schema,
        map(w.components, function(c)
          local t = {}
          for _, g in ipairs(getters) do t[g] = c[g](c) end
          t.partial = c:partial_files()
          t.directed = c:directed_targets()
          t.differenced = c:differenced_files()
          t.subcomponents = c:restore_subcomponents()
          t.new_targets = map(c:new_targets(), filedesc)
          t.mappings = map(c:alternate_location_mappings(), filedesc)
          return t
        end),
      }
    end),
  }
end

describe("Windows VSS documents", function()
  for _, name in ipairs(documents) do
    it("round-trips " .. name, function()
      if not present then
        pending("testdata absent: " .. root)
        return
      end
      local path = root .. "/" .. name
      local text = support.read(path)
      local is_bcd = name:match("BCDocument") ~= nil
      local mod, dump = vss.metadata, dump_wm
      if is_bcd then mod, dump = vss.components, dump_bc end
      local doc = assert(mod.load(path))
      local first = dump(doc)
      if is_bcd then
        local n = 0
        for _, w in ipairs(first.writers) do n = n + #w[5] end
        assert.equal(count(text, "<COMPONENT[%s/>]"), n)
        assert.equal(count(text, "<WRITER_COMPONENTS[%s>]"), #first.writers)
      else
        assert.equal(count(text, "<FILE_GROUP[%s/>]") + count(text, "<DATABASE[%s/>]"), #first.components)
        local files = 0
        for _, c in ipairs(first.components) do files = files + #c.files end
        assert.equal(count(text, "<FILE_LIST[%s/>]"), files)
        assert.equal(count(text, "<EXCLUDE_FILES[%s/>]"), #first.excludes)
        assert.equal(count(text, "<EXCLUDE_FILES_FROM_SNAPSHOT[%s/>]"), #first.excludes_snapshot)
      end
      local dir = support.tmpdir()
      assert.is_true(doc:save(dir .. "/saved.xml"))
      local saved = support.read(dir .. "/saved.xml")
      local again = assert(mod.load(dir .. "/saved.xml"))
      support.rm_rf(dir)
      assert.same(first, dump(again))
      assert.same(attributes(text), attributes(saved))
    end)
  end

  it("reads the known values of the SQL Server run", function()
    if not present then
      pending("testdata absent: " .. root)
      return
    end
    local bc = assert(vss.components.load(root .. "/with_sql/BCDocument.xml"))
    local state = bc:get_backup_state()
    assert.equal("full", state.backup_type)
    assert.is_true(state.select_components and state.bootable_system_state)
    assert.is_false(state.partial_file_support)
    local sql = bc:get_component("a65faa63-5ea8-4ebc-9dbd-a0c4db26912a", "WIN2012-SQL17-2", "local1")
    assert.equal("CAAAAMQv3+t4udUB", sql:get_backup_stamp())
    assert.equal("filegroup", sql:get_component_type())
    assert.matches("^BCAAAFRBUEUA", sql:get_backup_metadata())
    for _, w in ipairs(bc:writers()) do
      if w.writer_id == "a65faa63-5ea8-4ebc-9dbd-a0c4db26912a" then
        assert.equal("Microsoft SQL Server 2017:SQLWriter", w.instance_name)
        local mask = 0
        for _, bit in ipairs(w.backup_schema) do mask = mask | vss.enums.backup_schema[bit] end
        assert.equal(881, mask)
      end
    end

    local wm = assert(vss.metadata.load(root .. "/no_sql/WM5.xml"))
    local id = wm:get_identity()
    assert.equal("SqlServerWriter", id.name)
    assert.equal("user_data", id.usage)
    assert.equal("transacted_db", id.source)
    assert.equal(881, select(2, wm:get_backup_schema()))
    assert.equal("restore_if_can_replace", (wm:get_restore_method()))
    local master = wm:find_component("WIN2012-SQL17-2", "master")
    assert.same({ "E:\\MSSQL14.MSSQLSERVER\\MSSQL\\DATA", "master.mdf", false, nil, 3855 },
      filedesc(master:files()[1]))
    assert.same({ "app_rollback_recovery" }, master:get_component_info().component_flags)
    assert.is_true(master:get_component_info().notify_on_backup_complete)

    -- WMI writes RESTORE_METHOD after BACKUP_LOCATIONS; BITS has none.
    local wmi = assert(vss.metadata.load(root .. "/no_sql/WM8.xml"))
    assert.equal("restore_at_reboot", (wmi:get_restore_method()))
    assert.is_nil(assert(vss.metadata.load(root .. "/no_sql/WM7.xml")):get_restore_method())
    -- GUIDs are kept as written (the express writers use upper case).
    assert.equal("D61D61C8-D73A-4EEE-8CDD-F6F9786B7124",
      assert(vss.metadata.load(root .. "/no_sql/WM0.xml")):get_identity().writer_id)
  end)

  it("keeps attributes and elements it does not model", function()
    if not present then
      pending("testdata absent: " .. root)
      return
    end
    local text = support.read(root .. "/no_sql/WM5.xml")
    text = text:gsub('<FILE_LIST ', '<FILE_LIST futureAttr="x&amp;y" ', 1)
      :gsub("</BACKUP_LOCATIONS>", '<FUTURE_ELEMENT level="2"><CHILD/></FUTURE_ELEMENT></BACKUP_LOCATIONS>')
      :gsub("<IDENTIFICATION ", '<IDENTIFICATION icon="AAAB" ')
    local wm = assert(vss.metadata.parse(text))
    local out = wm:xml()
    assert.same(attributes(text), attributes(out))
    assert.truthy(out:find('futureAttr="x&amp;y"', 1, true))
    assert.truthy(out:find("<CHILD/>", 1, true))
    local bcd = support.read(root .. "/with_sql/BCDocument.xml")
      :gsub('backupStamp="', 'lun="7" backupStamp="', 1)
      :gsub("</BACKUP_COMPONENTS>", '<SNAPSHOT_SET_DESCRIPTION id="1"/></BACKUP_COMPONENTS>')
    local bc = assert(vss.components.parse(bcd))
    out = bc:xml()
    assert.same(attributes(bcd), attributes(out))
    assert.truthy(out:find("<SNAPSHOT_SET_DESCRIPTION", 1, true))
  end)
end)
