#!/bin/bash
# Random C programs from csmith keep their checksum when compiled with the plugin, and every call
# they make is completed in the database: seeds 1..300 (E2E_CSMITH_SEEDS), each compiled once at
# -O0 and once at -O2; the placement alternates with the seed (odd: early at -O0, late at -O2;
# even: the other way round), so each of the four combinations gets 150 programs.  Two seeds are
# worked on at once (the machine has 2 cores), each with its own database.  A seed whose plain
# build does not end with status 0 within 5 s is skipped; at most 5 % may be.
. "$(dirname "$0")/lib.sh"

command -v csmith >/dev/null || die "csmith is not installed (cmake/install-deps.sh installs it)"
inc=/usr/include/csmith
export CTIMER_MODE=summary # exact counts without millions of rows
SEEDS=${E2E_CSMITH_SEEDS:-300}
JOBS=2

placement_of() { # SEED OPT
    if [ $(($1 % 2)) = 1 ] && [ "$2" = -O0 ] || [ $(($1 % 2)) = 0 ] && [ "$2" = -O2 ]; then
        echo early
    else
        echo late
    fi
}

# seed_job SEED: generates, builds and runs one seed (in a subshell: its results are files, which
# the checks below read; a failed build leaves no NAME.rc).
seed_job() {
    local seed=$1 opt name
    DB=$WORK/s$seed.db
    csmith --seed "$seed" >"p$seed.c" || { echo "csmith --seed $seed failed" >"s$seed.fatal"; return; }
    build_plain "p$seed.plain" "$PWD/p$seed.c" -O1 -w -I"$inc"
    run_plain "plain$seed" timeout 5 "./p$seed.plain"
    rm -f "p$seed.plain"
    [ "$RC" = 0 ] || return 0 # skipped
    for opt in -O0 -O2; do
        name=s$seed${opt#-}
        build "$name" "$PWD/p$seed.c" "$opt" -w -I"$inc" "+placement=$(placement_of "$seed" "$opt")"
        run "$name" timeout 60 "./$name"
        rm -f "$name"
    done
}

for ((seed = 1; seed <= SEEDS; seed++)); do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    (seed_job "$seed") >"s$seed.log" 2>&1 &
done
wait

skipped=()
for ((seed = 1; seed <= SEEDS; seed++)); do
    [ -e "s$seed.fatal" ] && fail "seed $seed: $(cat "s$seed.fatal")"
    [ -s "s$seed.log" ] && fail "seed $seed: $(cat "s$seed.log")"
    if [ "$(cat "plain$seed.rc" 2>/dev/null)" != 0 ]; then
        skipped+=("$seed")
        continue
    fi
    DB=$WORK/s$seed.db
    for opt in -O0 -O2; do
        name=s$seed${opt#-}
        label="seed $seed $opt $(placement_of "$seed" "$opt")"
        if [ ! -e "$name.rc" ]; then
            fail "$label: not built or not run (see s$seed.log, $name.log)"
            continue
        fi
        expect_same_as_plain "$label" "plain$seed" "$name" stdout-only
        expect_eq "$label: runs: ended_at set, unfinished" "1|0" \
            "$(q "SELECT ended_at IS NOT NULL, unfinished FROM runs WHERE table_name = '$name'")"
        expect_ge "$label: calls recorded" 1 "$(q "SELECT calls FROM runs WHERE table_name = '$name'")"
    done
done
echo "csmith: $SEEDS seeds, ${#skipped[@]} skipped (plain build not done with status 0 in 5 s): ${skipped[*]}"
expect_le "seeds skipped (of $SEEDS)" $((SEEDS / 20)) "${#skipped[@]}"
finish
