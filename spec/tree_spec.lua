-- vss.tree.compare and tools/vss-compare: a tree and its `cp -a
-- --preserve=all` copy compare equal; then each kind of change made to the
-- copy alone is reported, and nothing else is.
local support = require "support"
local vss = require "vss"
local q, sh = support.q, support.sh

local tree = vss.tree

-- A small tree with one of each: files (one sparse), a hard-linked pair, a
-- symlink, a FIFO, an empty directory, a name with a space and a newline,
-- an xattr, an ACL, a setgid directory.
local function make_base(dir)
  local b = dir .. "/a"
  support.mkdir(b .. "/sub/deep")
  support.mkdir(b .. "/empty")
  support.write(b .. "/f", "hello\n")
  support.write(b .. "/g", support.pattern(5000, 7))
  support.write(b .. "/odd name\nx", "odd")
  local out, ok = sh(table.concat({
    "cd " .. q(b),
    "chmod 0644 f g",
    "ln f sub/hard",
    "ln -s f link",
    "mkfifo fifo",
    "truncate -s 1M sparse && printf tail >> sparse",
    "setfattr -n user.base -v one g",
    "setfacl -m u:1234:r g",
    "chmod 2755 sub",
    "touch -d '2020-02-02 02:02:02.123456789 UTC' f sub/deep",
    "touch -h -d '2019-01-01 00:00:00.5 UTC' link",
  }, " && "))
  assert(ok, out)
  return b
end

-- the copy, equal to the base
local function copy(dir, b)
  local c = dir .. "/b"
  local out, ok = sh("cp -a --preserve=all " .. q(b) .. " " .. q(c))
  assert(ok, out)
  return c
end

-- give the directory rel of c the mtime it has in b (a change inside it
-- moves it), so a spec sees only the change it made
local function keep_dir_mtime(b, c, rel)
  local out, ok = sh(("touch -h -r %s %s"):format(q(b .. "/" .. rel), q(c .. "/" .. rel)))
  assert(ok, out)
end

local function run(cmd)
  local out, ok = sh(cmd)
  assert(ok, cmd .. ": " .. out)
  return out
end

local function whats(diffs)
  local t = {}
  for i, d in ipairs(diffs) do t[i] = d.path .. " " .. d.what .. (d.name and (" " .. d.name) or "") end
  return t
end

