/* IPv6 fixed header and extension-header chain (src/wire/ipv6.c) against
 * frames the Linux kernel sent (tests/unit/wire_frames6.h): plain, with a
 * hop-by-hop router alert, fragmented; then crafted chains for every rule
 * of RFC 8200 4 (and RFC 5095, 6946, 7112), and the address helpers and
 * text forms (RFC 4291, RFC 5952). */
#include "test.h"
#include "wire/checksum.h"
#include "wire/ipv6.h"
#include "wire_frames6.h"

#include <errno.h>

#define ETH 14

static nst_ip6_t addr(const char *s)
{
    nst_ip6_t a;
    CHECK_EQ(nst_ip6_parse(s, &a, NULL), 0);
    return a;
}

static void check_addr(const nst_ip6_t *a, const char *want)
{
    char buf[NST_IP6_STRLEN];
    nst_ip6_str(a, buf);
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "  got %s, want %s\n", buf, want);
    CHECK(strcmp(buf, want) == 0);
}

/* Parses the frame's IPv6 header, checks emit gives it back, walks it. */
static void parse_frame(const uint8_t *f, size_t len, struct nst_ipv6_repr *ip, struct nst_ipv6_ext *ext)
{
    CHECK_EQ(nst_ipv6_parse(f + ETH, len - ETH, ip), NST_IPV6_HLEN);
    uint8_t out[NST_IPV6_HLEN];
    CHECK_EQ(nst_ipv6_emit(ip, out), NST_IPV6_HLEN);
    CHECK_MEM(out, f + ETH, NST_IPV6_HLEN);
    CHECK_EQ(nst_ipv6_walk(f + ETH, ip, ext), 0);
}

static void test_echo_request(void)
{
    struct nst_ipv6_repr ip;
    struct nst_ipv6_ext e;
    CHECK_EQ(nst_get16(echo6_req + 12), NST_ETHERTYPE_IPV6);
    parse_frame(echo6_req, sizeof echo6_req, &ip, &e);
    check_addr(&ip.src, "2001:db8::1");
    check_addr(&ip.dst, "2001:db8::2");
    CHECK_EQ(ip.payload_len, 64);
    CHECK_EQ(ip.next_header, NST_IP6_NH_ICMPV6);
    CHECK_EQ(ip.hop_limit, 64);
    CHECK_EQ(ip.tclass, 0);
    CHECK_EQ(e.proto, NST_IP6_NH_ICMPV6);
    CHECK_EQ(e.proto_off, 40);
    CHECK_EQ(e.n_headers, 0);
    CHECK_EQ(e.has_frag, 0);
}

/* The kernel's MLDv2 report during DAD: from ::, a hop-by-hop header with
 * a router alert (value 0: MLD) and PadN, then ICMPv6. */
static void test_hop_by_hop_router_alert(void)
{
    struct nst_ipv6_repr ip;
    struct nst_ipv6_ext e;
    parse_frame(mld_report_dad, sizeof mld_report_dad, &ip, &e);
    CHECK(nst_ip6_is_unspecified(&ip.src));
    check_addr(&ip.dst, "ff02::16");
    CHECK_EQ(ip.hop_limit, 1);
    CHECK_EQ(ip.next_header, NST_IP6_NH_HOPOPTS);
    CHECK_EQ(e.n_headers, 1);
    CHECK_EQ(e.router_alert, 1);
    CHECK_EQ(e.router_alert_value, 0);
    CHECK_EQ(e.proto, NST_IP6_NH_ICMPV6);
    CHECK_EQ(e.proto_off, 48);
    CHECK_EQ(e.nh_field_off, 40);
}

/* ping -s 2000: a first fragment (offset 0, M) that carries the ICMPv6
 * header, and a last one at 1448 holding only data. */
