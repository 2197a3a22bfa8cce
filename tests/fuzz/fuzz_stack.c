/* Stateful libFuzzer target: the whole input path of one stack.
 *
 * The input is a program. Its first byte picks a configuration (buffer
 * sizes, which TCP options are offered, SYN cookies, congestion control);
 * the rest is a list of operations, each an opcode byte and its arguments:
 * frames for the stack (raw bytes, or crafted from fuzzed fields: Ethernet,
 * IPv4 and TCP/UDP/ICMP/ARP headers with correct checksums most of the
 * time), steps of time, and socket calls (socket, bind, listen, accept,
 * connect, send, recv, close, shutdown, setsockopt, getsockopt).
 *
 * One stack, 10.0.0.1, on one interface whose link is this file: every frame
 * the stack sends is checked and remembered. The peer, 10.0.0.2, is played by
 * the fuzzer: at the start a listener waits on port 80 and a client socket
 * connects to the peer's port 8080. To reach deep TCP states the crafted
 * segments are written relative to what the stack last sent on a flow: the
 * sequence number it acknowledged, the one it will send next, its
 * timestamps, each plus a small fuzzed offset (or a fuzzed value outright).
 *
 * What must hold, besides no crash, leak or undefined behaviour (ASan,
 * UBSan, LeakSanitizer):
 *  - every frame the stack sends is well formed: it parses, its IPv4, TCP,
 *    UDP and ICMP checksums verify, it fits the MTU;
 *  - time only moves forward, and polling at one instant settles: a timer
 *    chain that re-arms itself at "now" for ever is a livelock;
 *  - socket calls on a live descriptor answer (no -EBADF), readiness is a
 *    valid mask, getsockopt(TCP_INFO) reports a valid state.
 * Any violation aborts, and libFuzzer keeps the input.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_stack. Seeds:
 * tests/fuzz/corpus/fuzz_stack/ (scripts/pcap-to-corpus.py writes them from
 * captures). */
#include "stack_fuzz_world.h"
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STACK_IP NST_IP4(10, 0, 0, 1)
#define PEER_IP NST_IP4(10, 0, 0, 2)
#define PEER2_IP NST_IP4(10, 0, 0, 3) /* not in the ARP cache: resolution paths */
#define MAX_OPS 1024
#define MAX_FDS 16
#define MAX_FLOWS 16
#define SEND_MAX 70000
static const uint16_t PORTS[] = {80, 8080, 53, 7, 40000, 49152, 65535, 1};

/* ---- reading the program (stack_fuzz_world.h) ------------------------------ */

/* A small signed offset most of the time, sometimes anything. */
static uint32_t rd_near(struct rd *r, uint32_t base)
{
    uint8_t mode = rd8(r);
    if (mode < 160)
        return base;
    if (mode < 240)
        return base + (uint32_t)(int32_t)(int8_t)rd8(r);
    if (mode < 252)
        return base + (uint32_t)(int32_t)(int16_t)rd16(r);
    return rd32(r);
}

/* ---- the world --------------------------------------------------------------- */

/* What the stack said last on one TCP flow (its port, the peer's port). */
struct flow {
    int used;
    uint16_t lport, rport;
    nst_ip4_t raddr;
    uint32_t snd_nxt;   /* after the stack's latest segment: what we would ACK */
    uint32_t rcv_nxt;   /* the stack's latest ACK */
    uint32_t peer_nxt;  /* after our latest in-order segment (ahead of rcv_nxt until ACKed) */
    uint32_t ts_val;    /* the stack's latest TSval: our TSecr */
    int has_ts;
};

struct world {
    struct nst_stack *st;
    int ifindex;
    nst_time_t now;
    int fds[MAX_FDS];
    int nfds;
    struct flow flows[MAX_FLOWS];
    unsigned next_flow; /* round robin when all are used */
    uint32_t my_ts;     /* the peer's TSval clock */
    uint16_t ip_id;
    uint64_t frames_out;
    uint8_t send_buf[SEND_MAX];
    uint8_t recv_buf[SEND_MAX];
};

static struct flow *flow_find(struct world *w, uint16_t lport, uint16_t rport, nst_ip4_t raddr, int create)
{
    for (int i = 0; i < MAX_FLOWS; i++)
        if (w->flows[i].used && w->flows[i].lport == lport && w->flows[i].rport == rport &&
            w->flows[i].raddr == raddr)
            return &w->flows[i];
    if (!create)
        return NULL;
    struct flow *f = &w->flows[w->next_flow++ % MAX_FLOWS];
    memset(f, 0, sizeof(*f));
    f->used = 1;
    f->lport = lport;
    f->rport = rport;
    f->raddr = raddr;
    return f;
}

