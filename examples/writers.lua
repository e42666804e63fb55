-- Two writers take part in a backup: a Lua writer for an "orders" database
-- that reports the byte ranges it changed as partial files, and an
-- external writer (a shell script) that sets a backup stamp. A session
-- sends them the events as a requester does; a third writer vetoes its
-- freeze and the backup goes on without it (docs/model.md §1, §3).
local vss = require "vss"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  return out, p:close()
end
local dir = assert(sh("mktemp -d /tmp/luavss-example.XXXXXX")):gsub("%s+$", "")

local orders = vss.writer {
  name = "orders", writer_id = "7b3e3f4c-94f8-4b77-a5c4-0b5c1f0c8a11",
  instance_id = "0e8b6b2a-7c1d-4f5e-9a3b-2d4c6e8f0a12",
  usage = "user_data", source = "transacted_db",
  timeouts = { freeze_to_thaw = 10 },
  identify = function(wm)
    wm:add_component("database", nil, "orders", { selectable = true })
    wm:add_database_files(nil, "orders", "/srv/orders", "orders.db")
    wm:add_database_log_files(nil, "orders", "/srv/orders", "orders.log")
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
  end,
  freeze = function() print("  orders: checkpoint, writes held") end,
  thaw = function() print("  orders: writes resume") end,
  post_snapshot = function(_, components)
    for _, c in ipairs(components) do
      c:add_partial_file("/srv/orders", "orders.db", "0:4096,1048576:8192")
    end
  end,
  backup_shutdown = function(id) print("  orders: session " .. tostring(id) .. " over") end,
}

-- The external writer: its metadata in a file, its events as commands.
local ext_wm = vss.metadata.new { name = "mail spool", writer_id = "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  instance_id = "6b2e3d4c-5f6a-4b7c-9d8e-0f1a2b3c4d5e", usage = "user_data" }
ext_wm:add_component("filegroup", nil, "spool", { selectable = true })
ext_wm:add_files_to_file_group(nil, "spool", "/var/spool/mail", "*", true)
ext_wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
assert(ext_wm:save(dir .. "/spool-wmd.xml"))
local script = dir .. "/spool-writer.sh"
local f = assert(io.open(script, "w"))
f:write([[#!/bin/sh
# post_snapshot: record when this backup was taken, as the writer's stamp
case "$VSS_EVENT" in
post_snapshot)
  stamp="spool-$VSS_BACKUP_TYPE"
  sed -i "s|componentName=\"spool\" componentType=\"filegroup\"|& backupStamp=\"$stamp\"|" "$VSS_BCD" ;;
esac
]])
f:close()
assert(sh("chmod +x " .. script))
local spool = assert(vss.writer.external { metadata = dir .. "/spool-wmd.xml",
  events = { post_snapshot = { script } } })

local flaky = vss.writer {
  name = "cache", writer_id = "8c3f4e5d-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
  instance_id = "9d4a5f6e-7b8c-4d9e-8f0a-2b3c4d5e6f7a",
  identify = function(wm)
    wm:add_component("filegroup", nil, "cache", { selectable = true })
    wm:add_files_to_file_group(nil, "cache", "/var/cache/app", "*", true)
    wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
  end,
  freeze = function() error(vss.writer.retryable("cache is compacting")) end,
}

local ok, err = pcall(function()
  local s <close> = vss.writer.session { orders, spool, flaky }
  assert(s:identify())
  local bc = vss.components.new { backup_type = "incremental", select_components = true,
    partial_file_support = true }
  for _, wm in ipairs(assert(s:metadata())) do
    local c = wm:get_component(1):get_component_info()
    bc:add_component(wm, c.type, c.logical_path, c.component_name)
  end
  assert(s:prepare_backup(bc))
  assert(s:prepare_snapshot())
  print("freeze:", s:freeze())
  -- ... the snapshot set is taken here ...
  assert(s:thaw())
  assert(s:post_snapshot(bc))
  for _, w in ipairs(s:writers()) do
    print(("%-10s %-30s %s"):format(w:identity().name, w:state(), w:failed_policy()))
  end
  for _, c in ipairs(bc:components()) do
    print(("component %-8s stamp=%s partial files=%d"):format(c:get_component_name(),
      tostring(c:get_backup_stamp()), c:get_partial_file_count()))
  end
  -- ... data is copied here, without the skipped writer's components ...
  assert(s:backup_complete(bc))
  assert(s:backup_shutdown("{example-set}"))
end)
sh("rm -rf " .. dir)
if not ok then error(err, 0) end
