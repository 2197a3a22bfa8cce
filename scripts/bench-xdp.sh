#!/usr/bin/env bash
# Bench: nstack over AF_XDP against the kernel over the same veth pair and
# nstack over a TAP, in one run (docs/PERFORMANCE.md, "AF_XDP").
#
#   scripts/bench-xdp.sh [BUILD_DIR] [SECONDS] [REPS]   (build-bench, 3, 3)
#
# Needs root, a build with -DNST_BENCH=ON (nst_bench_tap) and the AF_XDP
# driver (libxdp-dev, libbpf-dev, clang). Everything lives in two network
# namespaces that exist only while it runs:
#   K: vk 10.80.0.1 (the kernel's servers), a TAP nstbx 10.81.0.1;
#   N: vn 10.80.0.3 (the kernel as a client), nstack 10.80.0.2 on vn by AF_XDP.
# vk and vn have 2 queues each; a tc program on vk (tests/interop/
# rss_steer.bpf.c) plays the NIC's RSS so that with --queues 2 each nstack
# stack gets its own connections' packets; vk's transmit checksum offload is
# off (AF_XDP gets frames as from a wire: complete checksums).
# Cases, each REPS times in turns, the median kept:
#   linux-veth        kernel client (N) -> kernel server (K) over vk/vn
#   nstack-xdp        nstack client on vn by AF_XDP, one stack
#   nstack-xdp-2q     two stacks, queues 0 and 1, a thread each
#   nstack-tap        nstack client on the TAP (vnet header, TSO)
# for bulk (goodput of one connection per stack) and crr (connect, 64-byte
# request, 64-byte response, close; connections per second). CPU is the
# client process's own (user + system, all its threads): the kernel's
# softirq work on the far side is in none of them.
# The results: a CSV (bench/results/xdp.csv) and a table on stdout.
set -uo pipefail
BUILD=${1:-build-bench}
SECS=${2:-3}
REPS=${3:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=$BUILD/bench/nst_bench_tap
[ -x "$B" ] || B=$BUILD/nst_bench_tap
[ -x "$B" ] || { echo "bench-xdp: no nst_bench_tap in $BUILD (cmake -DNST_BENCH=ON)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-xdp: needs root" >&2; exit 1; }
K=nstbx-k-$$ N=nstbx-n-$$
OUTCSV=$HERE/bench/results/xdp.csv
log=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$K" 2>/dev/null
  ip netns del "$N" 2>/dev/null
  rm -rf "$log"
}
trap cleanup EXIT
ALL=$log/all.csv
: >"$ALL"

ip netns add "$K" && ip netns add "$N" || exit 1
ip link add vk netns "$K" numtxqueues 2 numrxqueues 2 type veth peer name vn netns "$N" numtxqueues 2 numrxqueues 2
for n in "$K" "$N"; do
  ip -n "$n" link set lo up
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip netns exec "$K" ethtool -L vk rx 2 tx 2
ip netns exec "$N" ethtool -L vn rx 2 tx 2
ip netns exec "$K" ethtool -K vk tx off >/dev/null
ip -n "$K" addr add 10.80.0.1/24 dev vk
ip -n "$N" addr add 10.80.0.3/24 dev vn
ip -n "$K" link set vk up
ip -n "$N" link set vn up
ip -n "$K" tuntap add dev nstbx mode tap
ip -n "$K" addr add 10.81.0.1/24 dev nstbx
ip -n "$K" link set nstbx up
for q in 1 2; do
  clang -O2 -target bpf -DNQUEUES=$q -I"/usr/include/$(gcc -print-multiarch)" \
    -c "$HERE/tests/interop/rss_steer.bpf.c" -o "$log/rss$q.o" || exit 1
done
ip netns exec "$K" tc qdisc add dev vk clsact
# rss N: the NIC spreads over N queues (1: everything to queue 0, as
# `ethtool -L combined 1` would).
rss() {
  ip netns exec "$K" tc filter del dev vk egress 2>/dev/null
  ip netns exec "$K" tc filter add dev vk egress bpf da obj "$log/rss$1.o" sec tc || exit 1
}

failed=0
# A kernel server in K on ADDR:PORT (and PORT+1 for CRR), for one case: a
# new nstack process must not meet the TIME_WAIT tuples of the last one.
port=5001
kserver() {
  port=$((port + 10))
  : >"$log/kserver.log"
  ip netns exec "$K" "$B" --role kserver --addr "$1" --port "$port" --seconds $((SECS * 4 + 30)) \
    2>"$log/kserver.log" &
  KPID=$!
  PIDS+=("$KPID")
  for _ in $(seq 50); do grep -q ready "$log/kserver.log" && return 0; sleep 0.1; done
  echo "bench-xdp: the kernel server did not start" >&2
  return 1
}
kstop() { kill "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null; }
# client NS IMPL TEST ARGS...
client() {
  local ns=$1 impl=$2 test=$3; shift 3
  timeout $((SECS * 3 + 20)) ip netns exec "$ns" "$B" --role nclient --out "$ALL" --seconds "$SECS" \
    --conns 100000 --test "$test" --impl "$impl" --port "$port" "$@" 2>>"$log/clients.log" ||
    { echo "bench-xdp: $impl $test failed" >&2; failed=1; }
}

for rep in $(seq "$REPS"); do
  echo "bench-xdp: round $rep of $REPS" >&2
  for t in bulk crr; do
    kserver 10.80.0.1 || exit 1
    timeout $((SECS * 3 + 20)) ip netns exec "$N" "$B" --role kclient --out "$ALL" --seconds "$SECS" \
      --conns 100000 --test $t --impl linux-veth --peer 10.80.0.1 --port "$port" 2>>"$log/clients.log" ||
      { echo "bench-xdp: linux-veth $t failed" >&2; failed=1; }
    kstop
    rss 1
    kserver 10.80.0.1 || exit 1
    client "$N" nstack-xdp $t --xdp vn --addr 10.80.0.2/24 --peer 10.80.0.1
    kstop
    rss 2
    kserver 10.80.0.1 || exit 1
    client "$N" nstack-xdp-2q $t --xdp vn --queues 2 --addr 10.80.0.2/24 --peer 10.80.0.1
    kstop
    kserver 10.81.0.1 || exit 1
    client "$K" nstack-tap $t --tap nstbx --addr 10.81.0.2/24 --peer 10.81.0.1
    kstop
  done
done

# The median of each case (by value); per CPU second = value * wall / cpu.
mkdir -p "$(dirname "$OUTCSV")"
awk -f "$HERE/scripts/bench-median.awk" "$ALL" | sort >"$OUTCSV"
printf '%-16s %-5s %12s %-26s %8s %8s %14s\n' impl test value unit cpu_s wall_s per_cpu_second
awk -F, '{ per = ($8 > 0) ? $5 * $9 / $8 : 0
  printf "%-16s %-5s %12.3f %-26s %8.2f %8.2f %14.3f\n", $3, $2, $5, $6, $8, $9, per }' "$OUTCSV"
grep -h "FAILED" "$log"/*.log >&2 && failed=1
exit "$failed"
