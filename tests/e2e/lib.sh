# lib.sh — shared helpers for the end-to-end tests; every tests/e2e/*.sh sources it first.
#
# Each test is its own bash process working in its own temporary directory, removed when the test
# passes and kept (its path printed) when it fails.  ctest passes the toolchain in the environment
# (tests/e2e/CMakeLists.txt):
#   E2E_GCC      the gcc that loads the plugin     E2E_PLUGIN         ctimer.so (the shim)
#   E2E_GCC_MAJOR  its major version (the test runs once per GCC: e2e.gccM.NAME)
#   E2E_GCC_MAJORS every major version with a plugin build
#   E2E_RUNTIME  libctimer.a                       E2E_LIBS           what libctimer.a needs to link
#   E2E_INCLUDE  the directory of ctimer.h         E2E_SHARED_LIBDIR  the directory of libctimer.so
#   E2E_SRC      the source tree                   E2E_BUILD          the build tree
#   E2E_CTIMER   the ctimer command (cli/)
#
# Building   build OUT SRC... [gcc flags] [+KEY[=VALUE]...]    with the plugin; +KEY=VALUE is
#                                                               -fplugin-arg-ctimer-KEY=VALUE
#            build_shared OUT SRC... [...]    the same, linked with libctimer.so instead of .a
#            build_plain OUT SRC... [gcc flags]                 without the plugin (+... ignored)
#            build_both OUT SRC... [...]      build OUT, and build_plain OUT.plain
#            Sources are taken from tests/e2e/progs unless they contain a '/'.
#            A failed build stops the test (nothing after it could mean anything).
# Running    run NAME PROG [ARGS...]   runs PROG with CTIMER_RUN=NAME and CTIMER_DB=$DB (and
#                                      CTIMER_MIN_NS=0 and CTIMER_TIMING=all unless set: when
#                                      counted calls start depends on how fast the recorder keeps
#                                      up, so row-level checks time every call; timing.sh and the
#                                      tests that set CTIMER_TIMING check the counted ones); sets RUN=NAME and RC, leaves
#                                      stdout and stderr in NAME.out and NAME.err; then waits
#                                      (wait_runs_ended) for the recorder to finish the run
#            run_plain NAME PROG [ARGS...]   the same without any CTIMER_ variable (and no wait)
#            run_both NAME BIN [ARGS...]     runs ./BIN.plain and ./BIN (as run NAME), and expects
#                                            the same stdout, stderr and exit status
#            wait_runs_ended [DBFILE]  waits, up to 30 s polling every 50 ms, until every row of
#                                      runs in DBFILE (default $DB) has ended_at set: the recorder
#                                      process may still be writing after the program ended.  No
#                                      wait when the file does not exist, is not a database or has
#                                      no runs table.  Returns 1 (and says so) after 30 s
#                                      (E2E_WAIT_S seconds if set: 0 to look at a runtime without
#                                      a recorder, where a killed run never ends).
#            wait_pid_gone PID         waits, up to 30 s, until process PID no longer exists or is a
#                                      zombie (a daemon's background child); fails after 30 s
# Querying   q SQL                     one query on $DB ("ERROR: ..." as its result when it fails)
#            qlist SQL                 a one-column result on one line, space-separated
#            rows FN [STRUCT]          rows of FN (a method's field when STRUCT is given) in $RUN
#            calls FN [STRUCT]         the exact call count of FN in ${RUN}_summary
#            librows FN, libcalls FN   the same for the library function FN timed at its call sites
#                                      (kind call: calls=)
# Checking   expect_eq WHAT EXPECTED ACTUAL, expect_le WHAT LIMIT ACTUAL, expect_ge WHAT LIMIT ACTUAL,
#            expect_match WHAT REGEX ACTUAL,
#            expect_tree WHAT          invariants of the call tree in $RUN, and its summary equal to
#                                      its rows (so only for a trace run with CTIMER_MIN_NS=0)
#            expect_same_as_plain WHAT PLAIN_NAME RUN_NAME [stdout-only]
#                                      stdout, exit status and stderr of two runs equal
#            finish                    prints the summary; the test's exit status
set -u
ulimit -c 0 # tests kill programs with SIGABRT and SIGSEGV on purpose: no core files

