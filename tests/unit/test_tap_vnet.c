/* The vnet-header TAP's offload handling (src/link/tap_vnet.c), on frames
 * built here: a TCP/IPv4 or TCP/IPv6 GSO frame cut into segments exactly
 * as the kernel's own GSO would cut it (lengths, IDs, sequence numbers,
 * flags, checksums, payload), frames it must refuse untouched, partial
 * checksums finished (UDP's zero sent as all ones, RFC 768), and the
 * header written in front of a frame the stack hands over in pieces. */
#include <errno.h>
#include <stdlib.h>

#include "link/tap_vnet.h"
#include "test.h"
#include "wire/checksum.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"

#define SRC NST_IP4(10, 77, 0, 1)
#define DST NST_IP4(10, 77, 0, 2)
#define THL 32 /* TCP header with NOP, NOP, timestamps */
#define HLEN (14 + 20 + THL)

struct seen {
    unsigned n;
    size_t len[64];
    uint8_t *copy[64];
};

static void record(void *arg, const uint8_t *f, size_t len)
{
    struct seen *s = arg;
    if (s->n < 64) {
        s->copy[s->n] = malloc(len);
        memcpy(s->copy[s->n], f, len);
        s->len[s->n] = len;
    }
    s->n++;
}

static void seen_free(struct seen *s)
{
    for (unsigned i = 0; i < s->n && i < 64; i++)
        free(s->copy[i]);
}

/* Ethernet + IPv4 (ID 0x1234, DF) + TCP (seq, flags, timestamps option)
 * + payload[i] = i * 13 + 5, as the kernel hands a GSO frame over: the IP
 * total length covers it all, the TCP checksum is only the pseudo-header's
 * (NEEDS_CSUM). Returns the length. */
