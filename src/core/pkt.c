/* Packet buffers and their per-stack cache. */
#include "core/pkt.h"

#include <stdlib.h>

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
        size_t cap = need <= NST_PKT_SMALL_CAP ? NST_PKT_SMALL_CAP : need;
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
    return p;
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
