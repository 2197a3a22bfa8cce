#!/usr/bin/env bash
# One nstack per queue over AF_XDP (--queues 2), flows steered by RSS.
# A veth pair with 2 queues each way; the kernel peer's side plays the NIC's
# receive hashing with a tc program (rss_steer.bpf.c: Toeplitz, default key,
# Linux's default indirection table; non-IP to ARP_QUEUE, as an ethtool
# ntuple rule would). The expected queue of every connection comes from a
# third, independent Toeplitz (Python, below).
#   1. nstack serve --queues 2 --sink-sha256: 8 Linux clients from chosen
#      source ports, 2 MB each. Each stack accepted exactly the connections
#      the oracle sends to its queue (ports chosen for an uneven split: 5 and
#      3), every stream arrived whole (SHA-256), no stack sent
#      a reset (a segment reaching the wrong stack would draw one), and ping
#      answers (the ARP reply reaches every stack: src/link/xdp.c copies it).
#      Their control sockets (--control PATH: PATH.0, PATH.1) answer as one:
#      netstat -s sums (rx_frames = the two stacks' own), ss lists both
#      listeners under one header.
#   2. nstack connect --xdp vn:1 --queues 2, 6 times: the stack on queue 1
#      picks ephemeral ports whose replies hash back to queue 1 (the oracle
#      agrees for every port), so every connection completes and moves its
#      stream; the NIC sends ARP to queue 1 here (ARP_QUEUE=1).
# Usage: test_xdp_queues.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 socat openssl ethtool ping clang tc
veth_up 2

# The NIC's hashing, on vk's way out: steer ARP_QUEUE
steer() {
  clang -O2 -target bpf -DNQUEUES=2 -DARP_QUEUE="$1" -I"/usr/include/$(gcc -print-multiarch)" \
    -c "$HERE/rss_steer.bpf.c" -o "$OUT/rss_steer.o" || skip "clang cannot build the tc program"
  ip netns exec "$NS" tc qdisc replace dev vk clsact
  ip netns exec "$NS" tc filter del dev vk egress 2>/dev/null
  ip netns exec "$NS" tc filter add dev vk egress bpf da obj "$OUT/rss_steer.o" sec tc ||
    skip "cannot attach the tc program"
}

