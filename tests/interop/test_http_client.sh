#!/usr/bin/env bash
# nstack get (the library's HTTP client) on a TAP against HTTP servers on
# the Linux side, in a namespace of the test's own:
#   - a Python HTTP/1.1 server (BaseHTTPRequestHandler, protocol HTTP/1.1):
#     5 requests kept alive on one connection (the server saw one client
#     port), a chunked response decoded whole, --no-keepalive opening a
#     connection per request;
#   - python3 -m http.server (HTTP/1.0: it closes after each response):
#     the client opens a new connection each time, without an error.
# Usage: test_http_client.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env python3
ns_up

cat > "$OUT/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, fmt, *args):
        print("request from port", self.client_address[1], self.requestline, flush=True)
    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one,", b"two,", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            body = b"hello from the kernel\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), H)
print("listening", flush=True)
srv.serve_forever()
PY
bg py11 timeout 60 python3 "$OUT/server.py" 8000
wait_for "$OUT/py11.txt" '^listening' || { echo "server did not start"; cat "$OUT/py11.txt"; exit 1; }
mkdir -p "$OUT/www" && echo "a file" > "$OUT/www/a.txt"
bg py10 timeout 60 python3 -m http.server --directory "$OUT/www" --bind "$KADDR" 8001
wait_for "$OUT/py10.txt" 'Serving HTTP' || { echo "http.server did not start"; cat "$OUT/py10.txt"; exit 1; }

nget() { # nget NAME ARGS...: nstack get on the TAP (30 s at most)
  local name=$1; shift
  timeout 30 ip netns exec "$NS" "$NSTACK" get --tap "$TAP" --addr "$NADDR/24" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
}

nget ka -n 5 -w "http://$KADDR:8000/"; rc=$?
check "keep-alive: exit 0" test $rc -eq 0
check "keep-alive: five bodies" test "$(grep -c '^hello from the kernel$' "$OUT/ka.out")" -eq 5
check "keep-alive: one connection, four reused" has "$OUT/ka.err" '^5 requests, 0 failed: 1 connections opened, 4 reused'
check "keep-alive: the server saw one client port" \
  test "$(grep 'GET / HTTP/1.1' "$OUT/py11.txt" | awk '{print $4}' | sort -u | wc -l)" -eq 1

nget chunked -n 2 "http://$KADDR:8000/chunked"; rc=$?
check "chunked: exit 0" test $rc -eq 0
check "chunked: decoded" test "$(cat "$OUT/chunked.out")" = "one,two,threeone,two,three"
check "chunked: reused" has "$OUT/chunked.err" '1 connections opened, 1 reused'

nget noka -n 3 --no-keepalive "http://$KADDR:8000/"; rc=$?
check "no keep-alive: exit 0, three connections" \
  bash -c "[ $rc -eq 0 ] && grep -q '3 connections opened, 0 reused' '$OUT/noka.err'"

nget http10 -n 3 -w "http://$KADDR:8001/a.txt"; rc=$?
check "HTTP/1.0 server: exit 0" test $rc -eq 0
check "HTTP/1.0 server: three bodies" test "$(grep -c '^a file$' "$OUT/http10.out")" -eq 3
check "HTTP/1.0 server: a connection each, no retry" has "$OUT/http10.err" '3 connections opened, 0 reused, 0 retried'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
