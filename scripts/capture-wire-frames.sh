#!/usr/bin/env bash
# Captures the real Linux frames that tests/unit/test_wire_*.c embed as
# known-answer vectors. Everything runs inside a private network namespace
# (unshare --net) holding a veth pair whose far end is moved into a second
# private namespace; the only addresses are 192.0.2.1 and 192.0.2.2
# (RFC 5737 TEST-NET-1), created here, so no frame leaves the sandbox.
#
#   usage: scripts/capture-wire-frames.sh [out.pcap]   (root, tshark, ping, ethtool, python3)
#
# Then e.g. `tshark -r out.pcap -x` shows the bytes to paste into the tests.
set -euo pipefail
out=$(realpath -m "${1:-/tmp/nst-wire-frames.pcap}")
rm -f "$out"

# shellcheck source=scripts/capture-sandbox.sh
source "$(dirname "$0")/capture-sandbox.sh"
in_sandbox "$out" <<'INNER'
out=$1
veth_pair 02:4e:53:00:00:01 02:4e:53:00:00:02 120
ip addr add 192.0.2.1/24 dev va
ip link set va up
in_peer ip addr add 192.0.2.2/24 dev vb
in_peer ip link set vb up
sleep 1

capture_start "$out"
sleep 2

# The peer's servers: a UDP sink on 7777, a TCP server on 8080 that reads
# everything then answers "ok\n".
in_peer python3 - <<'PY' &
import socket, threading
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.0.2.2", 7777))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("192.0.2.2", 8080)); t.listen(4); t.settimeout(20)
threading.Thread(target=lambda: u.recvfrom(2048), daemon=True).start()
for _ in range(2):
    c, _a = t.accept()
    while c.recv(65536):
        pass
    c.sendall(b"ok\n"); c.close()
PY
srv=$!
sleep 1

ping -c1 -W1 192.0.2.2 >/dev/null                 # ARP request/reply, echo request/reply
ping -c1 -W1 -R 192.0.2.2 >/dev/null || true      # IPv4 record-route option (IHL 15)
ping -c1 -W1 -s 2000 192.0.2.2 >/dev/null         # fragments: MF, offset 1480
python3 - <<'PY'
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.0.2.1", 40000))
u.sendto(b"hello nstack\n", ("192.0.2.2", 7777))  # 13 bytes: odd length
time.sleep(0.2)
u.sendto(b"closed?", ("192.0.2.2", 7778))         # ICMP port unreachable
time.sleep(0.2)
s = socket.socket(); s.bind(("192.0.2.1", 40001))
try:
    s.connect(("192.0.2.2", 8081))                  # RST|ACK from a closed port
except OSError:
    pass
s = socket.socket(); s.bind(("192.0.2.1", 40002)); s.connect(("192.0.2.2", 8080))
s.sendall(b"GET / HTTP/1.0\r\n\r")                # 17 bytes
time.sleep(0.2)
s.shutdown(socket.SHUT_WR); s.recv(16); s.close()
time.sleep(0.5)
PY
# Loss for SACK: a tiny token bucket on our egress drops part of a burst.
tc qdisc add dev va root tbf rate 20mbit burst 4500 limit 9000
python3 - <<'PY'
import socket, time
s = socket.socket(); s.bind(("192.0.2.1", 40003)); s.connect(("192.0.2.2", 8080))
s.sendall(bytes(range(256)) * 256)
s.shutdown(socket.SHUT_WR); s.settimeout(10); s.recv(16); s.close()
time.sleep(0.5)
PY
sleep 1
kill "$srv" 2>/dev/null || true
capture_stop
INNER
echo "wrote $out"
