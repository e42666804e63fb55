--- vss.tree: two directory trees compared entry by entry, as a restore must
-- bring one back (issue #11): type, content digest (XXH3-128, holes read as
-- zeros), symlink text, mode (setuid/setgid/sticky too), owner, group, mtime
-- in nanoseconds, size, extended attributes, POSIX ACLs, inode flags,
-- device numbers, hard-link groups, and entries missing from either side.
-- The C core (csrc/files/entry_stat.c) reads each entry; this module walks
-- and compares. tools/vss-compare is the command over it.
local core = require "vss.core"
local filespec = require "vss.filespec"

local C = core.tree
local M = {}

--- What `ignore` may name, with what each covers.
local IGNORABLE = {
  content = "the content digest of regular files",
  size = "the size of regular files",
  target = "the text of symlinks",
  mode = "permission bits, setuid, setgid and sticky",
  owner = "uid and gid",
  uid = "the owning user",
  gid = "the owning group",
  mtime = "mtimes of every entry",
  mtime_files = "mtimes of entries other than directories and symlinks",
  mtime_dirs = "mtimes of directories",
  mtime_symlinks = "mtimes of symlinks",
  xattrs = "extended attributes other than ACLs",
  acls = "POSIX ACLs (system.posix_acl_access, system.posix_acl_default)",
  flags = "inode flags (chattr)",
  rdev = "device numbers of character and block devices",
  links = "hard-link groups",
  missing = "entries of a that b lacks",
  extra = "entries of b that a lacks",
  root = "the attributes of the two top directories themselves",
}
M.IGNORABLE = IGNORABLE

