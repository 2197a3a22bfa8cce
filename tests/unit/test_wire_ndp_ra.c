/* Emitting Router Advertisements and Redirects (src/wire/ndp.c,
 * nst_nd_emit): an RA is byte for byte (checksum included) the one radvd
 * sent with the same configuration, and radvd's parses to it;
 * parse(emit(x)) == x for RAs with every option and for a Redirect with
 * its padded Redirected Header; the checksum verifies; too small a buffer
 * and bad input are refused. */
#include "test.h"
#include "wire/checksum.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"
#include "radvd_frames.h"

#include <errno.h>

static nst_ip6_t addr(const char *s)
{
    nst_ip6_t a;
    CHECK_EQ(nst_ip6_parse(s, &a, NULL), 0);
    return a;
}

static int parse(const uint8_t *m, size_t len, const char *src, const char *dst, struct nst_nd_repr *r)
{
    nst_ip6_t s = addr(src), d = addr(dst);
    struct nst_nd_ip ip = {&s, &d, 255};
    struct nst_icmp6_repr ic;
    CHECK_EQ(nst_icmp6_parse(m, len, &s, &d, &ic, 1), 0); /* the checksum is right */
    return nst_nd_parse(m, len, &ip, r);
}

#define RADVD_ICMP (14 + 40)

static void test_ra_bytes(void)
{
    struct nst_ipv6_repr ip;
    CHECK_EQ(nst_ipv6_parse(radvd_ra + 14, sizeof radvd_ra - 14, &ip), 40);
    CHECK_EQ(ip.hop_limit, 255);
    const uint8_t *msg = radvd_ra + RADVD_ICMP;
    size_t len = sizeof radvd_ra - RADVD_ICMP;
    CHECK_EQ(len, 64);
    struct nst_nd_repr r;
    memset(&r, 0, sizeof r);
    r.type = NST_ICMP6_ROUTER_ADVERT;
    r.cur_hop_limit = 64;
    r.flags = NST_ND_RA_OTHER;
    r.router_lifetime = 1800;
    r.reachable_time = 30000;
    r.retrans_timer = 1000;
    r.has_src_lladdr = 1;
    r.src_lladdr = (struct nst_mac){{0x02, 0x4e, 0x53, 0, 0, 9}};
    r.has_mtu = 1;
    r.mtu = 1480;
    r.n_prefixes = 1;
    r.prefix[0] = (struct nst_nd_prefix){64, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO, 86400, 14400, addr("2001:db8:1::")};
    /* What we would send is what radvd sent, checksum included. */
    uint8_t out[128];
    CHECK_EQ(nst_nd_emit(&r, &ip.src, &ip.dst, out, sizeof out), 64);
    CHECK_MEM(out, msg, 64);
    /* And radvd's parses to the same thing. */
    struct nst_nd_repr back;
    CHECK_EQ(parse(msg, len, "fe80::4e:53ff:fe00:9", "ff02::1", &back), 0);
    CHECK_MEM(&back, &r, sizeof r); /* padding bytes included (both memset) */
    CHECK_EQ(nst_nd_emit(&r, &ip.src, &ip.dst, out, 63), -ENOSPC);
}

static void test_ra_round_trip(void)
{
    nst_ip6_t src = addr("fe80::1"), dst = addr("fe80::2");
    struct nst_nd_repr r;
    memset(&r, 0, sizeof r);
    r.type = NST_ICMP6_ROUTER_ADVERT;
    r.flags = NST_ND_RA_MANAGED;
    r.router_lifetime = 0; /* "not a default router" */
    r.n_prefixes = NST_ND_MAX_PREFIXES;
    for (int i = 0; i < NST_ND_MAX_PREFIXES; i++) {
        r.prefix[i].len = (uint8_t)(48 + i);
        r.prefix[i].flags = (uint8_t)(i & 1 ? NST_ND_PREFIX_ONLINK : NST_ND_PREFIX_AUTO);
        r.prefix[i].valid_lifetime = 0xffffffffu;
        r.prefix[i].preferred_lifetime = (uint32_t)i * 1000;
        r.prefix[i].prefix = addr("2001:db8:7::");
        r.prefix[i].prefix.b[5] = (uint8_t)i;
    }
    uint8_t out[256];
    int n = nst_nd_emit(&r, &src, &dst, out, sizeof out);
    CHECK_EQ(n, 16 + 4 * 32);
    struct nst_nd_repr back;
    CHECK_EQ(parse(out, (size_t)n, "fe80::1", "fe80::2", &back), 0);
    CHECK_MEM(&back, &r, sizeof r);
    /* Without options: the bare 16 bytes. */
    r.n_prefixes = 0;
    CHECK_EQ(nst_nd_emit(&r, &src, &dst, out, sizeof out), 16);
    r.n_prefixes = NST_ND_MAX_PREFIXES + 1;
    CHECK_EQ(nst_nd_emit(&r, &src, &dst, out, sizeof out), -EINVAL);
    r.n_prefixes = 0;
    r.type = NST_ICMP6_ECHO_REQUEST;
    CHECK_EQ(nst_nd_emit(&r, &src, &dst, out, sizeof out), -EINVAL);
}

static void test_redirect_round_trip(void)
{
    nst_ip6_t src = addr("fe80::1"), dst = addr("2001:db8::5");
    uint8_t invoking[45]; /* not a multiple of 8: padded */
    for (size_t i = 0; i < sizeof invoking; i++)
        invoking[i] = (uint8_t)(i * 7 + 1);
    struct nst_nd_repr r;
    memset(&r, 0, sizeof r);
    r.type = NST_ICMP6_REDIRECT;
    r.target = addr("fe80::2");
    r.dest = addr("2001:db8:9::1");
    r.has_tgt_lladdr = 1;
    r.tgt_lladdr = (struct nst_mac){{2, 0, 0, 0, 0, 2}};
    r.redirected = invoking;
    r.redirected_len = sizeof invoking;
    uint8_t out[256];
    int n = nst_nd_emit(&r, &src, &dst, out, sizeof out);
    CHECK_EQ(n, 40 + 8 + 8 + 48);
    CHECK_EQ(out[48], NST_ND_OPT_REDIRECTED);
    CHECK_EQ(out[49], 7);
    CHECK_MEM(out + 50, (uint8_t[6]){0}, 6);
    CHECK_MEM(out + 56, invoking, sizeof invoking);
    CHECK_MEM(out + 56 + 45, (uint8_t[3]){0}, 3);
    struct nst_nd_repr back;
    CHECK_EQ(parse(out, (size_t)n, "fe80::1", "2001:db8::5", &back), 0);
    CHECK(nst_ip6_eq(&back.target, &r.target));
    CHECK(nst_ip6_eq(&back.dest, &r.dest));
    CHECK_EQ(back.has_tgt_lladdr, 1);
    CHECK_MEM(back.tgt_lladdr.b, r.tgt_lladdr.b, 6);
    CHECK_EQ(back.redirected_len, 48);
    CHECK_MEM(back.redirected, invoking, sizeof invoking);
    CHECK_EQ(nst_nd_emit(&r, &src, &dst, out, (size_t)n - 1), -ENOSPC);
}

int main(void)
{
    RUN(test_ra_bytes);
    RUN(test_ra_round_trip);
    RUN(test_redirect_round_trip);
    return nst_test_done();
}
