#!/usr/bin/env bash
# A real browser against nstack's WebSocket server: headless Chromium
# (Debian's chromium) in the test's namespace loads a page (a file) whose
# script connects to `nstack serve --ws` over the TAP, sends a text message
# with non-ASCII characters and a 70,000-byte binary one, checks both come
# back identical, joins /chat and hears its own broadcast, then closes
# with 1000. The page writes what it saw into its DOM; --dump-dom prints
# it and the test asserts it. Skipped without chromium.
# Usage: test_ws_browser.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || skip "chromium is missing (Debian's chromium; not in scripts/deps.sh: it is large)"
require_env
ns_up

cat > "$OUT/page.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><title>ws test</title></head><body><pre id="r">running</pre>
<script>
const out = [];
function done(line) { out.push(line); document.getElementById('r').textContent = out.join('\n'); }
const text = 'héllo from chromium ☃ 𝄞';
const bin = new Uint8Array(70000); for (let i = 0; i < bin.length; i++) bin[i] = (i * 7 + 3) & 255;
const ws = new WebSocket('ws://$NADDR:8080/echo');
ws.binaryType = 'arraybuffer';
let step = 0;
ws.onopen = () => { done('open'); ws.send(text); };
ws.onmessage = (e) => {
  if (step === 0) { done('text ' + (e.data === text ? 'same' : 'DIFFERENT')); step = 1; ws.send(bin); return; }
  const got = new Uint8Array(e.data);
  let same = got.length === bin.length;
  for (let i = 0; same && i < got.length; i++) same = got[i] === bin[i];
  done('binary ' + got.length + ' ' + (same ? 'same' : 'DIFFERENT'));
  ws.close(1000, 'bye');
};
ws.onclose = (e) => {
  done('closed ' + e.code + ' clean=' + e.wasClean);
  const chat = new WebSocket('ws://$NADDR:8080/chat');
  chat.onopen = () => chat.send('hello room');
  chat.onmessage = (m) => { done('chat ' + m.data); chat.close(1000); };
  chat.onclose = () => done('END');
};
ws.onerror = () => done('error');
</script></body></html>
HTML

start_serve serve --ws 8080 --pcap "$OUT/serve.pcap" || exit 1
prof=$(mktemp -d "$OUT/profile.XXXXXX")
timeout 60 ip netns exec "$NS" "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
  --virtual-time-budget=15000 --dump-dom "file://$OUT/page.html" > "$OUT/dom.html" 2> "$OUT/chromium.log"
echo "chromium exit $?"
sed -n '/<pre id="r">/,/<\/pre>/p' "$OUT/dom.html"
check "the page connected" has "$OUT/dom.html" '^open$|<pre id="r">open'
check "text echoed intact" has "$OUT/dom.html" '^text same$'
check "70,000-byte binary echoed intact" has "$OUT/dom.html" '^binary 70000 same$'
check "closed 1000, cleanly" has "$OUT/dom.html" '^closed 1000 clean=true$'
check "the /chat room broadcast back" has "$OUT/dom.html" '^chat hello room$'
stop_serve
check "serve counted the browser's handshakes" has "$OUT/serve.txt" '^ws: 2 handshakes'
rm -rf "$prof"
finish
