# Shared by the adversarial tests (sourced): crafted frames (Scapy, from
# attacks.py) against nstack serve on a TAP in a namespace of the test's own.
# Built on tests/interop/lib.sh (namespace, TAP, serve, cleanup: processes
# stopped by PID, namespace always deleted; exit 77 without root, TUN,
# python3-scapy).
#
#   source lib.sh NSTACK OUTDIR
#   adv_main SCENARIO... -- [nstack serve options]
#
# adv_main runs, in order: nstack serve (echo on 7 TCP and UDP, discard on 9,
# gateway the kernel, every counter printed at exit) and a kernel echo
# client (kecho.py) keeping one connection busy; the scenarios; then it checks
# that the echo connection carried every byte intact, that nstack still
# answers ping and a new echo connection, that it exits with status 0 (under
# ASan: no error, no leak), and every counter and output line the scenarios
# expect.
source "$(dirname "${BASH_SOURCE[0]}")/../interop/lib.sh"
OUT=$2/adversarial/$TEST_NAME
ADV=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3 # Debian's, where python3-scapy lives
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

adv_require() {
  require_env ping "$@"
  "$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy is missing (scripts/deps.sh test installs it)"
}

# nstack serve with every counter at exit; ASan's quarantine kept small so
# the resident size says what nstack holds, not what ASan keeps of freed
# memory (the leak check stays on).
adv_serve() {
  export NSTACK_COUNTERS=1
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:quarantine_size_mb=16
  # --no-tso: the attacker reads nstack's segments on the kernel's side of
  # the TAP, before the kernel's GSO would cut a TSO frame: every frame
  # must be one segment for the checks on segment sizes to mean anything.
  start_serve serve --gw "$KADDR" --tcp-echo 7 --udp-echo 7 --discard 9 --duration 600 --no-tso "$@"
}

# Stops nstack serve (SIGTERM: it prints its counters) and keeps its exit status.
adv_stop_serve() {
  local i
  kill -TERM "$SERVE_PID" 2>/dev/null
  for i in $(seq 100); do running "$SERVE_PID" || break; sleep 0.1; done
  running "$SERVE_PID" && kill -KILL "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID"; SERVE_RC=$?
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# A counter from the dump at exit ("counter LAYER.NAME VALUE"; absent: 0).
counter() {
  local v
  v=$(sed -n "s/^counter $2 \([0-9]*\)$/\1/p" "$1" | tail -1)
  echo "${v:-0}"
}

# Checks every expectation attacks.py wrote: "expect NAME OP N" against the
# counters, "line REGEX" against serve's output.
check_expectations() { # check_expectations EXPECTFILE SERVEOUT
  local kind a b c v
  while read -r kind a b c; do
    case $kind in
      expect)
        v=$(counter "$2" "$a")
        case $b in
          "==") check "counter $a == $c (is $v)" test "$v" -eq "$c" ;;
          ">=") check "counter $a >= $c (is $v)" test "$v" -ge "$c" ;;
          "<=") check "counter $a <= $c (is $v)" test "$v" -le "$c" ;;
        esac ;;
      line) check "serve says: $a $b $c" has "$2" "$a $b $c" ;;
    esac
  done < "$1"
}

start_kecho() {
  rm -f "$OUT/kecho.status" "$OUT/kecho.status.pause"
  bg kecho "$PY" "$ADV/kecho.py" "$NADDR" 7 "$OUT/kecho.status"
  KECHO_PID=$BG_PID
  local i
  for i in $(seq 100); do
    grep -qs '^bytes ' "$OUT/kecho.status" && return 0
    sleep 0.1
  done
  return 1
}

stop_kecho() {
  rm -f "$OUT/kecho.status.pause"
  kill -TERM "$KECHO_PID" 2>/dev/null
  wait_exit "$KECHO_PID" 20
  KECHO_RC=$?
}

# The end of every test: the long-lived connection intact, nstack alive.
check_survival() {
  stop_kecho
  check "kernel echo connection: every byte back, in order ($(sed -n 's/^kecho: //p' "$OUT/kecho.txt"))" \
    bash -c "[ $KECHO_RC -eq 0 ] && grep -q 'all the same' '$OUT/kecho.txt'"
  check "kecho moved data during the attacks" test "$(sed -n 's/^bytes //p' "$OUT/kecho.status" | tail -1)" -ge 20000
  check "nstack still answers ping" bash -c "ip netns exec $NS ping -c 2 -i 0.2 -W 2 $NADDR > $OUT/ping.txt"
  check "nstack still echoes on a new connection" \
    test "$(echo "alive after the attacks" | timeout 10 ip netns exec "$NS" nc -N "$NADDR" 7)" = "alive after the attacks"
}

adv_main() {
  local scenarios=() arg
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do scenarios+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  adv_require nc
  ns_up
  declare -F adv_ns_hook >/dev/null && adv_ns_hook
  adv_serve "$@" || exit 1
  start_kecho || { echo "kecho did not start:"; cat "$OUT/kecho.txt"; exit 1; }
  : > "$OUT/expect.txt"
  local rss0 rss1
  rss0=$(rss_kb "$SERVE_PID")
  declare -F adv_flood_hook >/dev/null && adv_flood_hook
  ADV_EXPECT=$OUT/expect.txt ADV_KECHO=$OUT/kecho.status ADV_NADDR=$NADDR ADV_KADDR=$KADDR ADV_TAP=$TAP \
    timeout 240 ip netns exec "$NS" "$PY" "$ADV/attacks.py" "${scenarios[@]}" > "$OUT/attacks.txt" 2>&1
  local rc=$?
  cat "$OUT/attacks.txt"
  check "attacks.py: every check passed" test $rc -eq 0
  declare -F adv_after_hook >/dev/null && adv_after_hook
  rss1=$(rss_kb "$SERVE_PID")
  echo "    nstack serve resident memory: $rss0 kB before, $rss1 kB after"
  [ -n "${ADV_RSS_GROWTH_KB:-}" ] &&
    check "nstack's memory stayed bounded: grew $((rss1 - rss0)) kB (<= $ADV_RSS_GROWTH_KB)" \
      test $((rss1 - rss0)) -le "$ADV_RSS_GROWTH_KB"
  check_survival
  adv_stop_serve
  check "nstack serve exits with status 0 (no sanitizer error, no leak)" test "$SERVE_RC" -eq 0
  check "nstack printed its counters (NSTACK_COUNTERS=1, tools/counters.c)" has "$OUT/serve.txt" '^counter link\.rx_frames [0-9]+$'
  check_expectations "$OUT/expect.txt" "$OUT/serve.txt"
  grep -E '^(tcp-echo|udp-echo|discard|tcp):' "$OUT/serve.txt" | sed 's/^/    /'
}
