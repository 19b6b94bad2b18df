#!/bin/bash
# Arguments and return values (-fplugin-arg-ctimer-args=fib,mix,nothing,shape; args.c), into
# <t>_args by call id.  fib(10) at -O0, with the default CTIMER_MIN_NS (5 us, which most of fib's
# calls are under): every call of an args= function gets a row, and its rows show the recursion
# exactly: the number of rows with n = k is the number of calls fib(10) makes of fib(k) (computed
# here: 1 for 10 and 9, then c(k) = c(k+1) + c(k+2), and c(0) = c(2)), each with ret = fib(n).
# mix's char is sign-extended (-3), its pointer is the address the program printed, its double is
# NULL, its enum 1, and its fifth argument is not captured; nothing's return is NULL; shape's
# struct and double return are NULL, its int is captured.  Verbose says what each captures.
# Functions not named have no _args rows; summary mode writes none.  -O2 for mix, nothing, shape.
. "$(dirname "$0")/lib.sh"

build_both args0 args.c -O0 +args=fib,mix,nothing,shape +verbose
expect_eq "verbose: what each function captures" \
    "args.c:14: fib captures argument 0 and the return value
args.c:16: mix captures argument 0, 1, 3 and the return value
args.c:21: nothing captures argument 0
args.c:23: shape captures argument 1" \
    "$(grep ' captures ' args0.log | sed 's|^.*/||')"
# same_as_plain NAME: NAME's output is its plain build's, but for the address (line 2)
same_as_plain() {
    run_plain "$1.plain" "./$1.plain"
    expect_eq "$1: stdout but the address, exit status (plain vs instrumented)" \
        "$(sed 2d "$1.plain.out") $(cat "$1.plain.rc")" "$(sed 2d "$1.out") $RC"
}
CTIMER_MIN_NS= run args0 ./args0
same_as_plain args0
addr=$(sed -n 2p args0.out)
expect_eq "stdout: fib(10), mix, shape" "55 7 21" "$(sed -n 1p args0.out) $(sed -n 3p args0.out) $(sed -n 4p args0.out)"
expect_eq "runs.min_ns (the default)" 5000 "$(q "SELECT min_ns FROM runs WHERE table_name = '$RUN'")"

# The calls fib(10) makes of fib(k), for k = 10 .. 0
declare -A c
c[10]=1
c[9]=1
for ((k = 8; k >= 1; k--)); do c[$k]=$((c[$((k + 1))] + c[$((k + 2))])); done
c[0]=${c[2]}
want=
total=0
for ((k = 10; k >= 0; k--)); do want+="$k:${c[$k]} "; total=$((total + c[$k])); done
expect_eq "fib: calls (all of them rows, whatever CTIMER_MIN_NS)" "$total $total" "$(calls fib) $(rows fib)"
expect_eq "fib: rows per argument n, n = 10 .. 0" "${want% }" \
    "$(qlist "SELECT a.arg0 || ':' || count(*) FROM ${RUN}_args a JOIN ${RUN}_calls k USING (id)
              WHERE k.function = 'fib' GROUP BY a.arg0 ORDER BY a.arg0 DESC")"
expect_eq "fib: rows whose ret is not fib(n), or arg1..3 not NULL" 0 \
    "$(q "WITH RECURSIVE f(n, v, w) AS (SELECT 0, 0, 1 UNION ALL SELECT n + 1, w, v + w FROM f WHERE n < 30)
          SELECT count(*) FROM ${RUN}_args a JOIN ${RUN}_calls k USING (id) LEFT JOIN f ON f.n = a.arg0
          WHERE k.function = 'fib' AND (a.ret IS NOT f.v OR a.arg1 IS NOT NULL OR a.arg2 IS NOT NULL
          OR a.arg3 IS NOT NULL)")"
expect_eq "fib: the root call's n is 10, its parent main" "10 main" \
    "$(q "SELECT a.arg0 || ' ' || p.function FROM ${RUN}_args a JOIN ${RUN}_calls k USING (id)
          JOIN ${RUN}_calls p ON p.id = k.parent_id WHERE k.function = 'fib' AND k.depth = 1")"
expect_eq "main has a row (a parent of rows with arguments) but no _args row" "1 0" \
    "$(rows main) $(q "SELECT count(*) FROM ${RUN}_args JOIN ${RUN}_calls USING (id) WHERE function = 'main'")"

# shellcheck disable=SC2016
row() { q "SELECT coalesce(a.arg0, 'NULL') || '|' || coalesce(a.arg1, 'NULL') || '|' || coalesce(a.arg2, 'NULL')
              || '|' || coalesce(a.arg3, 'NULL') || '|' || coalesce(a.ret, 'NULL')
              FROM ${RUN}_args a JOIN ${RUN}_calls k USING (id) WHERE k.function = '$1'"; }
for o in O0 O2; do
    if [ $o = O2 ]; then
        build_both args2 args.c -O2 +args=mix,nothing,shape
        run args2 ./args2
        same_as_plain args2
        addr=$(sed -n 2p args2.out)
    fi
    expect_eq "$o: mix: arg0..3, ret (char, pointer, double, enum; int)" "-3|$addr|NULL|1|7" "$(row mix)"
    expect_eq "$o: nothing: arg0..3, ret" "-2|NULL|NULL|NULL|NULL" "$(row nothing)"
    expect_eq "$o: shape: arg0..3, ret (struct, int; double)" "NULL|9|NULL|NULL|NULL" "$(row shape)"
    expect_tree "$o"
done

CTIMER_MODE=summary run summary ./args0
expect_eq "summary mode: fib's calls, rows, _args rows" "$total 0 0" \
    "$(calls fib) $(rows fib) $(q "SELECT count(*) FROM summary_args")"
finish
