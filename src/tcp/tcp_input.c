/* Segment arrival (RFC 9293 3.10.7), with the RFC 5961 defences against
 * blind in-window attacks and RFC 7323 PAWS.
 *
 * nst_tcp_input finds who the segment is for: a connection (4-tuple), a
 * TIME_WAIT record, a listener, or nobody (a RST goes back). */
#include <errno.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"
#include "wire/checksum.h"

/* ---- RFC 5961 7: challenge ACK throttling ------------------------------------ */

/* A fixed stack-wide budget per second is a side channel (CVE-2016-5696):
 * an off-path host spends it with challenge ACKs of its own and counts what
 * is left to learn whether a guessed 4-tuple or sequence number drew one.
 * So, as Linux since that CVE: each connection may draw one challenge ACK
 * per TCP_OOW_ACK_INTERVAL (what one connection gets says nothing about
 * another), and the stack-wide cap that bounds a flood over many
 * connections is drawn at random each second from [limit/2, limit*3/2),
 * so counting against it tells nothing exact. */
#define TCP_OOW_ACK_INTERVAL NST_MSEC(500)

/* Out-of-window segments are answered with an ACK; one carrying no data
 * at most every TCP_OOW_ACK_INTERVAL per connection, so two peers that
 * disagree cannot ping-pong ACKs forever (RFC 5961 10; Linux's
 * tcp_invalid_ratelimit). Returns 1 if *last allows one now (and takes it). */
static int oow_ack_allowed(struct nst_stack *st, nst_time_t *last)
{
    if (*last && st->now - *last < TCP_OOW_ACK_INTERVAL)
        return 0;
    *last = st->now;
    return 1;
}

/* The stack-wide budget of the current second (0 limit: none). */
static int challenge_budget_take(struct nst_stack *st)
{
    struct nst_tcp_state *ts = st->tcp;
    unsigned limit = st->cfg.tcp.challenge_ack_limit;
    if (limit == 0)
        return 1;
    nst_time_t second = st->now / NST_SEC(1);
    if (second != ts->chack_second || !ts->chack_drawn) {
        unsigned half = (limit + 1) / 2;
        ts->chack_second = second;
        ts->chack_drawn = 1;
        ts->chack_left = half + (unsigned)nst_rng_below(&st->rng, limit);
    }
    if (ts->chack_left == 0)
        return 0;
    ts->chack_left--;
    return 1;
}

int tcp_challenge_ack_allowed(struct nst_stack *st, nst_time_t *last)
{
    if ((last && !oow_ack_allowed(st, last)) || !challenge_budget_take(st)) {
        NST_STAT_INC(st, tcp, challenge_ack_limited);
        return 0;
    }
    NST_STAT_INC(st, tcp, challenge_acks);
    return 1;
}

void tcp_challenge_ack(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (tcp_challenge_ack_allowed(st, &c->last_oow_ack))
        tcp_send_ack(st, c);
}

/* ---- timestamps (RFC 7323) ----------------------------------------------------- */

/* RFC 2883 4.1.1: the data of seg below RCV.NXT was received already; it
 * is reported in the ACK that segment draws. */
static void dsack_note_old(struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (seg->len && nst_seq_lt(seg->h.seq, c->rcv_nxt))
        tcp_dsack_note(c, seg->h.seq, nst_seq_min(seg->h.seq + seg->len, c->rcv_nxt));
}

/* RFC 7323 5.3 R1: PAWS. Returns 1 if the segment must be dropped. */
static int paws_reject(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (!c->ts_ok || (seg->h.flags & NST_TCP_RST))
        return 0; /* RFC 7323 3.2: a RST is processed whatever its TSopt */
    if (!seg->h.opts.has_ts) {
        /* RFC 7323 3.2: once negotiated, a non-RST segment without TSopt
         * SHOULD be silently dropped. */
        NST_STAT_INC(st, tcp, rx_missing_ts);
        return 1;
    }
    if (!nst_seq_lt(seg->h.opts.ts_val, c->ts_recent))
        return 0;
    /* RFC 7323 5.5: TS.Recent idle for 24 days is no longer valid. */
    if (st->now - c->ts_recent_age > TCP_PAWS_IDLE)
        return 0;
    NST_STAT_INC(st, tcp, paws_drops);
    dsack_note_old(c, seg); /* an old duplicate, as Linux reports it */
    c->ack_now = 1;
    tcp_output(st, c);
    return 1;
}

