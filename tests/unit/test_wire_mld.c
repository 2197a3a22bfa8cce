/* MLD messages (src/wire/mld.c): an MLDv2 Report written byte for byte as
 * RFC 3810 5.2 lays it out (checksum from the reference sum); queries of
 * both versions told apart by length alone (RFC 3810 8.1); the two time
 * codes at their edges (5.1.3, 5.1.9); a report's records, auxiliary data
 * included, read in order and refused when one runs past the end; MLDv1
 * messages of exactly 24 bytes; the Router Alert header of RFC 2711; and
 * the MLDv2 report Linux sent during DAD (tests/unit/wire_frames6.h)
 * rebuilt to the byte from our writers, and read back. */
#include "test.h"
#include "support/csum_ref.h"
#include "wire/checksum.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/mld.h"
#include "wire_frames6.h"

#include <errno.h>

static nst_ip6_t addr(const char *s)
{
    nst_ip6_t a;
    CHECK_EQ(nst_ip6_parse(s, &a, NULL), 0);
    return a;
}

/* The ICMPv6 checksum the textbook way: pseudo-header (RFC 8200 8.1) and message. */
static uint16_t ref_checksum(const nst_ip6_t *src, const nst_ip6_t *dst, const uint8_t *m, size_t len)
{
    uint8_t ph[40] = {0};
    memcpy(ph, src->b, 16);
    memcpy(ph + 16, dst->b, 16);
    ph[34] = (uint8_t)(len >> 8);
    ph[35] = (uint8_t)len;
    ph[39] = 58;
    uint8_t copy[256];
    memcpy(copy, m, len);
    copy[2] = copy[3] = 0;
    return (uint16_t)~csum_ref(csum_ref(0, ph, sizeof ph), copy, len);
}

static void test_report_bytes(void)
{
    nst_ip6_t src = addr("fe80::ff:fe00:1"), dst = addr("ff02::16");
    nst_ip6_t s1 = addr("2001:db8::7");
    struct nst_mld_record recs[2] = {
        {.type = NST_MLD_CHANGE_TO_EXCLUDE, .group = addr("ff02::1:ff00:1")},
        {.type = NST_MLD_MODE_IS_INCLUDE, .group = addr("ff05::1:3"), .n_sources = 1, .sources = s1.b},
    };
    uint8_t buf[128];
    int n = nst_mld_report_emit(recs, 2, &src, &dst, buf, sizeof buf);
    CHECK_EQ(n, 8 + 20 + 36);
    static const uint8_t want[] = {
        143, 0, 0, 0, 0, 0, 0, 2, /* type, code, checksum, reserved, 2 records */
        4, 0, 0, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1,
        1, 0, 0, 1, 0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
    };
    CHECK_MEM(buf + 4, want + 4, sizeof want - 4);
    CHECK_EQ(buf[0], 143);
    CHECK_EQ(nst_get16(buf + 2), ref_checksum(&src, &dst, buf, (size_t)n));
    struct nst_icmp6_repr ic;
    CHECK_EQ(nst_icmp6_parse(buf, (size_t)n, &src, &dst, &ic, 1), 0);
    CHECK_EQ(nst_mld_report_emit(recs, 2, &src, &dst, buf, (size_t)n - 1), -ENOSPC);

    struct nst_mld_report r;
    CHECK_EQ(nst_mld_report_parse(buf, (size_t)n, &r), 0);
    CHECK_EQ(r.n_records, 2);
    size_t off = 0;
    unsigned i = 0;
    struct nst_mld_record got;
    CHECK_EQ(nst_mld_report_next(&r, &off, &i, &got), 0);
    CHECK_EQ(got.type, NST_MLD_CHANGE_TO_EXCLUDE);
    CHECK(nst_ip6_eq(&got.group, &recs[0].group));
    CHECK_EQ(got.n_sources, 0);
    CHECK_EQ(nst_mld_report_next(&r, &off, &i, &got), 0);
    CHECK_EQ(got.type, NST_MLD_MODE_IS_INCLUDE);
    CHECK_EQ(got.n_sources, 1);
    CHECK_MEM(got.sources, s1.b, 16);
    CHECK_EQ(nst_mld_report_next(&r, &off, &i, &got), -1);
    CHECK_EQ(off, (size_t)n);
}

static void test_report_bounds(void)
{
    uint8_t m[8 + 20 + 8] = {143, 0, 0, 0, 0, 0, 0, 1, 2, 1 /* aux: 4 bytes */, 0, 0, 0xff, 0x02};
    struct nst_mld_report r;
    CHECK_EQ(nst_mld_report_parse(m, 8 + 24, &r), 0); /* record + 4 bytes of auxiliary data */
    size_t off = 0;
    unsigned i = 0;
    struct nst_mld_record got;
    CHECK_EQ(nst_mld_report_next(&r, &off, &i, &got), 0);
    CHECK_EQ(off, (size_t)32);
    CHECK_EQ(nst_mld_report_parse(m, 8 + 23, &r), -NST_MLD_ERR_LENGTH); /* aux data cut */
    m[9] = 0;
    m[11] = 1; /* one source: 16 more bytes than there are */
    CHECK_EQ(nst_mld_report_parse(m, 8 + 28, &r), -NST_MLD_ERR_LENGTH);
    m[11] = 0;
    m[7] = 2; /* a second record that is not there */
    CHECK_EQ(nst_mld_report_parse(m, 8 + 20, &r), -NST_MLD_ERR_LENGTH);
    CHECK_EQ(nst_mld_report_parse(m, 7, &r), -NST_MLD_ERR_LENGTH);
    m[0] = 131;
    CHECK_EQ(nst_mld_report_parse(m, 8 + 20, &r), -NST_MLD_ERR_TYPE);
}

