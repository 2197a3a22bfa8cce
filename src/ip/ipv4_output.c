/* IPv4 output (RFC 791, RFC 1122 3.3): route, add the header, fragment to
 * the interface MTU, and hand to ARP. Also the stack's own loopback. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"

int nst_ip_route_src(struct nst_stack *st, nst_ip4_t dst, nst_ip4_t *src, uint32_t *mtu)
{
    struct nst_route rt;
    int err = nst_route_lookup(st, dst, &rt);
    if (err)
        return err;
    const struct nst_iface *ifc = &st->ip.ifaces[rt.ifindex];
    if (src)
        *src = ifc->addr;
    if (mtu)
        *mtu = ifc->mtu;
    return 0;
}

void nst_ip_loopback_run(struct nst_stack *st, struct nst_timer *t)
{
    (void)t;
    /* Take the queue as it is: anything sent while delivering waits for the
     * next round, so a ping-pong with ourselves cannot loop forever here. */
    struct nst_pktq q = st->ip.loopback;
    memset(&st->ip.loopback, 0, sizeof(st->ip.loopback));
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&q))) {
        nst_ipv4_input(st, (int)p->aux, nst_pkt_data(p), p->len);
        nst_pkt_free(st, p);
    }
}

static int loopback_output(struct nst_stack *st, int ifindex, struct nst_pkt *p)
{
    if (nst_pkt_linearize(st, &p) < 0)
        return -ENOMEM;
    p->aux = (uint32_t)ifindex;
    nst_pktq_push(&st->ip.loopback, p);
    nst_timer_arm(st, &st->ip.loopback_timer, st->now);
    return 0;
}

/* The header of a datagram of len payload bytes, in front of p's data. */
static void push_header(struct nst_stack *st, struct nst_pkt *p, size_t len, nst_ip4_t src, nst_ip4_t dst,
                        uint8_t proto, uint8_t ttl, uint8_t tos, int df)
{
    struct nst_ipv4_repr h = {
        .tos = tos,
        .total_len = (uint16_t)(len + NST_IPV4_HLEN),
        .id = st->ip.next_id++,
        .df = df,
        .ttl = ttl ? ttl : st->cfg.default_ttl,
        .proto = proto,
        .src = src,
        .dst = dst,
    };
    nst_ipv4_emit(&h, nst_pkt_push(p, NST_IPV4_HLEN));
    NST_STAT_INC(st, ip, tx_packets);
}

/* Remembers the way to dst found by the route lookup, if the next hop is
 * resolved already (otherwise the next datagram looks again). */
static void dst_fill(struct nst_stack *st, struct nst_dst *dc, const struct nst_route *rt, nst_ip4_t dst)
{
    nst_ip4_t hop = rt->gateway ? rt->gateway : dst;
    if (nst_ip_is_broadcast_or_multicast(st, hop) || nst_arp_lookup(st, rt->ifindex, hop, &dc->mac) < 0)
        return;
    dc->ifindex = (uint8_t)rt->ifindex;
    dc->mtu = st->ip.ifaces[rt->ifindex].mtu;
    dc->gso = st->ip.ifaces[rt->ifindex].gso_max >= 65535;
    dc->gen = st->ip.dst_gen;
}

int nst_ip_output_dst(struct nst_stack *st, struct nst_pkt *p, nst_ip4_t src, nst_ip4_t dst, uint8_t proto,
                      uint8_t ttl, uint8_t tos, int df, struct nst_dst *dc)
{
    size_t len = nst_pkt_total(p);
    if (dc && dc->gen == st->ip.dst_gen && src && (len + NST_IPV4_HLEN <= dc->mtu || (p->fr.gso_size && dc->gso))) {
        push_header(st, p, len, src, dst, proto, ttl, tos, df);
        if (p->fr.gso_size) { /* the link's segments take the IDs that follow the first */
            size_t payload = p->fr.frag_len[0] + p->fr.frag_len[1];
            st->ip.next_id = (uint16_t)(st->ip.next_id + (payload - 1) / p->fr.gso_size);
        }
        return nst_eth_output(st, dc->ifindex, &dc->mac, NST_ETHERTYPE_IPV4, p);
    }
    struct nst_route rt;
    if (nst_route_lookup(st, dst, &rt) < 0) {
        NST_STAT_INC(st, ip, drop_no_route);
        nst_pkt_free(st, p);
        return -ENETUNREACH;
    }
    if (!src)
        src = st->ip.ifaces[rt.ifindex].addr;
    if (len + NST_IPV4_HLEN > 65535) {
        nst_pkt_free(st, p);
        return -EMSGSIZE;
    }
    push_header(st, p, len, src, dst, proto, ttl, tos, df);
    if (nst_ip_is_local(st, dst))
        return loopback_output(st, rt.ifindex, p);
    if (dc)
        dst_fill(st, dc, &rt, dst);
    return nst_ip_send_datagram(st, p, rt.ifindex, rt.gateway ? rt.gateway : dst);
}

