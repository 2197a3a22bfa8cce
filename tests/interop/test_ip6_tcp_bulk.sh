#!/usr/bin/env bash
# TCP over IPv6 between Linux and nstack over a TAP (RFC 8200, RFC 9293;
# the IPv6 pseudo-header, RFC 8200 8.1), the transfers of test_tcp_bulk.sh
# and test_tcp_lossy.sh with lib.sh's helpers:
#   - clean link, 1 GiB each way: a Linux client into nstack serve
#     --sink-sha256, nstack connect --send-file into a Linux server;
#   - 2% loss and 2% reordering both ways in nstack's TAP driver
#     (test_tcp_lossy.sh's), 1 GiB each way again (RACK-TLP on, nstack's
#     sender keeps ~400 Mbit/s through it; NST_IP6_LOSSY_NSTACK_BYTES
#     makes its part smaller);
#   - one dual-stack listener: nstack serve's echo service on [::]:7 takes
#     a kernel IPv4 client and a kernel IPv6 client on the one port.
# Every byte arrives: both ends report the stream's SHA-256. The handshakes
# announce MSS 1440 (1500 - 40 - 20, RFC 8200 5 / RFC 9293 3.7.1) both
# ways; each run's first frames are captured and read back clean (TCP
# checksums over the IPv6 pseudo-header valid). Throughputs are printed
# (figures for the log, not assertions).
# Usage: test_ip6_tcp_bulk.sh NSTACK OUTDIR [BYTES] (default 1G; NST_BULK_BYTES too)
source "$(dirname "$0")/lib.sh"
require_env python3 openssl tshark ss nc
require_ipv6_cli
ns_up
KADDR6=2001:db8:77::1
NADDR6=2001:db8:77::2
ipv6_up "$KADDR6/64"
SIZE=${3:-${NST_BULK_BYTES:-1G}}
NSIZE=${NST_IP6_LOSSY_NSTACK_BYTES:-$SIZE}
IMPAIR=(--loss 0.02 --reorder 0.02 --seed 7)
SLICE=4000
bytes=$(numfmt --from=iec "$SIZE"); want=$(gen_sha "$SIZE")
nbytes=$(numfmt --from=iec "$NSIZE"); nwant=$(gen_sha "$NSIZE")
SINK="sink-sha256 from \[$KADDR6\]:[0-9]+"
echo "    stream: $bytes bytes, sha256 $want"

peer_retrans() { sed -n 's/^peer: retrans //p' "$1"; }
# The MSS each side's SYN announced, from a capture: "nstack/kernel".
syn_mss() {
  local f=$1
  echo "$(tshark -n -r "$f" -Y "tcp.flags.syn == 1 && ipv6.src == $NADDR6" -T fields -e tcp.options.mss_val 2>/dev/null | head -1)/$(
    tshark -n -r "$f" -Y "tcp.flags.syn == 1 && ipv6.src == $KADDR6" -T fields -e tcp.options.mss_val 2>/dev/null | head -1)"
}
capture_checks() { # capture_checks NAME: the run's capture is IPv6, clean, MSS 1440 both ways
  local v4 v6
  v4=$(pcap_count "$OUT/$1.pcap" 'ip && tcp'); v6=$(pcap_count "$OUT/$1.pcap" 'ipv6 && tcp')
  check "$1 capture: $v6 IPv6 TCP segments, no IPv4 one (the rest: ND, DAD)" test "$v4" -eq 0 -a "$v6" -ge $((SLICE - 50))
  check "$1 capture: SYNs announce MSS 1440 both ways (nstack/kernel: $(syn_mss "$OUT/$1.pcap"))" \
    test "$(syn_mss "$OUT/$1.pcap")" = 1440/1440
  check "$1 capture clean (checksums over the IPv6 pseudo-header)" "$CHECK_PCAP" "$OUT/$1.pcap"
}

# kernel_to_sink NAME SIZE WANT [serve options]: a Linux client sends SIZE
# bytes to nstack serve --sink-sha256 over IPv6.
kernel_to_sink() {
  local name=$1 size=$2 sha=$3 n; shift 3
  n=$(numfmt --from=iec "$size")
  start_serve "$name" --addr6 "$NADDR6/64" --sink-sha256 9 --pcap "$OUT/$name.pcap" --pcap-max $SLICE \
    --duration 200 "$@" || return 1
  # DAD first: nstack answers for its address a second or two after start.
  for i in $(seq 30); do nsx ping -6 -c 1 -W 1 "$NADDR6" > /dev/null 2>&1 && break; sleep 0.2; done
  bg_fed "$name-client" "$size" python3 "$PEER" connect "[$NADDR6]:9" send --ss --timeout 150
  wait_exit "$BG_PID" 180
  wait_for "$OUT/$name.txt" '^sink-sha256 from ' 10
  stop_serve
  check "Linux client sent $n bytes over IPv6" test "$(got "$OUT/$name-client.txt" sent)" = "$n/$sha"
  check "nstack sink got them from [$KADDR6], the same sha256" test "$(got "$OUT/$name.txt" "$SINK")" = "$n/$sha"
}

