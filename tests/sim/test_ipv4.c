/* IPv4 input validation, forwarding and ICMP errors, with crafted frames
 * injected through nst_stack_input: every drop has its counter and sends
 * nothing; routers decrement TTL, answer expiry with Time Exceeded from the
 * interface toward the sender, and unroutable or too-big-with-DF datagrams
 * with Destination Unreachable; ICMP errors obey RFC 1122 3.2.2's rules and
 * the rate limit. */
#include <errno.h>
#include <nstack/nstack.h>

#include "support/sim_util.h"
#include "test.h"

#define HOST NST_IP4(10, 0, 0, 1)
#define PEER NST_IP4(10, 0, 0, 2)
#define T0 NST_SEC(5)

static uint8_t frame[SU_FRAME_MAX];

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

/* ---- a host and crafted frames --------------------------------------------- */

struct host {
    struct nst_stack *st;
    struct su_tap tap;
    struct nst_mac peer;
};

static void host_up(struct host *h)
{
    h->st = su_tap_host(NULL, &h->tap, HOST, 24);
    h->peer = su_mac(2);
    CHECK_EQ(nst_arp_add_static(h->st, 0, PEER, &h->peer), 0);
    nst_stack_poll(h->st, T0);
}

static void host_down(struct host *h)
{
    nst_stack_free(h->st);
    su_tap_free(&h->tap);
}

static struct su_ip to_host(const struct host *h)
{
    struct su_ip ip = {.eth_src = h->peer, .eth_dst = h->tap.mac, .ttl = 64, .id = 0x1234, .src = PEER,
                       .dst = HOST};
    return ip;
}

static const uint8_t ping_data[12] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'};

static size_t echo_frame(const struct host *h)
{
    struct su_ip ip = to_host(h);
    return su_build_icmp(frame, &ip, NST_ICMP_ECHO_REQUEST, 0, 0x77, 5, ping_data, sizeof ping_data);
}

/* The host answered the peer with exactly one frame: an ICMP message of
 * this type, checksums valid. Returns it parsed. */
static struct su_parsed one_icmp_answer(const struct host *h, int type)
{
    struct su_parsed p;
    memset(&p, 0, sizeof(p));
    CHECK_EQ(h->tap.n, 1);
    CHECK_EQ(su_parse(h->tap.v[0].data, h->tap.v[0].len, &p), 0);
    CHECK(p.icmp_ok);
    CHECK_EQ(p.icmp.type, type);
    CHECK_EQ(p.ip.src, HOST);
    CHECK_EQ(p.ip.dst, PEER);
    return p;
}

static void test_echo_baseline(void)
{
    struct host h;
    host_up(&h);
    size_t n = echo_frame(&h);
    CHECK_EQ(n, 60); /* 14 + 20 + 8 + 12 = 54, padded */
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->ip_rx_packets, 1);
    CHECK_EQ(S(h.st)->ip_rx_delivered, 1);
    struct su_parsed p = one_icmp_answer(&h, NST_ICMP_ECHO_REPLY);
    CHECK_EQ(p.icmp.id, 0x77);
    CHECK_EQ(p.icmp.seq, 5);
    /* Link padding is not part of the datagram: the reply echoes 12 bytes. */
    CHECK_EQ(p.icmp.data_len, sizeof ping_data);
    CHECK_MEM(p.icmp.data, ping_data, sizeof ping_data);
    CHECK_EQ(p.ip.ttl, 64);
    CHECK_EQ(p.ip.total_len, 40);
    CHECK_MEM(p.eth.dst.b, h.peer.b, 6);
    host_down(&h);
}

/* Injects a copy of a modified echo frame; checks that exactly `counter`
 * moved by one and nothing was delivered or sent. */
