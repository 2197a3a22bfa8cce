/* Forwarding (RFC 1812 5.2): the stack as a router between interfaces.
 * Martian addresses are refused first (RFC 1812 5.3.7); TTL is decremented
 * hop by hop; a datagram whose TTL runs out is answered with ICMP Time
 * Exceeded (which is what traceroute relies on), one with no route with
 * ICMP Destination Unreachable. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* The first octet classifies the special addresses of RFC 1122 3.2.1.3
 * and RFC 1812 4.2.2.11 that matter here: network 0 ("this network"),
 * network 127 (loopback), and 224/4 and up (multicast, class E and the
 * limited broadcast 255.255.255.255). */
#define NET_ZERO 0u
#define NET_LOOPBACK 127u
#define NET_FIRST_NOT_UNICAST 224u

/* Which of the three counters an address is martian under (network 0,
 * network 127, not unicast), or NULL for an ordinary unicast address. */
static uint64_t *martian_counter(nst_ip4_t a, uint64_t *zero, uint64_t *loopback, uint64_t *not_unicast)
{
    uint32_t net = a >> 24;
    if (net == NET_ZERO)
        return zero;
    if (net == NET_LOOPBACK)
        return loopback;
    return net >= NET_FIRST_NOT_UNICAST ? not_unicast : NULL;
}

/* RFC 1812 5.3.7: a router forwards no datagram whose source is on network
 * 0 or 127, or is not a unicast address (it names no single host that
 * could have sent it), nor one addressed to network 0, to network 127
 * (which never leaves a host, RFC 1122 3.2.1.3 (g)), to the limited
 * broadcast or class E (RFC 1812 5.3.5.1); multicast is not routed here
 * either. Counts the reason; nonzero if refused. */
static int is_martian(struct nst_stack *st, const struct nst_ipv4_repr *h)
{
    struct nst_stats *s = &st->stats;
    uint64_t *why = martian_counter(h->src, &s->ip_drop_martian_src_zero, &s->ip_drop_martian_src_loopback,
                                    &s->ip_drop_martian_src_not_unicast);
    if (!why)
        why = martian_counter(h->dst, &s->ip_drop_martian_dst_zero, &s->ip_drop_martian_dst_loopback,
                              &s->ip_drop_martian_dst_not_unicast);
    if (why)
        (*why)++;
    return why != NULL;
}

void nst_ipv4_forward(struct nst_stack *st, int ifindex, const struct nst_ipv4_repr *h, const uint8_t *pkt,
                      size_t len)
{
    (void)ifindex;
    /* Before TTL and routing, so that no ICMP error is sent about such a
     * datagram (RFC 1812 4.3.2.7: none about a datagram whose source does
     * not identify a single host; and none for traffic that should never
     * have reached a router). */
    if (is_martian(st, h))
        return;
    /* RFC 1812 5.3.1: a router that would decrement TTL to 0 discards the
     * datagram and sends Time Exceeded (code 0) to the source. */
    if (h->ttl <= 1) {
        NST_STAT_INC(st, ip, drop_ttl_expired);
        nst_icmp_send_error(st, NST_ICMP_TIME_EXCEEDED, NST_ICMP_TTL_EXCEEDED, 0, 0, pkt, len);
        return;
    }
    struct nst_route rt;
    if (nst_route_lookup(st, h->dst, &rt) < 0) {
        NST_STAT_INC(st, ip, drop_no_route);
        nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_NET_UNREACH, 0, 0, pkt, len);
        return;
    }
    uint32_t mtu = st->ip.ifaces[rt.ifindex].mtu;
    if (len > mtu && h->df) {
        /* RFC 1191 4: Fragmentation Needed, with the next-hop MTU. */
        NST_STAT_INC(st, ip, drop_df_too_big);
        nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_FRAG_NEEDED, 0, (uint16_t)mtu, pkt, len);
        return;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (!p)
        return;
    uint8_t *d = nst_pkt_data(p);
    memcpy(d, pkt, len);
    d[8] = (uint8_t)(h->ttl - 1);
    /* Recompute rather than patch (RFC 1624): the header is at most 60 bytes. */
    nst_put16(d + 10, 0);
    nst_put16(d + 10, nst_inet_checksum(d, h->hdr_len));
    NST_STAT_INC(st, ip, forwarded);
    nst_ip_send_datagram(st, p, rt.ifindex, rt.gateway ? rt.gateway : h->dst);
}
