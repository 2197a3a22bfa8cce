#!/usr/bin/env bash
# TCP between Linux and nstack over a TAP, through nstack serve's services:
# echo (1 MiB, byte for byte, also with 2% loss each way), discard (exact byte
# count), source (RFC 864's pattern), and the HTTP/1.1 responder under curl
# (200, HEAD, 404, 405, persistent connections, HTTP/1.0, a missing Host).
# Usage: test_tcp.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3 curl nc tshark
ns_up

# The kernel's side: Python clients, every wait bounded by a socket timeout.
cat > "$OUT/client.py" <<'PY'
import hashlib, os, socket, sys, threading
addr, what = sys.argv[1], sys.argv[2]
def conn(port):
    s = socket.create_connection((addr, port), timeout=20)
    s.settimeout(20)
    return s
if what == "echo":
    data = os.urandom(1 << 20)
    s = conn(7)
    t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    t.start()
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    t.join()
    print("echo", len(got), "same" if bytes(got) == data else "DIFFERENT")
elif what == "discard":
    s = conn(9)
    s.sendall(b"d" * (2 << 20))
    s.shutdown(socket.SHUT_WR)
    print("discard closed", s.recv(1) == b"")
elif what == "nohost":
    s = conn(80)
    s.sendall(b"GET / HTTP/1.1\r\n\r\n")
    print("nohost", s.recv(200).split(b"\r\n")[0].decode())
PY
client() { timeout 60 ip netns exec "$NS" python3 "$OUT/client.py" "$NADDR" "$1" >> "$OUT/client.txt" 2>&1; }

start_serve serve --tcp-echo 7 --discard 9 --source 19 --http 80 --pcap "$OUT/serve.pcap" || exit 1
: > "$OUT/client.txt"
client echo; client discard; chargen_check "$NS" "$NADDR" 19 >> "$OUT/client.txt" 2>&1; client nohost
check "echo: 1 MiB back, the same bytes" has "$OUT/client.txt" '^echo 1048576 same$'
check "discard: the server closed after the client" has "$OUT/client.txt" '^discard closed True$'
check "source: 1 MiB of RFC 864's pattern" has "$OUT/client.txt" '^source 1048576 pattern$'
check "HTTP/1.1 without Host: 400" has "$OUT/client.txt" '^nohost HTTP/1.1 400 Bad Request$'
echo "hello over tcp" | timeout 10 ip netns exec "$NS" nc -N "$NADDR" 7 > "$OUT/nc.txt" 2>&1
check "nc: echo" test "$(cat "$OUT/nc.txt")" = "hello over tcp"

curlx() { timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "$@"; }
check "curl GET /: the page" test "$(curlx "http://$NADDR/")" = "Hello from nstack"
curlx -I "http://$NADDR/" > "$OUT/head.txt"
check "HEAD /: 200, Content-Length 18" bash -c "grep -q '^HTTP/1.1 200 OK' '$OUT/head.txt' && grep -q '^Content-Length: 18' '$OUT/head.txt'"
check "GET /nowhere: 404" test "$(curlx -o /dev/null -w '%{http_code}' "http://$NADDR/nowhere")" = 404
curlx -i -X POST -d x "http://$NADDR/" > "$OUT/post.txt"
check "POST: 405 with Allow: GET, HEAD" bash -c "grep -q '^HTTP/1.1 405' '$OUT/post.txt' && grep -q '^Allow: GET, HEAD' '$OUT/post.txt'"
curlx -v "http://$NADDR/" "http://$NADDR/" -o /dev/null -o /dev/null > "$OUT/reuse.txt" 2>&1
check "two requests, one connection" has "$OUT/reuse.txt" 'Re-using existing connection'
curlx -0 -i "http://$NADDR/" > "$OUT/http10.txt"
check "HTTP/1.0: answered, then closed" has "$OUT/http10.txt" '^Connection: close'
stop_serve
check "serve counts the discarded bytes exactly" has "$OUT/serve.txt" '^discard: 1 connections, 2097152 bytes in, 0 bytes out$'
check "serve counts the echoed bytes" has "$OUT/serve.txt" '^tcp-echo: 2 connections, 1048591 bytes in, 1048591 bytes out$'
# The library server counts the request without Host as a parse error, not a request.
check "serve counts 7 HTTP requests" has "$OUT/serve.txt" '^http: [0-9]+ connections, [0-9]+ bytes in, [0-9]+ bytes out, 7 requests$'
check "and 8 answers, one to a parse error" has "$OUT/serve.txt" '^http: 8 responses \(3 4xx, 0 5xx\), 1 parse errors'
check "capture is clean" "$CHECK_PCAP" "$OUT/serve.pcap"

# The same echo through 2% loss each way: TCP repairs it.
start_serve lossy --tcp-echo 7 --loss 0.02 --seed 1 || exit 1
: > "$OUT/client.txt"
client echo
stop_serve
lost=$(( $(serve_stat "$OUT/lossy.txt" tx lost) + $(serve_stat "$OUT/lossy.txt" rx lost) ))
check "echo through 2% loss ($lost frames lost): 1 MiB, the same bytes" has "$OUT/client.txt" '^echo 1048576 same$'
check "frames were lost" test "$lost" -gt 0
finish
