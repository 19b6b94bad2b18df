#!/bin/bash
# A function that sleeps 20 ms is timed at 20 ms or more, and well under 40 ms.
. "$(dirname "$0")/lib.sh"

build sleep sleep.c -O2
run sleep ./sleep
expect_eq "exit status" 0 "$RC"
expect_eq "rows of nap" 1 "$(rows nap)"
d=$(q "SELECT duration_ns FROM sleep_calls WHERE function = 'nap'")
expect_ge "duration_ns of nap" 20000000 "$d"
expect_le "duration_ns of nap" 39999999 "$d"
finish
