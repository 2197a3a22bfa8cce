/* The per-stack timer heap: firing order, re-arming, cancelling from inside
 * a callback, exact deadlines, and a seeded storm of random timers. */
#include <nstack/nstack.h>

#include "core/rng.h"
#include "core/stack_impl.h"
#include "core/timer.h"
#include "core/util.h"
#include "test.h"

#define MAX_LOG 20000

/* A timer that logs when and in which order it fired. */
struct tt {
    struct nst_timer t;
    int id;
    struct log *log;
    /* Optional actions taken from inside the callback. */
    struct tt *cancel_other;
    nst_time_t rearm_after; /* > 0: arm itself again this much later, once */
    int rearm_now;          /* > 0: arm itself again at the present this many times */
};

struct log {
    int n;
    int id[MAX_LOG];
    nst_time_t at[MAX_LOG];
};

static void tt_fired(struct nst_stack *st, struct nst_timer *t)
{
    struct tt *x = NST_CONTAINER_OF(t, struct tt, t);
    struct log *l = x->log;
    if (l->n < MAX_LOG) {
        l->id[l->n] = x->id;
        l->at[l->n] = nst_stack_now(st);
        l->n++;
    }
    if (x->cancel_other)
        nst_timer_cancel(st, &x->cancel_other->t);
    if (x->rearm_after > 0) {
        nst_time_t d = x->rearm_after;
        x->rearm_after = 0;
        nst_timer_arm(st, &x->t, nst_stack_now(st) + d);
    } else if (x->rearm_now > 0) {
        x->rearm_now--;
        nst_timer_arm(st, &x->t, nst_stack_now(st));
    }
}

static void tt_init(struct tt *x, int id, struct log *l)
{
    memset(x, 0, sizeof(*x));
    nst_timer_init(&x->t, tt_fired);
    x->id = id;
    x->log = l;
}

static struct log g_log; /* large: kept off the stack (reset per test) */

/* A stack with the defaults, and the log emptied. */
static struct nst_stack *fresh_stack(void)
{
    memset(&g_log, 0, sizeof(g_log));
    return nst_stack_new(NULL);
}

/* Timers a, b and c (ids 1, 2, 3, logging to g_log) armed for ta, tb, tc. */
static void arm_three(struct nst_stack *st, struct tt *a, struct tt *b, struct tt *c, nst_time_t ta, nst_time_t tb,
                      nst_time_t tc)
{
    tt_init(a, 1, &g_log);
    tt_init(b, 2, &g_log);
    tt_init(c, 3, &g_log);
    nst_timer_arm(st, &a->t, ta);
    nst_timer_arm(st, &b->t, tb);
    nst_timer_arm(st, &c->t, tc);
}

static void test_heap_order_and_exact_deadline(void)
{
    struct nst_stack *st = fresh_stack();
    CHECK_EQ(nst_stack_next_deadline(st), NST_TIME_NEVER);
    struct tt t[5];
    const nst_time_t when[5] = {NST_MSEC(50), NST_MSEC(10), NST_MSEC(30), NST_MSEC(20), NST_MSEC(40)};
    for (int i = 0; i < 5; i++) {
        tt_init(&t[i], i, &g_log);
        CHECK_EQ(nst_timer_arm(st, &t[i].t, when[i]), 0);
        CHECK(nst_timer_armed(&t[i].t));
    }
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(10));
    /* One nanosecond early: nothing fires. */
    nst_stack_poll(st, NST_MSEC(10) - 1);
    CHECK_EQ(g_log.n, 0);
    nst_stack_poll(st, NST_MSEC(10));
    CHECK_EQ(g_log.n, 1);
    CHECK_EQ(g_log.id[0], 1);
    CHECK(!nst_timer_armed(&t[1].t));
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(20));
    /* A late poll fires every due timer in time order. */
    nst_stack_poll(st, NST_MSEC(45));
    CHECK_EQ(g_log.n, 4);
    CHECK_EQ(g_log.id[1], 3);
    CHECK_EQ(g_log.id[2], 2);
    CHECK_EQ(g_log.id[3], 4);
    /* They all ran at the poll's time (the stack's now). */
    CHECK_EQ(g_log.at[3], NST_MSEC(45));
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(50));
    nst_stack_poll(st, NST_SEC(1));
    CHECK_EQ(g_log.n, 5);
    CHECK_EQ(g_log.id[4], 0);
    CHECK_EQ(nst_stack_next_deadline(st), NST_TIME_NEVER);
    nst_stack_free(st);
}

