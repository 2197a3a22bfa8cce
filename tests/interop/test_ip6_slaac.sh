#!/usr/bin/env bash
# Stateless address autoconfiguration from a Linux router: radvd on the
# kernel's side of the TAP advertises 2001:db8:1::/64 (on-link, autonomous)
# from the kernel's link-local fe80::1; nstack serve, given no IPv6 address,
# solicits routers (RFC 4861 6.3.7), takes the RA, forms its address from
# the prefix and the EUI-64 of its MAC (RFC 4862 5.5.3, RFC 4291 2.5.1),
# runs DAD on it (RFC 4862 5.4) and installs the default route through the
# router (RFC 4861 6.3.4). Asserted: the exact address and routes in
# `nstack ip -6` over the control socket, the ndra counters in
# `netstat -s`, the kernel pinging the SLAAC address, the RS/RA/DAD frames
# in order in the capture, and the capture clean in tshark. Then nstack
# serve --ip6-temp 2 again: beside the EUI-64 address an RFC 8981
# temporary one (random identifier, lifetimes the RA's capped by the
# temporary ones), which the kernel pings.
# Usage: test_ip6_slaac.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env radvd ping tshark
require_ipv6_cli
ns_up
PREFIX=2001:db8:1::
KLL=fe80::1
# MAC 02:aa:bb:cc:dd:ee: EUI-64 flips the universal/local bit (02 -> 00)
# and puts ff:fe in the middle: interface identifier 00aa:bbff:fecc:ddee.
MAC=02:aa:bb:cc:dd:ee
# (RFC 5952 4.2.2: one zero group is written out, not as "::".)
SLAAC=2001:db8:1:0:aa:bbff:fecc:ddee
NLL=fe80::aa:bbff:fecc:ddee
CTL=$OUT/ctl.sock

# The kernel: the link-local address fe80::1 (no EUI-64 one generated:
# radvd's source and the default route's gateway are then known), an
# address in the prefix (to ping from) and forwarding on (a router, as
# radvd expects). radvd answers solicitations only (UnicastOnly: no
# unsolicited RA), unicast to the soliciting host: the RA nstack gets is
# the answer to its RS.
nsx sysctl -qw "net.ipv6.conf.$TAP.addr_gen_mode=1"
ipv6_up "${PREFIX}1/64"
ip -n "$NS" -6 addr add "$KLL/64" dev "$TAP" nodad
nsx sysctl -qw net.ipv6.conf.all.forwarding=1
cat > "$OUT/radvd.conf" <<EOF
interface $TAP {
  AdvSendAdvert on;
  UnicastOnly on;
  MinRtrAdvInterval 30;
  MaxRtrAdvInterval 100;
  AdvDefaultLifetime 1800;
  prefix $PREFIX/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvValidLifetime 86400;
    AdvPreferredLifetime 14400;
  };
};
EOF
bg radvd radvd --nodaemon --config "$OUT/radvd.conf" --pidfile "$OUT/radvd.pid" --logmethod stderr --debug 1
RADVD_PID=$BG_PID
sleep 0.5
check "radvd runs" running "$RADVD_PID"

# nstack: IPv4 as every interop test, IPv6 with no address but its
# link-local one: what it has globally comes from the RA.
start_serve serve --mac "$MAC" --control "$CTL" --pcap "$OUT/serve.pcap" || exit 1
ipc() { "$NSTACK" ip --control "$CTL" -6 "$@"; }
# Solicitation after up to a second, the RA within half a second of it,
# DAD of the new address a second or two: 10 s is ample.
for i in $(seq 100); do
  ipc addr > "$OUT/addr.txt" 2>&1
  grep -q "inet6 $SLAAC/64 scope global dynamic$" "$OUT/addr.txt" && break
  sleep 0.1
done
cat "$OUT/addr.txt" | sed 's/^/    /'
# "dynamic": formed from an RA, with lifetimes (ip's word); a tentative
# address (DAD running) would say "tentative" after it.
check "nstack formed $SLAAC/64 (prefix + EUI-64 of $MAC) from the RA, DAD passed" \
  has "$OUT/addr.txt" "^    inet6 $SLAAC/64 scope global dynamic$"
check "... with the RA's lifetimes (valid 86400 s, preferred 14400 s, counting down)" \
  has "$OUT/addr.txt" "^       valid_lft 86[34][0-9]{2}sec preferred_lft 14[34][0-9]{2}sec$"
check "its link-local $NLL is there too" has "$OUT/addr.txt" "inet6 $NLL/64 scope link"
check "no other global address" test "$(grep -c 'scope global' "$OUT/addr.txt")" -eq 1

ipc route > "$OUT/route.txt" 2>&1
sed 's/^/    /' "$OUT/route.txt"
check "the default route via the router's link-local $KLL, from the RA" \
  has "$OUT/route.txt" "^default via $KLL dev [^ ]+ proto ra metric [0-9]+$"
check "the prefix on-link, from the RA" has "$OUT/route.txt" "^$PREFIX/64 dev [^ ]+ proto ra metric [0-9]+$"
ipc neigh > "$OUT/neigh.txt" 2>&1
check "the router in the neighbour cache, flagged router" has "$OUT/neigh.txt" "^$KLL dev [^ ]+ lladdr [0-9a-f:]+ router "

# The kernel reaches nstack's SLAAC address (on-link: its own RA said so).
nsx ping -6 -c 3 -i 0.2 -W 2 "$SLAAC" > "$OUT/kping.txt" 2>&1
check "Linux ping -6 $SLAAC: 3 sent, 3 answered" has "$OUT/kping.txt" '^3 packets transmitted, 3 received, 0% packet loss'

