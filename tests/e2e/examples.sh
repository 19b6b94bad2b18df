#!/bin/bash
# The examples users read first (examples/demo.c; shapes.c is covered by methods.sh) compile
# cleanly, print the same with and without the plugin, and record what their comments promise.
. "$(dirname "$0")/lib.sh"

demo=$E2E_SRC/examples/demo.c
build_plain warnings "$demo" -O2 -Wall -Wextra -Werror
build_plain warnings_shapes "$E2E_SRC/examples/shapes.c" -O2 -Wall -Wextra -Werror

build_both demo "$demo" -O2
run_both demo demo
expect_eq "demo: summary (function, struct, calls, threads)" \
    "codec.decode:100:1 codec.encode:100:1 collatz_steps:10000:4 main:1:1 slow_io:5:5 worker:4:4" \
    "$(qlist "SELECT coalesce(struct || '.', '') || function || ':' || calls || ':' || threads
              FROM demo_summary WHERE function IN ('collatz_steps', 'slow_io', 'worker', 'main')
              OR kind = 'method' ORDER BY 1")"
expect_eq "demo: callees of codec.encode" "add_encode,xor_encode" \
    "$(q "SELECT callees FROM demo_methods WHERE method = 'encode'" | tr ',' '\n' | sort | paste -sd,)"
expect_tree demo

build early "$demo" -O2 +placement=early
run early ./early
expect_eq "demo, placement=early: calls of fib" 21891 "$(calls fib)"
finish
