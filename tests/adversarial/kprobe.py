"""The kernel's side during a SYN flood: a new connection to nstack's echo
service every 0.2 s until STATUSFILE says "done", each one sending 100
bytes and expecting them back. Prints one line per attempt and a summary:

    probe: N connections, N answered, connect time max X ms

Usage: kprobe.py ADDR PORT STATUSFILE
"""
import socket
import sys
import time

addr, port, status = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tries = ok = 0
worst = 0.0


def flood_done():
    try:
        return "done" in open(status).read()
    except OSError:
        return False


deadline = time.monotonic() + 120
while not flood_done() and time.monotonic() < deadline:
    tries += 1
    t0 = time.monotonic()
    try:
        s = socket.create_connection((addr, port), timeout=5)
        dt = time.monotonic() - t0
        s.settimeout(5)
        msg = b"probe %05d " % tries + b"p" * 88
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = s.recv(200)
            if not b:
                break
            got += b
        s.close()
        worst = max(worst, dt)
        good = got == msg
        ok += good
        print("probe %d: connected in %.1f ms, %s" % (tries, dt * 1000, "echoed" if good else "WRONG ECHO"),
              flush=True)
    except OSError as e:
        print("probe %d: %s" % (tries, e), flush=True)
    time.sleep(0.2)
print("probe: %d connections, %d answered, connect time max %.0f ms" % (tries, ok, worst * 1000), flush=True)
