-- vss.dest: where a restore writes, from Lua (paths as data, symlinks never
-- followed, atomic files, directed copy plans, crashes), and its deprecated
-- name vss.restore.target.
local vss = require "vss"
local support = require "support"

local q, sh = support.q, support.sh
local LUA_ENV = support.lua_env

local ok = support.ok

-- Every name beneath dir (find -mindepth 1), sorted, with the content of files.
local function snapshot_of(dir)
  local out = sh("cd " .. q(dir) .. " && find . -mindepth 1 | LC_ALL=C sort")
  local t = {}
  for name in out:gmatch("[^\n]+") do
    local path = dir .. "/" .. name
    local kind = sh("stat -c %F " .. q(path)):gsub("%s+$", "")
    t[#t + 1] = name .. " " .. kind .. (kind == "regular file" and (" " .. support.read(path)) or "")
  end
  return table.concat(t, "\n")
end

-- The naive model of a plan: bytes of src laid at their dst offsets.
local function model(src, dst, plan)
  for _, c in ipairs(plan) do
    if c.length == 0 then goto next end -- copies nothing, grows nothing
    if #dst < c.dst then dst = dst .. string.rep("\0", c.dst - #dst) end
    dst = dst:sub(1, c.dst) .. src:sub(c.src + 1, c.src + c.length) .. dst:sub(c.dst + c.length + 1)
    ::next::
  end
  return dst
end

describe("vss.dest", function()
  local dir, root, outside
  before_each(function()
    dir = support.tmpdir()
    root, outside = dir .. "/root", dir .. "/outside"
    sh("mkdir " .. q(root) .. " " .. q(outside))
    support.write(outside .. "/victim", "secret")
  end)
  after_each(function() support.rm_rf(dir) end)

  it("is a closable vss.Dest with a readable __tostring", function()
    local t <close> = ok(vss.dest(root, { replace = true }))
    assert.equal("vss.Dest", getmetatable(t).__name)
    assert.matches("^vss%.Dest %(.*/root, replace%)$", tostring(t))
    assert.matches("/root$", t:root())
    assert.equal(t:root() .. "/a/b", t:path("a//./b"))
    t:close()
    t:close()
    assert.equal("vss.Dest (closed)", tostring(t))
    assert.has_error(function() t:write_file("x", "y") end, "attempt to use a closed vss.Dest")
  end)

  it("is still reached as vss.restore.target, its deprecated name (the same function)", function()
    assert.equal(vss.dest, vss.restore.target)
    local t <close> = ok(vss.restore.target(root))
    assert.equal("vss.Dest", getmetatable(t).__name)
    ok(t:apply_plan("x", outside .. "/victim", "0:6", "0:6"))
    assert.equal("secret", support.read(root .. "/x"))
    assert.has_error(function() vss.restore.target(root, { replce = true }) end,
      "bad argument #2 to 'target' (unknown option 'replce')")
  end)

  it("raises on misuse and returns nil, message, code on a missing root", function()
    assert.has_error(function() vss.dest(root, { replce = true }) end,
      "bad argument #2 to 'dest' (unknown option 'replce')")
    assert.has_error(function() vss.dest(root, { replace = 1 }) end)
    assert.has_error(function() vss.dest() end)
    assert.has_error(function() vss.dest(root .. "\0x") end,
      "bad argument #1 to 'dest' (root: contains a NUL byte)")
    local t <close> = ok(vss.dest(root))
    assert.has_error(function() t:write_file(nil, "x") end)
    assert.has_error(function() t:write_file("x", {}) end)
    local bad = { { src = -1, dst = 0, length = 1 } }
    assert.has_error(function() t:apply_plan("x", outside .. "/victim", bad) end,
      "bad argument #4 to 'apply_plan' (plan: entry 1: src must be a non-negative integer)")
    assert.has_error(function() t:apply_plan("x", outside .. "/victim", { 5 }) end)
    assert.has_error(function() t:mkdir("a", "b") end)
    local none, err, code = vss.dest(dir .. "/missing")
    assert.is_nil(none)
    assert.equal("ENOENT", code)
    assert.matches("missing", err)
  end)

  it("refuses hostile paths and writes nothing outside the root", function()
    sh("ln -s " .. q(outside) .. " " .. q(root .. "/link"))
    sh("ln -s ../outside " .. q(root .. "/rel"))
    sh("ln -s " .. q(outside .. "/victim") .. " " .. q(root .. "/f"))
    sh("mkdir " .. q(root .. "/d") .. " && ln -s /etc " .. q(root .. "/d/etc"))
    local src = dir .. "/src"
    support.write(src, "PAYLOAD")
    local before = snapshot_of(dir)
    local hostile = {
      { "../x", "ESCAPE" }, { "/etc/passwd", "ESCAPE" }, { "a/../../b", "ESCAPE" }, { "..", "ESCAPE" },
      { "x/..", "ESCAPE" }, { "", "EINVAL" }, { "a\0b", "EINVAL" }, { "link/x", "ESCAPE" },
      { "link/sub/x", "ESCAPE" }, { "rel/victim", "ESCAPE" }, { "d/etc/passwd", "ESCAPE" },
    }
    for _, replace in ipairs { false, true } do
      local t <close> = ok(vss.dest(root, { replace = replace }))
      for _, h in ipairs(hostile) do
        local rel, want = h[1], h[2]
        local calls = {
          function() return t:write_file(rel, "PAYLOAD") end,
          function() return t:copy_file(rel, src) end,
          function() return t:apply_plan(rel, src, "0:7", "0:7") end,
          function() return t:begin_file(rel) end,
          function() return t:begin_update(rel) end,
        }
        if rel:sub(-1) ~= "x" then calls[#calls + 1] = function() return t:mkdir(rel) end end
        for i, call in ipairs(calls) do
          local v, err, code = call()
          assert.is_nil(v, ("%q call %d"):format(rel, i))
          assert.equal(want, code, ("%q call %d: %s"):format(rel, i, tostring(err)))
          assert.is_string(err)
        end
      end
      for _, rel in ipairs { "../x", "/etc/passwd", "a/../../b", "", "a\0b" } do
        local v, err, code = t:path(rel)
        assert.is_nil(v)
        assert.is_string(err)
        assert.is_string(code)
      end
      -- a symlink as the final component: never written through
      local v, _, code = t:apply_plan("f", src, "0:7", "0:7")
      assert.is_nil(v)
      assert.equal("ESCAPE", code)
      v, _, code = t:begin_update("f")
      assert.is_nil(v)
      assert.equal("ESCAPE", code)
      if not replace then
        v, _, code = t:write_file("f", "PAYLOAD")
        assert.is_nil(v)
        assert.equal("EEXIST", code)
      end
    end
    assert.equal(before, snapshot_of(dir))
    assert.equal("secret", support.read(outside .. "/victim"))
    -- replacing the link itself puts a file where it was; its target stays
    local t <close> = ok(vss.dest(root, { replace = true }))
    ok(t:write_file("f", "PAYLOAD"))
    assert.equal("regular file", (sh("stat -c %F " .. q(root .. "/f")):gsub("%s+$", "")))
    assert.equal("secret", support.read(outside .. "/victim"))
  end)

  it("writes whole files atomically and replaces only when asked", function()
    local t <close> = ok(vss.dest(root))
    ok(t:write_file("db/main.mdf", "one"))
    assert.equal("one", support.read(root .. "/db/main.mdf"))
    local v, err, code = t:write_file("db/main.mdf", "two")
    assert.is_nil(v)
    assert.equal("EEXIST", code)
    assert.matches("db/main.mdf", err)
    sh("chmod 640 " .. q(root .. "/db/main.mdf"))
    local r <close> = ok(vss.dest(root, { replace = true }))
    ok(r:write_file("db/main.mdf", "two"))
    assert.equal("two", support.read(root .. "/db/main.mdf"))
    assert.equal("640", (sh("stat -c %a " .. q(root .. "/db/main.mdf")):gsub("%s+$", "")))
    support.write(dir .. "/src", ("x"):rep(100000))
    ok(r:copy_file("db/copy", dir .. "/src"))
    assert.equal(("x"):rep(100000), support.read(root .. "/db/copy"))
    ok(r:mkdir("logs/2024"))
    ok(r:mkdir("logs/2024"))
    -- no temporaries left behind
    assert.equal("", sh("find " .. q(root) .. " -name '.*vss-*'"))
  end)

  it("begin_file and begin_update give a handle to write, commit or abort", function()
    local t <close> = ok(vss.dest(root, { replace = true }))
    do
      local f <close> = ok(t:begin_file("a"))
      assert.matches("^vss%.DestFile %(pending, fd %d+%)$", tostring(f))
      local h = io.open(("/proc/self/fd/%d"):format(f:fd()), "wb")
      h:write("abc")
      h:close()
      ok(f:commit())
      assert.equal("vss.DestFile (committed)", tostring(f))
      assert.has_error(function() f:fd() end, "attempt to use a vss.DestFile already committed")
    end
    assert.equal("abc", support.read(root .. "/a"))
    do
      local f <close> = ok(t:begin_update("a"))
      local h = io.open(("/proc/self/fd/%d"):format(f:fd()), "r+b")
      h:seek("set", 1)
      h:write("X")
      h:close()
    end -- closed without commit: dropped
    assert.equal("abc", support.read(root .. "/a"))
    -- one destination fed by two sources, committed once
    support.write(dir .. "/s1", "111111")
    support.write(dir .. "/s2", "222222")
    do
      local f <close> = ok(t:begin_update("a"))
      ok(f:apply_plan(dir .. "/s1", "0:2", "1:2"))
      ok(f:apply_plan(dir .. "/s2", { { src = 0, dst = 4, length = 3 } }))
      local v, _, code = f:apply_plan(dir .. "/s2", "0:1", "0:2")
      assert.is_nil(v)
      assert.equal("EINVAL", code)
      assert.equal("abc", support.read(root .. "/a"))
      ok(f:commit())
    end
    assert.equal("a11\x00222", support.read(root .. "/a"))
    assert.equal("a", sh("ls -A " .. q(root)):gsub("%s+$", ""))
  end)

  it("lays directed copy plans: move, split and merge between files", function()
    local src = dir .. "/src"
    local bytes = {}
    for i = 0, 9999 do bytes[#bytes + 1] = string.char((i * 7 + i // 256) % 256) end
    local data = table.concat(bytes)
    support.write(src, data)
    local old = ("-"):rep(3000)
    support.write(root .. "/existing", old)
    sh("chmod 604 " .. q(root .. "/existing"))
    local t <close> = ok(vss.dest(root))
    -- merge: three scattered ranges into one run of a new file
    ok(t:apply_plan("merged", src, "100:10,5000:20,9990:10", "0:10,10:20,30:10"))
    assert.equal(model(data, "", ok(vss.ranges.map("100:10,5000:20,9990:10", "0:10,10:20,30:10"))),
      support.read(root .. "/merged"))
    -- split + move onto an existing file: untouched bytes and mode kept
    local s, d = "0:100,100:100,200:100", "2900:100,0:100,4000:100"
    ok(t:apply_plan("existing", src, s, d))
    assert.equal(model(data, old, ok(vss.ranges.map(s, d))), support.read(root .. "/existing"))
    assert.equal("604", (sh("stat -c %a " .. q(root .. "/existing")):gsub("%s+$", "")))
    -- a plan table as vss.ranges.map returns it; random plans against the model
    math.randomseed(42)
    local cur = support.read(root .. "/existing")
    for _ = 1, 20 do
      local p = {}
      for i = 1, math.random(0, 60) do
        local len = math.random(0, 500)
        p[i] = { src = math.random(0, #data - len), dst = math.random(0, 6000), length = len }
      end
      ok(t:apply_plan("existing", src, p))
      cur = model(data, cur, p)
      assert.equal(cur, support.read(root .. "/existing"))
    end
    -- mismatched lists and reads past the source: nil, message, code; nothing changed
    local v, err, code = t:apply_plan("existing", src, "0:10", "0:20")
    assert.is_nil(v)
    assert.equal("EINVAL", code)
    assert.matches("length", err)
    v, err, code = t:apply_plan("existing", src, { { src = 9990, dst = 0, length = 20 } })
    assert.is_nil(v)
    assert.equal("EINVAL", code)
    assert.matches("'existing': copy plan entry 1", err)
    v, err, code = t:apply_plan("existing", dir .. "/nope", "0:1", "0:1")
    assert.is_nil(v)
    assert.equal("ENOENT", code)
    assert.matches("nope", err)
    assert.equal(cur, support.read(root .. "/existing"))
    assert.equal("", sh("find " .. q(root) .. " -name '.*vss-*'"))
  end)

  it("never leaves a half-written file when a restore is killed (SIGKILL)", function()
    local n, size, gens = 4, 256 * 1024, 6
    local contents = {}
    for g = 0, gens - 1 do
      -- generation g: distinct bytes in every 4 KiB block
      local blocks = {}
      for b = 0, size // 4096 - 1 do blocks[#blocks + 1] = string.char(65 + g, b % 256):rep(2048) end
      contents[g] = table.concat(blocks)
      support.write(dir .. "/gen" .. g, contents[g])
    end
    for i = 1, n do support.write(root .. "/f" .. i, contents[0]) end
    -- the child lays every generation in turn over every file, 64 ranges
    -- of 4 KiB in shuffled order, forever
    local child = dir .. "/child.lua"
    support.write(child, ([[
      local vss = require "vss"
      local t = assert(vss.dest(%q))
      local src, dst = {}, {}
      for b = 0, %d - 1 do src[#src + 1] = (b * 4096) .. ":4096" end
      math.randomseed(7)
      local round = 0
      while true do
        round = round + 1
        for i = #src, 2, -1 do local j = math.random(i); src[i], src[j] = src[j], src[i] end
        local s = table.concat(src, ",")
        for i = 1, %d do assert(t:apply_plan("f" .. i, %q .. (round %% %d), s, s)) end
      end
    ]]):format(root, size // 4096, n, dir .. "/gen", gens))
    local changed = 0
    for kill = 1, 8 do
      -- the child never ends by itself: only an exit by signal 9 says the
      -- kill, not an error, stopped it
      local p = io.popen("exec sh -c " .. q("echo $$; exec env " .. LUA_ENV .. " lua5.4 " .. q(child)
        .. " 2>&1"))
      local pid = assert(tonumber(p:read("l")))
      sh("sleep 0." .. (kill * 7 % 5 + 1))
      sh("kill -9 " .. pid)
      local out = p:read("a")
      local _, how, sig = p:close()
      assert.same({ "signal", 9 }, { how, sig }, ("kill %d: %s"):format(kill, out))
      for i = 1, n do
        local got = support.read(root .. "/f" .. i)
        local which
        for g = 0, gens - 1 do if got == contents[g] then which = g end end
        assert(which, ("kill %d: f%d is neither an old nor a new generation"):format(kill, i))
        if which ~= 0 then changed = changed + 1 end
      end
    end
    assert.is_true(changed > 0, "the child never got an update through")
  end)

end)