describe("vss.tree.compare", function()
  local dir, b, c
  before_each(function()
    dir = support.tmpdir()
    b = make_base(dir)
    c = copy(dir, b)
  end)
  after_each(function()
    sh("chattr -R -i " .. q(dir) .. " 2>/dev/null")
    support.rm_rf(dir)
  end)

  local function only(path, what, name)
    local diffs = support.ok(tree.compare(b, c))
    assert.same({ path .. " " .. what .. (name and (" " .. name) or "") }, whats(diffs))
    return diffs[1]
  end

  it("finds no difference between a tree and its cp -a --preserve=all copy", function()
    local diffs, counts = tree.compare(b, c)
    assert.same({}, diffs)
    assert.equal(counts.a, counts.b)
    assert.equal(11, counts.a) -- ".", 3 directories below it, 7 other entries
  end)

  it("reports a content change that keeps size and mtime", function()
    run(("printf 'jello\\n' > %s && touch -r %s %s"):format(q(c .. "/f"), q(b .. "/f"), q(c .. "/f")))
    local d = only("f", "content")
    assert.equal(support.sh("xxhsum -H2 " .. q(b .. "/f")):match("(%x+)  "), d.a)
    assert.equal(support.sh("xxhsum -H2 " .. q(c .. "/f")):match("(%x+)  "), d.b)
  end)

  it("reads holes as zeros: a sparse file and its dense copy have one digest", function()
    run(("cp --sparse=never %s %s"):format(q(c .. "/sparse"), q(dir .. "/dense")))
    local s, dn = support.ok(tree.stat(c .. "/sparse")), support.ok(tree.stat(dir .. "/dense"))
    assert.is_true(tonumber((support.sh("stat -c %b " .. q(c .. "/sparse")))) < 100) -- a real hole
    assert.equal(dn.digest, s.digest)
    assert.equal(support.sh("xxhsum -H2 " .. q(c .. "/sparse")):match("(%x+)  "), s.digest)
    -- a byte changed inside the hole is seen
    run(("printf x | dd of=%s bs=1 seek=500000 conv=notrunc status=none && touch -r %s %s"):format(
      q(c .. "/sparse"), q(b .. "/sparse"), q(c .. "/sparse")))
    only("sparse", "content")
  end)

  it("reports chmod, setuid and sticky included", function()
    run("chmod 4644 " .. q(c .. "/g"))
    local d = only("g", "mode")
    assert.same({ 420, 2468 }, { d.a, d.b })
    run("chmod 4644 " .. q(b .. "/g") .. " && chmod 1777 " .. q(c .. "/empty"))
    d = only("empty", "mode")
    assert.same({ 493, 1023 }, { d.a, d.b })
  end)

  it("reports chown and chgrp (root)", function()
    if not support.is_root() then return pending("needs root to chown") end
    run("chown 4321:8765 " .. q(c .. "/g"))
    local diffs = support.ok(tree.compare(b, c))
    assert.same({ "g uid", "g gid" }, whats(diffs))
    assert.same({ 0, 4321 }, { diffs[1].a, diffs[1].b })
    assert.same({ 0, 8765 }, { diffs[2].a, diffs[2].b })
    -- a symlink's own owner, not its target's
    run("chown 4321:8765 " .. q(b .. "/g") .. " && chown -h 99 " .. q(c .. "/link"))
    only("link", "uid")
    assert.same({ "link uid" }, whats(support.ok(tree.compare(b, c, { ignore = { "gid" } }))))
    assert.same({}, support.ok(tree.compare(b, c, { ignore = { "owner" } })))
  end)

  it("reports touch -d to the nanosecond, on files, symlinks and directories", function()
    run("touch -d '2020-02-02 02:02:02.123456780 UTC' " .. q(c .. "/f"))
    local d = only("f", "mtime")
    assert.equal(1580608922123456789, d.a)
    assert.equal(1580608922123456780, d.b)
    run("touch -r " .. q(c .. "/f") .. " " .. q(b .. "/f"))
    run("touch -h -d '2019-01-01 00:00:00.25 UTC' " .. q(c .. "/link"))
    only("link", "mtime")
    assert.same({}, support.ok(tree.compare(b, c, { ignore = { "mtime_symlinks" } })))
    run("touch -h -r " .. q(c .. "/link") .. " " .. q(b .. "/link"))
    run("touch -d '2001-01-01 UTC' " .. q(c .. "/sub/deep"))
    only("sub/deep", "mtime")
    assert.same({}, support.ok(tree.compare(b, c, { ignore = { "mtime_dirs" } })))
    assert.same({ "sub/deep mtime" }, whats(support.ok(tree.compare(b, c, { ignore = { "mtime_files" } }))))
  end)

  it("reports a retargeted symlink", function()
    run(("ln -sfn g %s && touch -h -r %s %s"):format(q(c .. "/link"), q(b .. "/link"), q(c .. "/link")))
    keep_dir_mtime(b, c, ".")
    local d = only("link", "target")
    assert.same({ "f", "g" }, { d.a, d.b })
  end)

  it("reports an xattr set, changed or removed, by name", function()
    run("setfattr -n user.new -v 'v 1' " .. q(c .. "/f"))
    local d = only("f", "xattr", "user.new")
    assert.same({ nil, "v 1" }, { d.a, d.b })
    run("setfattr -n user.new -v 'v 1' " .. q(b .. "/f"))
    run("setfattr -n user.base -v two " .. q(c .. "/g"))
    d = only("g", "xattr", "user.base")
    assert.same({ "one", "two" }, { d.a, d.b })
    run("setfattr -x user.base " .. q(c .. "/g"))
    d = only("g", "xattr", "user.base")
    assert.same({ "one", nil }, { d.a, d.b })
  end)

  it("reports setfacl, access and default ACLs", function()
    run("setfacl -m u:555:r " .. q(c .. "/g"))
    local d = only("g", "acl", "access")
    assert.equal("user::rw-,user:1234:r--,group::r--,mask::r--,other::r--", d.a)
    assert.equal("user::rw-,user:555:r--,user:1234:r--,group::r--,mask::r--,other::r--", d.b)
    run("setfacl -m u:555:r " .. q(b .. "/g"))
    run("setfacl -d -m u:555:rx " .. q(c .. "/empty"))
    d = only("empty", "acl", "default")
    assert.is_nil(d.a)
    assert.matches("user:555:r%-x", d.b)
    -- a file that gains an ACL where it had none
    run("setfacl -m g:77:r " .. q(c .. "/odd name\nx"))
    assert.same({ "empty acl default", "odd name\nx acl access" },
      whats(support.ok(tree.compare(b, c))))
    assert.same({}, support.ok(tree.compare(b, c, { ignore = { "acls" } })))
  end)

  it("reports chattr +i (root, on a filesystem with inode flags)", function()
    local out, ok = sh("chattr +i " .. q(c .. "/g"))
    if not ok then return pending("chattr +i is not supported here: " .. out) end
    local d = only("g", "flags")
    assert.same({ "", "i" }, { d.a, d.b })
    run("chattr -i " .. q(c .. "/g") .. " && chattr +a " .. q(c .. "/sub"))
    d = only("sub", "flags")
    assert.same({ "", "a" }, { d.a, d.b })
    run("chattr -a " .. q(c .. "/sub"))
    assert.same({}, support.ok(tree.compare(b, c)))
  end)

  it("reports a FIFO where a file was, and nothing else about it", function()
    run(("rm %s && mkfifo -m 0644 %s && touch -r %s %s"):format(q(c .. "/g"), q(c .. "/g"),
      q(b .. "/g"), q(c .. "/g")))
    keep_dir_mtime(b, c, ".")
    local d = only("g", "type")
    assert.same({ "file", "fifo" }, { d.a, d.b })
  end)

  it("reports a directory replaced by a file once, not its entries", function()
    run(("rm -r %s && touch %s"):format(q(c .. "/sub"), q(c .. "/sub")))
    keep_dir_mtime(b, c, ".")
    assert.same({ "sub type" }, whats(support.ok(tree.compare(b, c, { ignore = { "links" } }))))
  end)

  it("reports a hard-link group split, once, as the two partitions", function()
    run(("cp -p %s %s.t && mv %s.t %s"):format(q(c .. "/sub/hard"), q(c .. "/sub/hard"),
      q(c .. "/sub/hard"), q(c .. "/sub/hard")))
    keep_dir_mtime(b, c, "sub")
    local d = only("f", "links")
    assert.same({ { "f", "sub/hard" } }, d.a)
    assert.same({ { "f" }, { "sub/hard" } }, d.b)
    -- and the other way: two files joined
    local diffs = support.ok(tree.compare(c, b))
    assert.same({ "f links" }, whats(diffs))
    -- a new link to a file outside the group
    run(("ln %s %s && touch -h -r %s %s"):format(q(c .. "/g"), q(c .. "/sub/g2"), q(b .. "/sub"),
      q(c .. "/sub")))
    assert.same({ "f links", "sub/g2 extra" }, whats(support.ok(tree.compare(b, c))))
  end)

  it("reports a missing file and an extra empty directory, once each", function()
    run("rm " .. q(c .. "/sub/deep/../../g"))
    run("mkdir " .. q(c .. "/sub/deep/new"))
    keep_dir_mtime(b, c, ".")
    keep_dir_mtime(b, c, "sub/deep")
    local diffs = support.ok(tree.compare(b, c))
    assert.same({ "g missing", "sub/deep/new extra" }, whats(diffs))
    assert.same({ "file", nil }, { diffs[1].a, diffs[1].b })
    assert.same({ nil, "directory" }, { diffs[2].a, diffs[2].b })
    -- a missing directory is one difference, not one per entry in it
    run("rm -r " .. q(c .. "/sub"))
    keep_dir_mtime(b, c, ".")
    assert.same({ "g missing", "sub missing" },
      whats(support.ok(tree.compare(b, c, { ignore = { "links" } }))))
    assert.same({}, support.ok(tree.compare(b, c, { ignore = { "missing", "extra", "links" } })))
  end)

  it("reports device numbers (root)", function()
    if not support.is_root() then return pending("needs root to mknod") end
    run(("mknod %s c 1 3 && mknod %s c 1 5 && touch -r %s %s"):format(q(b .. "/dev"), q(c .. "/dev"),
      q(b .. "/dev"), q(c .. "/dev")))
    keep_dir_mtime(b, c, ".")
    local d = only("dev", "rdev")
    assert.same({ "1:3", "1:5" }, { d.a, d.b })
  end)

  it("compares the top directories' own attributes unless told not to", function()
    run("chmod 0700 " .. q(c))
    only(".", "mode")
    assert.same({}, support.ok(tree.compare(b, c, { ignore = { "root" } })))
  end)

  it("refuses an unknown ignore name, listing the valid ones", function()
    local ok, err = pcall(tree.compare, b, c, { ignore = { "mtime", "colour" } })
    assert.is_false(ok)
    assert.matches("bad argument #3 to 'compare' %(ignore: entry 2 'colour' is not one of: acls, "
      .. "content,", err)
    assert.matches("mtime_dirs", err)
    ok, err = pcall(tree.compare, b, c, { ignored = {} })
    assert.is_false(ok)
    assert.matches("unknown option 'ignored'", err)
    assert.has_error(function() tree.compare(b) end)
  end)

  it("fails with a code on a tree it cannot read", function()
    local r, err, code = tree.compare(b, dir .. "/none")
    assert.is_nil(r)
    assert.matches("none", err)
    assert.equal("ENOENT", code)
    r, err, code = tree.compare(b, b .. "/f")
    assert.is_nil(r)
    assert.equal("ENOTDIR", code, err)
  end)

  it("prints one line a difference", function()
    run("chmod 4755 " .. q(c .. "/sub/deep"))
    local d = support.ok(tree.compare(b, c))[1]
    assert.equal("sub/deep: mode: 0755 -> 4755", tree.format(d))
    assert.equal([["a\nb": xattr user.x: (none) -> 0x00ff]],
      tree.format{ path = "a\nb", what = "xattr", name = "user.x", a = nil, b = "\0\255" })
  end)
end)

