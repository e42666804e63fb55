--- vss.restore: the restore side. For now its safety layer, restore
-- targets (csrc/restore_target.h): every write stays beneath a root, no
-- symlink is followed, files are replaced whole by rename, range updates
-- are laid on a copy. The C core does the work; this module adds the
-- directed form of apply_plan that takes two range lists.
local core = require "vss.core"
local ranges = require "vss.ranges"

local C = core.restore_target
local M = {}

--- vss.restore.target(root [, {replace = bool}]) -> vss.RestoreTarget
M.target = C.target

local Target = debug.getregistry()["vss.RestoreTarget"].__index
local File = debug.getregistry()["vss.RestoreFile"].__index
local apply_plan, file_apply_plan = Target.apply_plan, File.apply_plan

-- A plan table as it is, or the copy plan of two range lists.
local function plan_of(plan, dst)
  if dst == nil then return plan end
  return ranges.map(plan, dst)
end

--- t:apply_plan(relpath, source_path, plan) or
-- t:apply_plan(relpath, source_path, src_ranges, dst_ranges): lay bytes of
-- source_path onto relpath (a copy of it when it exists, else a new file),
-- following the copy plan of the two lists (vss.ranges.map).
function Target:apply_plan(relpath, source, plan, dst)
  local p, err, code = plan_of(plan, dst)
  if not p then return nil, err, code end
  return apply_plan(self, relpath, source, p)
end

--- f:apply_plan(source_path, plan) or f:apply_plan(source_path, src_ranges,
-- dst_ranges): lay one more source onto a pending file (begin_file,
-- begin_update), for destinations fed by several files; then f:commit().
function File:apply_plan(source, plan, dst)
  local p, err, code = plan_of(plan, dst)
  if not p then return nil, err, code end
  return file_apply_plan(self, source, p)
end

return M
