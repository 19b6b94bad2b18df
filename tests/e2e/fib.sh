#!/bin/bash
# fib(25) makes 242 785 calls of fib: exactly that many rows at -O0 with both placements and at -O2
# with placement=early (late placement at -O2 times only the calls left after inlining), and every
# row consistent with its parent and children.
. "$(dirname "$0")/lib.sh"

for variant in "O0_late -O0" "O0_early -O0 +placement=early" "O2_early -O2 +placement=early"; do
    # shellcheck disable=SC2086 # a variant is a name and its flags
    set -- $variant
    name=fib_$1
    shift
    build "$name" fib.c "$@"
    run "$name" "./$name"
    expect_eq "$name: exit status" 0 "$RC"
    expect_eq "$name: stdout" "fib(25) = 75025" "$(cat "$name.out")"
    expect_eq "$name: rows of fib" 242785 "$(rows fib)"
    expect_eq "$name: calls of fib in the summary" 242785 "$(calls fib)"
    expect_eq "$name: the only root" "main|0" \
        "$(q "SELECT function, depth FROM ${RUN}_calls WHERE parent_id IS NULL")"
    expect_eq "$name: depth of fib(25) and deepest fib" "1|25" \
        "$(q "SELECT min(depth), max(depth) FROM ${RUN}_calls WHERE function = 'fib'")"
    expect_eq "$name: unfinished rows" 0 "$(q "SELECT count(*) FROM ${RUN}_calls WHERE unfinished")"
    expect_tree "$name"
done
finish