/* RFC 7323 4.3 (2): remember the TSval of segments at or left of the
 * window edge we last acknowledged. */
static void ts_update(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (!c->ts_ok || !seg->h.opts.has_ts)
        return;
    if (nst_seq_geq(seg->h.opts.ts_val, c->ts_recent) && nst_seq_leq(seg->h.seq, c->last_ack_sent)) {
        c->ts_recent = seg->h.opts.ts_val;
        c->ts_recent_age = st->now;
    }
}

/* ---- RFC 9293 3.10.7.4: first, check sequence number ---------------------------- */

static uint32_t rcv_window(const struct nst_tcp_conn *c)
{
    return nst_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

static int seq_acceptable(const struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t wnd)
{
    uint32_t seq = seg->h.seq, len = tcp_seg_len(seg);
    uint32_t end = c->rcv_nxt + wnd;
    if (len == 0)
        return wnd == 0 ? seq == c->rcv_nxt : nst_seq_in(seq, c->rcv_nxt, end);
    if (wnd == 0)
        return 0;
    return nst_seq_in(seq, c->rcv_nxt, end) || nst_seq_in(seq + len - 1, c->rcv_nxt, end);
}

/* ---- text and FIN --------------------------------------------------------------- */

/* RFC 9293 3.10.7.4 sixth and seventh: the states that take urgent
 * pointers and segment text (before the peer's FIN). */
static int text_state(const struct nst_tcp_conn *c)
{
    return c->state == NST_TCPS_ESTABLISHED || c->state == NST_TCPS_FIN_WAIT_1 || c->state == NST_TCPS_FIN_WAIT_2;
}

/* rcv_nxt moved by n in-order bytes: collect what the assembler had
 * waiting behind them, and decide how to acknowledge. */
static void rcv_advance(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t n)
{
    int had_ooo = !nst_asm_empty(tcp_ooo(c));
    c->rcv_nxt += n;
    uint32_t got = 0;
    if (c->ooo) {
        got = nst_asm_take_front(c->ooo, n);
        if (nst_asm_empty(c->ooo))
            tcp_ooo_release(c); /* the gaps are filled: back to the idle size */
    }
    if (got) {
        nst_ring_commit(&c->rcvbuf, got);
        c->rcv_nxt += got;
    }
    c->bytes_received += (uint64_t)n + got;
    if (n > c->rcv_mss_seen)
        c->rcv_mss_seen = (uint16_t)NST_MIN(n, 65535u);
    if (had_ooo) {
        /* RFC 5681 4.2: ACK at once a segment that fills (part of) a gap. */
        c->ack_now = 1;
    } else if (!c->ack_now) {
        /* RFC 9293 3.8.6.3 / RFC 5681 4.2: delay the ACK, but ACK at least
         * every second full-sized segment. */
        uint32_t full = NST_MAX((uint32_t)c->rcv_mss_seen, 1u);
        c->ack_pending = 1;
        if (c->rcv_nxt - c->last_ack_sent >= 2 * full)
            c->ack_now = 1;
    }
    tcp_notify(st, c);
}

/* Text in the window that no storage could be had for (tcp_mem.c): dropped,
 * as if lost; the peer retransmits it. Our ACK tells it where we are. */
static void mem_drop(struct nst_stack *st, struct nst_tcp_conn *c)
{
    NST_STAT_INC(st, tcp, mem_rcv_drops);
    c->ack_now = 1;
}

/* Places [seq, seq+len) in the receive ring: in order, or out of order at
 * its offset. Trims to the window; *fin is cleared if the end was cut. */
static void data_in(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, const uint8_t *data, uint32_t len,
                    int *fin, int placed)
{
    if (nst_seq_lt(seq, c->rcv_nxt)) {
        placed = 0;
        uint32_t d = c->rcv_nxt - seq;
        c->ack_now = 1; /* old data again: the peer needs to hear where we are */
        tcp_dsack_note(c, seq, seq + NST_MIN(d, len)); /* RFC 2883 4.1.1, 4.1.2 */
        if (d >= len) {
            NST_STAT_INC(st, tcp, rx_duplicate);
            return;
        }
        data += d;
        len -= d;
        seq = c->rcv_nxt;
    }
    uint32_t off = seq - c->rcv_nxt;
    size_t space = nst_ring_space(&c->rcvbuf);
    uint32_t limit = NST_MIN(rcv_window(c), space > UINT32_MAX ? UINT32_MAX : (uint32_t)space);
    if (off >= limit)
        return;
    if (len > limit - off) {
        len = limit - off;
        *fin = 0;
    }
    tcp_dsack_note_ooo(c, off, len); /* RFC 2883 4.1.3: held out of order already */
    if (off == 0 && placed && nst_asm_empty(tcp_ooo(c))) {
        /* Copied in already, while its checksum was verified. */
        nst_ring_append_placed(&c->rcvbuf, len);
        rcv_advance(st, c, len);
        return;
    }
    if (off == 0) {
        long n = nst_ring_write(&c->rcvbuf, data, len);
        if (n < (long)len)
            mem_drop(st, c); /* TCP memory at its limit: the rest is dropped */
        if (n > 0)
            rcv_advance(st, c, (uint32_t)n);
        return;
    }
    /* RFC 5681 4.2: an out-of-order segment gets an immediate (dup) ACK. */
    NST_STAT_INC(st, tcp, rx_out_of_order);
    c->ack_now = 1;
    if (!tcp_mem_ooo_allowed(c, off, len)) {
        mem_drop(st, c); /* memory pressure: no storage grows for out-of-order data */
        return;
    }
    if (!c->ooo && !(c->ooo = nst_asm_new()))
        return; /* out of memory: dropped (counted above), the peer retransmits it */
    int err = nst_ring_write_at(&c->rcvbuf, off, data, len);
    if (err == -ENOMEM)
        mem_drop(st, c);
    if (err == 0 && nst_asm_add(c->ooo, off, len) == 0)
        tcp_sack_recent_note(c, seq);
    if (nst_asm_empty(c->ooo))
        tcp_ooo_release(c);
}

/* sixth, the URG bit (RFC 9293 3.8.5 and 3.10.7.4, with RFC 6093): the
 * urgent pointer points at the octet after the urgent data, so the data
 * ends at SEG.SEQ + SEG.UP, and RCV.UP only moves forward. The urgent bytes
 * stay in the stream, in order, read like any other (inline, what RFC 6093
 * 5 asks of applications: never lost, never delivered twice); the
 * application is told that the pointer moved ahead of what it has read
 * (NST_EV_PRI, MUST-32) and can ask how much urgent data remains
 * (NST_TCP_URGENT_LEFT, MUST-33). */
static void urg_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t read = tcp_read_seq(c);
    if (c->rcv_up_valid && !nst_seq_gt(c->rcv_up, read))
        c->rcv_up_valid = 0; /* all read: forget it before sequence numbers wrap */
    if (!(seg->h.flags & NST_TCP_URG) || !text_state(c))
        return;
    uint32_t up = seg->h.seq + seg->h.urg_ptr;
    if (!nst_seq_gt(up, read) || (c->rcv_up_valid && !nst_seq_gt(up, c->rcv_up)))
        return; /* nothing new: urgent data already read, or already signalled */
    c->rcv_up = up;
    c->rcv_up_valid = 1;
    NST_STAT_INC(st, tcp, rx_urgent);
    tcp_notify(st, c);
}