#define EXPECT_DROP(h, len, field)                                           \
    do {                                                                     \
        struct nst_stats before = *S((h)->st);                               \
        su_tap_inject(&(h)->tap, frame, (len), T0);                          \
        CHECK_EQ(S((h)->st)->field, before.field + 1);                       \
        CHECK_EQ(S((h)->st)->ip_rx_packets, before.ip_rx_packets + 1);       \
        CHECK_EQ(S((h)->st)->ip_rx_delivered, before.ip_rx_delivered);       \
        CHECK_EQ((h)->tap.n, 0);                                             \
    } while (0)

static void test_validation_drops(void)
{
    struct host h;
    host_up(&h);
    uint8_t *ip = su_ip_hdr(frame);
    size_t n;

    /* Truncated: shorter than 20 bytes of IPv4. */
    n = echo_frame(&h);
    EXPECT_DROP(&h, NST_ETH_HLEN + 19, ip_drop_truncated);
    /* Truncated: IHL says 24 bytes, the link gave 20 (total length 20). */
    n = echo_frame(&h);
    ip[0] = 0x46;
    nst_put16(ip + 2, 20);
    su_fix_ip_checksum(frame);
    EXPECT_DROP(&h, NST_ETH_HLEN + 20, ip_drop_truncated);
    /* Version 6. */
    n = echo_frame(&h);
    ip[0] = 0x65;
    su_fix_ip_checksum(frame);
    EXPECT_DROP(&h, n, ip_drop_bad_version);
    /* IHL 4. */
    n = echo_frame(&h);
    ip[0] = 0x44;
    EXPECT_DROP(&h, n, ip_drop_bad_ihl);
    /* Total length beyond what the link delivered (60-byte frame: 46). */
    n = echo_frame(&h);
    nst_put16(ip + 2, 47);
    su_fix_ip_checksum(frame);
    EXPECT_DROP(&h, n, ip_drop_bad_length);
    /* Total length shorter than the header. */
    n = echo_frame(&h);
    nst_put16(ip + 2, 19);
    su_fix_ip_checksum(frame);
    EXPECT_DROP(&h, n, ip_drop_bad_length);
    /* Bad header checksum. */
    n = echo_frame(&h);
    ip[10] ^= 0x01;
    EXPECT_DROP(&h, n, ip_drop_bad_checksum);
    /* Damage anywhere in the header fails the checksum, e.g. the TTL. */
    n = echo_frame(&h);
    ip[8] = 63;
    EXPECT_DROP(&h, n, ip_drop_bad_checksum);
    /* Options whose length runs past the header (timestamp, length 10 in 4 bytes). */
    {
        static const uint8_t opt[4] = {0x44, 10, 5, 0};
        struct su_ip x = to_host(&h);
        x.options = opt;
        x.opt_len = 4;
        n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
        EXPECT_DROP(&h, n, ip_drop_bad_options);
        /* ... and an option of length 1 */
        static const uint8_t opt1[4] = {0x07, 1, 0, 0};
        x.options = opt1;
        n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
        EXPECT_DROP(&h, n, ip_drop_bad_options);
    }
    /* Well-formed options are skipped: the echo is answered. */
    {
        static const uint8_t opt[4] = {0x01, 0x01, 0x01, 0x00}; /* NOP NOP NOP EOL */
        struct su_ip x = to_host(&h);
        x.options = opt;
        x.opt_len = 4;
        n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
        su_tap_inject(&h.tap, frame, n, T0);
        CHECK_EQ(h.tap.n, 1);
        CHECK_EQ(S(h.st)->icmp_tx_echo_reply, 1);
        su_tap_clear(&h.tap);
    }
    /* Bogus sources (RFC 1122 3.2.1.3): loopback, limited broadcast, our
     * subnet's broadcast, multicast, class E. */
    static const nst_ip4_t bogus[] = {NST_IP4(127, 0, 0, 1), NST_IP4(127, 9, 9, 9), 0xffffffffu,
                                      NST_IP4(10, 0, 0, 255), NST_IP4(224, 0, 0, 1), NST_IP4(240, 0, 0, 1)};
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        struct su_ip x = to_host(&h);
        x.src = bogus[i];
        n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
        EXPECT_DROP(&h, n, ip_drop_bad_source);
    }
    /* Not for us: another unicast address, a multicast group we are not in,
     * class E, and 0.0.0.0 (RFC 1122 3.2.1.3 (a): never a destination). */
    static const nst_ip4_t other[] = {NST_IP4(10, 0, 0, 7), NST_IP4(192, 168, 1, 1), NST_IP4(224, 0, 0, 5),
                                      NST_IP4(240, 0, 0, 1), 0};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        struct su_ip x = to_host(&h);
        x.dst = other[i];
        n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
        EXPECT_DROP(&h, n, ip_drop_not_for_us);
    }
    /* A frame for another MAC never reaches IP. */
    {
        struct su_ip x = to_host(&h);
        x.eth_dst = su_mac(0x33);
        n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
        uint64_t before = S(h.st)->ip_rx_packets;
        su_tap_inject(&h.tap, frame, n, T0);
        CHECK_EQ(S(h.st)->link_rx_not_for_us, 1);
        CHECK_EQ(S(h.st)->ip_rx_packets, before);
    }
    /* ICMP itself: a bad checksum, a message shorter than its header, and
     * a type we do not handle (timestamp): counted, unanswered. */
    n = echo_frame(&h);
    su_ip_hdr(frame)[20 + 9] ^= 0xff;
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->icmp_rx_bad_checksum, 1);
    {
        struct su_ip x = to_host(&h);
        x.proto = NST_IP_PROTO_ICMP;
        n = su_build_ipv4(frame, &x, "\x08\x00\xf7\xff", 4);
        su_tap_inject(&h.tap, frame, n, T0);
        CHECK_EQ(S(h.st)->icmp_rx_malformed, 1);
        n = su_build_icmp(frame, &x, 13, 0, 1, 1, NULL, 0);
        su_tap_inject(&h.tap, frame, n, T0);
        CHECK_EQ(S(h.st)->icmp_rx_other, 1);
    }
    CHECK_EQ(S(h.st)->icmp_rx_msgs, 4);
    CHECK_EQ(h.tap.n, 0);
    /* An unknown EtherType. */
    n = echo_frame(&h);
    frame[12] = 0x86;
    frame[13] = 0xdd;
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->link_rx_unknown_ethertype, 1);
    CHECK_EQ(h.tap.n, 0);
    CHECK_EQ(S(h.st)->icmp_tx_msgs, 1); /* only the echo reply above */
    host_down(&h);
}

