local vss = require "vss"
local support = require "support"
local q = support.q

-- In a fresh lua5.4 (the in-tree build, from /), require module with _G
-- watched: every global it sets (even one set back to nil), reads while
-- undefined, adds or replaces. Returns the report line and whether it ran.
local function global_report(module, lua_path)
  local probe = ([[
    local before, writes, reads = {}, {}, {}
    for k, v in pairs(_G) do before[k] = v end
    setmetatable(_G, {
      __newindex = function(t, k, v) writes[#writes + 1] = tostring(k); rawset(t, k, v) end,
      __index = function(_, k) reads[#reads + 1] = tostring(k) end })
    require(%q)
    setmetatable(_G, nil)
    local added, changed = {}, {}
    for k, v in pairs(_G) do
      if before[k] == nil then added[#added + 1] = tostring(k)
      elseif before[k] ~= v then changed[#changed + 1] = tostring(k) end
    end
    for _, t in ipairs { writes, reads, added, changed } do table.sort(t) end
    io.write(("set={%%s} read={%%s} added={%%s} replaced={%%s}"):format(table.concat(writes, ","),
      table.concat(reads, ","), table.concat(added, ","), table.concat(changed, ",")))
  ]]):format(module)
  local env = lua_path and "LUA_PATH_5_4=" .. q(lua_path .. "/?.lua;;") or support.lua_env
  return support.sh("cd / && env " .. env .. " lua5.4 -e " .. q(probe))
end

describe("vss", function()
  it("has a version string", function()
    assert.is_string(vss.version)
    assert.matches("^%d+%.%d+%.%d+", vss.version)
  end)

  it("does not touch the global table", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    package.loaded["vss"], package.loaded["vss.core"] = nil, nil
    require "vss"
    for k in pairs(_G) do
      assert.is_true(before[k], "new global: " .. tostring(k))
    end
  end)

  it("sets, reads, adds and replaces no global in a fresh process", function()
    local out, ok = global_report("vss")
    assert.is_true(ok, out)
    assert.equal("set={} read={} added={} replaced={}", out)
  end)

  it("would see a module that leaks a global, even one set back to nil", function()
    local dir = support.tmpdir()
    finally(function() support.rm_rf(dir) end)
    support.write(dir .. "/leaky.lua", "leaked = 1\ntemp = 2\ntemp = nil\nif undefined then end\n"
      .. "type = function() end\nreturn {}\n")
    local out, ok = global_report("leaky", dir)
    assert.is_true(ok, out)
    assert.equal("set={leaked,temp} read={undefined} added={leaked} replaced={type}", out)
  end)
end)

describe("vss.core classes", function()
  -- The one way the Lua layer extends a C class: the method table the C
  -- module exports as core.<module>.methods.<Class>, which is the table
  -- the objects' methods come from.
  local core = require "vss.core"
  local classes = {
    ranges = { "Ranges" }, filespec = { "FileDesc", "PathMap", "Walker" },
    metadata = { "WriterMetadata", "Component" }, components = { "BackupComponents", "ComponentState" },
    store = { "Store", "StoreTransaction" }, snapshot = { "SnapshotSet", "Freeze" },
    writer = { "Writer", "WriterSession" }, dest = { "Dest", "DestFile" },
  }

  it("export each class's method table as core.<module>.methods.<Class>", function()
    for module, names in pairs(classes) do
      for _, name in ipairs(names) do
        assert.is_table(core[module].methods[name], module .. ".methods." .. name)
      end
    end
    local r = vss.ranges.parse("0:1")
    assert.equal(core.ranges.methods.Ranges.format, r.format)
    assert.is_function(core.snapshot.methods.SnapshotSet.providers) -- added by lua/vss/snapshot.lua
    assert.is_function(core.store.methods.Store.files)                -- added by lua/vss/store.lua
    assert.equal(core.filespec.methods.FileDesc.walk, vss.filespec.new("/", "*").walk)
  end)

  it("are extended by lua/vss/ through those tables alone", function()
    local dir = require("support").root .. "/lua/vss"
    for file in io.popen("ls " .. dir):lines() do
      local text = assert(io.open(dir .. "/" .. file)):read("a")
      assert.is_nil(text:find("getregistry", 1, true), file)
      assert.is_nil(text:find("getmetatable", 1, true), file)
    end
  end)
end)
