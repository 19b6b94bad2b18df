#!/bin/bash
# CPU time beside wall time (-fplugin-arg-ctimer-cpu=sleeper,busy; cpu.c).  sleeper (20 ms in
# usleep) records cpu_ns under 2 ms; busy, calibrated to spin about 2 ms, records cpu_ns within
# 20 % of its wall time (the best of its 20 calls, of up to 5 runs on a loaded machine: a call the
# machine preempted has less CPU than wall time, never more), and no call more CPU than wall time; plain, not named, records NULL in
# its rows and its summary; the summary's cpu_ns is the sum of the rows'.  Verbose says which
# functions get CPU time.  <t>_threads has each thread's CPU and wall time, CPU at most wall and at
# least the busy calls' CPU on it; a process that ends with _exit leaves its main thread's NULL.
# Rows without CPU time cost one byte more than before (a NULL).  At -O0 and -O2.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    build_both "cpu$o" cpu.c "$opt" -pthread +cpu=sleeper,busy +verbose
    expect_eq "$o: verbose: the functions that get CPU time" \
        "cpu.c:31: sleeper gets CPU time
cpu.c:32: busy gets CPU time" \
        "$(grep 'gets CPU time' "cpu$o.log" | sed 's|^.*/||')"
    run_both "cpu$o" "cpu$o"
    expect_eq "$o: stdout" "done" "$(cat "cpu$o.out")"
    expect_eq "$o: calls of sleeper, busy, plain" "1 20 10" "$(calls sleeper) $(calls busy) $(calls plain)"

    sl=$(q "SELECT cpu_ns FROM ${RUN}_calls WHERE function = 'sleeper'")
    expect_match "$o: sleeper's cpu_ns is recorded" '^[0-9]+$' "$sl"
    expect_le "$o: sleeper's cpu_ns (us), asleep 20 ms" 1999 "$((sl / 1000))"
    expect_ge "$o: sleeper's duration (ms)" 20 "$(q "SELECT duration_ns / 1000000 FROM ${RUN}_calls WHERE function = 'sleeper'")"

    expect_eq "$o: busy rows with cpu_ns" 20 \
        "$(q "SELECT count(cpu_ns) FROM ${RUN}_calls WHERE function = 'busy'")"
    expect_eq "$o: busy rows with more CPU than wall time (beyond 20 us of clock grain)" 0 \
        "$(q "SELECT count(*) FROM ${RUN}_calls WHERE function = 'busy' AND cpu_ns > duration_ns + 20000")"
    # On a loaded machine every call may be preempted: up to 4 more runs, the best call of all
    best=$(q "SELECT CAST(max(100.0 * cpu_ns / duration_ns) AS INTEGER) FROM ${RUN}_calls WHERE function = 'busy'")
    for again in 1 2 3 4; do
        [ "$best" -ge 80 ] 2>/dev/null && break
        run "again$o$again" "./cpu$o"
        b=$(q "SELECT CAST(max(100.0 * cpu_ns / duration_ns) AS INTEGER) FROM ${RUN}_calls WHERE function = 'busy'")
        [ "$b" -gt "$best" ] 2>/dev/null && best=$b
    done
    RUN=cpu$o
    expect_ge "$o: busy's best cpu/wall (%), at least 80" 80 "$best"
    expect_ge "$o: busy's shortest call (us), calibrated to ~2000" 1000 \
        "$(q "SELECT min(duration_ns) / 1000 FROM ${RUN}_calls WHERE function = 'busy'")"
    expect_eq "$o: summary cpu_ns of sleeper, busy = the sum of their rows'" "1 1" \
        "$(q "SELECT ((SELECT cpu_ns FROM ${RUN}_summary WHERE function = 'sleeper') =
                      (SELECT sum(cpu_ns) FROM ${RUN}_calls WHERE function = 'sleeper')) || ' ' ||
                     ((SELECT cpu_ns FROM ${RUN}_summary WHERE function = 'busy') =
                      (SELECT sum(cpu_ns) FROM ${RUN}_calls WHERE function = 'busy'))")"
    expect_eq "$o: plain and main record no CPU time (rows, summary)" "0 0 NULL NULL" \
        "$(q "SELECT count(cpu_ns) FROM ${RUN}_calls WHERE function = 'plain'") $(q "SELECT count(cpu_ns) FROM ${RUN}_calls WHERE function = 'main'") $(q "SELECT coalesce(cpu_ns, 'NULL') FROM ${RUN}_summary WHERE function = 'plain'") $(q "SELECT coalesce(cpu_ns, 'NULL') FROM ${RUN}_summary WHERE function = 'main'")"

    expect_eq "$o: threads with cpu_ns and wall_ns" "2 2" \
        "$(q "SELECT count(cpu_ns) || ' ' || count(wall_ns) FROM ${RUN}_threads")"
    expect_eq "$o: threads whose CPU time exceeds their wall time" 0 \
        "$(q "SELECT count(*) FROM ${RUN}_threads WHERE cpu_ns > wall_ns")"
    expect_eq "$o: threads with less CPU time than their busy calls' (1 % of grain)" 0 \
        "$(q "SELECT count(*) FROM ${RUN}_threads th WHERE th.cpu_ns * 1.01 <
                (SELECT sum(c.cpu_ns) FROM ${RUN}_calls c WHERE c.thread_id = th.tid AND c.function = 'busy')")"
    expect_eq "$o: thread_totals shows them" 2 \
        "$(q "SELECT count(*) FROM ${RUN}_thread_totals WHERE cpu_ns <= wall_ns")"
    expect_tree "$o"

    run "die$o" "./cpu$o" die
    expect_eq "$o: die: exit status, stdout" "0 done" "$RC $(cat "die$o.out")"
    expect_eq "$o: die: end_reason" died "$(q "SELECT end_reason FROM runs WHERE table_name = 'die$o'")"
    expect_eq "$o: die: main thread's cpu_ns, wall_ns (NULL: no hand-shake); the ended worker's set" \
        "NULL|NULL 1" \
        "$(q "SELECT coalesce(cpu_ns, 'NULL') || '|' || coalesce(wall_ns, 'NULL') FROM die${o}_threads WHERE tid = (SELECT pid FROM runs WHERE table_name = 'die$o')") $(q "SELECT count(cpu_ns) FROM die${o}_threads WHERE tid != (SELECT pid FROM runs WHERE table_name = 'die$o')")"
done
finish
