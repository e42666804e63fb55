-- Directed restore (vss-reference.md §6.2): lay ranges of a backed-up file
-- into a new layout.
--
-- A database file is backed up whole into a real store. At restore its
-- writer asks for a directed target: the header page goes to its own
-- file, and four scattered data pages are laid one after another into a
-- compact file. The file comes out of the store digest-checked into a
-- scratch file; the restore target lays the copy plan beneath its root
-- (no "..", no symlinks followed, each file renamed into place whole).
--
--   lua5.4 examples/directed_restore.lua [DIR]   (DIR keeps the files; default: temporary)
local vss = require "vss"

local dir = arg and arg[1]
local cleanup = not dir
if not dir then
  local p = assert(io.popen("mktemp -d /tmp/luavss-directed.XXXXXX"))
  dir = p:read("l")
  p:close()
end
local PAGE = 4096

-- The live file: 1 MiB, every page recognisable by its number.
local data_path = dir .. "/db.dat"
local pages = {}
for n = 0, 255 do pages[#pages + 1] = string.pack("<I4", n):rep(PAGE // 4) end
local original = table.concat(pages)
local f = assert(io.open(data_path, "wb"))
f:write(original)
f:close()

-- Back it up.
local store = assert(vss.store.open(dir .. "/store", { create = true }))
local id
do
  local tx <close> = assert(store:begin { type = "full" })
  assert(tx:add_file("/srv/db/db.dat", data_path))
  id = assert(tx:commit())
end

-- The directed targets: (source ranges, destination ranges) per file.
local directed = {
  { file = "db/header", src = "0:4096", dst = "0:4096" },
  { file = "db/db.compact",
    src = "12288:4096, 40960:8192, 819200:4096",   -- pages 3, 10-11, 200
    dst = "0:4096, 4096:8192, 12288:4096" },
}

-- Out of the store (digests checked while reading), then laid out.
local scratch = dir .. "/scratch.dat"
assert(store:extract(id, "/srv/db/db.dat", scratch))
os.execute("mkdir -p '" .. dir .. "/restore'")
local target <close> = assert(vss.restore.target(dir .. "/restore"))
local checked, ranges = 0, 0
for _, m in ipairs(directed) do
  local rel = m.file
  assert(target:apply_plan(rel, scratch, m.src, m.dst))
  -- Verify every byte against the original file.
  local out = assert(io.open(target:path(rel), "rb")):read("a")
  for _, c in ipairs(assert(vss.ranges.map(m.src, m.dst))) do
    assert(out:sub(c.dst + 1, c.dst + c.length) == original:sub(c.src + 1, c.src + c.length),
      rel .. ": bytes differ at " .. c.dst)
    checked, ranges = checked + c.length, ranges + 1
  end
  print(("%-14s %7d bytes  <- %s"):format(rel, #out, m.src))
end
os.remove(scratch)
print(("verified %d bytes in %d ranges"):format(checked, ranges))
if cleanup then os.execute("rm -rf '" .. dir .. "'") end
