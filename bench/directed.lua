-- Directed restore: 100,000 ranges of 4 KiB (400 MB) laid from a source
-- file onto shuffled destination offsets of a new file, from page cache.
-- vss (DestFile:apply_plan: copy_file_range per range) against a
-- pure-Lua io seek/read/seek/write loop doing the same copies. The commit
-- (fsync of 400 MB, rename) is timed apart: it is the disk, not the plan.
-- Best of 3 runs each.   make bench   (or: lua5.4 bench/directed.lua)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local best = require("timing").best
local clock = require("vss.core").clock

local N, SIZE = 100000, 4096

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return (out:gsub("%s+$", ""))
end

local dir = sh("mktemp -d /tmp/luavss-bench-directed.XXXXXX")
local src = dir .. "/src"
sh(("head -c %d /dev/urandom > '%s' && cat '%s' > /dev/null"):format(N * SIZE, src, src))

-- Plan: source range i goes to destination slot perm[i].
math.randomseed(1)
local perm = {}
for i = 1, N do perm[i] = i - 1 end
for i = N, 2, -1 do
  local j = math.random(i)
  perm[i], perm[j] = perm[j], perm[i]
end
local plan = {}
for i = 1, N do plan[i] = { src = (i - 1) * SIZE, dst = perm[i] * SIZE, length = SIZE } end

os.execute("mkdir '" .. dir .. "/root'")
local dest <close> = assert(vss.dest(dir .. "/root", { replace = true }))
local commit_time = 0
local function fresh_output()
  os.remove(dir .. "/root/out")
  os.execute("sync")
end

local native = best(3, function()
  local t0 = clock()
  local f = assert(dest:begin_file("out"))
  assert(f:apply_plan(src, plan))
  local t1 = clock()
  assert(f:commit())
  commit_time = clock() - t1
  return t1 - t0
end, fresh_output)

local naive = best(3, function()
  local s = assert(io.open(src, "rb"))
  local d = assert(io.open(dir .. "/root/out", "wb"))
  for i = 1, N do
    local c = plan[i]
    s:seek("set", c.src)
    local data = s:read(c.length)
    d:seek("set", c.dst)
    d:write(data)
  end
  s:close()
  d:close()
end, fresh_output)

-- Spot-check the result against the source.
do
  local s, d = assert(io.open(src, "rb")), assert(io.open(dir .. "/root/out", "rb"))
  for i = 1, N, 997 do
    s:seek("set", plan[i].src)
    d:seek("set", plan[i].dst)
    assert(s:read(SIZE) == d:read(SIZE), "range " .. i .. " differs")
  end
  s:close()
  d:close()
end

local gb = N * SIZE / 1e9
print(("directed restore, %d ranges x %d B = %.0f MB, shuffled destination"):format(N, SIZE, gb * 1000))
print(("  vss apply_plan     %.3f s  %.2f GB/s   (commit: fsync + rename %.3f s)"):format(native, gb / native,
  commit_time))
print(("  naive Lua io loop  %.3f s  %.2f GB/s"):format(naive, gb / naive))
print(("  ratio              %.1fx"):format(naive / native))
os.execute("rm -rf '" .. dir .. "'")
