-- tools/layers.lua (`make layers`): passes on the real build, and fails,
-- naming the files and the reason, on a copy of the build with offending
-- objects compiled into it.
local support = require "support"
local q = support.q

local root = support.root
local checker = root .. "/tools/layers.lua"
-- The build `make test` made: build/san under SAN=1 (spec/run.sh says so in VSS_CPATH).
local build = (os.getenv("VSS_CPATH") or ""):match("^(.*)/%?%.so$") or root .. "/build/rel"

local function run(build_dir, src_dir)
  return support.sh(("lua5.4 %s %s %s"):format(q(checker), q(build_dir), q(src_dir)))
end

local cflags = support.sh("pkg-config --cflags libxml-2.0 lua5.4"):gsub("%s+$", "")

-- A copy of the sources and of the build's objects and .d files, with
-- sources = { ["layer/name.c"] = text } added and compiled into it as the
-- Makefile would, then the sources named in `remove` deleted; the checker's
-- output and whether it passed.
local function check_in(dir, sources, remove)
  local out, ok = support.sh(("cp -r %s %s/csrc && mkdir %s/build && cd %s && find . -mindepth 2 "
    .. "-maxdepth 2 \\( -name '*.o' -o -name '*.d' \\) | tar -cf - -T - | tar -xf - -C %s/build")
    :format(q(root .. "/csrc"), q(dir), q(dir), q(build), q(dir)))
  assert(ok, out)
  for name, text in pairs(sources) do
    local layer = name:match("^([^/]+)/")
    support.mkdir(dir .. "/csrc/" .. layer)
    support.mkdir(dir .. "/build/" .. layer)
    support.write(dir .. "/csrc/" .. name, text)
    out, ok = support.sh(("cd %s && cc -std=c11 -MMD -c -Icsrc %s csrc/%s -o build/%s"):format(
      q(dir), cflags, name, (name:gsub("%.c$", ".o"))))
    assert(ok, out)
  end
  for _, name in ipairs(remove or {}) do os.remove(dir .. "/csrc/" .. name) end
  return run(dir .. "/build", dir .. "/csrc")
end

