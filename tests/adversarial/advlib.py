"""Shared by the adversarial scenarios (tests/adversarial/attacks.py).

The wire: nstack serve runs on a TAP device in a private namespace; this
process writes crafted frames into the kernel side of the TAP (Scapy, an
AF_PACKET socket) and collects every frame nstack sends with an
AsyncSniffer. It plays a host of its own, ME (10.77.0.3, a MAC the kernel
does not have), and answers nstack's ARP requests for it, so the kernel never
sees these conversations: frames to ME are addressed to a MAC that is not
the kernel's and die in its input path (no kernel RST gets in).

Results are printed as "ok   NAME" / "FAIL NAME (why)". Counter
expectations go to a file (one "expect LAYER.NAME OP N" per line): the shell
test checks them against nstack serve's counters once it has exited.
"""
import os
import random
import socket
import struct
import sys
import threading
import time

from scapy.all import ARP, ICMP, IP, TCP, UDP, AsyncSniffer, Ether, Raw, conf  # noqa: F401

conf.verb = 0

IFACE = os.environ.get("ADV_TAP", "tap0")
NADDR = os.environ.get("ADV_NADDR", "10.77.0.2")
KADDR = os.environ.get("ADV_KADDR", "10.77.0.1")
ME = "10.77.0.3"
MYMAC = "02:00:0a:4d:00:03"


def mac_of_nstack(addr):
    # nstack serve's default MAC: 02:6e and the four address bytes.
    return "02:6e:" + ":".join("%02x" % int(b) for b in addr.split("."))


NMAC = mac_of_nstack(NADDR)

passed = 0
failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name, flush=True)
    else:
        failed += 1
        print("FAIL %s%s" % (name, " (%s)" % why if why else ""), flush=True)
    return cond


def finish():
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(0 if failed == 0 else 1)


_expect_file = None


def expect_counter(name, op, value):
    """Records that nstack's counter NAME (layer.name) must satisfy OP VALUE
    (==, >=, <=) at exit; the shell test checks it."""
    global _expect_file
    if _expect_file is None:
        _expect_file = open(os.environ.get("ADV_EXPECT", "/dev/null"), "a")
    _expect_file.write("expect %s %s %d\n" % (name, op, value))
    _expect_file.flush()


def expect_serve_line(regex):
    """Records that nstack serve's output must have a line matching regex."""
    global _expect_file
    if _expect_file is None:
        _expect_file = open(os.environ.get("ADV_EXPECT", "/dev/null"), "a")
    _expect_file.write("line %s\n" % regex)
    _expect_file.flush()


