/* IPv6 input with crafted frames injected through a tap (nst_stack_input):
 * the fixed header and address checks, the extension-header walk and its
 * Parameter Problems (RFC 8200 4), ICMPv6 echo (RFC 4443 4) to unicast and
 * multicast, the error rules of 2.4, Neighbor Discovery validity (RFC 4861
 * 7.1) and NA processing (7.2.5), and floods that must stay bounded. Each
 * case asserts its counter and the exact frames sent. */
#include <errno.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

#define T0 NST_SEC(5)

static uint8_t frame[SU_FRAME_MAX];

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static void inject(struct su6_host *h, size_t len) { su6_host_inject(h, frame, len); }



/* The peer introduces itself (an NS with its MAC): replies need no
 * resolution after this. */

static const uint8_t data16[16] = "0123456789abcdef";

static size_t echo(struct su6_ip *ip)
{
    return su6_build_icmp(frame, ip, NST_ICMP6_ECHO_REQUEST, 0, 0x00070001, data16, sizeof data16);
}

/* Exactly one frame went out: an ICMPv6 message of this type. */
static struct su6_parsed one_icmp(struct su6_host *h, int type)
{
    struct su6_parsed p;
    memset(&p, 0, sizeof p);
    CHECK_EQ(h->tap.n, 1);
    if (h->tap.n < 1)
        return p;
    CHECK_EQ(su6_parse(h->tap.v[0].data, h->tap.v[0].len, &p), 0);
    CHECK(p.icmp_ok);
    CHECK_EQ(p.icmp.type, type);
    return p;
}

static void test_echo_unicast_and_multicast(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    struct su6_ip ip = su6_to_host(&h);
    inject(&h, echo(&ip));
    struct su6_parsed p = one_icmp(&h, NST_ICMP6_ECHO_REPLY);
    CHECK(nst_ip6_eq(&p.ip.src, &h.me) && nst_ip6_eq(&p.ip.dst, &h.peer));
    CHECK_EQ(p.icmp.word, 0x00070001);
    CHECK_MEM(p.icmp.data, data16, sizeof data16);
    su_tap_clear(&h.tap);
    /* To all-nodes: answered from a unicast address of ours (4.2). */
    ip.dst = su6_addr("ff02::1");
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    inject(&h, echo(&ip));
    p = one_icmp(&h, NST_ICMP6_ECHO_REPLY);
    CHECK(nst_ip6_eq(&p.ip.src, &h.me));
    CHECK(nst_ip6_eq(&p.ip.dst, &h.peer));
    su_tap_clear(&h.tap);
    /* To a group we did not join (ff02::99): the MAC filter drops it. */
    uint64_t before = S(h.st)->ip6_rx_mcast_not_joined;
    ip.dst = su6_addr("ff02::99");
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    inject(&h, echo(&ip));
    CHECK_EQ(S(h.st)->ip6_rx_mcast_not_joined, before + 1);
    /* ... and with the all-nodes MAC but that group as destination: dropped by IPv6. */
    nst_ip6_mcast_mac(&(nst_ip6_t){{0xff, 0x02, [15] = 1}}, &ip.eth_dst);
    inject(&h, echo(&ip));
    CHECK_EQ(S(h.st)->ip6_rx_mcast_not_joined, before + 2);
    CHECK_EQ(h.tap.n, 0);
    /* A bad checksum. */
    ip = su6_to_host(&h);
    size_t n = echo(&ip);
    frame[NST_ETH_HLEN + NST_IPV6_HLEN + 2] ^= 0x55;
    inject(&h, n);
    CHECK_EQ(S(h.st)->icmp6_rx_bad_checksum, 1);
    CHECK_EQ(h.tap.n, 0);
    su6_host_down(&h);
}