static struct flow *flow_pick(struct world *w, uint8_t k)
{
    for (int i = 0; i < MAX_FLOWS; i++) {
        struct flow *f = &w->flows[(k + i) % MAX_FLOWS];
        if (f->used)
            return f;
    }
    return NULL;
}

/* ---- the oracle: every frame the stack sends ------------------------------- */

static void learn_tcp(struct world *w, const struct nst_ipv4_repr *ip, const uint8_t *seg, size_t len)
{
    struct nst_tcp_repr t;
    REQUIRE(nst_tcp_parse(seg, len, ip->src, ip->dst, &t, 1) == t.hdr_len);
    struct flow *f = flow_find(w, t.src_port, t.dst_port, ip->dst, 1);
    uint32_t seglen = (uint32_t)(len - t.hdr_len) + !!(t.flags & NST_TCP_SYN) + !!(t.flags & NST_TCP_FIN);
    f->snd_nxt = t.seq + seglen;
    if (t.flags & NST_TCP_ACK)
        f->rcv_nxt = t.ack;
    if (t.opts.has_ts) {
        f->has_ts = 1;
        f->ts_val = t.opts.ts_val;
    }
}

static void check_ipv4(struct world *w, const uint8_t *p, size_t len)
{
    struct nst_ipv4_repr ip;
    int hl = nst_ipv4_parse(p, len, &ip, 1);
    REQUIRE(hl >= NST_IPV4_HLEN);
    REQUIRE(ip.total_len <= MTU);
    REQUIRE(ip.src != 0);
    const uint8_t *l4 = p + hl;
    size_t l4len = ip.total_len - (size_t)hl;
    if (ip.mf || ip.frag_off)
        return; /* a fragment: its transport checksum spans the others */
    if (ip.proto == NST_IP_PROTO_TCP) {
        learn_tcp(w, &ip, l4, l4len);
    } else if (ip.proto == NST_IP_PROTO_UDP) {
        struct nst_udp_repr u;
        REQUIRE(nst_udp_parse(l4, l4len, ip.src, ip.dst, &u, 1) == 0);
        REQUIRE(u.length == l4len);
    } else if (ip.proto == NST_IP_PROTO_ICMP) {
        struct nst_icmp_repr ic;
        REQUIRE(nst_icmp_parse(l4, l4len, &ic, 1) == 0);
    } else {
        REQUIRE(0); /* nstack speaks nothing else */
    }
}

static int link_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct world *w = ctx;
    struct nst_eth_repr e;
    REQUIRE(len >= NST_ETH_MIN_FRAME && len <= NST_ETH_HLEN + MTU);
    REQUIRE(nst_eth_parse(frame, len, &e) == NST_ETH_HLEN);
    REQUIRE(nst_mac_eq(&e.src, &STACK_MAC));
    w->frames_out++;
    if (e.ethertype == NST_ETHERTYPE_ARP) {
        struct nst_arp_repr a;
        REQUIRE(nst_arp_parse(frame + NST_ETH_HLEN, len - NST_ETH_HLEN, &a) == NST_ARP_LEN);
        REQUIRE(a.spa == STACK_IP);
        return 0;
    }
    REQUIRE(e.ethertype == NST_ETHERTYPE_IPV4);
    check_ipv4(w, frame + NST_ETH_HLEN, len - NST_ETH_HLEN);
    return 0;
}

static void on_event(void *arg, int fd, int events)
{
    (void)arg;
    REQUIRE(fd >= 0);
    REQUIRE((events & ~(NST_EV_IN | NST_EV_OUT | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP | NST_EV_PRI)) == 0);
}

/* ---- time -------------------------------------------------------------------- */

/* Polls at w->now until nothing is due (bounded: a livelock aborts). */
static void settle(struct world *w) { fuzz_settle(w->st, w->now); }

static void advance(struct world *w, nst_time_t dt)
{
    w->now += dt;
    settle(w);
}

/* Jumps to the next timer (retransmissions, TIME_WAIT...), up to an hour on. */
static void advance_to_deadline(struct world *w)
{
    nst_time_t d = nst_stack_next_deadline(w->st);
    if (d == NST_TIME_NEVER || d - w->now > NST_SEC(3600))
        return;
    if (d > w->now)
        w->now = d;
    settle(w);
}

/* ---- frames to the stack -------------------------------------------------- */

static void deliver(struct world *w, const uint8_t *frame, size_t len)
{
    nst_stack_input(w->st, w->ifindex, frame, len, w->now);
    settle(w);
}

