"""Adversarial scenarios against nstack serve on a TAP (see advlib.py).

Usage: attacks.py SCENARIO...   (run inside the test's namespace)
  rfc5961    blind RST, SYN and data (RFC 5961) on a connection of ours and
             on the kernel's long-lived echo connection
  flags      illegal flag combinations, to a connection, a listener, a closed port
  options    bad option lengths, MSS 0 and 1, window scale above 14
  checksums  bad IP/TCP/UDP/ICMP checksums and malformed IP and TCP headers
  icmp       ICMP errors quoting connections that are not ours, or data not in flight
  fragments  tiny, overlapping, duplicate and out-of-range fragments, fragment floods
  synflood   20,000 SYNs from spoofed sources (the shell test checks that the
             kernel still connects meanwhile, and nstack's memory)
  ip6_*      IPv6: see attacks_ip6.py
  tsrecent   (a known failure) a blind segment with an unacceptable ACK moves
             TS.Recent, and PAWS then drops the real peer's segments

Environment: ADV_EXPECT (counter expectations file), ADV_KECHO (the kernel
echo client's status file; its connection is attacked too), ADV_TAP,
ADV_NADDR.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from advlib import (ICMP, IP, KADDR, ME, MYMAC, NADDR, NMAC, TCP, UDP, Conn, Raw,  # noqa: E402
                    Wire, check, expect_counter, expect_serve_line, finish, flags_of, payload_len,
                    ipv4_bytes, raw_opts_seg, syn_frame, tcp_from)

import attacks_ip6  # noqa: E402

M32 = 2**32
DISCARD, ECHO, CLOSED = 9, 7, 4444


def exchange(w, c, pkt):
    """Sends pkt, then a barrier; returns nstack's segments on c's tuple."""
    m = w.mark()
    c.send(pkt)
    w.barrier()
    return w.since(m, c.replies())


# RFC 5961 7: nstack sends a connection at most one challenge ACK per
# 500 ms (as Linux's tcp_invalid_ratelimit); checks that expect one leave
# that much time after the previous one.
CHALLENGE_GAP = 0.55


def exchange_challenged(w, c, pkt):
    """exchange() for a segment that must draw a challenge ACK."""
    time.sleep(CHALLENGE_GAP)
    return exchange(w, c, pkt)


def describe(frames):
    def one(p):
        if TCP in p:
            return "%s seq=%d ack=%d len=%d" % (flags_of(p), p[TCP].seq, p[TCP].ack, payload_len(p))
        if IP in p:
            return "%s > %s proto %d id %d frag %d%s len %d" % (p[IP].src, p[IP].dst, p[IP].proto, p[IP].id,
                                                              p[IP].frag * 8, " MF" if p[IP].flags.MF else "",
                                                              p[IP].len)
        return p.summary()
    return ", ".join(one(p) for p in frames) or "nothing"


def is_challenge(c, segs):
    """Exactly one ACK <SEQ=SND.NXT><ACK=RCV.NXT> (RFC 5961 3.2)."""
    return (len(segs) == 1 and flags_of(segs[0]) == "A" and payload_len(segs[0]) == 0 and
            segs[0][TCP].seq == c.rcv_nxt and segs[0][TCP].ack == c.snd_nxt)


class Counts:
    """What this run must have added to nstack's counters."""

    def __init__(self):
        self.n = {}

    def add(self, name, k=1):
        self.n[name] = self.n.get(name, 0) + k

    def expect_all(self):
        for name, v in sorted(self.n.items()):
            if not name.startswith("serve."):
                expect_counter(name, "==", v)
        if "serve.discard_conns" in self.n:
            # nstack serve's own line: what the discard service took in.
            expect_serve_line("^discard: %d connections, %d bytes in, 0 bytes out$" %
                              (self.n["serve.discard_conns"], self.n.get("serve.discard_bytes", 0)))


# ---- the kernel's echo connection (kecho.py) -------------------------------

class KernelConn:
    """The kernel's long-lived echo connection, paused while it is attacked so
    its sequence numbers hold still."""

    def __init__(self, w, status):
        self.w = w
        self.status = status
        self.port = None
        for _ in range(100):
            try:
                for line in open(status):
                    if line.startswith("port "):
                        self.port = int(line.split()[1])
            except OSError:
                pass
            if self.port:
                break
            time.sleep(0.1)

    def pause(self):
        open(self.status + ".pause", "w").close()
        for _ in range(100):
            if "paused" in open(self.status).read().split("\n")[-2:]:
                time.sleep(0.1)
                return True
            time.sleep(0.05)
        return False

    def resume(self):
        os.unlink(self.status + ".pause")

    def replies(self):
        return tcp_from(ECHO, self.port, None)

    def last_seen(self):
        """(nstack's SND.NXT, nstack's RCV.NXT) from its latest segment;
        self.ts: the kernel's latest TSval (what nstack holds as TS.Recent)
        and nstack's, or None without timestamps."""
        segs = self.w.since(0, self.replies())
        p = segs[-1]
        with self.w.lock:
            mine = [q for q in self.w.kframes if TCP in q and q[TCP].sport == self.port]
        kts = dict(mine[-1][TCP].options).get("Timestamp") if mine else None
        nts = dict(p[TCP].options).get("Timestamp")
        self.ts = (kts[0], nts[0]) if kts and nts else None
        return (p[TCP].seq + payload_len(p)) % M32, p[TCP].ack

    def seg(self, flags, seq, ack, data=b"", with_ts=True, ts_ahead=0):
        """A segment as the kernel's side; with timestamps (RFC 7323: the
        connection uses them, and a segment without is dropped): the
        kernel's latest TSval (+ ts_ahead), so PAWS passes."""
        opts = []
        if with_ts and self.ts:
            opts = [("NOP", None), ("NOP", None), ("Timestamp", ((self.ts[0] + ts_ahead) % M32, self.ts[1]))]
        p = (self.w.eth() / IP(src=KADDR, dst=NADDR) /
             TCP(sport=self.port, dport=ECHO, flags=flags, seq=seq % M32, ack=ack % M32, window=1000, options=opts))
        return p / Raw(data) if data else p


