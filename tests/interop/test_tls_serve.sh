#!/usr/bin/env bash
# `nstack serve --tls` (the HTTP/1.1 responder over TLS on a TAP) against
# Linux's TLS clients: curl --tlsv1.2 and --tlsv1.3 verifying nstack's
# certificate against a CA made for this run; openssl s_client resuming
# TLS 1.2 and 1.3 sessions (-sess_out/-sess_in: "Reused"); TLS 1.3 0-RTT
# (-early_data: "Early data was accepted", the request answered); `nstack
# ss -i` showing a live connection's version, cipher and resumption; tshark
# decrypting nstack's capture with the keylog nstack wrote ($SSLKEYLOGFILE)
# and showing the HTTP inside; the server's TLS counters.
# Usage: test_tls_serve.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env openssl curl tshark
ns_up

# A throwaway CA and nstack's certificate for its address, made now.
pki() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/ca.key" -out "$OUT/ca.pem" -days 2 \
    -subj /CN=nstack-test-ca &&
  openssl req -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/srv.csr" -subj "/CN=$NADDR" &&
  printf 'subjectAltName=IP:%s,DNS:nstack.test\n' "$NADDR" > "$OUT/san.ext" &&
  openssl x509 -req -in "$OUT/srv.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" -CAcreateserial \
    -out "$OUT/cert.pem" -days 2 -extfile "$OUT/san.ext"
}
pki > "$OUT/pki.txt" 2>&1 || { cat "$OUT/pki.txt"; exit 1; }

CTL=$OUT/ctl.sock
export SSLKEYLOGFILE=$OUT/keylog.txt
start_serve serve --tls 443 --cert "$OUT/cert.pem" --key "$OUT/key.pem" --alpn http/1.1 \
  --max-early-data 16384 --control "$CTL" --pcap "$OUT/serve.pcap" || exit 1
unset SSLKEYLOGFILE
check "serve says it runs tls" has "$OUT/serve.txt" '; tls on port 443'

# ---- curl, both versions, verifying the certificate ----------------------
curlx() { timeout 20 ip netns exec "$NS" curl -sS --max-time 10 --cacert "$OUT/ca.pem" "$@"; }
for v in 1.2 1.3; do
  curlx -v --tlsv$v --tls-max $v "https://$NADDR/" > "$OUT/curl$v.txt" 2> "$OUT/curl$v.err"
  check "curl --tlsv$v: the page" test "$(cat "$OUT/curl$v.txt")" = "Hello from nstack"
  check "curl --tlsv$v: TLSv$v negotiated" has "$OUT/curl$v.err" "SSL connection using TLSv$v"
  check "curl --tlsv$v: ALPN http/1.1" has "$OUT/curl$v.err" 'ALPN.*server accepted.*http/1.1'
done
check "curl without the CA refuses the certificate" \
  bash -c "! timeout 20 ip netns exec '$NS' curl -sS --max-time 10 'https://$NADDR/' > /dev/null 2>&1"
curlx -I "https://$NADDR/" > "$OUT/head.txt"
check "HEAD over TLS: 200" has "$OUT/head.txt" '^HTTP/1.1 200 OK'

# ---- openssl s_client: resumption, both versions ---------------------------
REQ='GET / HTTP/1.1\r\nHost: nstack.test\r\nConnection: close\r\n\r\n'
sclient() { # sclient NAME ARGS...: one request, read to the server's close
  local name=$1; shift
  printf "$REQ" | timeout 20 ip netns exec "$NS" openssl s_client -connect "$NADDR:443" -CAfile "$OUT/ca.pem" \
    -verify_return_error -servername nstack.test -ign_eof "$@" > "$OUT/$name.txt" 2>&1
}
for v in 1_2 1_3; do
  rm -f "$OUT/sess$v"
  sclient full$v -tls$v -sess_out "$OUT/sess$v"
  check "s_client -tls$v: a full handshake, verified" \
    bash -c "grep -q '^New, TLSv1.${v#1_}' '$OUT/full$v.txt' && grep -q 'Verify return code: 0 (ok)' '$OUT/full$v.txt'"
  check "s_client -tls$v: the page" has "$OUT/full$v.txt" '^Hello from nstack'
  sclient resumed$v -tls$v -sess_in "$OUT/sess$v"
  check "s_client -tls$v -sess_in: Reused" has "$OUT/resumed$v.txt" "^Reused, TLSv1.${v#1_}"
  check "s_client -tls$v resumed: the page" has "$OUT/resumed$v.txt" '^Hello from nstack'
