#!/bin/bash
# Every form of a struct-method call (progs/method_forms.c) is timed under the right struct and
# method names, as often as it is called, at -O0, -O2 and -O2 -fexceptions, with output unchanged.
# At -O0, where nothing is inlined, each method row has its target function as its only child.
. "$(dirname "$0")/lib.sh"

expected="anon_t.go:2 cleaned.fn:3 const_ops.op:2 deref.call:5 direct.fn:3 embedded_ops.run:2 \
expr.val:6 factory.make:2 holder.nested.inner:2 jumpy.fn:1 slot.cb:6 tailcall.fn:2 tdf.handler:3 \
u_cb.f:1 vt_ops.apply:4"

for o in O0 O2 O2_eh; do
    opts=(-"${o%_eh}")
    [ "$o" = O2_eh ] && opts+=(-fexceptions)
    opt=${opts[*]}
    build_both "forms$o" method_forms.c "${opts[@]}"
    run_both "forms$o" "forms$o"
    expect_eq "$opt: method rows per struct.method" "$expected" \
        "$(qlist "SELECT struct || '.' || function || ':' || count(*) FROM ${RUN}_calls
                  WHERE kind = 'method' GROUP BY struct, function ORDER BY 1")"
    expect_eq "$opt: method calls in the summary" 44 \
        "$(q "SELECT sum(calls) FROM ${RUN}_summary WHERE kind = 'method'")"
    expect_tree "$opt"
done

expect_eq "-O0: method rows without exactly one child" 0 \
    "$(q "SELECT count(*) FROM formsO0_calls m WHERE kind = 'method'
          AND 1 != (SELECT count(*) FROM formsO0_calls k WHERE k.parent_id = m.id)")"
expect_eq "-O0: callees of slot.cb" "inc,neg,twice" \
    "$(q "SELECT callees FROM formsO0_methods WHERE struct = 'slot' AND method = 'cb'" |
        tr ',' '\n' | sort | paste -sd,)"
finish
