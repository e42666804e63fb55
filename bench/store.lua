-- Backup store: a 2 GiB file (made once under /tmp, reused) backed up in
-- full into a store on the same filesystem, against `cp` of the same file
-- (and `cp` + `sync FILE`, since the store fsyncs what it keeps); then 1%
-- of the file changed in scattered 4 KiB blocks and an incremental that
-- stores only the changed ranges, against `cp` of the whole file again and
-- `rsync --inplace --no-whole-file`, `restic backup` and `borg create`
-- into their repositories (each when installed; repositories made
-- untimed). Same run, warm cache for everyone.
--   make bench   (or: lua5.4 bench/store.lua)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local clock = require("vss.core").clock

local SIZE = 2 << 30
local BLOCK = 4096
local SRC = os.getenv("LUAVSS_BENCH_FILE") or "/tmp/luavss-bench-store-2g.bin"
local WORK = "/tmp/luavss-bench-store"

local q, run = require("timing").q, require("timing").run
local function size_of(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end
local function peak_rss_kib()
  for line in io.lines("/proc/self/status") do
    local v = line:match("^VmHWM:%s+(%d+)")
    if v then return tonumber(v) end
  end
end
local function mib(n) return n / (1 << 20) end

if size_of(SRC) ~= SIZE then
  io.write("making ", SRC, " (2 GiB of random bytes, once)\n")
  run("head -c " .. SIZE .. " /dev/urandom > " .. q(SRC))
end
run("rm -rf " .. q(WORK) .. " && mkdir -p " .. q(WORK))
run("cat " .. q(SRC) .. " > /dev/null") -- everyone starts with it cached

-- Full: best of two rounds each, interleaved; every timed step starts with
-- the previous step's writes flushed (an untimed sync), so no one pays for
-- another's writeback.
local function settle() assert(os.execute("sync")) end
local store = assert(vss.store.open(WORK .. "/store", { create = true }))
local t_cp, t_cp_sync, t_full, full_id = math.huge, math.huge, math.huge, nil
for round = 1, 2 do
  settle()
  local t = run("cp " .. q(SRC) .. " " .. q(WORK .. "/cp.copy"))
  t_cp = math.min(t_cp, t)
  t_cp_sync = math.min(t_cp_sync, t + run("sync " .. q(WORK .. "/cp.copy")))
  if round == 1 then run("rm " .. q(WORK .. "/cp.copy")) end
  settle()
  local t0 = clock()
  local tx = assert(store:begin{ type = "full" })
  assert(tx:add_file("/data/big.bin", SRC))
  local id = assert(tx:commit())
  t_full = math.min(t_full, clock() - t0)
  if full_id then assert(store:delete(full_id)) end
  full_id = id
end
run("cp " .. q(SRC) .. " " .. q(WORK .. "/rsync.copy"))
settle()
-- the peers' full backups: one round each (the file is reused by name)
local SRC_DIR, SRC_NAME = SRC:match("^(.*)/([^/]+)$")
local peers = require("peers").available(WORK)
for _, p in ipairs(peers) do
  run(p.init)
  settle()
  p.full = run(p.backup("full", SRC_DIR, SRC_NAME))
  settle()
end

-- 1% changed in scattered 4 KiB blocks (seeded, so runs are comparable)
math.randomseed(42)
local nblocks = SIZE // BLOCK
local want = nblocks // 100
local picked, list = {}, {}
while #list < want do
  local b = math.random(0, nblocks - 1)
  if not picked[b] then picked[b] = true; list[#list + 1] = b end
end
table.sort(list)
local f = assert(io.open(SRC, "r+b"))
-- New content each run: the file is reused, and rewriting the bytes it
-- already holds would be no change at all.
math.randomseed(os.time(), math.floor(require("vss.core").clock() * 1e6))
local junk = {}
for i = 1, BLOCK // 8 do junk[i] = string.pack("<I8", math.random(0, math.maxinteger)) end
local block = table.concat(junk)
local pairs_ = {}
for i, b in ipairs(list) do
  f:seek("set", b * BLOCK)
  f:write(block:sub(1 + i % 64) .. block:sub(1, i % 64))
  pairs_[i] = { b * BLOCK, BLOCK }
end
f:close()
local changed = vss.ranges.new(pairs_)
local changed_bytes = changed:total()

-- Incremental: only the changed ranges
settle()
local t0 = clock()
local tx = assert(store:begin{ type = "incremental", base = full_id })
assert(tx:add_file("/data/big.bin", SRC, { ranges = changed }))
local inc_id = assert(tx:commit())
local t_inc = clock() - t0
local inc_stored
for _, b in ipairs(assert(store:list())) do
  if b.id == inc_id then inc_stored = b.stored end
end

settle()
local t_cp2 = run("cp " .. q(SRC) .. " " .. q(WORK .. "/cp.copy"))
local t_rsync
if os.execute("command -v rsync >/dev/null 2>&1") then
  settle()
  -- --ignore-times: the change can land in the same second as the copy,
  -- and rsync's size+mtime quick check would then skip the file unread.
  t_rsync = run("rsync --inplace --no-whole-file --ignore-times " .. q(SRC) .. " "
    .. q(WORK .. "/rsync.copy"))
end

for _, p in ipairs(peers) do
  settle()
  p.inc = run(p.backup("incremental", SRC_DIR, SRC_NAME))
end

local report = assert(store:verify())
assert(report.ok, "verify found damage")
local rss = peak_rss_kib()
store:close()

print(("file: %s, %.0f MiB; store on the same filesystem (%s)"):format(SRC, mib(SIZE), WORK))
print(("full backup        %7.3f s   cp %7.3f s  (ratio %.2fx)   cp+sync %7.3f s  (ratio %.2fx)")
  :format(t_full, t_cp, t_full / t_cp, t_cp_sync, t_full / t_cp_sync))
print(("changed            %d blocks of 4 KiB = %.1f MiB (1%%)"):format(#list, mib(changed_bytes)))
print(("incremental        %7.3f s   stored %d bytes = %.3fx the changed bytes")
  :format(t_inc, inc_stored, inc_stored / changed_bytes))
print(("  vs cp again      %7.3f s   (%.1fx faster)"):format(t_cp2, t_cp2 / t_inc))
if t_rsync then
  print(("  vs rsync         %7.3f s   (%.1fx faster)  rsync --inplace --no-whole-file --ignore-times")
    :format(t_rsync, t_rsync / t_inc))
else
  print("  vs rsync         not installed (make bench-deps)")
end
local fastest = math.min(t_cp2, t_rsync or math.huge) -- cp again is a peer too
for _, p in ipairs(peers) do
  print(("  vs %-13s %7.3f s   (%.1fx faster)  the same file backed up again (its full: %.3f s, "
    .. "ratio %.2fx)"):format(p.name, p.inc, p.inc / t_inc, p.full, t_full / p.full))
  fastest = math.min(fastest, p.inc)
end
print(("  vs the fastest   %7.3f s   (%.1fx faster)"):format(fastest, fastest / t_inc))
print(("peak RSS           %.1f MiB (VmHWM of this Lua process)"):format(rss / 1024))
os.execute("rm -rf " .. q(WORK))
