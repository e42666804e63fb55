std = "lua54"
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/helper.lua"] = { std = "+busted" }
exclude_files = { "lua_modules/**", ".luarocks/**", "build/**" }
max_line_length = 110
