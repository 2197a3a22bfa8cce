/* IPv6 reassembly (RFC 8200 4.5) with hard bounds: every byte held counts
 * against cfg.ip6_reass_mem_max and each partial datagram against
 * cfg.ip6_reass_max_datagrams, the oldest going first when either would
 * be passed. Overlapping fragments discard the whole datagram, and the
 * fragments still to come (RFC 5722 3); exact duplicates are only
 * ignored (RFC 8200 4.5 allows it). After ip6_reass_timeout (60 s) an
 * incomplete datagram whose first fragment came is answered with Time
 * Exceeded code 1. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "wire/checksum.h"

#define REASS_MAX_FRAGS 128    /* per datagram: bounds a tiny-fragment flood's work */
#define REASS_FRAG_OVERHEAD 48 /* bytes charged per fragment besides its data */

struct frag6 {
    struct frag6 *next; /* sorted by offset */
    uint32_t off, len;
    uint8_t data[];
};

struct nst_ip6_reass {
    struct nst_ip6_reass *next; /* oldest first */
    nst_ip6_t src, dst;
    uint32_t id;
    int ifindex;
    int32_t total;          /* fragmentable part's length, -1 until the last fragment */
    uint8_t dead;           /* overlapped: its fragments are dropped until the timeout */
    uint8_t *first;         /* the first fragment whole (the unfragmentable part, the quote) */
    size_t first_len;
    uint16_t unfrag_len;    /* bytes before its Fragment header */
    uint8_t next_header;    /* what the fragments hold (the first one's Fragment header says) */
    unsigned nfrags;
    size_t mem;
    struct frag6 *frags;
    struct nst_timer timer;
};

static void drop_frags(struct nst_stack *st, struct nst_ip6_reass *r)
{
    while (r->frags) {
        struct frag6 *f = r->frags;
        r->frags = f->next;
        free(f);
    }
    free(r->first);
    r->first = NULL;
    st->ip6->reass_mem -= r->mem;
    r->mem = 0;
    r->nfrags = 0;
}

static void reass_free(struct nst_stack *st, struct nst_ip6_reass *r)
{
    struct nst_ip6_reass **pp = &st->ip6->reass;
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp)
        *pp = r->next;
    nst_timer_cancel(st, &r->timer);
    drop_frags(st, r);
    st->ip6->reass_mem -= sizeof(*r);
    st->ip6->reass_count--;
    free(r);
}

static void reass_timeout(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_ip6_reass *r = NST_CONTAINER_OF(t, struct nst_ip6_reass, timer);
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
    for (struct nst_ip6_reass *r = st->ip6->reass; r; r = r->next)
        if (r->id == id && nst_ip6_eq(&r->src, &h->src) && nst_ip6_eq(&r->dst, &h->dst))
            return r;
    return NULL;
}

static struct nst_ip6_reass *reass_new(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h, uint32_t id)
{
    if (st->ip6->reass_count >= st->cfg.ip6_reass_max_datagrams) {
        NST_STAT_INC(st, ip6, reass_mem_drops);
        reass_free(st, st->ip6->reass); /* the oldest */
    }
    struct nst_ip6_reass *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->src = h->src;
    r->dst = h->dst;
    r->id = id;
    r->ifindex = ifindex;
    r->total = -1;
    nst_timer_init(&r->timer, reass_timeout);
    nst_timer_arm(st, &r->timer, st->now + st->cfg.ip6_reass_timeout);
    struct nst_ip6_reass **pp = &st->ip6->reass;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
    st->ip6->reass_count++;
    st->ip6->reass_mem += sizeof(*r);
    return r;
}

/* Frees the oldest datagrams other than keep until `need` more bytes fit. */
static int make_room(struct nst_stack *st, struct nst_ip6_reass *keep, size_t need)
{
    while (st->ip6->reass_mem + need > st->cfg.ip6_reass_mem_max) {
        struct nst_ip6_reass *victim = st->ip6->reass == keep ? keep->next : st->ip6->reass;
        if (!victim)
            return -ENOMEM;
        NST_STAT_INC(st, ip6, reass_mem_drops);
        reass_free(st, victim);
    }
    return 0;
}

/* Puts [off, off + len) in, in offset order. 1: an exact duplicate
 * (ignored); -1: an overlap; 0: added. */
static int insert(struct nst_stack *st, struct nst_ip6_reass *r, uint32_t off, const uint8_t *data, uint32_t len)
{
    struct frag6 **pp = &r->frags;
    for (struct frag6 *f = r->frags; f; f = f->next) {
        if (off < f->off + f->len && f->off < off + len) {
            if (f->off == off && f->len == len && memcmp(f->data, data, len) == 0)
                return 1;
            return -1;
        }
        if (f->off < off)
            pp = &f->next;
    }
    struct frag6 *nf = malloc(sizeof(*nf) + len);
    if (!nf)
        return 1;
    nf->off = off;
    nf->len = len;
    memcpy(nf->data, data, len);
    nf->next = *pp;
    *pp = nf;
    r->nfrags++;
    size_t cost = len + REASS_FRAG_OVERHEAD;
    r->mem += cost;
    st->ip6->reass_mem += cost;
    return 0;
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
    if (!r->first || r->total < 0)
        return NULL;
    uint32_t have = 0;
    for (struct frag6 *f = r->frags; f; f = f->next) {
        if (f->off != have)
            return NULL; /* a hole */
        have += f->len;
    }
    if (have != (uint32_t)r->total)
        return NULL;
    size_t len = r->unfrag_len + (size_t)r->total;
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
        for (struct frag6 *f = r->frags; f; f = f->next)
            memcpy(d + r->unfrag_len + f->off, f->data, f->len);
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
    if (r->total >= 0 && (end > (uint32_t)r->total || (!ext->frag_more && end != (uint32_t)r->total))) {
        NST_STAT_INC(st, ip6, reass_bad);
        reass_free(st, r);
        return NULL;
    }
    if (!ext->frag_more) {
        for (struct frag6 *f = r->frags; f; f = f->next)
            if (f->off + f->len > end) {
                NST_STAT_INC(st, ip6, reass_bad);
                reass_free(st, r);
                return NULL;
            }
        r->total = (int32_t)end;
    }
    if (r->nfrags >= REASS_MAX_FRAGS || make_room(st, r, flen + REASS_FRAG_OVERHEAD + (off == 0 ? len : 0)) < 0) {
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
            r->mem += len;
            st->ip6->reass_mem += len;
        }
    }
    return complete(st, r);
}

void nst_ip6_reass_fini(struct nst_stack *st)
{
    while (st->ip6->reass)
        reass_free(st, st->ip6->reass);
}
