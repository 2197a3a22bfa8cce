/* The simulator's event heap: (time, insertion order) ordering, exact pop
 * order with ties, and discard of what is left at teardown. */
#include "core/rng.h"
#include "sim/sim_event.h"
#include "test.h"

struct test_event {
    struct nst_sim_event ev;
    int id;
    int *discards;
};

static void never_fire(struct nst_world *w, struct nst_sim_event *ev)
{
    (void)w;
    (void)ev;
}

static void count_discard(struct nst_sim_event *ev)
{
    struct test_event *te = (struct test_event *)ev;
    (*te->discards)++;
}

static const struct nst_sim_event_ops test_ops = {never_fire, count_discard};

static void init_event(struct test_event *e, nst_time_t when, int id, int *discards)
{
    e->ev.when = when;
    e->ev.ops = &test_ops;
    e->id = id;
    e->discards = discards;
}

static void test_ties_fire_in_insertion_order(void)
{
    struct nst_sim_events q;
    nst_sim_events_init(&q);
    int discards = 0;
    /* (time, id): ties at 5 and at 1 must come out in push order. */
    const nst_time_t when[] = {5, 1, 5, 3, 1, 5, 0, 3};
    const int expect_order[] = {6, 1, 4, 3, 7, 0, 2, 5};
    struct test_event ev[8];
    CHECK_EQ(nst_sim_events_next(&q), NST_TIME_NEVER);
    CHECK(nst_sim_events_pop(&q) == NULL);
    for (int i = 0; i < 8; i++) {
        init_event(&ev[i], when[i], i, &discards);
        CHECK_EQ(nst_sim_events_push(&q, &ev[i].ev), 0);
    }
    CHECK_EQ(nst_sim_events_count(&q), 8);
    CHECK_EQ(nst_sim_events_next(&q), 0);
    for (int i = 0; i < 8; i++) {
        struct test_event *e = (struct test_event *)nst_sim_events_pop(&q);
        CHECK(e != NULL);
        if (e)
            CHECK_EQ(e->id, expect_order[i]);
    }
    CHECK(nst_sim_events_pop(&q) == NULL);
    nst_sim_events_free(&q);
    CHECK_EQ(discards, 0);
}

static void test_random_order_and_discard(void)
{
    enum { N = 5000 };
    struct nst_sim_events q;
    nst_sim_events_init(&q);
    struct nst_rng r;
    nst_rng_seed(&r, 42);
    int discards = 0;
    struct test_event *ev = calloc(N, sizeof *ev);
    /* Few distinct times, so ties are common; interleave pushes and pops. */
    nst_time_t last_when = -1;
    int last_id = -1, popped = 0, pushed = 0;
    for (int i = 0; i < N; i++) {
        init_event(&ev[i], last_when + 1 + (nst_time_t)nst_rng_below(&r, 20), i, &discards);
        CHECK_EQ(nst_sim_events_push(&q, &ev[i].ev), 0);
        pushed++;
        if (nst_rng_below(&r, 3) == 0) {
            struct test_event *e = (struct test_event *)nst_sim_events_pop(&q);
            /* Never earlier than the previous pop; same time means later push. */
            CHECK(e->ev.when > last_when || (e->ev.when == last_when && e->id > last_id));
            last_when = e->ev.when;
            last_id = e->id;
            popped++;
        }
    }
    CHECK_EQ(nst_sim_events_count(&q), pushed - popped);
    nst_sim_events_free(&q);
    CHECK_EQ(discards, pushed - popped);
    CHECK_EQ(nst_sim_events_count(&q), 0);
    free(ev);
}

int main(void)
{
    RUN(test_ties_fire_in_insertion_order);
    RUN(test_random_order_and_discard);
    return nst_test_done();
}
