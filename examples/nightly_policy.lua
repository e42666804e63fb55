-- A nightly backup policy: a full backup on Sundays, an incremental on the
-- other nights. The "orders" database's writer knows which 4 KiB pages
-- changed since the last backup and reports them as partial files, so an
-- incremental stores those pages and the log, nothing else
-- (docs/model.md §1, §6.1, §6.5). The week is simulated in a temporary
-- directory; in production `night` is os.date("%A") and the data is real.
local vss = require "vss"

local PAGE = 4096
local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  return out, p:close()
end
local dir = assert(sh("mktemp -d /tmp/luavss-example.XXXXXX")):gsub("%s+$", "")
local db, store_path = dir .. "/orders", dir .. "/backups"
sh("mkdir -p " .. db)
local f = assert(io.open(db .. "/orders.db", "wb"))
f:write(string.rep("\0", 256 * PAGE))
f:close()

-- The application's side: pages written since the last backup.
local dirty = {}
local function write_page(n, text)
  local h = assert(io.open(db .. "/orders.db", "r+b"))
  h:seek("set", n * PAGE)
  h:write(text)
  h:close()
  dirty[n] = true
  local log = assert(io.open(db .. "/orders.log", "ab"))
  log:write(("page %d: %s\n"):format(n, text))
  log:close()
end

local orders = vss.writer {
  name = "orders", writer_id = "7b3e3f4c-94f8-4b77-a5c4-0b5c1f0c8a11",
  instance_id = "0e8b6b2a-7c1d-4f5e-9a3b-2d4c6e8f0a12",
  usage = "user_data", source = "transacted_db",
  identify = function(wm)
    wm:set_backup_schema{ "incremental", "timestamped" }
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    wm:add_component("database", nil, "orders", { selectable = false })
    wm:add_database_files(nil, "orders", db, "orders.db")
    wm:add_database_log_files(nil, "orders", db, "orders.log")
  end,
  post_snapshot = function(bc, components)
    local c = components[1]
    if bc:get_backup_state().backup_type == "incremental" then
      local ranges = {}
      for n in pairs(dirty) do ranges[#ranges + 1] = { n * PAGE, PAGE } end
      table.sort(ranges, function(a, b) return a[1] < b[1] end)
      c:add_partial_file(db, "orders.db", vss.ranges.new(ranges):format())
    end
    c:set_backup_stamp(os.date("!%Y-%m-%dT%H:%M:%SZ"))
  end,
  backup_complete = function() dirty = {} end, -- the pages are safe now
}

local function nightly(night)
  local store = assert(vss.store.open(store_path, { create = true }))
  local kind = (night == "Sunday" or #store:list() == 0) and "full" or "incremental"
  local r, err, code = vss.backup {
    writers = { orders }, store = store, type = kind,
    partial_file_support = true, snapshot = "auto",
  }
  if not r then error(("%s: %s (%s)"):format(night, err, code)) end
  print(("%-9s %-11s %d files, %6d bytes  (%s)"):format(night, r.type, r.files, r.bytes, r.id))
end

nightly("Sunday")
write_page(3, "order 1001")
write_page(200, "order 1002")
nightly("Monday")
write_page(7, "order 1003")
nightly("Tuesday")

local store = assert(vss.store.open(store_path))
for _, b in ipairs(store:list()) do
  print(("backup %s %-11s base %s"):format(b.id, b.type, b.base or "-"))
end
sh("rm -rf " .. dir)
