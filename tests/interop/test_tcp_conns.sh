#!/usr/bin/env bash
# Many short TCP connections from Linux to nstack serve, one after another:
#   - 200 Python connections to the echo service (connect, 32 bytes there
#     and back, close), every one answered byte for byte;
#   - 200 HTTP requests from one curl, each on a connection of its own
#     (Connection: close), every one 200 OK;
# and a connection to a closed nstack port: nstack answers the SYN with a
# RST, the kernel reports ECONNREFUSED (Python and curl), and serve counts
# exactly the resets it sent. The capture is read back clean. And nstack
# connect to a closed Linux port: the kernel's RST, "Connection refused".
# Usage: test_tcp_conns.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 curl tshark
ns_up
N=200

start_serve serve --tcp-echo 7 --http 80 --pcap "$OUT/serve.pcap" --pcap-max 20000 || exit 1
timeout 60 ip netns exec "$NS" python3 - "$NADDR" "$N" > "$OUT/echo.txt" 2>&1 <<'PY'
import os, socket, sys
addr, n = sys.argv[1], int(sys.argv[2])
ok = ports = 0
seen = set()
for i in range(n):
    data = os.urandom(32)
    with socket.create_connection((addr, 7), timeout=5) as s:
        seen.add(s.getsockname()[1])
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        back = b""
        while True:
            b = s.recv(64)
            if not b:
                break
            back += b
        ok += back == data
print("echoed", ok, "of", n, "from", len(seen), "ports")
for port in (9, 8080):
    try:
        socket.create_connection((addr, port), timeout=5)
        print("port", port, "connected?")
    except ConnectionRefusedError:
        print("port", port, "refused")
    except OSError as e:
        print("port", port, e)
PY
check "$N connections echoed, from $N ports" has "$OUT/echo.txt" "^echoed $N of $N from $N ports$"
check "closed port 9: ECONNREFUSED" has "$OUT/echo.txt" '^port 9 refused$'
check "closed port 8080: ECONNREFUSED" has "$OUT/echo.txt" '^port 8080 refused$'

# One curl, N URLs, a connection each.
urls=()
for i in $(seq $N); do urls+=("http://$NADDR/"); done
timeout 120 ip netns exec "$NS" curl -sS --max-time 60 -H 'Connection: close' \
  -w '%{http_code} %{num_connects}\n' -o /dev/null "${urls[@]}" > "$OUT/curl.txt" 2> "$OUT/curl-err.txt"
check "curl: $N requests, 200 OK each on a new connection" test "$(grep -c '^200 1$' "$OUT/curl.txt")" -eq $N
timeout 20 ip netns exec "$NS" curl -sSv --max-time 5 "http://$NADDR:81/" > /dev/null 2> "$OUT/curl-refused.txt"
rc=$?
check "curl to a closed port: exit 7 (got $rc), connection refused" \
  bash -c "[ $rc -eq 7 ] && grep -q 'Connection refused' '$OUT/curl-refused.txt'"
stop_serve

# The other way: nstack connects to a closed Linux port; the kernel's RST
# ends it at once.
nconnect refused 20 --recv --timeout 5 "$KADDR:5999"
rc=$?
check "nstack connect to a closed Linux port: exit 1 (got $rc), connection refused" \
  bash -c "[ $rc -eq 1 ] && grep -q '^nstack connect: cannot connect: Connection refused$' '$OUT/refused.txt'"
check "its states: SYN_SENT, then CLOSED" \
  test "$(sed -n 's/^nstack connect: state \([A-Z_]*\) .*/\1/p' "$OUT/refused.txt" | tr '\n' ' ')" = "SYN_SENT CLOSED "
check "nstack received the reset" test "$(tcp_stat "$OUT/refused.txt" resets_in)" -eq 1

check "serve: $N echo connections" has "$OUT/serve.txt" "^tcp-echo: $N connections, $((N * 32)) bytes in, $((N * 32)) bytes out$"
check "serve: $N HTTP requests" has "$OUT/serve.txt" "^http: $N connections, [0-9]+ bytes in, [0-9]+ bytes out, $N requests$"
check "serve sent exactly 3 resets, one per refused SYN (got $(tcp_stat "$OUT/serve.txt" resets_out))" \
  test "$(tcp_stat "$OUT/serve.txt" resets_out)" -eq 3
count() { tshark -n -r "$OUT/serve.pcap" -Y "$1" 2>/dev/null | wc -l; }
check "capture: 3 RSTs from nstack, to ports 9, 8080, 81" \
  test "$(tshark -n -r "$OUT/serve.pcap" -Y "ip.src == $NADDR && tcp.flags.reset == 1" -T fields -e tcp.srcport 2>/dev/null | tr '\n' ' ')" = "9 8080 81 "
check "capture: $((2 * N + 3)) SYNs from Linux" test "$(count "ip.src == $KADDR && tcp.flags.syn == 1 && tcp.flags.ack == 0")" -eq $((2 * N + 3))
check "capture clean" "$CHECK_PCAP" "$OUT/serve.pcap"
finish
