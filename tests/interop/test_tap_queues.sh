#!/usr/bin/env bash
# One nstack per queue of a multi-queue TAP (serve --tap --queues 2): the
# device is opened twice (IFF_MULTI_QUEUE), a stack and a thread per queue.
# The kernel picks a flow's queue by its hash (or the queue it last heard the
# flow from), so every connection must stay with the stack that got its SYN:
#   - 16 Linux clients (distinct source ports) send 2 MB each: 16 streams
#     whole (SHA-256), no stack sent or got a reset (a segment on the wrong
#     stack draws one), both stacks served some (the hash split 16 flows
#     over 2 queues: all on one has odds of 2 in 65,536), the merged total
#     says 16;
#   - a connection idle for 4 s (longer than the tun driver's flow-table
#     memory, 3 s) then sending again still reaches its stack: its bytes
#     arrive whole, no reset;
#   - ping answers (the ARP reply reaches the stack that asked: the TAPs of
#     the device copy ARP to each other);
#   - --pcap FILE: a capture per stack (FILE.0, FILE.1), each read whole by
#     tshark with exactly the frames its stack counted (one file written by
#     both stacks would have each overwrite the other's records).
# Usage: test_tap_queues.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 socat openssl ping
NS="nstit-tapq-$$"
rm -rf "$OUT"; mkdir -p "$OUT"
ip netns add "$NS" || { NS=""; skip "cannot create a network namespace"; }
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" tuntap add dev "$TAP" mode tap multi_queue || skip "cannot create a multi-queue TAP"
ip -n "$NS" addr add "$KADDR/24" dev "$TAP"
ip -n "$NS" link set "$TAP" up

SIZE=2M
want=$(gen_sha "$SIZE")
bytes=$(numfmt --from=iec "$SIZE")
start_serve serve --queues 2 --sink-sha256 9 --pcap "$OUT/q.pcap" || exit 1
for p in $(seq 42000 42015); do
  gen "$SIZE" | timeout 30 ip netns exec "$NS" socat -u - "TCP:$NADDR:9,sourceport=$p" 2>> "$OUT/socat.txt"
done
# The idle connection: 1000 bytes, 4 s of silence, 1000 more.
timeout 30 ip netns exec "$NS" python3 - "$NADDR" <<'PY' > "$OUT/idle.txt" 2>&1
import socket, sys, time
s = socket.create_connection((sys.argv[1], 9), timeout=10)
s.sendall(b"a" * 1000)
time.sleep(4)
s.sendall(b"b" * 1000)
s.close()
print("idle client done")
PY
check "Linux pings the stacks: 3/3" test "$(ip netns exec "$NS" ping -c 3 -i 0.1 -W 1 "$NADDR" | grep -c ' bytes from ')" -eq 3
wait_for "$OUT/serve.txt" "sink-sha256 from $KADDR:[0-9]+: 2000 bytes" 10
stop_serve
check "16 streams of $bytes bytes arrived, each with the stream's sha256" \
  test "$(grep -cE "^sink-sha256 from $KADDR:420[0-9][0-9]: $bytes bytes in .* sha256 $want$" "$OUT/serve.txt")" -eq 16
idle_sha=$(python3 -c 'import hashlib; print(hashlib.sha256(b"a" * 1000 + b"b" * 1000).hexdigest())')
check "the idle connection's 2000 bytes arrived after 4 s of silence" \
  has "$OUT/serve.txt" "^sink-sha256 from $KADDR:[0-9]+: 2000 bytes in .* sha256 $idle_sha$"
conns() { sed -n "/^--- stack $1 /,/^--- /p" "$OUT/serve.txt" | sed -nE 's/^sink-sha256: ([0-9]+) connections.*/\1/p'; }
resets() { sed -n "/^--- stack $1 /,/^--- all/p" "$OUT/serve.txt" | sed -nE 's/^tcp: .* ([0-9]+) resets out, ([0-9]+) in$/\1 \2/p' | head -1; }
for q in 0 1; do
  check "stack $q served some of the connections (got $(conns $q))" test "$(conns $q)" -gt 0
  check "stack $q sent and got no reset" test "$(resets $q)" = "0 0"
done
# The frames stack Q says it captured.
captured() { sed -n "/^--- stack $1 /,/^--- all/p" "$OUT/serve.txt" | sed -nE 's/^capture: ([0-9]+) frames$/\1/p' | head -1; }
for q in 0 1; do
  tshark -n -r "$OUT/q.pcap.$q" -T fields -e frame.number > "$OUT/q$q-read.txt" 2> /dev/null
  rc=$? # tshark's exit status: 2 if the file is cut short
  check "stack $q's capture reads whole with exactly the $(captured $q) frames it wrote" \
    test "$rc/$(wc -l < "$OUT/q$q-read.txt")" = "0/$(captured $q)"
done
check "the merged counters: 17 connections" has "$OUT/serve.txt" '^total sink-sha256: 17 connections'
check "ARP was copied between the stacks" has "$OUT/serve.txt" '^arp between stacks: [1-9][0-9]* copied to the others'
finish
