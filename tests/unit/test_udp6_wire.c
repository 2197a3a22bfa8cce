/* UDP over IPv6 on the wire (RFC 8200 8.1): a datagram the Linux kernel
 * sent (tests/unit/wire_frames6.h, odd length) parses with its checksum
 * over the IPv6 pseudo-header, and nst_udp6_emit writes the kernel's
 * bytes back; a zero checksum, a wrong one, bad lengths are refused; TCP's
 * pseudo-header sum (tcp_pseudo_sum) checks the kernel's SYN. */
#include <errno.h>

#include "tcp/tcp_state.h"
#include "test.h"
#include "wire/udp.h"
#include "wire_frames6.h"

#define ETH 14

static void addrs(const uint8_t *frame, nst_ip6_t *src, nst_ip6_t *dst)
{
    memcpy(src->b, frame + ETH + 8, 16);
    memcpy(dst->b, frame + ETH + 24, 16);
}

static void test_linux_datagram(void)
{
    nst_ip6_t src, dst;
    addrs(udp6_odd, &src, &dst);
    const uint8_t *u = udp6_odd + ETH + 40;
    size_t len = sizeof(udp6_odd) - ETH - 40;
    struct nst_udp_repr r;
    CHECK_EQ(nst_udp6_parse(u, len, &src, &dst, &r), 0);
    CHECK_EQ(r.src_port, 40000);
    CHECK_EQ(r.dst_port, 7777);
    CHECK_EQ(r.length, 8 + 13);
    /* Emitting the same header over the same payload gives Linux's bytes. */
    uint8_t copy[64];
    memcpy(copy, u, r.length);
    memset(copy, 0, 8);
    nst_udp6_emit(&r, copy, &src, &dst);
    CHECK_MEM(copy, u, r.length);
    /* RFC 8200 8.1: zero is not "no checksum" over IPv6. */
    memcpy(copy, u, r.length);
    copy[6] = copy[7] = 0;
    CHECK_EQ(nst_udp6_parse(copy, r.length, &src, &dst, &r), -ENOMSG);
    memcpy(copy, u, r.length);
    copy[8] ^= 0x20;
    CHECK_EQ(nst_udp6_parse(copy, r.length, &src, &dst, &r), -EBADMSG);
    /* Another source address: another pseudo-header. */
    nst_ip6_t other = src;
    other.b[15] ^= 1;
    CHECK_EQ(nst_udp6_parse(u, len, &other, &dst, &r), -EBADMSG);
    CHECK_EQ(nst_udp6_parse(u, 7, &src, &dst, &r), -EINVAL);
    CHECK_EQ(nst_udp6_parse(u, 20, &src, &dst, &r), -EINVAL); /* length field 21 > 20 */
}

static void test_tcp_pseudo_header(void)
{
    nst_ip6_t src, dst;
    addrs(tcp6_syn, &src, &dst);
    const uint8_t *t = tcp6_syn + ETH + 40;
    uint32_t len = (uint32_t)(sizeof(tcp6_syn) - ETH - 40);
    CHECK_EQ(nst_csum_finish(nst_csum_add(tcp_pseudo_sum(&src, &dst, len), t, len)), 0);
    CHECK_EQ(tcp_ip_overhead(&src), 60);
    src.b[0] ^= 1;
    CHECK(nst_csum_finish(nst_csum_add(tcp_pseudo_sum(&src, &dst, len), t, len)) != 0);
}

int main(void)
{
    RUN(test_linux_datagram);
    RUN(test_tcp_pseudo_header);
    return nst_test_done();
}
