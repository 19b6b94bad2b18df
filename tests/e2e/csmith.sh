#!/bin/bash
# Random C programs from csmith keep their checksum when compiled with the plugin, at -O0 and -O2
# with both placements, and every call they make is completed in the database.
. "$(dirname "$0")/lib.sh"

command -v csmith >/dev/null || die "csmith is not installed (cmake/install-deps.sh installs it)"
inc=/usr/include/csmith
export CTIMER_MODE=summary # exact counts without millions of rows

for seed in 1 2 3 4 5 6 7 8; do
    csmith --seed "$seed" >"p$seed.c" || die "csmith --seed $seed failed"
    build_plain "p$seed.plain" "$PWD/p$seed.c" -O1 -w -I"$inc"
    run_plain "plain$seed" timeout 20 "./p$seed.plain"
    expect_eq "seed $seed: plain exit status" 0 "$RC"
    for opt in -O0 -O2; do
        for placement in early late; do
            name="s${seed}${opt#-}$placement"
            build "$name" "$PWD/p$seed.c" "$opt" -w -I"$inc" "+placement=$placement"
            run "$name" timeout 60 "./$name"
            expect_same_as_plain "seed $seed $opt $placement" "plain$seed" "$name" stdout-only
            expect_eq "seed $seed $opt $placement: unfinished calls" 0 \
                "$(q "SELECT unfinished FROM runs WHERE table_name = '$name'")"
            expect_ge "seed $seed $opt $placement: calls recorded" 1 \
                "$(q "SELECT calls FROM runs WHERE table_name = '$name'")"
        done
    done
done
finish
