#!/usr/bin/env bash
# ECN (RFC 3168) between Linux and nstack over a TAP. The kernel in the
# namespace asks for ECN (net.ipv4.tcp_ecn = 1) and accepts it:
#   1. Linux connects to nstack serve (which accepts ECN by default, as
#      Linux's tcp_ecn = 2): the kernel's TCP_INFO says ECN for the
#      connection (TCPI_OPT_ECN, what `ss -tni` prints as "ecn"), and
#      nstack's own `ss -tni` over the control socket prints "ecn" and
#      "ecnseen" (the kernel's data came ECT(0));
#      nstack's SYN-ACK is ECN-setup (ECE, not CWR);
#   2. nstack connect --ecn 1 to a Linux server: nstack's SYN asks (ECE and
#      CWR), the kernel agrees: TCPI_OPT_ECN on its side;
#   3. nstack serve --ecn 0: the kernel asks, nstack declines: no ECN.
# (The kernel's ECN flag is read with getsockopt(TCP_INFO) rather than
# from its ss: the iproute2 6.1 ss here prints none of the option words
# -- ts, sack, ecn -- for this kernel; its line goes to the log.)
# In the captures (tshark), nstack's data segments are all ECT(0)
# (ip.dsfield.ecn == 2), its pure ACKs Not-ECT; nothing was retransmitted
# on this clean link, so no data segment may be Not-ECT. nstack's counters
# (NSTACK_COUNTERS=1) say it negotiated. Every byte arrives.
# Usage: test_tcp_ecn.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 ss tshark openssl
ns_up
nsx sysctl -qw net.ipv4.tcp_ecn=1 || skip "cannot set net.ipv4.tcp_ecn in the namespace"
check "the kernel asks for ECN in the namespace" test "$(nsx sysctl -n net.ipv4.tcp_ecn)" = 1
export NSTACK_COUNTERS=1
CTL=$OUT/ctl.sock

# check_setup PCAP CLIENT CLIENT_ADDR SERVER SERVER_ADDR: the capture is
# clean; the client's SYN is ECN-setup (ECE and CWR), the server's SYN-ACK
# too (ECE, not CWR) (RFC 3168 6.1.1).
check_setup() {
  local p=$1
  check "capture is clean" "$CHECK_PCAP" "$p"
  check "$2's SYN is ECN-setup (ECE and CWR)" \
    test "$(pcap_count "$p" "ip.src == $3 && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.flags.ece == 1 && tcp.flags.cwr == 1")" -eq 1
  check "$4's SYN-ACK is ECN-setup (ECE, not CWR)" \
    test "$(pcap_count "$p" "ip.src == $5 && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.flags.ece == 1 && tcp.flags.cwr == 0")" -eq 1
}

# check_nstack_ect PCAP: nstack sent data, all of it ECT(0); none of its
# pure ACKs or SYNs is ECT (RFC 3168 6.1.4).
check_nstack_ect() {
  local p=$1 ndata
  ndata=$(pcap_count "$p" "ip.src == $NADDR && tcp.len > 0")
  check "nstack sent data ($ndata segments)" test "$ndata" -gt 0
  check "every nstack data segment is ECT(0)" test "$(pcap_count "$p" "ip.src == $NADDR && tcp.len > 0 && ip.dsfield.ecn == 2")" -eq "$ndata"
  check "no nstack pure ACK or SYN is ECT" test "$(pcap_count "$p" "ip.src == $NADDR && tcp.len == 0 && ip.dsfield.ecn != 0")" -eq 0
}

# The kernel's client: connects to port 7 (echo), sends 256 KiB, reads it
# back, says ready, then holds the connection until told to close.
# tcpi_options is the sixth byte of struct tcp_info; TCPI_OPT_ECN = 8.
tcpi_options() { sed -n 's/^tcpi_options //p' "$1"; }
cat > "$OUT/client.py" <<'PY'
import os, socket, sys, threading
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
s.settimeout(20)
data = os.urandom(256 << 10)
t = threading.Thread(target=lambda: s.sendall(data))
t.start()
got = bytearray()
while len(got) < len(data):
    b = s.recv(65536)
    if not b:
        break
    got += b
t.join()
print("echo", len(got), "same" if bytes(got) == data else "DIFFERENT", flush=True)
print("port", s.getsockname()[1], flush=True)
print("tcpi_options", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5], flush=True)
print("ready", flush=True)
sys.stdin.readline()
s.close()
print("closed", flush=True)
PY

