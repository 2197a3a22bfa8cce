#!/usr/bin/env bash
# WebSocket (RFC 6455) between nstack and python3-websockets (Debian's,
# /usr/bin/python3) over a TAP, both ways:
#   - nstack serve --ws: the Python client echoes text (UTF-8), a 100 KB
#     binary message and an empty one byte for byte, gets a pong for its
#     ping, two clients share the /chat room, a handshake with version 8
#     gets 426 naming 13, and the close handshake ends with 1000;
#   - nstack ws (the client) against a Python echo server that pings every
#     0.3 s: its lines come back, nstack answers the server's pings and its
#     own --ping gets pongs; the close is 1000.
# Usage: test_ws.sh NSTACK OUTDIR
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
require_env "$PY"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets is missing (scripts/deps.sh test installs it)"
ns_up

cat > "$OUT/client.py" <<'PYEOF'
import asyncio, os, socket, sys
import websockets
addr = sys.argv[1]
async def main():
    uri = f"ws://{addr}:8080/echo"
    async with websockets.connect(uri, ping_interval=None, max_size=1 << 20, open_timeout=10) as ws:
        text = "héllo wörld ☃ 𝄞"
        await ws.send(text)
        print("text", "same" if await ws.recv() == text else "DIFFERENT")
        blob = os.urandom(100000)
        await ws.send(blob)
        print("binary", "same" if await ws.recv() == blob else "DIFFERENT")
        await ws.send(b"")
        print("empty", "same" if await ws.recv() == b"" else "DIFFERENT")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        print("pong ok")
        await ws.close(1000, "done")
        print("close", ws.close_code)
    # Two members of the room: what one says, both hear.
    a = await websockets.connect(f"ws://{addr}:8080/chat", ping_interval=None)
    b = await websockets.connect(f"ws://{addr}:8080/chat", ping_interval=None)
    await a.send("hi all")
    print("chat", await asyncio.wait_for(a.recv(), 5), "/", await asyncio.wait_for(b.recv(), 5))
    await a.close(); await b.close()
    # A handshake with version 8: 426 and Sec-WebSocket-Version: 13.
    s = socket.create_connection((addr, 8080), timeout=10)
    s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
    resp = b""
    while b"\r\n\r\n" not in resp:
        d = s.recv(4096)
        if not d:
            break
        resp += d
    head = resp.decode(errors="replace")
    print("v8", head.split("\r\n")[0], "names13" if "\r\nSec-WebSocket-Version: 13\r\n" in head else "no")
asyncio.run(main())
PYEOF

start_serve serve --ws 8080 --pcap "$OUT/serve.pcap" || exit 1
timeout 60 ip netns exec "$NS" "$PY" "$OUT/client.py" "$NADDR" > "$OUT/client.txt" 2>&1
cat "$OUT/client.txt"
check "text echoed, UTF-8 intact" has "$OUT/client.txt" '^text same$'
check "100 KB binary echoed byte for byte" has "$OUT/client.txt" '^binary same$'
check "empty message echoed" has "$OUT/client.txt" '^empty same$'
check "nstack answers the client's ping" has "$OUT/client.txt" '^pong ok$'
check "close handshake: 1000" has "$OUT/client.txt" '^close 1000$'
check "chat: both members hear it" has "$OUT/client.txt" '^chat hi all / hi all$'
check "version 8: 426 naming 13" has "$OUT/client.txt" '^v8 HTTP/1.1 426 Upgrade Required names13$'
stop_serve
cat "$OUT/serve.txt"
check "serve counts the handshakes and the refusal" has "$OUT/serve.txt" '^ws: 3 handshakes \(0 refused 400, 1 refused 426\)'

# The other way: a Python server, nstack's client.
cat > "$OUT/server.py" <<'PYEOF'
import asyncio, sys
import websockets
async def echo(ws, path=None):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, sys.argv[1], 9000, ping_interval=0.3, ping_timeout=2):
        print("listening", flush=True)
        await asyncio.sleep(30)
asyncio.run(main())
PYEOF
bg pyserver "$PY" "$OUT/server.py" "$KADDR"
wait_for "$OUT/pyserver.txt" '^listening$' || { cat "$OUT/pyserver.txt"; exit 1; }
(echo "first line"; sleep 2; echo "second line"; sleep 1) |
  timeout 30 ip netns exec "$NS" "$NSTACK" ws --tap "$TAP" --addr "$NADDR/24" --ping 0.5 "ws://$KADDR:9000/x" \
  > "$OUT/wsclient.txt" 2>&1
echo "exit $?" >> "$OUT/wsclient.txt"
cat "$OUT/wsclient.txt"
check "nstack ws connects" has "$OUT/wsclient.txt" '^connected$'
check "its lines come back" bash -c "grep -q '^< first line$' '$OUT/wsclient.txt' && grep -q '^< second line$' '$OUT/wsclient.txt'"
check "closed 1000, exit 0" bash -c "grep -q '^ws: closed 1000;' '$OUT/wsclient.txt' && grep -q '^exit 0$' '$OUT/wsclient.txt'"
pings_out=$(sed -nE 's/.*pings ([0-9]+) out, pongs ([0-9]+) in; pings ([0-9]+) in, pongs ([0-9]+) out.*/\1 \2 \3 \4/p' "$OUT/wsclient.txt")
read -r po pi si so <<< "${pings_out:-0 0 0 0}"
check "nstack's pings (every 0.5 s) all answered: $po out, $pi pongs" bash -c "[ $po -ge 4 ] && [ $pi -ge $((po - 1)) ]"
check "the server's pings (every 0.3 s) answered: $si in, $so pongs out" bash -c "[ $si -ge 6 ] && [ $so -eq $si ]"
finish
