#!/usr/bin/env bash
# `nstack demo --report DIR`: the HTML report of the run, as a person sees
# it. The whole demo's report, checked page by page against the demo's text
# output (report_check.py static); then one scenario's report loaded from
# disk in headless Chromium: no console error, every image loads, every
# link resolves, the figures shown are the text's, screenshots kept in
# OUTDIR/demo-report/shots. Usage: test_demo_report.sh NSTACK OUTDIR
set -uo pipefail
NSTACK=$1
OUT=$2/demo-report
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$OUT"; mkdir -p "$OUT/shots"
pass=0; fail=0
check() { # check NAME COMMAND...
  if "${@:2}"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1"; fi
}

# The whole demo without, then with, its report written beside the captures.
timeout 600 "$NSTACK" demo --out "$OUT/all" > "$OUT/plain.txt"
timeout 600 "$NSTACK" demo --out "$OUT/all" --report "$OUT/all/report" > "$OUT/all.txt"; rc=$?
check "demo --report exits 0" test $rc -eq 0
check "demo --report says where the report is" grep -qx "report: $OUT/all/report/index.html" "$OUT/all.txt"
check "the report has an index" test -s "$OUT/all/report/index.html"
check "every page agrees with the text output, every reference resolves" \
  timeout 120 python3 "$HERE/report_check.py" static "$OUT/all.txt" "$OUT/all/report"
# The text output is the demo's as without --report, plus the one line.
check "--report changes nothing else in the text output" \
  cmp -s "$OUT/plain.txt" <(grep -vx "report: $OUT/all/report/index.html" "$OUT/all.txt")
# The report is self-contained: no script, no remote reference.
check "no script and nothing remote in the pages" \
  bash -c "! grep -lE '<script|(src|href)=\"(https?:)?//' '$OUT'/all/report/*.html"

# A bad report directory is a clear error, not a crash.
"$NSTACK" demo --only path --no-pcap --report /proc/nstack-no-such/report > "$OUT/bad.txt" 2>&1; rc=$?
check "an unwritable report directory is reported" grep -q "cannot write the report in /proc/nstack-no-such" \
  "$OUT/bad.txt"

# The progress line: on a terminal (script(1) gives the demo a pty) it shows
# how far time-wait is in virtual time, and once erased the output is the
# same as through a pipe, which gets no progress at all.
if command -v script > /dev/null; then
  "$NSTACK" demo --no-pcap --only time-wait > "$OUT/tw-pipe.txt"
  timeout 300 script -qec "$NSTACK demo --no-pcap --only time-wait" /dev/null > "$OUT/tw-tty.raw"
  check "on a terminal, a progress line in virtual time" grep -qa 'time-wait: [0-9]* s of 150 s virtual' "$OUT/tw-tty.raw"
  check "no progress line through a pipe" bash -c "! grep -q 'virtual\$' '$OUT/tw-pipe.txt' && ! grep -q \$'\\r' '$OUT/tw-pipe.txt'"
  check "the progress line is erased: the text is the pipe's" cmp -s "$OUT/tw-pipe.txt" <(python3 -c '
import re, sys
t = open(sys.argv[1], encoding="utf-8", newline="").read()
t = re.sub(r"\r\x1b\[K(  time-wait: \d+ s of 150 s virtual)?", "", t)
sys.stdout.write(t.replace("\r\n", "\n"))' "$OUT/tw-tty.raw")
fi

# One scenario with every kind of content (sequence diagram, charts,
# capture links) in the browser.
timeout 300 "$NSTACK" demo --only reliable-stream --out "$OUT/rs" --report "$OUT/rs/report" > "$OUT/rs.txt"
python3 "$HERE/report_check.py" browser "$OUT/rs.txt" "$OUT/rs/report" "$OUT/shots" \
  index.html reliable-stream.html; rc=$?
if [ $rc -eq 77 ]; then
  echo "skip the browser check: chromium is not installed (scripts/deps.sh test)"
else
  check "Chromium shows the report: no console error, images load, figures are the text's" test $rc -eq 0
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
