/* Inspection: struct nst_tcp_info for one connection (getsockopt
 * NST_TCP_INFO) and for every connection and TIME_WAIT record of a stack
 * (nst_tcp_list, the `ss` of nstack). */
#include <stdio.h>
#include <string.h>

#include <nstack/tcp_info.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/cc_internal.h"
#include "tcp/tcp_state.h"

static uint32_t clamp32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/* The timer `ss -o` would show: the one that matters for the state. */
static void fill_timer(const struct nst_tcp_conn *c, struct nst_tcp_info *o)
{
    const struct nst_timer *t = NULL;
    uint8_t kind = NST_TCPI_TIMER_NONE;
    if (nst_timer_armed(&c->t_rtx)) {
        t = &c->t_rtx;
        kind = NST_TCPI_TIMER_RETRANSMIT;
    } else if (nst_timer_armed(&c->t_persist)) {
        t = &c->t_persist;
        kind = NST_TCPI_TIMER_PERSIST;
    } else if (nst_timer_armed(&c->t_keep)) {
        t = &c->t_keep;
        kind = NST_TCPI_TIMER_KEEPALIVE;
    } else if (nst_timer_armed(&c->t_delack)) {
        t = &c->t_delack;
        kind = NST_TCPI_TIMER_DELACK;
    }
    o->timer = kind;
    o->timer_expires = t ? t->when : 0;
}

void tcp_fill_info(struct nst_stack *st, const struct nst_tcp_conn *c, struct nst_tcp_info *o)
{
    (void)st;
    memset(o, 0, sizeof(*o));
    o->state = c->state;
    o->ca_state = c->ca_state;
    o->options = (uint8_t)((c->ts_ok ? NST_TCPI_OPT_TIMESTAMPS : 0) | (c->sack_ok ? NST_TCPI_OPT_SACK : 0) |
                           (c->ws_ok ? NST_TCPI_OPT_WSCALE : 0) | (c->ecn_ok ? NST_TCPI_OPT_ECN : 0) |
                           (c->ecn_seen ? NST_TCPI_OPT_ECN_SEEN : 0));
    o->snd_wscale = c->snd_wscale;
    o->rcv_wscale = c->rcv_wscale;
    o->backoff = (uint8_t)NST_MIN(c->rtt.backoff, 255u);
    /* A connection still in its listener's queues is the listener's, not
     * an orphan (as Linux counts them). */
    o->orphan = c->sock.fd < 0 && c->queue == TCP_Q_NONE;
    o->fd = c->sock.fd;
    nst_sock_addr_out(&c->sock, &c->t.laddr, c->t.lport, c->scope, &o->local);
    nst_sock_addr_out(&c->sock, &c->t.raddr, c->t.rport, c->scope, &o->remote);
    fill_timer(c, o);
    o->rtt = c->rtt.srtt;
    o->rttvar = c->rtt.rttvar;
    o->rto = nst_rtt_timeout(&c->rtt);
    o->last_recv = c->last_recv;
    o->snd_mss = c->mss;
    o->pmtu = (uint32_t)c->mss_wire + tcp_ip_overhead(&c->t.raddr);
    o->rcv_mss = c->adv_mss;
    o->cwnd = c->cc.cwnd;
    o->ssthresh = c->cc.ssthresh;
    o->snd_wnd = c->snd_wnd;
    o->rcv_wnd = c->rcv_adv - c->rcv_nxt;
    if (c->state == NST_TCPS_LISTEN || c->state == NST_TCPS_CLOSED || c->state == NST_TCPS_SYN_SENT)
        o->rcv_wnd = 0;
    o->unacked = c->snd_max - c->snd_una;
    o->sacked = tcp_sack_board(c)->sacked_bytes;
    o->send_queue = clamp32(nst_ring_len(&c->sndbuf));
    o->recv_queue = clamp32(nst_ring_len(&c->rcvbuf));
    o->sndbuf = clamp32(c->sndbuf_cap);
    o->rcvbuf = clamp32(c->rcvbuf_cap);
    o->accept_queue = c->lq ? c->lq->accq_len : 0;
    o->syn_queue = c->lq ? c->lq->synq_len : 0;
    o->backlog = c->lq ? c->lq->backlog : 0;
    o->dupacks = c->dupacks;
    o->retransmits = c->n_retrans;
    o->rto_timeouts = c->n_rto;
    o->fast_retransmits = c->n_fast_retrans;
    o->bytes_sent = c->bytes_sent;
    o->bytes_retrans = c->bytes_retrans;
    o->bytes_acked = c->bytes_acked;
    o->bytes_received = c->bytes_received;
    o->segs_out = c->segs_out;
    o->segs_in = c->segs_in;
    snprintf(o->congestion, sizeof(o->congestion), "%s", c->cc.ops->name);
    o->pacing_rate = tcp_pace_rate(c);
    o->delivery_rate = tcp_rate_last(c);
    if (c->cc.ops == &nst_cc_bbr && c->was_connected) {
        struct nst_cc_bbr_info b;
        nst_cc_bbr_get_info(&c->cc, &b);
        o->bbr.bw = b.bw;
        o->bbr.min_rtt = b.min_rtt;
        o->bbr.pacing_gain = b.pacing_gain;
        o->bbr.cwnd_gain = b.cwnd_gain;
        o->bbr.round_count = b.round_count;
        o->bbr.mode = b.mode;
        o->bbr.full_bw_reached = b.full_bw_reached;
        o->bbr.cycle_idx = b.cycle_idx;
    }
    o->state_since = c->state_since;
    o->close_wait_leak = c->cw_leak;
}

