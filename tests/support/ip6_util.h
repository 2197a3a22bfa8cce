/* Test helpers for IPv6: crafted Ethernet + IPv6 (+ extension headers,
 * ICMPv6, Neighbor Discovery) frames with correct checksums, and a parser
 * for the IPv6 frames a stack sent (tests/sim/test_ip6_*.c). */
#ifndef NST_TEST_IP6_UTIL_H
#define NST_TEST_IP6_UTIL_H

#include "support/sim_util.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"

/* Everything a crafted frame may set. ext/ext_len: raw extension headers
 * put after the fixed header (next_header then names the first of them,
 * and the last one's Next Header the payload's protocol: the caller writes
 * both). hop_limit 0 means 64. */
struct su6_ip {
    struct nst_mac eth_src, eth_dst;
    nst_ip6_t src, dst;
    uint8_t next_header, hop_limit, tclass;
    const uint8_t *ext;
    size_t ext_len;
};

/* Ethernet + IPv6 + ext + payload. Returns the frame length (padded to 60). */
size_t su6_build(uint8_t *buf, const struct su6_ip *ip, const void *payload, size_t plen);
/* Same with an ICMPv6 message (checksum over the pseudo-header of src,
 * dst); ip->next_header is set to 58 unless ext is given. */
size_t su6_build_icmp(uint8_t *buf, const struct su6_ip *ip, uint8_t type, uint8_t code, uint32_t word,
                      const void *data, size_t len);
/* Same with an NS or NA built by nst_nd_emit; hop limit 255 unless set. */
size_t su6_build_nd(uint8_t *buf, const struct su6_ip *ip, const struct nst_nd_repr *r);

struct su6_parsed {
    struct nst_eth_repr eth;
    struct nst_ipv6_repr ip;
    struct nst_ipv6_ext ext;
    const uint8_t *l4;      /* the upper-layer header */
    size_t l4_len;
    int icmp_ok;            /* an ICMPv6 message with a valid checksum */
    struct nst_icmp6_repr icmp;
    int nd_ok;              /* ... and a valid Neighbor Discovery message */
    struct nst_nd_repr nd;
};

/* 0, or -1 if the frame is not a valid IPv6 frame. */
int su6_parse(const uint8_t *frame, size_t len, struct su6_parsed *out);
/* The index of the first recorded ICMPv6 frame of this type at or after from, or -1. */
long su6_tap_find_icmp(const struct su_tap *tap, uint8_t type, size_t from);
/* Recorded IPv6 frames that are ICMPv6 of this type. */
size_t su6_tap_count_icmp(const struct su_tap *tap, uint8_t type);

/* A tap host speaking IPv6 (tests/sim/test_ip6_*.c): 2001:db8::1/64 and
 * its link-local address preferred (DAD at once, then polled through it),
 * at time t0; the peer 2001:db8::2 (MAC su_mac(2)) plays the link. ICMP
 * errors cost exactly one token (cfg.icmp_random_cost 0). */
struct su6_host {
    struct nst_stack *st;
    struct su_tap tap;
    struct nst_mac peer_mac;
    nst_ip6_t me, peer, ll;
    nst_time_t now;           /* advanced 1 ms by each injected frame */
};
void su6_host_up(struct su6_host *h, const struct nst_stack_config *base, nst_time_t t0);
void su6_host_down(struct su6_host *h);
/* Fields of a frame from the peer to the host. */
struct su6_ip su6_to_host(const struct su6_host *h);
void su6_host_inject(struct su6_host *h, const uint8_t *frame, size_t len);
/* The peer introduces itself (an NS with its MAC) so that the host's
 * replies need no resolution; the host's NA is forgotten. */
void su6_peer_known(struct su6_host *h);

/* "fe80::1" and the like; aborts on a typo. */
nst_ip6_t su6_addr(const char *s);
/* The EUI-64 link-local address of a MAC. */
nst_ip6_t su6_link_local(const struct nst_mac *mac);

#endif
