/* Pacing: a connection's data segments leave at a rate, spaced in time,
 * rather than in bursts as ACKs open the window (what Linux's fq qdisc
 * does for each TCP flow, with TCP's own pacing rate).
 *
 * The rate is the congestion control module's (BBR's ops->pacing_rate),
 * or for the others, when the application asks (NST_SO_PACING, or a
 * NST_SO_MAX_PACING_RATE cap), Linux's tcp_update_pacing_rate: cwnd/SRTT
 * times 2 in slow start (cwnd below half of ssthresh) and 1.2 after, so
 * pacing never holds a window-limited flow below its window. Never above
 * NST_SO_MAX_PACING_RATE.
 *
 * After a segment of `wire` bytes (IP datagram) goes, the next may go
 * wire / rate later: a timer per connection releases it. Exact in virtual
 * time; no credit is saved up while idle (the next departure is never
 * earlier than now). A connection that does not pace has no state here
 * (tcp_pace_of(c) is NULL) and pays one pointer test per segment. */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_state.h"

struct tcp_pace {
    struct nst_timer timer;
    struct nst_tcp_conn *c;
    nst_time_t next;             /* the earliest departure of the next data segment */
    uint64_t max_rate;           /* NST_SO_MAX_PACING_RATE, bytes/s; 0: no cap */
    uint8_t user_on;             /* NST_SO_PACING */
};

static void pace_fire(struct nst_stack *st, struct nst_timer *t)
{
    struct tcp_pace *p = NST_CONTAINER_OF(t, struct tcp_pace, timer);
    tcp_output(st, p->c);
    tcp_notify_flush(st);
}

int tcp_pace_attach(struct nst_stack *st, struct nst_tcp_conn *c)
{
    (void)st;
    if (tcp_pace_of(c))
        return 0;
    struct tcp_pace *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    nst_timer_init(&p->timer, pace_fire);
    p->c = c;
    if (tcp_extras_get(c) < 0) {
        free(p);
        return -ENOMEM;
    }
    c->xt->pace = p;
    return 0;
}

void tcp_pace_free(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!tcp_pace_of(c))
        return;
    nst_timer_cancel(st, &c->xt->pace->timer);
    free(c->xt->pace);
    c->xt->pace = NULL;
    tcp_extras_put(c);
}

void tcp_pace_cancel(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (tcp_pace_of(c))
        nst_timer_cancel(st, &tcp_pace_of(c)->timer);
}

int tcp_pace_set(struct nst_stack *st, struct nst_tcp_conn *c, int on, uint64_t max_rate, int which)
{
    int err = tcp_pace_attach(st, c);
    if (err)
        return err;
    if (which == TCP_PACE_SET_ON)
        tcp_pace_of(c)->user_on = on != 0;
    else
        tcp_pace_of(c)->max_rate = max_rate;
    return 0;
}

void tcp_pace_get(const struct nst_tcp_conn *c, int *on, uint64_t *max_rate)
{
    *on = tcp_pace_of(c) ? tcp_pace_of(c)->user_on : 0;
    *max_rate = tcp_pace_of(c) ? tcp_pace_of(c)->max_rate : 0;
}

int tcp_pace_inherit(struct nst_stack *st, struct nst_tcp_conn *c, const struct nst_tcp_conn *l)
{
    if (!tcp_pace_of(l) || (!tcp_pace_of(l)->user_on && !tcp_pace_of(l)->max_rate))
        return 0;
    int err = tcp_pace_attach(st, c);
    if (err)
        return err;
    tcp_pace_of(c)->user_on = tcp_pace_of(l)->user_on;
    tcp_pace_of(c)->max_rate = tcp_pace_of(l)->max_rate;
    return 0;
}

uint64_t tcp_pace_rate(const struct nst_tcp_conn *c)
{
    const struct tcp_pace *p = tcp_pace_of(c);
    if (!p)
        return 0;
    uint64_t rate = c->cc.ops->pacing_rate ? c->cc.ops->pacing_rate(&c->cc) : 0;
    if (!rate && (p->user_on || p->max_rate) && c->rtt.srtt > 0) {
        /* Linux's tcp_update_pacing_rate: 200 % in slow start, 120 % after. */
        unsigned pct = c->cc.cwnd < c->cc.ssthresh / 2 ? 200u : 120u;
        rate = (uint64_t)c->cc.cwnd * 10000000ull * pct / (uint64_t)c->rtt.srtt;
    }
    if (p->max_rate && (!rate || rate > p->max_rate))
        rate = p->max_rate;
    return rate;
}

int tcp_pace_hold(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct tcp_pace *p = tcp_pace_of(c);
    if (st->now >= p->next || !tcp_pace_rate(c))
        return 0;
    if (!nst_timer_armed(&p->timer) || p->timer.when != p->next)
        nst_timer_arm(st, &p->timer, p->next);
    return 1;
}

int tcp_pace_waiting(const struct nst_tcp_conn *c) { return tcp_pace_of(c) && nst_timer_armed(&tcp_pace_of(c)->timer); }

void tcp_pace_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t wire)
{
    struct tcp_pace *p = tcp_pace_of(c);
    uint64_t rate = tcp_pace_rate(c);
    if (!rate)
        return;
    nst_time_t from = p->next > st->now ? p->next : st->now;
    p->next = from + (nst_time_t)((uint64_t)wire * 1000000000ull / rate);
}
