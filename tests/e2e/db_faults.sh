#!/bin/bash
# Database faults never change the program and are reported once:
# (a) a full disk (a 4 MB tmpfs; skipped with "SKIP: cannot mount tmpfs" where mounting is not
#     allowed) and a file size limit (ulimit -f of 8 MiB around the program only: the recorder's
#     shared buffer, also a file, fits) while fib(30) writes a full trace of ~56 MB: stdout and exit
#     status are the plain build's, stderr is exactly one line saying "rows not written", the run
#     has its ended_at and rows_lost > 0, and either the summary is exact (2 692 537 calls of fib)
#     or runs.complete = 0 says it is not;
# (b) the database locked by another connection for 3 s mid-run, with CTIMER_BUSY_MS=200: no row
#     is lost (rows retried, not thrown away): rows_lost = 0, rows = calls, exact counts;
# (c) databases ctimer refuses (a runs table of another layout; a file that is not a database)
#     stay byte for byte as they were (no -wal left, journal mode unchanged), the program's output
#     and exit status are unchanged, and stderr is one line;
# (d) CTIMER_RUN=MYRUN when run myrun exists (SQLite names ignore case): a fresh name, and one
#     stderr line naming CTIMER_RUN.
. "$(dirname "$0")/lib.sh"

FIB30_CALLS=2692537
build_both fib fib.c -O0
run_plain fib30.plain ./fib.plain 30
run_plain fib20.plain ./fib.plain 20

# expect_full_disk NAME: the checks of (a) for run NAME, in database $DB.
expect_full_disk() {
    local name=$1
    expect_same_as_plain "$name" fib30.plain "$name" stdout-only
    expect_eq "$name: lines on stderr" 1 "$(wc -l <"$name.err")"
    expect_match "$name: stderr" "rows not written" "$(cat "$name.err")"
    expect_eq "$name: runs: ended_at set" 1 "$(q "SELECT ended_at IS NOT NULL FROM runs WHERE table_name = '$name'")"
    expect_ge "$name: runs.rows_lost" 1 "$(q "SELECT rows_lost FROM runs WHERE table_name = '$name'")"
    expect_eq "$name: summary exact (calls of fib = $FIB30_CALLS) or runs.complete = 0" 1 \
        "$(q "SELECT (SELECT complete FROM runs WHERE table_name = '$name') = 0
                 OR (SELECT sum(calls) FROM ${name}_summary WHERE function = 'fib') = $FIB30_CALLS")"
}

# (a) a full tmpfs
MNT=$WORK/mnt
mkdir "$MNT"
if mount -t tmpfs -o size=4m ctimer-e2e "$MNT" 2>mount.err; then
    trap 'umount "$MNT" 2>/dev/null' EXIT
    CTIMER_DB=$MNT/full.db run full ./fib 30
    saved_db=$DB
    DB=$MNT/full.db
    expect_full_disk full
    DB=$saved_db
    umount "$MNT" || fail "cannot unmount $MNT"
    trap - EXIT
else
    echo "SKIP: cannot mount tmpfs ($(cat mount.err)): the full-disk half is not tested"
fi

# (a) ulimit -f: 8 MiB for the program and what it starts, the database on an ordinary disk
(
    ulimit -f 8192
    run fsize ./fib 30
)
# (measured before any query: sqlite3, without the limit, checkpoints the WAL into the file)
for f in "$DB" "$DB-wal"; do
    expect_le "fsize: size of $(basename "$f") (bytes)" $((8192 * 1024)) "$(stat -c %s "$f" 2>/dev/null || echo 0)"
done
expect_full_disk fsize

