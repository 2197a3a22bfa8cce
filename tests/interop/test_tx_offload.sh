#!/usr/bin/env bash
# nstack's data segments leave through the TAP in pieces (one writev: vnet
# header, headers, payload straight from the send ring) with their TCP
# checksum left to the kernel (virtio NEEDS_CSUM), and new data in TSO
# frames of up to 64 KB that the kernel cuts into segments (GSO_TCPV4). Delivered locally the
# kernel trusts such a checksum unchecked, so this test makes the kernel
# finish it for real: it routes nstack's segments on to a second namespace
# over a veth whose transmit checksumming is off, so the kernel computes
# every checksum in software from nstack's csum_start/csum_offset before the
# frame leaves; the far end then verifies them as any receiver does, and
# tshark checks every one in a capture taken there, none larger than the
# MSS (the kernel cut the TSO frames by nstack's gso_size). 1 MiB of RFC 864's
# pattern must arrive intact, no segment may be retransmitted, and nstack
# must report the checksums it left to the kernel.
# Usage: test_tx_offload.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 tshark ethtool
ns_up

# The far host: its own namespace, reached through the first one (a router).
FAR_NS="${NS:0:34}-far"
FAR_ADDR=10.78.0.2
ip netns add "$FAR_NS" || skip "cannot create a second namespace"
trap 'cleanup; ip netns del "$FAR_NS" 2>/dev/null' EXIT
ip -n "$NS" link add veth-r type veth peer name veth-f netns "$FAR_NS"
ip -n "$NS" addr add 10.78.0.1/24 dev veth-r
ip -n "$FAR_NS" addr add "$FAR_ADDR/24" dev veth-f
ip -n "$NS" link set veth-r up
ip -n "$FAR_NS" link set lo up
ip -n "$FAR_NS" link set veth-f up
ip -n "$FAR_NS" route add default via 10.78.0.1
ip netns exec "$FAR_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
nsx sysctl -qw net.ipv4.ip_forward=1
# No checksum offload on the router's way out: the kernel must finish them.
nsx ethtool -K veth-r tx off > "$OUT/ethtool.txt" 2>&1
check "the router's veth computes checksums in software" has <(nsx ethtool -k veth-r) '^tx-checksumming: off'

ip netns exec "$FAR_NS" tshark -n -i veth-f -a duration:60 -w "$OUT/far.pcapng" > "$OUT/tshark.txt" 2>&1 &
TSHARK_PID=$!
STARTED_PIDS+=("$TSHARK_PID")
wait_for "$OUT/tshark.txt" "Capturing on" 10
start_serve serve --gw "$KADDR" --source 19 || exit 1

chargen_check "$FAR_NS" "$NADDR" 19 > "$OUT/client.txt" 2>&1
check "1 MiB of the pattern crossed the router intact" has "$OUT/client.txt" '^source 1048576 pattern$'
sleep 0.3
stop_pid "$TSHARK_PID"
stop_serve

left=$(sed -nE 's/.* ([0-9]+) checksums left to the kernel, .*/\1/p' "$OUT/serve.txt")
tso=$(sed -nE 's/.* ([0-9]+) TSO frames \(([0-9]+) segments\)$/\1 \2/p' "$OUT/serve.txt")
check "nstack left checksums to the kernel (${left:-none})" test "${left:-0}" -ge 100
check "nstack sent TSO frames the kernel cut (${tso:-none}: frames, segments)" test "${tso%% *}" -ge 10 -a "${tso##* }" -ge 700
check "no segment retransmitted" test "$(tcp_stat "$OUT/serve.txt" retransmitted)" = 0
verdict() {
  tshark -n -r "$OUT/far.pcapng" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y "ip.src == $NADDR && tcp.len > 0 && tcp.checksum.status == $1" 2>/dev/null | wc -l
}
good=$(verdict 1) bad=$(verdict 0)
check "far capture: every data segment's checksum good ($good good, $bad bad)" test "$good" -ge 700 -a "$bad" = 0
# The kernel cut nstack's TSO frames into segments of the MSS, no larger.
biggest=$(tshark -n -r "$OUT/far.pcapng" -Y "ip.src == $NADDR" -T fields -e tcp.len 2>/dev/null | sort -n | tail -1)
check "far capture: no segment above the MSS (largest ${biggest:-none})" test "${biggest:-0}" -eq 1448
finish
