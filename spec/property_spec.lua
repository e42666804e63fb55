-- The property test of issue #11: a seeded random tree, random mutations
-- (spec/mutate.lua), a reference copy at each point, backups of random
-- types; each round the newest point is restored and compared entry by
-- entry with vss.tree.compare, and every k rounds (and at the end) older
-- points too: the first full, the latest differential and a random quarter
-- of the points since the previous sample.
--
--   LUAVSS_SEED=n      the seed (printed on failure); default fixed
--   LUAVSS_ROUNDS=n    rounds of the engine test (default 200)
--   LUAVSS_PROPERTY_EVERY=k  rounds between samples of older points (25)
--   LUAVSS_PROPERTY_ALL=1  go on past the first differing point and print,
--                      at the end, how many differences of each kind all
--                      points had (a survey; the test still fails)
--   LUAVSS_PROPERTY_IGNORE=a,b  fields vss.tree.compare ignores (its names)
local support = require "support"
local vss = require "vss"
local mutate = require "mutate"

local tree = vss.tree

local WID = "5eed5eed-0000-4000-8000-000000000011"
local IID = "5eed5eed-0000-4000-8000-000000000012"

local function env_int(name, def)
  local v = os.getenv(name)
  if v and v ~= "" then return assert(math.tointeger(tonumber(v)), name .. ": integer expected") end
  return def
end

