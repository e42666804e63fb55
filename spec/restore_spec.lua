-- vss.restore: backups laid back from a real store onto real files, with
-- Lua writers told (docs/model.md §1.4, §6.2, §6.3,
-- §6.6): chains at every point in time, targets, methods, directed
-- targets, hostile documents, damage and crashes.
local vss = require "vss"
local support = require "support"

local WID = "11111111-1111-1111-1111-111111111111"
local IID = "22222222-2222-2222-2222-222222222222"
local q = support.q

local mkdir, pattern = support.mkdir, support.pattern

-- Overwrite bytes of a file in place at off.
local function poke(path, off, data)
  local f = assert(io.open(path, "r+b"))
  f:seek("set", off)
  f:write(data)
  f:close()
end

-- Every regular file beneath root, by its path relative to root.
local function tree(root)
  local out = {}
  local list = support.sh("cd " .. q(root) .. " 2>/dev/null && find . -type f | sort")
  for rel in list:gmatch("[^\n]+") do out[rel:sub(3)] = support.read(root .. "/" .. rel:sub(3)) end
  return out
end

local function sorted_keys(t)
  local k = {}
  for n in pairs(t) do k[#k + 1] = n end
  table.sort(k)
  return k
end

-- The state of a writer's files, as tree() of dir gives it, minus the store.
local function state(dir)
  local t = tree(dir)
  for k in pairs(t) do
    if not (k:match("^db/") or k:match("^log/")) then t[k] = nil end
  end
  return t
end

-- A database writer: <dir>/db/*.db as database files, <dir>/log/*.log as
-- logs, restore method `method` (default restore_if_can_replace); the
-- partial files named in partial[name] = "ranges" are reported at
-- post_snapshot. `over` adds or replaces fields and handlers.
local function db_writer(dir, partial, over, method)
  over = over or {}
  local def = {
    name = "db", writer_id = WID, instance_id = IID,
    identify = function(wm)
      wm:set_backup_schema(over.schema or
        { "incremental", "differential", "timestamped", "writer_supports_new_target" })
      local m = method or { "restore_if_can_replace", nil, nil, "always", false }
      wm:set_restore_method(table.unpack(m, 1, 5))
      wm:add_component("database", nil, "main", { selectable = false })
      wm:add_database_files(nil, "main", dir .. "/db", "*.db")
      wm:add_database_log_files(nil, "main", dir .. "/log", "*.log")
      if over.more then over.more(wm) end
    end,
    post_snapshot = function(_, comps)
      for name, ranges in pairs(partial or {}) do
        comps[1]:add_partial_file(dir .. "/db", name, ranges)
      end
    end,
  }
  for k, v in pairs(over) do
    if k ~= "schema" and k ~= "more" then def[k] = v end
  end
  return vss.writer(def)
end

local function backup(w, storedir, type)
  local r, msg = vss.backup{ writers = { w }, store = storedir, snapshot = false, progress = false,
                             type = type or "full", partial_file_support = true }
  assert.is_table(r, msg)
  return r
end

describe("vss.restore", function()
  local dir, storedir
  before_each(function()
    dir = support.tmpdir()
    storedir = dir .. "/store"
    mkdir(dir .. "/db")
    mkdir(dir .. "/log")
    support.write(dir .. "/db/main.db", pattern(262144, 1))
    support.write(dir .. "/log/0001.log", "log one")
    support.write(dir .. "/log/0002.log", "log two")
  end)
  after_each(function() support.rm_rf(dir) end)

  it("restores a full and three incrementals with partial files byte for byte at each point", function()
    local partial = {}
    local w = db_writer(dir, partial)
    local ids, states = {}, {}
    ids[1] = backup(w, storedir).id
    states[1] = state(dir)
    local db = dir .. "/db/main.db"
    -- 1: two ranges rewritten, a log added
    poke(db, 4096, pattern(4096, 11)); poke(db, 100000, pattern(5000, 12))
    support.write(dir .. "/log/0003.log", "log three")
    partial["main.db"] = "4096:4096,100000:5000"
    ids[2] = backup(w, storedir, "incremental").id
    states[2] = state(dir)
    -- 2: other ranges, a log gone
    poke(db, 0, pattern(10, 21)); poke(db, 200000, pattern(1000, 22))
    os.remove(dir .. "/log/0001.log")
    partial["main.db"] = "0:10,200000:1000"
    ids[3] = backup(w, storedir, "incremental").id
    states[3] = state(dir)
    -- 3: the file grows by a range past its old end; a log rewritten
    poke(db, 262144, pattern(8192, 31)); poke(db, 4100, "x")
    support.write(dir .. "/log/0002.log", "log two, longer now")
    partial["main.db"] = "4096:8,262144:8192"
    ids[4] = backup(w, storedir, "incremental").id
    states[4] = state(dir)
    local store = assert(vss.store.open(storedir))
    assert.equal("partial", support.entries_by_name(store, ids[4])[db].kind)

    for i, id in ipairs(ids) do
      -- without writers the chain is laid in one pass; with, one restore per backup
      for _, writers in ipairs { {}, { w } } do
        local to = ("%s/out%d-%d"):format(dir, i, #writers)
        local r, msg = vss.restore{ store = storedir, backup = id, writers = writers,
                                    location = "new", to = to, progress = false }
        assert.is_table(r, msg)
        assert.same({ table.unpack(ids, 1, i) }, r.chain)
        local got, want = tree(to .. dir), states[i]
        assert.same(sorted_keys(want), sorted_keys(got))
        for k, v in pairs(want) do assert.is_true(v == got[k], ("%s at point %d"):format(k, i)) end
        assert.equal(0, r.failed)
        assert.equal(#writers > 0 and i or 1, #r.steps)
      end
    end
  end)

  it("tells the writers each step of a chain, with additional restores on all but the last", function()
    local partial = {}
    local seen = {}
    local w = db_writer(dir, partial, {
      pre_restore = function(_, comps)
        local c = comps[1]
        seen[#seen + 1] = { "pre", c:get_additional_restores(), c:is_selected_for_restore() }
        c:set_restore_metadata("step " .. #seen)
      end,
      post_restore = function(_, comps)
        local c = comps[1]
        seen[#seen + 1] = { "post", c:get_restore_metadata(), c:get_file_restore_status() }
      end,
    })
    backup(w, storedir)
    poke(dir .. "/db/main.db", 0, "changed")
    partial["main.db"] = "0:7"
    local last = backup(w, storedir, "incremental")
    local r = assert(vss.restore{ store = storedir, backup = last.id, writers = { w },
                                  location = "new", to = dir .. "/out", progress = false })
    assert.same({
      { "pre", true, true }, { "post", "step 1", "all" },
      { "pre", false, true }, { "post", "step 3", "all" },
    }, seen)
    assert.equal("all", r.components[1].status)
    assert.equal(support.read(dir .. "/db/main.db"), support.read(dir .. "/out" .. dir .. "/db/main.db"))
  end)

  it("stops a chain at a backup that left a file out, so no later ranges land on the wrong file", function()
    local partial = {}
    local w = db_writer(dir, partial, nil, { "restore_if_not_there", nil, nil, "always", false })
    local full = backup(w, storedir)
    poke(dir .. "/db/main.db", 0, "new head")
    partial["main.db"] = "0:8"
    local last = backup(w, storedir, "incremental")
    -- the live file is there: the full is not laid, and the incremental must not be
    support.write(dir .. "/db/main.db", "the user's own file")
    local r, msg, code, res = vss.restore{ store = storedir, backup = last.id, writers = { w },
                                           progress = false }
    assert.is_nil(r)
    assert.equal("EPARTIAL", code)
    assert.truthy(msg:find("stopped at backup '" .. full.id .. "' (1 of 2)", 1, true), msg)
    assert.equal(full.id, res.stopped)
    assert.equal(1, #res.steps)
    assert.equal("the user's own file", support.read(dir .. "/db/main.db"))
  end)

  it("refuses a file the chain holds only partial copies of, leaving what stands there", function()
    local partial = {}
    local w = db_writer(dir, partial)
    backup(w, storedir)
    support.write(dir .. "/db/new.db", pattern(8192, 3)) -- born after the full, reported partially
    partial["new.db"] = "0:100"
    backup(w, storedir, "incremental")
    -- in one pass, and one pass a backup with the writer told
    for _, writers in ipairs { {}, { w } } do
      support.write(dir .. "/db/new.db", "unrelated")
      local r, _, code, res = vss.restore{ store = storedir, overwrite = true, writers = writers,
                                           progress = false }
      assert.is_nil(r)
      assert.equal("EPARTIAL", code)
      local by = {}
      for _, f in ipairs(res.files) do by[f.name] = f end
      assert.equal("ECHAIN", by[dir .. "/db/new.db"].code)
      assert.equal("restored", by[dir .. "/db/main.db"].status)
      assert.equal("unrelated", support.read(dir .. "/db/new.db"))
    end
  end)

  describe("to the original location", function()
    it("replaces changed files when the method is restore_if_can_replace", function()
      local w = db_writer(dir)
      local before = state(dir)
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "ruined")
      os.remove(dir .. "/log/0002.log")
      local r = assert(vss.restore{ store = storedir, writers = { w }, progress = false })
      assert.same(before, state(dir))
      assert.equal(3, r.restored)
      assert.equal(dir .. "/db/main.db", r.files[1].path)
      assert.equal("original", r.components[1].target)
      assert.equal("restore_if_can_replace", r.components[1].method)
    end)

    it("leaves existing files alone when told not to overwrite, and says so", function()
      local w = db_writer(dir)
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "newer")
      local r, msg, code, res = vss.restore{ store = storedir, overwrite = false, progress = false }
      assert.is_nil(r)
      assert.equal("EPARTIAL", code)
      assert.matches("not restored", msg)
      assert.equal("newer", support.read(dir .. "/db/main.db"))
      for _, f in ipairs(res.files) do assert.equal("exists", f.status) end
    end)

    it("restore_if_not_there: restores nothing of a component whose files are there", function()
      local w = db_writer(dir, nil, nil, { "restore_if_not_there", nil, nil, "never", false })
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "keep me")
      os.remove(dir .. "/log/0001.log")
      local r, _, code, res = vss.restore{ store = storedir, progress = false }
      assert.is_nil(r)
      assert.equal("EPARTIAL", code)
      assert.equal("keep me", support.read(dir .. "/db/main.db"))
      assert.is_nil(support.exists(dir .. "/log/0001.log") or nil)
      assert.equal("none", res.components[1].status)
      -- with nothing there, it restores
      support.rm_rf(dir .. "/db"); support.rm_rf(dir .. "/log")
      assert(vss.restore{ store = storedir, progress = false })
      assert.equal(pattern(262144, 1), support.read(dir .. "/db/main.db"))
    end)

    it("restore_if_not_there goes to the alternate location mapping when the files are there", function()
      local w = db_writer(dir, nil, { more = function(wm)
        wm:add_alternate_location_mapping(dir .. "/log", "*.log", false, dir .. "/alt/log")
      end }, { "restore_if_not_there", nil, nil, "never", false })
      backup(w, storedir)
      support.rm_rf(dir .. "/db")
      local r = assert(vss.restore{ store = storedir, progress = false })
      assert.equal("alternate", r.components[1].target)
      assert.equal("log one", support.read(dir .. "/alt/log/0001.log"))
      assert.equal("log one", support.read(dir .. "/log/0001.log")) -- untouched
      assert.equal(pattern(262144, 1), support.read(dir .. "/db/main.db"))
    end)
  end)

  it("location alternate: the writer's mappings are used and recorded for it", function()
    local mapped
    local w = db_writer(dir, nil, {
      more = function(wm)
        wm:add_alternate_location_mapping(dir .. "/db", "*.db", false, dir .. "/alt/db")
      end,
      post_restore = function(_, comps)
        local c = comps[1]
        mapped = { c:get_alternate_location_mapping_count(),
                   c:get_alternate_location_mapping(1).alternate_location }
      end,
    })
    backup(w, storedir)
    local r = assert(vss.restore{ store = storedir, writers = { w }, location = "alternate",
                                  overwrite = true, progress = false })
    assert.same({ 1, dir .. "/alt/db" }, mapped)
    assert.equal(pattern(262144, 1), support.read(dir .. "/alt/db/main.db"))
    -- the set without a mapping goes to its own place
    assert.equal(dir .. "/log/0001.log", r.files[2].path)
  end)

  it("a writer's original_location target overrides the requester's alternate", function()
    local w = db_writer(dir, nil, {
      more = function(wm)
        wm:add_alternate_location_mapping(dir .. "/db", "*.db", false, dir .. "/alt/db")
      end,
      pre_restore = function(_, comps) comps[1]:set_restore_target("original_location") end,
    })
    backup(w, storedir)
    support.write(dir .. "/db/main.db", "ruined")
    local r = assert(vss.restore{ store = storedir, writers = { w }, location = "alternate",
                                  progress = false })
    assert.equal("original_location", r.components[1].target)
    assert.equal(pattern(262144, 1), support.read(dir .. "/db/main.db"))
    assert.is_nil(support.exists(dir .. "/alt") or nil)
  end)

  it("new targets: database and logs to places of their own, told to the writer", function()
    local seen
    local w = db_writer(dir, nil, {
      schema = { "incremental", "writer_supports_new_target" },
      pre_restore = function(_, comps)
        local c = comps[1]
        seen = {}
        for i = 1, c:get_new_target_count() do seen[#seen + 1] = c:get_new_target(i).alternate_location end
        table.sort(seen)
      end,
    })
    backup(w, storedir)
    local r = assert(vss.restore{ store = storedir, writers = { w }, location = "new", progress = false,
      new_targets = {
        { path = dir .. "/db", filespec = "*.db", recursive = false, to = dir .. "/new/data" },
        { path = dir .. "/log", filespec = "*.log", recursive = false, to = dir .. "/new/logs" },
      } })
    assert.same({ dir .. "/new/data", dir .. "/new/logs" }, seen)
    assert.equal(pattern(262144, 1), support.read(dir .. "/new/data/main.db"))
    assert.equal("log two", support.read(dir .. "/new/logs/0002.log"))
    assert.equal(3, r.restored)
  end)

  it("refuses new targets a taking-part writer's schema does not allow", function()
    local w = db_writer(dir, nil, { schema = { "incremental" } })
    backup(w, storedir)
    local r, msg = vss.restore{ store = storedir, writers = { w }, location = "new", to = dir .. "/x",
                                progress = false }
    assert.is_nil(r)
    assert.matches("new target", msg)
    assert.is_nil(support.exists(dir .. "/x") or nil)
  end)

  it("directed targets move, split and merge ranges between files", function()
    support.write(dir .. "/db/second.db", pattern(16384, 2))
    local src, src2 = pattern(262144, 1), pattern(16384, 2)
    local w = db_writer(dir, nil, {
      pre_restore = function(_, comps)
        local c = comps[1]
        local d = dir .. "/db"
        c:set_restore_target("directed")
        -- move: two blocks swapped into a new file
        c:add_directed_target(d, "main.db", "0:4096,8192:4096", d, "moved.db", "4096:4096,0:4096")
        -- split: one file's halves into two files
        c:add_directed_target(d, "second.db", "0:8192", d, "half1.db", "0:8192")
        c:add_directed_target(d, "second.db", "8192:8192", d, "half2.db", "100:8192")
        -- merge: a range of main.db lands in half1.db after second's half
        c:add_directed_target(d, "main.db", "65536:1000", d, "half1.db", "8192:1000")
      end,
    })
    backup(w, storedir)
    local to = dir .. "/out"
    local r = assert(vss.restore{ store = storedir, writers = { w }, location = "new", to = to,
                                  progress = false })
    assert.equal("directed", r.components[1].target)
    local d = to .. dir .. "/db/"
    assert.equal(src:sub(8193, 12288) .. src:sub(1, 4096), support.read(d .. "moved.db"))
    assert.equal(src2:sub(1, 8192) .. src:sub(65537, 66536), support.read(d .. "half1.db"))
    assert.equal(string.rep("\0", 100) .. src2:sub(8193, 16384), support.read(d .. "half2.db"))
    -- directed sources are laid through their targets only; logs go as themselves
    assert.is_nil(support.exists(d .. "main.db") or nil)
    assert.equal("log one", support.read(to .. dir .. "/log/0001.log"))
  end)

  it("lays a partial file's ranges file before its data, and tells the writer where it went", function()
    local rf = dir .. "/main.ranges" -- outside the file sets: it goes beside the data file
    local seen
    local w = db_writer(dir, nil, {
      post_snapshot = function(bc, comps)
        if bc:get_backup_state().backup_type == "incremental" then
          assert(vss.ranges.parse("0:16,100:4"):save(rf))
          comps[1]:add_partial_file(dir .. "/db", "main.db", "File=" .. rf)
        end
      end,
      post_restore = function(_, comps)
        local c = comps[1]
        if c:get_partial_file_count() > 0 then seen = select(3, c:get_partial_file(1)) end
      end,
    })
    backup(w, storedir)
    poke(dir .. "/db/main.db", 0, pattern(16, 7))
    backup(w, storedir, "incremental")
    local ranges_text = support.read(rf)
    os.remove(rf)
    local to = dir .. "/out"
    local r = assert(vss.restore{ store = storedir, writers = { w }, location = "new", to = to,
                                  progress = false })
    assert.equal(0, r.failed)
    local laid = to .. dir .. "/db/main.ranges"
    assert.equal(ranges_text, support.read(laid))
    assert.matches(laid, seen, 1, true)
    assert.equal(support.read(dir .. "/db/main.db"), support.read(to .. dir .. "/db/main.db"))
  end)

  it("a writer's pre_restore veto leaves its files alone and the restore incomplete", function()
    local w = db_writer(dir, nil, {
      pre_restore = function(_, comps) comps[1]:set_pre_restore_failure_msg("database is online") end,
    })
    backup(w, storedir)
    support.write(dir .. "/db/main.db", "live")
    local r, _, code, res = vss.restore{ store = storedir, writers = { w }, progress = false }
    assert.is_nil(r)
    assert.equal("EPARTIAL", code)
    assert.equal("live", support.read(dir .. "/db/main.db"))
    assert.equal("skipped", res.files[1].status)
    assert.equal("database is online", res.components[1].pre_restore_failure)
    assert.equal("none", res.components[1].status)
  end)

  it("says so when a writer fails post_restore, though the files are back", function()
    for _, handler in ipairs {
      function(_, comps) comps[1]:set_post_restore_failure_msg("recovery failed") end,
      function() error("recovery failed") end,
    } do
      local w = db_writer(dir, nil, { post_restore = handler })
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "ruined")
      local r, msg, code, res = vss.restore{ store = storedir, writers = { w }, progress = false }
      assert.is_nil(r)
      assert.equal("EPOSTRESTORE", code)
      assert.matches("writer 'db' failed post_restore for 'main': .*recovery failed", msg)
      assert.matches("recovery failed", res.components[1].post_restore_failure)
      assert.equal(3, res.restored)
      assert.equal(pattern(262144, 1), support.read(dir .. "/db/main.db"))
      support.rm_rf(storedir)
    end
  end)

  it("a writer failing pre_restore is vetoing too", function()
    local w = db_writer(dir, nil, { pre_restore = function() error("no way") end })
    backup(w, storedir)
    local r, _, code, res = vss.restore{ store = storedir, writers = { w }, progress = false }
    assert.is_nil(r)
    assert.equal("EPARTIAL", code)
    assert.equal("skipped", res.files[1].status)
  end)

  describe("restore methods", function()
    it("restore at reboot is recorded and reported, not performed", function()
      local w = db_writer(dir, nil, nil, { "restore_at_reboot", nil, nil, "never", true })
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "untouched")
      local r = assert(vss.restore{ store = storedir, progress = false })
      assert.is_true(r.reboot_required)
      assert.equal("at_reboot", r.files[1].status)
      assert.equal("untouched", support.read(dir .. "/db/main.db"))
    end)

    it("restore_to_alternate_location sends mapped file sets to their mappings", function()
      local w = db_writer(dir, nil, { more = function(wm)
        wm:add_alternate_location_mapping(dir .. "/db", "*.db", false, dir .. "/alt/db")
      end }, { "restore_to_alternate_location", nil, nil, "never", false })
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "live, untouched")
      local r = assert(vss.restore{ store = storedir, overwrite = true, progress = false })
      assert.equal(pattern(262144, 1), support.read(dir .. "/alt/db/main.db"))
      assert.equal("live, untouched", support.read(dir .. "/db/main.db"))
      assert.equal(3, r.restored)
    end)

    it("restore_at_reboot_if_cannot_replace falls back to reboot for a file it cannot replace", function()
      local w = db_writer(dir, nil, nil, { "restore_at_reboot_if_cannot_replace", nil, nil, "never", true })
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "in use")
      -- an immutable directory: not even root may create the temporary
      local _, ok = support.sh("chattr +i " .. q(dir .. "/db") .. " 2>&1")
      if not ok then
        pending("chattr +i is not supported here (needs root and a file system with attributes)")
        return
      end
      local r, msg = vss.restore{ store = storedir, progress = false }
      support.sh("chattr -i " .. q(dir .. "/db"))
      assert.is_table(r, msg)
      local by = {}
      for _, f in ipairs(r.files) do by[f.name] = f end
      assert.equal("at_reboot", by[dir .. "/db/main.db"].status)
      assert.equal("restored", by[dir .. "/log/0001.log"].status)
      assert.is_true(r.reboot_required)
      assert.equal("in use", support.read(dir .. "/db/main.db"))
    end)

    it("custom leaves the files to the writer", function()
      local w = db_writer(dir, nil, nil, { "custom", nil, "see the manual", "always", false })
      backup(w, storedir)
      os.remove(dir .. "/db/main.db")
      local r = assert(vss.restore{ store = storedir, progress = false })
      assert.equal("custom", r.files[1].status)
      assert.is_nil(support.exists(dir .. "/db/main.db") or nil)
    end)

    for _, case in ipairs {
      { "stop_restore_start", { "stop:absent", "start:present" } },
      { "restore_stop_start", { "stop:present", "start:present" } },
    } do
      it(case[1] .. " runs the service commands around the data", function()
        local w = db_writer(dir, nil, nil, { case[1], "dbsvc", nil, "never", false })
        backup(w, storedir)
        os.remove(dir .. "/db/main.db")
        local calls = {}
        local r = assert(vss.restore{ store = storedir, progress = false, service = function(action, name)
          assert.equal("dbsvc", name)
          local there = support.exists(dir .. "/db/main.db") and "present" or "absent"
          calls[#calls + 1] = action .. ":" .. there
          return true
        end })
        assert.same(case[2], calls)
        assert.equal(3, r.restored)
      end)
    end

    it("a failing service command fails the restore", function()
      local w = db_writer(dir, nil, nil, { "stop_restore_start", "dbsvc", nil, "never", false })
      backup(w, storedir)
      local r, msg, code = vss.restore{ store = storedir, progress = false,
                                        service = function() return nil, "unit not found" end }
      assert.is_nil(r)
      assert.equal("ESERVICE", code)
      assert.matches("unit not found", msg)
    end)

    it("a writer whose writerRestore is never gets no restore events", function()
      local told = false
      local w = db_writer(dir, nil, { pre_restore = function() told = true end },
                          { "restore_if_can_replace", nil, nil, "never", false })
      backup(w, storedir)
      assert(vss.restore{ store = storedir, writers = { w }, progress = false })
      assert.is_false(told)
    end)
  end)

  it("checks digests: a damaged file fails with ECORRUPT and its old copy stays", function()
    local w = db_writer(dir)
    local r0 = backup(w, storedir)
    -- flip one byte of main.db's object in the store
    local store = assert(vss.store.open(storedir))
    local obj
    for _, e in ipairs(store:entries(r0.id)) do
      if e.name == dir .. "/db/main.db" then obj = e.object end
    end
    assert.is_string(obj)
    local path = ("%s/backups/%s/data/%s"):format(storedir, r0.id, obj)
    poke(path, 1000, string.char((support.read(path):byte(1001) + 1) % 256))
    support.write(dir .. "/db/main.db", "old copy")
    support.write(dir .. "/log/0001.log", "old log")
    local r, _, code, res = vss.restore{ store = storedir, progress = false }
    assert.is_nil(r)
    assert.equal("EPARTIAL", code)
    local by = {}
    for _, f in ipairs(res.files) do by[f.name] = f end
    assert.equal("failed", by[dir .. "/db/main.db"].status)
    assert.equal("ECORRUPT", by[dir .. "/db/main.db"].code)
    assert.matches("digest", by[dir .. "/db/main.db"].message)
    assert.equal("old copy", support.read(dir .. "/db/main.db"))
    assert.equal("restored", by[dir .. "/log/0001.log"].status)
    assert.equal("log one", support.read(dir .. "/log/0001.log"))
  end)

  describe("hostile documents", function()
    -- A backup written by hand: the writer's documents from a real
    -- backup, with a file entry of the given name.
    local function forged(name, wm_xml)
      local w = db_writer(dir)
      local real = backup(w, storedir)
      local store = assert(vss.store.open(storedir))
      local bcd = store:document(real.id, "backup_components")
      wm_xml = wm_xml or store:document(real.id, IID)
      local tx = assert(store:begin{ type = "full" })
      assert(tx:add_file(name, dir .. "/log/0001.log"))
      assert(tx:add_document(IID, wm_xml))
      assert(tx:add_document("backup_components", bcd))
      return assert(tx:commit())
    end

    it("a stored name that climbs out with .. is refused, nothing written", function()
      local id = forged(dir .. "/log/../../escaped.log")
      local r, msg, code = vss.restore{ store = storedir, backup = id, location = "new",
                                        to = dir .. "/out", progress = false }
      assert.is_nil(r)
      assert.equal("ESCAPE", code)
      assert.matches("escaped.log", msg)
      assert.same({}, sorted_keys(tree(dir .. "/out")))
      assert.is_nil(support.exists(dir .. "/../escaped.log") or nil)
      assert.is_nil(support.exists(dir .. "/out" .. dir .. "/../escaped.log") or nil)
    end)

    it("a file set path holding .. is refused before anything is written", function()
      local store_wm
      do
        local w = db_writer(dir)
        local real = backup(w, storedir)
        local st = assert(vss.store.open(storedir))
        local xml = st:document(real.id, IID)
        local at = assert(xml:find(dir .. "/log", 1, true))
        store_wm = xml:sub(1, at - 1) .. dir .. "/log/../../.." .. xml:sub(at + #dir + 4)
      end
      local id = forged(dir .. "/log/../../../0001.log", store_wm)
      local r, msg, code = vss.restore{ store = storedir, backup = id, progress = false }
      assert.is_nil(r)
      assert.equal("ESCAPE", code)
      assert.matches("%.%.", msg)
    end)

    it("a directed target outside the component's file sets is refused", function()
      local w = db_writer(dir, nil, {
        pre_restore = function(_, comps)
          comps[1]:set_restore_target("directed")
          comps[1]:add_directed_target(dir .. "/db", "main.db", "0:10", "/etc", "evil", "0:10")
        end,
      })
      backup(w, storedir)
      local r, _, code, res = vss.restore{ store = storedir, writers = { w }, location = "new",
                                           to = dir .. "/out", progress = false }
      assert.is_nil(r)
      assert.equal("EPARTIAL", code)
      local f = res.files[1]
      assert.equal("failed", f.status)
      assert.equal("ESCAPE", f.code)
      assert.is_nil(support.exists("/etc/evil") or nil)
    end)

    it("a symlink in the destination is not followed out of it", function()
      local w = db_writer(dir)
      backup(w, storedir)
      local to = dir .. "/out"
      mkdir(to .. dir)
      mkdir(dir .. "/elsewhere")
      assert(os.execute("ln -s " .. q(dir .. "/elsewhere") .. " " .. q(to .. dir .. "/db")))
      local r, _, code, res = vss.restore{ store = storedir, location = "new", to = to, progress = false }
      assert.is_nil(r)
      assert.equal("EPARTIAL", code)
      assert.equal("ESCAPE", res.files[1].code)
      assert.same({}, sorted_keys(tree(dir .. "/elsewhere")))
    end)
  end)

  it("SIGKILL mid-restore leaves every file old or new, and the next restore cleans up", function()
    -- one large file so the kill lands inside it, and many small ones
    support.write(dir .. "/db/main.db", pattern(1 << 20, 5) .. string.rep("z", 48 << 20))
    for i = 1, 40 do support.write(("%s/log/%04d.log"):format(dir, i + 10), "log " .. i) end
    local w = db_writer(dir)
    backup(w, storedir)
    local new = state(dir)
    local script, finished = dir .. "/child.lua", dir .. "/finished"
    -- arg[1]: the progress call to die at (0: none); the child says when
    -- its restore returned, so a kill that came too late shows. The small
    -- files take 15 ms each at least, so the timed kills (0.3 s at most)
    -- land before the end.
    support.write(script, ([[
      local vss = require "vss"
      local n = 0
      vss.restore{ store = %q, progress = function(p)
        n = n + 1
        if n == tonumber(arg[1]) then os.execute("kill -9 " .. io.open("/proc/self/stat"):read("n")) end
        if p.name and p.name:match("%%.log$") then os.execute("sleep 0.015") end
      end }
      io.open(%q, "w"):close()
    ]]):format(storedir, finished))
    local old = {}
    for _, delay in ipairs { "k1", "k3", "k20", "t0.05", "t0.15", "t0.3" } do
      -- the live files differ from the backup before each run
      for name in pairs(new) do
        support.write(dir .. "/" .. name, "old " .. name)
        old[name] = "old " .. name
      end
      local cmd
      if delay:sub(1, 1) == "k" then
        cmd = ("cd %s && %s lua5.4 %s %s >/dev/null 2>&1; echo status=$?"):format(
          q(support.root), support.lua_env, q(script), delay:sub(2))
      else
        cmd = ("cd %s && (%s lua5.4 %s 0 >/dev/null 2>&1 & p=$!; sleep %s; kill -9 $p; wait $p; "
          .. "echo status=$?)"):format(q(support.root), support.lua_env, q(script), delay:sub(2))
      end
      local out = support.sh(cmd)
      assert.equal("137", out:match("status=(%d+)"), delay .. ": not killed by SIGKILL: " .. out)
      assert.is_false(support.exists(finished), delay .. ": the restore finished before the kill")
      local now = state(dir)
      for name in pairs(now) do -- what a kill mid-file leaves; swept below
        if name:match("/%.[^/]+%.vss%-%w+$") then now[name] = nil end
      end
      for name, content in pairs(now) do
        assert.is_true(content == new[name] or content == old[name],
          ("%s after kill at %s is neither old nor new"):format(name, delay))
      end
      -- the next restore completes and sweeps the temporaries left
      assert(vss.restore{ store = storedir, progress = false })
      assert.same(new, state(dir))
      local left = support.sh("find " .. q(dir .. "/db") .. " " .. q(dir .. "/log") .. " -name '.*.vss-*'")
      assert.equal("", left)
    end
  end)

  describe("errors", function()
    it("names an unknown backup, component or option", function()
      local w = db_writer(dir)
      backup(w, storedir)
      local r, msg, code = vss.restore{ store = storedir, backup = "nope", progress = false }
      assert.is_nil(r)
      assert.equal("ENOENT", code)
      assert.matches("nope", msg)
      r, msg, code = vss.restore{ store = storedir, components = { "other" }, progress = false }
      assert.is_nil(r)
      assert.equal("ENOENT", code)
      assert.matches("'other'", msg)
      assert.has_error(function() vss.restore{ store = storedir, bogus = 1 } end,
        "bad argument #1 to 'restore' (unknown option 'bogus')")
      r, msg, code = vss.restore{ store = dir .. "/nostore", progress = false }
      assert.is_nil(r)
      assert.matches("nostore", msg)
      assert.equal("ENOENT", code)
    end)

    -- Options that contradict each other raise, naming both, before anything is written: a
    -- new target given without location = "new" would otherwise lay the backup over the live
    -- files in place.
    it("raises on options that contradict each other, the live files untouched", function()
      local w = db_writer(dir)
      backup(w, storedir)
      support.write(dir .. "/db/main.db", "newer live data")
      local nt = { { path = dir .. "/db", filespec = "*.db", recursive = false, to = dir .. "/nt" } }
      local cases = {
        { { new_targets = nt }, [[new_targets given without location = "new": the default location, ]]
          .. [["original", would lay the files in place; new_targets goes with location = "new"]] },
        { { to = dir .. "/x" }, [[to given without location = "new"]] },
        { { location = "original", new_targets = nt },
          [[new_targets and location = "original" contradict each other: new_targets goes with ]]
          .. [[location = "new"]] },
        { { location = "alternate", to = dir .. "/x" },
          [[to and location = "alternate" contradict each other: to goes with location = "new"]] },
        { { target = "original", to = dir .. "/x" },
          [[to and target = "original" contradict each other: to goes with target = "new"]] },
        { { location = "new" }, [[location = "new" needs to = (a directory) or new_targets]] },
      }
      for _, case in ipairs(cases) do
        local opts = { store = storedir, progress = false }
        for k, v in pairs(case[1]) do opts[k] = v end
        local ok, err = pcall(vss.restore, opts)
        assert.is_false(ok)
        assert.truthy(err:find("bad argument #1 to 'restore' (" .. case[2], 1, true), err)
      end
      assert.equal("newer live data", support.read(dir .. "/db/main.db"))
      assert.is_nil(support.exists(dir .. "/nt") or support.exists(dir .. "/x") or nil)
      -- with location = "new" the same new targets are obeyed, the live file still untouched
      assert(vss.restore{ store = storedir, location = "new", new_targets = nt, to = dir .. "/rest",
                          progress = false })
      assert.equal(pattern(262144, 1), support.read(dir .. "/nt/main.db"))
      assert.equal("newer live data", support.read(dir .. "/db/main.db"))
    end)

    it("names a wrong value of an enumerated option with the valid ones", function()
      local cases = {
        { { restore_type = "sideways" },
          [[restore_type: invalid value 'sideways' (expected "undefined", "by_copy", "import" or "other")]] },
        { { overwrite = "yes" }, [[overwrite: boolean expected, got string]] },
        { { components = "db" }, [[components: table expected, got string]] },
        { { backup = 7 }, [[backup: string expected, got number]] },
      }
      for _, case in ipairs(cases) do
        local opts = { store = storedir, progress = false }
        for k, v in pairs(case[1]) do opts[k] = v end
        local ok, err = pcall(vss.restore, opts)
        assert.is_false(ok)
        assert.truthy(err:find("bad argument #1 to 'restore' (" .. case[2], 1, true), err)
      end
    end)

    it("takes target = as location's deprecated name; a bad value is named with the valid ones", function()
      local w = db_writer(dir)
      backup(w, storedir)
      for _, key in ipairs { "location", "target" } do
        local to = dir .. "/out-" .. key
        local r = assert(vss.restore{ store = storedir, [key] = "new", to = to, progress = false })
        assert.equal(3, r.restored)
        assert.equal(pattern(262144, 1), support.read(to .. dir .. "/db/main.db"))
        local ok, err = pcall(vss.restore, { store = storedir, [key] = "elsewhere", to = dir .. "/x",
                                             progress = false })
        assert.is_false(ok)
        assert.truthy(err:find("bad argument #1 to 'restore' (" .. key .. [[: invalid value 'elsewhere' ]]
          .. [[(expected "original", "alternate" or "new"))]], 1, true), err)
      end
      local ok, err = pcall(vss.restore, { store = storedir, location = "new", target = "new",
                                           to = dir .. "/x", progress = false })
      assert.is_false(ok)
      assert.matches("location and target %(its deprecated name%) both given", err)
      assert.is_nil(support.exists(dir .. "/x") or nil)
    end)

    it("refuses a chain whose base was deleted, writing nothing", function()
      local partial = {}
      local w = db_writer(dir, partial)
      local full = backup(w, storedir)
      partial["main.db"] = "0:100"
      local inc = backup(w, storedir, "incremental")
      local store = assert(vss.store.open(storedir))
      assert(store:delete(full.id, { force = true }))
      local r, msg, code = vss.restore{ store = storedir, location = "new", to = dir .. "/out",
                                        progress = false }
      assert.is_nil(r)
      assert.equal("ECHAIN", code)
      assert.truthy(msg:find("'" .. inc.id .. "' builds on '" .. full.id .. "'", 1, true), msg)
      assert.is_nil(support.exists(dir .. "/out") or nil)
    end)
  end)

  it("reports progress with totals", function()
    local w = db_writer(dir)
    backup(w, storedir)
    local last
    assert(vss.restore{ store = storedir, location = "new", to = dir .. "/out",
                        progress = function(p) last = p end })
    assert.same({ 3, 3, 262144 + 14, 262144 + 14 },
                { last.files, last.files_total, last.bytes, last.bytes_total })
  end)

  it("runs examples/directed_restore.lua against a real store", function()
    local out, okay = support.sh(("cd %s && %s lua5.4 examples/directed_restore.lua %s 2>&1"):format(
      q(support.root), support.lua_env, q(dir)))
    assert.is_true(okay, out)
    assert.matches("restored by target directed: all", out)
    assert.matches("verified 20480 bytes in 4 ranges", out)
  end)
end)
