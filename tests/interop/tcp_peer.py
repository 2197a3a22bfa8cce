#!/usr/bin/env python3
"""The Linux kernel's end of a TCP transfer with nstack (interop tests).

    tcp_peer.py listen PORT ACTION [options]
    tcp_peer.py connect ADDR:PORT ACTION [options]    ([IPV6]:PORT too)

ACTION is `send` (standard input, to its end) or `recv` (until the peer's
EOF). After sending, the socket is shut down for writing and read until the
peer's EOF (nstack closes second), or with --close-after-send closed at once
(the kernel closes first). --ss prints the socket as `ss -tin` sees it
(retransmissions included) when the transfer is over: after sending, once
all is acknowledged; after receiving, at EOF. Before closing, --hold-file
waits until a file exists (the test looks at the states meanwhile).

Prints, one line each, flushed: `peer: listening`, `peer: connected`,
`peer: eof`, `peer: sent|received N bytes in T s, R Mbit/s, sha256 HEX`,
`peer: ss ...` and `peer: retrans N` (--ss), `peer: holding`, `peer: closed`.
Every wait is bounded by --timeout (then it exits 1). --ipv6: listen on ::
(IPv6 only) instead of 0.0.0.0.
"""
import argparse
import hashlib
import os
import re
import socket
import subprocess
import sys
import time

CHUNK = 1 << 20


def say(*words):
    print("peer:", *words, flush=True)


def open_socket(args):
    if args.role == "listen":
        ls = socket.socket(socket.AF_INET6 if args.ipv6 else socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if args.ipv6:
            ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        ls.bind(("::" if args.ipv6 else "0.0.0.0", int(args.where)))
        ls.listen(1)
        ls.settimeout(args.timeout)
        say("listening")
        s, _ = ls.accept()
        ls.close()
    else:
        host, port = args.where.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)), timeout=args.timeout)
    s.settimeout(args.timeout)
    say("connected")
    return s


def send_stdin(s, digest):
    n = 0
    src = sys.stdin.buffer
    while True:
        b = src.read(CHUNK)
        if not b:
            return n
        s.sendall(b)
        digest.update(b)
        n += len(b)


def recv_to_eof(s, digest):
    n = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        k = s.recv_into(buf)
        if k == 0:
            say("eof")
            return n
        if digest:
            digest.update(view[:k])
        n += k


def endpoint(a):
    """An address as ss's filters take it: a.b.c.d:port or [v6]:port."""
    return ("[%s]:%d" if ":" in a[0] else "%s:%d") % (a[0], a[1])


def ss_line(s):
    out = subprocess.run(["ss", "-tinH", "src", endpoint(s.getsockname()), "dst", endpoint(s.getpeername())],
                         capture_output=True, text=True, timeout=10).stdout
    return " ".join(out.split())


def show_ss(s, timeout):
    """`ss -tin` for this socket once the peer acknowledged everything sent
    (ss says unacked:N until then): its line and the total retransmissions."""
    end = time.monotonic() + timeout
    out = ss_line(s)
    while "unacked:" in out and time.monotonic() < end:
        time.sleep(0.01)
        out = ss_line(s)
    say("ss", out)
    m = re.search(r"\bretrans:\d+/(\d+)", out)
    say("retrans", m.group(1) if m else 0)


def hold(path, timeout):
    say("holding")
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError("no " + path)
        time.sleep(0.02)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["listen", "connect"])
    p.add_argument("where")
    p.add_argument("action", choices=["send", "recv"])
    p.add_argument("--close-after-send", action="store_true")
    p.add_argument("--ss", action="store_true")
    p.add_argument("--hold-file")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--ipv6", action="store_true")
    args = p.parse_args()
    s = open_socket(args)
    digest = hashlib.sha256()
    t0 = time.monotonic()
    if args.action == "send":
        n, verb = send_stdin(s, digest), "sent"
        # ss before our FIN: once both sides closed, the socket is a
        # TIME_WAIT record, which ss shows without its counters.
        if args.ss:
            show_ss(s, args.timeout)  # it waits until all is acknowledged
        secs = time.monotonic() - t0
        if not args.close_after_send:
            s.shutdown(socket.SHUT_WR)
            recv_to_eof(s, None)
    else:
        n, verb = recv_to_eof(s, digest), "received"
        secs = time.monotonic() - t0
        if args.ss:
            show_ss(s, args.timeout)
    say("%s %d bytes in %.3f s, %.1f Mbit/s, sha256 %s" % (verb, n, secs, n * 8 / secs / 1e6 if secs else 0,
                                                          digest.hexdigest()))
    if args.hold_file:
        hold(args.hold_file, args.timeout)
    s.close()
    say("closed")


if __name__ == "__main__":
    try:
        main()
    except (OSError, TimeoutError) as e:
        say("error", e)
        sys.exit(1)
