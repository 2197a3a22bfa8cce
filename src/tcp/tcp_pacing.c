/* Pacing: a connection's data segments leave at a rate, spaced in time,
 * rather than in bursts as ACKs open the window (what Linux's fq qdisc
 * does for each TCP flow, with TCP's own pacing rate).
 *
 * The rate is the congestion control module's (BBR sets cc.pacing_rate),
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
 * (c->pace is NULL) and pays one pointer test per segment. */
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
    if (c->pace)
        return 0;
    struct tcp_pace *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    nst_timer_init(&p->timer, pace_fire);
    p->c = c;
    c->pace = p;
    return 0;
}

void tcp_pace_free(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!c->pace)
        return;
    nst_timer_cancel(st, &c->pace->timer);
    free(c->pace);
    c->pace = NULL;
}

void tcp_pace_cancel(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (c->pace)
        nst_timer_cancel(st, &c->pace->timer);
}

int tcp_pace_set(struct nst_stack *st, struct nst_tcp_conn *c, int on, uint64_t max_rate, int which)
{
    int err = tcp_pace_attach(st, c);
    if (err)
        return err;
    if (which == TCP_PACE_SET_ON)
        c->pace->user_on = on != 0;
    else
        c->pace->max_rate = max_rate;
    return 0;
}

void tcp_pace_get(const struct nst_tcp_conn *c, int *on, uint64_t *max_rate)
{
    *on = c->pace ? c->pace->user_on : 0;
    *max_rate = c->pace ? c->pace->max_rate : 0;
}

int tcp_pace_inherit(struct nst_stack *st, struct nst_tcp_conn *c, const struct nst_tcp_conn *l)
{
    if (!l->pace || (!l->pace->user_on && !l->pace->max_rate))
        return 0;
    int err = tcp_pace_attach(st, c);
    if (err)
        return err;
    c->pace->user_on = l->pace->user_on;
    c->pace->max_rate = l->pace->max_rate;
    return 0;
}

uint64_t tcp_pace_rate(const struct nst_tcp_conn *c)
{
    const struct tcp_pace *p = c->pace;
    if (!p)
        return 0;
    uint64_t rate = c->cc.pacing_rate;
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
    struct tcp_pace *p = c->pace;
    if (st->now >= p->next || !tcp_pace_rate(c))
        return 0;
    if (!nst_timer_armed(&p->timer) || p->timer.when != p->next)
        nst_timer_arm(st, &p->timer, p->next);
    return 1;
}

int tcp_pace_waiting(const struct nst_tcp_conn *c) { return c->pace && nst_timer_armed(&c->pace->timer); }

void tcp_pace_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t wire)
{
    struct tcp_pace *p = c->pace;
    uint64_t rate = tcp_pace_rate(c);
    if (!rate)
        return;
    nst_time_t from = p->next > st->now ? p->next : st->now;
    p->next = from + (nst_time_t)((uint64_t)wire * 1000000000ull / rate);
}
