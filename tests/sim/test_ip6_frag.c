/* IPv6 fragments, path MTU and forwarding, with crafted frames:
 * reassembly in any order (RFC 8200 4.5), overlaps discarding the whole
 * datagram (RFC 5722), the 60 s timeout and its Time Exceeded, atomic
 * fragments (RFC 6946), first fragments without the header chain (RFC
 * 7112), bounded memory; fragmentation by the source to the path MTU that
 * Packet Too Big taught (RFC 8201); errors quoting our packets handed on
 * by their protocol, others refused; and a router's hop limit, Time
 * Exceeded, Packet Too Big and link-local rules (RFC 8200 3, RFC 4291
 * 2.5.6, RFC 4443 3). */
#include <errno.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

#define T0 NST_SEC(5)

static uint8_t frame[SU_FRAME_MAX];
static uint8_t msg[8000];

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static void inject(struct su6_host *h, size_t len) { su6_host_inject(h, frame, len); }

static size_t echo_msg(const struct su6_host *h, size_t len)
{
    uint8_t data[7000];
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7);
    struct nst_icmp6_repr r = {.type = NST_ICMP6_ECHO_REQUEST, .word = 0x00090001, .data = data, .data_len = len};
    return (size_t)nst_icmp6_emit(&r, &h->peer, &h->me, msg, sizeof msg);
}

/* A fragment of msg: [off, off + len) with the M flag, id. */
static size_t frag(const struct su6_host *h, uint32_t id, size_t off, size_t len, int more)
{
    uint8_t ext[8] = {NST_IP6_NH_ICMPV6, 0};
    nst_put16(ext + 2, (uint16_t)(off | (more ? 1 : 0)));
    nst_put32(ext + 4, id);
    struct su6_ip ip = su6_to_host(h);
    ip.next_header = NST_IP6_NH_FRAGMENT;
    ip.ext = ext;
    ip.ext_len = 8;
    return su6_build(frame, &ip, msg + off, len);
}

/* The fragments the host sent from `from` on, put back together: the
 * message, checked for one identification, 8-byte offsets, M on all but
 * the last, each frame within mtu. Returns its length, 0 on a mismatch. */
static size_t gather(struct su6_host *h, size_t from, uint32_t mtu, uint8_t *out, size_t *nfrags)
{
    size_t total = 0, n = 0, end = 0;
    uint32_t id = 0;
    for (size_t i = from; i < h->tap.n; i++) {
        struct su6_parsed p;
        if (su6_parse(h->tap.v[i].data, h->tap.v[i].len, &p) < 0 || !p.ext.has_frag)
            continue;
        CHECK(h->tap.v[i].len - NST_ETH_HLEN <= mtu);
        if (n == 0)
            id = p.ext.frag_id;
        CHECK_EQ(p.ext.frag_id, id);
        CHECK_EQ(p.ext.frag_off % 8, 0);
        size_t len = NST_IPV6_HLEN + p.ip.payload_len - (p.ext.frag_hdr_off + 8u);
        memcpy(out + p.ext.frag_off, h->tap.v[i].data + NST_ETH_HLEN + p.ext.frag_hdr_off + 8, len);
        if (!p.ext.frag_more)
            end = p.ext.frag_off + len;
        total += len;
        n++;
    }
    *nfrags = n;
    return total == end ? total : 0;
}

