#!/usr/bin/env bash
# The nstack program: demo, ping, traceroute (IPv4 and IPv6), ip, argument
# errors, and every capture they write read back by tshark. Usage: test_cli.sh NSTACK OUTDIR
set -uo pipefail
NSTACK=$1
OUT=$2/cli
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
check() { # check NAME COMMAND...
  if "${@:2}"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1"; fi
}
has() { grep -qE -- "$2" "$1"; }

# The demo: every scenario's own checks hold, and it says what it measured.
"$NSTACK" demo --out "$OUT/demo" > "$OUT/demo.txt"; rc=$?
check "demo exits 0" test $rc -eq 0
check "demo shows the 80 ms round trip" has "$OUT/demo.txt" 'rtt min/avg/max/mdev = 80\.0'
check "demo has no failed check" bash -c "! grep -q FAILED '$OUT/demo.txt'"
check "demo wrote captures" test -s "$OUT/demo/path.pcap" -a -s "$OUT/demo/path6.pcap" -a -s "$OUT/demo/best-effort.pcap"
check "demo drew its pictures" python3 -c '
import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    root = ET.parse(f).getroot()
    assert root.tag.endswith("svg"), f
    assert len(list(root.iter())) > 10, f
' "$OUT/demo/handshake.svg" "$OUT/demo/reliable-stream.svg" "$OUT"/demo/tls-*.svg

# The tls scenario: the six cases' SYN -> request and SYN -> answer
# timings (exact: virtual time), and each TLS capture decrypted by tshark
# with its keylog.
for t in 'plain TCP +80\.004736 ms +160\.016448 ms  TCP' \
         'TLS 1\.3, full handshake +160\.062528 ms +240\.082200 ms  TLSv1\.3' \
         'TLS 1\.2, full handshake +240\.071264 ms +320\.083776 ms  TLSv1\.2' \
         'TLS 1\.2, resumed session +160\.028768 ms +240\.042216 ms .* resumed' \
         'TLS 1\.3, resumed with 0-RTT +80\.004736 ms +160\.037824 ms .* resumed 0-RTT' \
         'TLS 1\.3 0-RTT, Fast Open +0\.000000 ms +80\.033264 ms .* resumed 0-RTT'; do
  check "demo tls: $t" has "$OUT/demo.txt" "$t"
done
for c in 1.3-full 1.2-full 1.2-resumed 1.3-0rtt 1.3-0rtt-tfo; do
  tshark -r "$OUT/demo/tls-$c.pcap" -o "tls.keylog_file:$OUT/demo/tls-$c.keylog" -Y http \
    -T fields -e http.request.method -e http.response.code > "$OUT/tls-$c.http" 2>/dev/null
  check "tshark decrypts the $c capture with its keylog: GET and 200" \
    bash -c "grep -q '^GET' '$OUT/tls-$c.http' && grep -q '200' '$OUT/tls-$c.http'"
done

# Same seed, same run: the output is identical.
"$NSTACK" demo --no-pcap > "$OUT/demo1.txt"; "$NSTACK" demo --no-pcap > "$OUT/demo2.txt"
check "demo is deterministic" cmp -s "$OUT/demo1.txt" "$OUT/demo2.txt"

# ping: 80 ms, like the system ping's output.
"$NSTACK" ping -c 3 --pcap "$OUT/ping.pcap" london > "$OUT/ping.txt"
check "ping replies at 80 ms" has "$OUT/ping.txt" 'icmp_seq=3 ttl=61 time=80\.0[0-9]+ ms'
check "ping summary" has "$OUT/ping.txt" '^3 packets transmitted, 3 received, 0% packet loss'
"$NSTACK" ping -c 1 -t 2 london > "$OUT/ping-ttl.txt"
check "ping with a short TTL hears Time Exceeded" has "$OUT/ping-ttl.txt" 'From 10\.0\.12\.2 icmp_seq=1 Time to live exceeded'

# traceroute: the three routers, then London.
"$NSTACK" traceroute --pcap "$OUT/trace.pcap" > "$OUT/trace.txt"
check "traceroute hop 1 is r1" has "$OUT/trace.txt" '^ 1  10\.0\.1\.1 '
check "traceroute hop 2 is r2" has "$OUT/trace.txt" '^ 2  10\.0\.12\.2 '
check "traceroute hop 3 is r3" has "$OUT/trace.txt" '^ 3  10\.0\.23\.2 '
check "traceroute hop 4 is london" has "$OUT/trace.txt" '^ 4  10\.0\.4\.2 '

