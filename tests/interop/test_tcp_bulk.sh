#!/usr/bin/env bash
# Bulk TCP between Linux and nstack over a TAP, 1 GiB each way, clean link:
#   - socat (Linux client) into nstack serve --sink-sha256;
#   - nstack connect --send-file into a Linux server (tcp_peer.py);
#   - a Linux server into nstack connect --recv.
# Every byte arrives: both ends report the same SHA-256, that of the stream
# sent (a pseudo-random one, regenerated here). The first frames of each run
# are captured (--pcap-max) and read back: no malformed packet, no bad
# checksum. Throughputs are printed (figures for the log, not assertions).
# Usage: test_tcp_bulk.sh NSTACK OUTDIR [BYTES] (default 1G; NST_BULK_BYTES too)
source "$(dirname "$0")/lib.sh"
require_env python3 socat openssl tshark ss
ns_up
SIZE=${3:-${NST_BULK_BYTES:-1G}}
SLICE=4000 # frames captured per run: the handshake and ~5 MB of data
want=$(gen_sha "$SIZE")
bytes=$(numfmt --from=iec "$SIZE")
echo "    stream: $bytes bytes, sha256 $want"

# The checks after nstack connect's run NAME (exit status RC, the stream
# being WHAT it reports: sent or received) against the Linux peer whose
# log is PEER (reporting THEIRS): both report the whole stream, and the
# run's capture is clean. The throughput goes to the log as LABEL.
#   connect_checks NAME RC OPTION WHAT PEER THEIRS LABEL
connect_checks() {
  local name=$1 rc=$2 option=$3 what=$4 peer=$5 theirs=$6 label=$7
  wait_exit "$BG_PID" 30
  check "nstack connect $option: exit 0 (got $rc)" test "$rc" -eq 0
  check "nstack reports $bytes bytes $what, the stream's sha256" test "$(got "$OUT/$name.txt" "$what")" = "$bytes/$want"
  check "Linux reports the same bytes $theirs" test "$(got "$OUT/$peer.txt" "$theirs")" = "$bytes/$want"
  throughput "$label" "$OUT/$name.txt" "$what"
  check "$name capture clean" "$CHECK_PCAP" "$OUT/$name.pcap"
}

# 1. Linux client -> nstack sink.
start_serve sink --sink-sha256 9 --pcap "$OUT/sink.pcap" --pcap-max $SLICE || exit 1
t0=$(date +%s%N)
gen "$SIZE" | timeout 120 ip netns exec "$NS" socat -u - "TCP:$NADDR:9" 2> "$OUT/socat.txt"
rc=$?
t1=$(date +%s%N)
wait_for "$OUT/sink.txt" '^sink-sha256 from ' 30
stop_serve
check "socat sent the stream (exit $rc)" test $rc -eq 0
check "sink: $bytes bytes, the stream's sha256" test "$(got "$OUT/sink.txt" 'sink-sha256 from [0-9.:]+')" = "$bytes/$want"
throughput "Linux socat -> nstack sink" "$OUT/sink.txt" 'sink-sha256 from [0-9.:]+'
echo "    (socat's own wall time: $(((t1 - t0) / 1000000)) ms)"
check "sink capture: the first $SLICE frames, clean" "$CHECK_PCAP" "$OUT/sink.pcap"
check "sink capture holds exactly $SLICE frames" test "$(tshark -n -r "$OUT/sink.pcap" 2>/dev/null | wc -l)" -eq $SLICE

# 2. nstack client sends -> Linux server.
start_listener server-recv 5001 recv || exit 1
gen "$SIZE" | nconnect send 180 --send-file - --pcap "$OUT/send.pcap" --pcap-max $SLICE "$KADDR:5001"
rc=${PIPESTATUS[1]}
connect_checks send "$rc" --send-file sent server-recv received "nstack connect --send -> Linux"

# 3. Linux server sends -> nstack client.
bg_fed server-send "$SIZE" python3 "$PEER" listen 5002 send
wait_for "$OUT/server-send.txt" '^peer: listening$' || cat "$OUT/server-send.txt"
nconnect recv 180 --recv --pcap "$OUT/recv.pcap" --pcap-max $SLICE "$KADDR:5002"
rc=$?
connect_checks recv "$rc" --recv received server-send sent "Linux -> nstack connect --recv"
finish
