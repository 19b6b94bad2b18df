#!/bin/bash
# The ctimer command on runs whose contents are known: fib(10) at -O0 (177 calls of fib under
# main), fib(12) (465), examples/demo.c and examples/shapes.c.  Checks the numbers it prints
# (runs, report, tree, diff, merge), the Perfetto JSON (parses, one event per row, events nested
# per thread, named tracks), and that bad arguments and missing databases or runs are named
# (exit 2) and no database is ever created by a reader.
. "$(dirname "$0")/lib.sh"

[ -x "${E2E_CTIMER:-}" ] || die "E2E_CTIMER is not the ctimer command: '${E2E_CTIMER:-}'"
CT=$E2E_CTIMER
command -v jq >/dev/null || die "jq is not installed (cmake/install-deps.sh installs it)"

# ct NAME ARGS...: runs ctimer with stdout, stderr and status in NAME.out, NAME.err, NAME.rc.
ct() {
    local name=$1
    shift
    "$CT" "$@" >"$name.out" 2>"$name.err"
    echo $? >"$name.rc"
}

build fib fib.c -O0
run fib10 ./fib 10
run fib12 ./fib 12
CTIMER_MODE=summary run fib10s ./fib 10
CTIMER_MIN_NS=5000 run fib10t ./fib 10
build shapes "$E2E_SRC/examples/shapes.c" -O0
run shapes ./shapes 100 10

# --- runs
ct runs runs "$DB"
expect_eq "runs: exit status" 0 "$(cat runs.rc)"
expect_eq "runs: run, program, calls, dropped, unfinished per line" \
    "fib10 fib 178 0 0|fib12 fib 466 0 0|fib10s fib 178 0 0|fib10t fib 178 0 0|shapes shapes 233 0 0" \
    "$(awk 'NR > 1 {print $1, $2, $(NF-2), $(NF-1), $NF}' runs.out | paste -sd '|')"
expect_eq "runs: header" "run program started_at duration calls dropped unfinished" \
    "$(head -n 1 runs.out | tr -s ' ')"
expect_match "runs: a duration in human units" "^fib10 +fib +[0-9T:.Z-]+ +[0-9.]+ (ns|µs|ms|s) " "$(sed -n 2p runs.out)"
CTIMER_DB=$DB ct runs_env runs
expect_eq "runs: \$CTIMER_DB is the default database" "$(cat runs.out)" "$(cat runs_env.out)"

# --- report: numbers from the JSON, equal to the summary view, in every mode
for r in fib10 fib10s fib10t; do
    ct "report_$r" report "$DB" "$r" --json
    expect_eq "report $r: exit status" 0 "$(cat "report_$r.rc")"
    expect_eq "report $r: calls of fib and main" "fib 177 1|main 1 1" \
        "$(jq -r '.[] | "\(.name) \(.calls) \(.threads)"' "report_$r.out" | sort | paste -sd '|')"
    expect_eq "report $r: total, self and max of fib as in the summary view" \
        "$(q "SELECT total_ns || ' ' || self_ns || ' ' || max_ns FROM ${r}_summary WHERE function = 'fib'")" \
        "$(jq -r '.[] | select(.name == "fib") | "\(.total_ns) \(.self_ns) \(.max_ns)"' "report_$r.out")"
done
ct report_txt report "$DB" fib10
expect_eq "report: columns" "function calls total self avg max threads" "$(head -n 1 report_txt.out | tr -s ' ')"
expect_match "report: fib's line, human units" "^fib +177 +[0-9.]+ (ns|µs|ms) +[0-9.]+ (ns|µs|ms) " \
    "$(grep '^fib ' report_txt.out)"
ct report_sort report "$DB" shapes --sort calls --limit 2 --json
expect_eq "report --sort calls --limit 2 (shapes: 100 area calls, a quarter to circle_area)" \
    "shape_ops.area:100 square_area:75" "$(jq -r '.[] | "\(.name):\(.calls)"' report_sort.out | paste -sd ' ')"
ct report_latest report "$DB" --json --limit 1 --sort calls
expect_eq "report: the latest run is the default" "shape_ops.area" "$(jq -r '.[0].name' report_latest.out)"
ct report_thread report "$DB" fib10 --by thread --json
expect_eq "report --by thread: one thread, its tid" \
    "$(q "SELECT tid FROM fib10_threads") fib:177 main:1" \
    "$(jq -r '.[0].tid' report_thread.out) $(jq -r '.[] | "\(.name):\(.calls)"' report_thread.out | sort | paste -sd ' ')"
