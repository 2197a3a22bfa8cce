#!/usr/bin/env bash
# scripts/netns.sh: `up` makes a namespace whose commands, as printed, work
# (nstack serve answers the kernel's ping); `down` removes it. And nstack
# serve and nstack connect refuse bad arguments with exit code 2.
# Usage: test_netns_script.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env ping
SCRIPT=$HERE/../../scripts/netns.sh
rm -rf "$OUT"; mkdir -p "$OUT"
NAME="nstit-script-$$"

# lib.sh's cleanup deletes $NS: set it before the namespace exists.
NS=$NAME
"$SCRIPT" up "$NAME" > "$OUT/up.txt" 2>&1
check "netns.sh up succeeds" test $? -eq 0
check "up prints the serve command" has "$OUT/up.txt" "^  ip netns exec $NAME .*/nstack serve --tap tap0 --addr 10\.77\.0\.2/24"
check "the TAP has 10.77.0.1/24 in the namespace" has <(ip -n "$NAME" -br -4 addr show tap0) '10\.77\.0\.1/24'
check "its only links are lo and tap0" test "$(ip -n "$NAME" -br link | awk '{print $1}' | sort | tr '\n' ' ')" = "lo tap0 "
"$SCRIPT" up "$NAME" > "$OUT/up-again.txt" 2>&1
check "a second up of the same name is refused" test $? -ne 0
check "netns.sh status" has <("$SCRIPT" status "$NAME") '^tap0 '

start_serve serve || exit 1
nsx ping -c 2 -i 0.2 -W 2 "$NADDR" > "$OUT/ping.txt" 2>&1
check "the kernel's ping is answered" has "$OUT/ping.txt" '^2 packets transmitted, 2 received, 0% packet loss'
stop_serve

for args in "" "--tap tap0" "--addr $NADDR/24" "--tap tap0 --addr 10.77.0.2" "--tap tap0 --addr $NADDR/24 --udp-echo 0" \
            "--tap tap0 --addr $NADDR/24 --duration -1" "--tap tap0 --addr $NADDR/24 --delay x" \
            "--tap tap0 --addr $NADDR/24 --mac 01:00:00:00:00:01" "--tap tap0 --addr $NADDR/24 extra"; do
  ip netns exec "$NS" "$NSTACK" serve $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack serve $args' is refused with exit 2" test $rc -eq 2
done
check "'nstack serve --help'" bash -c "'$NSTACK' serve --help | grep -q 'usage: nstack serve'"
T="--tap tap0 --addr $NADDR/24"
for args in "$T $KADDR:5000" "$T --send 1M" "$T --send 1M --recv $KADDR:5000" "$T --send 1X $KADDR:5000" \
            "$T --recv $KADDR" "$T --recv $KADDR:0" "$T --recv nowhere:80" "$T --recv --hold-close -1 $KADDR:5000" \
            "$T --recv --timeout 0 $KADDR:5000" "$T --recv --pcap-max 0 $KADDR:5000" "--recv $KADDR:5000" \
            "$T --recv $KADDR:5000 extra"; do
  ip netns exec "$NS" "$NSTACK" connect $args > "$OUT/bad.txt" 2>&1; rc=$?
  check "'nstack connect $args' is refused with exit 2" test $rc -eq 2
done
check "'nstack connect --help'" bash -c "'$NSTACK' connect --help | grep -q 'usage: nstack connect'"

"$SCRIPT" down "$NAME" > "$OUT/down.txt" 2>&1
check "netns.sh down succeeds" test $? -eq 0
check "the namespace is gone" bash -c "! ip netns list | awk '{print \$1}' | grep -qx '$NAME'"
"$SCRIPT" down "$NAME" > /dev/null 2>&1
check "down of a missing namespace fails" test $? -ne 0
"$SCRIPT" up 'bad name!' > /dev/null 2>&1
check "a bad name is refused" test $? -ne 0
finish
