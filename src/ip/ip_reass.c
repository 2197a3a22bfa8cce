/* IPv4 reassembly (RFC 791 3.2, RFC 815 ideas, RFC 1122 3.3.2) with a hard
 * memory bound: every byte held counts against cfg.reass_mem_max and the
 * number of partial datagrams against cfg.reass_max_datagrams; when either
 * would be exceeded the oldest partial datagram is dropped first.
 * Exact duplicate fragments (the network duplicates) are ignored; any other
 * overlap discards the datagram, as RFC 5722 recommends for IPv6 — partial
 * overlaps only ever come from attacks (teardrop) or broken senders.
 * The list, the accounting and the eviction are core/reass_table.c's,
 * shared with IPv6; the rules for IPv4 fragments are here. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/reass_table.h"
#include "core/stack_impl.h"
#include "core/util.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

struct nst_reass {
    struct nst_reass_entry e; /* its fragments, its place in st->ip.reass, its timeout */
    nst_ip4_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint8_t first_hlen;      /* 0 until the fragment at offset 0 arrives */
    uint8_t first_hdr[NST_IPV4_MAX_HLEN];
    uint8_t first_quote[8];  /* first 8 payload bytes, for ICMP Time Exceeded */
    uint8_t ecn_seen;        /* bit 1 << codepoint for every ECN field seen (RFC 3168 5.3) */
};

static void reass_release(struct nst_reass_entry *e) { free(NST_CONTAINER_OF(e, struct nst_reass, e)); }

void nst_ip_reass_init(struct nst_stack *st)
{
    st->ip.reass = (struct nst_reass_table){.entry_size = sizeof(struct nst_reass),
                                            .evicted = &st->stats.ip_reass_mem_drops,
                                            .release = reass_release};
}

static void reass_free(struct nst_stack *st, struct nst_reass *r) { nst_reass_drop(st, &st->ip.reass, &r->e); }

/* RFC 1122 3.3.2: on timeout, Time Exceeded (code 1) if the first fragment
 * was received; then the partial datagram is thrown away. */
static void reass_expired(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_reass *r = NST_CONTAINER_OF(t, struct nst_reass, e.timer);
    NST_STAT_INC(st, ip, reass_timeout);
    if (r->first_hlen) {
        uint8_t q[NST_IPV4_MAX_HLEN + 8];
        memcpy(q, r->first_hdr, r->first_hlen);
        memcpy(q + r->first_hlen, r->first_quote, 8);
        nst_icmp_send_error(st, NST_ICMP_TIME_EXCEEDED, NST_ICMP_REASS_EXCEEDED, 0, 0, q, r->first_hlen + 8u);
    }
    reass_free(st, r);
}

static struct nst_reass *reass_find(struct nst_stack *st, const struct nst_ipv4_repr *h)
{
    for (struct nst_reass_entry *e = st->ip.reass.oldest; e; e = e->next) {
        struct nst_reass *r = NST_CONTAINER_OF(e, struct nst_reass, e);
        if (r->id == h->id && r->src == h->src && r->dst == h->dst && r->proto == h->proto)
            return r;
    }
    return NULL;
}

/* Drops the oldest partial datagrams until `need` more bytes and one more
 * datagram (if new) fit. Returns 0, or -ENOBUFS if even an empty table
 * could not hold it. */
static int reass_make_room(struct nst_stack *st, size_t need, int new_datagram, struct nst_reass *keep)
{
    if (need + sizeof(struct nst_reass) > st->cfg.reass_mem_max)
        return -ENOBUFS;
    /* A new datagram costs its descriptor too (nst_reass_add charges it). */
    if (new_datagram)
        need += sizeof(struct nst_reass);
    return nst_reass_evict(st, &st->ip.reass, keep ? &keep->e : NULL, need, st->cfg.reass_mem_max,
                           new_datagram ? st->cfg.reass_max_datagrams : UINT_MAX);
}

static struct nst_reass *reass_new(struct nst_stack *st, const struct nst_ipv4_repr *h)
{
    struct nst_reass *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->src = h->src;
    r->dst = h->dst;
    r->id = h->id;
    r->proto = h->proto;
    nst_reass_add(st, &st->ip.reass, &r->e, st->now + st->cfg.reass_timeout, reass_expired);
    return r;
}

/* 1: inserted, 0: exact duplicate (ignored), -1: overlap (discard all). */
static int reass_insert(struct nst_stack *st, struct nst_reass *r, uint32_t off, uint32_t len, const uint8_t *data)
{
    struct nst_reass_frag **pp = &r->e.frags;
    while (*pp && (*pp)->off + (*pp)->len <= off) {
        if ((*pp)->off == off && (*pp)->len == len)
            return 0;
        pp = &(*pp)->next;
    }
    if (*pp) {
        if ((*pp)->off == off && (*pp)->len == len)
            return 0;
        if ((*pp)->off < off + len)
            return -1;
    }
    return nst_reass_frag_add(&st->ip.reass, &r->e, pp, off, data, len) < 0 ? -1 : 1;
}