# IPv6 on the same path (-6, or an IPv6 DEST): addresses after DAD, then the
# first ping waits for Neighbor Discovery on the two LAN edges (82.010 ms; the
# WAN links' neighbours are static, as in IPv4), the next ones take 80.008 ms
# (a 40-byte header instead of 20: 8 x 160 ns more).
"$NSTACK" ping -6 -c 2 --pcap "$OUT/ping6.pcap" london > "$OUT/ping6.txt"
check "ping -6: header like ping -6's" has "$OUT/ping6.txt" '^PING 2001:db8:4::2 \(2001:db8:4::2\) 56 data bytes$'
check "ping -6: the first reply after ND on the LAN edges" \
  has "$OUT/ping6.txt" '^64 bytes from 2001:db8:4::2: icmp_seq=1 ttl=61 time=82\.010 ms$'
check "ping -6: then 80 ms" has "$OUT/ping6.txt" '^64 bytes from 2001:db8:4::2: icmp_seq=2 ttl=61 time=80\.008 ms$'
"$NSTACK" ping -c 1 2001:db8:23::2 > "$OUT/ping6-addr.txt"
check "ping an IPv6 address (r3's): one hop and one LAN edge less" \
  has "$OUT/ping6-addr.txt" '^64 bytes from 2001:db8:23::2: icmp_seq=1 ttl=62 time=80\.007 ms$'
"$NSTACK" ping -6 -c 1 -t 2 london > "$OUT/ping6-ttl.txt"
check "ping -6 with a short hop limit hears Time Exceeded from r2" \
  has "$OUT/ping6-ttl.txt" '^From 2001:db8:12::2 icmp_seq=1 Time exceeded: Hop limit$'
"$NSTACK" traceroute -6 --pcap "$OUT/trace6.pcap" > "$OUT/trace6.txt"
check "traceroute -6 header" has "$OUT/trace6.txt" '^traceroute to 2001:db8:4::2 \(2001:db8:4::2\), 30 hops max, 80 byte packets$'
check "traceroute -6 hop 1 is r1 (ND first: 1 ms more)" has "$OUT/trace6.txt" '^ 1  2001:db8:1::1  2\.003 ms  1\.002 ms  1\.002 ms$'
check "traceroute -6 hop 2 is r2 (static WAN neighbours: no ND)" \
  has "$OUT/trace6.txt" '^ 2  2001:db8:12::2  39\.004 ms  39\.004 ms  39\.004 ms$'
check "traceroute -6 hop 3 is r3" has "$OUT/trace6.txt" '^ 3  2001:db8:23::2  '
check "traceroute -6 hop 4 is london" has "$OUT/trace6.txt" '^ 4  2001:db8:4::2  '
check "ping -6 capture: 2 echo requests and 2 replies (ICMPv6), no ARP" \
  test "$(tshark -n -r "$OUT/ping6.pcap" -Y 'icmpv6.type == 128 || icmpv6.type == 129' 2>/dev/null | wc -l)/$(tshark -n -r "$OUT/ping6.pcap" -Y arp 2>/dev/null | wc -l)" = 4/0
check "ping -6 capture: DAD and neighbour solicitations" \
  test "$(tshark -n -r "$OUT/ping6.pcap" -Y 'icmpv6.type == 135' 2>/dev/null | wc -l)" -ge 3

# nstack ip: the path's hosts with both families (--scenario path: after DAD
# and a ping each way in each family).
"$NSTACK" ip --scenario path addr > "$OUT/ip-addr.txt"
check "ip addr: New York's IPv4 address" has "$OUT/ip-addr.txt" '^    inet 10\.0\.1\.2/24$'
check "ip addr: its static IPv6 address" has "$OUT/ip-addr.txt" '^    inet6 2001:db8:1::2/64 scope global$'
check "ip addr: its EUI-64 link-local address" has "$OUT/ip-addr.txt" '^    inet6 fe80::ff:fe00:0/64 scope link$'
"$NSTACK" ip --scenario path -6 neigh > "$OUT/ip-neigh.txt"
check "ip -6 neigh: r1, found by ND, a router" has "$OUT/ip-neigh.txt" '^2001:db8:1::1 dev eth0 lladdr 02:00:00:00:00:01 router REACHABLE$'
check "ip -6 neigh: no IPv4 entry" bash -c "! grep -q '^10\.' '$OUT/ip-neigh.txt'"
"$NSTACK" ip --scenario path --host r2 neigh > "$OUT/ip-neigh-r2.txt"
check "ip neigh on r2: its WAN neighbours static in both families" \
  bash -c "grep -q '^2001:db8:12::1 dev eth0 lladdr 02:00:00:00:00:02 PERMANENT$' '$OUT/ip-neigh-r2.txt' &&
           grep -q '^10\.0\.12\.1 dev eth0 lladdr 02:00:00:00:00:02 PERMANENT$' '$OUT/ip-neigh-r2.txt'"
