#!/usr/bin/env bash
# A real browser against nstack's WebSocket server: headless Chromium
# (Debian's chromium) in the test's namespace loads a page (a file) whose
# script connects to `nstack serve --ws` over the TAP, sends a text message
# with non-ASCII characters and a 70,000-byte binary one, checks both come
# back identical, and closes with 1000. Then it joins the /chat room and
# reports what it saw there, line by line; a Python member of the room
# (python3-websockets) prints what it hears, and the test asserts it: the
# page's report travels through nstack's broadcast too. Skipped without
# chromium or python3-websockets.
# Usage: test_ws_browser.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || skip "chromium is missing (Debian's chromium; not in scripts/deps.sh: it is large)"
require_env "$PY"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets is missing"
ns_up

cat > "$OUT/page.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><title>ws test</title></head><body>
<script>
const out = [];
const text = 'héllo from chromium ☃ 𝄞';
const bin = new Uint8Array(70000); for (let i = 0; i < bin.length; i++) bin[i] = (i * 7 + 3) & 255;
function report() {
  const chat = new WebSocket('ws://$NADDR:8080/chat');
  chat.onopen = () => { for (const l of out) chat.send('page: ' + l); chat.send('page: END'); };
}
const ws = new WebSocket('ws://$NADDR:8080/echo');
ws.binaryType = 'arraybuffer';
let step = 0;
ws.onopen = () => { out.push('open'); ws.send(text); };
ws.onmessage = (e) => {
  if (step === 0) { out.push('text ' + (e.data === text ? 'same' : 'DIFFERENT')); step = 1; ws.send(bin); return; }
  const got = new Uint8Array(e.data);
  let same = got.length === bin.length;
  for (let i = 0; same && i < got.length; i++) same = got[i] === bin[i];
  out.push('binary ' + got.length + ' ' + (same ? 'same' : 'DIFFERENT'));
  ws.close(1000, 'bye');
};
ws.onclose = (e) => { out.push('closed ' + e.code + ' clean=' + e.wasClean); report(); };
ws.onerror = () => out.push('error');
</script></body></html>
HTML

cat > "$OUT/member.py" <<'PYEOF'
import asyncio, sys
import websockets
async def main():
    async with websockets.connect(f"ws://{sys.argv[1]}:8080/chat", ping_interval=None) as ws:
        print("member: joined", flush=True)
        async for m in ws:
            print(m, flush=True)
            if m == "page: END":
                break
asyncio.run(main())
PYEOF

start_serve serve --ws 8080 --pcap "$OUT/serve.pcap" || exit 1
bg member "$PY" "$OUT/member.py" "$NADDR"
member=$BG_PID
wait_for "$OUT/member.txt" '^member: joined$' || { cat "$OUT/member.txt"; exit 1; }
prof=$(mktemp -d)
bg chromium timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
  "file://$(cd "$OUT" && pwd)/page.html"
browser=$BG_PID
wait_exit "$member" 30
stop_pid "$browser"
rm -rf "$prof"
cat "$OUT/member.txt"
check "the page connected" has "$OUT/member.txt" '^page: open$'
check "text echoed intact" has "$OUT/member.txt" '^page: text same$'
check "70,000-byte binary echoed intact" has "$OUT/member.txt" '^page: binary 70000 same$'
check "closed 1000, cleanly" has "$OUT/member.txt" '^page: closed 1000 clean=true$'
check "the report came through /chat to the end" has "$OUT/member.txt" '^page: END$'
stop_serve
check "serve counted the handshakes (member, echo, chat)" has "$OUT/serve.txt" '^ws: 3 handshakes'
finish