done

# ---- TLS 1.3 0-RTT: the request goes as early data --------------------------
printf "$REQ" > "$OUT/early.txt"
sclient ticket -tls1_3 -sess_out "$OUT/sess0rtt"
: | timeout 20 ip netns exec "$NS" openssl s_client -connect "$NADDR:443" -CAfile "$OUT/ca.pem" -tls1_3 \
  -servername nstack.test -sess_in "$OUT/sess0rtt" -early_data "$OUT/early.txt" -ign_eof > "$OUT/0rtt.txt" 2>&1
check "0-RTT: Reused" has "$OUT/0rtt.txt" '^Reused, TLSv1.3'
check "0-RTT: Early data was accepted" has "$OUT/0rtt.txt" '^Early data was accepted'
check "0-RTT: the early request answered" has "$OUT/0rtt.txt" '^Hello from nstack'
# An unsafe method in early data is not served (RFC 8470 5.2): 425.
sclient ticket2 -tls1_3 -sess_out "$OUT/sess0rtt2"
printf 'POST / HTTP/1.1\r\nHost: nstack.test\r\nContent-Length: 0\r\n\r\n' > "$OUT/early-post.txt"
: | timeout 20 ip netns exec "$NS" openssl s_client -connect "$NADDR:443" -CAfile "$OUT/ca.pem" -tls1_3 \
  -servername nstack.test -sess_in "$OUT/sess0rtt2" -early_data "$OUT/early-post.txt" -ign_eof > "$OUT/0rtt-post.txt" 2>&1
check "0-RTT POST: accepted as early data, answered 425 Too Early" \
  bash -c "grep -q '^Early data was accepted' '$OUT/0rtt-post.txt' && grep -q '^HTTP/1.1 425 Too Early' '$OUT/0rtt-post.txt'"

# ---- nstack ss -i: a live TLS connection's line ----------------------------
sclient ticket3 -tls1_3 -sess_out "$OUT/sess-live"
( sleep 4 ) | timeout 20 ip netns exec "$NS" openssl s_client -connect "$NADDR:443" -CAfile "$OUT/ca.pem" \
  -tls1_3 -servername nstack.test -alpn http/1.1 -sess_in "$OUT/sess-live" > "$OUT/live.txt" 2>&1 &
LIVE=$!
STARTED_PIDS+=("$LIVE")
wait_for "$OUT/live.txt" '^Reused, TLSv1.3' 10
sleep 0.5
"$NSTACK" ss --control "$CTL" -tni > "$OUT/ss.txt" 2>&1
check "ss -i: version and cipher of the TLS connection" has "$OUT/ss.txt" 'tls:TLSv1\.3 cipher:TLS_AES_[0-9]+_GCM_SHA[0-9]+'
check "ss -i: resumed, ALPN" has "$OUT/ss.txt" 'tls:TLSv1\.3 .*resumed.*alpn:http/1\.1'
wait "$LIVE" 2>/dev/null

stop_serve
check "serve counted full and resumed handshakes, 0-RTT accepted" \
  bash -c "grep -Eq 'handshakes_resumed[ :=]+[3-9]' '$OUT/serve.txt' && grep -Eq 'early_accepted[ :=]+2' '$OUT/serve.txt'"

# ---- tshark decrypts nstack's capture with nstack's keylog -----------------
check "serve wrote a keylog" has "$OUT/keylog.txt" '^(CLIENT_RANDOM|CLIENT_TRAFFIC_SECRET_0) '
tshark -n -r "$OUT/serve.pcap" -o "tls.keylog_file:$OUT/keylog.txt" -Y http \
  -T fields -e http.request.method -e http.response.code > "$OUT/tshark-http.txt" 2>&1
check "tshark decrypts the GET requests" test "$(grep -c '^GET' "$OUT/tshark-http.txt")" -ge 8
check "tshark decrypts the 200 responses" test "$(grep -c '200' "$OUT/tshark-http.txt")" -ge 8
check "tshark decrypts the early POST" has "$OUT/tshark-http.txt" '^POST'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
