#!/usr/bin/env bash
# A private network namespace with a TAP device, to try nstack against the
# Linux kernel without touching the host's network.
#
#   scripts/netns.sh up NAME [--tap IF] [--kernel ADDR/N] [--nstack ADDR/N]
#       creates namespace NAME with TAP IF (default tap0) whose kernel side
#       is ADDR/N (default 10.77.0.1/24), and prints how to run nstack in it
#   scripts/netns.sh down NAME     deletes the namespace (and its TAP)
#   scripts/netns.sh status NAME   shows its links and addresses
#
# Everything stays inside the namespace: its only interfaces are lo and the
# TAP, so nothing sent there can reach another network. IPv6 is switched off
# in it (nstack speaks IPv4; the kernel's IPv6 chatter would only add noise
# to captures). Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

die() { echo "netns.sh: $*" >&2; exit 1; }

ns_exists() { ip netns list | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }

valid_name() { [[ $1 =~ ^[A-Za-z0-9_.-]{1,32}$ ]] || die "bad namespace name '$1' (letters, digits, _ . -; 1 to 32)"; }

# The nstack address: the kernel's address + 1 in the same prefix.
next_addr() {
  local ip=${1%/*} len=${1#*/}
  IFS=. read -r a b c d <<< "$ip"
  echo "$a.$b.$c.$((d + 1))/$len"
}

cmd_up() {
  local name=$1; shift
  local tap=tap0 kaddr=10.77.0.1/24 naddr=""
  while [ $# -gt 0 ]; do
    case $1 in
      --tap) tap=$2; shift 2 ;;
      --kernel) kaddr=$2; shift 2 ;;
      --nstack) naddr=$2; shift 2 ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  [[ $tap =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "bad TAP name '$tap'"
  [[ $kaddr =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || die "--kernel needs ADDR/N, not '$kaddr'"
  [ -n "$naddr" ] || naddr=$(next_addr "$kaddr")
  [ "$(id -u)" -eq 0 ] || die "needs root (creates a network namespace)"
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing (modprobe tun)"
  ns_exists "$name" && die "namespace '$name' exists already (scripts/netns.sh down $name)"
  ip netns add "$name"
  # From here on, a failure removes what was made.
  trap 'ip netns del "$name" 2>/dev/null' ERR
  ip -n "$name" link set lo up
  ip netns exec "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$name" tuntap add dev "$tap" mode tap
  ip -n "$name" addr add "$kaddr" dev "$tap"
  ip -n "$name" link set "$tap" up
  trap - ERR
  local nstack
  nstack=$(cd "$(dirname "$0")/.." && pwd)/build/nstack
  cat <<EOF
namespace $name: $tap with $kaddr on the kernel side.
Run nstack on it (as ${naddr%/*}), and talk to it from the kernel:
  ip netns exec $name $nstack serve --tap $tap --addr $naddr --udp-echo 7 --tcp-echo 7 --http 80
  ip netns exec $name ping -c 3 ${naddr%/*}
  ip netns exec $name curl http://${naddr%/*}/
Or ping the kernel from nstack:
  ip netns exec $name $nstack ping --tap $tap --addr $naddr -c 3 ${kaddr%/*}
Remove it with: $0 down $name
EOF
}

cmd_down() {
  local name=$1
  ns_exists "$name" || die "no namespace '$name'"
  ip netns del "$name"
  echo "namespace $name deleted"
}

cmd_status() {
  local name=$1
  ip -n "$name" -br link
  ip -n "$name" -br -4 addr
}

[ $# -ge 2 ] || usage
action=$1 name=$2; shift 2
valid_name "$name"
case $action in
  up) cmd_up "$name" "$@" ;;
  down) cmd_down "$name" ;;
  status) cmd_status "$name" ;;
  *) usage ;;
esac
