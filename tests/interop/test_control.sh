#!/usr/bin/env bash
# Inspecting a running nstack from outside: `nstack serve --control PATH`
# answers `nstack ss --control PATH` and `nstack netstat -s --control PATH`
# over a Unix-domain socket while it serves the Linux kernel over a TAP.
# What nstack lists is checked against the kernel's own view (its ss, from
# the other end of the same connections), and the control socket's bounds:
# a bad request gets an error line, an over-long one is refused, silent
# clients cannot lock it up, the socket file goes when serve stops.
# Usage: test_control.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 ss
ns_up
CTL=$OUT/ctl.sock

start_serve serve --tcp-echo 7 --udp-echo 7 --http 80 --control "$CTL" || exit 1
check "serve announces its control socket" has "$OUT/serve.txt" "^nstack serve: control socket $CTL "
check "the socket file is there, mode 0600" test "$(stat -c '%F %a' "$CTL")" = "socket 600"

# The kernel opens three connections to the echo service and keeps them
# (an echo each, so both sides have sent and received), then waits to be
# told to close.
cat > "$OUT/client.py" <<'PY'
import socket, sys, time
addr = sys.argv[1]
conns = []
for i in range(3):
    s = socket.create_connection((addr, 7), timeout=10)
    s.sendall(b"hello %d\n" % i)
    assert s.recv(100) == b"hello %d\n" % i
    conns.append(s)
    print("port", s.getsockname()[1], flush=True)
print("ready", flush=True)
sys.stdin.readline()
for s in conns:
    s.close()
print("closed", flush=True)
time.sleep(2)
PY
mkfifo "$OUT/go"
ip netns exec "$NS" python3 "$OUT/client.py" "$NADDR" < "$OUT/go" > "$OUT/client.txt" 2>&1 &
CLIENT_PID=$!
STARTED_PIDS+=("$CLIENT_PID")
exec 3> "$OUT/go"
wait_for "$OUT/client.txt" '^ready$' || { echo "client:"; cat "$OUT/client.txt"; }

nss() { "$NSTACK" ss --control "$CTL" "$@"; }
nss -tan > "$OUT/tan.txt"; rc=$?
check "ss -tan answers" test $rc -eq 0
check "ss -tan: the header" has "$OUT/tan.txt" '^State +Recv-Q Send-Q +Local Address:Port +Peer Address:Port'
check "ss -tan: both listeners" test "$(grep -cE '^LISTEN +0 +128 +0\.0\.0\.0:(7|80) ' "$OUT/tan.txt")" -eq 2
check "ss -tan: three connections from the kernel to port 7" \
  test "$(grep -cE "^ESTAB +0 +0 +$NADDR:7 +$KADDR:[0-9]+" "$OUT/tan.txt")" -eq 3
# The kernel's ports, as Python and as nstack see them.
kports=$(sed -n 's/^port //p' "$OUT/client.txt" | sort -n | tr '\n' ' ')
nports=$(sed -nE "s/^ESTAB .* $KADDR:([0-9]+).*/\1/p" "$OUT/tan.txt" | sort -n | tr '\n' ' ')
check "the same three kernel ports on both sides ($kports)" test "$kports" = "$nports"
# And the kernel's own ss, from the other end of the same connections.
ip netns exec "$NS" ss -tnH state established "( dport = :7 )" > "$OUT/kernel-ss.txt"
kss=$(awk '{split($3, a, ":"); print a[2]}' "$OUT/kernel-ss.txt" | sort -n | tr '\n' ' ')
check "the kernel's ss lists the same connections" test "$kss" = "$nports"

nss -s > "$OUT/s.txt"
check "ss -s: 5 TCP (estab 3), no TIME-WAIT yet" has "$OUT/s.txt" '^TCP: +5 \(estab 3, closed 0, orphaned 0, timewait 0\)$'
check "ss -s: the UDP socket" has "$OUT/s.txt" '^UDP +1 +1 +0'
check "ss -s: the states" bash -c "grep -qE '^  LISTEN +2$' '$OUT/s.txt' && grep -qE '^  ESTAB +3$' '$OUT/s.txt'"
total=$(sed -n 's/^Total: //p' "$OUT/s.txt")
alln=$(nss -a | tail -n +2 | wc -l)
check "ss -s Total ($total) = the lines of ss -a ($alln)" test "$total" = "$alln"

nss -tni state established > "$OUT/ti.txt"
check "ss -ti: internals of each connection" \
  test "$(grep -cE '^	 ts sack cubic wscale:[0-9]+,[0-9]+ rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+ mss:1448 ' "$OUT/ti.txt")" -eq 3
check "ss -ti: each connection echoed 8 bytes" test "$(grep -c ' bytes_sent:8 bytes_acked:8 bytes_received:8 ' "$OUT/ti.txt")" -eq 3
nss -uan > "$OUT/u.txt"
check "ss -uan: the echo socket" has "$OUT/u.txt" '^UNCONN +0 +0 +0\.0\.0\.0:7 +0\.0\.0\.0:\*'
"$NSTACK" netstat -s --control "$CTL" > "$OUT/netstat.txt"
check "netstat -s: three passive opens" has "$OUT/netstat.txt" '^    3 passive connection openings \[passive_opens\]$'

# The kernel closes first: nstack's echo service closes on EOF, the kernel
# holds the TIME_WAIT records; nstack's side is gone.
echo go >&3
wait_for "$OUT/client.txt" '^closed$'
sleep 1
nss -tan > "$OUT/tan2.txt"
check "after the kernel closed: only the listeners" test "$(tail -n +2 "$OUT/tan2.txt" | grep -vc '^LISTEN')" -eq 0
check "the kernel holds the TIME_WAITs" \
  test "$(ip netns exec "$NS" ss -tanH state time-wait "( dport = :7 )" | wc -l)" -eq 3

# The protocol and its bounds.
raw() { python3 - "$CTL" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}
check "an unknown command: an error line" test "$(raw 'ls\n')" = "error: unknown command 'ls' (ss [OPTIONS], netstat -s, ip addr|neigh|route)"
long=$(printf 'x%.0s' $(seq 2000))
check "an over-long request: refused" test "$(raw "$long")" = "error: a request is one line of at most 1023 bytes"
"$NSTACK" ss --control "$CTL" -Z > /dev/null 2>&1; rc=$?
check "a bad ss option is caught before asking (exit 2)" test $rc -eq 2
# Six clients that connect and say nothing: at most four are kept, so a
# query still gets through.
python3 - "$CTL" > "$OUT/silent.txt" 2>&1 <<'PY' &
import socket, sys, time
held = []
for i in range(6):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    held.append(s)
print("holding", flush=True)
time.sleep(4)
PY
SILENT_PID=$!
STARTED_PIDS+=("$SILENT_PID")
wait_for "$OUT/silent.txt" '^holding$'
timeout 10 "$NSTACK" ss --control "$CTL" -s > "$OUT/s2.txt"; rc=$?
check "silent clients do not lock the control socket out" test $rc -eq 0 -a -s "$OUT/s2.txt"

stop_serve
check "serve stopped cleanly" has "$OUT/serve.txt" '^nstack serve: stopped by'
check "the socket file is gone" test ! -e "$CTL"
"$NSTACK" ss --control "$CTL" -s > "$OUT/after.txt" 2>&1; rc=$?
check "asking a stopped serve fails (exit 1), with a hint" \
  bash -c "test $rc -eq 1 && grep -q 'is .nstack serve --control' '$OUT/after.txt'"
finish
