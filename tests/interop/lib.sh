# Shared by the interop tests (sourced): nstack on a TAP against the Linux
# kernel, in a network namespace of the test's own.
#
#   source lib.sh NSTACK OUTDIR
#
# Sets NSTACK, OUT (this test's output folder), NS (the namespace), TAP,
# KADDR (the kernel's address) and NADDR (nstack's). Skips (exit 77) if not
# root, without /dev/net/tun, or without a needed command. On exit, always:
# the processes this test started are stopped (by their PID) and the
# namespace is deleted. Only addresses inside the namespace are ever used:
# its only interfaces are lo and the TAP.
set -uo pipefail

NSTACK=$1
TEST_NAME=$(basename "$0" .sh)
OUT=$2/interop/$TEST_NAME
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK_PCAP=$HERE/../cli/check_pcap.sh
TAP=tap0
KADDR=10.77.0.1
NADDR=10.77.0.2
NS=""
STARTED_PIDS=()
pass=0
fail=0

skip() { echo "SKIP: $*"; exit 77; }

require_env() { # require_env COMMAND...
  [ "$(id -u)" -eq 0 ] || skip "needs root (creates a network namespace and a TAP)"
  [ -c /dev/net/tun ] || skip "/dev/net/tun is missing (modprobe tun)"
  local c
  for c in ip "$@"; do
    command -v "$c" >/dev/null || skip "$c is missing (scripts/deps.sh test installs it)"
  done
}

# 0 while the process runs (an exited child not yet waited for is a zombie:
# it no longer runs).
running() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }

# Stops a process we started: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do
    running "$pid" || break
    sleep 0.1
  done
  running "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The namespace: a TAP with KADDR/24 on the kernel side, up; IPv6 off (no
# router solicitations or MLD reports: frame counts stay exact).
ns_up() {
  NS="nstit-$TEST_NAME-$$"
  NS=${NS:0:40}
  rm -rf "$OUT"; mkdir -p "$OUT"
  ip netns add "$NS" || { NS=""; skip "cannot create a network namespace"; }
  ip -n "$NS" link set lo up
  ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$NS" tuntap add dev "$TAP" mode tap || skip "cannot create a TAP in the namespace"
  ip -n "$NS" addr add "$KADDR/24" dev "$TAP"
  ip -n "$NS" link set "$TAP" up
}

nsx() { ip netns exec "$NS" "$@"; }

# start_serve NAME [ARGS...]: nstack serve in the background (60 s at most),
# output in $OUT/NAME.txt; waits (10 s at most) for it to be ready.
# Sets SERVE_PID: nstack's own PID (`ip netns exec` execs it; a shell
# function here would put a subshell in between).
start_serve() {
  local name=$1 i; shift
  : > "$OUT/$name.txt"
  ip netns exec "$NS" "$NSTACK" serve --tap "$TAP" --addr "$NADDR/24" --duration 60 "$@" > "$OUT/$name.txt" 2>&1 &
  SERVE_PID=$!
  STARTED_PIDS+=("$SERVE_PID")
  for i in $(seq 100); do
    grep -q "nstack serve: ready" "$OUT/$name.txt" && return 0
    running "$SERVE_PID" || break
    sleep 0.1
  done
  echo "nstack serve did not start:"; cat "$OUT/$name.txt"
  return 1
}

# Stops the server (SIGTERM: it prints its counters) and waits for it.
stop_serve() { stop_pid "$SERVE_PID"; }

check() { # check NAME COMMAND...
  if "${@:2}"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
has() { grep -qE -- "$2" "$1"; }

# A counter from serve's statistics: serve_stat FILE DIR FIELD (DIR tx or rx;
# FIELD frames, errors, lost, duplicated, ...).
serve_stat() {
  sed -nE "s/^$2 \(.*\): ([0-9]+) frames, [0-9]+ bytes, ([0-9]+) errors; impairment: ([0-9]+) lost, ([0-9]+) duplicated, ([0-9]+) reordered, ([0-9]+) delayed.*/frames=\1 errors=\2 lost=\3 duplicated=\4 reordered=\5 delayed=\6/p" "$1" |
    tr ' ' '\n' | sed -n "s/^$3=//p"
}

finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
