/* IPv6 input (RFC 8200): the fixed header and the source/destination
 * checks of RFC 4291, the extension-header walk (its refusals answered
 * with Parameter Problem as section 4 says), reassembly, then delivery to
 * ICMPv6, TCP or UDP; packets for others are forwarded or dropped. */
#include "ip6/ip6_impl.h"
#include "tcp/tcp.h"
#include "udp/udp.h"

static void count_parse_error(struct nst_stack *st, int err)
{
    switch (-err) {
    case NST_IPV6_ERR_TRUNCATED: NST_STAT_INC(st, ip6, drop_truncated); break;
    case NST_IPV6_ERR_VERSION: NST_STAT_INC(st, ip6, drop_bad_version); break;
    case NST_IPV6_ERR_JUMBO: NST_STAT_INC(st, ip6, drop_jumbo); break;
    default: NST_STAT_INC(st, ip6, drop_bad_length); break;
    }
}

static void count_walk_error(struct nst_stack *st, int err)
{
    switch (-err) {
    case NST_IPV6_EXT_TOO_MANY: NST_STAT_INC(st, ip6, drop_too_many_ext); break;
    case NST_IPV6_EXT_ROUTING: NST_STAT_INC(st, ip6, drop_routing_header); break;
    case NST_IPV6_EXT_FRAG_CHAIN: NST_STAT_INC(st, ip6, drop_frag_chain); break;
    case NST_IPV6_EXT_FRAG_NESTED: NST_STAT_INC(st, ip6, reass_bad); break;
    default: NST_STAT_INC(st, ip6, drop_bad_ext); break;
    }
}

/* RFC 4291: a source naming no single node, or one that never appears on
 * a link (loopback 2.5.3, IPv4-mapped: RFC 6052 / RFC 4942 2.2). The
 * unspecified source is legal (DAD, 2.5.2). */
static int source_is_bogus(const nst_ip6_t *src)
{
    return nst_ip6_is_multicast(src) || nst_ip6_is_loopback(src) || nst_ip6_is_v4mapped(src);
}

/* A destination nobody on a link may use: unspecified, loopback,
 * IPv4-mapped, or a multicast group of scope 0 (reserved) or 1
 * (interface-local: loopback only, 2.7). */
static int dest_is_bogus(const nst_ip6_t *dst)
{
    if (nst_ip6_is_multicast(dst))
        return nst_ip6_mcast_scope(dst) <= 1;
    return nst_ip6_is_unspecified(dst) || nst_ip6_is_loopback(dst) || nst_ip6_is_v4mapped(dst);
}

static void param_problem(struct nst_stack *st, const struct nst_ip_rx *rx, uint8_t code, uint32_t pointer)
{
    nst_icmp6_send_error(st, NST_ICMP6_PARAM_PROBLEM, (uint8_t)code, pointer, rx->ip, rx->ip_len, rx->ifindex);
}

static void deliver(struct nst_stack *st, struct nst_ip_rx *rx, const struct nst_ipv6_ext *ext)
{
    const uint8_t *payload = rx->ip + ext->proto_off;
    size_t plen = rx->ip_len - ext->proto_off;
    switch (ext->proto) {
    case NST_IP6_NH_ICMPV6:
        NST_STAT_INC(st, ip6, rx_delivered);
        nst_icmp6_input(st, rx, payload, plen, st->ip6->rx_link_mcast);
        return;
    case NST_IP6_NH_TCP:
        NST_STAT_INC(st, ip6, rx_delivered);
        nst_tcp_input(st, rx, payload, plen);
        return;
    case NST_IP6_NH_UDP:
        NST_STAT_INC(st, ip6, rx_delivered);
        nst_udp_input(st, rx, payload, plen);
        return;
    case NST_IP6_NH_NONE: /* RFC 8200 4.7: nothing follows; ignored */
        NST_STAT_INC(st, ip6, rx_delivered);
        return;
    default:
        /* RFC 8200 4: an unrecognised Next Header: Parameter Problem code 1
         * pointing at the field that named it. */
        NST_STAT_INC(st, ip6, drop_unknown_next_header);
        param_problem(st, rx, NST_ICMP6_UNKNOWN_NEXT_HEADER, ext->nh_field_off);
        return;
    }
}

static void input_local(struct nst_stack *st, struct nst_ip_rx *rx, int reassembled)
{
    struct nst_ipv6_ext ext;
    int err = nst_ipv6_walk(rx->ip, &rx->hdr6, &ext);
    if (err < 0) {
        count_walk_error(st, err);
        if (ext.icmp_code >= 0)
            param_problem(st, rx, (uint8_t)ext.icmp_code, ext.pointer);
        return;
    }
    if (ext.has_frag && ext.atomic) {
        NST_STAT_INC(st, ip6, frag_atomic); /* RFC 6946: on its own, never mixed with a reassembly */
    } else if (ext.has_frag) {
        if (reassembled) {
            /* A fragment inside a reassembled fragment: a loop of
             * fragments, refused (RFC 8200 4.5 knows one level). */
            NST_STAT_INC(st, ip6, reass_bad);
            return;
        }
        NST_STAT_INC(st, ip6, frag_rx);
        struct nst_pkt *whole = nst_ip6_reass(st, rx->ifindex, &rx->hdr6, &ext, rx->ip, rx->ip_len);
        if (!whole)
            return;
        struct nst_ip_rx r2 = *rx;
        r2.ip = nst_pkt_data(whole);
        r2.ip_len = whole->len;
        nst_ipv6_parse(r2.ip, r2.ip_len, &r2.hdr6);
        input_local(st, &r2, 1);
        nst_pkt_free(st, whole);
        return;
    }
    deliver(st, rx, &ext);
}

void nst_ipv6_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len)
{
    struct nst_ip_rx rx;
    struct nst_ipv6_repr *h = &rx.hdr6;
    rx.family = 6;
    if (!st->ip6 || !st->ip6->ifs[ifindex].up)
        return;
    NST_STAT_INC(st, ip6, rx_packets);
    int hl = nst_ipv6_parse(pkt, len, h);
    if (hl < 0) {
        count_parse_error(st, hl);
        return;
    }
    if (source_is_bogus(&h->src)) {
        NST_STAT_INC(st, ip6, drop_bad_source);
        return;
    }
    if (dest_is_bogus(&h->dst)) {
        NST_STAT_INC(st, ip6, drop_bad_dest);
        return;
    }
    rx.ifindex = ifindex;
    rx.ip = pkt;
    rx.ip_len = NST_IPV6_HLEN + (size_t)h->payload_len;
    if (nst_ip6_is_multicast(&h->dst)) {
        if (!nst_ip6_in_group(st, ifindex, &h->dst)) {
            NST_STAT_INC(st, ip6, rx_mcast_not_joined);
            return;
        }
        input_local(st, &rx, 0);
        return;
    }
    if (nst_ip6_is_local(st, &h->dst)) {
        input_local(st, &rx, 0);
        return;
    }
    if (nst_ip6_addr_find_any(st, &h->dst)) {
        /* RFC 4862 5.4: a tentative (or duplicate) address receives nothing
         * but the Neighbor Discovery of DAD, which comes to its
         * solicited-node group. */
        NST_STAT_INC(st, ip6, drop_tentative_dst);
        return;
    }
    if (!st->cfg.forwarding) {
        NST_STAT_INC(st, ip6, drop_not_for_us);
        return;
    }
    nst_ip6_forward(st, ifindex, h, pkt, rx.ip_len);
}
