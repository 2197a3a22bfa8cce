#!/usr/bin/env bash
# Captures the real Linux IPv6 frames that tests/unit/test_wire_ipv6.c and
# test_wire_icmpv6.c embed as known-answer vectors (as
# scripts/capture-wire-frames.sh does for IPv4). Everything runs inside a
# private network namespace (unshare --net) holding a veth pair whose far
# end is moved into a second private namespace; the only addresses are
# 2001:db8::1 and 2001:db8::2 (RFC 3849, documentation) and the link-local
# ones made from the veth MACs, created here, so no frame leaves the sandbox.
#
#   usage: scripts/capture-wire-frames6.sh [out.pcap]   (root, tshark, ping, ethtool, python3)
#
# It captures, on the 2001:db8::1 side: the kernel's own start-up traffic
# (duplicate address detection NS from ::, router solicitation, MLDv2
# reports with a hop-by-hop router-alert option), address resolution
# (NS/NA), an echo request/reply, an echo split into fragments (Fragment
# header), UDP with an odd length, ICMPv6 port unreachable, a TCP handshake.
set -euo pipefail
out=$(realpath -m "${1:-/tmp/nst-wire-frames6.pcap}")
rm -f "$out"

# shellcheck source=scripts/capture-sandbox.sh
source "$(dirname "$0")/capture-sandbox.sh"
in_sandbox "$out" <<'INNER'
out=$1
veth_pair 02:4e:53:00:00:01 02:4e:53:00:00:02 120
in_peer ip addr add 2001:db8::2/64 dev vb
in_peer ip link set vb up
sysctl -qw net.ipv6.conf.va.router_solicitations=1
# tshark needs the link up; IPv6 stays off on it until the capture runs,
# so the kernel's start-up traffic is in the capture.
sysctl -qw net.ipv6.conf.va.disable_ipv6=1
ip link set va up
capture_start "$out"
sleep 2
sysctl -qw net.ipv6.conf.va.disable_ipv6=0          # DAD NS, RS, MLDv2 reports
ip addr add 2001:db8::1/64 dev va
sleep 3

in_peer python3 - <<'PY' &
import socket
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("2001:db8::2", 7777))
t = socket.socket(socket.AF_INET6); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("2001:db8::2", 8080)); t.listen(4); t.settimeout(20)
u.settimeout(20); u.recvfrom(2048)
c, _a = t.accept()
while c.recv(65536):
    pass
c.sendall(b"ok\n"); c.close()
PY
srv=$!
sleep 1
ping -6 -c1 -W1 2001:db8::2 >/dev/null              # NS/NA, echo request/reply
ping -6 -c1 -W1 -s 2000 2001:db8::2 >/dev/null      # fragments (Fragment header)
python3 - <<'PY'
import socket, time
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("2001:db8::1", 40000))
u.sendto(b"hello nstack\n", ("2001:db8::2", 7777))  # 13 bytes: odd length
time.sleep(0.2)
u.sendto(b"closed?", ("2001:db8::2", 7778))         # ICMPv6 port unreachable
time.sleep(0.2)
s = socket.socket(socket.AF_INET6); s.bind(("2001:db8::1", 40002)); s.connect(("2001:db8::2", 8080))
s.sendall(b"GET / HTTP/1.0\r\n\r")
time.sleep(0.2)
s.shutdown(socket.SHUT_WR); s.recv(16); s.close()
time.sleep(0.5)
PY
sleep 1
kill "$srv" 2>/dev/null || true
capture_stop
INNER
echo "wrote $out"
