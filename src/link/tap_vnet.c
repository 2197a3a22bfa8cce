/* Partial checksums and TCP GSO frames (IPv4 and IPv6) from a vnet-header
 * TAP made into ordinary frames, and the header for the frames we write
 * (see tap_vnet.h). */
#include "link/tap_vnet.h"

#include <errno.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"

static uint16_t get16_host(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static void put16_host(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

void nst_vnet_hdr_parse(const uint8_t *p, struct nst_vnet_hdr *h)
{
    h->flags = p[0];
    h->gso_type = p[1];
    h->hdr_len = get16_host(p + 2);
    h->gso_size = get16_host(p + 4);
    h->csum_start = get16_host(p + 6);
    h->csum_offset = get16_host(p + 8);
}

void nst_vnet_hdr_emit(const struct nst_vnet_hdr *h, uint8_t *p)
{
    p[0] = h->flags;
    p[1] = h->gso_type;
    put16_host(p + 2, h->hdr_len);
    put16_host(p + 4, h->gso_size);
    put16_host(p + 6, h->csum_start);
    put16_host(p + 8, h->csum_offset);
}

/* The checksum field of UDP (RFC 768), at offset 6 of its header. */
#define UDP_CSUM_OFFSET 6

int nst_vnet_finish_csum(uint8_t *frame, size_t len, uint16_t csum_start, uint16_t csum_offset)
{
    if (csum_start >= len || (size_t)csum_offset + 2 > len - csum_start)
        return -EINVAL;
    uint16_t c = nst_csum_finish(nst_csum_add(0, frame + csum_start, len - csum_start));
    /* RFC 768: a UDP checksum computed as zero is sent as all ones (zero
     * means "no checksum"). A TCP checksum field is never at offset 6. */
    if (c == 0 && csum_offset == UDP_CSUM_OFFSET)
        c = 0xffff;
    nst_put16(frame + csum_start + csum_offset, c);
    return 0;
}

/* The headers of a GSO frame, checked. */
struct gso_layout {
    int v6;                /* IPv6 (else IPv4) */
    size_t ihl, thl, hlen; /* IP header, TCP header, Ethernet + both */
};

/* RFC 791: version 4, IHL >= 5, TCP, not a fragment (offset 0, no MF). */
static int ip4_layout(const uint8_t *ip, size_t iplen, struct gso_layout *g)
{
    if (iplen < NST_IPV4_HLEN)
        return -EINVAL;
    g->ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || g->ihl < NST_IPV4_HLEN || ip[9] != 6 || (nst_get16(ip + 6) & 0x3fff) != 0)
        return -EINVAL;
    return 0;
}

/* RFC 8200 3: version 6 and TCP right after the fixed header. A packet
 * with extension headers (a Fragment header among them) is not cut here:
 * our TCP never sends one, and one from the kernel is refused and counted
 * rather than cut behind headers this code does not walk. */
static int ip6_layout(const uint8_t *ip, size_t iplen, struct gso_layout *g)
{
    if (iplen < NST_IPV6_HLEN || (ip[0] >> 4) != 6 || ip[6] != 6)
        return -EINVAL;
    g->ihl = NST_IPV6_HLEN;
    return 0;
}

static int gso_layout(const uint8_t *f, size_t len, int v6, struct gso_layout *g)
{
    if (len < NST_ETH_HLEN || nst_get16(f + 12) != (v6 ? 0x86dd : 0x0800))
        return -EINVAL;
    const uint8_t *ip = f + NST_ETH_HLEN;
    g->v6 = v6;
    if ((v6 ? ip6_layout : ip4_layout)(ip, len - NST_ETH_HLEN, g) < 0)
        return -EINVAL;
    if (len < NST_ETH_HLEN + g->ihl + NST_TCP_HLEN)
        return -EINVAL;
    g->thl = (size_t)(ip[g->ihl + 12] >> 4) * 4;
    g->hlen = NST_ETH_HLEN + g->ihl + g->thl;
    if (g->thl < NST_TCP_HLEN || g->hlen > len)
        return -EINVAL;
    return 0;
}

/* Sets the headers at p (a copy of the frame's) for segment i of n, with
 * plen payload bytes following them. IPv4: total length, ID, header
 * checksum; IPv6: the payload length (no header checksum, RFC 8200 8.1);
 * then the TCP checksum over the family's pseudo-header. */
static void gso_fix_segment(uint8_t *p, const struct gso_layout *g, unsigned i, unsigned n, uint32_t seq0,
                            uint16_t id0, uint16_t gso_size, size_t plen)
{
    uint8_t *ip = p + NST_ETH_HLEN, *th = ip + g->ihl;
    size_t tlen = g->thl + plen;
    uint32_t sum;
    if (g->v6) {
        nst_put16(ip + 4, (uint16_t)tlen);
        nst_ip6_t src, dst;
        memcpy(src.b, ip + 8, 16);
        memcpy(dst.b, ip + 24, 16);
        sum = nst_csum_pseudo6(&src, &dst, 6, (uint32_t)tlen);
    } else {
        nst_put16(ip + 2, (uint16_t)(g->ihl + tlen));
        nst_put16(ip + 4, (uint16_t)(id0 + i));
        nst_put16(ip + 10, 0);
        nst_put16(ip + 10, nst_inet_checksum(ip, g->ihl));
        sum = nst_csum_pseudo(nst_get32(ip + 12), nst_get32(ip + 16), 6, (uint16_t)tlen);
    }
    nst_put32(th + 4, seq0 + (uint32_t)i * gso_size);
    uint8_t flags = th[13];
    if (i + 1 < n)
        flags &= (uint8_t)~(NST_TCP_FIN | NST_TCP_PSH);
    if (i > 0)
        flags &= (uint8_t)~NST_TCP_CWR;
    th[13] = flags;
    nst_put16(th + 16, 0);
    nst_put16(th + 16, nst_csum_finish(nst_csum_add(sum, th, tlen)));
}

static int split_tcp(uint8_t *frame, size_t len, int v6, uint16_t gso_size, nst_vnet_out_fn out, void *arg)
{
    struct gso_layout g;
    if (gso_size == 0 || gso_layout(frame, len, v6, &g) < 0)
        return -EINVAL;
    size_t payload = len - g.hlen;
    /* Each segment must fit an IPv4 datagram or an IPv6 payload; the
     * whole at most 64 KB. */
    if ((v6 ? 0 : g.ihl) + g.thl + gso_size > 65535 || payload > 65535)
        return -EINVAL;
    unsigned n = payload ? (unsigned)((payload + gso_size - 1) / gso_size) : 1;
    uint8_t hdr[NST_ETH_HLEN + 60 + 60];
    memcpy(hdr, frame, g.hlen);
    const uint8_t *ip = hdr + NST_ETH_HLEN;
    uint32_t seq0 = nst_get32(ip + g.ihl + 4);
    uint16_t id0 = v6 ? 0 : nst_get16(ip + 4);
    for (unsigned i = 0; i < n; i++) {
        size_t off = g.hlen + (size_t)i * gso_size; /* this segment's payload */
        size_t plen = payload - (size_t)i * gso_size;
        if (plen > gso_size)
            plen = gso_size;
        /* Its headers go just in front of it: for i > 0 over the tail of the
         * segment out() was given before, which it is done with. */
        uint8_t *p = frame + off - g.hlen;
        memcpy(p, hdr, g.hlen);
        gso_fix_segment(p, &g, i, n, seq0, id0, gso_size, plen);
        out(arg, p, g.hlen + plen);
    }
    return (int)n;
}

int nst_vnet_split_tcp4(uint8_t *frame, size_t len, uint16_t gso_size, nst_vnet_out_fn out, void *arg)
{
    return split_tcp(frame, len, 0, gso_size, out, arg);
}

int nst_vnet_split_tcp6(uint8_t *frame, size_t len, uint16_t gso_size, nst_vnet_out_fn out, void *arg)
{
    return split_tcp(frame, len, 1, gso_size, out, arg);
}

int nst_vnet_split_tcp(uint8_t *frame, size_t len, uint16_t gso_size, nst_vnet_out_fn out, void *arg)
{
    return split_tcp(frame, len, len >= NST_ETH_HLEN && nst_get16(frame + 12) == 0x86dd, gso_size, out, arg);
}

int nst_vnet_hdr_for_frame(const struct nst_frame *f, struct nst_vnet_hdr *h)
{
    memset(h, 0, sizeof(*h));
    if (f->csum_partial) {
        h->flags = NST_VNET_F_NEEDS_CSUM;
        h->csum_start = f->csum_start;
        h->csum_offset = f->csum_offset;
    }
    if (!f->gso_size)
        return 0;
    uint16_t type = f->head_len >= NST_ETH_HLEN ? nst_get16(f->head + 12) : 0;
    if (type == 0x0800)
        h->gso_type = NST_VNET_GSO_TCPV4;
    else if (type == 0x86dd)
        h->gso_type = NST_VNET_GSO_TCPV6;
    else
        return -EINVAL;
    /* A TSO frame's TCP header is whole in the head, at csum_start. As
     * Linux marks a frame carrying CWR (SKB_GSO_TCP_ECN): CWR belongs on
     * the first segment only (RFC 3168 6.1.2), so a device that cannot
     * clear it on the others (no TSO_ECN) leaves the cutting to software.
     * (Our TCP puts no CWR on a TSO frame; the mark follows the bits.) */
    if (f->csum_partial && (size_t)f->csum_start + NST_TCP_HLEN <= f->head_len &&
        (f->head[f->csum_start + 13] & NST_TCP_CWR))
        h->gso_type |= NST_VNET_GSO_ECN;
    h->gso_size = f->gso_size;
    h->hdr_len = (uint16_t)f->head_len;
    return 0;
}