static size_t gso_frame(uint8_t *f, size_t payload, uint32_t seq, uint8_t flags)
{
    memset(f, 0, HLEN);
    memcpy(f, "\x02\x6e\x0a\x4d\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
    uint8_t *ip = f + 14, *th = ip + 20;
    ip[0] = 0x45;
    nst_put16(ip + 2, (uint16_t)(20 + THL + payload));
    nst_put16(ip + 4, 0x1234);
    nst_put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 6;
    nst_put32(ip + 12, SRC);
    nst_put32(ip + 16, DST);
    nst_put16(ip + 10, nst_inet_checksum(ip, 20));
    nst_put16(th, 5001);
    nst_put16(th + 2, 40000);
    nst_put32(th + 4, seq);
    nst_put32(th + 8, 77);
    th[12] = (THL / 4) << 4;
    th[13] = flags;
    nst_put16(th + 14, 512);
    memcpy(th + 20, "\x01\x01\x08\x0a\x00\x00\x01\x00\x00\x00\x02\x00", 12);
    nst_put16(th + 16, (uint16_t)nst_csum_pseudo(SRC, DST, 6, (uint16_t)(THL + payload)));
    for (size_t i = 0; i < payload; i++)
        f[HLEN + i] = (uint8_t)(i * 13 + 5);
    return HLEN + payload;
}

#define HLEN6 (14 + 40 + THL)

/* The same over IPv6 (traffic class 0x2e, flow label 0x5a5a5, hop limit
 * 64, 2001:db8:77::1 -> ::2): the payload length covers it all, the TCP
 * checksum holds the IPv6 pseudo-header's sum (RFC 8200 8.1). */
static size_t gso_frame6(uint8_t *f, size_t payload, uint32_t seq, uint8_t flags)
{
    memset(f, 0, HLEN6);
    memcpy(f, "\x02\x6e\x0a\x4d\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd", 14);
    uint8_t *ip = f + 14, *th = ip + 40;
    nst_put32(ip, 0x60000000u | (0x2eu << 20) | 0x5a5a5u);
    nst_put16(ip + 4, (uint16_t)(THL + payload));
    ip[6] = 6;
    ip[7] = 64;
    memcpy(ip + 8, "\x20\x01\x0d\xb8\x00\x77\0\0\0\0\0\0\0\0\0\x01", 16);
    memcpy(ip + 24, "\x20\x01\x0d\xb8\x00\x77\0\0\0\0\0\0\0\0\0\x02", 16);
    nst_put16(th, 5001);
    nst_put16(th + 2, 40000);
    nst_put32(th + 4, seq);
    nst_put32(th + 8, 77);
    th[12] = (THL / 4) << 4;
    th[13] = flags;
    nst_put16(th + 14, 512);
    memcpy(th + 20, "\x01\x01\x08\x0a\x00\x00\x01\x00\x00\x00\x02\x00", 12);
    for (size_t i = 0; i < payload; i++)
        f[HLEN6 + i] = (uint8_t)(i * 13 + 5);
    nst_ip6_t src, dst;
    memcpy(src.b, ip + 8, 16);
    memcpy(dst.b, ip + 24, 16);
    nst_put16(th + 16, (uint16_t)nst_csum_fold(nst_csum_pseudo6(&src, &dst, 6, (uint32_t)(THL + payload))));
    return HLEN6 + payload;
}

static int tcp6_csum_ok(const uint8_t *f, size_t len)
{
    nst_ip6_t src, dst;
    memcpy(src.b, f + 22, 16);
    memcpy(dst.b, f + 38, 16);
    uint32_t tl = (uint32_t)(len - 54);
    return nst_csum_finish(nst_csum_add(nst_csum_pseudo6(&src, &dst, 6, tl), f + 54, tl)) == 0;
}

static int tcp_csum_ok(const uint8_t *f, size_t len)
{
    size_t tl = len - 34;
    uint32_t s = nst_csum_pseudo(nst_get32(f + 26), nst_get32(f + 30), 6, (uint16_t)tl);
    return nst_csum_finish(nst_csum_add(s, f + 34, tl)) == 0;
}

static void test_split_like_the_kernel(void)
{
    static uint8_t f[HLEN + 5000];
    uint8_t flags = NST_TCP_ACK | NST_TCP_PSH | NST_TCP_FIN | NST_TCP_CWR;
    size_t len = gso_frame(f, 5000, 0xfffffff0u, flags);
    struct seen s = {0};
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1448, record, &s), 4);
    CHECK_EQ(s.n, 4);
    const size_t plen[4] = {1448, 1448, 1448, 656};
    for (unsigned i = 0; i < 4 && i < s.n; i++) {
        const uint8_t *g = s.copy[i], *ip = g + 14, *th = ip + 20;
        CHECK_EQ(s.len[i], HLEN + plen[i]);
        CHECK_EQ(nst_get16(ip + 2), 20 + THL + plen[i]);
        CHECK_EQ(nst_get16(ip + 4), 0x1234 + i);
        CHECK_EQ(nst_get16(ip + 6), 0x4000);
        CHECK_EQ(nst_inet_checksum(ip, 20), 0);
        CHECK_EQ(nst_get32(th + 4), 0xfffffff0u + i * 1448u); /* wraps past 2^32 */
        /* FIN and PSH on the last segment only, CWR on the first only. */
        uint8_t want = NST_TCP_ACK | (i == 3 ? NST_TCP_PSH | NST_TCP_FIN : 0) | (i == 0 ? NST_TCP_CWR : 0);
        CHECK_EQ(th[13], want);
        CHECK(memcmp(g, "\x02\x6e\x0a\x4d\x00\x02", 6) == 0);
        CHECK(memcmp(th + 20, "\x01\x01\x08\x0a\x00\x00\x01\x00\x00\x00\x02\x00", 12) == 0);
        CHECK(tcp_csum_ok(g, s.len[i]));
        int same = 1;
        for (size_t k = 0; k < plen[i]; k++)
            same &= g[HLEN + k] == (uint8_t)((i * 1448 + k) * 13 + 5);
        CHECK(same);
    }
    seen_free(&s);
}

static void test_split_edge_sizes(void)
{
    static uint8_t f[HLEN + 3000];
    struct seen s = {0};
    /* Exactly two full segments; then a payload smaller than gso_size. */
    size_t len = gso_frame(f, 2896, 1, NST_TCP_ACK);
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1448, record, &s), 2);
    CHECK(s.n == 2 && s.len[1] == HLEN + 1448 && tcp_csum_ok(s.copy[1], s.len[1]));
    seen_free(&s);
    memset(&s, 0, sizeof(s));
    len = gso_frame(f, 100, 1, NST_TCP_ACK | NST_TCP_PSH);
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1448, record, &s), 1);
    CHECK(s.n == 1 && s.len[0] == HLEN + 100 && tcp_csum_ok(s.copy[0], s.len[0]) && s.copy[0][47] == 0x18);
    seen_free(&s);
    /* A gso_size smaller than the headers: each header still lands in
     * front of its own payload. */
    memset(&s, 0, sizeof(s));
    len = gso_frame(f, 100, 7, NST_TCP_ACK);
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 30, record, &s), 4);
    for (unsigned i = 0; i < s.n && i < 4; i++)
        CHECK(tcp_csum_ok(s.copy[i], s.len[i]) && nst_get32(s.copy[i] + 38) == 7 + 30 * i);
    seen_free(&s);
}