/* The FIN at rcv_nxt. Returns 1 if c is gone (TIME_WAIT). */
static int fin_process(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->rcv_nxt++;
    c->rcv_fin = 1;
    c->rcv_fin_pending = 0;
    c->ack_now = 1;
    switch (c->state) {
    case NST_TCPS_SYN_RECEIVED:
    case NST_TCPS_ESTABLISHED:
        tcp_set_state(st, c, NST_TCPS_CLOSE_WAIT);
        break;
    case NST_TCPS_FIN_WAIT_1:
        /* Our FIN is not acknowledged yet (else we would be in
         * FIN_WAIT_2): a simultaneous close. */
        tcp_set_state(st, c, NST_TCPS_CLOSING);
        break;
    case NST_TCPS_FIN_WAIT_2:
        tcp_send_ack(st, c);
        tcp_enter_time_wait(st, c);
        return 1;
    default:
        break;
    }
    tcp_notify(st, c);
    return 0;
}

/* Text and FIN of an acceptable segment starting at seq. Returns 1 if c is gone. */
static int text_and_fin(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, const uint8_t *data,
                        uint32_t len, int fin, int placed)
{
    if (len && text_state(c)) {
        if (c->orphan) {
            /* RFC 9293 3.10.4 / RFC 2525 2.17: the application is gone, so
             * data it can never read makes us reset the connection. */
            tcp_send_rst(st, c);
            tcp_drop(st, c, -ECONNRESET);
            return 1;
        }
        data_in(st, c, seq, data, len, &fin, placed);
    } else if (len && nst_seq_geq(seq + len, c->rcv_nxt)) {
        /* RFC 9293 3.10.7.4 seventh: text after the peer's FIN is ignored. */
        c->ack_now = 1;
    }
    if (fin && !c->rcv_fin) {
        uint32_t fseq = seq + len;
        if (fseq == c->rcv_nxt)
            return fin_process(st, c);
        if (nst_seq_gt(fseq, c->rcv_nxt)) {
            /* Beyond a gap: held until the gap fills. It occupies sequence
             * space like data, so it too draws an immediate duplicate ACK
             * (RFC 5681 4.2). */
            c->rcv_fin_pending = 1;
            c->rcv_fin_seq = fseq;
            c->ack_now = 1;
        }
    }
    if (c->rcv_fin_pending && !c->rcv_fin && c->rcv_fin_seq == c->rcv_nxt)
        return fin_process(st, c);
    return 0;
}

