#!/usr/bin/env bash
# nstack as a router between two Linux hosts: `nstack router` runs one stack
# with a TAP on each of two subnets (both families), in a namespace of its
# own; each TAP is then moved into the namespace of a kernel host (its
# descriptor stays nstack's): host A on 10.78.1.0/24 and 2001:db8:1::/64,
# host B on 10.78.2.0/24 and 2001:db8:2::/64, B's link at MTU 1280.
# Asserted: traceroute (UDP) of both families from A lists exactly nstack's
# A-side address as hop 1 and B as hop 2 (RFC 1812 5.3.1, RFC 4443 3.3);
# pings both ways, both families, TTL and hop limit one lower (forwarded,
# RFC 1812 5.2, RFC 8200 3); B's IPv6 address by SLAAC from nstack's Router
# Advertisement (the exact EUI-64 address, RFC 4862 5.5.3) and its default
# route via nstack's link-local address (RFC 4861 6.3.4); Packet Too Big
# (mtu 1280) for a 1400-byte IPv6 ping and Fragmentation Needed for an IPv4
# one with DF (RFC 4443 3.2, RFC 1191 4); a TCP transfer A -> B through
# nstack with equal SHA-256; nstack's counters per phase exact (forwarded,
# Time Exceeded = traceroute's hop-1 probes), over its control socket; its
# static routes (--route) to a network behind B, both families; its last
# Router Advertisement when it stops (lifetime 0, RFC 4861 6.2.5) removes
# B's default route. Only the test's own namespaces.
# Usage: test_router.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env ping traceroute python3 openssl tshark
NS="nstit-router-a-$$"      # host A (lib.sh deletes it)
NSTACK_NS="nstit-router-r-$$" # nstack (lib.sh deletes it)
NSB="nstit-router-b-$$"     # host B
trap 'cleanup; ip netns del "$NSB" 2>/dev/null' EXIT
rm -rf "$OUT"; mkdir -p "$OUT"
for n in "$NS" "$NSTACK_NS" "$NSB"; do
  ip netns add "$n" || skip "cannot create a network namespace"
  ip -n "$n" link set lo up
done
# nstack's namespace: the TAPs until they move, no kernel IPv6 on them.
ip netns exec "$NSTACK_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NSTACK_NS" tuntap add dev tapA mode tap || skip "cannot create a TAP"
ip -n "$NSTACK_NS" tuntap add dev tapB mode tap || skip "cannot create a TAP"
# B's link at the IPv6 minimum: nstack's interface takes the device's MTU.
ip -n "$NSTACK_NS" link set tapB mtu 1280
ip -n "$NSTACK_NS" link set tapA up
ip -n "$NSTACK_NS" link set tapB up

A4=10.78.1.1; RA4=10.78.1.2; B4=10.78.2.1; RB4=10.78.2.2
A6=2001:db8:1::1; RA6=2001:db8:1::2; RB6=2001:db8:2::2
# B's MAC, and so its SLAAC address: EUI-64 flips the universal/local bit
# (02 -> 00) and puts ff:fe in the middle (RFC 4291 2.5.1).
BMAC=02:bb:00:00:00:02
B6=2001:db8:2:0:bb:ff:fe00:2
# nstack's B side: MAC 02:6e and 10.78.2.2 (its default), link-local EUI-64.
RBLL=fe80::6e:aff:fe4e:202
CTL=$OUT/ctl.sock
# A network behind B (its loopback), reached through nstack's --route: via
# B's IPv4 address, and via its link-local address for IPv6.
BLL=fe80::bb:ff:fe00:2
NET9_4=10.78.9.0; H9_4=10.78.9.1
NET9_6=2001:db8:9::; H9_6=2001:db8:9::1

NSTACK_COUNTERS=1 ip netns exec "$NSTACK_NS" "$NSTACK" router \
  --tap tapA --addr "$RA4/24" --addr6 "$RA6/64" --pcap "$OUT/tapA.pcap" --pcap-max 400 \
  --tap tapB --addr "$RB4/24" --addr6 "$RB6/64" --route "$NET9_4/24" via "$B4" --route "$NET9_6/64" via "$BLL" \
  --advertise --control "$CTL" --seconds 60 > "$OUT/router.txt" 2>&1 &
