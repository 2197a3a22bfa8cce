# shellcheck shell=bash
# What the capture scripts (capture-wire-frames.sh, capture-wire-frames6.sh,
# capture-radvd-ra.sh) share: a sandbox of two private network namespaces
# joined by a veth pair, va in the first, vb in the second, so that no
# frame leaves it, and tshark on va. Sourced by those scripts:
#
#   in_sandbox ARGS... <<'INNER'  runs the script on stdin in a new private
#                                 namespace (unshare --net), this file
#                                 sourced and `set -euo pipefail` first;
#                                 ARGS are its $1...
# and in there:
#   veth_pair VA_MAC VB_MAC SECS  lo up; va here and vb in a second private
#                                 namespace that lives SECS seconds ($peer:
#                                 the sleep holding it), both with lo up and
#                                 transmit checksum offload off (veth leaves
#                                 just the pseudo-header sum in a frame by
#                                 default), so every captured checksum is
#                                 final; links stay down
#   in_peer COMMAND...            COMMAND in vb's namespace
#   capture_start OUT [FILTER]    tshark writing what va sees to OUT ($cap)
#   capture_stop                  stops tshark (its file complete), then the
#                                 peer namespace's sleep
# Only PIDs these started are signalled.

in_sandbox() {
  local lib
  lib=$(realpath "${BASH_SOURCE[0]}")
  { printf 'set -euo pipefail\nsource %q\n' "$lib"; cat; } | unshare --net bash -s "$@"
}

in_peer() { nsenter -t "$peer" -n "$@"; }

veth_pair() {
  ip link set lo up
  ip link add va address "$1" type veth peer name vb address "$2"
  unshare --net sleep "$3" &
  peer=$!
  sleep 0.3
  ip link set vb netns "$peer"
  in_peer ip link set lo up
  ethtool -K va tx off >/dev/null
  in_peer ethtool -K vb tx off >/dev/null
}

capture_start() {
  tshark -q -i va -w "$1" ${2:+-f "$2"} 2>/dev/null &
  cap=$!
}

capture_stop() {
  kill -INT "$cap" || true
  wait "$cap" || true
  kill "$peer" 2>/dev/null || true
}
