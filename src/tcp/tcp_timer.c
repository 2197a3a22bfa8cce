/* TCP's timers, each an nst_timer embedded in the connection: the
 * retransmission timer (RFC 6298, also for SYN and SYN-ACK), the persist
 * timer (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17), the delayed ACK timer (RFC
 * 9293 3.8.6.3), keepalive (RFC 1122 4.2.3.6) and the timeout of an orphaned
 * FIN_WAIT_2. TIME_WAIT's timer lives in the compact record (tcp_timewait.c). */
#include <errno.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

#define PERSIST_MAX_SHIFT 16

static void rtx_fire_run(struct nst_stack *st, struct nst_timer *t);
static void persist_fire_run(struct nst_stack *st, struct nst_timer *t);
static void delack_fire_run(struct nst_stack *st, struct nst_timer *t);
static void keep_fire_run(struct nst_stack *st, struct nst_timer *t);


/* Each timer callback is an entry into TCP: readiness changes it caused are
 * reported when it is done. */
#define TCP_TIMER_ENTRY(name)                                          \
    static void name(struct nst_stack *st, struct nst_timer *t)        \
    {                                                                  \
        name##_run(st, t);                                             \
        tcp_notify_flush(st);                                          \
    }
TCP_TIMER_ENTRY(rtx_fire)
TCP_TIMER_ENTRY(persist_fire)
TCP_TIMER_ENTRY(delack_fire)
TCP_TIMER_ENTRY(keep_fire)

void tcp_timers_init(struct nst_tcp_conn *c)
{
    nst_timer_init(&c->t_rtx, rtx_fire);
    nst_timer_init(&c->t_persist, persist_fire);
    nst_timer_init(&c->t_delack, delack_fire);
    nst_timer_init(&c->t_keep, keep_fire);
    nst_timer_init(&c->t_leak, tcp_leak_fire);
}

void tcp_timers_cancel(struct nst_stack *st, struct nst_tcp_conn *c)
{
    nst_timer_cancel(st, &c->t_rtx);
    nst_timer_cancel(st, &c->t_persist);
    nst_timer_cancel(st, &c->t_delack);
    nst_timer_cancel(st, &c->t_keep);
    nst_timer_cancel(st, &c->t_leak);
    tcp_pace_cancel(st, c);
}

void tcp_rtx_arm(struct nst_stack *st, struct nst_tcp_conn *c)
{
    tcp_rack_rto_armed(c);
    nst_timer_arm(st, &c->t_rtx, st->now + nst_rtt_timeout(&c->rtt));
}

void tcp_rtx_restart(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 6298 5.2: all data acknowledged, stop the timer; 5.3: new data
     * acknowledged, restart it. A zero window is the persist timer's. */
    if (c->snd_max == c->snd_una || (c->snd_wnd == 0 && nst_timer_armed(&c->t_persist)))
        nst_timer_cancel(st, &c->t_rtx);
    else if (!tcp_rack_rearm(st, c)) /* RFC 8985: or the PTO, or a reordering timeout */
        tcp_rtx_arm(st, c);
}

void tcp_persist_arm(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* The RTO, doubled per unanswered probe, within [persist_min, persist_max]. */
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    nst_time_t d = c->rtt.rto;
    for (unsigned i = 0; i < c->persist_shift && d < cfg->persist_max; i++)
        d *= 2;
    d = NST_MAX(d, cfg->persist_min);
    d = NST_MIN(d, cfg->persist_max);
    nst_timer_arm(st, &c->t_persist, st->now + d);
}

void tcp_delack_arm(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!nst_timer_armed(&c->t_delack))
        nst_timer_arm(st, &c->t_delack, st->now + st->cfg.tcp.delack);
}

void tcp_keepalive_arm(struct nst_stack *st, struct nst_tcp_conn *c)
{
    nst_time_t when = c->last_recv + c->keepidle;
    nst_timer_arm(st, &c->t_keep, when > st->now ? when : st->now);
}

void tcp_fin_wait2_arm(struct nst_stack *st, struct nst_tcp_conn *c)
{
    nst_timer_arm(st, &c->t_keep, st->now + st->cfg.tcp.fin_wait2_timeout);
}

static int sending_state(int s)
{
    return s == NST_TCPS_ESTABLISHED || s == NST_TCPS_CLOSE_WAIT || s == NST_TCPS_FIN_WAIT_1 ||
           s == NST_TCPS_CLOSING || s == NST_TCPS_LAST_ACK;
}

static int timeout_error(const struct nst_tcp_conn *c)
{
    /* RFC 1122 4.2.3.9: an ICMP soft error is what the application hears
     * about when the connection times out. */
    return c->soft_err ? c->soft_err : -ETIMEDOUT;
}

/* ---- retransmission ----------------------------------------------------------- */

static void count_rto(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->n_rto++;
    NST_STAT_INC(st, tcp, rto_timeouts);
}

/* SYN or SYN-ACK not answered (RFC 6298 5.5-5.7, RFC 9293 3.8.1). */
static void syn_timeout(struct nst_stack *st, struct nst_tcp_conn *c)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    unsigned limit = (c->state == NST_TCPS_SYN_RECEIVED && c->passive) ? cfg->synack_retries : cfg->syn_retries;
    if (c->rtt.backoff >= limit) {
        tcp_drop(st, c, c->passive ? 0 : timeout_error(c));
        return;
    }
    count_rto(st, c);
    nst_rtt_backoff(&c->rtt);
    c->syn_retransmitted = 1;
    c->n_retrans++;
    NST_STAT_INC(st, tcp, retransmits);
    tcp_send_syn(st, c);
}

