/* Neighbor Solicitation and Advertisement in and out (RFC 4861 7.2), and
 * their part in duplicate address detection (RFC 4862 5.4.3, 5.4.4, with
 * RFC 7527's nonce); Router Solicitations, Advertisements and Redirects
 * are validated here and handed to router discovery (nd_router.c). */
#include <errno.h>
#include <string.h>

#include "ip6/ip6_impl.h"
#include "ip6/nd_router.h"
#include "wire/eth.h"

/* RFC 4861 7.1, 6.1, 8.1: hop limit 255, so the receiver knows nobody
 * forwarded it. The buffer holds the largest message: a Redirect filling
 * the minimum MTU (4.5). */
int nst_nd_send(struct nst_stack *st, int ifindex, const struct nst_nd_repr *r, const nst_ip6_t *src,
                const nst_ip6_t *dst, const struct nst_mac *eth_dst)
{
    if (st->dying)
        return -ENETDOWN;
    uint8_t buf[NST_IPV6_MIN_MTU - NST_IPV6_HLEN];
    int n = nst_nd_emit(r, src, dst, buf, sizeof buf);
    if (n < 0)
        return n;
    struct nst_pkt *p = nst_pkt_alloc(st, (size_t)n);
    if (!p)
        return -ENOMEM;
    memcpy(nst_pkt_data(p), buf, (size_t)n);
    NST_STAT_INC(st, icmp6, tx_msgs);
    nst_ip6_push_header(st, p, src, dst, NST_IP6_NH_ICMPV6, 255, 0);
    if (eth_dst)
        return nst_eth_output(st, ifindex, eth_dst, NST_ETHERTYPE_IPV6, p);
    return nst_ip6_send_packet(st, p, ifindex, dst);
}

int nst_nd_send_ns(struct nst_stack *st, int ifindex, const nst_ip6_t *target, const nst_ip6_t *src,
                   const nst_ip6_t *dst, const struct nst_mac *eth_dst, const uint8_t *nonce)
{
    static const nst_ip6_t unspec;
    struct nst_nd_repr r = {.type = NST_ICMP6_NEIGHBOR_SOLICIT, .target = *target};
    /* 7.2.2: our link-layer address, except from :: (DAD: 7.1.1 forbids it). */
    if (src) {
        r.has_src_lladdr = 1;
        r.src_lladdr = st->ip.ifaces[ifindex].mac;
    }
    if (nonce) {
        r.has_nonce = 1;
        memcpy(r.nonce, nonce, NST_ND_NONCE_LEN);
    }
    nst_ip6_t group;
    struct nst_mac mcast;
    if (!dst) {
        nst_ip6_solicited_node(target, &group);
        nst_ip6_mcast_mac(&group, &mcast);
        dst = &group;
        eth_dst = &mcast;
    }
    NST_STAT_INC(st, nd, tx_ns);
    return nst_nd_send(st, ifindex, &r, src ? src : &unspec, dst, eth_dst);
}

/* 7.2.4: an advertisement for our address `target`, with our link-layer
 * address; Override set (no anycast here), Router set on a router. */
static void send_na(struct nst_stack *st, int ifindex, const nst_ip6_t *target, const nst_ip6_t *dst,
                    const struct nst_mac *eth_dst, int solicited)
{
    struct nst_nd_repr r = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = *target, .has_tgt_lladdr = 1,
                            .tgt_lladdr = st->ip.ifaces[ifindex].mac};
    r.flags = NST_ND_NA_OVERRIDE | (solicited ? NST_ND_NA_SOLICITED : 0) |
              (st->cfg.forwarding ? NST_ND_NA_ROUTER : 0);
    nst_ip6_t t = *target, d = *dst;
    NST_STAT_INC(st, nd, tx_na);
    nst_nd_send(st, ifindex, &r, &t, &d, eth_dst);
}

/* ---- Neighbor Solicitation in (7.2.3, RFC 4862 5.4.3) --------------------- */

static void ns_input(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_nd_repr *nd)
{
    const struct nst_ipv6_repr *h = &rx->hdr6;
    int from_dad = nst_ip6_is_unspecified(&h->src);
    struct nst_ip6_addr *a = nst_ip6_addr_find(st, rx->ifindex, &nd->target);
    if (!a || a->state == NST_ADDR6_DUPLICATE) {
        NST_STAT_INC(st, nd, rx_ns_not_for_us);
        return;
    }
    if (a->state == NST_ADDR6_TENTATIVE) {
        /* RFC 4862 5.4.3: a solicitation for an address we are testing.
         * From a unicast source it is someone resolving an address that
         * is not ours yet: ignored. From :: another node is testing it
         * too: a duplicate, unless it is our own come back (a looped
         * link; RFC 7527 4.2: the nonce we sent). */
        if (!from_dad)
            return;
        if (nd->has_nonce && a->dad_sent && memcmp(nd->nonce, a->nonce, NST_ND_NONCE_LEN) == 0) {
            NST_STAT_INC(st, nd, dad_looped);
            return;
        }
        nst_ip6_addr_dad_failed(st, a);
        return;
    }
    if (from_dad) {
        /* 7.2.4: someone tests an address we hold: tell all nodes. */
        NST_STAT_INC(st, nd, addr_conflict);
        nst_ip6_t all;
        struct nst_mac mac;
        nst_ip6_all_nodes(&all);
        nst_ip6_mcast_mac(&all, &mac);
        send_na(st, rx->ifindex, &nd->target, &all, &mac, 0);
        return;
    }
    if (nd->has_src_lladdr) {
        struct nst_nd_update u = {.lladdr = &nd->src_lladdr, .is_router = -1, .create = 1};
        nst_nd_neigh_update(st, rx->ifindex, &h->src, &u);
    }
    /* Answered to the solicitor: to its link-layer address when it gave
     * one, else through the cache (a unicast NS from a known neighbour). */
    send_na(st, rx->ifindex, &nd->target, &h->src, nd->has_src_lladdr ? &nd->src_lladdr : NULL, 1);
}

