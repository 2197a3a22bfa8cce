/* Forwarding (RFC 1812 5.2): the stack as a router between interfaces.
 * TTL is decremented hop by hop; a datagram whose TTL runs out is answered
 * with ICMP Time Exceeded (which is what traceroute relies on), one with no
 * route with ICMP Destination Unreachable. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

void nst_ipv4_forward(struct nst_stack *st, int ifindex, const struct nst_ipv4_repr *h, const uint8_t *pkt,
                      size_t len)
{
    (void)ifindex;
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
