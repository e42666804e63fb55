--- vss.store: the backup store, where backup sets are kept (csrc/store/store.h,
-- docs/store-format.md). The C core does the work; this module adds the
-- iterator over a backup's files and turns range strings into vss.Ranges.
local core = require "vss.core"

local C = core.store
local ranges = core.ranges
local M = {}
for name, v in pairs(C) do
  if name ~= "methods" then M[name] = v end
end

local Store = C.methods.Store

local function with_ranges(e)
  if e.ranges then e.ranges = assert(ranges.parse(e.ranges)) end
  if e.extents then e.extents = assert(ranges.parse(e.extents)) end
  return e
end

--- for entry in store:files(id) do ... end: the entries of a backup (whole,
-- partial, deleted, directory, symlink, fifo, device, hardlink; not the
-- documents), in the order they were added. Each entry: name, kind, size,
-- stored, digest, ranges or extents (vss.Ranges) for data; target (a
-- symlink's text, a hard link's name), rdev (a device); attributes.
-- Returns nil, message, code when the manifest cannot be read.
function Store:files(id)
  local list, err, code = self:entries(id)
  if not list then return nil, err, code end
  local i = 0
  return function()
    repeat
      i = i + 1
    until not list[i] or list[i].kind ~= "document"
    if list[i] then return with_ranges(list[i]) end
  end
end

return M
