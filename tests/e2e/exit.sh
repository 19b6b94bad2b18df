#!/bin/bash
# exit(3) from depth 5: the exit status is kept, every call completed before it is a row, and the
# six frames still open (main, d1..d5) are rows marked unfinished; runs.unfinished = 6.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    name=exit${opt#-}
    build "$name" exit.c "$opt"
    run "$name" "./$name"
    expect_eq "$name: exit status" 3 "$RC"
    expect_eq "$name: stdout" "exiting from d5" "$(cat "$name.out")"
    expect_eq "$name: completed rows" 105 \
        "$(q "SELECT count(*) FROM ${RUN}_calls WHERE NOT unfinished")"
    expect_eq "$name: completed rows are all leaf" 105 "$(rows leaf)"
    expect_eq "$name: unfinished rows (function:depth)" "main:0 d1:1 d2:2 d3:3 d4:4 d5:5" \
        "$(qlist "SELECT function || ':' || depth FROM ${RUN}_calls WHERE unfinished ORDER BY depth")"
    expect_eq "$name: runs.unfinished" 6 \
        "$(q "SELECT unfinished FROM runs WHERE table_name = '$RUN'")"
    expect_eq "$name: runs.ended_at is set" 1 \
        "$(q "SELECT ended_at IS NOT NULL FROM runs WHERE table_name = '$RUN'")"
    expect_tree "$name"
done
finish
