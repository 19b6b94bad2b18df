#!/usr/bin/env bash
# bench/run.sh — ctimer's benchmark: the cost of ctimer against plain -O2 and against other
# function tracers (-finstrument-functions, uftrace, clang XRay, gprof), on small workloads and on
# two real programs (the SQLite shell, the Lua 5.2 interpreter), plus the plugin's compile-time
# cost.  On the real programs it also measures the plugin's size-threshold levers (min-stmts,
# min-stmts-scope, methods) and the runtime's defaults.  bench/README.md explains every figure and
# holds the latest results.
#
#   bash bench/run.sh            # full run: 5 interleaved repetitions (BENCH_REPS), ~17 minutes when quiet
#   bash bench/run.sh --quick    # smoke test: 1 repetition, small inputs, 4-5 minutes (builds)
#   bash bench/run.sh --help     # options and environment
#
# It installs what it needs (apt-get), builds ctimer with CMake, fetches the SQLite amalgamation
# (npm package `sqlite3`) and the Lua sources (npm package `lua.vm.js`) into a cache outside the
# repository, builds every workload in every variant, runs them interleaved (variant A rep 1, B rep
# 1, ..., A rep 2, ...) and prints Markdown tables of medians; the tables and the raw measurements
# are saved in the results dir.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bash bench/run.sh [--quick] [--reps N] [--workloads LIST] [--variants LIST] [--baseline REV]
                        [--no-install] [--keep]

  --quick           1 repetition (unless --reps), small inputs, compile time measured once: a
                    smoke test of the whole pipeline, ~5 minutes (mostly building)
  --reps N          repetitions (default: $BENCH_REPS, else 5)
  --workloads LIST  comma-separated subset of: fib,vtable,threads,sqlite,lua,estimate,compile
                    (default: all)
  --variants LIST   comma-separated subset of the run variants (plain is always run), e.g.
                    ct-summary,ct-trace,finstr (default: all; see bench/README.md and below)
  --baseline REV    also build revision REV of this repository (a detached git worktree in the
                    work dir, removed at the end; its own CMake build, tests off) and run it as the
                    base-* variants, beside the ct-* ones, in the same interleaved runs
  --no-install      do not apt-get anything; fail if something is missing
  --keep            keep the work directory (binaries, databases, traces)
  --report DIR      only print the tables again from the results directory DIR of an earlier run

run variants (the build kind in brackets; every ct-* variant but the *-default ones sets its
CTIMER_MODE and CTIMER_MIN_NS explicitly, so a change of the runtime's defaults does not move them;
CTIMER_TIMING is left at its default, adaptive, unless said):
  plain, plain-clang    gcc -O2, clang-14 -O2: the baselines
  ct-default            [ctlate] no CTIMER_* variable but CTIMER_DB: the runtime's defaults (trace
                        mode, rows for calls >= 5 us, CTIMER_TIMING=adaptive)
  ct-summary            ctimer, placement=late [ctlate]; CTIMER_MODE=summary (aggregates only),
                        timing adaptive (short hot functions counted, 1 call in CTIMER_SAMPLE timed)
  ct-all                [ctlate] CTIMER_MODE=summary CTIMER_TIMING=all: every call timed, what
                        ct-summary measured before counted calls existed
  ct-count              [ctcount] -fplugin-arg-ctimer-count=* (every function and method, * matches
                        STRUCT.FIELD too, counted and never timed); CTIMER_MODE=summary: its cost
                        over plain is the app-thread cost of a counted call
  ct-min1us             [ctlate] CTIMER_MODE=trace CTIMER_MIN_NS=1000 CTIMER_TIMING=all (rows for
                        calls >= 1 us, every call timed, as before counted calls)
  ct-trace              [ctlate] CTIMER_MODE=trace CTIMER_MIN_NS=0 CTIMER_TIMING=all (a row for
                        every call)
  ct-early-summary, ct-early-trace   placement=early [ctearly], as ct-summary and ct-trace; fib only
  the plugin's size-threshold levers, sqlite and lua only, each run with CTIMER_MODE=summary
  (ct-*-summary) and with the runtime's defaults (ct-*-default, only CTIMER_DB set):
  ct-leaf50-*           [ctleaf50] -fplugin-arg-ctimer-min-stmts=50: leaf functions of fewer than
                        50 GIMPLE statements are not timed
  ct-noloop50-*         [ctnoloop50] also min-stmts-scope=noloop: functions of fewer than 50
                        statements without a loop are not timed, leaf or not (XRay's rule)
  ct-noloop50-nm-*      [ctnoloop50-nomethods] the same plus methods=off (no method call sites)
  base-summary, base-trace, base-default   with --baseline REV only: REV's plugin and libctimer.a
                        (+ -lsqlite3: a runtime that writes SQLite itself) [baselate], run with
                        exactly the environment of ct-summary, ct-trace, ct-default (base-default:
                        sqlite and lua only).  A REV before counted calls times every call: the
                        comparison table sets ct-all beside base-summary
  finstr                -finstrument-functions with empty hooks
  uftrace, gprof        -pg: uftrace record, gprof's mcount
  xray-fdr, xray-basic  clang-14 -fxray-instrument -fxray-instruction-threshold=1 (plain-clang, their
                        baseline, is run with them even when --variants leaves it out)

environment:
  BENCH_REPS         repetitions (default 5)
  BENCH_HEAVY_REPS   repetitions of the slowest variants (ct-trace, base-trace, uftrace, xray-*: 5 to
                     60 s each) on the workloads with tens of millions of calls (vtable, sqlite, lua);
                     default min(3, reps), to keep the default run under 20 minutes
  BENCH_CACHE        download cache (default ~/.cache/ctimer-bench); never inside the repository
  BENCH_SQLITE_NPM   npm package spec holding the amalgamation (default sqlite3@6.0.1)
  BENCH_LUA_NPM      npm package spec holding the Lua 5.2 sources in package/lua/src/
                     (default lua.vm.js@0.0.1)
  BENCH_BUILD_DIR    ctimer build directory (default <repo>/build; point it elsewhere when someone
                     else builds or tests in build/)
  BENCH_WORK_PARENT  where the work directory is created, on local disk (default /var/tmp)
  BENCH_OUT          results directory (default <work dir>/results, kept)
  BENCH_JOBS         parallel builds of the variants (default: nproc)
  BENCH_QUIET_LOAD   when set (e.g. 1.2): after building, wait until the 1-minute load average is
                     below it (polled every 30 s) before the timed runs, at most BENCH_QUIET_MAX_S
                     seconds (default 1800), then run anyway
EOF
}

# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------
QUICK=0
REPS=${BENCH_REPS:-5}
WORKLOADS=fib,vtable,threads,sqlite,lua,estimate,compile
ONLY_VARIANTS=
INSTALL=1
KEEP=0
REPORT_ONLY=
REPS_SET=0
SQLITE_VERSION=
LUA_VERSION=
BASE_REV=
BASE_COMMIT=
CMDLINE="bash bench/run.sh${*:+ $*}"
while [[ $# -gt 0 ]]; do
    case $1 in
    --quick) QUICK=1 ;;
    --reps) REPS=${2:?--reps needs a number}; REPS_SET=1; shift ;;
    --reps=*) REPS=${1#*=}; REPS_SET=1 ;;
    --workloads) WORKLOADS=${2:?--workloads needs a list}; shift ;;
    --workloads=*) WORKLOADS=${1#*=} ;;
    --variants) ONLY_VARIANTS=${2:?--variants needs a list}; shift ;;
    --variants=*) ONLY_VARIANTS=${1#*=} ;;
    --no-install) INSTALL=0 ;;
    --keep) KEEP=1 ;;
    --baseline) BASE_REV=${2:?--baseline needs a revision}; shift ;;
    --baseline=*) BASE_REV=${1#*=} ;;
    --report) REPORT_ONLY=${2:?--report needs a results directory}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $QUICK == 1 && -z ${BENCH_REPS:-} && $REPS_SET == 0 ]] && REPS=1
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: repetitions must be a positive integer, got '$REPS'" >&2; exit 2; }
HEAVY_REPS=${BENCH_HEAVY_REPS:-$((REPS < 3 ? REPS : 3))}
[[ $HEAVY_REPS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: BENCH_HEAVY_REPS must be a positive integer" >&2; exit 2; }
for w in ${WORKLOADS//,/ }; do
    case $w in fib | vtable | threads | sqlite | lua | estimate | compile) ;; *) echo "run.sh: unknown workload '$w'" >&2; exit 2 ;; esac
done
has_workload() { [[ ",$WORKLOADS," == *",$1,"* ]]; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$REPO/bench
CACHE=${BENCH_CACHE:-${HOME:-/root}/.cache/ctimer-bench}
BUILD=${BENCH_BUILD_DIR:-$REPO/build}
JOBS=${BENCH_JOBS:-$(nproc)}
SQLITE_NPM=${BENCH_SQLITE_NPM:-sqlite3@6.0.1}
LUA_NPM=${BENCH_LUA_NPM:-lua.vm.js@0.0.1}
case $(realpath -m "$CACHE")/ in "$REPO"/*) echo "run.sh: BENCH_CACHE must be outside the repository" >&2; exit 2 ;; esac

# Workload sizes.
if [[ $QUICK == 1 ]]; then
    FIB_N=27
    VTABLE_ARGS=(1000 100000 1)
    THREAD_COUNTS=(1 4 16)
    THREAD_CALLS=150000
    SQLITE_ROWS=10000
    LUA_ROUNDS=2
    EST_CALLS=200000
    COMPILE_REPS=1
else
    FIB_N=32
    VTABLE_ARGS=(10000 500000 3)
    THREAD_COUNTS=(1 2 4 8 16)
    THREAD_CALLS=1500000
    SQLITE_ROWS=100000
    LUA_ROUNDS=10 # ~0.21 s plain on a 2-core VM, like the Lua run quoted in the issue
    EST_CALLS=1000000 # issue 9: a ~300 ns function called 1 M times
    COMPILE_REPS=3
fi

# A CTIMER_* or XRAY_* variable of the caller's shell would change what the programs record.
for v in $(compgen -e | grep -E '^(CTIMER_|XRAY_)' || true); do unset "$v"; done
export LC_ALL=C

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Dependencies (machines start bare)
# ---------------------------------------------------------------------------------------------
install_deps() {
    local pkgs=(gcc g++ make cmake pkg-config gcc-12-plugin-dev libsqlite3-dev sqlite3
        clang-14 llvm-14 libclang-rt-14-dev uftrace binutils time)
    local missing=() p
    if ! command -v dpkg-query >/dev/null; then
        say "no dpkg: not installing anything; assuming the tools are there"
        return 0
    fi
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    command -v npm >/dev/null || missing+=(npm)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $INSTALL == 1 ]] || die "missing packages: ${missing[*]} (run without --no-install, or install them)"
    local sudo=
    [[ $(id -u) -ne 0 ]] && sudo=sudo
    say "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_tools() {
    local t
    for t in gcc clang-14 cmake uftrace gprof objcopy nm sqlite3 npm tar /usr/bin/time; do
        command -v "$t" >/dev/null || die "'$t' not found"
    done
    [[ ${BASH_VERSINFO[0]} -ge 5 ]] || die "bash 5 is needed (EPOCHREALTIME)"
}

# ---------------------------------------------------------------------------------------------
# Work directory
# ---------------------------------------------------------------------------------------------
WORK_PARENT=${BENCH_WORK_PARENT:-/var/tmp}
mkdir -p "$WORK_PARENT"
WORK=$(mktemp -d "$WORK_PARENT/ctimer-bench.XXXXXX")
OUT=${BENCH_OUT:-$WORK/results}
mkdir -p "$OUT" "$WORK"/{bin,obj,run,db,logs,sql}
BASE_WT_ADDED=0
cleanup() {
    local rc=$?
    # The baseline's worktree is registered in this repository: always removed, even when the work
    # directory is kept (its build, $WORK/base-build, stays then).
    if [[ $BASE_WT_ADDED == 1 ]]; then
        git -C "$REPO" worktree remove --force "$BASE_SRC" >/dev/null 2>&1 || rm -rf "$BASE_SRC"
        git -C "$REPO" worktree prune >/dev/null 2>&1 || true
    fi
    if [[ $KEEP == 1 || $rc -ne 0 ]]; then
        say "work directory kept: $WORK"
    else
        find "$WORK" -mindepth 1 -maxdepth 1 ! -path "$OUT" -exec rm -rf {} +
        rmdir "$WORK" 2>/dev/null || true # empty when the results are elsewhere
    fi
    [[ -d $OUT ]] && say "results: $OUT"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# ctimer itself
# ---------------------------------------------------------------------------------------------
build_ctimer() {
    say "building ctimer in $BUILD"
    if ! { cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build "$BUILD" -j"$JOBS"; } >"$WORK/logs/ctimer-build.log" 2>&1; then
        tail -n 30 "$WORK/logs/ctimer-build.log" >&2
        die "building ctimer failed (log: $WORK/logs/ctimer-build.log)"
    fi
    PLUGIN=$BUILD/plugin/ctimer.so
    [[ -f $PLUGIN ]] || die "no plugin at $PLUGIN after the build"
    # The commit built, read now: someone may commit while the benchmark runs.
    CT_COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')
    # The static runtime when there is one: programs then need no rpath.  Since the recorder process
    # (ctimer-recorder, beside the plugin) writes SQLite, libctimer.a calls no sqlite3_* function;
    # -lsqlite3 is added only for a runtime that still does (an older tree in BENCH_BUILD_DIR).
    if [[ -f $BUILD/runtime/libctimer.a ]]; then
        RT_LIBS=("$BUILD/runtime/libctimer.a")
        if nm -u "$BUILD/runtime/libctimer.a" 2>/dev/null | awk '$NF ~ /^sqlite3_/ { f = 1 } END { exit !f }'; then
            RT_LIBS+=(-lsqlite3)
        fi
        RT_LIBS+=(-pthread -ldl -lm)
    elif [[ -f $BUILD/runtime/libctimer.so ]]; then
        # shellcheck disable=SC2054 # the commas belong to -Wl,-rpath,DIR
        RT_LIBS=(-L"$BUILD/runtime" -Wl,-rpath,"$BUILD/runtime" -lctimer -pthread)
    else
        die "no runtime library (libctimer.a or libctimer.so) under $BUILD/runtime"
    fi
    say "ct-* link with: ${RT_LIBS[*]}"
}

# build_baseline: --baseline REV, checked out in a detached worktree under $WORK (removed by
# cleanup) and built on its own, without tests.  The base-* variants link its plugin and its static
# runtime; the runtimes before the recorder process wrote SQLite from a thread of the program, so
# -lsqlite3 is always on their link line.
build_baseline() {
    BASE_COMMIT=$(git -C "$REPO" rev-parse --verify --quiet "$BASE_REV^{commit}") ||
        die "--baseline $BASE_REV: no such commit in $REPO"
    BASE_SRC=$WORK/base-src
    BASE_BUILD=$WORK/base-build
    say "baseline $BASE_REV (${BASE_COMMIT:0:12}): worktree $BASE_SRC, build $BASE_BUILD"
    git -C "$REPO" worktree add --detach "$BASE_SRC" "$BASE_COMMIT" >"$WORK/logs/base-worktree.log" 2>&1 ||
        { cat "$WORK/logs/base-worktree.log" >&2; die "git worktree add of $BASE_REV failed"; }
    BASE_WT_ADDED=1
    if ! { cmake -S "$BASE_SRC" -B "$BASE_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCTIMER_BUILD_TESTS=OFF &&
        cmake --build "$BASE_BUILD" -j"$JOBS"; } >"$WORK/logs/base-build.log" 2>&1; then
        tail -n 30 "$WORK/logs/base-build.log" >&2
        die "building the baseline $BASE_REV failed (log: $WORK/logs/base-build.log)"
    fi
    BASE_PLUGIN=$BASE_BUILD/plugin/ctimer.so
    [[ -f $BASE_PLUGIN ]] || die "no plugin at $BASE_PLUGIN after the baseline's build"
    [[ -f $BASE_BUILD/runtime/libctimer.a ]] || die "no $BASE_BUILD/runtime/libctimer.a after the baseline's build"
    BASE_RT_LIBS=("$BASE_BUILD/runtime/libctimer.a" -lsqlite3 -pthread -ldl -lm)
}

# ---------------------------------------------------------------------------------------------
# The SQLite amalgamation, from the npm package sqlite3 (package/deps/sqlite-autoconf-*.tar.gz)
# ---------------------------------------------------------------------------------------------
# npm_pack SPEC: fetches the npm package SPEC into $CACHE and prints the tarball's name.
npm_pack() {
    local tgz log=$WORK/logs/npm-${1%%@*}.log
    say "fetching $1 with npm pack into $CACHE"
    tgz=$(cd "$CACHE" && npm pack --silent "$1" 2>"$log" | tail -n 1) ||
        { cat "$log" >&2; die "npm pack $1 failed"; }
    [[ -f $CACHE/$tgz ]] || die "npm pack $1 did not produce a tarball (got '$tgz')"
    echo "$tgz"
}

fetch_sqlite() {
    mkdir -p "$CACHE"
    local dir
    dir=$(find "$CACHE/src" -maxdepth 1 -type d -name 'sqlite-autoconf-*' 2>/dev/null | sort | tail -n 1 || true)
    if [[ -z $dir || ! -f $dir/sqlite3.c || ! -f $dir/shell.c ]]; then
        local tgz
        tgz=$(npm_pack "$SQLITE_NPM")
        local inner
        inner=$(tar tzf "$CACHE/$tgz" | grep -E '^package/deps/sqlite-autoconf-[0-9]+\.tar\.gz$' | head -n 1) ||
            die "$tgz holds no package/deps/sqlite-autoconf-*.tar.gz"
        mkdir -p "$CACHE/src" "$CACHE/tmp"
        tar xzf "$CACHE/$tgz" -C "$CACHE/tmp" "$inner"
        local base
        base=$(basename "$inner" .tar.gz)
        tar xzf "$CACHE/tmp/$inner" -C "$CACHE/src" "$base/sqlite3.c" "$base/sqlite3.h" "$base/shell.c" "$base/VERSION" 2>/dev/null ||
            tar xzf "$CACHE/tmp/$inner" -C "$CACHE/src" "$base/sqlite3.c" "$base/sqlite3.h" "$base/shell.c"
        rm -rf "$CACHE/tmp"
        dir=$CACHE/src/$base
    fi
    SQLITE_DIR=$dir
    SQLITE_VERSION=$(grep -m1 -o '#define SQLITE_VERSION  *"[^"]*"' "$dir/sqlite3.c" | grep -o '"[^"]*"' | tr -d '"')
    say "SQLite $SQLITE_VERSION amalgamation: $SQLITE_DIR"
}

# The input of the SQLite workload: params(n) and n/5 customers, one INSERT statement each.
make_sql() {
    awk -v n="$SQLITE_ROWS" 'BEGIN {
        print "CREATE TABLE params(n INTEGER); INSERT INTO params VALUES(" n ");"
        print "CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL, region INTEGER, score REAL);"
        print "BEGIN;"
        for (i = 1; i <= n / 5; i++)
            printf "INSERT INTO customer(id, name, region, score) VALUES(%d, '\''customer-%06d'\'', %d, %.2f);\n",
                i, (i * 7907) % 100003, (i * 31) % 50, ((i * 7919) % 10000) / 100.0
        print "COMMIT;"
    }' >"$WORK/sql/customers.sql"
}

# ---------------------------------------------------------------------------------------------
# The Lua 5.2 sources, from the npm package lua.vm.js (package/lua/src/: the C sources of Lua 5.2.4,
# lua.c the interpreter, luac.c the compiler, which the benchmark does not build)
# ---------------------------------------------------------------------------------------------
fetch_lua() {
    mkdir -p "$CACHE"
    local dir
    dir=$(find "$CACHE/src" -maxdepth 1 -type d -name 'lua-*' 2>/dev/null | sort | tail -n 1 || true)
    if [[ -z $dir || ! -f $dir/lua.h || ! -f $dir/lua.c || ! -f $dir/lvm.c ]]; then
        local tgz
        tgz=$(npm_pack "$LUA_NPM")
        rm -rf "$CACHE/tmp"
        mkdir -p "$CACHE/src" "$CACHE/tmp"
        # Only the C sources: the package also holds a prebuilt liblua.a and the JavaScript build.
        tar xzf "$CACHE/$tgz" -C "$CACHE/tmp" --wildcards 'package/lua/src/*.c' 'package/lua/src/*.h' ||
            die "$tgz holds no package/lua/src/*.c"
        local t=$CACHE/tmp/package/lua/src ver
        [[ -f $t/lua.h && -f $t/lua.c ]] || die "$tgz holds no package/lua/src/lua.c and lua.h"
        ver=$(awk -F'"' '/^#define LUA_VERSION_(MAJOR|MINOR|RELEASE)[ \t]/ { v = v (v == "" ? "" : ".") $2 } END { print v }' "$t/lua.h")
        [[ $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no Lua version in $tgz's lua.h (got '$ver')"
        rm -rf "$CACHE/src/lua-$ver"
        mv "$t" "$CACHE/src/lua-$ver"
        rm -rf "$CACHE/tmp"
        dir=$CACHE/src/lua-$ver
    fi
    LUA_DIR=$dir
    LUA_VERSION=${dir##*/lua-}
    say "Lua $LUA_VERSION sources: $LUA_DIR"
}

