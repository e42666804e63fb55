-- Loop-mounted XFS and btrfs filesystems for the snapshot specs: made in a
-- fresh /tmp directory, always unmounted, detached and removed by `drop`.
local support = require "support"
local q, sh = support.q, support.sh

local M = {}

local mkfs = {
  xfs = "mkfs.xfs -q -f -m reflink=1 ",
  btrfs = "mkfs.btrfs -q -f ",
}

-- Why the snapshot specs cannot run here, or nil when they can.
function M.unavailable(kind)
  if not support.is_root() then return "needs root: loop devices and mount" end
  local tool = kind == "xfs" and "mkfs.xfs" or "mkfs.btrfs"
  local _, ok = sh("command -v " .. tool)
  if not ok then return "needs " .. tool end
  return nil
end

-- A fresh filesystem of `kind` and `mb` megabytes: returns a table with
-- .mnt (its mount point) and .dir; nil and a reason when it cannot.
function M.make(kind, mb)
  local out0, made = sh("mktemp -d /tmp/luavss-snapfs.XXXXXX")
  assert(made, out0)
  local dir = (out0:gsub("%s+$", ""))
  local fs = { dir = dir, img = dir .. "/fs.img", mnt = dir .. "/mnt", kind = kind }
  local out, ok = sh(("truncate -s %dM %s && %s %s && mkdir %s && mount -o loop %s %s"):format(
    mb, q(fs.img), mkfs[kind], q(fs.img), q(fs.mnt), q(fs.img), q(fs.mnt)))
  if not ok then
    M.drop(fs)
    return nil, "cannot make a loop " .. kind .. ": " .. out
  end
  return fs
end

local children = {}

function M.drop(fs)
  if not fs then return end
  -- children first: a process with files open keeps the mount busy
  for pid in pairs(children) do
    sh("kill -9 " .. pid)
    for _ = 1, 100 do if not M.alive(pid) then break end sh("sleep 0.05") end
    children[pid] = nil
  end
  -- exposures and anything else mounted beneath go first
  sh("grep -F " .. q(fs.dir) .. " /proc/self/mounts | awk '{print $2}' | sort -r | "
     .. "while read m; do umount -l \"$m\"; done")
  local _, ok = sh("mountpoint -q " .. q(fs.mnt) .. " && umount " .. q(fs.mnt))
  if not ok then sh("umount -l " .. q(fs.mnt)) end
  sh("losetup -j " .. q(fs.img) .. " | cut -d: -f1 | xargs -r -n1 losetup -d")
  support.rm_rf(fs.dir)
end

-- A listing of a tree (names, types, sizes, modes) to compare before/after.
function M.listing(dir)
  return (sh("cd " .. q(dir) .. " && find . -printf '%p %y %s %m\\n' | sort"))
end

-- Run a Lua chunk in a child lua5.4 with the in-tree build; returns its pid.
function M.spawn(code, log)
  local script = log .. ".lua"
  support.write(script, code)
  local env = support.lua_env
  local out = sh(("%s lua5.4 %s >%s 2>&1 & echo $!"):format(env, q(script), q(log)))
  local pid = assert(tonumber(out:match("%d+")), out)
  children[pid] = true
  return pid
end

-- Wait (at most `seconds`) for a file to appear.
function M.wait_for(path, seconds)
  for _ = 1, seconds * 20 do
    if support.exists(path) then return true end
    sh("sleep 0.05")
  end
  return false
end

-- Does a write to the filesystem complete within `seconds`? A write to a
-- frozen filesystem blocks uninterruptibly, so it runs in the background
-- (and completes once the filesystem thaws).
function M.can_write(fs, seconds)
  local done = fs.dir .. "/written." .. tostring(os.time()) .. tostring(math.random(1e9))
  sh(("(echo x > %s && sync -f %s && touch %s) >/dev/null 2>&1 &"):format(
    q(fs.mnt .. "/probe"), q(fs.mnt .. "/probe"), q(done)))
  return M.wait_for(done, seconds)
end

-- Alive, and not a zombie waiting for a parent that no longer reaps.
function M.alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local stat = f:read("a")
  f:close()
  return stat:match("%) (%a)") ~= "Z"
end

return M
