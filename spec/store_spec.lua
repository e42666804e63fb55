-- vss.store: the backup store from Lua (a chain of backups, partial and
-- sparse files, verify, delete, locks, crashes, attributes).
local vss = require "vss"
local support = require "support"

local q, sh = support.q, support.sh
local LUA_ENV = support.lua_env

local ok = support.ok

local function stat(fmt, path)
  local out = sh("stat -c " .. q(fmt) .. " " .. q(path))
  return (out:gsub("%s+$", ""))
end

local entries_by_name = support.entries_by_name

describe("vss.store", function()
  local dir, path
  before_each(function()
    dir = support.tmpdir()
    path = dir .. "/store"
  end)
  after_each(function() support.rm_rf(dir) end)

  describe("open", function()
    it("fails with ENOENT without create, and makes a store with it", function()
      local s, err, code = vss.store.open(path)
      assert.is_nil(s)
      assert.equal("ENOENT", code)
      assert.matches("store", err)
      s = ok(vss.store.open(path, { create = true }))
      assert.matches("^vss.Store%(", tostring(s))
      assert.equal("luavss-store\nversion 2\n", support.read(path .. "/luavss-store"))
      s:close()
      assert.equal("vss.Store(closed)", tostring(s))
      assert.error_matches(function() s:list() end, "closed vss.Store")
    end)

    it("refuses a store of a newer format version with EFORMAT", function()
      ok(vss.store.open(path, { create = true })):close()
      support.write(path .. "/luavss-store", "luavss-store\nversion 99\n")
      local s, err, code = vss.store.open(path)
      assert.is_nil(s)
      assert.equal("EFORMAT", code)
      assert.matches("version 99", err)
    end)

    it("raises on misuse", function()
      assert.error_matches(function() vss.store.open() end, "bad argument #1 to 'open'")
      assert.error_matches(function() vss.store.open(path, { creat = true }) end,
        "unknown option 'creat'")
    end)
  end)

  describe("backups", function()
    local s, src
    before_each(function()
      s = ok(vss.store.open(path, { create = true }))
      src = dir .. "/db"
      support.write(src, ("0123456789abcdef"):rep(4096))
    end)
    after_each(function() s:close() end)

    local function backup(spec, fill)
      local tx <close> = ok(s:begin(spec))
      if fill then fill(tx) else ok(tx:add_file("/srv/db", src)) end
      return ok(tx:commit())
    end

    it("records and lists a full, incremental, differential, log and copy chain", function()
      local full = backup({ type = "full" }, function(tx)
        ok(tx:add_document(vss.store.COMPONENTS, "<BACKUP_COMPONENTS/>"))
        ok(tx:add_document("sqlwriter", "<WRITER_METADATA name='sql'/>"))
        ok(tx:add_file("/srv/db", src))
      end)
      local inc = backup({ type = "incremental", base = full })
      local inc2 = backup({ type = "incremental" })
      local diff = backup({ type = "differential" })
      local log = backup({ type = "log" })
      local copy = backup({ type = "copy" })
      local list = ok(s:list())
      assert.equal(6, #list)
      local want = {
        { full, "full", nil }, { inc, "incremental", full }, { inc2, "incremental", inc },
        { diff, "differential", full }, { log, "log", diff }, { copy, "copy", nil },
      }
      for i, w in ipairs(want) do
        assert.equal(w[1], list[i].id)
        assert.equal(w[2], list[i].type)
        assert.equal(w[3], list[i].base)
        assert.is_true(math.abs(list[i].time - os.time()) < 600)
      end
      local shown = ok(s:show(full))
      assert.equal("<BACKUP_COMPONENTS/>", shown.components)
      assert.same({ "sqlwriter" }, shown.writer_metadata)
      assert.equal("<WRITER_METADATA name='sql'/>", ok(s:document(full, "sqlwriter")))
      assert.is_nil(ok(s:show(inc)).components)
      local none, _, code = s:show("20990101T000000Z-99")
      assert.is_nil(none)
      assert.equal("ENOENT", code)
      -- the chain a backup stands on, its full first
      local function ids(chain)
        local v = {}
        for i, b in ipairs(chain) do v[i] = b.id end
        return v
      end
      assert.same({ full, inc, inc2 }, ids(ok(s:chain(inc2))))
      assert.same({ full, diff, log }, ids(ok(s:chain(log))))
      assert.same({ copy }, ids(ok(s:chain(copy))))
      none, _, code = s:chain("20990101T000000Z-99")
      assert.is_nil(none)
      assert.equal("ENOENT", code)
    end)

    it("refuses chains that VSS does not have", function()
      local tx, err, code = s:begin{ type = "differential" }
      assert.is_nil(tx)
      assert.equal("ECHAIN", code)
      assert.matches("no full backup", err)
      backup({ type = "full" })
      local inc = backup({ type = "incremental" })
      tx, err, code = s:begin{ type = "differential", base = inc }
      assert.is_nil(tx)
      assert.equal("ECHAIN", code)
      assert.matches("incremental", err)
      assert.error_matches(function() s:begin{ type = "weekly" } end,
        "bad argument #1 to 'begin' %(type: full, incremental, differential, log or copy " ..
        "expected, got weekly%)")
      assert.error_matches(function() s:begin{} end, "type: .* got nil")
      -- options that contradict each other raise, naming both
      for _, t in ipairs { "full", "copy" } do
        assert.error_matches(function() s:begin{ type = t, base = inc } end,
          'bad argument #1 to \'begin\' %(base and type = "' .. t .. '" contradict each other: a ' .. t ..
          ' backup has no base%)')
      end
    end)

    it("iterates a backup's files with digests, kinds and deletions", function()
      local id = backup({ type = "full" }, function(tx)
        ok(tx:add_file("/srv/db", src))
        ok(tx:add_file("/srv/part", src, { ranges = "16:16,4096:100" }))
        ok(tx:record_deleted("/srv/gone"))
        ok(tx:add_document("w", "<x/>"))
      end)
      local e = entries_by_name(s, id)
      assert.equal("file", e["/srv/db"].kind)
      assert.equal(65536, e["/srv/db"].size)
      assert.equal("0:65536", e["/srv/db"].extents:format())
      assert.equal("partial", e["/srv/part"].kind)
      assert.equal(116, e["/srv/part"].stored)
      assert.equal("vss.Ranges", getmetatable(e["/srv/part"].ranges).__name)
      assert.equal("deleted", e["/srv/gone"].kind)
      assert.is_nil(e.w)
      -- The digest is XXH3-128 of the whole content, as xxhsum computes it.
      assert.equal(sh("xxhsum -H2 " .. q(src)):match("(%x+)  "), e["/srv/db"].digest)
      assert.equal(support.read(src), ok(s:read(id, "/srv/db")))
    end)

    it("stores only the bytes of a partial file's ranges", function()
      -- a marker everywhere except inside the ranges
      local size, block = 1 << 20, 4096
      local marker = "OUTSIDE-THE-RANGES!"
      local body = (marker .. ("."):rep(block - #marker)):rep(size // block)
      local r = vss.ranges.new{ { 8192, block }, { 65536, block }, { 512 * 1024, 2 * block } }
      local chunks, pos = {}, 0
      for _, off, len in r:each() do
        chunks[#chunks + 1] = body:sub(pos + 1, off)
        chunks[#chunks + 1] = ("INSIDE"):rep(len // 6 + 1):sub(1, len)
        pos = off + len
      end
      chunks[#chunks + 1] = body:sub(pos + 1)
      local data = table.concat(chunks)
      assert.equal(size, #data)
      support.write(src, data)
      ok(r:save(dir .. "/db.ranges"))
      local id = backup({ type = "full" }, function(tx)
        ok(tx:add_file("/srv/db", src, { ranges = r }))
        ok(tx:add_file("/srv/db2", src, { ranges_file = dir .. "/db.ranges" }))
      end)
      local e = entries_by_name(s, id)
      assert.equal(r:total(), e["/srv/db"].stored)
      assert.equal(dir .. "/db.ranges", e["/srv/db2"].ranges_file)
      assert.equal(r:format(), e["/srv/db2"].ranges:format())
      assert.is_true(ok(s:verify(id)).ok) -- the kept ranges file included
      local _, found = sh("grep -rl " .. q(marker) .. " " .. q(path))
      assert.is_false(found, "marker bytes from outside the ranges are in the store")
      local _, inside = sh("grep -rlq INSIDE " .. q(path))
      assert.is_true(inside)
      local list = ok(s:list())
      assert.equal(2 * r:total() + 8 + 16 * #r, list[1].stored)
      -- and back: the ranges at their offsets
      local out = dir .. "/out"
      ok(s:extract(id, "/srv/db", out))
      local back = support.read(out)
      for _, off, len in r:each() do
        assert.equal(data:sub(off + 1, off + len), back:sub(off + 1, off + len))
      end
    end)

    it("keeps a sparse file sparse in the store and back", function()
      local sparse = dir .. "/sparse"
      local f = assert(io.open(sparse, "wb")) -- seeking past the end leaves holes
      f:write("head")
      f:seek("set", (512 << 20) - 4)
      f:write("tail")
      f:close()
      local id = backup({ type = "full" }, function(tx) ok(tx:add_file("sparse", sparse)) end)
      local e = entries_by_name(s, id).sparse
      assert.equal(512 << 20, e.size)
      assert.is_true(e.stored < 1 << 20)
      assert.equal(2, #e.extents)
      local obj = path .. "/backups/" .. id .. "/data/" .. e.object
      assert.equal(tostring(512 << 20), stat("%s", obj))
      assert.is_true(tonumber(stat("%b", obj)) * 512 < 4 << 20)
      local out = dir .. "/out"
      ok(s:extract(id, "sparse", out))
      assert.equal(tostring(512 << 20), stat("%s", out))
      assert.is_true(tonumber(stat("%b", out)) * 512 < 4 << 20)
      local _, same = sh("cmp " .. q(sparse) .. " " .. q(out))
      assert.is_true(same)
    end)

    it("verify names a flipped byte and a truncated manifest", function()
      local id = backup({ type = "full" }, function(tx)
        ok(tx:add_file("/srv/db", src))
        ok(tx:add_file("/srv/part", src, { ranges = "0:100,1000:100,5000:100" }))
      end)
      local id2 = backup({ type = "incremental" })
      assert.is_true(ok(s:verify()).ok)
      local e = entries_by_name(s, id)
      local obj = path .. "/backups/" .. id .. "/data/" .. e["/srv/part"].object
      local bytes = support.read(obj)
      support.write(obj, bytes:sub(1, 150) .. "X" .. bytes:sub(152))
      local m = path .. "/backups/" .. id2 .. "/manifest"
      local text = support.read(m)
      support.write(m, text:sub(1, #text - 30))
      local report = ok(s:verify())
      assert.is_false(report.ok)
      local seen = {}
      for _, p in ipairs(report.problems) do seen[#seen + 1] = p end
      assert.equal(3, #seen)
      assert.same({ backup = id, name = "/srv/part", what = "range 2 (1000:100)" },
        { backup = seen[1].backup, name = seen[1].name, what = seen[1].what })
      assert.matches("^%x+$", seen[1].expected)
      assert.is_nil(seen[1].actual) -- never told: it would tell what the bytes are
      assert.equal("data", seen[2].what)
      assert.equal(id2, seen[3].backup)
      assert.equal("manifest", seen[3].what)
      assert.matches("truncated", seen[3].message)
      local data, err, code = s:read(id, "/srv/part")
      assert.is_nil(data)
      assert.equal("ECORRUPT", code)
      assert.matches("range 2", err)
      data, err, code = s:files(id2)
      assert.is_nil(data)
      assert.equal("ECORRUPT", code)
      assert.matches("manifest truncated", err)
    end)

    it("refuses to delete a backup others depend on unless forced", function()
      local full = backup({ type = "full" })
      local inc = backup({ type = "incremental" })
      local diff = backup({ type = "differential" })
      local done, err, code, deps = s:delete(full)
      assert.is_nil(done)
      assert.equal("ECHAIN", code)
      assert.matches(inc, err, 1, true)
      assert.matches(diff, err, 1, true)
      assert.same({ inc, diff }, deps)
      assert.equal(3, #ok(s:list()))
      assert.is_true(s:delete(diff))
      local forced, orphans = s:delete(full, { force = true })
      assert.is_true(forced)
      assert.same({ inc }, orphans)
      local list = ok(s:list())
      assert.equal(1, #list)
      assert.equal(inc, list[1].id)
    end)
  end)

  describe("transactions", function()
    it("are released by commit, abort, <close> and raise when used after", function()
      local s <close> = ok(vss.store.open(path, { create = true }))
      local tx = ok(s:begin{ type = "full" })
      assert.matches("open%)$", tostring(tx))
      tx:abort()
      tx:abort()
      assert.matches("aborted%)$", tostring(tx))
      assert.error_matches(function() tx:commit() end, "aborted vss.StoreTransaction")
      do
        local t2 <close> = ok(s:begin{ type = "full", wait = false })
        ok(t2:add_document("x", "<x/>"))
      end
      assert.same({}, ok(s:list()))
      local _, leftover = sh("ls -A " .. q(path .. "/incoming") .. " | grep -q .")
      assert.is_false(leftover)
      local t3 = ok(s:begin{ type = "full", wait = false })
      assert.error_matches(function() t3:add_file("a\0b", "/etc/hostname") end, "NUL")
      assert.error_matches(function() t3:add_file("a", "/etc/hostname", { ranges = "1:2:3" }) end,
        "ranges:")
      assert.error_matches(function() t3:add_file("a", "/etc/hostname", { range = "1:2" }) end,
        "unknown option 'range'")
      local none, _, code = t3:add_file("a", dir .. "/missing")
      assert.is_nil(none)
      assert.equal("ENOENT", code)
      local id = ok(t3:commit())
      assert.equal(id, t3:id())
      assert.error_matches(function() t3:add_document("y", "") end, "committed vss.StoreTransaction")
    end)

    it("serialise writers: a second one gets ELOCKED with wait = false", function()
      ok(vss.store.open(path, { create = true })):close()
      local child = io.popen(LUA_ENV .. " lua5.4 -e " .. q([[
        local s = assert(require("vss").store.open(]] .. ("%q"):format(path) .. [[))
        local tx = assert(s:begin{ type = "full" })
        print("ready") io.stdout:flush()
        os.execute("sleep 2")]]))
      assert.equal("ready", child:read("l"))
      local s <close> = ok(vss.store.open(path))
      local tx, err, code = s:begin{ type = "full", wait = false }
      assert.is_nil(tx)
      assert.equal("ELOCKED", code)
      assert.matches("held by another process", err)
      assert.same({}, ok(s:list { wait = false })) -- readers are not held up by a writer
      child:close()
      local t2 <close> = ok(s:begin{ type = "full", wait = false })
      assert.equal("vss.StoreTransaction", getmetatable(t2).__name)
    end)

    it("survive SIGKILL of the writer at many points", function()
      ok(vss.store.open(path, { create = true })):close()
      for i = 1, 20 do support.write(dir .. "/f" .. i, ("x"):rep(i * 40000)) end
      local script = dir .. "/writer.lua"
      support.write(script, [[
        local vss = require "vss"
        local s = assert(vss.store.open(arg[1]))
        while true do
          local tx = assert(s:begin{ type = "full" })
          for i = 1, 20 do assert(tx:add_file("/srv/file" .. i, arg[2] .. "/f" .. i)) end
          assert(tx:add_document(vss.store.COMPONENTS, "<BCD/>"))
          assert(tx:commit())
        end]])
      local delays = { 0.01, 0.03, 0.05, 0.08, 0.1, 0.13, 0.17, 0.2, 0.25, 0.3, 0.4, 0.5 }
      local killed_mid_backup = 0
      for _, delay in ipairs(delays) do
        local p = io.popen("exec sh -c " .. q("echo $$; exec env " .. LUA_ENV .. " lua5.4 " ..
          q(script) .. " " .. q(path) .. " " .. q(dir) .. " 2>&1"))
        local pid = assert(tonumber(p:read("l")))
        os.execute("sleep " .. delay)
        os.execute("kill -9 " .. pid)
        -- the writer loops for ever: only the kill may have stopped it
        local out = p:read("a")
        local _, how, sig = p:close()
        assert.same({ "signal", 9 }, { how, sig }, delay .. ": " .. out)
        local _, partial = sh("ls -A " .. q(path .. "/incoming") .. " | grep -q .")
        if partial then killed_mid_backup = killed_mid_backup + 1 end
        local s <close> = ok(vss.store.open(path))
        for _, b in ipairs(ok(s:list())) do
          assert.equal("full", b.type)
          assert.equal(20, b.files)
        end
        local report = ok(s:verify())
        assert.is_true(report.ok, report.problems[1] and report.problems[1].message)
      end
      -- the kills did land inside transactions, and backups did get committed
      assert.is_true(killed_mid_backup > 0)
      local s <close> = ok(vss.store.open(path))
      local before = #ok(s:list())
      assert.is_true(before > 0)
      local tx = ok(s:begin{ type = "full", wait = false })
      ok(tx:add_file("after", dir .. "/f1"))
      ok(tx:commit())
      assert.equal(before + 1, #ok(s:list()))
      local _, leftover = sh("ls -A " .. q(path .. "/incoming") .. " " .. q(path .. "/trash") ..
        " | grep -v : | grep -q .")
      assert.is_false(leftover)
    end)
  end)

  describe("reflink", function()
    it("clones a whole file when the store shares a btrfs filesystem, and still hashes it", function()
      if not support.is_root() then pending("needs root: mounts a btrfs loop image") return end
      local _, has = sh("command -v mkfs.btrfs")
      if not has then pending("needs mkfs.btrfs (btrfs-progs)") return end
      local img, mnt = dir .. "/btrfs.img", dir .. "/mnt"
      local out, made = sh("truncate -s 256M " .. q(img) .. " && mkfs.btrfs -q " .. q(img) ..
        " && mkdir " .. q(mnt) .. " && mount -o loop " .. q(img) .. " " .. q(mnt))
      if not made then pending("cannot mount a loop device here: " .. out) return end
      local ok_run, err = pcall(function()
        local src = mnt .. "/src"
        sh("head -c 40000000 /dev/urandom > " .. q(src))
        local s <close> = ok(vss.store.open(mnt .. "/store", { create = true }))
        local tx = ok(s:begin{ type = "full" })
        ok(tx:add_file("big", src))
        local id = ok(tx:commit())
        local e = entries_by_name(s, id).big
        assert.equal(40000000, e.stored)
        assert.equal(sh("xxhsum -H2 " .. q(src)):match("(%x+)  "), e.digest)
        assert.is_true(ok(s:verify()).ok)
        local du = sh("btrfs filesystem du --raw -s " .. q(mnt))
        local shared = tonumber(du:match("\n%s*%d+%s+%d+%s+(%d+)"))
        assert.is_true(shared and shared >= 40000000, "not shared: " .. du)
        local back = dir .. "/back"
        ok(s:extract(id, "big", back))
        local _, same = sh("cmp " .. q(src) .. " " .. q(back))
        assert.is_true(same)
      end)
      sh("umount " .. q(mnt))
      assert(ok_run, err)
    end)
  end)

  describe("attributes", function()
    it("round-trip mode, times with nanoseconds and user xattrs", function()
      local s <close> = ok(vss.store.open(path, { create = true }))
      local src = dir .. "/a"
      support.write(src, "attributes")
      sh("chmod 0640 " .. q(src) .. " && touch -d '2021-03-04 05:06:07.123456789' " .. q(src))
      local py = "import os,sys; os.setxattr(sys.argv[1], 'user.luavss', b'v\\x00al')"
      local _, xattr_ok = sh("python3 -c " .. q(py) .. " " .. q(src))
      local tx = ok(s:begin{ type = "full" })
      ok(tx:add_file("a", src))
      ok(tx:add_file("plain", src, { attributes = false }))
      local id = ok(tx:commit())
      local e = entries_by_name(s, id)
      assert.is_nil(e.plain.attributes)
      local a = e.a.attributes
      assert.equal(tonumber("100640", 8), a.mode)
      assert.equal(123456789, a.mtime_ns)
      local out = dir .. "/out"
      ok(s:extract(id, "a", out))
      assert.equal("640", stat("%a", out))
      assert.equal(stat("%y", src), stat("%y", out))
      if not xattr_ok then
        pending("user.* xattrs not supported on " .. dir .. " (or no python3 to set them)")
        return
      end
      assert.equal("v\0al", a.xattrs["user.luavss"])
      local got = sh("python3 -c " .. q("import os,sys; print(os.getxattr(sys.argv[1], " ..
        "'user.luavss'))") .. " " .. q(out))
      assert.equal("b'v\\x00al'", (got:gsub("%s+$", "")))
    end)
  end)
end)
