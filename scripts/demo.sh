#!/usr/bin/env bash
# Builds nstack and runs its main job: `nstack demo`, the article replayed on
# the simulated network, with its HTML report in ./nstack-demo/report/.
# Extra arguments go to `nstack demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNST_BENCH=OFF &&
       cmake --build build -j"$(nproc)" --target nstack_cli; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "nstack: the build failed (output above)" >&2
  exit 1
fi
# The HTML report of the run goes to ./nstack-demo/report/ unless the
# arguments ask for something else (it costs a fraction of a second).
report=(--report nstack-demo/report)
for a in "$@"; do
  case $a in --report|--report=*|--list|-h|--help) report=() ;; esac
done
exec build/nstack demo "${report[@]}" "$@"
