#!/usr/bin/env bash
# A real browser against nstack's WebSocket server: headless Chromium
# (Debian's chromium, run as root in the test's namespace: --no-sandbox,
# --headless=new, a throwaway profile) loads a page from nstack's HTTP
# server (`serve --http --root`), whose script opens WebSockets on the same
# port (/ws: one port serves pages and WebSockets) and on `serve --ws`'s
# port, sends a text message with non-ASCII characters and a 70,000-byte
# binary one on each, checks both come back identical, and closes with 1000.
# Then it joins the /chat room (same origin) and reports what it saw there,
# line by line; a Python member of the room (python3-websockets) prints
# what it hears, and the test asserts it: the page's report travels through
# nstack's broadcast too. Then the same over HTTP/2: the page from
# `serve --tls --http2` (ALPN h2, a throwaway self-signed certificate the
# browser is told to accept) opens wss:// WebSockets that Chromium sends as
# RFC 8441 extended CONNECTs on that connection (asserted from serve's
# counters). Bounded: each browser is killed after 60 s.
# Skipped without chromium or python3-websockets (scripts/deps.sh test).
# Usage: test_ws_browser.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || skip "chromium is missing (scripts/deps.sh test installs it)"
require_env "$PY"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets is missing"
ns_up

mkdir -p "$OUT/www"
cat > "$OUT/www/page.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><title>ws test</title></head><body>
<script>
const out = [];
const text = 'héllo from chromium ☃ 𝄞';
const bin = new Uint8Array(70000); for (let i = 0; i < bin.length; i++) bin[i] = (i * 7 + 3) & 255;
function report() {
  const chat = new WebSocket('ws://' + location.host + '/chat');
  chat.onopen = () => { for (const l of out) chat.send('page: ' + l); chat.send('page: END'); };
}
/* Echo a text and a binary message on url, close with 1000, then next(). */
function echo(name, url, next) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let step = 0;
  ws.onopen = () => { out.push(name + ' open'); ws.send(text); };
  ws.onmessage = (e) => {
    if (step === 0) { out.push(name + ' text ' + (e.data === text ? 'same' : 'DIFFERENT')); step = 1; ws.send(bin); return; }
    const got = new Uint8Array(e.data);
    let same = got.length === bin.length;
    for (let i = 0; same && i < got.length; i++) same = got[i] === bin[i];
    out.push(name + ' binary ' + got.length + ' ' + (same ? 'same' : 'DIFFERENT'));
    ws.close(1000, 'bye');
  };
  ws.onclose = (e) => { out.push(name + ' closed ' + e.code + ' clean=' + e.wasClean); next(); };
  ws.onerror = () => out.push(name + ' error');
}
echo('http', 'ws://' + location.host + '/ws', () => echo('ws', 'ws://$NADDR:8080/echo', report));
</script></body></html>
HTML

cat > "$OUT/member.py" <<'PYEOF'
import asyncio, sys
import websockets
async def main():
    async with websockets.connect(f"ws://{sys.argv[1]}:8081/chat", ping_interval=None) as ws:
        print("member: joined", flush=True)
        async for m in ws:
            print(m, flush=True)
            if m == "page: END":
                break
asyncio.run(main())
PYEOF

start_serve serve --ws 8080 --http 8081 --root "$OUT/www" --pcap "$OUT/serve.pcap" || exit 1
bg member "$PY" "$OUT/member.py" "$NADDR"
member=$BG_PID
wait_for "$OUT/member.txt" '^member: joined$' || { cat "$OUT/member.txt"; exit 1; }
prof=$(mktemp -d)
bg chromium timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
  "http://$NADDR:8081/page.html"
browser=$BG_PID
wait_exit "$member" 30
stop_pid "$browser"
rm -rf "$prof"
cat "$OUT/member.txt"
for n in http ws; do
  check "$n: the page connected" has "$OUT/member.txt" "^page: $n open$"
  check "$n: text echoed intact" has "$OUT/member.txt" "^page: $n text same$"
  check "$n: 70,000-byte binary echoed intact" has "$OUT/member.txt" "^page: $n binary 70000 same$"
  check "$n: closed 1000, cleanly" has "$OUT/member.txt" "^page: $n closed 1000 clean=true$"
done
check "the report came through /chat to the end" has "$OUT/member.txt" '^page: END$'
stop_serve
check "serve counted the handshakes (member, two echoes, chat)" has "$OUT/serve.txt" '^ws: 4 handshakes'
check "the page's port served the page and three WebSockets" has "$OUT/serve.txt" '^http: 3 requests upgraded to WebSocket$'

# ---- WebSocket over HTTP/2 (RFC 8441) ---------------------------------------
# The page over https from `serve --tls --http2` (ALPN h2): Chromium sends
# its WebSocket as an extended CONNECT on that HTTP/2 connection once our
# SETTINGS allow it. The page reports through the room as above (wss, same
# origin), the Python member listening on the plain port of the same room.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -days 2 \
  -subj "/CN=$NADDR" -addext "subjectAltName=IP:$NADDR" > "$OUT/pki.txt" 2>&1 || { cat "$OUT/pki.txt"; exit 1; }
sed -e "s|'ws://' + location.host + '/chat'|'wss://' + location.host + '/chat'|" \
    -e "s|^echo('http'.*|echo('h2', 'wss://' + location.host + '/ws', report);|" \
  "$OUT/www/page.html" > "$OUT/www/page2.html"
start_serve serve2 --http 8081 --tls 8443 --http2 --alpn h2,http/1.1 --cert "$OUT/cert.pem" --key "$OUT/key.pem" \
  --root "$OUT/www" || exit 1
bg member2 "$PY" "$OUT/member.py" "$NADDR"
member=$BG_PID
wait_for "$OUT/member2.txt" '^member: joined$' || { cat "$OUT/member2.txt"; exit 1; }
prof=$(mktemp -d)
bg chromium2 timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" --ignore-certificate-errors \
  "https://$NADDR:8443/page2.html"
browser=$BG_PID
wait_exit "$member" 30
stop_pid "$browser"
rm -rf "$prof"
cat "$OUT/member2.txt"
check "h2: the page connected" has "$OUT/member2.txt" "^page: h2 open$"
check "h2: text echoed intact" has "$OUT/member2.txt" "^page: h2 text same$"
check "h2: 70,000-byte binary echoed intact" has "$OUT/member2.txt" "^page: h2 binary 70000 same$"
check "h2: closed 1000, cleanly" has "$OUT/member2.txt" "^page: h2 closed 1000 clean=true$"
check "h2: the report came through /chat to the end" has "$OUT/member2.txt" '^page: END$'
stop_serve
check "h2: both of the page's WebSockets rode its HTTP/2 connection" has "$OUT/serve2.txt" \
  '^ws: 2 over HTTP/2 \(RFC 8441 extended CONNECT\)$'
check "h2: one HTTP/2 connection" has "$OUT/serve2.txt" '^http: HTTP/2: 1 connections, '
finish
