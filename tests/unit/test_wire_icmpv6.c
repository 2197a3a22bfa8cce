/* ICMPv6 (src/wire/icmpv6.c) and Neighbor Discovery (src/wire/ndp.c)
 * against frames the Linux kernel sent (tests/unit/wire_frames6.h): echo,
 * port unreachable, DAD and address-resolution NS, NA, RS; emitting NS/NA/RS
 * gives the kernel's bytes back (the DAD probe with its RFC 7527 nonce too); then every validity rule of RFC 4861
 * 6.1, 7.1 and 8.1 on crafted messages, and RFC 4443 2.4's rules for when
 * an error may be sent. */
#include "test.h"
#include "wire/checksum.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"
#include "wire_frames6.h"

#include <errno.h>

#define ETH 14
#define L4 (ETH + 40)

static nst_ip6_t addr(const char *s)
{
    nst_ip6_t a;
    CHECK_EQ(nst_ip6_parse(s, &a, NULL), 0);
    return a;
}

/* The IPv6 header of a captured frame and its ICMPv6 message. */
struct msg {
    struct nst_ipv6_repr ip;
    const uint8_t *icmp;
    size_t len;
};

static struct msg frame(const uint8_t *f, size_t flen)
{
    struct msg m;
    CHECK_EQ(nst_ipv6_parse(f + ETH, flen - ETH, &m.ip), 40);
    m.icmp = f + L4;
    m.len = m.ip.payload_len;
    return m;
}

static int nd_parse(const struct msg *m, struct nst_nd_repr *r)
{
    struct nst_nd_ip ip = {&m->ip.src, &m->ip.dst, m->ip.hop_limit};
    return nst_nd_parse(m->icmp, m->len, &ip, r);
}

static void test_echo(void)
{
    struct msg m = frame(echo6_req, sizeof echo6_req);
    struct nst_icmp6_repr r;
    CHECK_EQ(nst_icmp6_parse(m.icmp, m.len, &m.ip.src, &m.ip.dst, &r, 1), 0);
    CHECK_EQ(r.type, NST_ICMP6_ECHO_REQUEST);
    CHECK_EQ(r.code, 0);
    CHECK_EQ(r.word, 0x5d160001u);
    CHECK_EQ(r.data_len, 56);
    /* The reply is the request with the type changed and the addresses swapped. */
    struct msg rep = frame(echo6_reply, sizeof echo6_reply);
    uint8_t out[128];
    struct nst_icmp6_repr a = {NST_ICMP6_ECHO_REPLY, 0, r.word, r.data, r.data_len};
    CHECK_EQ(nst_icmp6_emit(&a, &m.ip.dst, &m.ip.src, out, sizeof out), 64);
    CHECK_MEM(out, rep.icmp, 64);
    CHECK_EQ(nst_icmp6_emit(&a, &m.ip.dst, &m.ip.src, out, 63), -ENOSPC);
    /* A checksum over the wrong pseudo-header fails: it covers the addresses. */
    CHECK_EQ(nst_icmp6_parse(m.icmp, m.len, &m.ip.dst, &m.ip.dst, &r, 1), -EBADMSG);
    CHECK_EQ(nst_icmp6_parse(m.icmp, 7, &m.ip.src, &m.ip.dst, &r, 0), -EINVAL);
    uint8_t bad[64];
    memcpy(bad, m.icmp, 64);
    bad[20] ^= 1;
    CHECK_EQ(nst_icmp6_parse(bad, 64, &m.ip.src, &m.ip.dst, &r, 1), -EBADMSG);
    CHECK_EQ(nst_icmp6_parse(bad, 64, &m.ip.src, &m.ip.dst, &r, 0), 0);
}

