/* IPv6 reassembly (RFC 8200 4.5) with hard bounds: every byte held counts
 * against cfg.ip6_reass_mem_max and each partial datagram against
 * cfg.ip6_reass_max_datagrams, the oldest going first when either would
 * be passed. Overlapping fragments discard the whole datagram, and the
 * fragments still to come (RFC 5722 3); exact duplicates are only
 * ignored (RFC 8200 4.5 allows it). After ip6_reass_timeout (60 s) an
 * incomplete datagram whose first fragment came is answered with Time
 * Exceeded code 1. The list, the accounting and the eviction are
 * core/reass_table.c's, shared with IPv4; the rules for IPv6 fragments
 * are here. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "wire/checksum.h"

struct nst_ip6_reass {
    struct nst_reass_entry e; /* its fragments, its place in st->ip6->reass, its timeout */
    nst_ip6_t src, dst;
    uint32_t id;
    int ifindex;
    uint8_t *first;         /* the first fragment whole (the unfragmentable part, the quote) */
    size_t first_len;
    uint16_t unfrag_len;    /* bytes before its Fragment header */
    uint8_t next_header;    /* what the fragments hold (the first one's Fragment header says) */
    uint8_t dead;           /* overlapped: its fragments are dropped until the timeout */
};

static void reass_release(struct nst_reass_entry *e)
{
    struct nst_ip6_reass *r = NST_CONTAINER_OF(e, struct nst_ip6_reass, e);
    free(r->first);
    free(r);
}

void nst_ip6_reass_init(struct nst_stack *st)
{
    st->ip6->reass = (struct nst_reass_table){.entry_size = sizeof(struct nst_ip6_reass),
                                              .evicted = &st->stats.ip6_reass_mem_drops,
                                              .release = reass_release};
}

/* Frees what r holds (its copy of the first fragment is charged with the
 * rest), r staying in the table. */
static void drop_frags(struct nst_stack *st, struct nst_ip6_reass *r)
{
    nst_reass_drop_frags(&st->ip6->reass, &r->e);
    free(r->first);
    r->first = NULL;
}

static void reass_free(struct nst_stack *st, struct nst_ip6_reass *r) { nst_reass_drop(st, &st->ip6->reass, &r->e); }

static void reass_timeout(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_ip6_reass *r = NST_CONTAINER_OF(t, struct nst_ip6_reass, e.timer);
    if (!r->dead) {
        NST_STAT_INC(st, ip6, reass_timeout);
        /* RFC 8200 4.5: Time Exceeded code 1 only if the first fragment
         * arrived (it carries what the sender needs to recognise). */
        if (r->first) {
            st->ip6->rx_link_mcast = 0;
            nst_icmp6_send_error(st, NST_ICMP6_TIME_EXCEEDED, NST_ICMP6_REASS_EXCEEDED, 0, r->first, r->first_len,
                                 r->ifindex);
        }
    }
    reass_free(st, r);
}

static struct nst_ip6_reass *reass_find(struct nst_stack *st, const struct nst_ipv6_repr *h, uint32_t id)
{
    for (struct nst_reass_entry *e = st->ip6->reass.oldest; e; e = e->next) {
        struct nst_ip6_reass *r = NST_CONTAINER_OF(e, struct nst_ip6_reass, e);
        if (r->id == id && nst_ip6_eq(&r->src, &h->src) && nst_ip6_eq(&r->dst, &h->dst))
            return r;
    }
    return NULL;
}

static struct nst_ip6_reass *reass_new(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h, uint32_t id)
{
    /* The oldest goes when the table is full. */
    nst_reass_evict(st, &st->ip6->reass, NULL, 0, SIZE_MAX, st->cfg.ip6_reass_max_datagrams);
    struct nst_ip6_reass *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->src = h->src;
    r->dst = h->dst;
    r->id = id;
    r->ifindex = ifindex;
    nst_reass_add(st, &st->ip6->reass, &r->e, st->now + st->cfg.ip6_reass_timeout, reass_timeout);
    return r;
}

/* Puts [off, off + len) in, in offset order. 1: an exact duplicate
 * (ignored); -1: an overlap; 0: added. */
