-- vss.vdisk (issue #13): VHD and VHDX images opened read-only and read
-- exactly. Oracles: `qemu-img convert -O raw` for what qemu reads right, and
-- for the real Hyper-V .avhdx a reading of its BAT and sector bitmaps done
-- here in Lua, independently of the C code.
local vss = require "vss"
local support = require "support"
local q, sh = support.q, support.sh

local have_qemu = select(2, sh("command -v qemu-img && command -v qemu-io"))
local TESTDATA = support.testdata .. "/vdisk"
local have_testdata = select(2, sh("test -r " .. q(TESTDATA .. "/differencing.avhdx.gz")))

local MiB = 1 << 20

-- Commands run without the sanitizer runtimes `make test SAN=1` preloads
-- for Lua (qemu-img hangs under them).
local function run(cmd)
  local out, ok = sh("env -u LD_PRELOAD sh -c " .. q(cmd))
  assert(ok, cmd .. ": " .. out)
  return out
end

local function patch(path, off, bytes)
  local f = assert(io.open(path, "r+b"))
  assert(f:seek("set", off))
  assert(f:write(bytes))
  assert(f:close())
end

local function readat(path, off, n)
  local f = assert(io.open(path, "rb"))
  assert(f:seek("set", off))
  local s = f:read(n) or ""
  f:close()
  return s
end

-- The raw form of an image, as qemu reads it.
local function to_raw(img, fmt, raw)
  run(("qemu-img convert -f %s -O raw %s %s"):format(fmt, q(img), q(raw)))
end

-- d's reads equal the raw file: copy_to whole, then reads at odd offsets
-- and lengths (some across blocks).
local function same_as_raw(d, raw, dir, reads)
  local out = dir .. "/copy.raw"
  os.remove(out)
  support.ok(d:copy_to(out))
  local diff, same = sh(("cmp %s %s"):format(q(raw), q(out)))
  assert(same, "copy_to differs from qemu-img convert: " .. diff)
  local size = d:info().virtual_size
  local bs = d:info().block_size
  local points = { 0, 1, 511, bs - 1, bs - 3, bs + 17, 2 * bs - 700, size - 513 }
  for i = 1, reads or 40 do points[#points + 1] = (i * 2654435761) % size end
  for _, o in ipairs(points) do
    if o >= 0 and o < size then
      local n = math.min(size - o, (o * 7) % (3 * MiB) + 1)
      local want = readat(raw, o, n)
      want = want .. string.rep("\0", n - #want)
      local got = support.ok(d:read(o, n))
      assert(got == want, ("read(%d, %d) differs from qemu"):format(o, n))
    end
  end
end

-- ---- structures found here in Lua (the independent oracle) ----

local BAT_GUID = "\x66\x77\xc2\x2d\x23\xf6\x00\x42\x9d\x64\x11\x5e\x9b\xfd\x4a\x08"
local META_GUID = "\x06\xa2\x7c\x8b\x90\x47\x9a\x4b\xb8\xfe\x57\x5f\x05\x0f\x88\x6e"
local VSIZE_GUID = "\x24\x42\xa5\x2f\x1b\xcd\x76\x48\xb2\x11\x5d\xbe\xd8\x3b\xf4\xb8"
local LSS_GUID = "\x1d\xbf\x41\x81\x6f\xa9\x09\x47\xba\x47\xf2\x33\xa8\xfa\xab\x5f"

local function regions(path)
  local t = readat(path, 192 * 1024, 64 * 1024)
  local n = string.unpack("<I4", t, 9)
  local r = {}
  for i = 0, n - 1 do
    local p = 17 + i * 32
    local guid = t:sub(p, p + 15)
    local off, len = string.unpack("<I8I4", t, p + 16)
    if guid == BAT_GUID then r.bat = off elseif guid == META_GUID then r.meta = off end
    r[#r + 1] = { off = off, len = len }
  end
  return r
end

-- File offset of a metadata item's data.
local function meta_item(path, guid)
  local m = regions(path).meta
  local t = readat(path, m, 64 * 1024)
  local n = string.unpack("<I2", t, 11)
  for i = 0, n - 1 do
    local p = 33 + i * 32
    if t:sub(p, p + 15) == guid then return m + string.unpack("<I4", t, p + 16) end
  end
end

describe("vss.vdisk", function()
  local dir
  before_each(function() dir = support.tmpdir() end)
  after_each(function() support.rm_rf(dir) end)

  describe("qemu-made images read byte for byte as qemu-img convert", function()
    local cases = {
      { "vpc", "subformat=dynamic,force_size=on", 48 * MiB },
      { "vpc", "subformat=fixed,force_size=on", 24 * MiB },
      { "vhdx", "subformat=dynamic,block_size=1M", 40 * MiB },
      { "vhdx", "subformat=dynamic,block_size=8M", 64 * MiB },
      { "vhdx", "subformat=dynamic,block_size=32M", 100 * MiB },
      { "vhdx", "subformat=dynamic,block_size=256M", 600 * MiB },
      { "vhdx", "subformat=fixed,block_size=2M", 24 * MiB },
    }
    for _, c in ipairs(cases) do
      it(("%s %s"):format(c[1], c[2]), function()
        if not have_qemu then return pending("needs qemu-img and qemu-io (Debian qemu-utils)") end
        local img, raw = dir .. "/disk." .. c[1], dir .. "/disk.raw"
        run(("qemu-img create -q -f %s -o %s %s %d"):format(c[1], c[2], q(img), c[3]))
        local size = c[3]
        -- patterns across block boundaries, a short one, one at the end
        run(("qemu-io -f %s -c %s -c %s -c %s -c %s %s"):format(c[1],
          q("write -P 0xa5 " .. (MiB - 4096) .. " " .. (2 * MiB + 8192)),
          q("write -P 0x3c " .. (9 * MiB + 512) .. " 1536"),
          q("write -P 0x77 " .. (size // 2) .. " " .. (3 * MiB)),
          q("write -P 0xe1 " .. (size - 4096) .. " 4096"), q(img)))
        to_raw(img, c[1], raw)
        local d <close> = support.ok(vss.vdisk.open(img))
        local info = d:info()
        assert.are.equal(c[1] == "vpc" and "VHD" or "VHDX", info.format)
        assert.are.equal(c[2]:match("subformat=(%a+)"), info.type)
        assert.are.equal(size, info.virtual_size)
        same_as_raw(d, raw, dir)
        -- what the layer holds covers every written byte
        local data = d:allocated()
        for _, w in ipairs({ { MiB - 4096, 2 * MiB + 8192 }, { size - 4096, 4096 } }) do
          local inter = data:intersection(vss.ranges.parse(("%d:%d"):format(w[1], w[2])))
          assert.are.equal(w[2], inter:total())
        end
      end)
    end

    it("reads a VHDX with 4096-byte logical sectors", function()
      if not have_qemu then return pending("needs qemu-img and qemu-io (Debian qemu-utils)") end
      -- qemu makes 512-byte VHDX only; the metadata item has no checksum, and
      -- with fewer blocks than a chunk the BAT layout is the same
      local img, raw = dir .. "/disk.vhdx", dir .. "/disk.raw"
      run(("qemu-img create -q -f vhdx -o block_size=4M %s 32M"):format(q(img)))
      run(("qemu-io -f vhdx -c %s %s"):format(q("write -P 0x5a 3M 2M"), q(img)))
      to_raw(img, "vhdx", raw)
      patch(img, assert(meta_item(img, LSS_GUID)), string.pack("<I4", 4096))
      local d <close> = support.ok(vss.vdisk.open(img))
      assert.are.equal(4096, d:info().logical_sector_size)
      same_as_raw(d, raw, dir)
    end)
  end)

  describe("the images of ../shared/testdata/vdisk", function()
    local expect = {
      ["d2v-zerofilled.vhd"] = "vpc", ["dynamic.vhd"] = "vpc", ["ext2.vhd"] = "vpc",
      ["fixed.vhd"] = "vpc", ["hyperv2012r2-dynamic.vhd"] = "vpc",
      ["iotest-dirtylog-10G-4M.vhdx"] = "open", -- its pending log: below
      ["virtualpc-dynamic.vhd"] = "vpc", ["image.vhd"] = "open",
      ["dynamic.vhdx"] = "vhdx", ["fixed.vhdx"] = "vhdx", ["hyperv-parent-standin.vhdx"] = "vhdx",
      ["iotest-dynamic-1G.vhdx"] = "vhdx", ["test-disk2vhd.vhdx"] = "vhdx",
      -- refused, and why
      ["fat-differential.vhd"] = { "ECHAIN", "parent %(.-fat%-parent%.vhd%) was not found" },
      ["image-differential.vhd"] = { "ECORRUPT", "VHD footer at 0x200a00: checksum" },
      ["differencing.avhdx"] = { "ECHAIN", "Generation 1_49C4BAF3.*was not found" },
    }
    it("each opens (and reads as qemu does) or is refused with the reason", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      local seen = 0
      for f in io.popen("ls " .. q(TESTDATA)):lines() do
        local name = f:gsub("%.gz$", ""):gsub("%.bz2$", "")
        if name ~= f then
          seen = seen + 1
          local img = dir .. "/" .. name
          run(("%s -c %s | dd of=%s bs=1M conv=sparse status=none"):format(
            f:match("%.gz$") and "gzip -d" or "bzip2 -d", q(TESTDATA .. "/" .. f), q(img)))
          local want = expect[name]
          assert(want, "no expectation for " .. name)
          local d, msg, code = vss.vdisk.open(img)
          if type(want) == "table" then
            assert.is_nil(d, name)
            assert.are.equal(want[1], code, msg)
            assert.matches(want[2], msg)
          else
            assert(d, name .. ": " .. tostring(msg))
            if want ~= "open" and have_qemu and d:info().virtual_size <= 1 << 30 then
              to_raw(img, want, dir .. "/disk.raw")
              same_as_raw(d, dir .. "/disk.raw", dir, 10)
              os.remove(dir .. "/disk.raw")
            elseif want ~= "open" and have_qemu and d:info().virtual_size <= 8 << 30 then
              -- large: the bytes the image holds, and some it does not
              local raw = dir .. "/disk.raw"
              to_raw(img, want, raw)
              for _, o, n in (d:allocated()):each() do
                assert(d:read(o, n) == readat(raw, o, n), name .. " at " .. o)
              end
              assert(d:read(3 << 30, 4096) == string.rep("\0", 4096))
              os.remove(raw)
            elseif want ~= "open" then
              assert.are.equal(0, (d:allocated()):total()) -- the 127 GiB empty ones
              assert.are.equal(string.rep("\0", 4096), d:read(d:info().virtual_size - 4096, 4096))
            end
            d:close()
          end
          os.remove(img)
        end
      end
      assert.are.equal(16, seen)
    end)
  end)

  describe("a VHDX with a pending log", function()
    local function unpack_dirty()
      local img = dir .. "/dirty.vhdx"
      run(("bzip2 -dc %s | dd of=%s bs=1M conv=sparse status=none"):format(
        q(TESTDATA .. "/iotest-dirtylog-10G-4M.vhdx.bz2"), q(img)))
      return img
    end

    it("is replayed in memory: reads equal a copy qemu repaired, the file is not written", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      if not have_qemu then return pending("needs qemu-img (the repaired copy)") end
      local img = unpack_dirty()
      local fixed = dir .. "/fixed.vhdx"
      run(("cp --sparse=always %s %s && qemu-img check -q -r all %s"):format(q(img), q(fixed), q(fixed)))
      local before = run("sha256sum " .. q(img))
      local d <close> = support.ok(vss.vdisk.open(img))
      local r <close> = support.ok(vss.vdisk.open(fixed))
      assert.is_true(d:info().log_pending)
      assert.is_false(r:info().log_pending)
      -- libvhdi reads 17 MiB of 0xa5 here and 1 MiB of zeros: the log's BAT update
      assert.are.equal("0:18874368", (d:allocated()):format())
      assert.are.equal(tostring(r:allocated()), tostring(d:allocated()))
      for o = 0, 20 * MiB, MiB do
        assert(d:read(o, MiB) == r:read(o, MiB), "at " .. o)
      end
      assert.are.equal(string.rep("\xa5", 4096), d:read(0x11ff000, 4096))
      d:close()
      assert.are.equal(before, run("sha256sum " .. q(img)))
    end)

    it("that cannot be replayed is refused, not skipped", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      local img = unpack_dirty()
      -- every log entry fails its CRC: the log region is at 1 MiB
      local log = readat(img, MiB, MiB)
      local at = 1
      while true do
        local i = log:find("loge", at, true)
        if not i then break end
        patch(img, MiB + i - 1 + 100, "\255")
        at = i + 4
      end
      local d, msg, code = vss.vdisk.open(img)
      assert.is_nil(d)
      assert.are.equal("ECORRUPT", code)
      assert.matches("pending log: VHDX log at 0x100000: LogGuid is set but no valid log entry", msg)
    end)
  end)

  describe("the real Hyper-V differencing VHDX", function()
    local child, parent, parent_raw
    local cache -- the fixtures unpacked once; each test works on copies
    teardown(function() if cache then support.rm_rf(cache) end end)
    local function unpack_fixtures()
      if not cache then
        cache = support.tmpdir()
        run(("gzip -dc %s | dd of=%s bs=1M conv=sparse status=none"):format(
          q(TESTDATA .. "/differencing.avhdx.gz"), q(cache .. "/differencing.avhdx")))
        run(("gzip -dc %s | dd of=%s bs=1M conv=sparse status=none"):format(
          q(TESTDATA .. "/hyperv-parent-standin.vhdx.gz"), q(cache .. "/parent.vhdx")))
        if have_qemu then to_raw(cache .. "/parent.vhdx", "vhdx", cache .. "/parent.raw") end
      end
      child, parent = dir .. "/differencing.avhdx", dir .. "/parent.vhdx"
      run(("cp --sparse=always %s %s"):format(q(cache .. "/differencing.avhdx"), q(child)))
      run(("cp --sparse=always %s %s"):format(q(cache .. "/parent.vhdx"), q(parent)))
      parent_raw = cache .. "/parent.raw"
    end

    -- The child's own reading of a block span [b*2M, (b+1)*2M): from its BAT
    -- and sector bitmap (BS 2 MiB, LSS 512, chunk ratio 2048: reference §3.2).
    local function expected_block(b, override)
      local bat = regions(child).bat
      local e = string.unpack("<I8", readat(child, bat + 8 * (b + b // 2048), 8))
      local st, off = e & 7, (e >> 20) << 20
      if override then st = override end
      if st == 0 then return readat(parent_raw, b * 2 * MiB, 2 * MiB) end
      if st == 1 or st == 2 or st == 3 then return string.rep("\0", 2 * MiB) end
      if st == 6 then return readat(child, off, 2 * MiB) end
      assert(st == 7, "state " .. st)
      local sb = string.unpack("<I8", readat(child, bat + 8 * ((b // 2048) * 2049 + 2048), 8))
      local bits = readat(child, ((sb >> 20) << 20) + (b % 2048) * 512, 512)
      local from_parent = readat(parent_raw, b * 2 * MiB, 2 * MiB)
      local t = {}
      for s = 0, 4095 do
        local byte = bits:byte(s // 8 + 1)
        if (byte >> (s % 8)) & 1 == 1 then
          t[#t + 1] = readat(child, off + s * 512, 512)
        else
          t[#t + 1] = from_parent:sub(s * 512 + 1, s * 512 + 512)
        end
      end
      return table.concat(t)
    end

    local function touched_blocks()
      local bat, blocks = regions(child).bat, {}
      for b = 0, 4095 do
        local e = string.unpack("<I8", readat(child, bat + 8 * (b + b // 2048), 8))
        if e & 7 ~= 0 then blocks[#blocks + 1] = b end
      end
      return blocks
    end

    it("reads through the stand-in parent as its BAT and bitmaps say", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      if not have_qemu then return pending("needs qemu-img (the parent's oracle)") end
      unpack_fixtures()
      local d <close> = support.ok(vss.vdisk.open(child, { parents = { parent } }))
      assert.are.equal(2, #d:chain())
      local blocks = touched_blocks()
      assert.are.equal(32, #blocks)
      for _, b in ipairs(blocks) do
        assert(d:read(b * 2 * MiB, 2 * MiB) == expected_block(b), "block " .. b)
      end
      -- a block the child leaves to its parent, and a read across two blocks
      assert(d:read(0, 2 * MiB) == expected_block(0))
      local b = blocks[2]
      assert(d:read(b * 2 * MiB - 4096, 8192) ==
        expected_block(b - 1):sub(-4096) .. expected_block(b):sub(1, 4096))
      -- sector-granular ownership: far less than the 64 MiB of its blocks
      local owned = d:owned()
      assert.are.equal(3174400, owned:total())
      assert.is_true(owned:total() < 64 * MiB / 20)
      -- qemu marks the stand-in's other blocks ZERO: the base owns all of it
      assert.are.equal(8 << 30, (d:owned(1)):total())
    end)

    it("reads ZERO, UNMAPPED and UNDEFINED blocks as zeros, not from the parent", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      if not have_qemu then return pending("needs qemu-img (the parent's oracle)") end
      unpack_fixtures()
      local blocks = touched_blocks()
      local bat = regions(child).bat
      local states = { 2, 3, 1 }
      for i, st in ipairs(states) do
        local b = blocks[i]
        local p = bat + 8 * (b + b // 2048)
        local e = string.unpack("<I8", readat(child, p, 8))
        patch(child, p, string.pack("<I8", (e & ~7) | st))
      end
      local d <close> = support.ok(vss.vdisk.open(child, { parents = { parent } }))
      local zero = string.rep("\0", 2 * MiB)
      for i = 1, 3 do
        local b = blocks[i]
        assert(readat(parent_raw, b * 2 * MiB, 2 * MiB) ~= zero, "the parent has data there")
        assert(d:read(b * 2 * MiB, 2 * MiB) == zero, "block " .. b .. " state " .. states[i])
      end
      local _, declared = d:allocated()
      assert.are.equal(3 * 2 * MiB, declared:total())
    end)

    it("finds the parent by its relative path, by a path map, refuses a wrong one", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      unpack_fixtures()
      local name = "Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx"
      -- by the path map of the absolute Windows path
      support.mkdir(dir .. "/elsewhere")
      run(("mv %s %s"):format(q(parent), q(dir .. "/elsewhere/" .. name)))
      local map = vss.filespec.path_map {
        ["C:\\Users\\Public\\Documents\\Hyper-V\\Virtual hard disks"] = dir .. "/elsewhere" }
      local d = support.ok(vss.vdisk.open(child, { root = map }))
      assert.are.equal(dir .. "/elsewhere/" .. name, d:chain()[2].path)
      d:close()
      -- by the relative path
      run(("mv %s %s"):format(q(dir .. "/elsewhere/" .. name), q(dir .. "/" .. name)))
      d = support.ok(vss.vdisk.open(child))
      assert.matches("2 layers", tostring(d))
      d:close()
      -- a parent whose DataWriteGuid is not the link: refused naming both, unless forced
      local other = dir .. "/other.vhdx"
      if have_qemu then
        run(("qemu-img create -q -f vhdx %s 8G"):format(q(other)))
        local nd, msg, code = vss.vdisk.open(child, { parents = { other } })
        assert.is_nil(nd)
        assert.are.equal("ECHAIN", code)
        assert.matches("{ff34003b%-11ed%-4cf8%-a166%-b2be05e20b80}", msg)
        assert.matches("other.vhdx' is {%x+%-", msg)
        d = support.ok(vss.vdisk.open(child, { parents = { other }, force = true }))
        d:close()
      end
    end)

    it("checks every link of a chain of three and refuses a loop", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      unpack_fixtures()
      -- mid is the real child; top is a copy whose link names mid's DataWriteGuid
      local mid, top = child, dir .. "/top.avhdx"
      run(("cp --sparse=always %s %s"):format(q(child), q(top)))
      local loc = readat(top, regions(top).meta, 4 * MiB)
      local old = ("{ff34003b-11ed-4cf8-a166-b2be05e20b80}"):gsub(".", "%0\0")
      local at = assert(loc:find(old, 1, true), "parent_linkage in the metadata")
      patch(top, regions(top).meta + at - 1, ("{b298d413-f67e-412a-9a72-c7c7fc9b6cb5}"):gsub(".", "%0\0"))
      local d = support.ok(vss.vdisk.open(top, { parents = { mid, parent } }))
      assert.are.equal(3, #d:chain())
      d:close()
      -- the wrong middle: top's link does not name the stand-in
      local nd, msg, code = vss.vdisk.open(top, { parents = { parent } })
      assert.is_nil(nd)
      assert.are.equal("ECHAIN", code)
      assert.matches("links to parent {b298d413%-f67e%-412a%-9a72%-c7c7fc9b6cb5}", msg)
      assert.matches("is {ff34003b%-11ed%-4cf8%-a166%-b2be05e20b80}", msg)
      -- a loop: mid's parent given as top
      nd, msg, code = vss.vdisk.open(top, { parents = { mid, top }, force = true })
      assert.is_nil(nd)
      assert.are.equal("ECHAIN", code)
      assert.matches("loops", msg)
      -- a locator that points at the file itself
      local self = dir .. "/Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx"
      run(("mv %s %s"):format(q(child), q(self)))
      nd, msg, code = vss.vdisk.open(self)
      assert.is_nil(nd)
      assert.are.equal("ECHAIN", code)
      assert.matches("loops", msg)
    end)

    it("falls back to the other header when the current one is bad", function()
      if not have_testdata then return pending("no testdata at " .. TESTDATA) end
      unpack_fixtures()
      local d = support.ok(vss.vdisk.open(child, { parents = { parent } }))
      local i = d:info()
      d:close()
      assert.are.equal(2, i.current_header)
      assert.is_true(i.other_header_valid)
      patch(child, 128 * 1024 + 200, "\1") -- inside header 2: its CRC fails
      d = support.ok(vss.vdisk.open(child, { parents = { parent } }))
      i = d:info()
      assert.are.equal(1, i.current_header)
      assert.is_false(i.other_header_valid)
      d:close()
      patch(child, 64 * 1024, "HEAD") -- and header 1's signature
      local nd, msg, code = vss.vdisk.open(child, { parents = { parent } })
      assert.is_nil(nd)
      assert.are.equal("ECORRUPT", code)
      assert.matches("no valid header: VHDX header at 0x10000: bad signature; "
        .. "VHDX header at 0x20000: CRC%-32C", msg)
    end)
  end)

  describe("hostile images fail with the structure and offset named", function()
    local function vhdx(extra)
      local img = dir .. "/h.vhdx"
      run(("qemu-img create -q -f vhdx -o block_size=1M %s 16M"):format(q(img)))
      run(("qemu-io -f vhdx -c %s -c %s %s"):format(q("write -P 1 0 1M"), q("write -P 2 5M 1M"),
        q(img)))
      if extra then extra(img) end
      return img
    end
    local function refused(img, code, pattern)
      local d, msg, c = vss.vdisk.open(img)
      assert.is_nil(d, "opened: " .. tostring(d))
      assert.are.equal(code, c, msg)
      assert.matches(pattern, msg)
    end
    local function bat_entry(img, b) return regions(img).bat + 8 * (b + b // 4096) end

    it("truncated, past the end, overlapping, huge, bad checksums, not an image", function()
      if not have_qemu then return pending("needs qemu-img and qemu-io (Debian qemu-utils)") end
      local img = vhdx()
      local d = support.ok(vss.vdisk.open(img)); d:close()
      local size = tonumber((run("stat -c %s " .. q(img)):gsub("%s", "")))
      -- truncated: the last payload block is cut
      run(("truncate -s %d %s"):format(size - MiB // 2, q(img)))
      refused(img, "ECORRUPT", "VHDX BAT entry 5 at 0x%x+ %(block 5%): data at 0x%x+ past the end")
      run(("truncate -s 300000 %s"):format(q(img)))
      refused(img, "ECORRUPT", "shorter than its headers")
      -- a BAT entry past the end of the file
      img = vhdx(function(p) patch(p, bat_entry(p, 5), string.pack("<I8", (4000 << 20) | 6)) end)
      refused(img, "ECORRUPT", "BAT entry 5 at 0x%x+ %(block 5%): data at 0xfa000000 past the end")
      -- two blocks at one place
      img = vhdx(function(p)
        patch(p, bat_entry(p, 5), readat(p, bat_entry(p, 0), 8))
      end)
      refused(img, "ECORRUPT", "payload block at 0x%x+ overlaps a payload block")
      -- a block on the BAT region
      img = vhdx(function(p)
        patch(p, bat_entry(p, 5), string.pack("<I8", (regions(p).bat) | 6))
      end)
      refused(img, "ECORRUPT", "overlaps")
      -- a reserved state, and PARTIALLY_PRESENT without a parent
      img = vhdx(function(p) patch(p, bat_entry(p, 3), string.pack("<I8", 4)) end)
      refused(img, "ECORRUPT", "BAT entry 3 .*state 4 is reserved")
      img = vhdx(function(p)
        local e = string.unpack("<I8", readat(p, bat_entry(p, 0), 8))
        patch(p, bat_entry(p, 0), string.pack("<I8", (e & ~7) | 7))
      end)
      refused(img, "ECORRUPT", "partially present%) in a disk without a parent")
      -- a huge virtual size: no allocation of its BAT, an error
      img = vhdx(function(p) patch(p, meta_item(p, VSIZE_GUID), string.pack("<I8", 1 << 60)) end)
      refused(img, "ECORRUPT", "VHDX virtual disk size at 0x%x+: 1152921504606846976 is not")
      img = vhdx(function(p) patch(p, meta_item(p, VSIZE_GUID), string.pack("<I8", 64 << 40)) end)
      refused(img, "ECORRUPT", "VHDX BAT region at 0x%x+: %d+ bytes hold fewer than")
      -- both region tables bad
      img = vhdx(function(p) patch(p, 192 * 1024 + 40, "\255"); patch(p, 256 * 1024 + 40, "\255") end)
      refused(img, "ECORRUPT", "VHDX region table at 0x40000: CRC%-32C")
      -- one bad region table: the copy is used
      img = vhdx(function(p) patch(p, 192 * 1024 + 40, "\255") end)
      d = support.ok(vss.vdisk.open(img)); d:close()
      -- both headers bad
      img = vhdx(function(p) patch(p, 64 * 1024 + 100, "\255"); patch(p, 128 * 1024 + 100, "\255") end)
      refused(img, "ECORRUPT", "no valid header")
      -- VHD: a bad footer checksum (and a copy at 0 as bad), a BAT entry past the end
      local vhd = dir .. "/h.vhd"
      run(("qemu-img create -q -f vpc %s 8M"):format(q(vhd)))
      run(("qemu-io -f vpc -c %s %s"):format(q("write -P 9 0 1M"), q(vhd)))
      local vsize = tonumber((run("stat -c %s " .. q(vhd)):gsub("%s", "")))
      local good = readat(vhd, 0, vsize)
      patch(vhd, vsize - 512 + 40, "\1"); patch(vhd, 40, "\1")
      refused(vhd, "ECORRUPT", "VHD footer at 0x%x+: checksum")
      support.write(vhd, good)
      patch(vhd, vsize - 512 + 40, "\1") -- the footer copy at 0 is used
      d = support.ok(vss.vdisk.open(vhd)); d:close()
      support.write(vhd, good)
      local bat = string.unpack(">I8", good, 512 + 16 + 1)
      patch(vhd, bat, string.pack(">I4", 0x7fffff00))
      refused(vhd, "ECORRUPT", "VHD BAT entry 0 at 0x%x+: block at 0x%x+ past the end")
      support.write(vhd, good)
      patch(vhd, bat + 4, readat(vhd, bat, 4)) -- block 1 on block 0
      refused(vhd, "ECORRUPT", "overlaps")
      -- not an image at all; empty
      support.write(dir .. "/junk", string.rep("junk", 1000))
      refused(dir .. "/junk", "ECORRUPT", "neither a VHDX")
      support.write(dir .. "/empty", "")
      refused(dir .. "/empty", "ECORRUPT", "neither a VHDX")
      refused(dir .. "/missing", "ENOENT", "missing")
    end)
  end)

  it("reads past the end fail; closed handles raise; tostring reads well", function()
    if not have_qemu then return pending("needs qemu-img (Debian qemu-utils)") end
    local img = dir .. "/s.vhdx"
    run(("qemu-img create -q -f vhdx %s 4M"):format(q(img)))
    local d = support.ok(vss.vdisk.open(img))
    assert.matches("^vss.VirtualDisk %(VHDX dynamic, 4194304 bytes, 1 layer: .*s.vhdx%)$", tostring(d))
    local r, msg, code = d:read(4 * MiB - 1, 2)
    assert.is_nil(r)
    assert.are.equal("EINVAL", code)
    assert.matches("past the end", msg)
    assert.are.equal("", d:read(4 * MiB, 0))
    assert.has_error(function() d:read(-1, 1) end)
    assert.has_error(function() vss.vdisk.open(img, { parent = {} }) end,
      "bad argument #2 to 'open' (unknown option 'parent')")
    d:close()
    assert.are.equal("vss.VirtualDisk (closed)", tostring(d))
    assert.has_error(function() d:read(0, 1) end, "attempt to use a closed vss.VirtualDisk")
  end)
end)