static size_t put_eth(uint8_t *f, uint16_t type)
{
    struct nst_eth_repr e = {.dst = STACK_MAC, .src = PEER_MAC, .ethertype = type};
    nst_eth_emit(&e, f);
    return NST_ETH_HLEN;
}

/* IPv4 header for a payload of plen bytes at f + 14 + 20; fields fuzzed a
 * little (TTL, TOS, DF, now and then a fragment offset). */
static void put_ip(struct world *w, struct rd *r, uint8_t *f, nst_ip4_t src, uint8_t proto, size_t plen)
{
    uint8_t tweak = rd8(r);
    struct nst_ipv4_repr ip = {
        .tos = (tweak & 1) ? rd8(r) : 0,
        .total_len = (uint16_t)(NST_IPV4_HLEN + plen),
        .id = w->ip_id++,
        .df = (tweak & 2) != 0,
        .ttl = (tweak & 4) ? rd8(r) : 64,
        .proto = proto,
        .src = src,
        .dst = (tweak & 8) ? (tweak & 16 ? NST_IP4(10, 0, 0, 255) : rd32(r)) : STACK_IP,
    };
    if ((tweak & 0xe0) == 0xe0) { /* rarely: a fragment out of the blue */
        uint16_t fo = rd16(r);
        ip.mf = fo >> 15;
        ip.frag_off = (uint16_t)((fo & 0x1fff) * 8);
    }
    nst_ipv4_emit(&ip, f + NST_ETH_HLEN);
}

/* TCP options chosen by a mask: MSS, window scale, SACK-permitted,
 * timestamps (our clock, the stack's TSval echoed), SACK blocks around the
 * stack's sequence numbers. */
static void tcp_opts(struct world *w, struct rd *r, const struct flow *fl, struct nst_tcp_opts *o)
{
    uint8_t m = rd8(r);
    memset(o, 0, sizeof(*o));
    if (m & 1) {
        o->has_mss = 1;
        o->mss = (m & 0x80) ? rd16(r) : 1460;
    }
    if (m & 2) {
        o->has_wscale = 1;
        o->wscale = rd8(r) % 16;
    }
    o->sack_ok = (m & 4) != 0;
    if ((m & 8) || (fl && fl->has_ts && !(m & 0x40))) {
        o->has_ts = 1;
        w->my_ts += rd8(r) % 4;
        o->ts_val = (m & 0x40) ? rd32(r) : w->my_ts;
        o->ts_ecr = fl ? fl->ts_val : 0;
    }
    if ((m & 16) && fl) {
        o->sack_count = (uint8_t)(1 + rd8(r) % 3);
        for (int i = 0; i < o->sack_count; i++) {
            uint32_t s = fl->snd_nxt - (uint32_t)(rd16(r) % 20000);
            o->sack[i].start = s;
            o->sack[i].end = s + (uint32_t)(rd16(r) % 5000);
        }
    }
}

/* Sends one segment; returns the sequence space it takes (data, SYN, FIN). */
static uint32_t send_tcp(struct world *w, struct rd *r, struct flow *fl, uint16_t lport, uint16_t rport,
                         nst_ip4_t src, uint8_t flags, uint32_t seq, uint32_t ack)
{
    uint8_t f[FRAME_MAX];
    struct nst_tcp_repr t = {.src_port = rport, .dst_port = lport, .seq = seq, .ack = ack, .flags = flags};
    t.window = (rd8(r) & 3) ? 65535 : rd16(r);
    t.urg_ptr = (flags & NST_TCP_URG) ? rd16(r) : 0;
    tcp_opts(w, r, fl, &t.opts);
    size_t plen = 0;
    uint8_t pl = rd8(r);
    if (pl >= 128)
        plen = pl < 250 ? (size_t)(pl - 127) * 11 : rd16(r) % (MTU - 60);
    size_t off = NST_ETH_HLEN + NST_IPV4_HLEN;
    int hl = nst_tcp_emit(&t, f + off);
    if (off + (size_t)hl + plen > sizeof(f))
        plen = sizeof(f) - off - (size_t)hl;
    rd_fill(r, f + off + hl, plen);
    size_t tlen = (size_t)hl + plen;
    nst_tcp_set_checksum(f + off, tlen, src, STACK_IP);
    put_eth(f, NST_ETHERTYPE_IPV4);
    put_ip(w, r, f, src, NST_IP_PROTO_TCP, tlen);
    if (rd8(r) == 0xff)
        f[off + 16] ^= 0x5a; /* now and then a bad checksum */
    /* Sent up to 4 times: duplicate ACKs (fast retransmit, SACK recovery),
     * retransmitted SYNs and data. */
    int copies = 1 + (rd8(r) >> 6);
    for (int i = 0; i < copies; i++)
        deliver(w, f, off + tlen);
    return (uint32_t)plen + !!(flags & NST_TCP_SYN) + !!(flags & NST_TCP_FIN);
}