static void test_unknown_protocol(void)
{
    struct host h;
    host_up(&h);
    static const uint8_t payload[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct su_ip x = to_host(&h);
    x.proto = 253; /* RFC 3692 experimentation */
    size_t n = su_build_ipv4(frame, &x, payload, sizeof payload);
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->ip_drop_unknown_protocol, 1);
    CHECK_EQ(S(h.st)->icmp_tx_dest_unreach, 1);
    struct su_parsed p = one_icmp_answer(&h, NST_ICMP_DEST_UNREACH);
    CHECK_EQ(p.icmp.code, NST_ICMP_PROTO_UNREACH);
    CHECK_EQ(p.icmp.id, 0);
    CHECK_EQ(p.icmp.seq, 0);
    CHECK_EQ(p.ip.proto, NST_IP_PROTO_ICMP);
    CHECK_EQ(p.ip.total_len, 20 + 8 + 28);
    /* RFC 792: the offending header and its first 8 data bytes, verbatim. */
    CHECK_EQ(p.icmp.data_len, 28);
    CHECK_MEM(p.icmp.data, su_ip_hdr(frame), 28);
    /* Sent to a broadcast address, the same datagram gets no answer. */
    x.dst = 0xffffffffu;
    x.eth_dst = nst_mac_broadcast;
    n = su_build_ipv4(frame, &x, payload, sizeof payload);
    su_tap_inject(&h.tap, frame, n, T0);
    x.dst = NST_IP4(10, 0, 0, 255);
    n = su_build_ipv4(frame, &x, payload, sizeof payload);
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->ip_drop_unknown_protocol, 3);
    CHECK_EQ(h.tap.n, 1);
    host_down(&h);
}