static void test_query_versions(void)
{
    nst_ip6_t src = addr("fe80::1"), dst = addr("ff02::1"), src2 = addr("2001:db8::9");
    uint8_t m[64] = {130, 0, 0, 0, 0x27, 0x10 /* 10000 ms */};
    struct nst_mld_query q;
    /* RFC 3810 8.1: 24 bytes is MLDv1 (its delay in ms, no flags). */
    CHECK_EQ(nst_mld_query_parse(m, 24, &q), 0);
    CHECK_EQ(q.version, 1);
    CHECK_EQ(q.max_resp_ms, 10000u);
    CHECK(nst_ip6_is_unspecified(&q.group));
    /* 25..27: neither version. */
    for (size_t len = 25; len < 28; len++)
        CHECK_EQ(nst_mld_query_parse(m, len, &q), -NST_MLD_ERR_LENGTH);
    CHECK_EQ(nst_mld_query_parse(m, 23, &q), -NST_MLD_ERR_LENGTH);
    /* MLDv2: S flag, QRV 2, QQIC 125, one source of 16 bytes. */
    m[24] = 0x0a;
    m[25] = 125;
    m[27] = 1;
    memcpy(m + 28, src2.b, 16);
    CHECK_EQ(nst_mld_query_parse(m, 27 + 16, &q), -NST_MLD_ERR_LENGTH); /* the source cut short */
    CHECK_EQ(nst_mld_query_parse(m, 28 + 16, &q), 0);
    CHECK_EQ(q.version, 2);
    CHECK_EQ(q.suppress, 1);
    CHECK_EQ(q.qrv, 2);
    CHECK_EQ(q.qqi_s, 125u);
    CHECK_EQ(q.n_sources, 1);
    nst_ip6_t s;
    nst_mld_query_source(&q, 0, &s);
    CHECK(nst_ip6_eq(&s, &src2));
    /* the multicast address field: :: or a group, nothing else */
    memcpy(m + 8, src2.b, 16);
    CHECK_EQ(nst_mld_query_parse(m, 44, &q), -NST_MLD_ERR_GROUP);
    m[0] = 143;
    CHECK_EQ(nst_mld_query_parse(m, 44, &q), -NST_MLD_ERR_TYPE);

    /* emit and parse back, checksum right */
    struct nst_mld_query out = {.version = 2, .max_resp_ms = 1000, .group = addr("ff02::1:ff00:1"), .qrv = 2,
                                .qqi_s = 125, .n_sources = 1, .sources = src2.b};
    uint8_t buf[64];
    int n = nst_mld_query_emit(&out, &src, &dst, buf, sizeof buf);
    CHECK_EQ(n, 44);
    struct nst_icmp6_repr ic;
    CHECK_EQ(nst_icmp6_parse(buf, (size_t)n, &src, &dst, &ic, 1), 0);
    CHECK_EQ(nst_mld_query_parse(buf, (size_t)n, &q), 0);
    CHECK(nst_ip6_eq(&q.group, &out.group));
    CHECK_EQ(q.max_resp_ms, 1000u);
    CHECK_EQ(nst_mld_query_emit(&out, &src, &dst, buf, 43), -ENOSPC);
}

static void test_time_codes(void)
{
    /* RFC 3810 5.1.3: below 32768 the code is the delay in ms. */
    CHECK_EQ(nst_mld_code_to_ms(0), 0u);
    CHECK_EQ(nst_mld_code_to_ms(32767), 32767u);
    CHECK_EQ(nst_mld_ms_to_code(32767), 32767);
    /* 1 | exp | mant: (mant | 0x1000) << (exp + 3) */
    CHECK_EQ(nst_mld_code_to_ms(0x8000), 32768u);
    CHECK_EQ(nst_mld_code_to_ms(0xffff), 0x1fffu << 10);
    CHECK_EQ(nst_mld_ms_to_code(32768), 0x8000);
    CHECK_EQ(nst_mld_ms_to_code(0x1fffu << 10), 0xffff);
    CHECK_EQ(nst_mld_ms_to_code(0xffffffffu), 0xffff); /* the largest it can say */
    CHECK_EQ(nst_mld_ms_to_code(65537), 0x9000);        /* rounds down: 65536 */
    /* 5.1.9: QQIC, exact below 128, then 1 | exp (3) | mant (4). */
    CHECK_EQ(nst_mld_qqic_to_s(125), 125u);
    CHECK_EQ(nst_mld_qqic_to_s(0x80), 128u);
    CHECK_EQ(nst_mld_qqic_to_s(0xff), 0x1fu << 10);
    CHECK_EQ(nst_mld_s_to_qqic(128), 0x80);
    CHECK_EQ(nst_mld_s_to_qqic(0x1fu << 10), 0xff);
    for (uint32_t c = 0; c <= 0xffff; c++)
        CHECK_EQ(nst_mld_ms_to_code(nst_mld_code_to_ms((uint16_t)c)), c);
}

