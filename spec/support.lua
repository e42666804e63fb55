-- Shared helpers for the specs: temporary directories, shell commands,
-- and the facts a spec needs to decide whether it can run here.
local M = {}

-- Quote a string for /bin/sh.
function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end


-- assert for the nil, message, code convention: the code joins the message.
function M.ok(v, err, code)
  assert(v, tostring(err) .. " (" .. tostring(code) .. ")")
  return v
end

-- A backup's store entries by name: { [name] = entry }.
function M.entries_by_name(store, id)
  local t = {}
  for e in M.ok(store:files(id)) do t[e.name] = e end
  return t
end

-- Run a shell command; returns its stdout and whether it exited 0.
function M.sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok == true
end

-- A fresh temporary directory; removed by M.rm_rf when the spec is done.
function M.tmpdir()
  local out, ok = M.sh("mktemp -d /tmp/luavss-spec.XXXXXX")
  assert(ok, out)
  return (out:gsub("%s+$", ""))
end

function M.rm_rf(path)
  assert(path:match("^/tmp/luavss%-"), "refusing to remove " .. path)
  os.execute("rm -rf " .. M.q(path))
end

function M.write(path, data)
  local f = assert(io.open(path, "wb"))
  assert(f:write(data))
  assert(f:close())
end

-- mkdir -p, asserting it worked.
function M.mkdir(path)
  assert(select(2, M.sh("mkdir -p " .. M.q(path))), "mkdir " .. path)
end

-- Pseudo-random bytes (an LCG) with no period in reach, so a wrong
-- offset shows and a piece of one is found nowhere else.
function M.pattern(n, seed)
  local t, x = {}, seed
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = string.char((x >> 16) & 255)
  end
  return table.concat(t)
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  return data
end

function M.is_root()
  local out = M.sh("id -u")
  return out:match("^0%s*$") ~= nil
end

-- The project root (specs run from there) and the shared fixtures beside it.
M.root = (M.sh("pwd"):gsub("%s+$", ""))
M.testdata = M.root .. "/../shared/testdata"

-- The environment that makes a child lua5.4 load the in-tree build, from
-- any directory and as any user (absolute paths; under `make test SAN=1`
-- the sanitizer build that spec/run.sh names in VSS_CPATH).
M.lua_env = ("LUA_PATH_5_4=%s LUA_CPATH_5_4=%s"):format(
  M.q(M.root .. "/lua/?.lua;" .. M.root .. "/lua/?/init.lua;;"),
  M.q((os.getenv("VSS_CPATH") or M.root .. "/?.so") .. ";;"))

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

--- A writer whose one component ("tree") is the tree under root, a
-- recursive file set. On an incremental or differential it reports the set
-- as differenced files with the time opts.time() gives (default 0: the
-- requester decides), unless opts.differenced() says not to.
-- opts: name, writer_id, instance_id, time, differenced.
function M.tree_writer(root, opts)
  local vss = require "vss"
  opts = opts or {}
  return vss.writer{
    name = opts.name or "tree", writer_id = opts.writer_id, instance_id = opts.instance_id,
    identify = function(wm)
      wm:set_backup_schema{ "differential", "incremental", "last_modify" }
      wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
      wm:add_component("filegroup", nil, "tree", { selectable = false })
      wm:add_files_to_file_group(nil, "tree", root, "*", true)
    end,
    post_snapshot = function(bc, comps)
      local bt = bc:get_backup_state().backup_type
      if (bt == "incremental" or bt == "differential")
        and (opts.differenced == nil or opts.differenced()) then
        comps[1]:add_differenced_files_by_last_modify_time(root, "*", true,
                                                           opts.time and opts.time() or 0)
      end
    end,
  }
end

return M
