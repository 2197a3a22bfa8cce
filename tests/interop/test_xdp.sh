#!/usr/bin/env bash
# nstack over AF_XDP (--xdp) against the Linux kernel across a veth pair.
# Two namespaces (lib.sh's veth_up): the kernel peer's (NS: vk, KADDR) and
# nstack's (NSTACK_NS: vn, where the kernel keeps an address of its own,
# XADDR, beside nstack's NADDR).
# The XDP program takes only nstack's frames, so while nstack runs:
#   - ping both ways (Linux -> nstack, nstack ping -> Linux), and the
#     kernel's own XADDR on the same interface still answers (XDP_PASS);
#   - TCP bulk each way (BYTES, default 1G; NST_BULK_BYTES too) with equal
#     SHA-256 on both ends: socat -> serve --sink-sha256, nstack connect
#     --send-file -> a Linux server, a Linux server -> nstack connect --recv;
#   - the same under 2% loss each way in the driver's impairment (20 MB):
#     the bytes still equal, the driver counted losses, TCP retransmitted;
#   - after nstack exits: no XDP program left on vn, XADDR answers, NADDR
#     does not, and a new nstack attaches again.
# The kernel peer's veth has its transmit checksum offload off (ethtool -K
# vk tx off): on a wire, checksums are complete; across a veth the kernel
# would hand AF_XDP TCP segments whose checksum it left for a NIC to finish.
# Usage: test_xdp.sh NSTACK OUTDIR [BYTES]
source "$(dirname "$0")/lib.sh"
require_env python3 socat openssl ethtool ping nstat
SIZE=${3:-${NST_BULK_BYTES:-1G}}
LOSSY=20M
xdp_attached() { ip -n "$NSTACK_NS" link show vn | grep -q 'prog/xdp'; }
pings() { ip netns exec "$NS" ping -c "$2" -i 0.05 -W 1 "$1" 2>&1 | grep -c ' bytes from '; }

veth_up
want=$(gen_sha "$SIZE")
bytes=$(numfmt --from=iec "$SIZE")
echo "    stream: $bytes bytes, sha256 $want"

# 1. Pings, and the kernel's own address on the same interface.
start_serve ping || exit 1
if ! xdp_attached; then skip "the XDP program did not attach"; fi
check "Linux pings nstack over AF_XDP: 5/5" test "$(pings "$NADDR" 5)" -eq 5
check "the kernel's own $XADDR on vn still answers: 5/5" test "$(pings "$XADDR" 5)" -eq 5
stop_serve
check "serve says AF_XDP in copy mode (veth has no zero-copy)" has "$OUT/ping.txt" 'statistics \(AF_XDP, copy mode, XDP native\)'
timeout 30 ip netns exec "$NSTACK_NS" "$NSTACK" ping --xdp vn --addr "$NADDR/24" -c 3 -i 0.1 "$KADDR" > "$OUT/nstack-ping.txt" 2>&1
check "nstack ping --xdp: 3/3 replies" has "$OUT/nstack-ping.txt" '^3 packets transmitted, 3 received, 0% packet loss'

# 2. Bulk, each way, clean.
start_serve sink --sink-sha256 9 || exit 1
gen "$SIZE" | timeout 120 ip netns exec "$NS" socat -u - "TCP:$NADDR:9" 2> "$OUT/socat.txt"
rc=$?
wait_for "$OUT/sink.txt" '^sink-sha256 from ' 30
stop_serve
check "socat sent the stream (exit $rc)" test $rc -eq 0
check "sink: $bytes bytes, the stream's sha256" test "$(got "$OUT/sink.txt" 'sink-sha256 from [0-9.:]+')" = "$bytes/$want"
throughput "Linux socat -> nstack sink (AF_XDP)" "$OUT/sink.txt" 'sink-sha256 from [0-9.:]+'

start_listener server-recv 5001 recv || exit 1
gen "$SIZE" | nconnect send 180 --send-file - "$KADDR:5001"
rc=${PIPESTATUS[1]}
wait_exit "$BG_PID" 30
check "nstack connect --send-file: exit 0 (got $rc)" test "$rc" -eq 0
check "nstack reports $bytes bytes sent, the stream's sha256" test "$(got "$OUT/send.txt" sent)" = "$bytes/$want"
check "Linux received the same bytes" test "$(got "$OUT/server-recv.txt" received)" = "$bytes/$want"
throughput "nstack connect --send -> Linux (AF_XDP)" "$OUT/send.txt" sent

bg_fed server-send "$SIZE" python3 "$PEER" listen 5002 send
wait_for "$OUT/server-send.txt" '^peer: listening$' || cat "$OUT/server-send.txt"
nconnect recv 180 --recv "$KADDR:5002"
rc=$?
wait_exit "$BG_PID" 30
check "nstack connect --recv: exit 0 (got $rc)" test "$rc" -eq 0
check "nstack reports $bytes bytes received, the stream's sha256" test "$(got "$OUT/recv.txt" received)" = "$bytes/$want"
check "Linux sent the same bytes" test "$(got "$OUT/server-send.txt" sent)" = "$bytes/$want"
throughput "Linux -> nstack connect --recv (AF_XDP)" "$OUT/recv.txt" received

# 3. 2% loss each way in the driver: every byte still arrives, in order;
#    Linux retransmits into nstack, nstack retransmits into Linux.
lwant=$(gen_sha "$LOSSY")
lbytes=$(numfmt --from=iec "$LOSSY")
kretrans() { ip netns exec "$NS" nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}'; }
k0=$(kretrans)
start_serve lossy --sink-sha256 9 --loss 0.02 --seed 7 || exit 1
gen "$LOSSY" | timeout 120 ip netns exec "$NS" socat -u - "TCP:$NADDR:9" 2> "$OUT/socat-lossy.txt"
wait_for "$OUT/lossy.txt" '^sink-sha256 from ' 60
stop_serve
check "lossy sink: $lbytes bytes, the stream's sha256" test "$(got "$OUT/lossy.txt" 'sink-sha256 from [0-9.:]+')" = "$lbytes/$lwant"
check "the driver lost frames both ways" test "$(serve_stat "$OUT/lossy.txt" rx lost)" -gt 0 -a "$(serve_stat "$OUT/lossy.txt" tx lost)" -gt 0
check "Linux retransmitted into the loss" test "$(kretrans)" -gt "${k0:-0}"
start_listener server-lossy 5003 recv || exit 1
gen "$LOSSY" | nconnect send-lossy 180 --send-file - --loss 0.02 --seed 8 "$KADDR:5003"
rc=${PIPESTATUS[1]}
wait_exit "$BG_PID" 30
check "lossy send: exit 0 (got $rc), Linux got $lbytes bytes, the stream's sha256" \
  test "$(got "$OUT/server-lossy.txt" received)" = "$lbytes/$lwant"
check "nstack retransmitted into the loss" test "$(tcp_stat "$OUT/send-lossy.txt" retransmitted)" -gt 0

# 4. After nstack: the interface is the kernel's alone again.
check "no XDP program left on vn" bash -c "! ip -n $NSTACK_NS link show vn | grep -q prog/xdp"
check "the kernel's $XADDR answers: 3/3" test "$(pings "$XADDR" 3)" -eq 3
check "nstack's $NADDR is gone: 0/2" test "$(pings "$NADDR" 2)" -eq 0
start_serve again || exit 1
check "a new nstack attaches and answers: 3/3" test "$(pings "$NADDR" 3)" -eq 3
stop_serve
finish