static void test_rearm_earlier_later_and_cancel(void)
{
    struct nst_stack *st = fresh_stack();
    struct tt a, b, c;
    arm_three(st, &a, &b, &c, NST_MSEC(100), NST_MSEC(200), NST_MSEC(300));
    /* Re-arm b earlier than everything: it becomes the head. */
    nst_timer_arm(st, &b.t, NST_MSEC(50));
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(50));
    CHECK_EQ(st->timers.n, 3); /* re-arming does not add a second entry */
    /* Re-arm a later than c. */
    nst_timer_arm(st, &a.t, NST_MSEC(400));
    /* Cancel c; cancelling twice is harmless. */
    nst_timer_cancel(st, &c.t);
    nst_timer_cancel(st, &c.t);
    CHECK(!nst_timer_armed(&c.t));
    CHECK_EQ(st->timers.n, 2);
    nst_stack_poll(st, NST_SEC(1));
    CHECK_EQ(g_log.n, 2);
    CHECK_EQ(g_log.id[0], 2);
    CHECK_EQ(g_log.id[1], 1);
    /* Re-arming to the same time keeps it. */
    nst_timer_arm(st, &a.t, NST_SEC(2));
    nst_timer_arm(st, &a.t, NST_SEC(2));
    CHECK_EQ(nst_stack_next_deadline(st), NST_SEC(2));
    CHECK_EQ(st->timers.n, 1);
    nst_stack_free(st); /* armed timers are forgotten, not fired */
    CHECK_EQ(g_log.n, 2);
}

static void test_cancel_and_rearm_from_callback(void)
{
    struct nst_stack *st = fresh_stack();
    struct tt a, b, c;
    /* a is due before b; both are due by the poll below. */
    arm_three(st, &a, &b, &c, NST_MSEC(10), NST_MSEC(11), NST_MSEC(20));
    a.cancel_other = &b;         /* a cancels b, already due in the same poll */
    c.rearm_after = NST_MSEC(5); /* c re-arms itself once, 5 ms later */
    nst_stack_poll(st, NST_MSEC(30));
    /* b never fires; c fires at 30 (the poll's time), re-arms for 35. */
    CHECK_EQ(g_log.n, 2);
    CHECK_EQ(g_log.id[0], 1);
    CHECK_EQ(g_log.id[1], 3);
    CHECK(!nst_timer_armed(&b.t));
    CHECK(nst_timer_armed(&c.t));
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(35));
    nst_stack_poll(st, NST_MSEC(35));
    CHECK_EQ(g_log.n, 3);
    CHECK_EQ(g_log.id[2], 3);
    CHECK_EQ(g_log.at[2], NST_MSEC(35));
    CHECK_EQ(nst_stack_next_deadline(st), NST_TIME_NEVER);

    /* A callback re-arming itself at the present fires again on the next
     * poll, not in the same one (the deadline says "now"), so two parties
     * answering each other at one instant cannot hold a poll forever; one
     * re-armed 1 ns later waits for its time. */
    memset(&g_log, 0, sizeof(g_log));
    c.rearm_now = 2;
    nst_timer_arm(st, &c.t, NST_MSEC(40));
    nst_stack_poll(st, NST_MSEC(50));
    CHECK_EQ(g_log.n, 1);
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(50));
    nst_stack_poll(st, NST_MSEC(50));
    CHECK_EQ(g_log.n, 2);
    nst_stack_poll(st, NST_MSEC(50));
    CHECK_EQ(g_log.n, 3);
    CHECK_EQ(g_log.at[2], NST_MSEC(50));
    CHECK(!nst_timer_armed(&c.t));
    c.rearm_after = 1;
    nst_timer_arm(st, &c.t, NST_MSEC(60));
    nst_stack_poll(st, NST_MSEC(60));
    CHECK_EQ(g_log.n, 4);
    CHECK_EQ(nst_stack_next_deadline(st), NST_MSEC(60) + 1);
    nst_stack_free(st);
}

#define NRAND 5000

