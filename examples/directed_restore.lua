-- Directed restore (docs/model.md §6.2): lay ranges of a backed-up file
-- into a new layout.
--
-- A database writer's file is backed up whole into a real store. At
-- restore the writer, in pre_restore, sets its component's restore target
-- to "directed" and asks for two directed targets: the header page goes
-- to a file of its own, and four scattered data pages are laid one after
-- another into a compact file. vss.restore lays them beneath the
-- destination (digests checked, no "..", no symlinks followed, each file
-- renamed into place whole); the script checks every byte.
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
local db = dir .. "/db"
os.execute("mkdir -p '" .. db .. "'")

-- The live file: 1 MiB, every page recognisable by its number.
local pages = {}
for n = 0, 255 do pages[#pages + 1] = string.pack("<I4", n):rep(PAGE // 4) end
local original = table.concat(pages)
local f = assert(io.open(db .. "/db.dat", "wb"))
f:write(original)
f:close()

-- The directed targets: (source ranges, destination file and ranges).
local directed = {
  { file = "header", src = "0:4096", dst = "0:4096" },
  { file = "db.compact",
    src = "12288:4096, 40960:8192, 819200:4096",   -- pages 3, 10-11, 200
    dst = "0:4096, 4096:8192, 12288:4096" },
}

local w = vss.writer{
  name = "pagedb", writer_id = "d1ec7ed0-0000-4000-8000-000000000001",
  instance_id = "d1ec7ed0-0000-4000-8000-000000000002",
  identify = function(wm)
    wm:set_backup_schema{ "writer_supports_new_target" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
    wm:add_component("database", nil, "pages", { selectable = false })
    wm:add_database_files(nil, "pages", db, "*")
  end,
  pre_restore = function(_, components)
    local c = components[1]
    c:set_restore_target("directed")
    for _, m in ipairs(directed) do c:add_directed_target(db, "db.dat", m.src, db, m.file, m.dst) end
  end,
}

assert(vss.backup{ writers = { w }, store = dir .. "/store", snapshot = false, progress = false })
local out = dir .. "/restore"
local r = assert(vss.restore{ store = dir .. "/store", writers = { w }, location = "new", to = out,
                              progress = false })
print(("component %s restored by target %s: %s"):format(r.components[1].name,
  r.components[1].target, r.components[1].status))

-- Verify every byte against the original file.
local checked, ranges = 0, 0
for _, m in ipairs(directed) do
  local got = assert(io.open(out .. db .. "/" .. m.file, "rb")):read("a")
  for _, c in ipairs(assert(vss.ranges.map(m.src, m.dst))) do
    assert(got:sub(c.dst + 1, c.dst + c.length) == original:sub(c.src + 1, c.src + c.length),
      m.file .. ": bytes differ at " .. c.dst)
    checked, ranges = checked + c.length, ranges + 1
  end
  print(("%-14s %7d bytes  <- %s"):format(m.file, #got, m.src))
end
print(("verified %d bytes in %d ranges"):format(checked, ranges))
if cleanup then os.execute("rm -rf '" .. dir .. "'") end