"$NSTACK" netstat -s --control "$CTL" > "$OUT/netstat.txt" 2>&1
# A counter of netstat -s's NdRa group ("    N rs sent" for ndra.rs_sent).
ctl_counter() { sed -n '/^NdRa:/,/^[A-Z]/p' "$OUT/netstat.txt" | sed -nE "s/^ +([0-9]+) ${1//_/ }$/\1/p"; }
# One RS, answered by the one RA (radvd sends no other): one router, one
# prefix, one address; nothing refused.
for c in rs_sent ra_received routers_added prefixes_added slaac_formed; do
  check "netstat -s: $c 1 (is $(ctl_counter "$c"))" test "$(ctl_counter "$c")" = 1
done
for c in ra_ignored routers_full prefixes_full slaac_full slaac_dad_failed; do
  check "netstat -s: $c 0 (is $(ctl_counter "$c"))" test "$(ctl_counter "$c")" = 0
done
stop_serve

# RFC 8981: the same host with temporary addresses (Linux's use_tempaddr 2).
CTL2=$OUT/ctl2.sock
start_serve serve2 --mac "$MAC" --control "$CTL2" --ip6-temp 2 || exit 1
for i in $(seq 100); do
  "$NSTACK" ip --control "$CTL2" -6 addr > "$OUT/addr2.txt" 2>&1
  grep -q "inet6 $SLAAC/64 scope global dynamic$" "$OUT/addr2.txt" &&
    grep -q "scope global temporary dynamic$" "$OUT/addr2.txt" && break
  sleep 0.1
done
sed 's/^/    /' "$OUT/addr2.txt"
TEMP=$(sed -nE 's/^ +inet6 ([0-9a-f:]+)\/64 scope global temporary dynamic$/\1/p' "$OUT/addr2.txt")
check "--ip6-temp 2: the EUI-64 address $SLAAC and one temporary address, DAD passed" \
  test "$(grep -c "inet6 $SLAAC/64 scope global dynamic$" "$OUT/addr2.txt")/$(echo "$TEMP" | grep -c .)" = 1/1
check "... the temporary one ($TEMP) in the prefix, not the EUI-64 identifier" \
  bash -c "[[ '$TEMP' == 2001:db8:1:0:* && '$TEMP' != '$SLAAC' ]]"
# Valid: the RA's 86400 s (under TEMP_VALID_LIFETIME's 2 days); preferred:
# the RA's 14400 s (under 1 day - DESYNC_FACTOR, at least 0.6 day).
check "... with the RA's lifetimes (valid 86400 s, preferred 14400 s, counting down)" \
  test "$(grep -A1 "temporary dynamic$" "$OUT/addr2.txt" | grep -cE '^ +valid_lft 86[34][0-9]{2}sec preferred_lft 14[34][0-9]{2}sec$')" = 1
nsx ping -6 -c 2 -i 0.2 -W 2 "$TEMP" > "$OUT/kping2.txt" 2>&1
check "Linux ping -6 $TEMP (nstack's temporary address): 2 sent, 2 answered" \
  has "$OUT/kping2.txt" '^2 packets transmitted, 2 received, 0% packet loss'
"$NSTACK" netstat -s --control "$CTL2" > "$OUT/netstat.txt" 2>&1
for c in slaac_formed temp_created; do
  check "netstat -s: $c 1 (is $(ctl_counter "$c"))" test "$(ctl_counter "$c")" = 1
done
for c in temp_dad_failed temp_no_slot; do
  check "netstat -s: $c 0 (is $(ctl_counter "$c"))" test "$(ctl_counter "$c")" = 0
done
stop_serve
stop_pid "$RADVD_PID"

count() { pcap_count "$OUT/serve.pcap" "$1"; }
first() { tshark -n -r "$OUT/serve.pcap" -Y "$1" -T fields -e frame.number 2>/dev/null | head -1; }
rs=$(first "icmpv6.type == 133 && eth.src == $MAC")
ra=$(first "icmpv6.type == 134 && ipv6.src == $KLL && icmpv6.opt.prefix == $PREFIX")
dad=$(first "icmpv6.type == 135 && ipv6.src == :: && icmpv6.nd.ns.target_address == $SLAAC")
echo "    frames: RS #$rs, RA #$ra, DAD of $SLAAC #$dad"
check "capture: nstack solicits routers (RS to ff02::2, hop limit 255)" \
  test "$(count "icmpv6.type == 133 && eth.src == $MAC && ipv6.dst == ff02::2 && ipv6.hlim == 255")" -ge 1
check "capture: one RA, radvd's answer unicast to nstack's $NLL, with the prefix, autonomous" \
  test "$(count "icmpv6.type == 134")/$(count "icmpv6.type == 134 && ipv6.src == $KLL && ipv6.dst == $NLL && icmpv6.opt.prefix == $PREFIX && icmpv6.opt.prefix.flag.a == 1")" = 1/1
check "capture: RS, then RA, then DAD of the SLAAC address, in that order" \
  test -n "$rs" -a -n "$ra" -a -n "$dad" -a "${rs:-0}" -lt "${ra:-0}" -a "${ra:-0}" -lt "${dad:-0}"
check "capture: nstack answers the kernel's pings from $SLAAC" \
  test "$(count "icmpv6.type == 129 && ipv6.src == $SLAAC")" -eq 3
check "capture is clean" "$CHECK_PCAP" "$OUT/serve.pcap"
finish
