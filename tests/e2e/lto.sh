#!/bin/bash
# -flto: with placement=early, every source-level call is timed even when the objects are compiled
# separately and linked without the plugin; with the default late placement (the plugin given at
# link time too, as the README says) the program behaves the same and its database is consistent.
# Objects compiled with -flto and the plugin but linked without it make the linker warn, naming
# the flags to add; linked with it, or fat objects linked without -flto, say nothing.
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
# Compiled with the plugin (late), linked without it: functions cannot be timed, and ld says so.
build la.o pat_a.c -c -O2 -flto +include=*
build lb.o pat_b.c -c -O2 -flto +include=*
build_plain nolink la.o lb.o -O2 -flto "$E2E_RUNTIME" -lsqlite3
expect_match "late, linked without the plugin: the linker's warning names the flags" \
    "warning: ctimer: objects compiled with -flto and the ctimer plugin were linked without it.*link with the same flags: -fplugin=$E2E_PLUGIN -fplugin-arg-ctimer-include=\\*" \
    "$(cat nolink.log)"
build withlink la.o lb.o -O2 -flto
expect_eq "late, linked with the plugin: no warning" "" "$(grep -i 'warning' withlink.log)"
run withlink ./withlink
expect_eq "late, linked with the plugin: main is timed" 1 "$(rows main)"
expect_tree "late, linked with the plugin"

# Fat objects linked without -flto were instrumented when compiled: no warning.
build fa.o pat_a.c -c -O2 -flto -ffat-lto-objects
build fb.o pat_b.c -c -O2 -flto -ffat-lto-objects
build_plain fat fa.o fb.o -O2 "$E2E_RUNTIME" -lsqlite3 -fno-lto
expect_eq "fat objects linked without -flto: no warning" "" "$(grep -i 'warning' fat.log)"
run fat ./fat
expect_eq "fat objects linked without -flto: main is timed" 1 "$(rows main)"
finish