/* An acceptable segment arrived: the peer is alive. Only such a segment
 * may say so: anything else (out of window, PAWS-old, an inexact RST, an
 * unacceptable ACK) can come from anyone, and a blind host sending junk
 * must not keep a dead peer's connection alive by resetting keepalive or
 * zero-window probing (RFC 1122 4.2.3.6, 4.2.2.17). */
static void peer_alive(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->last_recv = st->now;
    c->keep_probes = 0;
    c->persist_unanswered = 0;
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ------------------------------------------------- */

static void syn_sent_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    if (f & NST_TCP_ACK) {
        /* first: an ACK of something we did not send gets a RST. */
        if (nst_seq_leq(seg->h.ack, c->iss) || nst_seq_gt(seg->h.ack, c->snd_max)) {
            tcp_send_reset_for(st, seg);
            return;
        }
    }
    if (f & NST_TCP_RST) {
        /* second: RFC 5961 3.2 / RFC 9293: a RST counts only if it
         * acknowledges our SYN. */
        if (f & NST_TCP_ACK) {
            NST_STAT_INC(st, tcp, rx_resets);
            tcp_drop(st, c, -ECONNREFUSED);
        }
        return;
    }
    if (!(f & NST_TCP_SYN))
        return; /* fifth: neither SYN nor RST */
    peer_alive(st, c);
    c->irs = seg->h.seq;
    c->rcv_nxt = seg->h.seq + 1;
    c->last_ack_sent = c->rcv_nxt;
    tcp_apply_syn_options(st, c, &seg->h.opts);
    tcp_ecn_syn_sent_input(c, f); /* RFC 3168 6.1.1 */
    /* The window of our SYN applies from RCV.NXT on. */
    c->rcv_adv = c->rcv_nxt + (uint32_t)NST_MIN(tcp_rcv_room(c), (size_t)65535);
    /* RFC 7323 2.2: the window in a SYN is not scaled. */
    c->snd_wnd = seg->h.window;
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = seg->h.ack;
    if (!(f & NST_TCP_ACK)) {
        /* Simultaneous open (RFC 9293 3.5, figure 7): SYN-RECEIVED, and our
         * SYN goes again with an ACK. Text waits for the ESTABLISHED state:
         * we drop it, the peer retransmits. */
        tcp_set_state(st, c, NST_TCPS_SYN_RECEIVED);
        c->syn_retransmitted = 1;
        tcp_send_syn(st, c);
        return;
    }
    tcp_tfo_synack(st, c, seg); /* RFC 7413: the cookie, the SYN's data */
    c->snd_una = seg->h.ack;
    if (nst_seq_lt(c->snd_una, c->snd_nxt))
        c->snd_nxt = c->snd_una; /* SYN data not acknowledged: it goes again */
    if (c->rtt_timing && nst_seq_geq(seg->h.ack, c->rtt_seq)) {
        nst_rtt_sample(&c->rtt, st->now - c->rtt_start);
        c->rtt_timing = 0;
    }
    nst_timer_cancel(st, &c->t_rtx);
    tcp_established(st, c);
    c->ack_now = 1;
    ts_update(st, c, seg);
    /* RFC 9293 3.10.7.3: data or FIN on the SYN-ACK is processed at once. */
    if (text_and_fin(st, c, seg->h.seq + 1, seg->data, seg->len, (f & NST_TCP_FIN) != 0, 0))
        return;
    tcp_notify(st, c);
    tcp_output(st, c);
}

