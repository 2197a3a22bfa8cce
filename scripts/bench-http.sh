#!/usr/bin/env bash
# HTTP benchmarks over real links (docs/PERFORMANCE.md, "HTTP and HTTP/2"),
# run by scripts/bench.sh inside `unshare --net`: everything here lives in
# network namespaces that exist only while it runs, with addresses that
# exist only there.
#
#   bench-http.sh NSTACK RAW.csv SECONDS REPS
#
#   1. nstack serve on a TAP (10.81.0.2; the kernel's end 10.81.0.1 in this
#      namespace): --http 80 --http2 (HTTP/1.1 and h2c by prior knowledge
#      on one port) and --tls 443 --alpn h2,http/1.1 --http2 (h2 over TLS);
#   2. the kernel's servers in a child namespace over a veth pair
#      (10.80.0.2; this namespace 10.80.0.1): nginx (one worker, access log
#      off, the same 18-byte body from memory: `return 200`) for HTTP/1.1,
#      h2c and h2 over TLS; nghttpd (one thread, the same 18 bytes from a
#      file: it keeps the file open and preads it per request) for h2c and
#      h2 over TLS.
# The clients are the same programs on the same kernel for both: wrk
# (HTTP/1.1 keep-alive, one thread, 16 connections) and h2load (one thread,
# 16 connections, 10 streams each). Each case runs SECONDS (wrk -d, h2load
# -D, and a timeout over that); the cases take turns, REPS rounds, and the
# median of each is kept. Three figures per case (see PERFORMANCE.md for
# why these): requests per second of real time; requests per CPU second of
# the server process (utime+stime from /proc/PID/stat, all its threads and,
# for nginx, master and worker); requests per CPU second of the whole
# exchange (client + server + the kernel's ksoftirqd threads), so that no
# part of the kernel's work escapes whichever process it is charged to.
# A client that fails, or any non-2xx answer or socket error, makes the
# case's rows FAILED. Every process started is bounded in time and stopped
# by its PID.
set -uo pipefail
NSTACK=$1 RAW=$2 SECS=$3 REPS=$4
CONNS=16 STREAMS=10
PIDS=()
work=$(mktemp -d)
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ALL=$work/all.csv
: >"$ALL"
LIFE=$(((SECS + 5) * 8 * REPS + 60)) # the servers' bound
failed=0
bg() { "$@" & PIDS+=("$!"); }

