-- examples/nightly_policy.lua runs: a full backup on Sunday, then
-- incrementals that store only the pages the writer reports, and the log.
local support = require "support"
local q, sh = support.q, support.sh

local env = support.lua_env

describe("examples/nightly_policy.lua", function()
  it("takes a full backup, then incrementals of the changed pages only", function()
    local out, ok = sh(("cd %s && %s lua5.4 examples/nightly_policy.lua"):format(q(support.root), env))
    assert.is_true(ok, out)
    assert.matches("Sunday%s+full%s+1 files, 1048576 bytes", out)
    -- two 4 KiB pages and a 40-byte log
    assert.matches("Monday%s+incremental%s+2 files,%s+8232 bytes", out)
    assert.matches("Tuesday%s+incremental%s+2 files,%s+4155 bytes", out)
    local ids = {}
    for id in out:gmatch("backup (%S+)") do ids[#ids + 1] = id end
    assert.equal(3, #ids)
    local function lit(s) return (s:gsub("%-", "%%-")) end
    assert.matches("backup " .. lit(ids[3]) .. " incremental%s+base " .. lit(ids[2]), out)
  end)
end)
