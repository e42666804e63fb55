--- vss.dest: where a restore writes (csrc/dest/dest.h). Every write stays
-- beneath the root, no symlink is followed, files are replaced whole by
-- rename and range updates are laid on a copy, so a crash leaves the old
-- file or the new one. The C core does the work; this module adds the
-- copy plans given as two range lists.
--
--   local d <close> = assert(vss.dest("/restore/db", { replace = true }))
--   assert(d:write_file("a/b.txt", "data"))
local core = require "vss.core"
local ranges = require "vss.ranges"

local C = core.dest
local Dest, DestFile = C.methods.Dest, C.methods.DestFile
local M = {
  --- vss.dest(root [, {replace = bool}]) -> vss.Dest | nil, message, code
  open = C.open,
}

local apply_plan, file_apply_plan = Dest.apply_plan, DestFile.apply_plan

-- A plan table as it is, or the copy plan of two range lists.
local function plan_of(plan, dst)
  if dst == nil then return plan end
  return ranges.map(plan, dst)
end

--- d:apply_plan(relpath, source_path, plan) or
-- d:apply_plan(relpath, source_path, src_ranges, dst_ranges): lay bytes of
-- source_path onto relpath (a copy of it when it exists, else a new file),
-- following the copy plan of the two lists (vss.ranges.map).
function Dest:apply_plan(relpath, source, plan, dst)
  local p, err, code = plan_of(plan, dst)
  if not p then return nil, err, code end
  return apply_plan(self, relpath, source, p)
end

--- f:apply_plan(source_path, plan) or f:apply_plan(source_path, src_ranges,
-- dst_ranges): lay one more source onto a pending file (begin_file,
-- begin_update), for destinations fed by several files; then f:commit().
function DestFile:apply_plan(source, plan, dst)
  local p, err, code = plan_of(plan, dst)
  if not p then return nil, err, code end
  return file_apply_plan(self, source, p)
end

return M
