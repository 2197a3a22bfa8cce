#!/usr/bin/env bash
# nstack serve --http PORT --root DIR (the library's HTTP server with its
# static files) on a TAP against curl, ab and wrk, in a namespace of the
# test's own: files served byte for byte, two URLs on one curl command line
# share a connection ("Re-using existing connection"), no path escape
# ("..", percent-encoded or not, and a symlink out of the root: 403), HEAD,
# and bounded load (ab -k: 1,000 requests on 2 kept-alive connections; wrk:
# 1 s on 2 connections) with no failure. The resets at the end of a wrk run
# (docs/HTTP.md, "The resets at the end of a load run"): wrk stopped after
# 500 responses (no connection reaches serve's 1,000-request limit), then
# nstack has sent no RST (as Linux under nginx), and the resets it counts
# in ESTABLISHED are exactly those the kernel sent for wrk closing with a
# response unread (TcpExtTCPAbortOnClose); the whole run, no RST from
# nstack. Usage: test_http_serve.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
require_env curl
ns_up

ROOT=$OUT/root
mkdir -p "$ROOT/sub"
echo "secret" > "$OUT/secret.txt"
head -c 100000 /dev/urandom > "$ROOT/blob.bin"
echo "<p>index</p>" > "$ROOT/index.html"
ln -s "$OUT/secret.txt" "$ROOT/sub/out"
CTL=$OUT/ctl
start_serve serve --http 80 --root "$ROOT" --control "$CTL" || exit 1

curlx() { timeout 20 ip netns exec "$NS" curl -sS --max-time 10 "$@"; }
curlx -o "$OUT/blob.got" "http://$NADDR/blob.bin"
check "a 100,000-byte file, the same bytes" cmp -s "$ROOT/blob.bin" "$OUT/blob.got"
check "/ is index.html" test "$(curlx "http://$NADDR/")" = "<p>index</p>"
curlx -v -o /dev/null -o /dev/null "http://$NADDR/blob.bin" "http://$NADDR/index.html" > "$OUT/reuse.txt" 2>&1
check "two requests, one connection" has "$OUT/reuse.txt" 'Re-using existing connection'
code() { curlx --path-as-is -o /dev/null -w '%{http_code}' "http://$NADDR$1"; }
check "/../secret.txt: 403" test "$(code /../secret.txt)" = 403
check "/%2e%2e/secret.txt: 403" test "$(code /%2e%2e/secret.txt)" = 403
check "a symlink out of the root: 403" test "$(code /sub/out)" = 403
check "a missing file: 404" test "$(code /nothing)" = 404
curlx -I "http://$NADDR/blob.bin" > "$OUT/head.txt"
check "HEAD: the length, no body" bash -c "grep -q '^Content-Length: 100000' '$OUT/head.txt'"

if command -v ab > /dev/null; then
  timeout 60 ip netns exec "$NS" ab -q -k -n 1000 -c 2 -s 10 "http://$NADDR/index.html" > "$OUT/ab.txt" 2>&1
  check "ab -k: 1000 complete" has "$OUT/ab.txt" '^Complete requests: +1000$'
  check "ab -k: none failed" has "$OUT/ab.txt" '^Failed requests: +0$'
  check "ab -k: all kept alive" has "$OUT/ab.txt" '^Keep-Alive requests: +1000$'
fi
if command -v wrk > /dev/null; then
  timeout 30 ip netns exec "$NS" wrk -t1 -c2 -d1s --timeout 5s "http://$NADDR/index.html" > "$OUT/wrk.txt" 2>&1
  check "wrk: requests made" has "$OUT/wrk.txt" 'requests in'
  check "wrk: no socket error, no non-2xx" bash -c "! grep -qE 'Socket errors|Non-2xx' '$OUT/wrk.txt'"
  # nstack's counter NAME (netstat -s), the kernel's (nstat, absolute
  # values: no history file shared with other tests).
  nstack_count() { "$NSTACK" netstat -s --control "$CTL" | sed -nE "s/^ *([0-9]+) .*\[$1\]$/\1/p"; }
  kernel_count() { ip netns exec "$NS" nstat -asz "$1" | awk -v n="$1" '$1 == n { print $2 }'; }
  printf 'local n = 0\nfunction response()\n  n = n + 1\n  if n == 500 then wrk.thread:stop() end\nend\n' \
    > "$OUT/stop500.lua"
  tx0=$(nstack_count tx_resets) est0=$(nstack_count estab_resets) abort0=$(kernel_count TcpExtTCPAbortOnClose)
  timeout 30 ip netns exec "$NS" wrk -t1 -c2 -d1s --timeout 5s -s "$OUT/stop500.lua" "http://$NADDR/index.html" \
    > "$OUT/wrk500.txt" 2>&1
  sleep 0.5 # the last segments of the run
  tx=$(($(nstack_count tx_resets) - tx0)) est=$(($(nstack_count estab_resets) - est0))
  abort=$(($(kernel_count TcpExtTCPAbortOnClose) - abort0))
  echo "wrk stopped after 500: nstack sent $tx resets, counted $est in ESTABLISHED; the kernel's AbortOnClose $abort"
  check "wrk stopped after 500 responses" has "$OUT/wrk500.txt" '^ +500 requests in'
  check "wrk stopped after 500: no socket error, no non-2xx" bash -c "! grep -qE 'Socket errors|Non-2xx' '$OUT/wrk500.txt'"
  check "wrk's end: nstack sent no reset" test "$tx" = 0
  check "wrk's end: nstack's ESTABLISHED resets = the kernel's closes with a response unread" test "$est" = "$abort"
fi
stop_serve
check "serve sent no reset the whole run" has "$OUT/serve.txt" '^tcp: .*; 0 resets out, [0-9]+ in$'
check "serve reports no parse error and no 5xx" has "$OUT/serve.txt" '^http: [0-9]+ responses \([0-9]+ 4xx, 0 5xx\), 0 parse errors'
finish
