#!/bin/bash
# Library calls timed at the call site, with the defaults (calls=blocking, the blocking calls of
# libc): usleep(20000) in f is a row of kind 'call', child of f, of 20 to 40 ms, and f's own time is
# what is left (under 2 ms); write from g is exactly 100 calls, open and close one each, children of
# their callers in the exact edges; verbose lists each call site.  calls=blocking said explicitly
# times the same; with calls=off none is timed, calls=usleep times only usleep, and exclude= drops
# one from the set.  At -O0 and -O2.
. "$(dirname "$0")/lib.sh"

for opt in -O0 -O2; do
    o=${opt#-}
    build_both "calls$o" calls.c "$opt" +verbose
    run_both "calls$o" "calls$o"
    expect_eq "$o: stdout" "wrote 100" "$(cat "calls$o.out")"
    expect_eq "$o: verbose call sites" \
        "calls.c:7: call usleep (call site in function f)
calls.c:13: call write (call site in function g)
calls.c:19: call open (call site in function main)
calls.c:22: call close (call site in function main)" \
        "$(grep ': call ' "calls$o.log" | sed 's|^.*/||' | sort -t: -k2,2n)"
    expect_eq "$o: calls of usleep, write, open, close (kind call)" "1 100 1 1" \
        "$(q "SELECT group_concat(calls, ' ') FROM (SELECT calls FROM ${RUN}_summary WHERE kind = 'call'
              ORDER BY CASE function WHEN 'usleep' THEN 1 WHEN 'write' THEN 2 WHEN 'open' THEN 3 ELSE 4 END)")"
    expect_eq "$o: usleep's row is a child of f's" "f" \
        "$(q "SELECT p.function FROM ${RUN}_calls c JOIN ${RUN}_calls p ON p.id = c.parent_id
              WHERE c.function = 'usleep' AND c.kind = 'call'")"
    dur=$(q "SELECT duration_ns / 1000000 FROM ${RUN}_calls WHERE function = 'usleep' AND kind = 'call'")
    expect_ge "$o: usleep's duration (ms)" 20 "$dur"
    expect_le "$o: usleep's duration (ms)" 39 "$dur"
    expect_le "$o: f's self time (us), the sleep being its child's" 2000 \
        "$(q "SELECT self_ns / 1000 FROM ${RUN}_summary WHERE function = 'f' AND kind = 'function'")"
    expect_eq "$o: edges g -> write, main -> open" "100 1" \
        "$(q "SELECT (SELECT calls FROM ${RUN}_edges_named WHERE caller = 'g' AND callee = 'write') || ' ' ||
                     (SELECT calls FROM ${RUN}_edges_named WHERE caller = 'main' AND callee = 'open')")"
    expect_tree "$o"

    build "off$o" calls.c "$opt" +calls=off
    run "off$o" "./off$o"
    expect_eq "$o: calls=off: rows and summary rows of kind call" "0 0" \
        "$(q "SELECT count(*) FROM ${RUN}_calls WHERE kind = 'call'") $(q "SELECT count(*) FROM ${RUN}_summary WHERE kind = 'call'")"
    expect_eq "$o: calls=off: f, g, main still timed" "1 1 1" "$(calls f) $(calls g) $(calls main)"
    expect_ge "$o: calls=off: f's self time (ms) holds the sleep again" 20 \
        "$(q "SELECT self_ns / 1000000 FROM ${RUN}_summary WHERE function = 'f' AND kind = 'function'")"

    build "blocking$o" calls.c "$opt" +calls=blocking
    run "blocking$o" "./blocking$o"
    expect_eq "$o: calls=blocking: calls of usleep, write, open, close" "1 100 1 1" \
        "$(libcalls usleep) $(libcalls write) $(libcalls open) $(libcalls close)"

    build "only$o" calls.c "$opt" +calls=usleep +exclude=nothing
    run "only$o" "./only$o"
    expect_eq "$o: calls=usleep: the calls timed" "usleep" \
        "$(qlist "SELECT function FROM ${RUN}_summary WHERE kind = 'call'")"

    build "ex$o" calls.c "$opt" +calls=blocking +exclude=write
    run "ex$o" "./ex$o"
    expect_eq "$o: exclude=write: the calls timed" "close open usleep" \
        "$(qlist "SELECT function FROM ${RUN}_summary WHERE kind = 'call' ORDER BY function")"
done
finish
