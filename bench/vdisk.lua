-- vss.vdisk: reading a virtual disk out, and its allocation map.
--  1. A 4 GiB dynamic VHDX (32 MiB blocks) with every other block written
--     (2 GiB of data): d:copy_to(file) against `qemu-img convert -O raw` of
--     the same image, best of 3 each, same run, warm cache; both outputs
--     sparse, compared with cmp.
--  2. A 64 GiB dynamic VHDX (1 MiB blocks) with 10,000 blocks allocated:
--     open + d:allocated(), best of 5, and the process's peak memory
--     (VmHWM) before and after.
--   make bench   (or: lua5.4 bench/vdisk.lua; needs qemu-img and qemu-io)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local timing = require "timing"
local best, q, run = timing.best, timing.q, timing.run

local WORK = "/tmp/luavss-bench-vdisk"
local MiB = 1 << 20

if not os.execute("command -v qemu-img >/dev/null && command -v qemu-io >/dev/null") then
  print("vdisk: skipped (needs qemu-img and qemu-io: apt-get install qemu-utils)")
  return
end

local function hwm()
  for l in io.lines("/proc/self/status") do
    local kb = l:match("^VmHWM:%s+(%d+)")
    if kb then return tonumber(kb) // 1024 end
  end
end

run("rm -rf " .. q(WORK) .. " && mkdir -p " .. q(WORK))

-- 1. sequential read
local img = WORK .. "/half.vhdx"
run(("qemu-img create -q -f vhdx -o block_size=32M %s 4G"):format(q(img)))
local cmds = {}
for b = 0, 127, 2 do
  cmds[#cmds + 1] = ("write -q -P %d %d %d"):format(b % 250 + 1, b * 32 * MiB, 32 * MiB)
end
local f = assert(io.popen(("qemu-io -f vhdx %s >/dev/null"):format(q(img)), "w"))
f:write(table.concat(cmds, "\n"), "\nquit\n")
assert(f:close())
local ours_out, qemu_out = WORK .. "/ours.raw", WORK .. "/qemu.raw"
local t_ours = best(3, function()
  local d <close> = assert(vss.vdisk.open(img))
  assert(d:copy_to(ours_out))
end, function() os.remove(ours_out) end)
local t_qemu = best(3, function()
  run(("qemu-img convert -f vhdx -O raw %s %s"):format(q(img), q(qemu_out)))
end, function() os.remove(qemu_out) end)
run(("cmp %s %s"):format(q(ours_out), q(qemu_out)))
print(("vdisk read   4 GiB VHDX, 2 GiB allocated: vss.vdisk copy_to %.2f s (%.0f MiB/s), "
  .. "qemu-img convert %.2f s (%.0f MiB/s), ratio %.2f"):format(t_ours, 2048 / t_ours, t_qemu,
  2048 / t_qemu, t_ours / t_qemu))
os.remove(ours_out); os.remove(qemu_out); os.remove(img)

-- 2. allocation map
img = WORK .. "/big.vhdx"
run(("qemu-img create -q -f vhdx -o block_size=1M %s 64G"):format(q(img)))
cmds = {}
for i = 0, 9999 do cmds[#cmds + 1] = ("write -q -P 1 %d 4096"):format((i * 6 + 1) * MiB) end
f = assert(io.popen(("qemu-io -f vhdx %s >/dev/null"):format(q(img)), "w"))
f:write(table.concat(cmds, "\n"), "\nquit\n")
assert(f:close())
local before = hwm()
local ranges
local t_map = best(5, function()
  local d <close> = assert(vss.vdisk.open(img))
  ranges = d:allocated()
end)
assert(#ranges == 10000, #ranges)
print(("vdisk map    64 GiB VHDX, 10,000 blocks allocated: open + allocated %.1f ms "
  .. "(target < 50 ms); peak memory %d MiB before, %d MiB after"):format(t_map * 1000, before, hwm()))
run("rm -rf " .. q(WORK))
