--- vss.restore: the restore side. vss.restore{...} lays a backup, with the
-- chain it stands on, back from a store (csrc/engine/restore.h): the writers told
-- (pre_restore, post_restore), their restore methods and targets obeyed,
-- partial files laid at their offsets, directed targets followed. It
-- writes through a destination (vss.dest, lua/vss/dest.lua).
local core = require "vss.core"
local components = require "vss.components"
local metadata = require "vss.metadata"
local store_mod = require "vss.store"
local writer = require "vss.writer"
local options = require "vss.options"
local dest = require "vss.dest"

local R = core.restore
local M = {}

--- vss.restore.target(root [, {replace = bool}]) -> vss.Dest: the
-- deprecated name of vss.dest (the same function), kept for one release.
M.target = dest.open

local KNOWN = {
  store = true, backup = true, writers = true, components = true, target = true, to = true,
  new_targets = true, root = true, overwrite = true, restore_type = true, service = true,
  progress = true,
}

local function argerror(msg)
  error("bad argument #1 to 'restore' (" .. msg .. ")", 3)
end

-- systemctl stop|start <service>, for the stop/start restore methods
local function systemctl(action, name)
  local quoted = "'" .. name:gsub("'", "'\\''") .. "'"
  local ok, _, status = os.execute("systemctl " .. action .. " " .. quoted)
  if ok then return true end
  return nil, "systemctl " .. action .. " " .. name .. " exited with " .. tostring(status)
end

-- The step's Backup Components Document with each writer's stored metadata,
-- and the instance ids of the writers that want no events (writerRestore
-- "never").
local function documents(st, id)
  local xml, err, code = st:document(id, "backup_components")
  if not xml then return nil, err, code end
  local bc
  bc, err, code = components.parse(xml)
  if not bc then return nil, "backup '" .. id .. "': " .. err, code end
  local quiet = {}
  for i = 1, bc:get_writer_components_count() do
    local w = bc:get_writer_components(i)
    local wxml
    wxml, err, code = st:document(id, w.instance_id)
    if not wxml then return nil, err, code end
    local wm
    wm, err, code = metadata.parse(wxml)
    if not wm then return nil, "backup '" .. id .. "': writer " .. w.instance_id .. ": " .. err, code end
    bc:add_writer_metadata(wm)
    if select(4, wm:get_restore_method()) == "never" then quiet[w.instance_id:lower()] = true end
  end
  return bc, quiet
end