# ---------------------------------------------------------------------------------------------
# Build kinds.  Each sets CC, CF (compile flags), LF (link flags), EXTRA (objects), LIBS.
# ---------------------------------------------------------------------------------------------
SQLITE_CF=(-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION=1)
# Lua's own "posix" configuration (its Makefile's linux target adds dlopen and readline, not wanted)
LUA_CF=(-DLUA_COMPAT_ALL -DLUA_USE_POSIX)

kind_flags() { # KIND
    CC=gcc CF=(-O2) LF=() EXTRA=() LIBS=()
    case $1 in
    plain) ;;
    clang) CC=clang-14 ;;
    ctlate) CF+=(-fplugin="$PLUGIN") LIBS=("${RT_LIBS[@]}") ;;
    baselate) CF+=(-fplugin="$BASE_PLUGIN") LIBS=("${BASE_RT_LIBS[@]}") ;; # --baseline REV, placement=late
    ctearly) CF+=(-fplugin="$PLUGIN" -fplugin-arg-ctimer-placement=early) LIBS=("${RT_LIBS[@]}") ;;
    # count=*: every function and method (STRUCT.FIELD) counted, never timed (ct-count)
    ctcount) CF+=(-fplugin="$PLUGIN" '-fplugin-arg-ctimer-count=*') LIBS=("${RT_LIBS[@]}") ;;
    # The size-threshold levers (real programs only), all placement=late: see LEVER_KINDS.
    ctleaf50) CF+=(-fplugin="$PLUGIN" -fplugin-arg-ctimer-min-stmts=50) LIBS=("${RT_LIBS[@]}") ;;
    ctnoloop50) CF+=(-fplugin="$PLUGIN" -fplugin-arg-ctimer-min-stmts=50 -fplugin-arg-ctimer-min-stmts-scope=noloop)
        LIBS=("${RT_LIBS[@]}") ;;
    ctnoloop50-nomethods) CF+=(-fplugin="$PLUGIN" -fplugin-arg-ctimer-min-stmts=50
        -fplugin-arg-ctimer-min-stmts-scope=noloop -fplugin-arg-ctimer-methods=off) LIBS=("${RT_LIBS[@]}") ;;
    finstr) CF+=(-finstrument-functions) EXTRA=("$WORK/obj/hooks_empty.o") ;;
    finstrcount) CF+=(-finstrument-functions) EXTRA=("$WORK/obj/hooks_count.o") ;;
    pg) CF+=(-pg) LF=(-pg) ;;
    pgcount) CF+=(-pg) LF=(-pg) EXTRA=("$WORK/obj/mcount_count.o" "$WORK/obj/mcount_report.o") ;;
    xray) CC=clang-14 CF+=(-fxray-instrument -fxray-instruction-threshold=1) LF=(-fxray-instrument)
        EXTRA=("$WORK/obj/xray_support.o") ;;
    *) die "unknown build kind $1" ;;
    esac
}

build_helpers() {
    local o=$WORK/obj
    gcc -O2 -c "$BENCH/hooks_empty.c" -o "$o/hooks_empty.o"
    gcc -O2 -c "$BENCH/hooks_count.c" -o "$o/hooks_count.o"
    gcc -c "$BENCH/mcount_count.S" -o "$o/mcount_count.o"
    gcc -O2 -c "$BENCH/mcount_report.c" -o "$o/mcount_report.o"
    clang-14 -O2 -c "$BENCH/xray_support.c" -o "$o/xray_support.o"
    # reap: runs a command as a child subreaper (PR_SET_CHILD_SUBREAPER) and waits for every process
    # it leaves, so that /usr/bin/time's user, sys and max RSS cover them too: ctimer-recorder is not
    # the program's child (it is reparented as soon as it starts), and without this its CPU would
    # be counted nowhere.  Writes to FILE the wall us from fork to the command's own end, and to
    # the end of the last process it left (at most 120 s later); exits with the command's status.
    gcc -O2 -x c -o "$o/reap" - <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static long long now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000LL + t.tv_nsec / 1000; }
