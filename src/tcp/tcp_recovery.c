/* What an ACK does on the sending side: advance SND.UNA, free the send
 * ring, take an RTT sample (RFC 6298, Karn), update the send window (RFC
 * 9293 3.10.7.4), grow cwnd through the congestion control module, and
 * detect and repair losses: fast retransmit and NewReno recovery (RFC 5681,
 * RFC 6582), SACK-based recovery (RFC 6675), limited transmit (RFC 3042). */
#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_rack.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

uint32_t tcp_send_window(const struct nst_tcp_conn *c)
{
    uint32_t w = c->cc.cwnd;
    /* RFC 3042 2: on the first and second duplicate ACK, up to cwnd + 2*SMSS
     * may be outstanding (new data only: the window test does that, since
     * snd_nxt == snd_max outside recovery). */
    if (c->ca_state == NST_TCP_CA_DISORDER && c->dupacks > 0 && c->dupacks < NST_DUPTHRESH)
        w += NST_MIN(c->dupacks, 2u) * c->mss;
    return w;
}

/* ---- the SACK scoreboard -------------------------------------------------------- */

/* Does [start, end) reach into [SND.UNA, SND.MAX), where nst_sack_add
 * records blocks? */
static int sack_block_news(const struct nst_tcp_conn *c, uint32_t start, uint32_t end)
{
    if (!nst_seq_lt(start, end))
        return 0;
    return nst_seq_lt(nst_seq_max(start, c->snd_una), nst_seq_min(end, c->snd_max));
}

/* Records [start, end) on the board; during F-RTO, the part at or above
 * `recover` is added (and counted) apart, for RFC 5682 3.1 step 3. */
static void sack_record(struct nst_tcp_conn *c, uint32_t start, uint32_t end, struct tcp_ack_news *n)
{
    if (!c->frto || !nst_seq_lt(start, c->recover) || !nst_seq_gt(end, c->recover)) {
        uint32_t added = nst_sack_add(c->sack, start, end, c->snd_una, c->snd_max);
        n->newly_sacked += added;
        if (c->frto && nst_seq_geq(start, c->recover))
            n->newly_sacked_above += added;
        return;
    }
    n->newly_sacked += nst_sack_add(c->sack, start, c->recover, c->snd_una, c->snd_max);
    uint32_t above = nst_sack_add(c->sack, c->recover, end, c->snd_una, c->snd_max);
    n->newly_sacked += above;
    n->newly_sacked_above += above;
}

static void sack_update(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg,
                        struct tcp_ack_news *n)
{
    if (!c->sack_ok)
        return;
    unsigned first = 0;
    if (tcp_dsack_in(seg)) {
        /* RFC 2883 5: a D-SACK block reports a duplicate, not data held
         * above the cumulative ACK: it stays off the scoreboard. */
        n->dsack = 1;
        tcp_dsack_received(st, c, seg->h.opts.sack[0].start, seg->h.opts.sack[0].end);
        first = 1;
    }
    for (unsigned i = first; i < seg->h.opts.sack_count; i++) {
        uint32_t start = seg->h.opts.sack[i].start, end = seg->h.opts.sack[i].end;
        /* The board is allocated for the first block that reports data
         * above SND.UNA. */
        if (!c->sack && (!sack_block_news(c, start, end) || !(c->sack = nst_sack_new())))
            continue;
        sack_record(c, start, end, n);
        tcp_rack_sacked(st, c, start, end, seg); /* RFC 8985 6.2: the deliveries it reports */
    }
    if (c->sack && c->sack->n == 0)
        tcp_sack_release(c);
}

/* RFC 6675 NextSeg (3): the first unSACKed sequence at or above `from`
 * (3.a: above HighRxt) and below the highest SACKed octet (3.b); 0 if none. */
static int first_unsacked(const struct nst_tcp_conn *c, uint32_t from, uint32_t *seq, uint32_t *len)
{
    const struct nst_sack_board *sb = tcp_sack_board(c);
    if (sb->n == 0)
        return 0;
    uint32_t a = from;
    for (unsigned i = 0; i < sb->n; i++) {
        uint32_t b = sb->b[i].start;
        if (nst_seq_lt(a, b)) {
            *seq = a;
            *len = NST_MIN(b - a, (uint32_t)c->mss);
            return 1;
        }
        a = nst_seq_max(a, sb->b[i].end);
    }
    return 0;
}

