#!/bin/bash
# main starts two threads and calls pthread_exit; the threads outlive it and make 5000 calls of
# work each; the process exits with 0 (through exit, when the last thread ends) within the 60 s
# limit, like the plain build, and every call is recorded: 5000 work rows per thread, main's frame
# unfinished, runs.end_reason 'exit'.  -O0 and -O2.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    name=pe$o
    build_both "$name" pthread_exit_main.c "$opt" -pthread
    run_both "$name" "$name"
    expect_eq "$name: exit status, stdout" "0 all 10000 calls made" "$RC $(cat "$name.out")"
    expect_eq "$name: calls of work, worker" "10000 2" "$(calls work) $(calls worker)"
    expect_eq "$name: work rows per thread" "5000 5000" \
        "$(qlist "SELECT count(*) FROM ${RUN}_calls WHERE function = 'work' GROUP BY thread_id")"
    expect_eq "$name: work rows on main's thread" 0 \
        "$(q "SELECT count(*) FROM ${RUN}_calls w JOIN ${RUN}_calls m ON m.function = 'main'
              WHERE w.function = 'work' AND w.thread_id = m.thread_id")"
    expect_eq "$name: unfinished rows" "main" \
        "$(qlist "SELECT function FROM ${RUN}_calls WHERE unfinished")"
    # timed at their call sites (calls=blocking, the default): per thread 1 usleep of 50 ms and 10 of
    # 20 us; the last thread's fflush
    expect_eq "$name: calls of usleep, fflush" "22 1" "$(libcalls usleep) $(libcalls fflush)"
    expect_eq "$name: runs: ended_at set, end_reason, complete, calls, unfinished" "1|exit|1|10026|1" \
        "$(q "SELECT ended_at IS NOT NULL, end_reason, complete, calls, unfinished FROM runs
              WHERE table_name = '$RUN'")"
    expect_tree "$name"
done
finish
