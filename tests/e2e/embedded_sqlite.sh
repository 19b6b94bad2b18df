#!/bin/bash
# A program with SQLite compiled in (the amalgamation, -DSQLITE_THREADSAFE=0), instrumented whole at
# -O1, the amalgamation too: it behaves as the plain build (stdout, exit 0, nothing on stderr, the
# same contents in its own database file) and its calls are recorded: sqlite3_exec exactly as the
# program called it (2006 times from exec) and as SQLite itself did (twice more, counted with gdb on
# the plain build, SQLite 3.52.0 of sqlite3@6.0.1, -O1), more than 10 000 calls
# in all, a complete run.  (The runtime must
# not share the program's SQLite: an in-process writer would end up calling the program's own,
# single-threaded and instrumented copy.)
#
# The amalgamation comes from the npm package sqlite3 (package/deps/sqlite-autoconf-*.tar.gz, as in
# bench/run.sh), kept in ${XDG_CACHE_HOME:-$HOME/.cache}/ctimer; npm is needed the first time
# (cmake/install-deps.sh installs it).
. "$(dirname "$0")/lib.sh"

SQLITE_NPM=${E2E_SQLITE_NPM:-sqlite3@6.0.1}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ctimer

# fetch_sqlite: sets SQLITE_DIR to a directory holding sqlite3.c and sqlite3.h from $SQLITE_NPM.
fetch_sqlite() {
    local src=$CACHE/src tgz inner base tmp
    SQLITE_DIR=$(find "$src" -maxdepth 1 -type d -name 'sqlite-autoconf-*' 2>/dev/null | sort | tail -n 1)
    [ -n "$SQLITE_DIR" ] && [ -f "$SQLITE_DIR/sqlite3.c" ] && [ -f "$SQLITE_DIR/sqlite3.h" ] && return 0
    command -v npm >/dev/null ||
        die "npm is not installed, and the SQLite amalgamation is not in $src (cmake/install-deps.sh installs npm)"
    mkdir -p "$CACHE" "$src" || die "cannot create $CACHE"
    tgz=$(cd "$CACHE" && npm pack --silent "$SQLITE_NPM" 2>"$WORK/npm.log" | tail -n 1) ||
        die "npm pack $SQLITE_NPM failed: $(cat "$WORK/npm.log")"
    [ -f "$CACHE/$tgz" ] || die "npm pack $SQLITE_NPM produced no tarball (got '$tgz')"
    inner=$(tar tzf "$CACHE/$tgz" | grep -E '^package/deps/sqlite-autoconf-[0-9]+\.tar\.gz$' | head -n 1)
    [ -n "$inner" ] || die "$CACHE/$tgz holds no package/deps/sqlite-autoconf-*.tar.gz"
    base=$(basename "$inner" .tar.gz)
    tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
    tar xzf "$CACHE/$tgz" -C "$tmp" "$inner" &&
        tar xzf "$tmp/$inner" -C "$tmp" "$base/sqlite3.c" "$base/sqlite3.h" ||
        { rm -rf "$tmp"; die "cannot unpack $inner from $CACHE/$tgz"; }
    # a whole directory or none, also when two tests fetch at once
    mv -T "$tmp/$base" "$src/$base" 2>/dev/null || [ -f "$src/$base/sqlite3.c" ] ||
        { rm -rf "$tmp"; die "cannot move $base into $src"; }
    rm -rf "$tmp"
    SQLITE_DIR=$src/$base
}

fetch_sqlite
flags=("$SQLITE_DIR/sqlite3.c" -O1 -I"$SQLITE_DIR" -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION=1)
build_plain es.plain embedded_sqlite.c "${flags[@]}" &
build es embedded_sqlite.c "${flags[@]}"
wait $! || die "could not build es.plain (see es.plain.log)"

run_plain es.plain ./es.plain "$PWD/own.plain.db"
run es ./es "$PWD/own.db"
expect_same_as_plain "embedded SQLite" es.plain es
expect_eq "exit status" 0 "$RC"
expect_eq "first line of stdout (count, sums of id, grp and score)" "2000|2001000|6000|999990.0" \
    "$(head -n 1 es.out)"
expect_eq "the program's own database (dump, plain vs instrumented)" \
    "$(sqlite3 own.plain.db .dump 2>&1)" "$(sqlite3 own.db .dump 2>&1)"
expect_eq "rows in the program's own table" 2000 "$(sqlite3 own.db 'SELECT count(*) FROM t' 2>&1)"
# The two inner calls are attributed to whichever timed function holds their call site after
# inlining (sqlite3InitOne, or sqlite3VdbeExec for one of them on some builds): only the program's
# own 2006 are pinned to a caller.
expect_eq "calls of sqlite3_exec from the program's exec()" "2006" \
    "$(q "SELECT calls FROM es_edges_named WHERE callee = 'sqlite3_exec' AND caller = 'exec'")"
expect_eq "calls of sqlite3_exec" 2008 "$(calls sqlite3_exec)"
expect_eq "calls of sqlite3_open, sqlite3_close, main" "1 1 1" \
    "$(calls sqlite3_open) $(calls sqlite3_close) $(calls main)"
expect_ge "runs.calls" 10001 "$(q "SELECT calls FROM runs WHERE table_name = 'es'")"
expect_eq "runs: ended_at set, end_reason, complete, rows_lost, unfinished, rows = calls" "1|exit|1|0|0|1" \
    "$(q "SELECT ended_at IS NOT NULL, end_reason, complete, rows_lost, unfinished, rows = calls
          FROM runs WHERE table_name = 'es'")"
finish