# ---- RFC 5961 --------------------------------------------------------------

def s_rfc5961(w, n):
    c = Conn(w, DISCARD)
    check("handshake with the discard service", c.open() is not None)
    check("data is acknowledged", c.alive(b"0123456789"))
    legit = 10

    r = exchange_challenged(w, c, c.seg("R", seq=c.snd_nxt + 100))
    check("RFC 5961 3.2: RST in the window, not at RCV.NXT: one challenge ACK", is_challenge(c, r), describe(r))
    n.add("tcp.challenge_acks")
    for name, off in (("beyond the window", 2**30), ("before RCV.NXT", -100000)):
        r = exchange(w, c, c.seg("R", seq=c.snd_nxt + off))
        check("RFC 9293 3.10.7.4: RST %s: silently dropped" % name, r == [], describe(r))
    p = c.seg("R")
    p[TCP].chksum = 0x1234
    r = exchange(w, c, p)
    check("RST at RCV.NXT with a bad checksum: dropped, no reset", r == [], describe(r))
    n.add("tcp.rx_bad_checksum")
    check("the connection survived the RSTs", c.alive(b"x" * 5))
    legit += 5

    for name, off in (("in the window", 100), ("at RCV.NXT", 0)):
        r = exchange_challenged(w, c, c.seg("S", seq=c.snd_nxt + off))
        check("RFC 5961 4.2: SYN %s: one challenge ACK" % name, is_challenge(c, r), describe(r))
        n.add("tcp.challenge_acks")
    # Outside the window too (RFC 5961 4.2: whatever the sequence number):
    # a challenge ACK, rate limited like the others (RFC 5961 7).
    r = exchange_challenged(w, c, c.seg("S", seq=c.snd_nxt - 100000))
    check("SYN before the window: one challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>", is_challenge(c, r), describe(r))
    n.add("tcp.challenge_acks")
    check("the connection survived the SYNs", c.alive(b"y" * 5))
    legit += 5

    # RFC 5961 5.2: data at exactly RCV.NXT but with an unacceptable ACK.
    for name, ack in (("ACK of data never sent", c.rcv_nxt + 100000),
                      ("ACK older than SND.UNA - MAX.SND.WND", c.rcv_nxt - 2**30)):
        r = exchange_challenged(w, c, c.seg("PA", ack=ack, data=b"INJECTED"))
        check("RFC 5961 5.2: data with an %s: dropped with one ACK" % name, is_challenge(c, r), describe(r))
        n.add("tcp.challenge_acks")
    r = exchange(w, c, c.seg("PA", seq=c.snd_nxt + 2**30, data=b"INJECTED"))
    check("data beyond the window: dropped, an ACK <SEQ=SND.NXT><ACK=RCV.NXT>", is_challenge(c, r), describe(r))
    check("none of the injected bytes was taken (ACK unchanged)", c.alive(b"z" * 5))
    legit += 5

    k = KernelConn(w, os.environ.get("ADV_KECHO", ""))
    if check("the kernel's echo connection is up", k.port is not None):
        check("kernel echo client paused", k.pause())
        snd, rcv = k.last_seen()
        check("the kernel's connection uses timestamps", k.ts is not None)
        attacks = (("blind RST in its window", k.seg("R", rcv + 30001, 0), True),
                   ("blind SYN", k.seg("S", rcv + 30001, 0), True),
                   ("blind data at RCV.NXT with an ACK never sent", k.seg("PA", rcv, snd + 2**30, b"EVIL" * 10), True),
                   ("RFC 7323 3.2: blind SYN without timestamps: dropped, no answer",
                    k.seg("S", rcv + 30001, 0, with_ts=False), False),
                   ("RFC 7323 3.2: data without timestamps: dropped, no answer",
                    k.seg("PA", rcv, snd, b"EVIL" * 10, with_ts=False), False))
        for name, pkt, challenged in attacks:
            if challenged:
                time.sleep(CHALLENGE_GAP)
            m = w.mark()
            w.send(pkt)
            w.barrier()
            r = [p for p in w.since(m, k.replies())]
            if challenged:
                ok = (len(r) == 1 and flags_of(r[0]) == "A" and payload_len(r[0]) == 0 and
                      r[0][TCP].seq == snd and r[0][TCP].ack == rcv)
                check("kernel connection, %s: one challenge ACK" % name, ok, describe(r))
                n.add("tcp.challenge_acks")
            else:
                check("kernel connection, %s" % name, r == [], describe(r))
                n.add("tcp.rx_missing_ts")
        k.resume()
    n.add("serve.discard_conns")
    n.add("serve.discard_bytes", legit)
    n.add("tcp.estab_resets", 0)
    n.add("tcp.rx_resets", 0)
    n.add("tcp.tx_resets", 0)
    return legit


# ---- illegal flag combinations ---------------------------------------------

