--- vss.options (internal): the option tables that vss.backup and
-- vss.restore take, read alike. Each function returns nil and a message
-- for a bad value; the caller raises it as its own argument error.
local progress = require "vss.progress"

local M = {}

--- A table whose every key is in known: true, or nil, message.
function M.known(opts, known)
  if type(opts) ~= "table" then return nil, "table expected, got " .. type(opts) end
  for k in pairs(opts) do
    if not known[k] then return nil, "unknown option '" .. tostring(k) .. "'" end
  end
  return true
end

--- A store given as a path or a vss.Store: its path, or nil, message.
function M.store_path(store)
  if type(store) == "string" then return store end
  local ok, path = pcall(function() return store:path() end)
  if ok and type(path) == "string" then return path end
  return nil, "store: path or vss.Store expected"
end

--- The progress option: a function, true (vss.progress.bar()), false
-- (none) or nil (a bar when stdout is a terminal). Returns the callback
-- or false, or nil, message.
function M.progress(value)
  if value == nil then value = progress.is_terminal() end
  if value == true then return progress.bar() end
  if value == false or type(value) == "function" then return value end
  return nil, "progress: function or boolean expected"
end

return M
