#!/bin/bash
# Threads that end before exit keep all their calls, also when they end by pthread_exit from depth;
# a thread still running at exit keeps its completed calls, and its open frames are unfinished
# rows; threads still calling instrumented code flat out at exit neither hang nor crash it; a forked
# child records its own calls in a run of
# its own, table <CTIMER_RUN>_<child pid>, in which they are roots (the frames it inherited belong
# to the parent's run); the parent's run has none of them.
. "$(dirname "$0")/lib.sh"

build lifecycle lifecycle.c -O0 -pthread
run life ./lifecycle
expect_eq "exit status" 0 "$RC"
parent=$(sed -n 's/^parent pid //p' life.out)
child=$(sed -n 's/^child pid //p' life.out)
expect_eq "the child's exit status" 4 "$(sed -n 's/^child status //p' life.out)"
# The parent's 324 calls of its own functions and, timed at their call sites (calls=blocking, the
# default), 3 pthread_join, one fflush and one waitpid.
expect_eq "runs: table, pid, calls, unfinished" "life|$parent|329|0 life_$child|$child|50|0" \
    "$(qlist "SELECT table_name, pid, calls, unfinished FROM runs ORDER BY id")"

expect_eq "parent: tick rows per thread" "100 100 100" \
    "$(qlist "SELECT count(*) FROM life_calls WHERE function = 'tick' GROUP BY thread_id")"
expect_eq "parent: threads of tick rows that are main's" 0 \
    "$(q "SELECT count(*) FROM life_calls WHERE function = 'tick' AND thread_id = $parent")"
expect_eq "parent: threads known" 4 "$(q "SELECT count(DISTINCT tid) FROM life_threads")"
expect_eq "parent: rows per function" "fflush:1 main:1 parent_work:20 pthread_join:3 short_lived:3 tick:300 waitpid:1" \
    "$(qlist "SELECT function || ':' || count(*) FROM life_calls GROUP BY function ORDER BY 1")"
expect_tree parent

RUN=life_$child
expect_eq "child: rows per function, thread and depth" "child_work:$child:0:50" \
    "$(qlist "SELECT function || ':' || thread_id || ':' || depth || ':' || count(*) FROM ${RUN}_calls
              GROUP BY function, thread_id, depth")"
expect_eq "child: calls of child_work in the summary" 50 "$(calls child_work)"
expect_tree child

# calls=off: whether main waits on the condition at all (pthread_cond_wait) depends on timing
build lingering lingering.c -O0 -pthread +calls=off
run lingering ./lingering
expect_eq "lingering: exit status" 0 "$RC"
expect_eq "lingering: rows (function:depth:count:unfinished)" \
    "lingerer:0:1:1 main:0:1:0 tick:1:500:0 wait_forever:1:1:1" \
    "$(qlist "SELECT function || ':' || depth || ':' || count(*) || ':' || sum(unfinished)
              FROM lingering_calls GROUP BY function, depth ORDER BY 1")"
expect_eq "lingering: runs.calls (every call entered), unfinished" "503|2" \
    "$(q "SELECT calls, unfinished FROM runs WHERE table_name = 'lingering'")"
expect_tree lingering

build pthread_exit pthread_exit.c -O0 -pthread
run pthread_exit ./pthread_exit
expect_eq "pthread_exit: exit status" 0 "$RC"
expect_eq "pthread_exit: rows (function:depth:unfinished) in call order, the thread's first" \
    "body:0:1 c1:1:1 leaf:2:0 c2:2:1 leaf:3:0 c3:3:1 leaf:4:0 main:0:0 pthread_join:1:0 leaf:1:0 leaf:1:0 \
leaf:1:0 leaf:1:0 leaf:1:0" \
    "$(qlist "SELECT function || ':' || depth || ':' || unfinished FROM pthread_exit_calls
              ORDER BY thread_id != (SELECT thread_id FROM pthread_exit_calls
                                     WHERE function = 'body'), id")"
expect_tree pthread_exit

build spinning spinning.c -O2 -pthread
run spinning ./spinning
expect_eq "spinning: exit status" 0 "$RC"
expect_eq "spinning: stdout" "bye" "$(cat spinning.out)"
expect_eq "spinning: unfinished spinner rows" 2 \
    "$(q "SELECT count(*) FROM spinning_calls WHERE function = 'spinner' AND unfinished")"
expect_tree spinning
finish
