#!/bin/bash
# CTIMER_OFF=1 records nothing: no database file is created, an existing database gets no run, the
# program's output is unchanged and ctimer_run_table() is NULL.  Also the public API when recording:
# ctimer_run_table() names the run, and ctimer_flush() commits the calls so far while it runs.
. "$(dirname "$0")/lib.sh"

build api api.c -O2 -lsqlite3 # the program reads the database itself
CTIMER_OFF=1 run off ./api
expect_eq "off: stdout" "table (none)" "$(cat off.out)"
expect_eq "off: stderr" "" "$(cat off.err)"
expect_eq "off: exit status" 0 "$RC"
expect_eq "off: database file" absent "$([ -e "$DB" ] && echo present || echo absent)"

run on ./api
expect_eq "on: stdout" "table on"$'\n'"rows after flush 1000" "$(cat on.out)"
expect_eq "on: exit status" 0 "$RC"

CTIMER_OFF=1 run off_again ./api
expect_eq "off with a database: runs" "on" "$(qlist "SELECT table_name FROM runs")"
expect_eq "off with a database: tables" 0 \
    "$(q "SELECT count(*) FROM sqlite_master WHERE name LIKE 'off%'")"

CTIMER_OFF=0 run off0 ./api
expect_eq "CTIMER_OFF=0 records" "table off0"$'\n'"rows after flush 1000" "$(cat off0.out)"
finish
