--- Timing for the benchmarks: the best of n rounds on a monotonic clock.
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

return M
