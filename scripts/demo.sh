#!/usr/bin/env bash
# Builds nstack and runs its main job: `nstack demo`, the article replayed on
# the simulated network. Extra arguments go to `nstack demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/nstack demo "$@"
