local vss = require "vss"

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
end)