/* RFC 6675 4 NextSeg (4.a): the rescue retransmission, one segment
 * ending at the highest outstanding unSACKed octet. */
static int rescue_segment(const struct nst_tcp_conn *c, uint32_t *seq, uint32_t *len)
{
    const struct nst_sack_board *sb = tcp_sack_board(c);
    uint32_t end = c->snd_max;
    for (unsigned i = sb->n; i-- > 0;) {
        if (sb->b[i].end != end)
            break;
        end = sb->b[i].start;
    }
    if (!nst_seq_gt(end, c->snd_una))
        return 0;
    uint32_t start = end - c->snd_una > c->mss ? end - c->mss : c->snd_una;
    *seq = start;
    *len = end - start;
    return 1;
}

/* RFC 8985 (section 3.4: RACK marks, the recovery repairs) with RFC 6675 5 (C): the same loop with RACK's loss marks
 * in place of IsLost and the pipe they give: what RACK deems lost first,
 * then new data. No rescue: a lost tail is TLP's. A connection that paces
 * paces its retransmissions too (as Linux's tcp_xmit_retransmit_queue,
 * which stops at tcp_pacing_check): the pacing timer comes back for the
 * next; so does the retransmission that starts recovery (rtx_owed), which
 * the window does not hold back. */
static unsigned rack_recovery_send(struct nst_stack *st, struct nst_tcp_conn *c)
{
    unsigned sent = 0;
    for (unsigned guard = 0; guard < 4096; guard++) {
        uint32_t pipe = tcp_rack_pipe(c);
        int owed = c->rack && c->rack->rtx_owed;
        if (!owed && (c->cc.cwnd <= pipe || c->cc.cwnd - pipe < c->mss))
            break;
        if (tcp_pace_of(c) && tcp_pace_hold(st, c))
            break;
        uint32_t seq, len;
        if (owed)
            c->rack->rtx_owed = 0;
        if (tcp_rack_next_lost(c, &seq, &len)) {
            if (!tcp_retransmit(st, c, seq, len))
                break;
        } else if (owed) {
            continue; /* nothing left to repair: the window decides */
        } else if (!tcp_send_new(st, c, c->mss)) {
            break;
        }
        sent++;
    }
    return sent;
}

unsigned tcp_sack_recovery_send(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, send what NextSeg says. */
    if (tcp_rack_active(c))
        return rack_recovery_send(st, c);
    unsigned sent = 0;
    for (unsigned guard = 0; guard < 4096; guard++) {
        uint32_t pipe = nst_sack_pipe(tcp_sack_board(c), c->snd_una, c->snd_max, c->high_rxt, c->mss);
        if (c->cc.cwnd <= pipe || c->cc.cwnd - pipe < c->mss)
            break;
        if (tcp_pace_of(c) && tcp_pace_hold(st, c))
            break; /* the pacing timer comes back */
        uint32_t seq, len, n;
        uint32_t from = nst_seq_max(c->snd_una, c->high_rxt);
        /* (1) the first lost, unSACKed segment above HighRxt */
        if (nst_sack_next_lost(tcp_sack_board(c), c->snd_una, c->high_rxt, c->snd_max, c->mss, &seq, &len)) {
            if (!(n = tcp_retransmit(st, c, seq, len)))
                break;
            c->high_rxt = seq + n;
            sent++;
            continue;
        }
        /* (2) new data, if the receiver's window allows */
        if (tcp_send_new(st, c, c->mss)) {
            sent++;
            continue;
        }
        /* (3) an unSACKed segment above HighRxt, below the highest SACKed
         * octet, keeps the ACK clock going */
        if (first_unsacked(c, from, &seq, &len)) {
            if (!(n = tcp_retransmit(st, c, seq, len)))
                break;
            c->high_rxt = seq + n;
            sent++;
            continue;
        }
        /* (4) once per recovery, after a partial ACK: the rescue */
        if (!c->rescue_done && nst_seq_gt(c->snd_una, c->rescue_rxt) && rescue_segment(c, &seq, &len)) {
            if (!tcp_retransmit(st, c, seq, len))
                break;
            c->rescue_rxt = c->recover;
            c->rescue_done = 1;
            sent++;
            continue;
        }
        break;
    }
    return sent;
}

/* ---- entering and leaving recovery ------------------------------------------------ */

