"""IPv6 bad input against nstack serve on a TAP (attacks.py runs these; see
advlib.py for the wire). nstack has the static address NADDR6; this process
plays hosts of its own on the link, ME6 and a fresh address per probe that
must draw an ICMPv6 error (nstack limits errors per destination, RFC 4443
2.4 (f): six in a burst, then one a second), and answers nstack's Neighbor
Solicitations for them (as advlib answers ARP for ME).

Packets are built as bytes (struct), not with Scapy's layers: Scapy
repairs what these tests break (lengths, option padding, next headers).
nstack's answers are read with Scapy's dissectors.

  ip6_ext    extension-header chains: too long, Hop-by-Hop not first, a
             routing header of type 0 (with and without segments left),
             unknown options by their action bits, an unknown next header
  ip6_frag   atomic fragments (RFC 6946), overlapping fragments (RFC 5722),
             a first fragment without the upper-layer header (RFC 7112),
             bad fragment lengths and offsets, 3000 datagrams never
             completed (the reassembly bounds), and one left to time out
             (Time Exceeded code 1 after 60 s, checked last)
  ip6_nd     Neighbor Discovery with hop limit 254, a multicast target, bad
             options and codes
  ip6_icmp   ICMPv6 errors quoting packets that are not ours
  ip6_flood  2000 Router Advertisements from random routers with random
             prefixes; 2000 Neighbor Solicitations for random targets and
             1000 from random neighbours (the shell test checks the
             bounds with `nstack ip` over the control socket)
"""
import os
import random
import socket
import struct
import time

from advlib import MYMAC, NMAC, Wire, check, expect_counter, ipv4_checksum, mac_bytes
from scapy.all import Ether
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6ParamProblem,  # noqa: F401
                                ICMPv6TimeExceeded, IPv6)

NADDR6 = os.environ.get("ADV_NADDR6", "2001:db8:77::2")
PREFIX6 = NADDR6.rsplit(":", 1)[0] + ":"   # 2001:db8:77::
ME6 = PREFIX6 + "3"
# The addresses this process answers Neighbor Solicitations for (never
# the kernel's: its own replies must reach it).
OURS = {ME6}

NH_HOP, NH_TCP, NH_RT, NH_FRAG, NH_ICMP6, NH_NONE, NH_DST = 0, 6, 43, 44, 58, 59, 60


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def s6(b):
    return socket.inet_ntop(socket.AF_INET6, b)


def csum6(src, dst, nh, payload):
    """RFC 8200 8.1: the checksum over the pseudo-header and payload."""
    return ipv4_checksum(a6(src) + a6(dst) + struct.pack("!IxxxB", len(payload), nh) + payload)


def icmp6(src, dst, typ, code, body):
    m = struct.pack("!BBH", typ, code, 0) + body
    return m[:2] + struct.pack("!H", csum6(src, dst, NH_ICMP6, m)) + m[4:]


def echo(ident, src, dst=NADDR6, data=b"nstack ip6 bad input"):
    return icmp6(src, dst, 128, 0, struct.pack("!HH", ident, 1) + data)


def ip6(nh, payload, src, dst=NADDR6, hlim=64, plen=None):
    return (struct.pack("!IHBB", 6 << 28, len(payload) if plen is None else plen, nh, hlim) +
            a6(src) + a6(dst) + payload)


def mcast_mac(dst):
    return "33:33:" + ":".join("%02x" % b for b in a6(dst)[12:])


def frame(pkt, dst_mac=NMAC, src_mac=MYMAC):
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x86\xdd" + pkt


def ext(nh, body):
    """An options or routing header: Next Header, Hdr Ext Len, body (padded
    with Pad1 options to a multiple of 8 octets)."""
    body += b"\0" * (-(len(body) + 2) % 8)
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


def frag_hdr(nh, off, more, ident):
    return struct.pack("!BBHI", nh, 0, (off & 0xFFF8) | (1 if more else 0), ident)


def lladdr_opt(typ, mac):
    return bytes([typ, 1]) + mac_bytes(mac)


