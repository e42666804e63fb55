-- The property-test harness of issue #11: a seeded random tree and random
-- mutations of it (31 kinds, below), and a reference copy of the tree at a
-- point in time (cp -a --preserve=all, plus the inode flags cp does not
-- copy). spec/property_spec.lua drives it.
--
--   local mutate = require "mutate"
--   local t = mutate.new(root, seed, staging)  -- staging: a scratch dir outside root
--   t:generate(60)                  -- a random tree of about 60 entries
--   local kind, what = t:mutate()   -- one random applicable mutation
--   mutate.snapshot(root, ref)      -- the reference copy
--
-- The seed comes from LUAVSS_SEED when set (mutate.seed(default)); a spec
-- prints it on failure, so any run can be repeated.
local support = require "support"
local tree = require "vss.tree"
local filespec = require "vss.filespec"

local q, sh = support.q, support.sh

local M = {}

--- The seed: LUAVSS_SEED when set, else def.
function M.seed(def)
  local s = os.getenv("LUAVSS_SEED")
  if s and s ~= "" then return assert(math.tointeger(tonumber(s)), "LUAVSS_SEED: integer expected") end
  return def
end

-- splitmix64: a generator of its own, so nothing else that calls
-- math.random moves the sequence. r(n) is in 1..n.
local function rng(seed)
  local s = seed
  return function(n)
    s = s + 0x9E3779B97F4A7C15
    local z = s
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    return (z >> 1) % n + 1
  end
end
M.rng = rng

local function run(cmd)
  local out, ok = sh(cmd)
  if not ok then error(cmd .. ": " .. out, 2) end
  return out
end

local function has(cmd)
  local _, ok = sh("command -v " .. cmd)
  return ok
end

local T = {}
T.__index = T

function M.new(root, seed, staging)
  local t = setmetatable({ root = root, seed = seed, r = rng(seed), staging = staging,
    log = {}, is_root = support.is_root(), n = 0,
    has_acl = has("setfacl"), has_attr = has("setfattr"), has_chattr = has("chattr") }, T)
  support.mkdir(root)
  support.mkdir(staging)
  return t
end

function T:abs(rel)
  return rel == "" and self.root or (self.root .. "/" .. rel)
end

local function parent(rel)
  return rel:match("^(.*)/[^/]*$") or ""
end

local function join(dir, name)
  return dir == "" and name or (dir .. "/" .. name)
end