# (b) a write lock held by another connection for 3 s while the program records
# calls=off: how often db_lock's wait loop calls usleep depends on when the lock is taken
build db_lock db_lock.c -O0 +calls=off
mkdir lockdir
CTIMER_BUSY_MS=200 run locked ./db_lock "$PWD/lockdir" &
job=$!
for ((i = 0; i < 400; i++)); do [ -e lockdir/phase1 ] && break; sleep 0.05; done
expect_eq "locked: the program reached its first phase" yes "$([ -e lockdir/phase1 ] && echo yes || echo no)"
{
    echo "CREATE TABLE IF NOT EXISTS locker(x);"
    echo "BEGIN IMMEDIATE;"
    echo "INSERT INTO locker VALUES(1);"
    echo ".shell touch '$PWD/lockdir/locked'"
    sleep 3
    echo "COMMIT;"
} | sqlite3 -batch -cmd '.timeout 20000' "$DB" >locker.out 2>&1
wait "$job"
wait_runs_ended
expect_eq "locker: sqlite3 output" "" "$(cat locker.out)"
RUN=locked
expect_eq "locked: exit status, stdout" "0 sum 202950" "$(cat locked.rc) $(cat locked.out)"
expect_eq "locked: no 'rows not written' on stderr" 0 "$(grep -c 'rows not written' locked.err)"
expect_eq "locked: calls of fib, phase, main" "656730 2 1" "$(calls fib) $(calls phase) $(calls main)"
expect_eq "locked: runs: ended_at set, complete, rows_lost, calls, rows" "1|1|0|656733|656733" \
    "$(q "SELECT ended_at IS NOT NULL, complete, rows_lost, calls, rows FROM runs WHERE table_name = 'locked'")"
expect_eq "locked: rows of fib" 656730 "$(rows fib)"

# (c) databases ctimer must not touch
sqlite3 other.db "CREATE TABLE runs(x); INSERT INTO runs VALUES('not ctimer''s');" || die "cannot make other.db"
cp other.db other.copy
journal=$(sqlite3 other.db "PRAGMA journal_mode")
for i in $(seq 2000); do echo "line $i of a file that is not a database"; done >notdb
cp notdb notdb.copy
for f in other notdb; do
    [ $f = other ] && file=other.db || file=notdb
    CTIMER_DB=$PWD/$file run "refused_$f" ./fib 20
    expect_same_as_plain "refused $f" fib20.plain "refused_$f" stdout-only
    expect_eq "refused $f: lines on stderr" 1 "$(wc -l <"refused_$f.err")"
    expect_match "refused $f: stderr" "CTIMER_DB" "$(cat "refused_$f.err")"
    expect_eq "refused $f: the file is unchanged" same "$(cmp -s "$file" "$f.copy" && echo same || echo changed)"
    expect_eq "refused $f: no -wal, -shm or -journal beside it" "" "$(ls "$file"-* 2>/dev/null)"
done
expect_eq "refused other: journal mode" "$journal" "$(sqlite3 other.db "PRAGMA journal_mode")"
expect_eq "refused other: its runs table" "not ctimer's" "$(sqlite3 other.db "SELECT x FROM runs")"

# (d) CTIMER_RUN differing only in case from an existing run
run myrun ./fib 10
CTIMER_RUN=MYRUN run upper ./fib 10
expect_eq "CTIMER_RUN=MYRUN: stdout, exit status" "fib(10) = 55 0" "$(cat upper.out) $(cat upper.rc)"
expect_eq "CTIMER_RUN=MYRUN: lines on stderr" 1 "$(wc -l <upper.err)"
expect_match "CTIMER_RUN=MYRUN: stderr names CTIMER_RUN" "CTIMER_RUN='MYRUN'" "$(cat upper.err)"
generated=$(sed -n 's/.* using \([A-Za-z0-9_]*\)$/\1/p' upper.err)
expect_eq "CTIMER_RUN=MYRUN: runs myrun and the generated one" "myrun|178 $generated|178" \
    "$(qlist "SELECT table_name || '|' || calls FROM runs WHERE table_name IN ('myrun', '$generated') ORDER BY id")"
expect_eq "CTIMER_RUN=MYRUN: no run named like it in another case" 0 \
    "$(q "SELECT count(*) FROM runs WHERE table_name = 'MYRUN'")"
finish
