/* TIME_WAIT (RFC 9293 3.6, 3.10.7.4) held in a compact record: the TCB and
 * its buffers are freed the moment the connection enters TIME_WAIT, and
 * 96 bytes (struct nst_tcp_tw) keep the 4-tuple for 2*MSL, re-ACK a retransmitted
 * FIN, and let a new SYN reopen the tuple when that is safe (RFC 6191). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

/* ---- the shared port-table entries ------------------------------------------- */

/* The records of one (local address, local port) share one entry of the
 * port table (struct tcp_tw_port), which is all bind() needs to see (a
 * TIME_WAIT tuple yields only to SO_REUSEADDR: tcp_port_check_bind). A
 * server's records thus all share one, and none carries a port-table node
 * of its own. */
static struct tcp_tw_port *tw_port_find(struct nst_tcp_state *ts, uint64_t h, const nst_ip6_t *addr, uint16_t port)
{
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&ts->tw_ports, h, n)
    {
        struct tcp_tw_port *p = NST_CONTAINER_OF(n, struct tcp_tw_port, node);
        if (p->ref.port == port && nst_ip6_eq(&p->addr, addr))
            return p;
    }
    return NULL;
}

static int tw_port_hold(struct nst_stack *st, const struct nst_tcp_tw *tw)
{
    struct nst_tcp_state *ts = st->tcp;
    if (!ts->tw_ports.nbuckets && nst_htable_init(&ts->tw_ports, 64) < 0)
        return -ENOMEM;
    uint64_t h = tcp_port_hash(st, tw->t.lport);
    struct tcp_tw_port *p = tw_port_find(ts, h, &tw->t.laddr, tw->t.lport);
    if (!p) {
        p = calloc(1, sizeof(*p));
        if (!p)
            return -ENOMEM;
        p->addr = tw->t.laddr;
        p->ref.port = tw->t.lport;
        p->ref.kind = TCP_PORT_TW;
        p->ref.cover = nst_in6_kind(&tw->t.laddr) & 3u;
        nst_htable_insert(&ts->ports, &p->ref.node, h);
        nst_htable_insert(&ts->tw_ports, &p->node, h);
    }
    p->count++;
    return 0;
}

static void tw_port_release(struct nst_stack *st, const struct nst_tcp_tw *tw)
{
    struct nst_tcp_state *ts = st->tcp;
    struct tcp_tw_port *p = tw_port_find(ts, tcp_port_hash(st, tw->t.lport), &tw->t.laddr, tw->t.lport);
    if (!p || --p->count > 0)
        return;
    nst_htable_remove(&ts->ports, &p->ref.node);
    nst_htable_remove(&ts->tw_ports, &p->node);
    free(p);
}

/* ---- the expiry FIFO ----------------------------------------------------------- */

nst_time_t tcp_tw_expires(const struct nst_stack *st, const struct nst_tcp_tw *tw)
{
    (void)st;
    return tw->expires;
}

/* RFC 9293 3.6: TIME_WAIT lasts 2*MSL from now (entering it, or a
 * retransmitted FIN restarting it). */
static void tw_set_expiry(const struct nst_stack *st, struct nst_tcp_tw *tw)
{
    tw->expires = st->now + 2 * st->cfg.tcp.msl;
}

static struct nst_tcp_tw **fifo_at(const struct tcp_tw_fifo *f, uint32_t pos)
{
    return &f->slot[pos & (f->cap - 1)];
}

/* Makes room for one more record at the tail. A full array that is at
 * least half holes (records gone early, or moved to the tail by a restart)
 * is compacted in place, else doubled: either way half of it is free
 * afterwards, so the work is O(1) per record on average and the array
 * stays within twice the peak number of records. */
