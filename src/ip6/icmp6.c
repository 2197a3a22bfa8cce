/* ICMPv6 (RFC 4443): echo, errors sent under the rules of 2.4 and a rate
 * limit, errors received handed to path MTU discovery and to the
 * transport that sent the packet they quote; Neighbor Discovery's
 * messages go to nd.c. */
#include <errno.h>
#include <string.h>

#include "ip/icmp_socket.h"
#include "ip6/ip6_impl.h"
#include "tcp/tcp.h"
#include "udp/udp.h"
#include "wire/checksum.h"

int nst_icmp6_output(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                     uint8_t hop_limit, int ifindex)
{
    nst_ip6_t s;
    if (!src || nst_ip6_is_unspecified(src)) {
        if (nst_ip6_route_src(st, dst, ifindex, &s, NULL) < 0) {
            NST_STAT_INC(st, ip6, drop_no_source);
            nst_pkt_free(st, p);
            return -EADDRNOTAVAIL;
        }
        src = &s;
    }
    uint8_t *m = nst_pkt_data(p);
    nst_put16(m + 2, 0);
    nst_put16(m + 2, nst_csum_finish(nst_csum_add(nst_csum_pseudo6(src, dst, NST_IP6_NH_ICMPV6, p->len), m, p->len)));
    NST_STAT_INC(st, icmp6, tx_msgs);
    return nst_ip6_output(st, p, src, dst, NST_IP6_NH_ICMPV6, hop_limit, 0, ifindex, 0, NULL);
}

/* A message of type/code/word and data, built and sent. */
static int icmp6_send(struct nst_stack *st, uint8_t type, uint8_t code, uint32_t word, const void *data, size_t len,
                      const nst_ip6_t *src, const nst_ip6_t *dst, int ifindex)
{
    struct nst_pkt *p = nst_pkt_alloc(st, NST_ICMP6_HLEN + len);
    if (!p)
        return -ENOMEM;
    uint8_t *m = nst_pkt_data(p);
    m[0] = type;
    m[1] = code;
    nst_put32(m + 4, word);
    if (len)
        memcpy(m + NST_ICMP6_HLEN, data, len);
    return nst_icmp6_output(st, p, src, dst, 0, ifindex);
}

int nst_icmp6_send_echo(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, uint16_t id, uint16_t seq,
                        const void *data, size_t len)
{
    if (!st->ip6)
        return -EAFNOSUPPORT;
    NST_STAT_INC(st, icmp6, tx_echo_request);
    return icmp6_send(st, NST_ICMP6_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq, data, len, NULL, dst, ifindex);
}

/* ---- the rate limit (RFC 4443 2.4 (f)): a shared bucket (icmp.c's) ------- */

/* One destination's budget (RFC 4443 2.4 (f) leaves the method open; as
 * IPv4's: icmp_dst_burst errors, one more each icmp_dst_interval), in a
 * table of NST_ICMP_PEERS, the one unused longest recycled. */
static int dst_allows(struct nst_stack *st, const nst_ip6_t *dst)
{
    if (st->cfg.icmp_dst_interval <= 0)
        return 1;
    struct nst_ip6_state *s = st->ip6;
    uint32_t now = ++s->icmp_peer_clock;
    struct nst_icmp6_peer *p = NULL, *victim = NULL;
    for (int i = 0; i < NST_ICMP_PEERS && !p; i++) {
        struct nst_icmp6_peer *q = &s->icmp_peers[i];
        if (q->in_use && nst_ip6_eq(&q->addr, dst))
            p = q;
        else if (!victim || (victim->in_use && (!q->in_use || now - q->used > now - victim->used)))
            victim = q; /* unsigned ages: right when the clock wraps */
    }
    if (!p) {
        p = victim;
        *p = (struct nst_icmp6_peer){.addr = *dst, .in_use = 1, .last = st->now, .credit = nst_icmp_budget_full(st)};
    }
    p->used = now;
    return nst_icmp_budget_allows(st, &p->last, &p->credit);
}

/* ---- errors sent ---------------------------------------------------------- */

/* The upper-layer protocol of the packet p[0..len) (IPv6 header first)
 * and where it starts, stepping over extension headers by their lengths
 * alone: for packets the strict walk refused (an error is owed about
 * them) and for the truncated quotes inside errors. A later fragment's
 * upper layer is unknown: NH_FRAGMENT. *off may lie past len. */
static uint8_t upper_layer(const uint8_t *p, size_t len, size_t *off)
{
    uint8_t proto = p[6];
    size_t at = NST_IPV6_HLEN;
    for (int n = 0; n < NST_IPV6_MAX_EXT_HEADERS && at + 8 <= len; n++) {
        if (proto == NST_IP6_NH_FRAGMENT) {
            if (nst_get16(p + at + 2) & 0xfff8)
                break;
            proto = p[at];
            at += 8;
        } else if (proto == NST_IP6_NH_HOPOPTS || proto == NST_IP6_NH_ROUTING || proto == NST_IP6_NH_DSTOPTS) {
            proto = p[at];
            at += ((size_t)p[at + 1] + 1) * 8;
        } else {
            break;
        }
    }
    *off = at;
    return proto;
}