static void fill_tw(const struct nst_stack *st, const struct nst_tcp_tw *tw, struct nst_tcp_info *o)
{
    memset(o, 0, sizeof(*o));
    o->state = NST_TCPS_TIME_WAIT;
    o->fd = -1;
    o->orphan = 1;
    /* The socket is gone: an IPv4 tuple shows as AF_INET. */
    struct nst_sock as = {.family = nst_ip6_is_v4mapped(&tw->t.raddr) ? NST_AF_INET : NST_AF_INET6};
    nst_sock_addr_out(&as, &tw->t.laddr, tw->t.lport, tw->scope, &o->local);
    nst_sock_addr_out(&as, &tw->t.raddr, tw->t.rport, tw->scope, &o->remote);
    o->timer = NST_TCPI_TIMER_TIMEWAIT;
    o->timer_expires = tcp_tw_expires(st, tw);
    o->options = tw->ts_ok ? NST_TCPI_OPT_TIMESTAMPS : 0;
    o->state_since = tw->since;
}

size_t nst_tcp_conn_size(void) { return sizeof(struct nst_tcp_conn); }
size_t nst_tcp_timewait_size(void) { return sizeof(struct nst_tcp_tw); }

void tcp_info_foreach(struct nst_stack *st, void (*fn)(void *arg, const struct nst_tcp_info *ti), void *arg)
{
    if (!st->tcp)
        return;
    struct nst_tcp_info ti;
    for (const struct nst_tcp_conn *c = st->tcp->all; c; c = c->all_next) {
        tcp_fill_info(st, c, &ti);
        fn(arg, &ti);
    }
    const struct nst_htable *t = &st->tcp->tws;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (const struct nst_hnode *h = t->buckets[i]; h; h = h->next) {
            fill_tw(st, NST_CONTAINER_OF(h, struct nst_tcp_tw, node), &ti);
            fn(arg, &ti);
        }
}

struct list_ctx {
    struct nst_tcp_info *out;
    int max, n;
};

static void list_one(void *arg, const struct nst_tcp_info *ti)
{
    struct list_ctx *x = arg;
    if (x->n < x->max)
        x->out[x->n] = *ti;
    x->n++;
}

int nst_tcp_list(struct nst_stack *st, struct nst_tcp_info *out, int max)
{
    struct list_ctx x = {out, max, 0};
    tcp_info_foreach(st, list_one, &x);
    return x.n;
}
