#!/bin/bash
# A daemon-style program closes every descriptor above 2 right after main's entry (when the
# runtime has already started), by a close() loop up to the limit or by close_range(3, ~0U, 0),
# then writes four files of 307 200 bytes while making 153 900 instrumented calls.  The files are
# byte for byte the plain build's, the program got the same descriptors (3..6) and printed the
# same, and every call is recorded exactly: whatever the runtime needs must not live in the
# program's descriptor table, where the program closes it and reuses the numbers.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    # calls=off: the loop variant's close() calls are as many as the descriptor limit allows
    build_both "daemon$o" daemon_fds.c "$opt" +calls=off
    for how in loop range; do
        name=${how}_$o
        mkdir "$name.plain.dir" "$name.dir"
        run_plain "$name.plain" "./daemon$o.plain" "$how" "$name.plain.dir"
        run "$name" "./daemon$o" "$how" "$name.dir"
        expect_same_as_plain "$name" "$name.plain" "$name"
        expect_eq "$name: exit status" 0 "$RC"
        expect_eq "$name: descriptors the program got" "descriptors 3 4 5 6" "$(head -n 1 "$name.out")"
        for f in 0 1 2 3; do
            expect_eq "$name: out$f is the plain build's (size, cmp)" "307200 same" \
                "$(stat -c %s "$name.dir/out$f" 2>&1) $(cmp -s "$name.plain.dir/out$f" "$name.dir/out$f" && echo same || echo differs)"
        done
        expect_eq "$name: calls of main, fill_block, next_word" "1 300 153600" \
            "$(calls main) $(calls fill_block) $(calls next_word)"
        expect_eq "$name: runs: ended_at set, end_reason, complete, calls, rows, unfinished" \
            "1|exit|1|153901|153901|0" \
            "$(q "SELECT ended_at IS NOT NULL, end_reason, complete, calls, rows, unfinished
                  FROM runs WHERE table_name = '$RUN'")"
    done
done
finish