# ---- CPU accounting ----------------------------------------------------------------
HZ=$(getconf CLK_TCK)
# utime+stime of a process (all its threads), in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The sum over several PIDs.
ticks_of() { local t=0 p; for p in "$@"; do t=$((t + $(ticks "$p"))); done; echo "$t"; }
# The kernel's softirq threads: softirq work deferred out of the processes'
# context is charged to them.
KSOFT=$(for d in /proc/[0-9]*; do [[ "$(cat "$d/comm" 2>/dev/null)" == ksoftirqd/* ]] && basename "$d"; done)
# The softirq column of /proc/stat (all CPUs), for the notes.
softirq() { awk '/^cpu / { print $8 }' /proc/stat; }

# ---- the servers ---------------------------------------------------------------------
ip link set lo up
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj /CN=bench.test >/dev/null 2>&1 || { echo "bench-http: no certificate" >&2; exit 1; }
BODY="Hello from nstack"
mkdir -p "$work/htdocs"
printf '%s\n' "$BODY" >"$work/htdocs/index.html"

# nginx: one worker, no access log, the body from memory (`return`), in the
# child namespace. Its master runs in the foreground (daemon off).
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  ssl_certificate $work/cert.pem;
  ssl_certificate_key $work/key.pem;
  ssl_protocols TLSv1.3;
  server {
    listen 10.80.0.2:80;
    listen 10.80.0.2:81 http2;
    listen 10.80.0.2:444 ssl http2;
    location = / { default_type "text/plain; charset=utf-8"; return 200 "$BODY\n"; }
  }
}
EOF

# The child namespace (a holder bounded in time) and the veth pair.
unshare --net -- sleep "$LIFE" &
holder=$!
PIDS+=("$holder")
for _ in $(seq 50); do
  [ "$(readlink "/proc/$holder/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.05
done
kns=/proc/$holder/ns/net
ip link add va type veth peer name vb netns "$holder"
ip addr add 10.80.0.1/24 dev va
nsenter --net="$kns" sh -c 'ip link set lo up && ip addr add 10.80.0.2/24 dev vb && ip link set vb up'
ip link set va up

# The TAP: nstack serve, all its services in one process.
ip tuntap add dev nstb1 mode tap
ip addr add 10.81.0.1/24 dev nstb1
ip link set nstb1 up
timeout "$LIFE" "$NSTACK" serve --tap nstb1 --addr 10.81.0.2/24 --http 80 --http2 --tls 443 \
  --cert "$work/cert.pem" --key "$work/key.pem" --alpn h2,http/1.1 --duration "$LIFE" >"$work/serve.log" 2>&1 &
SERVE=$!
PIDS+=("$SERVE")

# Waits (10 s at most) until URL answers 200 from this namespace ($1: a
# command prefix, e.g. curl options).
up() { for _ in $(seq 100); do curl -s -k -o /dev/null --max-time 1 -w '%{http_code}' "$@" 2>/dev/null | grep -q 200 && return 0
  sleep 0.1; done; echo "bench-http: $* does not answer" >&2; return 1; }

# The kernel's servers start once, in the child namespace.
nsenter --net="$kns" timeout "$LIFE" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" >"$work/nginx.log" 2>&1 &
NGINX=$!
PIDS+=("$NGINX")
nsenter --net="$kns" timeout "$LIFE" nghttpd --no-tls -d "$work/htdocs" 8080 >"$work/nghttpd-h2c.log" 2>&1 &
NGH2C=$!
PIDS+=("$NGH2C")
nsenter --net="$kns" timeout "$LIFE" nghttpd -d "$work/htdocs" 8443 "$work/key.pem" "$work/cert.pem" >"$work/nghttpd-tls.log" 2>&1 &
NGTLS=$!
PIDS+=("$NGTLS")
sleep 1 # the carriers (veth, TAP)
up http://10.80.0.2/ || failed=1
up --http2-prior-knowledge http://10.80.0.2:8080/ || failed=1
up --http2-prior-knowledge http://10.80.0.2:81/ || failed=1
up --http2 https://10.80.0.2:444/ || failed=1
up --http2 https://10.80.0.2:8443/ || failed=1
up http://10.81.0.2/ || failed=1
up --http2-prior-knowledge http://10.81.0.2/ || failed=1
up --http2 https://10.81.0.2/ || failed=1
[ "$failed" = 0 ] || { cat "$work"/*.log >&2; exit 1; }
# The processes whose CPU counts as the server's: the timeout wrappers'
# children (nginx: its master and every worker).
child_of() { pgrep -P "$1"; }
NGINX_PIDS="$(child_of "$NGINX") $(for p in $(child_of "$NGINX"); do child_of "$p"; done)"
SERVE_PIDS=$(child_of "$SERVE")
[ -n "$SERVE_PIDS" ] || SERVE_PIDS=$SERVE
NGH2C_PIDS=$(child_of "$NGH2C")
NGTLS_PIDS=$(child_of "$NGTLS")
workers=$(echo "$NGINX_PIDS" | wc -w)
[ "$workers" = 2 ] || { echo "bench-http: nginx: $workers processes, not a master and one worker" >&2; exit 1; }

# One case: measure VARIANT IMPL "SERVER PIDS" CLIENT... Appends its three
# rows to ALL (a FAILED row each if the client failed or saw errors).
measure() {
  local variant=$1 impl=$2 spids=$3
  shift 3
  local out=$work/client.out s0 s1 k0 k1 q0 q1 c1 t0 t1 rc=0 p
  s0=$(ticks_of $spids)
  k0=$(ticks_of $KSOFT)
  q0=$(softirq)
  t0=$(date +%s.%N)
  "$@" >"$out" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  s1=$(ticks_of $spids)
  k1=$(ticks_of $KSOFT)
  q1=$(softirq)
  # `times`' second line: the client's user and system time (0m1.234s).
  c1=$(awk '/^cpu-times$/ { at = NR } at && NR == at + 2 {
    split($1, u, /m|s/); split($2, s, /m|s/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$out")
  local n=0 errors=""
  if grep -q 'Requests/sec' "$out"; then # wrk
    n=$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$out")
    grep -qE 'Non-2xx|Socket errors' "$out" && errors=$(grep -E 'Non-2xx|Socket errors' "$out" | tr -s ' ' | tr '\n' ' ')
  elif grep -q '^requests:' "$out"; then # h2load
    n=$(sed -nE 's/^requests: [0-9]+ total, [0-9]+ started, [0-9]+ done, ([0-9]+) succeeded.*/\1/p' "$out")
    local bad
    bad=$(sed -nE 's/^requests: .* ([0-9]+) failed, ([0-9]+) errored.*/\1 \2/p' "$out")
    [ "$bad" != "0 0" ] && errors="h2load: failed/errored $bad"
    grep -qE '^status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx' "$out" || errors="$errors $(grep '^status codes' "$out")"
  fi
  for p in $spids; do [ -d "/proc/$p" ] || errors="$errors the server (PID $p) is gone"; done
  local wall cpu_s cpu_k total
  wall=$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }')
  cpu_s=$(echo "$s1 $s0 $HZ" | awk '{ printf "%.3f", ($1 - $2) / $3 }')
  cpu_k=$(echo "$k1 $k0 $HZ" | awk '{ printf "%.3f", ($1 - $2) / $3 }')
  total=$(echo "$cpu_s $cpu_k ${c1:-0}" | awk '{ printf "%.3f", $1 + $2 + $3 }')
  local sirq
  sirq=$(echo "$q1 $q0 $HZ" | awk '{ printf "%.2f", ($1 - $2) / $3 }')
  if [ "$rc" != 0 ] || [ -z "$n" ] || [ "$n" = 0 ] || [ -n "$errors" ] || [ -z "$c1" ] || [ "$s1" -le "$s0" ]; then
    failed=1
    local why="FAILED: the client exited with status $rc${errors:+; $errors}"
    echo "bench-http: $variant $impl: $why" >&2
    sed 's/^/bench-http:   /' "$out" >&2
    for m in requests requests-per-cpu requests-per-cpu-all; do
      printf 'http,%s,%s,%s,0,-,1,0,0,"%s"\n' "$variant" "$impl" "$m" "$why" >>"$ALL"
    done
    return
  fi
  local note="$n requests in $wall s; server process $cpu_s CPU s, client $c1 CPU s, ksoftirqd $cpu_k CPU s; /proc/stat softirq $sirq s (whole machine)"
  awk -v n="$n" -v w="$wall" -v s="$cpu_s" -v t="$total" -v v="$variant" -v i="$impl" -v note="$note" 'BEGIN {
    printf "http,%s,%s,requests,%.1f,requests per s (wall-clock),1,%s,%s,\"%s\"\n", v, i, n / w, s, w, note
    printf "http,%s,%s,requests-per-cpu,%.1f,requests per CPU s (server process),1,%s,%s,\"%s\"\n", v, i, (s > 0 ? n / s : 0), s, w, note
    printf "http,%s,%s,requests-per-cpu-all,%.1f,requests per CPU s (client + server + ksoftirqd),1,%s,%s,\"%s\"\n", v, i, (t > 0 ? n / t : 0), t, w, note
  }' >>"$ALL"
}