/* The kernel's port unreachable quotes the whole UDP datagram it refused. */
static void test_port_unreachable(void)
{
    struct msg m = frame(icmp6_port_unreach, sizeof icmp6_port_unreach);
    struct nst_icmp6_repr r;
    CHECK_EQ(nst_icmp6_parse(m.icmp, m.len, &m.ip.src, &m.ip.dst, &r, 1), 0);
    CHECK_EQ(r.type, NST_ICMP6_DEST_UNREACH);
    CHECK_EQ(r.code, NST_ICMP6_PORT_UNREACH);
    CHECK(nst_icmp6_is_error(r.type));
    CHECK_EQ(r.word, 0);
    CHECK_EQ(r.data_len, 40 + 8 + 7);
    struct nst_ipv6_repr quoted;
    CHECK_EQ(nst_ipv6_parse(r.data, r.data_len, &quoted), 40);
    CHECK_EQ(quoted.next_header, NST_IP6_NH_UDP);
    CHECK_EQ(nst_get16(r.data + 42), 7778);
    /* Re-emitted from the repr: the same bytes. */
    uint8_t out[128];
    CHECK_EQ(nst_icmp6_emit(&r, &m.ip.src, &m.ip.dst, out, sizeof out), (int)m.len);
    CHECK_MEM(out, m.icmp, m.len);
}

static void test_neighbor_solicitation(void)
{
    struct msg m = frame(ns, sizeof ns);
    struct nst_nd_repr r;
    CHECK_EQ(nd_parse(&m, &r), 0);
    CHECK_EQ(r.type, NST_ICMP6_NEIGHBOR_SOLICIT);
    nst_ip6_t want = addr("2001:db8::2"), group;
    CHECK(nst_ip6_eq(&r.target, &want));
    nst_ip6_solicited_node(&want, &group);
    CHECK(nst_ip6_eq(&m.ip.dst, &group));
    CHECK_EQ(r.has_src_lladdr, 1);
    CHECK_MEM(r.src_lladdr.b, ns + 6, 6); /* the option names the sender's MAC */
    CHECK_EQ(r.has_tgt_lladdr, 0);
    uint8_t out[64];
    CHECK_EQ(nst_nd_emit(&r, &m.ip.src, &m.ip.dst, out, sizeof out), 32);
    CHECK_MEM(out, m.icmp, 32);
}

static void test_dad_solicitation(void)
{
    struct msg m = frame(ns_dad, sizeof ns_dad);
    struct nst_nd_repr r;
    CHECK_EQ(nd_parse(&m, &r), 0);
    CHECK(nst_ip6_is_unspecified(&m.ip.src));
    nst_ip6_t want = addr("fe80::4e:53ff:fe00:1");
    CHECK(nst_ip6_eq(&r.target, &want));
    CHECK_EQ(r.has_src_lladdr, 0);
    /* Linux adds a Nonce option (RFC 7527, type 14, six bytes) to its DAD
     * probes; it is parsed, and emitted again the message is Linux's to
     * the byte, checksum included. */
    CHECK_EQ(m.len, 32);
    CHECK_EQ(m.icmp[24], NST_ND_OPT_NONCE);
    CHECK_EQ(r.has_nonce, 1);
    CHECK_MEM(r.nonce, m.icmp + 26, NST_ND_NONCE_LEN);
    uint8_t out[64];
    CHECK_EQ(nst_nd_emit(&r, &m.ip.src, &m.ip.dst, out, sizeof out), 32);
    CHECK_MEM(out, m.icmp, 32);
    /* Without it, the same up to the options, with its own checksum. */
    r.has_nonce = 0;
    CHECK_EQ(nst_nd_emit(&r, &m.ip.src, &m.ip.dst, out, sizeof out), 24);
    CHECK_MEM(out + 4, m.icmp + 4, 20);
    struct nst_icmp6_repr ic;
    CHECK_EQ(nst_icmp6_parse(out, 24, &m.ip.src, &m.ip.dst, &ic, 1), 0);
}

static void test_neighbor_advertisement(void)
{
    struct msg m = frame(na, sizeof na);
    struct nst_nd_repr r;
    CHECK_EQ(nd_parse(&m, &r), 0);
    CHECK_EQ(r.type, NST_ICMP6_NEIGHBOR_ADVERT);
    CHECK_EQ(r.flags, NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE);
    CHECK_EQ(r.has_tgt_lladdr, 1);
    const uint8_t mac2[6] = {0x02, 0x4e, 0x53, 0x00, 0x00, 0x02};
    CHECK_MEM(r.tgt_lladdr.b, mac2, 6);
    uint8_t out[64];
    CHECK_EQ(nst_nd_emit(&r, &m.ip.src, &m.ip.dst, out, sizeof out), 32);
    CHECK_MEM(out, m.icmp, 32);
    CHECK_EQ(nst_nd_emit(&r, &m.ip.src, &m.ip.dst, out, 31), -ENOSPC);
}