/* Source/destination checks of RFC 4291, and the fixed header's. */
static void test_bad_addresses_and_header(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    struct su6_ip ip = su6_to_host(&h);
    ip.src = su6_addr("ff02::1");
    inject(&h, echo(&ip));
    ip.src = su6_addr("::1");
    inject(&h, echo(&ip));
    ip.src = su6_addr("::ffff:10.0.0.1");
    inject(&h, echo(&ip));
    CHECK_EQ(S(h.st)->ip6_drop_bad_source, 3);
    ip = su6_to_host(&h);
    ip.dst = su6_addr("::1");
    inject(&h, echo(&ip));
    ip.dst = su6_addr("ff01::1"); /* interface-local scope never comes from a link */
    inject(&h, echo(&ip));
    CHECK_EQ(S(h.st)->ip6_drop_bad_dest, 2);
    /* Not ours, no forwarding. */
    ip.dst = su6_addr("2001:db8::99");
    inject(&h, echo(&ip));
    CHECK_EQ(S(h.st)->ip6_drop_not_for_us, 1);
    /* Payload length past the frame; version 4 in an IPv6 ethertype. */
    ip = su6_to_host(&h);
    size_t n = echo(&ip);
    frame[NST_ETH_HLEN + 5] = 200;
    inject(&h, n);
    CHECK_EQ(S(h.st)->ip6_drop_bad_length, 1);
    n = echo(&ip);
    frame[NST_ETH_HLEN] = 0x40;
    inject(&h, n);
    CHECK_EQ(S(h.st)->ip6_drop_bad_version, 1);
    inject(&h, 30); /* a runt */
    CHECK_EQ(h.tap.n, 0);
    su6_host_down(&h);
}

/* A Parameter Problem answer: code and pointer, quoting our packet. */
static void check_param_problem(struct su6_host *h, uint8_t code, uint32_t pointer, size_t quoted)
{
    struct su6_parsed p = one_icmp(h, NST_ICMP6_PARAM_PROBLEM);
    CHECK_EQ(p.icmp.code, code);
    CHECK_EQ(p.icmp.word, pointer);
    CHECK_EQ(p.icmp.data_len, quoted);
    CHECK(nst_ip6_eq(&p.ip.src, &h->me));
    su_tap_clear(&h->tap);
}

