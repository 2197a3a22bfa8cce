#!/usr/bin/env bash
# Source coverage of a fuzz target's corpus: builds the target with clang's
# source-based coverage (no sanitizers), runs every input of the given
# corpus directories once, and prints llvm-cov's per-file report for src/
# (lines, functions, branches) and the totals. Nothing is fuzzed.
#
#   usage: scripts/fuzz-coverage.sh TARGET CORPUS_DIR... [-- FILE-REGEX]
#   e.g.:  scripts/fuzz-coverage.sh fuzz_stack build-fuzz/corpus/fuzz_stack tests/fuzz/corpus/fuzz_stack
#   env:   NST_COV_BUILD (default build-cov)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
t=${1:?usage: fuzz-coverage.sh TARGET CORPUS_DIR...}
shift
dirs=()
filter='src/'
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then filter=$2; break; fi
  dirs+=("$1"); shift
done
build=${NST_COV_BUILD:-$root/build-cov}
# Always from scratch: a header changed since the last run would otherwise
# leave objects built against another layout of the same struct.
rm -rf "$build/obj-$t"
mkdir -p "$build/obj-$t"
command -v llvm-profdata >/dev/null && command -v llvm-cov >/dev/null ||
  { echo "fuzz-coverage: llvm-profdata and llvm-cov are needed (Debian llvm)" >&2; exit 2; }

flags=(-std=c11 -D_GNU_SOURCE -O1 -g -fprofile-instr-generate -fcoverage-mapping -I"$root/include" -I"$root/src")
objs=()
for c in $(find "$root/src" -name '*.c' | sort) "$root/tests/fuzz/$t.c"; do
  o="$build/obj-$t/$(echo "${c#$root/}" | tr / _).o"
  if [ "$c" = "$root/tests/fuzz/$t.c" ]; then
    clang "${flags[@]}" -fsanitize=fuzzer -c "$c" -o "$o"
  else
    clang "${flags[@]}" -fsanitize=fuzzer-no-link -c "$c" -o "$o"
  fi
  objs+=("$o")
done
clang -fsanitize=fuzzer -fprofile-instr-generate "${objs[@]}" -lssl -lcrypto -lm -o "$build/$t-cov"
rm -f "$build/$t.profraw"
LLVM_PROFILE_FILE="$build/$t.profraw" "$build/$t-cov" -runs=0 "${dirs[@]}" 2>&1 | grep -E 'INITED|DONE' || true
llvm-profdata merge -sparse "$build/$t.profraw" -o "$build/$t.profdata"
llvm-cov report "$build/$t-cov" -instr-profile="$build/$t.profdata" \
  $(find "$root/src" -name '*.c' | grep -E "$filter" | sort)