static int insert(struct nst_stack *st, struct nst_ip6_reass *r, uint32_t off, const uint8_t *data, uint32_t len)
{
    struct nst_reass_frag **pp = &r->e.frags;
    for (struct nst_reass_frag *f = r->e.frags; f; f = f->next) {
        if (off < f->off + f->len && f->off < off + len) {
            if (f->off == off && f->len == len && memcmp(f->data, data, len) == 0)
                return 1;
            return -1;
        }
        if (f->off < off)
            pp = &f->next;
    }
    return nst_reass_frag_add(&st->ip6->reass, &r->e, pp, off, data, len) < 0 ? 1 : 0;
}

/* The offset of the Next Header field naming the Fragment header in the
 * unfragmentable part (already walked, so well formed). */
static size_t frag_nh_field(const uint8_t *pkt, size_t unfrag_len)
{
    size_t field = 6, off = NST_IPV6_HLEN;
    uint8_t nh = pkt[6];
    while (nh != NST_IP6_NH_FRAGMENT && off + 2 <= unfrag_len) {
        field = off;
        nh = pkt[off];
        off += ((size_t)pkt[off + 1] + 1) * 8;
    }
    return field;
}

static struct nst_pkt *complete(struct nst_stack *st, struct nst_ip6_reass *r)
{
    if (!r->first || !nst_reass_have_all(&r->e))
        return NULL;
    size_t len = r->unfrag_len + (size_t)r->e.total;
    if (len - NST_IPV6_HLEN > 65535) {
        NST_STAT_INC(st, ip6, reass_bad);
        reass_free(st, r);
        return NULL;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (p) {
        uint8_t *d = nst_pkt_data(p);
        memcpy(d, r->first, r->unfrag_len);
        d[frag_nh_field(r->first, r->unfrag_len)] = r->next_header;
        nst_put16(d + 4, (uint16_t)(len - NST_IPV6_HLEN));
        nst_reass_copy(&r->e, d + r->unfrag_len);
        NST_STAT_INC(st, ip6, reass_ok);
    }
    reass_free(st, r);
    return p;
}

struct nst_pkt *nst_ip6_reass(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h,
                              const struct nst_ipv6_ext *ext, const uint8_t *pkt, size_t len)
{
    uint32_t off = ext->frag_off;
    size_t data_at = (size_t)ext->frag_hdr_off + 8;
    uint32_t flen = (uint32_t)(len - data_at);
    struct nst_ip6_reass *r = reass_find(st, h, ext->frag_id);
    if (r && r->dead)
        return NULL; /* RFC 5722: the rest of an overlapped datagram goes too */
    if (!r && !(r = reass_new(st, ifindex, h, ext->frag_id)))
        return NULL;
    /* RFC 8200 4.5: the last fragment fixes the length; nothing may lie
     * past it, and it may not come twice with different ends. */
    uint32_t end = off + flen;
    int32_t total = r->e.total;
    if ((total >= 0 && (end > (uint32_t)total || (!ext->frag_more && end != (uint32_t)total))) ||
        (!ext->frag_more && nst_reass_any_beyond(&r->e, end))) {
        NST_STAT_INC(st, ip6, reass_bad);
        reass_free(st, r);
        return NULL;
    }
    if (!ext->frag_more)
        r->e.total = (int32_t)end;
    if (r->e.nfrags >= NST_REASS_MAX_FRAGS ||
        nst_reass_evict(st, &st->ip6->reass, &r->e, flen + NST_REASS_FRAG_OVERHEAD + (off == 0 ? len : 0),
                        st->cfg.ip6_reass_mem_max, UINT_MAX) < 0) {
        NST_STAT_INC(st, ip6, reass_mem_drops);
        reass_free(st, r);
        return NULL;
    }
    int ins = insert(st, r, off, pkt + data_at, flen);
    if (ins < 0) {
        NST_STAT_INC(st, ip6, reass_overlap);
        drop_frags(st, r);
        r->dead = 1;
        return NULL;
    }
    if (ins == 0 && off == 0) {
        r->first = malloc(len);
        if (r->first) {
            memcpy(r->first, pkt, len);
            r->first_len = len;
            r->unfrag_len = ext->frag_hdr_off;
            r->next_header = ext->frag_next;
            nst_reass_charge(&st->ip6->reass, &r->e, len);
        }
    }
    return complete(st, r);
}

void nst_ip6_reass_fini(struct nst_stack *st) { nst_reass_drop_all(st, &st->ip6->reass); }
