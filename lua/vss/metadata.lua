--- vss.metadata: the Writer Metadata Document (docs/model.md §2.5-2.7,
-- §7.2). The C core holds the model and enforces VSS's rules; this module
-- adds list conveniences over the Get*(i) methods VSS defines.
local core = require "vss.core"

local C = core.metadata
local M = { load = C.load, parse = C.parse, new = C.new }

local WM, Component = C.methods.WriterMetadata, C.methods.Component

-- A list of getter(obj, i) for i = 1..n.
local function list(obj, getter, n)
  local out = {}
  for i = 1, n do out[i] = getter(obj, i) end
  return out
end

--- All components, in document order.
function WM:components()
  local _, _, n = self:get_file_counts()
  return list(self, WM.get_component, n)
end

function WM:exclude_files()
  local _, n = self:get_file_counts()
  return list(self, WM.get_exclude_file, n)
end

function WM:include_files()
  local n = self:get_file_counts()
  return list(self, WM.get_include_file, n)
end

function WM:exclude_files_from_snapshot()
  return list(self, WM.get_exclude_from_snapshot_file, self:get_exclude_from_snapshot_count())
end

function WM:alternate_location_mappings()
  return list(self, WM.get_alternate_location_mapping, self:get_alternate_location_mapping_count())
end

function Component:name() return self:get_component_info().component_name end
function Component:logical_path() return self:get_component_info().logical_path end
function Component:type() return self:get_component_info().type end

function Component:files()
  return list(self, Component.get_file, self:get_component_info().file_count)
end

function Component:database_files()
  return list(self, Component.get_database_file, self:get_component_info().databases)
end

function Component:database_log_files()
  return list(self, Component.get_database_log_file, self:get_component_info().log_files)
end

function Component:dependencies()
  return list(self, Component.get_dependency, self:get_component_info().dependencies)
end

-- The writer-side calls that name a component, made on the component.
-- wm:<method>(logical_path, name, ...) for this component.
local function on_writer(self, method, ...)
  local info = self:get_component_info()
  local wm = self:writer_metadata()
  return wm[method](wm, info.logical_path, info.component_name, ...)
end

function Component:add_database_files(path, filespec, mask)
  return on_writer(self, "add_database_files", path, filespec, mask)
end

function Component:add_database_log_files(path, filespec, mask)
  return on_writer(self, "add_database_log_files", path, filespec, mask)
end

function Component:add_files_to_file_group(path, filespec, recursive, alternate_location, mask)
  return on_writer(self, "add_files_to_file_group", path, filespec, recursive, alternate_location, mask)
end

function Component:add_component_dependency(on_writer_id, on_logical_path, on_name)
  return on_writer(self, "add_component_dependency", on_writer_id, on_logical_path, on_name)
end

return M