# The client in a shell of its own whose `times` (its children's user and
# system time) gives the client's CPU seconds after a line cpu-times.
timed() { timeout $((SECS + 20)) bash -c '"$@"; rc=$?; echo cpu-times; times; exit $rc' timed "$@"; }
wrk_c() { timed wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$1"; }
h2load_c() { timed h2load -t1 -c"$CONNS" -m"$STREAMS" -D"$SECS" "$1"; }

for rep in $(seq "$REPS"); do
  echo "bench-http: round $rep of $REPS" >&2
  measure h1-keepalive nginx-veth "$NGINX_PIDS" wrk_c http://10.80.0.2/
  measure h1-keepalive nstack-tap "$SERVE_PIDS" wrk_c http://10.81.0.2/
  measure h2c nghttpd-veth "$NGH2C_PIDS" h2load_c http://10.80.0.2:8080/
  measure h2c nginx-veth "$NGINX_PIDS" h2load_c http://10.80.0.2:81/
  measure h2c nstack-tap "$SERVE_PIDS" h2load_c http://10.81.0.2/
  measure h2-tls nghttpd-veth "$NGTLS_PIDS" h2load_c https://10.80.0.2:8443/
  measure h2-tls nginx-veth "$NGINX_PIDS" h2load_c https://10.80.0.2:444/
  measure h2-tls nstack-tap "$SERVE_PIDS" h2load_c https://10.81.0.2/
done
kill -TERM "$SERVE" 2>/dev/null
wait "$SERVE" 2>/dev/null
grep -E '^(http|tls): |^tcp: ' "$work/serve.log" | sed 's/^/bench-http: serve: /' >&2

# The median of each case's rounds (by value), with the count of rounds.
awk -F, '
  { key = $1 FS $2 FS $3 FS $4; n[key]++; line[key, n[key]] = $0; val[key, n[key]] = $5 + 0 }
  /"FAILED/ { bad[key] = $0 }
  END {
    for (k in n) {
      if (k in bad) { print bad[k]; continue } # a failed round fails the case
      m = n[k]
      for (i = 1; i <= m; i++) idx[i] = i
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
        if (val[k, idx[j]] < val[k, idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
      split(line[k, idx[int((m + 1) / 2)]], f, ",")
      rest = line[k, idx[int((m + 1) / 2)]]
      for (i = 1; i <= 9; i++) sub(/^[^,]*,/, "", rest)
      print f[1] "," f[2] "," f[3] "," f[4] "," f[5] "," f[6] "," m "," f[8] "," f[9] "," rest
    }
  }' "$ALL" | sort >>"$RAW"
exit "$failed"
