-- Take a snapshot set and read a file through it while the original moves on.
-- As root it makes a small loop-mounted XFS (reflink) to show the cheap
-- provider; otherwise it uses the copy provider in a directory under /tmp.
local vss = require "vss"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  return out, p:close()
end

local dir = assert(sh("mktemp -d /tmp/luavss-example.XXXXXX")):gsub("%s+$", "")
local root, provider = dir, "copy"
local is_root = sh("id -u"):match("^0%s") ~= nil
if is_root and select(2, sh("command -v mkfs.xfs")) then
  local img, mnt = dir .. "/xfs.img", dir .. "/mnt"
  local _, ok = sh(("truncate -s 320M %s && mkfs.xfs -q -m reflink=1 %s && mkdir %s && mount -o loop %s %s")
    :format(img, img, mnt, img, mnt))
  if ok then root, provider = mnt, "auto" end
end

local function lines(path)
  local f = assert(io.open(path))
  local n = select(2, f:read("a"):gsub("\n", ""))
  f:close()
  return n
end

local function cleanup()
  collectgarbage() -- no stray handle may keep the mount busy
  if root ~= dir then sh("umount " .. root) end
  sh("rm -rf " .. dir)
end

local ok, err = pcall(function()
  local file = root .. "/orders.db"
  local f = assert(io.open(file, "w"))
  f:write("order 1\norder 2\n")
  f:close()

  local set <close> = assert(vss.snapshot_set{ provider = provider })
  assert(set:add(root))
  assert(set:take())
  for _, p in ipairs(set:providers()) do
    print(("snapshot set %s: %s provider on %s"):format(set:id(), p.provider, p.volume))
    print("  why: " .. p.reason)
  end

  -- the application carries on; the snapshot keeps the point in time
  f = assert(io.open(file, "a"))
  f:write("order 3 (after the snapshot)\n")
  f:close()

  local snap = assert(set:path(file))
  print(("live file:     %d lines"):format(lines(file)))
  print(("snapshot file: %d lines, read from %s"):format(lines(snap), snap))
end)
cleanup()
if not ok then error(err, 0) end
