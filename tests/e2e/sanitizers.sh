#!/bin/bash
# The runtime and the recorder under AddressSanitizer (with leak detection) and ThreadSanitizer:
# a build tree of this project per sanitizer (-DCTIMER_SANITIZE=address / thread) in which only the
# runtime (ctimer_static) and the recorder (ctimer_recorder) are built; a handful of the e2e
# programs (fib, threads, lifecycle, signals, exit) compiled with the ordinary plugin and
# -fsanitize, linked with the sanitized libctimer.a, recorded by the sanitized recorder
# (CTIMER_RECORDER).  Any sanitizer report, from the program or the recorder, fails the test:
# halt_on_error=1, reports go to files (log_path) that must not exist, and the exit codes and exact
# counts are those of the other e2e tests.  A target that does not exist yet is a failure.
. "$(dirname "$0")/lib.sh"

command -v cmake >/dev/null || die "cmake is not on PATH"
ROUNDS=20 # signals.c: fib(20) rounds under a 20 us timer (the sanitizers are slow)

# build_tree SAN: configures $WORK/build-SAN and builds the two targets; sets SAN_RUNTIME, SAN_RECORDER.
build_tree() {
    local san=$1 dir=$WORK/build-$1 t
    cmake -S "$E2E_SRC" -B "$dir" -DCTIMER_SANITIZE="$san" -DCTIMER_BUILD_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"cmake-$san.log" 2>&1 ||
        die "$san: cmake configure failed:"$'\n'"$(tail -n 20 "cmake-$san.log")"
    for t in ctimer_static ctimer_recorder; do
        cmake --build "$dir" -j2 --target "$t" >"build-$san-$t.log" 2>&1 ||
            die "$san: target $t could not be built (does it exist yet?):"$'\n'"$(tail -n 20 "build-$san-$t.log")"
    done
    SAN_RUNTIME=$(find "$dir" -name libctimer.a -type f | head -n 1)
    SAN_RECORDER=$(find "$dir" -name ctimer-recorder -type f -perm -u+x | head -n 1)
    [ -n "$SAN_RUNTIME" ] || die "$san: no libctimer.a in $dir"
    [ -n "$SAN_RECORDER" ] || die "$san: no ctimer-recorder in $dir"
}

# san_run SAN NAME PROG [ARGS...]: run with the sanitized recorder, reports to files NAME.san.*
san_run() {
    local san=$1 name=$2
    shift 2
    local opts="halt_on_error=1:log_path=$WORK/$name.san"
    case $san in
    address) opts+=":detect_leaks=1" ;;
    esac
    ASAN_OPTIONS=$opts TSAN_OPTIONS=$opts CTIMER_RECORDER=$SAN_RECORDER run "$name" "$@"
    # (a report says "...Sanitizer: ..." or "runtime error:"; LSan's "Running thread N was not
    # suspended" notes in a forked child are not reports)
    expect_eq "$name: sanitizer reports" "" \
        "$(cat "$WORK/$name".san* 2>/dev/null | grep -A 30 -E 'Sanitizer:|runtime error:' | head -n 40)"
}

build_plain sig.plain signals.c -O0
run_plain sig.plain ./sig.plain "$ROUNDS"
checksum=$(head -n 1 sig.plain.out)

for san in address thread; do
    build_tree "$san"
    sf=(-fsanitize="$san" -fno-omit-frame-pointer -g)
    s=${san:0:1}

    E2E_RUNTIME=$SAN_RUNTIME build "fib_$s" fib.c -O0 "${sf[@]}"
    san_run "$san" "fib_$s" "./fib_$s" 20
    expect_eq "fib_$s: exit status, stdout" "0 fib(20) = 6765" "$RC $(cat "fib_$s.out")"
    expect_eq "fib_$s: calls and rows of fib" "21891 21891" "$(calls fib) $(rows fib)"
    expect_tree "fib_$s"

    E2E_RUNTIME=$SAN_RUNTIME build "threads_$s" threads.c -O2 -pthread "${sf[@]}"
    san_run "$san" "threads_$s" "./threads_$s"
    expect_eq "threads_$s: exit status" 0 "$RC"
    expect_eq "threads_$s: work_item rows per thread" "$(yes 10000 | head -n 8)" \
        "$(q "SELECT count(*) FROM ${RUN}_calls WHERE function = 'work_item' GROUP BY thread_id")"
    expect_eq "threads_$s: calls of work_item" 80000 "$(calls work_item)"

    E2E_RUNTIME=$SAN_RUNTIME build "life_$s" lifecycle.c -O0 -pthread "${sf[@]}"
    san_run "$san" "life_$s" "./life_$s"
    expect_eq "life_$s: exit status, child's status" "0 4" \
        "$RC $(sed -n 's/^child status //p' "life_$s.out")"
    child=$(sed -n 's/^child pid //p' "life_$s.out")
    # 324 of the parent's own functions and 5 library calls (3 pthread_join, fflush, waitpid:
    # calls=blocking, the default), as in lifecycle.sh
    expect_eq "life_$s: runs: calls, unfinished (parent, child)" "329|0 50|0" \
        "$(qlist "SELECT calls || '|' || unfinished FROM runs WHERE table_name IN ('life_$s', 'life_${s}_$child') ORDER BY id")"

    E2E_RUNTIME=$SAN_RUNTIME build "sig_$s" signals.c -O0 "${sf[@]}"
    san_run "$san" "sig_$s" "./sig_$s" "$ROUNDS" real
    expect_eq "sig_$s: exit status, checksum" "0 $checksum" "$RC $(head -n 1 "sig_$s.out")"
    expect_eq "sig_$s: calls of fib" $((ROUNDS * 21891)) "$(calls fib)"
    ticks=$(sed -n 2p "sig_$s.out")
    dropped=$(q "SELECT dropped FROM runs WHERE table_name = '$RUN'")
    seen=$(($(calls on_tick) + ${dropped:-0} / 2))
    if [ "$san" = thread ]; then
        # TSan defers a signal that arrives inside one of its interceptors until the interceptor
        # returns: the timer's last signal can run its handler after printf has read the count
        # (measured: once in about three runs).  The call is recorded all the same, so recorded +
        # counted may exceed the program's count by that one, never fall short of it.
        expect_ge "sig_$s: recorded + dropped/2 >= handler calls" "$ticks" "$seen"
        expect_le "sig_$s: recorded + dropped/2 <= handler calls + 1 (a late signal)" $((ticks + 1)) "$seen"
    else
        expect_eq "sig_$s: recorded + dropped/2 = handler calls" "$ticks" "$seen"
    fi

    E2E_RUNTIME=$SAN_RUNTIME build "exit_$s" exit.c -O0 "${sf[@]}"
    san_run "$san" "exit_$s" "./exit_$s"
    expect_eq "exit_$s: exit status, stdout" "3 exiting from d5" "$RC $(cat "exit_$s.out")"
    expect_eq "exit_$s: completed rows, unfinished rows" "105 main:0 d1:1 d2:2 d3:3 d4:4 d5:5" \
        "$(q "SELECT count(*) FROM ${RUN}_calls WHERE NOT unfinished") $(qlist "SELECT function || ':' || depth
              FROM ${RUN}_calls WHERE unfinished ORDER BY depth")"
done
finish
