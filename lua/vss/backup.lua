--- vss.backup: the requester (docs/model.md §1). One call runs a whole
-- backup: the writers' events in VSS order, component selection, a
-- snapshot set, the data into the store, the documents, the commit.
-- The C engine (csrc/engine/backup.c) does the work; this module makes the
-- writer session and the Backup Components Document it works on.
local core = require "vss.core"
local components = require "vss.components"
local writer = require "vss.writer"
local options = require "vss.options"
local snapshot_mod = require "vss.snapshot"

local C = core.backup

local KNOWN = {
  writers = true, select = true, type = true, store = true, partial_file_support = true,
  snapshot = true, progress = true, root = true, bootable_system_state = true,
}

local TYPES = { "full", "incremental", "differential", "log", "copy" }

local function argerror(msg)
  error("bad argument #1 to 'backup' (" .. msg .. ")", 3)
end

--- vss.backup{ writers = {w1, w2}, store = path_or_store, type = "full",
-- select = {"Instances\\main\\sales", "db"}, partial_file_support = true,
-- bootable_system_state = true (system writers required, their components selected),
-- snapshot = "auto" | provider | false, root = path_map, progress = fn | true | false }
-- progress: a function gets {files=, bytes=, files_total=, bytes_total=, name=}; true draws
-- vss.progress.bar(); false draws nothing; by default a bar is drawn when stdout is a terminal.
-- -> { id=, type=, files=, bytes= (stored), size= (logical), skipped = {{name=, reason=}},
--      writers = {...}, components = bc }
-- | nil, message, code, writers
local function backup(opts)
  local ok, err = options.known(opts, KNOWN)
  if not ok then argerror(err) end
  if type(opts.writers) ~= "table" then argerror("writers: table expected") end
  local store, report
  store, err = options.store_path(opts.store)
  if not store then argerror(err) end
  report, err = options.progress(opts.progress)
  if report == nil then argerror(err) end
  -- enumerations: a wrong value is named with the valid ones
  if opts.type ~= nil then
    ok, err = options.choice("type", opts.type, TYPES)
    if not ok then argerror(err) end
  end
  local snapshot = opts.snapshot
  if snapshot == nil then snapshot = "auto" end
  if snapshot ~= false then
    local providers = { "auto", table.unpack(snapshot_mod.providers) }
    providers[#providers + 1] = false
    ok, err = options.choice("snapshot", snapshot, providers)
    if not ok then argerror(err) end
  end
  for _, name in ipairs { "partial_file_support", "bootable_system_state" } do
    ok, err = options.boolean(name, opts[name])
    if not ok then argerror(err) end
  end
  ok, err = options.strings("select", opts.select)
  if not ok then argerror(err) end
  local bc = components.new{
    backup_type = opts.type or "full", select_components = true,
    partial_file_support = opts.partial_file_support and true or false,
    bootable_system_state = opts.bootable_system_state and true or false,
  }
  local session <close> = writer.session(opts.writers)
  local r, msg, code, writers = C.run(session, bc, store, {
    type = opts.type, select = opts.select, partial_file_support = opts.partial_file_support,
    bootable_system_state = opts.bootable_system_state,
    snapshot = snapshot, root = opts.root, progress = report or nil,
  })
  if not r then return nil, msg, code, writers end
  r.components = bc
  return r
end

return setmetatable({ run = backup }, { __call = function(_, opts) return backup(opts) end })
