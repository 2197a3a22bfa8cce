/* Packet buffers and their per-stack cache. */
#include "core/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"

struct nst_pkt *nst_pkt_alloc(struct nst_stack *st, size_t len)
{
    size_t need = NST_PKT_HEADROOM + len;
    struct nst_pkt *p;
    if (need <= NST_PKT_SMALL_CAP && st->pkt_cache.free) {
        p = st->pkt_cache.free;
        st->pkt_cache.free = p->next;
        st->pkt_cache.count--;
    } else {
        size_t cap = nst_pkt_cap_for(len);
        p = malloc(sizeof(*p) + cap);
        if (!p)
            return NULL;
        p->cap = (uint32_t)cap;
    }
    p->next = NULL;
    p->off = NST_PKT_HEADROOM;
    p->len = (uint32_t)len;
    p->aux = 0;
    p->aux2 = 0;
    p->ts = st->now;
    p->fr.frag_len[0] = p->fr.frag_len[1] = 0;
    p->fr.gso_size = 0;
    p->csum_at = 0;
    return p;
}

const struct nst_frame *nst_pkt_frame(struct nst_pkt *p)
{
    struct nst_frame *f = &p->fr;
    f->head = p->buf + p->off;
    f->head_len = p->len;
    f->len = nst_pkt_total(p);
    f->csum_start = (uint16_t)(p->csum_at - p->off);
    return f;
}

int nst_pkt_linearize_split(struct nst_stack *st, struct nst_pkt **pp)
{
    struct nst_pkt *p = *pp;
    const struct nst_frame *f = nst_pkt_frame(p);
    size_t total = f->len;
    struct nst_pkt *q = p;
    if (p->off + total > p->cap) {
        /* Too big for this buffer: a new one (with at least the headroom). */
        q = nst_pkt_alloc(st, total);
        if (!q) {
            nst_pkt_free(st, p);
            *pp = NULL;
            return -ENOMEM;
        }
        q->aux = p->aux;
        q->aux2 = p->aux2;
        q->ts = p->ts;
    }
    /* In place the head stays where it is (nst_frame_copy leaves a head
     * already at `out`); the borrowed spans never overlap a packet. */
    nst_frame_copy(f, q->buf + q->off);
    q->len = (uint32_t)total;
    q->fr.frag_len[0] = q->fr.frag_len[1] = 0;
    q->csum_at = 0;
    if (q != p)
        nst_pkt_free(st, p);
    *pp = q;
    return 0;
}

void nst_pkt_free(struct nst_stack *st, struct nst_pkt *p)
{
    if (!p)
        return;
    struct nst_pkt_cache *c = &st->pkt_cache;
    if (p->cap == NST_PKT_SMALL_CAP && c->count < c->max) {
        p->next = c->free;
        c->free = p;
        c->count++;
        return;
    }
    free(p);
}

void nst_pkt_cache_drain(struct nst_pkt_cache *c)
{
    while (c->free) {
        struct nst_pkt *p = c->free;
        c->free = p->next;
        free(p);
    }
    c->count = 0;
}

void nst_pktq_clear(struct nst_stack *st, struct nst_pktq *q)
{
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(q)))
        nst_pkt_free(st, p);
}