static void test_extension_headers(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h);
    uint8_t ext[16 * 8];
    memset(ext, 0, sizeof ext);
    /* An unknown upper layer (253, RFC 3692 experimental): code 1 at the
     * Next Header field, 6 in the fixed header. */
    struct su6_ip ip = su6_to_host(&h);
    ip.next_header = 253;
    size_t n = su6_build(frame, &ip, data16, sizeof data16);
    inject(&h, n);
    CHECK_EQ(S(h.st)->ip6_drop_unknown_next_header, 1);
    check_param_problem(&h, 1, 6, 40 + 16);
    /* Behind a Destination Options header: the pointer is that header's field (40). */
    ext[0] = 253; /* its Next Header */
    ext[1] = 0;   /* 8 bytes */
    ext[2] = 1;   /* PadN of 4 */
    ext[3] = 4;
    ip.next_header = NST_IP6_NH_DSTOPTS;
    ip.ext = ext;
    ip.ext_len = 8;
    inject(&h, su6_build(frame, &ip, data16, sizeof data16));
    check_param_problem(&h, 1, 40, 40 + 8 + 16);
    /* Hop-by-Hop after another header (4.1): code 1 pointing at the field that named it. */
    ext[0] = NST_IP6_NH_HOPOPTS;
    memcpy(ext + 8, (uint8_t[]){NST_IP6_NH_NONE, 0, 1, 4, 0, 0, 0, 0}, 8);
    ip.ext_len = 16;
    inject(&h, su6_build(frame, &ip, NULL, 0));
    check_param_problem(&h, 1, 40, 40 + 16);
    /* An unknown option whose type says "discard and tell" (10xxxxxx):
     * code 2 at the option. */
    memcpy(ext, (uint8_t[]){NST_IP6_NH_NONE, 0, 0x87, 4, 0, 0, 0, 0}, 8);
    ip.ext_len = 8;
    inject(&h, su6_build(frame, &ip, NULL, 0));
    check_param_problem(&h, 2, 42, 48);
    /* The same type 11xxxxxx to a multicast group: dropped, no error (4.2). */
    memcpy(ext, (uint8_t[]){NST_IP6_NH_NONE, 0, 0xc7, 4, 0, 0, 0, 0}, 8);
    ip.dst = su6_addr("ff02::1");
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint64_t bad = S(h.st)->ip6_drop_bad_ext;
    inject(&h, su6_build(frame, &ip, NULL, 0));
    CHECK_EQ(S(h.st)->ip6_drop_bad_ext, bad + 1);
    CHECK_EQ(h.tap.n, 0);
    /* A routing header with segments left (type 0: RFC 5095): code 0 at its type. */
    ip = su6_to_host(&h);
    memcpy(ext, (uint8_t[]){NST_IP6_NH_NONE, 0, 0, 1, 0, 0, 0, 0}, 8);
    ip.next_header = NST_IP6_NH_ROUTING;
    ip.ext = ext;
    ip.ext_len = 8;
    inject(&h, su6_build(frame, &ip, NULL, 0));
    CHECK_EQ(S(h.st)->ip6_drop_routing_header, 1);
    check_param_problem(&h, 0, 42, 48);
    /* No Next Header (59): accepted, nothing delivered, no answer. */
    memcpy(ext, (uint8_t[]){NST_IP6_NH_NONE, 0, 1, 4, 0, 0, 0, 0}, 8);
    ip.next_header = NST_IP6_NH_DSTOPTS;
    uint64_t delivered = S(h.st)->ip6_rx_delivered;
    inject(&h, su6_build(frame, &ip, NULL, 0));
    CHECK_EQ(S(h.st)->ip6_rx_delivered, delivered + 1);
    CHECK_EQ(h.tap.n, 0);
    /* A chain longer than NST_IPV6_MAX_EXT_HEADERS: dropped silently, counted. */
    for (int i = 0; i < 16; i++)
        memcpy(ext + i * 8, (uint8_t[]){i == 15 ? NST_IP6_NH_ICMPV6 : NST_IP6_NH_DSTOPTS, 0, 1, 4, 0, 0, 0, 0}, 8);
    ip.ext_len = sizeof ext;
    struct nst_icmp6_repr er = {.type = NST_ICMP6_ECHO_REQUEST, .word = 1};
    uint8_t msg[8];
    nst_icmp6_emit(&er, &ip.src, &ip.dst, msg, sizeof msg);
    inject(&h, su6_build(frame, &ip, msg, sizeof msg));
    CHECK_EQ(S(h.st)->ip6_drop_too_many_ext, 1);
    CHECK_EQ(h.tap.n, 0);
    /* Eight are fine: the echo behind them is answered. */
    ip.ext = ext + 8 * 8;
    ip.ext_len = 8 * 8;
    inject(&h, su6_build(frame, &ip, msg, sizeof msg));
    one_icmp(&h, NST_ICMP6_ECHO_REPLY);
    su6_host_down(&h);
}

/* RFC 4443 2.4: no error about an error, nor toward a multicast source;
 * the rate limit holds errors to the bucket. */
static void test_error_rules_and_rate_limit(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.icmp_burst = 4;
    c.icmp_rate_per_sec = 2;
    c.icmp_dst_interval = 0;
    struct su6_host h;
    su6_host_up(&h, &c, T0);
    su6_peer_known(&h);
    /* An ICMPv6 error with an unknown option in front of it: no error back. */
    uint8_t ext[8] = {NST_IP6_NH_ICMPV6, 0, 0x87, 4, 0, 0, 0, 0};
    struct su6_ip ip = su6_to_host(&h);
    ip.next_header = NST_IP6_NH_DSTOPTS;
    ip.ext = ext;
    ip.ext_len = 8;
    uint8_t msg[8 + 40];
    memset(msg, 0, sizeof msg);
    struct nst_icmp6_repr er = {.type = NST_ICMP6_DEST_UNREACH, .data = msg + 8, .data_len = 40};
    nst_icmp6_emit(&er, &ip.src, &ip.dst, msg, sizeof msg);
    inject(&h, su6_build(frame, &ip, msg, sizeof msg));
    CHECK_EQ(S(h.st)->icmp6_error_not_allowed, 1);
    CHECK_EQ(h.tap.n, 0);
    /* Ten bad packets at once: four errors (the burst), the rest limited. */
    ip = su6_to_host(&h);
    ip.next_header = 253;
    for (int i = 0; i < 10; i++)
        inject(&h, su6_build(frame, &ip, data16, sizeof data16));
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_PARAM_PROBLEM), 4);
    CHECK_EQ(S(h.st)->icmp6_rate_limited, 6);
    /* Half a second later, one more token (2 a second). */
    su_tap_clear(&h.tap);
    h.now += NST_MSEC(500);
    for (int i = 0; i < 3; i++)
        inject(&h, su6_build(frame, &ip, data16, sizeof data16));
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_PARAM_PROBLEM), 1);
    su6_host_down(&h);
}

