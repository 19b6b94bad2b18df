#!/bin/bash
# -fplugin-arg-ctimer-verbose prints "file:line: name" for each instrumented function and
# "file:line: struct.field (call site in function F)" for each method call site: exactly the lines
# marked "@ TEXT" in progs/verbose.c.
. "$(dirname "$0")/lib.sh"

src=$PROGS/verbose.c
marked=$(grep -n '/\* @ ' "$src" | sed -E "s|^([0-9]+):.*/\\* @ (.*) \\*/\$|$src:\\1: \\2|" | sort)

for placement in late early; do
    build "verbose_$placement" verbose.c -O0 +verbose +placement=$placement
    expect_eq "verbose, placement=$placement" "$marked" "$(sort "verbose_$placement.log")"
done

build verbose_no_methods verbose.c -O0 +verbose +methods=off
expect_eq "verbose, methods=off" "$(grep -v 'call site' <<<"$marked")" "$(sort verbose_no_methods.log)"

build quiet verbose.c -O0
expect_eq "compiler output without verbose" "" "$(cat quiet.log)"
run quiet ./quiet
expect_eq "exit status" 0 "$RC"
expect_eq "stdout" "hello world" "$(cat quiet.out)"
finish
