-- vss.store against a hostile store (issue 12): what a store holds is data,
-- never trusted. Every read stays beneath the store, nothing blocks on a
-- FIFO, every cost is bounded by the bytes stored, malformed entries are
-- named, and creation is idempotent and safe to race.
local vss = require "vss"
local support = require "support"

local q, sh, ok = support.q, support.sh, support.ok
local entries_by_name = support.entries_by_name

-- Rewrite a committed manifest with fn(lines) (the entry lines, a list),
-- the backup line given as second argument; the end line is made anew
-- (count and digest), so the manifest is whole and only its content lies.
local function forge(storepath, id, fn)
  local m = storepath .. "/backups/" .. id .. "/manifest"
  local text = support.read(m)
  local lines = {}
  for l in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  assert(lines[#lines]:match("^end "))
  local head = { lines[1], lines[2] }
  local entries = {}
  for i = 3, #lines - 1 do entries[#entries + 1] = lines[i] end
  head[2] = fn(entries, head[2]) or head[2]
  local body = table.concat(head, "\n") .. "\n"
  if #entries > 0 then body = body .. table.concat(entries, "\n") .. "\n" end
  local tmp = storepath .. "/../forged.tmp"
  support.write(tmp, body)
  local digest = assert(sh("xxhsum -H2 " .. q(tmp)):match("(%x+)  "))
  os.remove(tmp)
  support.write(m, body .. ("end entries=%d digest=%s\n"):format(#entries, digest))
end

-- The entry line naming name (escaped as the manifest escapes it: these
-- specs use names without blanks or escapes).
local function entry_index(entries, name)
  for i, l in ipairs(entries) do
    if l:match(" name=([^ ]*)") == name then return i end
  end
  error("no entry " .. name)
end

local function set_field(line, key, value)
  local n
  line, n = line:gsub(" " .. key .. "=[^ ]*", " " .. key .. "=" .. value, 1)
  assert(n == 1, key)
  return line
end

-- Run a Lua script in a child process with a watchdog: the child is killed
-- after `bound` seconds. Returns its output, and whether it returned by
-- itself (exit 0) before the watchdog fired.
local function watched(dir, bound, script, ...)
  local file = dir .. "/child.lua"
  support.write(file, script)
  local args = {}
  for _, a in ipairs({ ... }) do args[#args + 1] = q(a) end
  local out, exited = sh(("timeout -s KILL %d env %s lua5.4 %s %s"):format(
    bound, support.lua_env, q(file), table.concat(args, " ")))
  return out, exited
end

describe("vss.store, hostile", function()
  local dir, path, src
  before_each(function()
    dir = support.tmpdir()
    path = dir .. "/store"
    src = dir .. "/src"
    support.write(src, support.pattern(20000, 7))
  end)
  after_each(function() support.rm_rf(dir) end)

  local function one_backup(opts)
    local s = ok(vss.store.open(path, { create = true }))
    local tx = ok(s:begin{ type = "full" })
    ok(tx:add_file("/srv/whole", src))
    ok(tx:add_file("/srv/part", src, { ranges = "0:1,100:1,200:1" }))
    if opts and opts.bcd then ok(tx:add_document(vss.store.COMPONENTS, "<BCD/>")) end
    local id = ok(tx:commit())
    return s, id
  end

  describe("confinement", function()
    it("does not read through a symlinked data/ directory: ECORRUPT naming it", function()
      local s, id = one_backup()
      local data = path .. "/backups/" .. id .. "/data"
      -- the objects moved out, data/ a symlink to them: same bytes, outside
      local outside = dir .. "/outside"
      assert(os.rename(data, outside))
      sh("ln -s " .. q(outside) .. " " .. q(data))
      local report = ok(s:verify())
      assert.is_false(report.ok)
      assert.equal(2, #report.problems)
      for _, p in ipairs(report.problems) do
        assert.matches("symlink", p.message)
        assert.matches("data/f%d", p.message)
      end
      local bytes, err, code = s:read(id, "/srv/whole")
      assert.is_nil(bytes)
      assert.equal("ECORRUPT", code)
      assert.matches("symlink", err)
      -- a symlinked backups/ or manifest is not read either
      sh("rm " .. q(data) .. " && mv " .. q(outside) .. " " .. q(data))
      assert.is_true(ok(s:verify()).ok)
      local m = path .. "/backups/" .. id .. "/manifest"
      assert(os.rename(m, dir .. "/manifest"))
      sh("ln -s " .. q(dir .. "/manifest") .. " " .. q(m))
      local _, merr, mcode = s:files(id)
      assert.equal("ECORRUPT", mcode)
      assert.matches("symlink", merr)
      s:close()
    end)

    it("tells no digest of bytes a manifest chose: the 1-byte-range oracle is closed", function()
      local s, id = one_backup()
      local real = entries_by_name(s, id)["/srv/part"]
      local secret_digests = {}
      -- the manifest's own per-range digests are the real ones: replace them
      -- with a guess; what verify says must not contain the real ones
      local m = support.read(path .. "/backups/" .. id .. "/manifest")
      local parts = assert(m:match(" parts=([%x,]+)"))
      for hex in parts:gmatch("%x+") do secret_digests[#secret_digests + 1] = hex end
      local whole = assert(m:match("name=/srv/part [^\n]* digest=(%x+)"))
      local guess = ("0"):rep(32)
      forge(path, id, function(entries)
        local i = entry_index(entries, "/srv/part")
        entries[i] = set_field(entries[i], "parts", guess .. "," .. guess .. "," .. guess)
        entries[i] = set_field(entries[i], "digest", guess)
      end)
      local report = ok(s:verify())
      assert.is_false(report.ok)
      assert.equal(4, #report.problems) -- three ranges and the data
      for _, p in ipairs(report.problems) do
        assert.equal("/srv/part", p.name)
        assert.is_nil(p.actual)
        assert.equal(guess, p.expected)
        for _, hex in ipairs(secret_digests) do assert.is_nil(p.message:find(hex, 1, true)) end
        assert.is_nil(p.message:find(whole, 1, true))
      end
      local _, err, code = s:read(id, "/srv/part")
      assert.equal("ECORRUPT", code)
      for _, hex in ipairs(secret_digests) do assert.is_nil(err:find(hex, 1, true)) end
      assert.equal(3, #secret_digests)
      assert.equal(3, real.stored)
      s:close()
    end)
  end)

  describe("FIFOs", function()
    local child = [[
      local vss = require "vss"
      local s = assert(vss.store.open(arg[1]))
      local out = {}
      local list, lerr = s:list()
      out[#out + 1] = "list " .. tostring(list and #list or lerr)
      local r, verr = s:verify()
      out[#out + 1] = "verify " .. tostring(r and r.ok) .. " " ..
        (r and r.problems[1] and r.problems[1].message or tostring(verr))
      local _, rerr, rcode = s:read(arg[2], "/srv/whole")
      out[#out + 1] = "read " .. tostring(rcode) .. " " .. tostring(rerr)
      local f = assert(io.open(arg[3], "w")); f:close()
      local _, xerr, xcode = s:extract(arg[2], "/srv/whole", arg[3])
      out[#out + 1] = "extract " .. tostring(xcode) .. " " .. tostring(xerr)
      print(table.concat(out, "\n"))
    ]]

    it("a manifest replaced by a FIFO: list, verify and read return, naming it", function()
      local s, id = one_backup()
      s:close()
      local m = path .. "/backups/" .. id .. "/manifest"
      os.remove(m)
      sh("mkfifo " .. q(m))
      local out, returned = watched(dir, 20, child, path, id, dir .. "/out")
      assert.is_true(returned, "the child hung (killed by the watchdog): " .. out)
      assert.matches("list 1", out)
      assert.matches("verify false [^\n]*manifest is a FIFO", out)
      assert.matches("read ECORRUPT [^\n]*manifest is a FIFO", out)
    end)

    it("an object replaced by a FIFO: verify, read and extract return, naming it", function()
      local s, id = one_backup()
      s:close()
      local obj = path .. "/backups/" .. id .. "/data/f1"
      os.remove(obj)
      sh("mkfifo " .. q(obj))
      local out, returned = watched(dir, 20, child, path, id, dir .. "/out")
      assert.is_true(returned, "the child hung (killed by the watchdog): " .. out)
      assert.matches("verify false [^\n]*data/f1 is a FIFO", out)
      assert.matches("read ECORRUPT [^\n]*data/f1 is a FIFO", out)
      assert.matches("extract ECORRUPT [^\n]*data/f1 is a FIFO", out)
    end)

    it("a lock or marker replaced by a FIFO is refused, not waited on", function()
      ok(vss.store.open(path, { create = true })):close()
      os.remove(path .. "/luavss-store")
      sh("mkfifo " .. q(path .. "/luavss-store"))
      local out, returned = watched(dir, 20, [[
        local vss = require "vss"
        print(select(3, vss.store.open(arg[1])))
      ]], path)
      assert.is_true(returned, out)
      assert.matches("ECORRUPT", out)
    end)
  end)

  describe("claimed sizes", function()
    it("a claimed size or extent past the object is damage found before any read", function()
      local s, id = one_backup()
      s:close()
      local huge = "9223372036854775807"
      forge(path, id, function(entries)
        local i = entry_index(entries, "/srv/whole")
        entries[i] = set_field(entries[i], "size", huge)
      end)
      -- a genuine 1 TiB sparse object that the extents claim as data
      local _, id2 = one_backup()
      local obj = path .. "/backups/" .. id2 .. "/data/f1"
      sh("truncate -s 1T " .. q(obj))
      forge(path, id2, function(entries, head)
        local i = entry_index(entries, "/srv/whole")
        entries[i] = set_field(entries[i], "size", "1099511627776")
        entries[i] = set_field(entries[i], "stored", "1099511627776")
        entries[i] = set_field(entries[i], "extents", "0:1099511627776")
        return (head:gsub("stored=%d+", "stored=" .. (1099511627776 + 3)))
      end)
      local out, returned = watched(dir, 60, [[
        local vss = require "vss"
        local s = assert(vss.store.open(arg[1]))
        local r = assert(s:verify())
        for _, p in ipairs(r.problems) do print(p.backup, p.name, p.what) end
        print("extract", select(3, s:extract(arg[2], "/srv/whole", arg[4])))
        print("extract2", select(3, s:extract(arg[3], "/srv/whole", arg[4])))
      ]], path, id, id2, dir .. "/out")
      assert.is_true(returned, "the child hung (killed by the watchdog): " .. out)
      assert.matches(id .. "\t/srv/whole\tobject size 20000, expected " .. huge, out, 1, true)
      assert.matches(id2 .. "\t/srv/whole\textent 1 (0:1099511627776) is holes in the object",
        out, 1, true)
      assert.matches("extract\tECORRUPT", out)
      assert.matches("extract2\tECORRUPT", out)
    end)

    it("sizes that disagree with each other make the entry bad, each named", function()
      local s, id = one_backup()
      forge(path, id, function(entries, head)
        local i = entry_index(entries, "/srv/whole")
        entries[i] = set_field(entries[i], "stored", "30000") -- more than the extents
        local j = entry_index(entries, "/srv/part")
        entries[j] = set_field(entries[j], "size", "150") -- a range past the size
        -- the backup line's total follows, so only the entries disagree
        return (head:gsub("stored=(%d+)", function(n) return "stored=" .. (tonumber(n) + 10000) end))
      end)
      local report = ok(s:verify())
      local what = {}
      for _, p in ipairs(report.problems) do what[p.name] = p.message end
      assert.matches("stored 30000 is more than the size 20000", what["/srv/whole"])
      assert.matches("range 3 %(200:1%) lies beyond the size 150", what["/srv/part"])
      local _, err, code = s:read(id, "/srv/whole")
      assert.equal("ECORRUPT", code)
      assert.matches("stored 30000", err)
      s:close()
    end)

    it("a size of 2^64-1 makes the entry bad: listed without it, verified, never raised on", function()
      local s, id = one_backup()
      forge(path, id, function(entries)
        local i = entry_index(entries, "/srv/whole")
        entries[i] = set_field(entries[i], "size", "18446744073709551615")
      end)
      local e = entries_by_name(s, id)["/srv/whole"]
      assert.is_nil(e.size)
      assert.matches("beyond 2%^63%-1", e.bad)
      local report = ok(s:verify())
      assert.equal(1, #report.problems)
      assert.equal("entry", report.problems[1].what)
      local _, _, code = s:read(id, "/srv/whole")
      assert.equal("ECORRUPT", code)
      s:close()
    end)

    it("a backup line whose totals disagree with its entries is a damaged manifest", function()
      local s, id = one_backup()
      forge(path, id, function(_, head) return (head:gsub("files=%d+", "files=7")) end)
      local _, err, code = s:files(id)
      assert.equal("ECORRUPT", code)
      assert.matches("files=7 stored=%d+ disagree with the entries %(2 files", err)
      s:close()
    end)

    it("a genuinely sparse 1 TiB file with 4 KiB of data backs up, verifies and extracts at once", function()
      local big = dir .. "/sparse"
      local _, can = sh("truncate -s 1T " .. q(big))
      if not can then
        pending("the filesystem of " .. dir .. " has no 1 TiB sparse files")
        return
      end
      local bf = assert(io.open(big, "r+b"))
      assert(bf:seek("set", 549755813888))
      assert(bf:write("hello"))
      bf:close()
      local out, returned = watched(dir, 60, [[
        local vss = require "vss"
        local t0 = os.clock()
        local s = assert(vss.store.open(arg[1], { create = true }))
        local tx = assert(s:begin{ type = "full" })
        assert(tx:add_file("/srv/sparse", arg[2]))
        local id = assert(tx:commit())
        local r = assert(s:verify())
        assert(r.ok, r.problems[1] and r.problems[1].message)
        local f = assert(io.open(arg[3], "w")); f:close()
        assert(s:extract(id, "/srv/sparse", arg[3]))
        for e in assert(s:files(id)) do print(e.size, e.stored, e.extents:format()) end
        print(("cpu %.3f"):format(os.clock() - t0))
      ]], path, big, dir .. "/restored")
      assert.is_true(returned, "the child hung (killed by the watchdog): " .. out)
      assert.matches("1099511627776\t4096\t549755813888:4096", out, 1, true)
      local restored = support.exists(dir .. "/restored") and sh("stat -c '%s %b' " .. q(dir .. "/restored"))
      assert.matches("^1099511627776 ", restored)
      assert.is_true(tonumber(restored:match(" (%d+)")) < 1024) -- still sparse
      local rf = assert(io.open(dir .. "/restored", "rb"))
      assert(rf:seek("set", 549755813888))
      assert.equal("hello", rf:read(5))
      rf:close()
    end)
  end)

  describe("creation", function()
    it("completes a creation cut short before its marker, with or without lock files", function()
      for _, extra in ipairs { {}, { "lock", "read.lock", "luavss-store.tmp.Ab12Cd" } } do
        support.rm_rf(path)
        sh("mkdir -p " .. q(path .. "/backups") .. " " .. q(path .. "/incoming") .. " " ..
           q(path .. "/trash"))
        for _, f in ipairs(extra) do support.write(path .. "/" .. f, "") end
        local s = ok(vss.store.open(path, { create = true }))
        local tx = ok(s:begin{ type = "full" })
        ok(tx:add_file("/srv/whole", src))
        ok(tx:commit())
        assert.equal(1, #ok(s:list()))
        s:close()
      end
      -- anything else in it and it is not taken over
      support.rm_rf(path)
      sh("mkdir -p " .. q(path .. "/backups/x"))
      local s, err, code = vss.store.open(path, { create = true })
      assert.is_nil(s)
      assert.equal("EFORMAT", code)
      assert.matches("more than a store's creation leaves", err)
    end)

    it("two first backups started at once on a new path both succeed, 20 times", function()
      local script = dir .. "/first.lua"
      support.write(script, [[
        local vss = require "vss"
        local s = assert(vss.store.open(arg[1], { create = true }))
        local tx = assert(s:begin{ type = "full" })
        assert(tx:add_file("/srv/whole", arg[2]))
        assert(tx:commit())
        print("committed")
      ]])
      for round = 1, 20 do
        local p = ("%s/race%d"):format(dir, round)
        local one = ("env %s lua5.4 %s %s %s"):format(support.lua_env, q(script), q(p), q(src))
        local out = sh("(" .. one .. " & " .. one .. " & wait) 2>&1")
        local _, n = out:gsub("committed", "")
        assert.equal(2, n, "round " .. round .. ": " .. out)
        local s = ok(vss.store.open(p))
        assert.equal(2, #ok(s:list()))
        assert.is_true(ok(s:verify()).ok)
        s:close()
      end
    end)
  end)

  describe("malformed entries", function()
    it("are problems in verify, each named, and refused by read", function()
      local s, id = one_backup{ bcd = true }
      forge(path, id, function(entries, head)
        local w = entries[entry_index(entries, "/srv/whole")]
        local add = {
          (w:gsub("name=/srv/whole", "name=/srv/dir/")),       -- trailing slash
          (w:gsub("name=/srv/whole", "name=/srv//x")),         -- empty component
          (w:gsub("name=/srv/whole", "name=/srv/part")),       -- a duplicate
        }
        for _, l in ipairs(add) do entries[#entries + 1] = l end
        local files = tonumber(head:match("files=(%d+)")) + 3
        local stored = tonumber(head:match("stored=(%d+)")) + 3 * 20000
        return (head:gsub("files=%d+", "files=" .. files):gsub("stored=%d+", "stored=" .. stored))
      end)
      local report = ok(s:verify())
      local by = {}
      for _, p in ipairs(report.problems) do
        assert.is_string(p.name, p.message)
        by[p.name] = (by[p.name] and by[p.name] .. "; " or "") .. p.message
        assert.equal("entry", p.what)
      end
      assert.matches("malformed name: a trailing '/'", by["/srv/dir/"])
      assert.matches("malformed name: an empty component", by["/srv//x"])
      assert.matches("named twice in the backup; .*named twice in the backup", by["/srv/part"])
      assert.is_nil(by["/srv/whole"])
      local _, err, code = s:read(id, "/srv/part")
      assert.equal("ECORRUPT", code)
      assert.matches("named twice", err)
      local e = entries_by_name(s, id)
      assert.equal("malformed name: a trailing '/'", e["/srv/dir/"].bad)
      assert.is_nil(e["/srv/whole"].bad)
      s:close()
    end)

    it("verify reports a backup whose base is gone", function()
      local s, id = one_backup()
      local tx = ok(s:begin{ type = "incremental" })
      ok(tx:add_file("/srv/whole", src))
      local id2 = ok(tx:commit())
      ok(s:delete(id, { force = true }))
      local report = ok(s:verify())
      assert.is_false(report.ok)
      assert.equal(1, #report.problems)
      assert.equal(id2, report.problems[1].backup)
      assert.equal("chain", report.problems[1].what)
      assert.truthy(report.problems[1].message:find("builds on '" .. id .. "', which is not in the store",
        1, true))
      s:close()
    end)
  end)
end)

describe("vss.restore of a hostile store", function()
  local WID = "8a3c1f9e-1d2b-4c5d-9e8f-0a1b2c3d4e5f"
  local IID = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
  local dir, path
  before_each(function()
    dir = support.tmpdir()
    path = dir .. "/store"
    support.mkdir(dir .. "/db")
    support.write(dir .. "/db/main.db", support.pattern(10000, 3))
  end)
  after_each(function() support.rm_rf(dir) end)

  it("fails each malformed or unowned entry, named, and lays the sound ones", function()
    local w = vss.writer{ name = "db", writer_id = WID, instance_id = IID,
      identify = function(wm)
        wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
        wm:add_component("database", nil, "main", { selectable = false })
        wm:add_database_files(nil, "main", dir .. "/db", "*.db")
      end }
    local b = assert(vss.backup{ writers = { w }, store = path, snapshot = false,
                                 progress = false, type = "full" })
    local db = dir .. "/db/main.db"
    forge(path, b.id, function(entries, head)
      local l = entries[entry_index(entries, db)]
      local add = {
        (l:gsub("name=[^ ]*", "name=" .. dir .. "/db/x.db/")),   -- trailing slash
        (l:gsub("name=[^ ]*", "name=" .. dir .. "/db")),         -- the set's directory
        (l:gsub("name=[^ ]*", "name=" .. dir .. "/etc/x.db")),   -- outside every set
        (l:gsub("name=[^ ]*", "name=" .. dir .. "/db/two.db")),  -- a duplicate, twice
        (l:gsub("name=[^ ]*", "name=" .. dir .. "/db/two.db")),
        (l:gsub("name=[^ ]*", "name=" .. dir .. "/db/count.db"):gsub("extents=[^ ]*",
          "extents=0:5000")),                                    -- stored disagrees
      }
      for _, x in ipairs(add) do entries[#entries + 1] = x end
      local files = tonumber(head:match("files=(%d+)")) + #add
      local stored = tonumber(head:match("stored=(%d+)")) + #add * 10000
      return (head:gsub("files=%d+", "files=" .. files):gsub("stored=%d+", "stored=" .. stored))
    end)
    local r, msg, code, res = vss.restore{ store = path, backup = b.id, location = "new",
                                           to = dir .. "/out", progress = false }
    assert.is_nil(r, msg)
    assert.equal("EPARTIAL", code)
    local by = {}
    for _, f in ipairs(res.files) do by[f.name] = f end
    assert.equal("restored", by[db].status)
    assert.equal(support.read(db), support.read(dir .. "/out" .. db))
    local want = {
      [dir .. "/db/x.db/"] = "malformed name: a trailing '/'",
      [dir .. "/db"] = "names the directory of a file set",
      [dir .. "/etc/x.db"] = "lies outside every file set",
      [dir .. "/db/two.db"] = "named twice in the backup",
      [dir .. "/db/count.db"] = "stored 10000 is not the extents' total 5000",
    }
    for name, why in pairs(want) do
      local f = by[name]
      assert.is_table(f, name)
      assert.equal("failed", f.status, name)
      assert.truthy(f.message:find(why, 1, true), name .. ": " .. tostring(f.message))
      assert.truthy(f.message:find(name, 1, true), f.message)
      if name ~= dir .. "/db" then -- (that one is main.db's directory)
        assert.is_nil(support.exists(dir .. "/out" .. name) or nil, name)
      end
    end
    -- and verify names the same ones
    local s = ok(vss.store.open(path))
    local seen = {}
    for _, p in ipairs(ok(s:verify()).problems) do seen[p.name] = true end
    for name in pairs(want) do assert.is_true(seen[name], name) end
    assert.is_nil(seen[db])
    s:close()
  end)
end)

describe("vss.restore from a store with a FIFO object", function()
  it("returns, fails that file naming it, and leaves no temporary at the destination", function()
    local dir = support.tmpdir()
    support.mkdir(dir .. "/db")
    support.write(dir .. "/db/main.db", support.pattern(5000, 1))
    support.write(dir .. "/db/other.db", support.pattern(5000, 2))
    local out, returned = watched(dir, 30, [[
      local vss = require "vss"
      local dir = arg[1]
      local w = vss.writer{ name = "db", writer_id = "8a3c1f9e-1d2b-4c5d-9e8f-0a1b2c3d4e5f",
        instance_id = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
          wm:add_component("database", nil, "main", { selectable = false })
          wm:add_database_files(nil, "main", dir .. "/db", "*.db")
        end }
      local b = assert(vss.backup{ writers = { w }, store = dir .. "/store", snapshot = false,
                                   progress = false, type = "full" })
      local s = assert(vss.store.open(dir .. "/store"))
      local obj
      for e in assert(s:files(b.id)) do
        if e.name == dir .. "/db/main.db" then obj = e.object end
      end
      s:close()
      local p = dir .. "/store/backups/" .. b.id .. "/data/" .. obj
      os.remove(p)
      assert(os.execute("mkfifo '" .. p .. "'"))
      local r, _, code, res = vss.restore{ store = dir .. "/store", backup = b.id,
                                           location = "new", to = dir .. "/out", progress = false }
      print("code", code, r)
      for _, f in ipairs(res.files) do print(f.name, f.status, f.code, f.message) end
    ]], dir)
    local files = sh("cd " .. q(dir .. "/out") .. " && find . -type f | sort")
    support.rm_rf(dir)
    assert.is_true(returned, "the child hung (killed by the watchdog): " .. out)
    assert.matches("code\tEPARTIAL", out)
    assert.matches("/db/main.db\tfailed\tECORRUPT\t[^\n]*data/f%d+ is a FIFO", out)
    assert.matches("/db/other.db\trestored", out)
    assert.equal("./" .. dir:sub(2) .. "/db/other.db\n", files) -- no temporary beside it
  end)
end)

describe("vss.restore error messages", function()
  local WID = "8a3c1f9e-1d2b-4c5d-9e8f-0a1b2c3d4e5f"
  local IID = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"

  it("ENOSPC at the destination names the destination file and side, not the store", function()
    if not support.is_root() then
      pending("needs root: a loop filesystem")
      return
    end
    local _, has = sh("command -v mkfs.ext4")
    if not has then
      pending("needs mkfs.ext4")
      return
    end
    local dir = support.tmpdir()
    local mnt = dir .. "/mnt"
    local made = select(2, sh(("truncate -s 8M %s && mkfs.ext4 -q -F %s && mkdir %s && mount -o loop %s %s")
      :format(q(dir .. "/fs.img"), q(dir .. "/fs.img"), q(mnt), q(dir .. "/fs.img"), q(mnt))))
    local okrun, err = pcall(function()
      assert.is_true(made, "cannot make a loop ext4")
      support.mkdir(dir .. "/db")
      sh("head -c 20000000 /dev/urandom > " .. q(dir .. "/db/main.db"))
      local w = vss.writer{ name = "db", writer_id = WID, instance_id = IID,
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
          wm:add_component("database", nil, "main", { selectable = false })
          wm:add_database_files(nil, "main", dir .. "/db", "*.db")
        end }
      local b = assert(vss.backup{ writers = { w }, store = dir .. "/store", snapshot = false,
                                   progress = false, type = "full" })
      local r, _, code, res = vss.restore{ store = dir .. "/store", backup = b.id,
                                           location = "new", to = mnt .. "/out", progress = false }
      assert.is_nil(r)
      assert.equal("EPARTIAL", code)
      local f = res.files[1]
      assert.equal("failed", f.status)
      assert.equal("ENOSPC", f.code)
      assert.matches("write to the destination", f.message)
      assert.truthy(f.message:find("laying '" .. mnt .. "/out", 1, true), f.message)
      assert.is_nil(f.message:find("write to the store", 1, true))
      -- nothing half-written is left at the destination
      assert.equal("", (sh("find " .. q(mnt .. "/out") .. " -type f")))
    end)
    sh("umount " .. q(mnt) .. " || umount -l " .. q(mnt))
    support.rm_rf(dir)
    assert(okrun, err)
  end)
end)
