--- Backup tools the benches compare against, each with its repository
-- (and its keys, caches and security state) under the bench's directory:
-- restic (a password through RESTIC_PASSWORD) and borg (`init -e none`).
-- Tools that are not installed are left out, with a note.
local M = {}

local q = require("timing").q

--- M.available(work) -> { {name=, repo=, init=cmd, backup=function(label, dir, path) -> cmd}, ... }
-- init makes the repository (untimed by the benches); backup(label, dir, path)
-- backs up path (relative to dir) as a new snapshot / archive named label.
function M.available(work)
  local restic = ("RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=%s restic -q -r %s")
    :format(q(work .. "/restic-cache"), q(work .. "/restic"))
  local borg = ("BORG_PASSPHRASE= BORG_BASE_DIR=%s BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes"
    .. " borg"):format(q(work .. "/borg-base"))
  local all = {
    { name = "restic", repo = work .. "/restic", init = restic .. " init >/dev/null",
      backup = function(_, dir, path)
        return "cd " .. q(dir) .. " && " .. restic .. " backup " .. q(path)
      end },
    { name = "borg", repo = work .. "/borg", init = borg .. " init -e none " .. q(work .. "/borg"),
      backup = function(label, dir, path)
        return "cd " .. q(dir) .. " && " .. borg .. " create " .. q(work .. "/borg") .. "::" ..
          label .. " " .. q(path)
      end },
  }
  local found = {}
  for _, p in ipairs(all) do
    if os.execute("command -v " .. p.name .. " >/dev/null 2>&1") then
      found[#found + 1] = p
    else
      print(("  (%s not installed: left out; make bench-deps installs it)"):format(p.name))
    end
  end
  return found
end

return M
