#!/bin/bash
# Struct methods, on examples/shapes.c with 100 area and 10 scale calls: one row per call through
# struct shape_ops, whose child is the function it landed in, in the proportions the example
# promises (a circle then three squares); the _methods view; method patterns; and a callback into
# code compiled without the plugin, still timed at the call site.
. "$(dirname "$0")/lib.sh"

shapes=$E2E_SRC/examples/shapes.c

# children METHOD: "function:count" of the rows directly under the shape_ops.METHOD rows.
children() {
    qlist "SELECT k.function || ':' || count(*) FROM ${RUN}_calls m JOIN ${RUN}_calls k
           ON k.parent_id = m.id WHERE m.kind = 'method' AND m.function = '$1'
           GROUP BY k.function ORDER BY 1"
}

for opt in -O0 -O2; do
    o=${opt#-}
    build_both "shapes$o" "$shapes" "$opt"
    run_both "shapes$o" "shapes$o" 100 10
    expect_eq "$opt: exit status" 0 "$RC"
    expect_eq "$opt: shape_ops.area rows" 100 "$(rows area shape_ops)"
    expect_eq "$opt: shape_ops.scale rows" 10 "$(rows scale shape_ops)"
    expect_eq "$opt: shape_ops.destroy rows" 4 "$(rows destroy shape_ops)"
    expect_eq "$opt: shape_ops.area calls in the summary" 100 "$(calls area shape_ops)"
    expect_eq "$opt: children of area" "circle_area:25 square_area:75" "$(children area)"
    expect_eq "$opt: children of scale" "circle_scale:3 square_scale:7" "$(children scale)"
    expect_eq "$opt: children of destroy" "shape_destroy:4" "$(children destroy)"
    expect_eq "$opt: method rows without exactly one child one level deeper" 0 \
        "$(q "SELECT count(*) FROM ${RUN}_calls m WHERE kind = 'method' AND 1 != (SELECT count(*)
              FROM ${RUN}_calls k WHERE k.parent_id = m.id AND k.depth = m.depth + 1)")"
    expect_eq "$opt: callers of the method rows" "main" \
        "$(qlist "SELECT DISTINCT p.function FROM ${RUN}_calls m JOIN ${RUN}_calls p
                  ON p.id = m.parent_id WHERE m.kind = 'method'")"
    expect_tree "$opt"
done

# The _methods view (of the -O2 run).
expect_eq "_methods: methods, calls, callees" \
    "area|100|circle_area,square_area destroy|4|shape_destroy scale|10|circle_scale,square_scale" \
    "$(q "SELECT method, calls, callees FROM ${RUN}_methods WHERE struct = 'shape_ops' ORDER BY 1" |
        while IFS='|' read -r m n callees; do
            echo "$m|$n|$(tr ',' '\n' <<<"$callees" | sort | paste -sd,)"
        done | paste -sd ' ')"
expect_eq "_methods: methods whose total_ns is not the sum of their rows' duration_ns" 0 \
    "$(q "SELECT count(*) FROM ${RUN}_methods v WHERE total_ns != (SELECT sum(duration_ns)
          FROM ${RUN}_calls c WHERE c.kind = 'method' AND c.struct = v.struct
          AND c.function = v.method)")"
expect_eq "_methods: methods whose avg_ns is not total_ns / calls" 0 \
    "$(q "SELECT count(*) FROM ${RUN}_methods WHERE abs(avg_ns - total_ns * 1.0 / calls) >= 1")"

# Method patterns, and methods=off.
# method_rows NAME: the method rows of run NAME as "struct.method:count".
method_rows() {
    qlist "SELECT struct || '.' || function || ':' || count(*) FROM ${1}_calls
           WHERE kind = 'method' GROUP BY struct, function ORDER BY 1"
}
build only_area "$shapes" -O0 +include=shape_ops.area
run only_area ./only_area 100 10
expect_eq "include=shape_ops.area: method rows" "shape_ops.area:100" "$(method_rows only_area)"
expect_eq "include=shape_ops.area: function rows" 0 \
    "$(q "SELECT count(*) FROM only_area_calls WHERE kind = 'function'")"

build no_scale "$shapes" -O0 +exclude='*.scale'
run no_scale ./no_scale 100 10
expect_eq "exclude=*.scale: method rows" "shape_ops.area:100 shape_ops.destroy:4" \
    "$(method_rows no_scale)"
expect_eq "exclude=*.scale: the scale functions are still timed, now under main" \
    "circle_scale:3 square_scale:7" \
    "$(qlist "SELECT k.function || ':' || count(*) FROM no_scale_calls k JOIN no_scale_calls p
              ON p.id = k.parent_id WHERE k.function LIKE '%_scale' AND p.function = 'main'
              GROUP BY k.function ORDER BY 1")"

build no_methods "$shapes" -O0 +methods=off
run no_methods ./no_methods 100 10
expect_eq "methods=off: method rows" "" "$(method_rows no_methods)"
expect_eq "methods=off: circle_area rows" 25 "$(rows circle_area)"

# A callback into a file compiled without the plugin.
build_plain callback_plain.o callback_plain.c -c -O2
build callback callback_main.c callback_plain.o -O0
run callback ./callback
expect_eq "callback: stdout" "square sum 55" "$(cat callback.out)"
expect_eq "callback: hook.cb rows" 5 "$(rows cb hook)"
expect_eq "callback: callers of hook.cb" "fire" \
    "$(qlist "SELECT DISTINCT p.function FROM callback_calls m JOIN callback_calls p
              ON p.id = m.parent_id WHERE m.kind = 'method'")"
expect_eq "callback: rows under hook.cb" 0 \
    "$(q "SELECT count(*) FROM callback_calls k JOIN callback_calls m ON m.id = k.parent_id
          WHERE m.kind = 'method'")"
expect_eq "callback: plain_square is not an instrumented function" 0 \
    "$(q "SELECT count(*) FROM callback_functions WHERE name = 'plain_square'")"
expect_tree callback
finish
