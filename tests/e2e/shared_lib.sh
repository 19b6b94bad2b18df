#!/bin/bash
# Instrumented code in a shared library, with the shared runtime: the functions of both modules are
# known and timed, whether the library is linked at build time or loaded with dlopen; and a
# library unloaded by dlclose before the program ends does not disturb it.
. "$(dirname "$0")/lib.sh"

build_shared libplug.so plugin_lib.c -O0 -fPIC -shared

build_shared linked shared_main.c -O0 -L. -Wl,-rpath,"$WORK" -lplug
run linked ./linked
expect_eq "linked: stdout" "sum 295" "$(cat linked.out)"
expect_eq "linked: exit status" 0 "$RC"
expect_eq "linked: functions" "main plug_call plug_square" \
    "$(qlist "SELECT name FROM linked_functions ORDER BY 1")"
expect_eq "linked: rows per function" "main:1 plug_call:10 plug_square:10" \
    "$(qlist "SELECT function || ':' || count(*) FROM linked_calls GROUP BY function ORDER BY 1")"
expect_tree linked

build_plain dlopen.plain dlopen_main.c -O0 -ldl
build_shared dlopen dlopen_main.c -O0 -ldl
run_both dlopen dlopen "$WORK/libplug.so"
expect_eq "dlopen: rows per function" "after:10 main:1 plug_call:10 plug_square:10" \
    "$(qlist "SELECT function || ':' || count(*) FROM dlopen_calls GROUP BY function ORDER BY 1")"
finish
