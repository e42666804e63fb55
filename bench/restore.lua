-- vss.restore of a backup chain, against the peers restoring the same
-- bytes in the same run, warm cache, best of ROUNDS each.
--
-- 1. A 2 GiB file (made once under /tmp, reused) owned by a writer is
--    backed up in full (vss.backup, no snapshot), then 1% of it changed in
--    scattered 4 KiB blocks and an incremental taken where the writer
--    reports those blocks as a partial file. The chain (full, then the
--    ranges laid over it) is restored to a new place (location = "new"),
--    against `cp` of the 2 GiB (and `cp` + `sync`, as vss.restore fsyncs
--    each file before its rename), `restic restore` of the latest of two
--    restic snapshots of the same file and `borg extract` of the latest of
--    two borg archives. Every output is compared with the source (cmp),
--    outside the timing.
-- 2. Per-file cost: 20,000 files of 4 KiB in 100 directories, a full and
--    three incrementals (1% of the files rewritten each time, reported as
--    differenced files), the chain restored against `cp -a` of the tree.
--
-- Peak memory of each restore is measured in a child process (lua5.4
-- running vss.restore, /usr/bin/time -f %M for the peers).
--   make bench   (or: lua5.4 bench/restore.lua; LUAVSS_BENCH_RESTORE_MIB=256
--   for a quick run on a smaller file, LUAVSS_BENCH_KEEP=1 to keep the stores
--   in /tmp/luavss-bench-restore)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local clock = require("vss.core").clock

local MIB = tonumber(os.getenv("LUAVSS_BENCH_RESTORE_MIB")) or 2048
local SIZE = MIB << 20
local BLOCK = 4096
local ROUNDS = tonumber(os.getenv("LUAVSS_BENCH_ROUNDS")) or 3
-- kept between runs (the 2 GiB is slow to make), one per size
local SRCDIR = "/tmp/luavss-bench-restore-src-" .. MIB
local SRC = SRCDIR .. "/big.bin"
local WORK = "/tmp/luavss-bench-restore"
local STORE = WORK .. "/store"
local ENV = "RESTIC_PASSWORD=bench BORG_PASSPHRASE= BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes "
  .. "BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_BASE_DIR=" .. WORK .. "/borg-home "
  .. "XDG_CACHE_HOME=" .. WORK .. "/cache "

local q, run = require("timing").q, require("timing").run
local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  assert(p:close(), cmd)
  return (out:gsub("%s+$", ""))