def s_flags(w, n):
    c = Conn(w, DISCARD)
    check("handshake with the discard service", c.open() is not None)
    # In a synchronized state: RST is checked before SYN and before the
    # ACK bit (RFC 9293 3.10.7.4), so anything with RST or SYN in the window
    # gets a challenge ACK; anything without ACK is dropped.
    for fl in ("SF", "SR", "SRPAUEC", "FSRPAUEC"):
        r = exchange_challenged(w, c, c.seg(fl, seq=c.snd_nxt + 100, data=b"flags"))
        check("established, %s in the window: one challenge ACK" % fl, is_challenge(c, r), describe(r))
        n.add("tcp.challenge_acks")
    for fl in ("", "F", "P", "U", "UP", "FPU"):
        r = exchange(w, c, c.seg(fl, data=b"noack"))
        check("established, %r without ACK at RCV.NXT: dropped silently" % fl, r == [], describe(r))
    check("none of that data was taken, the connection lives", c.alive(b"after flags"))
    n.add("serve.discard_conns")
    n.add("serve.discard_bytes", len(b"after flags"))

    # LISTEN (RFC 9293 3.10.7.2): RST ignored; ACK answered by RST; a SYN
    # (a FIN with it is not processed in LISTEN) opens; nothing else answers.
    for fl in ("", "F", "R", "SR", "FSRPAUEC", "UP", "FP"):
        t = Conn(w, DISCARD, isn=5000)
        r = exchange(w, t, t.seg(fl, seq=5000, ack=0, data=b"xyz" if "S" not in fl else b""))
        check("listener, %r: no answer" % fl, r == [], describe(r))
    t = Conn(w, DISCARD, isn=5000)
    r = exchange(w, t, t.seg("SF", seq=5000, ack=0))
    ok = len(r) == 1 and flags_of(r[0]) == "SA" and r[0][TCP].ack == 5001
    check("listener, SYN+FIN: a SYN-ACK acknowledging the SYN only (RFC 9293: no FIN in LISTEN)", ok, describe(r))
    if r:  # forget that embryo: a RST at its RCV.NXT (RFC 9293 3.10.7.4, SYN-RECEIVED)
        t.send(t.seg("R", seq=5001, ack=0))
        n.add("tcp.rx_resets")
    t = Conn(w, DISCARD, isn=5000)
    r = exchange(w, t, t.seg("SFA", seq=5000, ack=77777))
    ok = len(r) == 1 and flags_of(r[0]) == "R" and r[0][TCP].seq == 77777
    check("listener, SYN+FIN+ACK: RST <SEQ=SEG.ACK>", ok, describe(r))
    n.add("tcp.tx_resets")

    # CLOSED port (RFC 9293 3.10.7.1): RST answered by nothing, anything
    # else by RST; without ACK, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>.
    for fl, dlen, seglen in (("", 3, 3), ("F", 0, 1), ("SF", 0, 2), ("UP", 3, 3), ("S", 0, 1)):
        t = Conn(w, CLOSED, isn=9000)
        r = exchange(w, t, t.seg(fl, seq=9000, ack=0, data=b"abc"[:dlen]))
        ok = (len(r) == 1 and flags_of(r[0]) == "RA" and r[0][TCP].seq == 0 and r[0][TCP].ack == 9000 + seglen)
        check("closed port, %r: RST,ACK <ACK=SEG.SEQ+%d>" % (fl, seglen), ok, describe(r))
        n.add("tcp.tx_resets")
    for fl in ("R", "SR", "FSRPAUEC", "RA"):
        t = Conn(w, CLOSED, isn=9000)
        r = exchange(w, t, t.seg(fl, seq=9000, ack=1))
        check("closed port, %s: no answer (never a RST to a RST)" % fl, r == [], describe(r))
    t = Conn(w, CLOSED, isn=9000)
    r = exchange(w, t, t.seg("FPA", seq=9000, ack=4242, data=b"abc"))
    ok = len(r) == 1 and flags_of(r[0]) == "R" and r[0][TCP].seq == 4242
    check("closed port, FIN+PSH+ACK: RST <SEQ=SEG.ACK>", ok, describe(r))
    n.add("tcp.tx_resets")


# ---- options -----------------------------------------------------------------

