#!/bin/bash
# 40 000 short-lived threads, 4 at a time, each calling tcall 10 times: the program's resident
# memory grows by less than 8 MB between the 2000th thread and half a second after the last (what
# the runtime keeps per thread that ended must be given back), and every call is recorded: 400 000 calls and rows of
# tcall, 40 000 of thread_main, over 40 000 threads.
. "$(dirname "$0")/lib.sh"

build_both tm threads_memory.c -O2 -pthread
run_plain tm.plain ./tm.plain 40000 4
run tm ./tm 40000 4
expect_same_as_plain "threads" tm.plain tm stdout-only
expect_eq "exit status, stdout" "0 threads 40000, calls 400000" "$RC $(cat tm.out)"
for b in tm.plain tm; do
    at2000=$(sed -n 's/^rss_kb after 2000 //p' "$b.err")
    atend=$(sed -n 's/^rss_kb after 40000 //p' "$b.err")
    expect_match "$b: VmRSS printed twice" '^[0-9]+ [0-9]+$' "$at2000 $atend"
    expect_le "$b: VmRSS growth from thread 2000 to 40000 (kB; $at2000 -> $atend)" 8192 \
        "$((${atend:-0} - ${at2000:-0}))"
done
expect_eq "calls and rows of tcall" "400000 400000" "$(calls tcall) $(rows tcall)"
expect_eq "calls of thread_main, threads of tcall" "40000 40000" \
    "$(calls thread_main) $(q "SELECT threads FROM tm_summary WHERE function = 'tcall'")"
expect_eq "runs: ended_at set, end_reason, complete, rows_lost, unfinished" "1|exit|1|0|0" \
    "$(q "SELECT ended_at IS NOT NULL, end_reason, complete, rows_lost, unfinished FROM runs WHERE table_name = 'tm'")"
finish