static void on_alarm(int sig) { (void)sig; }
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: reap FILE CMD...\n"); return 2; }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    long long t0 = now_us(), t1 = 0;
    pid_t pid = fork();
    if (pid < 0) { perror("reap: fork"); return 126; }
    if (pid == 0) { execvp(argv[2], argv + 2); perror("reap: exec"); _exit(127); }
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm; /* no SA_RESTART: wait() returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    int st, rc = 0;
    for (;;) {
        pid_t p = wait(&st);
        if (p < 0) { if (errno == EINTR && t1 != 0) break; if (errno == EINTR) continue; break; }
        if (p == pid) { t1 = now_us(); rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); alarm(120); }
    }
    long long t2 = now_us();
    FILE *f = fopen(argv[1], "w");
    if (f) { fprintf(f, "%lld %lld\n", t1 - t0, t2 - t0); fclose(f); }
    return rc;
}
C
}

# build_group WORKLOAD KIND[+KIND...]: compiles WORKLOAD once with the flags of the first kind (the
# kinds of a group differ only in what they link) and links $WORK/bin/WORKLOAD.KIND for each.
build_group() {
    local w=$1 kinds k d
    IFS=+ read -r -a kinds <<<"$2"
    d=$WORK/obj/$w.${kinds[0]}
    kind_flags "${kinds[0]}"
    mkdir -p "$d"
    local pthread=() objs=()
    [[ $w == threads ]] && pthread=(-pthread)
    if [[ $w == lua ]]; then
        # Lua: every source but luac.c (the compiler), lua.c's main renamed, and bench/program_main.c
        # (timing).  No renaming of symbols: Lua holds no SQLite.
        local f b
        for f in "$LUA_DIR"/*.c; do
            b=$(basename "$f" .c)
            case $b in
            luac) continue ;;
            lua) $CC "${CF[@]}" "${LUA_CF[@]}" -Dmain=ctb_program_main -c "$f" -o "$d/$b.o" ;;
            lstate)
                # A fixed string-hash seed (stock Lua mixes time(NULL) and two addresses into it):
                # every variant and rep then makes the same calls, so that counts can be compared
                # exactly (with the stock seed they vary by about 2 000 from run to run).
                sed 's/^  g->seed = makeseed(L);$/  g->seed = 0x9e3779b9u; (void)makeseed; \/* ctimer bench: fixed seed *\//' \
                    "$f" >"$d/lstate.c"
                grep -q 'ctimer bench: fixed seed' "$d/lstate.c" || { echo "lstate.c: no g->seed = makeseed(L) line" >&2; exit 1; }
                $CC "${CF[@]}" "${LUA_CF[@]}" -I"$LUA_DIR" -c "$d/lstate.c" -o "$d/$b.o" ;;
            *) $CC "${CF[@]}" "${LUA_CF[@]}" -c "$f" -o "$d/$b.o" ;;
            esac
            objs+=("$d/$b.o")
        done
        $CC "${CF[@]}" -I"$BENCH" -DCTB_WORKLOAD='"lua"' -c "$BENCH/program_main.c" -o "$d/program_main.o"
        objs+=("$d/program_main.o" -lm)
    elif [[ $w != sqlite ]]; then
        $CC "${CF[@]}" "${pthread[@]}" -I"$BENCH" -c "$BENCH/$w.c" -o "$d/$w.o"
        objs=("$d/$w.o")
    else
        # SQLite: the amalgamation, the shell (its main renamed) and bench/program_main.c (timing).
        # sqlite3.o may be there already: the compile-time measurement leaves plain's and ctlate's.
        [[ -f $d/sqlite3.o ]] || $CC "${CF[@]}" "${SQLITE_CF[@]}" -c "$SQLITE_DIR/sqlite3.c" -o "$d/sqlite3.o"
        $CC "${CF[@]}" "${SQLITE_CF[@]}" -I"$SQLITE_DIR" -Dmain=ctb_program_main -c "$SQLITE_DIR/shell.c" -o "$d/shell.o"
        $CC "${CF[@]}" -I"$BENCH" -DCTB_WORKLOAD='"sqlite"' -c "$BENCH/program_main.c" -o "$d/program_main.o"
        # Rename every global symbol of the program's SQLite.  A runtime with the writer thread in
        # the program (--baseline 6b6f465 and before) calls the system SQLite and would otherwise run,
        # and time, this instrumented copy; the current runtime calls no SQLite in the program (the
        # recorder process does), so for it the renaming is only harmless.  Every variant gets it.
        nm -g --defined-only "$d/sqlite3.o" "$d/shell.o" |
            awk 'NF == 3 && $3 != "ctb_program_main" { print $3, "ctbsq_" $3 }' | sort -u >"$d/rename.map"
        objcopy --redefine-syms="$d/rename.map" "$d/sqlite3.o" "$d/sqlite3.r.o"
        objcopy --redefine-syms="$d/rename.map" "$d/shell.o" "$d/shell.r.o"
        objs=("$d/sqlite3.r.o" "$d/shell.r.o" "$d/program_main.o" -lm)
    fi
    for k in "${kinds[@]}"; do
        kind_flags "$k"
        $CC "${LF[@]}" "${pthread[@]}" "${objs[@]}" "${EXTRA[@]}" "${LIBS[@]}" -o "$WORK/bin/$w.$k"
    done
}

# The plugin's size-threshold levers, built for the real programs only (sqlite, lua).
LEVER_KINDS=(ctleaf50 ctnoloop50 ctnoloop50-nomethods)
is_real_program() { [[ $1 == sqlite || $1 == lua ]]; }

groups_for() { # WORKLOAD
    local g="plain clang ctlate finstr+finstrcount pg+pgcount xray" k v
    [[ $1 == fib ]] && g+=" ctearly"
    for v in $(variants_for "$1"); do
        if [[ $v == ct-count ]]; then g+=" ctcount"; break; fi
    done
    for v in $(variants_for "$1"); do
        if [[ $v == base-* ]]; then g+=" baselate"; break; fi
    done
    if is_real_program "$1"; then
        # A lever build only when one of its variants runs (each costs a full compile of the program).
        for k in "${LEVER_KINDS[@]}"; do
            for v in $(variants_for "$1"); do
                if [[ $(variant_kind "$v") == "$k" ]]; then g+=" $k"; break; fi
            done
        done
    fi
    echo "$g"
}

build_all() {
    local w g job failed=()
    local -a jobs_list=()
    # The real programs' groups first: they take longest.
    for w in sqlite lua fib vtable threads estimate; do
        has_workload "$w" || continue
        for g in $(groups_for "$w"); do jobs_list+=("$w.$g"); done
    done
    say "building ${#jobs_list[@]} object sets ($JOBS at a time)"
    for job in "${jobs_list[@]}"; do
        while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n || true; done
        # errexit applies inside the subshell: any failed step stops that build.
        (build_group "${job%%.*}" "${job#*.}"; touch "$WORK/logs/build.$job.ok") >"$WORK/logs/build.$job.log" 2>&1 &
    done
    wait || true
    for job in "${jobs_list[@]}"; do [[ -f $WORK/logs/build.$job.ok ]] || failed+=("$job"); done
    if [[ ${#failed[@]} -gt 0 ]]; then
        for job in "${failed[@]}"; do
            echo "--- build of $job failed:" >&2
            tail -n 20 "$WORK/logs/build.$job.log" >&2
        done
        die "failed builds: ${failed[*]}"
    fi
}

# ---------------------------------------------------------------------------------------------
# Compile time of the plugin on the SQLite amalgamation (sequential, nothing else running)
# ---------------------------------------------------------------------------------------------
measure_compile() {
    local rep k t0 t1
    : >"$OUT/compile.tsv"
    say "compile time of sqlite3.c: plain, ctimer late, ctimer early; $COMPILE_REPS rep(s)"
    for ((rep = 1; rep <= COMPILE_REPS; rep++)); do
        for k in plain ctlate ctearly; do
            kind_flags "$k"
            mkdir -p "$WORK/obj/sqlite.$k"
            t0=$EPOCHREALTIME
            $CC "${CF[@]}" "${SQLITE_CF[@]}" -c "$SQLITE_DIR/sqlite3.c" -o "$WORK/obj/sqlite.$k/sqlite3.o" ||
                die "compiling sqlite3.c ($k) failed"
            t1=$EPOCHREALTIME
            printf '%s\t%s\t%s\n' "$k" "$rep" "$(((${t1/./} - ${t0/./}) / 1000))" >>"$OUT/compile.tsv"
        done
    done
    # ctearly's object is only for this measurement (the sqlite workload runs ctimer late).
    rm -rf "$WORK/obj/sqlite.ctearly"
}

# ---------------------------------------------------------------------------------------------
# Cases (a workload binary with its arguments) and run variants
# ---------------------------------------------------------------------------------------------
CASES=()
has_workload fib && CASES+=(fib)
has_workload vtable && CASES+=(vtable)
if has_workload threads; then for t in "${THREAD_COUNTS[@]}"; do CASES+=("threads-$t"); done; fi
has_workload sqlite && CASES+=(sqlite)
has_workload lua && CASES+=(lua)
has_workload estimate && CASES+=(estimate)

case_setup() { # CASE: sets WL (workload) and ARGS
    case $1 in
    fib) WL=fib ARGS=("$FIB_N") ;;
    vtable) WL=vtable ARGS=("${VTABLE_ARGS[@]}") ;;
    threads-*) WL=threads ARGS=("${1#threads-}" "$THREAD_CALLS") ;;
    sqlite) WL=sqlite ARGS=(-batch :memory: ".read $WORK/sql/customers.sql" ".read $BENCH/sqlite_workload.sql") ;;
    lua) WL=lua ARGS=("$BENCH/lua_workload.lua" "$LUA_ROUNDS") ;;
    estimate) WL=estimate ARGS=("$EST_CALLS") ;;
    esac
}

# usage() says what each variant is.  base-default and the lever variants (ct-leaf50-*,
# ct-noloop50-*) run on the real programs only: on the small workloads every function is tiny, so a
# size threshold would leave nothing (or everything) to time, and they would only lengthen the run.
ALL_VARIANTS=(plain plain-clang ct-default base-default ct-summary base-summary ct-all ct-count ct-min1us ct-trace base-trace
    ct-early-summary ct-early-trace
    ct-leaf50-summary ct-leaf50-default ct-noloop50-summary ct-noloop50-default
    ct-noloop50-nm-summary ct-noloop50-nm-default
    finstr uftrace gprof xray-fdr xray-basic)
variants_for() { # CASE
    local v out=()
    for v in "${ALL_VARIANTS[@]}"; do
        [[ $v == ct-early-* && $1 != fib ]] && continue
        [[ ($v == base-default || $v == ct-leaf50-* || $v == ct-noloop50-*) ]] && ! is_real_program "$1" && continue
        [[ $v == base-* && -z $BASE_REV ]] && continue
        # plain-clang is the XRay variants' baseline: run whenever one of them is.
        [[ $v == plain-clang && ( -z $ONLY_VARIANTS || ",$ONLY_VARIANTS," == *",xray-"* ) ]] && { out+=("$v"); continue; }
        [[ -n $ONLY_VARIANTS && $v != plain && ",$ONLY_VARIANTS," != *",$v,"* ]] && continue
        out+=("$v")
    done
    echo "${out[*]}"
}
variant_kind() { # VARIANT -> build kind
    case $1 in
    plain) echo plain ;; plain-clang) echo clang ;;
    base-*) echo baselate ;; ct-early-*) echo ctearly ;; ct-leaf50-*) echo ctleaf50 ;; ct-count) echo ctcount ;;
    ct-noloop50-nm-*) echo ctnoloop50-nomethods ;; ct-noloop50-*) echo ctnoloop50 ;; ct-*) echo ctlate ;;
    finstr) echo finstr ;; uftrace | gprof) echo pg ;; xray-*) echo xray ;;
    esac
}
# Writer-bound variants get fewer repetitions on the big workloads (see BENCH_HEAVY_REPS).
variant_reps() { # CASE VARIANT
    if [[ ($1 == vtable || $1 == sqlite || $1 == lua) && ($2 == ct-trace || $2 == base-trace || $2 == uftrace || $2 == xray-*) ]]; then
        echo "$HEAVY_REPS"
    else
        echo "$REPS"
    fi
}

# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
RUNDIR=$WORK/run

# timed CMD...: runs CMD in $RUNDIR under reap (build_helpers); sets RC, PWALL_US (fork to the
# command's end), TWALL_US (to the end of the last process it left: ctimer-recorder), USER_S, SYS_S,
# RSS_KB (those three over the command and every process it left); output in $WORK/{stdout,stderr}
timed() {
    local tf=$WORK/time.txt rf=$WORK/reap.txt t0 t1
    RC=0
    rm -f "$rf"
    t0=$EPOCHREALTIME
    (cd "$RUNDIR" && /usr/bin/time -f '%U %S %M' -o "$tf" "$WORK/obj/reap" "$rf" "$@") >"$WORK/stdout" 2>"$WORK/stderr" || RC=$?
    t1=$EPOCHREALTIME
    if [[ -s $rf ]]; then
        read -r PWALL_US TWALL_US <"$rf"
    else
        PWALL_US=$((${t1/./} - ${t0/./})) TWALL_US=$PWALL_US
    fi
    read -r USER_S SYS_S RSS_KB < <(tail -n 1 "$tf")
}

# parse_bench: APP_WALL_NS, APP_CPU_NS from the workload's CTIMER_BENCH line
parse_bench() {
    local line
    line=$(grep -m1 '^CTIMER_BENCH ' "$WORK/stderr" || true)
    APP_WALL_NS=$(sed -n 's/.* wall_ns=\([0-9]*\).*/\1/p' <<<"$line")
    APP_CPU_NS=$(sed -n 's/.* cpu_ns=\([0-9]*\).*/\1/p' <<<"$line")
    [[ -n $APP_WALL_NS ]] || { APP_WALL_NS=0 APP_CPU_NS=0; }
}

count_calls() { # CASE KIND -> the counting build's call count
    local c=$1 k=$2
    case_setup "$c"
    rm -rf "${RUNDIR:?}" && mkdir -p "$RUNDIR"
    if [[ $k == xraycount ]]; then # the XRay build itself, with a counting handler (xray_support.c)
        timed env CTB_XRAY_COUNT=1 "$WORK/bin/$WL.xray" "${ARGS[@]}"
    else
        timed "$WORK/bin/$WL.$k" "${ARGS[@]}"
    fi
    [[ $RC == 0 ]] || { cat "$WORK/stderr" >&2; die "counting run $c/$k failed (exit $RC)"; }
    sed -n 's/^CTIMER_BENCH_COUNT calls=\([0-9]*\)$/\1/p' "$WORK/stderr" | tail -n 1
}

run_counts() {
    local c k n
    : >"$OUT/counts.tsv"
    say "counting runs (untimed): -finstrument-functions hooks, -pg (mcount), XRay (handler)"
    for c in "${CASES[@]}"; do
        case_setup "$c"
        for k in finstrcount pgcount xraycount; do
            n=$(count_calls "$c" "$k")
            [[ -n $n ]] || die "counting run $c/$k printed no count"
            printf '%s\t%s\t%s\n' "$c" "$k" "$n" >>"$OUT/counts.tsv"
        done
    done
}

