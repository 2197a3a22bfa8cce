/* Stateful libFuzzer target: the IPv6 input path of one stack (cfg.ipv6).
 *
 * The input is a program. Its first byte picks a configuration (router or
 * host, DAD on or off, small or default bounds); the rest is a list of
 * operations: raw frames; IPv6 frames crafted from fuzzed fields (source
 * and destination from a set that reaches every branch: ours, link-local,
 * multicast groups joined and not, ::, strangers), fuzzed extension
 * headers, an ICMPv6 or Neighbor Discovery message with a correct checksum
 * most of the time; fragments of a few datagrams at fuzzed offsets; time
 * steps; echo requests, addresses and routes added or removed.
 *
 * What must hold, besides no crash, leak or undefined behaviour:
 *  - every frame the stack sends parses as IPv6 (header and chain), its
 *    ICMPv6 checksum verifies, it fits the MTU, and NDP goes out with hop
 *    limit 255;
 *  - reassembly memory and the neighbour cache stay within their bounds;
 *  - polling at one instant settles.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_ip6_input. */
#include "ip6/ip6_impl.h"
#include "stack_fuzz_world.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 512

static nst_ip6_t ip6(const char *s)
{
    nst_ip6_t a;
    REQUIRE(nst_ip6_parse(s, &a, NULL) == 0);
    return a;
}

struct world {
    struct nst_stack *st;
    nst_time_t now;
    nst_ip6_t me, ll, peer, peer_ll;
    uint8_t msg[4096]; /* the datagram fragments are cut from */
    size_t msg_len;
};

/* ---- what the stack sends must be well formed ------------------------------- */

static int link_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct world *w = ctx;
    struct nst_eth_repr eth;
    REQUIRE(len <= MTU + NST_ETH_HLEN);
    REQUIRE(nst_eth_parse(frame, len, &eth) >= 0);
    if (eth.ethertype != NST_ETHERTYPE_IPV6)
        return 0; /* ARP and IPv4 are fuzz_stack's */
    const uint8_t *p = frame + NST_ETH_HLEN;
    struct nst_ipv6_repr h;
    struct nst_ipv6_ext ext;
    REQUIRE(nst_ipv6_parse(p, len - NST_ETH_HLEN, &h) == NST_IPV6_HLEN);
    /* A forwarded packet is the sender's, as it came (a router reads no
     * header but the fixed one); only what we originate is checked. */
    if (!nst_ip6_is_unspecified(&h.src) && !nst_ip6_addr_find_any(w->st, &h.src))
        return 0;
    REQUIRE(nst_ipv6_walk(p, &h, &ext) == 0);
    REQUIRE(!nst_ip6_is_multicast(&h.src));
    if (ext.proto == NST_IP6_NH_ICMPV6 && !(ext.has_frag && !ext.atomic)) {
        struct nst_icmp6_repr ic;
        REQUIRE(nst_icmp6_parse(p + ext.proto_off, NST_IPV6_HLEN + h.payload_len - ext.proto_off, &h.src, &h.dst,
                                &ic, 1) == 0);
        if (ic.type >= NST_ICMP6_ROUTER_SOLICIT && ic.type <= NST_ICMP6_REDIRECT)
            REQUIRE(h.hop_limit == 255);
    }
    return 0;
}

static void check_bounds(const struct world *w)
{
    const struct nst_stack *st = w->st;
    REQUIRE(st->ip6->reass.mem <= st->cfg.ip6_reass_mem_max);
    REQUIRE(st->ip6->reass.count <= st->cfg.ip6_reass_max_datagrams);
    REQUIRE(st->ip6->nd_incomplete <= st->cfg.ip6_nd_incomplete_max);
    REQUIRE(st->ip6->nd_resolved <= st->cfg.ip6_nd_table_max);
}

static void settle(struct world *w) { fuzz_settle(w->st, w->now); }

/* ---- crafting ---------------------------------------------------------------- */

static nst_ip6_t pick_addr(struct world *w, struct rd *r)
{
    nst_ip6_t a;
    switch (rd8(r) % 10) {
    case 0: return w->me;
    case 1: return w->ll;
    case 2: return w->peer;
    case 3: return w->peer_ll;
    case 4: return ip6("ff02::1");
    case 5: nst_ip6_solicited_node(&w->me, &a); return a;
    case 6: nst_ip6_solicited_node(&w->ll, &a); return a;
    case 7: return ip6("::");
    case 8: a = w->peer; a.b[15] = rd8(r); return a;
    default: rd_fill(r, a.b, 16); return a;
    }
}

static struct nst_mac mac_for(const nst_ip6_t *dst, struct rd *r)
{
    struct nst_mac m = STACK_MAC;
    if (nst_ip6_is_multicast(dst) && rd8(r) < 230)
        nst_ip6_mcast_mac(dst, &m);
    return m;
}