static int fifo_make_room(struct nst_stack *st, struct tcp_tw_fifo *f)
{
    uint32_t used = f->tail - f->head;
    if (f->cap && used < f->cap)
        return 0;
    if (f->cap && st->tcp->n_tw <= f->cap / 2) {
        uint32_t w = f->head;
        for (uint32_t r = f->head; r != f->tail; r++) {
            struct nst_tcp_tw *tw = *fifo_at(f, r);
            if (!tw)
                continue;
            *fifo_at(f, w) = tw;
            tw->fifo_pos = w++;
        }
        f->tail = w;
        return 0;
    }
    uint32_t cap = f->cap ? f->cap * 2 : 64;
    if (cap == 0)
        return -ENOMEM;
    struct nst_tcp_tw **v = malloc((size_t)cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    /* Positions are kept: only the mask changes. */
    for (uint32_t r = f->head; r != f->tail; r++)
        v[r & (cap - 1)] = *fifo_at(f, r);
    free(f->slot);
    f->slot = v;
    f->cap = cap;
    return 0;
}

static void fifo_fire(struct nst_stack *st, struct nst_timer *t);

/* Drops the holes at the head and arms the timer for the oldest record
 * (or gives the array back when none is left). */
static void fifo_settle(struct nst_stack *st, struct tcp_tw_fifo *f)
{
    while (f->head != f->tail && !*fifo_at(f, f->head))
        f->head++;
    if (f->head == f->tail) {
        nst_timer_cancel(st, &f->timer);
        free(f->slot);
        f->slot = NULL;
        f->cap = f->head = f->tail = 0;
        return;
    }
    nst_time_t when = tcp_tw_expires(st, *fifo_at(f, f->head));
    if (!nst_timer_armed(&f->timer) || f->timer.when != when) {
        f->timer.fn = fifo_fire;
        nst_timer_arm(st, &f->timer, when);
    }
}

/* Appends tw (expires = now + 2*MSL: the latest expiry of all, MSL being
 * fixed for the stack's life, so the FIFO stays in expiry order). */
static int fifo_append(struct nst_stack *st, struct nst_tcp_tw *tw)
{
    struct tcp_tw_fifo *f = &st->tcp->tw_fifo;
    if (fifo_make_room(st, f) < 0)
        return -ENOMEM;
    tw->fifo_pos = f->tail++;
    *fifo_at(f, tw->fifo_pos) = tw;
    fifo_settle(st, f);
    return 0;
}

/* ---- records -------------------------------------------------------------------- */

/* Takes tw out of every index and frees it; the FIFO keeps a hole. */
static void tw_release(struct nst_stack *st, struct nst_tcp_tw *tw)
{
    struct nst_tcp_state *ts = st->tcp;
    *fifo_at(&ts->tw_fifo, tw->fifo_pos) = NULL;
    nst_htable_remove(&ts->tws, &tw->node);
    tw_port_release(st, tw);
    ts->n_tw--;
    ts->port_gen++;
    free(tw);
}

static void fifo_fire(struct nst_stack *st, struct nst_timer *t)
{
    struct tcp_tw_fifo *f = NST_CONTAINER_OF(t, struct tcp_tw_fifo, timer);
    /* Every record due by now goes in this one call (records expiring at
     * the same instant each had a timer of their own once, and went in one
     * call as well). */
    for (; f->head != f->tail; f->head++) {
        struct nst_tcp_tw *tw = *fifo_at(f, f->head);
        if (!tw)
            continue;
        if (tcp_tw_expires(st, tw) > st->now)
            break;
        tw_release(st, tw);
    }
    fifo_settle(st, f);
}

void tcp_enter_time_wait(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_state *ts = st->tcp;
    struct nst_tcp_tw *tw = NULL;
    /* Bounded: past max_timewait the tuple is simply released (what Linux
     * does past tcp_max_tw_buckets). */
    if (ts->n_tw < st->cfg.tcp.max_timewait)
        tw = calloc(1, sizeof(*tw));
    if (tw) {
        tw->t = c->t;
        tw->scope = c->scope;
        tw->since = st->now;
        tw_set_expiry(st, tw);
        if (tw_port_hold(st, tw) < 0) {
            free(tw);
            tw = NULL;
        } else if (fifo_append(st, tw) < 0) {
            tw_port_release(st, tw);
            free(tw);
            tw = NULL;
        }
    }
    if (!tw) {
        NST_STAT_INC(st, tcp, timewait_overflow);
        tcp_drop(st, c, 0);
        return;
    }
    tw->snd_nxt = c->snd_max;
    tw->rcv_nxt = c->rcv_nxt;
    tw->ts_ok = c->ts_ok;
    tw->sack_ok = c->sack_ok;
    tw->ts_recent = c->ts_recent;
    tw->rcv_wscale = c->rcv_wscale;
    tw->window = tcp_window_field(c, 0);
    /* Same tuple, same hash: the connection's, from its table entry. */
    nst_htable_insert(&ts->tws, &tw->node, c->hashed ? c->node.hash : tcp_tuple_hash(st, &tw->t));
    ts->n_tw++;
    /* The TCB is done with: a descriptor still open sees CLOSED. */
    tcp_drop(st, c, 0);
}

struct nst_tcp_tw *tcp_tw_lookup(struct nst_stack *st, const struct nst_tcp_tuple *t)
{
    return tcp_tw_lookup_hashed(st, t, tcp_tuple_hash(st, t));
}

struct nst_tcp_tw *tcp_tw_lookup_hashed(struct nst_stack *st, const struct nst_tcp_tuple *t, uint64_t h)
{
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->tcp->tws, h, n)
    {
        struct nst_tcp_tw *tw = NST_CONTAINER_OF(n, struct nst_tcp_tw, node);
        if (tcp_tuple_eq(&tw->t, t))
            return tw;
    }
    return NULL;
}

