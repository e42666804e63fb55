-- vss.ranges: range lists from Lua (partial files, directed targets).
local vss = require "vss"
local support = require "support"

local ranges = vss.ranges
local P = function(s, opts) return assert(ranges.parse(s, opts)) end

-- The entries of r as a Lua list of {offset, length}.
local function entries(r)
  local t = {}
  for _, offset, length in r:each() do t[#t + 1] = { offset, length } end
  return t
end

describe("vss.ranges", function()
  describe("parse and format", function()
    it("parses the inline form and formats it canonically", function()
      local r = P(" 64 : 448 ,0x1239E8577A:65536\t")
      assert.equal(2, #r)
      assert.equal("64:448,78280939386:65536", r:format())
      assert.same({ { 64, 448 }, { 0x1239E8577A, 65536 } }, entries(r))
    end)

    it("treats the empty string as the empty list", function()
      local r = P("")
      assert.equal(0, #r)
      assert.equal("", r:format())
      assert.equal(0, r:total())
    end)

    it("returns nil, a message naming entry and position, and EINVAL for malformed data", function()
      local cases = {
        { "1:2,,3:4", "entry 2 at position 5: empty entry" },
        { "12", "entry 1 at position 3: missing ':'" },
        { "1:2,3:x", "entry 2 at position 7: unexpected 'x'" },
        { "18446744073709551616:0", "offset exceeds 2^64-1" },
        { "18446744073709551615:1", "offset + length exceeds 2^64-1" },
      }
      for _, case in ipairs(cases) do
        local r, msg, code = ranges.parse(case[1])
        assert.is_nil(r)
        assert.equal("EINVAL", code)
        assert.truthy(msg:find(case[2], 1, true), msg)
      end
    end)

    it("rejects unsorted, overlapping and empty entries only when asked", function()
      assert.equal(3, #P("20:5,0:10,5:0"))
      local r, msg, code = ranges.parse("0:10,5:10", { strict = true })
      assert.is_nil(r)
      assert.equal("EINVAL", code)
      assert.matches("entry 2 at position 6: overlaps", msg)
      r, msg = ranges.parse("20:5,0:10", { strict = true })
      assert.is_nil(r)
      assert.matches("not sorted", msg)
      r, msg = ranges.parse("0:10,20:0", { no_zero = true })
      assert.is_nil(r)
      assert.matches("entry 2 .*zero%-length", msg)
      assert.equal(2, #P("0:10,10:5", { strict = true, no_zero = false }))
    end)

    it("raises on misuse", function()
      assert.error_matches(function() ranges.parse(12) end, "bad argument #1 .*string expected, got number")
      assert.error_matches(function() ranges.parse() end, "bad argument #1")
      assert.error_matches(function() ranges.parse("1:2", { strcit = true }) end,
        "bad argument #2 .*unknown option 'strcit'")
      assert.error_matches(function() ranges.parse("1:2", { strict = 1 }) end,
        "bad argument #2 .*strict: boolean expected, got number")
      assert.error_matches(function() ranges.parse("1:2", { true }) end,
        "bad argument #2 .*unknown option '1'")
      assert.error_matches(function() ranges.parse("1:2", "strict") end, "bad argument #2")
      assert.error_matches(function() ranges.parse("1:2", nil, 3) end, "no more than 2 arguments")
    end)
  end)

  describe("new", function()
    it("builds a list from pairs or named fields", function()
      local a = ranges.new { { 0, 512 }, { 1024, 512 } }
      local b = ranges.new { { offset = 0, length = 512 }, { offset = 1024, length = 512.0 } }
      assert.equal("0:512,1024:512", a:format())
      assert.equal(a, b)
      assert.equal(0, #ranges.new {})
      assert.equal(0, #ranges.new())
    end)

    it("raises on misuse, naming the entry", function()
      assert.error_matches(function() ranges.new "0:1" end, "bad argument #1 .*table expected")
      assert.error_matches(function() ranges.new { 5 } end, "entry 1: table expected, got number")
      assert.error_matches(function() ranges.new { { 0, 1 }, { 2 } } end,
        "entry 2: length: integer expected, got nil")
      assert.error_matches(function() ranges.new { { 0.5, 1 } } end, "entry 1: offset: integer expected")
      assert.error_matches(function() ranges.new { { -1, 1 } } end, "entry 1: offset must not be negative")
    end)
  end)

  describe("a Ranges object", function()
    it("is readable at the REPL", function()
      assert.equal("vss.Ranges(3 ranges, 1536 bytes: 0:512,1024:512,4096:512)",
        tostring(P("0:512,1024:512,4096:512")))
      assert.equal("vss.Ranges(1 range, 1 byte: 7:1)", tostring(P("7:1")))
      assert.equal("vss.Ranges(0 ranges, 0 bytes)", tostring(P("")))
      local long = {}
      for i = 1, 100 do long[i] = { i * 10, 5 } end
      local s = tostring(ranges.new(long))
      assert.equal("vss.Ranges(100 ranges, 500 bytes: 10:5,20:5,30:5,40:5,50:5,60:5,70:5,80:5,…)", s)
      assert.equal("vss.Ranges", getmetatable(P("")).__name)
      local out = support.sh("printf '%s\\n' '=vss.ranges.parse(\"0:512, 1024:512\")' | "
        .. support.lua_env .. " "
        .. "lua5.4 -e 'vss = require \"vss\"' -i")
      assert.truthy(out:find("vss.Ranges(2 ranges, 1024 bytes: 0:512,1024:512)", 1, true), out)
    end)

    it("counts, sums, indexes and iterates", function()
      local r = P("0:512,1024:512,4096:1")
      assert.equal(3, #r)
      assert.equal(1025, r:total())
      assert.same({ 1024, 512 }, { r:get(2) })
      assert.is_nil(r:get(0))
      assert.is_nil(r:get(4))
      local seen = {}
      for i, offset, length in r:each() do seen[#seen + 1] = ("%d=%d+%d"):format(i, offset, length) end
      assert.same({ "1=0+512", "2=1024+512", "3=4096+1" }, seen)
      assert.error_matches(function() r:get("x") end, "bad argument #1 to 'get' %(number expected")
    end)

    it("normalizes, clips and checks without changing itself", function()
      local r = P("50:10,0:10,5:10,60:5,40:0")
      local n = r:normalize()
      assert.equal("0:15,50:15", n:format())
      assert.equal("50:10,0:10,5:10,60:5,40:0", r:format())
      assert.equal("50:5,0:10,5:10,40:0", r:clip(55):format())
      assert.error_matches(function() r:clip(-1) end, "bad argument #1 .*must not be negative")
      assert.is_true(n:check { strict = true })
      local ok, msg, code = r:check { strict = true }
      assert.is_nil(ok)
      assert.equal("EINVAL", code)
      assert.matches("entry 2 %(0:10%): not sorted", msg)
    end)

    it("finds overlapping entries", function()
      assert.is_false(P("0:10,10:10"):overlaps())
      assert.same({ true, 1, 3 }, { P("0:100,200:5,50:1"):overlaps() })
    end)

    it("does set operations, as methods and operators", function()
      local a, b = P("0:100"), P("10:10,50:60")
      assert.equal("0:110", a:union(b):format())
      assert.equal("10:10,50:50", a:intersection(b):format())
      assert.equal("0:10,20:30", a:difference(b):format())
      assert.equal(a:union(b), a + b)
      assert.equal(a:intersection(b), a * b)
      assert.equal(a:difference(b), a - b)
      assert.is_true(P("1:2,3:4") == P(" 1:2 , 3:4"))
      assert.is_false(P("1:2,3:4") == P("3:4,1:2"))
      assert.is_true(P("1:2,3:4"):normalize() == P("3:4,1:2"):normalize())
      assert.error_matches(function() return a + "1:2" end, "vss.Ranges expected")
      assert.is_false(a == io.stdout)
    end)
  end)

  describe("values of 2^63 and above", function()
    it("are kept exactly by parse, format, save, load and the set operations", function()
      local s = "9223372036854775808:1,18446744073709551614:1"
      local r = P(s)
      assert.equal(s, r:format())
      assert.equal("vss.Ranges(2 ranges, 2 bytes: " .. s .. ")", tostring(r))
      assert.equal(s, (r + r):format())
      local dir = support.tmpdir()
      finally(function() support.rm_rf(dir) end)
      assert.is_true(r:save(dir .. "/big"))
      assert.equal(r, ranges.load(dir .. "/big"))
      assert.equal(2, r:total())
    end)

    it("raise when read as Lua integers", function()
      local r = P("9223372036854775807:0,9223372036854775808:1")
      assert.equal(math.maxinteger, (r:get(1)))
      assert.error_matches(function() r:get(2) end,
        "entry 2: offset 9223372036854775808 exceeds Lua integer range")
      assert.error_matches(function() for _ in r:each() do end end, "exceeds Lua integer range")
      assert.error_matches(function() P("0:9223372036854775808"):total() end,
        "total length 9223372036854775808 exceeds Lua integer range")
      assert.error_matches(function() ranges.map(r, r) end,
        "map: entry 2: a value 9223372036854775808 exceeds Lua integer range %(2%^63%-1%)")
    end)
  end)

  describe("ranges files", function()
    local dir
    before_each(function() dir = support.tmpdir() end)
    after_each(function() support.rm_rf(dir) end)

    it("save and load round-trip, in the binary layout", function()
      local r = P("1:2,0x0102030405060708:16")
      assert.is_true(r:save(dir .. "/r"))
      assert.equal(string.pack("<I8I8I8I8I8", 2, 1, 2, 0x0102030405060708, 16), support.read(dir .. "/r"))
      assert.equal(r, ranges.load(dir .. "/r"))
    end)

    it("return nil, message, code for unreadable or malformed files", function()
      local r, msg, code = ranges.load(dir .. "/missing")
      assert.is_nil(r)
      assert.equal("ENOENT", code)
      assert.truthy(msg:find(dir .. "/missing", 1, true))
      support.write(dir .. "/bad", string.pack("<I8I8", 2, 0))
      r, msg, code = ranges.load(dir .. "/bad")
      assert.is_nil(r)
      assert.equal("EINVAL", code)
      assert.matches("count 2 disagrees with the size 16", msg)
      local ok
      ok, msg, code = P("1:1"):save(dir .. "/no/such/dir")
      assert.is_nil(ok)
      assert.equal("ENOENT", code)
      assert.truthy(msg:find(dir .. "/no/such/dir", 1, true))
      assert.error_matches(function() P("1:1"):save() end, "bad argument #1")
    end)

    it("are recognised as VSS names them", function()
      assert.equal("/b/r.bin", ranges.is_file_reference("File=/b/r.bin"))
      assert.equal("/b/r.bin", ranges.is_file_reference("FILE=/b/r.bin"))
      assert.equal("/b/r.bin", ranges.is_file_reference("/b/r.bin"))
      assert.is_nil(ranges.is_file_reference("0:512,0x1000:512"))
      assert.is_nil(ranges.is_file_reference(""))
      assert.error_matches(function() ranges.is_file_reference(5) end, "string expected")
    end)

    it("resolve a partial-file string of either form", function()
      P("0:10,20:10"):save(dir .. "/r")
      assert.equal("0:10,20:10", ranges.resolve("file=" .. dir .. "/r"):format())
      assert.equal("0:10,20:10", ranges.resolve(dir .. "/r"):format())
      assert.equal("5:5", ranges.resolve("5:5"):format())
      P("20:10,0:10"):save(dir .. "/r")
      local r, msg, code = ranges.resolve(dir .. "/r", { strict = true })
      assert.is_nil(r)
      assert.equal("EINVAL", code)
      assert.matches("not sorted", msg)
      local _, _, missing = ranges.resolve(dir .. "/none")
      assert.equal("ENOENT", missing)
      local none, why, bad = ranges.resolve("File=")
      assert.is_nil(none)
      assert.equal("EINVAL", bad)
      assert.matches("names no ranges file", why)
      assert.equal("0:1,4:1", ranges.resolve("0:1,4:1", { strict = true }):format())
      assert.error_matches(function() ranges.resolve("a\0b") end, "NUL")
    end)
  end)

  describe("map", function()
    it("builds the directed-target copy plan", function()
      local plan = ranges.map(P("0:512,4096:1024"), P("8192:512,0:1024"))
      assert.same({ { src = 0, dst = 8192, length = 512 }, { src = 4096, dst = 0, length = 1024 } }, plan)
      assert.same({}, ranges.map(P(""), P("")))
      assert.same({ { src = 5, dst = 0, length = 5 } }, ranges.map("5:5", "0:5"))
    end)

    it("returns nil, message, EINVAL when the lists do not pair up", function()
      local plan, msg, code = ranges.map(P("0:512,4096:1024"), P("0:512"))
      assert.is_nil(plan)
      assert.equal("EINVAL", code)
      assert.matches("source has 2 ranges, the destination 1", msg)
      plan, msg = ranges.map("0:512,4096:1024", "0:512,1:1023")
      assert.is_nil(plan)
      assert.matches("entry 2 has source length 1024 but destination length 1023", msg)
      plan, msg, code = ranges.map("0:1", "0:")
      assert.is_nil(plan)
      assert.equal("EINVAL", code)
      assert.matches("^destination: ", msg)
      assert.error_matches(function() ranges.map({}, P("")) end, "vss.Ranges expected")
    end)
  end)

  describe("under the eager collector", function()
    it("frees lists and keeps iterated ones alive", function()
      local keep = P("100000:1")
      for i = 1, 2000 do
        local r = P(("%d:1,%d:2"):format(i, i + 10)) + keep
        assert.equal(3, #r)
      end
      local n = 0
      for _, offset in P("0:1,5:1,9:1"):each() do
        collectgarbage()
        n = n + offset
      end
      assert.equal(14, n)
      collectgarbage()
      assert.equal("100000:1", keep:format())
    end)
  end)

  it("agrees with a byte-map model (property, fixed seed)", function()
    math.randomseed(20261122)
    local U = 256
    local function random_list()
      local t = {}
      for i = 1, math.random(0, 8) do t[i] = { math.random(0, U - 33), math.random(0, 32) } end
      return ranges.new(t)
    end
    local function map_of(r)
      local m = {}
      for _, o, l in r:each() do for b = o, o + l - 1 do m[b] = true end end
      return m
    end
    for _ = 1, 500 do
      local a, b = random_list(), random_list()
      local ma, mb = map_of(a), map_of(b)
      local mu, mi, md = map_of(a + b), map_of(a * b), map_of(a - b)
      for x = 0, U - 1 do
        assert((ma[x] or mb[x] or false) == (mu[x] or false), "union at " .. x)
        assert((ma[x] and mb[x] or false) == (mi[x] or false), "intersection at " .. x)
        assert((ma[x] and not mb[x] or false) == (md[x] or false), "difference at " .. x)
      end
      assert.equal(a, P(a:format()))
      assert.same(ma, map_of(a:normalize()))
    end
  end)

  it("runs examples/range_mapping.lua, which lays ranges out and verifies them", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    local out, ok = support.sh(support.lua_env .. " "
      .. "lua5.4 examples/range_mapping.lua " .. support.q(dir))
    assert.is_true(ok, out)
    assert.matches("copy plan: 3 copies, 16384 bytes", out)
    assert.matches("verified 16384 bytes in 3 ranges", out)
    -- The effect: the compact file holds exactly the three source ranges, in order.
    local data, compact = support.read(dir .. "/db.dat"), support.read(dir .. "/db.compact")
    assert.equal(16384, #compact)
    assert.equal(data:sub(1, 4096) .. data:sub(65537, 65536 + 8192)
      .. data:sub(1048577, 1048576 + 4096), compact)
    assert.equal("0:4096,65536:8192,1048576:4096", ranges.load(dir .. "/db.ranges"):format())
  end)
end)
