-- vss.backup incremental of a large tree (issue #11, Benchmarks): 100,000
-- files of 1-4 KiB in 1,000 directories, backed up in full, then 1% of the
-- files changed: content edits (same size, mtime moved on), renames within
-- their directory (mtime kept: only the chain's paths tell) and chmod alone.
-- The writer reports its set as differenced files with time 0 (the
-- requester decides: README Backup, change detection). Against `rsync -a`
-- onto the previous copy and a second `restic backup` / `borg create` into
-- the same repository, same data, same run, warm cache; one run each. The
-- full backups are made outside the timing. At the end the incremental is
-- checked to hold exactly the changed, renamed and chmodded files (and
-- the renamed files' old names as deleted).
--   make bench   (or: lua5.4 bench/incremental.lua; BENCH_INC_DIRS=100 for a small tree)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local clock = require("vss.core").clock
local q, run = require("timing").q, require("timing").run

local WORK = "/tmp/luavss-bench-incremental"
local DIRS = tonumber(os.getenv("BENCH_INC_DIRS")) or 1000
local PER_DIR = 100
local FILES = DIRS * PER_DIR
local function settle() assert(os.execute("sync")) end

local peers = require("peers").available(WORK)

-- The tree: a Lua loop, sizes 1-4 KiB, deterministic
local t_setup = clock()
run("rm -rf " .. q(WORK) .. " && mkdir -p " .. q(WORK .. "/tree"))
local block = string.rep("abcdefghijklmnopqrstuvwxyz012345", 128) -- 4 KiB
for d = 1, DIRS do
  local dir = ("%s/tree/d%04d"):format(WORK, d)
  assert(os.execute("mkdir " .. q(dir)))
  for f = 1, PER_DIR do
    local n = d * PER_DIR + f
    local h = assert(io.open(("%s/f%03d"):format(dir, f), "wb"))
    h:write(("%08d"):format(n), block:sub(1, 1024 + (n * 7919) % 3072 - 8))
    h:close()
  end
end
t_setup = clock() - t_setup

local differenced = false
local w = vss.writer{ name = "tree", writer_id = "1ec00000-0000-4000-8000-000000000001",
  instance_id = "1ec00000-0000-4000-8000-000000000002",
  identify = function(wm)
    wm:set_backup_schema{ "incremental", "last_modify" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    wm:add_component("filegroup", nil, "tree", { selectable = false })
    wm:add_files_to_file_group(nil, "tree", WORK .. "/tree", "*", true)
  end,
  post_snapshot = function(_, comps)
    if differenced then
      comps[1]:add_differenced_files_by_last_modify_time(WORK .. "/tree", "*", true, 0)
    end
  end }

-- Full backups, untimed for the comparison (printed for scale)
local t0 = clock()
local full = assert(vss.backup{ writers = { w }, store = WORK .. "/store", snapshot = false,
                                progress = false })
local t_full = clock() - t0
assert(full.files == FILES + DIRS + 1, full.files)
local t_rsync_full = run("rsync -a " .. q(WORK .. "/tree/") .. " " .. q(WORK .. "/rsync/"))
for _, p in ipairs(peers) do
  run(p.init)
  p.full = run(p.backup("full", WORK, "tree") .. " >/dev/null")
end

-- 1% changed, a second later: 40% content edits, 30% renames, 30% chmod
run("sleep 1.1")
local expected, gone, edits, renames, chmods = {}, {}, 0, 0, 0
local mv = {} -- the renames and chmods, run as one shell script
for i = 1, FILES // 100 do
  local n = (i - 1) * 100 + 1 + (i * 37) % 100 -- spread over the tree
  local d, f = (n - 1) // PER_DIR + 1, (n - 1) % PER_DIR + 1
  local path = ("%s/tree/d%04d/f%03d"):format(WORK, d, f)
  local kind = i % 10
  if kind < 4 then
    local h = assert(io.open(path, "r+b"))
    h:write("CHANGED!")
    h:close()
    edits = edits + 1
    expected[path] = true
  elseif kind < 7 then
    mv[#mv + 1] = "mv " .. q(path) .. " " .. q(path .. ".renamed")
    renames = renames + 1
    expected[path .. ".renamed"] = true
    gone[path] = true -- recorded as deleted
  else
    mv[#mv + 1] = "chmod 600 " .. q(path)
    chmods = chmods + 1
    expected[path] = "chmod"
  end
end
-- renames (mv keeps the mtime) and chmods, one shell
local h = assert(io.open(WORK .. "/mutate.sh", "w"))
h:write(table.concat(mv, "\n"), "\n")
h:close()
run("sh " .. q(WORK .. "/mutate.sh"))
local changed = edits + renames + chmods
differenced = true

settle()
local t_rsync = run("rsync -a --delete " .. q(WORK .. "/tree/") .. " " .. q(WORK .. "/rsync/"))
for _, p in ipairs(peers) do
  settle()
  p.inc = run(p.backup("incremental", WORK, "tree") .. " >/dev/null")
end
settle()
t0 = clock()
local inc = assert(vss.backup{ writers = { w }, store = WORK .. "/store", snapshot = false,
                               type = "incremental", progress = false })
local t_inc = clock() - t0

-- Correctness: the incremental's non-directory entries are exactly the changed files
local got, deleted, kinds, wrong = 0, 0, {}, {}
for e in assert(vss.store.open(WORK .. "/store")):files(inc.id) do
  if e.kind == "deleted" then
    deleted = deleted + 1
    if not gone[e.name] then wrong[#wrong + 1] = e.name end
  elseif e.kind ~= "directory" then
    got = got + 1
    kinds[e.kind] = (kinds[e.kind] or 0) + 1
    if not expected[e.name] then wrong[#wrong + 1] = e.name end
  end
end
local ks = {}
for k, c in pairs(kinds) do ks[#ks + 1] = k .. "=" .. c end
table.sort(ks)
assert(#wrong == 0, "not changed, yet in the incremental: " .. table.concat(wrong, " ", 1,
  math.min(#wrong, 5)))
assert(deleted == renames, ("%d deleted, %d renamed"):format(deleted, renames))
assert(got == changed, ("incremental holds %d entries, %d changed (%s)")
  :format(got, changed, table.concat(ks, " ")))

print(("vss.backup incremental, %d files of 1-4 KiB in %d directories (tree made in %.1f s)")
  :format(FILES, DIRS, t_setup))
print(("  full (for scale): vss.backup %.2f s   rsync -a %.2f s"):format(t_full, t_rsync_full))
for _, p in ipairs(peers) do print(("                    %s %.2f s"):format(p.name, p.full)) end
print(("  incremental: %d changed (%d edited, %d renamed, %d chmod only), differenced, time 0:")
  :format(changed, edits, renames, chmods))
print(("               vss.backup %.3f s   rsync -a %.3f s  (%.2fx)")
  :format(t_inc, t_rsync, t_inc / t_rsync))
for _, p in ipairs(peers) do
  print(("               %s %.3f s (%.2fx)"):format(p.name, p.inc, t_inc / p.inc))
end
print(("  checked: the incremental holds exactly the %d changed files (%s) and the %d old names")
  :format(got, table.concat(ks, " "), deleted))
print("           of the renamed files as deleted")
print("  (ratios: vss.backup's time over the peer's; below 1 is faster)")
run("rm -rf " .. q(WORK))