/* UDP to a closed port: port unreachable, except for broadcasts, for
 * datagrams from 0.0.0.0, and for non-first fragments never completed. */
static void test_icmp_error_rules_host(void)
{
    struct host h;
    host_up(&h);
    struct su_ip x = to_host(&h);
    size_t n = su_build_udp(frame, &x, 1111, 9, "x", 1);
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->udp_rx_no_port, 1);
    CHECK_EQ(h.tap.n, 1);
    CHECK(su_tap_find_icmp(&h.tap, NST_ICMP_DEST_UNREACH, 0) == 0);
    struct su_parsed p;
    su_parse(h.tap.v[0].data, h.tap.v[0].len, &p);
    CHECK_EQ(p.icmp.code, NST_ICMP_PORT_UNREACH);
    /* to the subnet broadcast and to 255.255.255.255 */
    x.eth_dst = nst_mac_broadcast;
    x.dst = NST_IP4(10, 0, 0, 255);
    n = su_build_udp(frame, &x, 1111, 9, "x", 1);
    su_tap_inject(&h.tap, frame, n, T0);
    x.dst = 0xffffffffu;
    n = su_build_udp(frame, &x, 1111, 9, "x", 1);
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->udp_rx_no_port, 3);
    /* from 0.0.0.0 (a DHCP-style source names no host to answer) */
    x = to_host(&h);
    x.src = 0;
    n = su_build_udp(frame, &x, 1111, 9, "x", 1);
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->udp_rx_no_port, 4);
    CHECK_EQ(h.tap.n, 1);
    CHECK_EQ(S(h.st)->icmp_tx_msgs, 1);
    /* An ICMP error about an ICMP error is never sent: an unknown-protocol
     * datagram is answered, but an unreachable for an ICMP error we
     * "receive" for an unknown socket is just counted. */
    x = to_host(&h);
    uint8_t quote[28];
    memcpy(quote, su_ip_hdr(frame), 20);
    quote[9] = NST_IP_PROTO_ICMP;
    quote[20] = NST_ICMP_DEST_UNREACH;
    memset(quote + 21, 0, 7);
    n = su_build_icmp(frame, &x, NST_ICMP_DEST_UNREACH, NST_ICMP_PORT_UNREACH, 0, 0, quote, sizeof quote);
    su_tap_inject(&h.tap, frame, n, T0);
    CHECK_EQ(S(h.st)->icmp_rx_dest_unreach, 1);
    CHECK_EQ(S(h.st)->icmp_rx_unmatched, 1);
    CHECK_EQ(h.tap.n, 1);
    host_down(&h);
}

/* ---- a router with three interfaces ----------------------------------------- */

#define SENDER NST_IP4(10, 1, 0, 9)
#define FAR NST_IP4(10, 2, 0, 9)
#define SMALL NST_IP4(10, 3, 0, 9)

struct router {
    struct nst_stack *st;
    struct su_tap t[3];
    struct nst_mac nb[3]; /* the neighbour host on each interface */
};

static void router_up(struct router *r, const struct nst_stack_config *base)
{
    struct nst_stack_config c;
    if (base)
        c = *base;
    else
        nst_stack_config_default(&c);
    c.deterministic = 1;
    c.forwarding = 1;
    r->st = nst_stack_new(&c);
    static const nst_ip4_t addr[3] = {NST_IP4(10, 1, 0, 1), NST_IP4(10, 2, 0, 1), NST_IP4(10, 3, 0, 1)};
    static const nst_ip4_t nb[3] = {SENDER, FAR, SMALL};
    static const uint32_t mtu[3] = {1500, 1500, 576};
    for (int i = 0; i < 3; i++) {
        struct nst_mac m = su_mac((uint8_t)(1 + i));
        CHECK_EQ(su_tap_attach(r->st, &r->t[i], &m, addr[i], 24, mtu[i]), i);
        r->nb[i] = su_mac((uint8_t)(0x10 + i));
        CHECK_EQ(nst_arp_add_static(r->st, i, nb[i], &r->nb[i]), 0);
    }
    nst_stack_poll(r->st, T0);
}

