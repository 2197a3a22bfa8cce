#!/usr/bin/env bash
# nstack ss and nstack netstat -s on the lab's simulated hosts
# (--scenario), their exact figures, and their argument errors. The same
# commands over a live process (--control) are in tests/interop/test_control.sh.
# Usage: test_ss.sh NSTACK OUTDIR
set -uo pipefail
NSTACK=$1
OUT=$2/cli-ss
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
check() { # check NAME COMMAND...
  if "${@:2}"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1"; fi
}
has() { grep -qE -- "$2" "$1"; }
lines() { grep -cE -- "$2" "$1"; }

# Port exhaustion: New York's 16,384 connections, the failed 16,385th.
"$NSTACK" ss --scenario port-exhaustion -s > "$OUT/pe-s.txt"; rc=$?
check "ss --scenario port-exhaustion -s exits 0" test $rc -eq 0
check "it says which host and moment" has "$OUT/pe-s.txt" '^# scenario port-exhaustion, host ny: .*16,385th connect\(\) failed$'
check "ny: 16384 established" has "$OUT/pe-s.txt" '^TCP: +16384 \(estab 16384, closed 0, orphaned 0, timewait 0\)$'
"$NSTACK" ss --scenario port-exhaustion -tan > "$OUT/pe-tan.txt"
check "ny: 16384 rows from 10.0.1.2 to 10.0.4.2:80" \
  test "$(lines "$OUT/pe-tan.txt" '^ESTAB +0 +0 +10\.0\.1\.2:(49[0-9]{3}|[5-6][0-9]{4}) +10\.0\.4\.2:80 *$')" -eq 16384
check "ny: every local port of 49152-65535, once" \
  test "$(sed -nE 's/^ESTAB .*10\.0\.1\.2:([0-9]+) .*/\1/p' "$OUT/pe-tan.txt" | sort -n | uniq | sed -n '1p;$p' | tr '\n' ' ')" = "49152 65535 "
"$NSTACK" ss --scenario port-exhaustion --host london -tln > "$OUT/pe-l.txt"
check "london: listening on 80 and 8080, backlog 65536" \
  test "$(lines "$OUT/pe-l.txt" '^LISTEN +0 +65536 +0\.0\.0\.0:(80|8080) ')" -eq 2
"$NSTACK" netstat -s --scenario port-exhaustion > "$OUT/pe-netstat.txt"
check "netstat -s: one port exhaustion counted" \
  has "$OUT/pe-netstat.txt" '^    1 connects failed: no ephemeral port free \(EADDRNOTAVAIL\) \[port_exhausted\]$'
check "netstat -s: 16384 active opens" has "$OUT/pe-netstat.txt" '^    16384 active connection openings \[active_opens\]$'

# TIME_WAIT: London's plateau of 20/s x 60 s.
"$NSTACK" ss --scenario time-wait --host london -s > "$OUT/tw-s.txt"
check "london: 1200 TIME-WAIT records" has "$OUT/tw-s.txt" 'timewait 1200\)$'
check "london: the TIME-WAIT state line" has "$OUT/tw-s.txt" '^  TIME-WAIT +1200$'
"$NSTACK" ss --scenario time-wait -tno state time-wait > "$OUT/tw-o.txt"
check "ss -o: each record with its timewait timer" \
  test "$(lines "$OUT/tw-o.txt" ' timer:\(timewait,[0-9.]+(sec|ms),0\)$')" -eq 1200
"$NSTACK" ss --scenario time-wait --host ny -tan > "$OUT/tw-ny.txt"
check "ny: no TIME-WAIT (London closed first)" test "$(lines "$OUT/tw-ny.txt" TIME-WAIT)" -eq 0

# CLOSE_WAIT: the leak detector's flags.
"$NSTACK" ss --scenario close-wait -s > "$OUT/cw-s.txt"
check "ny: 100 CLOSE-WAIT" has "$OUT/cw-s.txt" '^  CLOSE-WAIT +100$'
check "ny: 100 leaks reported" has "$OUT/cw-s.txt" '^CLOSE-WAIT leaks: 100 connections in CLOSE-WAIT for more than 30sec'
check "ny: the leaks listed with addresses and age" \
  test "$(lines "$OUT/cw-s.txt" '^  10\.0\.1\.2:[0-9]+ +10\.0\.4\.2:80 +for [0-9]+sec fd:[0-9]+$')" -eq 10
"$NSTACK" ss --scenario close-wait -tn state close-wait > "$OUT/cw-tn.txt"
check "ss -tn: every row flagged" test "$(lines "$OUT/cw-tn.txt" ' leak:\(close-wait,[0-9]+sec\)$')" -eq 100
"$NSTACK" netstat -s --scenario close-wait > "$OUT/cw-netstat.txt"
check "netstat -s: 100 leaks counted" \
  has "$OUT/cw-netstat.txt" '^    100 connections in CLOSE_WAIT past the leak threshold \[close_wait_leaks\]$'
"$NSTACK" ss --scenario close-wait --host london -tn state fin-wait-2 > "$OUT/cw-london.txt"
check "london: the other halves in FIN-WAIT-2" test "$(lines "$OUT/cw-london.txt" '^FIN-WAIT-2 ')" -eq 100

# The same seed, the same answer.
"$NSTACK" ss --scenario close-wait -s > "$OUT/cw-s2.txt"
check "deterministic" cmp -s "$OUT/cw-s.txt" "$OUT/cw-s2.txt"

# Errors: exit 2 with a message, never a crash; --help exits 0.
for args in "ss -s" "ss --scenario nosuch -s" "ss --scenario close-wait --host mars -s" \
            "ss --scenario close-wait -Z" "ss --scenario close-wait state sleepy" \
            "ss --control /x --scenario close-wait" "ss --host ny --control /x" "netstat -an --scenario time-wait" \
            "ss --scenario" "ss --scenario close-wait --seed -3"; do
  "$NSTACK" $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack $args' is refused with exit 2" test $rc -eq 2
done
check "'nstack ss --help'" bash -c "'$NSTACK' ss --help | grep -q 'usage: nstack ss'"
check "'nstack netstat --help'" bash -c "'$NSTACK' netstat --help | grep -q 'usage: nstack netstat'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