# ct_stats CASE VARIANT REP DB: one line of ct.tsv from the run's database
ct_stats() {
    local c=$1 v=$2 rep=$3 db=$4 t line tb=0
    [[ -f $db ]] || { printf '%s\t%s\t%s\tNODB\t0\t0\t0\t0\t0\t0\t0\t0\t0\t\t\t\t\t\n' "$c" "$v" "$rep" >>"$OUT/ct.tsv"; return; }
    t=$(sqlite3 "$db" "SELECT table_name FROM runs ORDER BY id DESC LIMIT 1" 2>>"$OUT/ct.err" || true)
    line=$(sqlite3 -separator $'\t' "$db" "SELECT rows, calls, dropped, unfinished,
        CAST(round((julianday(ended_at) - julianday(started_at)) * 86400000.0) AS INTEGER),
        (SELECT coalesce(sum(calls), 0) FROM \"${t}_summary\"), coalesce(writer_ms, 0)
        FROM runs WHERE table_name = '$t'" 2>>"$OUT/ct.err" || true)
    [[ -n $line ]] || { say "  $c/$v rep $rep: no runs row for $t in $db"; line=$'0\t0\t0\t0\t0\t0\t0'; }
    if [[ $rep == 1 ]]; then # size of the run's row and block tables and their indexes (dbstat), once per variant
        tb=$(sqlite3 "$db" "SELECT coalesce(sum(pgsize), 0) FROM dbstat
             WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name IN ('$t', '${t}_blocks'))" 2>/dev/null || echo 0)
    fi
    # Counted calls (issue 9): the calls timed, summed over _summary (empty for a runtime without the
    # column), and for the estimate case the calibrated function's total_ns, timed_calls, calls, timing.
    local timed est=$'\t\t\t'
    timed=$(sqlite3 "$db" "SELECT coalesce(sum(timed_calls), 0) FROM \"${t}_summary\"" 2>/dev/null || true)
    if [[ $c == estimate ]]; then
        est=$(sqlite3 -separator $'\t' "$db" "SELECT total_ns, timed_calls, calls, timing FROM \"${t}_summary\"
            WHERE function = 'calibrated' AND kind = 'function'" 2>>"$OUT/ct.err" || true)
        [[ -n $est ]] || est=$'\t\t\t'
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$v" "$rep" "$t" "$line" "$(stat -c %s "$db")" "$tb" "$timed" "$est" >>"$OUT/ct.tsv"
}

run_one() { # CASE VARIANT REP
    local c=$1 v=$2 rep=$3 k bin db="" out_ok=1 logb=0
    case_setup "$c"
    k=$(variant_kind "$v")
    bin=$WORK/bin/$WL.$k
    rm -rf "${RUNDIR:?}" && mkdir -p "$RUNDIR"
    local envs=()
    case $v in
    ct-* | base-*) # base-*: the same environment as the ct-* variant of the same suffix
        db=$WORK/db/$c.$v.db
        rm -f "$db" "$db-wal" "$db-shm"
        # Every variant but *-default states its mode and threshold: the runtime's defaults change
        # (CTIMER_MIN_NS went from 0 to 5 us), and ct-trace must stay a full trace whatever they are.
        # The *-default variants measure exactly those defaults: CTIMER_DB only (ct_stats finds the
        # run's table as the newest row of runs).
        case $v in
        *-default) envs=(CTIMER_DB="$db") ;;
        *)
            envs=(CTIMER_DB="$db" CTIMER_RUN="b_${c//-/_}_${v//-/_}_$rep" CTIMER_APP_ID="bench-$c")
            # CTIMER_TIMING: adaptive (the default) unless the variant needs every call timed.  A
            # baseline before counted calls ignores the variable.
            case $v in
            *-summary | ct-count) envs+=(CTIMER_MODE=summary) ;;
            ct-all) envs+=(CTIMER_MODE=summary CTIMER_TIMING=all) ;;
            *-min1us) envs+=(CTIMER_MODE=trace CTIMER_MIN_NS=1000 CTIMER_TIMING=all) ;;
            *-trace) envs+=(CTIMER_MODE=trace CTIMER_MIN_NS=0 CTIMER_TIMING=all) ;;
            *) die "run variant $v: no CTIMER_MODE/CTIMER_MIN_NS for it" ;;
            esac
            ;;
        esac
        ;;
    xray-fdr) envs=(XRAY_OPTIONS="patch_premain=true xray_mode=xray-fdr verbosity=0 xray_logfile_base=$RUNDIR/xray-log.") ;;
    xray-basic) envs=(XRAY_OPTIONS="patch_premain=true xray_mode=xray-basic verbosity=0 xray_logfile_base=$RUNDIR/xray-log.") ;;
    esac
    if [[ $v == uftrace ]]; then
        timed env "${envs[@]}" uftrace record --no-libcall -d "$RUNDIR/uftrace.data" "$bin" "${ARGS[@]}"
    else
        timed env "${envs[@]}" "$bin" "${ARGS[@]}"
    fi
    parse_bench
    # Output must be the plain build's, byte for byte.
    if [[ $v == plain && $rep == 1 ]]; then cp "$WORK/stdout" "$WORK/ref.$c.out"; fi
    cmp -s "$WORK/stdout" "$WORK/ref.$c.out" || out_ok=0
    if [[ $RC != 0 || $APP_WALL_NS == 0 ]]; then
        out_ok=0
        cp "$WORK/stderr" "$OUT/failed.$c.$v.$rep.stderr"
        say "  $c/$v rep $rep: exit status $RC$([[ $APP_WALL_NS == 0 ]] && echo ', no CTIMER_BENCH line') (stderr saved in $OUT)"
    fi
    case $v in
    xray-*) logb=$(find "$RUNDIR" -maxdepth 1 -name 'xray-log.*' -printf '%s\n' | awk '{s += $1} END {print s + 0}') ;;
    uftrace) logb=$(du -sb "$RUNDIR/uftrace.data" 2>/dev/null | cut -f1 || echo 0) ;;
    gprof) logb=$(stat -c %s "$RUNDIR/gmon.out" 2>/dev/null || echo 0) ;;
    esac
    if [[ $v == xray-* && $logb == 0 ]]; then say "  $c/$v rep $rep: XRay wrote no log"; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$v" "$rep" "$RC" "$PWALL_US" "$USER_S" "$SYS_S" \
        "$RSS_KB" "$APP_WALL_NS" "$APP_CPU_NS" "$out_ok" "$logb" "$TWALL_US" >>"$OUT/raw.tsv"
    if [[ -n $db ]]; then
        ct_stats "$c" "$v" "$rep" "$db"
        rm -f "$db" "$db-wal" "$db-shm"
    fi
}

run_all() {
    local rep c v n=0 total=0
    : >"$OUT/raw.tsv"
    : >"$OUT/ct.tsv"
    for c in "${CASES[@]}"; do for v in $(variants_for "$c"); do total=$((total + $(variant_reps "$c" "$v"))); done; done
    say "timed runs: $total, interleaved over $REPS repetition(s)"
    for ((rep = 1; rep <= REPS; rep++)); do
        for c in "${CASES[@]}"; do
            for v in $(variants_for "$c"); do
                [[ $rep -le $(variant_reps "$c" "$v") ]] || continue
                n=$((n + 1))
                run_one "$c" "$v" "$rep"
            done
        done
        say "repetition $rep of $REPS done ($n of $total runs)"
    done
}

# ---------------------------------------------------------------------------------------------
# Report: medians over repetitions, aggregated with sqlite3, printed as Markdown
# ---------------------------------------------------------------------------------------------
case_title() {
    case $1 in
    fib) echo "fib($FIB_N): recursive, a tiny body per call" ;;
    vtable) echo "vtable: struct-ops dispatch + qsort callback (args ${VTABLE_ARGS[*]})" ;;
    threads-*) echo "threads: ${1#threads-} thread(s), $THREAD_CALLS calls of step() in total" ;;
    sqlite) echo "sqlite: SQLite ${SQLITE_VERSION:-} shell on :memory:, $SQLITE_ROWS orders + $((SQLITE_ROWS / 5)) customers" ;;
    lua) echo "lua: Lua ${LUA_VERSION:-} interpreter running lua_workload.lua, ${LUA_ROUNDS:-} rounds" ;;
    estimate) echo "estimate: a calibrated ~300 ns function (256 dependent multiply-adds), ${EST_CALLS:-} calls" ;;
    esac
}

