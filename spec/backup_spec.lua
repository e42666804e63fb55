-- vss.backup: the requester flow end to end, with Lua writers over real
-- files in temporary directories and a real store (docs/model.md §1,
-- §5, §6.3-6.5).
local vss = require "vss"
local support = require "support"

local WID = "11111111-1111-1111-1111-111111111111"
local IID = "22222222-2222-2222-2222-222222222222"
local WID2 = "33333333-3333-3333-3333-333333333333"
local IID2 = "44444444-4444-4444-4444-444444444444"

local mkdir, pattern = support.mkdir, support.pattern

-- The database writer's identify: <dir>/db/*.db as database files (with
-- db_mask, default 0xF0F), <dir>/log/*.log as its log files, then more(wm).
local function db_identify(dir, schema, db_mask, more)
  return function(wm)
    if schema then wm:set_backup_schema(schema) end
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    wm:add_component("database", nil, "main", { selectable = false })
    wm:add_database_files(nil, "main", dir .. "/db", "*.db", db_mask)
    wm:add_database_log_files(nil, "main", dir .. "/log", "*.log")
    if more then more(wm) end
  end
end

-- A database writer over db_identify. `over` replaces or adds handlers and fields.
local function db_writer(dir, over)
  local def = {
    name = "db", writer_id = WID, instance_id = IID,
    identify = db_identify(dir, { "incremental", "differential", "timestamped", "last_modify" }),
  }
  for k, v in pairs(over or {}) do def[k] = v end
  return vss.writer(def)
end

local entries_by_name = support.entries_by_name

describe("vss.backup", function()
  local dir, storedir
  before_each(function()
    dir = support.tmpdir()
    storedir = dir .. "/store"
    mkdir(dir .. "/db")
    mkdir(dir .. "/log")
    support.write(dir .. "/db/main.db", pattern(65536, 1))
    support.write(dir .. "/log/0001.log", "log one")
    support.write(dir .. "/log/0002.log", "log two")
  end)
  after_each(function() support.rm_rf(dir) end)

  it("backs up a writer's database and log files in full, stored and listed", function()
    local w = db_writer(dir)
    local r, msg = vss.backup{ writers = { w }, store = storedir, snapshot = false }
    assert.is_table(r, msg)
    assert.equal("full", r.type)
    assert.equal(3, r.files)
    assert.equal(65536 + 7 + 7, r.bytes)
    assert.same({ "db", "stable", "full", false },
      { r.writers[1].name, r.writers[1].state, r.writers[1].type, r.writers[1].skipped })
    local store = assert(vss.store.open(storedir))
    local list = store:list()
    assert.equal(1, #list)
    assert.equal(r.id, list[1].id)
    assert.equal("full", list[1].type)
    for _, name in ipairs { "/db/main.db", "/log/0001.log", "/log/0002.log" } do
      assert.equal(support.read(dir .. name), store:read(r.id, dir .. name))
    end
    -- the BCD and the writer's WMD are kept with the backup (§1: SaveAsXML)
    local shown = store:show(r.id)
    assert.same({ IID }, shown.writer_metadata)
    local bc = vss.components.parse(shown.components)
    local cs = bc:get_component(WID, nil, "main")
    assert.is_true(cs:get_backup_succeeded())
    assert.equal(r.components:xml(), shown.components)
    local wm = vss.metadata.parse(store:document(r.id, IID))
    assert.equal("db", wm:get_identity().name)
  end)

  it("stores an incremental's partial files as their ranges only, and carries stamps", function()
    local seen, changed, n = {}, nil, 0
    local w = db_writer(dir, {
      prepare_backup = function(_, comps)
        seen[#seen + 1] = comps[1]:get_previous_backup_stamp() or "none"
      end,
      post_snapshot = function(_, comps)
        n = n + 1
        comps[1]:set_backup_stamp("lsn-" .. n)
        if changed then comps[1]:add_partial_file(dir .. "/db", "main.db", changed) end
      end,
    })
    local full = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    -- change bytes inside and outside the ranges the writer will report
    local new = pattern(65536, 99)
    support.write(dir .. "/db/main.db", new)
    changed = "4096:4096,40000:100"
    local inc, msg = vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental", partial_file_support = true }
    assert.is_table(inc, msg)
    assert.equal("incremental", inc.writers[1].type)
    assert.same({ "none", "lsn-1" }, seen)
    local store = assert(vss.store.open(storedir))
    local e = entries_by_name(store, inc.id)[dir .. "/db/main.db"]
    assert.equal("partial", e.kind)
    assert.equal("4096:4096,40000:100", e.ranges:format())
    assert.equal(4196, e.stored)
    assert.equal(4196 + 14, inc.bytes)
    -- the ranges hold the new bytes; outside them the store has nothing (holes)
    assert.equal(#new, e.size)
    -- read composes the file as of the incremental: the full's copy, the ranges laid over it
    local old = assert(store:read(full.id, dir .. "/db/main.db"))
    assert.equal(65536, #old)
    assert.not_equal(old:sub(4097, 8192), new:sub(4097, 8192))
    local got = assert(store:read(inc.id, dir .. "/db/main.db"))
    assert.equal(#new, #got)
    assert.equal(new:sub(4097, 8192), got:sub(4097, 8192))
    assert.equal(new:sub(40001, 40100), got:sub(40001, 40100))
    assert.equal(old:sub(1, 4096), got:sub(1, 4096))
    assert.equal(old:sub(8193, 40000), got:sub(8193, 40000))
    assert.equal(old:sub(40101), got:sub(40101))
    assert.is_nil(got:find(new:sub(20001, 20100), 1, true))
    -- the full backup still holds the old file whole
    assert.equal(pattern(65536, 1), store:read(full.id, dir .. "/db/main.db"))
    -- a third backup sees the second one's stamp
    changed = nil
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false, type = "incremental" })
    assert.same({ "none", "lsn-1", "lsn-2" }, seen)
    local bc = vss.components.parse(store:show(inc.id).components)
    local cs = bc:get_component(WID, nil, "main")
    assert.equal("lsn-2", cs:get_backup_stamp())
    assert.equal("lsn-1", cs:get_previous_backup_stamp())
  end)

  it("takes no stamp from a copy backup, and a differential's from the last full", function()
    local seen, n = {}, 0
    local w = db_writer(dir, {
      prepare_backup = function(_, comps)
        seen[#seen + 1] = comps[1]:get_previous_backup_stamp() or "none"
      end,
      post_snapshot = function(_, comps) n = n + 1; comps[1]:set_backup_stamp("s" .. n) end,
    })
    for _, t in ipairs { "full", "copy", "incremental", "differential" } do
      local r, msg = vss.backup{ writers = { w }, store = storedir, snapshot = false, type = t }
      assert.is_table(r, msg)
    end
    assert.same({ "none", "none", "s1", "s1" }, seen)
  end)

  -- The log-backup decision (README, Backup, "Type" and "Stamps"): as in VSS a
  -- log backup is incremental-like. It builds on the latest backup but a copy,
  -- and an incremental or another log builds on it; the stamp an incremental's
  -- writer sees comes from the backup it builds on (a log backup too), by the
  -- rule that picks the base. A log backup's writers are told no previous
  -- stamp: VSS sets one for incremental and differential backups only.
  -- Each case: the types in order, the backup each builds on (its index; 0 for
  -- none) and the previous stamp its writer sees (backup i stamps "s<i>").
  for _, case in ipairs {
    { types = { "full", "log", "incremental" }, base = { 0, 1, 2 }, seen = { "none", "none", "s2" } },
    { types = { "full", "incremental", "log" }, base = { 0, 1, 2 }, seen = { "none", "s1", "none" } },
    { types = { "full", "log", "log", "differential" }, base = { 0, 1, 2, 1 },
      seen = { "none", "none", "none", "s1" } },
  } do
    it("builds " .. table.concat(case.types, " -> ") .. " by one rule for base and stamp", function()
      local seen, n = {}, 0
      local w = db_writer(dir, {
        identify = db_identify(dir, { "incremental", "differential", "log", "timestamped" }),
        prepare_backup = function(_, comps)
          seen[#seen + 1] = comps[1]:get_previous_backup_stamp() or "none"
        end,
        post_snapshot = function(_, comps) n = n + 1; comps[1]:set_backup_stamp("s" .. n) end,
      })
      local ids = {}
      for i, t in ipairs(case.types) do
        local r, msg = vss.backup{ writers = { w }, store = storedir, snapshot = false, type = t }
        assert.is_table(r, msg)
        assert.same({ t, t }, { r.type, r.writers[1].type })
        ids[i] = r.id
      end
      local bases, want = {}, {}
      for i, b in ipairs(assert(vss.store.open(storedir)):list()) do
        bases[i], want[i] = b.base or "", ids[case.base[i]] or ""
      end
      assert.same(want, bases)
      assert.same(case.seen, seen)
    end)
  end

  it("falls back to full for a writer whose schema lacks the type", function()
    -- incremental backups need only the logs, yet the writer cannot take one
    local w = db_writer(dir, { identify = db_identify(dir, nil, { "full_backup_required" }) })
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental" })
    assert.equal("full", r.writers[1].type)
    assert.equal(3, r.files)
  end)

  it("backs up only the files whose *_BACKUP_REQUIRED bit matches the type", function()
    local w = db_writer(dir,
      { identify = db_identify(dir, { "incremental" }, { "full_backup_required" }) })
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental" })
    assert.equal(2, r.files)
    local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
    assert.is_nil(names[dir .. "/db/main.db"])
    assert.is_table(names[dir .. "/log/0001.log"])
  end)

  it("honours writer-level excludes", function()
    support.write(dir .. "/log/tmp.log", "scratch")
    local w = db_writer(dir, { identify = db_identify(dir, nil, nil, function(wm)
      wm:add_exclude_files(dir .. "/log", "tmp.*", false)
    end) })
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    assert.equal(3, r.files)
    assert.is_nil(entries_by_name(assert(vss.store.open(storedir)), r.id)[dir .. "/log/tmp.log"])
  end)

  it("selects components: selectable ones by name, nonselectable ones always", function()
    mkdir(dir .. "/a")
    mkdir(dir .. "/b")
    mkdir(dir .. "/c")
    support.write(dir .. "/a/x", "a")
    support.write(dir .. "/b/x", "b")
    support.write(dir .. "/c/x", "c")
    local w = vss.writer{ name = "files", writer_id = WID, instance_id = IID,
      identify = function(wm)
        wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
        for _, n in ipairs { "a", "b" } do
          wm:add_component("filegroup", "sets", n, { selectable = true })
          wm:add_files_to_file_group("sets", n, dir .. "/" .. n, "*", false)
        end
        wm:add_component("filegroup", nil, "c", { selectable = false })
        wm:add_files_to_file_group(nil, "c", dir .. "/c", "*", false)
      end }
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 select = { "sets\\a" } })
    local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
    assert.is_table(names[dir .. "/a/x"])
    assert.is_nil(names[dir .. "/b/x"])
    assert.is_table(names[dir .. "/c/x"])
    assert.is_nil(r.components:get_component(WID, "sets", "b"))
    assert.truthy(r.components:get_component(WID, nil, "c"))
  end)

  describe("a writer failing at freeze", function()
    local function two_writers()
      mkdir(dir .. "/other")
      support.write(dir .. "/other/o.dat", "other data")
      local log = {}
      local bad = db_writer(dir, {
        freeze = function() error("database will not freeze") end,
        abort = function() log[#log + 1] = "db:abort" end,
        backup_shutdown = function() log[#log + 1] = "db:backup_shutdown" end,
      })
      local good = vss.writer{ name = "other", writer_id = WID2, instance_id = IID2,
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
          wm:add_component("filegroup", nil, "o", { selectable = false })
          wm:add_files_to_file_group(nil, "o", dir .. "/other", "*", false)
        end,
        backup_shutdown = function() log[#log + 1] = "other:backup_shutdown" end }
      return bad, good, log
    end

    it("leaves its components out and the rest goes on", function()
      local bad, good, log = two_writers()
      local r, msg = vss.backup{ writers = { bad, good }, store = storedir, snapshot = false }
      assert.is_table(r, msg)
      assert.same({ "failed_at_freeze", true, "WRITER_NONRETRYABLE" },
        { r.writers[1].state, r.writers[1].skipped, r.writers[1].code })
      assert.matches("will not freeze", r.writers[1].failure)
      assert.is_false(r.writers[2].skipped)
      assert.equal(1, r.files)
      local store = assert(vss.store.open(storedir))
      local names = entries_by_name(store, r.id)
      assert.is_table(names[dir .. "/other/o.dat"])
      assert.is_nil(names[dir .. "/db/main.db"])
      local bc = vss.components.parse(store:show(r.id).components)
      assert.is_false(bc:get_component(WID, nil, "main"):get_backup_succeeded())
      assert.is_true(bc:get_component(WID2, nil, "o"):get_backup_succeeded())
      assert.same({ "db:abort", "db:backup_shutdown", "other:backup_shutdown" }, log)
    end)

    -- Bases are per component (docs/model.md §6.5): a component whose writer failed is not in
    -- that backup; the next incremental of it builds on its last success, and a restore of any
    -- point gives it as of its last success, saying which backup that was.
    it("is restored as of its last success at every point of the chain that follows", function()
      local bad, good = two_writers()
      local full = assert(vss.backup{ writers = { bad, good }, store = storedir, snapshot = false })
      assert.is_true(full.writers[1].skipped)
      support.write(dir .. "/other/o.dat", "other data, 2")
      support.write(dir .. "/db/main.db", pattern(65536, 2))
      local inc = assert(vss.backup{ writers = { db_writer(dir), good }, store = storedir,
                                     type = "incremental", snapshot = false })
      assert.equal("incremental", inc.type)
      -- nothing of it to build on in the chain: its writer takes a full backup (the other's
      -- schema has no incremental)
      assert.equal("full", inc.writers[1].type)
      assert.equal(4, inc.files)
      local at_inc = {}
      for _, name in ipairs { "/db/main.db", "/log/0001.log", "/log/0002.log", "/other/o.dat" } do
        at_inc[name] = support.read(dir .. name)
      end
      local function restore(id, to)
        local r, msg = vss.restore{ store = storedir, backup = id, location = "new",
                                    to = dir .. to, progress = false }
        assert.is_table(r, msg)
        local from = {}
        for _, c in ipairs(r.components) do from[c.name] = c.backup end
        return r, from
      end
      local function check(to, want)
        for name, data in pairs(want) do
          assert.equal(data, support.read(dir .. to .. dir .. name), name)
        end
      end
      local r, from = restore(inc.id, "/r1")
      check("/r1", at_inc)
      assert.equal(4, r.restored)
      assert.same({ main = inc.id, o = inc.id }, from)
      -- the full alone: the failed component is not there
      r, from = restore(full.id, "/r0")
      assert.same({ o = full.id }, from)
      assert.equal(1, r.restored)
      -- it fails again: the latest point gives it as of the incremental
      support.write(dir .. "/other/o.dat", "other data, 3")
      support.write(dir .. "/db/main.db", pattern(65536, 3))
      local bad2 = db_writer(dir, { freeze = function() error("not again") end })
      local inc2 = assert(vss.backup{ writers = { bad2, good }, store = storedir,
                                      type = "incremental", snapshot = false })
      assert.is_true(inc2.writers[1].skipped)
      r, from = restore(inc2.id, "/r2")
      assert.equal(4, r.restored)
      check("/r2", { ["/db/main.db"] = at_inc["/db/main.db"], ["/log/0001.log"] = "log one",
                     ["/other/o.dat"] = "other data, 3" })
      assert.same({ main = inc.id, o = inc2.id }, from)
      -- with writers, a step per backup: the failed one's step leaves it as the earlier laid it
      local rw = assert(vss.restore{ store = storedir, backup = inc2.id, writers = { db_writer(dir), good },
                                     location = "new", to = dir .. "/r2w", progress = false })
      check("/r2w", { ["/db/main.db"] = at_inc["/db/main.db"], ["/other/o.dat"] = "other data, 3" })
      assert.equal(3, #rw.steps)
      local fromw = {}
      for _, c in ipairs(rw.components) do fromw[c.name] = c.backup end
      assert.same({ main = inc.id, o = inc2.id }, fromw)
      -- its identify fails: the same, from documents the latest backup does not hold
      local mute = db_writer(dir, { identify = function() error("no metadata") end })
      support.write(dir .. "/other/o.dat", "other data, 4")
      local inc3 = assert(vss.backup{ writers = { mute, good }, store = storedir,
                                      type = "incremental", snapshot = false })
      r, from = restore(inc3.id, "/r3")
      assert.equal(4, r.restored)
      check("/r3", { ["/db/main.db"] = at_inc["/db/main.db"], ["/other/o.dat"] = "other data, 4" })
      assert.same({ main = inc.id, o = inc3.id }, from)
      -- a differential builds on the full, where it failed; its last success (the first
      -- incremental) is outside that chain: its writer takes a full backup
      local diff = assert(vss.backup{ writers = { db_writer(dir), good }, store = storedir,
                                      type = "differential", snapshot = false })
      assert.equal("full", diff.writers[1].type)
      r, from = restore(diff.id, "/r4")
      assert.equal(4, r.restored)
      check("/r4", { ["/db/main.db"] = pattern(65536, 3), ["/other/o.dat"] = "other data, 4" })
      assert.same({ main = diff.id, o = diff.id }, from)
      -- the next incremental of it builds on the differential
      local inc4 = assert(vss.backup{ writers = { db_writer(dir), good }, store = storedir,
                                      type = "incremental", snapshot = false })
      assert.equal("incremental", inc4.writers[1].type)
      -- a new full where it fails: the whole chain lacks it, so it comes back as of its last
      -- success before that full (restored with its own chain), and the result says so
      support.write(dir .. "/db/main.db", pattern(65536, 4))
      local full2 = assert(vss.backup{ writers = { bad, good }, store = storedir, snapshot = false })
      r, from = restore(full2.id, "/r5")
      assert.equal(4, r.restored)
      check("/r5", { ["/db/main.db"] = pattern(65536, 3), ["/log/0002.log"] = "log two",
                     ["/other/o.dat"] = "other data, 4" })
      assert.same({ main = inc4.id, o = full2.id }, from)
      rw = assert(vss.restore{ store = storedir, backup = full2.id, writers = { db_writer(dir), good },
                               location = "new", to = dir .. "/r5w", progress = false })
      check("/r5w", { ["/db/main.db"] = pattern(65536, 3), ["/other/o.dat"] = "other data, 4" })
      fromw = {}
      for _, c in ipairs(rw.components) do fromw[c.name] = c.backup end
      assert.same({ main = inc4.id, o = full2.id }, fromw)
      local inc5 = assert(vss.backup{ writers = { bad2, good }, store = storedir,
                                      type = "incremental", snapshot = false })
      r, from = restore(inc5.id, "/r6")
      assert.equal(4, r.restored)
      check("/r6", { ["/db/main.db"] = pattern(65536, 3), ["/other/o.dat"] = "other data, 4" })
      assert.same({ main = inc4.id, o = inc5.id }, from)
      -- naming only the other component leaves it out
      r, from = vss.restore{ store = storedir, backup = inc5.id, location = "new", to = dir .. "/r7",
                             components = { "o" }, progress = false }
      assert.is_table(r, from)
      assert.same({ "o" }, { r.components[1].name, r.components[2] and r.components[2].name })
      assert.is_nil(support.exists(dir .. "/r7" .. dir .. "/db/main.db") or nil)
      -- naming it: its last success, also before the chain's full, and with writers (whose
      -- step of a backup where it failed does not refuse the name)
      r, from = vss.restore{ store = storedir, backup = full2.id, location = "new", to = dir .. "/r8",
                             components = { "main" }, progress = false }
      assert.is_table(r, from)
      assert.same({ "main", inc4.id, 3 }, { r.components[1].name, r.components[1].backup, r.restored })
      r, from = vss.restore{ store = storedir, backup = inc2.id, location = "new", to = dir .. "/r9",
                             components = { "main" }, writers = { db_writer(dir), good }, progress = false }
      assert.is_table(r, from)
      assert.same({ "main", inc.id, 3 }, { r.components[1].name, r.components[1].backup, r.restored })
      assert.equal(at_inc["/db/main.db"], support.read(dir .. "/r9" .. dir .. "/db/main.db"))
      -- a name nothing holds: refused before anything is laid
      r, from = vss.restore{ store = storedir, location = "new", to = dir .. "/r10",
                             components = { "mian" }, progress = false }
      assert.is_nil(r)
      assert.matches("'mian' names no component", from)
      assert.is_nil(support.exists(dir .. "/r10") or nil)
      -- a chain that never names it (its identify failed in the full): not brought back
      local full3 = assert(vss.backup{ writers = { mute, good }, store = storedir, snapshot = false })
      r, from = restore(full3.id, "/r11")
      assert.same({ o = full3.id }, from)
      assert.equal(1, r.restored)
    end)

    it("commits nothing when every writer fails, naming each and its failure", function()
      assert(vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false })
      local store = assert(vss.store.open(storedir))
      local before = store:list()
      local bad = db_writer(dir, { freeze = function() error(vss.writer.retryable("busy")) end })
      local other = vss.writer{ name = "other", writer_id = WID2, instance_id = IID2,
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
          wm:add_component("filegroup", nil, "o", { selectable = false })
          wm:add_files_to_file_group(nil, "o", dir .. "/log", "*", false)
        end,
        freeze = function() error("disk on fire") end }
      for _, type in ipairs { "full", "incremental" } do
        local r, msg, code, writers = vss.backup{ writers = { bad, other }, store = storedir,
                                                  type = type, snapshot = false }
        assert.is_nil(r)
        assert.equal("WRITER_RETRYABLE", code)
        assert.matches("writer 'db' failed at freeze: busy", msg, 1, true)
        assert.matches("writer 'other' failed at freeze: .*disk on fire", msg)
        assert.same({ "failed_at_freeze", "failed_at_freeze" }, { writers[1].state, writers[2].state })
        assert.same(before, store:list())
      end
      -- one of them fine: a backup of what it holds
      local r = assert(vss.backup{ writers = { bad, db_writer(dir, { name = "db2", writer_id = WID2,
                                   instance_id = IID2 }) }, store = storedir, snapshot = false })
      assert.same({ true, false }, { r.writers[1].skipped, r.writers[2].skipped })
    end)

    it("fails the backup when its components were selected, leaving the store as it was", function()
      assert(vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false })
      local store = assert(vss.store.open(storedir))
      local before = store:list()
      local bad, good, log = two_writers()
      local r, msg, code, writers = vss.backup{ writers = { bad, good }, store = storedir,
                                                snapshot = false, select = { "main", "o" } }
      assert.is_nil(r)
      assert.equal("WRITER_NONRETRYABLE", code)
      assert.matches("writer 'db' failed: .*will not freeze", msg)
      assert.equal("failed_at_freeze", writers[1].state)
      assert.same(before, store:list())
      local incoming = support.sh("ls -A " .. support.q(storedir .. "/incoming") .. " 2>/dev/null")
      assert.equal("", incoming)
      -- backup_shutdown always, also on failure
      assert.same({ "db:abort", "db:backup_shutdown", "other:backup_shutdown" }, log)
      -- the writers can take part in the next backup
      local again = assert(vss.backup{ writers = { good }, store = storedir, snapshot = false })
      assert.equal(1, again.files)
    end)
  end)

  it("drops a writer failing at any event up to post_snapshot, keeps one failing later", function()
    local keeps = { backup_complete = true, backup_shutdown = true }
    local store = assert(vss.store.open(storedir, { create = true }))
    for _, ev in ipairs { "identify", "prepare_backup", "prepare_snapshot", "freeze", "thaw",
                          "post_snapshot", "backup_complete", "backup_shutdown" } do
      local w = db_writer(dir, { [ev] = function() error(vss.writer.retryable("busy")) end })
      local before = store:list()
      local r, msg, code, writers = vss.backup{ writers = { w }, store = storedir, snapshot = false }
      -- VSS_WS_FAILED_AT_BACKUPSHUTDOWN has no underscore between the words
      local state = "failed_at_" .. ev:gsub("backup_shutdown", "backupshutdown")
      if keeps[ev] then
        assert.is_table(r, msg)
        assert.equal(state, r.writers[1].state, ev)
        assert.equal("WRITER_RETRYABLE", r.writers[1].code, ev)
        assert.equal(3, r.files, ev)
        local bc = vss.components.parse(store:show(r.id).components)
        assert.is_true(bc:get_component(WID, nil, "main"):get_backup_succeeded(), ev)
      else
        -- the backup would hold nothing: no backup, the store as it was
        assert.is_nil(r, ev)
        assert.equal("WRITER_RETRYABLE", code, ev)
        assert.matches("writer 'db' " .. state:gsub("_", " ") .. ": busy", msg, 1, true)
        assert.equal(state, writers[1].state, ev)
        assert.same(before, store:list(), ev)
      end
    end
  end)

  it("goes on without a writer whose identify failed, unless select names it", function()
    local broken = db_writer(dir, { name = "broken", writer_id = WID2, instance_id = IID2,
      identify = function() error("no metadata today") end })
    local store = assert(vss.store.open(storedir, { create = true }))
    local r = assert(vss.backup{ writers = { db_writer(dir), broken }, store = store,
                                 snapshot = false })
    assert.same({ "failed_at_identify", false }, { r.writers[2].state, r.writers[2].included })
    assert.equal(3, r.files)
    local r2, msg, code = vss.backup{ writers = { db_writer(dir), broken }, store = store,
                                      snapshot = false, select = { "broken" } }
    assert.is_nil(r2)
    assert.equal("WRITER_NONRETRYABLE", code)
    assert.matches("writer 'broken' failed: .*no metadata today", msg)
    assert.equal(1, #store:list())
  end)

  it("fails without committing when a file set's directory is missing", function()
    local w = db_writer(dir .. "/nowhere")
    local r, msg, code = vss.backup{ writers = { w }, store = storedir, snapshot = false }
    assert.is_nil(r)
    assert.equal("ENOENT", code)
    assert.matches("nowhere", msg)
    assert.same({}, assert(vss.store.open(storedir)):list())
  end)

  it("backs up differenced files only when changed since the chain recorded them", function()
    support.write(dir .. "/log/old.log", "old")
    local w = db_writer(dir, {
      post_snapshot = function(bc, comps)
        if bc:get_backup_state().backup_type == "incremental" then
          comps[1]:add_differenced_files_by_last_modify_time(dir .. "/log", "*.log", false, 0)
        end
      end,
    })
    -- the old logs are in the full backup as they are; one new log after it
    -- (writer time 0: the requester compares with what the chain recorded)
    support.sh("touch -d '2001-01-01' " .. support.q(dir .. "/log") .. "/*.log")
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    support.write(dir .. "/log/0003.log", "log three")
    support.sh("touch -d '2001-01-01' " .. support.q(dir .. "/log/0003.log"))
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental" })
    local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
    assert.is_table(names[dir .. "/log/0003.log"])
    assert.is_nil(names[dir .. "/log/0001.log"])
    assert.is_nil(names[dir .. "/log/old.log"])
    assert.is_table(names[dir .. "/db/main.db"]) -- not a differenced set: whole
    assert.equal(2, r.files)
    for name, e in pairs(names) do assert.not_equal("deleted", e.kind, name) end
  end)

  it("records files gone since the chain's last backup as deleted, once", function()
    local w = db_writer(dir)
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    os.remove(dir .. "/log/0001.log")
    local store = assert(vss.store.open(storedir))
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental" })
    local names = entries_by_name(store, r.id)
    assert.equal("deleted", names[dir .. "/log/0001.log"].kind)
    assert.equal("file", names[dir .. "/log/0002.log"].kind)
    local r2 = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                  type = "incremental" })
    assert.is_nil(entries_by_name(store, r2.id)[dir .. "/log/0001.log"])
    -- a differential looks back to the full backup, which still had it
    local r3 = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                  type = "differential" })
    assert.equal("deleted", entries_by_name(store, r3.id)[dir .. "/log/0001.log"].kind)
  end)

  it("honours a differenced file set's own time", function()
    local cut = os.time() - 3600
    support.sh("touch -d '@" .. (cut - 60) .. "' " .. support.q(dir .. "/log/0001.log"))
    support.sh("touch -d '@" .. (cut + 60) .. "' " .. support.q(dir .. "/log/0002.log"))
    local w = db_writer(dir, {
      post_snapshot = function(_, comps)
        comps[1]:add_differenced_files_by_last_modify_time(dir .. "/log", "*.log", false,
          vss.components.filetime(cut))
      end,
    })
    assert(vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false })
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental" })
    local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
    assert.is_nil(names[dir .. "/log/0001.log"])
    assert.is_table(names[dir .. "/log/0002.log"])
  end)

  it("keeps the ranges file a partial file names", function()
    local rf = dir .. "/main.ranges"
    local w = db_writer(dir, {
      post_snapshot = function(bc, comps)
        if bc:get_backup_state().backup_type == "incremental" then
          assert(vss.ranges.parse("0:16,100:4"):save(rf))
          comps[1]:add_partial_file(dir .. "/db", "main.db", "File=" .. rf)
        end
      end,
    })
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
                                 type = "incremental", partial_file_support = true })
    local e = entries_by_name(assert(vss.store.open(storedir)), r.id)[dir .. "/db/main.db"]
    assert.equal("partial", e.kind)
    assert.equal("0:16,100:4", e.ranges:format())
    assert.equal(rf, e.ranges_file)
  end)

  it("stores a ranges file and the ranges it copied from one read of it", function()
    local rf = dir .. "/main.ranges"
    local w = db_writer(dir, {
      post_snapshot = function(bc, comps)
        if bc:get_backup_state().backup_type == "incremental" then
          assert(vss.ranges.parse("0:16,100:4"):save(rf))
          comps[1]:add_partial_file(dir .. "/db", "main.db", "File=" .. rf)
        end
      end,
    })
    assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    -- the file is rewritten after the plan was made, before any data moves
    -- (the first progress call): what is stored follows the one version read
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false,
      type = "incremental", partial_file_support = true,
      progress = function(p)
        if p.files == 0 then assert(vss.ranges.parse("8:8"):save(rf)) end
      end })
    local e = entries_by_name(assert(vss.store.open(storedir)), r.id)[dir .. "/db/main.db"]
    assert.equal("8:8", e.ranges:format())
    assert.equal(8, e.stored)
    -- the ranges file kept is that version too: a restore lays it back
    local kept = support.read(rf)
    os.remove(rf)
    local to = dir .. "/out"
    assert(vss.restore{ store = storedir, target = "new", to = to, progress = false })
    assert.equal(kept, support.read(to .. dir .. "/db/main.ranges"))
  end)

  it("reads an alternate location's files and stores them under the set's path", function()
    mkdir(dir .. "/alt")
    support.write(dir .. "/alt/a.txt", "from the alternate location")
    local w = vss.writer{ name = "alt", writer_id = WID, instance_id = IID,
      identify = function(wm)
        wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
        wm:add_component("filegroup", nil, "g", { selectable = false })
        wm:add_files_to_file_group(nil, "g", dir .. "/orig", "*", false, dir .. "/alt")
      end }
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    assert.equal(1, r.files)
    assert.equal("from the alternate location",
      assert(vss.store.open(storedir)):read(r.id, dir .. "/orig/a.txt"))
  end)

  it("resolves Windows-form paths of the documents through root", function()
    local w = vss.writer{ name = "win", writer_id = WID, instance_id = IID,
      identify = function(wm)
        wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
        wm:add_component("database", nil, "main", { selectable = false })
        wm:add_database_files(nil, "main", [[C:\Data\db\]], "*.db")
        wm:add_database_log_files(nil, "main", [[%LOGS%]], "*.log")
      end }
    local map = vss.filespec.path_map{ ["C:\\Data"] = dir, ["%LOGS%"] = dir .. "/log" }
    local r = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false, root = map })
    assert.equal(3, r.files)
    local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
    assert.is_table(names[dir .. "/db/main.db"])
    assert.is_table(names[dir .. "/log/0002.log"])
    -- a path no prefix maps is an error, not a guess
    local bad = vss.filespec.path_map{ ["D:"] = dir }
    local r2, _, code = vss.backup{ writers = { w }, store = storedir, snapshot = false, root = bad }
    assert.is_nil(r2)
    assert.equal("ENOENT", code)
  end)

  it("reads from the snapshot taken while the writer was frozen", function()
    local before = support.read(dir .. "/db/main.db")
    local w = db_writer(dir, {
      -- the application resumes writing at thaw: after the snapshot
      thaw = function() support.write(dir .. "/db/main.db", "written after the snapshot") end,
    })
    local r, msg = vss.backup{ writers = { w }, store = storedir, snapshot = "auto" }
    assert.is_table(r, msg)
    local store = assert(vss.store.open(storedir))
    assert.equal(before, store:read(r.id, dir .. "/db/main.db"))
    assert.matches("^" .. ("%x"):rep(8) .. "%-", r.components:get_backup_state().snapshot_set_id or "")
    -- without a snapshot, the live file is read
    support.write(dir .. "/db/main.db", before)
    local live = assert(vss.backup{ writers = { w }, store = storedir, snapshot = false })
    assert.equal("written after the snapshot", store:read(live.id, dir .. "/db/main.db"))
  end)

  it("reports progress with totals", function()
    local calls = {}
    local r = assert(vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false,
      progress = function(p) calls[#calls + 1] = p end })
    assert.equal(4, #calls)
    assert.same({ 0, 0, 3, r.bytes }, { calls[1].files, calls[1].bytes, calls[1].files_total,
      calls[1].bytes_total })
    assert.same({ 3, r.bytes }, { calls[4].files, calls[4].bytes })
  end)

  it("stops when the progress callback raises, committing nothing", function()
    local r, msg, code = vss.backup{ writers = { db_writer(dir) }, store = storedir,
      snapshot = false, progress = function(p) if p.files == 1 then error("enough") end end }
    assert.is_nil(r)
    assert.equal("ECANCELED", code)
    assert.matches("enough", msg)
    assert.same({}, assert(vss.store.open(storedir)):list())
  end)

  it("takes a full backup when an incremental, differential or log has no base", function()
    for _, t in ipairs { "incremental", "differential", "log" } do
      local store = storedir .. "-" .. t
      local states = {}
      local w = db_writer(dir, {
        identify = db_identify(dir, { "incremental", "differential", "log", "timestamped" }),
        prepare_backup = function(bc) states[#states + 1] = bc:get_backup_state().backup_type end,
      })
      local r, msg = vss.backup{ writers = { w }, store = store, snapshot = false, type = t }
      assert.is_table(r, msg)
      assert.equal("full", r.type, t)
      assert.equal("full", r.writers[1].type, t)
      assert.same({ "full" }, states, t) -- the writers were told so
      assert.equal(3, r.files, t)
      local list = assert(vss.store.open(store)):list()
      assert.same({ "full", "" }, { list[1].type, list[1].base or "" }, t)
      -- with a base in the store, the type asked for is taken
      local again = assert(vss.backup{ writers = { w }, store = store, snapshot = false, type = t })
      assert.equal(t, again.type)
      assert.equal(t, again.writers[1].type)
    end
  end)

  describe("component dependencies", function()
    -- a writer "app" whose component "web" depends on "cfg" (its own,
    -- selectable, not selected) and on the db writer's component "main"
    local function app_writer(on_writer, on_name)
      mkdir(dir .. "/web")
      mkdir(dir .. "/cfg")
      support.write(dir .. "/web/index", "web")
      support.write(dir .. "/cfg/app.conf", "cfg")
      return vss.writer{ name = "app", writer_id = WID2, instance_id = IID2,
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
          for _, n in ipairs { "web", "cfg" } do
            wm:add_component("filegroup", "app", n, { selectable = true })
            wm:add_files_to_file_group("app", n, dir .. "/" .. n, "*", false)
          end
          wm:add_component_dependency("app", "web", WID2, "app", "cfg")
          wm:add_component_dependency("app", "web", on_writer or WID, nil, on_name or "main")
        end }
    end

    it("bring in the components a selected one depends on, of any writer", function()
      local db = vss.writer{ name = "db", writer_id = WID, instance_id = IID,
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
          wm:add_component("database", nil, "main", { selectable = true })
          wm:add_database_files(nil, "main", dir .. "/db", "*.db")
        end }
      local r, msg = vss.backup{ writers = { db, app_writer() }, store = storedir,
                                 snapshot = false, select = { "app\\web" } }
      assert.is_table(r, msg)
      local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
      assert.is_table(names[dir .. "/web/index"])
      assert.is_table(names[dir .. "/cfg/app.conf"])
      assert.is_table(names[dir .. "/db/main.db"])
      assert.truthy(r.components:get_component(WID2, "app", "cfg"))
      assert.truthy(r.components:get_component(WID, nil, "main"))
      assert.is_true(r.writers[1].included)
      -- without the dependent component, neither comes
      local r2 = assert(vss.backup{ writers = { db, app_writer() }, store = storedir,
                                    snapshot = false, select = { "app\\cfg" } })
      assert.is_false(r2.writers[1].included)
      assert.is_nil(r2.components:get_component(WID2, "app", "web"))
    end)

    it("fail the backup, naming both, when no writer reports the component", function()
      local r, msg, code = vss.backup{ writers = { db_writer(dir), app_writer(nil, "gone") },
                                       store = storedir, snapshot = false }
      assert.is_nil(r)
      assert.equal("ENOENT", code)
      assert.matches("component 'app\\web' of writer 'app' depends on component 'gone' of writer "
        .. WID .. ", which no writer reports", msg, 1, true)
      assert.same({}, assert(vss.store.open(storedir)):list())
      local WID3 = "55555555-5555-5555-5555-555555555555"
      local _, msg2 = vss.backup{ writers = { db_writer(dir), app_writer(WID3) },
                                  store = storedir, snapshot = false }
      assert.matches("depends on component 'main' of writer " .. WID3, msg2, 1, true)
    end)
  end)

  describe("bootable system state", function()
    local SID = "66666666-6666-6666-6666-666666666666"
    local SIID = "77777777-7777-7777-7777-777777777777"
    local function system_writer(over)
      mkdir(dir .. "/boot")
      mkdir(dir .. "/extra")
      support.write(dir .. "/boot/bcd", "boot config")
      support.write(dir .. "/extra/x", "not system state")
      local def = { name = "system", writer_id = SID, instance_id = SIID,
        usage = "bootable_system_state",
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
          wm:add_component("filegroup", nil, "boot", { selectable = true })
          wm:add_files_to_file_group(nil, "boot", dir .. "/boot", "*", false)
          wm:add_component("filegroup", nil, "extra",
            { selectable = true, component_flags = { "not_system_state" } })
          wm:add_files_to_file_group(nil, "extra", dir .. "/extra", "*", false)
        end }
      for k, v in pairs(over or {}) do def[k] = v end
      return vss.writer(def)
    end

    it("selects the system writers' system-state components and sets it in the BCD", function()
      local r, msg = vss.backup{ writers = { db_writer(dir), system_writer() }, store = storedir,
                                 snapshot = false, select = { "db" }, bootable_system_state = true }
      assert.is_table(r, msg)
      assert.is_true(r.components:get_backup_state().bootable_system_state)
      local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
      assert.is_table(names[dir .. "/boot/bcd"])
      assert.is_nil(names[dir .. "/extra/x"])
      assert.is_table(names[dir .. "/db/main.db"])
      assert.is_nil(r.components:get_component(SID, nil, "extra"))
      -- without the option, select alone decides
      local r2 = assert(vss.backup{ writers = { db_writer(dir), system_writer() },
                                    store = storedir, snapshot = false, select = { "db" } })
      assert.is_false(r2.components:get_backup_state().bootable_system_state)
      assert.is_false(r2.writers[2].included)
    end)

    it("fails the backup when a system writer fails, and not without the option", function()
      for _, usage in ipairs { "bootable_system_state", "system_service" } do
        local bad = system_writer{ usage = usage, freeze = function() error("no freeze") end }
        local r, msg, code = vss.backup{ writers = { db_writer(dir), bad }, store = storedir,
                                         snapshot = false, bootable_system_state = true }
        assert.is_nil(r, usage)
        assert.equal("WRITER_NONRETRYABLE", code)
        assert.matches("writer 'system' failed: .*no freeze", msg)
        local broken = system_writer{ usage = usage, identify = function() error("no identity") end }
        local r3, msg3 = vss.backup{ writers = { db_writer(dir), broken }, store = storedir,
                                     snapshot = false, bootable_system_state = true }
        assert.is_nil(r3, usage)
        assert.matches("writer 'system' failed: .*no identity", msg3)
      end
      assert.same({}, assert(vss.store.open(storedir)):list())
      local bad = system_writer{ freeze = function() error("no freeze") end }
      local r2 = assert(vss.backup{ writers = { db_writer(dir), bad }, store = storedir,
                                    snapshot = false })
      assert.is_true(r2.writers[2].skipped)
      -- a user-data writer is not required by the option
      local user = system_writer{ usage = "user_data", freeze = function() error("no freeze") end }
      local r4 = assert(vss.backup{ writers = { db_writer(dir), user }, store = storedir,
                                    snapshot = false, bootable_system_state = true })
      assert.is_true(r4.writers[2].skipped)
    end)
  end)

  it("leaves out the files a writer excludes from the snapshot", function()
    support.write(dir .. "/log/pagefile.log", "swap")
    support.write(dir .. "/db/cache.db", "cache")
    local w = db_writer(dir, { identify = db_identify(dir, nil, nil, function(wm)
      wm:add_exclude_files_from_snapshot(dir .. "/log", "page*", false)
      wm:add_exclude_files_from_snapshot(dir, "cache.db", true)
    end) })
    for _, snap in ipairs { false, "auto" } do
      local r, msg = vss.backup{ writers = { w }, store = storedir, snapshot = snap }
      assert.is_table(r, msg)
      assert.equal(3, r.files)
      local names = entries_by_name(assert(vss.store.open(storedir)), r.id)
      assert.is_nil(names[dir .. "/log/pagefile.log"])
      assert.is_nil(names[dir .. "/db/cache.db"])
      assert.is_table(names[dir .. "/log/0001.log"])
      assert.is_table(names[dir .. "/db/main.db"])
    end
  end)

  it("fails, committing nothing, when select names no writer and no component", function()
    assert(vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false })
    local store = assert(vss.store.open(storedir))
    local before = store:list()
    -- a typo would back up nothing, silently
    local r, msg, code = vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false,
                                     select = { "main", "mian" } }
    assert.is_nil(r)
    assert.equal("ENOENT", code)
    assert.equal("select: 'mian' names no writer and no component that the writers report", msg)
    assert.same(before, store:list())
    -- perhaps a component of a writer whose identify failed: the message says so
    local broken = db_writer(dir, { name = "broken", writer_id = WID2, instance_id = IID2,
                                    identify = function() error("no metadata today") end })
    r, msg, code = vss.backup{ writers = { db_writer(dir), broken }, store = storedir,
                               snapshot = false, select = { "main", "pages" } }
    assert.is_nil(r)
    assert.equal("ENOENT", code)
    assert.matches("select: 'pages' names no writer and no component that the writers report "
                   .. "%(writer 'broken' failed at identify: .*no metadata today%)", msg)
    assert.same(before, store:list())
    -- by writer name, by component name: fine
    assert(vss.backup{ writers = { db_writer(dir) }, store = storedir, snapshot = false,
                       select = { "db", "main" } })
  end)

  it("raises on misuse", function()
    assert.has_error(function() vss.backup("x") end,
      "bad argument #1 to 'backup' (table expected, got string)")
    assert.has_error(function() vss.backup{ writers = {}, store = storedir, bogus = 1 } end,
      "bad argument #1 to 'backup' (unknown option 'bogus')")
    -- an enumeration given a wrong value names it and lists the valid ones
    local cases = {
      { { type = "weekly" },
        [[type: invalid value 'weekly' (expected "full", "incremental", "differential", "log" or "copy")]] },
      { { snapshot = "zfs" },
        [[snapshot: invalid value 'zfs' (expected "auto", "btrfs", "reflink", "copy", "none" or false)]] },
      { { snapshot = true }, [[snapshot: invalid value 'true' (expected "auto",]] },
      { { partial_file_support = "yes" }, [[partial_file_support: boolean expected, got string]] },
      { { bootable_system_state = 1 }, [[bootable_system_state: boolean expected, got number]] },
      { { select = "db" }, [[select: table expected, got string]] },
      { { select = { "db", 2 } }, [[select[2]: string expected, got number]] },
    }
    for _, case in ipairs(cases) do
      local opts = { writers = { db_writer(dir) }, store = storedir, progress = false }
      for k, v in pairs(case[1]) do opts[k] = v end
      local ok, err = pcall(vss.backup, opts)
      assert.is_false(ok)
      assert.truthy(err:find("bad argument #1 to 'backup' (" .. case[2], 1, true), err)
    end
    -- nothing was begun: no store made
    assert.is_nil(support.exists(storedir) or nil)
  end)
end)

-- SIGKILL of a backing-up process at many points: in the data (after N
-- files), between the last file and the commit (documents, manifest,
-- fsync, rename), after the commit, and in every writer event. Each time
-- the store lists no partial backup, verifies clean, and the next backup
-- succeeds and its files extract byte-identical.
describe("vss.backup killed with SIGKILL", function()
  local dir
  before_each(function() dir = support.tmpdir() end)
  after_each(function() support.rm_rf(dir) end)

  local NFILES = 300
  local CHILD = [[
    local vss = require "vss"
    local src, store, btype, where, arg5 = arg[1], arg[2], arg[3], arg[4], arg[5]
    local function pid()
      local f = assert(io.open("/proc/self/stat"))
      local p = f:read("n")
      f:close()
      return p
    end
    local function die() os.execute("kill -9 " .. pid()) end
    local function handler(ev) return function() if where == ev then die() end end end
    local def = { name = "files", writer_id = "11111111-1111-1111-1111-111111111111",
      instance_id = "22222222-2222-2222-2222-222222222222",
      identify = function(wm)
        wm:set_backup_schema{ "incremental" }
        wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
        wm:add_component("filegroup", nil, "all", { selectable = false })
        wm:add_files_to_file_group(nil, "all", src, "*", true)
      end }
    for _, ev in ipairs { "prepare_backup", "prepare_snapshot", "freeze", "thaw",
                          "post_snapshot", "backup_complete", "backup_shutdown" } do
      def[ev] = handler(ev)
    end
    -- "commit": a killer started now and woken by the last file, so the
    -- kill lands while the documents and the commit are written (a few ms)
    -- (arg5: a count the killer spins first, finer than any sleep)
    local killer = where == "commit" and io.popen(("sh -c 'read x && i=0 && " ..
      "while [ $i -lt %d ]; do i=$((i+1)); done && kill -9 %d'"):format(arg5, pid()), "w")
    local progress = function(p)
      if where == "files" and p.files == tonumber(arg5) then die() end
      if killer and p.files == p.files_total then
        killer:write("go\n")
        killer:flush()
      end
    end
    assert(vss.backup{ writers = { vss.writer(def) }, store = store, type = btype,
                       snapshot = false, progress = progress })
    -- wait for the kill (a bounded busy loop: no child to outlive us)
    local t = os.time() + 10
    while os.time() < t do end
  ]]

  it("never lists a partial backup, and the next backup restores byte-identical", function()
    local src, store = dir .. "/src", dir .. "/store"
    for d = 1, 3 do
      assert(select(2, support.sh("mkdir -p " .. support.q(src .. "/d" .. d))))
    end
    local content = {}
    local function put(i, data)
      local name = ("%s/d%d/f%03d"):format(src, i % 3 + 1, i)
      content[name] = data
      support.write(name, data)
    end
    for i = 1, NFILES do put(i, pattern(256 + (i * 37) % 4096, i)) end
    local script = dir .. "/child.lua"
    support.write(script, CHILD)
    local WRITER = {
      name = "files", writer_id = WID, instance_id = IID,
      identify = function(wm)
        wm:set_backup_schema{ "incremental" }
        wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
        wm:add_component("filegroup", nil, "all", { selectable = false })
        wm:add_files_to_file_group(nil, "all", src, "*", true)
      end }
    assert(vss.backup{ writers = { vss.writer(WRITER) }, store = store, snapshot = false })

    local points = {}
    for _, n in ipairs { 0, 1, 2, 10, 50, 100, 150, 200, 250, 299, NFILES } do
      points[#points + 1] = { "files", n }
    end
    for _, spin in ipairs { 0, 0, 100, 300, 1000, 2000, 4000, 8000, 16000 } do
      points[#points + 1] = { "commit", spin }
    end
    for _, ev in ipairs { "prepare_backup", "prepare_snapshot", "freeze", "thaw",
                          "post_snapshot", "backup_complete", "backup_shutdown" } do
      points[#points + 1] = { ev, "" }
    end
    local mid, committed_by_child = 0, 0
    local s <close> = assert(vss.store.open(store))
    for round, point in ipairs(points) do
      local what = point[1] .. " " .. point[2]
      put(round, "changed in round " .. round) -- each round has new data to get right
      local btype = round % 2 == 0 and "incremental" or "full"
      local before = #assert(s:list())
      local p = io.popen("exec env " .. support.lua_env .. " lua5.4 " .. support.q(script) .. " "
        .. support.q(src) .. " " .. support.q(store) .. " " .. btype .. " " .. point[1] .. " "
        .. point[2] .. " 2>&1")
      local out = p:read("a")
      local _, how, sig = p:close()
      assert.same({ "signal", 9 }, { how, sig }, what .. ": " .. out)
      local _, partial = support.sh("ls -A " .. support.q(store .. "/incoming") .. " | grep -q .")
      if partial then mid = mid + 1 end
      -- no partial backup listed: each holds every file (whole, nothing deleted)
      local list = assert(s:list())
      assert.is_true(#list == before or #list == before + 1, what)
      if #list > before then committed_by_child = committed_by_child + 1 end
      -- (each holds the 3 directories and the set's own too)
      for _, b in ipairs(list) do assert.equal(NFILES + 4, b.files, what .. ": " .. b.id) end
      local report = assert(s:verify())
      assert.is_true(report.ok, what .. ": " .. tostring(report.problems[1] and
        report.problems[1].message))
      -- the next backup succeeds, and holds exactly the files as they are now
      local r, msg = vss.backup{ writers = { vss.writer(WRITER) }, store = store,
                                 snapshot = false, type = btype }
      assert.is_table(r, what .. ": " .. tostring(msg))
      assert.equal(NFILES + 4, r.files, what)
      local got = dir .. "/extracted"
      for name, data in pairs(content) do
        assert(s:extract(r.id, name, got))
        assert.is_true(support.read(got) == data, what .. ": " .. name)
      end
    end
    -- the kills did land inside backups, and some after their commit
    assert.is_true(mid > 0)
    assert.is_true(committed_by_child >= 2) -- backup_complete, backup_shutdown at least
  end)
end)
