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

--- An enumerated option: value when it is one of choices, else nil and
-- "<name>: invalid value '<value>' (expected "a", "b" or "c")".
function M.choice(name, value, choices)
  local quoted = {}
  for i, c in ipairs(choices) do
    if value == c then return c end
    quoted[i] = type(c) == "string" and '"' .. c .. '"' or tostring(c)
  end
  local expected = #quoted > 1 and table.concat(quoted, ", ", 1, #quoted - 1) .. " or " .. quoted[#quoted]
    or quoted[1]
  return nil, ("%s: invalid value '%s' (expected %s)"):format(name, tostring(value), expected)
end

--- The names of a vss.enums table, in the order of their values.
function M.enum_names(enum)
  local names = {}
  for name in pairs(enum) do names[#names + 1] = name end
  table.sort(names, function(a, b) return enum[a] < enum[b] end)
  return names
end

--- An option that is true, false or nil: true, or nil, message.
function M.boolean(name, value)
  if value == nil or type(value) == "boolean" then return true end
  return nil, ("%s: boolean expected, got %s"):format(name, type(value))
end

--- A list of strings (or nil): true, or nil, message.
function M.strings(name, value)
  if value == nil then return true end
  if type(value) ~= "table" then return nil, ("%s: table expected, got %s"):format(name, type(value)) end
  for i, v in ipairs(value) do
    if type(v) ~= "string" then
      return nil, ("%s[%d]: string expected, got %s"):format(name, i, type(v))
    end
  end
  return true
end

return M