/* What every fast recovery starts with, whoever detected the loss. */
static void recovery_begin(struct nst_stack *st, struct nst_tcp_conn *c)
{
    uint32_t flight = tcp_flight(c);
    c->recover = c->snd_max;
    /* RFC 3168 6.1.2: not a second reduction in a window already halved
     * for an ECN-Echo. */
    if (tcp_ecn_loss_reduction(c))
        c->cc.ops->cong_signal(&c->cc, NST_CC_SIG_FAST_RECOVERY, flight, st->now);
    c->ca_state = NST_TCP_CA_RECOVERY;
    c->n_fast_retrans++;
    NST_STAT_INC(st, tcp, fast_retransmits);
    tcp_rtx_episode_begin(c); /* RFC 3708 3 */
}

static void enter_recovery(struct nst_stack *st, struct nst_tcp_conn *c)
{
    recovery_begin(st, c);
    uint32_t n = tcp_retransmit(st, c, c->snd_una, c->mss);
    if (c->sack_ok) {
        /* RFC 6675 5 (4.2, 4.3): cwnd = ssthresh; HighRxt and RescueRxt
         * at the end of the retransmitted segment. */
        NST_STAT_INC(st, tcp, sack_recoveries);
        c->sack_recovery = 1;
        c->cc.cwnd = c->cc.ssthresh;
        c->high_rxt = c->snd_una + n;
        c->rescue_rxt = c->high_rxt;
        c->rescue_done = 0;
    } else {
        /* RFC 6582 3.2 step 2 / RFC 5681 3.2 step 3: cwnd = ssthresh + 3*SMSS
         * (the three segments the duplicate ACKs say have left). */
        c->sack_recovery = 0;
        c->cc.cwnd = c->cc.ssthresh + 3u * c->mss;
    }
}

/* RFC 8985 6.2 step 5 marked segments lost outside recovery: fast
 * recovery (RFC 6675 5 with RACK's marks), the first lost segment
 * retransmitted at once, as a fast retransmit would. */
void tcp_rack_enter_recovery(struct nst_stack *st, struct nst_tcp_conn *c)
{
    recovery_begin(st, c);
    NST_STAT_INC(st, tcp, sack_recoveries);
    c->sack_recovery = 1;
    c->cc.cwnd = c->cc.ssthresh;
    c->high_rxt = c->snd_una;
    c->rescue_done = 1;
    /* RFC 5681 3.2 step 2: the first lost segment goes at once whatever
     * the window (at its departure time if the connection paces). */
    c->rack->rtx_owed = 1;
    rack_recovery_send(st, c);
}

static void exit_recovery(struct nst_stack *st, struct nst_tcp_conn *c)
{
    tcp_rack_recovery_done(c); /* RFC 8985 6.2 step 4 */
    c->cc.ops->post_recovery(&c->cc, tcp_flight(c), st->now);
    c->ca_state = NST_TCP_CA_OPEN;
    c->sack_recovery = 0;
    c->dupacks = 0;
}

void tcp_recovery_on_rto(struct nst_stack *st, struct nst_tcp_conn *c)
{
    tcp_frto_on_rto(st, c); /* RFC 5682 step 1: decided on the state before the timeout */
    tcp_rtx_episode_begin(c); /* RFC 3708 3 */
    /* RFC 6582 4.2 / RFC 6675 5.1: after a timeout, recover = HighData, so
     * duplicate ACKs for data sent before it do not start a fast
     * retransmit. */
    c->ca_state = NST_TCP_CA_LOSS;
    c->sack_recovery = 0;
    c->dupacks = 0;
    c->recover = c->snd_max;
    c->high_rxt = c->snd_una;
    /* RFC 6675 5.1 lets the scoreboard outlive the timeout (Linux keeps
     * it): the retransmissions that follow skip what the receiver reported
     * holding (tcp_output.c). RFC 2018 8: a receiver may renege, though; the
     * ACK that shows it clears the board (sack_reneged), and so does a
     * timeout repeated for the same data, which the first retransmission
     * did not repair: the board is then no longer trusted. */
    if (c->rtt.backoff > 0) {
        tcp_sack_release(c);
        tcp_rack_sack_reset(c);
    }
    tcp_rack_on_rto(st, c);
}

/* ---- duplicate and new ACKs -------------------------------------------------------- */

/* The definition of a duplicate ACK: RFC 5681 2 (no data, no SYN/FIN, the
 * same ACK and the same window while data is outstanding), or RFC 6675 2:
 * an ACK whose SACK blocks report octets not SACKed before, whatever its
 * window — a receiver such as Linux opens its window a little on almost
 * every ACK, and without this no loss would be detected before the RTO. */