"$NSTACK" ip --scenario path --host r2 route > "$OUT/ip-route.txt"
check "ip route on r2: IPv4 default" has "$OUT/ip-route.txt" '^default via 10\.0\.23\.2 dev eth1 metric 0$'
check "ip route on r2: IPv6 default" has "$OUT/ip-route.txt" '^default via 2001:db8:23::2 dev eth1 proto static metric 0$'
check "ip route on r2: a connected IPv6 prefix" has "$OUT/ip-route.txt" '^2001:db8:12::/64 dev eth0 proto kernel metric 256$'
"$NSTACK" netstat --scenario path -s > "$OUT/netstat6.txt"
check "netstat -s: the Ip6, Icmp6 and Nd groups" \
  bash -c "grep -q '^Ip6:$' '$OUT/netstat6.txt' && grep -q '^Icmp6:$' '$OUT/netstat6.txt' && grep -q '^Nd:$' '$OUT/netstat6.txt'"
check "netstat -s: New York's 2 addresses passed DAD" has "$OUT/netstat6.txt" '^    2 addresses that passed duplicate address detection \[dad_ok\]$'

# Bad arguments: a clear message and exit code 2, never a crash.
for args in "ping -c 0" "ping -c abc" "ping --loss 2" "ping nowhere" "traceroute -m 0" "demo --seed -1" \
            "demo --only nosuch" "frobnicate" "ping -s 70000" "ping -6 10.0.4.2" "ping 2001:db8:99::1" \
            "ip --scenario path" "ip --scenario path links" "ip --scenario path -4 -6 addr"; do
  "$NSTACK" $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack $args' is refused with exit 2" test $rc -eq 2
done
# Families that contradict each other: refused before anything runs (no TAP
# is opened), exit 2, the message naming the arguments.
T="--tap t0 --addr 10.0.0.2/24"
while IFS='|' read -r args msg; do
  "$NSTACK" $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack $args': exit 2, '$msg'" bash -c "test $rc -eq 2 && grep -qF -- \"$msg\" '$OUT/bad.txt'"