/* RFC 4861 7.1: every NDP message must have hop limit 255, code 0, a
 * sane length and options, a unicast target; each refusal counted, never
 * answered. */
static void test_nd_validation(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    struct su6_ip ip = su6_to_host(&h);
    nst_ip6_t sn;
    nst_ip6_solicited_node(&h.me, &sn);
    ip.dst = sn;
    nst_ip6_mcast_mac(&sn, &ip.eth_dst);
    struct nst_nd_repr r = {.type = NST_ICMP6_NEIGHBOR_SOLICIT, .target = h.me, .has_src_lladdr = 1,
                            .src_lladdr = h.peer_mac};
    ip.hop_limit = 64; /* forwarded from off the link */
    inject(&h, su6_build_nd(frame, &ip, &r));
    CHECK_EQ(S(h.st)->nd_rx_bad_hop_limit, 1);
    ip.hop_limit = 255;
    size_t n = su6_build_nd(frame, &ip, &r);
    /* Option length 0 (4.6: must be dropped): fix the checksum by hand. */
    uint8_t *m = frame + NST_ETH_HLEN + NST_IPV6_HLEN;
    m[25] = 0;
    nst_put16(m + 2, 0);
    nst_put16(m + 2, nst_csum_finish(nst_csum_add(nst_csum_pseudo6(&ip.src, &ip.dst, 58, 32), m, 32)));
    inject(&h, n);
    CHECK_EQ(S(h.st)->nd_rx_bad_option, 1);
    /* A multicast target. */
    r.target = sn;
    inject(&h, su6_build_nd(frame, &ip, &r));
    CHECK_EQ(S(h.st)->nd_rx_bad_target, 1);
    /* A target that is not ours. */
    r.target = su6_addr("2001:db8::42");
    inject(&h, su6_build_nd(frame, &ip, &r));
    CHECK_EQ(S(h.st)->nd_rx_ns_not_for_us, 1);
    CHECK_EQ(h.tap.n, 0);
    CHECK_EQ(S(h.st)->nd_rx_ns, 4);
    /* An NS from :: for our address (someone's DAD): the NA goes to all nodes. */
    r.target = h.me;
    r.has_src_lladdr = 0;
    ip.src = (nst_ip6_t){{0}};
    inject(&h, su6_build_nd(frame, &ip, &r));
    struct su6_parsed p = one_icmp(&h, NST_ICMP6_NEIGHBOR_ADVERT);
    CHECK(nst_ip6_eq(&p.ip.dst, &(nst_ip6_t){{0xff, 0x02, [15] = 1}}));
    CHECK_EQ(p.nd.flags, NST_ND_NA_OVERRIDE);
    CHECK_EQ(nst_neigh6_list(h.st, NULL, 0), 0); /* nothing learnt from :: */
    su6_host_down(&h);
}

static int neigh(struct nst_stack *st, const nst_ip6_t *a, struct nst_neigh6_info *out)
{
    struct nst_neigh6_info v[8];
    int k = nst_neigh6_list(st, v, 8);
    for (int i = 0; i < k && i < 8; i++)
        if (nst_ip6_eq(&v[i].addr, a)) {
            *out = v[i];
            return v[i].state;
        }
    return -1;
}