/* A segment on a known flow, numbered from what the stack last said: our
 * next byte (what it acknowledged, or further if we sent more since) and its
 * next byte. */
static void op_tcp(struct world *w, struct rd *r)
{
    struct flow *fl = flow_pick(w, rd8(r));
    if (!fl)
        return;
    uint8_t flags = rd8(r);
    if (rd8(r) & 1) /* mostly plain ACKs, with or without PSH/FIN */
        flags = (uint8_t)(NST_TCP_ACK | (flags & (NST_TCP_PSH | NST_TCP_FIN)));
    uint32_t next = (int32_t)(fl->peer_nxt - fl->rcv_nxt) > 0 ? fl->peer_nxt : fl->rcv_nxt;
    uint32_t seq = rd_near(r, next);
    uint32_t ack = rd_near(r, fl->snd_nxt);
    uint32_t len = send_tcp(w, r, fl, fl->lport, fl->rport, fl->raddr, flags, seq, ack);
    if (seq == next)
        fl->peer_nxt = seq + len;
}

/* A SYN from a new (or reused) peer port to one of the stack's ports. */
static void op_syn(struct world *w, struct rd *r)
{
    uint16_t lport = PORTS[rd8(r) % 8];
    uint16_t rport = (uint16_t)(1024 + rd16(r) % 64000);
    uint32_t isn = rd32(r);
    uint8_t flags = NST_TCP_SYN | (rd8(r) == 7 ? NST_TCP_FIN : 0);
    struct flow *fl = flow_find(w, lport, rport, PEER_IP, 1);
    fl->rcv_nxt = fl->peer_nxt = isn + 1;
    send_tcp(w, r, fl, lport, rport, PEER_IP, flags, isn, 0);
}

/* Bytes straight from the program; with fix-ups, they get past the
 * checksums and the address checks to the layer that parses them. */
static void op_raw(struct world *w, struct rd *r, int fixup)
{
    uint8_t f[FRAME_MAX];
    size_t len = rd16(r) % FRAME_MAX;
    rd_fill(r, f, len);
    if (fixup && len >= NST_ETH_HLEN + NST_IPV4_HLEN) {
        put_eth(f, (rd8(r) & 7) ? NST_ETHERTYPE_IPV4 : NST_ETHERTYPE_ARP);
        uint8_t *ip = f + NST_ETH_HLEN;
        size_t hl = (size_t)(ip[0] & 15) * 4;
        ip[0] = (uint8_t)(0x40 | (ip[0] & 15));
        nst_put32(ip + 12, PEER_IP);
        nst_put32(ip + 16, STACK_IP);
        size_t avail = len - NST_ETH_HLEN;
        if (rd8(r) & 1)
            nst_put16(ip + 2, (uint16_t)avail);
        if (hl >= NST_IPV4_HLEN && hl <= avail) {
            size_t total = nst_get16(ip + 2) <= avail ? nst_get16(ip + 2) : avail;
            nst_put16(ip + 10, 0);
            nst_put16(ip + 10, nst_inet_checksum(ip, hl));
            if (total > hl && ip[9] == NST_IP_PROTO_TCP && total - hl >= NST_TCP_HLEN)
                nst_tcp_set_checksum(ip + hl, total - hl, PEER_IP, STACK_IP);
        }
    }
    deliver(w, f, len);
}