static void test_fragments(void)
{
    struct nst_ipv6_repr ip;
    struct nst_ipv6_ext e;
    parse_frame(frag6_first, sizeof frag6_first, &ip, &e);
    CHECK_EQ(ip.next_header, NST_IP6_NH_FRAGMENT);
    CHECK_EQ(ip.payload_len, 1456);
    CHECK_EQ(e.has_frag, 1);
    CHECK_EQ(e.frag_off, 0);
    CHECK_EQ(e.frag_more, 1);
    CHECK_EQ(e.atomic, 0);
    CHECK_EQ(e.frag_id, 0x3f824a86);
    CHECK_EQ(e.frag_hdr_off, 40);
    CHECK_EQ(e.frag_next, NST_IP6_NH_ICMPV6);
    CHECK_EQ(e.proto, NST_IP6_NH_ICMPV6); /* the first fragment is walked to its upper layer */
    CHECK_EQ(e.proto_off, 48);
    parse_frame(frag6_last, sizeof frag6_last, &ip, &e);
    CHECK_EQ(e.frag_off, 1448);
    CHECK_EQ(e.frag_more, 0);
    CHECK_EQ(e.frag_id, 0x3f824a86);
    CHECK_EQ(e.proto, NST_IP6_NH_FRAGMENT); /* data, not a header */
    CHECK_EQ(e.proto_off, 48);
    /* Together: 1448 + (622 - 14 - 48) = 2008 = 8 + 2000. */
    CHECK_EQ(e.frag_off + ip.payload_len - 8, 2008);
}

static void test_tcp_and_udp(void)
{
    struct nst_ipv6_repr ip;
    struct nst_ipv6_ext e;
    parse_frame(tcp6_syn, sizeof tcp6_syn, &ip, &e);
    CHECK_EQ(e.proto, NST_IP6_NH_TCP);
    /* The TCP checksum covers the IPv6 pseudo-header (RFC 8200 8.1). */
    uint32_t s = nst_csum_pseudo6(&ip.src, &ip.dst, NST_IP6_NH_TCP, ip.payload_len);
    CHECK_EQ(nst_csum_finish(nst_csum_add(s, tcp6_syn + ETH + 40, ip.payload_len)), 0);
    parse_frame(udp6_odd, sizeof udp6_odd, &ip, &e);
    CHECK_EQ(e.proto, NST_IP6_NH_UDP);
    CHECK_EQ(ip.payload_len, 21);
    s = nst_csum_pseudo6(&ip.src, &ip.dst, NST_IP6_NH_UDP, ip.payload_len);
    CHECK_EQ(nst_csum_finish(nst_csum_add(s, udp6_odd + ETH + 40, ip.payload_len)), 0);
}

static void test_fixed_header_errors(void)
{
    struct nst_ipv6_repr ip;
    const uint8_t *h = echo6_req + ETH;
    size_t len = sizeof echo6_req - ETH;
    for (size_t n = 0; n < NST_IPV6_HLEN; n++)
        CHECK_EQ(nst_ipv6_parse(h, n, &ip), -NST_IPV6_ERR_TRUNCATED);
    CHECK_EQ(nst_ipv6_parse(h, len - 1, &ip), -NST_IPV6_ERR_LENGTH); /* payload cut short */
    uint8_t b[128];
    memcpy(b, h, len);
    b[0] = 0x45;
    CHECK_EQ(nst_ipv6_parse(b, len, &ip), -NST_IPV6_ERR_VERSION);
    memcpy(b, h, len);
    CHECK_EQ(nst_ipv6_parse(b, len + 10, &ip), NST_IPV6_HLEN); /* link padding after the payload */
    /* Payload length 0 with a hop-by-hop header: a jumbogram. */
    b[4] = b[5] = 0;
    b[6] = NST_IP6_NH_HOPOPTS;
    CHECK_EQ(nst_ipv6_parse(b, len, &ip), -NST_IPV6_ERR_JUMBO);
    /* Traffic class and flow label round trip. */
    memcpy(b, h, len);
    b[0] = 0x6b;
    b[1] = 0x8f;
    b[2] = 0xed;
    b[3] = 0xcb;
    CHECK_EQ(nst_ipv6_parse(b, len, &ip), NST_IPV6_HLEN);
    CHECK_EQ(ip.tclass, 0xb8);
    CHECK_EQ(ip.flow_label, 0xfedcb);
    uint8_t out[40];
    nst_ipv6_emit(&ip, out);
    CHECK_MEM(out, b, 40);
}

/* ---- crafted chains ------------------------------------------------------- */

/* A packet built from the echo request's fixed header: next header `nh`,
 * then `ext` (extension headers), then `tail` bytes of upper layer. */
struct pkt {
    uint8_t b[512];
    struct nst_ipv6_repr ip;
};