ct report_thread_txt report "$DB" fib10 --by thread
expect_eq "report --by thread: columns" "thread function calls total self avg max" \
    "$(head -n 1 report_thread_txt.out | tr -s ' ')"

# --- tree: counts from the edges, the same in every mode; recursion cut at the repeated fib
# tree_lines FILE: "calls name [(recursive)]" per line, without the header and the tree glyphs
tree_lines() {
    sed 1d "$1" | sed -e 's/  (callees above)$//' -e 's/[│├└─]//g' |
        awk '{if ($NF == "(recursive)") print $(NF-2), $(NF-1), $NF; else print $(NF-1), $NF}' | paste -sd '|'
}
for r in fib10 fib10s fib10t; do
    ct "tree_$r" tree "$DB" "$r"
    expect_eq "tree $r: calls per line" "1 main|1 fib|176 fib (recursive)" "$(tree_lines "tree_$r.out")"
    expect_eq "tree $r: the recursive line has no total (nested levels would count twice)" "-" \
        "$(awk '/recursive/ {print $1}' "tree_$r.out")"
done
ct tree_shapes tree "$DB" shapes
# (siblings are ordered by time, which varies: compare the set of lines, then the levels)
expect_eq "tree shapes: calls per line, methods and the functions they reached" \
    "1 main|10 shape_ops.scale|100 shape_ops.area|25 circle_area|3 circle_scale|4 shape_destroy|4 shape_new|4 shape_ops.destroy|7 square_scale|75 square_area" \
    "$(tree_lines tree_shapes.out | tr '|' '\n' | LC_ALL=C sort | paste -sd '|')"
expect_eq "tree: levels (main, its callees, the methods' callees)" \
    "main:0 shape_ops.area:1 shape_new:1 square_area:2 circle_area:2 shape_destroy:2" \
    "$(for f in main shape_ops.area shape_new square_area circle_area shape_destroy; do
         for level in 0 1 2; do
           prefix=$(case $level in 0) ;; 1) printf '[├└]─ ' ;; 2) printf '(│  |   )[├└]─ ' ;; esac)
           grep -qE "[0-9]  $prefix${f//./\\.}\$" tree_shapes.out && printf '%s:%s ' "$f" "$level"
         done
       done | sed 's/ $//')"

# --- diff: fib(10) -> fib(12), in one database and across two files
ct diff diff "$DB" fib10 fib12 --json
expect_eq "diff: fib's calls and change" "177 465 +162.7%" \
    "$(jq -r '.[] | select(.name == "fib") | "\(.calls_a) \(.calls_b) \(.calls_change)"' diff.out)"
expect_eq "diff: total and avg changes are those of the summaries" \
    "$(q "SELECT printf('%+.1f%% %+.1f%%', 100.0 * (b.total_ns - a.total_ns) / a.total_ns,
                 100.0 * (b.avg_ns - a.avg_ns) / a.avg_ns)
          FROM fib10_summary a, fib12_summary b WHERE a.function = 'fib' AND b.function = 'fib'")" \
    "$(jq -r '.[] | select(.name == "fib") | "\(.total_change) \(.avg_change)"' diff.out)"
ct diff_txt diff "$DB" fib10 fib12
expect_match "diff: text line of fib" "^fib +177 +465 +\+162\.7% " "$(grep '^fib ' diff_txt.out)"
ct diff_one diff "$DB" fib10 shapes --json
expect_eq "diff: functions of only one run are kept (new / gone)" \
    "circle_area 0 25 new|fib 177 0 gone|main 1 1 " \
    "$(jq -r '.[] | select(.name == "fib" or .name == "main" or .name == "circle_area") |
              "\(.name) \(.calls_a) \(.calls_b) \(if .calls_a > 0 and .calls_b > 0 then "" else .calls_change end)"' \
        diff_one.out | sort | paste -sd '|')"
CTIMER_DB=$WORK/other.db CTIMER_RUN=fib12 CTIMER_MIN_NS=0 _exec other ./fib 12
ct diff_files diff "$DB:fib10" "$WORK/other.db:fib12" --json
expect_eq "diff A.db:RUN B.db:RUN: fib" "177 465 +162.7%" \
    "$(jq -r '.[] | select(.name == "fib") | "\(.calls_a) \(.calls_b) \(.calls_change)"' diff_files.out)"