static void test_reassembly_in_any_order(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    size_t m = echo_msg(&h, 3000); /* 3008 bytes: 1448 + 1448 + 112 */
    CHECK_EQ(m, 3008);
    inject(&h, frag(&h, 77, 2896, 112, 0));
    inject(&h, frag(&h, 77, 0, 1448, 1));
    CHECK_EQ(h.tap.n, 0);
    inject(&h, frag(&h, 77, 1448, 1448, 1));
    CHECK_EQ(S(h.st)->ip6_frag_rx, 3);
    CHECK_EQ(S(h.st)->ip6_reass_ok, 1);
    CHECK_EQ(h.st->ip6->reass.count, 0);
    CHECK_EQ(h.st->ip6->reass.mem, 0);
    /* The reply is as long: fragmented by us to the 1500-byte MTU. */
    static uint8_t whole[8000];
    size_t nf;
    CHECK_EQ(gather(&h, 0, 1500, whole, &nf), 3008);
    CHECK_EQ(nf, 3);
    CHECK_EQ(whole[0], NST_ICMP6_ECHO_REPLY);
    CHECK_MEM(whole + 8, msg + 8, 3000);
    CHECK_EQ(S(h.st)->ip6_frag_created, 3);
    /* An exact duplicate is harmless; the datagram still completes. */
    su_tap_clear(&h.tap);
    inject(&h, frag(&h, 78, 0, 1448, 1));
    inject(&h, frag(&h, 78, 0, 1448, 1));
    inject(&h, frag(&h, 78, 1448, 1448, 1));
    inject(&h, frag(&h, 78, 2896, 112, 0));
    CHECK_EQ(S(h.st)->ip6_reass_ok, 2);
    CHECK_EQ(S(h.st)->ip6_reass_overlap, 0);
    su6_host_down(&h);
}

static void test_overlap_discards_datagram(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    echo_msg(&h, 3000);
    inject(&h, frag(&h, 5, 0, 1448, 1));
    inject(&h, frag(&h, 5, 1440, 1448, 1)); /* overlaps the first by 8 */
    CHECK_EQ(S(h.st)->ip6_reass_overlap, 1);
    /* RFC 5722: the rest of that datagram goes too, even what would complete it. */
    inject(&h, frag(&h, 5, 1448, 1448, 1));
    inject(&h, frag(&h, 5, 2896, 112, 0));
    CHECK_EQ(S(h.st)->ip6_reass_ok, 0);
    CHECK_EQ(h.tap.n, 0);
    /* Its timeout sends no Time Exceeded. */
    nst_stack_poll(h.st, h.now + NST_SEC(61));
    CHECK_EQ(h.tap.n, 0);
    CHECK_EQ(h.st->ip6->reass.count, 0);
    su6_host_down(&h);
}

static void test_timeout_time_exceeded(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    echo_msg(&h, 3000);
    inject(&h, frag(&h, 9, 0, 1448, 1));
    nst_time_t first = h.now;
    inject(&h, frag(&h, 10, 1448, 1448, 1)); /* a datagram whose first fragment never comes */
    nst_stack_poll(h.st, first + NST_SEC(59));
    su6_peer_known(&h); /* keeps the peer's entry (a STALE one unused for 60 s is forgotten) */
    nst_stack_poll(h.st, first + NST_SEC(60) - 1);
    CHECK_EQ(h.tap.n, 0);
    nst_stack_poll(h.st, first + NST_SEC(60));
    CHECK_EQ(h.tap.n, 1);
    struct su6_parsed p;
    CHECK_EQ(su6_parse(h.tap.v[0].data, h.tap.v[0].len, &p), 0);
    CHECK(p.icmp_ok && p.icmp.type == NST_ICMP6_TIME_EXCEEDED);
    CHECK_EQ(p.icmp.code, NST_ICMP6_REASS_EXCEEDED);
    CHECK_EQ(h.tap.v[0].at, first + NST_SEC(60));
    /* The quote is the first fragment, cut to fit 1280 bytes (RFC 4443 2.4 (c)). */
    CHECK_EQ(p.icmp.data_len, NST_ICMP6_MAX_QUOTE);
    CHECK_EQ(p.icmp.data[6], NST_IP6_NH_FRAGMENT);
    nst_stack_poll(h.st, first + NST_SEC(61));
    CHECK_EQ(S(h.st)->ip6_reass_timeout, 2);
    CHECK_EQ(S(h.st)->icmp6_tx_time_exceeded, 1);
    CHECK_EQ(h.tap.n, 1);
    CHECK_EQ(h.st->ip6->reass.mem, 0);
    su6_host_down(&h);
}

