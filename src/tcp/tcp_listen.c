/* Passive open: a listener's SYN queue (embryonic connections in
 * SYN_RECEIVED) and accept queue (established, not yet accepted), bounded
 * together by the backlog, and SYN cookies (RFC 4987 3.6) once the SYN
 * queue is full: the SYN-ACK's ISN then carries the MSS, window scale and
 * SACK-permitted, and the connection is created when the ACK echoes it. */
#include <errno.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

/* Cookies are looked for in bare ACKs only while we have sent some lately
 * (a cookie lives at most two 64 s slots), so stray ACKs are not counted
 * as failed cookies. */
#define COOKIE_LIFETIME NST_SEC(128)

/* ---- the queues ---------------------------------------------------------------- */

static void q_push(struct nst_tcp_conn **head, struct nst_tcp_conn **tail, struct nst_tcp_conn *c)
{
    c->q_next = NULL;
    c->q_prev = tail ? *tail : NULL;
    if (tail) {
        if (*tail)
            (*tail)->q_next = c;
        else
            *head = c;
        *tail = c;
    } else {
        c->q_next = *head;
        if (*head)
            (*head)->q_prev = c;
        *head = c;
    }
}

void tcp_listen_unlink(struct nst_stack *st, struct nst_tcp_conn *c)
{
    (void)st;
    struct nst_tcp_conn *l = c->listener;
    if (!l || c->queue == TCP_Q_NONE)
        return;
    if (c->q_prev)
        c->q_prev->q_next = c->q_next;
    if (c->queue == TCP_Q_SYN) {
        if (!c->q_prev)
            l->lq->synq_head = c->q_next;
        if (c->q_next)
            c->q_next->q_prev = c->q_prev;
        l->lq->synq_len--;
    } else {
        if (!c->q_prev)
            l->lq->accq_head = c->q_next;
        if (c->q_next)
            c->q_next->q_prev = c->q_prev;
        else
            l->lq->accq_tail = c->q_prev;
        l->lq->accq_len--;
    }
    c->q_prev = c->q_next = NULL;
    c->queue = TCP_Q_NONE;
    c->listener = NULL;
}

static void accq_append(struct nst_tcp_conn *l, struct nst_tcp_conn *c)
{
    c->listener = l;
    c->queue = TCP_Q_ACCEPT;
    q_push(&l->lq->accq_head, &l->lq->accq_tail, c);
    l->lq->accq_len++;
}

int tcp_listen_child_established(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_conn *l = c->listener;
    if (!l || c->queue == TCP_Q_ACCEPT)
        return 0; /* (a Fast Open connection is there already) */
    if (l->lq->accq_len >= l->lq->backlog) {
        NST_STAT_INC(st, tcp, listen_overflows);
        return -1;
    }
    tcp_listen_unlink(st, c);
    accq_append(l, c);
    tcp_notify_fd(st, l->sock.fd);
    return 0;
}

struct nst_tcp_conn *tcp_listen_accept(struct nst_stack *st, struct nst_tcp_conn *l)
{
    struct nst_tcp_conn *c = l->lq->accq_head;
    if (!c)
        return NULL;
    tcp_listen_unlink(st, c);
    return c;
}

void tcp_listen_close(struct nst_stack *st, struct nst_tcp_conn *l)
{
    /* Connections nobody accepted are aborted (RFC 9293 3.10.4: CLOSE of a
     * listener; Linux resets them too). */
    struct nst_tcp_conn *c;
    while ((c = l->lq->synq_head) || (c = l->lq->accq_head)) {
        tcp_listen_unlink(st, c);
        if (c->state != NST_TCPS_CLOSED)
            tcp_send_rst(st, c);
        tcp_conn_free(st, c);
    }
    tcp_listener_remove(st, l);
}

/* ---- new connections -------------------------------------------------------------- */

/* A connection for the tuple of seg, inheriting the listener's options. */
static struct nst_tcp_conn *child_new(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg)
{
    struct nst_tcp_conn *c = tcp_conn_new(st);
    if (!c)
        return NULL;
    c->t.laddr = seg->dst;
    c->t.raddr = seg->src;
    c->t.lport = seg->h.dst_port;
    c->t.rport = seg->h.src_port;
    /* An IPv4 child of a dual-stack listener is an AF_INET6 socket too: its
     * peer reads ::ffff:a.b.c.d (RFC 3493 3.7). */
    c->sock.family = l->sock.family;
    c->sock.v6only = l->sock.v6only;
    c->scope = (uint8_t)(tcp_seg_ifindex(seg) + 1);
    c->passive = 1;
    c->sndbuf_cap = l->sndbuf_cap;
    c->rcvbuf_cap = l->rcvbuf_cap;
    nst_ring_set_cap(&c->sndbuf, c->sndbuf_cap);
    nst_ring_set_cap(&c->rcvbuf, c->rcvbuf_cap);
    c->nodelay = l->nodelay;
    c->rack_on = l->rack_on;
    c->keepalive = l->keepalive;
    c->keepidle = l->keepidle;
    c->keepintvl = l->keepintvl;
    c->keepcnt = l->keepcnt;
    c->reuseaddr = l->reuseaddr;
    c->linger_on = l->linger_on;
    c->linger_secs = l->linger_secs;
    c->ttl = l->ttl;
    c->tclass = l->tclass;
    c->user_mss = l->user_mss;
    c->cc.ops = l->cc.ops;
    c->ecn_mode = l->ecn_mode;
    if (tcp_pace_inherit(st, c, l) < 0) {
        tcp_conn_free(st, c);
        return NULL;
    }
    c->adv_mss = tcp_adv_mss(st, &c->t.raddr, tcp_ifindex(c), c->user_mss);
    c->ts_offset = tcp_ts_offset(st, &c->t);
    tcp_port_hold(st, c, c->t.lport, 0);
    return c;
}