static void build(struct pkt *p, uint8_t nh, const uint8_t *ext, size_t ext_len, size_t tail, const char *dst)
{
    memset(p, 0, sizeof *p);
    memcpy(p->b, echo6_req + ETH, NST_IPV6_HLEN);
    p->b[6] = nh;
    memcpy(p->b + 40, ext, ext_len);
    nst_put16(p->b + 4, (uint16_t)(ext_len + tail));
    if (dst) {
        nst_ip6_t d = addr(dst);
        memcpy(p->b + 24, d.b, 16);
    }
    CHECK_EQ(nst_ipv6_parse(p->b, 40 + ext_len + tail, &p->ip), 40);
}

static int walk(struct pkt *p, struct nst_ipv6_ext *e) { return nst_ipv6_walk(p->b, &p->ip, e); }

static void test_options_by_type_bits(void)
{
    struct pkt p;
    struct nst_ipv6_ext e;
    /* Destination options with an unknown type 0x1e (00: skip), then TCP. */
    const uint8_t skip[8] = {NST_IP6_NH_TCP, 0, 0x1e, 2, 0xaa, 0xbb, 1, 0};
    build(&p, NST_IP6_NH_DSTOPTS, skip, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.proto, NST_IP6_NH_TCP);
    CHECK_EQ(e.proto_off, 48);
    /* 01: discard silently. */
    uint8_t o[8] = {NST_IP6_NH_TCP, 0, 0x5e, 2, 0, 0, 1, 0};
    build(&p, NST_IP6_NH_DSTOPTS, o, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_UNKNOWN_OPTION);
    CHECK_EQ(e.icmp_code, -1);
    /* 10: discard, Parameter Problem code 2 pointing at the option, even to multicast. */
    o[2] = 0x9e;
    build(&p, NST_IP6_NH_DSTOPTS, o, 8, 20, "ff02::1");
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_UNKNOWN_OPTION);
    CHECK_EQ(e.icmp_code, 2);
    CHECK_EQ(e.pointer, 42);
    /* 11: the same to a unicast destination, silent to multicast. */
    o[2] = 0xde;
    build(&p, NST_IP6_NH_DSTOPTS, o, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_UNKNOWN_OPTION);
    CHECK_EQ(e.icmp_code, 2);
    build(&p, NST_IP6_NH_DSTOPTS, o, 8, 20, "ff02::1");
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_UNKNOWN_OPTION);
    CHECK_EQ(e.icmp_code, -1);
    /* The Jumbo Payload option (0xc2) in a packet with a length: unrecognised, 11. */
    const uint8_t jumbo[8] = {NST_IP6_NH_TCP, 0, 0xc2, 4, 0, 1, 0, 0};
    build(&p, NST_IP6_NH_HOPOPTS, jumbo, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_UNKNOWN_OPTION);
    CHECK_EQ(e.pointer, 42);
}

static void test_option_lengths_and_padding(void)
{
    struct pkt p;
    struct nst_ipv6_ext e;
    /* An option whose length runs past its header: code 0 at its length byte. */
    const uint8_t past[8] = {NST_IP6_NH_TCP, 0, 0x1e, 9, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, past, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_BAD_OPTION);
    CHECK_EQ(e.icmp_code, 0);
    CHECK_EQ(e.pointer, 43);
    /* An option type in the header's last byte: no length to read, the
     * pointer names the type (found by fuzz_wire: it named the byte after). */
    const uint8_t cut[8] = {NST_IP6_NH_TCP, 0, 1, 3, 0, 0, 0, 0x1e};
    build(&p, NST_IP6_NH_DSTOPTS, cut, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_BAD_OPTION);
    CHECK_EQ(e.icmp_code, 0);
    CHECK_EQ(e.pointer, 47);
    /* Six Pad1 then PadN(0): exactly 6 + 2 = 8 bytes of padding in a row, one too many. */
    const uint8_t pads[16] = {NST_IP6_NH_TCP, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0x1e, 4, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, pads, 16, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_BAD_OPTION);
    CHECK_EQ(e.icmp_code, -1);
    /* PadN of 6 (7 bytes with its header) then an option: allowed. */
    const uint8_t ok[16] = {NST_IP6_NH_TCP, 1, 1, 4, 0, 0, 0, 0, 0x1e, 6, 0, 0, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, ok, 16, 20, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.proto_off, 56);
}