static void test_split_refuses(void)
{
    static uint8_t f[HLEN + 2000];
    struct seen s = {0};
    size_t len = gso_frame(f, 2000, 1, NST_TCP_ACK);
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 0, record, &s), -EINVAL); /* gso_size 0 */
    f[12] = 0x86;                                                   /* IPv6 ethertype */
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1448, record, &s), -EINVAL);
    f[12] = 0x08;
    f[14 + 9] = 17; /* UDP */
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1448, record, &s), -EINVAL);
    f[14 + 9] = 6;
    nst_put16(f + 14 + 6, 0x2000); /* MF: a fragment */
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1448, record, &s), -EINVAL);
    nst_put16(f + 14 + 6, 0x4000);
    f[14 + 20 + 12] = 0xf0; /* TCP header of 60 bytes: past the frame's 40-byte cut below */
    CHECK_EQ(nst_vnet_split_tcp4(f, 14 + 20 + 40, 1448, record, &s), -EINVAL);
    CHECK_EQ(nst_vnet_split_tcp4(f, 30, 1448, record, &s), -EINVAL); /* truncated */
    CHECK_EQ(s.n, 0);
}

static void test_split6_like_the_kernel(void)
{
    static uint8_t f[HLEN6 + 5000], orig[HLEN6];
    uint8_t flags = NST_TCP_ACK | NST_TCP_PSH | NST_TCP_FIN | NST_TCP_CWR;
    size_t len = gso_frame6(f, 5000, 0xfffffff0u, flags);
    memcpy(orig, f, HLEN6);
    struct seen s = {0};
    /* 1428: MSS 1440 (1500 - 40 - 20) less the timestamp option. */
    CHECK_EQ(nst_vnet_split_tcp6(f, len, 1428, record, &s), 4);
    CHECK_EQ(s.n, 4);
    const size_t plen[4] = {1428, 1428, 1428, 716};
    for (unsigned i = 0; i < 4 && i < s.n; i++) {
        const uint8_t *g = s.copy[i], *ip = g + 14, *th = ip + 40;
        CHECK_EQ(s.len[i], HLEN6 + plen[i]);
        CHECK_EQ(nst_get16(ip + 4), THL + plen[i]); /* RFC 8200 3: the payload length */
        /* Version, class, flow label, next header, hop limit, addresses:
         * the frame's own, on every segment. */
        CHECK(memcmp(g, orig, 14 + 4) == 0 && memcmp(ip + 6, orig + 14 + 6, 34) == 0);
        CHECK_EQ(nst_get32(th + 4), 0xfffffff0u + i * 1428u);
        uint8_t want = NST_TCP_ACK | (i == 3 ? NST_TCP_PSH | NST_TCP_FIN : 0) | (i == 0 ? NST_TCP_CWR : 0);
        CHECK_EQ(th[13], want);
        CHECK(memcmp(th + 20, orig + 54 + 20, 12) == 0);
        CHECK(tcp6_csum_ok(g, s.len[i]));
        int same = 1;
        for (size_t k = 0; k < plen[i]; k++)
            same &= g[HLEN6 + k] == (uint8_t)((i * 1428 + k) * 13 + 5);
        CHECK(same);
    }
    seen_free(&s);
    /* nst_vnet_split_tcp goes by the ethertype: the same cut. */
    memset(&s, 0, sizeof(s));
    len = gso_frame6(f, 3000, 9, NST_TCP_ACK);
    CHECK_EQ(nst_vnet_split_tcp(f, len, 1428, record, &s), 3);
    CHECK(s.n == 3 && s.len[2] == HLEN6 + 144 && tcp6_csum_ok(s.copy[2], s.len[2]));
    seen_free(&s);
}