/* RFC 4861 7.2.5: what an advertisement may change. */
static void test_na_rules(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    struct su6_ip ip = su6_to_host(&h);
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = h.peer, .has_tgt_lladdr = 1,
                             .tgt_lladdr = h.peer_mac, .flags = NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE};
    /* Unsolicited news about a neighbour we never asked for: ignored. */
    inject(&h, su6_build_nd(frame, &ip, &na));
    CHECK_EQ(S(h.st)->nd_rx_na_unsolicited, 1);
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), -1);
    /* We ask (an echo to the peer); an NA without the target's address is no answer. */
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 1, data16, 8), 0);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_INCOMPLETE);
    struct nst_nd_repr bare = na;
    bare.has_tgt_lladdr = 0;
    inject(&h, su6_build_nd(frame, &ip, &bare));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_INCOMPLETE);
    /* The real answer: REACHABLE, the echo leaves. */
    su_tap_clear(&h.tap);
    inject(&h, su6_build_nd(frame, &ip, &na));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_REACHABLE);
    CHECK(nst_mac_eq(&ni.mac, &h.peer_mac));
    one_icmp(&h, NST_ICMP6_ECHO_REQUEST);
    /* Another MAC without Override: the entry keeps its MAC, turns STALE. */
    struct nst_nd_repr other = na;
    other.tgt_lladdr = su_mac(7);
    other.flags = NST_ND_NA_SOLICITED;
    inject(&h, su6_build_nd(frame, &ip, &other));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_STALE);
    CHECK(nst_mac_eq(&ni.mac, &h.peer_mac));
    /* With Override: the MAC moves; unsolicited: STALE. */
    other.flags = NST_ND_NA_OVERRIDE;
    inject(&h, su6_build_nd(frame, &ip, &other));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_STALE);
    CHECK(nst_mac_eq(&ni.mac, &other.tgt_lladdr));
    /* Router flag set, then cleared: counted (router discovery may drop the router). */
    other.flags = NST_ND_NA_OVERRIDE | NST_ND_NA_SOLICITED | NST_ND_NA_ROUTER;
    inject(&h, su6_build_nd(frame, &ip, &other));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_REACHABLE);
    CHECK_EQ(ni.is_router, 1);
    other.flags = NST_ND_NA_OVERRIDE;
    inject(&h, su6_build_nd(frame, &ip, &other));
    CHECK_EQ(S(h.st)->nd_router_lost, 1);
    /* An upper layer's confirmation: REACHABLE without a probe. */
    nst_nd_confirm(h.st, 0, &h.peer);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_REACHABLE);
    CHECK_EQ(S(h.st)->nd_upper_confirmed, 1);
    su6_host_down(&h);
}

/* RFC 4861 7.2.2 / 7.3.3: MAX_MULTICAST_SOLICIT solicitations RetransTimer
 * apart, then the entry goes and its packets with it. */
static void test_resolution_fails(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    nst_ip6_t nobody = su6_addr("2001:db8::dead");
    CHECK_EQ(nst_icmp6_send_echo(h.st, &nobody, -1, 1, 1, data16, 8), 0);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &nobody, -1, 1, 2, data16, 8), 0);
    nst_stack_poll(h.st, T0 + NST_SEC(1));
    nst_stack_poll(h.st, T0 + NST_SEC(2));
    nst_stack_poll(h.st, T0 + NST_SEC(3) - 1);
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_NEIGHBOR_SOLICIT), 3);
    for (size_t i = 0; i < h.tap.n; i++)
        CHECK_EQ(h.tap.v[i].at, T0 + NST_SEC(i));
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &nobody, &ni), NST_NEIGH6_INCOMPLETE);
    CHECK_EQ(ni.queued, 2);
    nst_stack_poll(h.st, T0 + NST_SEC(3));
    CHECK_EQ(neigh(h.st, &nobody, &ni), -1);
    CHECK_EQ(S(h.st)->nd_resolve_failed, 1);
    CHECK_EQ(S(h.st)->ip6_drop_nd_failed, 2);
    CHECK_EQ(h.tap.n, 3); /* our own packets: no error to ourselves */
    su6_host_down(&h);
}

