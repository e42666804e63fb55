--- vss.vdisk: VHD and VHDX virtual disks as sources (csrc/vdisk/), opened
-- read-only with their chain of parents, read exactly, with what each layer
-- holds as range lists of virtual-disk offsets.
--
--   local d <close> = assert(vss.vdisk.open("disk.avhdx", { parents = { "base.vhdx" } }))
--   print(d)                        --> vss.VirtualDisk (VHDX differencing, ...)
--   local bytes = d:read(0, 512)
--   print(d:owned())                --> what the child changed
local core = require "vss.core"

local C = core.vdisk
local M = {
  --- vss.vdisk.open(path [, {parents = {...}, root = path_map, force = false}])
  -- -> vss.VirtualDisk | nil, message, code
  open = C.open,
}

local VirtualDisk = C.methods.VirtualDisk

--- d:size() -> the virtual size in bytes
function VirtualDisk:size()
  return self:info().virtual_size
end

return M
