-- Expand a VSS file descriptor into the files it selects, minus excludes.
--   lua5.4 examples/filespec_walk.lua
local vss = require "vss"
local fs = vss.filespec

-- A small tree in a temporary directory.
local root = io.popen("mktemp -d /tmp/luavss-example.XXXXXX"):read("l")
local function put(rel, data)
  if rel:sub(-1) == "/" then
    os.execute("mkdir -p '" .. root .. "/" .. rel .. "'")
  else
    local f = assert(io.open(root .. "/" .. rel, "w"))
    f:write(data or rel)
    f:close()
  end
end
for _, rel in ipairs { "app/", "app/app.conf", "app/logs/", "app/logs/app.log", "app/logs/app.tmp",
  "app/cache/", "app/cache/blob.bin", "app/data/", "app/data/db.mdf", "app/data/scratch.tmp" } do
  put(rel)
end

-- Everything under app/, recursively; temporary files and the cache are
-- excluded (an exclude's path contains the files it removes).
local files = fs.new { path = root .. "/app", filespec = "*", recursive = true }
local excludes = {
  fs.new { path = root .. "/app", filespec = "*.tmp", recursive = true },
  fs.new { path = root .. "/app/cache", filespec = "*", recursive = true },
}
print(files)
for entry in files:walk { excludes = excludes } do
  print(("%-9s %-16s %5d bytes"):format(entry.kind, entry.relpath, entry.size or 0))
end

os.execute("rm -rf '" .. root .. "'")