static void test_split6_refuses(void)
{
    static uint8_t f[HLEN6 + 2000];
    struct seen s = {0};
    size_t len = gso_frame6(f, 2000, 1, NST_TCP_ACK);
    CHECK_EQ(nst_vnet_split_tcp6(f, len, 0, record, &s), -EINVAL);    /* gso_size 0 */
    CHECK_EQ(nst_vnet_split_tcp4(f, len, 1428, record, &s), -EINVAL); /* an IPv6 frame, IPv4 cut */
    f[14 + 6] = 0; /* a Hop-by-Hop Options header first (RFC 8200 4.3) */
    CHECK_EQ(nst_vnet_split_tcp6(f, len, 1428, record, &s), -EINVAL);
    f[14 + 6] = 44; /* a Fragment header */
    CHECK_EQ(nst_vnet_split_tcp6(f, len, 1428, record, &s), -EINVAL);
    f[14 + 6] = 6;
    f[14] = 0x40; /* version 4 behind the IPv6 ethertype */
    CHECK_EQ(nst_vnet_split_tcp6(f, len, 1428, record, &s), -EINVAL);
    f[14] = 0x62;
    f[54 + 12] = 0xf0; /* TCP header of 60 bytes: past the frame's 40-byte cut below */
    CHECK_EQ(nst_vnet_split_tcp6(f, 54 + 40, 1428, record, &s), -EINVAL);
    CHECK_EQ(nst_vnet_split_tcp6(f, 50, 1428, record, &s), -EINVAL); /* truncated */
    static uint8_t g[HLEN + 100];
    len = gso_frame(g, 100, 1, NST_TCP_ACK);
    CHECK_EQ(nst_vnet_split_tcp6(g, len, 1428, record, &s), -EINVAL); /* an IPv4 frame */
    CHECK_EQ(s.n, 0);
}

/* The header for a frame in pieces: what each field asks of the kernel. */
static void test_header_for_frame(void)
{
    static uint8_t f[HLEN6 + 2856];
    size_t len = gso_frame6(f, 2856, 1, NST_TCP_ACK);
    struct nst_frame fr = {.head = f, .head_len = HLEN6, .frag = {f + HLEN6}, .frag_len = {2856}, .len = len,
                           .csum_partial = 1, .csum_start = 54, .csum_offset = 16, .gso_size = 1428};
    struct nst_vnet_hdr h;
    CHECK_EQ(nst_vnet_hdr_for_frame(&fr, &h), 0);
    CHECK(h.flags == NST_VNET_F_NEEDS_CSUM && h.gso_type == NST_VNET_GSO_TCPV6 && h.hdr_len == HLEN6);
    CHECK(h.gso_size == 1428 && h.csum_start == 54 && h.csum_offset == 16);
    /* CWR on a TSO frame: marked ECN, as Linux marks it. */
    f[54 + 13] |= NST_TCP_CWR;
    CHECK_EQ(nst_vnet_hdr_for_frame(&fr, &h), 0);
    CHECK_EQ(h.gso_type, NST_VNET_GSO_TCPV6 | NST_VNET_GSO_ECN);
    /* No TSO: no GSO type, size or header length. */
    fr.gso_size = 0;
    CHECK_EQ(nst_vnet_hdr_for_frame(&fr, &h), 0);
    CHECK(h.flags == NST_VNET_F_NEEDS_CSUM && h.gso_type == NST_VNET_GSO_NONE && h.gso_size == 0 && h.hdr_len == 0);
    /* A checksum already whole: nothing asked. */
    fr.csum_partial = 0;
    CHECK_EQ(nst_vnet_hdr_for_frame(&fr, &h), 0);
    CHECK(h.flags == 0 && h.csum_start == 0 && h.csum_offset == 0);
    /* IPv4: GSO_TCPV4. */
    static uint8_t g[HLEN + 2896];
    len = gso_frame(g, 2896, 1, NST_TCP_ACK);
    struct nst_frame fr4 = {.head = g, .head_len = HLEN, .frag = {g + HLEN}, .frag_len = {2896}, .len = len,
                            .csum_partial = 1, .csum_start = 34, .csum_offset = 16, .gso_size = 1448};
    CHECK_EQ(nst_vnet_hdr_for_frame(&fr4, &h), 0);
    CHECK(h.gso_type == NST_VNET_GSO_TCPV4 && h.hdr_len == HLEN && h.gso_size == 1448 && h.csum_start == 34);
    /* A TSO frame of neither family (an ARP ethertype): refused. */
    g[12] = 0x08;
    g[13] = 0x06;
    CHECK_EQ(nst_vnet_hdr_for_frame(&fr4, &h), -EINVAL);
    CHECK_EQ(h.gso_type, NST_VNET_GSO_NONE);
}