static void test_atomic_and_bad_fragments(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    size_t m = echo_msg(&h, 100);
    /* Atomic (offset 0, M 0): processed on its own, even while a
     * reassembly with its identification is under way (RFC 6946). */
    inject(&h, frag(&h, 3, 0, 1448, 1));
    echo_msg(&h, 100);
    inject(&h, frag(&h, 3, 0, m, 0));
    CHECK_EQ(S(h.st)->ip6_frag_atomic, 1);
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_ECHO_REPLY), 1);
    CHECK_EQ(h.st->ip6->reass.count, 1);
    su_tap_clear(&h.tap);
    /* M set, length not a multiple of 8: code 0 at the Payload Length. */
    inject(&h, frag(&h, 4, 0, 100, 1));
    struct su6_parsed p;
    CHECK_EQ(h.tap.n, 1);
    CHECK_EQ(su6_parse(h.tap.v[0].data, h.tap.v[0].len, &p), 0);
    CHECK(p.icmp.type == NST_ICMP6_PARAM_PROBLEM && p.icmp.code == 0 && p.icmp.word == 4);
    su_tap_clear(&h.tap);
    /* A first fragment that stops inside the header chain (RFC 7112):
     * code 3, pointer 0. */
    uint8_t ext[16] = {NST_IP6_NH_DSTOPTS, 0, 0, 1, 0, 0, 0, 11, NST_IP6_NH_ICMPV6, 0, 1, 4, 0, 0, 0, 0};
    struct su6_ip ip = su6_to_host(&h);
    ip.next_header = NST_IP6_NH_FRAGMENT;
    ip.ext = ext;
    ip.ext_len = 16;
    inject(&h, su6_build(frame, &ip, NULL, 0));
    CHECK_EQ(S(h.st)->ip6_drop_frag_chain, 1);
    CHECK_EQ(h.tap.n, 1);
    CHECK_EQ(su6_parse(h.tap.v[0].data, h.tap.v[0].len, &p), 0);
    CHECK(p.icmp.type == NST_ICMP6_PARAM_PROBLEM && p.icmp.code == 3 && p.icmp.word == 0);
    su_tap_clear(&h.tap);
    /* A Fragment header inside a fragment (fragments looping): refused. */
    uint8_t nested[16] = {NST_IP6_NH_FRAGMENT, 0, 0, 1, 0, 0, 0, 12, NST_IP6_NH_ICMPV6, 0, 0, 1, 0, 0, 0, 13};
    ip.ext = nested;
    echo_msg(&h, 100);
    inject(&h, su6_build(frame, &ip, msg, 8));
    CHECK_EQ(S(h.st)->ip6_reass_bad, 1);
    CHECK_EQ(h.tap.n, 0);
    /* A last fragment ending before data already held: the datagram goes. */
    echo_msg(&h, 3000);
    inject(&h, frag(&h, 20, 1448, 1448, 1));
    inject(&h, frag(&h, 20, 8, 992, 0));
    CHECK_EQ(S(h.st)->ip6_reass_bad, 2);
    su6_host_down(&h);
}

static void test_reassembly_memory_bounded(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ip6_reass_mem_max = 64 * 1024;
    c.ip6_reass_max_datagrams = 16;
    struct su6_host h;
    su6_host_up(&h, &c, T0);
    su6_peer_known(&h);
    echo_msg(&h, 3000);
    for (uint32_t id = 0; id < 200; id++) {
        inject(&h, frag(&h, 1000 + id, 0, 1448, 1));
        CHECK(h.st->ip6->reass.mem <= c.ip6_reass_mem_max);
        CHECK(h.st->ip6->reass.count <= 16);
    }
    CHECK(S(h.st)->ip6_reass_mem_drops >= 184);
    /* 128 tiny fragments at most per datagram. */
    for (uint32_t i = 0; i < 300; i++)
        inject(&h, frag(&h, 5000, 8 + i * 8, 8, 1));
    CHECK(h.st->ip6->reass.mem <= c.ip6_reass_mem_max);
    su6_host_down(&h);
}

