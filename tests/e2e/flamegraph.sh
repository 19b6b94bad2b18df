#!/bin/bash
# ctimer export --folded / --svg: the folded stacks of fib(10) at -O0 are exact (--count: calls per
# call path, equal to the rows per depth; weights: self time, summing to main's duration), a
# thresholded run keeps every frame's total and says what it leaves out, a summary run is refused
# with a reason, and the flame graph SVG renders (rsvg-convert) to a picture with frames in it.
. "$(dirname "$0")/lib.sh"

CT=${E2E_CTIMER:-}
[ -x "$CT" ] || die "E2E_CTIMER is not the ctimer command: '$CT'"
for tool in rsvg-convert pngtopnm pnmtoplainpnm; do
    command -v "$tool" >/dev/null || die "$tool is not installed (cmake/install-deps.sh installs it)"
done

build fib fib.c -O0
run fib10 ./fib 10

# --count: fib(10) makes 2^d calls at depth d up to d = 5, then fewer (its leaves).
"$CT" export --folded --count "$DB" fib10 >count.folded 2>count.err
expect_eq "folded --count: exit status, stderr" "0 " "$? $(cat count.err)"
expect_eq "folded --count of fib(10)" \
    "main 1
main;fib 1
main;fib;fib 2
main;fib;fib;fib 4
main;fib;fib;fib;fib 8
main;fib;fib;fib;fib;fib 16
main;fib;fib;fib;fib;fib;fib 32
main;fib;fib;fib;fib;fib;fib;fib 52
main;fib;fib;fib;fib;fib;fib;fib;fib 44
main;fib;fib;fib;fib;fib;fib;fib;fib;fib 16
main;fib;fib;fib;fib;fib;fib;fib;fib;fib;fib 2" "$(cat count.folded)"
expect_eq "folded --count: calls per depth as the rows" \
    "$(q "SELECT depth || ' ' || count(*) FROM fib10_calls GROUP BY depth ORDER BY depth")" \
    "$(awk '{print gsub(/;/, ";"), $2}' count.folded)"

# Weights: self time in ns per path, exactly the rows' self times, summing to main's duration.
"$CT" export --folded "$DB" fib10 >time.folded
expect_eq "folded: self ns per depth as the rows'" \
    "$(q "SELECT depth || ' ' || sum(self_ns) FROM fib10_calls GROUP BY depth HAVING sum(self_ns) > 0 ORDER BY depth")" \
    "$(awk '{print gsub(/;/, ";"), $2}' time.folded)"
expect_eq "folded: the weights sum to main's duration" \
    "$(q "SELECT duration_ns FROM fib10_calls WHERE depth = 0")" "$(awk '{s += $2} END {print s}' time.folded)"

# A thresholded run: fewer lines, every frame's total still exact (the sum is the roots' time),
# and stderr says what the rows leave out.
CTIMER_MIN_NS=5000 run fib10t ./fib 10
"$CT" export --folded "$DB" fib10t >thr.folded 2>thr.err
expect_eq "thresholded: the weights sum to the root rows' durations" \
    "$(q "SELECT sum(duration_ns) FROM fib10t_calls WHERE depth = 0")" "$(awk '{s += $2} END {print s}' thr.folded)"
expect_match "thresholded: a note on stderr" "rows only for calls of 5000 ns or more" "$(cat thr.err)"

CTIMER_MODE=summary run fib10s ./fib 10
"$CT" export --folded "$DB" fib10s >sum.folded 2>sum.err
expect_eq "summary run: refused (exit 2) with the reason" \
    "2 ctimer: export: run 'fib10s' was recorded with CTIMER_MODE=summary and has no rows to stack; \`ctimer tree\` shows its exact call tree" \
    "$? $(cat sum.err)"

# The flame graph: demo.c at -O0, a full trace (5 threads, recursion, methods).
build demo "$E2E_SRC/examples/demo.c" -O0
run demo ./demo
"$CT" export --svg "$DB" demo >flame.svg 2>svg.err
expect_eq "svg: exit status, stderr" "0 " "$? $(cat svg.err)"
expect_le "svg: at most one frame (rect with a title) per call path, and the root" \
    "$(($("$CT" export --folded --count "$DB" demo | wc -l) + 1))" "$(grep -c '<g><title>' flame.svg)"
frames() { grep -c "<g><title>$1 (" flame.svg; }
expect_eq "svg: frames of all, main, worker, collatz_steps, slow_io (main's and the workers')" "1 1 1 1 2" \
    "$(frames all) $(frames main) $(frames worker) $(frames collatz_steps) $(frames slow_io)"
expect_ge "svg: fib's recursion is drawn several levels deep" 5 "$(frames fib)"
expect_match "svg: hover titles give time, share and calls" "<title>collatz_steps \([0-9.]+ (ns|µs|ms), [0-9.]+%, 10,000 calls\)" \
    "$(cat flame.svg)"
rsvg-convert flame.svg -o flame.png 2>rsvg.err
expect_eq "svg renders with rsvg-convert" "0 " "$? $(cat rsvg.err)"
# Pixels of the frames' warm colours (r >= 205, b <= 55) against the background (248, 244, 236).
read -r width height warm < <(pngtopnm flame.png | pnmtoplainpnm |
    awk 'NR == 2 {w = $1; h = $2} NR > 3 {for (i = 1; i <= NF; i++) {v[n % 3] = $i; n++;
                  if (n % 3 == 0 && v[0] >= 205 && v[2] <= 55) warm++}}
         END {print w, h, warm + 0}')
expect_eq "png: 1200 px wide" 1200 "$width"
expect_ge "png: taller than the 22 frame levels (main, fib(20) ... fib(1))" $((22 * 16)) "$height"
# The two bottom rows span the whole width (all; main and the workers): 2 x 15 px x 1180 px, less
# the rounded corners.  Above them the frames narrow, so far from all of the picture is frames.
expect_ge "png: frames cover at least the two full-width bottom rows" $((2 * 14 * 1170)) "$warm"
expect_le "png: and not the whole picture" $((width * height / 2)) "$warm"
finish
