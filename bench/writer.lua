-- What taking part costs a writer. Best of 5:
--   a backup's eight events to 20 Lua writers (identify builds and checks
--   a document each time), per writer per backup;
--   an external writer's event running /bin/true (spawn, pipe, wait,
--   BCD handed over and read back), against the peer os.execute("/bin/true")
--   (the shell's fork + exec, no BCD), per event.
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local best = require("timing").best

local function us(s) return ("%9.1f us"):format(s * 1e6) end

local function guid(i) return ("%08x-0000-0000-0000-000000000000"):format(i) end

local function lua_writer(i)
  return vss.writer {
    name = "w" .. i, writer_id = guid(i), instance_id = guid(i),
    identify = function(wm)
      wm:add_component("filegroup", nil, "data", { selectable = true })
      wm:add_files_to_file_group(nil, "data", "/srv/w" .. i, "*", true)
      wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
    end,
    freeze = function() end, thaw = function() end,
    post_snapshot = function(_, comps) comps[1]:set_backup_stamp("s") end,
  }
end

local function backup(writers)
  local s = vss.writer.session(writers)
  assert(s:identify())
  local bc = vss.components.new { backup_type = "full", select_components = true }
  for _, w in ipairs(writers) do
    bc:add_component({ writer_id = w:identity().writer_id, instance_id = w:identity().instance_id },
      "filegroup", nil, "data")
  end
  assert(s:prepare_backup(bc))
  assert(s:prepare_snapshot())
  assert(s:freeze())
  assert(s:thaw())
  assert(s:post_snapshot(bc))
  assert(s:backup_complete(bc))
  assert(s:backup_shutdown("{set}"))
  s:close()
end

local N = 20
local writers = {}
for i = 1, N do writers[i] = lua_writer(i) end
local ROUNDS = 20
local lua_t = best(5, function() for _ = 1, ROUNDS do backup(writers) end end) / ROUNDS / N

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))
local wm = vss.metadata.new { name = "ext", writer_id = guid(999), instance_id = guid(999) }
wm:add_component("filegroup", nil, "data", { selectable = true })
wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
assert(wm:save(dir .. "/wmd.xml"))
local ext = assert(vss.writer.external { metadata = dir .. "/wmd.xml", events = {
  prepare_backup = { "/bin/true" }, prepare_snapshot = { "/bin/true" }, freeze = { "/bin/true" },
  thaw = { "/bin/true" }, post_snapshot = { "/bin/true" }, backup_complete = { "/bin/true" },
  backup_shutdown = { "/bin/true" } } })
local EVENTS = 7 -- identify runs no command
local ext_t = best(5, function() backup { ext } end) / EVENTS
local peer = best(5, function() for _ = 1, EVENTS do assert(os.execute("/bin/true")) end end) / EVENTS
os.execute("rm -rf " .. dir)

print(("Lua writer, one backup's events     %s per writer"):format(us(lua_t)))
print(("external writer, one event          %s"):format(us(ext_t)))
print(("peer os.execute('/bin/true')        %s"):format(us(peer)))
print(("external event / os.execute         %9.2fx"):format(ext_t / peer))
