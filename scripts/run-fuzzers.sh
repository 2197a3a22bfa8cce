#!/usr/bin/env bash
# Builds every libFuzzer target in tests/fuzz with clang
# (-fsanitize=fuzzer,address,undefined) and runs each for a number of
# seconds, starting from its seed corpus in tests/fuzz/corpus/<target>/.
# New inputs go to a scratch corpus in the build directory, never into the
# tree. Exits non-zero when a fuzzer finds a crash, leak or sanitizer error
# (the reproducer is left as <build>/crash-*). tests/fuzz/<target>.options,
# if present, holds more libFuzzer flags for that target (e.g. -max_len).
# The last lines of each run are libFuzzer's final statistics: executions,
# and "cov:" (edges covered) on the line before.
#
# NST_FUZZ_SEED fixes libFuzzer's random seed: with the same binary and the
# same seed corpus the sequence of inputs is the same on every machine, so a
# CI run (scripts/test.sh sets a seed) meets only inputs a developer can
# replay; without it each run explores somewhere new (what a session's long
# fuzzing wants).
#
#   usage: scripts/run-fuzzers.sh [seconds-per-target (default 60)] [target...]
#   env:   NST_FUZZ_BUILD (default build-fuzz), NST_FUZZ_JOBS (default 2),
#          NST_FUZZ_SEED (default: random)
set -euo pipefail
secs=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=${NST_FUZZ_BUILD:-$root/build-fuzz}
jobs=${NST_FUZZ_JOBS:-2}

command -v clang >/dev/null || { echo "run-fuzzers: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$root"/tests/fuzz/fuzz_*.c; do
        targets+=("$(basename "$f" .c)")
    done
fi

# Warnings are not errors here: the fuzz build must not depend on every
# file of the tree being clean under clang's warning set as well as gcc's.
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DNST_FUZZ=ON -DNST_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

status=0
failed=()
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t"
    mkdir -p "$corpus"
    seeds=()
    [ -d "$root/tests/fuzz/corpus/$t" ] && seeds+=("$root/tests/fuzz/corpus/$t")
    opts=()
    [ -n "${NST_FUZZ_SEED:-}" ] && opts+=("-seed=$NST_FUZZ_SEED")
    if [ -f "$root/tests/fuzz/$t.options" ]; then
        read -r -a more < "$root/tests/fuzz/$t.options"
        opts+=("${more[@]}")
    fi
    echo "== $t: ${secs}s"
    if ! (cd "$build" && "./$t" -max_total_time="$secs" -print_final_stats=1 "${opts[@]}" "$corpus" "${seeds[@]}"); then
        echo "== $t: FAILED (see $build/crash-* or the log above)" >&2
        failed+=("$t")
        status=1
    fi
done
# A CI log keeps only its tail: name the failures last, with each
# reproducer in hex (`xxd -r -p` turns it back into the input file).
if [ $status -ne 0 ]; then
    echo "== FAILED: ${failed[*]}" >&2
    for c in "$build"/crash-* "$build"/leak-* "$build"/timeout-* "$build"/oom-*; do
        [ -f "$c" ] || continue
        echo "   $(basename "$c") ($(stat -c %y "$c")):" >&2
        head -c 4096 "$c" | od -An -tx1 -v >&2
    done
fi
exit $status
