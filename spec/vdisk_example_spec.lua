-- examples/vdisk_inspect.lua runs on a VHDX made here and on the real
-- Hyper-V differencing disk with its stand-in parent.
local support = require "support"
local q, sh = support.q, support.sh

local env = support.lua_env

describe("examples/vdisk_inspect.lua", function()
  local dir
  before_each(function() dir = support.tmpdir() end)
  after_each(function() support.rm_rf(dir) end)

  it("prints a dynamic VHDX's layer and what it owns", function()
    if not select(2, sh("command -v qemu-img")) then return pending("needs qemu-img (qemu-utils)") end
    local img = dir .. "/d.vhdx"
    -- without the sanitizer runtimes `make test SAN=1` preloads (qemu-img hangs under them)
    assert(select(2, sh(("env -u LD_PRELOAD sh -c %s"):format(q(("qemu-img create -q -f vhdx -o "
      .. "block_size=1M %s 16M && qemu-io -f vhdx -c 'write -P 7 2M 1M' %s"):format(q(img), q(img)))))))
    local out, ok = sh(("cd %s && %s lua5.4 examples/vdisk_inspect.lua %s"):format(
      q(support.root), env, q(img)))
    assert.is_true(ok, out)
    assert.matches("vss.VirtualDisk (VHDX dynamic, 16777216 bytes, 1 layer", out, 1, true)
    assert.matches("VHDX dynamic, 16.0 MiB virtual, block 1024 KiB, sectors 512/512", out, 1, true)
    assert.matches("holds data 1.00 MiB in 1 ranges", out, 1, true)
    assert.matches("data       vss.Ranges(1 range, 1048576 bytes: 2097152:1048576)", out, 1, true)
    -- qemu marks the blocks it did not write ZERO: declared, so owned
    assert.matches("declares zero 15.00 MiB, owns 16.00 MiB", out, 1, true)
  end)

  it("prints the Hyper-V checkpoint's chain and its sector-granular ownership", function()
    local data = support.testdata .. "/vdisk"
    if not select(2, sh("test -r " .. q(data .. "/differencing.avhdx.gz"))) then
      return pending("no testdata at " .. data)
    end
    for _, f in ipairs({ "differencing.avhdx", "hyperv-parent-standin.vhdx" }) do
      assert(select(2, sh(("gzip -dc %s | dd of=%s bs=1M conv=sparse status=none"):format(
        q(data .. "/" .. f .. ".gz"), q(dir .. "/" .. f)))))
    end
    local out, ok = sh(("cd %s && %s lua5.4 examples/vdisk_inspect.lua %s %s"):format(q(support.root), env,
      q(dir .. "/differencing.avhdx"), q(dir .. "/hyperv-parent-standin.vhdx")))
    assert.is_true(ok, out)
    assert.matches("2 layers", out, 1, true)
    assert.matches("parent id  {ff34003b-11ed-4cf8-a166-b2be05e20b80}", out, 1, true)
    assert.matches("locator    relative_path = .\\Generation 1_49C4BAF3", out, 1, true)
    assert.matches("creator \"Microsoft Windows 10.0.17763.0\"", out, 1, true)
    assert.matches("owns 3.03 MiB", out, 1, true)
    -- without its parent: refused, saying why
    out, ok = sh(("cd %s && %s lua5.4 examples/vdisk_inspect.lua %s"):format(q(support.root), env,
      q(dir .. "/differencing.avhdx")))
    assert.is_false(ok)
    assert.matches("was not found.*%(ECHAIN%)", out)
  end)
end)