/* What we offer in a SYN-ACK: only what the SYN offered and we support. */
static void child_offers(struct nst_stack *st, struct nst_tcp_conn *c, const struct nst_tcp_opts *o)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    c->ws_offer = cfg->window_scaling && o->has_wscale;
    c->ts_offer = cfg->timestamps && o->has_ts;
    c->sack_offer = cfg->sack && o->sack_ok;
    c->rcv_wscale = c->ws_offer ? tcp_wscale_for(cfg, c->rcvbuf_cap) : 0;
}

static void embryo_new(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg, const uint32_t *isn)
{
    struct nst_tcp_conn *c = child_new(st, l, seg);
    if (!c) {
        NST_STAT_INC(st, tcp, listen_drops);
        return;
    }
    child_offers(st, c, &seg->h.opts);
    /* RFC 3168 6.1.1: ECN only if the SYN is an ECN-setup SYN. */
    c->ecn_ok = (uint8_t)tcp_ecn_accept_syn(l, seg->h.flags);
    c->irs = seg->h.seq;
    c->rcv_nxt = seg->h.seq + 1;
    c->last_ack_sent = c->rcv_nxt;
    tcp_apply_syn_options(st, c, &seg->h.opts);
    c->iss = isn ? *isn : nst_tcp_isn(st->hash_key, &c->t, st->now);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->snd_buf_seq = c->iss + 1;
    /* RFC 7323 2.2: the window of a SYN is not scaled. */
    c->snd_wnd = seg->h.window;
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = c->iss;
    tcp_set_state(st, c, NST_TCPS_SYN_RECEIVED);
    tcp_conn_hash_at(st, c, seg->tuple_hash);
    if (tcp_tfo_passive(st, l, c, seg)) {
        /* RFC 7413: its data is taken; the application may accept it and
         * read before the handshake completes (as Linux). */
        accq_append(l, c);
        tcp_notify_fd(st, l->sock.fd);
    } else {
        c->listener = l;
        c->queue = TCP_Q_SYN;
        q_push(&l->lq->synq_head, NULL, c);
        l->lq->synq_len++;
    }
    NST_STAT_INC(st, tcp, passive_opens);
    tcp_send_syn(st, c);
}

static void cookie_opts_of(struct nst_stack *st, const struct nst_tcp_opts *o, struct nst_syncookie_opts *co)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    co->mss = o->has_mss && o->mss ? o->mss : (uint16_t)TCP_DEFAULT_MSS;
    co->wscale = (cfg->window_scaling && o->has_wscale) ? (uint8_t)NST_MIN(o->wscale, TCP_MAX_WSCALE) : 15;
    co->sack_ok = cfg->sack && o->sack_ok;
}

static void cookie_send(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    struct nst_tcp_tuple t = {
        .laddr = seg->dst, .raddr = seg->src, .lport = seg->h.dst_port, .rport = seg->h.src_port};
    struct nst_syncookie_opts co;
    cookie_opts_of(st, &seg->h.opts, &co);
    uint32_t iss = nst_syncookie_make(st->hash_key, &t, seg->h.seq, &co, st->now);
    struct nst_tcp_opts o = {0};
    o.has_mss = 1;
    o.mss = tcp_adv_mss(st, &t.raddr, tcp_seg_ifindex(seg), l->user_mss);
    if (co.wscale != 15) {
        o.has_wscale = 1;
        o.wscale = tcp_wscale_for(cfg, l->rcvbuf_cap);
    }
    o.sack_ok = co.sack_ok;
    uint8_t ecn = 0;
    if (cfg->timestamps && seg->h.opts.has_ts) {
        /* RFC 3168 6.1.1 with cookies: the agreement rides in the TSval
         * (tcp_ecn_cookie_tsval); without timestamps, no ECN. */
        ecn = tcp_ecn_accept_syn(l, seg->h.flags) ? NST_TCP_ECE : 0;
        o.has_ts = 1;
        o.ts_val = tcp_ecn_cookie_tsval(tcp_ts_now(st, tcp_ts_offset(st, &t)), ecn != 0);
        o.ts_ecr = seg->h.opts.ts_val;
    }
    uint16_t window = (uint16_t)NST_MIN(l->rcvbuf_cap, (size_t)65535);
    tcp_send_raw(st, &t, iss, seg->h.seq + 1, NST_TCP_SYN | NST_TCP_ACK | ecn, window, &o, tcp_seg_ifindex(seg));
    l->lq->last_cookie = st->now;
    NST_STAT_INC(st, tcp, syncookies_sent);
}

