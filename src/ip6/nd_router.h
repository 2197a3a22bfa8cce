/* Router discovery, SLAAC and redirects (RFC 4861 6 and 8, RFC 4862 5.5):
 * what the rest of the IPv6 layer calls (nd_router.c, slaac.c). */
#ifndef NST_IP6_ND_ROUTER_H
#define NST_IP6_ND_ROUTER_H

#include "ip6/ip6.h"

/* An interface got IPv6 (its link-local address passed DAD, or IPv6 was
 * enabled on it): a host starts soliciting routers (RFC 4861 6.3.7), an
 * advertising router starts its unsolicited advertisements (6.2.4). */
void nst_nd_router_start(struct nst_stack *st, int ifindex);
/* A validated Router Solicitation, Router Advertisement or Redirect
 * (nst_nd_parse already applied RFC 4861 6.1/8.1). */
void nst_nd_router_input(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_nd_repr *nd);
/* A forwarding router is about to send the packet pkt (header h) out of
 * the interface it came in on, toward next_hop: RFC 4861 8.2 says it
 * tells the sender of the better first hop with a Redirect (when the
 * sender is a neighbour, the target link-local or the destination itself,
 * and within the rate limit). The packet is forwarded all the same. */
void nst_nd_redirect_send(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h, const uint8_t *pkt,
                          size_t len, const nst_ip6_t *next_hop);
/* The neighbour cache gave addr up (resolution or probes failed, RFC
 * 4861 7.3.3): a default router that was it is replaced (6.3.6). */
void nst_nd_router_unreachable(struct nst_stack *st, int ifindex, const nst_ip6_t *addr);
/* An address formed by SLAAC failed DAD (RFC 4862 5.4.5). */
void nst_slaac_dad_failed(struct nst_stack *st, int ifindex, const nst_ip6_t *addr);
void nst_nd_router_fini(struct nst_stack *st);

#endif
