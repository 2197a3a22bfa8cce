#!/usr/bin/env bash
# Runs the benchmark suite (docs/PERFORMANCE.md): nstack side by side, in one
# run, with lwIP 2.1.3 built from Debian's source as nstack is built (and, in
# labelled rows, Debian's liblwip-dev as packaged) and the Linux kernel over a
# veth pair with offloads off (and, labelled, over loopback).
#
#   scripts/bench.sh             the default run (about 3 minutes, the sweep ~15 s of it)
#   scripts/bench.sh --full      longer repetitions, 1,000,000 connections for scale (~20 min)
#   scripts/bench.sh --quick     one short repetition of everything (a smoke test)
#   scripts/bench.sh --profile   also a callgrind profile of nstack's bulk path
#   scripts/bench.sh --only bulk,crr    some benchmarks only (bulk rr crr scale lossy sweep tap tls http)
#   scripts/bench.sh --only sweep       the message-size sweep only (RR and bulk across sizes, ~15 s)
#   scripts/bench.sh --no-lto    build nstack and the tuned lwIP without link-time optimisation (the default build
#                                uses it: applications link nstack statically, see PERFORMANCE.md)
#
# Installs what it needs (as root), fetches lwIP's source with apt into the
# build folder (scripts/bench-lwip-src.sh), builds Release in build-bench/,
# writes bench/results/: raw.csv, results.csv, results.json, summary.md,
# plot.svg, sweep.svg (and callgrind-bulk.txt with --profile), and prints the
# summary. Exits non-zero if any benchmark failed (its FAILED row is in the
# summary) or a figure a target needs is missing.
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
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# ---- dependencies ----------------------------------------------------------------
extra=(liblwip-dev iproute2 util-linux ethtool dpkg-dev)
# HTTP (scripts/bench-http.sh): the kernel's servers and the load generators.
extra+=(nginx nghttp2-server nghttp2-client wrk curl openssl procps)
[ "$profile" = 1 ] && extra+=(valgrind)
scripts/deps.sh build "${extra[@]}"

# ---- build (Release, no sanitizers; -g changes no code, it names lines for callgrind) ----
build=${NST_BENCH_BUILD:-build-bench} # NST_BENCH_BUILD: another build folder
# LTO: nstack is a static library; inlining across its files (the layers'
# small per-packet functions) is worth ~15% on bulk (docs/PERFORMANCE.md).
# lwIP's source, as Debian packages it, into the build folder (never committed).
lwip_src=$(scripts/bench-lwip-src.sh "$build/lwip-src") ||
  { echo "bench.sh: no lwIP source: the tuned lwIP rows will be FAILED" >&2; lwip_src=""; }
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g -DNST_SANITIZE=OFF -DNST_BENCH=ON \
  -DCMAKE_INTERPROCEDURAL_OPTIMIZATION="$lto" -DNST_LWIP_SRC="$lwip_src" >/dev/null
targets=(nst_bench_nstack nst_bench_linux nst_bench_report nst_bench_tap nst_bench_tls nst_bench_http nstack_cli)
[ -n "$lwip_src" ] && targets+=(nst_bench_lwip_tuned nst_bench_lwip_tuned_jumbo)
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

