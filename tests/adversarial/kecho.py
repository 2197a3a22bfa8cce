"""The kernel's side of a long-lived connection kept running across the
attacks: it sends a 1000-byte chunk to nstack's echo service every 20 ms
and checks that exactly those bytes come back, until SIGTERM. Then it
half-closes, expects the end of the stream, and prints one line:

    kecho: N bytes echoed, all the same        (exit 0)
    kecho: FAILED after N bytes: WHY           (exit 1)

Usage: kecho.py ADDR PORT STATUSFILE
STATUSFILE gets "port P" once connected (the attack script targets that
connection), then "bytes N" after every chunk. While STATUSFILE.pause
exists, no chunk is sent (the line "paused" says so): the attack script
holds the connection's sequence numbers still while it attacks them.
"""
import os
import random
import signal
import socket
import sys
import time

addr, port, status = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
rng = random.Random(7)
total = 0


def fail(why):
    print("kecho: FAILED after %d bytes: %s" % (total, why), flush=True)
    sys.exit(1)


def recv_exact(s, n):
    got = bytearray()
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            fail("the stream ended early")
        got += b
    return bytes(got)


try:
    s = socket.create_connection((addr, port), timeout=10)
    s.settimeout(10)
    with open(status, "w") as f:
        f.write("port %d\n" % s.getsockname()[1])
    while not stop:
        if os.path.exists(status + ".pause"):
            with open(status, "a") as f:
                f.write("paused\n")
            while os.path.exists(status + ".pause") and not stop:
                time.sleep(0.01)
            continue
        chunk = bytes(rng.getrandbits(8) for _ in range(1000))
        s.sendall(chunk)
        back = recv_exact(s, len(chunk))
        if back != chunk:
            fail("bytes differ")
        total += len(chunk)
        with open(status, "a") as f:
            f.write("bytes %d\n" % total)
        time.sleep(0.02)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        fail("data after the half-close")
    s.close()
except OSError as e:
    fail(str(e))
print("kecho: %d bytes echoed, all the same" % total, flush=True)
