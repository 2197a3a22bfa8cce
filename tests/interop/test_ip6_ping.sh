#!/usr/bin/env bash
# ping over IPv6 between nstack and Linux on a TAP: nstack pings the
# kernel's global and link-local addresses, the kernel pings nstack's
# (ping -6), small and fragmented (RFC 8200 4.5, both ways); Neighbor
# Discovery both ways (each side solicits the other, RFC 4861 7.2); nstack's
# duplicate address detection before it uses an address (RFC 4862 5.4);
# captures clean in tshark. Only addresses of the test's namespace.
# Usage: test_ip6_ping.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env ping tshark
ns_up
KADDR6=2001:db8:77::1
NADDR6=2001:db8:77::2
# nstack's link-local address: EUI-64 of its MAC 02:6e:0a:4d:00:02 (RFC 4291 2.5.1).
NLL=fe80::6e:aff:fe4d:2
# The kernel's own link-local address comes only once the TAP has a
# carrier (nstack opened it) and DAD ran: give it a fixed one too.
KLL=fe80::1
ipv6_up "$KADDR6/64"
ip -n "$NS" -6 addr add "$KLL/64" dev "$TAP" nodad

# ---- nstack pings Linux -------------------------------------------------------
tping() { timeout 30 ip netns exec "$NS" "$NSTACK" ping --tap "$TAP" --addr "$NADDR/24" --addr6 "$NADDR6/64" "$@"; }
tping -c 3 -i 0.2 --pcap "$OUT/ping6.pcap" "$KADDR6" > "$OUT/ping6.txt" 2>&1; rc=$?
check "nstack ping to $KADDR6 exits 0" test $rc -eq 0
check "header like ping -6's" has "$OUT/ping6.txt" "^PING $KADDR6 \($KADDR6\) 56 data bytes$"
for seq in 1 2 3; do
  check "reply icmp_seq=$seq from Linux, hop limit 64" \
    has "$OUT/ping6.txt" "^64 bytes from $KADDR6: icmp_seq=$seq ttl=64 time=[0-9.]+ ms$"
done
check "3 sent, 3 answered" has "$OUT/ping6.txt" '^3 packets transmitted, 3 received, 0% packet loss'
count() { pcap_count "$OUT/ping6.pcap" "$1"; }
check "capture: 3 echo requests, 3 replies" \
  test "$(count 'icmpv6.type == 128')/$(count 'icmpv6.type == 129')" = 3/3
check "capture: nstack's DAD, a solicitation from :: for each of its 2 addresses" \
  test "$(count "icmpv6.type == 135 && ipv6.src == :: && (icmpv6.nd.ns.target_address == $NADDR6 || icmpv6.nd.ns.target_address == $NLL)")" -ge 2
check "capture: nstack solicits the kernel's address (no ARP)" \
  test "$(count "icmpv6.type == 135 && icmpv6.nd.ns.target_address == $KADDR6 && ipv6.src == $NADDR6")" -ge 1
check "capture: the kernel advertises it" \
  test "$(count "icmpv6.type == 136 && icmpv6.nd.na.target_address == $KADDR6")" -ge 1
check "capture: no ARP for the IPv6 ping" test "$(count 'arp')" -eq 0
check "capture is clean" "$CHECK_PCAP" "$OUT/ping6.pcap"

tping -c 2 -i 0.2 "$KLL" > "$OUT/ping6-ll.txt" 2>&1
check "nstack pings the kernel's link-local $KLL" has "$OUT/ping6-ll.txt" '^2 packets transmitted, 2 received, 0% packet loss'
tping -c 2 -i 0.2 -s 3000 "$KADDR6" > "$OUT/ping6-big.txt" 2>&1
check "ping -s 3000 (fragmented both ways): 2 answered" \
  has "$OUT/ping6-big.txt" '^2 packets transmitted, 2 received, 0% packet loss'
check "reply of 3008 bytes" has "$OUT/ping6-big.txt" "^3008 bytes from $KADDR6: icmp_seq=2 ttl=64"
tping -c 2 -i 0.2 -W 1 2001:db8:77::99 > "$OUT/ping6-nobody.txt" 2>&1; rc=$?
check "no answer from 2001:db8:77::99 (no neighbour advertises it): exit 1" test $rc -eq 1
tping --no-ipv6 -c 1 "$KADDR6" > "$OUT/bad.txt" 2>&1; rc=$?
check "--no-ipv6 with an IPv6 DEST is refused (exit 2)" test $rc -eq 2

# ---- Linux pings nstack ---------------------------------------------------------
start_serve serve --addr6 "$NADDR6/64" --pcap "$OUT/serve.pcap" || exit 1
# nstack answers for its address once DAD has passed (a second or two).
for i in $(seq 10); do nsx ping -6 -c 1 -W 1 "$NADDR6" > /dev/null 2>&1 && break; sleep 0.3; done
nsx ping -6 -c 5 -i 0.2 -W 2 "$NADDR6" > "$OUT/kping6.txt" 2>&1
check "Linux ping -6: 5 sent, 5 answered" has "$OUT/kping6.txt" '^5 packets transmitted, 5 received, 0% packet loss'
check "reply icmp_seq=5, hop limit 64" has "$OUT/kping6.txt" "^64 bytes from $NADDR6: icmp_seq=5 ttl=64 time="
nsx ping -6 -c 2 -i 0.2 -W 2 -s 3000 "$NADDR6" > "$OUT/kping6-big.txt" 2>&1
check "Linux ping -6 -s 3000 (fragmented): 2 answered" \
  has "$OUT/kping6-big.txt" '^2 packets transmitted, 2 received, 0% packet loss'
nsx ping -6 -c 2 -i 0.2 -W 2 "$NLL%$TAP" > "$OUT/kping6-ll.txt" 2>&1
check "Linux pings nstack's link-local $NLL" has "$OUT/kping6-ll.txt" '^2 packets transmitted, 2 received, 0% packet loss'
check "the kernel resolved nstack's MAC by Neighbor Discovery" \
  has <(ip -n "$NS" -6 neigh show "$NADDR6") "lladdr 02:6e:0a:4d:00:02 (router )?(REACHABLE|STALE|DELAY|PROBE)"
stop_serve
count() { pcap_count "$OUT/serve.pcap" "$1"; }
check "serve capture: the kernel solicits nstack's address, nstack advertises it (solicited)" \
  test "$(count "icmpv6.type == 135 && icmpv6.nd.ns.target_address == $NADDR6 && ipv6.src != ::")" -ge 1 -a \
       "$(count "icmpv6.type == 136 && icmpv6.nd.na.target_address == $NADDR6 && icmpv6.nd.na.flag.s == 1")" -ge 1
check "serve capture: echo replies to all 10 requests (5 + 2 x 2 fragmented + link-local), from its addresses" \
  test "$(count "icmpv6.type == 129 && (ipv6.src == $NADDR6 || ipv6.src == $NLL)")" -ge 9
check "serve capture is clean" "$CHECK_PCAP" "$OUT/serve.pcap"
finish
