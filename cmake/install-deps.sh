#!/usr/bin/env bash
# Installs what ctimer needs to build and test on Debian 12, and nothing when it is all there.
# Used by examples/demo.sh and tests/run.sh, so a bare machine (CI included) needs no manual step.
set -euo pipefail

packages=(gcc g++ make cmake pkg-config gcc-12-plugin-dev libsqlite3-dev sqlite3 check)
# The plugin is built for every GCC with plugin headers; the tests run with each (GCC 11 and 12).
packages+=(gcc-11 g++-11 gcc-11-plugin-dev)
# tests/e2e/build_systems.sh builds an Autotools project.
packages+=(autoconf automake)
# The ctimer command's tests: jq parses the Perfetto JSON, rsvg-convert (librsvg2-bin) renders the
# flame graph and netpbm's pngtopnm decodes the picture to count its pixels.
packages+=(jq librsvg2-bin netpbm)
# e2e embedded_sqlite fetches the SQLite amalgamation with `npm pack` (once, then from its cache).
# Any npm will do: a machine whose nodejs comes with its own npm (nodesource's does) cannot take
# Debian's npm package beside it, so the package is wanted only when there is no npm command.
command -v npm >/dev/null 2>&1 || packages+=(npm)
# Robustness tests use csmith when it is there; the benchmark script installs its own anchors.
if [[ "${CTIMER_WITH_CSMITH:-1}" == 1 ]]; then packages+=(csmith libcsmith-dev); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "ctimer: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
