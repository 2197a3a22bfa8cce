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

adv_flood_hook() { # runs beside attacks.py: the kernel's probing client
  export ADV_FLOOD_STATUS=$OUT/flood.status
  : > "$ADV_FLOOD_STATUS"
  bg kprobe "$PY" "$ADV/kprobe.py" "$NADDR" 7 "$ADV_FLOOD_STATUS"
  PROBE_PID=$BG_PID
}
adv_after_hook() {
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
echo "    passive opens $opens, cookies sent $cookies (accepted $cookies_ok), listen drops $drops; kernel connections $real"
check "the flood met SYN cookies: >= $((SYNS - 128)) sent (backlog 128)" test "$cookies" -ge $((SYNS - 128))
check "every SYN accounted for: embryos + cookies + drops = $SYNS spoofed + ${real:-?} real" \
  test $((opens - cookies_ok + cookies + drops)) -eq $((SYNS + ${real:-0}))
finish
