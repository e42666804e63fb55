-- Loaded by busted before the specs (see .busted). A very eager collector
-- makes __gc bugs (use after free, double release) show up in every run.
collectgarbage("incremental", 0, 1000)
