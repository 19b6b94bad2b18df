#!/bin/bash
# 8 threads x 10 000 calls of work_item: 8 distinct thread ids with 10 000 rows each, the tids the
# workers saw themselves, none of them main's.
. "$(dirname "$0")/lib.sh"

build threads threads.c -O2 -pthread
run threads ./threads
expect_eq "exit status" 0 "$RC"
expect_eq "work_item rows per thread" "$(yes 10000 | head -n 8)" \
    "$(q "SELECT count(*) FROM threads_calls WHERE function = 'work_item' GROUP BY thread_id")"
expect_eq "thread ids of work_item rows (as the workers printed them)" \
    "$(sed -n 's/^worker //p' threads.out | sort -n)" \
    "$(q "SELECT DISTINCT thread_id FROM threads_calls WHERE function = 'work_item' ORDER BY 1")"
expect_eq "thread id of main's row" "$(sed -n 's/^main //p' threads.out)" \
    "$(q "SELECT thread_id FROM threads_calls WHERE function = 'main'")"
expect_eq "work_item rows on main's thread" 0 \
    "$(q "SELECT count(*) FROM threads_calls w JOIN threads_calls m ON m.function = 'main'
          WHERE w.function = 'work_item' AND w.thread_id = m.thread_id")"
expect_eq "work_item calls in the summary" 80000 "$(calls work_item)"
expect_eq "threads of work_item in the summary" 8 \
    "$(q "SELECT threads FROM threads_summary WHERE function = 'work_item'")"
expect_tree threads
finish