# 1. Linux -> nstack serve.
start_serve serve --tcp-echo 7 --pcap "$OUT/serve.pcap" --control "$CTL" || exit 1
mkfifo "$OUT/go"
ip netns exec "$NS" python3 "$OUT/client.py" "$NADDR" 7 < "$OUT/go" > "$OUT/client.txt" 2>&1 &
CLIENT_PID=$!
STARTED_PIDS+=("$CLIENT_PID")
exec 3> "$OUT/go"
wait_for "$OUT/client.txt" '^ready$' 20 || { echo "client:"; cat "$OUT/client.txt"; }
check "echo: 256 KiB back, the same bytes" has "$OUT/client.txt" '^echo 262144 same$'
kport=$(sed -n 's/^port //p' "$OUT/client.txt")
nsx ss -tniH state established "( dport = :7 )" > "$OUT/kernel-ss.txt"
echo "    kernel ss: $(tr -s ' \t\n' ' ' < "$OUT/kernel-ss.txt" | cut -c1-160)"
check "the kernel's TCP_INFO: the connection uses ECN (options $(tcpi_options "$OUT/client.txt"))" \
  test $(($(tcpi_options "$OUT/client.txt") & 8)) -eq 8
"$NSTACK" ss --control "$CTL" -tni > "$OUT/nstack-ss.txt"
check "nstack's ss -tni: the connection from port $kport" has "$OUT/nstack-ss.txt" "^ESTAB .* $NADDR:7 +$KADDR:$kport"
check "nstack's ss -tni: it uses ECN, and saw ECT from the kernel" grep -qE '^[[:space:]].* ecn ecnseen ' "$OUT/nstack-ss.txt"
echo >&3
exec 3>&-
wait_for "$OUT/client.txt" '^closed$' 10
stop_serve
check "serve counted the negotiation" has "$OUT/serve.txt" '^counter tcp\.ecn_negotiated 1$'
check_setup "$OUT/serve.pcap" "the kernel" "$KADDR" nstack "$NADDR"
check_nstack_ect "$OUT/serve.pcap"
check "the kernel's data is ECT(0) too" \
  test "$(pcap_count "$OUT/serve.pcap" "ip.src == $KADDR && tcp.len > 0 && ip.dsfield.ecn != 2")" -eq 0
check "nothing retransmitted" test "$(tcp_stat "$OUT/serve.txt" retransmitted)" = 0

# 2. nstack connect --ecn 1 -> a Linux server.
# The kernel's server: reads to EOF, then says what it got and its TCP_INFO.
cat > "$OUT/server.py" <<'PY'
import hashlib, socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", int(sys.argv[1])))
ls.listen(1)
ls.settimeout(30)
print("listening", flush=True)
s, _ = ls.accept()
s.settimeout(30)
h, n = hashlib.sha256(), 0
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
print("received", n, h.hexdigest(), flush=True)
print("tcpi_options", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5], flush=True)
s.close()
PY
bg server python3 "$OUT/server.py" 5001
wait_for "$OUT/server.txt" '^listening$' || { echo "server:"; cat "$OUT/server.txt"; }
gen 1M | nconnect send 60 --ecn 1 --send-file - --pcap "$OUT/send.pcap" "$KADDR:5001"
rc=${PIPESTATUS[1]}
wait_exit "$BG_PID" 30
check "nstack connect --ecn 1: exit 0 (got $rc)" test "$rc" -eq 0
want=$(gen_sha 1M)
check "Linux received the stream, the same bytes" has "$OUT/server.txt" "^received 1048576 $want\$"
check "the kernel's TCP_INFO: the connection used ECN (options $(tcpi_options "$OUT/server.txt"))" \
  test $(($(tcpi_options "$OUT/server.txt") & 8)) -eq 8
check "nstack connect counted the negotiation" has "$OUT/send.txt" '^counter tcp\.ecn_negotiated 1$'
check_setup "$OUT/send.pcap" nstack "$NADDR" "the kernel" "$KADDR"
check_nstack_ect "$OUT/send.pcap"
check "nothing retransmitted" test "$(tcp_stat "$OUT/send.txt" retransmitted)" = 0

# 3. nstack serve --ecn 0: the kernel asks, nstack does not agree.
start_serve off --ecn 0 --discard 9 --pcap "$OUT/off.pcap" || exit 1
gen 64K > "$OUT/64k.bin"
timeout 60 ip netns exec "$NS" python3 - "$NADDR" < "$OUT/64k.bin" > "$OUT/off-client.txt" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 9), timeout=20)
s.sendall(sys.stdin.buffer.read())
print("sent", flush=True)
print("tcpi_options", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5], flush=True)
s.close()
PY
check "Linux sent 64 KiB to the discard service" has "$OUT/off-client.txt" '^sent$'
check "the kernel's TCP_INFO: no ECN (options $(tcpi_options "$OUT/off-client.txt"))" \
  test $(($(tcpi_options "$OUT/off-client.txt") & 8)) -eq 0
stop_serve
check "nstack did not negotiate" bash -c "! grep -q '^counter tcp\.ecn_negotiated' '$OUT/off.txt'"
check "nstack's SYN-ACK is plain (no ECE)" \
  test "$(pcap_count "$OUT/off.pcap" "ip.src == $NADDR && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.flags.ece == 0 && tcp.flags.cwr == 0")" -eq 1
check "nothing nstack sent is ECT" test "$(pcap_count "$OUT/off.pcap" "ip.src == $NADDR && ip.dsfield.ecn != 0")" -eq 0
finish
