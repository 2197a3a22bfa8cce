#!/usr/bin/env bash
# A SYN flood: 20,000 SYNs from spoofed sources (most off-link, one in ten
# on-link addresses nobody has) in at most 20 s against nstack's echo
# listener. Meanwhile the kernel opens a new connection every 0.2 s (each
# must connect and echo: SYN cookies) and its long-lived echo connection
# keeps going; nstack's memory stays bounded, every SYN is accounted for.
# Usage: test_synflood.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
ADV_RSS_GROWTH_KB=${ADV_RSS_GROWTH_KB:-32768}
SYNS=${ADV_SYNS:-20000}
export ADV_SYNS=$SYNS ADV_SYN_SECONDS=20

# Frames the kernel could not queue to the TAP (its queue full while nstack
# was busy) never reach nstack: the kernel counts them as the TAP's TX drops.
tap_tx_dropped() {
  ip -n "$NS" -s -s link show "$TAP" | awk '/TX:/ { getline; print $4; exit }'
}

adv_flood_hook() { # runs beside attacks.py: the kernel's probing client
  TAP_DROPS0=$(tap_tx_dropped)
  export ADV_FLOOD_STATUS=$OUT/flood.status
  : > "$ADV_FLOOD_STATUS"
  bg kprobe "$PY" "$ADV/kprobe.py" "$NADDR" 7 "$ADV_FLOOD_STATUS"
  PROBE_PID=$BG_PID
}
adv_after_hook() {
  TAP_DROPS=$(( $(tap_tx_dropped) - TAP_DROPS0 ))
  wait_exit "$PROBE_PID" 30
  check "kprobe exited" test $? -eq 0
  tail -1 "$OUT/kprobe.txt"
  local tries ok
  tries=$(sed -n 's/^probe: \([0-9]*\) connections.*/\1/p' "$OUT/kprobe.txt")
  ok=$(sed -n 's/^probe: [0-9]* connections, \([0-9]*\) answered.*/\1/p' "$OUT/kprobe.txt")
  check "during the flood the kernel connected and was echoed every time (${ok:-?}/${tries:-?})" \
    bash -c "[ -n '$tries' ] && [ '$tries' -ge 10 ] && [ '$ok' = '$tries' ]"
}
adv_main synflood
# Every SYN is accounted for: it made an embryo (a passive open that did
# not come from a cookie), got a cookie, or was dropped; the kernel's
# connections (nstack serve's tcp-echo count) each sent one SYN.
opens=$(counter "$OUT/serve.txt" tcp.passive_opens)
cookies=$(counter "$OUT/serve.txt" tcp.syncookies_sent)
cookies_ok=$(counter "$OUT/serve.txt" tcp.syncookies_ok)
drops=$(counter "$OUT/serve.txt" tcp.listen_drops)
real=$(sed -n 's/^tcp-echo: \([0-9]*\) connections.*/\1/p' "$OUT/serve.txt")
seen=$((opens - cookies_ok + cookies + drops))
echo "    passive opens $opens, cookies sent $cookies (accepted $cookies_ok), listen drops $drops; kernel connections $real;" \
  "frames the kernel dropped at the TAP: $TAP_DROPS"
check "the flood met SYN cookies: >= $((SYNS - 128 - TAP_DROPS)) sent (backlog 128)" \
  test "$cookies" -ge $((SYNS - 128 - TAP_DROPS))
# Each SYN that reached nstack made an embryo, got a cookie or was dropped
# and counted. A SYN the kernel dropped at a full TAP queue never reached
# it (a real client's SYN is then sent again, so it still arrives once):
# exact when the kernel dropped nothing, otherwise short by at most that.
check "every SYN accounted for: embryos + cookies + drops ($seen) = $SYNS spoofed + ${real:-?} real - at most $TAP_DROPS dropped by the kernel" \
  test "$seen" -le $((SYNS + ${real:-0})) -a $((seen + TAP_DROPS)) -ge $((SYNS + ${real:-0}))
finish
