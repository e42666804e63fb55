--- vss.enums: every VSS enumeration (docs/model.md §3.1, §4) as a table
-- from Lua name to numeric value: vss.enums.backup_type.incremental == 2.
local core = require "vss.core"

return core.enums
