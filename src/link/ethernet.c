/* Ethernet II in and out: the boundary between a link driver and IP/ARP. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "ip6/ip6_impl.h"
#include "wire/eth.h"

static int frame_is_for_us(const struct nst_iface *ifc, const struct nst_mac *dst)
{
    return nst_mac_eq(dst, &ifc->mac) || nst_mac_is_broadcast(dst);
}

/* RFC 2464 7: an IPv6 multicast frame (33:33 and the group's low 32 bits)
 * is ours only for a group the interface joined (a NIC's multicast
 * filter); other groups' frames are counted and dropped. */
static int ip6_mcast_for_us(struct nst_stack *st, int ifindex, const struct nst_mac *dst)
{
    if (!st->ip6 || dst->b[0] != 0x33 || dst->b[1] != 0x33)
        return 0;
    if (nst_ip6_mcast_mac_accepted(st, ifindex, dst))
        return 1;
    NST_STAT_INC(st, ip6, rx_mcast_not_joined);
    return 0;
}

void nst_eth_input(struct nst_stack *st, int ifindex, const uint8_t *frame, size_t len)
{
    struct nst_eth_repr eth;
    NST_STAT_INC(st, link, rx_frames);
    NST_STAT_ADD(st, link, rx_bytes, len);
    if (nst_eth_parse(frame, len, &eth) < 0) {
        NST_STAT_INC(st, link, rx_runt);
        return;
    }
    if (!frame_is_for_us(&st->ip.ifaces[ifindex], &eth.dst) && !ip6_mcast_for_us(st, ifindex, &eth.dst)) {
        NST_STAT_INC(st, link, rx_not_for_us);
        return;
    }
    const uint8_t *payload = frame + NST_ETH_HLEN;
    size_t plen = len - NST_ETH_HLEN;
    switch (eth.ethertype) {
    case NST_ETHERTYPE_IPV4:
        nst_ipv4_input(st, ifindex, payload, plen);
        break;
    case NST_ETHERTYPE_ARP:
        nst_arp_input(st, ifindex, payload, plen);
        break;
    case NST_ETHERTYPE_IPV6:
        if (!st->ip6) {
            NST_STAT_INC(st, link, rx_unknown_ethertype); /* IPv6 off: as before it existed */
            break;
        }
        st->ip6->rx_link_mcast = nst_mac_is_multicast(&eth.dst);
        nst_ipv6_input(st, ifindex, payload, plen);
        break;
    default:
        NST_STAT_INC(st, link, rx_unknown_ethertype);
        break;
    }
}

int nst_eth_output(struct nst_stack *st, int ifindex, const struct nst_mac *dst, uint16_t ethertype,
                   struct nst_pkt *p)
{
    struct nst_iface *ifc = &st->ip.ifaces[ifindex];
    struct nst_eth_repr eth = {.dst = *dst, .src = ifc->mac, .ethertype = ethertype};
    if (st->dying || nst_pkt_headroom(p) < NST_ETH_HLEN) {
        nst_pkt_free(st, p);
        return -EINVAL;
    }
    nst_eth_emit(&eth, nst_pkt_push(p, NST_ETH_HLEN));
    /* A split packet goes out in pieces to a link that takes them; any
     * other link gets it whole, checksum finished (nst_pkt_linearize). */
    int split = nst_pkt_is_split(p) && ifc->ops.send_frame && nst_pkt_total(p) >= NST_ETH_MIN_FRAME;
    if (!split && nst_pkt_linearize(st, &p) < 0) {
        NST_STAT_INC(st, link, tx_errors);
        return -ENOMEM;
    }
    /* Pad to the Ethernet minimum (IEEE 802.3): the receiver trims by the
     * IP total length. The buffer always has room: the smallest is 2 KiB. */
    if (p->len < NST_ETH_MIN_FRAME && !split && p->off + NST_ETH_MIN_FRAME <= p->cap) {
        memset(nst_pkt_data(p) + p->len, 0, NST_ETH_MIN_FRAME - p->len);
        p->len = NST_ETH_MIN_FRAME;
    }
    size_t len = nst_pkt_total(p);
    int err;
    if (split) {
        err = ifc->ops.send_frame(ifc->ctx, nst_pkt_frame(p));
    } else {
        err = ifc->ops.send(ifc->ctx, nst_pkt_data(p), p->len);
    }
    if (err) {
        NST_STAT_INC(st, link, tx_errors);
    } else {
        NST_STAT_INC(st, link, tx_frames);
        NST_STAT_ADD(st, link, tx_bytes, len);
    }
    nst_pkt_free(st, p);
    return err;
}