static void data_timeout(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (c->snd_max == c->snd_una)
        return;
    if (c->rtt.backoff >= st->cfg.tcp.data_retries) {
        tcp_drop(st, c, timeout_error(c));
        return;
    }
    if (tcp_mem_orphan_reset(st, c))
        return; /* Linux's tcp_out_of_resources */
    count_rto(st, c);
    /* RFC 5681 3.1 eq. (4) and cwnd = 1 SMSS (the module's rule). */
    c->cc.ops->cong_signal(&c->cc, NST_CC_SIG_RTO, tcp_flight(c), st->now);
    tcp_recovery_on_rto(st, c);
    /* RFC 6298 5.4-5.6: retransmit the earliest segment, back off, restart. */
    nst_rtt_backoff(&c->rtt);
    tcp_plp_rto(st, c); /* RFC 4821 7.7: timeouts in a row may be an ICMP black hole */
    c->rtt_timing = 0;
    c->snd_nxt = c->snd_una;
    uint32_t room = UINT32_MAX;
    if (c->sack)
        nst_sack_skip(c->sack, c->snd_una, &room); /* not into a SACKed block kept across the timeout */
    c->snd_nxt += tcp_retransmit(st, c, c->snd_una, NST_MIN((uint32_t)c->mss, room));
    tcp_rtx_arm(st, c);
}

static void rtx_fire_run(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_tcp_conn *c = NST_CONTAINER_OF(t, struct nst_tcp_conn, t_rtx);
    if (c->state == NST_TCPS_SYN_SENT || c->state == NST_TCPS_SYN_RECEIVED)
        syn_timeout(st, c);
    else if (sending_state(c->state) && !tcp_rack_timer(st, c))
        data_timeout(st, c);
}

/* ---- persist -------------------------------------------------------------------- */

static void persist_fire_run(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_tcp_conn *c = NST_CONTAINER_OF(t, struct nst_tcp_conn, t_persist);
    if (!sending_state(c->state))
        return;
    size_t queued = nst_ring_len(&c->sndbuf);
    if (queued == 0 || (c->snd_wnd > 0 && c->snd_max != c->snd_una))
        return; /* nothing to push, or the ACK clock runs again */
    if (tcp_mem_orphan_reset(st, c))
        return; /* Linux's tcp_out_of_resources from its probe timer */
    if (c->snd_wnd == 0) {
        /* RFC 1122 4.2.2.17: probe as long as the peer answers; a peer that
         * stays silent is given up like an unanswered retransmission. */
        /* An orphan is given up after as many probes, answered or not: no
         * one will ever read its buffer again, and a peer keeping its
         * window shut must not pin it forever. */
        if (c->persist_unanswered >= st->cfg.tcp.data_retries ||
            (c->orphan && c->orphan_probes >= st->cfg.tcp.data_retries)) {
            if (c->orphan)
                tcp_send_rst(st, c);
            tcp_drop(st, c, timeout_error(c));
            return;
        }
        c->persist_unanswered++;
        if (c->orphan)
            c->orphan_probes++;
        NST_STAT_INC(st, tcp, persist_probes);
    }
    tcp_send_probe(st, c);
    if (c->snd_wnd == 0) {
        if (c->persist_shift < PERSIST_MAX_SHIFT)
            c->persist_shift++;
        tcp_persist_arm(st, c);
    }
}

/* ---- delayed ACK ------------------------------------------------------------------ */

static void delack_fire_run(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_tcp_conn *c = NST_CONTAINER_OF(t, struct nst_tcp_conn, t_delack);
    if (!c->ack_pending || c->state == NST_TCPS_CLOSED || c->state == NST_TCPS_LISTEN ||
        c->state == NST_TCPS_SYN_SENT)
        return;
    NST_STAT_INC(st, tcp, delayed_acks);
    tcp_send_ack(st, c);
}

/* ---- keepalive and FIN_WAIT_2 ------------------------------------------------------ */

static void keep_fire_run(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_tcp_conn *c = NST_CONTAINER_OF(t, struct nst_tcp_conn, t_keep);
    if (c->state == NST_TCPS_FIN_WAIT_2 && c->orphan) {
        /* Nobody will ever read or close this connection again: end it
         * rather than wait forever for a FIN (as Linux's tcp_fin_timeout). */
        tcp_send_rst(st, c);
        tcp_drop(st, c, 0);
        return;
    }
    if (!c->keepalive || c->state < NST_TCPS_ESTABLISHED || c->state == NST_TCPS_TIME_WAIT)
        return;
    if (c->snd_max != c->snd_una || nst_ring_len(&c->sndbuf)) {
        /* Data is outstanding: the retransmission timer watches the peer. */
        nst_timer_arm(st, &c->t_keep, st->now + c->keepidle);
        return;
    }
    if (st->now - c->last_recv < c->keepidle) {
        c->keep_probes = 0;
        tcp_keepalive_arm(st, c);
        return;
    }
    if (c->keep_probes >= c->keepcnt) {
        NST_STAT_INC(st, tcp, keepalive_drops);
        tcp_send_rst(st, c);
        tcp_drop(st, c, timeout_error(c));
        return;
    }
    /* RFC 1122 4.2.3.6: <SEQ=SND.NXT-1> with no data draws an ACK. */
    tcp_send_keepalive(st, c);
    c->keep_probes++;
    NST_STAT_INC(st, tcp, keepalive_probes);
    nst_timer_arm(st, &c->t_keep, st->now + c->keepintvl);
}
