/* The per-stack timer heap (see timer.h for why a heap and not a wheel). */
#include "core/timer.h"

#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"

static void heap_place(struct nst_timer_heap *h, uint32_t i, struct nst_timer *t)
{
    h->v[i] = t;
    t->heap_idx = i + 1;
}

static void sift_up(struct nst_timer_heap *h, uint32_t i)
{
    struct nst_timer *t = h->v[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (h->v[parent]->when <= t->when)
            break;
        heap_place(h, i, h->v[parent]);
        i = parent;
    }
    heap_place(h, i, t);
}

static void sift_down(struct nst_timer_heap *h, uint32_t i)
{
    struct nst_timer *t = h->v[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1]->when < h->v[c]->when)
            c++;
        if (t->when <= h->v[c]->when)
            break;
        heap_place(h, i, h->v[c]);
        i = c;
    }
    heap_place(h, i, t);
}

static void heap_remove_at(struct nst_timer_heap *h, uint32_t i)
{
    struct nst_timer *gone = h->v[i];
    gone->heap_idx = 0;
    h->n--;
    if (i == h->n)
        return;
    struct nst_timer *moved = h->v[h->n];
    heap_place(h, i, moved);
    sift_down(h, i);
    sift_up(h, moved->heap_idx - 1);
}

int nst_timer_arm(struct nst_stack *st, struct nst_timer *t, nst_time_t when)
{
    struct nst_timer_heap *h = &st->timers;
    t->armed_in = h->round; /* during nst_timers_run: the round in progress + 1 */
    if (nst_timer_armed(t)) {
        nst_time_t old = t->when;
        t->when = when;
        uint32_t i = t->heap_idx - 1;
        if (when < old)
            sift_up(h, i);
        else
            sift_down(h, i);
        return 0;
    }
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        struct nst_timer **v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    t->when = when;
    h->v[h->n] = t;
    t->heap_idx = ++h->n;
    sift_up(h, h->n - 1);
    return 0;
}

void nst_timer_cancel(struct nst_stack *st, struct nst_timer *t)
{
    if (nst_timer_armed(t))
        heap_remove_at(&st->timers, t->heap_idx - 1);
}

void nst_timer_heap_free(struct nst_timer_heap *h)
{
    for (uint32_t i = 0; i < h->n; i++)
        h->v[i]->heap_idx = 0;
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

nst_time_t nst_timer_heap_next(const struct nst_timer_heap *h) { return h->n ? h->v[0]->when : NST_TIME_NEVER; }

void nst_timers_run(struct nst_stack *st, nst_time_t now)
{
    struct nst_timer_heap *h = &st->timers;
    h->round++;
    while (h->n && h->v[0]->when <= now) {
        struct nst_timer *t = h->v[0];
        /* Armed during this call for a time already reached: it fires on the
         * next call (the deadline says "now"), and so does anything behind it. */
        if (t->armed_in == h->round)
            break;
        heap_remove_at(h, 0);
        t->fn(st, t);
    }
}