class Wire6(Wire):
    """advlib's Wire, answering nstack's Neighbor Solicitations for our
    addresses (OURS) with our MAC. Only nstack's frames are sniffed (a
    kernel filter): Scapy dissects a few thousand frames a second, and the
    floods' own frames would put the sniffer seconds behind."""

    bpf = "ether src " + NMAC

    def _on_frame(self, p):
        if p[Ether].src == NMAC and ICMPv6ND_NS in p:
            t = p[ICMPv6ND_NS].tgt
            if s6(a6(t)) in OURS and p[IPv6].src != "::":
                na = icmp6(t, p[IPv6].src, 136, 0, struct.pack("!I", 0x60000000) + a6(t) + lladdr_opt(2, MYMAC))
                self.send_raw(frame(ip6(NH_ICMP6, na, t, p[IPv6].src, hlim=255), dst_mac=p[Ether].src))
                return
        super()._on_frame(p)


_probe = [0x20]


def fresh_src():
    """A source address of ours not used before: its own ICMPv6 error budget."""
    _probe[0] += 1
    a = PREFIX6 + "%x" % _probe[0]
    OURS.add(a)
    return a


_ident = [0x6100]


def next_ident():
    _ident[0] += 1
    return _ident[0]


def to_us(src):
    return lambda p: IPv6 in p and p[IPv6].dst == src


def is_reply(ident):
    return lambda p: ICMPv6EchoReply in p and p[ICMPv6EchoReply].id == ident


def barrier6(w, timeout=3.0):
    """An echo request from ME6 and its reply: what nstack answers to the
    packets sent before is out before it (see advlib's Wire.barrier)."""
    ident = next_ident()
    m = w.mark()
    w.send_raw(frame(ip6(NH_ICMP6, echo(ident, ME6), ME6)))
    r = w.wait(m, is_reply(ident), timeout)
    time.sleep(0.05)
    return r is not None


def blast(w, frames, batch=100):
    """Sends frames as fast as they go, a barrier after each batch: the
    TAP's queue (1000 frames) never overflows, so every frame reaches
    nstack and the counters can be exact. False if a barrier failed."""
    ok = True
    for i in range(0, len(frames), batch):
        for f in frames[i:i + batch]:
            w.send_raw(f)
        ok = barrier6(w, 6) and ok
    return ok


def describe6(frames):
    return ", ".join(p.summary() for p in frames) or "nothing"


def silent(w, name, pkt, src):
    """Sends pkt (from src); nothing may come back to src but Neighbor
    Discovery (nstack resolving src's address)."""
    m = w.mark()
    w.send_raw(frame(pkt))
    barrier6(w)
    got = [p for p in w.since(m, to_us(src)) if p[IPv6].nh != NH_ICMP6 or p.lastlayer().name not in (
        "ICMPv6 Neighbor Discovery - Neighbor Solicitation", "ICMPv6 Neighbor Discovery - Neighbor Advertisement")]
    got = [p for p in got if not (src == ME6 and ICMPv6EchoReply in p)]
    check(name + ": dropped, no answer", not got, describe6(got))


def answered(w, name, pkt, ident, timeout=3.0):
    m = w.mark()
    w.send_raw(frame(pkt))
    check(name + ": answered", w.wait(m, is_reply(ident), timeout) is not None)


def param_problem(w, name, pkt, src, code, ptr):
    """Sends pkt; nstack must answer Parameter Problem CODE/POINTER quoting it."""
    m = w.mark()
    w.send_raw(frame(pkt))
    r = w.wait(m, lambda p: to_us(src)(p) and ICMPv6ParamProblem in p, 3)
    got = "nothing" if r is None else "code %d pointer %d" % (r[ICMPv6ParamProblem].code, r[ICMPv6ParamProblem].ptr)
    check("%s: Parameter Problem code %d pointer %d (got %s)" % (name, code, ptr, got),
          r is not None and r[ICMPv6ParamProblem].code == code and r[ICMPv6ParamProblem].ptr == ptr)
    if r is not None:
        quoted = bytes(r[ICMPv6ParamProblem].payload)
        check(name + ": the error quotes the packet (first 48 bytes)", quoted[:48] == pkt[:48])
    return r


