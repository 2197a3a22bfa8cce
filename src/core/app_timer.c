/* Application timers (include/nstack/timer.h): a thin public face on the
 * stack's own timer heap (core/timer.h), so an application's timeouts fire
 * from nst_stack_poll() in the same time order as TCP's. */
#include <nstack/timer.h>

#include <stddef.h>
#include <stdlib.h>

#include "core/timer.h"

struct nst_app_timer {
    struct nst_timer t; /* first: the heap hands it back to fire() */
    struct nst_stack *st;
    nst_app_timer_fn fn;
    void *arg;
};

static void fire(struct nst_stack *st, struct nst_timer *t)
{
    (void)st;
    struct nst_app_timer *at = (struct nst_app_timer *)((char *)t - offsetof(struct nst_app_timer, t));
    at->fn(at->arg, at);
}

struct nst_app_timer *nst_app_timer_new(struct nst_stack *st, nst_app_timer_fn fn, void *arg)
{
    if (!st || !fn)
        return NULL;
    struct nst_app_timer *at = calloc(1, sizeof(*at));
    if (!at)
        return NULL;
    nst_timer_init(&at->t, fire);
    at->st = st;
    at->fn = fn;
    at->arg = arg;
    return at;
}

int nst_app_timer_arm(struct nst_app_timer *at, nst_time_t when) { return nst_timer_arm(at->st, &at->t, when); }

void nst_app_timer_cancel(struct nst_app_timer *at) { nst_timer_cancel(at->st, &at->t); }

int nst_app_timer_armed(const struct nst_app_timer *at) { return nst_timer_armed(&at->t); }

nst_time_t nst_app_timer_when(const struct nst_app_timer *at) { return at->t.when; }

void nst_app_timer_free(struct nst_app_timer *at)
{
    if (!at)
        return;
    nst_timer_cancel(at->st, &at->t);
    free(at);
}