report_setup() {
    local db=$1
    rm -f "$db"
    sqlite3 "$db" <<SQL
CREATE TABLE raw(c TEXT, v TEXT, rep INT, rc INT, pwall_us INT, user_s REAL, sys_s REAL, rss_kb INT,
                 awall_ns INT, acpu_ns INT, out_ok INT, log_bytes INT, twall_us INT);
CREATE TABLE counts(c TEXT, k TEXT, calls INT);
CREATE TABLE ct(c TEXT, v TEXT, rep INT, tbl TEXT, rows INT, calls INT, dropped INT, unfinished INT,
                span_ms INT, summary_calls INT, writer_ms INT, db_bytes INT, table_bytes INT,
                timed_calls INT, est_total_ns INT, est_timed INT, est_calls INT, est_timing TEXT);
CREATE TABLE compile(k TEXT, rep INT, ms INT);
.mode tabs
.import '$OUT/raw.tsv' raw
.import '$OUT/counts.tsv' counts
.import '$OUT/ct.tsv' ct
.import '$OUT/compile.tsv' compile
-- variants: display order, baseline, where the call count comes from
CREATE TABLE vinfo(v TEXT PRIMARY KEY, o REAL, base TEXT, ck TEXT);
INSERT INTO vinfo VALUES
 ('plain', 1, 'plain', NULL), ('plain-clang', 2, 'plain', NULL),
 ('ct-default', 3, 'plain', 'db'), ('base-default', 3.5, 'plain', 'db'),
 ('ct-summary', 4, 'plain', 'db'), ('base-summary', 4.5, 'plain', 'db'),
 ('ct-all', 4.6, 'plain', 'db'), ('ct-count', 4.7, 'plain', 'db'), ('ct-min1us', 5, 'plain', 'db'),
 ('ct-trace', 6, 'plain', 'db'), ('base-trace', 6.5, 'plain', 'db'),
 ('ct-early-summary', 7, 'plain', 'db'), ('ct-early-trace', 8, 'plain', 'db'),
 ('ct-leaf50-summary', 9, 'plain', 'db'), ('ct-leaf50-default', 10, 'plain', 'db'),
 ('ct-noloop50-summary', 11, 'plain', 'db'), ('ct-noloop50-default', 12, 'plain', 'db'),
 ('ct-noloop50-nm-summary', 13, 'plain', 'db'), ('ct-noloop50-nm-default', 14, 'plain', 'db'),
 ('finstr', 15, 'plain', 'finstrcount'), ('uftrace', 16, 'plain', 'pgcount'), ('gprof', 17, 'plain', 'pgcount'),
 ('xray-fdr', 18, 'plain-clang', 'xraycount'), ('xray-basic', 19, 'plain-clang', 'xraycount');
CREATE VIEW ok AS SELECT * FROM raw WHERE rc = 0 AND awall_ns > 0;
CREATE VIEW long AS
  SELECT c, v, 'pwall' AS m, pwall_us * 1000.0 AS val FROM ok UNION ALL
  SELECT c, v, 'pcpu', (user_s + sys_s) * 1e9 FROM ok UNION ALL
  SELECT c, v, 'awall', awall_ns FROM ok UNION ALL
  SELECT c, v, 'acpu', acpu_ns FROM ok UNION ALL
  SELECT c, v, 'rss', rss_kb FROM ok UNION ALL
  SELECT c, v, 'logb', log_bytes FROM ok UNION ALL
  SELECT c, v, 'tail', (twall_us - pwall_us) * 1000.0 FROM ok WHERE twall_us IS NOT NULL UNION ALL
  SELECT c, v, 'rows', rows FROM ct UNION ALL
  SELECT c, v, 'span', span_ms FROM ct UNION ALL
  SELECT c, v, 'wms', writer_ms FROM ct UNION ALL
  SELECT c, v, 'dbb', db_bytes FROM ct;
CREATE TABLE med AS
  WITH r AS (SELECT c, v, m, val,
                    row_number() OVER (PARTITION BY c, v, m ORDER BY val) AS rn,
                    count(*) OVER (PARTITION BY c, v, m) AS n FROM long)
  SELECT c, v, m, avg(val) AS val FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY c, v, m;
CREATE TABLE w AS
  SELECT c, v,
         max(CASE WHEN m = 'pwall' THEN val END) AS pwall, max(CASE WHEN m = 'pcpu' THEN val END) AS pcpu,
         max(CASE WHEN m = 'awall' THEN val END) AS awall, max(CASE WHEN m = 'acpu' THEN val END) AS acpu,
         max(CASE WHEN m = 'rss' THEN val END) AS rss, max(CASE WHEN m = 'logb' THEN val END) AS logb,
         max(CASE WHEN m = 'rows' THEN val END) AS rows, max(CASE WHEN m = 'span' THEN val END) AS span,
         max(CASE WHEN m = 'dbb' THEN val END) AS dbb, max(CASE WHEN m = 'wms' THEN val END) AS wms,
         max(CASE WHEN m = 'tail' THEN val END) AS tail
  FROM med GROUP BY c, v;
-- one row per case and variant, with its baseline's medians and its number of instrumented calls
CREATE VIEW x AS
  SELECT w.*, i.o, i.base, b.awall AS b_awall, b.acpu AS b_acpu, b.pwall AS b_pwall,
         CASE WHEN i.ck = 'db' THEN (SELECT max(summary_calls) FROM ct WHERE ct.c = w.c AND ct.v = w.v)
              WHEN i.ck IS NOT NULL THEN (SELECT calls FROM counts WHERE counts.c = w.c AND counts.k = i.ck) END AS calls,
         (SELECT count(*) FROM raw WHERE raw.c = w.c AND raw.v = w.v) AS n,
         (SELECT CASE WHEN max(rc) <> 0 THEN 'exit ' || max(rc) WHEN min(out_ok) = 1 THEN 'same' ELSE 'DIFFERS' END
            FROM raw WHERE raw.c = w.c AND raw.v = w.v) AS output
  FROM w JOIN vinfo i USING (v) LEFT JOIN w AS b ON b.c = w.c AND b.v = i.base;
SQL
}

md() { sqlite3 "$WORK/report.db" ".mode markdown" ".headers on" "$1"; }
# cell CASE EXPR FORMAT COND: an SQL expression giving, for the row's variant, EXPR of CASE formatted,
# or '' when that case has no such variant (or COND is false).
cell() { echo "coalesce((SELECT printf('$3', $2) FROM x AS y WHERE y.c = '$1' AND y.v = vv.v AND $4), '')"; }
# pivot TITLE EXPR FORMAT FILTER ROWS_WHERE LABEL_PREFIX_TO_STRIP LABEL_SUFFIX CASE...: one table with a
# row per variant and a column per case, each cell EXPR of that case (where FILTER holds).
pivot() {
    local title=$1 expr=$2 fmt=$3 filter=$4 where=$5 strip=$6 suffix=$7 c cols=""
    shift 7
    for c in "$@"; do
        cols+=", $(cell "$c" "$expr" "$fmt" "$filter") AS \"${c#"$strip"}$suffix\""
    done
    echo "### $title"
    echo
    md "SELECT v AS variant $cols FROM vinfo AS vv WHERE v IN (SELECT v FROM x WHERE $where) ORDER BY o"
    echo
}