# ---- extension headers ------------------------------------------------------------

def s_ext(w, n):
    # The run may begin while nstack's address is still under DAD (RFC 4862
    # 5.4: a tentative address receives nothing): asked again each second.
    check("nstack answers ME6's ping (ND for us answered)", any(barrier6(w, 1) for _ in range(8)))
    # RFC 8200 4.1: Hop-by-Hop only right after the fixed header; elsewhere
    # its Next Header value is unrecognised: code 1, pointing at the field
    # that named it (the Destination Options header's first byte, 40).
    src = fresh_src()
    ident = next_ident()
    pkt = ip6(NH_DST, ext(NH_HOP, b"") + ext(NH_ICMP6, b"") + echo(ident, src), src)
    param_problem(w, "Hop-by-Hop after Destination Options", pkt, src, 1, 40)
    n.add("ip6.drop_bad_ext")
    n.add("icmp6.tx_param_problem")
    # Hop-by-Hop first is fine.
    ident = next_ident()
    answered(w, "Hop-by-Hop first, then the echo request",
             ip6(NH_HOP, ext(NH_ICMP6, b"") + echo(ident, ME6), ME6), ident)
    # RFC 5095 / RFC 8200 4.4: type 0 with segments left: code 0 at the
    # Routing Type (40 + 2); with none left it is skipped.
    src = fresh_src()
    rh0 = ext(NH_ICMP6, bytes([0, 1]) + b"\0" * 4 + a6(PREFIX6 + "99"))
    param_problem(w, "routing header type 0, one segment left", ip6(NH_RT, rh0 + echo(next_ident(), src), src),
                  src, 0, 42)
    n.add("ip6.drop_routing_header")
    n.add("icmp6.tx_param_problem")
    ident = next_ident()
    rh0_done = ext(NH_ICMP6, bytes([0, 0]) + b"\0" * 4 + a6(PREFIX6 + "99"))
    answered(w, "routing header type 0, no segment left (ignored)", ip6(NH_RT, rh0_done + echo(ident, ME6), ME6),
             ident)
    # Chains: 8 extension headers are walked, a 9th is too many (silently).
    ident = next_ident()
    chain = b"".join(ext(NH_DST, b"") for _ in range(7)) + ext(NH_ICMP6, b"")
    answered(w, "8 Destination Options headers", ip6(NH_DST, chain + echo(ident, ME6), ME6), ident)
    chain = b"".join(ext(NH_DST, b"") for _ in range(8)) + ext(NH_ICMP6, b"")
    silent(w, "9 Destination Options headers", ip6(NH_DST, chain + echo(next_ident(), ME6), ME6), ME6)
    chain = b"".join(ext(NH_DST, b"") for _ in range(150)) + ext(NH_ICMP6, b"")
    silent(w, "150 Destination Options headers", ip6(NH_DST, chain + echo(next_ident(), ME6), ME6), ME6)
    n.add("ip6.drop_too_many_ext", 2)
    # RFC 8200 4.2: an unknown option's two high bits say what to do.
    ident = next_ident()
    answered(w, "unknown option 00 (skip)",
             ip6(NH_DST, ext(NH_ICMP6, bytes([0x1e, 2, 0, 0])) + echo(ident, ME6), ME6), ident)
    silent(w, "unknown option 01 (discard)",
           ip6(NH_DST, ext(NH_ICMP6, bytes([0x5e, 2, 0, 0])) + echo(next_ident(), ME6), ME6), ME6)
    src = fresh_src()
    param_problem(w, "unknown option 10 (discard, Parameter Problem)",
                  ip6(NH_DST, ext(NH_ICMP6, bytes([0x9e, 2, 0, 0])) + echo(next_ident(), src), src), src, 2, 42)
    src = fresh_src()
    param_problem(w, "unknown option 11 to a unicast address",
                  ip6(NH_DST, ext(NH_ICMP6, bytes([0xde, 2, 0, 0])) + echo(next_ident(), src), src), src, 2, 42)
    # 11 to a multicast address: no error (RFC 8200 4.2; RFC 4443 2.4 (e.3)).
    silent(w, "unknown option 11 to all-nodes",
           ip6(NH_DST, ext(NH_ICMP6, bytes([0xde, 2, 0, 0])) + echo(next_ident(), ME6, "ff02::1"), ME6, "ff02::1"),
           ME6)
    n.add("ip6.drop_bad_ext", 4)
    n.add("icmp6.tx_param_problem", 2)
    # An option running past its header: code 0 at its length (42 + 1).
    src = fresh_src()
    param_problem(w, "an option longer than its header",
                  ip6(NH_DST, ext(NH_ICMP6, bytes([0x1e, 40])) + echo(next_ident(), src), src), src, 0, 43)
    n.add("ip6.drop_bad_ext")
    n.add("icmp6.tx_param_problem")
    # RFC 8200 4: an unknown Next Header: code 1 at the fixed header's byte 6.
    src = fresh_src()
    param_problem(w, "next header 253", ip6(253, b"\0" * 16, src), src, 1, 6)
    n.add("ip6.drop_unknown_next_header")
    n.add("icmp6.tx_param_problem")


