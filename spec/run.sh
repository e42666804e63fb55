#!/bin/sh
# The whole suite, as `make test` runs it: C unit tests, busted specs under
# Lua 5.4, luacheck, then the layer check (tools/layers.lua). Prints each part's output and ends with one line
# "N passed, N failed, N skipped"; exits non-zero when anything failed.
# FUZZ=1 adds the fuzz targets, each run FUZZ_SECONDS (CI sets both).
#   usage: spec/run.sh BUILD_DIR [SAN]
set -u
build=${1:?usage: spec/run.sh BUILD_DIR [SAN]}
san=${2:-0}
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== C unit tests ($build)"
# One binary per spec/c/test_*.c: a stale binary of a test since renamed or
# removed is not run.
for src in spec/c/test_*.c; do
    t="$build/$(basename "$src" .c)"
    if [ ! -x "$t" ]; then
        echo "FAIL $t: not built"
        failed=$((failed + 1))
        continue
    fi
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    summary=$(grep -E '^[a-z_0-9]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
    if [ -z "$summary" ]; then
        echo "FAIL $t: exited $rc without a summary (crash?)"
        failed=$((failed + 1))
        continue
    fi
    p=$(echo "$summary" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed$/\1/')
    passed=$((passed + p)) failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $t: exited $rc"
        failed=$((failed + 1))
    fi
done

echo "== busted specs (Lua 5.4)"
if [ "$san" = 1 ]; then
    # The interpreter is not instrumented: load the sanitizer runtimes first.
    # Leak checking stays on for the C tests; Lua's own exit-time frees vary.
    LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    ASAN_OPTIONS=detect_leaks=0
    VSS_CPATH="$PWD/$build/?.so" # the instrumented vss/core.so, for busted and the Lua children it starts
    export LD_PRELOAD ASAN_OPTIONS VSS_CPATH
fi
busted --lua=lua5.4 -o TAP >"$log" 2>&1
rc=$?
unset LD_PRELOAD ASAN_OPTIONS VSS_CPATH
cat "$log"
ok=$(grep -cE '^ok [0-9]+ - ' "$log")
skip=$(grep -cE '^ok [0-9]+ - # SKIP' "$log")
notok=$(grep -cE '^not ok [0-9]+ - ' "$log")
passed=$((passed + ok - skip)) failed=$((failed + notok)) skipped=$((skipped + skip))
if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
    echo "FAIL busted: exited $rc with no failing spec reported (crash or load error?)"
    failed=$((failed + 1))
fi

echo "== luacheck"
if luacheck --no-color -q . tools/vss-compare >"$log" 2>&1; then
    echo "luacheck: clean"
else
    cat "$log"
    echo "FAIL luacheck"
    failed=$((failed + 1))
fi

echo "== layers"
if ! lua5.4 tools/layers.lua "$build"; then
    echo "FAIL layers"
    failed=$((failed + 1))
fi

# With FUZZ=1 (CI): every fuzz target (fuzz/, README: Fuzzing) built and
# run FUZZ_SECONDS (30) each, one passed or failed per target.
if [ "${FUZZ:-0}" = 1 ]; then
    echo "== fuzz (${FUZZ_SECONDS:-30} s per target)"
    if make --no-print-directory fuzz-build >"$log" 2>&1; then
        targets=$(for f in fuzz/*.c; do basename "$f" .c; done)
        # shellcheck disable=SC2086
        sh fuzz/run.sh "${FUZZ_SECONDS:-30}" $targets >"$log" 2>&1
        cat "$log"
        summary=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
        if [ -z "$summary" ]; then
            echo "FAIL fuzz: fuzz/run.sh ended without a summary"
            failed=$((failed + 1))
        else
            p=$(echo "$summary" | sed -E 's/^fuzz: ([0-9]+) passed.*/\1/')
            f=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed$/\1/')
            passed=$((passed + p)) failed=$((failed + f))
        fi
    else
        tail -n 30 "$log"
        echo "FAIL fuzz: make fuzz-build failed"
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
