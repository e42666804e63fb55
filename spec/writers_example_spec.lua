-- examples/writers.lua runs: a Lua writer, an external one and one that
-- vetoes its freeze, through a backup session.
local support = require "support"
local q, sh = support.q, support.sh

local env = support.lua_env

describe("examples/writers.lua", function()
  it("backs up around the writer that vetoed, with the others' changes to the BCD", function()
    local out, ok = sh(("cd %s && %s lua5.4 examples/writers.lua"):format(q(support.root), env))
    assert.is_true(ok, out)
    assert.matches("writer 'cache' failed at freeze: cache is compacting\tWRITER_RETRYABLE", out, 1, true)
    assert.matches("cache%s+failed_at_freeze%s+skip", out)
    assert.matches("orders%s+waiting_for_backup_complete%s+keep", out)
    assert.matches("component orders   stamp=nil partial files=1", out, 1, true)
    assert.matches("component spool    stamp=spool-incremental", out, 1, true)
    assert.matches("orders: session {example-set} over", out, 1, true)
  end)
end)