/* RFC 3168 5.3: the reassembled datagram's ECN field from its fragments':
 * CE if any fragment was marked (a mark must not be lost), else the first
 * fragment's. Not-ECT mixed with ECT or CE cannot come from one sender and
 * is refused (-1): such a datagram is dropped, as Linux does. */
static int reass_ecn(uint8_t seen, uint8_t first_tos, uint8_t *tos)
{
    const uint8_t not_ect = 1u << NST_ECN_NOT_ECT, ce = 1u << NST_ECN_CE;
    if ((seen & not_ect) && (seen & ~not_ect))
        return -1;
    *tos = (seen & ce) ? (uint8_t)(first_tos | NST_ECN_CE) : first_tos;
    return 0;
}

static struct nst_pkt *reass_build(struct nst_stack *st, const struct nst_reass *r)
{
    uint8_t tos;
    if (reass_ecn(r->ecn_seen, r->first_hdr[1], &tos) < 0) {
        NST_STAT_INC(st, ip, reass_ecn_mismatch);
        return NULL;
    }
    size_t total = r->first_hlen + (size_t)r->e.total;
    struct nst_pkt *p = nst_pkt_alloc(st, total);
    if (!p)
        return NULL;
    uint8_t *d = nst_pkt_data(p);
    memcpy(d, r->first_hdr, r->first_hlen);
    nst_reass_copy(&r->e, d + r->first_hlen);
    d[1] = tos;
    nst_put16(d + 2, (uint16_t)total);
    nst_put16(d + 6, 0); /* no longer a fragment */
    nst_put16(d + 10, 0);
    nst_put16(d + 10, nst_inet_checksum(d, r->first_hlen));
    return p;
}

static int fragment_is_sane(const struct nst_ipv4_repr *h, uint32_t len)
{
    if (len == 0 && h->mf)
        return 0;
    if (h->mf && (len % 8) != 0) /* RFC 791: all but the last carry multiples of 8 */
        return 0;
    return (uint32_t)h->frag_off + len + h->hdr_len <= 65535;
}

struct nst_pkt *nst_ip_reass(struct nst_stack *st, const struct nst_ipv4_repr *h, const uint8_t *pkt, size_t len)
{
    uint32_t dlen = (uint32_t)(len - h->hdr_len);
    if (!fragment_is_sane(h, dlen)) {
        NST_STAT_INC(st, ip, reass_bad);
        return NULL;
    }
    struct nst_reass *r = reass_find(st, h);
    if (reass_make_room(st, dlen + NST_REASS_FRAG_OVERHEAD, r == NULL, r) < 0) {
        NST_STAT_INC(st, ip, reass_mem_drops);
        return NULL;
    }
    if (!r && !(r = reass_new(st, h)))
        return NULL;
    if (r->e.nfrags >= NST_REASS_MAX_FRAGS) {
        NST_STAT_INC(st, ip, reass_bad);
        reass_free(st, r);
        return NULL;
    }
    /* A second "last fragment" that disagrees on the length is an overlap. */
    if (!h->mf && r->e.total >= 0 && (uint32_t)r->e.total != h->frag_off + dlen) {
        NST_STAT_INC(st, ip, reass_overlap);
        reass_free(st, r);
        return NULL;
    }
    /* Every fragment's mark counts, a duplicate's too: the copy that got
     * through a congested queue may be the one that was marked. */
    r->ecn_seen |= (uint8_t)(1u << (h->tos & NST_ECN_MASK));
    if (reass_insert(st, r, h->frag_off, dlen, pkt + h->hdr_len) < 0) {
        NST_STAT_INC(st, ip, reass_overlap);
        reass_free(st, r);
        return NULL;
    }
    if (!h->mf)
        r->e.total = (int32_t)(h->frag_off + dlen);
    if (h->frag_off == 0 && !r->first_hlen) {
        memcpy(r->first_hdr, pkt, h->hdr_len);
        r->first_hlen = h->hdr_len;
        memcpy(r->first_quote, pkt + h->hdr_len, NST_MIN(dlen, 8u));
    }
    if (r->e.total >= 0 && nst_reass_any_beyond(&r->e, (uint32_t)r->e.total)) { /* data beyond the end */
        NST_STAT_INC(st, ip, reass_overlap);
        reass_free(st, r);
        return NULL;
    }
    if (!r->first_hlen || !nst_reass_have_all(&r->e))
        return NULL;
    struct nst_pkt *whole = reass_build(st, r);
    if (whole)
        NST_STAT_INC(st, ip, reass_ok);
    reass_free(st, r);
    return whole;
}

void nst_ip_reass_fini(struct nst_stack *st) { nst_reass_drop_all(st, &st->ip.reass); }
