#!/bin/bash
# The build systems a project can time itself with, against an installed ctimer (`cmake --install`
# into a fresh prefix), each with exact call counts in the database:
#   - pkg-config's Libs after the objects and before them (as in LDFLAGS or
#     CMAKE_EXE_LINKER_FLAGS), under Debian's --as-needed, with libctimer.so and with libctimer.a;
#   - CMake's compiler check with the plugin in CMAKE_C_FLAGS and the Libs in the linker flags;
#   - plain Make (examples/make), Autotools (examples/autotools: CFLAGS and LIBS, CFLAGS and
#     LDFLAGS), the CMake package (examples/cmake-consumer), each also with -flto.
# Runs with E2E_GCC, so once per GCC: one install serves them all.
. "$(dirname "$0")/lib.sh"

[ -n "${E2E_BUILD:-}" ] || die "E2E_BUILD is not set"
prefix=$WORK/prefix
cmake --install "$E2E_BUILD" --prefix "$prefix" >install.log 2>&1 ||
    die "cmake --install failed:"$'\n'"$(cat install.log)"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags ctimer) || die "pkg-config --cflags ctimer failed"
libs=$(pkg-config --libs ctimer) || die "pkg-config --libs ctimer failed"
export CC=$E2E_GCC
ex=$E2E_SRC/examples

# expect_calc NAME: run NAME of examples/autotools' calc with argument 5 timed its three functions.
expect_calc() {
    expect_eq "$1: exit status" 0 "$RC"
    expect_eq "$1: stdout" "sum of squares 1..5 = 55" "$(cat "$RUN.out")"
    expect_eq "$1: calls per function" "calc_square:5 calc_sum_squares:1 main:1" \
        "$(qlist "SELECT function || ':' || calls FROM ${RUN}_summary ORDER BY function")"
}

# --- pkg-config alone: both orders, both runtimes ------------------------------------------------
# A prefix without libctimer.so makes -lctimer take libctimer.a.
cp -a "$prefix" static_prefix && rm -f static_prefix/lib/libctimer.so*
for runtime in shared static; do
    pc=$PKG_CONFIG_PATH
    [ "$runtime" = shared ] || pc=$WORK/static_prefix/lib/pkgconfig
    read -ra l <<<"$(PKG_CONFIG_PATH=$pc pkg-config --static --libs ctimer)"
    read -ra c <<<"$(PKG_CONFIG_PATH=$pc pkg-config --cflags ctimer)"
    for order in after before; do
        name=pc_${runtime}_$order
        objs=()
        for f in main calc; do
            "$CC" "${c[@]}" -O2 -I"$ex/autotools" -c "$ex/autotools/$f.c" -o "$name.$f.o" >"$name.log" 2>&1 ||
                die "$name: compiling $f.c failed:"$'\n'"$(cat "$name.log")"
            objs+=("$name.$f.o")
        done
        if [ "$order" = after ]; then
            link=("$CC" "${objs[@]}" -o "$name" "${l[@]}")
        else
            link=("$CC" "${l[@]}" "${objs[@]}" -o "$name")
        fi
        if ! "${link[@]}" >"$name.log" 2>&1; then
            fail "$name: the link failed: ${link[*]}"$'\n'"$(cat "$name.log")"
            continue
        fi
        needed=$(readelf -d "$name" | grep -c 'NEEDED.*libctimer')
        expect_eq "$name: libctimer.so is a DT_NEEDED" "$([ "$runtime" = shared ] && echo 1 || echo 0)" "$needed"
        run "$name" "./$name" 5
        expect_calc "$name"
    done
done

# --- CMake's compiler check with the flags in the cache variables ---------------------------------
mkdir flags_project
cat >flags_project/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.20)
project(flags C)
add_executable(calc $ex/autotools/main.c $ex/autotools/calc.c)
EOF
if cmake -S flags_project -B flags_build -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$libs" \
    >flags.log 2>&1 && cmake --build flags_build >>flags.log 2>&1; then
    run cmake_flags ./flags_build/calc 5
    expect_calc cmake_flags
else
    fail "CMake with CMAKE_C_FLAGS=\$(pkg-config --cflags) and CMAKE_EXE_LINKER_FLAGS=\$(pkg-config --libs):"$'\n'"$(tail -30 flags.log)"
fi

# --- plain Make -----------------------------------------------------------------------------------
for how in LDLIBS LDFLAGS lto; do
    name=make_$how
    args=(SRC="$ex/autotools" CC="$CC")
    case $how in
    LDFLAGS) args+=(CTIMER_LIBS= LDFLAGS="$libs") ;;
    lto) args+=(CFLAGS="-O2 -flto") ;;
    esac
    mkdir "$name"
    if make -C "$name" -f "$ex/make/Makefile" "${args[@]}" >"$name.log" 2>&1; then
        expect_eq "$name: both sources compiled with the plugin" 2 \
            "$(grep -E -- ' -c ' "$name.log" | grep -c -- '-fplugin=')"
        [ "$how" != LDFLAGS ] ||
            expect_match "$name: the runtime comes before the objects" "-lctimer .* (main|calc)\.o" \
                "$(grep -E -- '-o calc$' "$name.log")"
        run "$name" "./$name/calc" 5
        expect_calc "$name"
    else
        fail "$name: make ${args[*]} failed:"$'\n'"$(cat "$name.log")"
    fi
done

# --- Autotools ------------------------------------------------------------------------------------
command -v autoreconf >/dev/null || die "autoreconf is missing (cmake/install-deps.sh installs autoconf and automake)"
cp -r "$ex/autotools" at_src
(cd at_src && autoreconf -fi) >autoreconf.log 2>&1 || die "autoreconf failed:"$'\n'"$(cat autoreconf.log)"
for how in LIBS LDFLAGS lto; do
    name=autotools_$how
    case $how in
    LIBS) args=(CFLAGS="$cflags" LIBS="$libs") ;;
    LDFLAGS) args=(CFLAGS="$cflags" LDFLAGS="$libs") ;;
    lto) args=(CFLAGS="-O2 -flto $cflags" LIBS="$libs") ;;
    esac
    mkdir "$name"
    if (cd "$name" && ../at_src/configure "${args[@]}" && make) >"$name.log" 2>&1; then
        run "$name" "./$name/calc" 5
        expect_calc "$name"
    else
        fail "$name: configure ${args[*]} && make failed:"$'\n'"$(tail -40 "$name.log")"
    fi
done

# --- the CMake package ----------------------------------------------------------------------------
for lto in OFF ON; do
    name=cmake_package_lto_$lto
    if cmake -S "$ex/cmake-consumer" -B "$name" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_LTO=$lto \
        -DCMAKE_BUILD_TYPE=Release >"$name.log" 2>&1 && cmake --build "$name" >>"$name.log" 2>&1; then
        run "$name" "./$name/consumer" 7
        expect_eq "$name: exit status" 0 "$RC"
        expect_eq "$name: stdout" "sent 7, checksum 4203543816" "$(cat "$name.out")"
        # INCLUDE net_*, EXCLUDE *_inline, FILTER drops net_debug: these two and nothing else.
        expect_eq "$name: calls per function" "net_recv:1 net_send:7" \
            "$(qlist "SELECT function || ':' || calls FROM ${RUN}_summary ORDER BY function")"
    else
        fail "$name: configuring or building examples/cmake-consumer failed:"$'\n'"$(tail -40 "$name.log")"
    fi
done
expect_match "the LTO build compiled with -flto" "-flto" \
    "$(grep -h -- '-flto' cmake_package_lto_ON/CMakeFiles/consumer.dir/flags.make | head -n 1)"
finish