/* ---- Neighbor Advertisement in (7.2.5, RFC 4862 5.4.4) -------------------- */

static void na_input(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_nd_repr *nd)
{
    struct nst_ip6_addr *a = nst_ip6_addr_find(st, rx->ifindex, &nd->target);
    if (a) {
        if (a->state == NST_ADDR6_TENTATIVE) /* 5.4.4: someone already has it */
            nst_ip6_addr_dad_failed(st, a);
        else if (a->state != NST_ADDR6_DUPLICATE)
            NST_STAT_INC(st, nd, addr_conflict);
        return;
    }
    struct nst_nd_update u = {.lladdr = nd->has_tgt_lladdr ? &nd->tgt_lladdr : NULL,
                              .solicited = (nd->flags & NST_ND_NA_SOLICITED) != 0,
                              .override = (nd->flags & NST_ND_NA_OVERRIDE) != 0,
                              .is_router = (nd->flags & NST_ND_NA_ROUTER) != 0};
    /* 7.2.5: no entry: the advertisement is unsolicited news about a
     * neighbour we do not talk to; silently discarded. */
    if (!nst_nd_known(st, rx->ifindex, &nd->target)) {
        NST_STAT_INC(st, nd, rx_na_unsolicited);
        return;
    }
    nst_nd_neigh_update(st, rx->ifindex, &nd->target, &u);
}

/* ---- dispatch ------------------------------------------------------------- */

static void count_invalid(struct nst_stack *st, int err)
{
    switch (-err) {
    case NST_ND_ERR_HOP_LIMIT: NST_STAT_INC(st, nd, rx_bad_hop_limit); break;
    case NST_ND_ERR_CODE: NST_STAT_INC(st, nd, rx_bad_code); break;
    case NST_ND_ERR_LENGTH: NST_STAT_INC(st, nd, rx_bad_length); break;
    case NST_ND_ERR_OPTION: NST_STAT_INC(st, nd, rx_bad_option); break;
    case NST_ND_ERR_TARGET: NST_STAT_INC(st, nd, rx_bad_target); break;
    default: NST_STAT_INC(st, nd, rx_invalid); break;
    }
}

void nst_nd_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    const struct nst_ipv6_repr *h = &rx->hdr6;
    switch (msg[0]) {
    case NST_ICMP6_NEIGHBOR_SOLICIT: NST_STAT_INC(st, nd, rx_ns); break;
    case NST_ICMP6_NEIGHBOR_ADVERT: NST_STAT_INC(st, nd, rx_na); break;
    case NST_ICMP6_ROUTER_SOLICIT: NST_STAT_INC(st, nd, rx_rs); break;
    case NST_ICMP6_ROUTER_ADVERT: NST_STAT_INC(st, nd, rx_ra); break;
    default: NST_STAT_INC(st, nd, rx_redirect); break;
    }
    struct nst_nd_ip ip = {&h->src, &h->dst, h->hop_limit};
    struct nst_nd_repr nd;
    int err = nst_nd_parse(msg, len, &ip, &nd);
    if (err < 0) {
        count_invalid(st, err);
        return;
    }
    switch (nd.type) {
    case NST_ICMP6_NEIGHBOR_SOLICIT: ns_input(st, rx, &nd); return;
    case NST_ICMP6_NEIGHBOR_ADVERT: na_input(st, rx, &nd); return;
    case NST_ICMP6_ROUTER_ADVERT: {
        /* 6.3.4: the router's address, and that it is a router. */
        struct nst_nd_update u = {.lladdr = nd.has_src_lladdr ? &nd.src_lladdr : NULL, .is_router = 1,
                                  .create = 1};
        nst_nd_neigh_update(st, rx->ifindex, &h->src, &u);
        break;
    }
    default:
        /* An RS's sender and a Redirect's target reach the neighbour cache
         * only through router discovery, after its checks: a host discards
         * every RS (6.2.6), and a Redirect from any node but the current
         * first hop for its destination (8.1). */
        break;
    }
    nst_nd_router_input(st, rx, &nd);
}
