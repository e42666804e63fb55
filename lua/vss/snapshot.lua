--- vss.snapshot: snapshot sets (StartSnapshotSet / AddToSnapshotSet /
-- DoSnapshotSet), their providers, query, cleanup and filesystem freeze.
--
--   local set <close> = vss.snapshot_set{ provider = "auto" }
--   set:add("/srv/db"); assert(set:take())
--   io.open(set:path("/srv/db/data.db"))
local core = require "vss.core"

local C = core.snapshot
local M = {
  query = C.query,
  cleanup = C.cleanup,
  delete = C.delete,
  freeze = C.freeze,
  is_volume_supported = C.is_volume_supported,
  providers = { "btrfs", "reflink", "copy", "none" },
}

-- set:providers(): per snapshot, the provider chosen (or forced) and why.
local function providers(set)
  local out = {}
  for i, s in ipairs(set:describe().snapshots) do
    out[i] = { volume = s.volume, provider = s.provider, reason = s.reason,
               original = s.original, selection = s.selection }
  end
  return out
end

C.methods.SnapshotSet.providers = providers

--- A new snapshot set (options: provider, context, attributes,
-- freeze_timeout, progress). Methods: add, take, path, providers, id,
-- expose, describe, delete; <close> releases it.
function M.set(options)
  local set, err, code = C.set(options) -- not a tail call: errors name 'set'
  if not set then return nil, err, code end
  return set
end

return M
