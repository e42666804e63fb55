-- vss.backup: the requester's cost per file. A writer owning 20,000 files
-- of 4 KiB in 100 directories (a mail spool, a maildir) is backed up in
-- full (no snapshot: the store and its digests, the walk, the events),
-- against `cp -a` (alone and followed by `sync`, as vss.backup makes its
-- backup durable), `tar`, `rsync -a`, `restic backup` and `borg create` of
-- the same tree; then 1% of the files are rewritten and the writer reports
-- its file set as differenced files (docs/model.md §6.4) for an incremental, against
-- `rsync -a` onto the previous copy and a second `restic backup` / `borg
-- create` into the same repository. Repositories are made (restic init,
-- borg init -e none) outside the timed part. Full backups: best of 3, each
-- into a fresh destination; incrementals: one run. Same run, warm cache.
--   make bench   (or: lua5.4 bench/backup.lua; restic and borg are skipped when absent)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local best = require("timing").best
local clock = require("vss.core").clock

local WORK = "/tmp/luavss-bench-backup"
local DIRS, PER_DIR, SIZE = 100, 200, 4096
local FILES = DIRS * PER_DIR

local q, run = require("timing").q, require("timing").run
local function settle() assert(os.execute("sync")) end
-- A full backup: best of 3, each after removing dest (and init, untimed).
local function full_of(cmd, dest, init)
  return best(3, function() return run(cmd) end, function()
    run("rm -rf " .. q(dest))
    if init then run(init) end
    settle()
  end)
end

local peers = require("peers").available(WORK)

run("rm -rf " .. q(WORK) .. " && mkdir -p " .. q(WORK .. "/spool"))
local block = string.rep("x", SIZE - 8)
for d = 1, DIRS do
  local dir = ("%s/spool/d%03d"):format(WORK, d)
  run("mkdir " .. q(dir))
  for f = 1, PER_DIR do
    local h = assert(io.open(("%s/m%04d"):format(dir, f), "wb"))
    h:write(("%08d"):format(d * PER_DIR + f), block)
    h:close()
  end
end
run("cat " .. q(WORK) .. "/spool/*/* > /dev/null")

local differenced = false
local w = vss.writer{ name = "spool", writer_id = "5e1f0000-0000-4000-8000-000000000001",
  instance_id = "5e1f0000-0000-4000-8000-000000000002",
  identify = function(wm)
    wm:set_backup_schema{ "incremental", "last_modify" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    wm:add_component("filegroup", nil, "spool", { selectable = false })
    wm:add_files_to_file_group(nil, "spool", WORK .. "/spool", "*", true)
  end,
  post_snapshot = function(_, comps)
    if differenced then
      comps[1]:add_differenced_files_by_last_modify_time(WORK .. "/spool", "*", true, 0)
    end
  end }

local t_cp = full_of("cp -a " .. q(WORK .. "/spool") .. " " .. q(WORK .. "/cp"), WORK .. "/cp")
local t_tar = full_of("tar cf " .. q(WORK .. "/spool.tar") .. " -C " .. q(WORK) .. " spool",
  WORK .. "/spool.tar")
local t_cp_sync = full_of("cp -a " .. q(WORK .. "/spool") .. " " .. q(WORK .. "/cp-sync") ..
  " && sync", WORK .. "/cp-sync")
local t_rsync_full = full_of("rsync -a " .. q(WORK .. "/spool/") .. " " .. q(WORK .. "/rsync/"),
  WORK .. "/rsync")
for _, p in ipairs(peers) do
  p.full = full_of(p.backup("full", WORK, "spool"), p.repo, p.init)
end
local full
local t_full = best(3, function()
  full = assert(vss.backup{ writers = { w }, store = WORK .. "/store", snapshot = false })
end, function() run("rm -rf " .. q(WORK .. "/store")); settle() end)
-- every entry: the files, their directories and the set's own
assert(full.files == FILES + DIRS + 1, full.files)

-- 1% of the files rewritten, a second later than the full backup began
run("sleep 1.1")
local changed = 0
for d = 1, DIRS do
  for f = 1, PER_DIR, 100 do
    local h = assert(io.open(("%s/spool/d%03d/m%04d"):format(WORK, d, f), "r+b"))
    h:write("CHANGED!")
    h:close()
    changed = changed + 1
  end
end
differenced = true
settle()
local t_rsync = run("rsync -a " .. q(WORK .. "/spool/") .. " " .. q(WORK .. "/rsync/"))
for _, p in ipairs(peers) do
  settle()
  p.inc = run(p.backup("incremental", WORK, "spool"))
end
settle()
local t0 = clock()
local inc = assert(vss.backup{ writers = { w }, store = WORK .. "/store", snapshot = false,
                               type = "incremental" })
local t_inc = clock() - t0
-- the changed files; directories are recorded in every backup
assert(inc.files == changed + DIRS + 1, inc.files)

print(("vss.backup, %d files of %d KiB in %d directories"):format(FILES, SIZE // 1024, DIRS))
print(("  full:        vss.backup %.3f s   cp -a %.3f s   cp -a + sync %.3f s   tar %.3f s   rsync -a %.3f s")
  :format(t_full, t_cp, t_cp_sync, t_tar, t_rsync_full))
print(("               %.2fx cp -a, %.2fx cp -a + sync, %.2fx tar, %.2fx rsync (%.1f us a file)")
  :format(t_full / t_cp, t_full / t_cp_sync, t_full / t_tar, t_full / t_rsync_full,
          t_full / FILES * 1e6))
for _, p in ipairs(peers) do
  print(("               %s %.3f s (%.2fx)"):format(p.name, p.full, t_full / p.full))
end
print(("  incremental: %d changed files (differenced, compared with the chain):")
  :format(changed))
print(("               vss.backup %.3f s   rsync -a %.3f s  (%.2fx)")
  :format(t_inc, t_rsync, t_inc / t_rsync))
for _, p in ipairs(peers) do
  print(("               %s %.3f s (%.2fx)"):format(p.name, p.inc, t_inc / p.inc))
end
print("  (ratios: vss.backup's time over the peer's; below 1 is faster)")
run("rm -rf " .. q(WORK))
