--- luavss: the Volume Shadow Copy Service model of application-consistent
-- backup, for Linux, in Lua 5.4. This module is the public face: it collects
-- the C core (vss.core) and the pure-Lua conveniences of each submodule.
local core = require "vss.core"

local vss = {
  version = core.version,
  ranges = require "vss.ranges",
  filespec = require "vss.filespec",
  enums = require "vss.enums",
  metadata = require "vss.metadata",
  components = require "vss.components",
  store = require "vss.store",
  snapshot = require "vss.snapshot",
  writer = require "vss.writer",
  restore = require "vss.restore",
  dest = require("vss.dest").open,
  backup = require "vss.backup",
  progress = require "vss.progress",
  tree = require "vss.tree",
  vdisk = require "vss.vdisk",
}
vss.snapshot_set = vss.snapshot.set

return vss
