--- vss.restore: the restore side. vss.restore{...} lays a backup, with the
-- chain it stands on, back from a store: the engine does it all in one call
-- (vss_restore, csrc/engine/restore.h: the chain in steps, the writers told,
-- their restore methods and targets obeyed, partial files laid at their
-- offsets, directed targets followed, the verdict); this file checks the
-- options and hands them over. Every write goes through a destination
-- (vss.dest, lua/vss/dest.lua).
local core = require "vss.core"
local options = require "vss.options"
local dest = require "vss.dest"
local enums = require "vss.enums"

local R = core.restore
local M = {}

--- vss.restore.target(root [, {replace = bool}]) -> vss.Dest: the
-- deprecated name of vss.dest (the same function), kept for one release.
M.target = dest.open

local KNOWN = {
  store = true, backup = true, writers = true, components = true, paths = true, location = true,
  target = true,
  to = true, new_targets = true, root = true, overwrite = true, restore_type = true, service = true,
  progress = true,
}

local function argerror(msg)
  error("bad argument #1 to 'restore' (" .. msg .. ")", 3)
end

-- location = "original" | "alternate" | "new" (the engine's names), or
-- its deprecated name target = with the same values. Returns the value
-- (nil: original) and the name the caller used.
local function location(opts)
  local value, name = opts.location, "location"
  if opts.target ~= nil then
    if value ~= nil then argerror("location and target (its deprecated name) both given") end
    value, name = opts.target, "target"
  end
  if value == nil then return nil, name end
  local l, err = options.choice(name, value, R.locations)
  if not l then argerror(err) end
  return l, name
end

-- Options that only mean something with location = "new": given with
-- another location they would be ignored (and the files laid in place),
-- so they raise, naming both.
local function contradictions(opts, loc, name)
  if loc == "new" then
    if opts.to == nil and opts.new_targets == nil then
      argerror(name .. ' = "new" needs to = (a directory) or new_targets')
    end
    return
  end
  for _, o in ipairs { "new_targets", "to" } do
    if opts[o] ~= nil and loc == nil then
      argerror(('%s given without %s = "new": the default location, "original", would lay the '
        .. 'files in place; %s goes with %s = "new"'):format(o, name, o, name))
    elseif opts[o] ~= nil then
      argerror(('%s and %s = "%s" contradict each other: %s goes with %s = "new"'):format(o, name,
        loc, o, name))
    end
  end
end

local function check(opts)
  local ok, err = options.known(opts, KNOWN)
  if not ok then argerror(err) end
  local path, report
  path, err = options.store_path(opts.store)
  if not path then argerror(err) end
  if opts.backup ~= nil and type(opts.backup) ~= "string" then
    argerror("backup: string expected, got " .. type(opts.backup))
  end
  if opts.writers ~= nil and type(opts.writers) ~= "table" then argerror("writers: table expected") end
  ok, err = options.strings("components", opts.components)
  if not ok then argerror(err) end
  ok, err = options.strings("paths", opts.paths)
  if not ok then argerror(err) end
  if opts.paths ~= nil and opts.components ~= nil then
    argerror("paths and components both given: restore by path or by component, not both "
      .. "(a path names its component already)")
  end
  if opts.paths ~= nil and #opts.paths == 0 then
    argerror("paths: empty (leave it out to restore everything)")
  end
  for _, p in ipairs(opts.paths or {}) do
    if p:sub(1, 1) ~= "/" then argerror(("paths: '%s' is not an absolute path"):format(p)) end
  end
  ok, err = options.boolean("overwrite", opts.overwrite)
  if not ok then argerror(err) end
  if opts.new_targets ~= nil and type(opts.new_targets) ~= "table" then
    argerror("new_targets: table expected, got " .. type(opts.new_targets))
  end
  if opts.to ~= nil and type(opts.to) ~= "string" then
    argerror("to: string expected, got " .. type(opts.to))
  end
  if opts.restore_type ~= nil then
    ok, err = options.choice("restore_type", opts.restore_type, options.enum_names(enums.restore_type))
    if not ok then argerror(err) end
  end
  report, err = options.progress(opts.progress)
  if report == nil then argerror(err) end
  local loc, name = location(opts)
  contradictions(opts, loc, name)
  return path, report or nil, loc
end

--- vss.restore{ store = path | vss.Store, backup = id (default: the latest),
-- writers = {w...}, components = {"lp\\name", "writer"...},
-- paths = {"/srv/f", "/srv/dir/"...} (not with components), location = "original" |
-- "alternate" | "new" (target = is its deprecated name), to = dir,
-- new_targets = {{path=, filespec=, recursive=, to=}}, root = path_map,
-- overwrite = bool, restore_type = "by_copy", service = fn (default: systemctl),
-- progress = fn | bool }
-- -> { backup=, chain = {ids}, files = {{name=, path=, status=, message=, component=}},
--      components = {...}, bytes= (stored bytes laid), size= (logical), restored=, failed=,
--      reboot_required=, steps = {...} }
-- | nil, message, code [, result]: code "EPARTIAL" with the result when files
-- were laid but some were not (each file's code says why; stopped= names
-- the backup a chain stopped at), "EPOSTRESTORE" when all were but a writer
-- failed post_restore
function M.run(opts)
  local path, report, loc = check(opts)
  return R.run(path, opts.writers, {
    backup = opts.backup, select = opts.components, paths = opts.paths, location = loc, to = opts.to,
    new_targets = opts.new_targets, root = opts.root, overwrite = opts.overwrite,
    restore_type = opts.restore_type, service = opts.service, progress = report,
  })
end

return setmetatable(M, { __call = function(_, opts) return M.run(opts) end })
