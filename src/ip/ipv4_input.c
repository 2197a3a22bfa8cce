/* IPv4 input (RFC 791, RFC 1122 3.2.1): validate, then deliver locally,
 * reassemble, or hand to forwarding. Each reason to drop has a counter. */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static void count_parse_error(struct nst_stack *st, int err)
{
    switch (-err) {
    case NST_IPV4_ERR_TRUNCATED: NST_STAT_INC(st, ip, drop_truncated); break;
    case NST_IPV4_ERR_VERSION: NST_STAT_INC(st, ip, drop_bad_version); break;
    case NST_IPV4_ERR_IHL: NST_STAT_INC(st, ip, drop_bad_ihl); break;
    case NST_IPV4_ERR_LENGTH: NST_STAT_INC(st, ip, drop_bad_length); break;
    case NST_IPV4_ERR_CHECKSUM: NST_STAT_INC(st, ip, drop_bad_checksum); break;
    default: NST_STAT_INC(st, ip, drop_bad_options); break;
    }
}

int nst_ip_is_local(const struct nst_stack *st, nst_ip4_t addr)
{
    for (int i = 0; i < st->ip.n_ifaces; i++)
        if (st->ip.ifaces[i].addr && st->ip.ifaces[i].addr == addr)
            return 1;
    return 0;
}

int nst_ip_is_broadcast_or_multicast(const struct nst_stack *st, nst_ip4_t a)
{
    if (a == 0 || a == 0xffffffffu || (a >> 28) >= 0xe) /* 224/4 multicast, 240/4 class E */
        return 1;
    for (int i = 0; i < st->ip.n_ifaces; i++) {
        const struct nst_iface *ifc = &st->ip.ifaces[i];
        if (!ifc->addr || ifc->prefix_len >= 31)
            continue;
        uint32_t mask = nst_prefix_mask(ifc->prefix_len);
        if ((a & mask) == (ifc->addr & mask) && (a | mask) == 0xffffffffu)
            return 1;
    }
    return 0;
}

/* RFC 1122 3.2.1.3: a datagram whose source is a broadcast, multicast, or
 * loopback address, or 0.0.0.0 for anything but ICMP/UDP-with-DHCP, is bogus. */
static int source_is_bogus(const struct nst_stack *st, nst_ip4_t src)
{
    return (src >> 24) == 127 || (src != 0 && nst_ip_is_broadcast_or_multicast(st, src)) ||
           src == 0xffffffffu;
}

static void deliver_transport(struct nst_stack *st, const struct nst_ip_rx *rx)
{
    const uint8_t *payload = rx->ip + rx->hdr.hdr_len;
    size_t plen = rx->ip_len - rx->hdr.hdr_len;
    NST_STAT_INC(st, ip, rx_delivered);
    switch (rx->hdr.proto) {
    case NST_IP_PROTO_ICMP:
        nst_icmp_input(st, rx, payload, plen);
        break;
    case NST_IP_PROTO_UDP:
        nst_udp_input(st, rx, payload, plen);
        break;
    case NST_IP_PROTO_TCP:
        nst_tcp_input(st, rx, payload, plen);
        break;
    default:
        NST_STAT_INC(st, ip, drop_unknown_protocol);
        /* RFC 1122 3.2.2.1: protocol unreachable, never for broadcasts. */
        if (nst_ip_is_local(st, rx->hdr.dst))
            nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_PROTO_UNREACH, 0, 0, rx->ip, rx->ip_len);
        break;
    }
}

static void deliver_local(struct nst_stack *st, struct nst_ip_rx *rx)
{
    const struct nst_ipv4_repr *h = &rx->hdr;
    if (!h->mf && h->frag_off == 0) {
        deliver_transport(st, rx);
        return;
    }
    NST_STAT_INC(st, ip, frag_rx);
    struct nst_pkt *whole = nst_ip_reass(st, h, rx->ip, h->total_len);
    if (!whole)
        return;
    rx->ip = nst_pkt_data(whole);
    rx->ip_len = whole->len;
    nst_ipv4_parse(rx->ip, rx->ip_len, &rx->hdr, 0);
    deliver_transport(st, rx);
    nst_pkt_free(st, whole);
}

void nst_ipv4_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len)
{
    /* Parsed straight into the descriptor the transports get: copying a
     * header description just written field by field would make the CPU
     * wait for those stores (store forwarding) on every datagram. */
    struct nst_ip_rx rx;
    struct nst_ipv4_repr *h = &rx.hdr;
    rx.family = 4;
    NST_STAT_INC(st, ip, rx_packets);
    int hl = nst_ipv4_parse(pkt, len, h, 1);
    if (hl < 0) {
        count_parse_error(st, hl);
        return;
    }
    if (source_is_bogus(st, h->src)) {
        NST_STAT_INC(st, ip, drop_bad_source);
        return;
    }
    if (nst_ip_is_local(st, h->dst) || nst_ip_is_broadcast_or_multicast(st, h->dst)) {
        /* Multicast (no groups joined), class E (240/4, reserved) and
         * 0.0.0.0 (RFC 1122 3.2.1.3 (a): a source only, never a
         * destination) are addressed to nobody here. */
        if (h->dst == 0 || ((h->dst >> 28) >= 0xe && h->dst != 0xffffffffu)) {
            NST_STAT_INC(st, ip, drop_not_for_us);
            return;
        }
        rx.ifindex = ifindex;
        rx.ip = pkt;
        rx.ip_len = h->total_len;
        deliver_local(st, &rx);
        return;
    }
    if (!st->cfg.forwarding) {
        NST_STAT_INC(st, ip, drop_not_for_us);
        return;
    }
    nst_ipv4_forward(st, ifindex, h, pkt, h->total_len);
}
