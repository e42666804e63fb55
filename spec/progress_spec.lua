-- vss.progress: the bar long operations draw, and when vss.backup draws it.
local vss = require "vss"
local support = require "support"

-- A stream that keeps what is written to it.
local function sink()
  local s = { text = "" }
  function s:write(x) self.text = self.text .. x return self end
  function s.flush() end
  return s
end

describe("vss.progress", function()
  it("draws a bar redrawn in place, with counts and sizes, and ends the line when done", function()
    local out = sink()
    local draw = vss.progress.bar(out, { interval = 0, width = 10 })
    draw{ files = 0, bytes = 0, files_total = 2, bytes_total = 2048 }
    draw{ files = 1, bytes = 1024, files_total = 2, bytes_total = 2048 }
    draw{ files = 2, bytes = 2048, files_total = 2, bytes_total = 2048 }
    local frames = {}
    for frame in out.text:gmatch("\r([^\r]*)") do frames[#frames + 1] = frame end
    assert.equal(3, #frames)
    assert.matches("^%[%.%.%.%.%.%.%.%.%.%.%]   0%%  0/2 files  0 B/2%.0 KiB", frames[1])
    assert.matches("^%[#####%.%.%.%.%.%]  50%%  1/2 files  1%.0 KiB/2%.0 KiB", frames[2])
    assert.matches("^%[##########%] 100%%  2/2 files", frames[3])
    assert.equal("\n", out.text:sub(-1))
    assert.equal(1, select(2, out.text:gsub("\n", "")))
  end)

  it("draws at most once per interval, but always the last frame", function()
    local out = sink()
    local draw = vss.progress.bar(out, { interval = 3600 })
    for i = 0, 99 do draw{ files = i, bytes = i, files_total = 100, bytes_total = 100 } end
    draw{ files = 100, bytes = 100, files_total = 100, bytes_total = 100 }
    assert.equal(2, select(2, out.text:gsub("\r", "")))
    assert.matches("100%%", out.text)
  end)

  it("knows whether standard output is a terminal", function()
    local cmd = support.lua_env .. [[ lua5.4 -e 'io.write(tostring(require("vss.progress").is_terminal()))']]
    local out = support.sh(cmd .. " | cat")
    assert.equal("false", out)
    out = support.sh("script -qec " .. support.q(cmd) .. " /dev/null < /dev/null")
    assert.matches("true", out)
  end)

  it("is drawn by vss.backup with progress = true, and not by default on a pipe", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    support.sh("mkdir -p " .. support.q(dir .. "/db"))
    support.write(dir .. "/db/a.db", ("x"):rep(5000))
    local script = dir .. "/run.lua"
    support.write(script, ([[
      local vss = require "vss"
      local w = vss.writer{ name = "db", writer_id = "11111111-1111-1111-1111-111111111111",
        instance_id = "22222222-2222-2222-2222-222222222222",
        identify = function(wm)
          wm:set_restore_method("restore_if_can_replace", nil, nil, "never", false)
          wm:add_component("database", nil, "main", { selectable = false })
          wm:add_database_files(nil, "main", %q, "*.db")
        end }
      assert(vss.backup{ writers = { w }, store = %q, snapshot = false, progress = arg[1] == "bar" or nil })
    ]]):format(dir .. "/db", dir .. "/store"))
    local out, ok = support.sh(support.lua_env .. " lua5.4 " .. support.q(script) .. " bar")
    assert.is_true(ok, out)
    assert.matches("\r%[#+%] 100%%  1/1 files", out)
    out, ok = support.sh(support.lua_env .. " lua5.4 " .. support.q(script))
    assert.is_true(ok, out)
    assert.equal("", out)
  end)
end)
