#!/bin/bash
# The per-thread views (T_thread_summary, T_thread_totals) give the same exact answers in every
# recording mode (CTIMER_MIN_NS=0, the default 5000, CTIMER_MODE=summary), and so do the README's
# per-thread, thread-count and diff examples; children and subtrees are rowid ranges (last_id), so
# children lookups and a subtree walk search the table by rowid.
. "$(dirname "$0")/lib.sh"

# demo.c at -O0: every source-level call timed.  The main thread: main, fib(20) = 21 891 calls,
# slow_io, 100 round_trip calls through codec.encode / codec.decode (half xor, half add); each of the
# four workers: worker, 2 500 collatz_steps, slow_io.
# calls=off: these views are checked against the demo's own functions (slow_io's sleep is its own
# self time here); library calls in the views are calls.sh's
build demo "$E2E_SRC/examples/demo.c" -O0 +calls=off
main_thread="add_decode:50,add_encode:50,codec.decode:100,codec.encode:100,fib:21891,main:1,round_trip:100,slow_io:1,xor_decode:50,xor_encode:50"
worker_thread="collatz_steps:2500,slow_io:1,worker:1"
expected_threads="$main_thread
$worker_thread
$worker_thread
$worker_thread
$worker_thread"

for mode in trace0 trace5000 summary; do
    case $mode in
    trace0) CTIMER_MIN_NS=0 run "$mode" ./demo ;;
    trace5000) CTIMER_MIN_NS=5000 run "$mode" ./demo ;;
    summary) CTIMER_MODE=summary run "$mode" ./demo ;;
    esac
    expect_eq "$mode: exit status" 0 "$RC"
    T=$RUN
    expect_eq "$mode: functions and calls of each thread (thread_summary)" "$expected_threads" \
        "$(q "SELECT group_concat(name || ':' || calls, ',') FROM
              (SELECT * FROM ${T}_thread_summary ORDER BY thread, name) GROUP BY thread" | sort)"
    expect_eq "$mode: thread_summary summed over threads equals the summary (calls, total, self)" 0 \
        "$(q "WITH t AS (SELECT name, sum(calls) AS c, sum(total_ns) AS tot, sum(self_ns) AS s
                          FROM ${T}_thread_summary GROUP BY name),
                   s AS (SELECT coalesce(struct || '.', '') || function AS name, calls, total_ns, self_ns
                          FROM ${T}_summary WHERE calls > 0)
              SELECT count(*) FROM s LEFT JOIN t USING (name)
              WHERE t.c IS NOT s.calls OR t.tot IS NOT s.total_ns OR t.s IS NOT s.self_ns")"
    expect_eq "$mode: avg, min and max of fib per thread" 1 \
        "$(q "SELECT avg_ns = 1.0 * total_ns / calls AND min_ns <= avg_ns AND avg_ns <= max_ns
              FROM ${T}_thread_summary WHERE name = 'fib'")"
    expect_eq "$mode: a method is named struct.field, with kind and struct" "codec.encode|method|codec" \
        "$(q "SELECT DISTINCT name, kind, struct FROM ${T}_thread_summary WHERE name LIKE '%encode' AND kind = 'method'")"
    expect_eq "$mode: thread_totals: threads, calls, and the calls of runs" "5|32401|32401" \
        "$(q "SELECT count(*), sum(calls), (SELECT calls FROM runs WHERE table_name = '$T')
              FROM ${T}_thread_totals")"
    expect_eq "$mode: thread_totals: busy_ns is the total of each thread's outermost function" 0 \
        "$(q "SELECT count(*) FROM ${T}_thread_totals t WHERE busy_ns != (SELECT total_ns
              FROM ${T}_thread_summary s WHERE s.thread = t.thread AND s.name IN ('main', 'worker'))")"
    expect_eq "$mode: thread_totals: tid and name match the threads table" 0 \
        "$(q "SELECT count(*) FROM ${T}_thread_totals t JOIN ${T}_threads h ON h.id = t.thread
              WHERE t.tid IS NOT h.tid OR t.thread_name IS NOT h.name")"
    # (the main thread's own time includes waiting in pthread_join, so its top may be main)
    expect_eq "$mode: thread_totals: top function of the workers (slow_io sleeps 10 ms)" \
        "slow_io slow_io slow_io slow_io" \
        "$(qlist "SELECT top_function FROM ${T}_thread_totals t WHERE EXISTS (SELECT 1 FROM ${T}_thread_summary s
                  WHERE s.thread = t.thread AND s.name = 'worker')")"
    expect_eq "$mode: thread_totals: top function has the most self time of its thread" 0 \
        "$(q "SELECT count(*) FROM ${T}_thread_totals t WHERE EXISTS (SELECT 1 FROM ${T}_thread_summary s
              WHERE s.thread = t.thread AND s.self_ns > t.top_self_ns)")"
    expect_eq "$mode: top_self_ns is that function's self time" 0 \
        "$(q "SELECT count(*) FROM ${T}_thread_totals t WHERE top_self_ns != (SELECT self_ns
              FROM ${T}_thread_summary s WHERE s.thread = t.thread AND s.name = t.top_function)")"

    # The README's examples, as written there (T replaced by the run).
    expect_eq "$mode: README: how many threads" 5 "$(q "SELECT count(*) FROM \"${T}_thread_totals\";")"
    expect_eq "$mode: README: per function per thread (calls of collatz_steps)" "2500 2500 2500 2500" \
        "$(qlist "SELECT calls FROM (SELECT tid, thread_name, name, calls, total_ns, self_ns, avg_ns
                  FROM \"${T}_thread_summary\" ORDER BY thread, total_ns DESC) WHERE name = 'collatz_steps'")"