static void test_router_solicitation(void)
{
    struct msg m = frame(rs, sizeof rs);
    struct nst_nd_repr r;
    CHECK_EQ(nd_parse(&m, &r), 0);
    CHECK_EQ(r.type, NST_ICMP6_ROUTER_SOLICIT);
    CHECK_EQ(r.has_src_lladdr, 1);
    uint8_t out[64];
    CHECK_EQ(nst_nd_emit(&r, &m.ip.src, &m.ip.dst, out, sizeof out), 16);
    CHECK_MEM(out, m.icmp, 16);
}

/* ---- crafted Neighbor Discovery --------------------------------------------- */

static int crafted(const uint8_t *icmp, size_t len, const char *src, const char *dst, uint8_t hop,
                   struct nst_nd_repr *r)
{
    nst_ip6_t s = addr(src), d = addr(dst);
    struct nst_nd_ip ip = {&s, &d, hop};
    return nst_nd_parse(icmp, len, &ip, r);
}

/* A Router Advertisement: hop limit 64, M and O, lifetime 1800 s,
 * reachable 30 s, retransmit 1 s; a source link-layer address, an MTU of
 * 1480 and a prefix 2001:db8:1::/64 (on-link, autonomous, 1 day / 1 h). */
static size_t make_ra(uint8_t *b)
{
    memset(b, 0, 96);
    b[0] = NST_ICMP6_ROUTER_ADVERT;
    b[4] = 64;
    b[5] = NST_ND_RA_MANAGED | NST_ND_RA_OTHER;
    nst_put16(b + 6, 1800);
    nst_put32(b + 8, 30000);
    nst_put32(b + 12, 1000);
    const uint8_t sll[8] = {1, 1, 0x02, 0x4e, 0x53, 0, 0, 9};
    memcpy(b + 16, sll, 8);
    const uint8_t mtu[8] = {5, 1, 0, 0, 0, 0, 0x05, 0xc8};
    memcpy(b + 24, mtu, 8);
    uint8_t *p = b + 32;
    p[0] = 3;
    p[1] = 4;
    p[2] = 64;
    p[3] = NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO;
    nst_put32(p + 4, 86400);
    nst_put32(p + 8, 3600);
    nst_ip6_t pfx = addr("2001:db8:1::");
    memcpy(p + 16, pfx.b, 16);
    return 64;
}

static void test_router_advertisement(void)
{
    uint8_t b[256];
    size_t len = make_ra(b);
    struct nst_nd_repr r;
    CHECK_EQ(crafted(b, len, "fe80::1", "ff02::1", 255, &r), 0);
    CHECK_EQ(r.cur_hop_limit, 64);
    CHECK_EQ(r.flags, NST_ND_RA_MANAGED | NST_ND_RA_OTHER);
    CHECK_EQ(r.router_lifetime, 1800);
    CHECK_EQ(r.reachable_time, 30000);
    CHECK_EQ(r.retrans_timer, 1000);
    CHECK_EQ(r.has_src_lladdr, 1);
    CHECK_EQ(r.src_lladdr.b[5], 9);
    CHECK_EQ(r.has_mtu, 1);
    CHECK_EQ(r.mtu, 1480);
    CHECK_EQ(r.n_prefixes, 1);
    CHECK_EQ(r.prefix[0].len, 64);
    CHECK_EQ(r.prefix[0].valid_lifetime, 86400);
    CHECK_EQ(r.prefix[0].preferred_lifetime, 3600);
    nst_ip6_t pfx = addr("2001:db8:1::");
    CHECK(nst_ip6_eq(&r.prefix[0].prefix, &pfx));
    /* 6.1.2: from a global address, refused. */
    CHECK_EQ(crafted(b, len, "2001:db8::1", "ff02::1", 255, &r), -NST_ND_ERR_SOURCE);
    /* Six prefixes: four kept, two counted. */
    for (int i = 1; i < 6; i++)
        memcpy(b + 32 + 32 * i, b + 32, 32);
    CHECK_EQ(crafted(b, 32 + 6 * 32, "fe80::1", "ff02::1", 255, &r), 0);
    CHECK_EQ(r.n_prefixes, NST_ND_MAX_PREFIXES);
    CHECK_EQ(r.prefixes_dropped, 2);
    /* An unknown option (RDNSS, 25) is skipped; a prefix option of the wrong size ignored. */
    len = make_ra(b);
    const uint8_t rdnss[24] = {25, 3};
    memcpy(b + len, rdnss, 24);
    b[33] = 4;
    CHECK_EQ(crafted(b, len + 24, "fe80::1", "ff02::1", 255, &r), 0);
    CHECK_EQ(r.n_prefixes, 1);
}