static void router_down(struct router *r)
{
    nst_stack_free(r->st);
    for (int i = 0; i < 3; i++)
        su_tap_free(&r->t[i]);
}

static struct su_ip from_sender(const struct router *r, nst_ip4_t dst, uint8_t ttl)
{
    struct su_ip ip = {.eth_src = r->nb[0], .eth_dst = r->t[0].mac, .ttl = ttl, .id = 0xbeef, .src = SENDER,
                       .dst = dst};
    return ip;
}

static void test_forward_decrements_ttl(void)
{
    struct router r;
    router_up(&r, NULL);
    struct su_ip x = from_sender(&r, FAR, 9);
    x.tos = 0x10;
    size_t n = su_build_udp(frame, &x, 4000, 53, "query", 5);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->ip_forwarded, 1);
    CHECK_EQ(r.t[1].n, 1);
    CHECK_EQ(r.t[0].n, 0);
    const struct su_frame *f = &r.t[1].v[0];
    CHECK_EQ(f->len, n);
    struct su_parsed p;
    CHECK_EQ(su_parse(f->data, f->len, &p), 0); /* checksums valid */
    CHECK_EQ(p.ip.ttl, 8);
    CHECK(p.udp_ok);
    CHECK_MEM(p.eth.dst.b, r.nb[1].b, 6);
    CHECK_MEM(p.eth.src.b, r.t[1].mac.b, 6);
    /* Every other byte of the datagram is as the sender wrote it. */
    uint8_t want[64];
    memcpy(want, su_ip_hdr(frame), n - NST_ETH_HLEN);
    want[8] = 8;
    CHECK_MEM(f->data + NST_ETH_HLEN, want, 8);
    CHECK_MEM(f->data + NST_ETH_HLEN + 9, want + 9, 1);
    CHECK_MEM(f->data + NST_ETH_HLEN + 12, want + 12, n - NST_ETH_HLEN - 12);
    /* A datagram for the router itself is not forwarded. */
    x = from_sender(&r, NST_IP4(10, 2, 0, 1), 1);
    n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->icmp_tx_echo_reply, 1);
    CHECK_EQ(S(r.st)->ip_forwarded, 1);
    CHECK_EQ(r.t[0].n, 1);
    router_down(&r);
}

/* What a router sends back to the sender about datagram `orig`. */
static void check_error_to_sender(struct router *r, size_t idx, uint8_t type, uint8_t code, uint16_t rest_lo,
                                  const uint8_t *orig)
{
    CHECK(r->t[0].n > idx);
    if (r->t[0].n <= idx)
        return;
    struct su_parsed p;
    CHECK_EQ(su_parse(r->t[0].v[idx].data, r->t[0].v[idx].len, &p), 0);
    CHECK(p.icmp_ok);
    CHECK_EQ(p.icmp.type, type);
    CHECK_EQ(p.icmp.code, code);
    CHECK_EQ(p.icmp.id, 0);
    CHECK_EQ(p.icmp.seq, rest_lo);
    CHECK_EQ(p.ip.src, NST_IP4(10, 1, 0, 1)); /* the interface toward the sender */
    CHECK_EQ(p.ip.dst, SENDER);
    CHECK_EQ(p.ip.ttl, 64);
    CHECK_MEM(p.eth.dst.b, r->nb[0].b, 6);
    CHECK_EQ(p.icmp.data_len, 28);
    CHECK_MEM(p.icmp.data, orig, 28);
}