/* ---- synchronized states (RFC 9293 3.10.7.4) -------------------------------------- */

/* second: the RST bit (RFC 5961 3.2: only an exact match resets). */
static void rst_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (seg->h.seq != c->rcv_nxt) {
        tcp_challenge_ack(st, c);
        return;
    }
    NST_STAT_INC(st, tcp, rx_resets);
    switch (c->state) {
    case NST_TCPS_SYN_RECEIVED:
        /* A passive open returns to LISTEN: the embryo simply goes. */
        tcp_drop(st, c, c->passive ? 0 : -ECONNREFUSED);
        return;
    case NST_TCPS_ESTABLISHED:
    case NST_TCPS_FIN_WAIT_1:
    case NST_TCPS_FIN_WAIT_2:
    case NST_TCPS_CLOSE_WAIT:
        tcp_drop(st, c, -ECONNRESET);
        return;
    default:
        tcp_drop(st, c, 0);
        return;
    }
}

/* fifth, SYN-RECEIVED: the handshake's ACK. Returns 0 to go on, 1 to stop. */
static int syn_received_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (!(nst_seq_lt(c->snd_una, seg->h.ack) && nst_seq_leq(seg->h.ack, c->snd_max))) {
        tcp_send_reset_for(st, seg);
        return 1;
    }
    if (c->passive && tcp_listen_child_established(st, c) < 0)
        return 1; /* accept queue full: as if the ACK was lost */
    c->snd_wnd = (uint32_t)seg->h.window << c->snd_wscale;
    c->max_snd_wnd = NST_MAX(c->max_snd_wnd, c->snd_wnd);
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = seg->h.ack;
    tcp_established(st, c);
    tcp_notify(st, c);
    return 0;
}

/* fifth: the ACK field, then what an ACK of our FIN does to the state.
 * Returns 1 if processing stops (c may be gone). */
/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. */
static int ack_acceptable(const struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    return !nst_seq_gt(seg->h.ack, c->snd_max) && !nst_seq_lt(seg->h.ack, c->snd_una - c->max_snd_wnd);
}

static int ack_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (c->state == NST_TCPS_SYN_RECEIVED && syn_received_ack(st, c, seg))
        return 1;
    /* Unacceptable ACKs are dropped with a (throttled) ACK. */
    if (!ack_acceptable(c, seg)) {
        tcp_challenge_ack(st, c);
        return 1;
    }
    tcp_ack_received(st, c, seg);
    int fin_acked = c->fin_queued && nst_seq_gt(c->snd_una, tcp_fin_seq(c));
    if (!fin_acked)
        return 0;
    switch (c->state) {
    case NST_TCPS_FIN_WAIT_1:
        tcp_set_state(st, c, NST_TCPS_FIN_WAIT_2);
        if (c->orphan)
            tcp_fin_wait2_arm(st, c);
        tcp_notify(st, c);
        return 0;
    case NST_TCPS_CLOSING:
        tcp_enter_time_wait(st, c);
        return 1;
    case NST_TCPS_LAST_ACK:
        tcp_drop(st, c, 0);
        return 1;
    default:
        return 0;
    }
}

/* Simultaneous open (RFC 9293 figure 7, line 6): the peer's SYN,ACK
 * repeats its SYN, which we hold already, and acknowledges ours. Only its
 * ACK is news: returns seg rewritten as that ACK (in *copy), or seg. */
static const struct tcp_seg *simultaneous_synack(const struct nst_tcp_conn *c, const struct tcp_seg *seg,
                                                 struct tcp_seg *copy)
{
    uint8_t f = seg->h.flags;
    if (c->state != NST_TCPS_SYN_RECEIVED || c->passive || (f & (NST_TCP_SYN | NST_TCP_ACK | NST_TCP_RST)) !=
                                                             (NST_TCP_SYN | NST_TCP_ACK) || seg->h.seq != c->irs)
        return seg;
    *copy = *seg;
    copy->h.flags &= (uint8_t)~NST_TCP_SYN;
    copy->h.seq = c->irs + 1;
    copy->len = 0;
    return copy;
}

/* A keepalive probe is an out-of-window segment without data: it is
 * answered, unless it comes twice within TCP_OOW_ACK_INTERVAL. */