/* Was the invoking packet itself an ICMPv6 error or a Redirect (RFC 4443
 * 2.4 (e.1), (e.2)), whatever else is wrong with it? */
static void invoking_kind(const uint8_t *orig, size_t len, struct nst_icmp6_invoking *inv)
{
    size_t off;
    if (upper_layer(orig, len, &off) != NST_IP6_NH_ICMPV6 || off >= len)
        return;
    inv->is_error = nst_icmp6_is_error(orig[off]);
    inv->is_redirect = orig[off] == NST_ICMP6_REDIRECT;
}

static void count_error_sent(struct nst_stack *st, uint8_t type)
{
    switch (type) {
    case NST_ICMP6_DEST_UNREACH: NST_STAT_INC(st, icmp6, tx_dest_unreach); break;
    case NST_ICMP6_PACKET_TOO_BIG: NST_STAT_INC(st, icmp6, tx_packet_too_big); break;
    case NST_ICMP6_TIME_EXCEEDED: NST_STAT_INC(st, icmp6, tx_time_exceeded); break;
    default: NST_STAT_INC(st, icmp6, tx_param_problem); break;
    }
}

void nst_icmp6_send_error(struct nst_stack *st, uint8_t type, uint8_t code, uint32_t param, const uint8_t *orig,
                          size_t orig_len, int ifindex)
{
    struct nst_ipv6_repr h;
    if (!st->ip6 || nst_ipv6_parse(orig, orig_len, &h) < 0)
        return;
    struct nst_icmp6_invoking inv = {.src = &h.src, .dst = &h.dst, .link_multicast = st->ip6->rx_link_mcast};
    invoking_kind(orig, NST_IPV6_HLEN + (size_t)h.payload_len < orig_len ? NST_IPV6_HLEN + (size_t)h.payload_len : orig_len,
                  &inv);
    if (!nst_icmp6_error_allowed(&inv, type, code)) {
        NST_STAT_INC(st, icmp6, error_not_allowed);
        return;
    }
    /* The destination's own budget first (as IPv4): what it refuses never
     * touches the shared one, the bucket with the random cost. */
    if (!dst_allows(st, &h.src)) {
        NST_STAT_INC(st, icmp6, rate_limited_dst);
        return;
    }
    if (!nst_icmp_bucket_allows(st, &st->ip6->icmp_bucket)) {
        NST_STAT_INC(st, icmp6, rate_limited);
        return;
    }
    /* RFC 4443 2.2: from the address the packet was sent to when it is
     * ours, else the best of ours toward the packet's source. */
    const nst_ip6_t *src = nst_ip6_is_local(st, &h.dst) ? &h.dst : NULL;
    size_t quote = orig_len < NST_ICMP6_MAX_QUOTE ? orig_len : NST_ICMP6_MAX_QUOTE; /* 2.4 (c) */
    nst_ip6_t to = h.src;
    count_error_sent(st, type);
    icmp6_send(st, type, code, param, orig, quote, src, &to, nst_ip6_is_link_local(&to) ? ifindex : -1);
}

/* ---- errors received ------------------------------------------------------ */

/* RFC 4443 2.4 (d): an error goes to the upper layer that sent the packet
 * it quotes, chosen by that packet's protocol. e: the error (e->data,
 * e->data_len: the quoted packet, its IPv6 header first, perhaps cut
 * short); proto and l4_off: the quoted packet's upper layer and where its
 * header starts in the quote (l4_off may lie past the quote's end); msg,
 * len: the whole ICMPv6 message. */
static void icmp6_error_to_transport(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_icmp6_repr *e,
                                     uint8_t proto, size_t l4_off, const uint8_t *msg, size_t len)
{
    switch (proto) {
    case NST_IP6_NH_TCP:
        NST_STAT_INC(st, icmp6, rx_error_tcp);
        nst_tcp_icmp6_error(st, e->type, e->code, e->word, e->data, e->data_len, l4_off);
        break;
    case NST_IP6_NH_UDP:
        NST_STAT_INC(st, icmp6, rx_error_udp);
        nst_udp_icmp6_error(st, e->type, e->code, e->data, e->data_len, l4_off);
        break;
    case NST_IP6_NH_ICMPV6: /* about our echo request: to the ping socket */
        nst_icmp6_sock_deliver(st, rx, msg, len);
        break;
    default: NST_STAT_INC(st, icmp6, rx_error_other); break;
    }
}

