#!/bin/bash
# A recursion as deep as the default 8 MB stack allows (ulimit -s 8192) runs instrumented at -O0
# as it runs plain: exit 0, the same stdout, every call a row, depths exact.
#
# The depth: 400 000 is out of reach even for the plain build at -O0, whose smallest frame for
# deep() is 32 bytes (return address, saved rbp, n): 12.8 MB (it dies near 260 000).  The
# instrumented frame is 48 bytes (the plugin keeps the enter's t0 across the body), so at 70 % of
# the plain build's reach (183 000 frames) the instrumented build would need 8.8 MB.  The depth is
# therefore 120 000: 5.76 MB (69 %) instrumented, 3.84 MB plain; whatever the runtime and recorder
# need must fit in the rest, even when a chunk fills 120 000 frames down.  The plain build must also
# reach 183 000 (70 % of the stack): the measure the depth was chosen by.
. "$(dirname "$0")/lib.sh"

DEPTH=120000
build_both deep deep_stack.c -O0
(
    ulimit -s 8192
    run_plain reach.plain ./deep.plain 183000
    run_plain deep.plain ./deep.plain "$DEPTH"
    run deep ./deep "$DEPTH"
)
expect_eq "plain build at 183 000 frames (70 % of 8 MB): exit status, stdout" "0 deep(183000) = 183000" \
    "$(cat reach.plain.rc) $(cat reach.plain.out)"
expect_same_as_plain "depth $DEPTH" deep.plain deep stdout-only
expect_eq "exit status, stdout" "0 deep($DEPTH) = $DEPTH" "$(cat deep.rc) $(cat deep.out)"
expect_le "stack per instrumented frame (bytes; the depth was chosen for 48)" 48 \
    "$(sed -n 's/.* bytes, \([0-9]*\) per frame$/\1/p' deep.err)"
RUN=deep
expect_eq "calls and rows of deep" "$((DEPTH + 1)) $((DEPTH + 1))" "$(calls deep) $(rows deep)"
expect_eq "depths of deep's rows, at_bottom's" "1|$((DEPTH + 1))|$((DEPTH + 2))" \
    "$(q "SELECT min(depth), max(depth), (SELECT depth FROM deep_calls WHERE function = 'at_bottom')
          FROM deep_calls WHERE function = 'deep'")"
expect_eq "runs: ended_at set, end_reason, complete, calls, unfinished" "1|exit|1|$((DEPTH + 3))|0" \
    "$(q "SELECT ended_at IS NOT NULL, end_reason, complete, calls, unfinished FROM runs WHERE table_name = 'deep'")"
finish
