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
# Where start_serve and nconnect run nstack, and on what link: the test's
# namespace and TAP, unless a test says otherwise (veth_up: AF_XDP).
NSTACK_NS=""
NSTACK_LINK=(--tap "$TAP")
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

# The IPv6 tests: nstack speaks IPv6 on a TAP (--addr6) and lib.sh can
# turn it on on the kernel's side (ipv6_up); skipped before both exist.
require_ipv6_cli() {
  declare -F ipv6_up > /dev/null && [[ "$("$NSTACK" serve --help 2>&1)" == *--addr6* ]] ||
    skip "nstack serve without IPv6 on a TAP (--addr6) or lib.sh without ipv6_up"
}

# 0 while the process runs (an exited child not yet waited for is a zombie:
# it no longer runs).
running() { [ -r "/proc/$1/status" ] && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }

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
  [ -n "$NSTACK_NS" ] && ip netns del "$NSTACK_NS" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The namespace: a TAP with KADDR/24 on the kernel side, up; IPv6 off (no
# router solicitations or MLD reports: frame counts stay exact), and so on
# nstack's side for start_serve and nconnect (--no-ipv6; IPv6 is on by
# default on a TAP): ipv6_up turns both back on.
ns_up() {
  NSTACK_LINK=(--tap "$TAP" --no-ipv6)
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

# ipv6_up ADDR/LEN: IPv6 on the kernel's side of the TAP after ns_up, with
# ADDR (no DAD for it: the test's own namespace has nobody else). Its
# link-local address still runs DAD (a second) before the kernel uses it.
ipv6_up() {
  NSTACK_LINK=(--tap "$TAP")
  ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    "net.ipv6.conf.$TAP.disable_ipv6=0"
  ip -n "$NS" -6 addr add "$1" dev "$TAP" nodad
}

# veth_up [QUEUES]: for the AF_XDP tests, instead of ns_up: the kernel peer
# in NS (vk, KADDR) and nstack in a namespace of its own (NSTACK_NS: vn,
# where the kernel keeps XADDR of its own; nstack runs with --xdp vn), with
# QUEUES queues (default 1) each way. vk's transmit checksum offload is off:
# AF_XDP takes frames as a wire carries them, checksums complete.
XADDR=10.77.0.3
veth_up() {
  local q=${1:-1} n
  NS="nstit-${TEST_NAME:5:8}-k-$$"
  NSTACK_NS="nstit-${TEST_NAME:5:8}-n-$$"
  rm -rf "$OUT"; mkdir -p "$OUT"
  ip netns add "$NS" || { NS=""; skip "cannot create a network namespace"; }
  ip netns add "$NSTACK_NS" || { NSTACK_NS=""; skip "cannot create a network namespace"; }
  ip link add vk netns "$NS" numtxqueues "$q" numrxqueues "$q" type veth peer name vn netns "$NSTACK_NS" \
    numtxqueues "$q" numrxqueues "$q" || skip "cannot create a veth pair"
  for n in "$NS" "$NSTACK_NS"; do
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  if [ "$q" -gt 1 ]; then
    ip netns exec "$NS" ethtool -L vk rx "$q" tx "$q" || skip "the veth cannot have $q queues"
    ip netns exec "$NSTACK_NS" ethtool -L vn rx "$q" tx "$q" || skip "the veth cannot have $q queues"
  fi
  ip -n "$NS" addr add "$KADDR/24" dev vk
  ip -n "$NSTACK_NS" addr add "$XADDR/24" dev vn
  ip netns exec "$NS" ethtool -K vk tx off > /dev/null
  ip -n "$NS" link set vk up
  ip -n "$NSTACK_NS" link set vn up
  NSTACK_LINK=(--xdp vn)
}

# start_serve NAME [ARGS...]: nstack serve in the background (60 s at most),
# output in $OUT/NAME.txt; waits (10 s at most) for it to be ready.
# Sets SERVE_PID: nstack's own PID (`ip netns exec` execs it; a shell
# function here would put a subshell in between).
start_serve() {
  local name=$1 i; shift
  : > "$OUT/$name.txt"
  ip netns exec "${NSTACK_NS:-$NS}" "$NSTACK" serve "${NSTACK_LINK[@]}" --addr "$NADDR/24" --duration 60 "$@" \
    > "$OUT/$name.txt" 2>&1 &
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

# pcap_count FILE FILTER: how many frames of the capture FILE match the
# tshark display filter.
pcap_count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

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

# ---- TCP transfers (test_tcp_*.sh) ----------------------------------------

PEER=$HERE/tcp_peer.py

# gen BYTES: a deterministic pseudo-random stream (head -c's K/M/G suffixes):
# AES-128-CTR of zeros under a fixed key, ~2 GB/s. Regenerated, it gives the
# same bytes, so its hash is the one each side must report.
gen() (
  set +o pipefail # openssl ends on SIGPIPE when head has enough
  openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0 -nosalt -in /dev/zero 2>/dev/null | head -c "$1"
)
gen_sha() { gen "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }

# reported FILE WHAT FIELD: from the last line of FILE saying "WHAT: N bytes
# in T s, R Mbit/s, sha256 H" (nstack connect, serve --sink-sha256, and
# tcp_peer.py after its "peer: "), FIELD bytes, secs, mbit or sha.
reported() {
  sed -nE "s/^(peer: )?$2:? ([0-9]+) bytes in ([0-9.]+) s, ([0-9.]+) Mbit\/s, sha256 ([0-9a-f]{64})$/bytes=\2 secs=\3 mbit=\4 sha=\5/p" "$1" |
    tail -1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# got FILE WHAT: "BYTES/SHA256" of the transfer FILE reports (as reported).
got() { echo "$(reported "$1" "$2" bytes)/$(reported "$1" "$2" sha)"; }

# A counter from nstack's "tcp:" line (serve, connect): tcp_stat FILE FIELD,
# FIELD retransmitted, fast, timeouts, resets_out, resets_in.
tcp_stat() {
  sed -nE 's/^tcp: [0-9]+ segments out, [0-9]+ in; ([0-9]+) retransmitted \(([0-9]+) fast, ([0-9]+) timeouts\); ([0-9]+) resets out, ([0-9]+) in$/retransmitted=\1 fast=\2 timeouts=\3 resets_out=\4 resets_in=\5/p' "$1" |
    tr ' ' '\n' | sed -n "s/^$2=//p"
}

# bg NAME COMMAND...: COMMAND in the namespace, in the background, output in
# $OUT/NAME.txt. Sets BG_PID (the command's own: `ip netns exec` execs it).
bg() {
  local name=$1; shift
  ip netns exec "$NS" "$@" > "$OUT/$name.txt" 2>&1 &
  BG_PID=$!
  STARTED_PIDS+=("$BG_PID")
}

# bg_fed NAME BYTES COMMAND...: the same, with `gen BYTES` on its input.
bg_fed() {
  local name=$1 bytes=$2; shift 2
  gen "$bytes" | ip netns exec "$NS" "$@" > "$OUT/$name.txt" 2>&1 &
  BG_PID=$!
  STARTED_PIDS+=("$BG_PID")
}

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches (10 s at most).
wait_for() {
  local i
  for i in $(seq $((${3:-10} * 20))); do
    has "$1" "$2" && return 0
    sleep 0.05
  done
  return 1
}

# wait_exit PID SECONDS: the exit status of a background command, waited for
# SECONDS at most (then it is stopped: 124).
wait_exit() {
  local i
  for i in $(seq $(($2 * 10))); do
    running "$1" || break
    sleep 0.1
  done
  if running "$1"; then stop_pid "$1"; return 124; fi
  wait "$1"
}

# A peer (tcp_peer.py) listening in the namespace: start_listener NAME PORT
# ACTION [OPTIONS] (ACTION recv; for send, use bg_fed). Waits until it listens.
start_listener() {
  local name=$1 port=$2; shift 2
  bg "$name" python3 "$PEER" listen "$port" "$@"
  wait_for "$OUT/$name.txt" '^peer: listening$' || { echo "$name did not listen:"; cat "$OUT/$name.txt"; return 1; }
}

# nstack connect in the namespace (foreground, SECONDS at most), output in
# $OUT/NAME.txt: nconnect NAME SECONDS [ARGS...]. Its exit status.
nconnect() {
  local name=$1 secs=$2; shift 2
  timeout "$secs" ip netns exec "${NSTACK_NS:-$NS}" "$NSTACK" connect "${NSTACK_LINK[@]}" --addr "$NADDR/24" "$@" \
    > "$OUT/$name.txt" 2>&1
}

# Prints a transfer's figures for the log: throughput NAME FILE WHAT.
throughput() {
  echo "    $1: $(reported "$2" "$3" bytes) bytes in $(reported "$2" "$3" secs) s: $(reported "$2" "$3" mbit) Mbit/s"
}

finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

# chargen_check NETNS ADDR PORT: reads 1 MiB from the character generator
# (RFC 864, nstack serve --source) at ADDR:PORT from inside NETNS; prints
# "source N pattern" (or WRONG) and the first line. 60 s at most.
chargen_check() {
  timeout 60 ip netns exec "$1" python3 - "$2" "$3" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
s.settimeout(20)
got = bytearray()
while len(got) < (1 << 20):
    b = s.recv(65536)
    if not b:
        break
    got += b
got = bytes(got[:1 << 20])
want = bytes((32 + ((i // 74) + (i % 74)) % 95) if i % 74 < 72 else (13 if i % 74 == 72 else 10)
             for i in range(1 << 20))
print("source", len(got), "pattern" if got == want else "WRONG")
print("first line", got[:74])
PY
}