/* Floods: solicitations from many sources fill at most ip6_nd_table_max
 * entries; packets toward many silent addresses at most
 * ip6_nd_incomplete_max; random targets make none. */
static void test_nd_floods_bounded(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ip6_nd_table_max = 16;
    c.ip6_nd_incomplete_max = 8;
    struct su6_host h;
    su6_host_up(&h, &c, T0);
    uint64_t rng = 12345;
    struct su6_ip ip = su6_to_host(&h);
    nst_ip6_t sn;
    nst_ip6_solicited_node(&h.me, &sn);
    for (int i = 0; i < 500; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        struct nst_nd_repr r = {.type = NST_ICMP6_NEIGHBOR_SOLICIT, .target = h.me, .has_src_lladdr = 1,
                                .src_lladdr = su_mac((uint8_t)i)};
        ip.src = h.peer;
        memcpy(ip.src.b + 8, &rng, 8);
        ip.dst = sn;
        nst_ip6_mcast_mac(&sn, &ip.eth_dst);
        if (i % 2) { /* random targets, not ours */
            memcpy(r.target.b + 8, &rng, 8);
        }
        inject(&h, su6_build_nd(frame, &ip, &r));
    }
    CHECK_EQ(S(h.st)->nd_rx_ns_not_for_us, 250);
    CHECK_EQ(nst_neigh6_list(h.st, NULL, 0), 16);
    CHECK_EQ(S(h.st)->nd_table_full, 250 - 16);
    /* Toward 100 silent addresses. */
    for (int i = 0; i < 100; i++) {
        nst_ip6_t d = h.peer;
        d.b[15] = (uint8_t)(100 + i);
        nst_icmp6_send_echo(h.st, &d, -1, 1, 1, data16, 8);
    }
    CHECK_EQ(h.st->ip6->nd_incomplete, 8);
    CHECK_EQ(S(h.st)->nd_incomplete_evicted, 92);
    CHECK_EQ(S(h.st)->ip6_drop_nd_failed, 92);
    CHECK(h.st->ip6->nd_resolved <= 16);
    su6_host_down(&h);
}

/* Our own addresses are delivered through the loopback queue, from a
 * zero-delay timer: nothing on the wire, a /128 without a route too. */
static void test_loopback(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    nst_ip6_t solo = su6_addr("2001:db8:7::7");
    CHECK_EQ(nst_iface_addr6_add(h.st, 0, &solo, 128), 0);
    nst_stack_poll(h.st, h.now); /* its DAD */
    h.now += NST_SEC(1);
    nst_stack_poll(h.st, h.now);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.me, -1, 9, 1, data16, 8), 0);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &solo, -1, 9, 2, data16, 8), 0);
    CHECK_EQ(S(h.st)->icmp6_rx_echo_request, 0); /* not by recursion */
    nst_stack_poll(h.st, h.now);
    CHECK_EQ(S(h.st)->icmp6_rx_echo_request, 2);
    nst_stack_poll(h.st, h.now);
    CHECK_EQ(S(h.st)->icmp6_rx_echo_reply, 2);
    CHECK_EQ(S(h.st)->ip6_loopback, 4);
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_ECHO_REQUEST), 0);
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_ECHO_REPLY), 0);
    su6_host_down(&h);
}

/* A connection's remembered way out (struct nst_dst): filled once the
 * neighbour is REACHABLE, then used without a lookup; a neighbour turning
 * STALE forgets it (the next packet takes the slow path, which starts
 * DELAY as RFC 4861 7.3.3 asks). */
