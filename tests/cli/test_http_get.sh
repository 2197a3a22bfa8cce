#!/usr/bin/env bash
# nstack get on the simulated lab path: keep-alive reuse and its timing
# (virtual time, exact), no keep-alive, HTTPS, a body, a timeout, and
# usage errors. Usage: test_http_get.sh NSTACK OUTDIR
set -uo pipefail
NSTACK=$1
OUT=$2/http-get
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
check() { # check NAME COMMAND...
  if "${@:2}"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1"; fi
}
has() { grep -qE -- "$2" "$1"; }

"$NSTACK" get -n 3 -w http://london/ > "$OUT/ka.out" 2> "$OUT/ka.err"; rc=$?
check "get -n 3 exits 0" test $rc -eq 0
check "three bodies" test "$(grep -c 'hello from nstack in London' "$OUT/ka.out")" -eq 3
check "one connection, two reused" has "$OUT/ka.err" '^3 requests, 0 failed: 1 connections opened, 2 reused'
check "a reused request takes one round trip" has "$OUT/ka.err" '^request 2: connect 0.000 ms  tls 0.000 ms  first byte 80.008 ms  total 80.008 ms  \(reused\)'
check "the first takes two" has "$OUT/ka.err" '^request 1: connect 82.007 ms  tls 0.000 ms  first byte 162.016 ms'

"$NSTACK" get -n 2 -w -q --no-keepalive http://london/bytes/1000 > "$OUT/noka.out" 2> "$OUT/noka.err"; rc=$?
check "--no-keepalive exits 0" test $rc -eq 0
check "-q prints no body" test ! -s "$OUT/noka.out"
check "a connection per request" has "$OUT/noka.err" '2 connections opened, 0 reused'

"$NSTACK" get -n 2 -w -v https://london/ > "$OUT/tls.out" 2> "$OUT/tls.err"; rc=$?
check "https exits 0" test $rc -eq 0
check "TLS 1.3 adds a round trip" has "$OUT/tls.err" '^request 1: connect 82.007 ms  tls 162.066 ms  first byte 242.086 ms'
check "the TLS connection is reused" has "$OUT/tls.err" '^request 2: .*\(reused\)'
check "-v prints the response head" has "$OUT/tls.err" '^< Content-Length: 28'

"$NSTACK" get -d 'ping' http://london/ > "$OUT/post.out" 2>&1; rc=$?
check "a POST exits 0" test $rc -eq 0

"$NSTACK" get --max-time 0.05 http://london/ > "$OUT/deadline.out" 2>&1; rc=$?
check "--max-time fails the request" test $rc -eq 1
check "and says why" has "$OUT/deadline.out" 'deadline exceeded'

"$NSTACK" get ftp://london/ > "$OUT/bad.out" 2>&1; rc=$?
check "a bad URL is a usage error" test $rc -eq 2
"$NSTACK" get http://ny/ > "$OUT/ny.out" 2>&1; rc=$?
check "New York cannot fetch from itself" test $rc -eq 1

echo "$pass passed, $fail failed"
test $fail -eq 0
