#!/usr/bin/env bash
# Runs the benchmark suite (docs/PERFORMANCE.md): nstack side by side with
# lwIP (Debian's liblwip-dev) and the Linux kernel over loopback, in one run.
#
#   scripts/bench.sh             the default run (about 2.5 minutes, the sweep ~15 s of it)
#   scripts/bench.sh --full      longer repetitions, 1,000,000 connections for scale (~4 min)
#   scripts/bench.sh --quick     one short repetition of everything (a smoke test)
#   scripts/bench.sh --profile   also a callgrind profile of nstack's bulk path
#   scripts/bench.sh --only bulk,crr    some benchmarks only (bulk rr crr scale lossy sweep tap)
#   scripts/bench.sh --only sweep       the message-size sweep only (RR and bulk across sizes, ~15 s)
#   scripts/bench.sh --no-lto    build nstack without link-time optimisation (the default build
#                                uses it: applications link nstack statically, see PERFORMANCE.md)
#
# Installs what it needs (as root), builds Release in build-bench/, writes
# bench/results/: raw.csv, results.csv, results.json, summary.md, plot.svg,
# sweep.svg (and callgrind-bulk.txt with --profile), and prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0 quick=0 profile=0 only="" lto=ON
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --quick) quick=1 ;;
    --profile) profile=1 ;;
    --only) only="$2"; shift ;;
    --no-lto) lto=OFF ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# ---- dependencies ----------------------------------------------------------------
extra=(liblwip-dev iproute2 util-linux)
[ "$profile" = 1 ] && extra+=(valgrind)
scripts/deps.sh build "${extra[@]}"

# ---- build (Release, no sanitizers; -g changes no code, it names lines for callgrind) ----
build=${NST_BENCH_BUILD:-build-bench} # NST_BENCH_BUILD: another build folder
# LTO: nstack is a static library; inlining across its files (the layers'
# small per-packet functions) is worth ~15% on bulk (docs/PERFORMANCE.md).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g -DNST_SANITIZE=OFF -DNST_BENCH=ON \
  -DCMAKE_INTERPROCEDURAL_OPTIMIZATION="$lto" >/dev/null
targets=(nst_bench_nstack nst_bench_linux nst_bench_report nst_bench_tap)
[ -f /usr/include/lwip/lwip/tcp.h ] && targets+=(nst_bench_lwip nst_bench_lwip_tap)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
bin="$build/bench"

# ---- run ---------------------------------------------------------------------------
out=bench/results
mkdir -p "$out"
raw="$out/raw.csv"
: >"$raw"
args=(--out "$raw")
if [ "$quick" = 1 ]; then
  args+=(--reps 1 --seconds 0.3)
elif [ "$full" = 1 ]; then
  args+=(--reps 5 --seconds 2 --full)
fi
start=$(date +%s)
step() { echo "== $* ($(($(date +%s) - start)) s elapsed)" >&2; }

# Is benchmark $1 wanted (--only)?
wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# What the lwIP and Linux programs run in their main invocation (the sweep
# has its own, with its own repetitions).
peer_only=""
for b in bulk rr crr; do wanted "$b" && peer_only+="${peer_only:+,}$b"; done

# The message-size sweep: RR at 7 sizes, bulk at 5 write sizes, 3 stacks.
# Short by default (one repetition of 0.3 CPU s per point, ~15 s in all);
# --full gives it the full repetitions. The RR benchmark's rr/64B is its
# 64-byte point (the same harness, more repetitions) when both run.
sweep_args=(--out "$raw" --reps 1 --seconds 0.3)
[ "$full" = 1 ] && sweep_args=(--out "$raw" --reps 5 --seconds 2)
wanted rr && sweep_args+=(--rr-sizes 1,512,1448,4096,16384,65536)

# One process per benchmark: each starts from a fresh heap (the figures
# depend on the allocator's state, see docs/PERFORMANCE.md).
for b in bulk rr crr scale lossy; do
  wanted "$b" || continue
  step "nstack: $b"
  "$bin/nst_bench_nstack" "${args[@]}" --only "$b" || echo "bench.sh: the nstack $b benchmark failed" >&2
done

# What-if: nstack frees a 256 KiB ring each time it drains, so glibc keeps
# trimming and regrowing its heap (brk + page faults). With trimming and
# mmap thresholds raised, the same binary shows what a ring-buffer cache in
# nstack would gain (docs/PERFORMANCE.md, opportunity 1).
for b in bulk crr; do
  wanted "$b" || continue
  step "nstack with glibc heap trimming off (what-if): $b"
  GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=4194304 \
    "$bin/nst_bench_nstack" "${args[@]}" --only "$b" --impl nstack-malloc-tuned ||
    echo "bench.sh: the nstack $b what-if benchmark failed" >&2
done