def s_options(w, n):
    # RFC 9293 3.1 (MUST-7): an illegal option length (0, 1, past the
    # header) must be handled: nstack refuses the segment and counts it.
    bad = (("zero-length option (kind 30, length 0)", b"\x1e\x00"),
           ("MSS option of length 0", b"\x02\x00\x05\xb4"),
           ("option of length 1", b"\x08\x01"),
           ("option running past the header (kind 8, length 20 in 4)", b"\x08\x14\x00\x00"),
           ("MSS option cut by the header's end", b"\x01\x01\x01\x02"))
    for name, opts in bad:
        t = Conn(w, DISCARD, isn=100)
        r = exchange(w, t, raw_opts_seg(t, "S", opts, seq=100, ack=0))
        check("SYN with a %s: no answer" % name, r == [], describe(r))
        n.add("tcp.rx_malformed")
    c = Conn(w, DISCARD)
    check("handshake", c.open() is not None)
    r = exchange(w, c, raw_opts_seg(c, "PA", b"\x1e\x00", data=b"bad option data"))
    check("established, data with a zero-length option: dropped, no answer", r == [], describe(r))
    n.add("tcp.rx_malformed")
    check("and the data was not taken", c.alive(b"ok"))
    n.add("serve.discard_conns")
    n.add("serve.discard_bytes", 2)
    t = Conn(w, DISCARD, isn=100)
    r = exchange(w, t, raw_opts_seg(t, "S", b"\x02\x04\x05\xb4\x01\x00", seq=100, ack=0))
    ok = len(r) == 1 and flags_of(r[0]) == "SA"
    check("SYN with MSS then NOP, EOL: a SYN-ACK (EOL ends the list)", ok, describe(r))
    if r:
        t.send(t.seg("R", seq=101, ack=0))
        n.add("tcp.rx_resets")

    # MSS 0 means "none given" (536, RFC 9293 3.7.1); MSS 1 is raised to 48.
    for mss, want in ((0, 536), (1, 48), (100, 100)):
        c = Conn(w, ECHO)
        check("MSS %d: handshake" % mss, c.open(options=[("MSS", mss)]) is not None)
        data = bytes(random.getrandbits(8) for _ in range(1000))
        c.send_data(data)
        segs = c.receive(1000)
        sizes = [k for k, _ in segs]
        check("MSS %d: 1000 bytes echoed intact in segments of %d" % (mss, want),
              b"".join(d for _, d in segs) == data and max(sizes) == want and
              all(k == want for k in sizes[:-1]), str(sizes))
        c.close_rst()
        n.add("tcp.rx_resets")
        n.add("tcp.estab_resets")

    # RFC 7323 2.3: a shift above 14 is used as 14. With our window field 1
    # the right edge is SND.UNA + 16384 (not 32768): after ten ACKs of the
    # first flight (cwnd 20 segments), nstack may send up to byte 14600 +
    # 16384 = 30984; whole segments take it to 30660 (SWS: the last 324
    # bytes may wait). Unclamped it would reach 43800 (cwnd).
    for ws in (15, 255):
        c = Conn(w, ECHO)
        check("window scale %d: handshake" % ws, c.open(options=[("MSS", 1460), ("WScale", ws)]) is not None)
        c.window = 1
        c.send(c.seg("A"))
        m0 = w.mark()
        data = bytes(random.getrandbits(8) for _ in range(45000))
        for i in range(0, len(data), 1460):
            c.send_data(data[i:i + 1460])
        first = c.receive(14600, ack_each=False, timeout=3, mark=m0)
        m = w.mark()
        for k in range(10):
            c.send(c.seg("A", ack=c.peer_isn + 1 + 1460 * (k + 1), window=1))
        # Whatever the ten ACKs release leaves before the barrier's echo
        # reply (nstack handles frames in order): no guess at how long a
        # loaded machine takes.
        check("window scale %d: barrier answered" % ws, w.barrier(timeout=10))
        segs = [p for p in w.since(m, c.replies()) if payload_len(p) > 0]
        hi = max([(p[TCP].seq - c.peer_isn - 1 + payload_len(p)) % M32 for p in segs] or [0])
        check("window scale %d used as 14: first flight 14600, then up to byte %d (<= 30984)" % (ws, hi),
              sum(k for k, _ in first) == 14600 and 30660 <= hi <= 30984)
        c.close_rst()
        n.add("tcp.rx_resets")
        n.add("tcp.estab_resets")


# ---- checksums and malformed headers -----------------------------------------

def silent_frame(w, name, pkt, counter, n, times=3):
    """Sends pkt `times` times; nothing may come back (but the barrier)."""
    m = w.mark()
    for _ in range(times):
        w.send(pkt)
    w.barrier()
    r = [p for p in w.since(m) if IP in p and p[IP].dst in (ME, "255.255.255.255", "10.77.0.255") and
         not (ICMP in p and p[ICMP].type == 0 and p[ICMP].id == w.ping_id)]
    check("%s (x%d): no answer" % (name, times), r == [], "; ".join(p.summary() for p in r))
    if counter:
        n.add(counter, times)


