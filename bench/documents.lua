-- Loading the largest real Writer Metadata Document, WM3.xml of the
-- Windows System Writer (2 MB, ~19,000 FILE_LIST elements), against the
-- peer xmllint(1) parsing the same file. Best of 5, warm cache:
--   xmllint --noout FILE              (libxml2 parse in a fresh process)
--   xmllint --noout FILE x5 in one go (amortised, per file)
--   vss.metadata.load(FILE)           (parse + model + every attribute checked)
--   wm:xml()                          (model -> XML text)
--   vss.metadata.parse(text)          (parse a saved document from memory)
local vss = require "vss"
package.path = "bench/lib/?.lua;" .. package.path -- run from the project root
local best = require("timing").best

local FILE = "../shared/testdata/windows-vss/with_sql/WM3.xml"
if not io.open(FILE) then
  print("documents: testdata absent (" .. FILE .. "), nothing to measure")
  return
end

local function ms(s) return ("%8.1f ms"):format(s * 1000) end

local peer = best(5, function() assert(os.execute("xmllint --noout " .. FILE)) end)
local peer5 = best(5, function()
  assert(os.execute(("xmllint --noout %s %s %s %s %s"):format(FILE, FILE, FILE, FILE, FILE)))
end) / 5
local wm
local load = best(5, function() wm = assert(vss.metadata.load(FILE)) end)
local files = 0
for _, c in ipairs(wm:components()) do files = files + c:get_component_info().file_count end
local text
local save = best(5, function() text = assert(wm:xml()) end)
local parse = best(5, function() assert(vss.metadata.parse(text)) end)

print(("WM3.xml: %d bytes, %d components, %d FILE_LIST"):format(#io.open(FILE):read("a"),
  #wm:components(), files))
print("xmllint --noout (one process)     " .. ms(peer))
print("xmllint --noout (per file of 5)   " .. ms(peer5))
print("vss.metadata.load                 " .. ms(load)
  .. ("   %.2fx xmllint per file"):format(load / peer5))
print("wm:xml()                          " .. ms(save))
print("vss.metadata.parse(saved text)    " .. ms(parse)
  .. ("   %.2fx xmllint per file"):format(parse / peer5))
