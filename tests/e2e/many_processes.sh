#!/bin/bash
# Many short-lived instrumented processes into one database: 200 one after the other (a driver
# shell loop), then 50 more 4 at a time.  Every one prints what the plain build prints and nothing
# on stderr, and leaves a complete run: ended_at, end_reason 'exit', complete, the exact 178 calls
# (fib(10): 177, and main) as rows; runs has exactly 250 rows, one per process.
. "$(dirname "$0")/lib.sh"

build fib fib.c -O0
for ((i = 1; i <= 200; i++)); do
    run "seq$i" ./fib 10
done
for ((i = 1; i <= 50; i++)); do
    while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
    run "par$i" ./fib 10 &
done
wait
wait_runs_ended

bad_out=0 bad_err=0 bad_rc=0
for f in seq*.out par*.out; do [ "$(cat "$f")" = "fib(10) = 55" ] || bad_out=$((bad_out + 1)); done
for f in seq*.err par*.err; do [ -s "$f" ] && bad_err=$((bad_err + 1)); done
for f in seq*.rc par*.rc; do [ "$(cat "$f")" = 0 ] || bad_rc=$((bad_rc + 1)); done
expect_eq "processes whose stdout is not 'fib(10) = 55'" 0 "$bad_out"
expect_eq "processes with something on stderr" 0 "$bad_err"
expect_eq "processes whose exit status is not 0" 0 "$bad_rc"
expect_eq "stderr of all of them (the first lines)" "" "$(cat seq*.err par*.err | head -n 5)"
expect_eq "rows in runs" 250 "$(q "SELECT count(*) FROM runs")"
expect_eq "runs named seq1..seq200, par1..par50" "200 50" \
    "$(q "SELECT count(*) FROM runs WHERE table_name GLOB 'seq[0-9]*'") $(q "SELECT count(*) FROM runs WHERE table_name GLOB 'par[0-9]*'")"
expect_eq "runs not complete (ended_at, end_reason, complete, rows_lost, 178 calls and rows)" 0 \
    "$(q "SELECT count(*) FROM runs WHERE ended_at IS NULL OR end_reason IS NOT 'exit'
          OR complete IS NOT 1 OR rows_lost IS NOT 0 OR calls != 178 OR rows != 178 OR unfinished != 0")"
RUN=seq200
expect_eq "seq200: calls of fib" 177 "$(calls fib)"
RUN=par50
expect_eq "par50: calls of fib" 177 "$(calls fib)"
finish