describe("tools/vss-compare", function()
  local cmd = support.lua_env .. " lua5.4 " .. q(support.root .. "/tools/vss-compare")

  local function status(c)
    local p = io.popen(c .. " 2>&1; echo \"rc=$?\"")
    local out = p:read("a")
    p:close()
    return out:match("^(.-)rc=(%d+)%s*$")
  end

  it("exits 0 on equal trees, 1 printing each difference, 2 on an error", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    local b = make_base(dir)
    local c = copy(dir, b)
    local out, rc = status(cmd .. " " .. q(b) .. " " .. q(c))
    assert.same({ "", "0" }, { out, rc })
    run("chmod 0600 " .. q(c .. "/f") .. " && touch -d 2001-01-01T00:00Z " .. q(c .. "/g"))
    out, rc = status(cmd .. " " .. q(b) .. " " .. q(c))
    assert.equal("1", rc)
    assert.matches("^f: mode: 0644 %-> 0600\ng: mtime: [0-9T:.-]+Z %-> 2001%-01%-01T00:00:00%.000000000Z\n$",
      out)
    out, rc = status(cmd .. " --ignore=mode,mtime " .. q(b) .. " " .. q(c))
    assert.same({ "", "0" }, { out, rc })
    out, rc = status(cmd .. " --ignore=colour " .. q(b) .. " " .. q(c))
    assert.equal("2", rc)
    assert.matches("unknown field 'colour'", out)
    assert.matches("mtime_dirs", out)
    out, rc = status(cmd .. " " .. q(b) .. " " .. q(dir .. "/none"))
    assert.equal("2", rc)
    assert.matches("ENOENT", out)
  end)
end)
