--- vss.components: the Backup Components Document (docs/model.md §1,
-- §2.1, §2.4, §6, §7.3). The C core holds the model and enforces VSS's
-- rules; this module adds list conveniences and FILETIME conversions.
local core = require "vss.core"

local C = core.components
local M = { load = C.load, parse = C.parse, new = C.new }

local BC, CS = C.methods.BackupComponents, C.methods.ComponentState

-- FILETIME counts 100 ns ticks from 1601-01-01 UTC; Unix time starts
-- 11644473600 s later.
local EPOCH_DIFF = 11644473600

--- FILETIME of a Unix time in seconds (an integer or a float).
function M.filetime(unix_seconds)
  return math.floor((unix_seconds + EPOCH_DIFF) * 10000000 + 0.5)
end

--- Unix time in seconds (a float) of a FILETIME.
function M.unix_time(filetime)
  return filetime / 10000000 - EPOCH_DIFF
end

--- Every writer entry, as get_writer_components(i) gives them.
function BC:writers()
  local out = {}
  for i = 1, self:get_writer_components_count() do out[i] = self:get_writer_components(i) end
  return out
end

--- Every ComponentState, writer by writer.
function BC:components()
  local out = {}
  for _, w in ipairs(self:writers()) do
    for _, c in ipairs(w.components) do out[#out + 1] = c end
  end
  return out
end

-- Collect get(i) for i = 1..count(), packing multiple results with names.
local function collect(self, count, get, names)
  local out = {}
  for i = 1, count(self) do
    local v = table.pack(get(self, i))
    if names then
      local t = {}
      for k, name in ipairs(names) do t[name] = v[k] end
      out[i] = t
    else
      out[i] = v[1]
    end
  end
  return out
end

function CS:partial_files()
  return collect(self, CS.get_partial_file_count, CS.get_partial_file,
    { "path", "filename", "ranges", "metadata" })
end

function CS:directed_targets()
  return collect(self, CS.get_directed_target_count, CS.get_directed_target,
    { "src_path", "src_filename", "src_ranges", "dst_path", "dst_filename", "dst_ranges" })
end

function CS:differenced_files()
  return collect(self, CS.get_differenced_files_count, CS.get_differenced_file,
    { "path", "filespec", "recursive", "lsn", "last_modify_time" })
end

function CS:restore_subcomponents()
  return collect(self, CS.get_restore_subcomponent_count, CS.get_restore_subcomponent,
    { "logical_path", "name", "repair" })
end

function CS:new_targets()
  return collect(self, CS.get_new_target_count, CS.get_new_target)
end

function CS:alternate_location_mappings()
  return collect(self, CS.get_alternate_location_mapping_count, CS.get_alternate_location_mapping)
end

return M
