#!/usr/bin/env bash
# IPv6 bad input (issue #18) at nstack serve on a TAP, from Scapy
# (attacks_ip6.py): extension-header chains too long, Hop-by-Hop not first,
# routing header type 0, unknown options and next headers; atomic (RFC 6946),
# overlapping (RFC 5722) and header-less first (RFC 7112) fragments, 3000
# datagrams never completed and one timing out; Neighbor Discovery with hop
# limit 254, a multicast target, bad options; ICMPv6 errors quoting packets
# that are not nstack's; 2000 Router Advertisements from random routers with
# random prefixes, 2000 Neighbor Solicitations for random targets and 1000
# from random neighbours. The Parameter Problem codes and pointers and the
# Time Exceeded are read from Scapy's sniff; every drop's counter is checked
# at exit; the bounds of router discovery and the neighbour cache are read
# with `nstack ip -6` over the control socket; afterwards nstack still
# answers the kernel's ping -6 and a TCP echo over IPv6 (and lib.sh's IPv4 checks: its echo
# connection intact, ping, a new echo connection; exit 0 under ASan).
# Usage: test_ip6_badinput.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
KADDR6=2001:db8:77::1
NADDR6=2001:db8:77::2
export ADV_NADDR6=$NADDR6
require_ipv6_cli
CTL=$OUT/ctl.sock
ADV_RSS_GROWTH_KB=${ADV_RSS_GROWTH_KB:-32768}

adv_ns_hook() { ipv6_up "$KADDR6/64"; }

adv_after_hook() {
  local ipc=("$NSTACK" ip --control "$CTL" -6)
  "${ipc[@]}" route > "$OUT/route6.txt" 2>&1
  "${ipc[@]}" addr > "$OUT/addr6.txt" 2>&1
  "${ipc[@]}" neigh > "$OUT/neigh6.txt" 2>&1
  local routers prefixes slaac neigh
  routers=$(grep -c '^default via fe80::[0-9a-f:]* dev [^ ]* proto ra ' "$OUT/route6.txt")
  prefixes=$(grep -c '^2001:db8:[0-9a-f:]*/64 dev [^ ]* proto ra ' "$OUT/route6.txt")
  slaac=$(grep -c 'scope global dynamic' "$OUT/addr6.txt")
  neigh=$(wc -l < "$OUT/neigh6.txt")
  echo "    after the floods: $routers default route, $prefixes RA prefixes, $slaac SLAAC addresses, $neigh neighbours"
  # cfg.nd_max_routers 8, nd_max_prefixes 16, nd_max_slaac 4,
  # ip6_nd_table_max 256 resolved + ip6_nd_incomplete_max 64.
  # (The 8 routers the list holds are in the ndra counters; the route
  # table has the one chosen, RFC 4861 6.3.6.)
  check "nstack ip -6 route: one default route, via a router of the flood" test "$routers" -eq 1
  check "nstack ip -6 route: 16 RA prefixes (the bound)" test "$prefixes" -eq 16
  check "nstack ip -6 addr: 4 SLAAC addresses (the bound), the static one kept" \
    test "$slaac" -eq 4 -a "$(grep -c "inet6 $NADDR6/64 scope global" "$OUT/addr6.txt")" -eq 1
  check "nstack ip -6 neigh: at most 320 neighbours" test "$neigh" -le 320 -a "$neigh" -ge 200
  check "nstack still answers the kernel's ping -6" \
    bash -c "ip netns exec $NS ping -6 -c 3 -i 0.2 -W 2 $NADDR6 > $OUT/ping6.txt"
  check "nstack still echoes on a new TCP connection over IPv6" \
    test "$(echo "alive over IPv6" | timeout 10 ip netns exec "$NS" nc -N "$NADDR6" 7)" = "alive over IPv6"
}

adv_main ip6_ext ip6_frag ip6_nd ip6_icmp ip6_flood ip6_timeout -- --addr6 "$NADDR6/64" --control "$CTL"
finish