# What-if: both receivers read in place instead of copying out (nstack's
# zero-copy receive, nst_recv_zc; lwIP's pbufs as its callback hands them
# over): the like-for-like comparison for applications that can.
if wanted bulk; then
  step "receivers reading in place (what-if): bulk"
  "$bin/nst_bench_nstack" "${args[@]}" --only bulk --in-place --impl nstack-zerocopy ||
    echo "bench.sh: the nstack zero-copy benchmark failed" >&2
  if [ -x "$bin/nst_bench_lwip" ]; then
    "$bin/nst_bench_lwip" "${args[@]}" --only bulk --in-place --impl lwip-inplace ||
      echo "bench.sh: the lwIP in-place benchmark failed" >&2
  fi
fi

if [ ! -x "$bin/nst_bench_lwip" ]; then
  echo "bench.sh: lwIP benchmark not built (liblwip-dev missing)" >&2
elif [ -n "$peer_only" ]; then
  step "lwIP $(dpkg-query -W -f='${Version}' liblwip-dev 2>/dev/null): $peer_only"
  "$bin/nst_bench_lwip" "${args[@]}" --only "$peer_only" || echo "bench.sh: the lwIP benchmark failed" >&2
fi

# The kernel only inside a network namespace of our own: its loopback,
# nothing else. NST_BENCH_NETNS=1 lets the program set lo's MTU there.
# Runs nst_bench_linux with the arguments given in a network namespace of
# its own (lo up, nothing else); 1 if no namespace can be made.
linux_in_netns() {
  unshare --net true 2>/dev/null || return 1
  unshare --net -- env NST_BENCH_NETNS=1 sh -c 'ip link set lo up && exec "$0" "$@"' "$bin/nst_bench_linux" "$@" ||
    echo "bench.sh: the Linux benchmark ($*) failed" >&2
}
if [ -n "$peer_only" ]; then
  step "Linux $(uname -r) loopback, in a private network namespace: $peer_only"
  linux_in_netns "${args[@]}" --only "$peer_only" ||
    echo "bench.sh: cannot create a network namespace (needs root): Linux figures skipped" >&2
fi

# The message-size sweep, the three stacks one after the other. A point
# that fails is written as a FAILED row (summary.md and sweep.svg show it).
if wanted sweep; then
  step "sweep: nstack (RR and bulk across message sizes)"
  "$bin/nst_bench_nstack" "${sweep_args[@]}" --only sweep ||
    echo "bench.sh: an nstack sweep point failed (FAILED in summary.md)" >&2
  if [ -x "$bin/nst_bench_lwip" ]; then
    step "sweep: lwIP"
    "$bin/nst_bench_lwip" "${sweep_args[@]}" --only sweep ||
      echo "bench.sh: a lwIP sweep point failed (FAILED in summary.md)" >&2
  fi
  step "sweep: Linux loopback (MTU 1500), in a private network namespace"
  linux_in_netns "${sweep_args[@]}" --only sweep ||
    echo "bench.sh: cannot create a network namespace (needs root): Linux sweep skipped" >&2
fi

# Bench 5: nstack on a TAP against the kernel, in wall-clock time, beside
# the kernel against itself over a veth pair and lwIP on the same TAP; all
# in namespaces that exist only for the run (scripts/bench-tap.sh).
if wanted tap; then
  step "bench 5: TAP (nstack, lwIP) and veth (kernel), private namespaces"
  tap_secs=3 tap_reps=3
  [ "$quick" = 1 ] && tap_secs=1 tap_reps=1
  if [ -c /dev/net/tun ] && unshare --net true 2>/dev/null; then
    unshare --net -- bash scripts/bench-tap.sh "$bin/nst_bench_tap" "$raw" "$tap_secs" "$tap_reps" \
      "$([ -x "$bin/nst_bench_lwip_tap" ] && echo "$bin/nst_bench_lwip_tap")" ||
      echo "bench.sh: the TAP benchmark failed" >&2
  else
    echo "bench.sh: bench 5 skipped: it needs root (network namespaces) and /dev/net/tun" >&2
  fi
fi

step "report"
"$bin/nst_bench_report" "$raw" "$out"

if [ "$profile" = 1 ]; then
  step "callgrind: nstack bulk, MTU 1500"
  # Only the measured loop (bulk_steady) is counted: 100 MB after the warm-up.
  rm -f "$out/callgrind-run.csv"
  valgrind --tool=callgrind --toggle-collect='bulk_steady*' --callgrind-out-file="$out/callgrind-bulk.out" \
    "$bin/nst_bench_nstack" --only bulk --reps 1 --mtu 1500 --bytes 100000000 --verify-bytes 0 \
    --out "$out/callgrind-run.csv" 2>"$out/callgrind.log"
  {
    echo "# nstack bulk, MTU 1500, 100 MB after warm-up: $(tail -1 "$out/callgrind-run.csv")"
    echo "# self (exclusive) instruction counts"
    callgrind_annotate --inclusive=no "$out/callgrind-bulk.out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '1,45p'
    echo "# inclusive instruction counts"
    callgrind_annotate --inclusive=yes "$out/callgrind-bulk.out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '1,60p'
  } >"$out/callgrind-bulk.txt"
  echo "callgrind profile: $out/callgrind-bulk.txt" >&2
fi
step "done: $out/summary.md, $out/results.csv, $out/results.json, $out/plot.svg$(wanted sweep && echo ", $out/sweep.svg")"