def s_checksums(w, n):
    e = w.eth
    ip = IP(src=ME, dst=NADDR)
    # Positive controls: the same frames with good checksums are answered.
    m = w.mark()
    w.send(e() / ip / ICMP(type=8, id=0x77, seq=1) / Raw(b"good"))
    check("control: a good echo request is answered",
          w.wait(m, lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x77) is not None)
    m = w.mark()
    w.send(e() / ip / UDP(sport=5555, dport=ECHO) / Raw(b"good udp"))
    check("control: a good UDP datagram is echoed",
          w.wait(m, lambda p: UDP in p and p[UDP].dport == 5555) is not None)
    n.add("udp.rx_datagrams")

    silent_frame(w, "echo request, bad IP header checksum",
                 e() / IP(src=ME, dst=NADDR, chksum=0xbad) / ICMP(type=8, id=0x78) / Raw(b"x"), "ip.drop_bad_checksum", n)
    silent_frame(w, "echo request, bad ICMP checksum",
                 e() / ip / ICMP(type=8, id=0x79, chksum=0xbad) / Raw(b"x"), "icmp.rx_bad_checksum", n)
    silent_frame(w, "UDP to the echo port, bad UDP checksum",
                 e() / ip / UDP(sport=5556, dport=ECHO, chksum=0xbad) / Raw(b"x"), "udp.rx_bad_checksum", n)
    silent_frame(w, "UDP to a closed port, bad UDP checksum (no port unreachable)",
                 e() / ip / UDP(sport=5556, dport=CLOSED, chksum=0xbad) / Raw(b"x"), "udp.rx_bad_checksum", n)
    silent_frame(w, "SYN to the listener, bad TCP checksum",
                 e() / ip / TCP(sport=4000, dport=DISCARD, flags="S", chksum=0xbad), "tcp.rx_bad_checksum", n)
    silent_frame(w, "SYN to a closed port, bad TCP checksum (no RST)",
                 e() / ip / TCP(sport=4000, dport=CLOSED, flags="S", chksum=0xbad), "tcp.rx_bad_checksum", n)

    # Malformed IP headers (RFC 1812 5.2.2), each with a good checksum.
    silent_frame(w, "IP version 6 in an IPv4 frame", e() / IP(src=ME, dst=NADDR, version=6) / ICMP(type=8),
                 "ip.drop_bad_version", n)
    silent_frame(w, "IP header length 4 words", e() / IP(src=ME, dst=NADDR, ihl=4) / ICMP(type=8),
                 "ip.drop_bad_ihl", n)
    silent_frame(w, "IP total length beyond the frame", e() / IP(src=ME, dst=NADDR, len=1400) / ICMP(type=8),
                 "ip.drop_bad_length", n)
    silent_frame(w, "IP total length below the header", e() / IP(src=ME, dst=NADDR, len=12) / ICMP(type=8),
                 "ip.drop_bad_length", n)
    icmp = bytes(ICMP(type=8, id=0x7b) / Raw(b"opts"))
    silent_frame(w, "IP option of length 0", e(type=0x800) / Raw(ipv4_bytes(ME, NADDR, 1, icmp, b"\x07\x00\x00\x00")),
                 "ip.drop_bad_options", n)
    silent_frame(w, "IP option running past the header",
                 e(type=0x800) / Raw(ipv4_bytes(ME, NADDR, 1, icmp, b"\x07\x09\x00\x00")), "ip.drop_bad_options", n)
    m = w.mark()
    w.send(e(type=0x800) / Raw(ipv4_bytes(ME, NADDR, 1, icmp, b"\x01\x01\x01\x00")))
    check("control: the same request with NOP, NOP, NOP, EOL options is answered",
          w.wait(m, lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x7b) is not None)
    for src in ("127.0.0.1", "255.255.255.255", "224.0.0.1", "10.77.0.255"):
        silent_frame(w, "echo request from %s" % src, e() / IP(src=src, dst=NADDR) / ICMP(type=8),
                     "ip.drop_bad_source", n, times=1)
    silent_frame(w, "echo request to a multicast group", e() / IP(src=ME, dst="224.0.0.9") / ICMP(type=8),
                 "ip.drop_not_for_us", n, times=1)
    # Malformed TCP headers: data offset below 5, or past the segment.
    silent_frame(w, "TCP data offset 4", e() / ip / TCP(sport=4001, dport=DISCARD, flags="S", dataofs=4),
                 "tcp.rx_malformed", n)
    silent_frame(w, "TCP data offset 15 in a 20-byte segment",
                 e() / ip / TCP(sport=4001, dport=DISCARD, flags="S", dataofs=15), "tcp.rx_malformed", n)
    silent_frame(w, "TCP segment of 12 bytes", e() / IP(src=ME, dst=NADDR, proto=6) /
                 Raw(bytes(TCP(sport=4001, dport=DISCARD))[:12]), "tcp.rx_malformed", n)
    silent_frame(w, "unknown IP protocol 253 to a broadcast", e() / IP(src=ME, dst="10.77.0.255", proto=253) /
                 Raw(b"x" * 8), "ip.drop_unknown_protocol", n, times=1)
    silent_frame(w, "unknown Ethernet type 0x88b5", e() / Raw(b"\x88\xb5" + b"\0" * 46), None, n, times=1)
    n.add("link.rx_unknown_ethertype")
    # And the positive control once more: the stack still answers.
    m = w.mark()
    w.send(e() / ip / ICMP(type=8, id=0x7a, seq=1) / Raw(b"good"))
    check("control: still answering pings",
          w.wait(m, lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x7a) is not None)


# ---- ICMP errors -----------------------------------------------------------

def icmp_about(w, typ, code, quoted, nexthop_mtu=0, src=ME):
    """An ICMP error from src quoting `quoted` (an IP packet nstack would
    have sent): its header and first 8 bytes, as routers do."""
    q = bytes(quoted)
    q = q[:(q[0] & 15) * 4 + 8]
    icmp = ICMP(type=typ, code=code, nexthopmtu=nexthop_mtu) if typ == 3 and code == 4 else ICMP(type=typ, code=code)
    return w.eth() / IP(src=src, dst=NADDR) / icmp / Raw(q)