class Wire:
    """The TAP's kernel side: send frames, collect nstack's."""

    # A BPF filter (libpcap syntax) for the sniffer, or None: every frame
    # is dissected, ours included (the IPv4 scenarios read the kernel's).
    bpf = None

    def __init__(self, me_addrs=(ME,)):
        self.me = set(me_addrs)
        self.frames = []          # every frame from nstack, in order
        self.kframes = []         # every frame the kernel sent nstack, in order
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.l2 = conf.L2socket(iface=IFACE)
        self.raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.raw.bind((IFACE, 0))
        self.ping_id = 0x4100
        started = threading.Event()
        self.sniffer = AsyncSniffer(iface=IFACE, store=False, prn=self._on_frame, filter=self.bpf,
                                    lfilter=lambda p: Ether in p and (p[Ether].src == NMAC or (
                                        p[Ether].dst == NMAC and p[Ether].src != MYMAC)),
                                    started_callback=started.set)
        self.sniffer.start()
        started.wait(5)
        time.sleep(0.2)

    def _on_frame(self, p):
        if p[Ether].src != NMAC:
            with self.lock:
                self.kframes.append(p)
            return
        if ARP in p and p[ARP].op == 1 and p[ARP].pdst in self.me:
            # nstack resolving one of our addresses: answer as that host.
            self.send(Ether(src=MYMAC, dst=p[Ether].src) /
                      ARP(op=2, hwsrc=MYMAC, psrc=p[ARP].pdst, hwdst=p[ARP].hwsrc, pdst=p[ARP].psrc))
            return
        with self.cv:
            self.frames.append(p)
            self.cv.notify_all()

    def close(self):
        self.sniffer.stop()
        self.l2.close()
        self.raw.close()

    def send(self, pkt):
        self.l2.send(pkt)

    def send_raw(self, frame):
        self.raw.send(frame)

    def mark(self):
        with self.lock:
            return len(self.frames)

    def since(self, mark, pred=lambda p: True):
        with self.lock:
            return [p for p in self.frames[mark:] if pred(p)]

    def wait(self, mark, pred, timeout=2.0):
        """The first frame from `mark` on that satisfies pred, or None."""
        r = self.wait_at(mark, pred, timeout)
        return r[1] if r else None

    def wait_at(self, mark, pred, timeout=2.0):
        """(index, frame) of the first frame from `mark` on that satisfies
        pred, or None after timeout seconds."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(mark, len(self.frames)):
                    if pred(self.frames[i]):
                        return i, self.frames[i]
                mark = len(self.frames)
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def eth(self, **kw):
        return Ether(src=MYMAC, dst=NMAC, **kw)

    def barrier(self, timeout=3.0):
        """An echo request to nstack and its reply: nstack handles frames in
        order, so whatever it answers to the frames sent before is out
        before this reply (a deferred answer would need a timer). Returns
        True if the reply came."""
        self.ping_id += 1
        pid = self.ping_id
        m = self.mark()
        self.send(self.eth() / IP(src=ME, dst=NADDR) / ICMP(type=8, id=pid, seq=1) / Raw(b"barrier"))
        r = self.wait(m, lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == pid, timeout)
        time.sleep(0.05)
        return r is not None


def tcp_from(sport, dport, src=None):
    """Predicate: a TCP segment nstack sent from port sport to dport."""
    def pred(p):
        return (TCP in p and p[TCP].sport == sport and p[TCP].dport == dport and
                (src is None or p[IP].dst == src))
    return pred


def flags_of(p):
    return str(p[TCP].flags)


def payload_len(p):
    """TCP payload length from the IP header (Scapy counts Ethernet padding in)."""
    if TCP not in p:
        return 0
    return p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4


def raw_opts_seg(conn, flags, opts, data=b"", **kw):
    """A segment whose option bytes are given raw (Scapy's option list cannot
    express illegal lengths): the data offset covers them, padded to 4."""
    opts = bytes(opts)
    opts += b"\0" * (-len(opts) % 4)
    p = conn.seg(flags, **kw)
    p[TCP].dataofs = 5 + len(opts) // 4
    return p / Raw(opts + data)


class Conn:
    """A TCP connection from ME, driven segment by segment."""

    def __init__(self, w, dport, sport=None, isn=None, src=ME):
        self.w = w
        self.dport = dport
        self.sport = sport or random.randint(20000, 60000)
        self.isn = random.randint(0, 2**32 - 1) if isn is None else isn
        self.src = src
        self.snd_nxt = self.isn
        self.rcv_nxt = None
        self.peer_isn = None
        self.window = 65535

    def ip(self, **kw):
        return IP(src=self.src, dst=NADDR, **kw)

    def seg(self, flags, seq=None, ack=None, data=b"", window=None, options=None, **kw):
        t = TCP(sport=self.sport, dport=self.dport, flags=flags,
                seq=self.snd_nxt if seq is None else seq % 2**32,
                ack=(self.rcv_nxt or 0) if ack is None else ack % 2**32,
                window=self.window if window is None else window, options=options or [], **kw)
        p = self.w.eth() / self.ip() / t
        if data:
            p = p / Raw(data)
        return p

    def replies(self):
        return tcp_from(self.dport, self.sport, self.src)

    def send(self, pkt):
        self.w.send(pkt)

    def open(self, options=(("MSS", 1460), ("SAckOK", b""), ("WScale", 7)), window=65535):
        """The handshake; returns the SYN-ACK or None."""
        m = self.w.mark()
        self.send(self.seg("S", seq=self.isn, ack=0, window=window, options=list(options)))
        sa = self.w.wait(m, lambda p: self.replies()(p) and flags_of(p) == "SA", 3)
        if sa is None:
            return None
        self.peer_isn = sa[TCP].seq
        self.snd_nxt = (self.isn + 1) % 2**32
        self.rcv_nxt = (sa[TCP].seq + 1) % 2**32
        self.send(self.seg("A"))
        return sa

    def send_data(self, data, flags="PA"):
        p = self.seg(flags, data=data)
        self.snd_nxt = (self.snd_nxt + len(data)) % 2**32
        self.send(p)

    def alive(self, data=b"still here"):
        """Sends data in order; True if nstack acknowledges it."""
        m = self.w.mark()
        self.send_data(data)
        want = self.snd_nxt
        return self.w.wait(m, lambda p: self.replies()(p) and "A" in flags_of(p) and
                           p[TCP].ack == want, 3) is not None

    def receive(self, nbytes, timeout=5.0, ack_each=True, window=None, mark=None):
        """Collects nbytes of in-order data from nstack, acknowledging each
        segment (window: the field to put in those ACKs), looking at frames
        from `mark` on (default: from now). Returns the list of (segment
        length, bytes) in arrival order, duplicates skipped."""
        got, segs = 0, []
        m = self.w.mark() if mark is None else mark
        end = time.monotonic() + timeout
        while got < nbytes and time.monotonic() < end:
            r = self.w.wait_at(m, lambda q: self.replies()(q) and payload_len(q) > 0, end - time.monotonic())
            if r is None:
                break
            m, p = r[0] + 1, r[1]
            n = payload_len(p)
            if p[TCP].seq != self.rcv_nxt:
                continue
            data = bytes(p[TCP].payload)[:n]
            segs.append((n, data))
            got += n
            self.rcv_nxt = (self.rcv_nxt + n) % 2**32
            if ack_each:
                self.send(self.seg("A", window=window))
        return segs

    def close_rst(self):
        self.send(self.seg("R", ack=0))


def ipv4_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_bytes(src, dst, proto, payload, options=b"", ident=1):
    """An IPv4 datagram as bytes with the options given raw (Scapy would
    fix illegal ones) and a correct header checksum."""
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + options
    return h[:10] + struct.pack("!H", ipv4_checksum(h)) + h[12:] + payload


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def syn_frame(src_mac, dst_mac, src, dst, sport, dport, seq):
    """A bare SYN (MSS 1460) as bytes, built by hand: the flood needs
    thousands per second, faster than Scapy assembles them."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 6 << 4, 0x02, 65535, 0, 0) + b"\x02\x04\x05\xb4"
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", ipv4_checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.randint(0, 65535), 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00" + ip + tcp
