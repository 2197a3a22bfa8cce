#!/usr/bin/env bash
# A tshark capture on the TAP (the kernel's view) and nstack's own capture
# (the driver's view) of the same traffic -- ARP, pings both ways, fragments,
# UDP echo, a port unreachable -- read back by tshark: no malformed packet,
# no bad checksum, and the two captures hold the same frames. serve is
# stopped by two signals at once (SIGINT then SIGTERM, as a Ctrl-C and a
# harness's SIGTERM, or timeout(1)'s signal to the process and again to its
# group): its capture is still whole, with exactly the frames it counted.
# Usage: test_capture.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env ping python3 tshark
ns_up

# tshark on the kernel side of the TAP, bounded to 60 s; wait until it captures.
ip netns exec "$NS" tshark -n -i "$TAP" -a duration:60 -w "$OUT/kernel.pcapng" > "$OUT/tshark.txt" 2>&1 &
TSHARK_PID=$!
STARTED_PIDS+=("$TSHARK_PID")
for i in $(seq 100); do
  grep -q "Capturing on" "$OUT/tshark.txt" && break
  sleep 0.1
done
check "tshark captures on $TAP" has "$OUT/tshark.txt" "Capturing on '$TAP'"

# --no-offload: with the TAP's offloads on (the default), the kernel leaves
# the checksums of what it sends to the device to be finished by the device
# (the driver does it), so tshark on the kernel's side sees them unfinished,
# as on any NIC with checksum offload; this test wants both views complete.
start_serve serve --no-offload --udp-echo 7 --pcap "$OUT/nstack.pcap" || exit 1
nsx ping -c 3 -i 0.2 -W 2 "$NADDR" > "$OUT/ping.txt" 2>&1
nsx ping -c 1 -W 2 -s 2500 "$NADDR" >> "$OUT/ping.txt" 2>&1
timeout 30 ip netns exec "$NS" python3 - "$NADDR" > "$OUT/udp.txt" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for n in (10, 2000):
    s.sendto(b"u" * n, (sys.argv[1], 7))
    print("echo", len(s.recvfrom(65535)[0]))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(3)
c.connect((sys.argv[1], 9))
c.send(b"closed?")
try:
    c.recv(10)
except ConnectionRefusedError:
    print("refused")
PY
check "traffic answered" test "$(grep -c ' received, 0% packet loss' "$OUT/ping.txt")/$(cat "$OUT/udp.txt" | tr '\n' ' ')" = "2/echo 10 echo 2000 refused "
sleep 0.3 # let tshark write the last frames
stop_pid "$TSHARK_PID"
kill -INT "$SERVE_PID"
kill -TERM "$SERVE_PID"
stop_serve
check "serve stopped by the first signal" has "$OUT/serve.txt" '^nstack serve: stopped by Interrupt$'
tshark -n -r "$OUT/nstack.pcap" -T fields -e frame.number > "$OUT/nstack-read.txt" 2> "$OUT/nstack-read.err"
rc=$? # 2 if the file is cut short
check "nstack's capture reads whole (tshark exit 0, not cut short)" \
  test "$rc/$(grep -c 'cut short' "$OUT/nstack-read.err")" = "0/0"
check "nstack's capture holds exactly the $(($(serve_stat "$OUT/serve.txt" tx frames) + $(serve_stat "$OUT/serve.txt" rx frames))) frames serve counted" \
  test "$(wc -l < "$OUT/nstack-read.txt")" -eq $(($(serve_stat "$OUT/serve.txt" tx frames) + $(serve_stat "$OUT/serve.txt" rx frames)))

check "kernel-side capture is clean" "$CHECK_PCAP" "$OUT/kernel.pcapng"
check "nstack's capture is clean" "$CHECK_PCAP" "$OUT/nstack.pcap"
# Same frames, in the same order: compare their lengths and protocols.
frames() { tshark -n -r "$1" -T fields -e frame.len -e _ws.col.Protocol 2>/dev/null; }
frames "$OUT/kernel.pcapng" > "$OUT/kernel-frames.txt"
frames "$OUT/nstack.pcap" > "$OUT/nstack-frames.txt"
check "both captures hold the same $(wc -l < "$OUT/nstack-frames.txt") frames" \
  cmp -s "$OUT/kernel-frames.txt" "$OUT/nstack-frames.txt"
count() { tshark -n -r "$OUT/kernel.pcapng" -Y "$1" 2>/dev/null | wc -l; }
check "kernel side saw 4 echo replies from nstack (one reassembled)" test "$(count "icmp.type == 0 && ip.src == $NADDR")" -eq 4
check "kernel side saw the port unreachable" test "$(count 'icmp.type == 3 && icmp.code == 3')" -eq 1
check "kernel side saw fragments from nstack" test "$(count "ip.src == $NADDR && ip.flags.mf == 1")" -ge 2
finish