static void test_ttl_expiry_time_exceeded(void)
{
    struct router r;
    router_up(&r, NULL);
    for (uint8_t ttl = 0; ttl <= 1; ttl++) {
        struct su_ip x = from_sender(&r, FAR, ttl);
        size_t n = su_build_udp(frame, &x, 4000, 33434, "traceroute-probe", 16);
        su_tap_inject(&r.t[0], frame, n, T0);
        CHECK_EQ(S(r.st)->ip_drop_ttl_expired, ttl + 1u);
        /* The quote is the datagram as received (TTL not decremented). */
        check_error_to_sender(&r, ttl, NST_ICMP_TIME_EXCEEDED, NST_ICMP_TTL_EXCEEDED, 0, su_ip_hdr(frame));
    }
    CHECK_EQ(r.t[1].n, 0);
    CHECK_EQ(S(r.st)->icmp_tx_time_exceeded, 2);
    /* Time Exceeded from the interface that faces the sender, whichever it
     * is: a probe from the 10.3/24 side gets 10.3.0.1. */
    struct su_ip x = {.eth_src = r.nb[2], .eth_dst = r.t[2].mac, .ttl = 1, .id = 3, .src = SMALL, .dst = FAR};
    size_t n = su_build_udp(frame, &x, 4000, 33434, NULL, 0);
    su_tap_inject(&r.t[2], frame, n, T0);
    CHECK_EQ(r.t[2].n, 1);
    struct su_parsed p;
    CHECK_EQ(su_parse(r.t[2].v[0].data, r.t[2].v[0].len, &p), 0);
    CHECK_EQ(p.ip.src, NST_IP4(10, 3, 0, 1));
    CHECK_EQ(p.icmp.type, NST_ICMP_TIME_EXCEEDED);
    router_down(&r);
}

static void test_no_route_net_unreachable(void)
{
    struct router r;
    router_up(&r, NULL);
    struct su_ip x = from_sender(&r, NST_IP4(172, 16, 0, 1), 30);
    size_t n = su_build_udp(frame, &x, 4000, 80, "hi", 2);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->ip_drop_no_route, 1);
    CHECK_EQ(S(r.st)->icmp_tx_dest_unreach, 1);
    check_error_to_sender(&r, 0, NST_ICMP_DEST_UNREACH, NST_ICMP_NET_UNREACH, 0, su_ip_hdr(frame));
    /* With a default route it is forwarded to the gateway instead. */
    CHECK_EQ(nst_route_add(r.st, 0, 0, FAR, 1, 0), 0);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(r.t[1].n, 1);
    CHECK_EQ(S(r.st)->ip_forwarded, 1);
    router_down(&r);
}

static void test_df_too_big_frag_needed(void)
{
    struct router r;
    router_up(&r, NULL);
    static uint8_t big[1000];
    memset(big, 0x5a, sizeof big);
    struct su_ip x = from_sender(&r, SMALL, 20);
    x.df = 1;
    size_t n = su_build_udp(frame, &x, 4000, 9, big, sizeof big); /* 1028 bytes of IP > 576 */
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->ip_drop_df_too_big, 1);
    CHECK_EQ(r.t[2].n, 0);
    /* RFC 1191 4: the next-hop MTU in the low 16 bits of the second word. */
    check_error_to_sender(&r, 0, NST_ICMP_DEST_UNREACH, NST_ICMP_FRAG_NEEDED, 576, su_ip_hdr(frame));
    /* Exactly 576 bytes with DF fits and is forwarded. */
    n = su_build_udp(frame, &x, 4000, 9, big, 576 - 28);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(r.t[2].n, 1);
    CHECK_EQ(S(r.st)->ip_drop_df_too_big, 1);
    CHECK_EQ(r.t[2].v[0].len, 14 + 576);
    router_down(&r);
}