ROUTER_PID=$!
STARTED_PIDS+=("$ROUTER_PID")
wait_for "$OUT/router.txt" '^nstack router: ready$' || { echo "nstack router did not start:"; cat "$OUT/router.txt"; exit 1; }
sed 's/^/    /' "$OUT/router.txt"
check "tapA: 10.78.1.2/24, mtu 1500, advertising" \
  has "$OUT/router.txt" "^nstack router: $RA4/24 on tapA \(02:6e:0a:4e:01:02, mtu 1500; IPv6 .*$RA6/64.*\), advertising$"
check "tapB: 10.78.2.2/24, mtu 1280 (the device's), link-local $RBLL, advertising" \
  has "$OUT/router.txt" "^nstack router: $RB4/24 on tapB \(02:6e:0a:4e:02:02, mtu 1280; IPv6 .*$RBLL/64.*\), advertising$"

# The hosts. A: static addresses and routes, no RA taken. B: IPv4 static,
# IPv6 from nstack's RA (no DAD: the test's namespaces have nobody else).
ip -n "$NSTACK_NS" link set tapA netns "$NS"
ip -n "$NSTACK_NS" link set tapB netns "$NSB"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.tapA.accept_ra=0 net.ipv6.conf.tapA.accept_dad=0
ip -n "$NS" addr add "$A4/24" dev tapA
ip -n "$NS" -6 addr add "$A6/64" dev tapA nodad
ip -n "$NS" link set tapA up
ip -n "$NS" route add default via "$RA4"
ip -n "$NS" -6 route add default via "$RA6"
ip -n "$NSB" link set tapB address "$BMAC"
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.tapB.accept_ra=1 net.ipv6.conf.tapB.accept_dad=0 \
  net.ipv6.conf.tapB.addr_gen_mode=0 net.ipv6.conf.tapB.use_tempaddr=0
ip -n "$NSB" addr add "$B4/24" dev tapB
ip -n "$NSB" link set tapB up
ip -n "$NSB" route add default via "$RB4"
ip -n "$NSB" addr add "$H9_4/32" dev lo
ip -n "$NSB" -6 addr add "$H9_6/128" dev lo
nsb() { ip netns exec "$NSB" "$@"; }

# nstack's counters now and after each phase (netstat -s over the control
# socket): ctr SNAPSHOT GROUP NAME, e.g. ctr v4-0 Ip forwarded (a line
# "    N words [NAME]", or "    N NAME" with spaces for underscores).
snap() { "$NSTACK" netstat -s --control "$CTL" > "$OUT/netstat-$1.txt" 2>&1; }
ctr() {
  sed -n "/^$2:/,/^[A-Z]/p" "$OUT/netstat-$1.txt" | sed -nE "s/^ +([0-9]+) (.*\[$3\]|${3//_/ })$/\1/p"
}
# delta FROM TO GROUP NAME: how much a counter grew between two snapshots.
delta() { echo $(($(ctr "$2" "$3" "$4") - $(ctr "$1" "$3" "$4"))); }
# pinged NETNS NAME COUNT DEST [PING-OPTIONS]: 0 if every one of COUNT
# pings from NETNS to DEST was answered with TTL (hop limit) 63: one hop
# on the way back, nstack's. Output in $OUT/NAME.txt.
pinged() {
  local ns=$1 name=$2 n=$3 dest=$4; shift 4
  ip netns exec "$ns" ping -c "$n" -i 0.2 -W 2 "$@" "$dest" > "$OUT/$name.txt" 2>&1
  test "$(grep -cE "^64 bytes from $dest: icmp_seq=[0-9]+ ttl=63 " "$OUT/$name.txt")" = "$n"
}

# ---- IPv4: traceroute and ping through nstack -------------------------------
snap v4-0
# -N 1: one probe at a time (exactly 3 per hop, none past B); -q 3 probes a hop.
timeout 20 ip netns exec "$NS" traceroute -n -N 1 -q 3 -w 2 "$B4" > "$OUT/traceroute.txt" 2>&1
sed 's/^/    /' "$OUT/traceroute.txt"
hop() { sed -n "$(($2 + 1))p" "$1"; }
check "traceroute: hop 1 is nstack's $RA4 (Time Exceeded, three probes)" \
  grep -qE "^ 1  ${RA4//./\\.}  [0-9.]+ ms  [0-9.]+ ms  [0-9.]+ ms$" <(hop "$OUT/traceroute.txt" 1)
