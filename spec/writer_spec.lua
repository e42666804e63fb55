-- vss.writer: Lua writers, external writers running real shell scripts,
-- and sessions driving them through a backup (docs/model.md §1, §3).
local vss = require "vss"
local support = require "support"

local WID = "11111111-1111-1111-1111-111111111111"
local IID = "22222222-2222-2222-2222-222222222222"
local clock = require("vss.core").clock

local function busy_wait(seconds)
  local t = clock() + seconds
  while clock() < t do end
end

-- A Lua writer with one database component; extra fields override.
local function db_writer(over, log)
  local def = {
    name = "db", writer_id = WID, instance_id = IID,
    usage = "user_data", source = "transacted_db",
    identify = function(wm)
      wm:add_component("database", nil, "main", { selectable = true })
      wm:add_database_files(nil, "main", "/srv/db", "*.db")
      wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    end,
  }
  for _, ev in ipairs { "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
    "abort", "backup_complete", "backup_shutdown" } do
    def[ev] = function() log[#log + 1] = def.name .. ":" .. ev end
  end
  for k, v in pairs(over or {}) do def[k] = v end
  return vss.writer(def)
end

local function bcd(writers)
  local bc = vss.components.new { backup_type = "incremental", select_components = true,
    partial_file_support = true }
  for _, w in ipairs(writers) do
    local id = w:identity()
    bc:add_component({ writer_id = id.writer_id, instance_id = id.instance_id },
      "database", nil, "main")
  end
  return bc
end

local function run_backup(s, bc)
  local results = {}
  local function step(name, ...)
    local ok, msg, code = s[name](s, ...)
    results[#results + 1] = ok and name or (name .. "=" .. code)
    return ok, msg, code
  end
  step("identify")
  step("prepare_backup", bc)
  step("prepare_snapshot")
  step("freeze")
  step("thaw")
  step("post_snapshot", bc)
  step("backup_complete", bc)
  step("backup_shutdown", "{set}")
  return table.concat(results, " ")
end

describe("vss.writer", function()
  it("identify fills a writer metadata document that is readable afterwards", function()
    local w = db_writer({}, {})
    assert.is_nil(w:metadata())
    local s = vss.writer.session { w }
    assert.is_true(s:identify())
    local wm = w:metadata()
    assert.equal("vss.WriterMetadata", getmetatable(wm).__name)
    local id = wm:get_identity()
    assert.equal("db", id.name)
    assert.equal("transacted_db", id.source)
    local c = wm:find_component(nil, "main")
    assert.equal("main", c:get_component_info().component_name)
    assert.equal("/srv/db", c:get_database_file(1).path)
    s:close()
    -- GatherWriterMetadata leaves out a writer whose identify failed (§3.1)
    local bad = db_writer({ name = "bad", instance_id = "33333333-3333-3333-3333-333333333333",
      identify = function() error("no metadata today") end }, {})
    s = vss.writer.session { w, bad }
    local ok, msg = s:identify()
    assert.is_nil(ok)
    assert.matches("writer 'bad' failed at identify: .*no metadata today", msg)
    local all = s:metadata()
    assert.equal(1, #all)
    assert.equal("db", all[1]:get_identity().name)
    assert.equal("failed_at_identify", s:status()[2].state)
    s:close()
  end)

  it("drives a backup: handlers get the BCD and their components, states follow §3.1", function()
    local log, states = {}, {}
    local w
    w = db_writer({
      prepare_backup = function(bc, comps)
        log[#log + 1] = "prepare_backup " .. #comps .. " " .. comps[1]:get_component_name()
        assert.equal("vss.BackupComponents", getmetatable(bc).__name)
      end,
      freeze = function() states[#states + 1] = w:state() end,
      post_snapshot = function(_, comps)
        comps[1]:set_backup_stamp("stamp-7")
        comps[1]:add_partial_file("/srv/db", "a.db", "0:4096")
      end,
      backup_shutdown = function(id) log[#log + 1] = "shutdown " .. id end,
    }, log)
    local s = vss.writer.session { w }
    assert.is_true(s:identify())
    local bc = bcd { w }
    assert.is_true(s:prepare_backup(bc))
    assert.equal("stable", w:state())
    assert.is_true(s:prepare_snapshot())
    assert.equal("waiting_for_freeze", w:state())
    assert.is_true(s:freeze())
    assert.equal("waiting_for_thaw", w:state())
    assert.is_true(s:thaw())
    assert.equal("waiting_for_post_snapshot", w:state())
    assert.is_true(s:post_snapshot(bc))
    assert.equal("waiting_for_backup_complete", w:state())
    local c = bc:get_component(WID, nil, "main")
    assert.equal("stamp-7", c:get_backup_stamp())
    assert.equal(1, c:get_partial_file_count())
    assert.is_true(s:backup_complete(bc))
    assert.equal("stable", w:state())
    assert.is_true(s:backup_shutdown("{set-1}"))
    assert.same({ "prepare_backup 1 main", "db:prepare_snapshot", "db:thaw",
      "db:backup_complete", "shutdown {set-1}" }, log)
    assert.same({ "waiting_for_freeze" }, states)
    assert.is_nil(w:failure())
    assert.matches('vss.Writer%("db", stable%)', tostring(w))
  end)

  it("turns what a handler raises into the writer error kinds", function()
    local cases = {
      { function() error("disk on fire") end, "WRITER_NONRETRYABLE", "disk on fire" },
      { function() error(vss.writer.retryable("db busy")) end, "WRITER_RETRYABLE", "db busy" },
      { function() error(vss.writer.nonretryable("no")) end, "WRITER_NONRETRYABLE", "no" },
      { function() error(vss.writer.timeout("slow")) end, "WRITER_TIMEOUT", "slow" },
      { function() error(vss.writer.out_of_resources("oom")) end, "WRITER_OUTOFRESOURCES", "oom" },
      { function() error(vss.writer.inconsistent_snapshot("vol")) end,
        "WRITER_INCONSISTENTSNAPSHOT", "vol" },
      { function() error({}) end, "WRITER_NONRETRYABLE", "raised a table value" },
    }
    for _, case in ipairs(cases) do
      local w = db_writer({ prepare_snapshot = case[1] }, {})
      local s = vss.writer.session { w }
      local bc = bcd { w }
      assert.is_true(s:identify())
      assert.is_true(s:prepare_backup(bc))
      local ok, msg, code = s:prepare_snapshot()
      assert.is_nil(ok)
      assert.equal(case[2], code)
      assert.matches("writer 'db' failed at prepare_snapshot: .*" .. case[3], msg)
      assert.equal("failed_at_prepare_snapshot", w:state())
      local fcode, fmsg = w:failure()
      assert.equal(case[2], fcode)
      assert.matches(case[3], fmsg, 1, true)
      -- the failed writer hears nothing more of the operation
      assert.is_true(s:freeze())
      assert.equal("failed_at_prepare_snapshot", w:state())
      s:close()
    end
    local e = vss.writer.retryable("x")
    assert.equal("WRITER_RETRYABLE: x", tostring(e))
    assert.has_error(function() vss.writer.error("WRITER_SOMETHING", "x") end,
      "bad argument #1 to 'error' (invalid value 'WRITER_SOMETHING' (expected "
        .. "WRITER_INCONSISTENTSNAPSHOT, WRITER_OUTOFRESOURCES, WRITER_TIMEOUT, WRITER_RETRYABLE or "
        .. "WRITER_NONRETRYABLE))")
    assert.equal("WRITER_TIMEOUT: WRITER_TIMEOUT", tostring(vss.writer.error("WRITER_TIMEOUT")))
  end)

  it("records a failure at every event as failed_at_<event>", function()
    local events = { "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
      "backup_complete", "backup_shutdown" }
    for _, ev in ipairs(events) do
      local log = {}
      local w = db_writer({ [ev] = function() error("no " .. ev) end }, log)
      local other = db_writer({ name = "other", instance_id = "33333333-3333-3333-3333-333333333333" }, log)
      local s = vss.writer.session { w, other }
      local result = run_backup(s, bcd { w, other })
      assert.matches(ev .. "=WRITER_NONRETRYABLE", result)
      assert.equal("failed_at_" .. (ev == "backup_shutdown" and "backupshutdown" or ev), w:state())
      assert.equal("stable", other:state())
      assert.truthy(log[#log]:match("backup_shutdown$"))
      local before_data = ev ~= "backup_complete" and ev ~= "backup_shutdown"
      assert.equal(before_data and "skip" or "keep", w:failed_policy())
      assert.equal(before_data and "fail" or "keep", w:failed_policy(true))
      assert.equal("keep", other:failed_policy(true))
    end
  end)

  it("stops a handler that loops forever at its deadline", function()
    local w = db_writer({
      timeouts = { prepare_snapshot = 0.1 },
      prepare_snapshot = function() while true do end end,
    }, {})
    local s = vss.writer.session { w }
    local bc = bcd { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bc))
    local t0 = clock()
    local ok, msg, code = s:prepare_snapshot()
    local took = clock() - t0
    assert.is_nil(ok)
    assert.equal("WRITER_TIMEOUT", code)
    assert.matches("deadline", msg)
    -- not before the deadline; and it did end (a loose bound: a loaded machine is slow)
    assert.is_true(took >= 0.1 and took < 10, "took " .. took)
    assert.equal("failed_at_prepare_snapshot", w:state())
    -- the hook is gone: this state runs code as before
    local n = 0
    for _ = 1, 100000 do n = n + 1 end
    assert.equal(100000, n)
  end)

  it("stops a handler that catches the deadline's error with pcall", function()
    local w = db_writer({
      timeouts = { event = 0.05 },
      prepare_snapshot = function()
        while true do pcall(function() while true do end end) end
      end,
    }, {})
    local s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    local _, _, code = s:prepare_snapshot()
    assert.equal("WRITER_TIMEOUT", code)
  end)

  it("bounds a freeze handler by the freeze-to-thaw window", function()
    local log = {}
    local w = db_writer({
      timeouts = { freeze_to_thaw = 0.05 },
      freeze = function() while true do end end,
    }, log)
    local s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    assert.is_true(s:prepare_snapshot())
    local _, _, code = s:freeze()
    assert.equal("WRITER_TIMEOUT", code)
    assert.equal("failed_at_freeze", w:state())
    assert.equal("db:abort", log[#log])
  end)

  it("fails the frozen writers whose window passed before thaw, and aborts them", function()
    local log = {}
    local short = db_writer({ timeouts = { freeze_to_thaw = 0.05 } }, log)
    local long = db_writer({ name = "long", instance_id = "33333333-3333-3333-3333-333333333333",
      timeouts = { freeze_to_thaw = 5 } }, log)
    local s = vss.writer.session { short, long }
    assert.is_true(s:identify())
    local bc = bcd { short, long }
    assert.is_true(s:prepare_backup(bc))
    assert.is_true(s:prepare_snapshot())
    assert.is_true(s:freeze())
    busy_wait(0.1)
    local ok, msg, code = s:thaw()
    assert.is_nil(ok)
    assert.equal("WRITER_TIMEOUT", code)
    assert.matches("freeze%-to%-thaw window", msg)
    assert.equal("failed_at_freeze", short:state())
    assert.equal("waiting_for_post_snapshot", long:state())
    assert.same({ "long:thaw", "db:abort" }, { log[#log - 1], log[#log] })
    local st = s:status()
    assert.equal("WRITER_TIMEOUT", st[1].code)
    assert.equal(0x800423F2, st[1].hresult)
    assert.is_nil(st[2].code)
  end)

  it("freezes front-end writers first, then back-end, then system; thaws in reverse", function()
    local log = {}
    local ws = {}
    for i, level in ipairs { "system", "front_end", "back_end" } do
      ws[i] = db_writer({ name = level, level = level,
        instance_id = ("%d"):rep(8):format(i, i, i, i, i, i, i, i) .. "-0000-0000-0000-000000000000" },
        log)
    end
    local s = vss.writer.session(ws)
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd(ws)))
    assert.is_true(s:prepare_snapshot())
    for k in pairs(log) do log[k] = nil end
    assert.is_true(s:freeze())
    assert.is_true(s:thaw())
    assert.same({ "front_end:freeze", "back_end:freeze", "system:freeze",
      "system:thaw", "back_end:thaw", "front_end:thaw" }, log)
    assert.equal("back_end", ws[3]:identity().level)
  end)

  it("always delivers backup_shutdown: on close, on <close>, on collection", function()
    local log = {}
    do
      local s <close> = vss.writer.session { db_writer({}, log) }
      assert.is_true(s:identify())
    end
    assert.equal("db:backup_shutdown", log[#log])
    local s = vss.writer.session { db_writer({ name = "gc" }, log) }
    assert.is_true(s:identify())
    s = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal("gc:backup_shutdown", log[#log])
    -- after an abort, too, and only once
    local w = db_writer({ name = "ab" }, log)
    s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    assert.is_true(s:abort())
    assert.equal("ab:abort", log[#log])
    assert.is_true(s:backup_shutdown())
    s:close()
    assert.equal("ab:backup_shutdown", log[#log])
    assert.equal("ab:abort", log[#log - 1])
    assert.matches("closed", tostring(s))
    local ok, err = pcall(s.identify, s)
    assert.is_false(ok)
    assert.matches("attempt to use a closed vss.WriterSession", err, 1, true)
  end)

  it("refuses events a handler sends to its own session", function()
    local s
    local w = db_writer({
      freeze = function() s:thaw() end,
      thaw = function() s:close() end,
    }, {})
    s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    assert.is_true(s:prepare_snapshot())
    local ok, msg, code = s:freeze()
    assert.is_nil(ok)
    assert.equal("WRITER_NONRETRYABLE", code)
    assert.matches("thaw: sent from inside a writer's handler", msg, 1, true)
    assert.equal("failed_at_freeze", w:state())
    assert.is_true(s:thaw()) -- nobody is frozen any more
    s:close()
    w = db_writer({ name = "closer", thaw = function() s:close() end }, {})
    s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    assert.is_true(s:prepare_snapshot())
    assert.is_true(s:freeze())
    ok, msg = s:thaw()
    assert.is_nil(ok)
    assert.matches("a writer's handler is running", msg, 1, true)
    s:close()
  end)

  it("raises for events out of order and for bad definitions", function()
    local w = db_writer({}, {})
    local s = vss.writer.session { w }
    assert.has_error(function() s:freeze() end)
    local ok, err = pcall(s.thaw, s)
    assert.is_false(ok)
    assert.matches("thaw: comes once, after freeze", err)
    assert.has_error(function() vss.writer.session { w } end) -- already in a session
    s:close()
    assert.truthy(vss.writer.session { w }) -- free again
    assert.has_error(function() vss.writer { name = "x", writer_id = WID } end)
    assert.has_error(function() vss.writer { name = "x", writer_id = WID, instance_id = IID,
      freez = function() end } end, "bad argument #1 to 'new' (unknown field 'freez')")
    assert.has_error(function() vss.writer { name = "x", writer_id = WID, instance_id = IID,
      freeze = 42 } end)
    assert.has_error(function() vss.writer { name = "x", writer_id = WID, instance_id = IID,
      timeouts = { freeze_to_thaw = -1 } } end)
    assert.has_error(function() vss.writer { name = "x", writer_id = WID, instance_id = IID,
      timeouts = { frezee = 1 } } end, "bad argument #1 to 'new' (timeouts: unknown field 'frezee')")
    assert.has_error(function() vss.writer.external { metadata = "/nonexistent",
      events = { frezee = { "true" } } } end,
      "bad argument #1 to 'external' (events: unknown field 'frezee')")
    assert.has_error(function() vss.writer { name = "x", writer_id = "not-a-guid",
      instance_id = IID } end)
    assert.has_error(function() vss.writer { name = "x", writer_id = WID, instance_id = IID,
      level = "middle" } end)
    assert.has_error(function() vss.writer.session { {} } end)
  end)
end)

describe("vss.writer.external", function()
  local dir
  before_each(function()
    dir = support.tmpdir()
    local wm = vss.metadata.new { name = "ext", writer_id = WID, instance_id = IID }
    wm:add_component("filegroup", nil, "files", { selectable = true })
    wm:add_files_to_file_group(nil, "files", "/srv/files", "*", true)
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    assert(wm:save(dir .. "/wmd.xml"))
  end)
  after_each(function() support.rm_rf(dir) end)

  local function script(name, body)
    local path = dir .. "/" .. name
    support.write(path, "#!/bin/sh\n" .. body .. "\n")
    assert(os.execute("chmod +x " .. support.q(path)))
    return path
  end

  it("loads its metadata from the file and runs its commands with the event's context", function()
    local env = dir .. "/env"
    local rec = script("rec.sh", ('echo "$VSS_EVENT $VSS_WRITER_NAME $VSS_BACKUP_TYPE ' ..
      '$VSS_SNAPSHOT_SET_ID ${VSS_BCD:+bcd} ${VSS_WMD:+wmd}" >> %s'):format(support.q(env)))
    local w = assert(vss.writer.external {
      metadata = dir .. "/wmd.xml",
      events = { identify = { rec }, prepare_backup = { rec }, freeze = { rec, "x" },
        backup_shutdown = { rec } },
    })
    assert.equal("ext", w:identity().name)
    assert.equal('vss.Writer(external "ext", stable)', tostring(w))
    local s = vss.writer.session { w }
    assert.equal("stable", w:state())
    assert.equal("stable", run_backup(s, bcd { w }) and w:state())
    assert.equal("files", w:metadata():get_component(1):get_component_info().component_name)
    assert.equal(table.concat({
      "identify ext wmd",
      "prepare_backup ext incremental bcd",
      "freeze ext incremental",
      "backup_shutdown ext incremental {set}",
    }, "\n") .. "\n", (support.read(env):gsub(" +\n", "\n"):gsub(" +", " ")))
  end)

  it("maps exit codes to writer error kinds, with the output in the message", function()
    local cases = {
      { "echo busy >&2; exit 75", "WRITER_RETRYABLE", "status 75: busy" },
      { "exit 71", "WRITER_OUTOFRESOURCES", "status 71" },
      { "exit 124", "WRITER_TIMEOUT", "status 124" },
      { "exit 79", "WRITER_INCONSISTENTSNAPSHOT", "status 79" },
      { "echo broken; exit 3", "WRITER_NONRETRYABLE", "status 3: broken" },
      { "kill -9 $$", "WRITER_NONRETRYABLE", "signal 9" },
    }
    for i, case in ipairs(cases) do
      local w = assert(vss.writer.external {
        metadata = dir .. "/wmd.xml",
        events = { prepare_snapshot = { script("s" .. i .. ".sh", case[1]) } },
      })
      local s = vss.writer.session { w }
      assert.is_true(s:identify())
      assert.is_true(s:prepare_backup(bcd { w }))
      local ok, msg, code = s:prepare_snapshot()
      assert.is_nil(ok)
      assert.equal(case[2], code)
      assert.matches(case[3], msg, 1, true)
      assert.equal("failed_at_prepare_snapshot", w:state())
      s:close()
    end
  end)

  it("kills a command that runs past its deadline", function()
    local w = assert(vss.writer.external {
      metadata = dir .. "/wmd.xml",
      events = { prepare_snapshot = { script("slow.sh", "echo starting; sleep 30") },
        freeze = { script("stubborn.sh", "trap '' TERM; sleep 30") } },
      timeouts = { prepare_snapshot = 0.2, freeze_to_thaw = 0.1 },
    })
    local s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    local t0 = clock()
    local ok, msg, code = s:prepare_snapshot()
    local took = clock() - t0
    assert.is_nil(ok)
    assert.equal("WRITER_TIMEOUT", code)
    assert.matches("stopped at its deadline: starting", msg, 1, true)
    -- killed, not waited for: the script sleeps 30 s. The deadline is kept
    -- with poll()'s millisecond timeouts, so allow for rounding below 0.2 s.
    assert.is_true(took >= 0.15 and took < 10, "took " .. took)
    assert.equal("failed_at_prepare_snapshot", w:state())
    s:close()
    -- one that ignores SIGTERM gets SIGKILL after the grace
    w = assert(vss.writer.external {
      metadata = dir .. "/wmd.xml",
      events = { freeze = { dir .. "/stubborn.sh" } },
      timeouts = { freeze_to_thaw = 0.1 },
    })
    s = vss.writer.session { w }
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bcd { w }))
    assert.is_true(s:prepare_snapshot())
    t0 = clock()
    ok, msg, code = s:freeze()
    took = clock() - t0
    assert.is_nil(ok)
    assert.equal("WRITER_TIMEOUT", code)
    assert.matches("stopped at its deadline", msg)
    assert.is_true(took < 10, "took " .. took)
    assert.equal("failed_at_freeze", w:state())
  end)

  it("sees the changes the command makes to the BCD it was given", function()
    local tmp = os.getenv("TMPDIR") or "/tmp"
    local function count_copies()
      return (support.sh("ls " .. support.q(tmp) .. " | grep -c '^vss-bcd-' || true"))
    end
    local copies_before = count_copies()
    -- the writer sets a backup stamp and adds a partial file, as a shell script can
    local edit = script("edit.sh", table.concat {
      [[sed -i 's|<COMPONENT componentName="files" componentType="filegroup"/>|]],
      [[<COMPONENT componentName="files" componentType="filegroup" backupStamp="ext-1">]],
      [[<PARTIAL_FILE path="/srv/files" filename="big" ranges="0:4096"/></COMPONENT>|' "$VSS_BCD"]],
    })
    local w = assert(vss.writer.external {
      metadata = dir .. "/wmd.xml", events = { post_snapshot = { edit } } })
    local s = vss.writer.session { w }
    local bc = vss.components.new { backup_type = "full", select_components = true,
      partial_file_support = true }
    bc:add_component({ writer_id = WID, instance_id = IID }, "filegroup", nil, "files")
    assert.is_true(s:identify())
    assert.is_true(s:prepare_backup(bc))
    assert.is_true(s:prepare_snapshot())
    assert.is_true(s:freeze())
    assert.is_true(s:thaw())
    assert.is_true(s:post_snapshot(bc))
    local c = bc:get_component(WID, nil, "files")
    assert.equal("ext-1", c:get_backup_stamp())
    assert.same({ "/srv/files", "big", "0:4096" }, { c:get_partial_file(1) })
    -- no temporary copy is left behind
    assert.equal(copies_before, count_copies())
  end)

  it("reports an unreadable metadata file and an unstartable command", function()
    local w, msg, code = vss.writer.external { metadata = dir .. "/missing.xml" }
    assert.is_nil(w)
    assert.equal("ENOENT", code)
    assert.matches("missing.xml", msg)
    w = assert(vss.writer.external { metadata = dir .. "/wmd.xml",
      events = { identify = { dir .. "/no-such-program" } } })
    local s = vss.writer.session { w }
    local ok, m, c = s:identify()
    assert.is_nil(ok)
    assert.equal("WRITER_NONRETRYABLE", c)
    assert.matches("cannot run", m)
    assert.equal("failed_at_identify", w:state())
    assert.has_error(function() vss.writer.external { metadata = dir .. "/wmd.xml",
      events = { freez = { "true" } } } end)
    assert.has_error(function() vss.writer.external { metadata = dir .. "/wmd.xml",
      events = { freeze = {} } } end)
  end)
end)