-- (Its own cleanup: busted keeps only a spec's last `finally`.)
local function check_with(sources, remove)
  local dir = support.tmpdir()
  local done, out, ok = pcall(check_in, dir, sources, remove)
  support.rm_rf(dir)
  if not done then error(out, 0) end
  return out, ok
end

local PING = "int ping(int); int pong(int);\nint ping(int n) { return n ? pong(n - 1) : 0; }\n"
local PONG = "int ping(int); int pong(int);\nint pong(int n) { return n ? ping(n - 1) : 1; }\n"

describe("make layers", function()
  it("passes on the build", function()
    local out, ok = run(build, root .. "/csrc")
    assert.is_true(ok, out)
    assert.matches("^layers: OK, %d+ objects, %d+ file arrows, %d+ layers", out)
  end)

  it("fails on an arrow up, by symbol and by include", function()
    local out, ok = check_with({
      ["base/up.c"] = '#include "store/store.h"\n'
        .. "int up(void);\n"
        .. "int up(void) { vss_store *s; return vss_store_open(\"/\", 0, &s, 0); }\n",
    })
    assert.is_false(ok, out)
    assert.matches("base/up.c -> store/store.c: store is above base (uses vss_store_open)", out, 1, true)
    assert.matches("base/up.c -> store/store.h: store is above base (includes ", out, 1, true)
    assert.matches("layers: FAILED", out, 1, true)
  end)

  it("fails on an arrow to a lower layer the table does not allow", function()
    local out, ok = check_with({
      ["dest/side.c"] = '#include "files/filespec.h"\n'
        .. "int side(void);\n"
        .. "int side(void) { return vss_filespec_matches_all(\"*\"); }\n",
    })
    assert.is_false(ok, out)
    assert.matches("dest/side.c -> files/filespec.c: dest may not use files (uses vss_filespec_matches_all)",
      out, 1, true)
    assert.matches("dest/side.c -> files/filespec.h: dest may not use files (includes ", out, 1, true)
  end)

  it("fails on two files that need each other, naming what each uses", function()
    local out, ok = check_with({ ["ranges/ping.c"] = PING, ["ranges/pong.c"] = PONG })
    assert.is_false(ok, out)
    assert.matches("ranges/ping.c <-> ranges/pong.c need each other: ranges/ping.c uses pong; "
      .. "ranges/pong.c uses ping", out, 1, true)
  end)

  it("fails on a longer ring of files", function()
    local sources = {}
    for i = 1, 3 do
      local nxt = i % 3 + 1
      sources[("files/ring%d.c"):format(i)] = ("int ring%d(int); int ring%d(int);\n"
        .. "int ring%d(int n) { return n ? ring%d(n - 1) : 0; }\n"):format(i, nxt, i, nxt)
    end
    local out, ok = check_with(sources)
    assert.is_false(ok, out)
    assert.matches("cycle files/ring1.c -> files/ring2.c -> files/ring3.c -> files/ring1.c: "
      .. "files/ring1.c uses ring2; files/ring2.c uses ring3; files/ring3.c uses ring1", out, 1, true)
  end)

  it("fails on libxml2, libvhdi or the Lua C API outside their rooms", function()
    local out, ok = check_with({
      ["engine/libs.c"] = "#include <libxml/parser.h>\n#include <libvhdi.h>\n#include <lua.h>\n"
        .. "void libs(void);\n"
        .. "void libs(void) { xmlCleanupParser(); (void)libvhdi_get_version(); lua_pushnil(0); }\n",
    })
    assert.is_false(ok, out)
    assert.matches("engine/libs.c uses libxml2 (xmlCleanupParser) outside documents/", out, 1, true)
    assert.matches("engine/libs.c uses libxml2 (includes ", out, 1, true)
    assert.matches("engine/libs.c uses libvhdi (libvhdi_get_version) outside vdisk/", out, 1, true)
    assert.matches("engine/libs.c uses the Lua C API (lua_pushnil) outside lua/", out, 1, true)
    assert.matches("engine/libs.c uses the Lua C API (includes ", out, 1, true)
  end)

  it("fails on a file in a folder the layer table does not know", function()
    local out, ok = check_with({ ["attic/old.c"] = "int old(void);\nint old(void) { return 0; }\n" })
    assert.is_false(ok, out)
    assert.matches("attic/old.c: attic/ is not in the layer table", out, 1, true)
  end)

  it("leaves out an object whose source is gone, and fails on a source not built", function()
    local out, ok = check_with({ ["ranges/ping.c"] = PING, ["ranges/pong.c"] = PONG },
      { "ranges/ping.c", "ranges/pong.c" })
    assert.is_true(ok, out)
    out, ok = check_with({}, {})
    assert.is_true(ok, out)
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    support.mkdir(dir .. "/csrc/base")
    support.mkdir(dir .. "/build/base")
    support.write(dir .. "/csrc/base/new.c", "int new_one(void);\nint new_one(void) { return 0; }\n")
    out, ok = run(dir .. "/build", dir .. "/csrc")
    assert.is_false(ok, out)
    assert.matches("base/new.c: no " .. dir .. "/build/base/new.o (build first)", out, 1, true)
  end)

  it("passes a file that uses its own layer and the layers below", function()
    local out, ok = check_with({
      ["store/fine.c"] = '#include "ranges/ranges.h"\n#include "store/store.h"\n'
        .. "int fine(void);\n"
        .. "int fine(void) { vss_store *s; return vss_store_open(\"/\", 0, &s, 0); }\n",
    })
    assert.is_true(ok, out)
    assert.matches("^layers: OK, ", out)
  end)
end)
