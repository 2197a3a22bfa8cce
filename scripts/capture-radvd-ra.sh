#!/usr/bin/env bash
# Captures the Router Advertisement radvd (Debian's radvd, the reference
# RFC 4861 router daemon) sends, for tests/unit/test_wire_ndp_ra.c to
# compare nst_nd_emit's bytes with. Everything runs inside a private
# network namespace (unshare --net) holding a veth pair whose far end is
# moved into a second private namespace; the link-local addresses come from
# the veth MACs, the prefix is 2001:db8:1::/64 (RFC 3849, documentation),
# so no frame leaves the sandbox. radvd runs in the foreground for a few
# seconds and is stopped by its PID.
#
#   usage: scripts/capture-radvd-ra.sh [out.pcap]   (root, radvd, tshark, ethtool)
set -euo pipefail
out=$(realpath -m "${1:-/tmp/nst-radvd-ra.pcap}")
rm -f "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/radvd.conf" <<'CONF'
interface va {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    AdvDefaultLifetime 1800;
    AdvCurHopLimit 64;
    AdvOtherConfigFlag on;
    AdvReachableTime 30000;
    AdvRetransTimer 1000;
    AdvLinkMTU 1480;
    AdvSourceLLAddress on;
    prefix 2001:db8:1::/64 {
        AdvOnLink on;
        AdvAutonomous on;
        AdvValidLifetime 86400;
        AdvPreferredLifetime 14400;
    };
};
CONF

# shellcheck source=scripts/capture-sandbox.sh
source "$(dirname "$0")/capture-sandbox.sh"
in_sandbox "$out" "$work" <<'INNER'
out=$1 work=$2
veth_pair 02:4e:53:00:00:09 02:4e:53:00:00:0a 60
in_peer ip link set vb up
sysctl -qw net.ipv6.conf.all.forwarding=1
ip link set va up
sleep 2 # the link-local address passes DAD
capture_start "$out" "icmp6 and ip6[40] == 134"
sleep 2
radvd -n -C "$work/radvd.conf" -p "$work/radvd.pid" -m stderr >"$work/radvd.log" 2>&1 &
rad=$!
sleep 6
kill "$rad" || cat "$work/radvd.log" >&2
wait "$rad" 2>/dev/null || true
sleep 1
capture_stop
INNER
echo "wrote $out"
