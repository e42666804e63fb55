-- Walking a tree of 200,000 files: vss.filespec's walker against find(1).
-- The tree is made once under /tmp and reused. All run warm, best of 5:
--   find DIR -type f | wc -l                 (names only: d_type, no stat)
--   find DIR -type f -printf '<lstat>' | wc  (the same lstat data the walker gives)
--   for e in d:walk() do ... end             (lstat of every file, a Lua table each)
--   for e in d:walk{stat=false} do ... end   (kind from d_type, no lstat: as find)
local core = require "vss.core"
local fs = require("vss").filespec

local DIR = "/tmp/luavss-bench-walk"
local DIRS, PER_DIR = 200, 1000
local N = DIRS * PER_DIR

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end

local marker = DIR .. "/.complete"
if not io.open(marker) then
  io.write(("creating %d files under %s ... "):format(N, DIR))
  io.flush()
  os.execute("rm -rf " .. DIR .. " && mkdir -p " .. DIR)
  assert(os.execute(("cd %s && for d in $(seq 1 %d); do mkdir d$d && (cd d$d && seq 1 %d | "
    .. "sed 's/^/file-/' | xargs touch); done"):format(DIR, DIRS, PER_DIR)))
  io.open(marker, "w"):close()
  print("done")
end

local function best_of(n, f)
  f() -- warm the cache
  local best, result = math.huge, nil
  for _ = 1, n do
    local t0 = core.clock()
    result = f()
    best = math.min(best, core.clock() - t0)
  end
  return best, result
end

local t_find, n_find = best_of(5, function()
  return tonumber(sh("find " .. DIR .. " -type f | wc -l"))
end)

local t_findstat, n_findstat = best_of(5, function()
  return tonumber(sh("find " .. DIR .. " -type f -printf '%s %T@ %m %U %G %i %D %n\\n' | wc -l"))
end)

local d = fs.new(DIR, "*", true)
local t_walk, n_walk = best_of(5, function()
  local n = 0
  for e in d:walk() do
    if e.kind == "file" then n = n + 1 end
  end
  return n
end)

local t_nostat, n_nostat = best_of(5, function()
  local n = 0
  for e in d:walk { stat = false } do
    if e.kind == "file" then n = n + 1 end
  end
  return n
end)

-- find counts the marker file too.
assert(n_find == N + 1 and n_findstat == N + 1 and n_walk == N + 1 and n_nostat == N + 1,
  ("counts differ: find %d, walk %d"):format(n_find, n_walk))
print(("find -type f | wc -l : %7.3f s  (%d files)"):format(t_find, n_find))
print(("find -type f -printf : %7.3f s  (%d files, lstat each)"):format(t_findstat, n_findstat))
print(("vss.filespec walk    : %7.3f s  (%d files, lstat + entry table each)"):format(t_walk, n_walk))
print(("walk{stat=false}     : %7.3f s  (%d files, d_type only)"):format(t_nostat, n_nostat))
print(("ratio walk{stat=false}/find -type f : %5.2fx  (same work; target <= 1.5x)"):format(t_nostat / t_find))
print(("ratio walk/find -printf (lstat)     : %5.2fx  (same work)"):format(t_walk / t_findstat))
print(("ratio walk/find -type f             : %5.2fx  (walk does an lstat per file more)"):format(
  t_walk / t_find))