check "traceroute: hop 2 is B $B4, and the last" \
  test "$(grep -cE '^ ?[0-9]+ ' "$OUT/traceroute.txt")" = 2 -a -n "$(hop "$OUT/traceroute.txt" 2 | grep -E "^ 2  ${B4//./\\.}  [0-9.]+ ms  [0-9.]+ ms  [0-9.]+ ms$")"
snap v4-1
check "counters: 3 TTL expired, 3 Time Exceeded sent (the hop-1 probes)" \
  test "$(delta v4-0 v4-1 Ip drop_ttl_expired)/$(delta v4-0 v4-1 Icmp tx_time_exceeded)" = 3/3
check "counters: 6 forwarded (the 3 hop-2 probes, B's 3 Port Unreachables)" \
  test "$(delta v4-0 v4-1 Ip forwarded)" = 6
check "A pings B: 3 answered, TTL 63" pinged "$NS" ping-ab 3 "$B4"
check "B pings A: 3 answered, TTL 63" pinged "$NSB" ping-ba 3 "$A4"
snap v4-2
check "counters: 12 forwarded (3 x 2 pings, both ways)" test "$(delta v4-1 v4-2 Ip forwarded)" = 12
# RFC 1191 4: 1428 bytes with DF do not fit B's 1280.
nsx ping -M do -c 1 -s 1400 -W 2 "$B4" > "$OUT/ping-df.txt" 2>&1
check "ping -M do -s 1400: Frag needed from nstack, mtu 1280" \
  has "$OUT/ping-df.txt" "^From $RA4 icmp_seq=1 Frag needed and DF set \(mtu = 1280\)$"
snap v4-3
check "counters: 1 too big with DF, 1 Destination Unreachable sent, nothing forwarded" \
  test "$(delta v4-2 v4-3 Ip drop_df_too_big)/$(delta v4-2 v4-3 Icmp tx_dest_unreach)/$(delta v4-2 v4-3 Ip forwarded)" = 1/1/0

# ---- IPv6: B's address from nstack's RA, then the same -------------------------
for i in $(seq 100); do
  nsb ip -6 route show default > "$OUT/b-route6.txt"
  ip -n "$NSB" -6 addr show dev tapB scope global > "$OUT/b-addr6.txt"
  grep -q "via $RBLL" "$OUT/b-route6.txt" && grep -q "inet6 $B6/64" "$OUT/b-addr6.txt" && break
  sleep 0.1
done
sed 's/^/    /' "$OUT/b-addr6.txt" "$OUT/b-route6.txt"
check "B formed $B6/64 by SLAAC from nstack's prefix (EUI-64 of $BMAC)" \
  has "$OUT/b-addr6.txt" "inet6 $B6/64 scope global dynamic"
check "B's default route via nstack's link-local $RBLL, from the RA" \
  has "$OUT/b-route6.txt" "^default via $RBLL dev tapB proto ra "
snap v6-0
timeout 20 ip netns exec "$NS" traceroute -6 -n -N 1 -q 3 -w 2 "$B6" > "$OUT/traceroute6.txt" 2>&1
sed 's/^/    /' "$OUT/traceroute6.txt"
check "traceroute -6: hop 1 is nstack's $RA6" \
  grep -qE "^ 1  $RA6  [0-9.]+ ms  [0-9.]+ ms  [0-9.]+ ms$" <(hop "$OUT/traceroute6.txt" 1)
check "traceroute -6: hop 2 is B $B6, and the last" \
  test "$(grep -cE '^ ?[0-9]+ ' "$OUT/traceroute6.txt")" = 2 -a -n "$(hop "$OUT/traceroute6.txt" 2 | grep -E "^ 2  $B6  [0-9.]+ ms  [0-9.]+ ms  [0-9.]+ ms$")"
snap v6-1
check "counters: 3 hop limit expired, 3 Time Exceeded sent" \
  test "$(delta v6-0 v6-1 Ip6 drop_hop_limit)/$(delta v6-0 v6-1 Icmp6 tx_time_exceeded)" = 3/3
check "counters: 6 forwarded" test "$(delta v6-0 v6-1 Ip6 forwarded)" = 6
check "A pings B over IPv6: 3 answered, hop limit 63" pinged "$NS" ping6-ab 3 "$B6" -6
check "B pings A over IPv6: 3 answered, hop limit 63" pinged "$NSB" ping6-ba 3 "$A6" -6
snap v6-2
check "counters: 12 forwarded" test "$(delta v6-1 v6-2 Ip6 forwarded)" = 12
# RFC 8200 5: routers never fragment; A learns 1280 and fragments the next ones itself.
nsx ping -6 -c 3 -i 0.2 -s 1400 -W 2 "$B6" > "$OUT/ping6-big.txt" 2>&1
check "ping -6 -s 1400: Packet Too Big from nstack, mtu 1280" \
  has "$OUT/ping6-big.txt" "^From $RA6 icmp_seq=1 Packet too big: mtu=1280$"
check "... then A fragments: 2 answered" \
  test "$(grep -c "^1408 bytes from $B6: icmp_seq=[23] ttl=63 " "$OUT/ping6-big.txt")" = 2
snap v6-3
check "counters: 1 too big, 1 Packet Too Big sent" \
  test "$(delta v6-2 v6-3 Ip6 drop_too_big)/$(delta v6-2 v6-3 Icmp6 tx_packet_too_big)" = 1/1

# ---- --route: the network behind B ------------------------------------------------
snap r-0
check "A pings $H9_4 behind B (--route $NET9_4/24 via $B4): 2 answered, TTL 63" \
  pinged "$NS" ping-net9 2 "$H9_4"
check "A pings $H9_6 behind B (--route $NET9_6/64 via $BLL): 2 answered, hop limit 63" \
  pinged "$NS" ping6-net9 2 "$H9_6" -6
snap r-1
check "counters: 4 forwarded of each family" \
  test "$(delta r-0 r-1 Ip forwarded)/$(delta r-0 r-1 Ip6 forwarded)" = 4/4

# ---- TCP through nstack ---------------------------------------------------------
BYTES=64M
ip netns exec "$NSB" python3 "$PEER" listen 5001 recv --timeout 30 > "$OUT/peer-b.txt" 2>&1 &
STARTED_PIDS+=("$!")
PEER_B=$!
wait_for "$OUT/peer-b.txt" '^peer: listening$' || { echo "B did not listen:"; cat "$OUT/peer-b.txt"; }
gen "$BYTES" | timeout 60 ip netns exec "$NS" python3 "$PEER" connect "$B4:5001" send --timeout 30 \
  > "$OUT/peer-a.txt" 2>&1
wait_exit "$PEER_B" 30
want=$(gen_sha "$BYTES")
check "TCP A -> B through nstack: $BYTES, SHA-256 equal on both ends" \
  test "$(got "$OUT/peer-a.txt" sent)" = "$((64 << 20))/$want" -a "$(got "$OUT/peer-b.txt" received)" = "$((64 << 20))/$want"
throughput "A -> B" "$OUT/peer-b.txt" received

# ---- nstack stops: its last RA takes B's default route away -----------------------
kill -TERM "$ROUTER_PID"
wait_exit "$ROUTER_PID" 10; rc=$?
check "nstack router exits 0 on SIGTERM" test $rc -eq 0
for i in $(seq 30); do
  nsb ip -6 route show default > "$OUT/b-route6-after.txt"
  grep -q "via $RBLL" "$OUT/b-route6-after.txt" || break
  sleep 0.1
done
check "B's default route via nstack is gone (RA with router lifetime 0)" \
  test ! -s "$OUT/b-route6-after.txt"
sed -n '/^--- forwarding ---$/,/^--- tapA/p' "$OUT/router.txt" | sed 's/^/    /'
total() { sed -nE "s/^counter $1 ([0-9]+)$/\1/p" "$OUT/router.txt"; }
check "at exit: 3 + 3 Time Exceeded sent, 1 Frag Needed, 1 Packet Too Big, none rate limited" \
  test "$(total icmp.tx_time_exceeded)/$(total icmp6.tx_time_exceeded)/$(total icmp.tx_dest_unreach)/$(total icmp6.tx_packet_too_big)/$(total icmp.rate_limited)$(total icmp6.rate_limited)" = 3/3/1/1/
check "at exit: the forwarding line says the same" \
  has "$OUT/router.txt" "^ipv4: [0-9]+ forwarded; 3 TTL expired, 1 too big with DF, 0 no route; ICMP sent: 3 Time Exceeded, 1 Destination Unreachable"
count() { pcap_count "$OUT/tapA.pcap" "$1"; }
check "capture on A's side: Time Exceeded x3 from $RA4, x3 from $RA6" \
  test "$(count "icmp.type == 11 && ip.src == $RA4")/$(count "icmpv6.type == 3 && ipv6.src == $RA6")" = 3/3
check "capture on A's side: Frag Needed (mtu 1280) and Packet Too Big (mtu 1280), one each" \
  test "$(count "icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1280")/$(count "icmpv6.type == 2 && icmpv6.mtu == 1280")" = 1/1
finish
