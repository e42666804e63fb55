-- Snapshot sets against real filesystems: loop-mounted XFS (reflink) and
-- btrfs images made and removed by each spec (as root), plus what runs
-- anywhere (misuse, the copy provider in /tmp).
local vss = require "vss"
local support = require "support"
local loopfs = require "loopfs"
local q, sh = support.q, support.sh

local MB = 1024 * 1024

local function with_fs(kind, mb, fn)
  return function()
    local why = loopfs.unavailable(kind)
    if why then return pending(why) end
    local fs, err = loopfs.make(kind, mb)
    if not fs then return pending(err) end
    -- one finally per spec (busted keeps the last): drop also kills the children
    finally(function() loopfs.drop(fs) end)
    fn(fs)
  end
end

local function fill(path, byte, size)
  support.write(path, string.rep(byte, size))
end

local function populate(root)
  sh("mkdir -p " .. q(root .. "/data/sub"))
  support.write(root .. "/data/a.txt", "alpha")
  support.write(root .. "/data/sub/b.txt", "beta")
  sh("ln -s a.txt " .. q(root .. "/data/link") .. " && chmod 640 " .. q(root .. "/data/a.txt"))
end

local function area_gone(mnt)
  return not support.exists(mnt .. "/.luavss-snapshots")
end