/* An ICMP error quoting one of the stack's segments (or datagrams). */
static void op_icmp_error(struct world *w, struct rd *r)
{
    uint8_t f[FRAME_MAX];
    struct flow *fl = flow_pick(w, rd8(r));
    size_t off = NST_ETH_HLEN + NST_IPV4_HLEN;
    uint8_t *q = f + off + NST_ICMP_HLEN;
    struct nst_ipv4_repr qip = {.total_len = 40, .ttl = 64, .proto = NST_IP_PROTO_TCP, .src = STACK_IP,
                                .dst = fl ? fl->raddr : PEER_IP, .id = rd16(r)};
    uint8_t kind = rd8(r);
    if (kind & 1)
        qip.proto = (kind & 2) ? NST_IP_PROTO_UDP : NST_IP_PROTO_ICMP;
    nst_ipv4_emit(&qip, q);
    uint8_t *l4 = q + NST_IPV4_HLEN;
    nst_put16(l4, fl ? fl->lport : PORTS[rd8(r) % 8]);
    nst_put16(l4 + 2, fl ? fl->rport : rd16(r));
    nst_put32(l4 + 4, rd_near(r, fl ? fl->snd_nxt - 1 : 0));
    size_t qlen = NST_IPV4_HLEN + 8 - (size_t)(rd8(r) % 4 == 0 ? rd8(r) % 28 : 0);
    static const uint8_t types[] = {3, 3, 3, 11, 4, 5, 12, 0};
    struct nst_icmp_repr ic = {.type = types[kind >> 5], .code = rd8(r) % 16, .id = rd16(r),
                               .seq = rd16(r), .data = q, .data_len = qlen};
    if (kind & 16)
        ic.code = NST_ICMP_FRAG_NEEDED, ic.type = NST_ICMP_DEST_UNREACH, ic.id = 0;
    int n = nst_icmp_emit(&ic, f + off, sizeof(f) - off);
    REQUIRE(n > 0);
    put_eth(f, NST_ETHERTYPE_IPV4);
    put_ip(w, r, f, (kind & 4) ? NST_IP4(10, 0, 0, 254) : PEER_IP, NST_IP_PROTO_ICMP, (size_t)n);
    deliver(w, f, off + (size_t)n);
}

static void op_udp(struct world *w, struct rd *r)
{
    uint8_t f[FRAME_MAX];
    size_t off = NST_ETH_HLEN + NST_IPV4_HLEN;
    size_t plen = rd16(r) % 1400;
    struct nst_udp_repr u = {.src_port = rd16(r), .dst_port = PORTS[rd8(r) % 8],
                             .length = (uint16_t)(NST_UDP_HLEN + plen)};
    rd_fill(r, f + off + NST_UDP_HLEN, plen);
    nst_udp_emit(&u, f + off, PEER_IP, STACK_IP);
    put_eth(f, NST_ETHERTYPE_IPV4);
    put_ip(w, r, f, PEER_IP, NST_IP_PROTO_UDP, NST_UDP_HLEN + plen);
    deliver(w, f, off + NST_UDP_HLEN + plen);
}

static void op_ping(struct world *w, struct rd *r)
{
    uint8_t f[FRAME_MAX];
    size_t off = NST_ETH_HLEN + NST_IPV4_HLEN;
    size_t plen = rd16(r) % 1400;
    rd_fill(r, f + off + NST_ICMP_HLEN, plen);
    struct nst_icmp_repr ic = {.type = rd8(r) & 1 ? NST_ICMP_ECHO_REQUEST : NST_ICMP_ECHO_REPLY,
                               .id = rd16(r), .seq = rd16(r), .data = f + off + NST_ICMP_HLEN,
                               .data_len = plen};
    int n = nst_icmp_emit(&ic, f + off, sizeof(f) - off);
    REQUIRE(n > 0);
    put_eth(f, NST_ETHERTYPE_IPV4);
    put_ip(w, r, f, PEER_IP, NST_IP_PROTO_ICMP, (size_t)n);
    deliver(w, f, off + (size_t)n);
}

static void op_arp(struct world *w, struct rd *r)
{
    uint8_t f[NST_ETH_MIN_FRAME] = {0};
    uint8_t k = rd8(r);
    struct nst_arp_repr a = {.op = (k & 1) ? 2 : 1, .sha = PEER_MAC, .spa = (k & 2) ? PEER2_IP : PEER_IP,
                             .tpa = STACK_IP};
    if (k & 4)
        a.spa = rd32(r);
    if (k & 8)
        a.sha.b[5] = rd8(r);
    if (k & 16)
        a.tpa = rd32(r);
    put_eth(f, NST_ETHERTYPE_ARP);
    nst_arp_emit(&a, f + NST_ETH_HLEN);
    deliver(w, f, sizeof(f));
}

/* A datagram (an echo request, UDP, or a TCP SYN) cut into fragments whose
 * sizes, order and overlaps the program chooses. */
