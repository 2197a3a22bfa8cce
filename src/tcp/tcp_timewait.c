/* TIME_WAIT (RFC 9293 3.6, 3.10.7.4) held in a compact record: the TCB and
 * its buffers are freed the moment the connection enters TIME_WAIT, and
 * about a hundred bytes keep the 4-tuple for 2*MSL, re-ACK a retransmitted
 * FIN, and let a new SYN reopen the tuple when that is safe (RFC 6191). */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

static void tw_arm(struct nst_stack *st, struct nst_tcp_tw *tw)
{
    /* RFC 9293 3.6: 2*MSL, restarted by a retransmitted FIN. */
    nst_timer_arm(st, &tw->timer, st->now + 2 * st->cfg.tcp.msl);
}

static void tw_timer_fire(struct nst_stack *st, struct nst_timer *t)
{
    tcp_tw_free(st, NST_CONTAINER_OF(t, struct nst_tcp_tw, timer));
}

void tcp_enter_time_wait(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_state *ts = st->tcp;
    struct nst_tcp_tw *tw = NULL;
    /* Bounded: past max_timewait the tuple is simply released (what Linux
     * does past tcp_max_tw_buckets). */
    if (ts->n_tw < st->cfg.tcp.max_timewait)
        tw = calloc(1, sizeof(*tw));
    if (!tw) {
        NST_STAT_INC(st, tcp, timewait_overflow);
        tcp_drop(st, c, 0);
        return;
    }
    tw->t = c->t;
    tw->snd_nxt = c->snd_max;
    tw->rcv_nxt = c->rcv_nxt;
    tw->ts_ok = c->ts_ok;
    tw->ts_recent = c->ts_recent;
    tw->ts_offset = c->ts_offset;
    tw->rcv_wscale = c->rcv_wscale;
    tw->window = tcp_window_field(c, 0);
    tw->since = st->now;
    nst_htable_insert(&ts->tws, &tw->node, tcp_tuple_hash(st, &tw->t));
    tw->port.addr = tw->t.laddr;
    tw->port.port = tw->t.lport;
    tw->port.kind = TCP_PORT_TW;
    tw->port.bound = 0;
    nst_htable_insert(&ts->ports, &tw->port.node, tcp_port_hash(st, tw->t.lport));
    nst_timer_init(&tw->timer, tw_timer_fire);
    tw_arm(st, tw);
    ts->n_tw++;
    /* The TCB is done with: a descriptor still open sees CLOSED. */
    tcp_drop(st, c, 0);
}

struct nst_tcp_tw *tcp_tw_lookup(struct nst_stack *st, const struct nst_tcp_tuple *t)
{
    uint64_t h = tcp_tuple_hash(st, t);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->tcp->tws, h, n)
    {
        struct nst_tcp_tw *tw = NST_CONTAINER_OF(n, struct nst_tcp_tw, node);
        if (tw->t.laddr == t->laddr && tw->t.raddr == t->raddr && tw->t.lport == t->lport &&
            tw->t.rport == t->rport)
            return tw;
    }
    return NULL;
}

void tcp_tw_free(struct nst_stack *st, struct nst_tcp_tw *tw)
{
    struct nst_tcp_state *ts = st->tcp;
    nst_timer_cancel(st, &tw->timer);
    nst_htable_remove(&ts->tws, &tw->node);
    nst_htable_remove(&ts->ports, &tw->port.node);
    ts->n_tw--;
    ts->port_gen++;
    free(tw);
}

static void tw_send_ack(struct nst_stack *st, const struct nst_tcp_tw *tw)
{
    struct nst_tcp_opts o = {0};
    if (tw->ts_ok) {
        o.has_ts = 1;
        o.ts_val = tcp_ts_now(st, tw->ts_offset);
        o.ts_ecr = tw->ts_recent;
    }
    tcp_send_raw(st, &tw->t, tw->snd_nxt, tw->rcv_nxt, NST_TCP_ACK, tw->window, &o);
}

int tcp_tw_accepts_syn(struct nst_stack *st, const struct nst_tcp_tw *tw, const struct tcp_seg *seg, uint32_t *isn)
{
    uint8_t f = seg->h.flags;
    if (!(f & NST_TCP_SYN) || (f & (NST_TCP_ACK | NST_TCP_RST)))
        return 0;
    if (!tcp_listener_lookup(st, seg->dst, seg->h.dst_port))
        return 0;
    /* RFC 6191: with timestamps, a SYN whose TSval is newer than the old
     * connection's; RFC 1122 4.2.2.13 without them: a SYN whose sequence
     * number is above the old connection's final RCV.NXT. */
    if (tw->ts_ok && seg->h.opts.has_ts) {
        if (!nst_seq_gt(seg->h.opts.ts_val, tw->ts_recent))
            return 0;
    } else if (!nst_seq_gt(seg->h.seq, tw->rcv_nxt)) {
        return 0;
    }
    /* The new incarnation's ISN must lie beyond anything the old one
     * sent, and beyond the window it might still see (as Linux does). */
    *isn = tw->snd_nxt + 65535u + 2u;
    return 1;
}

void tcp_tw_input(struct nst_stack *st, struct nst_tcp_tw *tw, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    uint32_t seglen = tcp_seg_len(seg);
    /* RFC 7323 5.3 R1: PAWS applies in TIME_WAIT too. */
    if (tw->ts_ok && !(f & NST_TCP_RST) && seg->h.opts.has_ts && nst_seq_lt(seg->h.opts.ts_val, tw->ts_recent)) {
        NST_STAT_INC(st, tcp, paws_drops);
        tw_send_ack(st, tw);
        return;
    }
    if (f & NST_TCP_RST) {
        /* RFC 9293 3.10.7.4 second, with RFC 5961 3.2's exact match. */
        uint32_t wnd = (uint32_t)tw->window << tw->rcv_wscale;
        if (seg->h.seq == tw->rcv_nxt) {
            NST_STAT_INC(st, tcp, rx_resets);
            tcp_tw_free(st, tw);
        } else if (nst_seq_in(seg->h.seq, tw->rcv_nxt, tw->rcv_nxt + wnd) && tcp_challenge_ack_allowed(st)) {
            tw_send_ack(st, tw);
        }
        return;
    }
    if (f & NST_TCP_SYN) {
        /* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK. */
        if (tcp_challenge_ack_allowed(st))
            tw_send_ack(st, tw);
        return;
    }
    if ((f & NST_TCP_FIN) && seg->h.seq + seglen == tw->rcv_nxt) {
        /* The peer did not hear our last ACK: acknowledge the FIN again and
         * restart the 2*MSL timeout. */
        tw_send_ack(st, tw);
        tw_arm(st, tw);
        return;
    }
    if (!(f & NST_TCP_ACK))
        return;
    if (seglen > 0 || seg->h.seq != tw->rcv_nxt) {
        /* Anything else that is not a plain in-order ACK: tell the peer where
         * we are, throttled like a challenge ACK so it cannot be used to
         * make us flood. */
        if (tcp_challenge_ack_allowed(st))
            tw_send_ack(st, tw);
    }
}
