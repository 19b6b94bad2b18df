#!/bin/bash
# -flto: with placement=early, every source-level call is timed even when the objects are compiled
# separately and linked without the plugin; with the default late placement (the plugin given at
# link time too, as the README says) the program behaves the same and its database is consistent.
. "$(dirname "$0")/lib.sh"

all="alpha_one:1 alpha_two:1 b_alpha:1 b_beta:1 beta_one:1 helper:1 main:1"
rows_per_function() {
    qlist "SELECT function || ':' || count(*) FROM ${RUN}_calls GROUP BY function ORDER BY 1"
}

build_both early pat_a.c pat_b.c -O2 -flto +placement=early
run_both early early
expect_eq "one command, early: rows per function" "$all" "$(rows_per_function)"
expect_tree "one command, early"

build_both late pat_a.c pat_b.c -O2 -flto
run_both late late
expect_eq "one command, late: main is timed" 1 "$(rows main)"
expect_tree "one command, late"

build a.o pat_a.c -c -O2 -flto +placement=early
build b.o pat_b.c -c -O2 -flto +placement=early
build_plain separate a.o b.o -O2 -flto "$E2E_RUNTIME" -lsqlite3
run separate ./separate
expect_same_as_plain "compiled separately, early, linked without the plugin" early.plain separate
expect_eq "compiled separately, early: rows per function" "$all" "$(rows_per_function)"
expect_tree "compiled separately, early"
finish
