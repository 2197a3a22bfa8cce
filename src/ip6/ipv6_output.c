/* IPv6 output (RFC 8200): route, choose the source (RFC 6724), add the
 * header, fragment at the source when the path MTU asks for it (4.5), and
 * hand to Neighbor Discovery; multicast goes straight to its 33:33 MAC
 * (RFC 2464 7). Also the stack's own loopback. */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "wire/checksum.h"
#include "wire/eth.h"

void nst_ip6_push_header(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                         uint8_t next_header, uint8_t hop_limit, uint8_t tclass)
{
    struct nst_ipv6_repr h = {
        .tclass = tclass,
        .payload_len = (uint16_t)nst_pkt_total(p),
        .next_header = next_header,
        .hop_limit = hop_limit,
        .src = *src,
        .dst = *dst,
    };
    nst_ipv6_emit(&h, nst_pkt_push(p, NST_IPV6_HLEN));
    NST_STAT_INC(st, ip6, tx_packets);
}

void nst_ip6_loopback_run(struct nst_stack *st, struct nst_timer *t)
{
    (void)t;
    /* The queue as it is now: what delivery sends waits for the next round. */
    struct nst_pktq q = st->ip6->loopback;
    memset(&st->ip6->loopback, 0, sizeof(st->ip6->loopback));
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&q))) {
        st->ip6->rx_link_mcast = 0;
        nst_ipv6_input(st, (int)p->aux, nst_pkt_data(p), p->len);
        nst_pkt_free(st, p);
    }
}

static int loopback_output(struct nst_stack *st, int ifindex, struct nst_pkt *p)
{
    if (nst_pkt_linearize(st, &p) < 0)
        return -ENOMEM;
    NST_STAT_INC(st, ip6, loopback);
    p->aux = (uint32_t)ifindex;
    nst_pktq_push(&st->ip6->loopback, p);
    nst_timer_arm(st, &st->ip6->loopback_timer, st->now);
    return 0;
}

uint32_t nst_ip6_path_mtu(struct nst_stack *st, int ifindex, const nst_ip6_t *dst)
{
    uint32_t mtu = nst_ip6_if(st, ifindex)->mtu, pmtu = nst_ip6_pmtu_get(st, dst);
    return pmtu && pmtu < mtu ? pmtu : mtu;
}

int nst_ip6_send_packet(struct nst_stack *st, struct nst_pkt *p, int ifindex, const nst_ip6_t *next_hop)
{
    if (nst_ip6_is_multicast(next_hop)) {
        struct nst_mac mac;
        nst_ip6_mcast_mac(next_hop, &mac);
        return nst_eth_output(st, ifindex, &mac, NST_ETHERTYPE_IPV6, p);
    }
    return nst_nd_output(st, ifindex, next_hop, p);
}

/* RFC 8200 4.5: the packet p (our own: the unfragmentable part is the
 * fixed header alone) cut into fragments of at most mtu bytes, each with a
 * Fragment header; offsets in 8-byte units, one identification for all,
 * drawn at random (RFC 7739 5: unpredictable, so no one can guess the IDs
 * of another flow's fragments and forge them). */
static int fragment_and_send(struct nst_stack *st, struct nst_pkt *p, int ifindex, const nst_ip6_t *next_hop,
                             uint32_t mtu)
{
    const uint8_t *d = nst_pkt_data(p);
    size_t data_len = p->len - NST_IPV6_HLEN;
    const uint8_t *data = d + NST_IPV6_HLEN;
    uint8_t next_header = d[6];
    uint32_t id = (uint32_t)nst_rng_next(&st->rng);
    size_t max_chunk = (mtu - NST_IPV6_HLEN - 8) & ~(size_t)7;
    int err = 0;
    NST_STAT_INC(st, ip6, frag_datagrams);
    for (size_t off = 0; off < data_len && !err; off += max_chunk) {
        size_t chunk = NST_MIN(data_len - off, max_chunk);
        int last = off + chunk == data_len;
        struct nst_pkt *f = nst_pkt_alloc(st, NST_IPV6_HLEN + 8 + chunk);
        if (!f) {
            err = -ENOMEM;
            break;
        }
        uint8_t *fd = nst_pkt_data(f);
        memcpy(fd, d, NST_IPV6_HLEN);
        nst_put16(fd + 4, (uint16_t)(8 + chunk));
        fd[6] = NST_IP6_NH_FRAGMENT;
        uint8_t *fh = fd + NST_IPV6_HLEN;
        fh[0] = next_header;
        fh[1] = 0;
        nst_put16(fh + 2, (uint16_t)(off | (last ? 0 : 1)));
        nst_put32(fh + 4, id);
        memcpy(fh + 8, data + off, chunk);
        NST_STAT_INC(st, ip6, frag_created);
        err = nst_ip6_send_packet(st, f, ifindex, next_hop);
    }
    nst_pkt_free(st, p);
    return err;
}