static void out_of_window(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (seg->h.flags & NST_TCP_RST)
        return;
    if (nst_seq_leq(seg->h.seq + tcp_seg_len(seg), c->rcv_nxt))
        NST_STAT_INC(st, tcp, rx_duplicate);
    else
        NST_STAT_INC(st, tcp, rx_out_of_window);
    if (seg->h.flags & NST_TCP_SYN) {
        /* RFC 5961 4.2: a SYN, whatever its sequence number, draws a
         * challenge ACK, and RFC 5961 7 throttles those. */
        tcp_challenge_ack(st, c);
        return;
    }
    dsack_note_old(c, seg);
    if (tcp_seg_len(seg) == 0 && !oow_ack_allowed(st, &c->last_oow_ack))
        return;
    c->ack_now = 1;
    tcp_output(st, c);
}

/* RFC 9293 3.10.7.4 first: check the sequence number. Returns 0 if the
 * segment is done with, 1 to go on; *text_ok says whether its text and
 * FIN may be taken. */
static int sequence_check(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, int *text_ok)
{
    uint8_t f = seg->h.flags;
    uint32_t wnd = rcv_window(c);
    *text_ok = 1;
    if (seq_acceptable(c, seg, wnd))
        return 1;
    if (wnd == 0 && seg->h.seq == c->rcv_nxt && !(f & (NST_TCP_RST | NST_TCP_SYN))) {
        /* With a zero window, still take the ACK (and answer the probe),
         * not the text; a FIN alone needs no buffer space and is taken (as
         * Linux does). */
        *text_ok = seg->len == 0;
        c->ack_now = 1;
        if (seg->len)
            NST_STAT_INC(st, tcp, rx_out_of_window);
        return 1;
    }
    out_of_window(st, c, seg);
    return 0;
}

static void synchronized_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    struct tcp_seg copy;
    seg = simultaneous_synack(c, seg, &copy);
    uint8_t f = seg->h.flags;
    /* A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost; send it
     * again rather than a bare ACK the peer in SYN-SENT would drop. */
    if (c->state == NST_TCPS_SYN_RECEIVED && (f & NST_TCP_SYN) && !(f & (NST_TCP_ACK | NST_TCP_RST)) &&
        seg->h.seq == c->irs) {
        c->syn_retransmitted = 1;
        tcp_send_syn(st, c);
        return;
    }
    int text_ok;
    if (paws_reject(st, c, seg) || !sequence_check(st, c, seg, &text_ok))
        return;
    if (f & NST_TCP_RST) {
        rst_input(st, c, seg);
        return;
    }
    if (f & NST_TCP_SYN) {
        /* fourth: RFC 9293 and RFC 5961 4.2. */
        if (c->state == NST_TCPS_SYN_RECEIVED && c->passive) {
            tcp_drop(st, c, 0); /* back to LISTEN: forget the embryo */
            return;
        }
        tcp_challenge_ack(st, c);
        return;
    }
    if (!(f & NST_TCP_ACK))
        return;
    /* A segment whose ACK will be refused must not move TS.Recent: a blind
     * attacker could push it far ahead and PAWS would then drop every
     * segment of the real peer (RFC 7323 4.3 read with RFC 5961 5.2). */
    if (c->state == NST_TCPS_SYN_RECEIVED || ack_acceptable(c, seg)) {
        ts_update(st, c, seg);
        peer_alive(st, c);
    }
    uint32_t flight = c->state == NST_TCPS_SYN_RECEIVED ? 0 : tcp_flight(c);
    if (ack_input(st, c, seg))
        return;
    tcp_ecn_input(st, c, seg, flight); /* RFC 3168 6.1.2, 6.1.3 */
    if (text_ok)
        urg_input(st, c, seg);
    if (text_ok && text_and_fin(st, c, seg->h.seq, seg->data, seg->len, (f & NST_TCP_FIN) != 0, seg->placed))
        return;
    tcp_output(st, c);
}

void tcp_conn_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    c->dsack_pending = 0; /* a D-SACK speaks of the segment being processed only */
    c->segs_in++;
    if (c->state == NST_TCPS_SYN_SENT)
        syn_sent_input(st, c, seg);
    else if (c->state != NST_TCPS_CLOSED && c->state != NST_TCPS_LISTEN)
        synchronized_input(st, c, seg);
}

/* ---- demultiplexing ------------------------------------------------------------- */