static void send_frame(struct world *w, const struct nst_mac *dst_mac, const uint8_t *ip, size_t len)
{
    uint8_t frame[FRAME_MAX + NST_ETH_HLEN];
    if (len > FRAME_MAX)
        len = FRAME_MAX;
    struct nst_eth_repr eth = {.dst = *dst_mac, .src = PEER_MAC, .ethertype = NST_ETHERTYPE_IPV6};
    nst_eth_emit(&eth, frame);
    memcpy(frame + NST_ETH_HLEN, ip, len);
    nst_stack_input(w->st, 0, frame, NST_ETH_HLEN + len, w->now);
}

/* An ICMPv6 message (an ND one built by nst_nd_emit half the time). */
static size_t craft_icmp(struct world *w, struct rd *r, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *out,
                         size_t cap)
{
    uint8_t kind = rd8(r);
    if (kind < 100) {
        static const uint8_t types[] = {NST_ICMP6_ROUTER_SOLICIT, NST_ICMP6_NEIGHBOR_SOLICIT, NST_ICMP6_NEIGHBOR_ADVERT};
        struct nst_nd_repr nd = {.type = types[kind % 3]};
        nd.target = kind & 8 ? w->me : pick_addr(w, r);
        nd.flags = rd8(r);
        nd.has_src_lladdr = kind >> 4 & 1;
        nd.has_tgt_lladdr = kind >> 5 & 1;
        nd.has_nonce = kind >> 6 & 1;
        rd_fill(r, nd.src_lladdr.b, 6);
        rd_fill(r, nd.tgt_lladdr.b, 6);
        rd_fill(r, nd.nonce, 6);
        int n = nst_nd_emit(&nd, src, dst, out, cap);
        return n > 0 ? (size_t)n : 0;
    }
    size_t len = rd8(r) % 64 + 4;
    uint8_t body[256];
    rd_fill(r, body, len);
    struct nst_icmp6_repr ic = {.type = body[0], .code = body[1] % 4, .word = rd32(r), .data = body + 8,
                                .data_len = len > 8 ? len - 8 : 0};
    uint8_t q[48];
    if (kind & 1) { /* an error quoting a packet of ours */
        ic.type = (uint8_t)(1 + kind % 4);
        struct nst_ipv6_repr qh = {.payload_len = rd16(r), .next_header = rd8(r) % 3 == 0 ? 6 : 17,
                                   .hop_limit = 64, .src = w->me, .dst = pick_addr(w, r)};
        nst_ipv6_emit(&qh, q);
        rd_fill(r, q + 40, 8);
        ic.data = q;
        ic.data_len = sizeof q;
    }
    int n = nst_icmp6_emit(&ic, src, dst, out, cap);
    if (n > 0 && rd8(r) > 250)
        out[2] ^= 1; /* sometimes a bad checksum */
    return n > 0 ? (size_t)n : 0;
}

static void op_crafted(struct world *w, struct rd *r)
{
    uint8_t pkt[FRAME_MAX];
    struct nst_ipv6_repr h = {.tclass = rd8(r)};
    h.src = pick_addr(w, r);
    h.dst = pick_addr(w, r);
    uint8_t hl = rd8(r);
    h.hop_limit = hl < 200 ? 255 : hl;
    size_t ext_len = 0;
    uint8_t n_ext = rd8(r) % 4;
    uint8_t *ext = pkt + NST_IPV6_HLEN;
    uint8_t first = NST_IP6_NH_ICMPV6;
    uint8_t *prev_nh = &first;
    for (uint8_t i = 0; i < n_ext; i++) {
        static const uint8_t kinds[] = {NST_IP6_NH_HOPOPTS, NST_IP6_NH_DSTOPTS, NST_IP6_NH_ROUTING,
                                        NST_IP6_NH_FRAGMENT};
        uint8_t k = kinds[rd8(r) % 4];
        size_t len = k == NST_IP6_NH_FRAGMENT ? 8 : (size_t)(rd8(r) % 3 + 1) * 8;
        *prev_nh = k;
        rd_fill(r, ext + ext_len, len);
        if (k != NST_IP6_NH_FRAGMENT)
            ext[ext_len + 1] = (uint8_t)(len / 8 - 1);
        prev_nh = &ext[ext_len];
        ext_len += len;
    }
    uint8_t upper = rd8(r);
    *prev_nh = upper < 200 ? NST_IP6_NH_ICMPV6 : upper;
    h.next_header = first;
    size_t plen = 0;
    uint8_t *payload = ext + ext_len;
    size_t room = sizeof pkt - NST_IPV6_HLEN - ext_len;
    if (*prev_nh == NST_IP6_NH_ICMPV6)
        plen = craft_icmp(w, r, &h.src, &h.dst, payload, room);
    else {
        plen = rd8(r);
        rd_fill(r, payload, plen);
    }
    h.payload_len = (uint16_t)(ext_len + plen);
    nst_ipv6_emit(&h, pkt);
    struct nst_mac m = mac_for(&h.dst, r);
    send_frame(w, &m, pkt, NST_IPV6_HLEN + ext_len + plen);
}

