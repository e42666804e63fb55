--- vss.ranges: the C core's ranges submodule (placeholder until it lands).
local core = require "vss.core"

return core.ranges