for _v in E2E_GCC E2E_PLUGIN E2E_RUNTIME E2E_SHARED_LIBDIR E2E_INCLUDE E2E_SRC; do
    if [ -z "${!_v:-}" ]; then
        echo "lib.sh: $_v is not set: run the end-to-end tests through ctest" >&2
        exit 2
    fi
done
# A CTIMER_* variable of the caller's shell would change what the programs record.
for _v in $(compgen -e | grep '^CTIMER_'); do unset "$_v"; done
unset _v

PROGS=$E2E_SRC/tests/e2e/progs
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctimer-e2e-$TEST_NAME.XXXXXX")
cd "$WORK" || exit 2
DB=$WORK/ctimer.db
RUN=
RC=
CHECKS=0
FAILED=0

fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL: %s\n' "$*" >&2
}

# Stops the test at once: for a step whose failure makes every later check meaningless.
die() {
    printf 'FATAL: %s\n' "$*" >&2
    FAILED=$((FAILED + 1))
    finish
}

finish() {
    if [ "$FAILED" -eq 0 ]; then
        echo "$TEST_NAME: all $CHECKS checks passed"
        cd / && rm -rf "$WORK"
        exit 0
    fi
    echo "$TEST_NAME: $FAILED of $CHECKS checks failed (files kept in $WORK)" >&2
    exit 1
}

# --- building ---------------------------------------------------------------------------------