static int is_dupack(const struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t wnd,
                     const struct tcp_ack_news *n)
{
    if (c->snd_max == c->snd_una || seg->h.ack != c->snd_una)
        return 0;
    if (n->newly_sacked > 0)
        return 1;
    /* RFC 2883 5 with RFC 6675 2: an ACK whose SACK information reports
     * only a duplicate (a D-SACK, drawn by a segment that arrived twice)
     * identifies no un-SACKed octet: no sign of loss, not a duplicate ACK. */
    if (n->dsack)
        return 0;
    /* A zero window means persist probing: answers to probes are not
     * duplicate ACKs (nothing was lost). */
    return seg->len == 0 && !(seg->h.flags & (NST_TCP_SYN | NST_TCP_FIN)) && wnd == c->snd_wnd && wnd != 0;
}

static void dupack(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->dupacks++;
    if (c->ca_state == NST_TCP_CA_RECOVERY) {
        /* RFC 5681 3.2 step 4: each further duplicate ACK inflates cwnd by
         * SMSS (a segment has left). SACK recovery counts the pipe instead. */
        if (!c->sack_recovery)
            c->cc.cwnd += c->mss;
        return;
    }
    /* With RACK, time decides (tcp_rack_ack), not the count; but duplicate
     * ACKs that carry no SACK information at all give RACK nothing to time
     * (a peer that stopped sending blocks): DupThresh then, as RFC 6675. */
    int lost;
    if (tcp_rack_active(c))
        lost = c->dupacks >= NST_DUPTHRESH && !c->sack;
    else
        lost = c->dupacks >= NST_DUPTHRESH || (c->sack_ok && nst_sack_is_lost(tcp_sack_board(c), c->snd_una, c->mss));
    /* RFC 6582 3.2 step 1: no second fast retransmit for losses in the
     * window that the last recovery (or RTO) already dealt with. */
    if (lost && nst_seq_geq(c->snd_una, c->recover)) {
        enter_recovery(st, c);
        return;
    }
    if (c->ca_state == NST_TCP_CA_OPEN)
        c->ca_state = NST_TCP_CA_DISORDER;
}

/* RFC 6582 3.2 step 5: a partial ACK in NewReno recovery. */
static void partial_ack(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t acked)
{
    if (c->sack_recovery)
        return; /* RFC 6675: the scoreboard and pipe take care of it */
    tcp_retransmit(st, c, c->snd_una, c->mss);
    /* Deflate by the amount acknowledged, add back one SMSS if at least
     * one SMSS was acknowledged. */
    c->cc.cwnd = c->cc.cwnd > acked ? c->cc.cwnd - acked : 0;
    if (acked >= c->mss)
        c->cc.cwnd += c->mss;
    if (c->cc.cwnd < c->mss)
        c->cc.cwnd = c->mss;
}

/* RFC 7323 4.1 (RTTM): an ACK that advances SND.UNA and echoes one of our
 * TSvals measures an RTT, at the timestamp clock's millisecond; 0 if it
 * does not (or measures less than a millisecond). Only congestion control
 * takes these per-ACK samples (HyStart++ needs several a round, RFC 9406
 * 4.2); the RTO estimator keeps its one timed segment per RTT. */
static nst_time_t ts_rtt_sample(const struct nst_stack *st, const struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (!c->ts_ok || !seg->h.opts.has_ts || seg->h.opts.ts_ecr == 0)
        return 0;
    uint32_t ms = tcp_ts_now(st, c->ts_offset) - seg->h.opts.ts_ecr;
    return ms < (1u << 31) ? NST_MSEC((nst_time_t)ms) : 0;
}