static void test_common_rules(void)
{
    uint8_t b[256];
    size_t len = make_ra(b);
    struct nst_nd_repr r;
    /* Hop limit below 255: from off the link. */
    CHECK_EQ(crafted(b, len, "fe80::1", "ff02::1", 254, &r), -NST_ND_ERR_HOP_LIMIT);
    b[1] = 1;
    CHECK_EQ(crafted(b, len, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_CODE);
    b[1] = 0;
    CHECK_EQ(crafted(b, 15, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_LENGTH);
    CHECK_EQ(crafted(b, 3, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_LENGTH);
    /* An option of length 0 (would loop forever), and one past the end. */
    b[17] = 0;
    CHECK_EQ(crafted(b, len, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_OPTION);
    b[17] = 1;
    CHECK_EQ(crafted(b, len - 8, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_OPTION);
    CHECK_EQ(crafted(b, 17, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_OPTION);
    b[0] = NST_ICMP6_ECHO_REQUEST;
    CHECK_EQ(crafted(b, len, "fe80::1", "ff02::1", 255, &r), -NST_ND_ERR_TYPE);
}

static void test_solicitation_rules(void)
{
    struct msg m = frame(ns, sizeof ns);
    uint8_t b[64];
    memcpy(b, m.icmp, m.len);
    struct nst_nd_repr r;
    /* 7.1.1: from :: with a source link-layer address option. */
    CHECK_EQ(crafted(b, m.len, "::", "ff02::1:ff00:2", 255, &r), -NST_ND_ERR_DAD_LLADDR);
    /* From :: to a unicast address. */
    CHECK_EQ(crafted(b, 24, "::", "2001:db8::2", 255, &r), -NST_ND_ERR_DAD_DEST);
    CHECK_EQ(crafted(b, 24, "::", "ff02::1:ff00:2", 255, &r), 0);
    /* A multicast target. */
    nst_ip6_t g = addr("ff02::1");
    memcpy(b + 8, g.b, 16);
    CHECK_EQ(crafted(b, m.len, "2001:db8::1", "ff02::1:ff00:2", 255, &r), -NST_ND_ERR_TARGET);
    /* 6.1.1: an RS from :: with a source link-layer address option. */
    struct msg s = frame(rs, sizeof rs);
    CHECK_EQ(crafted(s.icmp, s.len, "::", "ff02::2", 255, &r), -NST_ND_ERR_DAD_LLADDR);
    CHECK_EQ(crafted(s.icmp, 8, "::", "ff02::2", 255, &r), 0);
}

static void test_advertisement_rules(void)
{
    struct msg m = frame(na, sizeof na);
    uint8_t b[64];
    memcpy(b, m.icmp, m.len);
    struct nst_nd_repr r;
    /* 7.1.2: solicited to a multicast address. */
    CHECK_EQ(crafted(b, m.len, "2001:db8::2", "ff02::1", 255, &r), -NST_ND_ERR_SOLICITED_MCAST);
    b[4] = NST_ND_NA_OVERRIDE; /* unsolicited: fine to all nodes */
    CHECK_EQ(crafted(b, m.len, "2001:db8::2", "ff02::1", 255, &r), 0);
    nst_ip6_t g = addr("ff02::1:ff00:2");
    memcpy(b + 8, g.b, 16);
    CHECK_EQ(crafted(b, m.len, "2001:db8::2", "ff02::1", 255, &r), -NST_ND_ERR_TARGET);
}

static void test_redirect_rules(void)
{
    uint8_t b[40 + 8 + 48];
    memset(b, 0, sizeof b);
    b[0] = NST_ICMP6_REDIRECT;
    nst_ip6_t target = addr("fe80::2"), dest = addr("2001:db8:5::9");
    memcpy(b + 8, target.b, 16);
    memcpy(b + 24, dest.b, 16);
    b[40] = NST_ND_OPT_REDIRECTED;
    b[41] = 7; /* 8 + 48 bytes */
    struct nst_nd_repr r;
    CHECK_EQ(crafted(b, 40 + 56, "fe80::1", "2001:db8::1", 255, &r), 0);
    CHECK(nst_ip6_eq(&r.target, &target));
    CHECK(nst_ip6_eq(&r.dest, &dest));
    CHECK_EQ(r.redirected_len, 48);
    CHECK(r.redirected == b + 48);
    CHECK_EQ(crafted(b, 40 + 56, "2001:db8::9", "2001:db8::1", 255, &r), -NST_ND_ERR_SOURCE);
    /* A global target that is not the destination itself. */
    nst_ip6_t other = addr("2001:db8::77");
    memcpy(b + 8, other.b, 16);
    CHECK_EQ(crafted(b, 40 + 56, "fe80::1", "2001:db8::1", 255, &r), -NST_ND_ERR_REDIRECT);
    memcpy(b + 8, dest.b, 16); /* the destination is on-link */
    CHECK_EQ(crafted(b, 40 + 56, "fe80::1", "2001:db8::1", 255, &r), 0);
    nst_ip6_t g = addr("ff05::1");
    memcpy(b + 24, g.b, 16);
    CHECK_EQ(crafted(b, 40 + 56, "fe80::1", "2001:db8::1", 255, &r), -NST_ND_ERR_REDIRECT);
}

/* ---- RFC 4443 2.4: when an error may be sent ---------------------------------- */

static void test_error_rules(void)
{
    nst_ip6_t uni = addr("2001:db8::1"), mc = addr("ff02::1"), un = addr("::"), me = addr("2001:db8::2");
    struct nst_icmp6_invoking p = {&uni, &me, 0, 0, 0};
    CHECK(nst_icmp6_error_allowed(&p, NST_ICMP6_DEST_UNREACH, NST_ICMP6_PORT_UNREACH));
    p.is_error = 1;
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_DEST_UNREACH, NST_ICMP6_PORT_UNREACH));
    p.is_error = 0;
    p.is_redirect = 1;
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_PARAM_PROBLEM, 0));
    p.is_redirect = 0;
    /* To a multicast group: only Packet Too Big and the option Parameter Problem. */
    p.dst = &mc;
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_DEST_UNREACH, NST_ICMP6_PORT_UNREACH));
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_TIME_EXCEEDED, 0));
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_PARAM_PROBLEM, NST_ICMP6_ERRONEOUS_FIELD));
    CHECK(nst_icmp6_error_allowed(&p, NST_ICMP6_PACKET_TOO_BIG, 0));
    CHECK(nst_icmp6_error_allowed(&p, NST_ICMP6_PARAM_PROBLEM, NST_ICMP6_UNKNOWN_OPTION));
    p.dst = &me;
    p.link_multicast = 1;
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_TIME_EXCEEDED, 0));
    CHECK(nst_icmp6_error_allowed(&p, NST_ICMP6_PACKET_TOO_BIG, 0));
    p.link_multicast = 0;
    /* From :: or a multicast source: to nobody. */
    p.src = &un;
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_PACKET_TOO_BIG, 0));
    p.src = &mc;
    CHECK(!nst_icmp6_error_allowed(&p, NST_ICMP6_DEST_UNREACH, 0));
    CHECK_EQ(NST_ICMP6_MAX_QUOTE, 1232);
}

static void test_error_strings(void)
{
    for (int e = NST_ND_ERR_HOP_LIMIT; e <= NST_ND_ERR_TYPE; e++)
        CHECK(strcmp(nst_nd_error_str(-e), "unknown error") != 0);
    CHECK(strcmp(nst_nd_error_str(0), "unknown error") == 0);
}

int main(void)
{
    RUN(test_echo);
    RUN(test_port_unreachable);
    RUN(test_neighbor_solicitation);
    RUN(test_dad_solicitation);
    RUN(test_neighbor_advertisement);
    RUN(test_router_solicitation);
    RUN(test_router_advertisement);
    RUN(test_common_rules);
    RUN(test_solicitation_rules);
    RUN(test_advertisement_rules);
    RUN(test_redirect_rules);
    RUN(test_error_rules);
    RUN(test_error_strings);
    return nst_test_done();
}