# ---- fragments ---------------------------------------------------------------------

def frags6(src, ident, payload, pieces, nh=NH_ICMP6):
    """Fragments of payload (the upper-layer bytes) as IPv6 packets:
    pieces is a list of (offset, length, more)."""
    return [ip6(NH_FRAG, frag_hdr(nh, off, more, ident) + payload[off:off + ln], src)
            for off, ln, more in pieces]


def s_frag(w, n):
    # RFC 6946: an atomic fragment (offset 0, M clear) is processed alone.
    ident = next_ident()
    answered(w, "atomic fragment", ip6(NH_FRAG, frag_hdr(NH_ICMP6, 0, False, 0xa70) + echo(ident, ME6), ME6), ident)
    n.add("ip6.frag_atomic")
    # The same identification as a datagram being reassembled: still alone.
    ident = next_ident()
    body = echo(ident, ME6, data=bytes(range(200)))
    first = frags6(ME6, 0xa71, body, [(0, 64, True)])
    for f in first:
        w.send_raw(frame(f))
    ident2 = next_ident()
    answered(w, "atomic fragment with the identification of a partial datagram",
             ip6(NH_FRAG, frag_hdr(NH_ICMP6, 0, False, 0xa71) + echo(ident2, ME6), ME6), ident2)
    n.add("ip6.frag_atomic")
    answered(w, "... and that datagram still completes",
             frags6(ME6, 0xa71, body, [(64, len(body) - 64, False)])[0], ident)
    n.add("ip6.frag_rx", 2)
    n.add("ip6.reass_ok")
    # RFC 5722: overlapping fragments: the whole datagram goes, silently.
    ident = next_ident()
    body = echo(ident, ME6, data=bytes(200))
    m = w.mark()
    for f in frags6(ME6, 0xa72, body, [(0, 64, True), (56, len(body) - 56, False)]):
        w.send_raw(frame(f))
    barrier6(w)
    check("overlapping fragments (RFC 5722): not reassembled",
          not w.since(m, is_reply(ident)))
    n.add("ip6.frag_rx", 2)
    n.add("ip6.reass_overlap")
    # RFC 7112: a first fragment must hold the whole chain and the upper
    # header: Parameter Problem code 3, pointer 0.
    src = fresh_src()
    first = ip6(NH_FRAG, frag_hdr(NH_DST, 0, True, 0xa73) + ext(NH_ICMP6, b""), src)
    param_problem(w, "first fragment without the upper-layer header (RFC 7112)", first, src, 3, 0)
    n.add("ip6.drop_frag_chain")
    n.add("icmp6.tx_param_problem")
    # RFC 8200 4.5: M set and a length not a multiple of 8: code 0 at the
    # Payload Length (4); offset + length past 65535: code 0 at the
    # Fragment Offset (42).
    src = fresh_src()
    param_problem(w, "fragment of 13 bytes with M set",
                  ip6(NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0xa74) + echo(next_ident(), src)[:13], src), src, 0, 4)
    src = fresh_src()
    param_problem(w, "fragment ending past 65535",
                  ip6(NH_FRAG, frag_hdr(NH_ICMP6, 65528, False, 0xa75) + bytes(16), src), src, 0, 42)
    n.add("ip6.drop_bad_ext", 2)
    n.add("icmp6.tx_param_problem", 2)
    # 3000 datagrams never completed, 1 KiB first fragments: bounded by
    # datagrams (64) and bytes (256 KiB), the oldest going first.
    pkts = []
    for i in range(3000):
        src = PREFIX6 + "1:%x" % (i + 1)
        body = echo(0x7000 + i % 1000, src, data=bytes(2000))
        pkts.append(frame(frags6(src, 0xb0000 + i, body, [(0, 1024, True)])[0]))
    t0 = time.monotonic()
    ok = blast(w, pkts)
    check("3000 never-completed datagrams: nstack answers all along (%.1f s)" % (time.monotonic() - t0), ok)
    n.add("ip6.frag_rx", 3000)
    # Each new datagram past the bound (64) pushes the oldest out.
    expect_counter("ip6.reass_mem_drops", ">=", 3000 - 64)
    expect_counter("ip6.reass_mem_drops", "<=", 3000)
    ident = next_ident()
    body = echo(ident, ME6, data=bytes(3000))
    m = w.mark()
    for f in frags6(ME6, 0xa76, body, [(0, 1448, True), (1448, 1448, True), (2896, len(body) - 2896, False)]):
        w.send_raw(frame(f))
    check("after the flood a fragmented echo request still reassembles",
          w.wait(m, is_reply(ident), 3) is not None)
    n.add("ip6.frag_rx", 3)
    n.add("ip6.reass_ok")
    # One datagram left incomplete: after 60 s nstack gives up and, having
    # its first fragment, says so (RFC 8200 4.5: Time Exceeded code 1).
    # Checked at the end of the run (see s_timeout).
    global timeout_probe
    src = fresh_src()
    body = echo(next_ident(), src, data=bytes(200))
    timeout_probe = (src, w.mark(), time.monotonic())
    w.send_raw(frame(frags6(src, 0xa77, body, [(0, 64, True)])[0]))
    n.add("ip6.frag_rx")


