#!/usr/bin/env bash
# Bench 5 (docs/PERFORMANCE.md), run by scripts/bench.sh inside
# `unshare --net`: everything here lives in network namespaces that exist
# only while it runs, with addresses that exist only there.
#
#   bench-tap.sh NST_BENCH_TAP RAW.csv SECONDS REPS [NST_BENCH_LWIP_TAP]
#
#   1. the kernel against itself over a veth pair: this namespace holds one
#      end (10.78.0.1), a child namespace the other (10.78.0.2) and a server;
#   2. nstack on a TAP (10.79.0.2) against the kernel (10.79.0.1), both
#      directions, with the TAP's offloads (vnet header: GSO, checksums) and
#      without them; and bulk over IPv6 both ways with the offloads
#      (2001:db8:79::2 and ::1: the nstack-tap6-* rows, GSO_TCPV6);
#   3. lwIP (Debian's liblwip, its unix port's tapif) on the same TAP, if
#      its program was built.
# Wall-clock figures move with whatever else the machine runs: the cases
# take turns, REPS rounds of all of them, and the median of each is kept.
# Every process started is bounded in time and stopped by its PID.
set -uo pipefail
B=$1 RAW=$2 SECS=$3 REPS=$4 LWIP=${5:-}
PIDS=()
log=$(mktemp -d)
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$log"
}
trap cleanup EXIT
ALL=$log/all.csv
: >"$ALL"
LIFE=$(((SECS * 12 + 20) * REPS + 60)) # the servers' bound
# A client bounded in time (its own --seconds, and a timeout over that).
# A failed client fails the run (bench.sh exits non-zero); its FAILED row,
# if it wrote one, is in the results.
failed=0
client() { timeout $((SECS * 3 + 20)) "$B" --out "$ALL" --seconds "$SECS" --conns 10000 "$@" 2>>"$log/clients.log" ||
  { echo "bench-tap: $* failed" >&2; failed=1; }; }
# A server's log: the bulk sinks check every byte against the senders'
# pattern and log FAILED on a mismatch (and reset the connection).
check_log() { if grep FAILED "$1" >&2; then failed=1; fi; }
# Waits (5 s at most) for "ready" in a server's log.
ready() { for _ in $(seq 50); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "bench-tap: $1: no ready line" >&2; return 1; }
bg() { "$@" & PIDS+=("$!"); }

ip link set lo up

# ---- the kernel's servers -------------------------------------------------------
# veth: the child namespace waits for its end of the pair, sets it up, and
# runs the server there.
unshare --net -- bash -c '
  for _ in $(seq 50); do ip link show vb >/dev/null 2>&1 && break; sleep 0.1; done
  ip link set lo up && ip addr add 10.78.0.2/24 dev vb && ip link set vb up &&
  exec "$0" --role kserver --addr 10.78.0.2 --port 5001 --seconds "$1"' "$B" "$LIFE" 2>"$log/veth-server.log" &
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
# TAP: the kernel's side of the device nstack (and lwIP) will open.
ip tuntap add dev nstb0 mode tap
ip addr add 10.79.0.1/24 dev nstb0
ip -6 addr add 2001:db8:79::1/64 dev nstb0 nodad
ip link set nstb0 up
ready "$log/veth-server.log" || exit 1
sleep 0.5 # the veth's carrier