def s_icmp(w, n):
    c = Conn(w, ECHO)
    check("handshake with the echo service", c.open() is not None)
    # Data in flight from nstack: 1000 bytes echoed and not acknowledged
    # (one segment: Nagle holds anything smaller behind it).
    data = bytes(random.getrandbits(8) for _ in range(1000))
    m = w.mark()
    c.send_data(data)
    segs = c.receive(1000, ack_each=False, mark=m)
    check("1000 bytes echoed in one segment, left unacknowledged", [k for k, _ in segs] == [1000],
          str([k for k, _ in segs]))
    base = (c.rcv_nxt - 1000) % M32

    def reacted(p):
        # What an ICMP error believed would cause: a segment cut smaller
        # (path MTU) or a reset. The RTO may resend the 1000 bytes whole
        # meanwhile: that is not a reaction.
        return c.replies()(p) and ("R" in flags_of(p) or 0 < payload_len(p) < 1000)

    def quiet(name, pkt, counter):
        m = w.mark()
        w.send(pkt)
        w.barrier()
        r = w.since(m, reacted)
        check(name, r == [], describe(r))
        n.add(counter)

    wrong_port = IP(src=NADDR, dst=ME) / TCP(sport=ECHO, dport=(c.sport + 1) % 65536, seq=base)
    quiet("frag needed (MTU 576) quoting another port: ignored", icmp_about(w, 3, 4, wrong_port, 576),
          "icmp.rx_dest_unreach")
    wrong_host = IP(src=NADDR, dst="10.77.0.99") / TCP(sport=ECHO, dport=c.sport, seq=base)
    quiet("frag needed quoting another host: ignored", icmp_about(w, 3, 4, wrong_host, 576), "icmp.rx_dest_unreach")
    for name, seq in (("beyond SND.NXT", c.rcv_nxt + 5000), ("below SND.UNA", base - 5000),
                      ("at SND.NXT (nothing sent there)", c.rcv_nxt)):
        q = IP(src=NADDR, dst=ME) / TCP(sport=ECHO, dport=c.sport, seq=seq)
        quiet("RFC 5927 4.1: frag needed quoting a sequence number %s: ignored" % name,
              icmp_about(w, 3, 4, q, 576), "icmp.rx_dest_unreach")
    q = IP(src=NADDR, dst=ME) / TCP(sport=ECHO, dport=c.sport, seq=base)
    quiet("port unreachable quoting data in flight: a soft error, nothing sent",
          icmp_about(w, 3, 3, q), "icmp.rx_dest_unreach")
    quiet("time exceeded quoting data in flight: nothing sent", icmp_about(w, 11, 0, q), "icmp.rx_time_exceeded")
    trunc = w.eth() / IP(src=ME, dst=NADDR) / ICMP(type=3, code=4, nexthopmtu=576) / Raw(bytes(q)[:24])
    quiet("frag needed whose quote stops inside the TCP header: ignored", trunc, "icmp.rx_dest_unreach")

    # Positive control: quoting data in flight is believed (RFC 1191): the
    # 1000 bytes go again in segments of 576 - 40.
    m = w.mark()
    w.send(icmp_about(w, 3, 4, q, 576))
    n.add("icmp.rx_dest_unreach")
    time.sleep(0.3)
    r = w.since(m, reacted)
    sizes = [payload_len(p) for p in r]
    check("control: frag needed quoting data in flight: resent at once as 536 + 464 bytes",
          len(r) >= 2 and r[0][TCP].seq == base and sizes[:2] == [536, 464], describe(r))
    c.send(c.seg("A"))
    check("the connection still carries data", c.alive(b"after icmp"))
    c.receive(len(b"after icmp"))

    # The kernel's connection: errors quoting it with data not in flight.
    k = KernelConn(w, os.environ.get("ADV_KECHO", ""))
    if check("the kernel's echo connection is up", k.port is not None):
        check("kernel echo client paused", k.pause())
        snd, rcv = k.last_seen()
        for name, typ, code in (("frag needed (MTU 68)", 3, 4), ("port unreachable", 3, 3),
                                ("host unreachable", 3, 1), ("time exceeded", 11, 0)):
            q = IP(src=NADDR, dst=KADDR) / TCP(sport=ECHO, dport=k.port, seq=snd + 100000)
            m = w.mark()
            w.send(icmp_about(w, typ, code, q, 68))
            w.barrier()
            r = w.since(m, k.replies())
            check("kernel connection, %s quoting data never sent: nothing happens" % name, r == [], describe(r))
            n.add("icmp.rx_time_exceeded" if typ == 11 else "icmp.rx_dest_unreach")
        m = w.mark()
        k.resume()
        time.sleep(0.5)
        r = [p for p in w.since(m, k.replies()) if payload_len(p) > 0]
        check("kernel connection: still echoing in whole 1000-byte segments (path MTU untouched)",
              len(r) >= 3 and all(payload_len(p) == 1000 for p in r), describe(r[:5]))


# ---- fragments -----------------------------------------------------------------

def frags(pkt, pieces):
    """Fragments of pkt (an IP packet): pieces is a list of (offset, length,
    more-fragments) in bytes of its payload, sent in that order."""
    ip = pkt[IP]
    payload = bytes(ip.payload)
    hdr = ip.copy()
    hdr.remove_payload()
    out = []
    for off, ln, mf in pieces:
        h = hdr.copy()
        h.flags = "MF" if mf else 0
        h.frag = off // 8
        h.len = None
        h.chksum = None
        h.proto = ip.proto
        out.append(h / Raw(payload[off:off + ln]))
    return out


def echo_request(ident, size):
    body = bytes((i * 7 + ident) & 0xFF for i in range(size))
    # Built whole first, so the ICMP checksum covers the whole message.
    return IP(bytes(IP(src=ME, dst=NADDR, id=ident) / ICMP(type=8, id=ident, seq=1) / Raw(body)))


def answered(w, ident, pieces_list, size, timeout=6):
    """Sends the fragments; True if the echo reply comes back whole: its
    first fragment (ICMP type 0, our id), then size + 8 bytes of ICMP in
    all the fragments of its datagram (nstack fragments a reply too big)."""
    m = w.mark()
    for f in pieces_list:
        w.send(w.eth() / f)
    r = w.wait(m, lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == ident, timeout)
    if r is None:
        return False
    time.sleep(0.1)
    parts = w.since(m, lambda p: IP in p and p[IP].dst == ME and p[IP].proto == 1 and p[IP].id == r[IP].id)
    return sum(p[IP].len - p[IP].ihl * 4 for p in parts) == size + 8


