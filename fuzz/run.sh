#!/bin/sh
# Run each fuzz target (build/fuzz/<target>, built by `make fuzz-build`)
# for SECONDS on a copy of its seed corpus (fuzz/corpus/<target>/) with its
# dictionary (fuzz/<target>.dict). Prints one line per target with its
# executions, and a crash's reproducer (libFuzzer's crash-*, leak-*,
# timeout-* or oom-* file under build/fuzz/<target>/); ends with
# "fuzz: N passed, N failed" and exits non-zero when any target failed.
#   usage: fuzz/run.sh SECONDS TARGET...
set -u
secs=${1:?usage: fuzz/run.sh SECONDS TARGET...}
shift
passed=0 failed=0
for t in "$@"; do
    bin=build/fuzz/$t
    work=build/fuzz/$t.run
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz $t: $bin not built"
        failed=$((failed + 1))
        continue
    fi
    rm -rf "$work"
    mkdir -p "$work/corpus"
    dict=
    [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
    # New inputs go to the work corpus (first directory); the seeds are read.
    # -timeout: an input slower than 10 s is a hang, reported as a failure.
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/" $dict "$work/corpus" "fuzz/corpus/$t" >"$work/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
    found=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
        "$work"/slow-unit-* 2>/dev/null | grep -v slow-unit | head -n1)
    if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
        echo "ok fuzz $t: ${execs:-?} executions in ${secs} s, corpus $(ls "$work/corpus" | wc -l) new inputs"
        passed=$((passed + 1))
    else
        tail -n 40 "$work/log"
        echo "FAIL fuzz $t: exited $rc after ${execs:-?} executions; input: ${found:-none written (see $work/log)}"
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
