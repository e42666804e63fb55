-- `make layers`: the arrows between the engine's layers and the binding, read
-- from the build rather than from what the sources claim.
--
--   usage: lua5.4 tools/layers.lua BUILD_DIR [SRC_DIR]
--
-- SRC_DIR (csrc by default) is the source tree, one folder per layer; each
-- SRC_DIR/<layer>/<name>.c is built into BUILD_DIR/<layer>/<name>.o, with
-- the .d file the compiler writes beside it under -MMD.
--
-- Two kinds of arrow:
--   * symbols (nm): an object that uses a symbol another object defines
--     depends on that object. These arrows make the file graph, which must
--     have no cycle: no pair that needs each other, no longer ring.
--   * includes (.d): an object that includes a header under csrc/<layer>/
--     depends on that layer. Includes are not file arrows: a room's helper
--     file includes the room's header for its types while the room's main
--     file calls the helper, and that is not a cycle.
-- Both kinds must point to the object's own layer or to one it may use, and
-- each outside library is used (by include or by symbol) in its room only.
-- Prints one OK line when clean; otherwise one line per problem, exit 1.

-- The layer table (README, Layout): what each folder of csrc/ may depend on
-- besides itself. A new folder must be added here before it builds clean.
local LAYERS = {
  { "base" },
  { "ranges",    "base" },
  { "files",     "base", "ranges" },
  { "documents", "base", "ranges", "files" },
  { "snapshot",  "base", "ranges", "files", "documents" },
  { "vdisk",     "base", "ranges" },                                  -- virtual disks (VHD, VHDX)
  { "changes",   "base", "ranges", "vdisk" },                         -- change tracking (to come)
  { "store",     "base", "ranges", "files", "documents" },
  { "dest",      "base", "ranges" },
  { "engine",    "base", "ranges", "files", "documents", "snapshot", "vdisk", "changes", "store", "dest" },
  { "lua",       "base", "ranges", "files", "documents", "snapshot", "vdisk", "changes", "store", "dest",
                 "engine" },
}

-- Outside libraries and the one room each may be used from. A header matches
-- when it is outside csrc/; a symbol when no object of ours defines it.
local LIBRARIES = {
  { name = "libxml2", room = "documents",
    headers = { "/libxml/[^/]+%.h$" }, symbols = { "^xml", "^__xml" } },
  { name = "libvhdi", room = "vdisk",
    headers = { "/libvhdi%.h$", "/libvhdi/[^/]+%.h$" }, symbols = { "^libvhdi_" } },
  { name = "the Lua C API", room = "lua",
    headers = { "/lua%.h$", "/lauxlib%.h$", "/lualib%.h$", "/luaconf%.h$" },
    symbols = { "^lua_", "^luaL_" } },
}

