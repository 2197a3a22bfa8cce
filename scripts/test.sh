#!/usr/bin/env bash
# Builds nstack with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# every test (unit, simulator scenarios, CLI and capture checks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNST_SANITIZE=ON -DNST_BENCH=OFF >/dev/null
cmake --build build-test -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" --timeout 900