_src_path() {
    case $1 in
    */*) printf '%s' "$1" ;;
    *) printf '%s' "$PROGS/$1" ;;
    esac
}

# _compile OUT HOW ARGS...: compiles and links; the compiler's output goes to OUT.log.  HOW is
# plain (no plugin), static (the plugin and libctimer.a) or shared (the plugin and libctimer.so).
_compile() {
    local out=$1 how=$2 a
    shift 2
    local args=()
    for a in "$@"; do
        case $a in
        +*) [ "$how" = plain ] || args+=("-fplugin-arg-ctimer-${a#+}") ;;
        *.c) args+=("$(_src_path "$a")") ;;
        *) args+=("$a") ;;
        esac
    done
    local libs
    read -ra libs <<<"$E2E_LIBS"
    case $how in
    plain) args+=(-pthread) ;;
    static) args=(-fplugin="$E2E_PLUGIN" -I"$E2E_INCLUDE" "${args[@]}" "$E2E_RUNTIME" "${libs[@]}") ;;
    shared) # shellcheck disable=SC2054 # -Wl,-rpath,DIR is one argument
        args=(-fplugin="$E2E_PLUGIN" -I"$E2E_INCLUDE" "${args[@]}" -L"$E2E_SHARED_LIBDIR"
              -Wl,-rpath,"$E2E_SHARED_LIBDIR" -lctimer -pthread) ;;
    esac
    "$E2E_GCC" "${args[@]}" -o "$out" >"$out.log" 2>&1 ||
        die "could not build $out: $E2E_GCC ${args[*]}"$'\n'"$(cat "$out.log")"
}

build() {
    local out=$1
    shift
    _compile "$out" static "$@"
}

build_shared() {
    local out=$1
    shift
    _compile "$out" shared "$@"
}

build_plain() {
    local out=$1
    shift
    _compile "$out" plain "$@"
}

build_both() {
    build "$@"
    build_plain "$1.plain" "${@:2}"
}

# --- running ----------------------------------------------------------------------------------

# _exec NAME CMD...: runs CMD with stdout, stderr and exit status in NAME.out, NAME.err, NAME.rc.
# Programs get 60 s: a hang at exit (a writer never drained) must fail, not stall the suite.
_exec() {
    local name=$1 t0=$SECONDS
    shift
    # (the braces keep bash's "Aborted" notices for programs killed on purpose off the log)
    { timeout -s KILL 60 "$@" >"$name.out" 2>"$name.err"; } 2>/dev/null
    RC=$?
    echo "$RC" >"$name.rc"
    # 137 is also the status of a program that killed itself with SIGKILL: only a long one hung
    [ "$RC" -ne 137 ] || [ $((SECONDS - t0)) -lt 59 ] || fail "$name: '$*' was killed after 60 s (hung?)"
}

run() {
    local name=$1
    shift
    RUN=$name
    CTIMER_DB=${CTIMER_DB-$DB} CTIMER_RUN=${CTIMER_RUN-$name} CTIMER_MIN_NS=${CTIMER_MIN_NS-0} \
        CTIMER_TIMING=${CTIMER_TIMING-all} _exec "$name" "$@"
    local rc=$RC
    wait_runs_ended "${CTIMER_DB-$DB}"
    RC=$rc
}

# The recorder completes a run after its program ended, whichever way it ended: wait for every
# unfinished runs row.  A database that cannot be read (not a database, no runs table, no ended_at
# column) has nothing to wait for; a locked one is retried (sqlite3's own 1 s busy timeout).
wait_runs_ended() {
    local file=${1:-$DB} i out
    [ -f "$file" ] || return 0
    for ((i = 0; i <= ${E2E_WAIT_S:-30} * 20; i++)); do
        out=$(sqlite3 -batch -cmd '.timeout 1000' "$file" \
            "SELECT count(*) FROM runs WHERE ended_at IS NULL" 2>&1)
        case $out in
        0) return 0 ;;
        [0-9]*) ;;
        *locked* | *busy*) ;;
        *) return 0 ;; # no runs table, not a database, ...: nothing is recording there
        esac
        sleep 0.05
    done
    printf 'lib.sh: %s run(s) in %s still have no ended_at after %s s\n' "$out" "$file" \
        "${E2E_WAIT_S:-30}" >&2
    return 1
}

wait_pid_gone() {
    local pid=$1 i
    for ((i = 0; i < 600; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        # a zombie nobody reaps (no init in a container) has ended too
        [[ $(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 0
        sleep 0.05
    done
    fail "process $pid still exists after 30 s"
    return 1
}

run_plain() {
    _exec "$@"
}

run_both() {
    local name=$1 prog=$2
    shift 2
    run_plain "$name.plain" "./$prog.plain" "$@"
    run "$name" "./$prog" "$@"
    expect_same_as_plain "$name" "$name.plain" "$name"
}

# --- querying ---------------------------------------------------------------------------------

q() {
    local out
    if ! out=$(sqlite3 -batch -bail "$DB" "$1" 2>&1); then
        out=$(tr -s ' \n' ' ' <<<"ERROR: $out (query: $1)")
    fi
    printf '%s\n' "$out"
}

_where_fn() {
    if [ $# -gt 1 ]; then
        printf "function = '%s' AND struct = '%s' AND kind = 'method'" "$1" "$2"
    else
        printf "function = '%s' AND kind = 'function'" "$1"
    fi
}

# The rows of a one-column result on one line, separated by spaces.
qlist() {
    q "$1" | paste -sd ' '
}

rows() {
    q "SELECT count(*) FROM ${RUN}_calls WHERE $(_where_fn "$@")"
}

calls() {
    q "SELECT coalesce(sum(calls), 0) FROM ${RUN}_summary WHERE $(_where_fn "$@")"
}

librows() {
    q "SELECT count(*) FROM ${RUN}_calls WHERE function = '$1' AND kind = 'call'"
}

libcalls() {
    q "SELECT coalesce(sum(calls), 0) FROM ${RUN}_summary WHERE function = '$1' AND kind = 'call'"
}

# --- checking ---------------------------------------------------------------------------------

expect_eq() {
    CHECKS=$((CHECKS + 1))
    [ "$2" = "$3" ] && return 0
    case "$2$3" in
    *$'\n'*) fail "$1: expected (<) vs got (>):"$'\n'"$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))" ;;
    *) fail "$1: expected '$2', got '$3'" ;;
    esac
    return 1
}

_is_int() {
    [[ $1 =~ ^-?[0-9]+$ ]]
}

expect_le() {
    CHECKS=$((CHECKS + 1))
    _is_int "$3" && [ "$3" -le "$2" ] && return 0
    fail "$1: expected <= $2, got '$3'"
}

expect_ge() {
    CHECKS=$((CHECKS + 1))
    _is_int "$3" && [ "$3" -ge "$2" ] && return 0
    fail "$1: expected >= $2, got '$3'"
}

expect_match() {
    CHECKS=$((CHECKS + 1))
    [[ $3 =~ $2 ]] && return 0
    fail "$1: expected something matching /$2/, got '$3'"
}

# The invariants of the call tree in $RUN, and its summary equal to its rows.  The rows are copied
# into an indexed temporary table first: each check then reads plain columns instead of evaluating
# the view's joins again (and runs killed before their end have no T_parent index).
expect_tree() {
    local what=() sql=()
    what+=("rows where (parent_id IS NULL) differs from (depth = 0)")
    sql+=("SELECT count(*) FROM r WHERE (parent_id IS NULL) != (depth = 0)")
    what+=("rows whose parent_id names no row")
    sql+=("SELECT count(*) FROM r k WHERE parent_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM r p WHERE p.id = k.parent_id)")
    what+=("rows whose parent is on another thread or not one level up")
    sql+=("SELECT count(*) FROM r k JOIN r p ON p.id = k.parent_id
           WHERE k.thread_id != p.thread_id OR k.depth != p.depth + 1")
    what+=("rows not within their parent's interval")
    sql+=("SELECT count(*) FROM r k JOIN r p ON p.id = k.parent_id
           WHERE k.start_ns < p.start_ns OR k.start_ns + k.duration_ns > p.start_ns + p.duration_ns")
    what+=("rows where self_ns != duration_ns - sum(children's duration_ns)")
    sql+=("SELECT count(*) FROM r p WHERE p.self_ns != p.duration_ns
           - coalesce((SELECT sum(duration_ns) FROM r k WHERE k.parent_id = p.id), 0)")
    # The summary has one row per function (name, file, line) and one per method (struct, field)
    # over all its call sites.
    local key="kind || ':' || CASE WHEN kind = 'method' THEN struct || '.' || function
                                   WHEN kind = 'call' THEN function
                                   ELSE function || '@' || file || ':' || line END"
    # calls and unfinished count every row, the times only those of the calls that returned
    what+=("summary rows whose calls, unfinished, total_ns or self_ns differ from the rows'")
    sql+=("WITH g AS (SELECT $key AS k, count(*) AS n, sum(unfinished) AS u,
                            sum(CASE WHEN NOT unfinished THEN duration_ns END) AS total,
                            sum(CASE WHEN NOT unfinished THEN self_ns END) AS self FROM r GROUP BY k),
               s AS (SELECT $key AS k, calls, unfinished, total_ns, self_ns FROM ${RUN}_summary)
           SELECT count(*) FROM s LEFT JOIN g USING (k) WHERE s.calls != coalesce(g.n, 0)
           OR s.unfinished != coalesce(g.u, 0)
           OR s.total_ns != coalesce(g.total, 0) OR s.self_ns != coalesce(g.self, 0)")

    local all i got
    all="CREATE TEMP TABLE r(id INTEGER PRIMARY KEY, parent_id INTEGER, thread_id INTEGER,
           depth INTEGER, function TEXT, struct TEXT, kind TEXT, file TEXT, line INTEGER,
           start_ns INTEGER, duration_ns INTEGER, self_ns INTEGER, unfinished INTEGER);
         INSERT INTO r SELECT id, parent_id, thread_id, depth, function, struct, kind, file, line,
           start_ns, duration_ns, self_ns, unfinished FROM ${RUN}_calls;
         CREATE INDEX temp.r_parent ON r(parent_id);"
    for i in "${!sql[@]}"; do all+="${sql[i]};"; done
    mapfile -t got < <(q "$all")
    if [[ ${got[0]} == ERROR:* ]]; then
        expect_eq "$1: call-tree checks" "their results" "${got[0]}"
        return
    fi
    for i in "${!sql[@]}"; do
        expect_eq "$1: ${what[i]}" 0 "${got[i]-${got[0]}}"
    done
}

# Stdout, exit status and (unless a 4th argument says "stdout-only") stderr of run NEW equal those
# of run PLAIN.
expect_same_as_plain() {
    expect_eq "$1: stdout (plain vs instrumented)" "$(cat "$2.out")" "$(cat "$3.out")"
    expect_eq "$1: exit status (plain vs instrumented)" "$(cat "$2.rc")" "$(cat "$3.rc")"
    [ "${4:-}" = stdout-only ] ||
        expect_eq "$1: stderr (plain vs instrumented)" "$(cat "$2.err")" "$(cat "$3.err")"
}
