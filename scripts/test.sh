#!/usr/bin/env bash
# Builds nstack with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# every test (unit, simulator scenarios, packetdrill scripts, CLI and capture
# checks, interop against the Linux kernel in private namespaces). Also
# builds everything once optimised, so -O3-only warnings fail here too.
# First, if NST_FUZZ_SECONDS > 0, builds the libFuzzer targets with clang and
# runs each for that many seconds under ASan + UBSan (scripts/run-fuzzers.sh):
# a crash, leak or sanitizer error fails the run, with a fixed seed
# (NST_FUZZ_SEED, default 1) so that what CI tries is what a developer can
# replay with the same command. Default: 30 in CI (CI=true:
# eight targets, two at a time, about 2 minutes; the whole run took 17.5
# minutes at 45 s once the IPv6 tests came), 0 (skipped) elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null || cmake --build build-release -j1
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNST_SANITIZE=ON -DNST_BENCH=OFF >/dev/null
cmake --build build-test -j"$(nproc)"
fuzz_secs=${NST_FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 30 || echo 0)}
if [ "$fuzz_secs" -gt 0 ]; then
  NST_FUZZ_SEED=${NST_FUZZ_SEED:-1} NST_FUZZ_BUILD=$PWD/build-test-fuzz NST_FUZZ_JOBS=$(nproc) \
    scripts/run-fuzzers.sh "$fuzz_secs"
fi
# The test run last, so its summary closes the output.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" --timeout 900