timeout_probe = None


def s_timeout(w, n):
    """The end of ip6_frag: the Time Exceeded for the datagram left incomplete."""
    if timeout_probe is None:
        return
    src, m, t0 = timeout_probe
    r = w.wait(m, lambda p: to_us(src)(p) and ICMPv6TimeExceeded in p, max(1.0, t0 + 66 - time.monotonic()))
    took = time.monotonic() - t0
    check("reassembly timeout: Time Exceeded code 1 after %.1f s (60 s)" % took,
          r is not None and r[ICMPv6TimeExceeded].code == 1 and 59 <= took <= 66)
    # The 63 flood datagrams still in the table (64 held, one slot taken
    # by the fragmented echo after the flood) time out with it, each with
    # its first fragment: a Time Exceeded each, as the rate limit allows.
    n.add("ip6.reass_timeout", 64)
    expect_counter("icmp6.tx_time_exceeded", ">=", 1)
    expect_counter("icmp6.tx_time_exceeded", "<=", 64)


# ---- Neighbor Discovery -----------------------------------------------------------

def ns_body(target, opts=b""):
    return struct.pack("!I", 0) + a6(target) + opts


def ns(src, target, hlim=255, code=0, opts=None, dst=NADDR6):
    if opts is None:
        opts = lladdr_opt(1, MYMAC)
    return ip6(NH_ICMP6, icmp6(src, dst, 135, code, ns_body(target, opts)), src, dst, hlim=hlim)


