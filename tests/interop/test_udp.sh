#!/usr/bin/env bash
# UDP between Linux and nstack over a TAP: nstack's echo service returns
# every datagram byte for byte (fragmented ones too), and a datagram to a
# closed nstack port brings the kernel an ICMP port unreachable, which its
# socket reports as ECONNREFUSED (Python's, and socat's). nc talks to the
# echo service too. Usage: test_udp.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 tshark nc socat
ns_up
start_serve serve --udp-echo 7 --pcap "$OUT/serve.pcap" || exit 1
check "serve announces the echo service" has "$OUT/serve.txt" "^nstack serve: $NADDR/24 on $TAP .*; udp-echo on port 7$"

# The kernel's side: a Python client, every wait bounded by a socket timeout.
timeout 60 ip netns exec "$NS" python3 - "$NADDR" > "$OUT/client.txt" 2>&1 <<'PY'
import os, socket, sys
addr = sys.argv[1]
# Sizes: tiny, typical, the most one 1500-byte frame carries, and two that
# need fragments both ways.
sizes = [1, 100, 1472, 3000, 8000]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for n in sizes:
    data = os.urandom(n)
    s.sendto(data, (addr, 7))
    try:
        back, peer = s.recvfrom(65535)
        ok = back == data and peer == (addr, 7)
        print(f"echo {n}: {'same bytes' if ok else 'DIFFERENT'}")
    except socket.timeout:
        print(f"echo {n}: no answer")
# A closed port: the ICMP port unreachable makes the connected socket's
# next call fail with ECONNREFUSED (Linux, RFC 1122 4.1.3.3).
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(3)
c.connect((addr, 9))
c.send(b"anyone?")
try:
    c.recv(100)
    print("closed port: got data")
except ConnectionRefusedError:
    print("closed port: ECONNREFUSED")
except socket.timeout:
    print("closed port: no answer")
PY
for n in 1 100 1472 3000 8000; do
  check "echo of $n bytes: same bytes back" has "$OUT/client.txt" "^echo $n: same bytes$"
done
check "closed port: ECONNREFUSED" has "$OUT/client.txt" '^closed port: ECONNREFUSED$'
echo hello | timeout 10 ip netns exec "$NS" nc -u -w 1 "$NADDR" 7 > "$OUT/nc.txt" 2>&1
check "nc -u: hello echoed" test "$(cat "$OUT/nc.txt")" = hello
echo anyone | timeout 10 ip netns exec "$NS" socat -T 2 - "UDP:$NADDR:9" > "$OUT/socat.txt" 2>&1; rc=$?
check "socat to a closed port: Connection refused" test $rc -ne 0 -a -n "$(grep 'Connection refused' "$OUT/socat.txt")"
stop_serve
check "serve counted 6 datagrams, 12579 bytes" has "$OUT/serve.txt" '^udp-echo: 6 datagrams, 12579 bytes echoed$'

count() { tshark -n -r "$OUT/serve.pcap" -Y "$1" 2>/dev/null | wc -l; }
check "capture: two port unreachables, from nstack, quoting port 9" \
  test "$(count "icmp.type == 3 && icmp.code == 3 && ip.src == $NADDR && udp.dstport == 9")" -eq 2
check "capture: 6 datagrams to port 7, 6 from it" \
  test "$(count 'udp.dstport == 7')/$(count 'udp.srcport == 7')" = 6/6
check "capture is clean" "$CHECK_PCAP" "$OUT/serve.pcap"
finish