static void test_icmp_error_rules_router(void)
{
    struct router r;
    router_up(&r, NULL);
    size_t n;
    /* 1. No error about an ICMP error: an expiring Time Exceeded or
     * Destination Unreachable is dropped silently... */
    static const uint8_t quote[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 2, 0, 9, 10, 1, 0, 9};
    struct su_ip x = from_sender(&r, FAR, 1);
    n = su_build_icmp(frame, &x, NST_ICMP_TIME_EXCEEDED, 0, 0, 0, quote, sizeof quote);
    su_tap_inject(&r.t[0], frame, n, T0);
    n = su_build_icmp(frame, &x, NST_ICMP_DEST_UNREACH, 3, 0, 0, quote, sizeof quote);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->ip_drop_ttl_expired, 2);
    CHECK_EQ(r.t[0].n, 0);
    /* ... but an expiring echo request (not an error) is answered. */
    n = su_build_icmp(frame, &x, NST_ICMP_ECHO_REQUEST, 0, 1, 1, NULL, 0);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(r.t[0].n, 1);
    /* 2. No error about a non-first fragment ... */
    x = from_sender(&r, FAR, 1);
    x.frag_off = 1480;
    x.mf = 1;
    static uint8_t chunk[64];
    x.proto = NST_IP_PROTO_UDP;
    n = su_build_ipv4(frame, &x, chunk, 64);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->ip_drop_ttl_expired, 4);
    CHECK_EQ(r.t[0].n, 1);
    /* ... but one about the first fragment. */
    x.frag_off = 0;
    n = su_build_ipv4(frame, &x, chunk, 64);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(r.t[0].n, 2);
    /* 3. No error about a datagram from a source that names no single host
     * (0.0.0.0): refused before its TTL is looked at (RFC 1812 5.3.7). */
    x = from_sender(&r, FAR, 1);
    x.src = 0;
    n = su_build_udp(frame, &x, 68, 67, NULL, 0);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->ip_drop_ttl_expired, 5);
    CHECK_EQ(S(r.st)->ip_drop_martian_src_zero, 1);
    CHECK_EQ(r.t[0].n, 2);
    /* 4. A limited broadcast is delivered locally (not forwarded): nothing
     * listens on port 9 and no error goes back about a broadcast. */
    x = from_sender(&r, 0xffffffffu, 1);
    x.eth_dst = nst_mac_broadcast;
    n = su_build_udp(frame, &x, 68, 9, NULL, 0);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(S(r.st)->udp_rx_no_port, 1);
    CHECK_EQ(S(r.st)->ip_forwarded, 0);
    CHECK_EQ(r.t[0].n, 2);
    CHECK_EQ(r.t[1].n + r.t[2].n, 0);
    CHECK_EQ(S(r.st)->icmp_tx_msgs, 2);
    router_down(&r);
}

static void inject_expiring(struct router *r, int count, nst_time_t at)
{
    for (int i = 0; i < count; i++) {
        struct su_ip x = from_sender(r, FAR, 1);
        x.id = (uint16_t)i;
        size_t n = su_build_udp(frame, &x, 4000, 33434, NULL, 0);
        su_tap_inject(&r->t[0], frame, n, at);
    }
}

/* Injects `count` expiring datagrams at `at`; by then `sent` ICMP errors
 * have gone out in all and `limited` were held back by the bucket. */
static void expect_errors(struct router *r, int count, nst_time_t at, int sent, int limited)
{
    inject_expiring(r, count, at);
    CHECK_EQ(r->t[0].n, sent);
    CHECK_EQ(S(r->st)->icmp_rate_limited, limited);
}

/* The shared bucket alone, each error costing exactly one token. */
static struct nst_stack_config exact_icmp_bucket(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.icmp_random_cost = 0;
    c.icmp_dst_interval = 0;
    return c;
}