/* Remembers the way to dst for a connection when the next hop is resolved. */
static void dst_fill(struct nst_stack *st, struct nst_dst *dc, int ifindex, const nst_ip6_t *hop, uint32_t mtu)
{
    if (nst_ip6_is_multicast(hop) || nst_nd_lookup(st, ifindex, hop, &dc->mac) < 0)
        return;
    dc->ifindex = (uint8_t)ifindex;
    dc->mtu = mtu;
    dc->gso = st->ip.ifaces[ifindex].gso6_max >= 65535;
    dc->gen = st->ip.dst_gen;
}

/* The interface toward dst and the next hop on it: 0, 1 when dst is one
 * of our own addresses (no route needed: a /128 has none), or
 * -ENETUNREACH. */
static int route_out(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, int *out_if, nst_ip6_t *hop)
{
    const struct nst_ip6_addr *own = nst_ip6_is_local(st, dst) ? nst_ip6_addr_find_any(st, dst) : NULL;
    if (own) {
        *out_if = own->ifindex;
        *hop = *dst;
        return 1;
    }
    if (nst_ip6_is_multicast(dst)) {
        /* RFC 4291 2.7: a group names no route; the caller says which
         * link, or the only one there is. */
        if (ifindex < 0 && st->ip.n_ifaces == 1)
            ifindex = 0;
        if (ifindex < 0 || ifindex >= st->ip.n_ifaces || !st->ip6->ifs[ifindex].up)
            return -ENETUNREACH;
        *out_if = ifindex;
        *hop = *dst;
        return 0;
    }
    struct nst_route6 rt;
    if (nst_ip6_route_lookup_if(st, dst, ifindex, &rt) < 0)
        return -ENETUNREACH;
    *out_if = rt.ifindex;
    *hop = nst_ip6_is_unspecified(&rt.gateway) ? *dst : rt.gateway;
    return 0;
}

int nst_ip6_route_src(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, nst_ip6_t *src, uint32_t *mtu)
{
    if (!st->ip6)
        return -ENETUNREACH;
    int out_if;
    nst_ip6_t hop;
    if (route_out(st, dst, ifindex, &out_if, &hop) < 0)
        return -ENETUNREACH;
    const struct nst_ip6_addr *a = nst_ip6_select_src(st, out_if, dst);
    if (!a)
        return -EADDRNOTAVAIL;
    if (src)
        *src = a->addr;
    if (mtu)
        *mtu = nst_ip6_path_mtu(st, out_if, dst);
    return 0;
}

int nst_ip6_output(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                   uint8_t next_header, uint8_t hop_limit, uint8_t tclass, int ifindex, int dontfrag,
                   struct nst_dst *dc)
{
    if (!st->ip6) {
        nst_pkt_free(st, p);
        return -EAFNOSUPPORT;
    }
    size_t len = nst_pkt_total(p);
    int have_src = src && !nst_ip6_is_unspecified(src);
    /* A TSO frame (gso_size: TCP decided it from dc->gso) goes larger than
     * the path MTU: the link cuts it into segments that fit. */
    if (dc && dc->gen == st->ip.dst_gen && have_src &&
        (len + NST_IPV6_HLEN <= dc->mtu || (p->fr.gso_size && dc->gso))) {
        nst_ip6_push_header(st, p, src, dst, next_header, hop_limit ? hop_limit : nst_ip6_if(st, dc->ifindex)->hop_limit,
                            tclass);
        return nst_eth_output(st, dc->ifindex, &dc->mac, NST_ETHERTYPE_IPV6, p);
    }
    int out_if;
    nst_ip6_t hop;
    int own = route_out(st, dst, ifindex, &out_if, &hop);
    if (own < 0) {
        NST_STAT_INC(st, ip6, drop_no_route);
        nst_pkt_free(st, p);
        return -ENETUNREACH;
    }
    if (!have_src) {
        const struct nst_ip6_addr *a = nst_ip6_select_src(st, out_if, dst);
        if (!a) {
            NST_STAT_INC(st, ip6, drop_no_source);
            nst_pkt_free(st, p);
            return -EADDRNOTAVAIL;
        }
        src = &a->addr;
    }
    if (len > 65535) { /* no jumbograms (RFC 2675) */
        nst_pkt_free(st, p);
        return -EMSGSIZE;
    }
    nst_ip6_t s = *src; /* the address may move while p is sent (a queue, a callback) */
    nst_ip6_push_header(st, p, &s, dst, next_header, hop_limit ? hop_limit : nst_ip6_if(st, out_if)->hop_limit, tclass);
    if (own)
        return loopback_output(st, out_if, p);
    uint32_t mtu = nst_ip6_path_mtu(st, out_if, dst);
    if (dc)
        dst_fill(st, dc, out_if, &hop, mtu);
    if (len + NST_IPV6_HLEN <= mtu || (p->fr.gso_size && st->ip.ifaces[out_if].gso6_max >= 65535))
        return nst_ip6_send_packet(st, p, out_if, &hop);
    if (dontfrag) {
        NST_STAT_INC(st, ip6, drop_too_big);
        nst_pkt_free(st, p);
        return -EMSGSIZE;
    }
    if (nst_pkt_linearize(st, &p) < 0)
        return -ENOMEM;
    return fragment_and_send(st, p, out_if, &hop, mtu);
}
