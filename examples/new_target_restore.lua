-- New-target restore (docs/model.md §6.6): put a backed-up database
-- back somewhere else, its data files in one place and its logs in another.
--
-- The "ledger" writer owns a database (two data files) and its logs; its
-- schema says it supports new targets (writer_supports_new_target). After a
-- full backup into a real store, the component is restored with one new
-- target per file set: the data files to restored/data, the logs to
-- restored/logs. The writer is told (pre_restore and post_restore see the
-- new targets, as AddNewTarget recorded them), and the originals stay as
-- they are.
--
--   lua5.4 examples/new_target_restore.lua [DIR]   (DIR keeps the files; default: a
--   temporary directory under $TMPDIR or /tmp, removed at the end)
local vss = require "vss"

local dir = arg and arg[1]
local cleanup = not dir
if not dir then
  local p = assert(io.popen("mktemp -d -t luavss-newtarget.XXXXXX"))
  dir = p:read("l")
  p:close()
end
local db, logs = dir .. "/srv/ledger/data", dir .. "/srv/ledger/logs"
assert(os.execute(("mkdir -p '%s' '%s'"):format(db, logs)))
local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end
write(db .. "/ledger.db", string.rep("ledger page\n", 4096))
write(db .. "/ledger.idx", string.rep("index\n", 1000))
write(logs .. "/0001.log", "begin; insert 1; commit;\n")
write(logs .. "/0002.log", "begin; insert 2; commit;\n")

local ledger = vss.writer {
  name = "ledger", writer_id = "3f6c1a52-8d0e-4b7a-9c21-5e4f6a7b8c90",
  instance_id = "3f6c1a52-8d0e-4b7a-9c21-5e4f6a7b8c91",
  usage = "user_data", source = "transacted_db",
  identify = function(wm)
    wm:set_backup_schema { "writer_supports_new_target" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
    wm:add_component("database", nil, "ledger", { selectable = true })
    wm:add_database_files(nil, "ledger", db, "ledger.*")
    wm:add_database_log_files(nil, "ledger", logs, "*.log")
  end,
  post_restore = function(_, components)
    -- The writer learns where its files went, to recover from there.
    local c = components[1]
    for i = 1, c:get_new_target_count() do
      local t = c:get_new_target(i)
      print(("  ledger told: %s/%s -> %s"):format(t.path:sub(#dir + 2), t.filespec,
        t.alternate_location:sub(#dir + 2)))
    end
  end,
}

local store = dir .. "/store"
assert(vss.backup { writers = { ledger }, store = store, snapshot = false, progress = false })

-- One new target per file set, matched by the path and filespec the
-- writer declared.
local to = dir .. "/restored"
local r, err, code = vss.restore {
  store = store, writers = { ledger }, components = { "ledger" }, location = "new",
  new_targets = {
    { path = db, filespec = "ledger.*", to = to .. "/data" },
    { path = logs, filespec = "*.log", to = to .. "/logs" },
  },
  progress = false,
}
if not r then error(("restore: %s (%s)"):format(err, code)) end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  return data
end
for _, f in ipairs(r.files) do
  assert(f.status == "restored", f.name .. ": " .. f.status)
  assert(read(f.path) == read(f.name), f.path .. " differs from " .. f.name)
  print(("%-9s %s -> %s"):format(f.status, f.name:sub(#dir + 2), f.path:sub(#dir + 2)))
end
print(("%d files, %d bytes restored, identical to the originals"):format(r.restored, r.bytes))
if cleanup then os.execute("rm -rf '" .. dir .. "'") end
