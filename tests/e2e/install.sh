#!/bin/bash
# `cmake --install` into a fresh prefix, then build an application the way the README says, with
# pkg-config alone, and check that it records its calls and that the installed ctimer reads them.
. "$(dirname "$0")/lib.sh"

[ -n "${E2E_BUILD:-}" ] || die "E2E_BUILD is not set"
cmake --install "$E2E_BUILD" --prefix "$WORK/p" >install.log 2>&1 ||
    die "cmake --install $E2E_BUILD --prefix $WORK/p failed:"$'\n'"$(cat install.log)"

PKG_CONFIG_PATH=$(dirname "$(find "$WORK/p" -name ctimer.pc | head -n 1)")
export PKG_CONFIG_PATH
[ -f "$PKG_CONFIG_PATH/ctimer.pc" ] || die "no ctimer.pc under $WORK/p"
cflags=$(pkg-config --cflags ctimer) || die "pkg-config --cflags ctimer failed"
pc_libs=$(pkg-config --libs ctimer) || die "pkg-config --libs ctimer failed"

# Everything pkg-config hands out must be inside the prefix the files were installed to.
for flag in $cflags $pc_libs; do
    case $flag in
    -fplugin=* | -I* | -L* | -Wl,-rpath,*)
        path=${flag#-fplugin=}
        path=${path#-I}
        path=${path#-L}
        path=${path#-Wl,-rpath,}
        expect_match "$flag from ctimer.pc lies under the install prefix" "^$WORK/p/" "$path"
        expect_eq "$flag from ctimer.pc exists" yes "$([ -e "$path" ] && echo yes || echo no)"
        ;;
    esac
done

# shellcheck disable=SC2086 # flag lists
"$E2E_GCC" $cflags "$PROGS/fib.c" $pc_libs -o app >app.log 2>&1 ||
    die "building with pkg-config failed: $E2E_GCC $cflags fib.c $pc_libs"$'\n'"$(cat app.log)"
run app ./app 10
expect_eq "exit status" 0 "$RC"
expect_eq "stdout" "fib(10) = 55" "$(cat app.out)"
expect_eq "rows of fib" 177 "$(rows fib)"
expect_eq "the ctimer command is installed to bin/ and reads the run" "fib 177" \
    "$("$WORK/p/bin/ctimer" report "$DB" app --json --limit 1 --sort calls 2>&1 | grep -oE '"name":"[a-z]+","calls":[0-9]+' |
       sed -E 's/"name":"([a-z]+)","calls":/\1 /')"
expect_eq "ctimer.h is installed" yes "$([ -f "$WORK/p/include/ctimer.h" ] && echo yes || echo no)"
finish
