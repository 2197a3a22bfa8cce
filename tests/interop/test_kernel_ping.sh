#!/usr/bin/env bash
# Linux pings nstack over a TAP: every request answered, small and
# fragmented; the kernel learned nstack's MAC by ARP; nstack's capture is
# clean. Usage: test_kernel_ping.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env ping tshark
ns_up
start_serve serve --pcap "$OUT/serve.pcap" || exit 1

nsx ping -c 5 -i 0.2 -W 2 "$NADDR" > "$OUT/ping.txt" 2>&1
check "Linux ping: 5 sent, 5 answered" has "$OUT/ping.txt" '^5 packets transmitted, 5 received, 0% packet loss'
for seq in 1 2 3 4 5; do
  check "reply icmp_seq=$seq, ttl 64" has "$OUT/ping.txt" "^64 bytes from $NADDR: icmp_seq=$seq ttl=64 time="
done
# 3000 bytes of payload: the kernel fragments the request, nstack reassembles
# it and fragments its reply, the kernel reassembles that.
nsx ping -c 2 -i 0.2 -W 2 -s 3000 "$NADDR" > "$OUT/ping-big.txt" 2>&1
check "Linux ping -s 3000 (fragmented): 2 answered" has "$OUT/ping-big.txt" '^2 packets transmitted, 2 received, 0% packet loss'
check "reply of 3008 bytes" has "$OUT/ping-big.txt" "^3008 bytes from $NADDR: icmp_seq=1 ttl=64"
check "the kernel resolved nstack's MAC by ARP" \
  has <(ip -n "$NS" neigh show "$NADDR") "lladdr 02:6e:0a:4d:00:02 (REACHABLE|STALE|DELAY)"
stop_serve
check "serve stopped on SIGTERM" has "$OUT/serve.txt" '^nstack serve: stopped by Terminated'
check "no read or write error" test "$(serve_stat "$OUT/serve.txt" rx errors)/$(serve_stat "$OUT/serve.txt" tx errors)" = 0/0

# nstack's capture: exactly the requests and replies (reassembled by tshark), clean.
count() { tshark -n -r "$OUT/serve.pcap" -Y "$1" 2>/dev/null | wc -l; }
check "capture: 7 echo requests" test "$(count 'icmp.type == 8')" -eq 7
check "capture: 7 echo replies" test "$(count 'icmp.type == 0')" -eq 7
check "capture: one ARP request, one reply" test "$(count 'arp.opcode == 1')/$(count 'arp.opcode == 2')" = 1/1
check "capture is clean" "$CHECK_PCAP" "$OUT/serve.pcap"
finish