static void test_dst_cache(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    struct su6_ip ip = su6_to_host(&h);
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = h.peer, .has_tgt_lladdr = 1,
                             .tgt_lladdr = h.peer_mac, .flags = NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE};
    struct nst_dst dc = {0};
    struct nst_pkt *p = nst_pkt_alloc(h.st, 8);
    memset(nst_pkt_data(p), 0, 8);
    CHECK_EQ(nst_ip6_output(h.st, p, &h.me, &h.peer, NST_IP6_NH_UDP, 0, 0, -1, 1, &dc), 0);
    CHECK_EQ(dc.gen, 0); /* unresolved: nothing to remember */
    inject(&h, su6_build_nd(frame, &ip, &na));
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_REACHABLE);
    su_tap_clear(&h.tap);
    p = nst_pkt_alloc(h.st, 8);
    memset(nst_pkt_data(p), 0, 8);
    CHECK_EQ(nst_ip6_output(h.st, p, &h.me, &h.peer, NST_IP6_NH_UDP, 0, 0, -1, 1, &dc), 0);
    CHECK_EQ(dc.gen, h.st->ip.dst_gen);
    CHECK_EQ(dc.mtu, 1500);
    CHECK(nst_mac_eq(&dc.mac, &h.peer_mac));
    /* The fast path: the same frame, with no neighbour or route work. */
    uint32_t gen = dc.gen;
    p = nst_pkt_alloc(h.st, 8);
    memset(nst_pkt_data(p), 0, 8);
    CHECK_EQ(nst_ip6_output(h.st, p, &h.me, &h.peer, NST_IP6_NH_UDP, 0, 0, -1, 1, &dc), 0);
    CHECK_EQ(h.tap.n, 2);
    CHECK_EQ(h.tap.v[0].len, h.tap.v[1].len);
    CHECK_MEM(h.tap.v[0].data, h.tap.v[1].data, h.tap.v[0].len);
    /* ReachableTime later the entry is STALE: the cache is stale too. */
    nst_stack_poll(h.st, ni.expires);
    CHECK(h.st->ip.dst_gen != gen);
    p = nst_pkt_alloc(h.st, 8);
    memset(nst_pkt_data(p), 0, 8);
    CHECK_EQ(nst_ip6_output(h.st, p, &h.me, &h.peer, NST_IP6_NH_UDP, 0, 0, -1, 1, &dc), 0);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_DELAY);
    CHECK(dc.gen != h.st->ip.dst_gen); /* DELAY is not handed out */
    su6_host_down(&h);
}

/* RFC 4861 7.3.3: a STALE entry in use waits DELAY_FIRST_PROBE_TIME (5 s)
 * for an upper layer, then probes MAX_UNICAST_SOLICIT (3) times to the
 * MAC it has, RetransTimer apart; unanswered, the entry goes. */
static void test_probe_fails(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    su6_peer_known(&h); /* STALE */
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_STALE);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 1, data16, 8), 0);
    nst_time_t t = h.now;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_DELAY);
    CHECK_EQ(ni.expires, t + NST_SEC(5));
    for (int i = 0; i < 3; i++)
        nst_stack_poll(h.st, t + NST_SEC(5 + i));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PROBE);
    CHECK_EQ(su6_tap_count_icmp(&h.tap, NST_ICMP6_NEIGHBOR_SOLICIT), 3);
    for (long i = 0; (i = su6_tap_find_icmp(&h.tap, NST_ICMP6_NEIGHBOR_SOLICIT, (size_t)i)) >= 0; i++) {
        struct su6_parsed p;
        su6_parse(h.tap.v[i].data, h.tap.v[i].len, &p);
        CHECK(nst_mac_eq(&p.eth.dst, &h.peer_mac)); /* unicast */
        CHECK(nst_ip6_eq(&p.ip.dst, &h.peer));
    }
    nst_stack_poll(h.st, t + NST_SEC(8) - 1);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PROBE);
    nst_stack_poll(h.st, t + NST_SEC(8));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), -1);
    CHECK_EQ(S(h.st)->nd_tx_probes, 3);
    CHECK_EQ(S(h.st)->nd_probe_failed, 1);
    su6_host_down(&h);
}

int main(void)
{
    RUN(test_probe_fails);
    RUN(test_dst_cache);
    RUN(test_loopback);
    RUN(test_echo_unicast_and_multicast);
    RUN(test_bad_addresses_and_header);
    RUN(test_extension_headers);
    RUN(test_error_rules_and_rate_limit);
    RUN(test_nd_validation);
    RUN(test_na_rules);
    RUN(test_resolution_fails);
    RUN(test_nd_floods_bounded);
    return nst_test_done();
}
