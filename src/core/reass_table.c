/* The partial datagrams both IP reassemblers hold: see reass_table.h. */
#include "core/reass_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"

void nst_reass_add(struct nst_stack *st, struct nst_reass_table *t, struct nst_reass_entry *e, nst_time_t expires,
                   nst_timer_fn fn)
{
    e->total = -1;
    nst_timer_init(&e->timer, fn);
    nst_timer_arm(st, &e->timer, expires);
    struct nst_reass_entry **pp = &t->oldest; /* append: the list stays oldest first */
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    t->count++;
    t->mem += t->entry_size;
}

void nst_reass_drop_frags(struct nst_reass_table *t, struct nst_reass_entry *e)
{
    while (e->frags) {
        struct nst_reass_frag *f = e->frags;
        e->frags = f->next;
        free(f);
    }
    t->mem -= e->mem;
    e->mem = 0;
    e->nfrags = 0;
}

void nst_reass_drop(struct nst_stack *st, struct nst_reass_table *t, struct nst_reass_entry *e)
{
    struct nst_reass_entry **pp = &t->oldest;
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    nst_timer_cancel(st, &e->timer);
    nst_reass_drop_frags(t, e);
    t->mem -= t->entry_size;
    t->count--;
    t->release(e);
}

void nst_reass_drop_all(struct nst_stack *st, struct nst_reass_table *t)
{
    while (t->oldest)
        nst_reass_drop(st, t, t->oldest);
}

int nst_reass_evict(struct nst_stack *st, struct nst_reass_table *t, const struct nst_reass_entry *keep, size_t need,
                    size_t mem_max, unsigned max_count)
{
    while (t->oldest && (t->mem + need > mem_max || t->count >= max_count)) {
        struct nst_reass_entry *victim = t->oldest == keep ? keep->next : t->oldest;
        if (!victim)
            return -ENOBUFS;
        (*t->evicted)++;
        nst_reass_drop(st, t, victim);
    }
    return 0;
}

int nst_reass_frag_add(struct nst_reass_table *t, struct nst_reass_entry *e, struct nst_reass_frag **at,
                       uint32_t off, const uint8_t *data, uint32_t len)
{
    struct nst_reass_frag *f = malloc(sizeof(*f) + len);
    if (!f)
        return -ENOMEM;
    f->off = off;
    f->len = len;
    memcpy(f->data, data, len);
    f->next = *at;
    *at = f;
    e->nfrags++;
    nst_reass_charge(t, e, len + NST_REASS_FRAG_OVERHEAD);
    return 0;
}

int nst_reass_have_all(const struct nst_reass_entry *e)
{
    if (e->total < 0)
        return 0;
    uint32_t next = 0;
    for (const struct nst_reass_frag *f = e->frags; f; f = f->next) {
        if (f->off != next)
            return 0; /* a hole */
        next += f->len;
    }
    return next == (uint32_t)e->total;
}

int nst_reass_any_beyond(const struct nst_reass_entry *e, uint32_t end)
{
    for (const struct nst_reass_frag *f = e->frags; f; f = f->next)
        if (f->off + f->len > end)
            return 1;
    return 0;
}

void nst_reass_copy(const struct nst_reass_entry *e, uint8_t *out)
{
    for (const struct nst_reass_frag *f = e->frags; f; f = f->next)
        memcpy(out + f->off, f->data, f->len);
}
