--- vss.filespec: the C core's filespec submodule (placeholder until it lands).
local core = require "vss.core"

return core.filespec
