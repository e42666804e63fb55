--- vss.filespec: file descriptors as VSS has them (path, filespec,
-- recursive, alternate location, backup-type mask), filespec matching,
-- path maps from Windows-form document paths to Linux directories, and the
-- streaming walker that expands a descriptor into the entries on disk.
-- Everything here is the C core's (csrc/lua/filespec.c); see README.md
-- "File specifications" for the API at a glance.
local core = require "vss.core"

return core.filespec
