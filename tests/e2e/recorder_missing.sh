#!/bin/bash
# Without its recorder the program runs untimed and unchanged: CTIMER_RECORDER=/nonexistent/...
# gives exactly one stderr line "ctimer: cannot start the recorder ...", the plain build's stdout and
# exit status, no database file, and no process left behind.  CTIMER_OFF=1 starts no recorder at
# all (counted by a child subreaper that collects every process the program leaves behind) and
# creates no database; with neither, the recorder is started (the subreaper collects at least one
# process) and the run is complete.  With CTIMER_RECORDER naming the recorder beside the plugin
# (the default place), the run is recorded as by default.
. "$(dirname "$0")/lib.sh"

RECORDER=$(dirname "$E2E_PLUGIN")/ctimer-recorder
build_both fib fib.c -O0
build_plain subreaper subreaper.c -O2

run_plain plain ./fib.plain 20
CTIMER_DB=$PWD/missing.db CTIMER_RECORDER=/nonexistent/ctimer-recorder \
    run missing ./subreaper missing.orphans ./fib 20
expect_same_as_plain "recorder missing" plain missing stdout-only
expect_eq "recorder missing: lines on stderr" 1 "$(wc -l <missing.err)"
expect_match "recorder missing: stderr" "^ctimer: cannot start the recorder" "$(cat missing.err)"
expect_eq "recorder missing: database file" absent "$([ -e missing.db ] && echo present || echo absent)"
expect_eq "recorder missing: processes left behind" "orphans 0" "$(cat missing.orphans 2>&1)"

CTIMER_DB=$PWD/off.db CTIMER_OFF=1 run off ./subreaper off.orphans ./fib 20
expect_same_as_plain "CTIMER_OFF=1" plain off
expect_eq "CTIMER_OFF=1: processes left behind (no recorder)" "orphans 0" "$(cat off.orphans 2>&1)"
expect_eq "CTIMER_OFF=1: database file" absent "$([ -e off.db ] && echo present || echo absent)"

run on ./subreaper on.orphans ./fib 20
expect_same_as_plain "recording" plain on
expect_ge "recording: processes that outlived the program (its recorder)" 1 \
    "$(sed -n 's/^orphans //p' on.orphans)"
expect_eq "recording: calls of fib, runs: ended_at set, end_reason, complete" "21891 1|exit|1" \
    "$(calls fib) $(q "SELECT ended_at IS NOT NULL, end_reason, complete FROM runs WHERE table_name = 'on'")"

CTIMER_RECORDER=$RECORDER run explicit ./fib 20
expect_same_as_plain "CTIMER_RECORDER=(the default path)" plain explicit
expect_eq "CTIMER_RECORDER=(the default path): calls of fib, end_reason" "21891 exit" \
    "$(calls fib) $(q "SELECT end_reason FROM runs WHERE table_name = 'explicit'")"
finish
