-- Inspect a virtual disk (VHD or VHDX): its chain of layers, what each one
-- is, and the byte ranges of the virtual disk each layer owns (holds data
-- for or declares zero) rather than leaving to its parent.
--
--   lua5.4 examples/vdisk_inspect.lua DISK [PARENT ...]
--     DISK     a .vhd, .vhdx or .avhdx
--     PARENT   its parents, nearest first (else found through its locators)
local vss = require "vss"

local path = arg and arg[1]
if not path then
  io.stderr:write("usage: lua5.4 examples/vdisk_inspect.lua DISK [PARENT ...]\n")
  os.exit(2)
end
local parents = { table.unpack(arg, 2) }

local d <close>, err, code = vss.vdisk.open(path, { parents = parents })
if not d then
  io.stderr:write(("cannot open %s: %s (%s)\n"):format(path, err, code))
  os.exit(1)
end
print(d)

local MiB = 1 << 20
for i, layer in ipairs(d:chain()) do
  print(("layer %d: %s"):format(i - 1, layer.path))
  print(("  %s %s, %.1f MiB virtual, block %d KiB, sectors %d/%d, creator %q"):format(
    layer.format, layer.type, layer.virtual_size / MiB, layer.block_size // 1024,
    layer.logical_sector_size, layer.physical_sector_size, layer.creator))
  print("  id         " .. layer.id)
  if layer.parent_id then print("  parent id  " .. layer.parent_id) end
  if layer.format == "VHDX" then
    print(("  header %d current (sequence %d), the other %s"):format(layer.current_header,
      layer.sequence, layer.other_header_valid and "valid" or "NOT valid"))
  end
  for _, l in ipairs(layer.locators) do print(("  locator    %s = %s"):format(l.key, l.value)) end
  local data, zero = d:allocated(i - 1)
  local owned = d:owned(i - 1)
  print(("  holds data %.2f MiB in %d ranges, declares zero %.2f MiB, owns %.2f MiB"):format(
    data:total() / MiB, #data, zero:total() / MiB, owned:total() / MiB))
  print("  data       " .. tostring(data))
  print("  owned      " .. tostring(owned))
end