static void op_fragment(struct world *w, struct rd *r)
{
    uint8_t pkt[FRAME_MAX];
    struct nst_ipv6_repr h = {.hop_limit = 64, .src = w->peer, .dst = rd8(r) < 240 ? w->me : w->ll,
                              .next_header = NST_IP6_NH_FRAGMENT};
    uint16_t off = (uint16_t)(rd16(r) % (w->msg_len + 64)) & 0xfff8;
    size_t len = rd16(r) % 1448 + 1;
    if (rd8(r) < 200)
        len = (len + 7) & ~(size_t)7;
    int more = rd8(r) & 1;
    uint32_t id = rd8(r) % 4;
    uint8_t *fh = pkt + NST_IPV6_HLEN;
    fh[0] = NST_IP6_NH_ICMPV6;
    fh[1] = 0;
    nst_put16(fh + 2, (uint16_t)(off | more));
    nst_put32(fh + 4, id);
    for (size_t i = 0; i < len; i++)
        fh[8 + i] = off + i < w->msg_len ? w->msg[off + i] : (uint8_t)i;
    h.payload_len = (uint16_t)(8 + len);
    nst_ipv6_emit(&h, pkt);
    send_frame(w, &STACK_MAC, pkt, NST_IPV6_HLEN + 8 + len);
}

static void op_raw(struct world *w, struct rd *r)
{
    uint8_t pkt[FRAME_MAX];
    size_t len = rd16(r) % FRAME_MAX;
    rd_fill(r, pkt, len);
    struct nst_mac m = STACK_MAC;
    if (len >= 24 && pkt[24] == 0xff)
        nst_ip6_mcast_mac((const nst_ip6_t *)(const void *)(pkt + 24), &m);
    send_frame(w, &m, pkt, len);
}

static void op_local(struct world *w, struct rd *r)
{
    uint8_t buf[2000];
    nst_ip6_t a = pick_addr(w, r);
    switch (rd8(r) % 6) {
    case 0: {
        size_t len = rd16(r) % sizeof buf;
        rd_fill(r, buf, len);
        nst_icmp6_send_echo(w->st, &a, rd8(r) & 1 ? 0 : -1, rd16(r), rd16(r), buf, len);
        break;
    }
    case 1: nst_iface_addr6_add(w->st, 0, &a, rd8(r) % 129); break;
    case 2: nst_iface_addr6_del(w->st, 0, &a); break;
    case 3: nst_route6_add(w->st, &a, rd8(r) % 129, rd8(r) & 1 ? &w->peer : NULL, 0, rd8(r)); break;
    case 4: nst_route6_del(w->st, &a, rd8(r) % 129, NULL); break;
    default: nst_nd_confirm(w->st, 0, &a); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = {data, size, 0};
    uint8_t mode = rd8(&r);
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.ipv6 = 1;
    c.forwarding = mode & 1;
    c.ip6_dad_transmits = mode >> 1 & 1;
    c.ip6_dad_delay = 0;
    if (mode & 4) {
        c.ip6_nd_table_max = 4;
        c.ip6_nd_incomplete_max = 2;
        c.ip6_nd_queue_max = 2;
        c.ip6_reass_mem_max = 8192;
        c.ip6_reass_max_datagrams = 2;
    }
    struct world w;
    memset(&w, 0, sizeof w);
    w.st = nst_stack_new(&c);
    REQUIRE(w.st);
    struct nst_iface_config ic = {.name = "fz", .mac = STACK_MAC, .mtu = MTU, .ops = {.send = link_send}, .ctx = &w};
    REQUIRE(nst_iface_add(w.st, &ic) == 0);
    w.me = ip6("2001:db8::1");
    w.peer = ip6("2001:db8::2");
    w.peer_ll = ip6("fe80::2");
    static const nst_ip6_t fe80 = {{0xfe, 0x80}};
    nst_ip6_from_eui64(&fe80, &STACK_MAC, &w.ll);
    REQUIRE(nst_iface_addr6_add(w.st, 0, &w.me, 64) == 0);
    w.now = NST_SEC(2);
    settle(&w);
    /* The datagram the fragments come from: an echo request to us. */
    uint8_t body[3000];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)i;
    struct nst_icmp6_repr er = {.type = NST_ICMP6_ECHO_REQUEST, .word = 1, .data = body, .data_len = sizeof body};
    w.msg_len = (size_t)nst_icmp6_emit(&er, &w.peer, &w.me, w.msg, sizeof w.msg);
    for (int ops = 0; ops < MAX_OPS && rd_more(&r); ops++) {
        switch (rd8(&r) % 6) {
        case 0: op_raw(&w, &r); break;
        case 1:
        case 2: op_crafted(&w, &r); break;
        case 3: op_fragment(&w, &r); break;
        case 4: w.now += (nst_time_t)rd16(&r) * NST_MSEC(rd8(&r) & 1 ? 1000 : 1); break;
        default: op_local(&w, &r); break;
        }
        settle(&w);
        check_bounds(&w);
    }
    nst_stack_free(w.st);
    return 0;
}