# queue_of SRC DST SPORT DPORT: the oracle (the specification's algorithm).
queue_of() {
  python3 - "$@" <<'PY'
import sys, ipaddress
key = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa")
src, dst, sp, dp = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed + sp.to_bytes(2, "big") + dp.to_bytes(2, "big")
k = int.from_bytes(key, "big"); h = 0
for i in range(len(data) * 8):
    if data[i // 8] >> (7 - i % 8) & 1:
        h ^= (k >> (len(key) * 8 - 32 - i)) & 0xffffffff
print(h % 128 % 2)
PY
}

steer 0
SIZE=2M
want=$(gen_sha "$SIZE")
bytes=$(numfmt --from=iec "$SIZE")
PORTS="41000 41001 41002 41003 41004 41005 41006 41009" # 5 to queue 0, 3 to queue 1
expect=(0 0)
for p in $PORTS; do
  q=$(queue_of "$KADDR" "$NADDR" "$p" 9)
  expect[$q]=$((expect[q] + 1))
done
echo "    the oracle sends ${expect[0]} of the 8 connections to queue 0, ${expect[1]} to queue 1"

# 1. Connections from outside: each stays with the stack of its queue.
start_serve serve --queues 2 --sink-sha256 9 --control "$OUT/ctl" || exit 1
for p in $PORTS; do
  gen "$SIZE" | timeout 30 ip netns exec "$NS" socat -u - "TCP:$NADDR:9,sourceport=$p" 2>> "$OUT/socat.txt"
done
check "Linux pings the stacks: 3/3" test "$(ip netns exec "$NS" ping -c 3 -i 0.1 -W 1 "$NADDR" | grep -c ' bytes from ')" -eq 3
wait_for "$OUT/serve.txt" "sink-sha256 from $KADDR:41009:" 20
# The control sockets, one per stack (ctl.0, ctl.1), asked as one.
rx_frames() { sed -nE 's/^ +([0-9]+) frames received \[rx_frames\]$/\1/p' "$1"; }
"$NSTACK" netstat -s --control "$OUT/ctl" > "$OUT/netstat.txt" 2>&1
for q in 0 1; do "$NSTACK" netstat -s --control "$OUT/ctl.$q" > "$OUT/netstat-$q.txt" 2>&1; done
"$NSTACK" ss -tan --control "$OUT/ctl" > "$OUT/ss.txt" 2>&1
check "netstat -s --control merges both stacks: rx_frames $(rx_frames "$OUT/netstat.txt") = $(rx_frames "$OUT/netstat-0.txt") + $(rx_frames "$OUT/netstat-1.txt")" \
  test "$(rx_frames "$OUT/netstat.txt")" -eq $(($(rx_frames "$OUT/netstat-0.txt") + $(rx_frames "$OUT/netstat-1.txt")))
check "ss --control lists both stacks' listeners under one header" \
  test "$(grep -c '^LISTEN .*0.0.0.0:9 ' "$OUT/ss.txt")/$(grep -c '^State ' "$OUT/ss.txt")" = 2/1
stop_serve
check "8 streams of $bytes bytes arrived, each with the stream's sha256" \
  test "$(grep -cE "^sink-sha256 from $KADDR:410[0-9][0-9]: $bytes bytes in .* sha256 $want$" "$OUT/serve.txt")" -eq 8
conns() { sed -n "/^--- stack $1 /,/^--- /p" "$OUT/serve.txt" | sed -nE 's/^sink-sha256: ([0-9]+) connections.*/\1/p'; }
resets() { sed -n "/^--- stack $1 /,/^--- all/p" "$OUT/serve.txt" | sed -nE 's/^tcp: .* ([0-9]+) resets out.*/\1/p' | head -1; }
for q in 0 1; do
  check "stack $q accepted the ${expect[$q]} connections hashed to queue $q (got $(conns $q))" test "$(conns $q)" = "${expect[$q]}"
  check "stack $q sent no reset" test "$(resets $q)" = 0
done
check "the merged counters: 8 connections" has "$OUT/serve.txt" '^total sink-sha256: 8 connections'
check "ARP was copied between the stacks" has "$OUT/serve.txt" '^arp between stacks: [1-9][0-9]* copied to the others'

# 2. Connections from nstack's stack on queue 1: its ports bring the replies home.
steer 1
ok=0 home=0
for i in 1 2 3 4 5 6; do
  start_listener "server-$i" $((5000 + i)) recv || exit 1
  gen 1M | timeout 30 ip netns exec "$NSTACK_NS" "$NSTACK" connect --xdp vn:1 --queues 2 --addr "$NADDR/24" \
    --send-file - "$KADDR:$((5000 + i))" > "$OUT/connect-$i.txt" 2>&1
  rc=${PIPESTATUS[1]}
  wait_exit "$BG_PID" 10
  [ "$rc" -eq 0 ] && [ "$(got "$OUT/server-$i.txt" received)" = "1048576/$(gen_sha 1M)" ] && ok=$((ok + 1))
  lport=$(sed -nE 's/^nstack connect: connected to .* from [0-9.]+:([0-9]+) in .*/\1/p' "$OUT/connect-$i.txt")
  [ -n "$lport" ] && [ "$(queue_of "$KADDR" "$NADDR" $((5000 + i)) "$lport")" = 1 ] && home=$((home + 1))
done
check "6 of 6 connections from queue 1's stack moved their stream whole" test $ok -eq 6
check "6 of 6 chose a port the oracle hashes to queue 1" test $home -eq 6
finish
