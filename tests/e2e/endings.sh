#!/bin/bash
# Every way a process can end leaves a complete run behind, written by the recorder: main -> work
# makes 1000 calls of leaf (depth 2), then main -> d1 -> d2 -> end_now (depth 3) ends the process by
# returning, exit, quick_exit, _exit, abort, a real SIGSEGV, raise(SIGKILL), default SIGINT and
# SIGTERM, or an exec (of /bin/true, or of the program itself).  At -O0 and -O2: the exit status and
# stdout are the plain build's; leaf has exactly 1000 calls and rows; the frames still open (main,
# d1, d2, end_now) are unfinished rows counted in runs.unfinished; runs.end_reason is 'exit' for
# return and exit, 'exec' for the execs, 'died' for everything else; ended_at, duration_ns and
# complete = 1 are set and no row was lost.  The image exec'd by exec_self starts a run of its own
# (same pid, a later id, a generated name since CTIMER_RUN is taken: one stderr line names it).
. "$(dirname "$0")/lib.sh"

# mode:exit status:end_reason
ENDINGS="return:0:exit exit:3:exit quick_exit:4:died _exit:5:died abort:134:died segv:139:died
sigkill:137:died sigint:130:died sigterm:143:died exec_true:0:exec exec_self:0:exec"

for opt in -O0 -O2; do
    o=${opt#-}
    build_both "endings$o" endings.c "$opt"
    for e in $ENDINGS; do
        IFS=: read -r mode status reason <<<"$e"
        name=${mode}_$o
        run_plain "$name.plain" "./endings$o.plain" "$mode"
        run "$name" "./endings$o" "$mode"
        if [ "$mode" = exec_self ]; then
            expect_same_as_plain "$name" "$name.plain" "$name" stdout-only
            expect_eq "$name: stdout" "ending: exec_self"$'\n'"child done" "$(cat "$name.out")"
            expect_eq "$name: lines on stderr (the exec'd image's CTIMER_RUN is taken)" 1 \
                "$(wc -l <"$name.err")"
            expect_match "$name: stderr names CTIMER_RUN" "CTIMER_RUN" "$(cat "$name.err")"
        else
            expect_same_as_plain "$name" "$name.plain" "$name"
            expect_eq "$name: stdout" "ending: $mode" "$(cat "$name.out")"
        fi
        expect_eq "$name: exit status" "$status" "$RC"
        expect_eq "$name: calls and rows of leaf" "1000 1000" "$(calls leaf) $(rows leaf)"
        if [ "$mode" = return ]; then
            open="" completed=1006 # leaf x 1000, work, end_now's fflush (calls=blocking), end_now, d2, d1, main
        else
            open="main:0 d1:1 d2:2 end_now:3" completed=1002 # leaf x 1000, work, end_now's fflush
        fi
        expect_eq "$name: unfinished rows (function:depth)" "$open" \
            "$(qlist "SELECT function || ':' || depth FROM ${RUN}_calls WHERE unfinished ORDER BY depth")"
        expect_eq "$name: runs: end_reason, ended_at set, complete, rows_lost, calls, unfinished, rows" \
            "$reason|1|1|0|$((completed + $(wc -w <<<"$open")))|$(wc -w <<<"$open")|$((completed + $(wc -w <<<"$open")))" \
            "$(q "SELECT end_reason, ended_at IS NOT NULL, complete, rows_lost, calls, unfinished, rows
                  FROM runs WHERE table_name = '$RUN'")"
        expect_ge "$name: runs.duration_ns" 1 \
            "$(q "SELECT duration_ns FROM runs WHERE table_name = '$RUN'")"
        expect_eq "$name: leaf rows at depth 2 under work" 1000 \
            "$(q "SELECT count(*) FROM ${RUN}_calls k JOIN ${RUN}_calls p ON p.id = k.parent_id
                  WHERE k.function = 'leaf' AND k.depth = 2 AND p.function = 'work'")"
        expect_tree "$name"

        if [ "$mode" = exec_self ]; then
            first=$RUN
            RUN=$(q "SELECT table_name FROM runs WHERE pid = (SELECT pid FROM runs WHERE table_name = '$first')
                     AND id > (SELECT id FROM runs WHERE table_name = '$first')")
            expect_match "$name: the exec'd image's run (same pid, later id)" '^[A-Za-z_][A-Za-z0-9_]*$' "$RUN"
            expect_eq "$name: the exec'd image's run is named on stderr" "$RUN" \
                "$(grep -o "$RUN" "$name.err" | head -n 1)"
            expect_eq "$name: exec'd image: calls of leaf, work, main" "100 1 1" \
                "$(calls leaf) $(calls work) $(calls main)"
            expect_eq "$name: exec'd image: runs end_reason, ended_at set, complete, calls, unfinished" \
                "exit|1|1|102|0" \
                "$(q "SELECT end_reason, ended_at IS NOT NULL, complete, calls, unfinished
                      FROM runs WHERE table_name = '$RUN'")"
            expect_tree "$name: exec'd image"
        fi
    done
done
expect_eq "runs in the database (one per ending and -O level, and the exec'd images')" \
    $((2 * ($(wc -w <<<"$ENDINGS") + 1))) "$(q "SELECT count(*) FROM runs")"
finish