def na_to(w, m, src):
    return w.since(m, lambda p: to_us(src)(p) and p[IPv6].nh == NH_ICMP6 and bytes(p[IPv6].payload)[:1] == b"\x88")


def s_nd(w, n):
    src = fresh_src()
    m = w.mark()
    w.send_raw(frame(ns(src, NADDR6)))
    barrier6(w)
    check("NS for nstack's address, hop limit 255: advertised", len(na_to(w, m, src)) == 1)
    cases = [("hop limit 254 (RFC 4861 7.1.1)", ns(ME6, NADDR6, hlim=254), "nd.rx_bad_hop_limit"),
             ("a multicast target", ns(ME6, "ff02::1"), "nd.rx_bad_target"),
             ("code 1", ns(ME6, NADDR6, code=1), "nd.rx_bad_code"),
             ("an option of length 0", ns(ME6, NADDR6, opts=bytes([1, 0]) + bytes(6)), "nd.rx_bad_option"),
             ("an option running past the message", ns(ME6, NADDR6, opts=bytes([1, 3]) + mac_bytes(MYMAC)),
              "nd.rx_bad_option"),
             ("source :: and a source link-layer option (RFC 4861 7.1.1)",
              ns("::", NADDR6, dst="ff02::1:ff00:2"), "nd.rx_invalid")]
    for name, pkt, counter in cases:
        m = w.mark()
        w.send_raw(frame(pkt, dst_mac=mcast_mac(s6(pkt[24:40])) if pkt[24] == 0xff else NMAC))
        barrier6(w)
        check("NS with %s: no advertisement" % name, not na_to(w, m, ME6) and not na_to(w, m, "ff02::1"),
              describe6(na_to(w, m, ME6)))
        n.add(counter)
    # An NA and an RA with hop limit 254: ignored too.
    na = icmp6(ME6, NADDR6, 136, 0, struct.pack("!I", 0x20000000) + a6(ME6) + lladdr_opt(2, "02:00:00:00:66:66"))
    w.send_raw(frame(ip6(NH_ICMP6, na, ME6, hlim=254)))
    ra = icmp6("fe80::66", "ff02::1", 134, 0, struct.pack("!BBHII", 64, 0, 1800, 0, 0) +
               prefix_opt("2001:db8:66::"))
    w.send_raw(frame(ip6(NH_ICMP6, ra, "fe80::66", "ff02::1", hlim=254), dst_mac="33:33:00:00:00:01"))
    barrier6(w)
    n.add("nd.rx_bad_hop_limit", 2)


# ---- ICMPv6 errors about others -----------------------------------------------

def s_icmp(w, n):
    # Quoting a packet from an address nstack does not have.
    inner = ip6(NH_TCP, struct.pack("!HHIIBBHHH", 7, 40000, 1, 0, 5 << 4, 0x10, 1000, 0, 0), PREFIX6 + "99", ME6)
    for typ, code, word, name in ((1, 4, 0, "Destination Unreachable"), (2, 0, 1280, "Packet Too Big"),
                                  (3, 0, 0, "Time Exceeded"), (4, 0, 6, "Parameter Problem")):
        err = icmp6(ME6, NADDR6, typ, code, struct.pack("!I", word) + inner)
        silent(w, name + " quoting a packet from " + PREFIX6 + "99", ip6(NH_ICMP6, err, ME6), ME6)
    n.add("icmp6.rx_error_not_ours", 4)
    # Quoting nstack's own address but a connection nstack does not have.
    inner = ip6(NH_TCP, struct.pack("!HHIIBBHHH", 7, 40001, 12345, 0, 5 << 4, 0x10, 1000, 0, 0), NADDR6, ME6)
    err = icmp6(ME6, NADDR6, 1, 4, struct.pack("!I", 0) + inner)
    silent(w, "Destination Unreachable quoting a TCP connection nstack does not have", ip6(NH_ICMP6, err, ME6), ME6)
    # A truncated quote (less than an IPv6 header).
    err = icmp6(ME6, NADDR6, 1, 4, struct.pack("!I", 0) + inner[:20])
    silent(w, "Destination Unreachable quoting 20 bytes", ip6(NH_ICMP6, err, ME6), ME6)
    n.add("icmp6.rx_malformed")
    n.add("icmp6.rx_dest_unreach", 3)
    n.add("icmp6.rx_packet_too_big")
    n.add("icmp6.rx_time_exceeded")
    n.add("icmp6.rx_param_problem")