local function valid_list()
  local t = {}
  for k in pairs(IGNORABLE) do t[#t + 1] = k end
  table.sort(t)
  return table.concat(t, ", ")
end

local function argerror(n, msg)
  error(("bad argument #%d to 'compare' (%s)"):format(n, msg), 3)
end

--- vss.tree.stat(path) -> { type=, mode=, uid=, gid=, size=, mtime=, mtime_nsec=, ino=, dev=,
-- nlink=, digest=, target=, xattrs = {name = value}, flags=, attributes=, rdev_major=,
-- rdev_minor=, error=, code= } | nil, message, code. Never follows a symlink.
function M.stat(path, opts)
  return C.stat(path, opts)
end

local ACL_TAGS = { [1] = "user:", [2] = "user:", [4] = "group:", [8] = "group:",
                   [0x10] = "mask:", [0x20] = "other:" }

--- The text form of a POSIX ACL xattr value (getfacl's short form,
-- numeric ids): "user::rw-,user:1000:r--,group::r--,mask::r--,other::r--".
function M.acl_text(value)
  if #value < 4 or (#value - 4) % 8 ~= 0 or string.unpack("<I4", value) ~= 2 then
    return "(bad ACL: " .. #value .. " bytes)"
  end
  local out = {}
  for pos = 5, #value, 8 do
    local tag, perm, id = string.unpack("<I2I2I4", value, pos)
    local qual = (tag == 2 or tag == 8) and tostring(id) or ""
    out[#out + 1] = (ACL_TAGS[tag] or ("tag" .. tag .. ":")) .. qual .. ":"
      .. ((perm & 4) ~= 0 and "r" or "-") .. ((perm & 2) ~= 0 and "w" or "-")
      .. ((perm & 1) ~= 0 and "x" or "-")
  end
  return table.concat(out, ",")
end

local ACL_NAMES = { ["system.posix_acl_access"] = "access", ["system.posix_acl_default"] = "default" }

-- Every entry of the tree at root: { [relpath] = record }, "." the root.
local function read_tree(root, want)
  local top, err, code = C.stat(root, want)
  if not top then return nil, err, code end
  if top.type ~= "directory" then return nil, root .. ": not a directory", "ENOTDIR" end
  local t = { ["."] = top }
  local it, state, ctl, closer = filespec.new(root, "*", true):walk{ stat = false }
  if not it then return nil, state, ctl end
  for e in it, state, ctl, closer do
    if e.kind == "error" then
      if e.relpath == "" then return nil, e.error, e.code end
      t[e.relpath] = { type = "error", error = e.error, code = e.code }
    else
      local r, msg, c = C.stat(e.path, want)
      t[e.relpath] = r or { type = "error", error = msg, code = c }
    end
  end
  return t
end

local function dirname(p)
  return p:match("^(.*)/[^/]*$") or "."
end

-- The order of the report: parents first, then their entries by name.
local function tree_key(p)
  return p == "." and "" or (p:gsub("/", "\0"))
end

local function mtime_ns(r)
  return r.mtime * 1000000000 + r.mtime_nsec
end

-- Hard links: in each tree the names sharing an inode; compared over the
-- entries both trees hold with the same (non-directory) type, as two
-- partitions of those names. One difference per connected piece of the
-- two partitions that is not one same group on both sides.
local function compare_links(A, B, common, add)
  local parent = {}
  local function find(x)
    while parent[x] ~= x do
      parent[x] = parent[parent[x]]
      x = parent[x]
    end
    return x
  end
  local function union(x, y)
    x, y = find(x), find(y)
    if x ~= y then
      if x < y then parent[y] = x else parent[x] = y end
    end
  end
  local function groups(T)
    local by_inode, of = {}, {}
    for _, p in ipairs(common) do
      local r = T[p]
      local k = r.dev .. ":" .. r.ino
      by_inode[k] = by_inode[k] or {}
      table.insert(by_inode[k], p)
      of[p] = by_inode[k]
    end
    return of
  end
  for _, p in ipairs(common) do parent[p] = p end
  local ga, gb = groups(A), groups(B)
  for _, p in ipairs(common) do
    union(p, ga[p][1])
    union(p, gb[p][1])
  end
  local pieces, order = {}, {}
  for _, p in ipairs(common) do
    local root = find(p)
    if not pieces[root] then
      pieces[root] = { members = {} }
      order[#order + 1] = root
    end
    table.insert(pieces[root].members, p)
  end
  for _, root in ipairs(order) do
    local piece = pieces[root]
    local n = #piece.members
    local first = piece.members[1]
    if not (#ga[first] == n and #gb[first] == n) then
      local function partition(g)
        local seen, out = {}, {}
        for _, p in ipairs(piece.members) do
          if not seen[g[p]] then
            seen[g[p]] = true
            local names = { table.unpack(g[p]) }
            table.sort(names)
            out[#out + 1] = names
          end
        end
        table.sort(out, function(x, y) return x[1] < y[1] end)
        return out
      end
      local a, b = partition(ga), partition(gb)
      add(a[1][1], "links", a, b)
    end
  end
end

local function compare_entry(p, x, y, ig, add, settable)
  if x.type == "error" or y.type == "error" or x.error or y.error then
    add(p, "error", x.error, y.error)
    if x.type == "error" or y.type == "error" then return end
  end
  if x.type ~= y.type then
    add(p, "type", x.type, y.type)
    return
  end
  local t = x.type
  if t == "file" then
    if not ig.size and x.size ~= y.size then add(p, "size", x.size, y.size) end
    if not ig.content and x.digest and y.digest and x.digest ~= y.digest then
      add(p, "content", x.digest, y.digest)
    end
  elseif t == "symlink" then
    if not ig.target and x.target ~= y.target then add(p, "target", x.target, y.target) end
  elseif t == "char_device" or t == "block_device" then
    local ra, rb = x.rdev_major .. ":" .. x.rdev_minor, y.rdev_major .. ":" .. y.rdev_minor
    if not ig.rdev and ra ~= rb then add(p, "rdev", ra, rb) end
  end
  if t ~= "symlink" and not ig.mode and x.mode ~= y.mode then add(p, "mode", x.mode, y.mode) end
  if not ig.uid and x.uid ~= y.uid then add(p, "uid", x.uid, y.uid) end
  if not ig.gid and x.gid ~= y.gid then add(p, "gid", x.gid, y.gid) end
  local mt = t == "directory" and "mtime_dirs" or t == "symlink" and "mtime_symlinks" or "mtime_files"
  if not ig.mtime and not ig[mt] and mtime_ns(x) ~= mtime_ns(y) then
    add(p, "mtime", mtime_ns(x), mtime_ns(y))
  end
  local names = {}
  for k in pairs(x.xattrs) do names[#names + 1] = k end
  for k in pairs(y.xattrs) do if x.xattrs[k] == nil then names[#names + 1] = k end end
  table.sort(names)
  for _, k in ipairs(names) do
    local va, vb = x.xattrs[k], y.xattrs[k]
    if va ~= vb then
      local acl = ACL_NAMES[k]
      if acl then
        if not ig.acls then
          add(p, "acl", va and M.acl_text(va), vb and M.acl_text(vb), acl)
        end
      elseif not ig.xattrs then
        add(p, "xattr", va, vb, k)
      end
    end
  end
  local fa, fb = (x.flags or 0) & settable, (y.flags or 0) & settable
  if not ig.flags and fa ~= fb then
    add(p, "flags", x.attributes or "", y.attributes or "")
  end
end

local function check_ignore(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argerror(3, "table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if k ~= "ignore" then argerror(3, "unknown option '" .. tostring(k) .. "'") end
  end
  local ig = {}
  local list = opts.ignore or {}
  if type(list) == "string" then list = { list } end
  if type(list) ~= "table" then argerror(3, "ignore: list of names expected") end
  for i, name in ipairs(list) do
    if not IGNORABLE[name] then
      argerror(3, ("ignore: entry %d '%s' is not one of: %s"):format(i, tostring(name), valid_list()))
    end
    ig[name] = true
  end
  if ig.owner then ig.uid, ig.gid = true, true end
  return ig
end

--- vss.tree.compare(a, b [, { ignore = { "mtime_dirs", "owner", ... } }])
-- -> { {path=, what=, a=, b= [, name=]}, ... }, { a = n_entries, b = n_entries }
--  | nil, message, code (a tree that cannot be read at all).
-- what: "missing" (in a only), "extra" (in b only), "type", "content", "size", "target",
-- "mode", "uid", "gid", "mtime" (integer ns), "xattr" / "acl" (name= says which), "flags",
-- "rdev", "links" (a and b: lists of groups of names), "error" (a part unreadable).
-- Paths are relative to a and b ("." is the top); parents come before their entries. The
-- names of one inode (hard links) on both sides have its attributes reported once, at the first.
function M.compare(a, b, opts)
  if type(a) ~= "string" then argerror(1, "string expected, got " .. type(a)) end
  if type(b) ~= "string" then argerror(2, "string expected, got " .. type(b)) end
  local ig = check_ignore(opts)
  local want = { digest = not ig.content, xattrs = not (ig.xattrs and ig.acls), flags = not ig.flags }
  local A, err, code = read_tree(a, want)
  if not A then return nil, err, code end
  local B
  B, err, code = read_tree(b, want)
  if not B then return nil, err, code end
  local paths = {}
  for p in pairs(A) do paths[#paths + 1] = p end
  for p in pairs(B) do if A[p] == nil then paths[#paths + 1] = p end end
  local keys = {}
  for _, p in ipairs(paths) do keys[p] = tree_key(p) end
  table.sort(paths, function(x, y) return keys[x] < keys[y] end)

  local diffs = {}
  local function add(path, what, va, vb, name)
    diffs[#diffs + 1] = { path = path, what = what, a = va, b = vb, name = name }
  end
  -- an entry below one reported missing, extra or of another type is not
  -- reported again
  local cut = {}
  local common, same_inode = {}, {}
  local settable = C.SETTABLE_FLAGS
  for _, p in ipairs(paths) do
    if p ~= "." and cut[dirname(p)] then
      cut[p] = true
    else
      local x, y = A[p], B[p]
      if not y then
        cut[p] = true
        if not ig.missing then add(p, "missing", x.type, nil) end
      elseif not x then
        cut[p] = true
        if not ig.extra then add(p, "extra", nil, y.type) end
      elseif not (p == "." and ig.root) then
        if x.type ~= y.type then cut[p] = true end
        -- the names of one inode on both sides: its attributes once, at the first
        local pair = x.type ~= "directory" and x.ino and y.ino
          and (x.dev .. ":" .. x.ino .. "|" .. y.dev .. ":" .. y.ino)
        if not (pair and same_inode[pair]) then
          if pair then same_inode[pair] = true end
          compare_entry(p, x, y, ig, add, settable)
        end
      end
      if x and y and x.type == y.type and x.type ~= "directory" and x.type ~= "error" then
        common[#common + 1] = p
      end
    end
  end
  if not ig.links then
    local before = #diffs
    compare_links(A, B, common, add)
    if #diffs > before then
      -- keep the report in tree order
      local order = {}
      for i, d in ipairs(diffs) do order[d] = i end
      table.sort(diffs, function(x, y)
        local kx, ky = tree_key(x.path), tree_key(y.path)
        if kx ~= ky then return kx < ky end
        return order[x] < order[y]
      end)
    end
  end
  local na, nb = 0, 0
  for _ in pairs(A) do na = na + 1 end
  for _ in pairs(B) do nb = nb + 1 end
  return diffs, { a = na, b = nb }
end

-- A path or value printable on one line: quoted with escapes when it holds
-- control characters, quotes, backslashes or blanks at its ends.
local function show(s)
  if type(s) ~= "string" then return tostring(s) end
  if not s:find("[%c\"\\]") and not s:find("^%s") and not s:find("%s$") and s ~= "" then
    return s
  end
  return '"' .. s:gsub("[%c\"\\]", function(c)
    if c == "\n" then return "\\n" elseif c == "\t" then return "\\t"
    elseif c == '"' or c == "\\" then return "\\" .. c end
    return ("\\x%02x"):format(c:byte())
  end) .. '"'
end

local function show_value(what, v)
  if v == nil then return "(none)" end
  if what == "mode" then return ("%04o"):format(v) end
  if what == "mtime" then
    local s, ns = v // 1000000000, v % 1000000000
    return ("%s.%09dZ"):format(os.date("!%Y-%m-%dT%H:%M:%S", s), ns)
  end
  if what == "links" then
    local groups = {}
    for i, g in ipairs(v) do
      local names = {}
      for j, n in ipairs(g) do names[j] = show(n) end
      groups[i] = "{" .. table.concat(names, " ") .. "}"
    end
    return table.concat(groups, " ")
  end
  if what == "xattr" and type(v) == "string" and v:find("[^\32-\126]") then
    return "0x" .. v:gsub(".", function(c) return ("%02x"):format(c:byte()) end)
  end
  if what == "flags" and v == "" then return "(none)" end
  return show(v)
end

--- One difference as one line: "<path>: <what>[ <name>]: <a> -> <b>".
function M.format(d)
  local what = d.name and (d.what .. " " .. show(d.name)) or d.what
  return ("%s: %s: %s -> %s"):format(show(d.path), what, show_value(d.what, d.a),
    show_value(d.what, d.b))
end

return M