/* A Packet Too Big from a router on the path, quoting a packet of ours to `dst`. */
static size_t too_big(const struct su6_host *h, const nst_ip6_t *from, const nst_ip6_t *quoted_src, const nst_ip6_t *dst,
                      uint32_t mtu, uint8_t proto)
{
    uint8_t q[48];
    memset(q, 0, sizeof q);
    struct nst_ipv6_repr qh = {.payload_len = 1400, .next_header = proto, .hop_limit = 60, .src = *quoted_src,
                               .dst = *dst};
    nst_ipv6_emit(&qh, q);
    struct su6_ip ip = su6_to_host(h);
    ip.src = *from;
    return su6_build_icmp(frame, &ip, NST_ICMP6_PACKET_TOO_BIG, 0, mtu, q, sizeof q);
}

static void test_path_mtu(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    nst_ip6_t far = su6_addr("2001:db8:99::7"), rtr = h.peer;
    CHECK_EQ(nst_route6_add(h.st, &(nst_ip6_t){{0}}, 0, &h.peer, 0, 1), 0);
    uint32_t mtu;
    nst_ip6_t src;
    CHECK_EQ(nst_ip6_route_src(h.st, &far, -1, &src, &mtu), 0);
    CHECK_EQ(mtu, 1500);
    CHECK(nst_ip6_eq(&src, &h.me));
    inject(&h, too_big(&h, &rtr, &h.me, &far, 1400, NST_IP6_NH_UDP));
    CHECK_EQ(S(h.st)->icmp6_pmtu_updates, 1);
    CHECK_EQ(S(h.st)->icmp6_rx_error_udp, 1);
    nst_ip6_route_src(h.st, &far, -1, &src, &mtu);
    CHECK_EQ(mtu, 1400);
    /* Our next large datagram is cut to it: 1400-byte packets. */
    static uint8_t whole[8000];
    uint8_t data[1400];
    memset(data, 0xab, sizeof data);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &far, -1, 1, 1, data, sizeof data), 0);
    size_t nf;
    CHECK_EQ(gather(&h, 0, 1400, whole, &nf), 1408);
    CHECK_EQ(nf, 2);
    /* Larger news is ignored (never raised by a Packet Too Big); smaller
     * than 1280 is raised to 1280 (RFC 8201 4). */
    inject(&h, too_big(&h, &rtr, &h.me, &far, 1450, NST_IP6_NH_TCP));
    CHECK_EQ(S(h.st)->icmp6_pmtu_ignored, 1);
    CHECK_EQ(S(h.st)->icmp6_rx_error_tcp, 1);
    inject(&h, too_big(&h, &rtr, &h.me, &far, 500, NST_IP6_NH_TCP));
    nst_ip6_route_src(h.st, &far, -1, &src, &mtu);
    CHECK_EQ(mtu, 1280);
    /* About a packet that was not ours: refused. */
    nst_ip6_t stranger = su6_addr("2001:db8::77");
    inject(&h, too_big(&h, &rtr, &stranger, &far, 1300, NST_IP6_NH_TCP));
    CHECK_EQ(S(h.st)->icmp6_rx_error_not_ours, 1);
    nst_ip6_route_src(h.st, &far, -1, &src, &mtu);
    CHECK_EQ(mtu, 1280);
    /* Ten minutes later, tried at the link's MTU again. */
    nst_stack_poll(h.st, h.now + NST_SEC(600));
    nst_ip6_route_src(h.st, &far, -1, &src, &mtu);
    CHECK_EQ(mtu, 1500);
    /* dontfrag: -EMSGSIZE instead of fragments. */
    struct nst_pkt *p = nst_pkt_alloc(h.st, 1600);
    CHECK_EQ(nst_ip6_output(h.st, p, NULL, &far, NST_IP6_NH_UDP, 0, 0, -1, 1, NULL), -EMSGSIZE);
    CHECK_EQ(S(h.st)->ip6_drop_too_big, 1);
    su6_host_down(&h);
}

/* ---- a router ---------------------------------------------------------------- */

struct router {
    struct nst_stack *st;
    struct su_tap t[2];
    nst_ip6_t addr[2], nb[2];
    struct nst_mac nbmac[2];
    nst_time_t now;
};

