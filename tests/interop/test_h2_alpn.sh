#!/usr/bin/env bash
# nstack serve --tls 443 --alpn h2,http/1.1 --http2 on a TAP against curl
# and nghttp, in a namespace of the test's own: one TLS port where ALPN
# picks the protocol (RFC 7301, RFC 9113 3.2). curl --http2 negotiates h2
# (%{http_version} 2), curl --http1.1 gets HTTP/1.1 on the same port, both
# verifying a certificate made for this run and getting the page byte for
# byte; a 200,000-byte file over h2 arrives the same; nghttp -nv over TLS
# sees the server's SETTINGS and :status 200; the server counts its
# HTTP/2 connections with no protocol error, and has sent no TCP reset
# (nghttp's GOAWAY ends the session, its close_notify answers the server's:
# the server lingers for it rather than closing into a RST; docs/HTTP.md).
# Usage: test_h2_alpn.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env openssl curl nghttp
ns_up

pki() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/ca.key" -out "$OUT/ca.pem" -days 2 \
    -subj /CN=nstack-test-ca &&
  openssl req -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/srv.csr" -subj "/CN=$NADDR" &&
  printf 'subjectAltName=IP:%s,DNS:nstack.test\n' "$NADDR" > "$OUT/san.ext" &&
  openssl x509 -req -in "$OUT/srv.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" -CAcreateserial \
    -out "$OUT/cert.pem" -days 2 -extfile "$OUT/san.ext"
}
pki > "$OUT/pki.txt" 2>&1 || { cat "$OUT/pki.txt"; exit 1; }

ROOT=$OUT/root
mkdir -p "$ROOT"
head -c 200000 /dev/urandom > "$ROOT/blob.bin"
printf '<p>index</p>\n' > "$ROOT/index.html"
start_serve serve --tls 443 --cert "$OUT/cert.pem" --key "$OUT/key.pem" --alpn h2,http/1.1 --http2 \
  --root "$ROOT" || exit 1

curlx() { timeout 20 ip netns exec "$NS" curl -sS --max-time 10 --cacert "$OUT/ca.pem" "$@"; }
URL=https://$NADDR

curlx -v --http2 -o "$OUT/h2.body" -w '%{http_version}\n' "$URL/index.html" > "$OUT/h2.txt" 2> "$OUT/h2.err"
check "curl --http2: HTTP/2 by ALPN" test "$(cat "$OUT/h2.txt")" = "2"
check "curl --http2: ALPN h2 accepted" has "$OUT/h2.err" 'ALPN.*server accepted.*h2'
check "curl --http2: the page, byte for byte" cmp -s "$ROOT/index.html" "$OUT/h2.body"

curlx -v --http1.1 -o "$OUT/h1.body" -w '%{http_version}\n' "$URL/index.html" > "$OUT/h1.txt" 2> "$OUT/h1.err"
check "curl --http1.1 on the same port: HTTP/1.1" test "$(cat "$OUT/h1.txt")" = "1.1"
check "curl --http1.1: ALPN http/1.1 accepted" has "$OUT/h1.err" 'ALPN.*server accepted.*http/1.1'
check "curl --http1.1: the page, byte for byte" cmp -s "$ROOT/index.html" "$OUT/h1.body"

curlx --http2 -o "$OUT/blob.got" -w '%{http_version}\n' "$URL/blob.bin" > "$OUT/blob.txt" 2>&1
check "curl --http2: 200,000 bytes over h2, the same" \
  bash -c "[ \"\$(cat '$OUT/blob.txt')\" = 2 ] && cmp -s '$ROOT/blob.bin' '$OUT/blob.got'"

# nghttp does not verify certificates: what it checks here is the protocol.
timeout 20 ip netns exec "$NS" nghttp -nv "$URL/index.html" > "$OUT/nghttp.txt" 2>&1
check "nghttp over TLS: h2 negotiated" has "$OUT/nghttp.txt" 'negotiated protocol: h2'
check "nghttp over TLS: the server's SETTINGS" has "$OUT/nghttp.txt" 'recv SETTINGS frame'
check "nghttp over TLS: :status 200" has "$OUT/nghttp.txt" ':status: 200'
timeout 20 ip netns exec "$NS" nghttp "$URL/index.html" > "$OUT/nghttp.body" 2> "$OUT/nghttp.err"
check "nghttp over TLS: the page, byte for byte" cmp -s "$ROOT/index.html" "$OUT/nghttp.body"

stop_serve
check "serve: 4 HTTP/2 connections (curl 2, nghttp 2), no protocol error" has "$OUT/serve.txt" \
  '^tls: HTTP/2: 4 connections, 4 streams .* 0 protocol errors'
check "serve sent no reset" has "$OUT/serve.txt" '^tcp: .*; 0 resets out, [0-9]+ in$'
finish