/* RFC 9293 3.1: the checksum covers the pseudo-header, the header and the
 * data. For the segments parse_segment refuses: checked at once. */
static int checksum_ok(const struct tcp_seg *seg, const uint8_t *buf, size_t len)
{
    if (len > 0xffff)
        return 0;
    uint32_t sum = tcp_pseudo_sum(&seg->src, &seg->dst, (uint32_t)len);
    return nst_csum_finish(nst_csum_add(sum, buf, len)) == 0;
}

/* The addresses as TCP holds them (IPv4 mapped), the interface and the
 * ECN field (RFC 3168 5). 0, or -1 for an address no connection may have:
 * RFC 1122 4.2.3.10 broadcast or multicast (RFC 4291 2.7: no IPv6
 * multicast either), or an unspecified source. */
static int seg_addresses(struct nst_stack *st, const struct nst_ip_rx *rx, struct tcp_seg *seg)
{
    seg->family = rx->family;
    seg->ifindex = (uint8_t)rx->ifindex;
    if (rx->family == 6) {
        seg->src = rx->hdr6.src;
        seg->dst = rx->hdr6.dst;
        seg->ecn = rx->hdr6.tclass & NST_ECN_MASK;
        return nst_ip6_is_multicast(&seg->src) || nst_ip6_is_multicast(&seg->dst) ||
                       nst_ip6_is_unspecified(&seg->src) || nst_ip6_is_v4mapped(&seg->src) ||
                       nst_ip6_is_v4mapped(&seg->dst)
                   ? -1
                   : 0;
    }
    nst_ip6_from_ip4(rx->hdr.src, &seg->src);
    nst_ip6_from_ip4(rx->hdr.dst, &seg->dst);
    seg->ecn = rx->hdr.tos & NST_ECN_MASK;
    return nst_ip_is_broadcast_or_multicast(st, rx->hdr.dst) || nst_ip_is_broadcast_or_multicast(st, rx->hdr.src)
               ? -1
               : 0;
}

/* Parses the header. The checksum is checked later (segment_intact), in
 * the same pass as the copy into a receive ring where it can be; a segment
 * refused here is checked first, so that it is counted as a bad checksum
 * whenever it has one, as if the checksum were verified before anything. */
static int parse_segment(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *buf, size_t len,
                         struct tcp_seg *seg)
{
    int bad_addr = seg_addresses(st, rx, seg);
    int hl = nst_tcp_parse(buf, len, 0, 0, &seg->h, 0);
    if (hl < 0) {
        if (hl != -NST_TCP_ERR_TRUNCATED && hl != -NST_TCP_ERR_OFFSET && !checksum_ok(seg, buf, len))
            NST_STAT_INC(st, tcp, rx_bad_checksum);
        else
            NST_STAT_INC(st, tcp, rx_malformed);
        return -1;
    }
    /* RFC 1122 4.2.3.10: no connection involves a broadcast or multicast
     * address; port 0 is not a port (RFC 9293 3.1). */
    if (bad_addr || seg->h.src_port == 0 || seg->h.dst_port == 0) {
        if (!checksum_ok(seg, buf, len))
            NST_STAT_INC(st, tcp, rx_bad_checksum);
        else
            NST_STAT_INC(st, tcp, rx_malformed);
        return -1;
    }
    seg->data = buf + hl;
    seg->len = (uint32_t)(len - (size_t)hl);
    seg->placed = 0;
    return 0;
}

/* Would c take seg's payload in order, all of it, as things stand? Then it
 * can be copied into the receive ring before the segment is processed. */
static int can_place(const struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    return seg->len > 0 && text_state(c) && !c->orphan && (f & NST_TCP_ACK) && !(f & (NST_TCP_SYN | NST_TCP_RST)) &&
           seg->h.seq == c->rcv_nxt && !c->ooo && c->rcvbuf.pending_end == 0 && seg->len <= rcv_window(c) &&
           seg->len <= nst_ring_space(&c->rcvbuf);
}

/* Copies seg's payload into c's receive ring, right after the readable
 * bytes (not readable yet), and returns its checksum; seg->placed says it
 * was done. Falls back to summing in place if the ring has no storage. */
