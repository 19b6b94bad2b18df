#!/bin/bash
# Each bad plugin argument makes the compilation fail, with an error naming the argument.
. "$(dirname "$0")/lib.sh"

printf '+main\nmain\n' >malformed.filter
printf '+main\n' >unreadable.filter
chmod 000 unreadable.filter
[ -r unreadable.filter ] && rm unreadable.filter # as root, use a path that cannot be opened

# rejects ARG TEXT: compiling with ARG fails, no program is written, and stderr contains TEXT.
rejects() {
    rm -f a.out
    "$E2E_GCC" -fplugin="$E2E_PLUGIN" "$1" -c "$PROGS/fib.c" -o a.out >err.txt 2>&1
    local rc=$?
    expect_ge "exit status of gcc $1" 1 "$rc"
    expect_eq "output file after gcc $1" absent "$([ -e a.out ] && echo present || echo absent)"
    expect_match "stderr of gcc $1" "$2" "$(cat err.txt)"
}

P=-fplugin-arg-ctimer-
rejects "${P}bogus=1" "unknown argument.*ctimer-bogus"
rejects "${P}include" "ctimer-include.*needs a value"
rejects "${P}include=" "ctimer-include.*needs a value"
rejects "${P}exclude=a,,b" "ctimer-exclude=a,,b.*empty pattern"
rejects "${P}verbose=1" "ctimer-verbose.*takes no value"
rejects "${P}placement=sideways" "ctimer-placement=sideways"
rejects "${P}methods=maybe" "ctimer-methods=maybe"
rejects "${P}filter=$PWD/unreadable.filter" "ctimer-filter=$PWD/unreadable.filter.*cannot read"
rejects "${P}filter=$PWD/malformed.filter" "malformed.filter:2:.*main"
rejects "${P}min-stmts=abc" "ctimer-min-stmts=abc"
rejects "${P}min-stmts=-1" "ctimer-min-stmts=-1"
rejects "${P}min-stmts-scope=tiny" "ctimer-min-stmts-scope=tiny.*expected.*leaf.*noloop"
rejects "${P}calls" "ctimer-calls.*needs a value"
rejects "${P}calls=read,,write" "ctimer-calls=read,,write.*empty pattern"
rejects "${P}calls=off,read" "ctimer-calls=off,read.*cannot be combined"
rejects "${P}cpu" "ctimer-cpu.*needs a value"
rejects "${P}cpu=busy,,f" "ctimer-cpu=busy,,f.*empty pattern"
rejects "${P}args" "ctimer-args.*needs a value"
rejects "${P}args=,fib" "ctimer-args=,fib.*empty pattern"
rejects "${P}arg=fib" "unknown argument.*ctimer-arg\b.*known:.* cpu, args,"

# The control: the same command with a good argument succeeds.
"$E2E_GCC" -fplugin="$E2E_PLUGIN" "${P}min-stmts=3" -c "$PROGS/fib.c" -o a.out >err.txt 2>&1
expect_eq "exit status of gcc ${P}min-stmts=3" 0 "$?"
finish
