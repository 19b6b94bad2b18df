#!/bin/bash
# Several programs recording into one database at once each get a complete run of their own, with
# the names they asked for or, without CTIMER_RUN, distinct generated names; a CTIMER_RUN already
# taken is reported and replaced by a generated name.
. "$(dirname "$0")/lib.sh"

build fib fib.c -O0
for i in 1 2 3 4; do
    CTIMER_BATCH=1000 run "named$i" ./fib 22 &
done
for i in 1 2 3 4; do
    CTIMER_RUN='' run "generated$i" ./fib 22 &
done
wait
for i in 1 2 3 4; do
    for name in "named$i" "generated$i"; do
        expect_eq "$name: stdout, stderr" "fib(22) = 17711|" "$(cat "$name.out")|$(cat "$name.err")"
    done
done
expect_eq "runs: named ones" "named1 named2 named3 named4" \
    "$(qlist "SELECT table_name FROM runs WHERE table_name LIKE 'named%' ORDER BY 1")"
expect_eq "runs: generated names, all distinct" 4 \
    "$(q "SELECT count(DISTINCT table_name) FROM runs WHERE table_name NOT LIKE 'named%'")"
expect_eq "runs whose rows are not all 57 313 calls of fib and main's" 0 \
    "$(q "SELECT count(*) FROM runs WHERE calls != 57314 OR rows != 57314")"
RUN=named3
expect_eq "named3: rows of fib" 57313 "$(rows fib)"

CTIMER_RUN=named1 run again ./fib 5
expect_eq "CTIMER_RUN already taken: stdout" "fib(5) = 5" "$(cat again.out)"
expect_eq "CTIMER_RUN already taken: stderr" \
    "ctimer: CTIMER_RUN='named1' is already in runs; using ..." \
    "$(sed -E 's/using [A-Za-z0-9_]+$/using .../' again.err)"
generated=$(sed 's/.* using //' again.err)
expect_eq "CTIMER_RUN already taken: the new run's table" 1 \
    "$(q "SELECT count(*) FROM runs WHERE calls = 16 AND table_name = '$generated'")"
finish