-- TEMPORARY. Pairs of files that need each other on main today, each being
-- untangled on a branch of its own (issue #10). A pair listed here is
-- reported as known instead of failing; one that no longer occurs fails, so
-- the entry goes as its fix lands. The list ends empty.
local KNOWN_CYCLES = {
}

local build, src = arg[1], arg[2] or "csrc"
if not build then
  io.stderr:write("usage: lua5.4 tools/layers.lua BUILD_DIR [SRC_DIR]\n")
  os.exit(2)
end

local rank, allowed = {}, {}
for i, row in ipairs(LAYERS) do
  rank[row[1]] = i
  allowed[row[1]] = { [row[1]] = true }
  for j = 2, #row do allowed[row[1]][row[j]] = true end
end

local problems, said = {}, {}
local function problem(fmt, ...)
  local text = fmt:format(...)
  if not said[text] then said[text] = true; problems[#problems + 1] = text end
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function lines(cmd)
  local p = assert(io.popen(cmd))
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  if not p:close() then error("failed: " .. cmd) end
  return t
end

local function any(patterns, s)
  for _, p in ipairs(patterns) do if s:find(p) then return true end end
  return false
end

-- A short list of reasons for a message: "a, b, c and 4 more".
local function some(list)
  local n = #list
  if n <= 3 then return table.concat(list, ", ") end
  return table.concat(list, ", ", 1, 3) .. " and " .. (n - 3) .. " more"
end

-- Why a layer may not have an arrow to another.
local function refusal(from, to)
  if not rank[to] then return to .. "/ is not a known layer" end
  if rank[to] > rank[from] then return ("%s is above %s"):format(to, from) end
  return ("%s may not use %s"):format(from, to)
end

-- Every file of the source tree lives in a known layer folder.
for _, f in ipairs(lines("find " .. q(src) .. " -type f -name '*.[ch]' | sort")) do
  local rel = f:sub(#src + 2)
  local layer = rel:match("^([^/]+)/")
  if not layer then
    problem("%s: not in a layer folder of %s/", rel, src)
  elseif not rank[layer] then
    problem("%s: %s/ is not in the layer table (tools/layers.lua, README Layout)", rel, layer)
  end
end

-- The objects: one per source, SRC_DIR/<layer>/<name>.c built into
-- BUILD_DIR/<layer>/<name>.o, named by the source ("store/store.c"), as the
-- Makefile builds them. An object whose source was since removed or renamed
-- is not part of the build and is left out.
local objects, by_path, unbuilt = {}, {}, {}
local sources = lines("find " .. q(src) .. " -mindepth 2 -maxdepth 2 -name '*.c' | sort")
if #sources == 0 then
  io.stderr:write("layers: no sources under " .. src .. "/<layer>/\n")
  os.exit(2)
end
for _, f in ipairs(sources) do
  local layer, name = f:sub(#src + 2):match("^([^/]+)/([^/]+)%.c$")
  local o = { path = ("%s/%s/%s.o"):format(build, layer, name), layer = layer,
              id = layer .. "/" .. name .. ".c" }
  local built = io.open(o.path, "rb")
  if built then
    built:close()
    objects[#objects + 1], by_path[o.path] = o, o
  else
    unbuilt[o.id] = true
    problem("%s: no %s (build first)", o.id, o.path)
  end
end

-- Symbols: who defines what, and what each object uses.
local definer, uses = {}, {}
local paths = {}
for i, o in ipairs(objects) do paths[i] = q(o.path); uses[o] = {} end
for _, l in ipairs(#paths > 0 and lines("nm -P -A " .. table.concat(paths, " ")) or {}) do
  local path, sym, kind, value = l:match("^(.-): (%S+) (%a) ?(%S*)")
  local o = path and by_path[path]
  if o then
    -- U is undefined; w/v without a value an undefined weak reference;
    -- other capitals are globals this object defines.
    if kind == "U" or ((kind == "w" or kind == "v") and value == "") then
      uses[o][#uses[o] + 1] = sym
    elseif kind:match("%u") then
      definer[sym] = definer[sym] or o
    end
  end
end

-- File arrows from symbols: edges[a][b] = { symbols a uses from b }.
local edges, nedges = {}, 0
for _, o in ipairs(objects) do edges[o] = {} end
for _, o in ipairs(objects) do
  for _, sym in ipairs(uses[o]) do
    local d = definer[sym]
    if d and d ~= o then
      if not edges[o][d] then edges[o][d] = {}; nedges = nedges + 1 end
      table.insert(edges[o][d], sym)
    elseif not d then
      for _, lib in ipairs(LIBRARIES) do
        if o.layer ~= lib.room and any(lib.symbols, sym) then
          problem("%s uses %s (%s) outside %s/", o.id, lib.name, sym, lib.room)
        end
      end
    end
  end
end

-- An object's arrows in order of the target's name, so messages come in one order.
local function targets(o)
  local t = {}
  for d in pairs(edges[o]) do t[#t + 1] = d end
  table.sort(t, function(x, y) return x.id < y.id end)
  return t
end

for _, o in ipairs(objects) do
  for _, d in ipairs(targets(o)) do
    local syms = edges[o][d]
    if rank[o.layer] and not allowed[o.layer][d.layer] then
      problem("%s -> %s: %s (uses %s)", o.id, d.id, refusal(o.layer, d.layer), some(syms))
    end
  end
end

-- Includes, from the .d file beside each object (its first rule lists every
-- header the compiler opened, directly or not).
for _, o in ipairs(objects) do
  local dpath = o.path:gsub("%.o$", ".d")
  local f = io.open(dpath, "r")
  if not f then
    problem("%s: no %s (the Makefile compiles with -MMD)", o.id, dpath)
  else
    local text = f:read("a"):gsub("\\\n", " ")
    f:close()
    local deps = text:match("^[^\n]-:%s*([^\n]*)") or ""
    local seen = {}
    for h in deps:gmatch("%S+") do
      local layer, name = h:match("csrc/([^/]+)/([^/]+)$")
      if not layer and h:match("csrc/[^/]+$") then
        problem("%s includes %s, which is not in a layer folder", o.id, h)
      elseif layer then
        local rel = layer .. "/" .. name
        if rank[o.layer] and not allowed[o.layer][layer] and not seen[rel] then
          seen[rel] = true
          problem("%s -> %s: %s (includes %s)", o.id, rel, refusal(o.layer, layer), h)
        end
      else
        for _, lib in ipairs(LIBRARIES) do
          if o.layer ~= lib.room and any(lib.headers, h) and not seen[lib] then
            seen[lib] = true
            problem("%s uses %s (includes %s) outside %s/", o.id, lib.name, h, lib.room)
          end
        end
      end
    end
  end
end

-- Pairs that need each other.
local by_id = {}
for _, o in ipairs(objects) do by_id[o.id] = o end
local known = {}
for _, pair in ipairs(KNOWN_CYCLES) do
  local a, b = by_id[pair[1]], by_id[pair[2]]
  if a and b and edges[a][b] and edges[b][a] then
    known[a], known[b] = known[a] or {}, known[b] or {}
    known[a][b], known[b][a] = true, true
  elseif not (unbuilt[pair[1]] or unbuilt[pair[2]]) then
    problem("%s <-> %s no longer need each other: remove the pair from KNOWN_CYCLES (tools/layers.lua)",
      pair[1], pair[2])
  end
end
local nknown = 0
for _, a in ipairs(objects) do
  for _, b in ipairs(targets(a)) do
    local syms = edges[a][b]
    if a.id < b.id and edges[b][a] then
      if known[a] and known[a][b] then
        nknown = nknown + 1
      else
        problem("%s <-> %s need each other: %s uses %s; %s uses %s",
          a.id, b.id, a.id, some(syms), b.id, some(edges[b][a]))
      end
    end
  end
end

-- Longer rings: the strongly connected components (Tarjan) of the file
-- graph, leaving out the known pairs (and only those, while KNOWN_CYCLES lasts).
local function counted(a, b) return edges[a][b] and not (known[a] and known[a][b]) end
local function one_way(a, b) return edges[a][b] and not edges[b][a] end
local index, low, onstack, stack, nextindex = {}, {}, {}, {}, 0
local components = {}
local function connect(v)
  index[v], low[v], nextindex = nextindex, nextindex, nextindex + 1
  stack[#stack + 1], onstack[v] = v, true
  for w in pairs(edges[v]) do
    if counted(v, w) then
      if not index[w] then
        connect(w)
        low[v] = math.min(low[v], low[w])
      elseif onstack[w] then
        low[v] = math.min(low[v], index[w])
      end
    end
  end
  if low[v] == index[v] then
    local c = {}
    repeat
      local w = table.remove(stack)
      onstack[w] = nil
      c[#c + 1] = w
    until w == v
    if #c > 2 then components[#components + 1] = c end -- two are a pair, reported above
  end
end
for _, o in ipairs(objects) do if not index[o] then connect(o) end end

local function by_name(x, y) return x.id < y.id end

-- The shortest ring of one-way arrows inside c through its file s (by breadth), or nil.
local function ring_through(c, s)
  local inside, from, queue, i = {}, {}, { s }, 1
  for _, o in ipairs(c) do inside[o] = true end
  while i <= #queue do
    local v = queue[i]; i = i + 1
    local succ = {}
    for w in pairs(edges[v]) do if inside[w] and one_way(v, w) then succ[#succ + 1] = w end end
    table.sort(succ, by_name)
    for _, w in ipairs(succ) do
      if w == s then
        local ring = { s }
        while v ~= s do table.insert(ring, 2, v); v = from[v] end
        return ring
      end
      if not from[w] then from[w] = v; queue[#queue + 1] = w end
    end
  end
end

for _, c in ipairs(components) do
  table.sort(c, by_name)
  local ring
  for _, s in ipairs(c) do
    ring = ring_through(c, s)
    if ring then break end
  end
  if ring then
    local names, steps = {}, {}
    for j, v in ipairs(ring) do
      local w = ring[j % #ring + 1]
      names[j], steps[j] = v.id, ("%s uses %s"):format(v.id, some(edges[v][w]))
    end
    problem("cycle %s -> %s: %s%s", table.concat(names, " -> "), ring[1].id, table.concat(steps, "; "),
      #c > #ring and (" (%d files in all reach each other)"):format(#c) or "")
  else
    -- Every ring here takes an arrow of a pair reported above; name the
    -- files unless the pairs are all there is.
    local names, more = {}, false
    for j, v in ipairs(c) do
      names[j] = v.id
      for _, w in ipairs(c) do more = more or one_way(v, w) end
    end
    if more then
      problem("%d files reach each other through the pairs above: %s", #c, table.concat(names, ", "))
    end
  end
end

if #problems > 0 then
  for _, p in ipairs(problems) do print("layers: " .. p) end
  print(("layers: FAILED, %d problem%s"):format(#problems, #problems == 1 and "" or "s"))
  os.exit(1)
end

local layers_seen, nlayers = {}, 0
for _, o in ipairs(objects) do
  if not layers_seen[o.layer] then layers_seen[o.layer], nlayers = true, nlayers + 1 end
end
local allowing = ""
if nknown > 0 then
  allowing = (", %d known pair%s allowed for now (KNOWN_CYCLES)"):format(nknown, nknown == 1 and "" or "s")
end
print(("layers: OK, %d objects, %d file arrows, %d layers%s"):format(#objects, nedges, nlayers, allowing))
