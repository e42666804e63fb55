-- Change detection (issue #11 item 2, README Backup "Change detection"):
-- a differenced file set of an incremental or differential takes a file
-- whose path the chain it builds on does not hold, or whose size, mtime,
-- ctime, inode, mode or owner differ from what the chain recorded (writer
-- time 0: the requester decides); with a writer's time, a file modified
-- after it and every path the chain does not hold. Each case on real
-- files, restored and compared with the tree.
local vss = require "vss"
local support = require "support"

local q, sh = support.q, support.sh

local WID = "de7ec700-0000-4000-8000-000000000011"
local IID = "de7ec700-0000-4000-8000-000000000012"

local function run(cmd)
  local out, ok = sh(cmd)
  assert(ok, cmd .. ": " .. out)
  return out
end

-- A writer of one recursive set, root, differenced on an incremental or
-- differential with the time time() gives (0: the requester decides).
local function writer(root, time)
  return support.tree_writer(root, { name = "detect", writer_id = WID, instance_id = IID,
                                     time = time })
end

-- The regular files a backup stored (data or link), by name.
local function files_of(storedir, id)
  local t = {}
  for name, e in pairs(support.entries_by_name(assert(vss.store.open(storedir)), id)) do
    if e.kind == "file" or e.kind == "hardlink" then t[name] = e end
  end
  return t
end

describe("change detection", function()
  local base, src, storedir
  before_each(function()
    base = support.tmpdir()
    src = base .. "/src"
    storedir = base .. "/store"
    support.mkdir(src .. "/d")
    support.write(src .. "/d/a", "alpha\n")
    support.write(src .. "/d/b", "bravo\n")
    support.write(src .. "/keep", "unchanged\n")
    run("touch -d '2001-02-03 04:05:06.123456789' " .. q(src .. "/d/a") .. " " .. q(src .. "/d/b"))
  end)
  after_each(function() support.rm_rf(base) end)

  local function backup(w, bt, snapshot)
    local r, msg, code = vss.backup{ writers = { w }, store = storedir, type = bt,
                                     snapshot = snapshot or false, progress = false }
    assert(r, tostring(msg) .. " " .. tostring(code))
    return r
  end

  -- the latest point restored into a fresh directory equals the tree
  local function restores_exactly(id)
    local to = base .. "/out-" .. id
    assert(vss.restore{ store = storedir, backup = id, location = "new", to = to, progress = false })
    local lines = {}
    for _, d in ipairs(support.ok(vss.tree.compare(src, to .. src))) do
      lines[#lines + 1] = vss.tree.format(d)
    end
    assert.are.same({}, lines)
  end

  it("takes nothing of what did not change, and records each file's inode", function()
    local w = writer(src)
    local full = backup(w, "full")
    local e = files_of(storedir, full.id)[src .. "/keep"]
    local ino = tonumber((run("stat -c %i " .. q(src .. "/keep")):gsub("%s+$", "")))
    assert.equal(ino, e.attributes.ino)
    local r = backup(w, "incremental")
    assert.same({}, files_of(storedir, r.id))
    restores_exactly(r.id)
  end)

  it("takes a renamed file, whose mtime is old (writer time 0)", function()
    local w = writer(src)
    backup(w, "full")
    run("mv " .. q(src .. "/d/a") .. " " .. q(src .. "/d/renamed"))
    local r = backup(w, "incremental")
    local got = files_of(storedir, r.id)
    assert.is_table(got[src .. "/d/renamed"])
    assert.is_nil(got[src .. "/keep"])
    restores_exactly(r.id)
  end)

  it("takes a file copied in with cp -p (an old mtime)", function()
    local w = writer(src)
    backup(w, "full")
    support.write(base .. "/outside", "copied in\n")
    run("touch -d '1999-01-01' " .. q(base .. "/outside"))
    run("cp -p " .. q(base .. "/outside") .. " " .. q(src .. "/d/copied"))
    local r = backup(w, "differential")
    assert.is_table(files_of(storedir, r.id)[src .. "/d/copied"])
    restores_exactly(r.id)
  end)

  it("takes a file whose content changed with its size and mtime kept (ctime)", function()
    local w = writer(src)
    backup(w, "full")
    -- same size, same mtime to the nanosecond: only ctime tells
    run("cp -p " .. q(src .. "/d/b") .. " " .. q(base .. "/stamp"))
    support.write(src .. "/d/b", "BRAVO\n")
    run("touch -r " .. q(base .. "/stamp") .. " " .. q(src .. "/d/b"))
    local r = backup(w, "incremental")
    assert.is_table(files_of(storedir, r.id)[src .. "/d/b"])
    restores_exactly(r.id)
    assert.equal("BRAVO\n", support.read(base .. "/out-" .. r.id .. src .. "/d/b"))
  end)

  it("takes a file whose mode or owner alone changed, and restores it", function()
    local w = writer(src)
    backup(w, "full")
    run("chmod 600 " .. q(src .. "/d/a"))
    if support.is_root() then run("chown nobody " .. q(src .. "/d/b")) end
    local r = backup(w, "incremental")
    local got = files_of(storedir, r.id)
    assert.is_table(got[src .. "/d/a"])
    assert.equal(tonumber("100600", 8), got[src .. "/d/a"].attributes.mode)
    if support.is_root() then assert.is_table(got[src .. "/d/b"]) end
    assert.is_nil(got[src .. "/keep"])
    restores_exactly(r.id)
  end)

  it("takes a file a hard link was added to, and a file given an xattr", function()
    local w = writer(src)
    backup(w, "full")
    run("ln " .. q(src .. "/d/a") .. " " .. q(src .. "/d/a-link"))
    local xattr = select(2, sh("setfattr -n user.detect -v yes " .. q(src .. "/d/b")))
    local r = backup(w, "incremental")
    local got = files_of(storedir, r.id)
    assert.is_table(got[src .. "/d/a"])
    assert.is_table(got[src .. "/d/a-link"])
    if xattr then assert.is_table(got[src .. "/d/b"]) end
    restores_exactly(r.id)
  end)

  it("keeps a hard link whose other name, the one holding the data, moved away", function()
    local w = writer(src)
    run("ln " .. q(src .. "/d/a") .. " " .. q(src .. "/z-link"))
    local full = backup(w, "full")
    local got = files_of(storedir, full.id)
    local link = got[src .. "/z-link"].kind == "hardlink" and src .. "/z-link" or src .. "/d/a"
    local holder = got[link].target
    assert.equal("hardlink", got[link].kind)
    run("mv " .. q(holder) .. " " .. q(holder .. ".moved")) -- an old mtime, a new path
    local r = backup(w, "incremental")
    assert.is_table(files_of(storedir, r.id)[link])
    restores_exactly(r.id)
  end)

  it("takes a hard-link group whole or not at all", function()
    local w = writer(src)
    run("ln " .. q(src .. "/d/a") .. " " .. q(src .. "/z-link"))
    backup(w, "full")
    local r1 = backup(w, "incremental")
    assert.same({}, files_of(storedir, r1.id))
    -- a new name of the inode: every name comes, the data once
    run("ln " .. q(src .. "/d/a") .. " " .. q(src .. "/d/third"))
    local r2 = backup(w, "incremental")
    local got, kinds = files_of(storedir, r2.id), {}
    for _, n in ipairs { "/d/a", "/z-link", "/d/third" } do
      assert.is_table(got[src .. n], n)
      kinds[got[src .. n].kind] = (kinds[got[src .. n].kind] or 0) + 1
    end
    assert.same({ file = 1, hardlink = 2 }, kinds)
    restores_exactly(r2.id)
  end)

  it("with a writer's time, takes a renamed file older than it too", function()
    local cut = os.time() - 3600
    local w = writer(src, function() return vss.components.filetime(cut) end)
    backup(w, "full")
    run("mv " .. q(src .. "/d/a") .. " " .. q(src .. "/d/moved"))
    support.write(src .. "/d/new", "new\n") -- mtime now: after the time
    local r = backup(w, "incremental")
    local got = files_of(storedir, r.id)
    assert.is_table(got[src .. "/d/moved"]) -- mtime 2001, path new to the chain
    assert.is_table(got[src .. "/d/new"])
    assert.is_nil(got[src .. "/d/b"]) -- 2001, held: the writer's time rules
    assert.is_table(got[src .. "/keep"]) -- written now, after the time: VSS takes it
    restores_exactly(r.id)
  end)

  it("reads from a snapshot mirror without taking what did not change, and catches a change", function()
    local w = writer(src)
    local full = backup(w, "full", "auto")
    -- the inode recorded is the original's, not the mirror's
    local ino = tonumber((run("stat -c %i " .. q(src .. "/d/b")):gsub("%s+$", "")))
    assert.equal(ino, files_of(storedir, full.id)[src .. "/d/b"].attributes.ino)
    local r = backup(w, "incremental", "auto")
    assert.same({}, files_of(storedir, r.id))
    support.write(base .. "/stamp", "")
    run("touch -r " .. q(src .. "/d/b") .. " " .. q(base .. "/stamp"))
    support.write(src .. "/d/b", "BRAVO\n")
    run("touch -r " .. q(base .. "/stamp") .. " " .. q(src .. "/d/b"))
    local r2 = backup(w, "differential", "auto")
    local got = files_of(storedir, r2.id)
    assert.is_table(got[src .. "/d/b"])
    assert.is_nil(got[src .. "/d/a"])
    assert.is_string(full.id)
    restores_exactly(r2.id)
  end)
end)
