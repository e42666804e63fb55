-- The quick start (`make demo`): a tour of what luavss does today.
-- It works in a temporary directory and removes it at the end.
local vss = require "vss"

print(("luavss %s\n"):format(vss.version))

-- 1. Range lists: the byte ranges of a partial file (a writer backs up only
--    what changed) and the copy plan of a directed target at restore.
print("== range lists")
local changed = assert(vss.ranges.parse("0x10000:4096, 0:4096, 8192:4096"))
print("as the writer reported them:  " .. tostring(changed))
print("normalized (sorted, merged):  " .. changed:normalize():format())
local already = assert(vss.ranges.parse("4096:8192"))
print("changed or already stored:    " .. (changed + already):format())
print("changed and not yet stored:   " .. (changed - already):format())
print("bad input names its entry:    " .. select(2, vss.ranges.parse("0:512,,1024:512")))

-- A directed target lays each source range onto a destination range of the
-- same length, in order.
local plan = assert(vss.ranges.map("0:4096,65536:4096", "8192:4096,0:4096"))
for i, copy in ipairs(plan) do
  print(("copy %d: %d bytes from offset %d to offset %d"):format(i, copy.length, copy.src, copy.dst))
end

-- 2. File specifications: a component's file set (path + filespec +
--    recursive), expanded into the files on disk, minus an exclude.
print("\n== file specifications")
local root = io.popen("mktemp -d /tmp/luavss-demo.XXXXXX"):read("l")
local function put(rel, data)
  os.execute(("mkdir -p '%s/%s'"):format(root, rel:match("^(.*)/") or ""))
  local f = assert(io.open(root .. "/" .. rel, "wb"))
  f:write(data)
  f:close()
end
put("db/sales.mdf", ("d"):rep(8192))
put("db/sales_log.ldf", ("l"):rep(2048))
put("db/archive/2025.mdf", ("a"):rep(4096))
put("db/archive/tmp/scratch.mdf", ("s"):rep(100))
put("db/readme.txt", "not a database file\n")

local data_files = vss.filespec.new{ path = root .. "/db", filespec = "*.mdf", recursive = true }
local scratch = vss.filespec.new{ path = root .. "/db/archive/tmp", filespec = "*", recursive = true }
print(data_files)
print("excluding " .. tostring(scratch))
for entry in data_files:walk{ excludes = { scratch } } do
  if entry.kind == "file" then
    print(("  %-20s %6d bytes"):format(entry.relpath, entry.size))
  end
end

os.execute(("rm -rf '%s'"):format(root))
