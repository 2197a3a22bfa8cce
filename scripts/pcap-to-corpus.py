#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets in tests/fuzz/, from packet
captures (pcap or pcapng, Ethernet), plus a few handmade programs.

  scripts/pcap-to-corpus.py [--out DIR] [--max-frames N] [--max-files N] PCAP...

writes into DIR (default tests/fuzz/corpus):
  fuzz_wire/pcap-<hash>    one captured frame per file (distinct shapes only:
                           ethertype, protocol, TCP flags and option kinds)
  fuzz_stack/pcap-<hash>   one program per capture slice: its first frames
                           as fuzz_stack operations (see tests/fuzz/fuzz_stack.c)
  fuzz_stack/hand-<name>   handmade programs that reach established, closing
                           and timer-driven states

How a capture becomes a fuzz_stack program: the stack under test cannot be
the host that was captured (its ISNs and ports differ), so each TCP segment
the client side sent is re-expressed as an operation relative to what the
stack says: a SYN opens a flow to the stack's port 80, later segments keep
their flags, window, MSS, timestamps and payload length, their sequence and
acknowledgment numbers follow the stack's. The server side's segments are
left out (the stack answers for itself). Other IPv4 frames go in raw, their
addresses and checksums fixed up; gaps in time become time steps.
Pure Python, no dependency.
"""
import argparse
import hashlib
import os
import struct
import sys

# ---- reading captures --------------------------------------------------------


def read_pcap(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        return []
    out, i = [], 24
    while i + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[i:i + 16])
        i += 16
        out.append((sec * 10**9 + frac * (1 if nano else 1000), data[i:i + incl]))
        i += incl
    return out


def read_pcapng(data):
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    out, ifaces, i = [], [], 0
    while i + 12 <= len(data):
        btype, blen = struct.unpack(e + "II", data[i:i + 8])
        if blen < 12:
            break
        body = data[i + 8:i + blen - 4]
        if btype == 1:  # interface description: link type, and the default resolution (us)
            ifaces.append((struct.unpack(e + "H", body[:2])[0], 10**3))
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            ifid, hi, lo, cap = struct.unpack(e + "IIII", body[:16])
            link, unit = ifaces[ifid] if ifid < len(ifaces) else (1, 10**3)
            if link == 1:
                out.append((((hi << 32) | lo) * unit, body[20:20 + cap]))
        elif btype == 3 and ifaces and ifaces[0][0] == 1:  # simple packet
            out.append((out[-1][0] if out else 0, body[4:]))
        i += blen
    return out


def read_capture(path):
    data = open(path, "rb").read()
    frames = read_pcap(data)
    if frames is None:
        frames = read_pcapng(data)
    return frames or []


# ---- fuzz_stack programs (mirror the reads in tests/fuzz/fuzz_stack.c) ----------

OP_TCP, OP_SYN, OP_RAW_FIXUP, OP_TIME, OP_TIME_NEXT = 0, 6, 9, 16, 17
SOCK = 19  # + n: socket calls
SOCK_ACCEPT, SOCK_SEND, SOCK_RECV, SOCK_CLOSE, SOCK_SHUTDOWN = SOCK + 3, SOCK + 5, SOCK + 6, SOCK + 7, SOCK + 8
FLOW_FIRST_SYN = 1  # flows[0] is the stack's own client connection (made at setup)


def u8(v):
    return bytes([v & 0xFF])


def u16(v):
    return struct.pack("!H", v & 0xFFFF)


def u32(v):
    return struct.pack("!I", v & 0xFFFFFFFF)


def time_op(dt_ns):
    if dt_ns <= 0:
        return b""
    shift = 0
    while (dt_ns >> shift) > 0xFFFF and shift < 23:
        shift += 1
    return u8(OP_TIME) + u16(min(dt_ns >> shift, 0xFFFF)) + u8(shift)


def tcp_fields(flags, window, urg, opts, payload, copies=1, ack_delta=None, sack=()):
    """send_tcp's reads: window, urgent pointer, options, payload, IP tweak,
    corruption, copies. (ack_delta is op_tcp's, written by the caller.)"""
    b = u8(0) + u16(window)
    if flags & 0x20:
        b += u16(urg)
    m = 0
    tail = b""
    if "mss" in opts:
        m |= 0x81
        tail += u16(opts["mss"])
    if "wscale" in opts:
        m |= 2
        tail += u8(opts["wscale"])
    if "sack_ok" in opts:
        m |= 4
    if "ts" in opts:
        m |= 8
        tail += u8(1)
    if sack:
        m |= 16
        tail += u8(len(sack) - 1)
        for below, length in sack:  # a block starting `below` bytes under the stack's SND.NXT
            tail += u16(below) + u16(length)
    b += u8(m) + tail
    n = len(payload)
    if n:
        b += u8(250) + u16(n) + payload
    else:
        b += u8(0)
    return b + u8(0) + u8(0) + u8((copies - 1) << 6)


def parse_tcp_opts(raw):
    opts, i = {}, 0
    while i < len(raw):
        k = raw[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2:
            break
        ln = raw[i + 1]
        if k == 2 and ln == 4:
            opts["mss"] = struct.unpack("!H", raw[i + 2:i + 4])[0]
        elif k == 3 and ln == 3:
            opts["wscale"] = raw[i + 2]
        elif k == 4:
            opts["sack_ok"] = True
        elif k == 8:
            opts["ts"] = True
        i += ln
    return opts


def frame_ops(frame, state, max_payload):
    """The operations for one captured frame ("" to leave it out)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return b""
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    frag = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
    if ip[9] == 6 and not frag and ihl >= 20 and len(ip) >= ihl + 20:
        tcp = ip[ihl:total]
        sport, dport = struct.unpack("!HH", tcp[:4])
        flags, window = tcp[13], struct.unpack("!H", tcp[14:16])[0]
        doff = (tcp[12] >> 4) * 4
        opts = parse_tcp_opts(tcp[20:doff])
        payload = tcp[doff:][:max_payload]
        key = (ip[12:16], sport)
        if flags & 0x02 and not flags & 0x10:  # a client's SYN: a new flow to port 80
            state["flows"][key] = FLOW_FIRST_SYN + len(state["flows"]) % 15
            return (u8(OP_SYN) + u8(0) + u16(sport) + u32(struct.unpack("!I", tcp[4:8])[0]) + u8(0) +
                    tcp_fields(flags, window, struct.unpack("!H", tcp[18:20])[0], opts, payload))
        if key not in state["flows"]:
            return b""  # the server's side, or a connection seen without its SYN
        return (u8(OP_TCP) + u8(state["flows"][key]) + u8(flags) + u8(0) + u8(0) + u8(0) +
                tcp_fields(flags, window, struct.unpack("!H", tcp[18:20])[0], opts, payload))
    body = frame[:14 + min(len(ip), ihl + max_payload + 8)]
    return u8(OP_RAW_FIXUP) + u16(len(body)) + body + u8(1) + u8(1)


def capture_programs(frames, max_frames, max_files, max_payload=200):
    progs = []
    for start in range(0, len(frames), max_frames):
        if len(progs) >= max_files:
            break
        state = {"flows": {}}
        # The configuration byte: defaults, or small buffers and short timers.
        prog = u8(0x41 if len(progs) % 2 else 0)
        last = None
        for ts, frame in frames[start:start + max_frames]:
            ops = frame_ops(frame, state, max_payload)
            if not ops:
                continue
            if last is not None:
                prog += time_op(min(ts - last, 60 * 10**9))
            last = ts
            prog += ops
        prog += u8(OP_TIME_NEXT) * 4
        if len(prog) > 16:
            progs.append(prog)
    return progs


def handmade():
    """Programs that walk the stack through its states on purpose."""
    syn = (u8(OP_SYN) + u8(0) + u16(40000) + u32(1000) + u8(0) +
           tcp_fields(0x02, 65535, 0, {"mss": 1460, "wscale": 7, "sack_ok": True, "ts": True}, b""))

    def seg(flags, payload=b"", flow=FLOW_FIRST_SYN):
        return u8(OP_TCP) + u8(flow) + u8(flags) + u8(0) + u8(0) + u8(0) + tcp_fields(flags, 65535, 0, {"ts": 1}, payload)

    ms = lambda n: time_op(n * 10**6)  # noqa: E731
    accept = u8(SOCK_ACCEPT) + u8(0)
    recv = u8(SOCK_RECV) + u8(3) + u16(4096) + u8(1)
    send = u8(SOCK_SEND) + u8(3) + u8(1) + u16(3000)
    close = u8(SOCK_CLOSE) + u8(3)
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    progs = {
        # passive open, a request, the answer acknowledged, we close first
        "passive-close-first": b"\x00" + syn + seg(0x10) + seg(0x18, req) + ms(50) + accept + recv + send + ms(5) +
        seg(0x10) + close + ms(5) + seg(0x11) + ms(5) + seg(0x10) + u8(OP_TIME_NEXT) * 6,
        # passive open, the peer closes first (CLOSE_WAIT, LAST_ACK)
        "passive-peer-closes": b"\x00" + syn + seg(0x10) + accept + seg(0x19, b"bye") + ms(1) + recv + recv + send +
        seg(0x10) + close + ms(1) + seg(0x10) + u8(OP_TIME_NEXT) * 4,
        # active open (the setup's client, flow 0): SYN-ACK, data both ways, RST
        "active-open": b"\x00" + u8(OP_TCP) + u8(0) + u8(0x12) + u8(0) + u8(0) + u8(0) +
        tcp_fields(0x12, 65535, 0, {"mss": 1000, "sack_ok": True}, b"") + ms(1) +
        u8(SOCK_SEND) + u8(2) + u8(1) + u16(1500) + ms(1) +
        u8(OP_TCP) + u8(0) + u8(0x18) + u8(0) + u8(0) + u8(0) + tcp_fields(0x18, 65535, 0, {}, b"hello") +
        ms(300) + u8(SOCK_RECV) + u8(2) + u16(100) + u8(1) + u8(OP_TIME_NEXT) * 3 +
        u8(OP_TCP) + u8(0) + u8(0x04) + u8(0) + u8(0) + u8(0) + tcp_fields(0x04, 0, 0, {}, b""),
        # data the application never reads, a zero window, probes, timeouts
        "zero-window": b"\x01" + syn + seg(0x10) + accept + u8(SOCK_SEND) + u8(3) + u8(0) + u16(60000) +
        b"".join(seg(0x18, bytes(range(200))) for _ in range(30)) +
        u8(OP_TCP) + u8(FLOW_FIRST_SYN) + u8(0x10) + u8(0) + u8(0) + u8(0) + tcp_fields(0x10, 0, 0, {"ts": 1}, b"") +
        u8(OP_TIME_NEXT) * 12,
        # ten segments in flight (MSS 1448 with timestamps), the first lost:
        # three duplicate ACKs with
        # a SACK block over the 2nd-4th (fast retransmit, SACK recovery), then a full ACK
        "sack-recovery": b"\x00" + syn + seg(0x10) + accept + u8(SOCK_SEND) + u8(3) + u8(0) + u16(14600) + ms(1) +
        u8(OP_TCP) + u8(FLOW_FIRST_SYN) + u8(0x10) + u8(0) + u8(0) + u8(240) + u16(-14480) +
        tcp_fields(0x10, 65535, 0, {"ts": 1}, b"", copies=3, sack=((13032, 4344),)) + ms(1) +
        u8(OP_TCP) + u8(FLOW_FIRST_SYN) + u8(0x10) + u8(0) + u8(0) + u8(0) +
        tcp_fields(0x10, 65535, 0, {"ts": 1}, b"") + u8(OP_TIME_NEXT) * 4,
        # short timers (config 0x40): keepalive, FIN_WAIT_2 timeout, TIME_WAIT end
        "timers": b"\x40" + syn + seg(0x10) + accept + u8(SOCK + 9) + u8(3) + u8(2) + u8(1) +
        u8(SOCK_SHUTDOWN) + u8(3) + u8(1) + ms(1) + seg(0x10) + u8(OP_TIME_NEXT) * 10 + seg(0x11) + u8(OP_TIME_NEXT) * 10,
    }
    return progs


# ---- fuzz_wire frames --------------------------------------------------------------


def shape(frame):
    """What makes a frame different for the parsers: ethertype, protocol,
    TCP flags and option kinds, fragment or not."""
    if len(frame) < 14:
        return ("runt",)
    et = frame[12:14]
    if et != b"\x08\x00" or len(frame) < 34:
        return (et,)
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    frag = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
    s = (et, ip[9], ihl, bool(frag))
    if ip[9] == 6 and not frag and len(ip) >= ihl + 20:
        tcp = ip[ihl:]
        doff = (tcp[12] >> 4) * 4
        kinds = tuple(sorted(parse_tcp_opts(tcp[20:doff])))
        s += (tcp[13], kinds, len(tcp) > doff)
    elif ip[9] == 1 and len(ip) > ihl:
        s += (ip[ihl],)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                  "fuzz", "corpus"))
    ap.add_argument("--max-frames", type=int, default=40, help="frames per fuzz_stack program")
    ap.add_argument("--max-files", type=int, default=3, help="fuzz_stack programs per capture")
    ap.add_argument("--no-handmade", action="store_true")
    ap.add_argument("pcaps", nargs="*")
    a = ap.parse_args()
    wire_dir = os.path.join(a.out, "fuzz_wire")
    stack_dir = os.path.join(a.out, "fuzz_stack")
    os.makedirs(wire_dir, exist_ok=True)
    os.makedirs(stack_dir, exist_ok=True)
    seen_shapes, nwire, nstack = set(), 0, 0

    def write(d, name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    for path in a.pcaps:
        frames = read_capture(path)
        for _, fr in frames:
            sh = shape(fr)
            if sh not in seen_shapes:
                seen_shapes.add(sh)
                write(wire_dir, "pcap-" + hashlib.sha1(fr).hexdigest()[:12], fr)
                nwire += 1
        for prog in capture_programs(frames, a.max_frames, a.max_files):
            write(stack_dir, "pcap-" + hashlib.sha1(prog).hexdigest()[:12], prog)
            nstack += 1
    if not a.no_handmade:
        for name, prog in handmade().items():
            write(stack_dir, "hand-" + name, prog)
            nstack += 1
    print("pcap-to-corpus: %d fuzz_wire frames, %d fuzz_stack programs from %d captures" %
          (nwire, nstack, len(a.pcaps)))


if __name__ == "__main__":
    sys.exit(main())