end
local function settle() assert(os.execute("sync")) end
local function has(tool) return os.execute("command -v " .. tool .. " >/dev/null 2>&1") end
local function size_of(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end
local function mib(n) return n / (1 << 20) end
-- Everything under these paths read once, so every tool starts cached.
local function warm(...)
  for _, p in ipairs { ... } do run("find " .. q(p) .. " -type f -exec cat {} + > /dev/null") end
end
-- Peak RSS (KiB) of a shell command, with /usr/bin/time; the command's time.
local function peak(cmd)
  local t0 = clock()
  assert(os.execute("/usr/bin/time -f %M -o " .. q(WORK .. "/rss") .. " sh -c " .. q(cmd)), cmd)
  local t = clock() - t0
  return tonumber(sh("tail -n 1 " .. q(WORK .. "/rss"))), t
end
-- The restore in a child lua5.4 (the in-tree build): its peak RSS (KiB).
local function restore_child(store, to)
  local code = ("local vss = require 'vss'; assert(vss.restore{ store = %q, target = 'new', to = %q, "
    .. "progress = false })"):format(store, to)
  return (peak(("LUA_PATH_5_4=%s LUA_CPATH_5_4=%s lua5.4 -e %s"):format(
    q(package.path), q(package.cpath), q(code))))
end
local function restore(store, to)
  local r, err, code = vss.restore { store = store, location = "new", to = to, progress = false }
  assert(r, tostring(err) .. " (" .. tostring(code) .. ")")
  return r
end
local function fresh(...)
  local paths = {}
  for i, p in ipairs { ... } do paths[i] = q(p) end
  run("rm -rf " .. table.concat(paths, " ") .. " && mkdir -p " .. table.concat(paths, " "))
  settle() -- no one pays for the previous round's writeback
end
-- Best of ROUNDS for each contender {name=, out=, fn(out) -> seconds...,
-- fresh_dirs=} (nil ones, peers not installed, left out). With fresh_dirs
-- each round writes to a new directory out/rN and nothing is deleted until
-- the end: creating thousands of files right after deleting thousands on
-- ext4 costs several times more (its inode allocator skips the recently
-- deleted: cp -a of the 20,000 files took 0.37 s into a new directory and
-- 2.8-5.5 s right after an rm -rf of such a tree, measured), which would
-- make each round pay for the previous one's cleanup.
-- round-robin: every round runs each once (its output dir emptied and
-- synced first, untimed), so a burst of load elsewhere on the machine hits
-- one round of everyone, not every round of one. -> { name = {best...} }
local function rounds(...)
  local t = {}
  for round = 1, ROUNDS do
    for i = 1, select("#", ...) do
      local c = select(i, ...)
      if c then
        local out = c.fresh_dirs and ("%s/r%d"):format(c.out, round) or c.out
        fresh(out)
        local got = { c.fn(out) }
        t[c.name] = t[c.name] or {}
        for k, s in ipairs(got) do t[c.name][k] = math.min(t[c.name][k] or math.huge, s) end
      end
    end
  end
  return t
end

if size_of(SRC) ~= SIZE then
  io.write(("making %s (%.0f MiB of random bytes, once)\n"):format(SRC, mib(SIZE)))
  run("mkdir -p " .. q(SRCDIR) .. " && head -c " .. SIZE .. " /dev/urandom > " .. q(SRC))
end
run("rm -rf " .. q(WORK) .. " && mkdir -p " .. q(WORK))
local peers = { restic = has("restic"), borg = has("borg") }

------------------------------------------------------------------------
-- 1. The 2 GiB file: full, then 1% changed as a partial file.
local changed -- the ranges string the writer reports at the incremental
local big = vss.writer {
  name = "bigdb", writer_id = "6b1d0000-0000-4000-8000-000000000001",
  instance_id = "6b1d0000-0000-4000-8000-000000000002",
  usage = "user_data", source = "transacted_db",
  identify = function(wm)
    wm:set_backup_schema { "incremental" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    wm:add_component("database", nil, "big", { selectable = false })
    wm:add_database_files(nil, "big", SRCDIR, "big.bin")
  end,
  post_snapshot = function(_, comps)
    if changed then comps[1]:add_partial_file(SRCDIR, "big.bin", changed) end
  end,
}

local function backups(label)
  assert(vss.backup { writers = { big }, store = STORE, snapshot = false, progress = false,
    type = changed and "incremental" or "full", partial_file_support = changed ~= nil })
  if peers.restic then
    run(ENV .. "restic -q -r " .. q(WORK .. "/restic") .. " backup " .. q(SRCDIR) .. " >/dev/null")
  end
  if peers.borg then
    run(ENV .. "borg create " .. q(WORK .. "/borg::" .. label) .. " " .. q(SRCDIR))
  end
end
if peers.restic then run(ENV .. "restic -q -r " .. q(WORK .. "/restic") .. " init >/dev/null") end
if peers.borg then run(ENV .. "borg init -e none " .. q(WORK .. "/borg")) end
backups("full")

-- 1% changed in scattered 4 KiB blocks, new bytes every run (the file is
-- reused: rewriting what it holds would be no change).
math.randomseed(42)
local nblocks = SIZE // BLOCK
local picked, list = {}, {}
while #list < nblocks // 100 do
  local b = math.random(0, nblocks - 1)
  if not picked[b] then picked[b] = true; list[#list + 1] = b end
end
table.sort(list)
math.randomseed(os.time(), math.floor(clock() * 1e6))
local junk = {}
for i = 1, BLOCK // 8 do junk[i] = string.pack("<I8", math.random(0, math.maxinteger)) end
local block = table.concat(junk)
local f = assert(io.open(SRC, "r+b"))
local pairs_ = {}
for i, b in ipairs(list) do
  f:seek("set", b * BLOCK)
  f:write(block:sub(1 + i % 64) .. block:sub(1, i % 64))
  pairs_[i] = { b * BLOCK, BLOCK }
end
f:close()
changed = vss.ranges.new(pairs_):format()
backups("inc")

-- Timed rounds, warm cache, round-robin (see rounds()).
warm(SRCDIR, WORK)
local OUT = WORK .. "/out"
local rss_peer = {}
local function peer(name, cmd)
  return { name = name, out = OUT .. "/" .. name, fn = function(to)
    local rss, t = peak(cmd(to))
    rss_peer[name] = rss
    return t
  end }
end
local big_t = rounds(
  { name = "vss", out = OUT .. "/vss", fn = function(to)
    local t0 = clock()
    restore(STORE, to)
    return clock() - t0
  end },
  { name = "cp", out = OUT .. "/cp", fn = function(to)
    local t = run("cp " .. q(SRC) .. " " .. q(to .. "/big.bin"))
    return t, t + run("sync " .. q(to .. "/big.bin"))
  end },
  peers.restic and peer("restic", function(to)
    return ENV .. "restic -q -r " .. q(WORK .. "/restic") .. " restore latest --target " .. q(to)
  end) or nil,
  peers.borg and peer("borg", function(to)
    return "cd " .. q(to) .. " && " .. ENV .. "borg extract " .. q(WORK .. "/borg::inc")
  end) or nil
)
for _, name in ipairs { "vss", "restic", "borg" } do
  if big_t[name] then
    assert(run("cmp " .. q(SRC) .. " " .. q(OUT .. "/" .. name .. SRC)), name .. " restored other bytes")
  end
end
local t_vss, t_cp, t_cp_sync = big_t.vss[1], big_t.cp[1], big_t.cp[2]
local t_peer = { restic = big_t.restic and big_t.restic[1], borg = big_t.borg and big_t.borg[1] }
fresh(OUT .. "/vss")
local rss_vss = restore_child(STORE, OUT .. "/vss")
assert(run("cmp " .. q(SRC) .. " " .. q(OUT .. "/vss" .. SRC)))
local rss_cp = peak("cp " .. q(SRC) .. " " .. q(OUT .. "/cp/big.bin"))
run("rm -rf " .. q(OUT) .. " " .. q(WORK .. "/restic") .. " " .. q(WORK .. "/borg"))

------------------------------------------------------------------------
-- 2. Per-file cost: 20,000 files of 4 KiB, a full and three incrementals.
local DIRS, PER_DIR = 100, 200
local FILES = DIRS * PER_DIR
local SPOOL, SSTORE = WORK .. "/spool", WORK .. "/spool-store"
run("mkdir -p " .. q(SPOOL))
local filler = string.rep("x", BLOCK - 8)
for d = 1, DIRS do
  run("mkdir " .. q(("%s/d%03d"):format(SPOOL, d)))
  for i = 1, PER_DIR do
    local h = assert(io.open(("%s/d%03d/m%04d"):format(SPOOL, d, i), "wb"))
    h:write(("%08d"):format(d * PER_DIR + i), filler)
    h:close()
  end
end
local differenced = false
local spool = vss.writer {
  name = "spool", writer_id = "6b1d0000-0000-4000-8000-000000000003",
  instance_id = "6b1d0000-0000-4000-8000-000000000004",
  identify = function(wm)
    wm:set_backup_schema { "incremental", "last_modify" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    wm:add_component("filegroup", nil, "spool", { selectable = false })
    wm:add_files_to_file_group(nil, "spool", SPOOL, "*", true)
  end,
  post_snapshot = function(_, comps)
    if differenced then comps[1]:add_differenced_files_by_last_modify_time(SPOOL, "*", true, 0) end
  end,
}
assert(vss.backup { writers = { spool }, store = SSTORE, snapshot = false, progress = false })
for n = 1, 3 do
  run("sleep 1.1") -- a new mtime second: the differenced files are those written since
  for d = 1, DIRS do
    for i = n, PER_DIR, 100 do
      local h = assert(io.open(("%s/d%03d/m%04d"):format(SPOOL, d, i), "r+b"))
      h:write(("INC%d----"):format(n))
      h:close()
    end
  end
  differenced = true
  local inc = assert(vss.backup { writers = { spool }, store = SSTORE, snapshot = false,
    progress = false, type = "incremental" })
  assert(inc.files == FILES // 100, inc.files)
end
warm(SPOOL, SSTORE)
local small_t = rounds(
  { name = "vss", out = OUT .. "/vss", fresh_dirs = true, fn = function(to)
    local t0 = clock()
    local r = restore(SSTORE, to)
    local t = clock() - t0
    assert(r.restored == FILES, r.restored)
    return t
  end },
  { name = "cp", out = OUT .. "/cp", fresh_dirs = true, fn = function(to)
    local t = run("cp -a " .. q(SPOOL) .. " " .. q(to .. "/spool"))
    return t, t + run("sync")
  end }
)
assert(run("diff -r " .. q(SPOOL) .. " " .. q(OUT .. "/vss/r1" .. SPOOL)))
local t_svss, t_cpa, t_cpa_sync = small_t.vss[1], small_t.cp[1], small_t.cp[2]
fresh(OUT .. "/rss")
local rss_svss = restore_child(SSTORE, OUT .. "/rss")
-- LUAVSS_BENCH_KEEP=1 leaves both stores for profiling a restore alone
-- (perf record lua5.4 -e 'require"vss".restore{...}').
if os.getenv("LUAVSS_BENCH_KEEP") then
  run("rm -rf " .. q(OUT) .. " " .. q(SPOOL))
else
  run("rm -rf " .. q(WORK))
end

------------------------------------------------------------------------
local function ratio(name, t)
  if not t then return ("  vs %-15s not installed (make bench-deps)"):format(name) end
  return ("  vs %-15s %7.3f s   vss.restore %.2fx its time"):format(name, t, t_vss / t)
end
print(("1. restore of a full + 1%% incremental chain (%d partial 4 KiB ranges), %.0f MiB file, best of %d")
  :format(#list, mib(SIZE), ROUNDS))
print(("vss.restore        %7.3f s   %.0f MiB/s   peak RSS %.1f MiB (child lua5.4)")
  :format(t_vss, mib(SIZE) / t_vss, rss_vss / 1024))
print(ratio("cp", t_cp) .. ("   (cp peak RSS %.1f MiB)"):format(rss_cp / 1024))
print(ratio("cp + sync", t_cp_sync))
print(ratio("restic restore", t_peer.restic)
  .. (rss_peer.restic and ("   (peak RSS %.1f MiB)"):format(rss_peer.restic / 1024) or ""))
print(ratio("borg extract", t_peer.borg)
  .. (rss_peer.borg and ("   (peak RSS %.1f MiB)"):format(rss_peer.borg / 1024) or ""))
print(("2. restore of a full + 3 incrementals of %d files of 4 KiB (%d differenced each), best of %d")
  :format(FILES, FILES // 100, ROUNDS))
print(("vss.restore        %7.3f s   %.1f us a file   peak RSS %.1f MiB (child lua5.4)")
  :format(t_svss, t_svss / FILES * 1e6, rss_svss / 1024))
print(("  vs cp -a         %7.3f s   vss.restore %.2fx its time"):format(t_cpa, t_svss / t_cpa))
print(("  vs cp -a + sync  %7.3f s   vss.restore %.2fx its time"):format(t_cpa_sync, t_svss / t_cpa_sync))