static uint32_t place_payload(struct nst_tcp_conn *c, struct tcp_seg *seg)
{
    struct nst_ring_span sp[2];
    if (nst_ring_reserve(&c->rcvbuf, seg->len) < 0)
        return nst_csum_add(0, seg->data, seg->len);
    unsigned n = nst_ring_spans(&c->rcvbuf, nst_ring_len(&c->rcvbuf), seg->len, sp);
    uint32_t sum = 0;
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        sum = nst_csum_block_add(sum, nst_csum_copy(0, sp[i].p, seg->data + at, sp[i].n), at);
        at += sp[i].n;
    }
    seg->placed = 1;
    return sum;
}

/* RFC 9293 3.1: a segment whose checksum fails is dropped before it can
 * change anything. Where c would take the payload in order, it is summed
 * while being copied into c's receive ring (one pass over the data instead
 * of two); bytes placed there stay unreadable until the segment has been
 * accepted, so a bad segment leaves no trace. */
static int segment_intact(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_seg *seg, const uint8_t *buf,
                          size_t len)
{
    size_t hl = len - seg->len;
    if (len > 0xffff)
        return 0;
    uint32_t sum = nst_csum_fold(tcp_pseudo_sum(&seg->src, &seg->dst, (uint32_t)len) + nst_csum_header(buf, hl));
    uint32_t payload = c && can_place(c, seg) ? place_payload(c, seg) : nst_csum_add(0, seg->data, seg->len);
    if (nst_csum_finish(nst_csum_block_add(sum, payload, hl)) == 0)
        return 1;
    if (seg->placed) {
        seg->placed = 0;
        nst_ring_release_if_idle(&c->rcvbuf);
    }
    NST_STAT_INC(st, tcp, rx_bad_checksum);
    return 0;
}

static struct nst_tcp_conn *conn_lookup(struct nst_stack *st, const struct tcp_seg *seg,
                                        const struct nst_tcp_tuple *t, uint64_t *h)
{
    /* Compared with the segment's own fields, not with t just built on the
     * stack: loading t's two 16-bit ports as one word right after storing
     * them would stall the CPU (store forwarding) on every segment. */
    struct nst_tcp_conn *c = st->tcp->rx_last;
    if (c && c->t.lport == seg->h.dst_port && c->t.rport == seg->h.src_port && nst_ip6_eq(&c->t.raddr, &seg->src) &&
        nst_ip6_eq(&c->t.laddr, &seg->dst))
        return c;
    *h = tcp_tuple_hash(st, t);
    c = tcp_conn_lookup_hashed(st, t, *h);
    if (c)
        st->tcp->rx_last = c;
    return c;
}

static void tcp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *buf, size_t len)
{
    struct tcp_seg seg;
    NST_STAT_INC(st, tcp, rx_segments);
    if (parse_segment(st, rx, buf, len, &seg) < 0)
        return;
    struct nst_tcp_tuple t = {
        .laddr = seg.dst, .raddr = seg.src, .lport = seg.h.dst_port, .rport = seg.h.src_port};
    uint64_t h = 0;
    struct nst_tcp_conn *c = conn_lookup(st, &seg, &t, &h);
    seg.tuple_hash = h;
    if (!segment_intact(st, c, &seg, buf, len))
        return;
    if (c) {
        tcp_conn_input(st, c, &seg);
        /* Placed bytes the segment's processing did not take: an idle ring
         * gives back the storage it took for them. c is alive if it is
         * still the cached connection (leaving the table clears it). */
        if (seg.placed && st->tcp->rx_last == c)
            nst_ring_release_if_idle(&c->rcvbuf);
        return;
    }
    uint32_t isn, *isn_hint = NULL;
    struct nst_tcp_tw *tw = tcp_tw_lookup_hashed(st, &t, h);
    if (tw) {
        if (!tcp_tw_accepts_syn(st, tw, &seg, &isn)) {
            tcp_tw_input(st, tw, &seg);
            return;
        }
        tcp_tw_free(st, tw);
        isn_hint = &isn;
    }
    struct nst_tcp_conn *l = tcp_listener_lookup(st, &seg.dst, seg.h.dst_port);
    if (l) {
        tcp_listen_input(st, l, &seg, isn_hint);
        return;
    }
    /* RFC 9293 3.10.7.1: CLOSED. */
    NST_STAT_INC(st, tcp, rx_no_socket);
    tcp_send_reset_for(st, &seg);
}

void nst_tcp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *buf, size_t len)
{
    if (!st->tcp)
        return;
    tcp_input(st, rx, buf, len);
    tcp_notify_flush(st);
}
