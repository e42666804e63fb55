local support = require "support"
local fs = require("vss").filespec
local q = support.q

local function mkdirs(root, list)
  for _, rel in ipairs(list) do
    if rel:sub(-1) == "/" then
      assert(os.execute("mkdir -p " .. q(root .. "/" .. rel)))
    else
      support.write(root .. "/" .. rel, rel)
    end
  end
end

-- Walk and return the sorted "kind relpath" lines, and the entries by relpath.
local function walk(d, opts)
  local lines, by = {}, {}
  for e in assert(d:walk(opts)) do
    lines[#lines + 1] = e.kind .. " " .. e.relpath .. (e.code and (" " .. e.code) or "")
    by[e.relpath] = e
  end
  table.sort(lines)
  return table.concat(lines, "\n"), by
end

-- Open descriptors of this process, counted with the walker itself (its
-- own directory fd is one of them, the same in every count).
local function open_fds()
  local n = 0
  for _ in fs.new("/proc/self/fd", "*"):walk() do n = n + 1 end
  return n
end

local function doc_tree(root)
  mkdirs(root, { "Directory1/", "Directory1/File1.txt", "Directory1/File2.txt",
    "Directory1/Directory2/", "Directory1/Directory2/File1.txt",
    "Directory1/Directory2/File2.txt", "Directory1/Directory3/" })
  return root .. "/Directory1"
end

describe("vss.filespec.new", function()
  it("takes a table or positional arguments and reads back every field", function()
    local d = fs.new { path = [[C:\Data]], filespec = "*.mdf", recursive = true,
      alternate_location = [[D:\Alt]], backup_type = { "full_backup_required", "log_backup_required" } }
    assert.equals("vss.FileDesc", getmetatable(d).__name)
    assert.equals([[C:\Data]], d.path)
    assert.equals("*.mdf", d.filespec)
    assert.is_true(d.recursive)
    assert.equals([[D:\Alt]], d.alternate_location)
    assert.equals(0x9, d.backup_type)
    assert.same({ "full_backup_required", "log_backup_required" }, d:backup_types())
    assert.equals([[vss.FileDesc(C:\Data [*.mdf] recursive alternate_location=D:\Alt backup_type=0x9)]],
      tostring(d))

    local p = fs.new("/srv/db", "master.mdf")
    assert.is_false(p.recursive)
    assert.is_nil(p.alternate_location)
    assert.equals(3855, p.backup_type) -- VSS_FSBT_DEFAULT, as every real sample shows
    assert.equals(8, #p:backup_types())
    assert.equals("vss.FileDesc(/srv/db [master.mdf])", tostring(p))
    assert.equals(0x10000, fs.new("/x", "*", false, nil, { "created_during_backup" }).backup_type)
    assert.equals(0xF00, fs.new("/x", "*", false, nil, { "all_snapshot_required" }).backup_type)
    assert.equals(0x104, fs.new("/x", "*", false, nil, 0x104).backup_type)
    assert.same({ "incremental_backup_required", "full_snapshot_required" },
      fs.new("/x", "*", false, nil, 0x104):backup_types())
    assert.equals(fs.backup_types.log_snapshot_required, 0x800)
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() fs.new("/a*b", "*") end,
      "bad argument #1 to 'new' (path: wildcard '*' at position 3 in '/a*b')")
    assert.has_error(function() fs.new { path = "/a", filespec = "sub/x" } end,
      "bad argument #1 to 'new' (filespec: directory separator at position 4 in 'sub/x')")
    assert.has_error(function() fs.new { path = "/a" } end,
      "bad argument #1 to 'new' (filespec: string expected, got nil)")
    assert.has_error(function() fs.new { path = "/a", filespec = "*", recursve = true } end,
      "bad argument #1 to 'new' (unknown field 'recursve')")
    assert.has_error(function() fs.new { path = "/a", filespec = "*", recursive = "yes" } end,
      "bad argument #1 to 'new' (recursive: boolean expected, got string)")
    assert.has_error(function() fs.new("/a", "*", false, nil, { "full_backup_required", "fast" }) end,
      "bad argument #1 to 'new' (backup_type: unknown name 'fast' at entry 2)")
    assert.has_error(function() fs.new("/a", "*", false, nil, 0x20) end,
      "bad argument #1 to 'new' (backup_type: unknown bits in 0x20)")
    assert.has_error(function() fs.new("/a", "*", false, "") end,
      "bad argument #1 to 'new' (alternate_location: empty)")
    assert.has_error(function() fs.new("/a", "*", false, nil, nil, "extra") end)
    assert.has_error(function() fs.new(nil, "*") end)
  end)
end)

describe("vss.filespec.match", function()
  it("follows the FindFirstFile-inferred rules", function()
    local cases = {
      -- filespec, name, case-sensitive result, caseless result
      { "*", "a.txt", true, true }, { "*", "", true, true },
      { "*.*", "noext", true, true }, { "*.*", ".hidden", true, true },
      { "File1.*", "File1.txt", true, true }, { "File1.*", "File1", true, true },
      { "File1.*", "File2.txt", false, false }, { "file1.*", "File1.txt", false, true },
      { "Perfc???.dat", "Perfc009.dat", true, true }, { "Perfc???.dat", "Perfc09.dat", false, false },
      { "edb*.log", "edb.log", true, true }, { "SAM", "sam", false, true },
      { "?", "é", true, true }, { "[a]", "a", false, false },
    }
    for i, c in ipairs(cases) do
      assert.equals(c[3], fs.match(c[1], c[2]), "case " .. i)
      assert.equals(c[4], fs.match(c[1], c[2], { caseless = true }), "caseless case " .. i)
    end
  end)

  it("stays fast on patterns that make backtracking matchers explode", function()
    local name = ("a"):rep(50000)
    assert.is_false(fs.match(("*a"):rep(20) .. "*b", name))
    assert.is_true(fs.match(("*a"):rep(20), name))
  end)

  it("rejects a filespec with a separator", function()
    assert.has_error(function() fs.match("a/b", "b") end,
      "bad argument #1 to 'match' (filespec: directory separator)")
  end)
end)

describe("FileDesc:same_set", function()
  it("compares the triple with separators normalized", function()
    local a = fs.new([[C:\Data\]], "*.mdf", true)
    assert.is_true(a:same_set(fs.new([[C:\Data]], "*.mdf", true, [[D:\other]], 1)))
    assert.is_false(a:same_set(fs.new([[C:\Data]], "*.mdf", false)))
    assert.is_false(a:same_set(fs.new([[c:\data]], "*.MDF", true)))
    assert.is_true(a:same_set(fs.new([[c:\data]], "*.MDF", true), { caseless = true }))
    assert.has_error(function() a:same_set("C:\\Data") end)
  end)
end)

describe("FileDesc:walk", function()
  local root
  before_each(function() root = support.tmpdir() end)
  after_each(function()
    os.execute("chmod -R u+rwx " .. q(root))
    support.rm_rf(root)
  end)

  it("selects as the VSS doc example does (recursion, directories reported)", function()
    local d1 = doc_tree(root)
    assert.equals(table.concat({ "directory Directory2", "directory Directory3",
      "file Directory2/File1.txt", "file File1.txt" }, "\n"), walk(fs.new(d1, "File1.*", true)))
    assert.equals(table.concat({ "directory Directory2", "directory Directory3",
      "file Directory2/File1.txt", "file Directory2/File2.txt", "file File1.txt", "file File2.txt" },
      "\n"), walk(fs.new(d1, "*", true)))
    assert.equals("file File1.txt\nfile File2.txt", walk(fs.new(d1, "*", false)))
    assert.equals("", walk(fs.new(d1, "file1.*", false)))
    assert.equals("file File1.txt", walk(fs.new(d1, "file1.*", false), { caseless = true }))
  end)

  it("gives lstat data for each entry", function()
    local d1 = doc_tree(root)
    local _, by = walk(fs.new(d1, "*", true))
    local e = by["Directory2/File2.txt"]
    local out = support.sh("stat -c '%s %f %Y %u %g %i %d %h %y' " .. q(d1 .. "/Directory2/File2.txt"))
    local size, mode, mtime, uid, gid, ino, dev, nlink, frac =
      out:match("^(%d+) (%x+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) %S+ %d+:%d+:%d+%.(%d+)")
    assert.equals(tonumber(size), e.size)
    assert.equals(tonumber(mode, 16), e.mode)
    assert.equals(tonumber(mtime), e.mtime)
    assert.equals(tonumber(frac), e.mtime_nsec)
    assert.equals(tonumber(uid), e.uid)
    assert.equals(tonumber(gid), e.gid)
    assert.equals(tonumber(ino), e.ino)
    assert.equals(tonumber(dev), e.dev)
    assert.equals(tonumber(nlink), e.nlink)
    assert.equals(d1 .. "/Directory2/File2.txt", e.path)
    assert.equals(e.path, e.original)
    assert.equals("File2.txt", e.name)
    assert.is_nil(e.error)
    assert.equals("directory", by.Directory3.kind)
  end)

  it("skips the lstat of files with stat = false, keeping kinds and paths", function()
    local d1 = doc_tree(root)
    assert(os.execute("ln -s File1.txt " .. q(d1 .. "/link")))
    local with = walk(fs.new(d1, "*", true))
    local without, by = walk(fs.new(d1, "*", true), { stat = false })
    assert.equals(with, without)
    assert.is_nil(by["File1.txt"].size)
    assert.is_nil(by["link"].mode)
    assert.equals("symlink", by["link"].kind)
    assert.is_number(by["Directory2"].ino) -- directories are opened, their data comes free
  end)

  it("subtracts excludes given as descriptors or tables", function()
    local d1 = doc_tree(root)
    mkdirs(root, { "Directory1/Directory2/Deep/", "Directory1/Directory2/Deep/File1.txt" })
    local d2 = d1 .. "/Directory2"
    local got = walk(fs.new(d1, "*", true), { excludes = { fs.new(d2, "File1.*", false) } })
    assert.equals(table.concat({ "directory Directory2", "directory Directory2/Deep", "directory Directory3",
      "file Directory2/Deep/File1.txt", "file Directory2/File2.txt", "file File1.txt", "file File2.txt" },
      "\n"), got)
    got = walk(fs.new(d1, "*", true), { excludes = {
      { path = d2, filespec = "File1.*", recursive = true }, { d1 .. "/", "File2.txt" } } })
    assert.equals(table.concat({ "directory Directory2", "directory Directory2/Deep", "directory Directory3",
      "file Directory2/File2.txt", "file File1.txt" }, "\n"), got)
    assert.equals("directory Directory2\ndirectory Directory3\nfile File1.txt\nfile File2.txt",
      walk(fs.new(d1, "*", true), { excludes = { fs.new(d2, "*", true) } }))
    assert.has_error(function() fs.new(d1, "*"):walk { excludes = { 42 } } end,
      "bad argument #1 to 'walk' (excludes[1]: vss.FileDesc or table expected, got number)")
    assert.has_error(function() fs.new(d1, "*"):walk { excludes = { { path = d1 } } } end,
      "bad argument #1 to 'walk' (excludes[1].filespec: string expected, got nil)")
    assert.has_error(function() fs.new(d1, "*"):walk { exclude = {} } end,
      "bad argument #1 to 'walk' (unknown option 'exclude')")
  end)

  it("reads an alternate location and reports the path it stands for", function()
    local d1 = doc_tree(root)
    mkdirs(root, { "Alt/", "Alt/File1.txt", "Alt/Sub/", "Alt/Sub/File1.txt" })
    local got, by = walk(fs.new(d1, "File1.*", true, root .. "/Alt"))
    assert.equals("directory Sub\nfile File1.txt\nfile Sub/File1.txt", got)
    assert.equals(root .. "/Alt/Sub/File1.txt", by["Sub/File1.txt"].path)
    assert.equals(d1 .. "/Sub/File1.txt", by["Sub/File1.txt"].original)
  end)

  it("reports symlinks as symlinks and never follows them (loops, outside dirs)", function()
    mkdirs(root, { "outside/", "outside/secret", "tree/", "tree/dir/", "tree/dir/f" })
    assert(os.execute(("ln -s %s %s && ln -s . %s && ln -s ../.. %s"):format(
      q(root .. "/outside"), q(root .. "/tree/out"), q(root .. "/tree/dir/loop"),
      q(root .. "/tree/dir/up"))))
    local got, by = walk(fs.new(root .. "/tree", "*", true))
    assert.equals("directory dir\nfile dir/f\nsymlink dir/loop\nsymlink dir/up\nsymlink out", got)
    assert.equals(tonumber("a000", 16), by.out.mode & 0xF000)
  end)

  it("reports an unreadable directory and goes on", function()
    mkdirs(root, { "tree/", "tree/a/", "tree/a/one", "tree/locked/", "tree/locked/hidden", "tree/z/",
      "tree/z/two" })
    assert(os.execute("chmod 755 " .. q(root) .. " && chmod 000 " .. q(root .. "/tree/locked")))
    local script = ([[
      local fs = require "vss".filespec
      local t = {}
      for e in fs.new(%q, "*", true):walk() do
        t[#t + 1] = e.kind .. " " .. e.relpath .. " " .. (e.code or "")
      end
      table.sort(t); io.write(table.concat(t, ";"))
    ]]):format(root .. "/tree")
    local env = support.lua_env .. " "
    local runner = ""
    if support.is_root() then
      -- root reads through mode 000: walk as nobody instead.
      local _, has = support.sh("command -v setpriv")
      if not has then return pending("needs setpriv to test EACCES as root") end
      runner = "setpriv --reuid=nobody --regid=nogroup --clear-groups "
    end
    local out, ok = support.sh(env .. runner .. "lua5.4 -e " .. q(script))
    assert.is_true(ok, out)
    assert.equals("directory a ;directory z ;error locked EACCES;file a/one ;file z/two ", out)
  end)

  it("reports an unopenable walked directory as one error entry", function()
    local got, by = walk(fs.new(root .. "/missing", "*", true))
    assert.equals("error  ENOENT", got)
    assert.matches("missing", by[""].error)
    assert.equals(root .. "/missing", by[""].path)
  end)

  it("closes its directories on break (the walker is the 4th value) and on exhaustion", function()
    local d1 = doc_tree(root)
    local before = open_fds()
    local f, s, c, w = fs.new(d1, "*", true):walk()
    assert.equals("vss.Walker", getmetatable(w).__name)
    for e in f, s, c, w do
      if e.kind == "directory" then
        assert.matches("^vss.Walker %(open, 2 directories deep%)$", tostring(w))
        break
      end
    end
    assert.equals("vss.Walker (closed)", tostring(w))
    assert.equals(before, open_fds())
    assert.has_error(function() w:next() end, "attempt to use a closed vss.Walker")
    w:close() -- idempotent

    f, s, c, w = fs.new(d1, "*", true):walk()
    for _ in f, s, c, w do end
    assert.equals("vss.Walker (closed)", tostring(w)) -- the for closes it on normal exit too
    assert.equals(before, open_fds())
    w = select(4, fs.new(d1, "*", true):walk())
    while w:next() do end
    assert.equals("vss.Walker (done)", tostring(w)) -- exhausted: directories already closed
    assert.equals(before, open_fds())
    assert.is_nil(w:next())

    do
      local _, _, _, w2 <close> = fs.new(d1, "*", true):walk()
      w2:next()
      assert.is_true(open_fds() > before)
    end
    assert.equals(before, open_fds())
  end)

  it("walks 10,000 files in bounded memory", function()
    local n = 10000
    local long = ("x"):rep(120)
    -- Two levels so directories are pushed and popped many times.
    assert(os.execute(("cd %s && for d in $(seq 0 99); do mkdir d$d; done && "
      .. "for d in $(seq 0 99); do (cd d$d && seq 0 99 | sed 's/^/%s/' | xargs touch); done")
      :format(q(root), long)))
    local function rss()
      local s = support.read("/proc/self/status")
      return tonumber(s:match("VmRSS:%s*(%d+)"))
    end
    collectgarbage()
    local count, lua_at, rss_at, lua_max, rss_max = 0, nil, nil, 0, 0
    for e in fs.new(root, "*", true):walk() do
      if e.kind == "file" then count = count + 1 end
      if count == 1000 and not lua_at then
        collectgarbage()
        lua_at, rss_at = collectgarbage("count"), rss()
      elseif count > 1000 and count % 500 == 0 then
        collectgarbage() -- count live data, not garbage in flight
        lua_max = math.max(lua_max, collectgarbage("count"))
        rss_max = math.max(rss_max, rss())
      end
    end
    assert.equals(n, count)
    -- Holding the entries would cost >1.5 MB of names alone (10,000 x 150 bytes).
    assert.is_true(lua_max - lua_at < 512, ("Lua heap grew by %.0f KiB"):format(lua_max - lua_at))
    -- ASan keeps freed memory in quarantine, so RSS says nothing there; the
    -- plain build (make test) checks it.
    if not (os.getenv("LD_PRELOAD") or ""):find("asan", 1, true) then
      assert.is_true(rss_max - rss_at < 1024, ("RSS grew by %d KiB"):format(rss_max - rss_at))
    end
  end)

  it("resolves Windows-form paths through an explicit path_map", function()
    local d1 = doc_tree(root)
    mkdirs(root, { "Alt/", "Alt/File1.txt" })
    local map = fs.path_map { ["C:"] = root, ["%SystemRoot%"] = "/srv/win/Windows" }
    assert.equals("vss.PathMap", getmetatable(map).__name)
    assert.equals(d1 .. "/Directory2", map:resolve([[c:\Directory1\Directory2\]]))
    assert.equals("/srv/win/Windows/System32", map:resolve([[%systemroot%\System32]]))
    local r, msg, code = map:resolve([[D:\x]])
    assert.is_nil(r)
    assert.equals("ENOENT", code)
    assert.matches("no prefix maps", msg)
    r, msg, code = map:resolve([[C:\Directory1\..\..\etc]])
    assert.is_nil(r)
    assert.equals("EINVAL", code)
    assert.matches("'..' component", msg)
    assert.same({ ["C:"] = root, ["%SystemRoot%"] = "/srv/win/Windows" }, map:mappings())
    assert.matches("^vss.PathMap {.*C: %-> ", tostring(map))

    local d = fs.new([[C:\Directory1]], "File1.*", true)
    local got = walk(d, { root = map, excludes = { fs.new([[C:\DIRECTORY1\Directory2]], "*", false) },
      caseless = true })
    assert.equals("directory Directory2\ndirectory Directory3\nfile File1.txt", got)
    local _, by = walk(fs.new([[C:\Directory1]], "*", false, [[C:\Alt]]), { root = map })
    assert.equals(root .. "/Alt/File1.txt", by["File1.txt"].path)
    assert.equals(d1 .. "/File1.txt", by["File1.txt"].original)

    local it, err, ecode = fs.new([[E:\x]], "*"):walk { root = map }
    assert.is_nil(it)
    assert.equals("ENOENT", ecode)
    assert.matches("E:\\x", err, 1, true)
    assert.has_error(function() fs.path_map { ["C:"] = "relative" } end,
      "bad argument #1 to 'path_map' (path_map: target for 'C:' must be an absolute path)")
    assert.has_error(function() fs.path_map { ["C:"] = 1 } end)
    assert.has_error(function() fs.new("/x", "*"):walk { root = "/x" } end)
  end)
end)

describe("examples/filespec_walk.lua", function()
  it("runs and prints what the descriptor selects", function()
    local out, ok = support.sh("cd " .. q(support.root) .. " && " .. support.lua_env
      .. " lua5.4 examples/filespec_walk.lua")
    assert.is_true(ok, out)
    assert.matches("file%s+logs/app.log", out)
    assert.not_matches("app.tmp", out)
    assert.not_matches("cache/", out)
  end)
end)