# nstack_to_listener NAME SIZE WANT [connect options]: nstack connect sends
# SIZE bytes to a Linux server on [KADDR6]:5001.
nstack_to_listener() {
  local name=$1 size=$2 sha=$3 n rc; shift 3
  n=$(numfmt --from=iec "$size")
  start_listener "$name-server" 5001 recv --ss --ipv6 || return 1
  gen "$size" | nconnect "$name" 180 --addr6 "$NADDR6/64" "$@" --send-file - --pcap "$OUT/$name.pcap" \
    --pcap-max $SLICE "[$KADDR6]:5001"
  rc=${PIPESTATUS[1]}
  wait_exit "$BG_PID" 30
  check "nstack connect --send-file to [$KADDR6]:5001: exit 0 (got $rc)" test "$rc" -eq 0
  check "nstack says it connected over IPv6" has "$OUT/$name.txt" \
    "^nstack connect: connected to \[$KADDR6\]:5001 from \[$NADDR6\]:[0-9]+ in "
  check "nstack sent $n bytes, the stream's sha256" test "$(got "$OUT/$name.txt" sent)" = "$n/$sha"
  check "Linux received the same" test "$(got "$OUT/$name-server.txt" received)" = "$n/$sha"
}

# ---- 1. clean link, 1 GiB each way -----------------------------------------------
kernel_to_sink sink "$SIZE" "$want" || exit 1
throughput "Linux -> nstack sink over IPv6" "$OUT/sink.txt" "$SINK"
capture_checks sink
nstack_to_listener send "$SIZE" "$want" || exit 1
throughput "nstack connect --send -> Linux over IPv6" "$OUT/send.txt" sent
capture_checks send

# ---- 2. 2% loss and 2% reordering both ways ----------------------------------------
kernel_to_sink sink-lossy "$SIZE" "$want" "${IMPAIR[@]}" || exit 1
check "the kernel repaired the losses ($(peer_retrans "$OUT/sink-lossy-client.txt") retransmitted, ss -ti)" \
  test "$(peer_retrans "$OUT/sink-lossy-client.txt")" -gt 0
check "the driver lost frames both ways" \
  test "$(serve_stat "$OUT/sink-lossy.txt" tx lost)" -gt 0 -a "$(serve_stat "$OUT/sink-lossy.txt" rx lost)" -gt 0
throughput "Linux -> nstack sink over IPv6, 2% loss" "$OUT/sink-lossy.txt" "$SINK"
capture_checks sink-lossy
nstack_to_listener send-lossy "$NSIZE" "$nwant" "${IMPAIR[@]}" || exit 1
check "nstack repaired the losses ($(tcp_stat "$OUT/send-lossy.txt" retransmitted) retransmitted)" \
  test "$(tcp_stat "$OUT/send-lossy.txt" retransmitted)" -gt 0
throughput "nstack connect --send -> Linux over IPv6, 2% loss" "$OUT/send-lossy.txt" sent
capture_checks send-lossy

# ---- 3. one dual-stack listener, both families ---------------------------------------
CTL=$OUT/ctl.sock
start_serve echo --addr6 "$NADDR6/64" --tcp-echo 7 --control "$CTL" || exit 1
for i in $(seq 30); do nsx ping -6 -c 1 -W 1 "$NADDR6" > /dev/null 2>&1 && break; sleep 0.2; done
# Both clients connected at once, each echoed, then listed by nstack ss.
cat > "$OUT/clients.py" <<'PY'
import socket, sys
conns = []
for host in sys.argv[1:]:
    s = socket.create_connection((host, 7), timeout=10)
    msg = b"hello over %s\n" % host.encode()
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        got += s.recv(100)
    print("echo", host, "ok" if got == msg else "WRONG", "port", s.getsockname()[1], flush=True)
    conns.append(s)
sys.stdin.readline()
PY
mkfifo "$OUT/go"
ip netns exec "$NS" python3 "$OUT/clients.py" "$NADDR" "$NADDR6" < "$OUT/go" > "$OUT/clients.txt" 2>&1 &
STARTED_PIDS+=("$!")
exec 3> "$OUT/go"
wait_for "$OUT/clients.txt" "^echo $NADDR6 " || cat "$OUT/clients.txt"
check "a kernel IPv4 client echoed through [::]:7" has "$OUT/clients.txt" "^echo $NADDR ok port "
check "a kernel IPv6 client echoed through the same port" has "$OUT/clients.txt" "^echo $NADDR6 ok port "
"$NSTACK" ss --control "$CTL" -tan > "$OUT/ss.txt" 2>&1
sed 's/^/    /' "$OUT/ss.txt"
check "nstack ss: one listener on port 7, both families (::)" \
  test "$(grep -cE '^LISTEN .* (\[::\]|\*):7 ' "$OUT/ss.txt")" -eq 1
check "nstack ss: the IPv4 client, as ::ffff:$KADDR (RFC 4291 2.5.5.2)" \
  has "$OUT/ss.txt" "^ESTAB .*\[::ffff:$KADDR\]:[0-9]+ *$"
check "nstack ss: the IPv6 client from $KADDR6" has "$OUT/ss.txt" "^ESTAB .*\[$KADDR6\]:[0-9]+ *$"
exec 3>&-
stop_serve
finish