static void router_up(struct router *r)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.forwarding = 1;
    c.ip6_dad_delay = 0;
    c.icmp_random_cost = 0;
    c.nd_rtr_solicitations = 0; /* no Router Solicitations among the frames the tests count */
    c.deterministic = 1;
    r->st = nst_stack_new(&c);
    const char *a[2] = {"2001:db8:1::1", "2001:db8:2::1"}, *n[2] = {"2001:db8:1::9", "2001:db8:2::9"};
    for (int i = 0; i < 2; i++) {
        struct nst_mac m = su_mac((uint8_t)(0x10 + i));
        CHECK_EQ(su_tap_attach(r->st, &r->t[i], &m, 0, 0, i ? 1280 : 1500), i);
        r->addr[i] = su6_addr(a[i]);
        r->nb[i] = su6_addr(n[i]);
        r->nbmac[i] = su_mac((uint8_t)(0x20 + i));
        CHECK_EQ(nst_iface_addr6_add(r->st, i, &r->addr[i], 64), 0);
    }
    r->now = T0;
    nst_stack_poll(r->st, 0);
    nst_stack_poll(r->st, NST_SEC(1));
    nst_stack_poll(r->st, T0);
    for (int i = 0; i < 2; i++) { /* each neighbour introduces itself */
        struct su6_ip ip = {.eth_src = r->nbmac[i], .eth_dst = r->t[i].mac, .src = r->nb[i], .dst = r->addr[i]};
        struct nst_nd_repr ns = {.type = NST_ICMP6_NEIGHBOR_SOLICIT, .target = r->addr[i], .has_src_lladdr = 1,
                                 .src_lladdr = r->nbmac[i]};
        su_tap_inject(&r->t[i], frame, su6_build_nd(frame, &ip, &ns), r->now);
        su_tap_clear(&r->t[i]);
    }
}

static void router_send(struct router *r, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t hop, size_t len)
{
    struct su6_ip ip = {.eth_src = r->nbmac[0], .eth_dst = r->t[0].mac, .src = *src, .dst = *dst, .hop_limit = hop};
    static uint8_t data[2000];
    r->now += NST_MSEC(1);
    su_tap_inject(&r->t[0], frame, su6_build_icmp(frame, &ip, NST_ICMP6_ECHO_REQUEST, 0, 1, data, len), r->now);
}

static struct su6_parsed error_back(struct router *r, uint8_t type, uint8_t code)
{
    struct su6_parsed p;
    memset(&p, 0, sizeof p);
    CHECK_EQ(r->t[0].n, 1);
    CHECK_EQ(r->t[1].n, 0);
    if (r->t[0].n == 1) {
        CHECK_EQ(su6_parse(r->t[0].v[0].data, r->t[0].v[0].len, &p), 0);
        CHECK(p.icmp_ok && p.icmp.type == type && p.icmp.code == code);
    }
    su_tap_clear(&r->t[0]);
    return p;
}