static void error_input(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_icmp6_repr *e,
                        const uint8_t *msg, size_t len)
{
    switch (e->type) {
    case NST_ICMP6_DEST_UNREACH: NST_STAT_INC(st, icmp6, rx_dest_unreach); break;
    case NST_ICMP6_PACKET_TOO_BIG: NST_STAT_INC(st, icmp6, rx_packet_too_big); break;
    case NST_ICMP6_TIME_EXCEEDED: NST_STAT_INC(st, icmp6, rx_time_exceeded); break;
    case NST_ICMP6_PARAM_PROBLEM: NST_STAT_INC(st, icmp6, rx_param_problem); break;
    default: NST_STAT_INC(st, icmp6, rx_unknown_error); break; /* 2.4 (b): still passed up */
    }
    /* The quote must hold the invoking packet's header, from one of our
     * addresses (else it is not about anything we sent: forged, or
     * misdirected). */
    const uint8_t *inner = e->data;
    size_t ilen = e->data_len;
    if (ilen < NST_IPV6_HLEN || (inner[0] >> 4) != 6) {
        NST_STAT_INC(st, icmp6, rx_malformed);
        return;
    }
    nst_ip6_t isrc, idst;
    memcpy(isrc.b, inner + 8, 16);
    memcpy(idst.b, inner + 24, 16);
    if (!nst_ip6_addr_find_any(st, &isrc)) {
        NST_STAT_INC(st, icmp6, rx_error_not_ours);
        return;
    }
    if (e->type == NST_ICMP6_PACKET_TOO_BIG) {
        if (nst_ip6_pmtu_update(st, &idst, e->word))
            NST_STAT_INC(st, icmp6, pmtu_updates);
        else
            NST_STAT_INC(st, icmp6, pmtu_ignored);
    }
    /* The quoted chain may be cut short: step over what is there. */
    size_t off;
    uint8_t proto = upper_layer(inner, ilen, &off);
    icmp6_error_to_transport(st, rx, e, proto, off, msg, len);
}

/* ---- echo ----------------------------------------------------------------- */

/* RFC 4443 4.2: the reply carries the request's identifier, sequence and
 * data; to a request sent to a multicast group, from one of our unicast
 * addresses. */
static void echo_request(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_icmp6_repr *e)
{
    NST_STAT_INC(st, icmp6, rx_echo_request);
    const struct nst_ipv6_repr *h = &rx->hdr6;
    if (nst_ip6_is_unspecified(&h->src))
        return; /* nobody to answer */
    const nst_ip6_t *src = NULL;
    if (!nst_ip6_is_multicast(&h->dst))
        src = &h->dst;
    NST_STAT_INC(st, icmp6, tx_echo_reply);
    nst_ip6_t to = h->src, from;
    if (src)
        from = *src;
    icmp6_send(st, NST_ICMP6_ECHO_REPLY, 0, e->word, e->data, e->data_len, src ? &from : NULL, &to,
               nst_ip6_is_link_local(&to) || nst_ip6_is_multicast(&h->dst) ? rx->ifindex : -1);
}

void nst_icmp6_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len,
                     int link_mcast)
{
    (void)link_mcast;
    struct nst_icmp6_repr e;
    NST_STAT_INC(st, icmp6, rx_msgs);
    int err = nst_icmp6_parse(msg, len, &rx->hdr6.src, &rx->hdr6.dst, &e, 1);
    if (err == -EBADMSG) {
        NST_STAT_INC(st, icmp6, rx_bad_checksum);
        return;
    }
    if (err < 0) {
        NST_STAT_INC(st, icmp6, rx_malformed);
        return;
    }
    if (nst_icmp6_is_error(e.type)) {
        error_input(st, rx, &e, msg, len);
        return;
    }
    switch (e.type) {
    case NST_ICMP6_ECHO_REQUEST: echo_request(st, rx, &e); return;
    case NST_ICMP6_ECHO_REPLY:
        NST_STAT_INC(st, icmp6, rx_echo_reply);
        nst_icmp6_sock_deliver(st, rx, msg, len);
        return;
    case NST_ICMP6_ROUTER_SOLICIT:
    case NST_ICMP6_ROUTER_ADVERT:
    case NST_ICMP6_NEIGHBOR_SOLICIT:
    case NST_ICMP6_NEIGHBOR_ADVERT:
    case NST_ICMP6_REDIRECT: nst_nd_input(st, rx, msg, len); return;
    case NST_ICMP6_MLD_QUERY:
    case NST_ICMP6_MLD_REPORT:
    case NST_ICMP6_MLD_DONE:
    case NST_ICMP6_MLD2_REPORT: nst_mld_input(st, rx, msg, len); return;
    default: /* 2.4 (b): an unknown informational message */
        NST_STAT_INC(st, icmp6, rx_other);
        return;
    }
}
