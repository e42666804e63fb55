-- Fidelity: a backup keeps, and a restore recreates, every entry a walk
-- reports with its metadata (README, Backup "Entries" and Restore
-- "Fidelity"): directories (empty ones too, stamped after their content),
-- symlinks (text, never followed), fifos, devices, hard links (stored once),
-- owner, mode with set-id and sticky bits, mtime in nanoseconds, xattrs and
-- ACLs, inode flags (immutable set last). A tree with every kind is backed
-- up, changed, backed up again, and each point in time restored into a
-- fresh directory is compared entry by entry with the tree as it was then.
local vss = require "vss"
local support = require "support"
local loopfs = require "loopfs"

local q, sh = support.q, support.sh

local function run(cmd)
  local out, ok = sh(cmd)
  assert(ok, cmd .. ": " .. out)
  return out
end

local function has(tool)
  return select(2, sh("command -v " .. tool)) == true
end

-- Every entry beneath root (not root itself), by its relative path: a line
-- of what a restore must give back. Hard links show as the group of names
-- sharing an inode; a directory's size is the file system's business.
local function inventory(root)
  local out = run("cd " .. q(root) .. " && find . -mindepth 1 -printf '%P\\0%y %m %U %G %T@ %s %i\\0%l\\0'")
  local t, inodes, order = {}, {}, {}
  local fields = {}
  for f in out:gmatch("([^%z]*)%z") do fields[#fields + 1] = f end
  for i = 1, #fields, 3 do
    local rel, st, link = fields[i], fields[i + 1], fields[i + 2]
    local y, mode, uid, gid, mtime, size, ino = st:match("^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$")
    local path = root .. "/" .. rel
    if y == "s" then goto next end -- sockets are not restored (r.skipped says so)
    local d = { kind = y, mode = mode, owner = uid .. ":" .. gid, mtime = mtime }
    if y == "f" then
      d.size, d.content = size, support.read(path)
      inodes[ino] = inodes[ino] or {}
      table.insert(inodes[ino], rel)
      d.ino = ino
    elseif y == "l" then
      d.link = link
    elseif y == "b" or y == "c" then
      d.rdev = run("stat -c %t:%T " .. q(path))
    end
    if has("getfattr") then
      d.xattrs = (sh("getfattr -h -d -m - -e hex --absolute-names " .. q(path)):gsub("^# file:[^\n]*\n", ""))
    end
    if y == "f" or y == "d" then
      d.flags = run("lsattr -d " .. q(path)):match("^(%S+)")
    end
    t[rel] = d
    order[#order + 1] = rel
    ::next::
  end
  for _, rel in ipairs(order) do
    local d = t[rel]
    if d.ino then
      table.sort(inodes[d.ino])
      d.links = table.concat(inodes[d.ino], "|")
      d.ino = nil
    end
  end
  return t
end

-- The differences between two descriptions, as readable lines.
local function differences(want, got)
  local diffs = {}
  for rel, w in pairs(want) do
    local g = got[rel]
    if g == nil then
      diffs[#diffs + 1] = rel .. ": missing"
    else
      for k, v in pairs(w) do
        if g[k] ~= v then
          local show = k == "content" and ("%d bytes"):format(#v) or tostring(v)
          local gshow = k == "content" and ("%d bytes"):format(#(g[k] or "")) or tostring(g[k])
          diffs[#diffs + 1] = ("%s: %s is %s, want %s"):format(rel, k, gshow, show)
        end
      end
    end
  end
  for rel in pairs(got) do
    if want[rel] == nil then diffs[#diffs + 1] = rel .. ": not in the tree at that point" end
  end
  table.sort(diffs)
  return diffs
end

local WID = "33333333-3333-3333-3333-333333333333"
local IID = "44444444-4444-4444-4444-444444444444"

local function tree_writer(dir)
  return vss.writer{ name = "tree", writer_id = WID, instance_id = IID,
    identify = function(wm)
      wm:set_backup_schema{ "incremental", "differential", "writer_supports_new_target" }
      wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
      wm:add_component("filegroup", nil, "tree", { selectable = false })
      wm:add_files_to_file_group(nil, "tree", dir, "*", true)
    end }
end

local function backup(dir, store, type, snapshot)
  return support.ok(vss.backup{ writers = { tree_writer(dir) }, store = store, snapshot = snapshot or false,
                                progress = false, type = type })
end

local function restore(store, id, to, writers)
  local r, err, code, partial = vss.restore{ store = store, backup = id, location = "new", to = to,
                                            progress = false, writers = writers }
  if not r then
    local lines = { tostring(err) .. " (" .. tostring(code) .. ")" }
    for _, f in ipairs(partial and partial.files or {}) do
      if f.status ~= "restored" then
        lines[#lines + 1] = f.name .. ": " .. f.status .. " " .. tostring(f.message)
      end
    end
    error(table.concat(lines, "\n"))
  end
  return r
end

-- Where chattr works: the spec's temporary directory, else (as root) a
-- loop-mounted XFS. Returns a base directory, the filesystem to drop (or
-- nil), and whether inode flags can be set there.
local function workspace()
  local tmp = support.tmpdir()
  local probe = tmp .. "/probe"
  support.write(probe, "")
  local flags = select(2, sh("chattr +A " .. q(probe))) == true
  os.remove(probe)
  if flags or not support.is_root() or loopfs.unavailable("xfs") then
    return tmp, nil, flags
  end
  local fs = loopfs.make("xfs", 300)
  if not fs then return tmp, nil, false end
  support.rm_rf(tmp)
  return fs.mnt, fs, true
end

describe("fidelity", function()
  local base, fs, flags, src, store

  before_each(function()
    base, fs, flags = workspace()
    src, store = base .. "/src", base .. "/store"
  end)

  after_each(function()
    if fs then
      sh("chattr -R -i -a " .. q(fs.mnt))
      loopfs.drop(fs)
    else
      sh("chattr -R -i -a " .. q(base))
      support.rm_rf(base)
    end
  end)

  -- The tree: one entry of every kind.
  local function build()
    local root = support.is_root()
    run(("mkdir -p %s/empty %s/nest/a/b/c %s/sticky %s/acl"):format(q(src), q(src), q(src), q(src)))
    support.write(src .. "/plain", "plain\n")
    support.write(src .. "/setuid", "#!/bin/sh\n")
    support.write(src .. "/name with space\nand newline", "odd\n")
    run("chmod 4755 " .. q(src .. "/setuid") .. " && chmod 1777 " .. q(src .. "/sticky"))
    run("cd " .. q(src) .. " && ln -s plain rel && ln -s /etc/passwd abs && ln -s nowhere/at/all dangling")
    -- a link text is data: blanks, a newline and the manifest's own separators
    run("ln -s " .. q("odd target\nwith = ; , % and spaces") .. " " .. q(src .. "/odd link"))
    run("mkfifo " .. q(src .. "/fifo"))
    if root then
      run("mknod " .. q(src .. "/null") .. " c 1 3 && mknod " .. q(src .. "/loop") .. " b 7 201")
    end
    support.write(src .. "/h1", "linked\n")
    run("cd " .. q(src) .. " && ln h1 h2 && ln h1 nest/a/h3")
    run("truncate -s 3M " .. q(src .. "/sparse") .. " && printf tail >> " .. q(src .. "/sparse"))
    if has("setfattr") then run("setfattr -n user.note -v hello " .. q(src .. "/plain")) end
    if has("setfacl") then
      run("setfacl -m u:nobody:r " .. q(src .. "/h1") .. " && setfacl -d -m u:nobody:rx " .. q(src .. "/acl"))
    end
    if root then run("chown 65534:65534 " .. q(src .. "/plain")) end
    if root and has("setcap") then
      -- a capability is an xattr a chown clears: given after the owner
      support.write(src .. "/capable", "cap\n")
      run("chown 65534 " .. q(src .. "/capable") .. " && setcap cap_net_raw+ep " .. q(src .. "/capable"))
    end
    run("touch -h -d '2001-02-03 04:05:06.123456789' " .. q(src .. "/rel"))
    run("touch -d '2002-03-04 05:06:07.987654321' " .. q(src .. "/plain"))
    run("touch -d '2003-04-05 06:07:08.555555555' " .. q(src .. "/nest/a/b") .. " " .. q(src .. "/empty"))
    if flags then
      support.write(src .. "/frozen", "immutable\n")
      support.write(src .. "/log", "append only\n")
      run("chattr +i " .. q(src .. "/frozen") .. " && chattr +a " .. q(src .. "/log"))
    end
    -- a socket: skipped, and said so
    if has("python3") then
      run("python3 -c " .. q("import socket; socket.socket(socket.AF_UNIX).bind('" .. src .. "/sock')"))
    end
  end

  local function check(id, want, label, writers)
    local to = base .. "/restored-" .. label
    local r = restore(store, id, to, writers)
    local diffs = differences(want, inventory(to .. src))
    assert.are.same({}, diffs, label)
    return to, r
  end

  it("restores every point of a chain exactly: kinds, owners, modes, times, xattrs, ACLs, links, flags",
     function()
    build()
    local points = {}
    local r = backup(src, store, "full")
    points[1] = { id = r.id, want = inventory(src) }
    -- what was stored and what was skipped
    local e = support.entries_by_name(vss.store.open(store), r.id)
    assert.equal("directory", e[src .. "/empty"].kind)
    assert.equal("directory", e[src .. "/nest/a/b/c"].kind)
    assert.equal("symlink", e[src .. "/dangling"].kind)
    assert.equal("fifo", e[src .. "/fifo"].kind)
    local links = 0
    for _, n in ipairs{ "h1", "h2", "nest/a/h3" } do
      if e[src .. "/" .. n].kind == "hardlink" then links = links + 1 end
    end
    assert.equal(2, links) -- stored once, the two other names link to it
    if support.is_root() then assert.equal("device", e[src .. "/loop"].kind) end
    if select(2, sh("test -S " .. q(src .. "/sock"))) then
      assert.same({ { name = src .. "/sock", reason = "socket" } }, r.skipped)
    end
    -- figures: bytes stored (holes not counted), size the logical size
    assert.is_true(r.bytes < 3 * 1024 * 1024, "bytes counts a hole: " .. r.bytes)
    assert.is_true(r.size > 3 * 1024 * 1024, "size is logical: " .. r.size)
    os.remove(src .. "/sock") -- said once; the later points compare whole with vss.tree

    -- point 2: a chmod only, a symlink retargeted, an empty directory gone,
    -- a hard link added, a nested empty directory made
    run("chmod 600 " .. q(src .. "/h1"))
    run("ln -sfn h1 " .. q(src .. "/rel"))
    run("rmdir " .. q(src .. "/empty"))
    run("ln " .. q(src .. "/h1") .. " " .. q(src .. "/nest/a/b/h4"))
    run("mkdir -p " .. q(src .. "/new/x/y"))
    r = backup(src, store, "incremental")
    points[2] = { id = r.id, want = inventory(src) }

    -- point 3: a whole directory tree gone, a file made a symlink, flags changed
    run("rm -rf " .. q(src .. "/nest"))
    run("rm " .. q(src .. "/setuid") .. " && ln -s plain " .. q(src .. "/setuid"))
    if flags then run("chattr -i " .. q(src .. "/frozen") .. " && chattr +i " .. q(src .. "/h2")) end
    run("touch -d '2004-05-06 07:08:09.111111111' " .. q(src .. "/new/x"))
    r = backup(src, store, "incremental")
    points[3] = { id = r.id, want = inventory(src) }

    -- the store verifies clean with every kind in it
    local report = support.ok(vss.store.open(store)):verify()
    assert.is_true(report.ok, report.problems[1] and report.problems[1].message)
    for i, p in ipairs(points) do check(p.id, p.want, "point" .. i) end
    -- with a writer told, each backup is a step of its own: the later steps
    -- remove what the earlier laid and is gone by then (a directory tree too)
    local _, steps = check(points[3].id, points[3].want, "steps", { tree_writer(src) })
    assert.equal(3, #steps.steps)
    -- and the comparer of vss.tree agrees: the last point against the live tree,
    -- the set's own directory included
    for _, label in ipairs{ "point3", "steps" } do
      local diffs = support.ok(vss.tree.compare(src, base .. "/restored-" .. label .. src))
      local lines = {}
      for _, d in ipairs(diffs) do lines[#lines + 1] = vss.tree.format(d) end
      assert.are.same({}, lines, label)
    end
    -- the sparse file came back sparse
    local blocks = tonumber(run("stat -c %b " .. q(base .. "/restored-point1" .. src .. "/sparse")))
    assert.is_true(blocks * 512 < 1024 * 1024, "holes filled: " .. blocks .. " blocks")
  end)

  it("restores an immutable file again over itself: flags cleared before the replace, set last", function()
    if not flags then return pending("chattr is not supported here and no XFS loop can be made") end
    run("mkdir -p " .. q(src .. "/d"))
    support.write(src .. "/d/frozen", "v1\n")
    support.write(src .. "/d/log", "a\n")
    run("chattr +i " .. q(src .. "/d/frozen") .. " && chattr +a " .. q(src .. "/d/log") ..
        " && chattr +i " .. q(src .. "/d"))
    local want = inventory(src)
    local r = backup(src, store, "full")
    local to = check(r.id, want, "first")
    -- again, onto the same place: the immutable file, the append-only one and
    -- the immutable directory are all replaced, then frozen again
    local again = restore(store, r.id, to)
    assert.equal(0, again.failed)
    assert.are.same({}, differences(want, inventory(to .. src)))
    assert.matches("i", run("lsattr -d " .. q(to .. src .. "/d/frozen")):match("^%S+"))
  end)

  it("keeps xattrs, ACLs and inode flags when it reads from a snapshot mirror (copy or reflink)",
     function()
    run("mkdir -p " .. q(src .. "/d/e"))
    support.write(src .. "/d/f", "x\n")
    run("ln -s f " .. q(src .. "/d/l"))
    if has("setfattr") then run("setfattr -n user.k -v v " .. q(src .. "/d/f")) end
    if has("setfacl") then
      run("setfacl -m u:nobody:r " .. q(src .. "/d/f") ..
          " && setfacl -d -m u:nobody:rx " .. q(src .. "/d/e"))
    end
    if flags then run("chattr +A " .. q(src .. "/d/f") .. " && chattr +d " .. q(src .. "/d/e")) end
    run("touch -d '2005-06-07 08:09:10.123456789' " .. q(src .. "/d/e"))
    local r = backup(src, store, "full", "auto")
    local to = base .. "/restored-snap"
    restore(store, r.id, to)
    local lines = {}
    for _, d in ipairs(support.ok(vss.tree.compare(src, to .. src))) do
      lines[#lines + 1] = vss.tree.format(d)
    end
    assert.are.same({}, lines)
  end)

  it("says when it could not give an entry its owner (a restore not run as root)", function()
    if not support.is_root() then return pending("needs root to make files of another owner") end
    if not has("setpriv") then return pending("needs setpriv to run as nobody") end
    -- root's files, read by nobody, who backs them up and restores them
    run("chmod 755 " .. q(base))
    support.mkdir(src .. "/sub")
    support.write(src .. "/sub/root-owned", "mine\n")
    support.mkdir(base .. "/work")
    run("chown nobody " .. q(base .. "/work"))
    local script = ([[
      local vss = require "vss"
      local src, store, to = %q, %q, %q
      local w = vss.writer{ name = "tree", writer_id = %q, instance_id = %q,
        identify = function(wm)
          wm:set_backup_schema{ "writer_supports_new_target" }
          wm:set_restore_method("restore_if_can_replace", nil, nil, "always", false)
          wm:add_component("filegroup", nil, "tree", { selectable = false })
          wm:add_files_to_file_group(nil, "tree", src, "*", true)
        end }
      assert(vss.backup{ writers = { w }, store = store, snapshot = false, progress = false })
      local r, err, code, part = vss.restore{ store = store, location = "new", to = to, progress = false }
      for _, f in ipairs((r or part).files) do
        io.write(f.name:sub(#src + 2), " ", f.status, " ", tostring(f.code), "\n")
      end
      io.write("verdict ", r and "ok" or tostring(code), "\n")
    ]]):format(src, base .. "/work/store", base .. "/work/out", WID, IID)
    local out, ok = sh(support.lua_env .. " setpriv --reuid=nobody --regid=nogroup --clear-groups lua5.4 -e "
                       .. q(script))
    assert.is_true(ok, out)
    -- in place, and said: restored with EPERM, not silent
    assert.matches("sub/root%-owned restored EPERM\n", out)
    assert.matches("sub restored EPERM\n", out)
    assert.matches("verdict ok\n", out)
    local st = run("stat -c %U " .. q(base .. "/work/out" .. src .. "/sub/root-owned"))
    assert.equal("nobody\n", st)
  end)

  it("writes the new entry kinds only in a version 2 manifest", function()
    support.mkdir(src .. "/sub")
    support.write(src .. "/only", "file\n")
    local r = backup(src, store .. "2", "full")
    local path = store .. "2/backups/" .. r.id .. "/manifest"
    local v2 = support.read(path)
    assert.matches("^luavss%-manifest 2\n", v2)
    assert.matches("\ndirectory name=", v2)
    -- the new kinds under version 1 are damage; a version past 2 is newer
    local function rewrite(first)
      local body = v2:gsub("^[^\n]*\n", first .. "\n"):gsub("end entries=[^\n]*\n$", "")
      support.write(path .. ".body", body)
      -- (xxhsum draws blanks on stderr, which run() keeps)
      local digest = run("xxhsum -H2 " .. q(path .. ".body")):match("(%x+)%s+%S+%s*$")
      local n = select(2, body:gsub("\n", "")) - 2
      run("chmod u+w " .. q(path))
      support.write(path, body .. ("end entries=%d digest=%s\n"):format(n, digest))
      os.remove(path .. ".body")
    end
    local s2 = support.ok(vss.store.open(store .. "2"))
    rewrite("luavss-manifest 2")
    assert.is_function(support.ok(s2:files(r.id))) -- the rewriting itself keeps it whole
    rewrite("luavss-manifest 1")
    local ok2, err, code = s2:files(r.id)
    assert.is_nil(ok2)
    assert.equal("ECORRUPT", code)
    assert.matches("unknown entry kind 'directory", err)
    rewrite("luavss-manifest 3")
    ok2, err, code = s2:files(r.id)
    assert.is_nil(ok2)
    assert.equal("EFORMAT", code, err)
  end)
end)