NST=(--tap nstb0 --addr 10.79.0.2/24)
NST6=("${NST[@]}" --addr6 2001:db8:79::2)
for rep in $(seq "$REPS"); do
  echo "bench-tap: round $rep of $REPS" >&2
  client --role kclient --peer 10.78.0.2 --test bulk --impl linux-veth
  client --role kclient --peer 10.78.0.2 --test crr --impl linux-veth
  # A kernel server of its own per round, on ports of its own: the server
  # closes first, so the tuples of a round's connections stay in its
  # TIME_WAIT, and a new nstack process (new timestamp offsets) reusing one
  # would wait for its SYN to be retried (RFC 6191 reopens only with a newer
  # timestamp). Within a process nstack's timestamps only grow.
  KPORT=$((5001 + 10 * rep))
  : >"$log/kserver.log"
  "$B" --role kserver --addr 10.79.0.1 --port "$KPORT" --seconds "$LIFE" 2>"$log/kserver.log" &
  KPID=$!
  ready "$log/kserver.log" || break
  # Its IPv6 twin on the next ports but one.
  : >"$log/kserver6.log"
  "$B" --role kserver --addr6 2001:db8:79::1 --port $((KPORT + 5)) --seconds "$LIFE" 2>"$log/kserver6.log" &
  K6PID=$!
  ready "$log/kserver6.log" || break
  # nstack sends, the kernel receives; nstack connects (CRR).
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --port "$KPORT" --test bulk --impl nstack-tap-tx
  client --role nclient "${NST6[@]}" --peer6 2001:db8:79::1 --port $((KPORT + 5)) --test bulk --impl nstack-tap6-tx
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --port "$KPORT" --test bulk --no-tso --impl nstack-tap-tx-notso
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --port "$KPORT" --test bulk --no-offload \
    --impl nstack-tap-tx-nooffload
  client --role nclient "${NST[@]}" --peer 10.79.0.1 --port "$KPORT" --test crr --impl nstack-tap-client
  # The kernel sends to nstack (with offloads: up to 64 KB GSO frames per read).
  for off in "" --no-offload; do
    : >"$log/nserver.log"
    "$B" --role nserver "${NST[@]}" --port 6001 --seconds $((SECS * 3 + 30)) $off 2>"$log/nserver.log" &
    NPID=$!
    if ready "$log/nserver.log"; then
      sleep 1 # the TAP's carrier (the kernel turns it on asynchronously)
      client --role kclient --peer 10.79.0.2 --port 6001 --test bulk --impl "nstack-tap-rx${off:+-nooffload}"
      [ -z "$off" ] && client --role kclient --peer 10.79.0.2 --port 6001 --test crr --impl nstack-tap-server
    fi
    kill "$NPID" 2>/dev/null
    wait "$NPID" 2>/dev/null
    check_log "$log/nserver.log"
    [ -n "$off" ] && continue
    # The same over IPv6 (the kernel's GSO frames come as GSO_TCPV6).
    : >"$log/nserver6.log"
    "$B" --role nserver "${NST6[@]}" --port 6003 --seconds $((SECS * 3 + 30)) 2>"$log/nserver6.log" &
    NPID=$!
    if ready "$log/nserver6.log"; then
      sleep 1
      client --role kclient --peer6 2001:db8:79::2 --port 6003 --test bulk --impl nstack-tap6-rx
    fi
    kill "$NPID" 2>/dev/null
    wait "$NPID" 2>/dev/null
    check_log "$log/nserver6.log"
  done
  # lwIP on the same TAP (plain frames: its tapif has no vnet header; the
  # --no-offload run above left the device without offloads).
  if [ -n "$LWIP" ] && [ -x "$LWIP" ]; then
    for t in bulk crr; do
      PRECONFIGURED_TAPIF=nstb0 timeout $((SECS * 3 + 20)) "$LWIP" --out "$ALL" --seconds "$SECS" --test $t \
        --port "$KPORT" 2>>"$log/clients.log" || { echo "bench-tap: lwIP $t failed" >&2; failed=1; }
    done
  fi
  kill "$KPID" "$K6PID" 2>/dev/null
  wait "$KPID" "$K6PID" 2>/dev/null
  check_log "$log/kserver.log"
  check_log "$log/kserver6.log"
done
check_log "$log/veth-server.log"

# The median of each case's rounds (by value), with the count of rounds.
awk -f "$(dirname "$0")/bench-median.awk" "$ALL" | sort >>"$RAW"
grep -h "verified" "$log"/*.log 2>/dev/null | sort | uniq -c | sed 's/^/bench-tap: /' >&2 || true
exit "$failed"
