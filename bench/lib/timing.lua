--- Timing for the benchmarks: the best of n rounds on a monotonic clock,
-- and the shell commands the peer tools run as.
local clock = require("vss.core").clock

local M = { clock = clock }

--- Run setup() (when given, untimed) then fn(), n times; the shortest time.
-- fn may return the seconds it measured itself (to leave out a part).
function M.best(n, fn, setup)
  local t = math.huge
  for _ = 1, n do
    collectgarbage()
    if setup then setup() end
    local t0 = clock()
    local spent = fn()
    t = math.min(t, spent or clock() - t0)
  end
  return t
end

--- A string quoted for the shell.
function M.q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- Run a shell command (it must succeed); the seconds it took.
function M.run(cmd)
  local t0 = clock()
  assert(os.execute(cmd), cmd)
  return clock() - t0
end

return M
