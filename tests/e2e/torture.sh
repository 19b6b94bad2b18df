#!/bin/bash
# progs/torture.c (multiple returns, tail calls, recursion, varargs, VLA, alloca, nested functions,
# constructors, destructors, atexit, signal handlers, longjmp, computed goto, a loop head as first
# block, K&R, struct, complex, double and long double returns, asm, noreturn) at -O0, -O2 and -O3
# with both placements: the same output and exit status as without the plugin, including the
# abort() ending, and a consistent database.  Exact call counts wherever every source-level call
# is timed: -O0, and placement=early at any level.
. "$(dirname "$0")/lib.sh"

expected_counts="add:3 alloca_len:1 asm_add:1 asm_goto:1 at_exit_handler:1 classify:4 cmul:1 \
dive:6 fact:10 finish:1 interp:1 is_even:10 is_odd:9 knr_add:1 ld_half:1 main:1 make_big:1 \
mean2:1 nested_outer:1 on_signal:3 raise_some:1 spin:2 sq:1 sum_ints:1 tail_inner:1 \
tail_outer:1 tail_sum:101 torture_fini:1 torture_init:1 try_dive:1 vla_sum:1"

for opt in -O0 -O2 -O3; do
    o=${opt#-}
    for placement in late early; do
        name=$placement$o
        build_both "$name" torture.c "$opt" +placement=$placement
        run_both "${name}_abort" "$name" abort
        expect_eq "$opt $placement: exit status with abort" 134 "$RC"
        run_both "$name" "$name"
        expect_eq "$opt $placement: exit status" 5 "$RC"
        expect_tree "$opt $placement"
        if [ $opt = -O0 ] || [ $placement = early ]; then
            expect_eq "$opt $placement: rows per function" "$expected_counts" \
                "$(qlist "SELECT function || ':' || count(*) FROM ${RUN}_calls
                          GROUP BY function ORDER BY function")"
            expect_eq "$opt $placement: callers of on_signal, at_exit_handler, torture_fini" \
                "at_exit_handler:finish on_signal:raise_some torture_fini:finish" \
                "$(qlist "SELECT DISTINCT k.function || ':' || p.function FROM ${RUN}_calls k
                          JOIN ${RUN}_calls p ON p.id = k.parent_id
                          WHERE k.function IN ('on_signal', 'at_exit_handler', 'torture_fini')
                          ORDER BY 1")"
            expect_eq "$opt $placement: unfinished rows" "dive dive dive dive dive dive finish main" \
                "$(qlist "SELECT function FROM ${RUN}_calls WHERE unfinished ORDER BY function")"
        fi
    done
done
finish
