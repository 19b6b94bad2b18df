#!/bin/bash
# The smallest per-thread buffer (CTIMER_BUFFER_KB=128) and small transactions, under 242 786 calls:
# with CTIMER_ON_FULL=block nothing is lost; with drop, what is lost is accounted for
# (runs.calls + dropped = the calls made: runs.calls has the unfinished ones too) and what is
# kept is a consistent tree.
. "$(dirname "$0")/lib.sh"

build fib fib.c -O0
for mode in block drop; do
    CTIMER_BUFFER_KB=128 CTIMER_BATCH=100 CTIMER_ON_FULL=$mode run "$mode" ./fib
    expect_eq "$mode: stdout" "fib(25) = 75025" "$(cat "$mode.out")"
    expect_eq "$mode: exit status" 0 "$RC"
    expect_eq "$mode: runs.calls + dropped" 242786 \
        "$(q "SELECT calls + dropped FROM runs WHERE table_name = '$RUN'")"
    expect_eq "$mode: runs.rows" "$(q "SELECT count(*) FROM ${RUN}_calls")" \
        "$(q "SELECT rows FROM runs WHERE table_name = '$RUN'")"
    expect_tree "$mode"
done
expect_eq "block: runs.dropped, unfinished" "0|0" \
    "$(q "SELECT dropped, unfinished FROM runs WHERE table_name = 'block'")"
RUN=block
expect_eq "block: rows of fib" 242785 "$(rows fib)"
finish