report() {
    local c
    report_setup "$WORK/report.db"
    {
        if [[ ${#CASES[@]} -gt 0 ]]; then
            pivot "Overview: app-thread CPU ns per instrumented call, (T − T_base) / calls (medians)" \
                "(acpu - b_acpu) / calls" '%.1f' 'calls > 0' 'calls > 0' '' '' "${CASES[@]}"
            pivot "Overview: app-thread wall ns per instrumented call, (T − T_base) / calls (medians)" \
                "(awall - b_awall) / calls" '%.1f' 'calls > 0' 'calls > 0' '' '' "${CASES[@]}"
            pivot "Overview: whole-process wall time, × the variant's baseline (medians)" \
                "pwall / b_pwall" '%.2f' 1 1 '' '' "${CASES[@]}"
        fi
        for c in "${CASES[@]}"; do
            echo "### $(case_title "$c")"
            echo
            md "SELECT v AS variant, base, n, coalesce(calls, '') AS calls,
                       printf('%.1f', awall / 1e6) AS \"app wall ms\", printf('%.2f', awall / b_awall) AS \"× base\",
                       printf('%.1f', acpu / 1e6) AS \"app CPU ms\",
                       CASE WHEN calls > 0 THEN printf('%.1f', (acpu - b_acpu) / calls) ELSE '' END AS \"ns/call CPU\",
                       CASE WHEN calls > 0 THEN printf('%.1f', (awall - b_awall) / calls) ELSE '' END AS \"ns/call wall\",
                       printf('%.1f', pwall / 1e6) AS \"process wall ms\", printf('%.2f', pwall / b_pwall) AS \"× base \",
                       printf('%.0f', pcpu / 1e6) AS \"process CPU ms\", printf('%.0f', rss / 1024) AS \"max RSS MB\",
                       CASE WHEN coalesce(dbb, logb, 0) > 0 THEN printf('%.1f', coalesce(dbb, logb) / 1e6) ELSE '' END AS \"data MB\",
                       output
                FROM x WHERE c = '$c' ORDER BY o"
            echo
        done
        if [[ $(sqlite3 "$WORK/report.db" "SELECT count(*) FROM ct") != 0 ]]; then
            echo "### ctimer's database (medians; bytes/row from dbstat on rep 1: the run's table and its blocks table, with indexes)"
            echo
            md "SELECT x.c AS \"case\", x.v AS variant, calls, printf('%.0f', rows) AS rows,
                       (SELECT max(dropped) FROM ct WHERE ct.c = x.c AND ct.v = x.v) AS dropped,
                       printf('%.0f', span) AS \"run span ms\",
                       CASE WHEN rows > 0 AND span > 0 THEN printf('%.2f', rows / span / 1000) ELSE '' END AS \"M rows/s (span)\",
                       CASE WHEN rows > 0 THEN printf('%.2f', rows / pwall * 1000) ELSE '' END AS \"M rows/s (process wall)\",
                       printf('%.0f', (pwall - awall) / 1e6) AS \"outside main ms\",
                       printf('%.0f', wms) AS \"writer ms\",
                       CASE WHEN rows > 0 AND wms > 0 THEN printf('%.2f', rows / wms / 1000) ELSE '' END AS \"M rows/s (writer)\",
                       printf('%.0f', max(pcpu - acpu, 0) / 1e6) AS \"non-app CPU ms\",
                       printf('%.1f', max(pcpu - acpu, 0) / calls) AS \"non-app CPU ns/call\",
                       CASE WHEN rows > 0 AND pcpu > acpu THEN printf('%.2f', rows / ((pcpu - acpu) / 1e9) / 1e6) ELSE '' END AS \"M rows/CPU-s\",
                       CASE WHEN rows > 0 THEN printf('%.1f', (SELECT max(table_bytes) FROM ct WHERE ct.c = x.c AND ct.v = x.v AND ct.rep = 1) / rows) ELSE '' END AS \"bytes/row\",
                       printf('%.1f', dbb / 1e6) AS \"DB MB\",
                       coalesce(printf('%.1f', tail / 1e6), '') AS \"ms after exit\"
                FROM x WHERE v LIKE 'ct-%' OR v LIKE 'base-%' ORDER BY (SELECT min(rowid) FROM raw WHERE raw.c = x.c), o"
            echo
        fi
        if [[ $(sqlite3 "$WORK/report.db" "SELECT count(*) FROM x WHERE v LIKE 'base-%'") != 0 ]]; then
            echo "### Current runtime (ct-*) against the baseline${BASE_COMMIT:+ ${BASE_COMMIT:0:7}} (base-*): medians, and new / baseline"
            echo
            echo "(mode all: ct-all, every call timed, beside base-summary: a baseline before counted calls times every call)"
            echo
            md "WITH p AS (SELECT n.c, substr(n.v, 4) AS mode, n.o,
                                 (n.acpu - n.b_acpu) / n.calls AS n_ns, (b.acpu - b.b_acpu) / b.calls AS b_ns,
                                 n.pwall / n.b_pwall AS n_x, b.pwall / b.b_pwall AS b_x,
                                 CASE WHEN n.rows > 0 AND n.span > 0 THEN n.rows / n.span / 1000 END AS n_rs,
                                 CASE WHEN b.rows > 0 AND b.span > 0 THEN b.rows / b.span / 1000 END AS b_rs,
                                 CASE WHEN n.rows > 0 THEN n.rows / n.pwall * 1000 END AS n_rt,
                                 CASE WHEN b.rows > 0 THEN b.rows / b.pwall * 1000 END AS b_rt,
                                 CASE WHEN n.rows > 0 THEN (SELECT max(table_bytes) FROM ct WHERE ct.c = n.c AND ct.v = n.v AND ct.rep = 1) / n.rows END AS n_bpr,
                                 CASE WHEN b.rows > 0 THEN (SELECT max(table_bytes) FROM ct WHERE ct.c = b.c AND ct.v = b.v AND ct.rep = 1) / b.rows END AS b_bpr
                          FROM x AS n JOIN x AS b ON b.c = n.c
                               AND b.v = CASE n.v WHEN 'ct-all' THEN 'base-summary' ELSE 'base-' || substr(n.v, 4) END
                          WHERE n.v IN ('ct-default', 'ct-summary', 'ct-all', 'ct-trace') AND n.calls > 0 AND b.calls > 0)
                SELECT c AS \"case\", mode,
                       printf('%.1f', n_ns) AS \"ns/call CPU new\", printf('%.1f', b_ns) AS \"baseline\", printf('%.2f', n_ns / b_ns) AS \"new/base\",
                       printf('%.2f', n_x) AS \"process wall × plain new\", printf('%.2f', b_x) AS \"baseline \", printf('%.2f', n_x / b_x) AS \"new/base \",
                       CASE WHEN n_rs IS NULL THEN '' ELSE printf('%.2f', n_rs) END AS \"M rows/s (span) new\",
                       CASE WHEN b_rs IS NULL THEN '' ELSE printf('%.2f', b_rs) END AS \"baseline  \",
                       CASE WHEN n_rs IS NULL OR b_rs IS NULL THEN '' ELSE printf('%.2f', n_rs / b_rs) END AS \"new/base  \",
                       CASE WHEN n_rt IS NULL THEN '' ELSE printf('%.2f', n_rt) END AS \"M rows/s (process wall) new\",
                       CASE WHEN b_rt IS NULL THEN '' ELSE printf('%.2f', b_rt) END AS \"baseline    \",
                       CASE WHEN n_rt IS NULL OR b_rt IS NULL THEN '' ELSE printf('%.2f', n_rt / b_rt) END AS \"new/base    \",
                       CASE WHEN n_bpr IS NULL THEN '' ELSE printf('%.1f', n_bpr) END AS \"bytes/row new\",
                       CASE WHEN b_bpr IS NULL THEN '' ELSE printf('%.1f', b_bpr) END AS \"baseline   \"
                FROM p ORDER BY (SELECT min(rowid) FROM raw WHERE raw.c = p.c), o"
            echo
        fi
        if [[ $(sqlite3 "$WORK/report.db" "SELECT count(*) FROM ct") != 0 ]]; then
            report_counts
        fi
        local tc=()
        for c in "${CASES[@]}"; do [[ $c == threads-* ]] && tc+=("$c"); done
        if [[ ${#tc[@]} -gt 0 ]]; then
            pivot "threads: app CPU ns per call (summed over the worker threads), by thread count" \
                "(acpu - b_acpu) / calls" '%.1f' 'calls > 0' "c LIKE 'threads-%' AND calls > 0" threads- ' thr' "${tc[@]}"
            pivot "threads: app wall ns per call, by thread count (2 cores: more threads than cores share them)" \
                "(awall - b_awall) / calls" '%.1f' 'calls > 0' "c LIKE 'threads-%' AND calls > 0" threads- ' thr' "${tc[@]}"
        fi
        if [[ $(sqlite3 "$WORK/report.db" "SELECT count(*) FROM compile") != 0 ]]; then
            echo "### Compile time of sqlite3.c (gcc -O2 -c, median of $COMPILE_REPS)"
            echo
            md "WITH r AS (SELECT k, ms, row_number() OVER (PARTITION BY k ORDER BY ms) AS rn,
                                  count(*) OVER (PARTITION BY k) AS n FROM compile),
                     m AS (SELECT k, avg(ms) AS ms FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY k)
                SELECT CASE k WHEN 'plain' THEN 'gcc -O2' WHEN 'ctlate' THEN 'with ctimer, placement=late'
                              ELSE 'with ctimer, placement=early' END AS build,
                       printf('%.1f', ms / 1000.0) AS seconds,
                       printf('%.2f', ms / (SELECT ms FROM m WHERE k = 'plain')) AS \"× plain\"
                FROM m ORDER BY CASE k WHEN 'plain' THEN 1 WHEN 'ctlate' THEN 2 ELSE 3 END"
            echo
        fi
    } >"$OUT/results.md"
    cat "$OUT/results.md"
    if grep -q 'NOT EXACT\|DIFFERS' "$OUT/results.md"; then
        say "WARNING: some call counts are not exact or some output differs from plain's: see 'NOT EXACT' / 'DIFFERS' in $OUT/results.md"
    fi
}

# report_counts: issue 9's invariant (exact counts in every mode) and targets, from report.db.
report_counts() {
    # Each ctimer variant's sum of _summary.calls, in every rep, against its reference: ct-all (the same
    # build with every call timed) for the placement=late builds and for count=* (ct-count, the same
    # functions counted); ct-early-trace for ct-early-summary; the -summary sibling for the lever
    # builds' -default; base-summary for the other base-*.  runs.calls must say the same.
    # Like with like: a runtime is only ever compared with itself.  Since 499f20f runs.calls and
    # _summary.calls both count the calls that never returned (longjmp, exit; runs.unfinished says
    # how many); before it (a baseline such as 22467bf) both left them out, so its calls + unfinished
    # is what the current runtime calls calls.  Hence no ct-* against base-* here (they also instrument
    # different calls: library calls, thread start routines), and an unfinished column beside.
    echo "### Call counts: sum of \`calls\` in \`_summary\`, every rep, against the reference variant (exact = every rep equal to every rep of the reference, and to \`runs.calls\`; a runtime only against itself: since 499f20f \`calls\` includes the \`runs.unfinished\` calls, before it neither count did)"
    echo
    md "WITH r AS (SELECT DISTINCT c, v, CASE WHEN v IN ('ct-default', 'ct-summary', 'ct-count', 'ct-min1us', 'ct-trace') THEN 'ct-all'
                                    WHEN v = 'ct-early-summary' THEN 'ct-early-trace'
                                    WHEN v LIKE 'ct-%-default' THEN substr(v, 1, length(v) - 8) || '-summary'
                                    WHEN v IN ('base-default', 'base-trace') THEN 'base-summary' ELSE v END AS ref FROM ct),
            s AS (SELECT r.c, r.v, r.ref, count(*) AS n, min(ct.summary_calls) AS lo, max(ct.summary_calls) AS hi,
                         sum(ct.calls <> ct.summary_calls) AS runs_diff,
                         min(ct.unfinished) AS ulo, max(ct.unfinished) AS uhi,
                         (SELECT min(summary_calls) FROM ct AS q WHERE q.c = r.c AND q.v = r.ref) AS rlo,
                         (SELECT max(summary_calls) FROM ct AS q WHERE q.c = r.c AND q.v = r.ref) AS rhi,
                         avg(CASE WHEN ct.summary_calls > 0 AND ct.timed_calls <> '' THEN 1.0 * ct.timed_calls / ct.summary_calls END) AS tshare
                  FROM r JOIN ct USING (c, v) GROUP BY r.c, r.v)
       SELECT s.c AS \"case\", s.v AS variant, s.n AS n, s.lo AS \"calls min\", s.hi AS \"calls max\",
              s.ulo || CASE WHEN s.ulo <> s.uhi THEN '–' || s.uhi ELSE '' END AS \"runs.unfinished\",
              s.ref AS reference, s.rlo AS \"ref min\", s.rhi AS \"ref max\",
              coalesce((SELECT calls FROM counts WHERE counts.c = s.c AND counts.k = 'pgcount'), '') AS \"mcount (gcc -pg)\",
              CASE WHEN s.tshare IS NULL THEN '' ELSE printf('%.4f', s.tshare) END AS \"timed_calls / calls\",
              CASE WHEN s.lo = s.hi AND s.lo = s.rlo AND s.rlo = s.rhi AND s.runs_diff = 0 THEN 'exact'
                   ELSE 'NOT EXACT: ' || (s.hi - s.lo) || ' within, ' || (max(s.hi, s.rhi) - min(s.lo, s.rlo)) || ' with ref, '
                        || s.runs_diff || ' runs.calls differ' END AS verdict
       FROM s JOIN vinfo i USING (v) ORDER BY (SELECT min(rowid) FROM raw WHERE raw.c = s.c), i.o"
    echo
    if [[ $(sqlite3 "$WORK/report.db" "SELECT count(*) FROM ct WHERE c = 'estimate' AND est_total_ns <> ''") != 0 ]]; then
        echo "### estimate: the calibrated function's \`_summary\` row (medians; ratio = its total_ns / ct-all's, every call timed)"
        echo
        md "WITH m AS (SELECT v, est_total_ns AS t, est_timed AS tc, est_calls AS nc, est_timing AS tm,
                              row_number() OVER (PARTITION BY v ORDER BY est_total_ns) AS rn, count(*) OVER (PARTITION BY v) AS n
                       FROM ct WHERE c = 'estimate' AND est_total_ns <> ''),
                 med AS (SELECT v, avg(t) AS t, max(n) AS n FROM m WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY v),
                 pr AS (SELECT a.v, min(1.0 * a.est_total_ns / b.est_total_ns) AS lo, max(1.0 * a.est_total_ns / b.est_total_ns) AS hi
                        FROM ct AS a JOIN ct AS b ON b.c = a.c AND b.v = 'ct-all' AND b.rep = a.rep
                        WHERE a.c = 'estimate' AND a.est_total_ns <> '' AND b.est_total_ns <> '' GROUP BY a.v)
            SELECT med.v AS variant, med.n AS n, printf('%.1f', med.t / 1e6) AS \"total_ms (median)\",
                   printf('%.1f', med.t / (SELECT max(est_calls) FROM ct WHERE c = 'estimate' AND v = med.v)) AS \"ns per call\",
                   printf('%.4f', med.t / (SELECT t FROM med AS b WHERE b.v = 'ct-all')) AS \"ratio to ct-all (medians)\",
                   coalesce(printf('%.4f – %.4f', pr.lo, pr.hi), '') AS \"per-rep ratios (same rep)\",
                   (SELECT group_concat(DISTINCT est_timing) FROM ct WHERE c = 'estimate' AND v = med.v) AS timing,
                   (SELECT min(est_timed) || CASE WHEN min(est_timed) <> max(est_timed) THEN '–' || max(est_timed) ELSE '' END FROM ct WHERE c = 'estimate' AND v = med.v) AS timed_calls,
                   (SELECT min(est_calls) || CASE WHEN min(est_calls) <> max(est_calls) THEN '–' || max(est_calls) ELSE '' END FROM ct WHERE c = 'estimate' AND v = med.v) AS calls
            FROM med JOIN vinfo i USING (v) LEFT JOIN pr USING (v) ORDER BY i.o"
        echo
    fi
    # Issue 9's targets, from the tables above (medians).
    echo "### Issue 9 targets (medians of this run)"
    echo
    md "WITH t(o, what, target, val) AS (
          SELECT 1, 'lua: process wall × plain, defaults (ct-default)', '≤ 2.5', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'lua' AND v = 'ct-default') UNION ALL
          SELECT 2, 'lua: ct-summary × plain', '', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'lua' AND v = 'ct-summary') UNION ALL
          SELECT 3, 'lua: gprof × plain (anchor)', '', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'lua' AND v = 'gprof') UNION ALL
          SELECT 4, 'lua: finstr × plain (anchor)', '', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'lua' AND v = 'finstr') UNION ALL
          SELECT 5, 'sqlite: process wall × plain, defaults (ct-default)', '≤ 2', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'sqlite' AND v = 'ct-default') UNION ALL
          SELECT 6, 'sqlite: ct-summary × plain', '', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'sqlite' AND v = 'ct-summary') UNION ALL
          SELECT 7, 'sqlite: gprof × plain (anchor)', '', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'sqlite' AND v = 'gprof') UNION ALL
          SELECT 8, 'sqlite: finstr × plain (anchor)', '', (SELECT printf('%.2f', pwall / b_pwall) FROM x WHERE c = 'sqlite' AND v = 'finstr') UNION ALL
          SELECT 9, 'counted call (ct-count), ns/call: ' || c, '≤ 2', printf('%.1f', (acpu - b_acpu) / calls) FROM x WHERE v = 'ct-count' AND calls > 0 UNION ALL
          SELECT 10, 'empty hooks (finstr), ns/call, anchor: ' || c, '', printf('%.1f', (acpu - b_acpu) / calls) FROM x WHERE v = 'finstr' AND calls > 0 AND c IN ('fib', 'threads-1', 'vtable') UNION ALL
          SELECT 11, 'fib: app CPU ns/call, defaults (ct-default)', '≤ 4', (SELECT printf('%.1f', (acpu - b_acpu) / calls) FROM x WHERE c = 'fib' AND v = 'ct-default') UNION ALL
          SELECT 12, 'fib: app CPU ns/call, ct-summary', '≤ 4', (SELECT printf('%.1f', (acpu - b_acpu) / calls) FROM x WHERE c = 'fib' AND v = 'ct-summary') UNION ALL
          SELECT 13, 'fib: app CPU ns/call, CTIMER_TIMING=all (ct-all)', 'unchanged (17.9 before)', (SELECT printf('%.1f', (acpu - b_acpu) / calls) FROM x WHERE c = 'fib' AND v = 'ct-all') UNION ALL
          SELECT 14, 'fib: app CPU ns/call, baseline (base-summary)', '', (SELECT printf('%.1f', (acpu - b_acpu) / calls) FROM x WHERE c = 'fib' AND v = 'base-summary') UNION ALL
          SELECT 15, 'estimate: total_ns defaults / TIMING=all (medians)', '0.90 – 1.10',
                 (SELECT printf('%.4f', d.t / a.t) FROM
                   (SELECT avg(est_total_ns) AS t FROM (SELECT est_total_ns, row_number() OVER (ORDER BY est_total_ns) AS rn, count(*) OVER () AS n FROM ct WHERE c = 'estimate' AND v = 'ct-default' AND est_total_ns <> '') WHERE rn IN ((n + 1) / 2, (n + 2) / 2)) AS d,
                   (SELECT avg(est_total_ns) AS t FROM (SELECT est_total_ns, row_number() OVER (ORDER BY est_total_ns) AS rn, count(*) OVER () AS n FROM ct WHERE c = 'estimate' AND v = 'ct-all' AND est_total_ns <> '') WHERE rn IN ((n + 1) / 2, (n + 2) / 2)) AS a))
       SELECT what AS measure, target, coalesce(val, '') AS measured FROM t WHERE val IS NOT NULL ORDER BY o"
    echo
}

