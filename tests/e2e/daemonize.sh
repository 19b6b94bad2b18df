#!/bin/bash
# The classic daemon: fork, the parent exits at once with exit(0), the child calls setsid, makes
# 2000 calls of work, writes its pid file and ends with exit(0) or _exit(0) while the test's run of
# the parent is long over.  The child's run, <CTIMER_RUN>_<child pid>, has exactly 2000 calls of
# work under daemon_body (left open by the exit), its ended_at and end_reason ('exit' or 'died');
# the parent's run has its main (left open by exit) and no call of work.
. "$(dirname "$0")/lib.sh"

build_both daemonize daemonize.c -O2
for how in exit _exit; do
    name=d$how
    run_plain "$name.plain" ./daemonize.plain "$how" "$PWD/$name.plain.pid"
    run "$name" ./daemonize "$how" "$PWD/$name.pid"
    expect_eq "$name: exit status" 0 "$RC"
    expect_eq "$name: stderr" "" "$(cat "$name.err")"
    child=$(sed -n 's/^child //p' "$name.out")
    expect_match "$name: the parent printed the child's pid" '^[0-9]+$' "$child"
    for ((i = 0; i < 600; i++)); do [ -e "$name.pid" ] && break; sleep 0.05; done
    expect_eq "$name: the pid file" "$child" "$(cat "$name.pid" 2>&1)"
    wait_pid_gone "$child"
    wait_runs_ended
    expect_eq "$name: runs of this variant" "$name ${name}_$child" \
        "$(qlist "SELECT table_name FROM runs WHERE table_name LIKE '$name%' ORDER BY id")"
    expect_eq "$name: parent: calls of main, work; unfinished rows" "1 0 main" \
        "$(calls main) $(calls work) $(qlist "SELECT function FROM ${RUN}_calls WHERE unfinished")"
    reason='exit'
    [ "$how" = exit ] || reason=died
    RUN=${name}_$child
    expect_eq "$name: child: calls and rows of work" "2000 2000" "$(calls work) $(rows work)"
    expect_eq "$name: child: work rows under daemon_body at depth 1, on the child's thread" 2000 \
        "$(q "SELECT count(*) FROM ${RUN}_calls k JOIN ${RUN}_calls p ON p.id = k.parent_id
              WHERE k.function = 'work' AND k.depth = 1 AND p.function = 'daemon_body'
              AND k.thread_id = $child")"
    expect_eq "$name: child: unfinished rows (function:depth)" "daemon_body:0" \
        "$(qlist "SELECT function || ':' || depth FROM ${RUN}_calls WHERE unfinished")"
    expect_eq "$name: child: open, close of /dev/null (calls=blocking, the default)" "1 1" \
        "$(libcalls open) $(libcalls close)"
    expect_eq "$name: child: runs: pid, ended_at set, end_reason, complete, calls, unfinished" \
        "$child|1|$reason|1|2003|1" \
        "$(q "SELECT pid, ended_at IS NOT NULL, end_reason, complete, calls, unfinished
              FROM runs WHERE table_name = '$RUN'")"
    expect_tree "$name: child"
done
finish
