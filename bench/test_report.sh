#!/usr/bin/env bash
# CTest bench/report_verdicts: nst_bench_report's verdicts. A target is
# "met" only when nstack's figure and the peer's both exist and neither
# failed; a failed or missing peer is FAILED, the report still writes every
# file, and it exits 1 (so scripts/bench.sh fails). A missed target is
# MISSED, not a failure of the run.
#
#   test_report.sh NST_BENCH_REPORT OUTDIR
set -uo pipefail
REPORT=$1
OUT=$2/bench-report
rm -rf "$OUT"
mkdir -p "$OUT"
fails=0
check() { # description, command...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
# The status cell (last column) of the comparison line labelled $2 in $1.
status_of() { awk -F' \\| ' -v l="$2" '$1 == "| " l { s = $NF; sub(/ \|$/, "", s); print s }' "$1"; }
row() { printf '%s,%s,%s,%s,%s,%s,3,1.0,1.0,"%s"\n' "$@"; }
# The report of case N (rows in raw N.csv) into OUT/N; its exit status in rc.
report() {
  mkdir -p "$OUT/$1"
  rc=0
  "$REPORT" "$OUT/raw$1.csv" "$OUT/$1" >"$OUT/$1.out" 2>&1 || rc=$?
}

# 1. lwIP's bulk run failed, its CRR figure is missing, Linux is there.
{
  echo "bench,variant,impl,metric,value,unit,reps,cpu_s,wall_s,note"
  row bulk mtu1500 nstack goodput 40 "Gbit/s per CPU s" "ok"
  row bulk mtu1500 lwip goodput 0 "Gbit/s per CPU s" "FAILED: repetition 1: corrupt data"
  row bulk mtu1500 linux-veth goodput 5 "Gbit/s per CPU s" "ok"
  row crr 64B nstack connections 500000 "per CPU s" "ok"
  row crr 64B linux-veth connections 70000 "per CPU s" "ok"
} >"$OUT/raw1.csv"
report 1
check "failed peer: exit status 1" [ "$rc" = 1 ]
check "failed peer: bulk status" [ "$(status_of "$OUT/1/summary.md" "Bulk, MTU 1500")" = "met; FAILED (peer's run)" ]
check "missing peer: CRR status" [ "$(status_of "$OUT/1/summary.md" "Connection rate (CRR, 64 B)")" = "FAILED (peer missing)" ]
check "failed peer: listed under FAILED" grep -q '^- bulk/mtu1500 lwip: FAILED: repetition 1' "$OUT/1/summary.md"
check "failed peer: no ratio against it" grep -q '^| Bulk, MTU 1500 | Gbit/s per CPU s | 40.00 | FAILED | 5.00 | - | 8.00x |' "$OUT/1/summary.md"
check "failed peer: every file written" test -s "$OUT/1/results.json" -a -s "$OUT/1/plot.svg" -a -s "$OUT/1/results.csv"

# 2. Everything there: met, and MISSED when below the target; exit 0.
{
  row bulk mtu1500 nstack goodput 40 "Gbit/s per CPU s" "ok"
  row bulk mtu1500 lwip goodput 20 "Gbit/s per CPU s" "ok"
  row crr 64B nstack connections 500000 "per CPU s" "ok"
  row crr 64B lwip connections 100000 "per CPU s" "ok"
  row crr 64B lwip-debian connections 40000 "per CPU s" "ok"
  row crr 64B linux connections 600000 "per CPU s" "ok"
} >"$OUT/raw2.csv"
report 2
check "all present: exit status 0" [ "$rc" = 0 ]
check "below 3x lwIP: MISSED" [ "$(status_of "$OUT/2/summary.md" "Bulk, MTU 1500")" = "met; MISSED" ]
check "above 3x lwIP: met" [ "$(status_of "$OUT/2/summary.md" "Connection rate (CRR, 64 B)")" = "met" ]
check "below Linux loopback: MISSED" [ "$(status_of "$OUT/2/summary.md" "CRR (lwIP Debian package; Linux loopback)")" = "MISSED" ]
check "all present: nothing FAILED" bash -c "! grep -q FAILED '$OUT/2/summary.md'"

# 3. A program that died without a row: scripts/bench.sh writes a run/ row.
{
  row bulk mtu1500 nstack goodput 40 "Gbit/s per CPU s" "ok"
  row bulk mtu1500 lwip goodput 10 "Gbit/s per CPU s" "ok"
  row run crr lwip-debian exit 0 "-" "FAILED: nst_bench_lwip exited with status 139"
} >"$OUT/raw3.csv"
report 3
check "dead program: exit status 1" [ "$rc" = 1 ]
check "dead program: listed" grep -q '^- run/crr lwip-debian: FAILED: nst_bench_lwip exited with status 139' "$OUT/3/summary.md"

# 4. HTTP: nstack level with nginx per CPU is met (HTTP/1.1 and h2c), below
# nghttpd MISSED;
# ratios against the kernel's servers; exit 0.
{
  row http h1-keepalive nstack-tap requests-per-cpu 150000 "requests per CPU s (server process)" "ok"
  row http h1-keepalive nginx-veth requests-per-cpu 120000 "requests per CPU s (server process)" "ok"
  row http h2c nstack-tap requests-per-cpu 300000 "requests per CPU s (server process)" "ok"
  row http h2c nghttpd-veth requests-per-cpu 400000 "requests per CPU s (server process)" "ok"
  row http h2c nginx-veth requests-per-cpu 250000 "requests per CPU s (server process)" "ok"
} >"$OUT/raw4.csv"
report 4
check "http: exit status 0" [ "$rc" = 0 ]
check "http: level with nginx: met" \
  [ "$(status_of "$OUT/4/summary.md" "HTTP/1.1 keep-alive (wrk), per CPU s of the server")" = "met" ]
check "http: below nghttpd: MISSED, ratio 0.75x" \
  grep -q '^| HTTP/2 h2c (h2load), per CPU s of the server | .* | 300.0k | 400.0k | 0.75x | >= 1x (level per CPU) | MISSED |$' \
  "$OUT/4/summary.md"

# 5. HTTP: nginx's run failed, nghttpd's figure is missing: FAILED, exit 1.
{
  row http h1-keepalive nstack-tap requests-per-cpu 150000 "requests per CPU s (server process)" "ok"
  row http h1-keepalive nginx-veth requests-per-cpu 0 "-" "FAILED: the client exited with status 124"
  row http h2c nstack-tap requests-per-cpu 300000 "requests per CPU s (server process)" "ok"
} >"$OUT/raw5.csv"
report 5
check "http: failed peer: exit status 1" [ "$rc" = 1 ]
check "http: failed nginx: FAILED, no ratio" \
  grep -q '^| HTTP/1.1 keep-alive (wrk), per CPU s of the server | .* | 150.0k | FAILED | - | >= 1x (level per CPU) | FAILED' \
  "$OUT/5/summary.md"
check "http: missing nghttpd: FAILED" \
  [ "$(status_of "$OUT/5/summary.md" "HTTP/2 h2c (h2load), per CPU s of the server")" = "FAILED (peer's run or missing)" ]

echo "$((20 - fails)) passed, $fails failed"
[ "$fails" = 0 ]
