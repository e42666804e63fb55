-- Snapshot providers against cp --reflink=always -a and cp -a, on a loop
-- XFS (reflink=1) and a loop btrfs, for a 4 GiB file and 100,000 small
-- files (and cp -a --reflink=never, since coreutils 9's cp -a clones).
-- Needs root (loop devices). Prints seconds and ratios; not a test.
--   make bench   or   lua5.4 bench/snapshot.lua [small-files] [big-MiB]
local vss = require "vss"
local clock = require("vss.core").clock

local NFILES = tonumber(arg[1]) or 100000
local BIG_MIB = tonumber(arg[2]) or 4096

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function must(cmd)
  local out, ok = sh(cmd)
  if not ok then error(cmd .. ": " .. out, 2) end
  return out
end

if not sh("id -u"):match("^0%s") then
  print("bench/snapshot.lua: skipped, needs root for loop-mounted XFS and btrfs")
  return
end

local function timed(fn)
  must("sync")
  local t0 = clock()
  fn()
  return clock() - t0
end

local function make_fs(kind, mb)
  local dir = must("mktemp -d /tmp/luavss-bench-snap.XXXXXX"):gsub("%s+$", "")
  local img, mnt = dir .. "/fs.img", dir .. "/mnt"
  local mkfs = kind == "xfs" and "mkfs.xfs -q -f -m reflink=1 " or "mkfs.btrfs -q -f "
  must(("truncate -s %dM %s && %s %s && mkdir %s && mount -o loop %s %s")
    :format(mb, img, mkfs, img, mnt, img, mnt))
  return { dir = dir, mnt = mnt, kind = kind }
end

local function drop_fs(fs)
  collectgarbage()
  sh("umount " .. fs.mnt .. " || umount -l " .. fs.mnt)
  sh("losetup -j " .. fs.dir .. "/fs.img | cut -d: -f1 | xargs -r -n1 losetup -d")
  sh("rm -rf " .. fs.dir)
end

local function make_small(root)
  local per = 1000
  for d = 0, (NFILES - 1) // per do
    local dir = ("%s/d%03d"):format(root, d)
    must("mkdir -p " .. dir)
    for i = 1, math.min(per, NFILES - d * per) do
      local f = assert(io.open(("%s/f%04d"):format(dir, i), "wb"))
      f:write(("small file %d/%d\n"):format(d, i))
      f:close()
    end
  end
end

-- The time of one take with `provider` of `src`, and of its deletion.
local function take(provider, src)
  local set = assert(vss.snapshot_set{ provider = provider })
  assert(set:add(src))
  local got = set:providers()[1].provider
  assert(got == provider, "asked " .. provider .. ", got " .. got)
  local t = timed(function() assert(set:take()) end)
  local d = timed(function() assert(set:delete()) end)
  set:release()
  return t, d
end

local function cp(flags, src, fs)
  local dst = fs.mnt .. "/cp-target"
  local t = timed(function() must(("cp %s %s %s"):format(flags, src, dst)) end)
  must("rm -rf " .. dst)
  return t
end

local function best(n, fn)
  local b = math.huge
  for _ = 1, n do b = math.min(b, (fn())) end
  return b
end

local function report(fsname, data, what, secs, note)
  print(("%-6s %-14s %-26s %10.4f s%s"):format(fsname, data, what, secs, note or ""))
end

local function run(kind)
  local fs = make_fs(kind, BIG_MIB * 3 + 2048)
  local ok, err = pcall(function()
    local big, small = fs.mnt .. "/big", fs.mnt .. "/small"
    if kind == "btrfs" then
      must("btrfs -q subvolume create " .. big .. " && btrfs -q subvolume create " .. small)
    else
      must("mkdir " .. big .. " " .. small)
    end
    must(("dd if=/dev/zero of=%s/file bs=4M count=%d status=none conv=fsync"):format(big, BIG_MIB // 4))
    make_small(small)
    must("sync")
    local label = { big = ("%d MiB file"):format(BIG_MIB), small = ("%d files"):format(NFILES) }
    for _, data in ipairs{ "big", "small" } do
      local src = fs.mnt .. "/" .. data
      -- interleaved, so that a busy machine weighs on both alike
      local cp_reflink, reflink, reflink_del = math.huge, math.huge, 0
      for _ = 1, 3 do
        cp_reflink = math.min(cp_reflink, cp("--reflink=always -a", src, fs))
        local t, d = take("reflink", src)
        if t < reflink then reflink, reflink_del = t, d end
      end
      report(kind, label[data], "cp --reflink=always -a", cp_reflink)
      report(kind, label[data], "provider reflink (take)", reflink,
        ("   %.2fx cp --reflink=always (delete %.4f s)"):format(reflink / cp_reflink, reflink_del))
      if kind == "btrfs" then
        local b = best(3, function() return take("btrfs", src) end)
        report(kind, label[data], "provider btrfs (take)", b,
          ("   %.2fx cp --reflink=always"):format(b / cp_reflink))
      end
      -- coreutils 9 `cp -a` uses copy_file_range, which clones on these
      -- filesystems; --reflink=never is the real data copy
      report(kind, label[data], "cp -a", cp("-a", src, fs))
      local cpn = cp("-a --reflink=never", src, fs)
      report(kind, label[data], "cp -a --reflink=never", cpn)
      local copy = take("copy", src)
      report(kind, label[data], "provider copy (take)", copy,
        ("   %.2fx cp -a --reflink=never; reflink is %.0fx faster"):format(copy / cpn, copy / reflink))
    end
  end)
  drop_fs(fs)
  if not ok then error(err, 0) end
end

print(("snapshot providers: %d MiB file, %d small files; best of 3 except copy and cp -a")
  :format(BIG_MIB, NFILES))
for _, kind in ipairs{ "xfs", "btrfs" } do run(kind) end
