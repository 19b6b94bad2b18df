#!/bin/bash
# A bad CTIMER_* value prints one line on stderr naming the variable; the program's stdout and exit
# status are unchanged, it is still recorded (with the default in place of the bad value), and the
# runs table is intact.  An unusable CTIMER_DB is reported the same way.
. "$(dirname "$0")/lib.sh"

build_plain plain output.c -O2
build ct output.c -O2
run_plain plain ./plain
run good ./ct
expect_same_as_plain "good values" plain good

runs_before=$(q "SELECT count(*) FROM runs")
n=0
# bad NAME VAR VALUE: one run of ./ct with VAR=VALUE.
bad() {
    local name=$1 var=$2
    n=$((n + 1))
    local -x "$var=$3"
    run "$name" ./ct
    expect_same_as_plain "$var=$3" plain "$name" stdout-only
    expect_eq "$var=$3: lines on stderr" 1 "$(wc -l <"$name.err")"
    expect_match "$var=$3: stderr" "$var" "$(cat "$name.err")"
}

bad batch CTIMER_BATCH abc
bad batch0 CTIMER_BATCH 0
bad on_full CTIMER_ON_FULL maybe
bad min_ns CTIMER_MIN_NS -5
bad mode CTIMER_MODE fast
bad buffer CTIMER_BUFFER_KB 12x
bad busy CTIMER_BUSY_MS forever
bad off CTIMER_OFF yes
for name in batch batch0 on_full min_ns mode buffer busy off; do
    RUN=$name
    expect_eq "$name: calls of add_sample" 1000 "$(calls add_sample)"
done
for name in batch batch0 on_full mode buffer busy off; do
    RUN=$name
    expect_eq "$name: rows of add_sample" 1000 "$(rows add_sample)"
done
# A bad CTIMER_MIN_NS falls back to the default, 5 us: add_sample's calls are shorter.
RUN=min_ns
expect_eq "min_ns: runs.min_ns after a bad value" 5000 "$(q "SELECT min_ns FROM runs WHERE table_name = 'min_ns'")"
expect_match "min_ns: stderr names the default" "using 5000" "$(cat min_ns.err)"
expect_le "min_ns: rows of add_sample (a preempted call may pass 5 us)" 10 "$(rows add_sample)"

bad injection CTIMER_RUN 'x; DROP TABLE runs'
expect_eq "runs after the bad values" $((runs_before + n)) "$(q "SELECT count(*) FROM runs")"
expect_eq "tables named after the injected CTIMER_RUN" 0 \
    "$(q "SELECT count(*) FROM sqlite_master WHERE name LIKE 'x;%'")"
RUN=$(q "SELECT table_name FROM runs ORDER BY id DESC LIMIT 1")
expect_match "table generated instead of the injected name" '^[A-Za-z_][A-Za-z0-9_]*$' "$RUN"
expect_eq "rows of add_sample in the generated table" 1000 "$(rows add_sample)"

CTIMER_DB=/nonexistent/dir/x.db run no_db ./ct
expect_same_as_plain "CTIMER_DB=/nonexistent/dir/x.db" plain no_db stdout-only
expect_eq "CTIMER_DB=/nonexistent/dir/x.db: lines on stderr" 1 "$(wc -l <no_db.err)"
expect_match "CTIMER_DB=/nonexistent/dir/x.db: stderr" "CTIMER_DB" "$(cat no_db.err)"
expect_eq "runs after CTIMER_DB=/nonexistent/dir/x.db" $((runs_before + n)) \
    "$(q "SELECT count(*) FROM runs")"
finish
