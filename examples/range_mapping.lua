-- Range mapping: a writer's directed target (docs/model.md §6.2).
--
-- A database writer backed up three ranges of its data file as a partial
-- file. At restore it asks for a directed target: lay those ranges down
-- one after another in a new, compact file. This script parses both range
-- lists, checks them, builds the copy plan, applies it to real files and
-- verifies every byte.
--
--   lua5.4 examples/range_mapping.lua [DIR]   (DIR keeps the files; default: temporary)
local vss = require "vss"

local dir = arg and arg[1]
local function place(name)
  return dir and (dir .. "/" .. name) or os.tmpname()
end
local data_path, compact_path, ranges_path = place("db.dat"), place("db.compact"), place("db.ranges")

-- The backed-up file: 1.1 MB of recognisable bytes.
local f = assert(io.open(data_path, "wb"))
for block = 0, 1100 * 1024 // 4096 - 1 do
  f:write(string.rep(string.char(block % 251, (block * 7) % 256), 2048))
end
f:close()

-- What the writer recorded with add_partial_file, kept as a ranges file
-- (the string a writer hands out is "File=<path>").
local backed_up = assert(vss.ranges.parse("0:4096, 0x10000:8192, 0x100000:4096", { strict = true }))
assert(backed_up:save(ranges_path))
local source = assert(vss.ranges.resolve("File=" .. ranges_path, { strict = true }))
assert(source == backed_up)
print("source      " .. tostring(source))

-- The directed target: the same lengths, packed from offset 0.
local layout, at = {}, 0
for _, _, length in source:each() do
  layout[#layout + 1] = { at, length }
  at = at + length
end
local destination = vss.ranges.new(layout)
assert(not destination:overlaps(), "destination ranges overlap")
print("destination " .. tostring(destination))

local plan = assert(vss.ranges.map(source, destination))
print(("copy plan: %d copies, %d bytes"):format(#plan, source:total()))
for i, copy in ipairs(plan) do
  print(("  %d. %8d -> %-8d %6d bytes"):format(i, copy.src, copy.dst, copy.length))
end

-- Apply the plan, then check every destination range against its source.
local src = assert(io.open(data_path, "rb"))
local dst = assert(io.open(compact_path, "wb"))
for _, copy in ipairs(plan) do
  assert(src:seek("set", copy.src))
  assert(dst:seek("set", copy.dst))
  assert(dst:write(assert(src:read(copy.length))))
end
dst:close()

dst = assert(io.open(compact_path, "rb"))
local verified = 0
for _, copy in ipairs(plan) do
  src:seek("set", copy.src)
  dst:seek("set", copy.dst)
  assert(src:read(copy.length) == dst:read(copy.length), "mismatch in a copied range")
  verified = verified + copy.length
end
assert(dst:read(1) == nil, "destination longer than the plan")
src:close()
dst:close()
print(("verified %d bytes in %d ranges of %s"):format(verified, #plan, compact_path))

if not dir then
  os.remove(data_path)
  os.remove(compact_path)
  os.remove(ranges_path)
end