# ---- floods ----------------------------------------------------------------------------

def prefix_opt(prefix, valid=86400, preferred=14400):
    return struct.pack("!BBBBIII", 3, 4, 64, 0xC0, valid, preferred, 0) + a6(prefix)


def s_flood(w, n):
    rnd = random.Random(18)
    t0 = time.monotonic()
    ras = []
    for i in range(2000):
        src = "fe80::%x:%x:%x" % (rnd.randint(1, 0xffff), rnd.randint(0, 0xffff), rnd.randint(1, 0xffff))
        prefix = "2001:db8:%x:%x::" % (rnd.randint(0x100, 0xffff), rnd.randint(0, 0xffff))
        mac = "02:" + ":".join("%02x" % rnd.randint(0, 255) for _ in range(5))
        ra = icmp6(src, "ff02::1", 134, 0, struct.pack("!BBHII", 64, 0, 1800, 0, 0) + lladdr_opt(1, mac) +
                   prefix_opt(prefix))
        ras.append(frame(ip6(NH_ICMP6, ra, src, "ff02::1", hlim=255), dst_mac="33:33:00:00:00:01", src_mac=mac))
    t0 = time.monotonic()
    ok = blast(w, ras)
    check("2000 RAs from random routers with random prefixes: nstack answers all along (%.1f s)" %
          (time.monotonic() - t0), ok)
    # Bounded (cfg.nd_max_routers 8, nd_max_prefixes 16, nd_max_slaac 4):
    # the first fill the lists, every later one is counted and ignored.
    n.add("ndra.ra_received", 2000)
    n.add("ndra.routers_added", 8)
    n.add("ndra.routers_full", 2000 - 8)
    n.add("ndra.prefixes_added", 16)
    n.add("ndra.prefixes_full", 2000 - 16)
    n.add("ndra.slaac_formed", 4)
    n.add("ndra.slaac_full", 2000 - 4)
    # NS for random addresses that are not nstack's: not answered, nothing kept.
    t0 = time.monotonic()
    m = w.mark()
    nss = [frame(ns(ME6, PREFIX6 + "%x:%x" % (rnd.randint(1, 0xffff), rnd.randint(1, 0xffff))))
           for i in range(2000)]
    t0 = time.monotonic()
    ok = blast(w, nss)
    check("2000 NS for random targets (%.1f s): none answered" % (time.monotonic() - t0),
          ok and not na_to(w, m, ME6))
    n.add("nd.rx_ns_not_for_us", 2000)
    # NS from 1000 random neighbours: each answered, the cache bounded.
    m = w.mark()
    nss = []
    for i in range(1000):
        src = PREFIX6 + "5:%x:%x" % (rnd.randint(1, 0xffff), rnd.randint(1, 0xffff))
        mac = "02:55:" + ":".join("%02x" % rnd.randint(0, 255) for _ in range(4))
        nss.append(frame(ns(src, NADDR6, opts=lladdr_opt(1, mac)), src_mac=mac))
    blast(w, nss)
    nas = w.since(m, lambda p: IPv6 in p and p[IPv6].dst.startswith(PREFIX6 + "5:") and
                  bytes(p[IPv6].payload)[:1] == b"\x88")
    check("NS from 1000 random neighbours: each advertised to (%d)" % len(nas), len(nas) == 1000)
    expect_counter("nd.table_full", ">=", 1000 - 256)


SCENARIOS = {"ip6_ext": s_ext, "ip6_frag": s_frag, "ip6_nd": s_nd, "ip6_icmp": s_icmp, "ip6_flood": s_flood,
             "ip6_timeout": s_timeout}
