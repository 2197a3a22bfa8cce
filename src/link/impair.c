/* One direction's impairment: see impair.h. */
#include "link/impair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct nst_held_frame {
    nst_time_t when;
    uint64_t seq;
    size_t len;
    uint8_t data[];
};

static double clamp_probability(double x)
{
    /* !(x > 0) also catches NaN. */
    if (!(x > 0))
        return 0;
    return x > 1 ? 1 : x;
}

static int fifo_init(struct nst_held_fifo *f, unsigned cap)
{
    memset(f, 0, sizeof(*f));
    if (cap == 0)
        return 0;
    f->v = calloc(cap, sizeof(*f->v));
    if (!f->v)
        return -ENOMEM;
    f->cap = cap;
    return 0;
}

static void fifo_free(struct nst_held_fifo *f)
{
    for (unsigned i = 0; i < f->n; i++)
        free(f->v[(f->head + i) % f->cap]);
    free(f->v);
    memset(f, 0, sizeof(*f));
}

static const struct nst_held_frame *fifo_peek(const struct nst_held_fifo *f)
{
    return f->n ? f->v[f->head] : NULL;
}

static struct nst_held_frame *fifo_pop(struct nst_held_fifo *f)
{
    struct nst_held_frame *h = f->v[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    return h;
}

int nst_impair_init(struct nst_impair *im, const struct nst_tap_impair *p, uint64_t seed, unsigned hold_max,
                    struct nst_tap_dir_stats *stats)
{
    memset(im, 0, sizeof(*im));
    im->p = *p;
    im->p.loss = clamp_probability(p->loss);
    im->p.duplicate = clamp_probability(p->duplicate);
    im->p.reorder = clamp_probability(p->reorder);
    if (im->p.delay < 0)
        im->p.delay = 0;
    if (im->p.reorder_delay <= 0)
        im->p.reorder_delay = im->p.delay / 2 + NST_MSEC(1);
    nst_rng_seed(&im->rng, seed);
    im->hold_max = hold_max;
    im->stats = stats;
    /* Either FIFO may hold every held frame, so each gets the full size. */
    if (fifo_init(&im->delayed, hold_max) || fifo_init(&im->reordered, hold_max)) {
        nst_impair_fini(im);
        return -ENOMEM;
    }
    return 0;
}

void nst_impair_fini(struct nst_impair *im)
{
    fifo_free(&im->delayed);
    fifo_free(&im->reordered);
}

int nst_impair_is_clean(const struct nst_impair *im)
{
    return im->p.loss == 0 && im->p.duplicate == 0 && im->p.reorder == 0 && im->p.delay == 0;
}

unsigned nst_impair_held(const struct nst_impair *im) { return im->delayed.n + im->reordered.n; }

static int draw(struct nst_rng *r, double prob) { return prob > 0 && nst_rng_double(r) < prob; }

/* Copies the frame into f, to leave at `when`. 0, or -ENOBUFS when
 * hold_max frames are already held (the frame is dropped and counted). */
static int hold(struct nst_impair *im, struct nst_held_fifo *f, nst_time_t when, const uint8_t *frame,
                size_t len)
{
    if (nst_impair_held(im) >= im->hold_max) {
        im->stats->hold_drops++;
        return -ENOBUFS;
    }
    struct nst_held_frame *h = malloc(sizeof(*h) + len);
    if (!h) {
        im->stats->hold_drops++;
        return -ENOMEM;
    }
    h->when = when;
    h->seq = im->next_seq++;
    h->len = len;
    memcpy(h->data, frame, len);
    f->v[(f->head + f->n) % f->cap] = h;
    f->n++;
    return 0;
}

void nst_impair_frame(struct nst_impair *im, nst_time_t now, const uint8_t *frame, size_t len,
                      nst_impair_out_fn out, void *arg)
{
    if (draw(&im->rng, im->p.loss)) {
        im->stats->lost++;
        return;
    }
    int copies = 1 + draw(&im->rng, im->p.duplicate);
    int reorder = draw(&im->rng, im->p.reorder);
    if (copies == 2)
        im->stats->duplicated++;
    if (reorder)
        im->stats->reordered++;
    if (!reorder && im->p.delay == 0) {
        /* The twin follows its original at once, as a duplicating switch would. */
        for (int i = 0; i < copies; i++)
            out(arg, frame, len);
        return;
    }
    struct nst_held_fifo *f = reorder ? &im->reordered : &im->delayed;
    nst_time_t when = now + im->p.delay + (reorder ? im->p.reorder_delay : 0);
    for (int i = 0; i < copies; i++)
        if (hold(im, f, when, frame, len) == 0)
            im->stats->delayed++;
}

/* The FIFO whose head leaves first: earlier release time, then earlier
 * arrival. NULL if neither head is due by `now`. */
static struct nst_held_fifo *next_due(struct nst_impair *im, nst_time_t now)
{
    const struct nst_held_frame *a = fifo_peek(&im->delayed), *b = fifo_peek(&im->reordered);
    const struct nst_held_frame *first = a;
    if (!a || (b && (b->when < a->when || (b->when == a->when && b->seq < a->seq))))
        first = b;
    if (!first || first->when > now)
        return NULL;
    return first == a ? &im->delayed : &im->reordered;
}

void nst_impair_release(struct nst_impair *im, nst_time_t now, nst_impair_out_fn out, void *arg)
{
    struct nst_held_fifo *f;
    while ((f = next_due(im, now)) != NULL) {
        /* Popped before out() runs: out may feed this direction again. */
        struct nst_held_frame *h = fifo_pop(f);
        out(arg, h->data, h->len);
        free(h);
    }
}

nst_time_t nst_impair_next(const struct nst_impair *im)
{
    const struct nst_held_frame *a = fifo_peek(&im->delayed), *b = fifo_peek(&im->reordered);
    nst_time_t t = NST_TIME_NEVER;
    if (a)
        t = a->when;
    if (b && b->when < t)
        t = b->when;
    return t;
}
