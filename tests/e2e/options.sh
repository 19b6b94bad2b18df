#!/bin/bash
# Options that change what is recorded, not how long things take:
#   by default, calls shorter than 5 us get no row but stay in the exact summary;
#   CTIMER_MIN_NS drops short calls' rows but keeps them in the exact summary;
#   CTIMER_MODE=summary writes no per-call rows but the exact summary;
#   CTIMER_BATCH=1 and CTIMER_APP_ID;
#   min-stmts=N skips exactly the leaf functions with fewer than N statements (verbose says so);
#   with min-stmts-scope=noloop, exactly the functions without a loop, leaf or not.
. "$(dirname "$0")/lib.sh"

build options options.c -O2

# run_info COLUMNS: columns of this run's row in `runs`.
run_info() {
    q "SELECT $1 FROM runs WHERE table_name = '$RUN'"
}

# expect_threshold NAME NS TINY_MAX: run NAME recorded rows only for calls of NS ns or more (a
# preempted tiny call may pass a small NS: at most TINY_MAX rows of it), and exact calls for all.
expect_threshold() {
    local name=$1 ns=$2 tiny_max=$3
    expect_eq "$name: exit status" 0 "$RC"
    expect_eq "$name: runs.min_ns, mode" "$ns|trace" "$(run_info "min_ns, mode")"
    expect_eq "$name: completed rows shorter than $ns ns" 0 \
        "$(q "SELECT count(*) FROM ${name}_calls WHERE duration_ns < $ns AND NOT unfinished")"
    expect_le "$name: rows of tiny" "$tiny_max" "$(rows tiny)"
    expect_eq "$name: rows of nap (2 ms) and of its nanosleep (calls=blocking, the default)" "1 1" \
        "$(rows nap) $(librows nanosleep)"
    expect_eq "$name: calls per function" "main:1 nanosleep:1 nap:1 tiny:1000" \
        "$(qlist "SELECT function || ':' || calls FROM ${name}_summary ORDER BY function")"
}

# The defaults: trace mode, 5 us.  (lib.sh's run sets CTIMER_MIN_NS=0 unless it is set; an empty
# value counts as unset for the runtime.)
CTIMER_MIN_NS= run defaults ./options
expect_threshold defaults 5000 10

CTIMER_MIN_NS=1000000 run min_ns ./options
expect_threshold min_ns 1000000 999

CTIMER_MODE=summary run summary ./options
expect_eq "summary: exit status" 0 "$RC"
expect_eq "summary: runs.mode" summary "$(run_info mode)"
expect_eq "summary: rows" 0 "$(q "SELECT count(*) FROM summary_calls")"
expect_eq "summary: calls per function" "main:1 nanosleep:1 nap:1 tiny:1000" \
    "$(qlist "SELECT function || ':' || calls FROM summary_summary ORDER BY function")"

CTIMER_BATCH=1 CTIMER_APP_ID=batch-of-one run batch ./options
expect_eq "batch=1: rows (tiny, nap, its nanosleep, main)" 1003 "$(q "SELECT count(*) FROM batch_calls")"
expect_eq "batch=1: runs.app_id, mode" "batch-of-one|trace" "$(run_info "app_id, mode")"
expect_tree "batch=1"

# min-stmts at -O0: add1 and bump are leaves below 6 statements; loop_sum is a bigger leaf and
# wrapper calls another function.
for n in 0 6; do
    build "min_stmts$n" min_stmts.c -O0 +min-stmts=$n +verbose
    run "min_stmts$n" "./min_stmts$n"
    expect_eq "min-stmts=$n: stdout" "99 42" "$(cat "min_stmts$n.out")"
done
expect_eq "min-stmts=0: instrumented" "add1 bump loop_sum main wrapper" \
    "$(qlist "SELECT name FROM min_stmts0_functions WHERE kind = 'function' ORDER BY 1")"
expect_eq "min-stmts=6: instrumented" "loop_sum main wrapper" \
    "$(qlist "SELECT name FROM min_stmts6_functions WHERE kind = 'function' ORDER BY 1")"
expect_eq "min-stmts=6: rows per function" "loop_sum:1 main:1 wrapper:1" \
    "$(qlist "SELECT function || ':' || count(*) FROM min_stmts6_calls GROUP BY function ORDER BY 1")"
expect_eq "min-stmts=0: verbose lines saying skipped" "" "$(grep skipped min_stmts0.log)"
expect_eq "min-stmts=6: skipped, as verbose says" \
    "$PROGS/min_stmts.c:7: add1 skipped $PROGS/min_stmts.c:8: bump skipped" \
    "$(sed -n 's/ skipped: leaf with [0-9]* statements < min-stmts=6$/ skipped/p' min_stmts6.log |
        sort | paste -sd ' ')"

# Scope noloop: wrapper (small, calls add1) goes too; loop_sum (a loop) and main (6 statements at
# -O0) stay.  The summary's edges then go main -> loop_sum only.
build noloop min_stmts.c -O0 +min-stmts=6 +min-stmts-scope=noloop +verbose
run noloop ./noloop
expect_eq "noloop: stdout" "99 42" "$(cat noloop.out)"
expect_eq "noloop: instrumented" "loop_sum main" \
    "$(qlist "SELECT name FROM noloop_functions WHERE kind = 'function' ORDER BY 1")"
expect_eq "noloop: rows per function" "loop_sum:1 main:1" \
    "$(qlist "SELECT function || ':' || count(*) FROM noloop_calls GROUP BY function ORDER BY 1")"
expect_eq "noloop: skipped, as verbose says" \
    "add1:2 bump:4 wrapper:2" \
    "$(sed -n 's/^.*: \([a-z_0-9]*\) skipped: loopless function with \([0-9]*\) statements < min-stmts=6$/\1:\2/p' \
        noloop.log | sort | paste -sd ' ')"
expect_tree "noloop"
finish
