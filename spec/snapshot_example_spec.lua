-- examples/snapshot.lua runs and shows the point in time (as root on a
-- loop XFS; as an unprivileged user with the copy provider in /tmp).
local support = require "support"
local q, sh = support.q, support.sh

local env = support.lua_env

local function check(out)
  assert.matches("live file:     3 lines", out, 1, true)
  assert.matches("snapshot file: 2 lines, read from [^\n]*/%.luavss%-snapshots/{", out)
end

describe("examples/snapshot.lua", function()
  it("takes a set and reads the file as it was", function()
    local out, ok = sh(("cd %s && %s lua5.4 examples/snapshot.lua"):format(q(support.root), env))
    assert.is_true(ok, out)
    check(out)
    if support.is_root() then assert.matches("reflink provider", out, 1, true) end
  end)

  it("works unprivileged with the copy provider", function()
    if not support.is_root() then return pending("runs unprivileged above already") end
    local _, has = sh("command -v setpriv")
    if not has then return pending("needs setpriv to drop privileges") end
    local out, ok = sh(("cd %s && setpriv --reuid=65534 --regid=65534 --clear-groups env %s lua5.4 "
      .. "examples/snapshot.lua"):format(q(support.root), env))
    assert.is_true(ok, out)
    check(out)
    assert.matches("copy provider", out, 1, true)
  end)
end)
