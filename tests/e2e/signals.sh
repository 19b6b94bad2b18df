#!/bin/bash
# A timer's handler runs instrumented code on top of instrumented code, landing anywhere, in the
# runtime's hot and slow paths too: SIGPROF at the kernel's tick, and SIGALRM every 20 us (~50 000
# handler calls per run; the runtime of before the single-instruction claim and the held chunk
# lost one in about a third of such runs).  Every handler call is either recorded or counted in runs.dropped
# (a handler that interrupts the runtime's slow path cannot record: two per tick, handler and
# on_tick), never silently lost, and the interrupted calls stay exact.
. "$(dirname "$0")/lib.sh"

ROUNDS=200
FIB_CALLS=$((ROUNDS * 21891)) # fib(20) makes 21 891 calls

build_plain plain signals.c -O0
run_plain plain ./plain "$ROUNDS"
checksum=$(head -n 1 plain.out)

for cfg in "late -O0" "early -O2"; do
    read -r placement opt <<<"$cfg"
    build "sig_$placement" signals.c "$opt" +placement="$placement"
    for mt in "summary prof" "summary real" "trace prof" "trace real"; do
        read -r mode timer <<<"$mt"
        name=${placement}_${mode}_$timer
        # Trace runs time every call, so losses come in handler/on_tick pairs; summary runs keep
        # the adaptive default, where a counted call is never lost and only the sum is exact.
        timing=adaptive
        [ "$mode" = trace ] && timing=all
        CTIMER_TIMING=$timing CTIMER_MODE=$mode run "$name" "./sig_$placement" "$ROUNDS" "$timer"
        expect_eq "$name: exit status" 0 "$RC"
        expect_eq "$name: checksum" "$checksum" "$(head -n 1 "$name.out")"
        ticks=$(sed -n 2p "$name.out")
        expect_ge "$name: handler calls the program counted" 1 "$ticks"
        expect_eq "$name: calls of fib" "$FIB_CALLS" "$(calls fib)"
        on_tick=$(calls on_tick)
        handler=$(calls handler)
        dropped=$(q "SELECT dropped FROM runs WHERE table_name = '$RUN'")
        expect_eq "$name: handler + on_tick recorded + dropped = 2 per tick (recorded $handler + $on_tick)" \
            $((2 * ticks)) $((handler + on_tick + dropped))
        if [ "$timing" = all ]; then
            expect_eq "$name: calls of handler = calls of on_tick" "$on_tick" "$handler"
            expect_eq "$name: recorded + dropped/2 = handler calls (recorded $on_tick, dropped $dropped)" \
                "$ticks" $((on_tick + dropped / 2))
            expect_eq "$name: dropped is even (handler and on_tick)" 0 $((dropped % 2))
        fi
    done
done
finish