function T:pick(list)
  if #list == 0 then return nil end
  return list[self.r(#list)]
end

-- Random bytes: a run of one byte, a pattern, or text; n of them.
function T:bytes(n)
  local k = self.r(3)
  if k == 1 then return string.rep(string.char(self.r(256) - 1), n) end
  if k == 2 then return support.pattern(n, self.r(1 << 30)) end
  local t = {}
  for i = 1, n do t[i] = string.char(96 + self.r(26)) end
  return table.concat(t)
end

-- A new name: letters and digits, sometimes a space, rarely a newline.
function T:name(odd)
  local chars = "abcdefghijklmnopqrstuvwxyz0123456789_."
  local t = { string.char(96 + self.r(26)) }
  for i = 2, self.r(8) do
    local c = self.r(#chars)
    t[i] = chars:sub(c, c)
  end
  if odd or self.r(10) == 1 then table.insert(t, 1 + self.r(#t), " ") end
  if odd or self.r(25) == 1 then table.insert(t, 1 + self.r(#t), "\n") end
  return table.concat(t)
end

-- The tree as it is now: lists by kind, and what may be touched.
function T:scan()
  local s = { files = {}, dirs = { "" }, links = {}, others = {}, all = {}, info = {},
              frozen = {} }
  local it, st, ctl, closer = filespec.new(self.root, "*", true):walk{ stat = true }
  assert(it, st)
  for e in it, st, ctl, closer do
    assert(e.kind ~= "error", e.error)
    local rel = e.relpath
    s.info[rel] = e
    s.all[#s.all + 1] = rel
    if e.kind == "file" then s.files[#s.files + 1] = rel
    elseif e.kind == "directory" then s.dirs[#s.dirs + 1] = rel
    elseif e.kind == "symlink" then s.links[#s.links + 1] = rel
    else s.others[#s.others + 1] = rel end
    if e.kind == "file" or e.kind == "directory" then
      local x = tree.stat(e.path, { digest = false, xattrs = false })
      if x and x.flags and (x.flags & 0x30) ~= 0 then s.frozen[rel] = true end
    end
  end
  table.sort(s.all)
  table.sort(s.files)
  table.sort(s.dirs)
  table.sort(s.links)
  table.sort(s.others)
  return s
end

-- May rel be removed, renamed or replaced? Not when it or its directory is
-- immutable, nor (for a directory) when anything below it is.
function T.free(_, s, rel)
  if s.frozen[rel] or s.frozen[parent(rel)] then return false end
  if s.info[rel] and s.info[rel].kind == "directory" then
    for p in pairs(s.frozen) do
      if p:sub(1, #rel + 1) == rel .. "/" then return false end
    end
  end
  return true
end

-- Entries of list that satisfy ok.
local function only(list, ok)
  local t = {}
  for _, x in ipairs(list) do if ok(x) then t[#t + 1] = x end end
  return t
end

-- A fresh name in dir.
function T:fresh(s, dir, odd)
  for _ = 1, 100 do
    local n = join(dir, self:name(odd))
    if not s.info[n] and not n:find("^%.%.?$") then return n end
  end
  error("no fresh name")
end

function T.open_dirs(_, s)
  return only(s.dirs, function(d) return not s.frozen[d] end)
end

local function write(path, data, mode)
  local f = assert(io.open(path, mode or "wb"))
  assert(f:write(data))
  assert(f:close())
end

local MODES = { 420, 384, 292, 493, 448, 2541, 1517, 1023, 511, 488, 438 }
-- 0644 0600 0444 0755 0700 4755 2755 1777 0777 0750 0666
local IDS = { 0, 1000, 1234, 65534, 4242 }

-- Each mutation: name, needs (root, acl, attr, chattr), run(t, s) -> a
-- description, or nil when it has nothing to work on.
local MUTATIONS = {
  { "create", function(t, s)
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    write(t:abs(p), t:bytes(t.r(20000) - 1))
    return p
  end },
  { "append", function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] end))
    if not f then return nil end
    write(t:abs(f), t:bytes(t.r(3000)), "ab")
    return f
  end },
  { "overwrite_in_place", function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] and s.info[x].size > 0 end))
    if not f then return nil end
    local size = s.info[f].size
    local off = t.r(size) - 1
    local len = math.min(size - off, t.r(4096))
    local fh = assert(io.open(t:abs(f), "r+b"))
    fh:seek("set", off)
    local old = fh:read(len)
    local new = old:gsub(".", function(c) return string.char((c:byte() + 1) % 256) end)
    fh:seek("set", off)
    fh:write(new)
    fh:close()
    return ("%s @%d+%d"):format(f, off, len)
  end },
  { "truncate", function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] and s.info[x].size > 0 end))
    if not f then return nil end
    local n = t.r(s.info[f].size) - 1
    run(("truncate -s %d %s"):format(n, q(t:abs(f))))
    return f .. " to " .. n
  end },
  { "extend_sparse", function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] end))
    if not f then return nil end
    local n = s.info[f].size + 65536 * t.r(32)
    run(("truncate -s %d %s"):format(n, q(t:abs(f))))
    if t.r(2) == 1 then write(t:abs(f), t:bytes(t.r(100)), "ab") end
    return f .. " to " .. n
  end },
  { "rename_file", function(t, s)
    local f = t:pick(only(s.files, function(x) return t:free(s, x) end))
    if not f then return nil end
    local to = t:fresh(s, parent(f))
    run(("mv -T %s %s"):format(q(t:abs(f)), q(t:abs(to))))
    return f .. " -> " .. to
  end },
  { "rename_dir", function(t, s)
    local d = t:pick(only(s.dirs, function(x) return x ~= "" and t:free(s, x) end))
    if not d then return nil end
    local to = t:fresh(s, parent(d))
    run(("mv -T %s %s"):format(q(t:abs(d)), q(t:abs(to))))
    return d .. " -> " .. to
  end },
  { "move_across", function(t, s)
    local e = t:pick(only(s.all, function(x) return t:free(s, x) end))
    if not e then return nil end
    local dirs = only(t:open_dirs(s), function(d)
      return d ~= parent(e) and d ~= e and d:sub(1, #e + 1) ~= e .. "/"
    end)
    local d = t:pick(dirs)
    if not d then return nil end
    local to = t:fresh(s, d)
    run(("mv -T %s %s"):format(q(t:abs(e)), q(t:abs(to))))
    return e .. " -> " .. to
  end },
  { "delete", function(t, s)
    local e = t:pick(only(s.all, function(x)
      return s.info[x].kind ~= "directory" and t:free(s, x)
    end))
    if not e then return nil end
    assert(os.remove(t:abs(e)))
    return e
  end },
  { "chmod", function(t, s)
    local e = t:pick(only(s.all, function(x)
      local k = s.info[x].kind
      return (k == "file" or k == "directory") and not s.frozen[x]
    end))
    if not e then return nil end
    local cur = s.info[e].mode & 4095
    local m
    repeat m = MODES[t.r(#MODES)] until m ~= cur
    if s.info[e].kind == "directory" and not t.is_root then m = m | 448 end
    if m == cur then return nil end
    run(("chmod %o %s"):format(m, q(t:abs(e))))
    return ("%s %o"):format(e, m)
  end },
  { "chown", root = true, function(t, s)
    local e = t:pick(only(s.all, function(x) return not s.frozen[x] end))
    if not e then return nil end
    local u, g
    repeat u, g = IDS[t.r(#IDS)], IDS[t.r(#IDS)]
    until u ~= s.info[e].uid or g ~= s.info[e].gid
    run(("chown -h %d:%d %s"):format(u, g, q(t:abs(e))))
    return ("%s %d:%d"):format(e, u, g)
  end },
  { "touch_past", function(t, s)
    local e = t:pick(only(s.all, function(x) return not s.frozen[x] end))
    if not e then return nil end
    local sec, ns = 1000000000 + t.r(700000000), t.r(1000000000) - 1
    run(("touch -h -d @%d.%09d %s"):format(sec, ns, q(t:abs(e))))
    return ("%s @%d.%09d"):format(e, sec, ns)
  end },
  { "copy_in_cp_p", function(t, s)
    local src = t.staging .. "/cp-" .. t.r(1 << 30)
    write(src, t:bytes(t.r(5000)))
    run(("touch -d @%d %s"):format(1100000000 + t.r(100000000), q(src)))
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    run(("cp -p %s %s"):format(q(src), q(t:abs(p))))
    os.remove(src)
    return p
  end },
  { "add_hard_link", function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] end))
    if not f then return nil end
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    run(("ln %s %s"):format(q(t:abs(f)), q(t:abs(p))))
    return f .. " = " .. p
  end },
  { "remove_hard_link", function(t, s)
    local f = t:pick(only(s.files, function(x) return s.info[x].nlink > 1 and t:free(s, x) end))
    if not f then return nil end
    assert(os.remove(t:abs(f)))
    return f
  end },
  { "add_symlink", function(t, s)
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    local target = t.r(3) == 1 and ("nowhere/" .. t:name()) or (t:pick(s.all) or "x")
    if t.r(4) == 1 then target = "../" .. target end
    run(("ln -s %s %s"):format(q(target), q(t:abs(p))))
    return p .. " -> " .. target
  end },
  { "retarget_symlink", function(t, s)
    local l = t:pick(only(s.links, function(x) return t:free(s, x) end))
    if not l then return nil end
    local target = "elsewhere/" .. t:name()
    run(("ln -sfn %s %s"):format(q(target), q(t:abs(l))))
    return l .. " -> " .. target
  end },
  { "mkfifo", function(t, s)
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    run("mkfifo " .. q(t:abs(p)))
    return p
  end },
  { "mknod", root = true, function(t, s)
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    local kind = t.r(2) == 1 and "c" or "b"
    local major, minor = t.r(250), t.r(250) - 1
    run(("mknod %s %s %d %d"):format(q(t:abs(p)), kind, major, minor))
    return ("%s %s %d:%d"):format(p, kind, major, minor)
  end },
  { "mkdir_empty", function(t, s)
    local p = t:fresh(s, t:pick(t:open_dirs(s)))
    run("mkdir " .. q(t:abs(p)))
    return p
  end },
  { "rmdir", function(t, s)
    local d = t:pick(only(s.dirs, function(x) return x ~= "" and t:free(s, x) end))
    if not d then return nil end
    run("rm -rf " .. q(t:abs(d)))
    return d
  end },
  { "setfattr", attr = true, function(t, s)
    local e = t:pick(only(s.all, function(x)
      local k = s.info[x].kind
      return (k == "file" or k == "directory") and not s.frozen[x]
    end))
    if not e then return nil end
    local name = "user." .. t:name():gsub("[%s]", "_")
    local value = t.r(3) == 1 and ("0x" .. ("%08x"):format(t.r(1 << 30))) or t:name():gsub("\n", "_")
    run(("setfattr -n %s -v %s %s"):format(q(name), q(value), q(t:abs(e))))
    return ("%s %s=%s"):format(e, name, value)
  end },
  { "removexattr", attr = true, function(t, s)
    for _, e in ipairs(s.all) do
      local k = s.info[e].kind
      if (k == "file" or k == "directory") and not s.frozen[e] then
        local x = tree.stat(t:abs(e), { digest = false })
        for name in pairs(x and x.xattrs or {}) do
          if name:find("^user%.") then
            run(("setfattr -x %s %s"):format(q(name), q(t:abs(e))))
            return e .. " " .. name
          end
        end
      end
    end
    return nil
  end },
  { "setfacl", acl = true, function(t, s)
    local e = t:pick(only(s.all, function(x)
      local k = s.info[x].kind
      return (k == "file" or k == "directory") and not s.frozen[x]
    end))
    if not e then return nil end
    local who = (t.r(2) == 1 and "u:" or "g:") .. IDS[1 + t.r(#IDS - 1)]
    local perm = ({ "r", "rw", "rx", "rwx", "-" })[t.r(5)]
    local default = s.info[e].kind == "directory" and t.r(2) == 1
    run(("setfacl %s-m %s:%s %s"):format(default and "-d " or "", who, perm, q(t:abs(e))))
    return ("%s %s%s:%s"):format(e, default and "default " or "", who, perm)
  end },
  { "removeacl", acl = true, function(t, s)
    for _, e in ipairs(s.all) do
      if not s.frozen[e] and s.info[e].kind ~= "symlink" then
        local x = tree.stat(t:abs(e), { digest = false })
        if x and (x.xattrs["system.posix_acl_access"] or x.xattrs["system.posix_acl_default"]) then
          run("setfacl -b " .. q(t:abs(e)))
          return e
        end
      end
    end
    return nil
  end },
  { "chattr_i", root = true, chattr = true, function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] end))
    if not f then return nil end
    local _, ok = sh("chattr +i " .. q(t:abs(f)))
    if not ok then return nil end
    return f
  end },
  { "chattr_minus_i", root = true, chattr = true, function(t, s)
    local f = t:pick(only(s.files, function(x) return s.frozen[x] end))
    if not f then return nil end
    run("chattr -i -a " .. q(t:abs(f)))
    return f
  end },
  { "odd_name", function(t, s)
    local p = t:fresh(s, t:pick(t:open_dirs(s)), true)
    write(t:abs(p), t:bytes(t.r(300)))
    return p
  end },
  { "content_keep_mtime", function(t, s)
    local f = t:pick(only(s.files, function(x) return not s.frozen[x] and s.info[x].size > 0 end))
    if not f then return nil end
    local e = s.info[f]
    local fh = assert(io.open(t:abs(f), "r+b"))
    local c = fh:read(1)
    fh:seek("set", 0)
    fh:write(string.char((c:byte() + 1) % 256))
    fh:close()
    run(("touch -d @%d.%09d %s"):format(e.mtime, e.mtime_nsec, q(t:abs(f))))
    return f
  end },
  { "replace_type", function(t, s)
    local e = t:pick(only(s.all, function(x)
      return s.info[x].kind ~= "directory" and t:free(s, x)
    end))
    if not e then return nil end
    assert(os.remove(t:abs(e)))
    if t.r(2) == 1 then
      run("mkdir " .. q(t:abs(e)))
      return e .. " now a directory"
    end
    run(("ln -s %s %s"):format(q("was-" .. s.info[e].kind), q(t:abs(e))))
    return e .. " now a symlink"
  end },
  { "touch_dir", function(t, s)
    local d = t:pick(only(s.dirs, function(x) return not s.frozen[x] end))
    run(("touch -d @%d.%09d %s"):format(1200000000 + t.r(400000000), t.r(1000000000) - 1, q(t:abs(d))))
    return d == "" and "." or d
  end },
}

M.KINDS = {}
for i, m in ipairs(MUTATIONS) do M.KINDS[i] = m[1] end

function T:can(m)
  return (not m.root or self.is_root) and (not m.acl or self.has_acl)
    and (not m.attr or self.has_attr) and (not m.chattr or self.has_chattr)
end

--- The kinds this machine can run (root, tools).
function T:kinds()
  local t = {}
  for _, m in ipairs(MUTATIONS) do if self:can(m) then t[#t + 1] = m[1] end end
  return t
end

--- Apply one mutation: kind (a name) when given and applicable, else a
-- random applicable one. Returns kind, description; logged in t.log.
function T:mutate(kind)
  local s = self:scan()
  local tries = {}
  if kind then
    for _, m in ipairs(MUTATIONS) do if m[1] == kind then tries[1] = m end end
  end
  for _ = 1, 60 do
    local m = table.remove(tries, 1) or MUTATIONS[self.r(#MUTATIONS)]
    if self:can(m) then
      local what = m[2](self, s)
      if what then
        self.n = self.n + 1
        local line = ("%d %s %s"):format(self.n, m[1], what)
        self.log[#self.log + 1] = line
        return m[1], what
      end
    end
  end
  error("no mutation applies (seed " .. self.seed .. ")")
end

--- A random starting tree of about n entries.
function T:generate(n)
  local kinds = { "create", "create", "create", "mkdir_empty", "mkdir_empty", "add_symlink",
                  "add_hard_link", "extend_sparse", "setfattr", "odd_name", "mkfifo" }
  for _ = 1, n do self:mutate(kinds[self.r(#kinds)]) end
end

--- Undo what keeps rm -rf from removing a tree (immutable, append-only).
function M.thaw(dir)
  sh("chattr -R -i -a " .. q(dir) .. " 2>/dev/null")
end

--- The reference copy of src at dst: cp -a --preserve=all, then the inode
-- flags cp leaves behind, set last (an immutable file takes no attribute).
function M.snapshot(src, dst)
  run(("cp -a --preserve=all %s %s"):format(q(src), q(dst)))
  local it, st, ctl, closer = filespec.new(src, "*", true):walk{ stat = false }
  assert(it, st)
  for e in it, st, ctl, closer do
    if e.kind == "file" or e.kind == "directory" then
      local x = tree.stat(e.path, { digest = false, xattrs = false })
      if x and x.attributes and x.attributes ~= "" then
        run(("chattr +%s %s"):format(x.attributes, q(dst .. "/" .. e.relpath)))
      end
    end
  end
end

return M
