#!/usr/bin/env bash
# How a TCP connection between nstack and Linux closes, seen from both ends
# at once: the kernel's with `ss -tan`, nstack's from the states nstack
# connect prints as its connection passes through them.
#   A. nstack closes first (connect --send 1M, then its FIN): while the Linux
#      application holds its socket, the kernel sits in CLOSE-WAIT and nstack
#      in FIN_WAIT_2; when it closes, nstack goes to TIME_WAIT and the
#      kernel's socket is gone (LAST-ACK ended by nstack's ACK).
#   B. Linux closes first (sends 1 MiB and closes): the kernel sits in
#      FIN-WAIT-2 and nstack in CLOSE_WAIT while nstack holds its socket
#      (--hold-close); when nstack closes, LAST_ACK then CLOSED on its side,
#      TIME-WAIT on the kernel's.
# The bytes arrive intact (A: RFC 864's pattern, checked independently), one
# FIN each way, and the captures are clean.
# Usage: test_tcp_close.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 openssl tshark ss
ns_up
HOLD=2

# The kernel's sockets on PORT: their states, in one line ("" if none).
kstates() { nsx ss -tanH state all "( sport = :$1 )" | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//'; }
# nstack connect's states, in the order it printed them.
nstates() { sed -n 's/^nstack connect: state \([A-Z_0-9]*\) .*/\1/p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
last_nstate() { nstates "$1" | awk '{print $NF}'; }
# wait_kstates PORT STATES: until the kernel's sockets on PORT are STATES
# (1 s at most; less than the hold, so the other end is still holding).
wait_kstates() {
  local i
  for i in $(seq 20); do
    [ "$(kstates "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  echo "    ss on port $1: '$(kstates "$1")', not '$2'"
  return 1
}
# The FINs of a capture, one per sender and sequence number (a busy peer's
# retransmitted FIN, e.g. Linux's tail loss probe, is the same FIN), in the
# order they first appear: their senders.
fins() {
  tshark -n -r "$1" -Y 'tcp.flags.fin == 1' -T fields -e ip.src -e tcp.seq 2>/dev/null | awk '!seen[$0]++ {print $1}' |
    tr '\n' ' ' | sed 's/ $//'
}
# When SRC's first FIN was captured (epoch seconds).
first_fin_at() { tshark -n -r "$1" -Y "tcp.flags.fin == 1 && ip.src == $2" -T fields -e frame.time_epoch 2>/dev/null | head -1; }

# ---- A: nstack's active close --------------------------------------------
start_listener peer-a 5003 recv --hold-file "$OUT/release-a" || exit 1
bg connect-a "$NSTACK" connect --tap "$TAP" --addr "$NADDR/24" --send 1M --timeout 20 --pcap "$OUT/a.pcap" "$KADDR:5003"
A_PID=$BG_PID
wait_for "$OUT/peer-a.txt" '^peer: holding$' 10
wait_for "$OUT/connect-a.txt" 'state FIN_WAIT_2' 5
check "A: while Linux holds its socket, the kernel is in CLOSE-WAIT" wait_kstates 5003 CLOSE-WAIT
check "A: and nstack in FIN_WAIT_2 (last state: $(last_nstate "$OUT/connect-a.txt"))" \
  test "$(last_nstate "$OUT/connect-a.txt")" = FIN_WAIT_2
touch "$OUT/release-a"
wait_exit "$A_PID" 10
rc=$?
check "A: nstack connect exits 0 (got $rc)" test $rc -eq 0
check "A: nstack went SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT ($(nstates "$OUT/connect-a.txt"))" \
  test "$(nstates "$OUT/connect-a.txt")" = "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT"
check "A: nstack ends in TIME_WAIT" has "$OUT/connect-a.txt" '^final state: TIME_WAIT$'
check "A: the kernel's socket is gone" wait_kstates 5003 ""
pattern_sha=$(python3 -c '
import hashlib
n = 1 << 20
b = bytes((32 + ((i // 74) + (i % 74)) % 95) if i % 74 < 72 else (13 if i % 74 == 72 else 10) for i in range(n))
print(hashlib.sha256(b).hexdigest())')
check "A: 1 MiB of RFC 864's pattern sent and received" \
  test "$(reported "$OUT/connect-a.txt" sent sha)/$(reported "$OUT/peer-a.txt" received sha)/$(reported "$OUT/peer-a.txt" received bytes)" = "$pattern_sha/$pattern_sha/1048576"
check "A: one FIN each way, nstack's first ($(fins "$OUT/a.pcap"))" test "$(fins "$OUT/a.pcap")" = "$NADDR $KADDR"
check "A: capture clean" "$CHECK_PCAP" "$OUT/a.pcap"

# ---- B: the kernel's active close -----------------------------------------
bg_fed peer-b 1M python3 "$PEER" listen 5004 send --close-after-send
wait_for "$OUT/peer-b.txt" '^peer: listening$' || cat "$OUT/peer-b.txt"
bg connect-b "$NSTACK" connect --tap "$TAP" --addr "$NADDR/24" --recv --hold-close $HOLD --timeout 20 \
  --pcap "$OUT/b.pcap" "$KADDR:5004"
B_PID=$BG_PID
wait_for "$OUT/connect-b.txt" 'holding the socket open' 10
check "B: while nstack holds its socket, the kernel is in FIN-WAIT-2" wait_kstates 5004 FIN-WAIT-2
check "B: and nstack in CLOSE_WAIT (last state: $(last_nstate "$OUT/connect-b.txt"))" \
  test "$(last_nstate "$OUT/connect-b.txt")" = CLOSE_WAIT
wait_exit "$B_PID" $((HOLD + 10))
rc=$?
check "B: nstack connect exits 0 (got $rc)" test $rc -eq 0
check "B: nstack went SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED ($(nstates "$OUT/connect-b.txt"))" \
  test "$(nstates "$OUT/connect-b.txt")" = "SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"
check "B: the kernel's socket is in TIME-WAIT" wait_kstates 5004 TIME-WAIT
want=$(gen_sha 1M)
check "B: 1 MiB received intact" test "$(reported "$OUT/connect-b.txt" received sha)/$(reported "$OUT/connect-b.txt" received bytes)" = "$want/1048576"
check "B: one FIN each way, the kernel's first ($(fins "$OUT/b.pcap"))" test "$(fins "$OUT/b.pcap")" = "$KADDR $NADDR"
hold_gap=$(echo "$(first_fin_at "$OUT/b.pcap" "$KADDR") $(first_fin_at "$OUT/b.pcap" "$NADDR")" | awk 'NF == 2 {printf "%d", ($2 - $1) * 1000}')
check "B: nstack's FIN came $HOLD s after the kernel's (${hold_gap:-?} ms)" \
  test "${hold_gap:-0}" -ge $((HOLD * 1000)) -a "${hold_gap:-0}" -lt $((HOLD * 1000 + 500))
check "B: capture clean" "$CHECK_PCAP" "$OUT/b.pcap"
finish