static void test_hop_by_hop_must_be_first(void)
{
    struct pkt p;
    struct nst_ipv6_ext e;
    /* Destination options, then hop-by-hop: Parameter Problem code 1 at
     * the Next Header field that named it (RFC 8200 4.1, 4). */
    const uint8_t ext[16] = {NST_IP6_NH_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, NST_IP6_NH_TCP, 0, 1, 4, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, ext, 16, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_HOPOPTS_NOT_FIRST);
    CHECK_EQ(e.icmp_code, 1);
    CHECK_EQ(e.pointer, 40);
}

static void test_routing_header(void)
{
    struct pkt p;
    struct nst_ipv6_ext e;
    /* Type 0 with segments left: refused, code 0 at the routing type (RFC 5095). */
    uint8_t rh[24] = {NST_IP6_NH_TCP, 2, 0, 1};
    build(&p, NST_IP6_NH_ROUTING, rh, 24, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_ROUTING);
    CHECK_EQ(e.icmp_code, 0);
    CHECK_EQ(e.pointer, 42);
    /* Any type with no segments left: ignored, on to TCP (RFC 8200 4.4). */
    rh[2] = 4;
    rh[3] = 0;
    build(&p, NST_IP6_NH_ROUTING, rh, 24, 20, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.proto, NST_IP6_NH_TCP);
    CHECK_EQ(e.proto_off, 64);
}

static void test_fragment_rules(void)
{
    struct pkt p;
    struct nst_ipv6_ext e;
    /* Atomic fragment (offset 0, M 0): processed in isolation (RFC 6946). */
    const uint8_t atomic[8] = {NST_IP6_NH_UDP, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    build(&p, NST_IP6_NH_FRAGMENT, atomic, 8, 8, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.atomic, 1);
    CHECK_EQ(e.proto, NST_IP6_NH_UDP);
    CHECK_EQ(e.frag_id, 0xdeadbeef);
    /* M set and a length not a multiple of 8: code 0 at the Payload Length. */
    const uint8_t first[8] = {NST_IP6_NH_UDP, 0, 0, 1, 0, 0, 0, 7};
    build(&p, NST_IP6_NH_FRAGMENT, first, 8, 12, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_FRAG_LENGTH);
    CHECK_EQ(e.icmp_code, 0);
    CHECK_EQ(e.pointer, 4);
    /* Offset 65528 and 16 bytes: past 65,535, code 0 at the Fragment Offset. */
    const uint8_t far[8] = {NST_IP6_NH_UDP, 0, 0xff, 0xf8, 0, 0, 0, 7};
    build(&p, NST_IP6_NH_FRAGMENT, far, 8, 16, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_FRAG_OVERFLOW);
    CHECK_EQ(e.pointer, 42);
    /* A Fragment header behind a Fragment header: refused, silently. */
    const uint8_t twice[16] = {NST_IP6_NH_FRAGMENT, 0, 0, 1, 0, 0, 0, 7, NST_IP6_NH_UDP, 0, 0, 1, 0, 0, 0, 8};
    build(&p, NST_IP6_NH_FRAGMENT, twice, 16, 16, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_FRAG_NESTED);
    CHECK_EQ(e.icmp_code, -1);
    /* A first fragment that stops inside the TCP header: RFC 7112, code 3. */
    const uint8_t tiny[8] = {NST_IP6_NH_TCP, 0, 0, 1, 0, 0, 0, 7};
    build(&p, NST_IP6_NH_FRAGMENT, tiny, 8, 16, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_FRAG_CHAIN);
    CHECK_EQ(e.icmp_code, 3);
    CHECK_EQ(e.pointer, 0);
    /* A later fragment is not walked: its bytes could look like anything. */
    uint8_t later[16] = {NST_IP6_NH_HOPOPTS, 0, 0, 8 | 1, 0, 0, 0, 7, 0xff, 0xff};
    build(&p, NST_IP6_NH_FRAGMENT, later, 16, 0, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.proto, NST_IP6_NH_FRAGMENT);
    CHECK_EQ(e.frag_off, 8);
    CHECK_EQ(e.frag_next, NST_IP6_NH_HOPOPTS);
}

static void test_chain_limits(void)
{
    struct pkt p;
    struct nst_ipv6_ext e;
    /* Nine destination options headers: one more than the walk allows. */
    uint8_t ext[9 * 8];
    for (int i = 0; i < 9; i++) {
        const uint8_t h[8] = {i == 8 ? NST_IP6_NH_TCP : NST_IP6_NH_DSTOPTS, 0, 1, 4, 0, 0, 0, 0};
        memcpy(ext + 8 * i, h, 8);
    }
    build(&p, NST_IP6_NH_DSTOPTS, ext, 72, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_TOO_MANY);
    CHECK_EQ(e.icmp_code, -1);
    build(&p, NST_IP6_NH_DSTOPTS, ext + 8, 64, 20, NULL); /* eight: fine */
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.n_headers, 8);
    /* A header whose length runs past the payload, and one cut before 8 bytes. */
    const uint8_t longh[8] = {NST_IP6_NH_TCP, 3, 1, 4, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, longh, 8, 20, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_TRUNCATED);
    build(&p, NST_IP6_NH_DSTOPTS, longh, 4, 0, NULL);
    CHECK_EQ(walk(&p, &e), -NST_IPV6_EXT_TRUNCATED);
    /* No next header: the walk ends there. */
    const uint8_t none[8] = {NST_IP6_NH_NONE, 0, 1, 4, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, none, 8, 0, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.proto, NST_IP6_NH_NONE);
    /* An unknown upper layer: reported with where its Next Header is. */
    const uint8_t odd[8] = {253, 0, 1, 4, 0, 0, 0, 0};
    build(&p, NST_IP6_NH_DSTOPTS, odd, 8, 4, NULL);
    CHECK_EQ(walk(&p, &e), 0);
    CHECK_EQ(e.proto, 253);
    CHECK_EQ(e.nh_field_off, 40);
}