done

# The README's diff between two runs of different programs keeps functions of either run.
build fib fib.c -O0
run fib10 ./fib 10
diff_sql=$(sed -n '/^-- How did this run differ/,/^ORDER BY abs/p' "$E2E_SRC/README.md" |
    sed -e 's/"PREV_summary"/"fib10_summary"/' -e 's/"T_summary"/"trace0_summary"/' -e 's/;$//')
expect_match "README: the diff example is found" "UNION" "$diff_sql"
expect_eq "README: diff of fib10 -> trace0: fib's calls, and one-sided functions" \
    "fib|177|21891 main|1|1 slow_io||5 worker||4" \
    "$(q "SELECT name || '|' || coalesce(prev_calls, '') || '|' || coalesce(calls, '') FROM ($diff_sql)
          WHERE name IN ('fib', 'main', 'slow_io', 'worker') ORDER BY name" | paste -sd ' ')"

# Children and subtrees as rowid ranges (the README's forms): a call's descendants are the rows of
# its thread with ids in (id, last_id].  The plan searches the table by rowid, no scan; the
# children of fib(20) (the main thread's fib row at depth 1) are fib(19) and fib(18), and its
# subtree has 21 890 rows below it.
fib20=$(q "SELECT id FROM trace0_calls WHERE function = 'fib' AND depth = 1")
children="SELECT c.function FROM trace0_calls p JOIN trace0_calls c
          ON c.id BETWEEN p.id + 1 AND p.last_id AND c.parent_id = p.id WHERE p.id = $fib20"
expect_match "the children lookup is a rowid range search" "SEARCH c USING INTEGER PRIMARY KEY \\(rowid>\\? AND rowid<\\?\\)" \
    "$(q "EXPLAIN QUERY PLAN $children" | tr '\n' ' ')"
expect_eq "children of fib(20): fib(19) and fib(18)" "fib fib" "$(qlist "$children")"
expect_eq "subtree of fib(20): the rows below it" 21890 \
    "$(q "SELECT count(*) FROM trace0_calls p JOIN trace0_calls c
          ON c.id BETWEEN p.id + 1 AND p.last_id AND c.thread_id = p.thread_id WHERE p.id = $fib20")"
expect_eq "the same subtree, walked recursively through the children form" 21891 \
    "$(q "WITH RECURSIVE sub(id, last) AS (SELECT id, last_id FROM trace0_calls WHERE id = $fib20 UNION ALL
          SELECT c.id, c.last_id FROM sub JOIN trace0_calls c ON c.id BETWEEN sub.id + 1 AND sub.last
          AND c.parent_id = sub.id) SELECT count(*) FROM sub")"
finish
