-- Range lists: parse + format of a 1,000,000-range inline string with
-- vss.ranges, against a pure-Lua string.gmatch parser doing the same work
-- (a Lua table of {offset, length} pairs, formatted back with table.concat).
-- Best of 3 runs each, same process.   make bench   (or: lua5.4 bench/ranges.lua)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local best = require("timing").best

local N = 1000000

local parts = {}
local offset = 0
for i = 1, N do
  local length = 512 * (1 + i % 16)
  parts[i] = offset .. ":" .. length
  offset = offset + length + 4096 * (i % 7)
end
local input = table.concat(parts, ",")
parts = nil -- luacheck: ignore 311

local native = best(3, function()
  local r = assert(vss.ranges.parse(input))
  assert(#r == N)
  assert(r:format() == input)
end)

local pure = best(3, function()
  local list, n = {}, 0
  for o, l in input:gmatch("(%d+):(%d+)") do
    n = n + 1
    list[n] = { tonumber(o), tonumber(l) }
  end
  assert(n == N)
  local out = {}
  for i = 1, n do out[i] = list[i][1] .. ":" .. list[i][2] end
  assert(table.concat(out, ",") == input)
end)

print(("input: %d ranges, %.1f MB"):format(N, #input / 1e6))
print(("vss.ranges parse+format:      %.3f s"):format(native))
print(("pure Lua gmatch parse+format: %.3f s"):format(pure))
print(("ratio: %.1fx faster"):format(pure / native))