static void test_forwarding(void)
{
    struct router r;
    router_up(&r);
    router_send(&r, &r.nb[0], &r.nb[1], 64, 100);
    CHECK_EQ(r.t[1].n, 1);
    struct su6_parsed p;
    CHECK_EQ(su6_parse(r.t[1].v[0].data, r.t[1].v[0].len, &p), 0);
    CHECK_EQ(p.ip.hop_limit, 63);
    CHECK(nst_mac_eq(&p.eth.dst, &r.nbmac[1]));
    CHECK(p.icmp_ok && p.icmp.type == NST_ICMP6_ECHO_REQUEST); /* checksum untouched and valid */
    CHECK_EQ(S(r.st)->ip6_forwarded, 1);
    su_tap_clear(&r.t[1]);
    /* Hop limit 1: Time Exceeded code 0 to the sender, from our address on its link. */
    router_send(&r, &r.nb[0], &r.nb[1], 1, 100);
    p = error_back(&r, NST_ICMP6_TIME_EXCEEDED, 0);
    CHECK(nst_ip6_eq(&p.ip.dst, &r.nb[0]));
    CHECK(nst_ip6_eq(&p.ip.src, &r.addr[0]));
    /* Bigger than the next link (1280): Packet Too Big with its MTU. */
    router_send(&r, &r.nb[0], &r.nb[1], 64, 1300);
    p = error_back(&r, NST_ICMP6_PACKET_TOO_BIG, 0);
    CHECK_EQ(p.icmp.word, 1280);
    /* No route: Destination Unreachable code 0. */
    nst_ip6_t nowhere = su6_addr("2001:db8:77::1");
    router_send(&r, &r.nb[0], &nowhere, 64, 10);
    error_back(&r, NST_ICMP6_DEST_UNREACH, NST_ICMP6_NO_ROUTE);
    /* A link-local source never leaves its link: beyond scope (3.1 code 2). */
    nst_ip6_t ll = su6_addr("fe80::9");
    router_send(&r, &ll, &r.nb[1], 64, 10);
    CHECK_EQ(S(r.st)->ip6_drop_fwd_link_local, 1);
    /* The sender's link-local address is resolved first; the error
     * waits for the answer, then leaves from our link-local address. */
    CHECK_EQ(su6_tap_count_icmp(&r.t[0], NST_ICMP6_NEIGHBOR_SOLICIT), 1);
    CHECK_EQ(r.t[0].n, 1);
    su_tap_clear(&r.t[0]);
    struct su6_ip nip = {.eth_src = r.nbmac[0], .eth_dst = r.t[0].mac, .src = ll,
                         .dst = su6_link_local(&r.t[0].mac)};
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = ll, .has_tgt_lladdr = 1,
                             .tgt_lladdr = r.nbmac[0], .flags = NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE};
    su_tap_inject(&r.t[0], frame, su6_build_nd(frame, &nip, &na), r.now);
    p = error_back(&r, NST_ICMP6_DEST_UNREACH, NST_ICMP6_BEYOND_SCOPE);
    CHECK(nst_ip6_eq(&p.ip.src, &nip.dst));
    CHECK(nst_ip6_eq(&p.ip.dst, &ll));
    /* A link-local destination that is not ours: dropped. */
    nst_ip6_t ll2 = su6_addr("fe80::77");
    router_send(&r, &r.nb[0], &ll2, 64, 10);
    CHECK_EQ(S(r.st)->ip6_drop_fwd_link_local, 2);
    CHECK_EQ(r.t[0].n + r.t[1].n, 0);
    CHECK_EQ(S(r.st)->ip6_forwarded, 1);
    /* Our own address as the source: forged or looped, not passed on. */
    router_send(&r, &r.addr[0], &r.nb[1], 64, 10);
    CHECK_EQ(S(r.st)->ip6_drop_bad_source, 1);
    CHECK_EQ(r.t[0].n + r.t[1].n, 0);
    /* A next hop nobody answers for: three solicitations on its link,
     * then Address Unreachable to the sender (RFC 4861 7.2.2). */
    nst_ip6_t silent = su6_addr("2001:db8:2::77");
    router_send(&r, &r.nb[0], &silent, 64, 10);
    nst_time_t t = r.now;
    for (int i = 1; i <= 3; i++)
        nst_stack_poll(r.st, t + NST_SEC(i));
    CHECK_EQ(su6_tap_count_icmp(&r.t[1], NST_ICMP6_NEIGHBOR_SOLICIT), 3);
    su_tap_clear(&r.t[1]);
    p = error_back(&r, NST_ICMP6_DEST_UNREACH, NST_ICMP6_ADDR_UNREACH);
    CHECK(nst_ip6_eq(&p.ip.dst, &r.nb[0]));
    CHECK_EQ(S(r.st)->nd_resolve_failed, 1);
    for (int i = 0; i < 2; i++)
        su_tap_free(&r.t[i]);
    nst_stack_free(r.st);
}

int main(void)
{
    RUN(test_reassembly_in_any_order);
    RUN(test_overlap_discards_datagram);
    RUN(test_timeout_time_exceeded);
    RUN(test_atomic_and_bad_fragments);
    RUN(test_reassembly_memory_bounded);
    RUN(test_path_mtu);
    RUN(test_forwarding);
    return nst_test_done();
}