int nst_ip_output(struct nst_stack *st, struct nst_pkt *p, nst_ip4_t src, nst_ip4_t dst, uint8_t proto,
                  uint8_t ttl, uint8_t tos, int df)
{
    return nst_ip_output_dst(st, p, src, dst, proto, ttl, tos, df, NULL);
}

/* RFC 791 3.2: options whose "copied" flag is set go into every fragment;
 * the rest only into the first. Returns the new header length (padded). */
static size_t copy_fragment_options(const uint8_t *hdr, size_t hlen, uint8_t *out)
{
    size_t o = NST_IPV4_HLEN;
    memcpy(out, hdr, NST_IPV4_HLEN);
    for (size_t i = NST_IPV4_HLEN; i < hlen;) {
        uint8_t kind = hdr[i];
        if (kind == 0) /* end of option list */
            break;
        if (kind == 1) { /* no-op */
            i++;
            continue;
        }
        uint8_t olen = (i + 1 < hlen) ? hdr[i + 1] : 0;
        if (olen < 2 || i + olen > hlen) /* parse already refused these */
            break;
        if (kind & 0x80) {
            memcpy(out + o, hdr + i, olen);
            o += olen;
        }
        i += olen;
    }
    while (o % 4)
        out[o++] = 0;
    out[0] = (uint8_t)(0x40 | (o / 4));
    return o;
}

static int fragment_and_send(struct nst_stack *st, struct nst_pkt *p, int ifindex, nst_ip4_t next_hop,
                             uint32_t mtu)
{
    struct nst_ipv4_repr h;
    const uint8_t *d = nst_pkt_data(p);
    if (nst_ipv4_parse(d, p->len, &h, 0) < 0 || h.df) {
        NST_STAT_INC(st, ip, drop_df_too_big);
        nst_pkt_free(st, p);
        return -EMSGSIZE;
    }
    uint8_t later_hdr[NST_IPV4_MAX_HLEN];
    size_t later_hlen = copy_fragment_options(d, h.hdr_len, later_hdr);
    size_t data_len = h.total_len - h.hdr_len;
    const uint8_t *data = d + h.hdr_len;
    int err = 0;
    NST_STAT_INC(st, ip, frag_datagrams);
    for (size_t off = 0; off < data_len && !err;) {
        const uint8_t *hdr = off == 0 ? d : later_hdr;
        size_t hlen = off == 0 ? h.hdr_len : later_hlen;
        size_t chunk = NST_MIN(data_len - off, (mtu - hlen) & ~(size_t)7);
        int last = off + chunk == data_len;
        struct nst_pkt *f = nst_pkt_alloc(st, hlen + chunk);
        if (!f) {
            err = -ENOMEM;
            break;
        }
        uint8_t *fd = nst_pkt_data(f);
        memcpy(fd, hdr, hlen);
        memcpy(fd + hlen, data + off, chunk);
        nst_put16(fd + 2, (uint16_t)(hlen + chunk));
        uint16_t field = (uint16_t)((h.frag_off + off) / 8);
        if (!last || h.mf)
            field |= NST_IPV4_FLAG_MF;
        nst_put16(fd + 6, field);
        nst_put16(fd + 10, 0);
        nst_put16(fd + 10, nst_inet_checksum(fd, hlen));
        NST_STAT_INC(st, ip, frag_created);
        err = nst_arp_output(st, ifindex, next_hop, f);
        off += chunk;
    }
    nst_pkt_free(st, p);
    return err;
}

int nst_ip_send_datagram(struct nst_stack *st, struct nst_pkt *p, int ifindex, nst_ip4_t next_hop)
{
    uint32_t mtu = st->ip.ifaces[ifindex].mtu;
    if (nst_pkt_total(p) <= mtu)
        return nst_arp_output(st, ifindex, next_hop, p);
    if (nst_pkt_linearize(st, &p) < 0)
        return -ENOMEM;
    return fragment_and_send(st, p, ifindex, next_hop, mtu);
}
