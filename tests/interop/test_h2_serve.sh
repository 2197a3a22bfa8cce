#!/usr/bin/env bash
# nstack serve --http 80 --http2 (HTTP/2 by prior knowledge beside HTTP/1.1
# on one port, the library's server) on a TAP against nghttp, curl and
# h2load, in a namespace of the test's own: nghttp -nv (h2c with prior
# knowledge) sees SETTINGS and a 200 and its GOAWAY; curl
# --http2-prior-knowledge fetches a file byte for byte and reuses its
# connection for a second URL; curl --http2 (an Upgrade offer: RFC 9113
# deprecates it, the server answers in HTTP/1.1) and plain curl are served
# on the same port; h2load makes 2,000 requests (bounded) on 2 connections,
# 10 streams each, all 2xx. Usage: test_h2_serve.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env curl nghttp h2load
ns_up

ROOT=$OUT/root
mkdir -p "$ROOT"
head -c 200000 /dev/urandom > "$ROOT/blob.bin"
echo "<p>index</p>" > "$ROOT/index.html"
start_serve serve --http 80 --http2 --root "$ROOT" || exit 1

in_ns() { timeout 30 ip netns exec "$NS" "$@"; }
in_ns nghttp -nv "http://$NADDR/index.html" > "$OUT/nghttp.txt" 2>&1
check "nghttp: the server's SETTINGS" has "$OUT/nghttp.txt" 'recv SETTINGS frame'
check "nghttp: SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)" has "$OUT/nghttp.txt" 'SETTINGS_ENABLE_CONNECT_PROTOCOL\(0x08\):1'
check "nghttp: :status 200" has "$OUT/nghttp.txt" ':status: 200'
in_ns curl -sS --max-time 10 --http2-prior-knowledge -o "$OUT/blob.got" -w '%{http_version}\n' \
  "http://$NADDR/blob.bin" > "$OUT/curl_pk.txt" 2>&1
check "curl --http2-prior-knowledge: HTTP/2" has "$OUT/curl_pk.txt" '^2$'
check "curl --http2-prior-knowledge: 200,000 bytes, the same" cmp -s "$ROOT/blob.bin" "$OUT/blob.got"
in_ns curl -sS -v --max-time 10 --http2-prior-knowledge -o /dev/null -o /dev/null "http://$NADDR/blob.bin" \
  "http://$NADDR/index.html" > "$OUT/curl_reuse.txt" 2>&1
check "curl: two URLs, one HTTP/2 connection" has "$OUT/curl_reuse.txt" 'Re-using existing connection'
check "curl --http2 (Upgrade offered): served in HTTP/1.1" \
  test "$(in_ns curl -sS --max-time 10 --http2 -o /dev/null -w '%{http_version}' "http://$NADDR/")" = "1.1"
check "plain HTTP/1.1 on the same port" test "$(in_ns curl -sS --max-time 10 "http://$NADDR/")" = "<p>index</p>"
in_ns h2load -n 2000 -c 2 -m 10 "http://$NADDR/index.html" > "$OUT/h2load.txt" 2>&1
check "h2load: 2000 succeeded" has "$OUT/h2load.txt" 'requests: 2000 total, 2000 started, 2000 done, 2000 succeeded'
check "h2load: all 2xx" has "$OUT/h2load.txt" 'status codes: 2000 2xx'
stop_serve
check "serve: HTTP/2 connections counted, no protocol error" has "$OUT/serve.txt" \
  '^http: HTTP/2: [0-9]+ connections, [0-9]+ streams .* 0 protocol errors'
finish
