#!/usr/bin/env bash
# nstack get --http2 (the library's HTTP/2 client) on a TAP against nghttpd
# (nghttp2's server) on the Linux side, in a namespace of the test's own:
#   - h2c with prior knowledge: 20 requests, 10 in flight at once, on one
#     connection, every byte there, and a body alone byte for byte;
#   - h2 over TLS, chosen by ALPN: the same, with nghttpd's certificate
#     (self-signed here, so -k);
#   - ALPN fallback: an HTTPS server that offers only http/1.1 (openssl
#     s_server -WWW) is fetched in HTTP/1.1 on the connection made for h2.
# Usage: test_h2_client.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env nghttpd openssl curl
ns_up

mkdir -p "$OUT/www"
head -c 100000 /dev/urandom > "$OUT/www/blob.bin"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -days 1 \
  -subj "/CN=$KADDR" > /dev/null 2>&1
bg h2c timeout 60 nghttpd -v --no-tls -a "$KADDR" -d "$OUT/www" 8080
bg h2tls timeout 60 nghttpd -v -a "$KADDR" -d "$OUT/www" 8443 "$OUT/key.pem" "$OUT/cert.pem"
for i in $(seq 50); do
  ip netns exec "$NS" curl -s --max-time 1 --http2-prior-knowledge -o /dev/null "http://$KADDR:8080/blob.bin" && break
  sleep 0.2
done

nget() { # nget NAME ARGS...: nstack get on the TAP (30 s at most)
  local name=$1; shift
  timeout 30 ip netns exec "$NS" "$NSTACK" get --tap "$TAP" --addr "$NADDR/24" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
}
same_blobs() { # the output is N copies of blob.bin
  local n=$1 f=$2 i
  for i in $(seq "$n"); do cat "$OUT/www/blob.bin"; done | cmp -s - "$f"
}

nget h2c --http2 -n 20 -P 10 -w "http://$KADDR:8080/blob.bin"; rc=$?
check "h2c: exit 0" test $rc -eq 0
check "h2c: 20 requests on 1 connection" has "$OUT/h2c.err" '^20 requests, 0 failed: 1 connections opened'
check "h2c: HTTP/2, 20 streams, 10 at once" has "$OUT/h2c.err" '^HTTP/2: 1 connections, 20 streams \(at most 10 at once\)'
# Streams interleave on stdout: the count of bytes, then one alone byte for byte.
check "h2c: 20 bodies' bytes" test "$(stat -c %s "$OUT/h2c.out")" -eq 2000000
nget h2c1 --http2 "http://$KADDR:8080/blob.bin"
check "h2c: a body byte-exact" same_blobs 1 "$OUT/h2c1.out"

nget h2 --http2 -k -n 6 -P 3 -w "https://$KADDR:8443/blob.bin"; rc=$?
check "h2 over TLS: exit 0" test $rc -eq 0
check "h2 over TLS: ALPN chose h2, one connection" has "$OUT/h2.err" '^HTTP/2: 1 connections, 6 streams'
check "h2 over TLS: 6 bodies' bytes" test "$(stat -c %s "$OUT/h2.out")" -eq 600000
nget h21 --http2 -k "https://$KADDR:8443/blob.bin"
check "h2 over TLS: a body byte-exact" same_blobs 1 "$OUT/h21.out"

# An HTTPS server that speaks only HTTP/1.1 (no ALPN h2).
(cd "$OUT/www" && exec ip netns exec "$NS" timeout 60 openssl s_server -quiet -WWW -accept "$KADDR:9443" \
  -cert "$OUT/cert.pem" -key "$OUT/key.pem" -alpn http/1.1) > "$OUT/s_server.txt" 2>&1 &
STARTED_PIDS+=("$!")
sleep 1
nget fb --http2 -k -w "https://$KADDR:9443/blob.bin"; rc=$?
check "fallback: exit 0" test $rc -eq 0
check "fallback: ALPN said http/1.1, served on that connection" has "$OUT/fb.err" '1 fell back to HTTP/1.1'
check "fallback: body byte-exact" same_blobs 1 "$OUT/fb.out"
finish
