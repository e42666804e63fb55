--- vss.progress: the progress bar long operations draw on a terminal.
-- vss.backup uses it by default when standard output is a terminal; any
-- script can pass progress.bar() (or its own function) where a `progress`
-- callback is taken. A callback receives {files=, bytes=, files_total=,
-- bytes_total=, name=}.
local clock = require("vss.core").clock

local M = {}

local tty
--- Is standard output a terminal? (asked once: `test -t 1` inherits it)
function M.is_terminal()
  if tty == nil then tty = os.execute("test -t 1") == true end
  return tty
end

local function size(n)
  local units, i = { "B", "KiB", "MiB", "GiB", "TiB" }, 1
  while n >= 1024 and i < #units do n, i = n / 1024, i + 1 end
  return i == 1 and ("%d B"):format(n) or ("%.1f %s"):format(n, units[i])
end

--- A callback that draws one line, redrawn in place ("\r"), at most every
-- `interval` seconds (default 0.1) and always at the end, then a newline.
-- out: a file (default io.stdout); width: of the bar in characters.
function M.bar(out, opts)
  out = out or io.stdout
  opts = opts or {}
  local width, interval = opts.width or 30, opts.interval or 0.1
  local last, t0 = -math.huge, clock()
  return function(p)
    local now = clock()
    local done = p.files >= p.files_total and p.bytes >= p.bytes_total
    if not done and now - last < interval then return end
    last = now
    local frac = p.bytes_total > 0 and p.bytes / p.bytes_total
      or (p.files_total > 0 and p.files / p.files_total or 1)
    frac = math.min(math.max(frac, 0), 1)
    local fill = math.floor(frac * width + 0.5)
    local rate = p.bytes / math.max(now - t0, 1e-6)
    out:write(("\r[%s%s] %3d%%  %d/%d files  %s/%s  %s/s "):format(("#"):rep(fill), ("."):rep(width - fill),
      math.floor(frac * 100), p.files, p.files_total, size(p.bytes), size(p.bytes_total), size(rate)))
    if done then out:write("\n") end
    out:flush()
  end
end

return M