/* ---- addresses ------------------------------------------------------------ */

static void test_text_forms(void)
{
    /* RFC 5952's own examples, and the edges of "::". */
    static const struct {
        const char *in, *out;
    } t[] = {
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, /* 4.2.3: the first of two equal runs */
        {"2001:0db8::0001", "2001:db8::1"},            /* 4.1: no leading zeros */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* 4.2.2: never "::" for one group */
        {"2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0"},
        {"2001:DB8::AbCd", "2001:db8::abcd"},          /* 4.3: lower case */
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"fe80::4e:53ff:fe00:1", "fe80::4e:53ff:fe00:1"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},      /* 5: IPv4-mapped */
        {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"0:0:1:0:0:0:1:0", "0:0:1::1:0"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        nst_ip6_t a = addr(t[i].in);
        check_addr(&a, t[i].out);
    }
    static const char *bad[] = {"", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:2:3:4:5:6:7",
                                "::g", "1:", ":1", "1:2:3:4:5:6:7:8::", "::1.2.3", "::1.2.3.4.5",
                                "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4", "2001:db8::/129", "2001:db8::/", NULL};
    nst_ip6_t a;
    uint8_t plen;
    for (int i = 0; bad[i]; i++) {
        if (nst_ip6_parse(bad[i], &a, &plen) != -EINVAL)
            fprintf(stderr, "  accepted %s\n", bad[i]);
        CHECK_EQ(nst_ip6_parse(bad[i], &a, &plen), -EINVAL);
    }
    CHECK_EQ(nst_ip6_parse("2001:db8::/32", &a, &plen), 0);
    CHECK_EQ(plen, 32);
    CHECK_EQ(nst_ip6_parse("2001:db8::1", &a, &plen), 0);
    CHECK_EQ(plen, 128);
    CHECK_EQ(nst_ip6_parse("2001:db8::/32", &a, NULL), -EINVAL);
    CHECK_EQ(nst_ip6_parse(NULL, &a, NULL), -EINVAL);
    /* Every address of a sweep survives text and back. */
    for (int i = 0; i < 256; i++) {
        nst_ip6_t x;
        for (int k = 0; k < 16; k++)
            x.b[k] = (uint8_t)(((i >> (k % 8)) & 1) ? (i * 37 + k) : 0);
        char buf[NST_IP6_STRLEN];
        nst_ip6_t y;
        CHECK_EQ(nst_ip6_parse(nst_ip6_str(&x, buf), &y, NULL), 0);
        CHECK(nst_ip6_eq(&x, &y));
    }
}

