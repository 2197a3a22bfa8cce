/* Ethernet II and ARP against the kernel's own ARP request and reply. */
#include "test.h"
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire_frames.h"

#include <errno.h>

static const struct nst_mac mac1 = {{0x02, 0x4e, 0x53, 0x00, 0x00, 0x01}};
static const struct nst_mac mac2 = {{0x02, 0x4e, 0x53, 0x00, 0x00, 0x02}};
static const struct nst_mac mac0 = {{0, 0, 0, 0, 0, 0}};

static void test_eth_parse_emit(void)
{
    struct nst_eth_repr e;
    CHECK_EQ(nst_eth_parse(arp_request, sizeof arp_request, &e), NST_ETH_HLEN);
    CHECK(nst_mac_eq(&e.dst, &nst_mac_broadcast));
    CHECK(nst_mac_eq(&e.src, &mac1));
    CHECK_EQ(e.ethertype, NST_ETHERTYPE_ARP);
    CHECK(nst_mac_is_broadcast(&e.dst));
    CHECK(nst_mac_is_multicast(&e.dst));
    CHECK(!nst_mac_is_broadcast(&e.src));
    CHECK(!nst_mac_is_multicast(&e.src));

    uint8_t out[NST_ETH_HLEN];
    nst_eth_emit(&e, out);
    CHECK_MEM(out, arp_request, NST_ETH_HLEN);

    CHECK_EQ(nst_eth_parse(icmp_echo_req, sizeof icmp_echo_req, &e), NST_ETH_HLEN);
    CHECK(nst_mac_eq(&e.dst, &mac2));
    CHECK(nst_mac_eq(&e.src, &mac1));
    CHECK_EQ(e.ethertype, NST_ETHERTYPE_IPV4);
    nst_eth_emit(&e, out);
    CHECK_MEM(out, icmp_echo_req, NST_ETH_HLEN);

    /* Exactly 14 bytes is a header with nothing after it. */
    CHECK_EQ(nst_eth_parse(arp_reply, NST_ETH_HLEN, &e), NST_ETH_HLEN);
}

static void test_eth_truncated(void)
{
    struct nst_eth_repr e;
    int bad = 0;
    for (size_t len = 0; len < NST_ETH_HLEN; len++)
        if (nst_eth_parse(arp_request, len, &e) != -EINVAL)
            bad++;
    CHECK_EQ(bad, 0);
}

/* Parses the ARP message of a captured frame (size bytes): op, then the
 * sender's and the target's hardware and protocol addresses; emitting it
 * gives the message back. */
static void check_arp(const uint8_t *frame, size_t size, int op, const struct nst_mac *sha, nst_ip4_t spa,
                      const struct nst_mac *tha, nst_ip4_t tpa, struct nst_arp_repr *a)
{
    CHECK_EQ(nst_arp_parse(frame + 14, size - 14, a), NST_ARP_LEN);
    CHECK_EQ(a->op, op);
    CHECK(nst_mac_eq(&a->sha, sha));
    CHECK_EQ(a->spa, spa);
    CHECK(nst_mac_eq(&a->tha, tha));
    CHECK_EQ(a->tpa, tpa);
    uint8_t out[NST_ARP_LEN];
    nst_arp_emit(a, out);
    CHECK_MEM(out, frame + 14, NST_ARP_LEN);
}

static void test_arp_request(void)
{
    struct nst_arp_repr a;
    /* RFC 826: the target's hardware address is unknown, the kernel sends zeros. */
    check_arp(arp_request, sizeof arp_request, NST_ARP_REQUEST, &mac1, NST_IP4(192, 0, 2, 1), &mac0,
              NST_IP4(192, 0, 2, 2), &a);
}

static void test_arp_reply(void)
{
    struct nst_arp_repr a;
    check_arp(arp_reply, sizeof arp_reply, NST_ARP_REPLY, &mac2, NST_IP4(192, 0, 2, 2), &mac1, NST_IP4(192, 0, 2, 1),
              &a);

    /* A whole reply frame built from representations is the captured one. */
    uint8_t frame[42];
    struct nst_eth_repr e = {.dst = mac1, .src = mac2, .ethertype = NST_ETHERTYPE_ARP};
    nst_eth_emit(&e, frame);
    nst_arp_emit(&a, frame + 14);
    CHECK_MEM(frame, arp_reply, sizeof arp_reply);
}

static void test_arp_with_padding(void)
{
    /* On the wire an ARP frame is padded to 60 bytes; the padding is ignored. */
    uint8_t padded[46] = {0};
    memcpy(padded, arp_request + 14, NST_ARP_LEN);
    struct nst_arp_repr a;
    CHECK_EQ(nst_arp_parse(padded, sizeof padded, &a), NST_ARP_LEN);
    CHECK_EQ(a.tpa, NST_IP4(192, 0, 2, 2));
}

static int parse_mutated(size_t off, uint8_t v)
{
    uint8_t b[NST_ARP_LEN];
    memcpy(b, arp_request + 14, NST_ARP_LEN);
    b[off] = v;
    struct nst_arp_repr a;
    return nst_arp_parse(b, sizeof b, &a);
}

static void test_arp_malformed(void)
{
    struct nst_arp_repr a;
    int bad = 0;
    for (size_t len = 0; len < NST_ARP_LEN; len++)
        if (nst_arp_parse(arp_request + 14, len, &a) != -EINVAL)
            bad++;
    CHECK_EQ(bad, 0);
    CHECK_EQ(parse_mutated(1, 6), -EPROTONOSUPPORT);  /* htype 6 (IEEE 802) */
    CHECK_EQ(parse_mutated(0, 1), -EPROTONOSUPPORT);  /* htype 0x0101 */
    CHECK_EQ(parse_mutated(2, 0x86), -EPROTONOSUPPORT); /* ptype 0x8600 */
    CHECK_EQ(parse_mutated(3, 0x06), -EPROTONOSUPPORT); /* ptype 0x0806 */
    CHECK_EQ(parse_mutated(4, 8), -EINVAL);           /* hlen 8 */
    CHECK_EQ(parse_mutated(4, 0), -EINVAL);           /* hlen 0 */
    CHECK_EQ(parse_mutated(5, 16), -EINVAL);          /* plen 16 */
    CHECK_EQ(parse_mutated(5, 0), -EINVAL);           /* plen 0 */
    CHECK_EQ(parse_mutated(7, 0), -EPROTONOSUPPORT);  /* op 0 */
    CHECK_EQ(parse_mutated(7, 3), -EPROTONOSUPPORT);  /* op 3: RARP request */
    CHECK_EQ(parse_mutated(6, 1), -EPROTONOSUPPORT);  /* op 0x0101 */
    CHECK_EQ(parse_mutated(7, 2), NST_ARP_LEN);       /* op 2 is a reply */
}

int main(void)
{
    RUN(test_eth_parse_emit);
    RUN(test_eth_truncated);
    RUN(test_arp_request);
    RUN(test_arp_reply);
    RUN(test_arp_with_padding);
    RUN(test_arp_malformed);
    return nst_test_done();
}
