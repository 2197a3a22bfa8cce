#!/usr/bin/env bash
# Bulk TCP between Linux and nstack through 2% loss and 2% reordering, both
# directions, injected in nstack's TAP driver -- the transfers of
# test_tcp_bulk.sh, the one nstack sends smaller (see SIZES):
#   - a Linux client into nstack serve --sink-sha256 (1 GiB);
#   - nstack connect --send-file into a Linux server (64 MiB);
#   - a Linux server into nstack connect --recv (1 GiB).
# Both ends report the stream's SHA-256; the sender repaired the losses:
# nstack's retransmission counters (its "connection:" and "tcp:" lines) when
# nstack sends, the kernel's `ss -ti` retrans count when the kernel sends
# (a receiver only ACKs: its own count stays 0, and is printed).
# Each run's first frames are captured and read back clean.
# Usage: test_tcp_lossy.sh NSTACK OUTDIR
#
# SIZES. The kernel sends with SACK, RACK and TLP and gets ~300 Mbit/s
# through this loss (1 GiB in ~30 s under ASan). nstack's sender (SACK
# recovery, no RACK-TLP yet) leaves lost retransmissions and tail losses to
# its 200 ms RTO: ~20-30 Mbit/s, so 1 GiB would take ~6 minutes; it sends
# 64 MiB (~25 s). NST_LOSSY_KERNEL_BYTES and NST_LOSSY_NSTACK_BYTES change them.
source "$(dirname "$0")/lib.sh"
require_env python3 openssl tshark ss
ns_up
KSIZE=${NST_LOSSY_KERNEL_BYTES:-1G}
NSIZE=${NST_LOSSY_NSTACK_BYTES:-64M}
IMPAIR=(--loss 0.02 --reorder 0.02 --seed 7)
SLICE=4000
kbytes=$(numfmt --from=iec "$KSIZE"); kwant=$(gen_sha "$KSIZE")
nbytes=$(numfmt --from=iec "$NSIZE"); nwant=$(gen_sha "$NSIZE")

# "BYTES/SHA" as FILE reports them for WHAT.
peer_retrans() { sed -n 's/^peer: retrans //p' "$1"; }
conn_retrans() { sed -nE 's/^connection: .*; ([0-9]+) retransmitted .*/\1/p' "$1"; }
impaired() { # impaired FILE: the driver lost and reordered frames both ways
  local d
  for d in tx rx; do
    [ "$(serve_stat "$1" $d lost)" -gt 0 ] && [ "$(serve_stat "$1" $d reordered)" -gt 0 ] || return 1
  done
}

# 1. Linux client -> nstack sink.
start_serve sink --sink-sha256 9 "${IMPAIR[@]}" --pcap "$OUT/sink.pcap" --pcap-max $SLICE --duration 200 || exit 1
bg_fed client-send "$KSIZE" python3 "$PEER" connect "$NADDR:9" send --ss --timeout 150
wait_exit "$BG_PID" 180
rc=$?
wait_for "$OUT/sink.txt" '^sink-sha256 from ' 10
stop_serve
check "Linux client sent $kbytes bytes (exit $rc)" test "$(got "$OUT/client-send.txt" sent)" = "$kbytes/$kwant"
check "nstack sink got them, the same sha256" test "$(got "$OUT/sink.txt" 'sink-sha256 from [0-9.:]+')" = "$kbytes/$kwant"
check "the driver lost and reordered frames both ways" impaired "$OUT/sink.txt"
check "the kernel retransmitted ($(peer_retrans "$OUT/client-send.txt") in ss -ti)" test "$(peer_retrans "$OUT/client-send.txt")" -gt 0
echo "    nstack (receiving): $(grep '^tcp:' "$OUT/sink.txt")"
throughput "Linux -> nstack sink, 2% loss" "$OUT/sink.txt" 'sink-sha256 from [0-9.:]+'
check "sink capture clean" "$CHECK_PCAP" "$OUT/sink.pcap"

# 2. nstack client sends -> Linux server.
start_listener server-recv 5001 recv --ss || exit 1
gen "$NSIZE" | nconnect send 180 "${IMPAIR[@]}" --send-file - --pcap "$OUT/send.pcap" --pcap-max $SLICE "$KADDR:5001"
rc=${PIPESTATUS[1]}
wait_exit "$BG_PID" 30
check "nstack connect --send-file: exit 0 (got $rc)" test $rc -eq 0
check "nstack sent $nbytes bytes, the stream's sha256" test "$(got "$OUT/send.txt" sent)" = "$nbytes/$nwant"
check "Linux received the same" test "$(got "$OUT/server-recv.txt" received)" = "$nbytes/$nwant"
check "the driver lost and reordered frames both ways" impaired "$OUT/send.txt"
check "nstack retransmitted ($(conn_retrans "$OUT/send.txt") on the connection)" test "$(conn_retrans "$OUT/send.txt")" -gt 0
check "nstack's stack counts them too ($(tcp_stat "$OUT/send.txt" retransmitted))" \
  test "$(tcp_stat "$OUT/send.txt" retransmitted)" -ge "$(conn_retrans "$OUT/send.txt")"
echo "    nstack (sending): $(grep '^connection:' "$OUT/send.txt")"
echo "    kernel (receiving): ss retrans $(peer_retrans "$OUT/server-recv.txt")"
throughput "nstack connect --send -> Linux, 2% loss" "$OUT/send.txt" sent
check "send capture clean" "$CHECK_PCAP" "$OUT/send.pcap"

# 3. Linux server sends -> nstack client.
bg_fed server-send "$KSIZE" python3 "$PEER" listen 5002 send --ss --timeout 150
wait_for "$OUT/server-send.txt" '^peer: listening$' || cat "$OUT/server-send.txt"
nconnect recv 180 "${IMPAIR[@]}" --recv --pcap "$OUT/recv.pcap" --pcap-max $SLICE "$KADDR:5002"
rc=$?
wait_exit "$BG_PID" 30
check "nstack connect --recv: exit 0 (got $rc)" test $rc -eq 0
check "nstack received $kbytes bytes, the stream's sha256" test "$(got "$OUT/recv.txt" received)" = "$kbytes/$kwant"
check "Linux sent the same" test "$(got "$OUT/server-send.txt" sent)" = "$kbytes/$kwant"
check "the driver lost and reordered frames both ways" impaired "$OUT/recv.txt"
check "the kernel retransmitted ($(peer_retrans "$OUT/server-send.txt") in ss -ti)" test "$(peer_retrans "$OUT/server-send.txt")" -gt 0
echo "    nstack (receiving): $(grep '^tcp:' "$OUT/recv.txt")"
throughput "Linux -> nstack connect --recv, 2% loss" "$OUT/recv.txt" received
check "recv capture clean" "$CHECK_PCAP" "$OUT/recv.pcap"
finish
