/* Application timers (include/nstack/timer.h) on the stack's own heap:
 * they fire at their exact virtual time from nst_stack_poll, can be re-armed
 * from their callback and cancelled, and count in the stack's deadline. */
#include <nstack/nstack.h>

#include "test.h"

struct fired {
    int n;
    nst_time_t at;
    struct nst_stack *st;
};

static void on_fire(void *arg, struct nst_app_timer *t)
{
    struct fired *f = arg;
    f->n++;
    f->at = nst_stack_now(f->st);
    if (f->n == 1)
        nst_app_timer_arm(t, f->at + NST_MSEC(250)); /* re-arm from inside */
}

static void test_app_timers_in_virtual_time(void)
{
    struct nst_world *w = nst_world_new(71);
    struct nst_stack *st = nst_world_add_host(w, "h", NULL);
    struct fired f = {0, 0, st}, g = {0, 0, st};
    struct nst_app_timer *t = nst_app_timer_new(st, on_fire, &f), *u = nst_app_timer_new(st, on_fire, &g);
    nst_time_t t0 = nst_world_now(w);
    CHECK_EQ(nst_app_timer_arm(t, t0 + NST_SEC(30)), 0);
    CHECK_EQ(nst_app_timer_arm(u, t0 + NST_SEC(5)), 0);
    CHECK_EQ(nst_app_timer_armed(t), 1);
    CHECK_EQ(nst_app_timer_when(t), t0 + NST_SEC(30));
    CHECK_EQ(nst_stack_next_deadline(st), t0 + NST_SEC(5));
    nst_app_timer_cancel(u);
    CHECK_EQ(nst_app_timer_armed(u), 0);
    nst_world_run_until(w, t0 + NST_SEC(30) - 1);
    CHECK_EQ(f.n, 0);
    nst_world_run_until(w, t0 + NST_SEC(31));
    CHECK_EQ(f.n, 2);
    CHECK_EQ(f.at, t0 + NST_SEC(30) + NST_MSEC(250));
    CHECK_EQ(g.n, 0);
    nst_app_timer_free(t);
    nst_app_timer_free(u);
    nst_world_free(w);
}


int main(void)
{
    RUN(test_app_timers_in_virtual_time);
    return nst_test_done();
}
