#!/bin/bash
# The shim ctimer.so: it loads into any GCC (it references no GCC symbol), loads the real build for
# the GCC running it (ctimer-gccM.so beside it), passes it the -fplugin-arg-ctimer-* arguments, and
# a GCC without a build of its own gets one line naming its version and the ones there are, and a
# failed compilation.  Runs once per GCC (E2E_GCC, E2E_GCC_MAJOR).
. "$(dirname "$0")/lib.sh"

dir=$(dirname "$E2E_PLUGIN")
m=$E2E_GCC_MAJOR
full=$("$E2E_GCC" -dumpfullversion)

# No GCC symbol: every undefined symbol of the shim is glibc's (versioned) or weak.
expect_eq "symbols the shim needs from outside glibc" "" \
    "$(nm -D --undefined-only "$E2E_PLUGIN" | awk '$1 != "w" && $2 !~ /@GLIBC_/ { print $2 }')"
expect_eq "the shim exports plugin_init and plugin_is_GPL_compatible" "plugin_init plugin_is_GPL_compatible" \
    "$(nm -D --defined-only "$E2E_PLUGIN" | awk '{ print $3 }' | grep '^plugin_' | sort | paste -sd ' ')"

# The real build for this GCC is the one loaded, by its absolute path, and the arguments reach it.
LD_DEBUG=files "$E2E_GCC" -fplugin="$E2E_PLUGIN" -fplugin-arg-ctimer-verbose -fplugin-arg-ctimer-include=fib \
    -c "$PROGS/fib.c" -o fib.o >verbose.txt 2>ld.txt || die "compiling with the shim failed: $(cat ld.txt)"
expect_eq "the build loaded" "$(realpath "$dir")/ctimer-gcc$m.so" \
    "$(grep -o 'file=[^ ]*ctimer-gcc[0-9]*\.so' ld.txt | head -n 1 | sed 's/^file=//')"
expect_match "-fplugin-arg-ctimer-verbose reached it" "fib\.c:[0-9]+: fib" "$(cat ld.txt verbose.txt)"
expect_eq "-fplugin-arg-ctimer-include=fib reached it (main not listed)" "" \
    "$(grep -E 'fib\.c:[0-9]+: main' ld.txt verbose.txt)"
# A bad argument is still the real plugin's error.
"$E2E_GCC" -fplugin="$E2E_PLUGIN" -fplugin-arg-ctimer-bogus -c "$PROGS/fib.c" -o x.o 2>bogus.txt
expect_eq "a bad argument fails the compilation" 1 "$?"
expect_match "a bad argument is reported by the real plugin" "unknown argument .-fplugin-arg-ctimer-bogus" \
    "$(cat bogus.txt)"

# refuse DIR WANT_LIST: a copy of the shim in DIR, loaded by this GCC, fails with one line naming
# GCC's version and WANT_LIST.
refuse() {
    "$E2E_GCC" -fplugin="$1/ctimer.so" -c "$PROGS/fib.c" -o x.o 2>err.txt
    local rc=$?
    expect_eq "$1: the compilation fails" 1 "$rc"
    expect_eq "$1: the line naming both versions" \
        "cc1: error: ctimer: this is GCC $full, and ctimer in $WORK/$1 has plugin builds for GCC $2 only; rebuild ctimer where gcc-$m and gcc-$m-plugin-dev are installed" \
        "$(grep 'ctimer:' err.txt)"
    expect_eq "$1: nothing compiled" no "$([ -e x.o ] && echo yes || echo no)"
}

# Only the other GCCs' builds beside the shim: as gcc-11 with a ctimer built for GCC 12 alone.
mkdir others
cp "$E2E_PLUGIN" others/
others=()
for o in $E2E_GCC_MAJORS; do
    [ "$o" = "$m" ] && continue
    cp "$dir/ctimer-gcc$o.so" others/
    others+=("$o")
done
if [ ${#others[@]} -gt 0 ]; then
    refuse others "$(printf '%s\n' "${others[@]}" | sort -n | paste -sd ',' | sed 's/,/, /g')"
fi
# A GCC newer than every build (gcc-99 simulated by renaming this GCC's build) and no build at all.
mkdir newer none
cp "$E2E_PLUGIN" newer/ && cp "$E2E_PLUGIN" none/
cp "$dir/ctimer-gcc$m.so" newer/ctimer-gcc99.so
refuse newer 99
refuse none none

# Another GCC's build under this GCC's name: the real plugin's own exact-version check, or the
# dynamic loader, refuses it; either way one line and a failed compilation.
if [ ${#others[@]} -gt 0 ]; then
    mkdir wrong
    cp "$E2E_PLUGIN" wrong/ && cp "$dir/ctimer-gcc${others[0]}.so" "wrong/ctimer-gcc$m.so"
    "$E2E_GCC" -fplugin=wrong/ctimer.so -c "$PROGS/fib.c" -o x.o 2>err.txt
    expect_eq "a GCC ${others[0]} build named for GCC $m: the compilation fails" 1 "$?"
    expect_match "a GCC ${others[0]} build named for GCC $m: said so" \
        "ctimer: (wrong/ctimer.so was built for GCC [0-9.]+ .* but is loaded by GCC $full|GCC $full cannot load)" \
        "$(cat err.txt)"
fi
finish