done <<EOF
connect $T --no-ipv6 --send 1K [2001:db8::1]:80|DEST [2001:db8::1]:80 needs IPv6, which --no-ipv6 turns off
connect --tap t0 --addr6 2001:db8::2/64 --recv 10.0.0.1:80|DEST 10.0.0.1:80 needs IPv4: give --addr A.B.C.D/N
connect $T --queues 2 --send 1K [2001:db8::1]:80|needs IPv6, which --queues (a multi-queue TAP is IPv4 only) turns off
ping $T --no-ipv6 fe80::1|DEST fe80::1 needs IPv6, which --no-ipv6 turns off
ping $T --no-ipv6 -6 10.0.0.1|-6 needs IPv6, which --no-ipv6 turns off
ping $T -6 10.0.0.1|-6 contradicts DEST 10.0.0.1, an IPv4 address
ping $T -4 fe80::1|-4 contradicts DEST fe80::1, an IPv6 address
ping $T --addr6 2001:db8::2/64 --no-ipv6 10.0.0.1|--addr6 and --gw6 need IPv6, which --no-ipv6 turns off
ping $T --gw6 fe80::1 --no-ipv6 10.0.0.1|--addr6 and --gw6 need IPv6, which --no-ipv6 turns off
ping $T --ip6-temp 3 10.0.0.1|--ip6-temp needs 0 (none), 1 (made) or 2 (made, preferred), not '3'
ping $T --addr6 2001:db8::2 10.0.0.1|--addr6 needs an address and prefix
ping $T --addr6 ::/64 10.0.0.1|--addr6 needs an address and prefix
ping $T --gw6 2001:db8::1/64 10.0.0.1|--gw6 needs a unicast address
ping $T --gw6 ff02::2 10.0.0.1|--gw6 needs a unicast address
ping $T --addr6 2001:db8::2/64 --gw6 2001:db8:9::1 10.0.0.1|--gw6 2001:db8:9::1 is on no link of nstack's
serve --tap t0 --addr 10.0.0.2/24 --gw6 2001:db8::1 --http 80|--gw6 2001:db8::1 is on no link of nstack's
ws --tap t0 --addr6 2001:db8::2/64 ws://10.0.0.1/|a ws:// URL needs IPv4
ping -6 --no-ipv6 london|-6 and --no-ipv6 exclude each other
ping -4 -6 london|-4 and -6 exclude each other
ping -4 2001:db8:4::2|-4 contradicts DEST 2001:db8:4::2, an IPv6 address
ping -6 --from 10.0.1.2 london|-6 contradicts --from 10.0.1.2, an IPv4 address
ping --from 10.0.1.2 2001:db8:4::2|DEST 2001:db8:4::2 and --from 10.0.1.2 are of different families
ping --no-ipv6 2001:db8:4::2|DEST 2001:db8:4::2 is IPv6, which --no-ipv6 turns off
traceroute -6 --no-ipv6|-6 and --no-ipv6 exclude each other
traceroute -4 2001:db8:23::2|-4 contradicts DEST 2001:db8:23::2, an IPv6 address
router --advertise|--tap IFNAME is required
router --addr 10.0.0.1/24 --tap t0|--addr comes before any --tap
router --tap t0 --addr 10.0.0.1/24 --tap t0 --addr 10.0.1.1/24|--tap t0 is given twice
router $(for i in $(seq 17); do printf -- '--tap t%d --addr 10.0.%d.1/24 ' "$i" "$i"; done)|at most 16 --tap
router --tap t0|--tap t0 needs --addr A.B.C.D/N, --addr6 ADDR/LEN or both
router --route 10.9.0.0/16 via 10.0.0.9 --tap t0 --addr 10.0.0.1/24|--route 10.9.0.0/16 comes before any --tap
router --tap t0 --addr 10.0.0.1/24 --route 10.9.0.0/16 10.0.0.9|--route needs PREFIX/LEN via GW
router --tap t0 --addr 10.0.0.1/24 --route 10.9.0.1/16 via 10.0.0.9|--route 10.9.0.1/16 has bits set past its /16
router --tap t0 --addr 10.0.0.1/24 --route 10.9.0.0/16 via 10.0.1.1|the gateway is not on t0's link
router --tap t0 --addr6 2001:db8::1/64 --route 2001:db8:9::/48 via 2001:db8:1::1|the gateway is not on t0's link
router --tap t0 --addr 10.0.0.1/24 --route 2001:db8:9::/48 via 10.0.0.9|needs a unicast IPv6 gateway
router --tap t0 --addr 10.0.0.1/24 --seconds 0|--seconds needs a whole number of seconds
router --tap t0 --addr 10.0.0.1/24 --xdp eth0|unknown option
EOF
# serve --tls: its options are checked before any TAP is opened.
S="serve --tap t0 --addr 10.0.0.2/24"
for args in "$S --tls 443" "$S --tls 443 --cert a" "$S --http 80 --cert a" "$S --tls 443 --cert a --key b --tls-min 1.1" \
            "$S --tls 443 --cert a --key b --tls-min 1.3 --tls-max 1.2" "$S --tls 443 --cert a --key b --max-early-data x"; do
  "$NSTACK" $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack $args' is refused with exit 2" test $rc -eq 2
done
"$NSTACK" $S --tls 443 --cert "$OUT/none.pem" --key "$OUT/none.pem" > "$OUT/badcert.txt" 2>&1; rc=$?
check "serve --tls with a missing certificate: exit 1 and why" \
  bash -c "test $rc -eq 1 && grep -q '^TLS: certificate or key file not readable' '$OUT/badcert.txt'"
for cmd in demo ping traceroute ip router; do
  check "'nstack $cmd --help'" bash -c "'$NSTACK' $cmd --help | grep -q usage"
done

# tshark reads every capture back: no malformed packet, no bad checksum.
check "captures are clean" "$HERE/check_pcap.sh" "$OUT"/demo/*.pcap "$OUT/ping.pcap" "$OUT/trace.pcap" \
  "$OUT/ping6.pcap" "$OUT/trace6.pcap"
# ...and the checker does catch a corrupted capture (flip a byte of an IP header).
python3 - "$OUT/ping.pcap" "$OUT/corrupt.pcap" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
off = 24                                  # pcap file header
while off + 16 <= len(b):
    incl = struct.unpack_from('<I', b, off + 8)[0]
    frame = off + 16
    if b[frame + 12:frame + 14] == b'\x08\x00':   # IPv4: flip a bit of its TTL
        b[frame + 14 + 8] ^= 0x01
        break
    off = frame + incl
open(sys.argv[2], 'wb').write(b)
PY
check "the capture checker catches a bad checksum" bash -c "! '$HERE/check_pcap.sh' '$OUT/corrupt.pcap' >/dev/null"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
