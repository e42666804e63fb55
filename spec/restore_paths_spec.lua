-- Restore by path (issue #11 item 8): vss.restore{ paths = {...} } lays
-- only the named files and directories at a point in time, through the
-- chain; store:extract(id, name) of a file takes it from whichever backup
-- of the chain holds it as of id (partial files composed over the last
-- whole copy). On real stores built by real backups.
local vss = require "vss"
local support = require "support"

local mkdir, pattern, write, read = support.mkdir, support.pattern, support.write, support.read
local q = support.q

local WID = "55555555-5555-5555-5555-555555555555"
local IID = "66666666-6666-6666-6666-666666666666"
local WID2 = "77777777-7777-7777-7777-777777777777"
local IID2 = "88888888-8888-8888-8888-888888888888"

-- A writer of src: *.txt, *.db and www/ (recursive); the first two
-- differenced (by mtime) in incrementals; partial[name] = "ranges"
-- reports src/<name> as a partial file at post_snapshot. events collects
-- what it hears at restore.
local function tree_writer(src, partial, events)
  return vss.writer{ name = "tree", writer_id = WID, instance_id = IID,
    identify = function(wm)
      wm:set_backup_schema{ "incremental", "differential", "last_modify", "writer_supports_new_target" }
      wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
      wm:add_component("filegroup", nil, "tree", { selectable = false })
      wm:add_files_to_file_group(nil, "tree", src, "*.txt", false)
      wm:add_files_to_file_group(nil, "tree", src .. "/www", "*", true)
      wm:add_files_to_file_group(nil, "tree", src, "*.db", false)
    end,
    post_snapshot = function(bc, comps)
      if bc:get_backup_state().backup_type == "incremental" then
        comps[1]:add_differenced_files_by_last_modify_time(src, "*.txt", false, 0)
        comps[1]:add_differenced_files_by_last_modify_time(src .. "/www", "*", true, 0)
      end
      for name, ranges in pairs(partial or {}) do comps[1]:add_partial_file(src, name, ranges) end
    end,
    pre_restore = function(_, comps)
      if events then
        events[#events + 1] = "tree " .. tostring(comps[1]:is_selected_for_restore())
      end
    end,
  }
end

-- A second writer, of src2 alone.
local function other_writer(src2, events)
  return vss.writer{ name = "other", writer_id = WID2, instance_id = IID2,
    pre_restore = function(_, comps)
      if events then events[#events + 1] = "other " .. tostring(comps[1]:is_selected_for_restore()) end
    end,
    identify = function(wm)
      wm:set_backup_schema{ "incremental", "differential" }
      wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
      wm:add_component("filegroup", nil, "other", { selectable = false })
      wm:add_files_to_file_group(nil, "other", src2, "*", true)
    end }
end

-- Every entry beneath root ("f <rel>" / "d <rel>"), sorted; "" when root is absent.
local function listing(root)
  return (support.sh("cd " .. q(root) .. " 2>/dev/null && find . -mindepth 1 -printf '%y %P\\n' | sort"))
end

describe("restore by path", function()
  local dir, src, src2, store, w, ws, partial
  local ids

  local function backup(type)
    local r, msg = vss.backup{ writers = ws, store = store, snapshot = false, progress = false,
                               type = type, partial_file_support = true }
    assert.is_table(r, msg)
    for _, wr in ipairs(r.writers) do assert.is_nil(wr.failure, wr.name) end
    return r.id
  end

  before_each(function()
    dir = support.tmpdir()
    src, src2, store = dir .. "/srv", dir .. "/other", dir .. "/store"
    mkdir(src .. "/www/img/sub")
    mkdir(src .. "/www/imgs") -- a sibling whose name starts like img
    mkdir(src .. "/www/empty")
    mkdir(src2)
    write(src .. "/www/index.html", "<html>one</html>")
    write(src .. "/www/img/a.png", pattern(5000, 1))
    write(src .. "/www/img/sub/b.png", pattern(3000, 2))
    write(src .. "/www/imgs/c.png", "not img")
    write(src .. "/top.txt", "top")
    write(src .. "/gone.txt", "soon gone")
    write(src .. "/big.db", pattern(65536, 3))
    write(src2 .. "/o.txt", "other writer's")
    -- written an hour ago, so the incremental tells them unchanged
    support.sh("find " .. q(dir) .. " -exec touch -h -d '-1 hour' {} +")
    partial = {}
    w = tree_writer(src, partial)
    ws = { w, other_writer(src2) }
    ids = {}
    ids[1] = backup("full")
    -- the incremental: index.html and gone.txt untouched / deleted, top.txt rewritten,
    -- big.db changed in two ranges (a partial file)
    os.remove(src .. "/gone.txt")
    write(src .. "/top.txt", "top, second version")
    support.sh("touch -d '+1 min' " .. q(src .. "/top.txt"))
    local f = assert(io.open(src .. "/big.db", "r+b"))
    f:seek("set", 4096); f:write(pattern(100, 9))
    f:seek("set", 60000); f:write(pattern(10, 8))
    f:close()
    support.sh("touch -d '+1 min' " .. q(src .. "/big.db"))
    partial["big.db"] = "4096:100,60000:10"
    ids[2] = backup("incremental")
  end)
  after_each(function() support.rm_rf(dir) end)

  it("takes a file unchanged since the full from the full (the incremental does not hold it)", function()
    local s = assert(vss.store.open(store))
    local inc = support.entries_by_name(s, ids[2])
    assert.is_nil(inc[src .. "/www/index.html"]) -- not in the incremental: the chain gives it
    assert.equal("partial", inc[src .. "/big.db"].kind)
    local to = dir .. "/out"
    local r, msg = vss.restore{ store = store, paths = { src .. "/www/index.html" }, location = "new",
                                to = to, progress = false }
    assert.is_table(r, msg)
    assert.same({ ids[1], ids[2] }, r.chain)
    assert.equal("<html>one</html>", read(to .. src .. "/www/index.html"))
    -- nothing else: only the directories leading to it
    assert.equal("d www\nf www/index.html\n", listing(to .. src))
    local names = {}
    for _, f in ipairs(r.files) do names[#names + 1] = f.name .. " " .. f.status end
    assert.same({ src .. "/www/index.html restored" }, names)
  end)

  it("restores a directory and everything beneath it, and nothing else", function()
    for _, p in ipairs { src .. "/www/img/", src .. "/www/img" } do
      local to = dir .. "/out" .. #p
      local r, msg = vss.restore{ store = store, paths = { p }, location = "new", to = to,
                                  progress = false }
      assert.is_table(r, msg)
      assert.equal(0, r.failed)
      -- the subtree is the live one, entry by entry
      local diffs = assert(vss.tree.compare(src .. "/www/img", to .. src .. "/www/img"))
      assert.same({}, diffs)
      -- and imgs/, index.html, top.txt... are not there
      local out = listing(to .. src)
      assert.equal("d www\nd www/img\nd www/img/sub\nf www/img/a.png\nf www/img/sub/b.png\n", out)
    end
  end)

  it("follows a new target for the path's file set", function()
    -- (the component's other file sets need a place too, to or a new target of their own,
    -- even when no path lies in them)
    local nt, to = dir .. "/nt", dir .. "/to"
    local r, msg = vss.restore{ store = store, paths = { src .. "/www/index.html" }, location = "new",
      new_targets = { { path = src .. "/www", filespec = "*", recursive = true, to = nt } },
      to = to, progress = false }
    assert.is_table(r, msg)
    assert.equal("<html>one</html>", read(nt .. "/index.html"))
    assert.equal("f index.html\n", listing(nt))
    assert.equal("", listing(to))
  end)

  it("restores everything for the path /, as a restore of all does", function()
    local all, one = dir .. "/all", dir .. "/one"
    assert(vss.restore{ store = store, location = "new", to = all, progress = false })
    local r, msg = vss.restore{ store = store, paths = { "/" }, location = "new", to = one,
                                progress = false }
    assert.is_table(r, msg)
    -- (the directories above the file sets are made by the restore, not stored: their mtimes differ)
    assert.same({}, assert(vss.tree.compare(all, one, { ignore = { "mtime_dirs" } })))
    assert.truthy(listing(one):find("f " .. (src2 .. "/o.txt"):sub(2), 1, true))
  end)

  it("composes a partial file over the full and restores in place, other files untouched", function()
    write(src .. "/top.txt", "changed live after the backup")
    write(src .. "/www/index.html", "live")
    local want = read(src .. "/big.db")
    for _, writers in ipairs { {}, { w } } do -- one pass; one step per backup
      write(src .. "/big.db", "clobbered")
      local r, msg = vss.restore{ store = store, paths = { src .. "/big.db" }, writers = writers,
                                  progress = false }
      assert.is_table(r, msg)
      assert.equal(want, read(src .. "/big.db"))
    end
    assert.equal("changed live after the backup", read(src .. "/top.txt"))
    assert.equal("live", read(src .. "/www/index.html"))
  end)

  it("restores by path with the writers told: the path's component selected, the other not", function()
    local events = {}
    local tw = tree_writer(src, partial, events)
    local to = dir .. "/out"
    local r, msg = vss.restore{ store = store, paths = { src .. "/top.txt" },
                                writers = { tw, other_writer(src2, events) },
                                location = "new", to = to, progress = false }
    assert.is_table(r, msg)
    table.sort(events)
    -- one step per backup: each writer told at each, only the path's component selected
    assert.same({ "other false", "other false", "tree true", "tree true" }, events)
    assert.equal("top, second version", read(to .. src .. "/top.txt"))
    assert.is_nil(io.open(to .. src2 .. "/o.txt"))
    for _, c in ipairs(r.components) do assert.equal("tree", c.name) end
    assert.equal(0, r.failed)
  end)

  it("fails with ENOENT naming an absent or deleted path, and writes nothing", function()
    for _, p in ipairs { src .. "/nothing.txt", src .. "/gone.txt", src .. "/top.txt/", src .. "/www/im" } do
      local to = dir .. "/out"
      local r, err, code = vss.restore{ store = store, paths = { src .. "/top.txt", p },
                                        location = "new", to = to, progress = false }
      assert.is_nil(r)
      assert.equal("ENOENT", code)
      assert.truthy(err:find(p, 1, true), err)
      assert.equal("", listing(to))
    end
    -- gone.txt is there as of the full
    local to = dir .. "/out1"
    assert(vss.restore{ store = store, backup = ids[1], paths = { src .. "/gone.txt" },
                        location = "new", to = to, progress = false })
    assert.equal("soon gone", read(to .. src .. "/gone.txt"))
  end)

  it("refuses paths with components, an empty list, and a relative path", function()
    assert.has_error(function()
      vss.restore{ store = store, paths = { src .. "/top.txt" }, components = { "tree" } }
    end, "bad argument #1 to 'restore' (paths and components both given: restore by path or by "
      .. "component, not both (a path names its component already))")
    assert.has_error(function() vss.restore{ store = store, paths = {} } end)
    assert.has_error(function() vss.restore{ store = store, paths = { "srv/x" } } end)
    local r, _, code = vss.restore{ store = store, paths = { src .. "/../etc/passwd" },
                                    location = "new", to = dir .. "/o", progress = false }
    assert.is_nil(r)
    assert.equal("EINVAL", code)
  end)

  describe("store:extract from the chain", function()
    it("gives a file unchanged since the full, as of the incremental", function()
      local s = assert(vss.store.open(store))
      assert.equal("<html>one</html>", assert(s:read(ids[2], src .. "/www/index.html")))
      local out = dir .. "/x"
      assert(s:extract(ids[2], src .. "/www/img/a.png", out))
      assert.equal(pattern(5000, 1), read(out))
    end)

    it("composes a partial file over its last whole copy", function()
      local s = assert(vss.store.open(store))
      local out = dir .. "/x"
      write(out, string.rep("z", 100000)) -- longer than the file: cut to its size
      assert(s:extract(ids[2], src .. "/big.db", out))
      assert.equal(read(src .. "/big.db"), read(out))
      -- the full alone still gives the old one
      assert(s:extract(ids[1], src .. "/big.db", out))
      assert.equal(pattern(65536, 3), read(out))
    end)

    it("refuses a directory: no file data (EINVAL)", function()
      local s = assert(vss.store.open(store))
      local data, _, code = s:read(ids[2], src .. "/www/img")
      assert.is_nil(data)
      assert.equal("EINVAL", code)
    end)

    it("says ENOENT for a file deleted as of that point, and for one never stored", function()
      local s = assert(vss.store.open(store))
      local data, err, code = s:read(ids[2], src .. "/gone.txt")
      assert.is_nil(data)
      assert.equal("ENOENT", code)
      assert.matches("deleted", err)
      assert.equal("soon gone", assert(s:read(ids[1], src .. "/gone.txt")))
      data, err, code = s:read(ids[2], src .. "/never.txt")
      assert.is_nil(data)
      assert.equal("ENOENT", code)
      assert.truthy(err:find("never.txt", 1, true))
    end)
  end)
end)
