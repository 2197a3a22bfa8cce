#!/usr/bin/env bash
# The like-for-like Linux figures (docs/PERFORMANCE.md): the kernel's TCP
# over a veth pair at MTU 1500 with GSO, TSO, GRO and checksum offloads off
# on both ends, so that it cuts 1448-byte segments and sums them in
# software, as nstack and lwIP do on their in-memory link. Run by
# scripts/bench.sh inside `unshare --net`: this namespace holds the client's
# end (10.77.0.1), a child namespace made here the server's (10.77.0.2);
# both exist only while this runs, and the addresses only in them.
#
#   bench-veth.sh NST_BENCH_LINUX ARGS...   (runs it with NST_BENCH_VETH_*)
set -euo pipefail
bin=$1
shift
ip link set lo up
# The server's namespace, held by a process bounded in time and stopped by its PID.
unshare --net -- sleep 1800 &
peer=$!
trap 'kill "$peer" 2>/dev/null; wait "$peer" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  [ "$(readlink "/proc/$peer/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.05
done
ns=/proc/$peer/ns/net
ip link add va mtu 1500 type veth peer name vb mtu 1500 netns "$peer"
ip addr add 10.77.0.1/24 dev va
nsenter --net="$ns" sh -c 'ip link set lo up && ip addr add 10.77.0.2/24 dev vb'
offloads="rx off tx off sg off tso off gso off gro off"
# shellcheck disable=SC2086
ethtool -K va $offloads >/dev/null 2>&1 || true
# shellcheck disable=SC2086
nsenter --net="$ns" ethtool -K vb $offloads >/dev/null 2>&1 || true
# What is off must be off: the figure is only like for like then.
for check in "ethtool -k va" "nsenter --net=$ns ethtool -k vb"; do
  if $check | grep -E '^(tx-checksumming|rx-checksumming|generic-segmentation-offload|generic-receive-offload|tcp-segmentation-offload): on' >&2; then
    echo "bench-veth: an offload stayed on (above): no like-for-like figure" >&2
    exit 1
  fi
done
ip link set va up
nsenter --net="$ns" ip link set vb up
for _ in $(seq 50); do ip link show va | grep -q 'state UP' && break; sleep 0.1; done
rc=0
NST_BENCH_VETH_NETNS=$ns NST_BENCH_VETH_ADDR=10.77.0.2 timeout 1200 "$bin" "$@" || rc=$?
exit "$rc"