void tcp_tw_free(struct nst_stack *st, struct nst_tcp_tw *tw)
{
    struct tcp_tw_fifo *f = &st->tcp->tw_fifo;
    int was_head = tw->fifo_pos == f->head;
    tw_release(st, tw);
    if (was_head)
        fifo_settle(st, f); /* the timer follows the next record to expire */
}

/* RFC 9293 3.10.7.4: a retransmitted FIN restarts the 2*MSL timeout: the
 * record moves to the tail of the FIFO. `since` stays: the connection has
 * been in TIME_WAIT since it entered it, whatever the restarts. */
static void tw_restart(struct nst_stack *st, struct nst_tcp_tw *tw)
{
    struct tcp_tw_fifo *f = &st->tcp->tw_fifo;
    *fifo_at(f, tw->fifo_pos) = NULL;
    tw_set_expiry(st, tw);
    if (fifo_append(st, tw) < 0) {
        /* No room to keep it in order: end TIME_WAIT now (as past
         * max_timewait) rather than hold it with no expiry. */
        *fifo_at(f, tw->fifo_pos) = tw;
        tcp_tw_free(st, tw);
    }
}

void tcp_tw_fini(struct nst_stack *st)
{
    struct nst_tcp_state *ts = st->tcp;
    struct nst_htable *t = &ts->tws;
    for (size_t i = 0; i < t->nbuckets; i++)
        while (t->buckets[i])
            tw_release(st, NST_CONTAINER_OF(t->buckets[i], struct nst_tcp_tw, node));
    nst_timer_cancel(st, &ts->tw_fifo.timer);
    free(ts->tw_fifo.slot);
    memset(&ts->tw_fifo, 0, sizeof(ts->tw_fifo));
    nst_htable_free(&ts->tw_ports);
}

/* The ACK a TIME_WAIT record sends, answering seg (NULL: a segment that
 * needs no report). RFC 2883 4.1.1: data the peer sent again, which we
 * hold already (below the final RCV.NXT; as Linux's tcp_send_dupack), is
 * reported in a D-SACK block, so the peer's sender learns its
 * retransmission was needless. */