# ---------------------------------------------------------------------------------------------
# Machine description (for the README)
# ---------------------------------------------------------------------------------------------
describe_machine() {
    {
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- command: \`$CMDLINE\` (reps $REPS; ct-trace, base-trace, uftrace and XRay on vtable/sqlite/lua: $HEAVY_REPS)"
        echo "- ctimer: commit ${CT_COMMIT:-?} when built$(git -C "$REPO" status --porcelain -- plugin runtime recorder 2>/dev/null | grep -q . && echo ' + uncommitted changes in plugin/, runtime/ or recorder/') (ct-* variants; linked with ${RT_LIBS[*]##*/})"
        [[ -n $BASE_COMMIT ]] && echo "- baseline (base-* variants): --baseline $BASE_REV = commit ${BASE_COMMIT:0:7}, $(git -C "$REPO" log -1 --format='%cd' --date=format:'%Y-%m-%d %H:%M' "$BASE_COMMIT" 2>/dev/null)"
        echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores$(lscpu | grep -q '^Hypervisor vendor' && echo " (under $(lscpu | sed -n 's/^Hypervisor vendor: *//p'))")"
        echo "- kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "- load average (1, 5, 15 min) at the start: $LOAD_START; at the start of the timed runs ($TIMED_START UTC): $LOAD_TIMED; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "- $(gcc --version | head -n 1); $(clang-14 --version | head -n 1); $(uftrace --version | head -n 1); SQLite ${SQLITE_VERSION:-?} ($SQLITE_NPM); Lua ${LUA_VERSION:-?} ($LUA_NPM)"
    } >"$OUT/machine.md"
    cat "$OUT/machine.md"
}

# wait_quiet: BENCH_QUIET_LOAD.  The builds run whatever the load; only the timed runs wait.
wait_quiet() {
    [[ -n ${BENCH_QUIET_LOAD:-} ]] || return 0
    local max=${BENCH_QUIET_MAX_S:-1800} t0=$SECONDS l
    while :; do
        l=$(cut -d' ' -f1 /proc/loadavg)
        if awk -v l="$l" -v m="$BENCH_QUIET_LOAD" 'BEGIN { exit !(l < m) }'; then
            say "load average $l < $BENCH_QUIET_LOAD: timed runs start"
            break
        fi
        if ((SECONDS - t0 >= max)); then
            say "load average still $l after ${max} s: timed runs start anyway"
            break
        fi
        say "load average $l >= $BENCH_QUIET_LOAD: waiting"
        sleep 30
    done
}

# ---------------------------------------------------------------------------------------------
main() {
    if [[ -n $REPORT_ONLY ]]; then
        [[ -f $REPORT_ONLY/raw.tsv && -f $REPORT_ONLY/params.sh ]] || die "$REPORT_ONLY holds no results of run.sh"
        OUT=$(cd "$REPORT_ONLY" && pwd)
        # shellcheck disable=SC1091
        source "$OUT/params.sh"
        mapfile -t CASES < <(cut -f1 "$OUT/raw.tsv" | awk '!seen[$0]++')
        cat "$OUT/machine.md"
        echo
        report
        return
    fi
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
    if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
        say "warning: load average $LOAD_START on $(nproc) cores: something else is running, wall times will be noisy"
    fi
    if [[ -n $ONLY_VARIANTS ]]; then
        local v
        for v in ${ONLY_VARIANTS//,/ }; do
            [[ " ${ALL_VARIANTS[*]} " == *" $v "* ]] || die "unknown variant '$v' (see --help)"
            [[ $v == base-* && -z $BASE_REV ]] && die "variant $v needs --baseline REV"
        done
    fi
    install_deps
    check_tools
    build_ctimer
    [[ -n $BASE_REV ]] && build_baseline
    build_helpers
    if has_workload sqlite || has_workload compile; then fetch_sqlite; fi
    has_workload sqlite && make_sql
    if has_workload lua; then fetch_lua; fi
    : >"$OUT/compile.tsv"
    : >"$OUT/counts.tsv"
    : >"$OUT/raw.tsv"
    : >"$OUT/ct.tsv"
    has_workload compile && measure_compile
    build_all
    [[ ${#CASES[@]} -gt 0 ]] && run_counts
    wait_quiet
    LOAD_TIMED=$(cut -d' ' -f1-3 /proc/loadavg)
    TIMED_START=$(date -u +%H:%M)
    [[ ${#CASES[@]} -gt 0 ]] && run_all
    declare -p QUICK REPS HEAVY_REPS COMPILE_REPS FIB_N VTABLE_ARGS THREAD_CALLS SQLITE_ROWS SQLITE_NPM EST_CALLS \
        SQLITE_VERSION LUA_ROUNDS LUA_NPM LUA_VERSION BASE_REV BASE_COMMIT CMDLINE >"$OUT/params.sh" 2>/dev/null || true
    echo
    describe_machine
    echo
    report
}

# One line, so that bash has read it whole before main starts: editing this file while it runs is safe.
main "$@"; exit
