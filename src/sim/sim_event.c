/* Binary min-heap of simulator events, keyed by (when, seq). */
#include "sim/sim_event.h"

#include <errno.h>
#include <stdlib.h>

static int event_before(const struct nst_sim_event *a, const struct nst_sim_event *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    return a->seq < b->seq;
}

static void swap_slots(struct nst_sim_events *q, size_t i, size_t j)
{
    struct nst_sim_event *t = q->v[i];
    q->v[i] = q->v[j];
    q->v[j] = t;
}

static void sift_up(struct nst_sim_events *q, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!event_before(q->v[i], q->v[parent]))
            break;
        swap_slots(q, i, parent);
        i = parent;
    }
}

static void sift_down(struct nst_sim_events *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && event_before(q->v[l], q->v[m]))
            m = l;
        if (r < q->n && event_before(q->v[r], q->v[m]))
            m = r;
        if (m == i)
            return;
        swap_slots(q, i, m);
        i = m;
    }
}

void nst_sim_events_init(struct nst_sim_events *q)
{
    q->v = NULL;
    q->n = q->cap = 0;
    q->next_seq = 0;
}

void nst_sim_events_free(struct nst_sim_events *q)
{
    for (size_t i = 0; i < q->n; i++)
        q->v[i]->ops->discard(q->v[i]);
    free(q->v);
    nst_sim_events_init(q);
}

static int grow(struct nst_sim_events *q)
{
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct nst_sim_event **v = realloc(q->v, cap * sizeof *v);
    if (!v)
        return -ENOMEM;
    q->v = v;
    q->cap = cap;
    return 0;
}

int nst_sim_events_push(struct nst_sim_events *q, struct nst_sim_event *ev)
{
    if (q->n == q->cap && grow(q) < 0)
        return -ENOMEM;
    ev->seq = q->next_seq++;
    q->v[q->n] = ev;
    sift_up(q, q->n++);
    return 0;
}

nst_time_t nst_sim_events_next(const struct nst_sim_events *q)
{
    return q->n ? q->v[0]->when : NST_TIME_NEVER;
}

struct nst_sim_event *nst_sim_events_pop(struct nst_sim_events *q)
{
    if (!q->n)
        return NULL;
    struct nst_sim_event *top = q->v[0];
    q->v[0] = q->v[--q->n];
    if (q->n)
        sift_down(q, 0);
    return top;
}
