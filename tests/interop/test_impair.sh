#!/usr/bin/env bash
# Impairments in nstack's TAP driver (this kernel has no netem), seen by the
# pings on either side: 2% loss shows in Linux ping's statistics and every
# lost echo is one nstack's driver counted; duplication shows as DUP!
# replies; a delay shows in the round trip; loss on nstack's side shows in
# nstack ping's statistics. Usage: test_impair.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env ping tshark
ns_up

# 2% loss each way, seed 1: 100 echoes at 10 ms.
start_serve loss --loss 0.02 --seed 1 --pcap "$OUT/loss.pcap" || exit 1
nsx ping -q -c 100 -i 0.01 -W 1 "$NADDR" > "$OUT/ping-loss.txt" 2>&1
stop_serve
read -r sent got < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$OUT/ping-loss.txt")
lost_tx=$(serve_stat "$OUT/loss.txt" tx lost); lost_rx=$(serve_stat "$OUT/loss.txt" rx lost)
echo "    Linux ping: $sent sent, $got received; nstack's driver lost $lost_rx requests (rx), $lost_tx replies (tx)"
check "100 echo requests sent" test "${sent:-0}" -eq 100
check "ping statistics show loss" test "${got:-100}" -lt 100 -a "${got:-0}" -gt 80
check "the loss line says so" has "$OUT/ping-loss.txt" "^100 packets transmitted, $got received, [1-9][0-9]?% packet loss"
# Each missing echo is a request the driver dropped on its way in or a
# reply dropped on its way out (the ARP exchange came through: it is the
# first frame each way, and seed 1 keeps it).
check "missing echoes = the driver's losses ($lost_rx + $lost_tx)" test $((sent - got)) -eq $((lost_rx + lost_tx))
# The capture is the device's view: every request read, only the replies written.
check "capture: 100 requests, $got replies" \
  test "$(pcap_count "$OUT/loss.pcap" 'icmp.type == 8')/$(pcap_count "$OUT/loss.pcap" 'icmp.type == 0')" = "100/$got"
check "loss capture is clean" "$CHECK_PCAP" "$OUT/loss.pcap"

# Every frame nstack sends, twice: each reply comes back with a DUP!.
start_serve dup --tx-duplicate 1 || exit 1
nsx ping -c 3 -i 0.2 -W 2 "$NADDR" > "$OUT/ping-dup.txt" 2>&1
stop_serve
# ping exits on its third reply, so the third twin may come too late to be
# counted; the first two (200 ms apart) always are.
check "3 received, +2 or +3 duplicates" has "$OUT/ping-dup.txt" '^3 packets transmitted, 3 received, \+[23] duplicates, 0% packet loss'
for seq in 1 2; do
  check "icmp_seq=$seq: a reply, then its DUP!" \
    test "$(grep -cE "^64 bytes from $NADDR: icmp_seq=$seq ttl=64 time=[0-9.]+ ms( \(DUP!\))?$" "$OUT/ping-dup.txt")/$(grep -c "icmp_seq=$seq .*(DUP!)" "$OUT/ping-dup.txt")" = 2/1
done
check "the driver counts 4 duplicated (ARP reply included)" test "$(serve_stat "$OUT/dup.txt" tx duplicated)" -eq 4

# 50 ms each way: no round trip under 100 ms.
start_serve delay --delay 50 || exit 1
nsx ping -c 3 -i 0.2 -W 3 "$NADDR" > "$OUT/ping-delay.txt" 2>&1
stop_serve
min=$(sed -nE 's|^rtt min/avg/max/mdev = ([0-9]+)\..*|\1|p' "$OUT/ping-delay.txt")
check "3 answered through the delay" has "$OUT/ping-delay.txt" '^3 packets transmitted, 3 received, 0% packet loss'
check "min rtt >= 100 ms (got ${min:-none})" test "${min:-0}" -ge 100 -a "${min:-0}" -lt 1000

# Loss on nstack's own side: half of what it receives is dropped. With seed 1
# the first frame it receives, the kernel's ARP reply, gets through (were it
# lost, the requests waiting for it would overflow the ARP queue and the send
# would fail, as a send from a socket would).
timeout 60 ip netns exec "$NS" "$NSTACK" ping --tap "$TAP" --addr "$NADDR/24" --rx-loss 0.5 --seed 1 \
  -c 20 -i 0.01 -W 1 "$KADDR" > "$OUT/nstack-ping-loss.txt" 2>&1
check "nstack ping statistics show loss" \
  has "$OUT/nstack-ping-loss.txt" '^20 packets transmitted, [0-9]+ received, [1-9][0-9]?% packet loss'
finish