# Runs one benchmark program: run IMPL WHAT COMMAND... If it fails (exit
# status, crash, timeout), the run fails: a row run/WHAT IMPL with a FAILED
# note goes into raw.csv (a program that died wrote none of its own), the
# report lists it, and bench.sh exits non-zero at the end.
failed=0
run() {
  local impl=$1 what=${2//,/+} rc=0
  shift 2
  "$@" || rc=$?
  if [ "$rc" != 0 ]; then
    failed=1
    echo "bench.sh: $impl $what failed (exit status $rc)" >&2
    printf 'run,%s,%s,exit,%s,-,0,0,0,"FAILED: the %s %s benchmark exited with status %s"\n' \
      "$what" "$impl" "$rc" "$impl" "$what" "$rc" >>"$raw"
  fi
  return 0
}
# A program that should have been built and was not.
missing() {
  failed=1
  echo "bench.sh: $1 was not built: its figures are missing" >&2
  printf 'run,%s,%s,exit,0,-,0,0,0,"FAILED: %s"\n' "${2//,/+}" "$1" "$3" >>"$raw"
}

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
  run nstack "$b" "$bin/nst_bench_nstack" "${args[@]}" --only "$b"
done

# What-if: nstack frees a 256 KiB ring each time it drains, so glibc keeps
# trimming and regrowing its heap (brk + page faults). With trimming and
# mmap thresholds raised, the same binary shows what a ring-buffer cache in
# nstack would gain (docs/PERFORMANCE.md, opportunity 1).
for b in bulk crr; do
  wanted "$b" || continue
  step "nstack with glibc heap trimming off (what-if): $b"
  GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=4194304 \
    run nstack-malloc-tuned "$b" "$bin/nst_bench_nstack" "${args[@]}" --only "$b" --impl nstack-malloc-tuned
done

# lwIP built as nstack is (rows "lwip"): MSS 1460 for bulk at MTU 1500, RR
# and CRR; the jumbo build (MSS 8960) for bulk at MTU 9000.
if [ -n "$peer_only" ]; then
  if [ -x "$bin/nst_bench_lwip_tuned" ]; then
    step "lwIP 2.1.3, our build of Debian's source (tuned, -O3, LTO, static): $peer_only"
    run lwip "$peer_only" "$bin/nst_bench_lwip_tuned" "${args[@]}" --only "$peer_only"
    if wanted bulk; then
      run lwip bulk-mtu9000 "$bin/nst_bench_lwip_tuned_jumbo" "${args[@]}" --only bulk
    fi
  else
    missing "the tuned lwIP benchmark" "$peer_only" "the tuned lwIP benchmark was not built (no lwIP source)"
  fi
fi

# What-if: both receivers read in place instead of copying out (nstack's
# zero-copy receive, nst_recv_zc; lwIP's pbufs as its callback hands them
# over): the like-for-like comparison for applications that can.
if wanted bulk; then
  step "receivers reading in place (what-if): bulk"
  run nstack-zerocopy bulk "$bin/nst_bench_nstack" "${args[@]}" --only bulk --in-place --impl nstack-zerocopy
  [ -x "$bin/nst_bench_lwip_tuned" ] &&
    run lwip-inplace bulk "$bin/nst_bench_lwip_tuned" "${args[@]}" --only bulk --in-place --impl lwip-inplace
fi

# lwIP as Debian packages it (rows "lwip-debian"): its shared library and lwipopts.h.
if [ -n "$peer_only" ]; then
  if [ -x "$bin/nst_bench_lwip" ]; then
    step "lwIP $(dpkg-query -W -f='${Version}' liblwip-dev 2>/dev/null), Debian's package: $peer_only"
    run lwip-debian "$peer_only" "$bin/nst_bench_lwip" "${args[@]}" --only "$peer_only"
  else
    missing "the packaged lwIP benchmark" "$peer_only" "the packaged lwIP benchmark was not built (liblwip-dev)"
  fi
fi

# The kernel only inside network namespaces of our own. Loopback (rows
# "linux"): NST_BENCH_NETNS=1 lets the program set lo's MTU there. A veth
# pair with offloads off (rows "linux-veth", scripts/bench-veth.sh).
have_netns=0
unshare --net true 2>/dev/null && have_netns=1
linux_lo() {
  unshare --net -- env NST_BENCH_NETNS=1 sh -c 'ip link set lo up && exec "$0" "$@"' "$bin/nst_bench_linux" "$@"
}
if [ -n "$peer_only" ]; then
  if [ "$have_netns" = 1 ]; then
    step "Linux $(uname -r) over a veth pair, MTU 1500, offloads off, private namespaces: $peer_only"
    run linux-veth "$peer_only" unshare --net -- bash scripts/bench-veth.sh "$bin/nst_bench_linux" "${args[@]}" \
      --only "$peer_only" --mtu 1500
    step "Linux $(uname -r) loopback, in a private network namespace: $peer_only"
    run linux "$peer_only" linux_lo "${args[@]}" --only "$peer_only"
  else
    missing "Linux (no network namespace: needs root)" "$peer_only" "no network namespace could be made"
  fi
fi

# The message-size sweep, the three stacks one after the other. A point
# that fails is written as a FAILED row (summary.md and sweep.svg show it).
if wanted sweep; then
  step "sweep: nstack (RR and bulk across message sizes)"
  run nstack sweep "$bin/nst_bench_nstack" "${sweep_args[@]}" --only sweep
  if [ -x "$bin/nst_bench_lwip_tuned" ]; then
    step "sweep: lwIP (tuned build)"
    run lwip sweep "$bin/nst_bench_lwip_tuned" "${sweep_args[@]}" --only sweep
  fi
  if [ "$have_netns" = 1 ]; then
    step "sweep: Linux loopback (MTU 1500), in a private network namespace"
    run linux sweep linux_lo "${sweep_args[@]}" --only sweep
  fi
fi

# Bench 5: nstack on a TAP against the kernel, in wall-clock time, beside
# the kernel against itself over a veth pair and lwIP on the same TAP; all
# in namespaces that exist only for the run (scripts/bench-tap.sh).
if wanted tap; then
  step "bench 5: TAP (nstack, lwIP) and veth (kernel), private namespaces"
  tap_secs=3 tap_reps=3
  [ "$quick" = 1 ] && tap_secs=1 tap_reps=1
  if [ -c /dev/net/tun ] && [ "$have_netns" = 1 ]; then
    run tap tap unshare --net -- bash scripts/bench-tap.sh "$bin/nst_bench_tap" "$raw" "$tap_secs" "$tap_reps" \
      "$([ -x "$bin/nst_bench_lwip_tap" ] && echo "$bin/nst_bench_lwip_tap")"
  else
    missing "bench 5" tap "bench 5 needs root (network namespaces) and /dev/net/tun"
  fi
fi

# TLS: the same OpenSSL over nstack (two stacks in memory) and over the
# kernel's loopback, one program, in a network namespace of its own.
tls_lo() { unshare --net -- sh -c 'ip link set lo up && exec "$0" "$@"' "$bin/nst_bench_tls" "$@"; }
if wanted tls; then
  if [ "$have_netns" = 1 ]; then
    step "TLS 1.3: handshakes and AES-GCM bulk, nstack in memory and Linux loopback (private namespace)"
    run nstack+linux tls tls_lo "${args[@]}"
  else
    missing "TLS (no network namespace: needs root)" tls "no network namespace could be made"
  fi
fi

# HTTP: nstack's client and server in memory (requests per CPU second of
# both ends), then nstack serve on a TAP against nginx and nghttpd over a
# veth pair, the same wrk and h2load against each (scripts/bench-http.sh).
if wanted http; then
  step "HTTP in memory: HTTP/1.1 keep-alive and HTTP/2 (10 streams)"
  http_n=200000
  [ "$quick" = 1 ] && http_n=20000
  run nstack http-inmem "$bin/nst_bench_http" --requests "$http_n" --out "$raw"
  run nstack http2-inmem "$bin/nst_bench_http" --requests "$http_n" --http2 --streams 10 --out "$raw"
  step "HTTP over a TAP (nstack serve) and a veth pair (nginx, nghttpd), private namespaces"
  http_secs=5 http_reps=3
  [ "$quick" = 1 ] && http_secs=1 http_reps=1
  if [ -c /dev/net/tun ] && [ "$have_netns" = 1 ]; then
    run http http unshare --net -- bash scripts/bench-http.sh "$build/nstack" "$raw" "$http_secs" "$http_reps"
  else
    missing "the HTTP benchmark" http "it needs root (network namespaces) and /dev/net/tun"
  fi
fi

step "report"
"$bin/nst_bench_report" "$raw" "$out" || failed=1

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
if [ "$failed" != 0 ]; then
  echo "bench.sh: FAILED: a benchmark failed or a figure is missing (see FAILED in $out/summary.md)" >&2
  exit 1
fi