static void op_fragments(struct world *w, struct rd *r)
{
    uint8_t dgram[4096];
    uint8_t kind = rd8(r);
    size_t plen = 8 + rd16(r) % 3000;
    rd_fill(r, dgram, plen);
    uint8_t proto = NST_IP_PROTO_ICMP;
    if (kind % 3 == 0) {
        struct nst_icmp_repr ic = {.type = NST_ICMP_ECHO_REQUEST, .id = 1, .seq = 1, .data = dgram + 8,
                                   .data_len = plen - 8};
        nst_icmp_emit(&ic, dgram, sizeof(dgram));
    } else if (kind % 3 == 1) {
        struct nst_udp_repr u = {.src_port = 999, .dst_port = PORTS[kind % 8], .length = (uint16_t)plen};
        nst_udp_emit(&u, dgram, PEER_IP, STACK_IP);
        proto = NST_IP_PROTO_UDP;
    } else if (plen >= NST_TCP_HLEN) { /* a SYN (RFC 1858's tiny-fragment case) */
        dgram[12] = 0x50;
        dgram[13] = NST_TCP_SYN;
        nst_put16(dgram + 2, PORTS[kind % 8]);
        nst_tcp_set_checksum(dgram, plen, PEER_IP, STACK_IP);
        proto = NST_IP_PROTO_TCP;
    }
    uint16_t id = w->ip_id++;
    int nfrag = 1 + rd8(r) % 12;
    for (int i = 0; i < nfrag; i++) {
        uint8_t f[FRAME_MAX];
        size_t foff = (size_t)(rd16(r) % ((plen + 7) / 8 + 1)) * 8;
        size_t flen = (size_t)(1 + rd8(r) % 180) * 8;
        if (foff > plen)
            foff = plen;
        if (flen > plen - foff)
            flen = plen - foff;
        int last = foff + flen >= plen || (rd8(r) & 7) == 0;
        size_t off = NST_ETH_HLEN + NST_IPV4_HLEN;
        memcpy(f + off, dgram + foff, flen);
        put_eth(f, NST_ETHERTYPE_IPV4);
        struct nst_ipv4_repr ip = {.total_len = (uint16_t)(NST_IPV4_HLEN + flen), .id = id, .mf = !last,
                                   .frag_off = (uint16_t)foff, .ttl = 64, .proto = proto, .src = PEER_IP,
                                   .dst = STACK_IP};
        nst_ipv4_emit(&ip, f + NST_ETH_HLEN);
        deliver(w, f, off + flen);
    }
}

/* ---- socket calls ------------------------------------------------------------ */

static void fd_add(struct world *w, int fd)
{
    if (fd < 0)
        return;
    if (w->nfds == MAX_FDS) { /* full: the newest replaces a random old one */
        nst_close(w->st, w->fds[0]);
        w->fds[0] = fd;
        return;
    }
    w->fds[w->nfds++] = fd;
}

static int fd_pick(struct world *w, struct rd *r, int *slot)
{
    if (!w->nfds)
        return -1;
    *slot = rd8(r) % w->nfds;
    return w->fds[*slot];
}

static void fd_drop(struct world *w, int slot)
{
    w->fds[slot] = w->fds[--w->nfds];
}

/* A call on a descriptor we hold must not say "no such descriptor". */
static void live(ssize_t rc) { REQUIRE(rc != -EBADF); }

static struct nst_sockaddr pick_addr(struct rd *r)
{
    static const nst_ip4_t addrs[] = {PEER_IP, PEER2_IP, STACK_IP, 0, NST_IP4(10, 0, 0, 255),
                                      NST_IP4(192, 0, 2, 1), NST_IP4(127, 0, 0, 1), NST_IP4(224, 0, 0, 1)};
    uint8_t k = rd8(r);
    struct nst_sockaddr a = {addrs[k % 8], PORTS[(k >> 3) % 8]};
    return a;
}

static void op_setsockopt(struct world *w, struct rd *r, int fd)
{
    static const int opts[][2] = {
        {NST_SOL_SOCKET, NST_SO_RCVBUF},     {NST_SOL_SOCKET, NST_SO_SNDBUF},
        {NST_SOL_SOCKET, NST_SO_KEEPALIVE},  {NST_SOL_SOCKET, NST_SO_LINGER},
        {NST_SOL_SOCKET, NST_SO_REUSEADDR},  {NST_IPPROTO_IP, NST_IP_TTL},
        {NST_IPPROTO_TCP, NST_TCP_NODELAY},  {NST_IPPROTO_TCP, NST_TCP_MAXSEG},
        {NST_IPPROTO_TCP, NST_TCP_KEEPIDLE}, {NST_IPPROTO_TCP, NST_TCP_KEEPINTVL},
        {NST_IPPROTO_TCP, NST_TCP_KEEPCNT},  {NST_IPPROTO_TCP, NST_TCP_CONGESTION},
        {NST_IPPROTO_TCP, NST_TCP_TW_REUSE}, {NST_SOL_SOCKET, NST_SO_ERROR},
        {NST_IPPROTO_TCP, NST_TCP_ECN},      {NST_SOL_SOCKET, NST_SO_PACING},
        {NST_SOL_SOCKET, NST_SO_MAX_PACING_RATE},
    };
    uint8_t k = rd8(r) % (sizeof(opts) / sizeof(opts[0]));
    int level = opts[k][0], name = opts[k][1];
    if (name == NST_SO_LINGER) {
        struct nst_linger l = {rd8(r) & 1, rd8(r) % 4};
        live(nst_setsockopt(w->st, fd, level, name, &l, sizeof(l)));
    } else if (name == NST_TCP_CONGESTION) {
        static const char *const ccs[] = {"newreno", "cubic", "bbr"};
        const char *cc = ccs[rd8(r) % 3];
        live(nst_setsockopt(w->st, fd, level, name, cc, strlen(cc)));
    } else {
        uint8_t m = rd8(r);
        int v = (m & 0x80) ? (int)rd32(r) : (int)(m & 0x7f) * ((name == NST_SO_RCVBUF || name == NST_SO_SNDBUF) ? 1024 : 1);
        live(nst_setsockopt(w->st, fd, level, name, &v, (m & 0x40) ? 1 : sizeof(v)));
    }
}