static void tw_send_ack(struct nst_stack *st, const struct nst_tcp_tw *tw, const struct tcp_seg *seg)
{
    struct nst_tcp_opts o = {0};
    if (tw->sack_ok && seg && seg->len && nst_seq_lt(seg->h.seq, tw->rcv_nxt)) {
        o.sack_count = 1;
        o.sack[0].start = seg->h.seq;
        o.sack[0].end = nst_seq_min(seg->h.seq + seg->len, tw->rcv_nxt);
        NST_STAT_INC(st, tcp, dsack_sent);
    }
    if (tw->ts_ok) {
        /* RFC 7323 5.4: the connection's own clock. Its offset is a keyed
         * hash of the tuple (tcp_ts_offset, what the connection was given
         * too), so the record recomputes it rather than keep 4 bytes. */
        o.has_ts = 1;
        o.ts_val = tcp_ts_now(st, tcp_ts_offset(st, &tw->t));
        o.ts_ecr = tw->ts_recent;
    }
    tcp_send_raw(st, &tw->t, tw->snd_nxt, tw->rcv_nxt, NST_TCP_ACK, tw->window, &o, tw->scope ? tw->scope - 1 : -1);
}

int tcp_tw_accepts_syn(struct nst_stack *st, const struct nst_tcp_tw *tw, const struct tcp_seg *seg, uint32_t *isn)
{
    uint8_t f = seg->h.flags;
    if (!(f & NST_TCP_SYN) || (f & (NST_TCP_ACK | NST_TCP_RST)))
        return 0;
    if (!tcp_listener_lookup(st, &seg->dst, seg->h.dst_port))
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

/* RFC 5961 7 in TIME_WAIT: the record's 96 bytes have no room for the
 * per-connection challenge ACK time a TCB keeps (8 more bytes on each of up
 * to max_timewait records, for segments a peer that has finished rarely
 * sends), so its challenge ACKs draw on the stack-wide budget only. That
 * budget is drawn at random each second (tcp_input.c), so counting the ACKs
 * a TIME_WAIT record sends tells an off-path host nothing exact about any
 * other connection; and a record holds no data whose sequence numbers
 * could be guessed into. */
void tcp_tw_input(struct nst_stack *st, struct nst_tcp_tw *tw, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    uint32_t seglen = tcp_seg_len(seg);
    /* RFC 7323 5.3 R1: PAWS applies in TIME_WAIT too. */
    if (tw->ts_ok && !(f & NST_TCP_RST) && seg->h.opts.has_ts && nst_seq_lt(seg->h.opts.ts_val, tw->ts_recent)) {
        NST_STAT_INC(st, tcp, paws_drops);
        tw_send_ack(st, tw, seg);
        return;
    }
    if (f & NST_TCP_RST) {
        /* RFC 9293 3.10.7.4 second, with RFC 5961 3.2's exact match. */
        uint32_t wnd = (uint32_t)tw->window << tw->rcv_wscale;
        if (seg->h.seq == tw->rcv_nxt) {
            NST_STAT_INC(st, tcp, rx_resets);
            tcp_tw_free(st, tw);
        } else if (nst_seq_in(seg->h.seq, tw->rcv_nxt, tw->rcv_nxt + wnd) && tcp_challenge_ack_allowed(st, NULL)) {
            tw_send_ack(st, tw, NULL);
        }
        return;
    }
    if (f & NST_TCP_SYN) {
        /* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK. */
        if (tcp_challenge_ack_allowed(st, NULL))
            tw_send_ack(st, tw, NULL);
        return;
    }
    if ((f & NST_TCP_FIN) && seg->h.seq + seglen == tw->rcv_nxt) {
        /* The peer did not hear our last ACK: acknowledge the FIN again and
         * restart the 2*MSL timeout. */
        tw_send_ack(st, tw, seg);
        tw_restart(st, tw);
        return;
    }
    if (!(f & NST_TCP_ACK))
        return;
    if (seglen > 0 || seg->h.seq != tw->rcv_nxt) {
        /* Anything else that is not a plain in-order ACK: tell the peer where
         * we are, throttled like a challenge ACK so it cannot be used to
         * make us flood. */
        if (tcp_challenge_ack_allowed(st, NULL))
            tw_send_ack(st, tw, seg);
    }
}
