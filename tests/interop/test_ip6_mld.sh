#!/usr/bin/env bash
# MLD against a Linux bridge that snoops it (RFC 3810; RFC 4541 for the
# switch): br0 with multicast_snooping 1 and mcast_querier 1 (MLDv2, its
# startup queries 1 s apart with a 1 s Maximum Response Delay), nstack's
# TAP on it, and a veth to a kernel host (2001:db8:5::1, a namespace of its
# own) on it. nstack serve --addr6 2001:db8:5::2/64 reports its
# solicited-node groups (ff02::1:ff00:2 for the static address) as it
# starts DAD, and answers the bridge's General Queries. Asserted: `bridge
# mdb show` lists ff02::1:ff00:2 on the TAP's port; the kernel host pings
# nstack over IPv6 with snooping on (its Neighbor Solicitation to
# ff02::1:ff00:2 is forwarded to the TAP only because of the report); the
# capture holds nstack's State Change reports (CHANGE_TO_EXCLUDE, from ::
# for the tentative link-local address) and, after a query, Current State
# reports (MODE_IS_EXCLUDE), all MLDv2 to ff02::16 with hop limit 1 and a
# Router Alert that tshark decodes without an error; `netstat -s` Mld.
# Usage: test_ip6_mld.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env bridge ping tshark
require_ipv6_cli
ns_up
NSTACK_LINK=(--tap "$TAP") # IPv6 on (ns_up turns it off for the IPv4 tests)
NADDR6=2001:db8:5::2
KADDR6=2001:db8:5::1
SN=ff02::1:ff00:2
MAC=02:aa:bb:cc:dd:05
NLL=fe80::aa:bbff:fecc:dd05
SNLL=ff02::1:ffcc:dd05
CTL=$OUT/ctl.sock
HNS="nstit-mldh-$$"
ip netns add "$HNS" || skip "cannot create a second network namespace"
trap 'ip netns del "$HNS" 2>/dev/null; cleanup' EXIT

# The bridge in the test's namespace, IPv6 on there (the querier needs a
# link-local address). Times in centiseconds.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
ip -n "$NS" addr flush dev "$TAP"
ip -n "$NS" link add br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_mld_version 2 \
  mcast_startup_query_count 20 mcast_startup_query_interval 100 mcast_query_response_interval 100 \
  mcast_query_interval 500 ||
  skip "this kernel's bridge has no MLD snooping options"
ip -n "$NS" link set "$TAP" master br0
ip link add hb netns "$NS" type veth peer name h0 netns "$HNS" || skip "cannot create a veth pair"
ip -n "$NS" link set hb master br0
ip -n "$NS" link set hb up
ip -n "$NS" link set br0 up
ip -n "$HNS" link set lo up
ip -n "$HNS" -6 addr add "$KADDR6/64" dev h0 nodad
ip -n "$HNS" link set h0 up

start_serve serve --mac "$MAC" --addr6 "$NADDR6/64" --control "$CTL" --pcap "$OUT/serve.pcap" || exit 1

# The report goes at the DAD delay (< 1 s), then the bridge's queries.
for i in $(seq 100); do
  bridge -n "$NS" mdb show > "$OUT/mdb.txt" 2>&1
  grep -q "port $TAP grp $SN" "$OUT/mdb.txt" && break
  sleep 0.1
done
sed 's/^/    /' "$OUT/mdb.txt"
check "bridge mdb: nstack's solicited-node group $SN on port $TAP" has "$OUT/mdb.txt" "port $TAP grp $SN "
check "bridge mdb: no entry for ff02::1 (never reported)" test "$(grep -c 'grp ff02::1 ' "$OUT/mdb.txt")" -eq 0

# The bridge queries once br0's link-local address passed DAD (its
# startup queries are 1 s apart): wait for nstack's answer.
for i in $(seq 100); do
  "$NSTACK" netstat -s --control "$CTL" > "$OUT/netstat.txt" 2>&1
  grep -qE '^ +[1-9][0-9]* tx current records$' "$OUT/netstat.txt" && break
  sleep 0.1
done
mld() { sed -n '/^Mld:/,/^[A-Z]/p' "$OUT/netstat.txt" | sed -nE "s/^ +([0-9]+) ${1//_/ }$/\1/p"; }
sed -n '/^Mld:/,/^[A-Z]/p' "$OUT/netstat.txt" | sed 's/^/    /'
check "netstat -s Mld: the bridge's queries heard (rx queries $(mld rx_queries))" test "$(mld rx_queries)" -ge 1
check "... none refused (bad hop limit/source/router alert: $(mld rx_bad_hop_limit)/$(mld rx_bad_source)/$(mld rx_no_router_alert))" \
  test "$(mld rx_bad_hop_limit)$(mld rx_bad_source)$(mld rx_no_router_alert)" = 000
check "... reports sent ($(mld tx_reports)), current-state records among them ($(mld tx_current_records))" \
  test "$(mld tx_reports)" -ge 3 -a "$(mld tx_current_records)" -ge 1
# With a querier present the bridge forwards a registered group only to
# the ports that reported it: the kernel host's NS for $NADDR6, to $SN,
# goes to the TAP by the entry nstack's report made. (Groups nobody
# reported are still flooded: Linux's mcast_flood, on by default; with it
# off on the TAP this kernel delivered nothing, even a reported group.)
ip netns exec "$HNS" ping -6 -c 3 -i 0.2 -W 2 "$NADDR6" > "$OUT/kping.txt" 2>&1
check "kernel host ping -6 $NADDR6 through the snooping bridge: 3/3" \
  has "$OUT/kping.txt" '^3 packets transmitted, 3 received, 0% packet loss'

stop_serve

count() { pcap_count "$OUT/serve.pcap" "$1"; }
REP="icmpv6.type == 143 && eth.src == $MAC && ipv6.dst == ff02::16 && ipv6.hlim == 1 && ipv6.opt.router_alert == 0"
check "capture: MLDv2 reports, to ff02::16, hop limit 1, Router Alert (MLD)" test "$(count "$REP")" -ge 3
check "capture: every MLD message nstack sent is such a report ($(count "$REP"))" \
  test "$(count "(icmpv6.type >= 130 && icmpv6.type <= 132 || icmpv6.type == 143) && eth.src == $MAC")" -eq "$(count "$REP")"
check "capture: CHANGE_TO_EXCLUDE $SN, from :: during DAD (RFC 3590)" \
  test "$(count "$REP && ipv6.src == :: && icmpv6.mldr.mar.record_type == 4 && icmpv6.mldr.mar.multicast_address == $SN")" -ge 1
check "capture: MODE_IS_EXCLUDE $SN and $SNLL after a query, from $NLL" \
  test "$(count "$REP && ipv6.src == $NLL && icmpv6.mldr.mar.record_type == 2 && icmpv6.mldr.mar.multicast_address == $SN && icmpv6.mldr.mar.multicast_address == $SNLL")" -ge 1
check "capture: the bridge's MLDv2 queries reached nstack" test "$(count "icmpv6.type == 130")" -ge 1
check "capture: tshark finds no error in any MLD message" test "$(count "icmpv6.type == 143 && _ws.expert.severity >= warning")" -eq 0
check "capture is clean" "$CHECK_PCAP" "$OUT/serve.pcap"
finish
