/* Forwarding (RFC 8200 3, RFC 4443 3): a router decrements the hop limit,
 * answers expiry with Time Exceeded and a packet too big for the next
 * link with Packet Too Big (routers never fragment in IPv6), and never
 * forwards link-local addresses off their link (RFC 4291 2.5.6). */
#include "ip6/ip6_impl.h"
#include "ip6/nd_router.h"

void nst_ip6_forward(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h, const uint8_t *pkt,
                     size_t len)
{
    st->ip6->rx_link_mcast = 0; /* a unicast destination: errors may be sent */
    if (nst_ip6_addr_find_any(st, &h->src)) {
        /* Our own address as the source of a packet from the link: forged,
         * or a loop; not passed on in our name. */
        NST_STAT_INC(st, ip6, drop_bad_source);
        return;
    }
    if (nst_ip6_is_link_local(&h->src) || nst_ip6_is_link_local(&h->dst) || nst_ip6_is_unspecified(&h->src)) {
        NST_STAT_INC(st, ip6, drop_fwd_link_local);
        /* RFC 4443 3.1: a destination beyond the source's scope. */
        if (!nst_ip6_is_link_local(&h->dst))
            nst_icmp6_send_error(st, NST_ICMP6_DEST_UNREACH, NST_ICMP6_BEYOND_SCOPE, 0, pkt, len, ifindex);
        return;
    }
    if (h->hop_limit <= 1) {
        NST_STAT_INC(st, ip6, drop_hop_limit);
        nst_icmp6_send_error(st, NST_ICMP6_TIME_EXCEEDED, NST_ICMP6_HOP_LIMIT_EXCEEDED, 0, pkt, len, ifindex);
        return;
    }
    struct nst_route6 rt;
    if (nst_ip6_route_lookup_if(st, &h->dst, -1, &rt) < 0) {
        NST_STAT_INC(st, ip6, drop_no_route);
        nst_icmp6_send_error(st, NST_ICMP6_DEST_UNREACH, NST_ICMP6_NO_ROUTE, 0, pkt, len, ifindex);
        return;
    }
    uint32_t mtu = nst_ip6_if(st, rt.ifindex)->mtu;
    if (len > mtu) {
        NST_STAT_INC(st, ip6, drop_too_big);
        nst_icmp6_send_error(st, NST_ICMP6_PACKET_TOO_BIG, 0, mtu, pkt, len, ifindex);
        return;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (!p)
        return;
    uint8_t *d = nst_pkt_data(p);
    memcpy(d, pkt, len);
    d[7] = (uint8_t)(h->hop_limit - 1);
    NST_STAT_INC(st, ip6, forwarded);
    const nst_ip6_t *next_hop = nst_ip6_is_unspecified(&rt.gateway) ? &h->dst : &rt.gateway;
    if (rt.ifindex == ifindex) /* back out where it came from: RFC 4861 8.2 */
        nst_nd_redirect_send(st, ifindex, h, pkt, len, next_hop);
    nst_ip6_send_packet(st, p, rt.ifindex, next_hop);
}
