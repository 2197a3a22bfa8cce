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
# pattern must arrive intact, no segment may be retransmitted (but for a
# tail loss probe or a drop the kernel counted on the path), and nstack
# must report the checksums it left to the kernel.
# Then the same over IPv6 (GSO_TCPV6, RFC 8200): nstack connect sends 8 MiB
# through the router to a Linux listener in the far namespace (the kernel
# cuts nstack's TSO frames by gso_size 1428 and finishes every checksum;
# tshark there finds each one good, none above 1428 bytes, and exactly as
# many data segments as nstack says the kernel made of its frames); and a
# Linux client on the router sends 8 MiB into nstack serve --sink-sha256,
# the kernel handing its 64 KB GSO frames over as such (TUN_F_TSO6), cut by
# nstack's TAP driver. Both streams arrive with the SHA-256 they left with.
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

# Frames the kernel dropped on the way through the router: its per-CPU
# backlog queues (/proc/net/softnet_stat's second column, for the whole
# machine) and the veth pair's own drop counters.
path_drops() {
  local n=0 v
  for v in $(awk '{print $2}' /proc/net/softnet_stat); do n=$((n + 16#$v)); done
  for v in $(nsx cat /sys/class/net/veth-r/statistics/{rx,tx}_dropped) \
           $(ip netns exec "$FAR_NS" cat /sys/class/net/veth-f/statistics/{rx,tx}_dropped); do
    n=$((n + v))
  done
  echo "$n"
}

# check_no_retx LABEL FILE DROPS: no segment retransmitted, but for what a
# busy machine makes: a tail loss probe (RFC 8985 7: the ACKs came later
# than 2 SRTT, nothing lost) or a drop the kernel counted on the path.
check_no_retx() {
  local retx tlp
  retx=$(tcp_stat "$2" retransmitted)
  tlp=$(sed -nE 's/^rack: [0-9]+ marked lost, ([0-9]+) tail loss probes, .*/\1/p' "$2")
  check "$1: no segment retransmitted but for a probe or a drop on the path ($retx retransmitted, ${tlp:-no} probes, $3 dropped)" \
    test "${retx:-1}" -le "${tlp:-0}" -o "$3" -gt 0
}

ip netns exec "$FAR_NS" tshark -n -i veth-f -B 64 -a duration:60 -w "$OUT/far.pcapng" > "$OUT/tshark.txt" 2>&1 &
TSHARK_PID=$!
STARTED_PIDS+=("$TSHARK_PID")
wait_for "$OUT/tshark.txt" "Capturing on" 10
drops_before=$(path_drops)
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
check_no_retx IPv4 "$OUT/serve.txt" $(( $(path_drops) - drops_before ))
verdict() {
  tshark -n -r "$OUT/far.pcapng" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y "ip.src == $NADDR && tcp.len > 0 && tcp.checksum.status == $1" 2>/dev/null | wc -l
}
good=$(verdict 1) bad=$(verdict 0)
check "far capture: every data segment's checksum good ($good good, $bad bad)" test "$good" -ge 700 -a "$bad" = 0
# The kernel cut nstack's TSO frames into segments of the MSS, no larger.
biggest=$(tshark -n -r "$OUT/far.pcapng" -Y "ip.src == $NADDR" -T fields -e tcp.len 2>/dev/null | sort -n | tail -1)
check "far capture: no segment above the MSS (largest ${biggest:-none})" test "${biggest:-0}" -eq 1448

# ---- IPv6: GSO_TCPV6 out, TUN_F_TSO6 in -----------------------------------------
require_ipv6_cli
KADDR6=2001:db8:77::1
NADDR6=2001:db8:77::2
FAR6=2001:db8:78::2
SIZE6=8M
bytes6=$(numfmt --from=iec "$SIZE6"); want6=$(gen_sha "$SIZE6")
ipv6_up "$KADDR6/64"
nsx sysctl -qw net.ipv6.conf.veth-r.disable_ipv6=0 net.ipv6.conf.all.forwarding=1
ip -n "$NS" -6 addr add 2001:db8:78::1/64 dev veth-r nodad
ip netns exec "$FAR_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.veth-f.disable_ipv6=0
ip -n "$FAR_NS" -6 addr add "$FAR6/64" dev veth-f nodad
ip -n "$FAR_NS" -6 route add default via 2001:db8:78::1

ip netns exec "$FAR_NS" tshark -n -i veth-f -B 64 -f "ip6 and tcp" -a duration:60 -w "$OUT/far6.pcapng" \
  > "$OUT/tshark6.txt" 2>&1 &
TSHARK_PID=$!
STARTED_PIDS+=("$TSHARK_PID")
wait_for "$OUT/tshark6.txt" "Capturing on" 10
ip netns exec "$FAR_NS" python3 "$PEER" listen 5001 recv --ipv6 > "$OUT/far-server.txt" 2>&1 &
STARTED_PIDS+=("$!")
wait_for "$OUT/far-server.txt" '^peer: listening$'
# The router resolves the far host before the SYN comes (else the SYN
# waits in its neighbour queue, a second when the first solicitation
# goes unanswered while the far side's IPv6 is still starting).
nsx ping -6 -c 1 -W 3 "$FAR6" > "$OUT/prime6.txt" 2>&1 || true
drops6_before=$(path_drops)
gen "$SIZE6" | nconnect send6 60 --addr6 "$NADDR6/64" --gw6 "$KADDR6" --send-file - "[$FAR6]:5001"
rc=${PIPESTATUS[1]}
wait_for "$OUT/far-server.txt" '^peer: received ' 10
check "IPv6: nstack connect through the router, exit 0 (got $rc)" test "$rc" -eq 0
check "IPv6: nstack sent $bytes6 bytes, the stream's sha256" test "$(got "$OUT/send6.txt" sent)" = "$bytes6/$want6"
check "IPv6: the far Linux host received the same" test "$(got "$OUT/far-server.txt" received)" = "$bytes6/$want6"
sleep 0.3
stop_pid "$TSHARK_PID"
throughput "nstack -> far Linux over IPv6 (TSO)" "$OUT/send6.txt" sent

# offloads line: "... N checksums left to the kernel, F TSO frames (S segments)"
read -r left6 tso6 segs6 <<< "$(sed -nE 's/.* ([0-9]+) checksums left to the kernel, ([0-9]+) TSO frames \(([0-9]+) segments\)$/\1 \2 \3/p' "$OUT/send6.txt")"
check "IPv6: nstack sent TSO frames the kernel cut (${tso6:-none} frames, ${segs6:-none} segments)" \
  test "${tso6:-0}" -ge 10 -a "${segs6:-0}" -ge $((bytes6 / 1428 / 2))
# 8 MiB in 64 KB bursts can overflow a kernel queue on the way (the
# per-CPU backlog the TAP and veth frames wait in, 1000 by default) when
# the machine is busy: then nstack must retransmit. What this checks is
# that nstack's frames were never the cause.
check_no_retx IPv6 "$OUT/send6.txt" $(( $(path_drops) - drops6_before ))
verdict6() {
  tshark -n -r "$OUT/far6.pcapng" -o tcp.check_checksum:TRUE \
    -Y "ipv6.src == $NADDR6 && tcp.len > 0 && tcp.checksum.status == $1" 2>/dev/null | wc -l
}
good6=$(verdict6 1) bad6=$(verdict6 0)
# A capture on a busy machine can miss frames: a 64 MiB buffer makes that
# rare, and tshark says so when it happens; then the counts are floors.
cap_drops6=$(sed -nE 's/^([0-9]+) packets? dropped.*/\1/p' "$OUT/tshark6.txt" | head -1)
cap_drops6=${cap_drops6:-0}
check "IPv6 far capture: every data segment's checksum good ($good6 good, $bad6 bad, $cap_drops6 not captured)" \
  test $((good6 + cap_drops6)) -ge $((bytes6 / 1428)) -a "$bad6" = 0
biggest6=$(tshark -n -r "$OUT/far6.pcapng" -Y "ipv6.src == $NADDR6" -T fields -e tcp.len 2>/dev/null | sort -n | tail -1)
check "IPv6 far capture: no segment above gso_size 1428 (largest ${biggest6:-none})" test "${biggest6:-0}" -eq 1428
# Every data segment the far host saw is one the kernel cut from a TSO frame
# (segments) or one nstack sent alone with its checksum left to the kernel
# (the checksums left, less the TSO frames among them).
if [ "$cap_drops6" -gt 0 ]; then
  check "IPv6: the far host saw no more segments than nstack counted ($good6 <= $segs6 + $left6 - $tso6; the capture dropped $cap_drops6)" \
    test "$good6" -le $((segs6 + left6 - tso6))
else
  check "IPv6: the far host saw exactly the segments nstack counted ($good6 = $segs6 + $left6 - $tso6)" \
    test "$good6" -eq $((segs6 + left6 - tso6))
fi

start_serve sink6 --addr6 "$NADDR6/64" --sink-sha256 9 || exit 1
for i in $(seq 30); do nsx ping -6 -c 1 -W 1 "$NADDR6" > /dev/null 2>&1 && break; sleep 0.2; done
bg_fed sink6-client "$SIZE6" python3 "$PEER" connect "[$NADDR6]:9" send --timeout 60
wait_exit "$BG_PID" 60
wait_for "$OUT/sink6.txt" '^sink-sha256 from ' 10
stop_serve
check "IPv6: the Linux client sent $bytes6 bytes" test "$(got "$OUT/sink6-client.txt" sent)" = "$bytes6/$want6"
check "IPv6: nstack's sink got them, the same sha256" \
  test "$(got "$OUT/sink6.txt" "sink-sha256 from \[$KADDR6\]:[0-9]+")" = "$bytes6/$want6"
throughput "Linux -> nstack over IPv6 (GSO frames in)" "$OUT/sink6.txt" "sink-sha256 from \[$KADDR6\]:[0-9]+"
# offloads line: "offloads: F GSO frames cut into S segments, C checksums finished, R refused; ..."
read -r gin6 gsegs6 refused6 <<< "$(sed -nE 's/^offloads: ([0-9]+) GSO frames cut into ([0-9]+) segments, [0-9]+ checksums finished, ([0-9]+) refused;.*/\1 \2 \3/p' "$OUT/sink6.txt")"
check "IPv6: the kernel handed over GSO frames, cut here (${gin6:-none} frames, ${gsegs6:-none} segments)" \
  test "${gin6:-0}" -ge 10 -a "${gsegs6:-0}" -gt $((2 * ${gin6:-0}))
check "IPv6: no vnet header refused" test "${refused6:-x}" = 0
finish