static void test_address_kinds(void)
{
    nst_ip6_t a = addr("fe80::4e:53ff:fe00:1"), g;
    CHECK(nst_ip6_is_link_local(&a));
    CHECK(!nst_ip6_is_multicast(&a));
    /* The kernel's link-local address is the EUI-64 of its MAC. */
    const struct nst_mac mac = {{0x02, 0x4e, 0x53, 0x00, 0x00, 0x01}};
    nst_ip6_t ll_prefix = addr("fe80::"), made;
    nst_ip6_from_eui64(&ll_prefix, &mac, &made);
    CHECK(nst_ip6_eq(&made, &a));
    /* Its DAD solicitation went to ff02::1:ff00:1, Ethernet 33:33:ff:00:00:01. */
    nst_ip6_solicited_node(&a, &g);
    check_addr(&g, "ff02::1:ff00:1");
    CHECK(nst_ip6_is_solicited_node(&g));
    CHECK_EQ(nst_ip6_mcast_scope(&g), 2);
    struct nst_mac m;
    nst_ip6_mcast_mac(&g, &m);
    CHECK_MEM(m.b, ns_dad, 6);
    nst_ip6_all_nodes(&g);
    check_addr(&g, "ff02::1");
    nst_ip6_all_routers(&g);
    check_addr(&g, "ff02::2");
    nst_ip6_t pfx = addr("2001:db8::"), in = addr("2001:db8:0:ffff::1"), out = addr("2001:db9::1");
    CHECK(nst_ip6_in_prefix(&in, &pfx, 32));
    CHECK(nst_ip6_in_prefix(&in, &pfx, 48));
    CHECK(!nst_ip6_in_prefix(&in, &pfx, 49));
    CHECK(!nst_ip6_in_prefix(&out, &pfx, 32));
    CHECK(nst_ip6_in_prefix(&out, &pfx, 31));
    CHECK(nst_ip6_in_prefix(&out, &pfx, 0));
    CHECK(!nst_ip6_in_prefix(&out, &pfx, 129));
    /* Every prefix length against an address differing in exactly bit k
     * (0 the most significant): inside iff the prefix stops before k. */
    nst_ip6_t base = addr("2001:db8:1234:5678:9abc:def0:1357:9bdf");
    int wrong = 0;
    for (unsigned len = 0; len <= 128; len++) {
        wrong += !nst_ip6_in_prefix(&base, &base, len);
        for (unsigned k = 0; k < 128; k++) {
            nst_ip6_t x = base;
            x.b[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
            wrong += nst_ip6_in_prefix(&x, &base, len) != (k >= len);
        }
    }
    CHECK_EQ(wrong, 0);
    nst_ip6_t lo = addr("::1"), un = addr("::");
    CHECK(nst_ip6_is_loopback(&lo));
    CHECK(nst_ip6_is_unspecified(&un));
    CHECK(!nst_ip6_is_unspecified(&lo));
}

static void test_error_strings(void)
{
    for (int e = NST_IPV6_ERR_TRUNCATED; e <= NST_IPV6_ERR_JUMBO; e++)
        CHECK(strcmp(nst_ipv6_error_str(-e), "unknown error") != 0);
    for (int e = NST_IPV6_EXT_TRUNCATED; e <= NST_IPV6_EXT_FRAG_NESTED; e++)
        CHECK(strcmp(nst_ipv6_ext_error_str(-e), "unknown error") != 0);
    CHECK(strcmp(nst_ipv6_error_str(0), "unknown error") == 0);
}

int main(void)
{
    RUN(test_echo_request);
    RUN(test_hop_by_hop_router_alert);
    RUN(test_fragments);
    RUN(test_tcp_and_udp);
    RUN(test_fixed_header_errors);
    RUN(test_options_by_type_bits);
    RUN(test_option_lengths_and_padding);
    RUN(test_hop_by_hop_must_be_first);
    RUN(test_routing_header);
    RUN(test_fragment_rules);
    RUN(test_chain_limits);
    RUN(test_text_forms);
    RUN(test_address_kinds);
    RUN(test_error_strings);
    return nst_test_done();
}