def s_fragments(w, n):
    # 64 bytes of ICMP = 8-byte fragments (the smallest there are).
    pkt = echo_request(0x101, 56)
    check("tiny fragments: 8 fragments of 8 bytes reassemble, answered",
          answered(w, 0x101, frags(pkt, [(o, 8, o < 56) for o in range(0, 64, 8)]), 56))
    n.add("ip.frag_rx", 8)
    n.add("ip.reass_ok")
    pkt = echo_request(0x102, 56)
    check("the same, last fragment first and in reverse: answered",
          answered(w, 0x102, frags(pkt, [(o, 8, o < 56) for o in range(56, -8, -8)]), 56))
    n.add("ip.frag_rx", 8)
    n.add("ip.reass_ok")
    pkt = echo_request(0x103, 56)
    pieces = [(0, 32, True), (0, 32, True), (32, 32, False), (32, 32, False)]
    check("exact duplicate fragments: ignored, answered once",
          answered(w, 0x103, frags(pkt, pieces), 56))
    n.add("ip.frag_rx", 4)  # the fourth belongs to no datagram any more: a new partial one
    n.add("ip.reass_ok")

    # Overlaps (teardrop; RFC 1858 overlapping fragments): the datagram is dropped.
    for ident, name, pieces in ((0x201, "partial overlap (teardrop)", [(0, 32, True), (24, 40, False)]),
                                (0x202, "overlap rewriting the start", [(8, 56, False), (0, 16, True)]),
                                (0x203, "same offset, other length", [(0, 16, True), (0, 24, True), (24, 40, False)]),
                                (0x204, "two different last fragments", [(32, 32, False), (40, 24, False), (0, 32, True)])):
        pkt = echo_request(ident, 56)
        m = w.mark()
        for f in frags(pkt, pieces):
            w.send(w.eth() / f)
        w.barrier()
        r = w.since(m, lambda p: ICMP in p and p[ICMP].id == ident)
        check("%s: the datagram is dropped, no answer" % name, r == [], describe(r))
        n.add("ip.reass_overlap")
    n.add("ip.frag_rx", 2 + 2 + 3 + 3)
    # Fragments that cannot be part of any datagram.
    pkt = echo_request(0x301, 56)
    bad = frags(pkt, [(0, 20, True)])[0]  # MF with a length not a multiple of 8
    far = IP(src=ME, dst=NADDR, id=0x302, proto=1, frag=8189, flags=0) / Raw(b"x" * 100)  # ends past 65535
    for name, f in (("MF fragment of 20 bytes (not a multiple of 8)", bad), ("fragment ending past 65535", far)):
        silent_frame(w, name, w.eth() / f, "ip.reass_bad", n, times=1)
    n.add("ip.frag_rx", 2)

    # A TCP SYN cut into 8-byte fragments (RFC 1858's tiny fragments: the
    # flags are not in the first): reassembled, it is answered.
    syn = IP(bytes(IP(src=ME, dst=NADDR, id=0x401) / TCP(sport=4500, dport=DISCARD, flags="S", seq=1,
                                                            options=[("MSS", 1460)])))
    m = w.mark()
    for f in frags(syn, [(0, 8, True), (8, 8, True), (16, 8, False)]):
        w.send(w.eth() / f)
    r = w.wait(m, tcp_from(DISCARD, 4500), 2)
    check("a SYN in three 8-byte fragments: SYN-ACK", r is not None and flags_of(r) == "SA")
    n.add("ip.frag_rx", 3)
    n.add("ip.reass_ok")
    w.send(w.eth() / IP(src=ME, dst=NADDR) / TCP(sport=4500, dport=DISCARD, flags="R", seq=2))
    n.add("tcp.rx_resets")
    # UDP: a 3000-byte datagram in three fragments is echoed (nstack fragments its reply).
    udp = IP(bytes(IP(src=ME, dst=NADDR, id=0x402) / UDP(sport=4501, dport=ECHO) / Raw(b"u" * 3000)))
    m = w.mark()
    for f in frags(udp, [(0, 1480, True), (1480, 1480, True), (2960, 48, False)]):
        w.send(w.eth() / f)
    time.sleep(0.5)
    r = w.since(m, lambda p: IP in p and p[IP].dst == ME and p[IP].proto == 17)
    check("3000 bytes of UDP in 3 fragments: echoed in 3 fragments",
          len(r) == 3 and sum(len(p[IP].payload) for p in r) == 3008, describe(r))
    n.add("ip.frag_rx", 3)
    n.add("ip.reass_ok")
    n.add("udp.rx_datagrams")
    n.add("ip.frag_created", 3)

    # More than 128 fragments for one datagram: it is dropped (REASS_MAX_FRAGS).
    big = IP(bytes(IP(src=ME, dst=NADDR, id=0x501) / ICMP(type=8, id=0x501) / Raw(b"t" * 1592)))
    pieces = [(o, 8, True) for o in range(0, 1600, 8)]
    m = w.mark()
    for f in frags(big, pieces):
        w.send(w.eth() / f)
    w.barrier()
    check("200 tiny fragments of one datagram: dropped after 128, no answer",
          w.since(m, lambda p: ICMP in p and p[ICMP].id == 0x501) == [])
    n.add("ip.frag_rx", 200)
    n.add("ip.reass_bad")   # the 129th drops the datagram; the rest (71) start a new one
    # Fragment flood: 3000 first fragments of datagrams never completed, from
    # 3000 ids, as fast as they go. Held memory is bounded (64 datagrams,
    # 256 KiB): the oldest are dropped, counted.
    t0 = time.monotonic()
    raw = []
    for i in range(3000):
        f = IP(src=ME, dst=NADDR, id=(0x1000 + i) & 0xFFFF, proto=1, flags="MF") / Raw(b"f" * 1000)
        raw.append(bytes(w.eth() / f))
    for i, b in enumerate(raw):
        w.send_raw(b)
        if i % 200 == 199:
            time.sleep(0.02)  # the TAP queue holds 1000 frames
    dt = time.monotonic() - t0
    check("fragment flood: 3000 partial datagrams sent in %.1f s" % dt, True)
    n.add("ip.frag_rx", 3000)
    expect_counter("ip.reass_mem_drops", ">=", 3000 - 64 + 71 // 64)
    # A legitimate fragmented ping still gets through.
    pkt = echo_request(0x601, 2000)
    check("after the flood, a fragmented 2000-byte ping is answered",
          answered(w, 0x601, frags(pkt, [(0, 1480, True), (1480, 528, False)]), 2000, timeout=8))
    n.add("ip.frag_rx", 2)
    n.add("ip.reass_ok")
    n.add("ip.frag_created", 2)  # the reply: 2008 bytes of ICMP in 1480 + 528


# ---- SYN flood -------------------------------------------------------------

def s_synflood(w, n):
    count = int(os.environ.get("ADV_SYNS", "20000"))
    budget = float(os.environ.get("ADV_SYN_SECONDS", "20"))
    rate = count / (budget * 0.6)  # paced: the TAP queue holds 1000 frames
    rng = random.Random(11)
    frames = []
    for i in range(count):
        # Off-link sources (198.18.0.0/15, RFC 2544's benchmark range): the
        # SYN-ACKs go to the gateway, the kernel, which drops them (no
        # forwarding). One in ten on-link (10.77.0.100-199): nstack ARPs for
        # them, nobody answers: the ARP queue limit is tested too.
        if i % 10 == 9:
            src = "10.77.0.%d" % rng.randint(100, 199)
        else:
            src = "198.%d.%d.%d" % (rng.randint(18, 19), rng.randint(0, 255), rng.randint(1, 254))
        frames.append(syn_frame(MYMAC, NMAC, src, NADDR, rng.randint(1024, 65535), ECHO, rng.getrandbits(32)))
    open(os.environ.get("ADV_FLOOD_STATUS", "/dev/null"), "w").write("flooding\n")
    t0 = time.monotonic()
    for i, f in enumerate(frames):
        w.send_raw(f)
        if i % 100 == 99:
            ahead = (i + 1) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    dt = time.monotonic() - t0
    open(os.environ.get("ADV_FLOOD_STATUS", "/dev/null"), "a").write("done\n")
    check("%d spoofed SYNs sent in %.1f s (<= %g s)" % (count, dt, budget), dt <= budget)
    print("flood: %d SYNs in %.2f s, %.0f SYNs/s" % (count, dt, count / dt))
    expect_counter("link.rx_frames", ">=", count)


# ---- known failure: TS.Recent moved by a segment RFC 5961 drops ------------

def kecho_bytes(status):
    lines = [l for l in open(status).read().split("\n") if l.startswith("bytes ")]
    return int(lines[-1].split()[1]) if lines else 0


def s_tsrecent(w, n):
    """RFC 5961 5.2 says a segment whose ACK is unacceptable is discarded;
    RFC 7323 5.3's R3 (update TS.Recent) must then not have happened, or
    one blind segment at RCV.NXT with a TSval far ahead poisons TS.Recent
    and every later segment of the real peer fails PAWS (Linux updates
    TS.Recent only once the ACK is accepted: tcp_ack's
    FLAG_UPDATE_TS_RECENT)."""
    k = KernelConn(w, os.environ.get("ADV_KECHO", ""))
    if not check("the kernel's echo connection is up", k.port is not None):
        return
    check("kernel echo client paused", k.pause())
    snd, rcv = k.last_seen()
    check("the kernel's connection uses timestamps", k.ts is not None)
    m = w.mark()
    w.send(k.seg("PA", rcv, snd + 2**30, b"EVIL" * 10, ts_ahead=2**30))
    w.barrier()
    r = w.since(m, k.replies())
    ok = len(r) == 1 and flags_of(r[0]) == "A" and r[0][TCP].seq == snd and r[0][TCP].ack == rcv
    check("blind data at RCV.NXT, ACK never sent, TSval 2^30 ahead: one challenge ACK", ok, describe(r))
    before = kecho_bytes(k.status)
    k.resume()
    time.sleep(2)
    after = kecho_bytes(k.status)
    check("the kernel's connection still moves data afterwards (%d bytes in 2 s)" % (after - before),
          after - before >= 10000)
    expect_counter("tcp.paws_drops", "==", 0)


SCENARIOS = {"rfc5961": s_rfc5961, "flags": s_flags, "options": s_options, "checksums": s_checksums,
             "icmp": s_icmp, "fragments": s_fragments, "synflood": s_synflood,
             "tsrecent": s_tsrecent}
SCENARIOS.update(attacks_ip6.SCENARIOS)


def main():
    names = sys.argv[1:]
    if not names or any(s not in SCENARIOS for s in names):
        print(__doc__)
        sys.exit(2)
    ip6 = any(s.startswith("ip6_") for s in names)
    w = (attacks_ip6.Wire6 if ip6 else Wire)(me_addrs=(ME,))
    n = Counts()
    try:
        for s in names:
            print("== %s" % s, flush=True)
            SCENARIOS[s](w, n)
    finally:
        w.close()
    n.expect_all()
    finish()


if __name__ == "__main__":
    main()
