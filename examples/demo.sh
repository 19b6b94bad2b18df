#!/usr/bin/env bash
# Quick start: install dependencies, build and install ctimer into build/prefix, compile the demo
# with the plugin through pkg-config, run it, and show its top functions from the database.
set -euo pipefail
cd "$(dirname "$0")/.."

bash cmake/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
cmake --install build --prefix "$PWD/build/prefix" >/dev/null

export PKG_CONFIG_PATH="$PWD/build/prefix/lib/pkgconfig"
gcc -O2 -pthread $(pkg-config --cflags ctimer) examples/demo.c -o build/demo $(pkg-config --libs ctimer)

export CTIMER_DB="$PWD/build/demo.db"
./build/demo
table=$(sqlite3 "$CTIMER_DB" "SELECT table_name FROM runs ORDER BY id DESC LIMIT 1")
echo
echo "Top functions of run $table (database $CTIMER_DB):"
sqlite3 -header -column "$CTIMER_DB" "
  SELECT coalesce(struct || '.', '') || function AS function, calls, threads,
         round(total_ns / 1e6, 3) AS total_ms, round(self_ns / 1e6, 3) AS self_ms,
         round(avg_ns / 1e3, 2) AS avg_us, timing
  FROM \"${table}_summary\" WHERE calls > 0 ORDER BY self_ns DESC LIMIT 10"
echo "(timing: exact = every call timed; sampled = times estimated from the calls timed; calls are exact)"