/* Many timers at random times, random re-arms and cancels (seeded): they
 * fire exactly in time order, each at most once, cancelled ones never. */
static void test_random_timers_fire_in_order(void)
{
    struct nst_stack *st = fresh_stack();
    static struct tt t[NRAND];
    static nst_time_t expect[NRAND];
    static int cancelled[NRAND];
    struct nst_rng rng;
    nst_rng_seed(&rng, 20240601);
    for (int i = 0; i < NRAND; i++) {
        tt_init(&t[i], i, &g_log);
        expect[i] = 1 + (nst_time_t)nst_rng_below(&rng, NST_SEC(10));
        nst_timer_arm(st, &t[i].t, expect[i]);
        cancelled[i] = 0;
    }
    int n_cancel = 0;
    for (int k = 0; k < NRAND / 2; k++) {
        int i = (int)nst_rng_below(&rng, NRAND);
        switch (nst_rng_below(&rng, 3)) {
        case 0: /* cancel */
            if (!cancelled[i]) {
                nst_timer_cancel(st, &t[i].t);
                cancelled[i] = 1;
                n_cancel++;
            }
            break;
        default: /* re-arm somewhere else (re-arming a cancelled one revives it) */
            expect[i] = 1 + (nst_time_t)nst_rng_below(&rng, NST_SEC(10));
            nst_timer_arm(st, &t[i].t, expect[i]);
            if (cancelled[i]) {
                cancelled[i] = 0;
                n_cancel--;
            }
            break;
        }
    }
    CHECK_EQ(st->timers.n, NRAND - n_cancel);
    nst_time_t min = NST_TIME_NEVER;
    for (int i = 0; i < NRAND; i++)
        if (!cancelled[i] && expect[i] < min)
            min = expect[i];
    CHECK_EQ(nst_stack_next_deadline(st), min);
    /* Poll in steps of 1 ms: every timer fires in the poll that passes its
     * time, in nondecreasing order of its deadline. */
    for (nst_time_t now = 0; now <= NST_SEC(10); now += NST_MSEC(1))
        nst_stack_poll(st, now);
    CHECK_EQ(g_log.n, NRAND - n_cancel);
    int order_ok = 1, time_ok = 1;
    static int seen[NRAND];
    memset(seen, 0, sizeof(seen));
    int dup = 0;
    for (int k = 0; k < g_log.n; k++) {
        int i = g_log.id[k];
        if (seen[i]++)
            dup++;
        if (cancelled[i])
            order_ok = 0;
        if (k > 0 && expect[g_log.id[k - 1]] > expect[i])
            order_ok = 0;
        /* fired in the first 1 ms poll at or after its deadline */
        nst_time_t poll_at = (expect[i] + NST_MSEC(1) - 1) / NST_MSEC(1) * NST_MSEC(1);
        if (g_log.at[k] != poll_at)
            time_ok = 0;
    }
    CHECK_EQ(dup, 0);
    CHECK(order_ok);
    CHECK(time_ok);
    CHECK_EQ(nst_stack_next_deadline(st), NST_TIME_NEVER);
    CHECK_EQ(st->timers.n, 0);
    nst_stack_free(st);
}

/* Time never goes back inside a stack: an old `now` is ignored. */
static void test_time_monotonic(void)
{
    struct nst_stack *st = fresh_stack();
    struct tt a;
    tt_init(&a, 1, &g_log);
    nst_stack_poll(st, NST_SEC(5));
    nst_stack_poll(st, NST_SEC(1));
    CHECK_EQ(nst_stack_now(st), NST_SEC(5));
    /* A timer armed in the past fires at the next poll. */
    nst_timer_arm(st, &a.t, NST_SEC(2));
    CHECK_EQ(nst_stack_next_deadline(st), NST_SEC(2));
    nst_stack_poll(st, NST_SEC(1));
    CHECK_EQ(g_log.n, 1);
    CHECK_EQ(g_log.at[0], NST_SEC(5));
    nst_stack_free(st);
}

int main(void)
{
    RUN(test_heap_order_and_exact_deadline);
    RUN(test_rearm_earlier_later_and_cancel);
    RUN(test_cancel_and_rearm_from_callback);
    RUN(test_random_timers_fire_in_order);
    RUN(test_time_monotonic);
    return nst_test_done();
}