static void test_v1(void)
{
    nst_ip6_t src = addr("fe80::ff:fe00:1"), g = addr("ff02::1:ff00:1"), all_routers = addr("ff02::2");
    struct nst_mld_v1 m = {.type = NST_ICMP6_MLD_DONE, .group = g};
    uint8_t buf[24];
    CHECK_EQ(nst_mld_v1_emit(&m, &src, &all_routers, buf, sizeof buf), 24);
    static const uint8_t want[] = {132, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
    CHECK_MEM(buf + 4, want + 4, 20);
    CHECK_EQ(nst_get16(buf + 2), ref_checksum(&src, &all_routers, buf, 24));
    struct nst_mld_v1 back;
    CHECK_EQ(nst_mld_v1_parse(buf, 24, &back), 0);
    CHECK_EQ(back.type, NST_ICMP6_MLD_DONE);
    CHECK(nst_ip6_eq(&back.group, &g));
    CHECK_EQ(nst_mld_v1_parse(buf, 25, &back), -NST_MLD_ERR_LENGTH);
    CHECK_EQ(nst_mld_v1_emit(&m, &src, &all_routers, buf, 23), -ENOSPC);
    buf[8] = 0x20; /* a Report or Done names a group */
    CHECK_EQ(nst_mld_v1_parse(buf, 24, &back), -NST_MLD_ERR_GROUP);
}

static void test_router_alert(void)
{
    uint8_t h[NST_MLD_HBH_LEN];
    nst_mld_hbh_emit(58, h);
    static const uint8_t want[] = {58, 0, 5, 2, 0, 0, 1, 0}; /* RFC 2711 2.1, PadN */
    CHECK_MEM(h, want, sizeof want);
    /* the IPv6 walk finds it (value 0: MLD) and what follows */
    uint8_t pkt[40 + 8 + 4] = {0x60};
    pkt[5] = 12;
    pkt[6] = 0;
    pkt[7] = 1;
    memcpy(pkt + 40, h, 8);
    struct nst_ipv6_repr ip;
    CHECK_EQ(nst_ipv6_parse(pkt, sizeof pkt, &ip), 40);
    struct nst_ipv6_ext ext;
    CHECK_EQ(nst_ipv6_walk(pkt, &ip, &ext), 0);
    CHECK(ext.router_alert);
    CHECK_EQ(ext.router_alert_value, 0);
    CHECK_EQ(ext.proto, 58);
    CHECK_EQ(ext.proto_off, 48);
}

/* Linux 6.18's report joining ff02::1:ff00:1 from :: during DAD: ours, for
 * the same group and MAC, is the same 90 bytes. */
static void test_linux_report(void)
{
    nst_ip6_t src = {{0}}, dst = addr("ff02::16");
    struct nst_mld_record rec = {.type = NST_MLD_CHANGE_TO_EXCLUDE, .group = addr("ff02::1:ff00:1")};
    uint8_t f[90] = {0x33, 0x33, 0, 0, 0, 0x16, 0x02, 0x4e, 0x53, 0, 0, 1, 0x86, 0xdd};
    struct nst_ipv6_repr ip = {.payload_len = 36, .next_header = 0, .hop_limit = 1, .src = src, .dst = dst};
    CHECK_EQ(nst_ipv6_emit(&ip, f + 14), 40);
    nst_mld_hbh_emit(58, f + 54);
    CHECK_EQ(nst_mld_report_emit(&rec, 1, &src, &dst, f + 62, 28), 28);
    CHECK_EQ(sizeof mld_report_dad, sizeof f);
    CHECK_MEM(f, mld_report_dad, sizeof f);
    struct nst_mld_report r;
    CHECK_EQ(nst_mld_report_parse(mld_report_dad + 62, 28, &r), 0);
    size_t off = 0;
    unsigned i = 0;
    struct nst_mld_record got;
    CHECK_EQ(nst_mld_report_next(&r, &off, &i, &got), 0);
    CHECK_EQ(got.type, NST_MLD_CHANGE_TO_EXCLUDE);
    CHECK(nst_ip6_eq(&got.group, &rec.group));
}

int main(void)
{
    RUN(test_linux_report);
    RUN(test_report_bytes);
    RUN(test_report_bounds);
    RUN(test_query_versions);
    RUN(test_time_codes);
    RUN(test_v1);
    RUN(test_router_alert);
    return nst_test_done();
}
