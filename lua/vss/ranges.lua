--- vss.ranges: range lists, what partial files and directed targets are made
-- of (docs/model.md §6.1-6.2). The C core does the work (parse, format,
-- the ranges file, set operations, the copy plan, resolve: a ranges string
-- or the ranges file it names); this module adds the conveniences that take
-- a VSS ranges string as VSS hands it out.
local core = require "vss.core"

local C = core.ranges
local M = {}
for name, fn in pairs(C) do
  if name ~= "methods" then M[name] = fn end
end

local function as_ranges(v, what)
  if type(v) ~= "string" then return v end
  local r, err, code = C.parse(v)
  if not r then return nil, what .. ": " .. err, code end
  return r
end

--- The directed-target copy plan; src and dst may be Ranges or inline strings.
-- Returns an array of {src=, dst=, length=} or nil, message, "EINVAL".
function M.map(src, dst)
  local s, err, code = as_ranges(src, "source")
  if not s then return nil, err, code end
  local d
  d, err, code = as_ranges(dst, "destination")
  if not d then return nil, err, code end
  return C.map(s, d)
end

return M