static void new_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t ack = seg->h.ack;
    uint32_t acked = ack - c->snd_una;
    uint32_t flight_before = tcp_flight(c);
    nst_time_t sample = 0;
    /* RFC 6298 2 and 3 (Karn): one timed segment, never a retransmitted one. */
    if (c->rtt_timing && nst_seq_geq(ack, c->rtt_seq)) {
        sample = st->now - c->rtt_start;
        nst_rtt_sample(&c->rtt, sample);
        c->rtt_timing = 0;
    }
    if (!sample)
        sample = ts_rtt_sample(st, c, seg);
    tcp_rack_acked(st, c, ack, seg); /* RFC 8985 6.2 */
    if (nst_seq_gt(ack, c->snd_buf_seq)) {
        size_t n = NST_MIN((size_t)(ack - c->snd_buf_seq), nst_ring_len(&c->sndbuf));
        nst_ring_consume(&c->sndbuf, n);
        c->snd_buf_seq += (uint32_t)n;
        c->bytes_acked += n;
    }
    c->snd_una = ack;
    if (nst_seq_lt(c->snd_nxt, c->snd_una))
        c->snd_nxt = c->snd_una;
    if (nst_seq_lt(c->high_rxt, c->snd_una))
        c->high_rxt = c->snd_una;
    if (c->sack) {
        nst_sack_advance(c->sack, ack);
        /* RFC 2018 8: an ACK that stops at the start of a SACKed block
         * says the receiver threw that block away (it would acknowledge it
         * otherwise); and when everything reported is acknowledged the
         * board goes back to its idle size. */
        if (c->sack->n == 0 || c->sack->b[0].start == ack) {
            if (c->sack->n) {
                NST_STAT_INC(st, tcp, sack_reneged);
                tcp_rack_sack_reset(c);
            }
            tcp_sack_release(c);
        }
    }
    if (c->ca_state == NST_TCP_CA_RECOVERY) {
        if (nst_seq_geq(ack, c->recover))
            exit_recovery(st, c); /* RFC 6582 3.2 step 3 / RFC 6675 5 (A): full ACK */
        else
            partial_ack(st, c, acked);
    } else {
        if (c->ca_state != NST_TCP_CA_LOSS || nst_seq_geq(ack, c->recover))
            c->ca_state = NST_TCP_CA_OPEN;
        c->dupacks = 0;
        c->cc.ops->ack_received(&c->cc, acked, flight_before, sample, c->rtt.srtt, st->now);
    }
    /* RFC 6298 5.2 / 5.3 */
    tcp_rtx_restart(st, c);
    tcp_notify(st, c);
}

static void window_update(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t wnd)
{
    /* RFC 9293 3.10.7.4: only a segment newer than the one that last set
     * the window may set it (SND.WL1, SND.WL2). */
    if (!(nst_seq_lt(c->snd_wl1, seg->h.seq) || (c->snd_wl1 == seg->h.seq && nst_seq_leq(c->snd_wl2, seg->h.ack))))
        return;
    uint32_t old = c->snd_wnd;
    c->snd_wnd = wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = seg->h.ack;
    if (wnd > c->max_snd_wnd)
        c->max_snd_wnd = wnd;
    if (old == 0 && wnd > 0) {
        /* The window opened: stop probing; a probe octet the receiver did
         * not take goes again as ordinary data. */
        nst_timer_cancel(st, &c->t_persist);
        c->persist_shift = 0;
        if (nst_seq_gt(c->snd_nxt, c->snd_una) && !nst_timer_armed(&c->t_rtx))
            c->snd_nxt = c->snd_una;
    }
}

void tcp_ack_received(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t ack = seg->h.ack;
    uint32_t wnd = (uint32_t)seg->h.window << c->snd_wscale;
    struct tcp_ack_news n = {.una_before = c->snd_una};
    uint32_t flight_before = tcp_rate_of(c) ? tcp_rate_in_flight(c) : 0;
    tcp_rack_ack_begin(c); /* RFC 8985 6.2 step 3 */
    sack_update(st, c, seg, &n);
    if (nst_seq_gt(ack, c->snd_una)) {
        new_ack(st, c, seg);
        /* RFC 4861 7.3.1: new data acknowledged is forward progress: the
         * neighbour is reachable, no probe needed (IPv4 has no such hint). */
        if (seg->family == 6)
            nst_nd_confirm(st, seg->ifindex, &c->t.raddr);
    } else {
        n.dupack = (uint8_t)is_dupack(c, seg, wnd, &n);
        if (n.dupack)
            dupack(st, c);
    }
    window_update(st, c, seg, wnd);
    tcp_rack_ack(st, c, seg, &n); /* RFC 8985 6.2 steps 4, 5; 7.4 */
    /* RFC 5682 steps 2 and 3 need the new window (step 2 sends new data). */
    if (c->frto)
        tcp_frto_ack(st, c, &n);
    tcp_rtx_episode_check(st, c);
    if (tcp_plp_of(c))
        tcp_plp_ack(st, c); /* RFC 4821 7.6.1: a probe acknowledged */
    if (tcp_rate_of(c)) /* a module with cong_control (BBR) takes its sample */
        tcp_rate_on_ack(st, c, seg, n.una_before, flight_before);
}
