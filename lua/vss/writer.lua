--- vss.writer: writers, the applications that take part in a backup
-- (docs/model.md §1, §2.8, §3). `vss.writer{ ... }` makes a Lua writer
-- from handler functions; `vss.writer.external{ ... }` one whose events
-- run as commands; `vss.writer.session{ w1, w2 }` drives a set of writers
-- through the events as a requester does. The C core keeps the states,
-- the order and the timeouts; this module hands each handler what VSS
-- gives it (a WriterMetadata to fill, the BCD and the writer's own
-- components).
local core = require "vss.core"
local metadata = require "vss.metadata"

local C = core.writer
local M = {
  external = C.external,
  session = C.session,
  error = C.error,
  Writer = C.methods.Writer,
  WriterSession = C.methods.WriterSession,
  EXIT_RETRYABLE = C.EXIT_RETRYABLE,
  EXIT_OUTOFRESOURCES = C.EXIT_OUTOFRESOURCES,
  EXIT_TIMEOUT = C.EXIT_TIMEOUT,
  EXIT_INCONSISTENTSNAPSHOT = C.EXIT_INCONSISTENTSNAPSHOT,
}

--- Error objects a handler raises to fail with a given kind:
-- `error(vss.writer.retryable("database busy"))`. A plain `error("...")`
-- is a non-retryable failure.
function M.retryable(msg) return C.error("WRITER_RETRYABLE", msg) end
function M.nonretryable(msg) return C.error("WRITER_NONRETRYABLE", msg) end
function M.timeout(msg) return C.error("WRITER_TIMEOUT", msg) end
function M.out_of_resources(msg) return C.error("WRITER_OUTOFRESOURCES", msg) end
function M.inconsistent_snapshot(msg) return C.error("WRITER_INCONSISTENTSNAPSHOT", msg) end

-- Events whose handler gets (bc, components).
local WITH_BCD = {
  prepare_backup = true, post_snapshot = true, backup_complete = true,
  pre_restore = true, post_restore = true,
}
local EVENTS = {
  "identify", "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
  "abort", "backup_complete", "backup_shutdown", "pre_restore", "post_restore",
}

-- This writer's ComponentStates in bc (the engine's writer matcher).
local function components_of(bc, writer_id, instance_id)
  local i = bc:find_writer(writer_id, instance_id)
  return i and bc:get_writer_components(i).components or {}
end

local function wrap(ev, f, def)
  if ev == "identify" then
    local ident = {
      writer_id = def.writer_id, instance_id = def.instance_id, name = def.name,
      instance_name = def.instance_name, usage = def.usage, source = def.source,
      major_version = def.major_version, minor_version = def.minor_version,
    }
    return function()
      local wm = metadata.new(ident)
      f(wm)
      local xml, msg = wm:xml()
      if not xml then error(M.nonretryable(msg), 0) end
      return xml
    end
  elseif WITH_BCD[ev] then
    local writer_id, instance_id = def.writer_id, def.instance_id
    return function(bc)
      return f(bc, components_of(bc, writer_id, instance_id))
    end
  end
  return f
end

--- vss.writer{ name =, writer_id =, instance_id =, usage =, source =,
-- level =, timeouts = {...}, identify = function(wm) end, ... } -> vss.Writer
function M.new(def)
  if type(def) ~= "table" then
    error("bad argument #1 to 'writer' (table expected, got " .. type(def) .. ")", 2)
  end
  local handlers = {}
  for _, ev in ipairs(EVENTS) do
    local f = def[ev]
    -- the core checks that f is callable and the ids are strings
    if f ~= nil and type(def.writer_id) == "string" and type(def.instance_id) == "string" then
      handlers[ev] = wrap(ev, f, def)
    end
  end
  return C.new(def, handlers)
end

--- The document of the writer's last identify, as a vss.WriterMetadata
-- (a copy), or nil before it.
function M.Writer:metadata()
  local xml, msg, code = self:metadata_xml()
  if not xml then return nil, msg, code end
  return metadata.parse(xml)
end

--- GatherWriterMetadata: the documents of the writers whose identify
-- succeeded, in session order (copies, as vss.WriterMetadata).
function M.WriterSession:metadata()
  local out = {}
  for _, w in ipairs(self:writers()) do
    local wm, msg, code = w:metadata()
    if wm then
      out[#out + 1] = wm
    elseif msg then
      return nil, msg, code
    end
  end
  return out
end

return setmetatable(M, { __call = function(_, def) return M.new(def) end })
