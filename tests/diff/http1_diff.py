#!/usr/bin/python3
"""Differential check of nstack's HTTP/1.1 parser against independent ones:
h11 (Debian python3-h11, strict, pure Python) and, where built, llhttp
(Node.js's parser; C sources in Debian node-llhttp).

Each case is fed to nstack through tests/diff/http1_dump and to each
oracle: h11 as a server (requests) or a client (responses), llhttp through
tests/diff/http1_dump_llhttp. For every case listed as agreeing, nstack and
the oracle must both accept with the same messages (header fields, body,
trailers, status) or both refuse. The known differences are where nstack
is stricter on purpose (or the oracle lacks a rule); for each, the check
is that nstack behaves exactly as documented, and the oracle's answer is
printed beside it.

usage: http1_diff.py PATH/TO/http1_dump [--h11] [--llhttp PATH/TO/http1_dump_llhttp]
       (exit 77 when no oracle is available)
"""
import json
import subprocess
import sys

try:
    import h11
except ImportError:
    h11 = None

H = "Host: a\r\n"
CH = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

# (kind, method of the request answered, eof after the bytes, bytes)
AGREE = [
    ("req", "GET", 0, "GET / HTTP/1.1\r\nHost: example.com\r\nAccept:  */*  \r\nX-Empty:\r\n\r\n"),
    ("req", "GET", 0, "GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("req", "GET", 0, "OPTIONS * HTTP/1.1\r\n" + H + "\r\n"),
    ("req", "GET", 0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.0\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X-A: \xe2\x82\xac  b\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\nHost: a\nX: y\n\n"),
    ("req", "GET", 0, "POST /p HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello"),
    ("req", "GET", 0, "POST /p HTTP/1.1\r\n" + H + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
    ("req", "GET", 0, "POST /p HTTP/1.1\r\n" + H + "Content-Length: 3, 3\r\n\r\nabc"),
    ("req", "GET", 0, CH + "5\r\nhello\r\n6;name=val;q=\"a b\"\r\n world\r\n0\r\n\r\n"),
    ("req", "GET", 0, CH + "000A\r\n0123456789\r\n0\r\nExpires: never\r\nX-Sum:  42 \r\n\r\n"),
    ("req", "GET", 0, CH + "1\r\nx\r\n0 \r\n\r\n"),
    ("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    ("req", "GET", 0, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
                      + CH + "3\r\nabc\r\n0\r\nT: 1\r\n\r\nHEAD /4 HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("req", "GET", 0, "PUT / HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 1\r\n\r\nx"),
    ("req", "GET", 0, "GET /chat HTTP/1.1\r\n" + H + "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
    # refused by both
    ("req", "GET", 0, "GET / HTTP/1.1\r\nX: 1\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "No colon\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X(A): b\r\n\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X: a\x00b\r\n\r\n"),
    ("req", "GET", 0, "G@T / HTTP/1.1\r\n" + H + "\r\n"),
    ("req", "GET", 0, "GET / HTTP/1.1 \r\n" + H + "\r\n"),
    ("req", "GET", 0, "GET / http/1.1\r\n" + H + "\r\n"),
    ("req", "GET", 0, "GET /a b HTTP/1.1\r\n" + H + "\r\n"),
    ("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
    ("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n"),
    ("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Content-Length: 1e3\r\n\r\n"),
    ("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n"),
    ("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n"),
    ("req", "GET", 0, CH + "x\r\n"),
    ("req", "GET", 0, CH + "-5\r\n"),
    ("req", "GET", 0, CH + "5\r\nhelloXY"),
    ("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X: a\rb\r\n\r\n"),
    # responses
    ("resp", "GET", 0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    ("resp", "GET", 0, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\nE: x\r\n\r\n"),
    ("resp", "GET", 1, "HTTP/1.1 200 OK\r\n\r\nall of it\r\n"),
    ("resp", "GET", 1, "HTTP/1.0 200 OK\r\n\r\nold"),
    ("resp", "HEAD", 0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 204 No Content\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("resp", "GET", 0, "HTTP/1.1 20 OK\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 2000 OK\r\n\r\n"),
    ("resp", "GET", 0, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"),
    ("resp", "GET", 1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
]

# Where nstack departs from h11 on purpose: (case, what nstack does, why).
KNOWN_H11 = [
    (("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X: b\r\n  folded\r\n\r\n"), "obs-fold",
     "RFC 9112 5.2: a server rejects obs-fold (h11 unfolds it)"),
    (("resp", "GET", 0, "HTTP/1.1 200 OK\r\nX: b\r\n folded\r\nContent-Length: 0\r\n\r\n"), "obs-fold",
     "we refuse obs-fold in responses too rather than copy to unfold (h11 unfolds)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X: a\x01b\r\n\r\n"), "bad field value",
     "RFC 9110 5.5: controls other than HTAB refused (h11 allows them)"),
    (("req", "GET", 0, "GET index.html HTTP/1.1\r\n" + H + "\r\n"), "bad request-target",
     "RFC 9112 3.2: the four target forms are checked (h11 takes any visible characters)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), "bad Host",
     "RFC 9112 3.2: a Host value that is no uri-host[:port] is a 400"),
    (("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     "Content-Length and Transfer-Encoding", "RFC 9112 6.3 item 3: a request with both is refused"),
    (("req", "GET", 0, CH + "10000000000000000\r\n"), "chunk size overflows 64 bits",
     "h11 reads the size with Python's unbounded integers"),
    (("req", "GET", 0, "\r\nGET / HTTP/1.1\r\n" + H + "\r\n"), None,
     "RFC 9112 2.2: empty lines before a request line are ignored"),
    (("req", "GET", 0, CH + "5;\r\nhello\r\n0\r\n\r\n"), "bad chunk extension",
     "RFC 9112 7.1.1: an extension has a name (h11 skips extensions unread)"),
    (("req", "GET", 0, "GET / HTTP/2.0\r\n" + H + "\r\n"), "HTTP major version not 1", "505 rather than 400"),
    (("resp", "CONNECT", 0, "HTTP/1.1 200 OK\r\n\r\n\x16\x03"), None,
     "RFC 9112 6.3 item 2: a 2xx to CONNECT is a tunnel (h11 switches protocol)"),
]


def h11_parse(kind, method, eof, data):
    """Returns (messages, error) as h11 sees them."""
    role = h11.SERVER if kind == "req" else h11.CLIENT
    conn = h11.Connection(our_role=role, max_incomplete_event_size=1 << 20)
    if kind == "resp":
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "a")]))
        conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    if eof:
        conn.receive_data(b"")
    msgs, cur = [], None
    try:
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA or ev is h11.PAUSED or isinstance(ev, h11.ConnectionClosed):
                if ev is h11.PAUSED and kind == "req" and conn.their_state is h11.DONE:
                    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                    conn.send(h11.EndOfMessage())
                    conn.start_next_cycle()
                    continue
                if ev is h11.PAUSED and kind == "resp":
                    break
                break
            if isinstance(ev, (h11.Request, h11.Response, h11.InformationalResponse)):
                cur = {"headers": [[n.decode("latin1").lower(), v.decode("latin1")] for n, v in ev.headers.raw_items()],
                       "body": "", "trailers": [], "status": getattr(ev, "status_code", 0)}
                if isinstance(ev, h11.InformationalResponse):
                    msgs.append(cur)
                    cur = None
            elif isinstance(ev, h11.Data):
                cur["body"] += ev.data.decode("latin1")
            elif isinstance(ev, h11.EndOfMessage):
                cur["trailers"] = [[n.decode("latin1").lower(), v.decode("latin1")] for n, v in ev.headers.raw_items()]
                msgs.append(cur)
                cur = None
    except h11.RemoteProtocolError as e:
        return msgs, str(e) or "error"
    return msgs, None


# Where nstack departs from llhttp (in its default, strict mode).
KNOWN_LLHTTP = [
    (("req", "GET", 0, "GET / HTTP/1.1\nHost: a\nX: y\n\n"), None,
     "RFC 9112 2.2: LF alone ends a line (llhttp refuses it)"),
    (("req", "GET", 0, "POST /p HTTP/1.1\r\n" + H + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"), None,
     "RFC 9110 8.6: identical Content-Length lines are one value (llhttp refuses any repeat)"),
    (("req", "GET", 0, "POST /p HTTP/1.1\r\n" + H + "Content-Length: 3, 3\r\n\r\nabc"), None,
     "RFC 9110 8.6: an identical list is one value (llhttp refuses it)"),
    (("req", "GET", 0, CH + "5\r\nhello\r\n6;name=val;q=\"a b\"\r\n world\r\n0\r\n\r\n"), None,
     "RFC 9112 7.1.1: an extension value may be a quoted-string with spaces (llhttp refuses the space)"),
    (("req", "GET", 0, CH + "1\r\nx\r\n0 \r\n\r\n"), None,
     "whitespace before a chunk line's end tolerated, as h11 does (llhttp refuses it)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\nX: 1\r\n\r\n"), "no Host",
     "RFC 9112 3.2: 400 without Host (llhttp leaves Host to the application)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "more than one Host",
     "RFC 9112 3.2: 400 for two Host lines (llhttp leaves Host to the application)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"), "whitespace before colon",
     "RFC 9112 5.1: 400 (llhttp takes the space into the name)"),
    (("req", "GET", 0, "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n"),
     "transfer coding not implemented", "RFC 9112 6.1: 501 for a coding we cannot decode (llhttp passes it on)"),
    (("req", "GET", 0, CH + "5\r\nhelloXY"), "chunk data not followed by CRLF",
     "refused at the first wrong byte (llhttp reports nothing until a later line)"),
    (("resp", "GET", 0, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), None,
     "RFC 9112 6.3 item 1: a 304 ends with its head (llhttp waits for the message's end)"),
    (("resp", "GET", 0, "HTTP/1.1 20 OK\r\n\r\n"), "bad status code",
     "RFC 9112 4: three digits (llhttp waits)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\n" + H + "X: b\r\n  folded\r\n\r\n"), "obs-fold",
     "RFC 9112 5.2: a server refuses obs-fold (llhttp unfolds it)"),
    (("resp", "GET", 0, "HTTP/1.1 200 OK\r\nX: b\r\n folded\r\nContent-Length: 0\r\n\r\n"), "obs-fold",
     "obs-fold refused in responses too (llhttp unfolds it)"),
    (("req", "GET", 0, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), "bad Host",
     "RFC 9112 3.2: a Host value that is no uri-host[:port] is a 400"),
    (("req", "GET", 0, "GET / HTTP/2.0\r\n" + H + "\r\n"), "HTTP major version not 1",
     "RFC 9110 15.6.6: 505 (llhttp accepts HTTP/2.0 in HTTP/1.1 syntax)"),
]


def skip_framing(fields):
    # The oracles merge repeated Content-Length lines or rewrite framing
    # fields; framing is compared through the bodies and message ends.
    return [f for f in fields if f[0] not in ("content-length", "transfer-encoding")]


def comparable(msgs):
    return [(skip_framing(m["headers"]), m["body"], skip_framing(m["trailers"]), m["status"]) for m in msgs]


def run_dump(path, cases):
    lines = "".join("%s %s %d %s\n" % (k, m, e, d.encode("latin1").hex()) for k, m, e, d in cases)
    out = subprocess.run([path], input=lines.encode(), capture_output=True, check=True).stdout.decode()
    res = [json.loads(l) for l in out.splitlines()]
    assert len(res) == len(cases), "%s answered %d of %d cases" % (path, len(res), len(cases))
    return [(r["messages"], r["error"]) for r in res]


def check(name, cases, ours, theirs, known):
    """Compares nstack with one oracle; returns the number of failures."""
    failures = 0
    known = {k[0]: k[1:] for k in known}
    for case, (n_msgs, n_err), (o_msgs, o_err) in zip(cases, ours, theirs):
        if case in known:
            want, why = known[case]
            if n_err != want:
                failures += 1
                print("%s: KNOWN CASE CHANGED %r: nstack %s, want %s" % (name, case, n_err, want))
            else:
                print("%s: known difference (%s): nstack %s, %s %s" % (name, why, want or "accepts", name,
                                                                       o_err or "accepts"))
            continue
        # Both accept with the same messages, or both refuse after the same.
        if (n_err is None) != (o_err is None) or comparable(n_msgs) != comparable(o_msgs):
            failures += 1
            print("%s: DIFFER %r\n  nstack: %s %s\n  %s: %s %s" % (name, case, n_msgs, n_err, name, o_msgs, o_err))
    print("%s: %d cases, %d known differences, %d failures" % (name, len(cases), len(known), failures))
    return failures


def main():
    args = sys.argv[1:]
    dump = args.pop(0)
    cases = list(AGREE)
    for k in KNOWN_H11 + KNOWN_LLHTTP:
        if k[0] not in cases:
            cases.append(k[0])
    ours = run_dump(dump, cases)
    failures, oracles = 0, 0
    while args:
        opt = args.pop(0)
        if opt == "--h11":
            if h11 is None:
                print("h11 not installed (Debian python3-h11): not compared")
                continue
            theirs = [h11_parse(k, m, e, d.encode("latin1")) for k, m, e, d in cases]
            failures += check("h11", cases, ours, theirs, KNOWN_H11)
        elif opt == "--llhttp":
            failures += check("llhttp", cases, ours, run_dump(args.pop(0), cases), KNOWN_LLHTTP)
        else:
            raise SystemExit("unknown option " + opt)
        oracles += 1
    if oracles == 0:
        return 77
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