static void test_finish_partial_checksum(void)
{
    /* A UDP datagram: the field holds the pseudo-header sum. */
    uint8_t f[14 + 20 + 8 + 31];
    memset(f, 0, sizeof f);
    uint8_t *udp = f + 34;
    for (size_t i = 0; i < 31; i++)
        udp[8 + i] = (uint8_t)(i * 7 + 1);
    nst_put16(udp, 5353);
    nst_put16(udp + 2, 7);
    nst_put16(udp + 4, 39);
    nst_put16(udp + 6, (uint16_t)nst_csum_pseudo(SRC, DST, 17, 39));
    CHECK_EQ(nst_vnet_finish_csum(f, sizeof f, 34, 6), 0);
    uint32_t s = nst_csum_pseudo(SRC, DST, 17, 39);
    CHECK_EQ(nst_csum_finish(nst_csum_add(s, udp, 39)), 0);
    /* Offsets that do not fit: refused, the frame untouched. */
    uint8_t before[sizeof f];
    memcpy(before, f, sizeof f);
    CHECK_EQ(nst_vnet_finish_csum(f, sizeof f, sizeof f, 0), -EINVAL);
    CHECK_EQ(nst_vnet_finish_csum(f, sizeof f, 34, 38), -EINVAL);
    CHECK(memcmp(before, f, sizeof f) == 0);
    /* A sum that comes out zero is sent as all ones (RFC 768): adjust the
     * payload's first word so that the whole sums to 0xffff. */
    nst_put16(udp + 6, (uint16_t)nst_csum_pseudo(SRC, DST, 17, 39));
    uint16_t rest = (uint16_t)~nst_csum_add(0, udp, 39);
    nst_put16(udp + 8, (uint16_t)nst_csum_add16(nst_get16(udp + 8), rest));
    CHECK_EQ(nst_csum_add(0, udp, 39), 0xffff);
    CHECK_EQ(nst_vnet_finish_csum(f, sizeof f, 34, 6), 0);
    CHECK_EQ(nst_get16(udp + 6), 0xffff);
}

/* The same for UDP over IPv6 (its checksum is mandatory there, RFC 8200
 * 8.1): the kernel's partial sum covers the IPv6 pseudo-header. */
static void test_finish_partial_checksum6(void)
{
    static uint8_t f[14 + 40 + 8 + 29];
    size_t n = gso_frame6(f, 0, 1, NST_TCP_ACK); /* Ethernet and IPv6 headers, then UDP in place of TCP */
    CHECK_EQ(n, HLEN6);
    f[14 + 6] = 17;
    nst_put16(f + 18, 37);
    uint8_t *udp = f + 54;
    memset(udp, 0, 37);
    for (size_t i = 0; i < 29; i++)
        udp[8 + i] = (uint8_t)(i * 11 + 3);
    nst_put16(udp, 5353);
    nst_put16(udp + 2, 7);
    nst_put16(udp + 4, 37);
    nst_ip6_t src, dst;
    memcpy(src.b, f + 22, 16);
    memcpy(dst.b, f + 38, 16);
    uint32_t pseudo = nst_csum_pseudo6(&src, &dst, 17, 37);
    nst_put16(udp + 6, (uint16_t)nst_csum_fold(pseudo));
    CHECK_EQ(nst_vnet_finish_csum(f, sizeof f, 54, 6), 0);
    CHECK(nst_get16(udp + 6) != 0);
    CHECK_EQ(nst_csum_finish(nst_csum_add(pseudo, udp, 37)), 0);
}

static void test_header_layout(void)
{
    struct nst_vnet_hdr h = {NST_VNET_F_NEEDS_CSUM, NST_VNET_GSO_TCPV4, 66, 1448, 34, 16}, g;
    uint8_t b[NST_VNET_HLEN];
    nst_vnet_hdr_emit(&h, b);
    CHECK_EQ(b[0], 1);
    CHECK_EQ(b[1], 1);
    nst_vnet_hdr_parse(b, &g);
    CHECK(memcmp(&h, &g, sizeof h) == 0);
}

int main(void)
{
    RUN(test_split_like_the_kernel);
    RUN(test_split_edge_sizes);
    RUN(test_split_refuses);
    RUN(test_split6_like_the_kernel);
    RUN(test_split6_refuses);
    RUN(test_header_for_frame);
    RUN(test_finish_partial_checksum);
    RUN(test_finish_partial_checksum6);
    RUN(test_header_layout);
    return nst_test_done();
}
