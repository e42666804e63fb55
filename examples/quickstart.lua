-- The quick start: `make demo` runs this. It grows with the project.
local vss = require "vss"

print(("luavss %s"):format(vss.version))
