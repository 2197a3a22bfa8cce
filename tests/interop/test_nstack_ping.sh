#!/usr/bin/env bash
# nstack pings Linux over a TAP: every request answered, in the form of
# iputils ping; big (fragmented) requests too; an address nobody has gets no
# answer and exit code 1; Linux's answers reach nstack's capture intact.
# Usage: test_nstack_ping.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env tshark
ns_up
# Every run is bounded: -c and -W bound nstack ping; timeout is the backstop.
tping() { timeout 30 ip netns exec "$NS" "$NSTACK" ping --tap "$TAP" --addr "$NADDR/24" "$@"; }

tping -c 3 -i 0.2 --pcap "$OUT/ping.pcap" "$KADDR" > "$OUT/ping.txt" 2>&1; rc=$?
check "nstack ping exits 0" test $rc -eq 0
check "header like ping's" has "$OUT/ping.txt" "^PING $KADDR \($KADDR\) 56\(84\) bytes of data\.$"
for seq in 1 2 3; do
  check "reply icmp_seq=$seq from Linux, ttl 64" has "$OUT/ping.txt" "^64 bytes from $KADDR: icmp_seq=$seq ttl=64 time=[0-9.]+ ms$"
done
# nstack waits for the kernel's side of a new TAP to run before it sends: a
# first request sent earlier would wait a second for ARP (the kernel drops
# what it sends before its carrier is on).
check "the first reply is not held up by a sleeping link" has "$OUT/ping.txt" "icmp_seq=1 ttl=64 time=[0-9]{1,2}\.[0-9]+ ms$"
check "3 sent, 3 answered" has "$OUT/ping.txt" '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$'
check "rtt summary" has "$OUT/ping.txt" '^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$'
count() { tshark -n -r "$OUT/ping.pcap" -Y "$1" 2>/dev/null | wc -l; }
check "capture: 3 requests, 3 replies" test "$(count 'icmp.type == 8')/$(count 'icmp.type == 0')" = 3/3
check "capture is clean" "$CHECK_PCAP" "$OUT/ping.pcap"

# 2000 bytes: nstack fragments its request, Linux reassembles and fragments
# the reply, nstack reassembles it.
tping -c 2 -i 0.2 -s 2000 "$KADDR" > "$OUT/ping-big.txt" 2>&1
check "ping -s 2000 (fragmented): 2 answered" has "$OUT/ping-big.txt" '^2 packets transmitted, 2 received, 0% packet loss'
check "reply of 2008 bytes" has "$OUT/ping-big.txt" "^2008 bytes from $KADDR: icmp_seq=2 ttl=64"

# An address of the subnet nobody has: ARP fails, no reply, exit code 1.
tping -c 2 -i 0.2 -W 1 10.77.0.99 > "$OUT/ping-nobody.txt" 2>&1; rc=$?
check "no answer from 10.77.0.99: exit 1" test $rc -eq 1
check "2 sent, 0 received" has "$OUT/ping-nobody.txt" '^2 packets transmitted, 0 received, 100% packet loss'

# Bad arguments: exit 2 and a message, before touching any device.
for args in "--tap $TAP $KADDR" "--tap $TAP --addr 10.77.0.2 $KADDR" "--tap $TAP --addr $NADDR/24" \
            "--tap $TAP --addr $NADDR/24 --loss 2 $KADDR" "--tap $TAP --addr $NADDR/24 london" \
            "--tap a-name-far-too-long --addr $NADDR/24 $KADDR"; do
  ip netns exec "$NS" "$NSTACK" ping $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack ping $args' is refused with exit 2" test $rc -eq 2
done
check "'nstack ping --tap X --help'" bash -c "'$NSTACK' ping --tap X --help | grep -q 'usage: nstack ping --tap'"
finish