static void op_getsockopt(struct world *w, int fd)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    int rc = nst_getsockopt(w->st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    live(rc);
    if (rc == 0)
        REQUIRE(ti.state <= NST_TCPS_TIME_WAIT);
    int err;
    len = sizeof(err);
    live(nst_getsockopt(w->st, fd, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len));
}

static void op_socket_call(struct world *w, struct rd *r, uint8_t op)
{
    int slot = 0;
    int fd;
    struct nst_sockaddr a;
    switch (op) {
    case 0:
        fd_add(w, nst_socket(w->st, (rd8(r) & 3) ? NST_SOCK_STREAM : NST_SOCK_DGRAM));
        return;
    case 1:
        if ((fd = fd_pick(w, r, &slot)) < 0)
            return;
        a = pick_addr(r);
        a.addr = (rd8(r) & 1) ? 0 : STACK_IP;
        live(nst_bind(w->st, fd, &a));
        return;
    case 2:
        if ((fd = fd_pick(w, r, &slot)) >= 0)
            live(nst_listen(w->st, fd, rd8(r) % 8));
        return;
    case 3:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            int nfd = nst_accept(w->st, fd, &a);
            live(nfd);
            fd_add(w, nfd);
        }
        return;
    case 4:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            a = pick_addr(r);
            live(nst_connect(w->st, fd, &a));
        }
        return;
    case 5:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            size_t len = (rd8(r) & 1) ? rd16(r) % 2000 : rd16(r) % SEND_MAX;
            ssize_t n = nst_send(w->st, fd, w->send_buf, len, 0);
            live(n);
            REQUIRE(n < 0 || (size_t)n <= len);
        }
        return;
    case 6:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            size_t len = rd16(r) % SEND_MAX;
            ssize_t n = nst_recv(w->st, fd, w->recv_buf, len, (rd8(r) & 3) == 0 ? NST_MSG_PEEK : 0);
            live(n);
            REQUIRE(n < 0 || (size_t)n <= len);
        }
        return;
    case 7:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            REQUIRE(nst_close(w->st, fd) == 0);
            fd_drop(w, slot);
        }
        return;
    case 8:
        if ((fd = fd_pick(w, r, &slot)) >= 0)
            live(nst_shutdown(w->st, fd, rd8(r) % 3));
        return;
    case 9:
        if ((fd = fd_pick(w, r, &slot)) >= 0)
            op_setsockopt(w, r, fd);
        return;
    case 10:
        if ((fd = fd_pick(w, r, &slot)) >= 0)
            op_getsockopt(w, fd);
        return;
    case 11:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            int ev = nst_socket_events(w->st, fd);
            REQUIRE(ev >= 0);
            REQUIRE((ev & ~(NST_EV_IN | NST_EV_OUT | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP | NST_EV_PRI)) == 0);
        }
        return;
    case 12:
        if ((fd = fd_pick(w, r, &slot)) >= 0) {
            size_t len = rd16(r) % 1500;
            a = pick_addr(r);
            live(nst_sendto(w->st, fd, w->send_buf, len, 0, &a));
            live(nst_recvfrom(w->st, fd, w->recv_buf, sizeof(w->recv_buf), 0, &a));
        }
        return;
    default:
        return;
    }
}

/* ---- the program -------------------------------------------------------------- */

