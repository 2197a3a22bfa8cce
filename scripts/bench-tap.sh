#!/usr/bin/env bash
# Bench 5 (docs/PERFORMANCE.md), run by scripts/bench.sh inside
# `unshare --net`: everything here lives in network namespaces that exist
# only while it runs, with addresses that exist only there.
#
#   bench-tap.sh NST_BENCH_TAP RAW.csv SECONDS [NST_BENCH_LWIP_TAP]
#
#   1. the kernel against itself over a veth pair: this namespace holds one
#      end (10.78.0.1), a child namespace the other (10.78.0.2) and the server;
#   2. nstack on a TAP (10.79.0.2) against the kernel (10.79.0.1), both
#      directions, with the TAP's offloads (vnet header: GSO, checksums) and
#      without them;
#   3. lwIP (Debian's liblwip, its unix port's tapif) on the same TAP, if
#      the program for it was built.
# Every process started is bounded in time and stopped by its PID.
set -uo pipefail
B=$1 RAW=$2 SECS=$3 LWIP=${4:-}
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
# Runs a client bounded in time (its own --seconds, and a timeout over that).
client() { timeout $((SECS * 3 + 20)) "$B" --out "$RAW" --seconds "$SECS" "$@" || echo "bench-tap: $* failed" >&2; }
# Waits (5 s at most) for "ready" in a server's log.
ready() { for _ in $(seq 50); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "bench-tap: $1: no ready line" >&2; return 1; }

ip link set lo up
log=$(mktemp -d)

# ---- 1. kernel to kernel over veth --------------------------------------------
# The child namespace waits for its end of the pair, sets it up, and runs the
# kernel's server there (60 s at most).
unshare --net -- bash -c '
  for _ in $(seq 50); do ip link show vb >/dev/null 2>&1 && break; sleep 0.1; done
  ip link set lo up && ip addr add 10.78.0.2/24 dev vb && ip link set vb up &&
  exec "$0" --role kserver --addr 10.78.0.2 --port 5001 --seconds 60' "$B" 2>"$log/veth-server.log" &
VPID=$!
PIDS+=("$VPID")
# Its namespace exists once unshare has run: until then the PID is in ours.
for _ in $(seq 50); do
  [ "$(readlink "/proc/$VPID/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.05
done
ip link add va type veth peer name vb netns "$VPID"
ip addr add 10.78.0.1/24 dev va
ip link set va up
if ready "$log/veth-server.log"; then
  sleep 0.5 # the veth carrier
  client --role kclient --peer 10.78.0.2 --test bulk --impl linux-veth
  client --role kclient --peer 10.78.0.2 --test crr --impl linux-veth
fi
kill "$VPID" 2>/dev/null

# ---- 2. nstack on a TAP -------------------------------------------------------
ip tuntap add dev nstb0 mode tap
ip addr add 10.79.0.1/24 dev nstb0
ip link set nstb0 up
NST=(--tap nstb0 --addr 10.79.0.2/24)
"$B" --role kserver --addr 10.79.0.1 --port 5001 --seconds 120 2>"$log/kserver.log" &
KPID=$!
PIDS+=("$KPID")
if ready "$log/kserver.log"; then
  # nstack sends, the kernel receives; then nstack connects (CRR).
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --test bulk --impl nstack-tap-tx
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --test bulk --no-offload --impl nstack-tap-tx-nooffload
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --test crr --impl nstack-tap-client
fi
kill "$KPID" 2>/dev/null
for off in "" --no-offload; do
  # The kernel sends to nstack (with offloads: 64 KB GSO frames per read).
  "$B" --role nserver "${NST[@]}" --port 5001 --seconds $((SECS * 3 + 30)) $off 2>"$log/nserver.log" &
  NPID=$!
  PIDS+=("$NPID")
  if ready "$log/nserver.log"; then
    sleep 1 # the TAP's carrier (the kernel turns it on asynchronously)
    client --role kclient --peer 10.79.0.2 --test bulk --impl "nstack-tap-rx${off:+-nooffload}"
    [ -z "$off" ] && client --role kclient --peer 10.79.0.2 --test crr --impl nstack-tap-server
  fi
  kill "$NPID" 2>/dev/null
  wait "$NPID" 2>/dev/null
done

# ---- 3. lwIP on the same TAP ----------------------------------------------------
if [ -n "$LWIP" ] && [ -x "$LWIP" ]; then
  "$B" --role kserver --addr 10.79.0.1 --port 5001 --seconds 120 2>"$log/kserver2.log" &
  KPID=$!
  PIDS+=("$KPID")
  if ready "$log/kserver2.log"; then
    for t in bulk crr; do
      PRECONFIGURED_TAPIF=nstb0 timeout $((SECS * 3 + 20)) "$LWIP" --out "$RAW" --seconds "$SECS" --test $t ||
        echo "bench-tap: lwIP $t failed" >&2
    done
  fi
  kill "$KPID" 2>/dev/null
fi
rm -rf "$log"
