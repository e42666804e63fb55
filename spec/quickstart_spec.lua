-- `make demo` runs examples/quickstart.lua: it must run clean and show what
-- the README promises, and leave nothing behind.
local support = require "support"

describe("examples/quickstart.lua", function()
  it("runs, shows range lists and a file-spec expansion, and cleans up", function()
    local before = support.sh("ls -d /tmp/luavss-demo.* 2>/dev/null | wc -l")
    local out, ok = support.sh(support.lua_env .. " "
      .. "lua5.4 examples/quickstart.lua")
    assert.is_true(ok, out)
    assert.matches("normalized %(sorted, merged%):  0:4096,8192:4096,65536:4096", out)
    assert.matches("changed and not yet stored:   0:4096,65536:4096", out)
    assert.matches("entry 2 at position 7: empty entry", out)
    assert.matches("copy 2: 4096 bytes from offset 65536 to offset 0", out)
    -- The expansion selects the .mdf files, recursively, minus the exclude.
    assert.matches("\n  sales%.mdf +8192 bytes", out)
    assert.matches("\n  archive/2025%.mdf +4096 bytes", out)
    assert.is_nil(out:find("scratch.mdf", 1, true))
    assert.is_nil(out:find("readme.txt", 1, true))
    assert.is_nil(out:find("sales_log", 1, true))
    -- Documents, a snapshot set and the store.
    assert.matches('vss.WriterMetadata%("Demo DB Writer"', out)
    assert.matches("partial file 0:4096", out)
    assert.matches("snapshot set {%x+%-[%x-]+}: %a+ provider", out)
    assert.matches("full +1 file%(s%)", out)
    assert.matches("incremental 1 file%(s%), 4096 bytes stored", out)
    assert.matches('as of the snapshot: "dddd"', out)
    assert.matches("verify: all digests match", out)
    assert.equals(before, support.sh("ls -d /tmp/luavss-demo.* 2>/dev/null | wc -l"))
  end)
end)
