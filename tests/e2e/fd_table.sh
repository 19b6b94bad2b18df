#!/bin/bash
# The instrumented program sees the same descriptor table as the plain build, listed from
# /proc/self/fd first thing in main (main is timed, so the runtime has started), after main's first
# call of an instrumented function, and after 1000 more: the runtime (and its recorder) keep no
# descriptor in the program's table, at -O0 and -O2.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    build_both "fds$o" fd_table.c "$opt" +exclude=list_fds,cmp_int
    run_both "fds$o" "fds$o"
    expect_eq "fds$o: exit status" 0 "$RC"
    expect_eq "fds$o: three listings" 3 "$(grep -c '^[a-z0-9 ]*: 0 1 2' "fds$o.out")"
    expect_eq "fds$o: calls of main, work, list_fds (not timed)" "1 1001 0" \
        "$(calls main) $(calls work) $(calls list_fds)"
    expect_eq "fds$o: runs: ended_at set, end_reason, calls" "1|exit|1002" \
        "$(q "SELECT ended_at IS NOT NULL, end_reason, calls FROM runs WHERE table_name = '$RUN'")"
done
finish