describe("vss.snapshot_set", function()
  it("raises on misuse, naming the argument", function()
    assert.has_error(function() vss.snapshot_set{ provider = "lvm" } end,
      "bad argument #1 to 'set' (provider: invalid value 'lvm' "
        .. "(expected \"auto\", \"btrfs\", \"reflink\", \"copy\" or \"none\"))")
    assert.has_error(function() vss.snapshot_set{ context = "nope" } end,
      "bad argument #1 to 'set' (context: invalid value 'nope' "
        .. "(expected \"backup\", \"file_share_backup\", \"nas_rollback\" or \"app_rollback\"))")
    -- names of the engine's tables that a set cannot be made with
    assert.has_error(function() vss.snapshot_set{ context = "client_accessible" } end,
      "bad argument #1 to 'set' (context: invalid value 'client_accessible' "
        .. "(expected \"backup\", \"file_share_backup\", \"nas_rollback\" or \"app_rollback\"))")
    assert.has_error(function() vss.snapshot_set{ attributes = { "sticky" } } end,
      "bad argument #1 to 'set' (attributes: entry 1: invalid value 'sticky' "
        .. "(expected \"persistent\", \"no_auto_release\" or \"no_writers\"))")
    assert.has_error(function() vss.snapshot_set{ attributes = { "persistent", "exposed_locally" } } end,
      "bad argument #1 to 'set' (attributes: entry 2: invalid value 'exposed_locally' "
        .. "(expected \"persistent\", \"no_auto_release\" or \"no_writers\"))")
    assert.has_error(function() vss.snapshot.is_volume_supported("/tmp", "lvm") end,
      "bad argument #2 to 'is_volume_supported' (provider: invalid value 'lvm' "
        .. "(expected \"auto\", \"btrfs\", \"reflink\", \"copy\" or \"none\"))")
    assert.has_error(function() vss.snapshot_set{ providr = "none" } end,
      "bad argument #1 to 'set' (unknown option 'providr')")
    assert.is_true(vss.snapshot.is_volume_supported("/tmp", "none"))
    local set = assert(vss.snapshot_set{})
    assert.has_error(function() set:add("/tmp", { snapshot_required = "yes" }) end)
    assert.has_error(function() set:take(true) end)
    set:release()
    assert.has_error(function() set:add("/tmp") end, "calling 'add' on bad self (snapshot set was released)")
    assert.equals("vss.SnapshotSet (released)", tostring(set))
    assert.has_error(function() vss.snapshot.delete("not-a-guid") end)
  end)

  it("has a VSS-formatted random id and a readable tostring", function()
    local a <close> = vss.snapshot_set{}
    local b <close> = vss.snapshot_set{}
    assert.matches("^{%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x+}$", a:id())
    assert.equals(38, #a:id())
    assert.not_equals(a:id(), b:id())
    assert.equals("vss.SnapshotSet " .. a:id() .. " (started, 0 snapshots)", tostring(a))
  end)

  it("returns nil, message, code for operational failures", function()
    local set <close> = vss.snapshot_set{}
    local ok, err, code = set:take()
    assert.is_nil(ok)
    assert.equals("BAD_STATE", code)
    assert.matches("nothing was added", err)
    ok, err, code = set:add("/nonexistent/luavss")
    assert.is_nil(ok)
    assert.equals("ENOENT", code)
    assert.matches("/nonexistent/luavss", err, 1, true)
    ok, err, code = set:path("/tmp")
    assert.is_nil(ok)
    assert.equals("BAD_STATE", code)
    assert.matches("not taken", err)
  end)

  it("takes a set with the copy provider anywhere, and reports it as slow", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    populate(dir)
    local notes = {}
    local set <close> = vss.snapshot_set{ provider = "copy",
      progress = function(p) if p.message then notes[#notes + 1] = p.message end end }
    assert(set:add(dir .. "/data"))
    assert.equals("copy", set:providers()[1].provider)
    assert.matches("slow", set:providers()[1].reason)
    assert(set:take())
    assert.matches("slow", notes[1])
    support.write(dir .. "/data/a.txt", "changed")
    assert.equals("alpha", support.read(set:path(dir .. "/data/a.txt")))
    assert.equals("beta", support.read(set:path(dir .. "/data/sub/b.txt")))
    local area = set:path(dir .. "/data"):match("^(.*/%.luavss%-snapshots)/")
    assert(set:delete())
    assert.is_false(support.exists(area .. "/" .. set:id() .. ".manifest"))
  end)

  it("aborts and rolls back when the progress callback fails", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    populate(dir)
    local set <close> = vss.snapshot_set{ provider = "copy", progress = function() error("stop here") end }
    assert(set:add(dir .. "/data"))
    local ok, err, code = set:take()
    assert.is_nil(ok)
    assert.equals("ECANCELED", code)
    assert.matches("stop here", err)
    for _, s in ipairs(vss.snapshot.query(dir)) do assert.not_equals(set:id(), s.id) end
  end)

  it("cleans up a set directory whose manifest a machine crash lost, if older than the boot", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    local area = dir .. "/.luavss-snapshots"
    local old = area .. "/{00000000-0000-4000-8000-000000000001}"
    local recent = area .. "/{00000000-0000-4000-8000-000000000002}"
    sh(("mkdir -p %s %s && touch %s && touch -d 2000-01-01 %s"):format(
      q(old .. "/{snap}"), q(recent), q(old .. "/{snap}/f"), q(old)))
    assert.equals(0, vss.snapshot.cleanup(dir))
    assert.is_false(support.exists(old .. "/{snap}/f"))
    assert.is_true(support.exists(recent))
    sh("rmdir " .. q(recent))
    vss.snapshot.cleanup(dir)
    assert.is_false(support.exists(area))
  end)

  it("chooses reflink on XFS and keeps the point in time", with_fs("xfs", 512, function(fs)
    populate(fs.mnt)
    -- owners, modes, a set-group-ID directory and times come along too
    sh(("cd %s && chown 65534:65534 sub/b.txt && chgrp 65534 sub && chmod 2750 sub && echo c > sub/c.txt "
      .. "&& chmod 4755 sub/c.txt && touch -h -d 2001-02-03 link sub/c.txt sub"):format(q(fs.mnt .. "/data")))
    local function meta(dir)
      return (sh("cd " .. q(dir) .. " && find . -printf '%p %y %s %m %U:%G %T@\\n' | sort"))
    end
    local original = meta(fs.mnt .. "/data")
    do
      local first <close> = vss.snapshot_set{ provider = "auto" }
      assert(first:add(fs.mnt .. "/data"))
      assert(first:take())
      assert.equals(original, meta(first:path(fs.mnt .. "/data")))
    end
    local set <close> = vss.snapshot_set{ provider = "auto" }
    assert(set:add(fs.mnt .. "/data"))
    local p = set:providers()
    assert.equals(1, #p)
    assert.equals("reflink", p[1].provider)
    assert.matches("FICLONE", p[1].reason)
    assert.matches("not btrfs", p[1].reason)
    assert(set:take())
    -- written, deleted, renamed after the take: the snapshot does not move
    support.write(fs.mnt .. "/data/a.txt", "after the take")
    support.write(fs.mnt .. "/data/new.txt", "new")
    os.remove(fs.mnt .. "/data/sub/b.txt")
    os.rename(fs.mnt .. "/data/sub", fs.mnt .. "/data/moved")
    assert.equals("alpha", support.read(set:path(fs.mnt .. "/data/a.txt")))
    assert.equals("beta", support.read(set:path(fs.mnt .. "/data/sub/b.txt")))
    assert.is_false(support.exists(set:path(fs.mnt .. "/data/new.txt")))
    assert.equals("a.txt", (sh("readlink " .. q(set:path(fs.mnt .. "/data/link"))):gsub("%s+$", "")))
    assert.equals("640", (sh("stat -c %a " .. q(set:path(fs.mnt .. "/data/a.txt"))):gsub("%s+$", "")))
    local _, _, code = set:path(fs.mnt .. "/elsewhere")
    assert.equals("OBJECT_NOT_FOUND", code)
    set:delete()
    assert.is_true(area_gone(fs.mnt))
  end))

  it("translates, exposes read-only, queries and deletes", with_fs("xfs", 512, function(fs)
    populate(fs.mnt)
    local expose = fs.dir .. "/exposed"
    sh("mkdir " .. q(expose))
    local set <close> = vss.snapshot_set{}
    assert(set:add(fs.mnt .. "/data"))
    assert(set:take())
    assert(set:expose(fs.mnt .. "/data", expose))
    assert.equals("alpha", support.read(expose .. "/a.txt"))
    local _, ok = sh("touch " .. q(expose .. "/x"))
    assert.is_false(ok)
    local found
    for _, s in ipairs(vss.snapshot.query(fs.mnt)) do
      if s.id == set:id() then found = s end
    end
    assert.is_table(found)
    assert.equals("created", found.state)
    assert.equals("backup", found.context)
    assert.is_true(found.owner_alive)
    assert.equals(expose, found.snapshots[1].exposed)
    assert.same({ "exposed_locally" }, found.attributes)
    assert.equals("reflink", found.snapshots[1].provider)
    assert(set:delete())
    assert.equals(0, #vss.snapshot.query(fs.mnt))
    local mounted = sh("grep -c " .. q(expose) .. " /proc/self/mounts")
    assert.equals("0", (mounted:gsub("%s+$", "")))
    assert.is_true(area_gone(fs.mnt))
  end))

  it("releases a set held in a <close> variable, on error too", with_fs("xfs", 512, function(fs)
    populate(fs.mnt)
    local id
    local ok = pcall(function()
      local set <close> = vss.snapshot_set{}
      assert(set:add(fs.mnt .. "/data"))
      assert(set:take())
      id = set:id()
      assert.is_false(area_gone(fs.mnt))
      error("policy failed")
    end)
    assert.is_false(ok)
    assert.is_string(id)
    assert.is_true(area_gone(fs.mnt))
  end))

  it("keeps persistent sets past release and deletes them by id", with_fs("xfs", 512, function(fs)
    populate(fs.mnt)
    local id
    do
      local set <close> = vss.snapshot_set{ context = "app_rollback" }
      assert(set:add(fs.mnt .. "/data"))
      assert(set:take())
      id = set:id()
    end
    local sets = vss.snapshot.query(fs.mnt)
    assert.equals(1, #sets)
    assert.equals(id, sets[1].id)
    assert.equals("app_rollback", sets[1].context)
    assert.same({ "persistent", "no_auto_release" }, sets[1].attributes)
    assert.equals(0, vss.snapshot.cleanup(fs.mnt))
    assert(vss.snapshot.delete(id))
    assert.is_true(area_gone(fs.mnt))
    local ok, _, code = vss.snapshot.delete(id)
    assert.is_nil(ok)
    assert.equals("OBJECT_NOT_FOUND", code)
  end))

  it("sees a file rewritten during the take entirely before or after", with_fs("xfs", 512, function(fs)
    sh("mkdir " .. q(fs.mnt .. "/data"))
    fill(fs.mnt .. "/A", "a", MB)
    fill(fs.mnt .. "/B", "b", MB)
    sh("cp " .. q(fs.mnt .. "/A") .. " " .. q(fs.mnt .. "/data/f"))
    for i = 1, 200 do support.write(fs.mnt .. "/data/n" .. i, "x") end
    -- one writer rewrites data/f in place (a single 1 MiB write), another replaces data/g
    loopfs.spawn(([[
      local a, b = io.open(%q):read("a"), io.open(%q):read("a")
      local f = io.open(%q, "r+b"); f:setvbuf("no")
      io.open(%q, "w"):close()
      local n = 0
      while true do
        n = n + 1
        f:seek("set"); f:write(n %% 2 == 0 and a or b)
        local t = io.open(%q, "wb"); t:write(n %% 2 == 0 and a or b); t:close()
        os.rename(%q, %q)
      end]]):format(fs.mnt .. "/A", fs.mnt .. "/B", fs.mnt .. "/data/f", fs.dir .. "/started",
      fs.mnt .. "/data/g.tmp", fs.mnt .. "/data/g.tmp", fs.mnt .. "/data/g"), fs.dir .. "/writer.log")
    assert.is_true(loopfs.wait_for(fs.dir .. "/started", 10))
    assert.is_true(loopfs.wait_for(fs.mnt .. "/data/g", 10))
    for provider, rounds in pairs{ reflink = 15, copy = 5 } do
      for _ = 1, rounds do
        local set <close> = vss.snapshot_set{ provider = provider }
        assert(set:add(fs.mnt .. "/data"))
        assert(set:take())
        for _, name in ipairs{ "f", "g" } do
          local got = support.read(set:path(fs.mnt .. "/data/" .. name))
          assert.equals(MB, #got)
          local c = got:sub(1, 1)
          assert.is_true(got == string.rep(c, MB), provider .. ": " .. name .. " mixes two versions")
        end
      end
    end
  end))

  for _, kind in ipairs{ "xfs", "btrfs" } do
  it("leaves nothing behind after kill -9 during a take on " .. kind .. ", once cleaned up",
    with_fs(kind, 512, function(fs)
    sh("mkdir -p " .. q(fs.mnt .. "/data") .. " && cd " .. q(fs.mnt .. "/data")
       .. " && for d in $(seq 1 30); do mkdir d$d; for f in $(seq 1 100); do echo $d$f > d$d/f$f; done; done")
    local before = loopfs.listing(fs.mnt)
    local marker = fs.dir .. "/mid-take"
    local pid = loopfs.spawn(([[
      local vss = require "vss"
      local set = assert(vss.snapshot_set{ progress = function(p)
        -- mid-way through the clones, or right after the btrfs snapshot
        if (p.files >= 1000 and not p.done) or p.provider == "btrfs" then
          io.open(%q, "w"):close()
          while true do end -- hold the take open until killed
        end
      end })
      assert(set:add(%q))
      set:take()]]):format(marker, fs.mnt .. "/data"), fs.dir .. "/child.log")
    assert.is_true(loopfs.wait_for(marker, 20), support.read(fs.dir .. "/child.log"))
    -- it spins in the take until killed: still there, so the kill lands mid-take
    assert.is_true(loopfs.alive(pid),
      "the child ended before the kill: " .. support.read(fs.dir .. "/child.log"))
    sh("kill -9 " .. pid)
    for _ = 1, 100 do if not loopfs.alive(pid) then break end sh("sleep 0.05") end
    -- what the crash left is recognisable: a manifest naming a dead owner
    local sets = vss.snapshot.query(fs.mnt)
    assert.equals(1, #sets)
    assert.equals("preparing", sets[1].state)
    assert.is_false(sets[1].owner_alive)
    assert.not_equals(before, loopfs.listing(fs.mnt))
    assert.equals(1, vss.snapshot.cleanup(fs.mnt))
    assert.equals(before, loopfs.listing(fs.mnt))
    if kind == "btrfs" then assert.equals("", (sh("btrfs subvolume list " .. q(fs.mnt)))) end
  end))
  end

  it("never removes a live set of another process", with_fs("xfs", 512, function(fs)
    populate(fs.mnt)
    local marker = fs.dir .. "/taken"
    local pid = loopfs.spawn(([[
      local vss = require "vss"
      local set = assert(vss.snapshot_set{})
      assert(set:add(%q))
      assert(set:take())
      io.open(%q, "w"):close()
      while true do end]]):format(fs.mnt .. "/data", marker), fs.dir .. "/child.log")
    assert.is_true(loopfs.wait_for(marker, 20), support.read(fs.dir .. "/child.log"))
    assert.equals(0, vss.snapshot.cleanup(fs.mnt))
    local set <close> = vss.snapshot_set{}
    assert(set:add(fs.mnt .. "/data")) -- the automatic cleanup spares it too
    local sets = vss.snapshot.query(fs.mnt)
    assert.equals(1, #sets)
    assert.is_true(sets[1].owner_alive)
    local ok, _, code = vss.snapshot.delete(sets[1].id)
    assert.is_nil(ok)
    assert.equals("BAD_STATE", code)
    assert.is_true(loopfs.alive(pid),
      "the child ended before the kill: " .. support.read(fs.dir .. "/child.log"))
    sh("kill -9 " .. pid)
    for _ = 1, 100 do if not loopfs.alive(pid) then break end sh("sleep 0.05") end
    -- the next set on that volume removes the dead owner's leftovers
    local again <close> = vss.snapshot_set{}
    assert(again:add(fs.mnt .. "/data"))
    assert.equals(0, #vss.snapshot.query(fs.mnt))
  end))

  it("rolls back completely on ENOSPC", with_fs("xfs", 320, function(fs)
    sh("mkdir " .. q(fs.mnt .. "/data") .. " && dd if=/dev/urandom of=" .. q(fs.mnt .. "/data/big")
       .. " bs=1M count=170 status=none")
    for i = 1, 50 do support.write(fs.mnt .. "/data/small" .. i, "s" .. i) end
    local before = loopfs.listing(fs.mnt)
    local df = sh("sync -f " .. q(fs.mnt) .. "; df --output=used " .. q(fs.mnt) .. " | tail -1")
    local set <close> = vss.snapshot_set{ provider = "copy" }
    assert(set:add(fs.mnt .. "/data"))
    local ok, err, code = set:take()
    assert.is_nil(ok)
    assert.equals("ENOSPC", code)
    assert.matches("data/big", err)
    assert.equals(before, loopfs.listing(fs.mnt))
    assert.is_true(area_gone(fs.mnt))
    -- XFS trims speculative preallocation lazily: allow 4 MiB of slack, far
    -- below the 170 MiB a leftover copy would hold
    local after = sh("sync -f " .. q(fs.mnt) .. "; df --output=used " .. q(fs.mnt) .. " | tail -1")
    assert.is_true(math.abs(tonumber(after) - tonumber(df)) < 4096,
      df .. " KiB used before, " .. after .. " after")
    local again, _, again_code = set:take()
    assert.is_nil(again)
    assert.equals("BAD_STATE", again_code)
  end))

  it("rolls back completely on a permission error", with_fs("xfs", 512, function(fs)
    local _, has = sh("command -v setpriv")
    if not has then return pending("needs setpriv to run the take unprivileged") end
    populate(fs.mnt)
    support.write(fs.mnt .. "/data/sub/secret", "root only")
    sh(("chmod 600 %s && chmod 1777 %s && chmod 755 %s"):format(
      q(fs.mnt .. "/data/sub/secret"), q(fs.mnt), q(fs.dir)))
    local before = loopfs.listing(fs.mnt)
    local out = sh(("setpriv --reuid=65534 --regid=65534 --clear-groups env %s lua5.4 -e %s"):format(
      support.lua_env,
      q(("local vss = require 'vss'; local set = assert(vss.snapshot_set{}); assert(set:add(%q)); "
        .. "print(set:providers()[1].provider, set:take())"):format(fs.mnt .. "/data"))))
    assert.matches("^reflink\tnil\t[^\n]*data/sub/secret[^\n]*\tEACCES\n$", out)
    assert.equals(before, loopfs.listing(fs.mnt))
    assert.is_true(area_gone(fs.mnt))
  end))

  it("takes a read-only btrfs subvolume snapshot", with_fs("btrfs", 256, function(fs)
    sh("btrfs -q subvolume create " .. q(fs.mnt .. "/sv"))
    populate(fs.mnt .. "/sv")
    local set <close> = vss.snapshot_set{}
    assert(set:add(fs.mnt .. "/sv/data"))
    local p = set:providers()[1]
    assert.equals("btrfs", p.provider)
    assert.equals(fs.mnt .. "/sv", p.original)
    assert(set:take())
    support.write(fs.mnt .. "/sv/data/a.txt", "after")
    os.remove(fs.mnt .. "/sv/data/sub/b.txt")
    local snap = set:path(fs.mnt .. "/sv/data/a.txt")
    assert.equals("alpha", support.read(snap))
    assert.equals("beta", support.read(set:path(fs.mnt .. "/sv/data/sub/b.txt")))
    local _, ok = sh("touch " .. q(snap))
    assert.is_false(ok)
    assert.matches("ro=true", (sh("btrfs property get " .. q(set:path(fs.mnt .. "/sv")) .. " ro")))
    assert.matches("luavss", (sh("btrfs subvolume list " .. q(fs.mnt))))
    assert(set:delete())
    assert.not_matches("luavss", (sh("btrfs subvolume list " .. q(fs.mnt))))
    assert.is_true(area_gone(fs.mnt))
  end))

  it("on btrfs, mixes providers per path and keeps a point in time under rewrites",
    with_fs("btrfs", 256, function(fs)
    populate(fs.mnt)
    sh("btrfs -q subvolume create " .. q(fs.mnt .. "/sv"))
    fill(fs.mnt .. "/sv/f", "a", MB)
    loopfs.spawn(([[
      local a, b = string.rep("a", 1 << 20), string.rep("b", 1 << 20)
      io.open(%q, "w"):close()
      local n = 0
      while true do
        n = n + 1
        local t = io.open(%q, "wb"); t:write(n %% 2 == 0 and a or b); t:close()
        os.execute("sync " .. %q) -- fsync, then rename: how applications replace a file
        os.rename(%q, %q)
      end]]):format(fs.dir .. "/started", fs.mnt .. "/sv/f.tmp", fs.mnt .. "/sv/f.tmp", fs.mnt .. "/sv/f.tmp",
      fs.mnt .. "/sv/f"),
      fs.dir .. "/writer.log")
    assert.is_true(loopfs.wait_for(fs.dir .. "/started", 10))
    for _ = 1, 10 do
      local set <close> = vss.snapshot_set{}
      assert(set:add(fs.mnt .. "/sv"))
      assert(set:add(fs.mnt .. "/data", { provider = "reflink" }))
      assert(set:add(fs.mnt .. "/data/sub", { snapshot_required = false }))
      local kinds = {}
      for _, p in ipairs(set:providers()) do kinds[#kinds + 1] = p.provider end
      table.sort(kinds)
      assert.same({ "btrfs", "none", "reflink" }, kinds)
      assert(set:take())
      local got = support.read(set:path(fs.mnt .. "/sv/f"))
      assert.equals(MB, #got)
      assert.is_true(got == string.rep(got:sub(1, 1), MB))
      assert.equals("alpha", support.read(set:path(fs.mnt .. "/data/a.txt")))
      assert.equals(fs.mnt .. "/data/sub/b.txt", set:path(fs.mnt .. "/data/sub/b.txt"))
    end
    assert.is_true(area_gone(fs.mnt))
  end))

  it("needs no snapshot of a filesystem mounted read-only", with_fs("xfs", 320, function(fs)
    populate(fs.mnt)
    local _, ok = sh("mount -o remount,ro " .. q(fs.mnt))
    assert.is_true(ok)
    local set <close> = vss.snapshot_set{}
    assert(set:add(fs.mnt .. "/data"))
    assert.equals("none", set:providers()[1].provider)
    assert.matches("read%-only", set:providers()[1].reason)
    assert(set:take())
    assert.equals(fs.mnt .. "/data/a.txt", set:path(fs.mnt .. "/data/a.txt"))
    assert.is_true(area_gone(fs.mnt))
  end))

  it("refuses a forced provider that cannot serve the volume", with_fs("xfs", 512, function(fs)
    populate(fs.mnt)
    local set <close> = vss.snapshot_set{ provider = "btrfs" }
    local ok, err, code = set:add(fs.mnt .. "/data")
    assert.is_nil(ok)
    assert.equals("VOLUME_NOT_SUPPORTED", code)
    assert.matches("not btrfs", err)
    local yes, why = vss.snapshot.is_volume_supported(fs.mnt, "reflink")
    assert.is_true(yes)
    assert.matches("FICLONE", why)
    assert.is_false((vss.snapshot.is_volume_supported(fs.mnt, "btrfs")))
    assert.is_true(area_gone(fs.mnt))
  end))
end)

describe("vss.snapshot.freeze", function()
  local can_write = loopfs.can_write

  it("freezes in a child and thaws on request", with_fs("xfs", 320, function(fs)
    local f = assert(vss.snapshot.freeze(fs.mnt, 30))
    assert.matches("^vss.Freeze ", tostring(f))
    assert.is_false(can_write(fs, 1))
    assert(f:thaw())
    assert.is_true(can_write(fs, 10))
    assert.has_error(function() f:thaw() end)
  end))

  it("thaws by itself when the timeout passes", with_fs("xfs", 320, function(fs)
    local f <close> = assert(vss.snapshot.freeze(fs.mnt, 1))
    assert.is_true(can_write(fs, 10))
    local ok, _, code = f:thaw()
    assert.is_nil(ok)
    assert.equals("HOLD_WRITES_TIMEOUT", code)
  end))

  it("thaws when the process that froze is killed with SIGKILL", with_fs("xfs", 320, function(fs)
    local marker = fs.dir .. "/frozen"
    local pid = loopfs.spawn(([[
      local vss = require "vss"
      local f = assert(vss.snapshot.freeze(%q, 120))
      io.open(%q, "w"):write(f:pid()):close()
      while true do end]]):format(fs.mnt, marker), fs.dir .. "/child.log")
    assert.is_true(loopfs.wait_for(marker, 20), support.read(fs.dir .. "/child.log"))
    sh("sleep 0.1")
    local freezer = tonumber(support.read(marker))
    assert.is_false(can_write(fs, 1))
    assert.is_true(loopfs.alive(pid),
      "the child ended before the kill: " .. support.read(fs.dir .. "/child.log"))
    sh("kill -9 " .. pid)
    assert.is_true(can_write(fs, 10))
    for _ = 1, 100 do if not loopfs.alive(freezer) then break end sh("sleep 0.05") end
    assert.is_false(loopfs.alive(freezer))
  end))

  it("needs root", function()
    if support.is_root() then return pending("runs as root here: the EPERM path is not reachable") end
    local ok, _, code = vss.snapshot.freeze("/tmp", 1)
    assert.is_nil(ok)
    assert.equals("EPERM", code)
  end)
end)
