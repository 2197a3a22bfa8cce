/* UDP parse/emit against the kernel's 13-byte datagram and the one
 * quoted in its port unreachable, plus malformed lengths and checksums. */
#include "test.h"
#include "wire/checksum.h"
#include "wire/udp.h"
#include "wire_frames.h"

#include <errno.h>

#define A1 NST_IP4(192, 0, 2, 1)
#define A2 NST_IP4(192, 0, 2, 2)

/* Parses the datagram u (len bytes from A1 to A2, checksum verified):
 * these ports, and a length field of len. */
static void check_parsed(const uint8_t *u, size_t len, uint16_t sport, uint16_t dport, struct nst_udp_repr *r)
{
    CHECK_EQ(nst_udp_parse(u, len, A1, A2, r, 1), 0);
    CHECK_EQ(r->src_port, sport);
    CHECK_EQ(r->dst_port, dport);
    CHECK_EQ(r->length, len);
}

static void test_hello(void)
{
    const uint8_t *u = udp_hello + 34;
    struct nst_udp_repr r;
    check_parsed(u, 21, 40000, 7777, &r);
    CHECK_MEM(u + 8, "hello nstack\n", 13);

    uint8_t out[21];
    memcpy(out + 8, "hello nstack\n", 13);
    nst_udp_emit(&r, out, A1, A2);
    CHECK_MEM(out, u, 21);
    CHECK_EQ(nst_get16(out + 6), 0x2cec);
}

static void test_quoted_datagram(void)
{
    /* The datagram to port 7778, as the kernel's ICMP error quotes it. */
    const uint8_t *u = icmp_port_unreach + 34 + 8 + 20;
    struct nst_udp_repr r;
    check_parsed(u, 15, 40000, 7778, &r);
    uint8_t out[15];
    memcpy(out + 8, "closed?", 7);
    nst_udp_emit(&r, out, A1, A2);
    CHECK_MEM(out, u, 15);
}

static void test_lengths(void)
{
    const uint8_t *u = udp_hello + 34;
    struct nst_udp_repr r;
    int bad = 0;
    for (size_t len = 0; len < 21; len++)
        if (nst_udp_parse(u, len, A1, A2, &r, 0) != -EINVAL)
            bad++;
    CHECK_EQ(bad, 0);
    /* Bytes past the UDP length (IP padding) are ignored, also by the checksum. */
    uint8_t b[32] = {0};
    memcpy(b, u, 21);
    memset(b + 21, 0x5a, 11);
    CHECK_EQ(nst_udp_parse(b, sizeof b, A1, A2, &r, 1), 0);
    CHECK_EQ(r.length, 21);
    /* length field < 8 or > buffer. */
    for (uint16_t l = 0; l < 8; l++) {
        nst_put16(b + 4, l);
        CHECK_EQ(nst_udp_parse(b, sizeof b, A1, A2, &r, 0), -EINVAL);
    }
    nst_put16(b + 4, 33);
    CHECK_EQ(nst_udp_parse(b, sizeof b, A1, A2, &r, 0), -EINVAL);
    nst_put16(b + 4, 0xffff);
    CHECK_EQ(nst_udp_parse(b, sizeof b, A1, A2, &r, 0), -EINVAL);
    /* A bare 8-byte header is a valid empty datagram. */
    nst_put16(b + 4, 8);
    CHECK_EQ(nst_udp_parse(b, sizeof b, A1, A2, &r, 0), 0);
    CHECK_EQ(r.length, 8);
}

static void test_checksums(void)
{
    uint8_t b[21];
    memcpy(b, udp_hello + 34, 21);
    struct nst_udp_repr r;
    b[20] ^= 0x20; /* "\n" -> "*" */
    CHECK_EQ(nst_udp_parse(b, 21, A1, A2, &r, 1), -EBADMSG);
    CHECK_EQ(nst_udp_parse(b, 21, A1, A2, &r, 0), 0);
    b[20] ^= 0x20;
    /* The pseudo-header counts: other addresses fail. */
    CHECK_EQ(nst_udp_parse(b, 21, A2, A1 + 1, &r, 1), -EBADMSG);
    CHECK_EQ(nst_udp_parse(b, 21, A1, A2, &r, 1), 0);
    /* RFC 768: checksum 0 means none was computed; accepted unverified. */
    nst_put16(b + 6, 0);
    b[20] = 0;
    CHECK_EQ(nst_udp_parse(b, 21, A1, A2, &r, 1), 0);
}

static void test_zero_checksum_sent_as_ones(void)
{
    /* Find a 2-byte payload whose checksum computes to 0: it must go out as
     * 0xffff (RFC 768), and still verify. */
    struct nst_udp_repr r = {.src_port = 1, .dst_port = 2, .length = 10};
    uint8_t b[10] = {0};
    nst_put16(b, 1);
    nst_put16(b + 2, 2);
    nst_put16(b + 4, 10);
    uint32_t s = nst_csum_add(nst_csum_pseudo(A1, A2, 17, 10), b, 8);
    /* payload p with s + p = 0xffff (ones' complement) gives checksum 0. */
    uint16_t p = (uint16_t)(0xffff - s);
    nst_put16(b + 8, p);
    nst_udp_emit(&r, b, A1, A2);
    CHECK_EQ(nst_get16(b + 6), 0xffff);
    struct nst_udp_repr back;
    CHECK_EQ(nst_udp_parse(b, 10, A1, A2, &back, 1), 0);
}

int main(void)
{
    RUN(test_hello);
    RUN(test_quoted_datagram);
    RUN(test_lengths);
    RUN(test_checksums);
    RUN(test_zero_checksum_sent_as_ones);
    return nst_test_done();
}