/* The ACK of a cookie SYN-ACK: the connection is born ESTABLISHED. */
static void cookie_complete(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg,
                            const struct nst_syncookie_opts *co)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    if (l->lq->accq_len >= l->lq->backlog) {
        NST_STAT_INC(st, tcp, listen_overflows);
        return;
    }
    struct nst_tcp_conn *c = child_new(st, l, seg);
    if (!c) {
        NST_STAT_INC(st, tcp, listen_drops);
        return;
    }
    NST_STAT_INC(st, tcp, syncookies_ok);
    NST_STAT_INC(st, tcp, passive_opens);
    /* What the SYN offered, as the cookie remembers it; timestamps were on
     * if the ACK carries them (we echo TSopt only to a SYN that had it). */
    c->ws_offer = co->wscale != 15;
    c->ts_offer = cfg->timestamps && seg->h.opts.has_ts;
    c->sack_offer = co->sack_ok;
    c->ecn_ok = c->ts_offer && tcp_ecn_cookie_ok(l, seg);
    c->rcv_wscale = c->ws_offer ? tcp_wscale_for(cfg, l->rcvbuf_cap) : 0;
    struct nst_tcp_opts o = {0};
    o.has_mss = 1;
    o.mss = co->mss;
    o.has_wscale = c->ws_offer;
    o.wscale = co->wscale;
    o.sack_ok = co->sack_ok;
    o.has_ts = c->ts_offer;
    o.ts_val = seg->h.opts.ts_val;
    tcp_apply_syn_options(st, c, &o);
    c->irs = seg->h.seq - 1;
    c->rcv_nxt = seg->h.seq;
    c->last_ack_sent = c->rcv_nxt;
    c->rcv_adv = c->rcv_nxt + (uint32_t)NST_MIN(l->rcvbuf_cap, (size_t)65535);
    c->iss = seg->h.ack - 1;
    c->snd_una = c->snd_nxt = c->snd_max = seg->h.ack;
    c->snd_buf_seq = seg->h.ack;
    c->snd_wnd = (uint32_t)seg->h.window << c->snd_wscale;
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = seg->h.ack;
    tcp_conn_hash_at(st, c, seg->tuple_hash);
    tcp_established(st, c);
    accq_append(l, c);
    tcp_notify_fd(st, l->sock.fd);
    /* Data riding on the ACK is processed like any segment now. */
    if (seg->len || (seg->h.flags & NST_TCP_FIN))
        tcp_conn_input(st, c, seg);
}

static int try_cookie(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg)
{
    if (!st->cfg.tcp.syncookies || !l->lq->last_cookie || st->now - l->lq->last_cookie > COOKIE_LIFETIME)
        return 0;
    struct nst_tcp_tuple t = {
        .laddr = seg->dst, .raddr = seg->src, .lport = seg->h.dst_port, .rport = seg->h.src_port};
    struct nst_syncookie_opts co;
    if (!nst_syncookie_check(st->hash_key, &t, seg->h.seq - 1, seg->h.ack - 1, st->now, &co)) {
        NST_STAT_INC(st, tcp, syncookies_failed);
        return 0;
    }
    cookie_complete(st, l, seg, &co);
    return 1;
}

void tcp_listen_input(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg, const uint32_t *isn)
{
    uint8_t f = seg->h.flags;
    /* RFC 9293 3.10.7.2: first, an incoming RST is ignored. */
    if (f & NST_TCP_RST)
        return;
    /* second: any ACK is bad in LISTEN (unless it returns a cookie):
     * <SEQ=SEG.ACK><CTL=RST>. */
    if (f & NST_TCP_ACK) {
        if (!(f & NST_TCP_SYN) && try_cookie(st, l, seg))
            return;
        tcp_send_reset_for(st, seg);
        return;
    }
    if (!(f & NST_TCP_SYN))
        return; /* fourth: other text or control, drop */
    /* third: a SYN. The backlog bounds both queues together. */
    if (l->lq->accq_len >= l->lq->backlog) {
        NST_STAT_INC(st, tcp, listen_overflows);
        NST_STAT_INC(st, tcp, listen_drops);
        return;
    }
    if (l->lq->synq_len + l->lq->accq_len >= l->lq->backlog) {
        if (st->cfg.tcp.syncookies) {
            cookie_send(st, l, seg);
        } else {
            NST_STAT_INC(st, tcp, listen_drops);
        }
        return;
    }
    embryo_new(st, l, seg, isn);
}