static void configure(struct nst_stack_config *cfg, uint8_t k)
{
    nst_stack_config_default(cfg);
    cfg->name = "fuzz";
    cfg->deterministic = 1; /* a crash replays from its input alone */
    cfg->seed = 1;
    if (k & 1) { /* small buffers: full windows and queues in few bytes */
        cfg->tcp.sndbuf = 4096;
        cfg->tcp.rcvbuf = 4096;
        cfg->udp_rcvbuf = 4096;
        cfg->reass_mem_max = 16384;
        cfg->reass_max_datagrams = 4;
    }
    cfg->tcp.timestamps = !(k & 2);
    cfg->tcp.sack = !(k & 4);
    cfg->tcp.window_scaling = !(k & 8);
    cfg->tcp.syncookies = !(k & 16);
    if (k & 32)
        strcpy(cfg->tcp.congestion, "newreno");
    if (k & 64) { /* short timers: TIME_WAIT, keepalive, FIN_WAIT_2 within reach */
        cfg->tcp.msl = NST_SEC(1);
        cfg->tcp.keepidle = NST_SEC(5);
        cfg->tcp.fin_wait2_timeout = NST_SEC(2);
        cfg->tcp.challenge_ack_limit = 2;
    }
    cfg->tcp.max_timewait = (k & 128) ? 2 : cfg->tcp.max_timewait;
}

static void setup(struct world *w, uint8_t k)
{
    struct nst_stack_config cfg;
    configure(&cfg, k);
    w->st = nst_stack_new(&cfg);
    REQUIRE(w->st);
    nst_stack_set_event_cb(w->st, on_event, w);
    struct nst_iface_config ic = {.name = "fz0", .mac = STACK_MAC, .addr = STACK_IP, .prefix_len = 24,
                                  .mtu = MTU, .ops = {link_send}, .ctx = w};
    w->ifindex = nst_iface_add(w->st, &ic);
    REQUIRE(w->ifindex >= 0);
    REQUIRE(nst_arp_add_static(w->st, w->ifindex, PEER_IP, &PEER_MAC) == 0);
    w->now = NST_SEC(1);
    nst_stack_poll(w->st, w->now);
    /* A listener on port 80, a UDP socket on 53, a client toward the peer. */
    int l = nst_socket(w->st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 80};
    REQUIRE(l >= 0 && nst_bind(w->st, l, &a) == 0 && nst_listen(w->st, l, 4) == 0);
    fd_add(w, l);
    int u = nst_socket(w->st, NST_SOCK_DGRAM);
    a.port = 53;
    REQUIRE(u >= 0 && nst_bind(w->st, u, &a) == 0);
    fd_add(w, u);
    int c = nst_socket(w->st, NST_SOCK_STREAM);
    struct nst_sockaddr peer = {PEER_IP, 8080};
    REQUIRE(c >= 0 && nst_connect(w->st, c, &peer) == -EINPROGRESS);
    fd_add(w, c);
    settle(w);
}

/* Closes everything, lets the stack finish its business (FINs, TIME_WAIT),
 * then frees it: LeakSanitizer sees whatever it forgot. */
static void teardown(struct world *w)
{
    for (int i = 0; i < w->nfds; i++)
        REQUIRE(nst_close(w->st, w->fds[i]) == 0);
    w->nfds = 0;
    for (int i = 0; i < 64; i++)
        advance_to_deadline(w);
    nst_stack_free(w->st);
}

static void run_op(struct world *w, struct rd *r)
{
    uint8_t op = rd8(r);
    switch (op % 32) {
    case 0: case 1: case 2: case 3: case 4: case 5: op_tcp(w, r); break;
    case 6: case 7: op_syn(w, r); break;
    case 8: op_raw(w, r, 0); break;
    case 9: case 10: op_raw(w, r, 1); break;
    case 11: op_icmp_error(w, r); break;
    case 12: op_udp(w, r); break;
    case 13: op_ping(w, r); break;
    case 14: op_arp(w, r); break;
    case 15: op_fragments(w, r); break;
    case 16: advance(w, (nst_time_t)rd16(r) << (rd8(r) % 24)); break;
    case 17: case 18: advance_to_deadline(w); break;
    default: op_socket_call(w, r, (uint8_t)(op % 32 - 19)); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = {data, size, 0};
    struct world *w = calloc(1, sizeof(*w));
    REQUIRE(w);
    for (size_t i = 0; i < sizeof(w->send_buf); i++)
        w->send_buf[i] = (uint8_t)(i * 31 + 7);
    setup(w, rd8(&r));
    for (int n = 0; n < MAX_OPS && rd_more(&r); n++)
        run_op(w, &r);
    teardown(w);
    free(w);
    return 0;
}
