-- examples/new_target_restore.lua runs: a database-plus-logs component
-- backed up, then restored with one new target per file set; the bytes
-- land where the new targets say, identical to the originals.
local support = require "support"
local q, sh = support.q, support.sh

local env = support.lua_env

describe("examples/new_target_restore.lua", function()
  local dir
  before_each(function() dir = support.tmpdir() end)
  after_each(function() support.rm_rf(dir) end)

  it("lays the data files and the logs at their own new targets", function()
    local out, ok = sh(("cd %s && %s lua5.4 examples/new_target_restore.lua %s")
      :format(q(support.root), env, q(dir)))
    assert.is_true(ok, out)
    local moved = {
      ["srv/ledger/data/ledger.db"] = "restored/data/ledger.db",
      ["srv/ledger/data/ledger.idx"] = "restored/data/ledger.idx",
      ["srv/ledger/logs/0001.log"] = "restored/logs/0001.log",
      ["srv/ledger/logs/0002.log"] = "restored/logs/0002.log",
    }
    local bytes = 0
    for from, to in pairs(moved) do
      assert.matches("restored%s+" .. from:gsub("%p", "%%%0") .. " %-> " .. to:gsub("%p", "%%%0"), out)
      local original = support.read(dir .. "/" .. from)
      assert.equal(original, support.read(dir .. "/" .. to))
      bytes = bytes + #original
    end
    assert.matches("4 files, " .. bytes .. " bytes restored", out, 1, true)
    -- nothing else was laid beneath the new place
    local listed = sh("cd " .. q(dir .. "/restored") .. " && find . -type f | sort")
    assert.equal("./data/ledger.db\n./data/ledger.idx\n./logs/0001.log\n./logs/0002.log\n", listed)
    -- the writer was told where each file set went (docs/model.md §6.6)
    assert.matches("ledger told: srv/ledger/data/ledger.* -> restored/data", out, 1, true)
    assert.matches("ledger told: srv/ledger/logs/*.log -> restored/logs", out, 1, true)
  end)

  it("works in a temporary directory and removes it", function()
    local out, ok = sh(("cd %s && TMPDIR=%s %s lua5.4 examples/new_target_restore.lua")
      :format(q(support.root), q(dir), env))
    assert.is_true(ok, out)
    assert.matches("4 files, %d+ bytes restored, identical to the originals", out)
    assert.equal("", (sh("ls -A " .. q(dir))))
  end)
end)
