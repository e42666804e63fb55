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

-- 3. Documents: the writer describes its data in a Writer Metadata
--    Document; the requester records the backup in a Backup Components
--    Document, here with the byte ranges the writer says changed.
print("\n== documents")
local wm = vss.metadata.new{
  writer_id = "8c6a8e4f-3a51-4c3e-9a7b-2f0d6c1e5a10", instance_id = "0f7d2a6b-9c4e-4b1d-8e2f-5a3c7b9d1e24",
  name = "Demo DB Writer", usage = "user_data", source = "transacted_db",
}
wm:set_backup_schema{ "incremental", "timestamped" }
wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
wm:add_component("database", nil, "sales", { selectable = true })
wm:add_database_files(nil, "sales", root .. "/db", "sales.mdf")
wm:add_database_log_files(nil, "sales", root .. "/db", "*.ldf")
assert(wm:validate())
print(wm)
local bc = vss.components.new{ backup_type = "incremental", select_components = true,
                               partial_file_support = true }
local state = bc:add_component(wm, "database", nil, "sales")
state:add_partial_file(root .. "/db", "sales.mdf", "0:4096")
state:set_backup_stamp("lsn:42311")
print(("BCD: %d bytes of XML; partial file %s"):format(#bc:xml(), select(3, state:get_partial_file(1))))

-- 4. A snapshot set and the store: take a point-in-time view, back the
--    database file up from it, then keep only the changed range in an
--    incremental, and check every stored byte.
print("\n== snapshot set and store")
local set <close> = assert(vss.snapshot_set{ provider = "auto" })
assert(set:add(root .. "/db"))
assert(set:take())
local chosen = set:providers()[1]
print(("snapshot set %s: %s provider (%s)"):format(set:id(), chosen.provider, chosen.reason))
local live = assert(io.open(root .. "/db/sales.mdf", "r+b"))
live:write(("X"):rep(4096))               -- the application goes on writing
live:close()

local store = assert(vss.store.open(root .. "/store", { create = true }))
local tx = assert(store:begin{ type = "full" })
assert(tx:add_document(vss.store.COMPONENTS, bc:xml()))
assert(tx:add_file("/srv/db/sales.mdf", set:path(root .. "/db/sales.mdf")))
local full = assert(tx:commit())
tx = assert(store:begin{ type = "incremental", base = full })
assert(tx:add_file("/srv/db/sales.mdf", root .. "/db/sales.mdf", { ranges = vss.ranges.parse("0:4096") }))
local incr = assert(tx:commit())
for _, b in ipairs(store:list()) do
  print(("backup %s  %-11s %d file(s), %d bytes stored"):format(b.id, b.type, b.files, b.stored))
end
local stored = assert(store:read(full, "/srv/db/sales.mdf"))
print(("the full backup holds the file as of the snapshot: %q..., live: XXXX..."):format(stored:sub(1, 4)))
local check = store:verify()
print(("verify: %s, %d bytes read back"):format(check.ok and "all digests match" or "DAMAGED", check.bytes))
assert(check.ok and incr)
set:delete()
os.execute(("rm -rf '%s'"):format(root))
