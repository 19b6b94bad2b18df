#!/bin/bash
# A program's stdout, stderr and exit status are the same with and without the plugin, at -O0 and
# -O2, including deaths by SIGABRT (status 134) and SIGSEGV (status 139).
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    build_both "output$o" output.c "$opt"
    run_both "output${o}_abort" "output$o" abort
    expect_eq "$opt: status of the abort run" 134 "$RC"
    run_both "output${o}_segv" "output$o" segv
    expect_eq "$opt: status of the segv run" 139 "$RC"
    run_both "output$o" "output$o"
    expect_eq "$opt: status of the normal run" 7 "$RC"
    expect_eq "$opt: rows of add_sample in the normal run" 1000 "$(rows add_sample)"
done
finish