-- Differences as lines, at most n of them.
local function lines(diffs, n)
  local t = {}
  for i = 1, math.min(#diffs, n or 20) do t[i] = "  " .. tree.format(diffs[i]) end
  if #diffs > (n or 20) then t[#t + 1] = ("  ... %d more"):format(#diffs - (n or 20)) end
  return table.concat(t, "\n")
end

describe("the property harness (spec/mutate.lua)", function()
  local dir
  before_each(function() dir = support.tmpdir() end)
  after_each(function()
    mutate.thaw(dir)
    support.rm_rf(dir)
  end)

  it("has at least 25 kinds of mutation, every one seen by the comparer", function()
    local seed = mutate.seed(20261202)
    local t = mutate.new(dir .. "/tree", seed, dir .. "/staging")
    t:generate(40)
    local kinds = t:kinds()
    assert.is_true(#mutate.KINDS >= 25, #mutate.KINDS .. " kinds")
    if support.is_root() then assert.equal(#mutate.KINDS, #kinds) end
    -- each kind in turn (twice over, in a seeded order), then: the tree
    -- equals its reference copy, and differs from the one before
    local order = {}
    for _, k in ipairs(kinds) do order[#order + 1] = k end
    for _, k in ipairs(kinds) do order[#order + 1] = k end
    local r = mutate.rng(seed)
    for i = #order, 2, -1 do
      local j = r(i)
      order[i], order[j] = order[j], order[i]
    end
    local prev = dir .. "/ref0"
    mutate.snapshot(t.root, prev)
    local seen = {}
    for i, want in ipairs(order) do
      local kind, what = t:mutate(want)
      local ref = dir .. "/ref" .. i
      mutate.snapshot(t.root, ref)
      local same = assert(tree.compare(t.root, ref))
      assert(#same == 0, ("seed %d, mutation %d %s %s: the reference copy differs:\n%s"):format(
        seed, i, kind, what, lines(same)))
      local changed = assert(tree.compare(prev, ref))
      assert(#changed > 0, ("seed %d, mutation %d %s %s: no difference seen"):format(seed, i, kind, what))
      seen[kind] = true
      mutate.thaw(prev)
      support.rm_rf(prev)
      prev = ref
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.is_true(n >= math.min(25, #kinds), n .. " kinds applied")
  end)

  it("repeats itself from one seed", function()
    local function run(seed, sub)
      local t = mutate.new(dir .. "/" .. sub, seed, dir .. "/staging-" .. sub)
      t:generate(15)
      for _ = 1, 15 do t:mutate() end
      return t
    end
    local a, b = run(77, "a"), run(77, "b")
    assert.same(a.log, b.log)
    assert.same({}, assert(tree.compare(a.root, b.root, { ignore = { "mtime", "root" } })))
    local c = run(78, "c")
    assert.are_not.same(a.log, c.log)
  end)
end)

-- A writer whose component is the tree, a recursive file set; on an
-- incremental or differential it reports the set as differenced files
-- (writer time 0: since its previous backup) when differenced() says so.
local function tree_writer(root, differenced)
  return support.tree_writer(root, { writer_id = WID, instance_id = IID,
                                     differenced = differenced })
end

describe("every point in time restores exactly (property)", function()
  local dir
  before_each(function() dir = support.tmpdir() end)
  after_each(function()
    mutate.thaw(dir)
    support.rm_rf(dir)
  end)

  it("restores the points of a random chain to trees equal to their reference copies", function()
    local seed = mutate.seed(11)
    local rounds = env_int("LUAVSS_ROUNDS", 200)
    local every = env_int("LUAVSS_PROPERTY_EVERY", 25) -- rounds between samples of older points
    local ignore = {}
    for name in (os.getenv("LUAVSS_PROPERTY_IGNORE") or ""):gmatch("[^,]+") do ignore[#ignore + 1] = name end
    local t = mutate.new(dir .. "/tree", seed, dir .. "/staging")
    t:generate(40)
    local r = mutate.rng(seed + 1)
    local use_differenced = false
    local w = tree_writer(t.root, function() return use_differenced end)
    local store = dir .. "/store"
    -- points whose reference is kept for the next sample: the first full,
    -- the latest differential, and about one point in four at random
    local kept = {}
    local failures = {}
    local types = { "incremental", "incremental", "incremental", "differential" }
    local survey = os.getenv("LUAVSS_PROPERTY_ALL") == "1"
    local tally, example, nrestores, checked = {}, {}, 0, {}
    local function drop(ref)
      mutate.thaw(ref)
      support.rm_rf(ref)
    end
    local function check(round, p, label)
      local out = ("%s/out%d-%d"):format(dir, round, p.round)
      local res, rmsg, rcode = vss.restore{ store = store, backup = p.id, location = "new", to = out,
                                            progress = false }
      local got = out .. t.root
      local diffs
      if res or support.exists(got) then
        diffs = assert(tree.compare(p.ref, got, { ignore = ignore }))
      else
        diffs = { { path = ".", what = "restore", a = nil, b = tostring(rmsg) .. " " .. tostring(rcode) } }
      end
      nrestores = nrestores + 1
      checked[p.round] = true
      for _, d in ipairs(diffs) do
        local k = d.what == "missing" and "missing " .. tostring(d.a)
          or d.what == "extra" and "extra " .. tostring(d.b)
          or d.what == "type" and ("type %s -> %s"):format(d.a, d.b)
          or d.what == "mtime" and (d.path == "." and "mtime of the top" or "mtime")
          or d.what
        tally[k] = (tally[k] or 0) + 1
        example[k] = example[k] or tree.format(d)
      end
      if #diffs > 0 and (not survey or #failures == 0) then
        failures[#failures + 1] = ("round %d, %s point %d (%s%s) after:\n    %s\n%s"):format(
          round, label, p.round, p.type, p.differenced and ", differenced" or "", p.mutations, lines(diffs))
      end
      drop(out)
      return #diffs == 0
    end
    for round = 1, rounds do
      local from = #t.log + 1
      if round > 1 then for _ = 1, r(3) do t:mutate() end end
      local ref = dir .. "/ref" .. round
      mutate.snapshot(t.root, ref)
      local bt = round == 1 and "full" or types[r(#types)]
      use_differenced = r(2) == 1
      local b, msg, code = vss.backup{ writers = { w }, store = store, type = bt, snapshot = false,
                                       progress = false }
      assert(b, ("seed %d round %d: backup %s: %s (%s)"):format(seed, round, bt, msg, code))
      local p = { id = b.id, ref = ref, type = bt, differenced = use_differenced, round = round,
                  mutations = table.concat(t.log, "\n    ", from) }
      -- the newest point, every round
      if not check(round, p, "newest") and not survey then break end
      -- keep its reference for the next sample?
      if round == 1 or bt == "differential" or r(4) == 1 then
        if bt == "differential" then
          for i = #kept, 1, -1 do
            if kept[i].type == "differential" then drop(kept[i].ref); table.remove(kept, i) end
          end
        end
        kept[#kept + 1] = p
      else
        drop(ref)
      end
      -- every `every` rounds and at the end: the kept older points
      if round % every == 0 or round == rounds then
        local stop = false
        for _, q in ipairs(kept) do
          if q ~= p and not check(round, q, "older") and not survey then stop = true; break end
        end
        if stop then break end
        -- drop the random ones; the first full and the latest differential stay
        for i = #kept, 1, -1 do
          local q = kept[i]
          if q.round ~= 1 and q.type ~= "differential" then drop(q.ref); table.remove(kept, i) end
        end
      end
    end
    if survey then
      local keys = {}
      for k in pairs(tally) do keys[#keys + 1] = k end
      table.sort(keys, function(x, y) return tally[x] > tally[y] end)
      local n = 0
      for _ in pairs(checked) do n = n + 1 end
      io.stderr:write(("\nsurvey, LUAVSS_SEED=%d, %d rounds, %d restores, %d points:\n"):format(
        seed, rounds, nrestores, n))
      for _, k in ipairs(keys) do
        io.stderr:write(("%6d  %-28s e.g. %s\n"):format(tally[k], k, example[k]))
      end
    end
    assert(#failures == 0, ("LUAVSS_SEED=%d: a restored point differs from its reference:\n%s")
      :format(seed, table.concat(failures, "\n")))
  end)

  it("restores a full + incremental of each kind of mutation alone", function()
    local seed = mutate.seed(11)
    local report, failed = {}, false
    local kinds = mutate.new(dir .. "/probe", seed, dir .. "/probe-staging"):kinds()
    for i, kind in ipairs(kinds) do
      for _, differenced in ipairs { false, true } do
        local base = ("%s/k%d%s"):format(dir, i, differenced and "d" or "")
        local t = mutate.new(base .. "/tree", seed + i, base .. "/staging")
        t:generate(20)
        local w = tree_writer(t.root, function() return differenced end)
        local store = base .. "/store"
        mutate.snapshot(t.root, base .. "/ref1")
        local full = assert(vss.backup{ writers = { w }, store = store, snapshot = false, progress = false })
        local done, what = t:mutate(kind) -- another kind when this one has nothing to work on
        mutate.snapshot(t.root, base .. "/ref2")
        local inc = assert(vss.backup{ writers = { w }, store = store, type = "incremental",
                                       snapshot = false, progress = false })
        -- what the full already gets wrong is not this kind's doing
        local function diffs_of(id, ref, out)
          local r = vss.restore{ store = store, backup = id, location = "new", to = out, progress = false }
          if not r and not support.exists(out .. t.root) then return { { path = ".", what = "restore" } } end
          return assert(tree.compare(ref, out .. t.root))
        end
        -- (nor what lies below a directory the full already lost)
        local before, lost = {}, {}
        for _, d in ipairs(diffs_of(full.id, base .. "/ref1", base .. "/out1")) do
          before[d.path .. "|" .. d.what .. "|" .. tostring(d.name)] = true
          if d.what == "missing" or d.what == "type" then lost[d.path] = true end
        end
        local function under_lost(path)
          for p in path:gmatch("()/") do
            if lost[path:sub(1, p - 1)] then return true end
          end
          return false
        end
        local new = {}
        for _, d in ipairs(diffs_of(inc.id, base .. "/ref2", base .. "/out2")) do
          if not before[d.path .. "|" .. d.what .. "|" .. tostring(d.name)] and not under_lost(d.path) then
            new[#new + 1] = d
          end
        end
        if #new > 0 then failed = true end
        report[#report + 1] = ("%-20s %-13s %s%s"):format(done, differenced and "differenced" or "requester",
          #new == 0 and "ok" or (#new .. " new, first: " .. tree.format(new[1])), #new == 0 and "" or
          ("   [" .. what:gsub("\n", "\\n") .. "]"))
        mutate.thaw(base)
        support.rm_rf(base)
      end
    end
    if os.getenv("LUAVSS_PROPERTY_ALL") == "1" then
      io.stderr:write("\nkinds alone, LUAVSS_SEED=" .. seed .. ":\n" .. table.concat(report, "\n") .. "\n")
    end
    assert(not failed, ("LUAVSS_SEED=%d: mutations lost by full + incremental:\n%s"):format(seed,
      table.concat(report, "\n")))
  end)
end)
