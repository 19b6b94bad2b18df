#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, and runs the Check unit tests and the
# end-to-end tests through ctest.  CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash cmake/install-deps.sh
build=${CTIMER_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