# --- merge: both databases' runs, a clash renamed, hosts kept, the copy queryable
ct merge merge "$WORK/all.db" "$DB" "$WORK/other.db"
expect_eq "merge: exit status" 0 "$(cat merge.rc)"
expect_eq "merge: runs of both, fib12 of the second renamed" "fib10 fib12 fib10s fib10t shapes fib12_2" \
    "$(sqlite3 "$WORK/all.db" "SELECT table_name FROM runs ORDER BY id" | paste -sd ' ')"
expect_eq "merge: what it says" "$WORK/other.db:fib12 -> $WORK/all.db:fib12_2" "$(tail -n 1 merge.out)"
expect_eq "merge: host and program kept" "$(q "SELECT host || ' ' || program || ' ' || calls FROM runs WHERE table_name = 'fib12'")" \
    "$(sqlite3 "$WORK/all.db" "SELECT host || ' ' || program || ' ' || calls FROM runs WHERE table_name = 'fib12_2'")"
ct merged_report report "$WORK/all.db" fib12_2 --json
expect_eq "merge: the renamed run's views work" "fib:465" \
    "$(jq -r '.[] | select(.name == "fib") | "\(.name):\(.calls)"' merged_report.out)"
expect_eq "merge: the renamed run's rows, and its subtree spans (all of fib(12) below main)" "466 465" \
    "$(sqlite3 "$WORK/all.db" "SELECT count(*) FROM fib12_2_calls;
        SELECT last_id - id FROM fib12_2_calls WHERE function = 'main'" | paste -sd ' ')"

# --- Perfetto: parses, one X event per row, nested per thread, named tracks
build demo "$E2E_SRC/examples/demo.c" -O0
run demo ./demo
"$CT" export --perfetto "$DB" demo >trace.json 2>perfetto.err
expect_eq "perfetto: exit status and stderr" "0 " "$? $(cat perfetto.err)"
expect_eq "perfetto: parses as JSON" ok "$(jq -e '.traceEvents | length > 0' trace.json >/dev/null && echo ok)"
expect_eq "perfetto: one complete event per row" "$(q "SELECT count(*) FROM demo_calls")" \
    "$(jq '[.traceEvents[] | select(.ph == "X")] | length' trace.json)"
expect_eq "perfetto: events per function as rows per function" \
    "$(q "SELECT name || ':' || n FROM (SELECT coalesce(struct || '.', '') || function AS name, count(*) AS n
          FROM demo_calls GROUP BY name)" | LC_ALL=C sort | paste -sd ' ')" \
    "$(jq -r '[.traceEvents[] | select(.ph == "X") | .name] | group_by(.) | map("\(.[0]):\(length)") | .[]' trace.json |
       LC_ALL=C sort | paste -sd ' ')"
expect_eq "perfetto: a named track for each of the 5 threads, one pid" "5 5 1" \
    "$(jq -r '[.traceEvents[] | select(.ph == "M" and .name == "thread_name" and (.args.name | length > 0)) | .tid] | unique | length' trace.json) \
$(jq -r '[.traceEvents[] | select(.ph == "X") | .tid] | unique | length' trace.json) \
$(jq -r '[.traceEvents[] | .pid] | unique | length' trace.json)"
expect_eq "perfetto: thread ids are the kernel tids" "$(qlist "SELECT tid FROM demo_threads ORDER BY tid")" \
    "$(jq -r '[.traceEvents[] | select(.ph == "X") | .tid] | unique | .[]' trace.json | sort -n | paste -sd ' ')"
# Nesting: per thread, sorted by start (longest first), every event ends within the innermost
# event still open at its start.
expect_eq "perfetto: events that cross their enclosing event" 0 \
    "$(jq '[.traceEvents[] | select(.ph == "X") | {tid, s: (.ts * 1000 | round), e: ((.ts + .dur) * 1000 | round)}]
           | group_by(.tid)
           | map(sort_by(.s, -.e)
                 | reduce .[] as $x ({st: [], bad: 0};
                     .st |= until(length == 0 or .[-1].e > $x.s; .[:-1])
                     | (if (.st | length) > 0 and $x.e > .st[-1].e then .bad += 1 else . end)
                     | .st += [$x])
                 | .bad) | add' trace.json)"