-- The live writers that take part: not those whose stored metadata says
-- they want no restore events (VSS_WRE_NEVER).
local function told(writers, quiet)
  local list = {}
  for _, w in ipairs(writers or {}) do
    if not quiet[w:identity().instance_id:lower()] then list[#list + 1] = w end
  end
  return list
end

local function check(opts)
  local ok, err = options.known(opts, KNOWN)
  if not ok then argerror(err) end
  local path, report
  path, err = options.store_path(opts.store)
  if not path then argerror(err) end
  if opts.writers ~= nil and type(opts.writers) ~= "table" then argerror("writers: table expected") end
  if opts.components ~= nil and type(opts.components) ~= "table" then
    argerror("components: table expected")
  end
  report, err = options.progress(opts.progress)
  if report == nil then argerror(err) end
  return path, report or nil
end

-- The outcome of the whole chain: each file as its last step left it.
local function merge(steps)
  local files, at = {}, {}
  local r = { steps = steps, files = files, bytes = 0, restored = 0, failed = 0,
              reboot_required = false }
  for _, s in ipairs(steps) do
    r.bytes = r.bytes + s.bytes
    r.reboot_required = r.reboot_required or s.reboot_required
    r.components = s.components
    for _, f in ipairs(s.files) do
      if at[f.name] then files[at[f.name]] = f else files[#files + 1] = f; at[f.name] = #files end
    end
  end
  local bad
  -- failed, vetoed (skipped) and not replaced (exists) files leave the
  -- restore incomplete; at_reboot, custom and deleted are what the
  -- writer's method or the backup asked for
  for _, f in ipairs(files) do
    if f.status == "restored" then r.restored = r.restored + 1
    elseif f.status == "failed" or f.status == "skipped" or f.status == "exists" then
      r.failed = r.failed + 1
      bad = bad or f
    end
  end
  return r, bad
end

-- A step that left a file out (failed, vetoed, not replaced, or put off
-- to a reboot because it could not be replaced) ends the chain there: a
-- later backup's partial files would be laid over what is in place, which
-- is not that file at that point in time. Returns the first such file.
local function left_out(step)
  for _, f in ipairs(step.files) do
    if f.status == "failed" or f.status == "skipped" or f.status == "exists"
      or (f.status == "at_reboot" and f.message) then
      return f
    end
  end
end

--- vss.restore{ store = path | vss.Store, backup = id (default: the latest),
-- writers = {w...}, components = {"lp\\name", "writer"...}, target = "original" |
-- "alternate" | "new", to = dir, new_targets = {{path=, filespec=, recursive=, to=}},
-- root = path_map, overwrite = bool, restore_type = "by_copy", service = fn,
-- progress = fn | bool }
-- -> { backup=, chain = {ids}, files = {{name=, path=, status=, message=, component=}},
--      components = {...}, bytes=, restored=, failed=, reboot_required=, steps = {...} }
-- | nil, message, code [, result]: code "EPARTIAL" with the result when files
-- were laid but some were not (each file's code says why), "EPOSTRESTORE"
-- when all were but a writer failed post_restore
function M.run(opts)
  local path, report = check(opts)
  local st, err, code = store_mod.open(path)
  if not st then return nil, err, code end
  local id = opts.backup
  if id == nil then
    local list = assert(st:list())
    if #list == 0 then return nil, "store '" .. path .. "' holds no backup", "ENOENT" end
    id = list[#list].id
  end
  local chain
  chain, err, code = st:chain(id)
  if not chain then return nil, err, code end
  local ids = {}
  for i, b in ipairs(chain) do ids[i] = b.id end
  -- With writers, each backup of the chain is a restore of its own, so
  -- they see every one (§1); without, the chain is laid in one pass.
  local units = {}
  if opts.writers and #opts.writers > 0 then
    for i, b in ipairs(ids) do units[i] = { b } end
  else
    units[1] = ids
  end
  local steps = {}
  for i, unit in ipairs(units) do
    local bc, quiet
    bc, quiet, code = documents(st, unit[#unit])
    if not bc then return nil, quiet, code end
    local live = told(opts.writers, quiet)
    local session = #live > 0 and writer.session(live) or nil
    local r
    r, err, code = R.run(session, bc, path, {
      steps = unit, more_follow = i < #units, continues = i > 1, select = opts.components,
      target = opts.target, to = opts.to, new_targets = opts.new_targets, root = opts.root,
      overwrite = opts.overwrite, restore_type = opts.restore_type,
      service = opts.service or systemctl, progress = report,
    })
    if session then session:close() end
    if not r then return nil, err, code end
    r.backup = unit[#unit]
    r.components_document = bc
    steps[i] = r
    if i < #units and left_out(r) then break end
  end
  local r, bad = merge(steps)
  r.backup, r.chain = id, ids
  if #steps < #units then
    local f = left_out(steps[#steps])
    r.stopped = steps[#steps].backup
    return nil, string.format("restore of '%s' stopped at backup '%s' (%d of %d): '%s': %s; the "
      .. "later backups build on it", id, r.stopped, #steps, #units, f.name, f.message or f.status),
      "EPARTIAL", r
  end
  if bad then
    return nil, string.format("restore of '%s': %d of %d files not restored; '%s': %s", id,
      r.failed, #r.files, bad.name, bad.message or bad.status), "EPARTIAL", r
  end
  -- the files are back, but a writer could not finish its side (recovery)
  for _, c in ipairs(r.components) do
    if c.post_restore_failure then
      return nil, string.format("restore of '%s': writer '%s' failed post_restore for '%s': %s", id,
        c.writer, c.name, c.post_restore_failure), "EPOSTRESTORE", r
    end
  end
  return r
end

return setmetatable(M, { __call = function(_, opts) return M.run(opts) end })
