#!/bin/bash
# setjmp in main; 1000 times a recursion 50 frames deep (depths 1..50) longjmps back to main; then
# main calls after() 1000 times.  The frames the jumps left become unfinished rows (50 000, none in
# the summary) and do not pile up on the stack: every after row is at depth 1 with main's row as
# its parent, the exact edge main -> after has 1000 calls, and no row is deeper than 51 (50, or 51
# if the stale frame whose stack position equals the next recurse(49)'s is kept once).  -O0, -O2.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    name=lj$o
    build_both "$name" longjmp.c "$opt"
    run_both "$name" "$name"
    expect_eq "$name: exit status, stdout" "0 jumps 1000" "$RC $(cat "$name.out")"
    expect_eq "$name: calls and rows of after" "1000 1000" "$(calls after) $(rows after)"
    expect_eq "$name: after rows at depth 1 whose parent is main's row" 1000 \
        "$(q "SELECT count(*) FROM ${RUN}_calls WHERE function = 'after' AND depth = 1
              AND parent_id = (SELECT id FROM ${RUN}_calls WHERE function = 'main')")"
    expect_eq "$name: edges main -> after (named view)" 1000 \
        "$(q "SELECT calls FROM ${RUN}_edges_named WHERE caller = 'main' AND callee = 'after'")"
    expect_eq "$name: edges main -> after (edges joined with functions)" 1000 \
        "$(q "SELECT sum(e.calls) FROM ${RUN}_edges e JOIN ${RUN}_functions c ON c.id = e.caller
              JOIN ${RUN}_functions f ON f.id = e.func WHERE c.name = 'main' AND f.name = 'after'")"
    expect_eq "$name: callers of after" "main" \
        "$(qlist "SELECT DISTINCT caller FROM ${RUN}_edges_named WHERE callee = 'after'")"
    expect_le "$name: deepest row" 51 "$(q "SELECT max(depth) FROM ${RUN}_calls")"
    expect_eq "$name: recurse rows: count, unfinished, shallowest" "50000|50000|1" \
        "$(q "SELECT count(*), sum(unfinished), min(depth) FROM ${RUN}_calls WHERE function = 'recurse'")"
    expect_eq "$name: calls, unfinished, total_ns of recurse in the summary (entered, never returned)" \
        "50000|50000|0" "$(q "SELECT calls, unfinished, total_ns FROM ${RUN}_summary WHERE function = 'recurse'")"
    expect_eq "$name: runs: calls, unfinished, end_reason, complete" "51001|50000|exit|1" \
        "$(q "SELECT calls, unfinished, end_reason, complete FROM runs WHERE table_name = '$RUN'")"
    expect_tree "$name"
done
finish