expect_eq "perfetto: deepest nesting of the main thread (main, fib(20) ... fib(1))" 21 \
    "$(jq '[.traceEvents[] | select(.ph == "X")] | group_by(.tid) | map(sort_by((.ts * 1000 | round), -.dur)
           | reduce .[] as $x ({st: [], max: 0};
               .st |= until(length == 0 or .[-1] > ($x.ts * 1000 | round); .[:-1])
               | .st += [(($x.ts + $x.dur) * 1000 | round)]
               | .max = ([.max, (.st | length)] | max)) | .max) | max' trace.json)"

# --- errors: named, exit 2, nothing created
ct no_run report "$DB" nope
expect_eq "missing run: exit status" 2 "$(cat no_run.rc)"
expect_eq "missing run: the message names it, the database and its runs" \
    "ctimer: no run 'nope' in '$DB' (runs: fib10, fib12, fib10s, fib10t, shapes, demo)" "$(cat no_run.err)"
ct no_db report "$WORK/missing.db"
expect_eq "missing database: exit status, message" "2 ctimer: no database '$WORK/missing.db'" \
    "$(cat no_db.rc) $(cat no_db.err)"
(cd "$WORK" && mkdir -p empty && cd empty && "$CT" report >../default.out 2>../default.err; echo $? >../default.rc)
expect_eq "no ./ctimer.db: exit status, message, and none created" \
    "2 ctimer: no database 'ctimer.db' (give its path, or set CTIMER_DB) no" \
    "$(cat default.rc) $(cat default.err) $([ -e empty/ctimer.db ] && echo yes || echo no)"
for cmd in tree "export --perfetto" "export --folded" "export --svg" runs; do
    # shellcheck disable=SC2086 # cmd is a command and its option
    ct missing $cmd "$WORK/missing.db"
    expect_eq "$cmd on a missing database: exit 2, nothing created" "2 no" \
        "$(cat missing.rc) $([ -e "$WORK/missing.db" ] && echo yes || echo no)"
done
before=$(cksum <"$DB")
for cmd in runs report tree "export --folded" "export --perfetto"; do
    # shellcheck disable=SC2086
    "$CT" $cmd "$DB" >/dev/null 2>&1
done
expect_eq "readers leave the database unchanged" "$before" "$(cksum <"$DB")"
ct bad_sort report "$DB" --sort fast
expect_eq "bad --sort: exit 2, named" "2 ctimer: report: --sort takes calls, total, self, avg or max, not 'fast'" \
    "$(cat bad_sort.rc) $(cat bad_sort.err)"
ct bad_limit report "$DB" --limit -3
expect_eq "bad --limit: exit 2, named" "2 ctimer: --limit: '-3' is not a non-negative integer" \
    "$(cat bad_limit.rc) $(cat bad_limit.err)"
ct bad_opt tree --frobnicate
expect_eq "unknown option: exit 2, named" "2 ctimer: tree: unknown option '--frobnicate' (see ctimer tree --help)" \
    "$(cat bad_opt.rc) $(cat bad_opt.err)"
ct bad_cmd frobnicate
expect_match "unknown command: exit 2, named" "^2 ctimer: unknown command 'frobnicate'" "$(cat bad_cmd.rc) $(cat bad_cmd.err)"
ct bad_export export "$DB"
expect_eq "export without a format: exit 2" "2 ctimer: export: say which format: --perfetto, --folded or --svg" \
    "$(cat bad_export.rc) $(cat bad_export.err)"
ct bad_diff diff "$DB" fib10
expect_match "diff with one run: exit 2" "^2 ctimer: diff: .* is a database; give two runs" "$(cat bad_diff.rc) $(cat bad_diff.err)"
ct bad_merge merge "$WORK/all.db" "$WORK/all.db"
expect_match "merge into one of its inputs: exit 2" "^2 ctimer: merge: .* is the output database" \
    "$(cat bad_merge.rc) $(cat bad_merge.err)"
ct help --help
expect_match "--help: exit 0, lists the commands" "^0 usage: ctimer COMMAND.*report.*tree.*diff.*export.*merge" \
    "$(cat help.rc) $(tr '\n' ' ' <help.out)"
for cmd in runs report tree diff export merge; do
    ct help_cmd "$cmd" --help
    expect_match "$cmd --help: exit 0, its usage" "^0 usage: ctimer $cmd" "$(cat help_cmd.rc) $(head -n 1 help_cmd.out)"
done
finish
