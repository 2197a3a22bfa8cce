#!/usr/bin/env bash
# Builds nstack and runs its main job: `nstack demo`, the article replayed on
# the simulated network. Extra arguments go to `nstack demo`.
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
exec build/nstack demo "$@"