/* RFC 1812 4.3.2.8: a token bucket (burst 50, 1000 per second). */
static void test_icmp_rate_limit(void)
{
    struct nst_stack_config c = exact_icmp_bucket();
    struct router r;
    router_up(&r, &c);
    expect_errors(&r, 60, T0, 50, 10);
    CHECK_EQ(S(r.st)->ip_drop_ttl_expired, 60);
    /* 1 ms later exactly one token has come back. */
    expect_errors(&r, 2, T0 + NST_MSEC(1), 51, 11);
    /* 10 ms after that, ten. */
    expect_errors(&r, 20, T0 + NST_MSEC(11), 61, 21);
    /* Idle for a second: the bucket refills to the burst size, no more. */
    expect_errors(&r, 60, T0 + NST_SEC(2), 111, 31);
    CHECK_EQ(S(r.st)->icmp_tx_time_exceeded, 111);
    router_down(&r);
}

/* A custom limit from the configuration. */
static void test_icmp_rate_limit_config(void)
{
    struct nst_stack_config c = exact_icmp_bucket();
    c.icmp_burst = 3;
    c.icmp_rate_per_sec = 10;
    struct router r;
    router_up(&r, &c);
    expect_errors(&r, 5, T0, 3, 2);
    expect_errors(&r, 5, T0 + NST_MSEC(99), 3, 7);
    /* 0.99 + 2.51 tokens, capped at the burst of 3. */
    expect_errors(&r, 5, T0 + NST_MSEC(350), 6, 9);
    router_down(&r);
}

/* ---- TTL along the lab path ------------------------------------------------- */

static void test_ttl_along_lab_path(void)
{
    struct nst_lab_path lab;
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    CHECK_EQ(nst_lab_path_build(&lab, &o), 0);
    char path[4][256];
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "ipv4_ttl_link%d.pcap", i);
        su_out_path(path[i], sizeof path[i], name);
        CHECK_EQ(nst_sim_link_pcap(lab.links[i], path[i]), 0);
    }
    int fs = su_udp_bound(lab.ny, 0, 5000);
    int fr = su_udp_bound(lab.london, 0, 6000);
    int ttl = 40;
    CHECK_EQ(nst_setsockopt(lab.ny, fs, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof ttl), 0);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, 6000};
    CHECK_EQ(nst_sendto(lab.ny, fs, "ttl", 3, 0, &to), 3);
    nst_world_run_for(lab.world, NST_SEC(1));
    char buf[8];
    struct nst_sockaddr from;
    CHECK_EQ(nst_recvfrom(lab.london, fr, buf, sizeof buf, 0, &from), 3);
    CHECK_EQ(from.addr, NST_LAB_NY_ADDR);
    CHECK_EQ(from.port, 5000);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(nst_sim_link_pcap(lab.links[i], NULL), 0);
        struct su_tap cap;
        CHECK(su_pcap_load(path[i], &cap) >= 1);
        size_t udp = 0;
        for (size_t k = 0; k < cap.n; k++) {
            struct su_parsed p;
            if (su_parse(cap.v[k].data, cap.v[k].len, &p) == 0 && p.udp_ok) {
                udp++;
                CHECK_EQ(p.ip.ttl, 40 - i); /* each router took one */
            }
        }
        CHECK_EQ(udp, 1);
        su_tap_free(&cap);
    }
    for (int i = 0; i < 3; i++)
        CHECK_EQ(S(lab.routers[i])->ip_forwarded, 1);
    nst_lab_path_free(&lab);
}

int main(void)
{
    RUN(test_echo_baseline);
    RUN(test_validation_drops);
    RUN(test_unknown_protocol);
    RUN(test_icmp_error_rules_host);
    RUN(test_forward_decrements_ttl);
    RUN(test_ttl_expiry_time_exceeded);
    RUN(test_no_route_net_unreachable);
    RUN(test_df_too_big_frag_needed);
    RUN(test_icmp_error_rules_router);
    RUN(test_icmp_rate_limit);
    RUN(test_icmp_rate_limit_config);
    RUN(test_ttl_along_lab_path);
    return nst_test_done();
}
