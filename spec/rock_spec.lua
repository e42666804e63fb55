-- The rock builds and installs offline with LuaRocks, and `require "vss"`
-- works against the installed tree alone (not the in-tree build).
local support = require "support"
local q = support.q

local function rockspec_text()
  return support.read(support.root .. "/rockspec/luavss-scm-1.rockspec")
end

describe("rockspec", function()
  it("lists every C source under csrc/", function()
    local text = rockspec_text()
    local out = support.sh("cd " .. q(support.root) .. " && find csrc -name '*.c' | sort")
    for file in out:gmatch("[^\n]+") do
      assert.truthy(text:find('"' .. file .. '"', 1, true), file .. " is missing from the rockspec")
    end
  end)

  it("lists every Lua module under lua/vss/", function()
    local text = rockspec_text()
    local out = support.sh("cd " .. q(support.root) .. " && find lua/vss -name '*.lua' | sort")
    for file in out:gmatch("[^\n]+") do
      assert.truthy(text:find('"' .. file .. '"', 1, true), file .. " is missing from the rockspec")
    end
  end)

  it("installs with luarocks offline and require 'vss' works from that tree", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    -- Build from a copy so LuaRocks' objects never land in the work tree.
    local out, ok = support.sh(("cp -r %s %s %s %s %s/ && cd %s && luarocks --lua-version=5.4 "
      .. "--tree=%s make rockspec/luavss-scm-1.rockspec"):format(
      q(support.root .. "/csrc"), q(support.root .. "/lua"), q(support.root .. "/rockspec"),
      q(support.root .. "/tools"), q(dir), q(dir), q(dir .. "/tree")))
    assert.is_true(ok, out)
    out, ok = support.sh(("cd / && LUA_PATH_5_4=%s LUA_CPATH_5_4=%s lua5.4 -e %s"):format(
      q(dir .. "/tree/share/lua/5.4/?.lua;" .. dir .. "/tree/share/lua/5.4/?/init.lua"),
      q(dir .. "/tree/lib/lua/5.4/?.so"),
      q('local vss = require "vss"; assert(package.searchpath("vss.core", package.cpath):find("'
        .. dir .. '/tree", 1, true)); io.write(vss.version)')))
    assert.is_true(ok, out)
    assert.matches("^%d+%.%d+%.%d+", out)
    -- the installed command runs from that tree too (exit 0: a tree equals itself)
    out, ok = support.sh(("cd / && %s %s"):format(q(dir .. "/tree/bin/vss-compare"), q(dir .. "/tree/bin")
      .. " " .. q(dir .. "/tree/bin")))
    assert.is_true(ok, out)
  end)
end)
