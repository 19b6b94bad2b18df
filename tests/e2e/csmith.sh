#!/bin/bash
# Random C programs from csmith keep their checksum when compiled with the plugin, and every call
# they make is completed in the database: 300 programs (E2E_CSMITH_SEEDS), each compiled once at
# -O0 and once at -O2; the placement alternates with the seed (odd: early at -O0, late at -O2;
# even: the other way round), so each of the four combinations gets ~150 programs.  Seeds whose
# plain build does not end with status 0 within 5 s (about 1 in 9: long loops) are skipped, and
# seeds are taken from 1 up until 300 are usable (at most 400).  Two seeds are worked on at once
# (the machine has 2 cores), each with its own database.
#
# The program of a seed and its plain build's stdout and status are kept in a cache
# (${XDG_CACHE_HOME:-$HOME/.cache}/ctimer/csmith-<csmith and gcc versions>): generating them is a
# third of the work, and skipped seeds cost their 5 s only once.
. "$(dirname "$0")/lib.sh"

command -v csmith >/dev/null || die "csmith is not installed (cmake/install-deps.sh installs it)"
inc=/usr/include/csmith
export CTIMER_MODE=summary # exact counts without millions of rows
WANTED=${E2E_CSMITH_SEEDS:-300}
MAX_SEED=$((WANTED * 4 / 3))
JOBS=2
version=$(csmith --version 2>/dev/null | head -n 1 | tr -c 'A-Za-z0-9.\n' _)-gcc$("$E2E_GCC" -dumpfullversion)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ctimer/csmith-$version
mkdir -p "$CACHE" || die "cannot create $CACHE"

placement_of() { # SEED OPT
    if [ $(($1 % 2)) = 1 ] && [ "$2" = -O0 ] || [ $(($1 % 2)) = 0 ] && [ "$2" = -O2 ]; then
        echo early
    else
        echo late
    fi
}

# plain_job SEED: p$SEED.c and the plain build's plain$SEED.out/.rc, from the cache or made (and
# then cached: each file renamed into place whole).
plain_job() {
    local seed=$1 f
    if [ ! -f "$CACHE/p$seed.rc" ]; then
        csmith --seed "$seed" >"p$seed.c" || { echo "csmith --seed $seed failed" >"s$seed.fatal"; return; }
        build_plain "p$seed.plain" "$PWD/p$seed.c" -O1 -w -I"$inc"
        run_plain "plain$seed" timeout 5 "./p$seed.plain"
        rm -f "p$seed.plain"
        for f in "p$seed.c:p$seed.c" "plain$seed.out:p$seed.out" "plain$seed.rc:p$seed.rc"; do
            cp "${f%%:*}" "$CACHE/.${f#*:}.$$" && mv -f "$CACHE/.${f#*:}.$$" "$CACHE/${f#*:}"
        done
    fi
    cp "$CACHE/p$seed.c" "p$seed.c" && cp "$CACHE/p$seed.out" "plain$seed.out" &&
        cp "$CACHE/p$seed.rc" "plain$seed.rc" && : >"plain$seed.err"
}

# seed_job SEED: builds and runs one seed at both levels (NAME.rc missing: not built).
seed_job() {
    local seed=$1 opt name
    DB=$WORK/s$seed.db
    for opt in -O0 -O2; do
        name=s$seed${opt#-}
        build "$name" "$PWD/p$seed.c" "$opt" -w -I"$inc" "+placement=$(placement_of "$seed" "$opt")"
        run "$name" timeout 60 "./$name"
        rm -f "$name"
    done
}

# in_parallel FUNCTION SEED...: FUNCTION SEED in a subshell per seed, $JOBS at a time; what they
# print goes to s$SEED.FUNCTION.log, which must stay empty.
in_parallel() {
    local fn=$1 seed
    shift
    for seed in "$@"; do
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
        ("$fn" "$seed") >"s$seed.$fn.log" 2>&1 &
    done
    wait
}

# The plain builds, a batch at a time, until WANTED seeds are usable.
usable=() skipped=() next=1
while [ ${#usable[@]} -lt "$WANTED" ] && [ "$next" -le "$MAX_SEED" ]; do
    batch=()
    for ((n = 0; n < WANTED - ${#usable[@]} + 4 && next <= MAX_SEED; n++)); do batch+=("$next"); next=$((next + 1)); done
    in_parallel plain_job "${batch[@]}"
    for seed in "${batch[@]}"; do
        [ -e "s$seed.fatal" ] && fail "seed $seed: $(cat "s$seed.fatal")"
        [ -s "s$seed.plain_job.log" ] && fail "seed $seed: $(cat "s$seed.plain_job.log")"
        if [ "$(cat "plain$seed.rc" 2>/dev/null)" = 0 ]; then
            [ ${#usable[@]} -lt "$WANTED" ] && usable+=("$seed")
        else
            skipped+=("$seed")
        fi
    done
done
expect_eq "usable seeds (plain build done with status 0 within 5 s) among 1..$MAX_SEED" "$WANTED" "${#usable[@]}"

in_parallel seed_job "${usable[@]}"
for seed in "${usable[@]}"; do
    [ -s "s$seed.seed_job.log" ] && fail "seed $seed: $(cat "s$seed.seed_job.log")"
    DB=$WORK/s$seed.db
    for opt in -O0 -O2; do
        name=s$seed${opt#-}
        label="seed $seed $opt $(placement_of "$seed" "$opt")"
        if [ ! -e "$name.rc" ]; then
            fail "$label: not built or not run (see s$seed.seed_job.log, $name.log)"
            continue
        fi
        expect_same_as_plain "$label" "plain$seed" "$name" stdout-only
        expect_eq "$label: runs: ended_at set, unfinished" "1|0" \
            "$(q "SELECT ended_at IS NOT NULL, unfinished FROM runs WHERE table_name = '$name'")"
        expect_ge "$label: calls recorded" 1 "$(q "SELECT calls FROM runs WHERE table_name = '$name'")"
    done
done
echo "csmith: ${#usable[@]} seeds up to ${usable[*]: -1}; skipped (not done with status 0 in 5 s): ${skipped[*]}"
finish
