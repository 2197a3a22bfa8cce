/* RACK-TLP (RFC 8985): loss detection by time rather than by counting.
 *
 * RACK ("recent acknowledgment") remembers when each segment was sent.
 * When the receiver reports (by SACK or a cumulative ACK) a segment sent
 * at time T, any segment sent sufficiently earlier than T and still not
 * delivered is deemed lost: "sufficiently" is the RTT of that delivery plus
 * a reordering window (a quarter of the minimum RTT, widened when D-SACKs
 * show retransmissions were needless, RFC 8985 6.2 step 4). A retransmission
 * is one more transmission, with its own time: when it is lost too, RACK
 * finds out the same way, without waiting for the RTO.
 *
 * TLP ("tail loss probe", RFC 8985 7): when the last segments of a flight
 * are lost, no ACK comes to run RACK on. Two smoothed RTTs after the last
 * transmission (the PTO, below the RTO), one segment goes out -- new data
 * if there is some, else the last segment again -- to draw an ACK whose
 * SACK lets RACK repair the tail by fast recovery instead of a timeout.
 *
 * nstack runs RACK when SACK was negotiated and cfg.tcp.rack (or the
 * socket's NST_TCP_RACK) is on, as Linux's tcp_recovery = 1; it then
 * replaces RFC 6675's DupThresh rule as the trigger of fast recovery, and
 * its loss marks choose what the recovery retransmits (tcp_recovery.c).
 * The retransmission timer (t_rtx) is armed for the RTO, the reordering
 * timeout or the PTO, whichever applies (RFC 8985 6.3, 7.2). */
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_rack.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

/* RFC 8985 7.2: the worst-case delayed ACK timer added to the PTO when a
 * single segment is in flight (the receiver may hold its ACK that long). */
#define TLP_WCDELACK NST_MSEC(200)
/* With more in flight, a little slack as Linux adds (TCP_TIMEOUT_MIN):
 * where the RTT is microseconds (a veth, a LAN), 2 SRTT is shorter than
 * the time an ACK already received waits to be processed, and the probe
 * would go for nothing. */
#define TLP_SLACK NST_MSEC(2)
/* RFC 8985 6.2 step 4: how many recoveries a widened window outlives. */
#define REO_WND_PERSIST 16
/* RFC 8985 6.2 step 2: the window of the minimum RTT filter (Linux: 5 min). */
#define MIN_RTT_WINDOW NST_SEC(300)

int tcp_rack_active(const struct nst_tcp_conn *c) { return c->rack_on && c->sack_ok; }

static struct tcp_rack *rack_get(struct nst_tcp_conn *c)
{
    if (!c->rack && tcp_rack_active(c)) {
        c->rack = calloc(1, sizeof(*c->rack));
        if (c->rack) {
            c->rack->reo_wnd_mult = 1;
            c->rack->fack = c->snd_una;
            c->rack->ack_prior_fack = c->snd_una;
        }
    }
    return c->rack;
}

void tcp_rack_release(struct nst_tcp_conn *c)
{
    if (!c->rack)
        return;
    free(c->rack->seg);
    free(c->rack);
    c->rack = NULL;
}

/* ---- the transmission log ------------------------------------------------------ */

static struct tcp_rack_seg *seg_at(struct tcp_rack *r, uint32_t i) { return &r->seg[r->head + i]; }

static uint32_t seg_len(const struct tcp_rack_seg *s) { return s->end - s->start; }

/* Bytes that count as lost / SACKed, kept in step with the flags. */
static void account(struct tcp_rack *r, const struct tcp_rack_seg *s, int sign)
{
    uint32_t len = seg_len(s);
    if (s->flags & TCP_RACK_SACKED)
        r->sacked_bytes += sign > 0 ? len : -len;
    else if (s->flags & TCP_RACK_LOST)
        r->lost_bytes += sign > 0 ? len : -len;
}

static void set_flags(struct tcp_rack *r, struct tcp_rack_seg *s, uint8_t flags)
{
    account(r, s, -1);
    s->flags = flags;
    account(r, s, +1);
}

/* Room for one more record at the end (or at i, shifting the rest). */
static int log_reserve(struct tcp_rack *r)
{
    if (r->head + r->n < r->cap)
        return 0;
    /* Slide down only when that frees at least half: every record is then
     * moved O(1) times on average, however full the log runs. */
    if (r->head > 0 && (r->head >= r->cap / 2 || r->cap >= TCP_RACK_MAX_SEGS)) {
        memmove(r->seg, r->seg + r->head, r->n * sizeof(r->seg[0]));
        r->head = 0;
        return 0;
    }
    if (r->cap >= TCP_RACK_MAX_SEGS)
        return -1;
    uint32_t cap = r->cap ? r->cap * 2 : 16;
    struct tcp_rack_seg *s = realloc(r->seg, cap * sizeof(*s));
    if (!s)
        return -1;
    r->seg = s;
    r->cap = cap;
    return 0;
}

/* Splits record i at seq (strictly inside it): i keeps [start, seq), a new
 * record i + 1 gets [seq, end) with the same time and flags. */
static int log_split(struct tcp_rack *r, uint32_t i, uint32_t seq)
{
    if (log_reserve(r) < 0)
        return -1;
    struct tcp_rack_seg *s = seg_at(r, i);
    memmove(s + 2, s + 1, (r->n - i - 1) * sizeof(*s));
    s[1] = s[0];
    s[0].end = seq;
    s[1].start = seq;
    r->n++;
    return 0;
}

/* The first record ending above seq (r->n if none). */
static uint32_t log_find(struct tcp_rack *r, uint32_t seq)
{
    uint32_t lo = 0, hi = r->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (nst_seq_leq(seg_at(r, mid)->end, seq))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Records [i, j) cover exactly [start, end) of what the log holds, split
 * at both edges as needed. Returns 0 (i, j set), or -1 when a split found
 * no room: the caller then leaves those records as they are. */
static int log_range(struct tcp_rack *r, uint32_t start, uint32_t end, uint32_t *i, uint32_t *j)
{
    uint32_t a = log_find(r, start);
    if (a < r->n && nst_seq_lt(seg_at(r, a)->start, start)) {
        if (log_split(r, a, start) < 0)
            return -1;
        a++;
    }
    uint32_t b = log_find(r, end);
    if (b < r->n && nst_seq_lt(seg_at(r, b)->start, end)) {
        if (log_split(r, b, end) < 0)
            return -1;
        b++;
    }
    *i = a;
    *j = b;
    return 0;
}

/* A transmission [seq, end) at now of data never sent before. */
static void log_append(struct tcp_rack *r, uint32_t seq, uint32_t end, nst_time_t now)
{
    if (r->n) {
        struct tcp_rack_seg *last = seg_at(r, r->n - 1);
        /* Sent at the same instant, or no room left: one record (a later
         * time for the older bytes only delays their loss detection). */
        if (last->end == seq && last->flags == 0 && (last->xmit == now || log_reserve(r) < 0)) {
            last->end = end;
            last->xmit = now;
            return;
        }
    }
    if (log_reserve(r) < 0)
        return; /* out of memory with an empty log: these bytes go unwatched (the RTO still is) */
    struct tcp_rack_seg *s = seg_at(r, r->n++);
    s->start = seq;
    s->end = end;
    s->xmit = now;
    s->flags = 0;
}

void tcp_rack_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t end, uint32_t old_max)
{
    struct tcp_rack *r = rack_get(c);
    if (!r || seq == end)
        return;
    /* The part at or above the old SND.MAX is new data. */
    if (nst_seq_lt(old_max, end))
        log_append(r, nst_seq_max(seq, old_max), end, st->now);
    if (!nst_seq_lt(seq, old_max))
        return;
    /* RFC 8985 6.1: a retransmission gets its own time; no longer lost. */
    uint32_t i, j, rend = nst_seq_min(end, old_max);
    if (log_range(r, seq, rend, &i, &j) < 0) {
        /* No room to split (the log is full): the records it touches take
         * the new time whole. Their other bytes' loss is found later, not
         * missed; left marked lost, this one would be sent again and
         * again by the recovery (which retransmits what is marked). */
        i = log_find(r, seq);
        for (j = i; j < r->n && nst_seq_lt(seg_at(r, j)->start, rend); j++)
            ;
    }
    for (; i < j; i++) {
        struct tcp_rack_seg *s = seg_at(r, i);
        if (s->flags & TCP_RACK_SACKED)
            continue;
        s->xmit = st->now;
        set_flags(r, s, TCP_RACK_RETRANS);
    }
}

/* ---- RFC 8985 6.2: what each delivery teaches ----------------------------------- */

/* RACK_sent_after(t1, seq1, t2, seq2) */
static int sent_after(nst_time_t t1, uint32_t seq1, nst_time_t t2, uint32_t seq2)
{
    return t1 > t2 || (t1 == t2 && nst_seq_gt(seq1, seq2));
}

/* Our TSval at time t (tcp_ts_now's clock). */
static uint32_t tsval_at(const struct nst_tcp_conn *c, nst_time_t t)
{
    return (uint32_t)((uint64_t)t / 1000000u) + c->ts_offset;
}

/* Steps 2 and 3 for a transmission newly delivered (cumulatively or by
 * SACK); prior_fack is RACK.fack before the ACK (tcp_rack_ack_begin). */
static void delivered(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_rack *r,
                      const struct tcp_rack_seg *s, const struct tcp_seg *ack, uint32_t prior_fack)
{
    nst_time_t rtt = st->now - s->xmit;
    if (s->flags & TCP_RACK_RETRANS) {
        /* Step 2: the ACK may be for the original transmission: the echoed
         * timestamp predates the retransmission, or the RTT is implausibly
         * short. Such a delivery says nothing of the clock. */
        if (c->ts_ok && ack->h.opts.has_ts && nst_seq_lt(ack->h.opts.ts_ecr, tsval_at(c, s->xmit)))
            return;
        if (r->min_rtt && rtt < r->min_rtt)
            return;
    }
    if (!r->min_rtt || rtt < r->min_rtt || st->now - r->min_rtt_at > MIN_RTT_WINDOW) {
        r->min_rtt = rtt;
        r->min_rtt_at = st->now;
    }
    if (sent_after(s->xmit, s->end, r->xmit_ts, r->end_seq)) {
        r->rtt = rtt;
        r->xmit_ts = s->xmit;
        r->end_seq = s->end;
    }
    /* Step 3: delivered below what was already delivered, never sent
     * twice: it arrived after data sent later, reordered. */
    if (nst_seq_gt(s->end, r->fack))
        r->fack = s->end;
    else if (nst_seq_lt(s->end, prior_fack) && !(s->flags & TCP_RACK_RETRANS))
        r->reordering_seen = 1;
}

void tcp_rack_ack_begin(struct nst_tcp_conn *c)
{
    /* RFC 8985 6.2 step 3 takes an ACK's newly delivered segments in
     * ascending order, RACK.fack growing as it goes: a segment is then
     * below RACK.fack only if it is below what was delivered before this
     * ACK. Compared with that, the order in which the ACK is taken apart
     * (SACK blocks first, most recent first, then the cumulative part)
     * does not matter: a delayed ACK's data acknowledged together with a
     * SACK block above it is no reordering (Linux's prior_fack). */
    if (c->rack)
        c->rack->ack_prior_fack = c->rack->fack;
}

void tcp_rack_sacked(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t start, uint32_t end,
                     const struct tcp_seg *ack)
{
    struct tcp_rack *r = c->rack;
    if (!r || !r->n)
        return;
    start = nst_seq_max(start, c->snd_una);
    end = nst_seq_min(end, c->snd_max);
    if (!nst_seq_lt(start, end))
        return;
    uint32_t i, j;
    if (log_range(r, start, end, &i, &j) < 0)
        return;
    for (; i < j; i++) {
        struct tcp_rack_seg *s = seg_at(r, i);
        if (s->flags & TCP_RACK_SACKED)
            continue;
        delivered(st, c, r, s, ack, r->ack_prior_fack);
        set_flags(r, s, (uint8_t)((s->flags & TCP_RACK_RETRANS) | TCP_RACK_SACKED));
    }
}

void tcp_rack_acked(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t ack_seq, const struct tcp_seg *ack)
{
    struct tcp_rack *r = c->rack;
    if (!r)
        return;
    while (r->n) {
        struct tcp_rack_seg *s = seg_at(r, 0);
        if (nst_seq_leq(ack_seq, s->start))
            break;
        if (!(s->flags & TCP_RACK_SACKED))
            delivered(st, c, r, s, ack, r->ack_prior_fack);
        if (nst_seq_lt(ack_seq, s->end)) {
            /* Part of it: the rest stays, same time and flags. */
            account(r, s, -1);
            s->start = ack_seq;
            account(r, s, +1);
            break;
        }
        account(r, s, -1);
        r->head++;
        r->n--;
    }
    if (!r->n) {
        /* Everything acknowledged: an idle connection holds no log (the
         * next flight allocates one again), only RACK's few variables. */
        free(r->seg);
        r->seg = NULL;
        r->head = r->cap = 0;
    }
    if (nst_seq_lt(r->fack, ack_seq))
        r->fack = ack_seq;
}

void tcp_rack_sack_reset(struct nst_tcp_conn *c)
{
    struct tcp_rack *r = c->rack;
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        struct tcp_rack_seg *s = seg_at(r, i);
        set_flags(r, s, (uint8_t)(s->flags & TCP_RACK_RETRANS));
    }
}

void tcp_rack_on_rto(struct nst_stack *st, struct nst_tcp_conn *c)
{
    (void)st;
    struct tcp_rack *r = c->rack;
    if (!r)
        return;
    /* The timeout's go-back-N retransmits everything not SACKed: no loss
     * mark survives it; the probe episode is over too. */
    for (uint32_t i = 0; i < r->n; i++) {
        struct tcp_rack_seg *s = seg_at(r, i);
        set_flags(r, s, (uint8_t)(s->flags & ~TCP_RACK_LOST));
    }
    r->tlp_on = 0;
    r->rtx_owed = 0;
}

/* ---- RFC 8985 6.2 steps 4 and 5 ----------------------------------------------- */

static int in_recovery(const struct nst_tcp_conn *c)
{
    return c->ca_state == NST_TCP_CA_RECOVERY || c->ca_state == NST_TCP_CA_LOSS;
}

/* Step 4: the reordering window's multiplier follows the D-SACKs. */
static void update_reo_mult(struct nst_tcp_conn *c, struct tcp_rack *r, int dsack)
{
    if (r->dsack_round_on && nst_seq_geq(c->snd_una, r->dsack_round))
        r->dsack_round_on = 0;
    if (dsack && !r->dsack_round_on) {
        /* Once per round trip: a D-SACK says a retransmission was not
         * needed; the window grows by min_RTT / 4. */
        if (r->reo_wnd_mult < 255)
            r->reo_wnd_mult++;
        r->dsack_round_on = 1;
        r->dsack_round = c->snd_nxt;
        r->reo_wnd_persist = REO_WND_PERSIST;
    }
}

void tcp_rack_recovery_done(struct nst_tcp_conn *c)
{
    struct tcp_rack *r = c->rack;
    if (!r)
        return;
    r->rtx_owed = 0;
    /* Step 4: after 16 recoveries without a D-SACK, back to min_RTT / 4. */
    if (r->reo_wnd_persist > 0 && --r->reo_wnd_persist == 0)
        r->reo_wnd_mult = 1;
}

nst_time_t tcp_rack_reo_wnd(const struct nst_tcp_conn *c)
{
    const struct tcp_rack *r = c->rack;
    if (!r)
        return 0;
    if (!r->reordering_seen) {
        /* No reordering seen: once DupThresh segments are SACKed (or in
         * recovery) a hole is a loss at once, as RFC 6675 would have it. */
        if (in_recovery(c))
            return 0;
        if (r->sacked_bytes >= (uint32_t)NST_DUPTHRESH * c->mss)
            return 0;
    }
    nst_time_t w = (nst_time_t)r->reo_wnd_mult * r->min_rtt / 4;
    return c->rtt.srtt && w > c->rtt.srtt ? c->rtt.srtt : w;
}

/* Step 5: marks lost what was sent before RACK.xmit_ts and has had its
 * RTT plus the window to arrive. Returns the time until the next segment
 * is due to be declared lost (0: none pending), *marked the segments (or
 * records) newly marked. */
static nst_time_t detect_loss(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_rack *r, unsigned *marked)
{
    nst_time_t reo_wnd = tcp_rack_reo_wnd(c), timeout = 0;
    *marked = 0;
    if (!r->xmit_ts)
        return 0;
    for (uint32_t i = 0; i < r->n; i++) {
        struct tcp_rack_seg *s = seg_at(r, i);
        if (s->flags & (TCP_RACK_SACKED | TCP_RACK_LOST))
            continue;
        if (!sent_after(r->xmit_ts, r->end_seq, s->xmit, s->end))
            continue;
        nst_time_t remaining = s->xmit + r->rtt + reo_wnd - st->now;
        if (remaining <= 0) {
            set_flags(r, s, (uint8_t)(s->flags | TCP_RACK_LOST));
            ++*marked;
            NST_STAT_INC(st, tcp, rack_marked_lost);
        } else if (remaining > timeout) {
            timeout = remaining;
        }
    }
    return timeout;
}

/* ---- timers ---------------------------------------------------------------------- */

/* RFC 8985 7.2: may a probe be scheduled? Not in recovery (nor while
 * SACKs report holes, whose fate RACK and its timer decide), not with a
 * probe already out, and only with data in flight. */
static int tlp_allowed(const struct nst_tcp_conn *c, const struct tcp_rack *r)
{
    return c->ca_state == NST_TCP_CA_OPEN && !r->tlp_on && r->sacked_bytes == 0 && c->snd_max != c->snd_una &&
           c->rtt.srtt > 0 && c->snd_wnd > 0;
}

/* RFC 8985 7.2: PTO = 2 * SRTT (+ the worst-case delayed ACK with one
 * segment in flight, else TLP_SLACK), never later than the RTO would fire. */
static nst_time_t pto(const struct nst_tcp_conn *c)
{
    nst_time_t p = 2 * c->rtt.srtt;
    p += tcp_flight(c) <= c->mss ? TLP_WCDELACK : TLP_SLACK;
    nst_time_t rto = nst_rtt_timeout(&c->rtt);
    return p < rto ? p : rto;
}

static void arm(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_rack *r, uint8_t mode, nst_time_t in)
{
    r->timer = mode;
    nst_timer_arm(st, &c->t_rtx, st->now + in);
}

int tcp_rack_rearm(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct tcp_rack *r = c->rack;
    if (!r || !tcp_rack_active(c))
        return 0;
    if (r->timer == TCP_RACK_TIMER_REO && nst_timer_armed(&c->t_rtx))
        return 1; /* the reordering timeout comes first */
    if (tlp_allowed(c, r)) {
        arm(st, c, r, TCP_RACK_TIMER_PTO, pto(c));
        r->pto_at = c->t_rtx.when;
    } else {
        tcp_rtx_arm(st, c);
    }
    return 1;
}

int tcp_rack_new_data_sent(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 8985 7.2: new data (not itself a probe) restarts the PTO. */
    struct tcp_rack *r = c->rack;
    if (!r || !tcp_rack_active(c))
        return 0;
    if (r->timer == TCP_RACK_TIMER_REO && nst_timer_armed(&c->t_rtx))
        return 1;
    if (!tlp_allowed(c, r))
        return 0;
    /* Restarting means a later expiry: rather than re-arm the timer for
     * every segment sent, the new deadline is noted and the timer, when it
     * fires early, moves itself there (tcp_rack_timer). */
    nst_time_t at = st->now + pto(c);
    r->pto_at = at;
    if (r->timer == TCP_RACK_TIMER_PTO && nst_timer_armed(&c->t_rtx) && c->t_rtx.when <= at)
        return 1;
    arm(st, c, r, TCP_RACK_TIMER_PTO, at - st->now);
    return 1;
}

void tcp_rack_rto_armed(struct nst_tcp_conn *c)
{
    if (c->rack)
        c->rack->timer = TCP_RACK_TIMER_RTO;
}

/* ---- acting on the loss marks ------------------------------------------------------ */

int tcp_rack_next_lost(const struct nst_tcp_conn *c, uint32_t *seq, uint32_t *len)
{
    const struct tcp_rack *r = c->rack;
    if (!r || !r->lost_bytes)
        return 0;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct tcp_rack_seg *s = &r->seg[r->head + i];
        if ((s->flags & (TCP_RACK_LOST | TCP_RACK_SACKED)) == TCP_RACK_LOST) {
            *seq = s->start;
            *len = NST_MIN(seg_len(s), (uint32_t)c->mss);
            return 1;
        }
    }
    return 0;
}

uint32_t tcp_rack_pipe(const struct nst_tcp_conn *c)
{
    /* Linux's packets_out - sacked_out - lost_out + retrans_out, in bytes:
     * a lost segment retransmitted is no longer marked lost, and counts
     * once. */
    const struct tcp_rack *r = c->rack;
    uint32_t out = tcp_flight(c);
    if (!r)
        return out;
    uint32_t gone = r->sacked_bytes + r->lost_bytes;
    return out > gone ? out - gone : 0;
}

/* RACK marked segments lost: the recovery that repairs them (fast
 * recovery if none is under way; in the RTO's recovery go-back-N does). */
static void act_on_losses(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (c->ca_state == NST_TCP_CA_OPEN || c->ca_state == NST_TCP_CA_DISORDER) {
        /* The recovery's reduction answers for the losses of this flight,
         * those the probe repaired included: one response per episode
         * (RFC 8985 7.4), so the probe's episode ends here. */
        c->rack->tlp_on = 0;
        tcp_rack_enter_recovery(st, c);
    }
    else if (c->ca_state == NST_TCP_CA_RECOVERY)
        tcp_output(st, c);
}

/* Runs step 5 and arms the reordering timer for what is not yet due. */
static void detect_and_arm(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_rack *r)
{
    unsigned marked;
    nst_time_t timeout = detect_loss(st, c, r, &marked);
    if (marked)
        act_on_losses(st, c);
    if (timeout > 0 && c->state != NST_TCPS_CLOSED)
        arm(st, c, r, TCP_RACK_TIMER_REO, timeout);
    else if (r->timer == TCP_RACK_TIMER_REO)
        tcp_rack_rearm_after_reo(st, c);
}

void tcp_rack_rearm_after_reo(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->rack->timer = TCP_RACK_TIMER_RTO;
    if (c->snd_max == c->snd_una)
        nst_timer_cancel(st, &c->t_rtx);
    else
        tcp_rack_rearm(st, c);
}

/* ---- RFC 8985 7.4: what the ACKs say of the probe ---------------------------------- */

static void tlp_process_ack(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_rack *r,
                            const struct tcp_seg *ack, const struct tcp_ack_news *n)
{
    if (!r->tlp_on || nst_seq_lt(ack->h.ack, r->tlp_end_seq))
        return;
    if (!r->tlp_is_retrans) {
        r->tlp_on = 0; /* a probe of new data: RACK does the rest */
        return;
    }
    if (n->dsack && ack->h.opts.sack[0].end == r->tlp_end_seq) {
        r->tlp_on = 0; /* the original arrived: the probe was not needed */
        return;
    }
    if (nst_seq_gt(ack->h.ack, r->tlp_end_seq) || (n->dupack && ack->h.opts.sack_count == 0)) {
        /* The probe repaired a loss (or, conservatively, may have): the
         * congestion control responds as to a loss it repaired, a window
         * reduction without recovery (as Linux's CWR). */
        r->tlp_on = 0;
        NST_STAT_INC(st, tcp, tlp_recoveries);
        if (tcp_ecn_loss_reduction(c)) {
            c->cc.ops->cong_signal(&c->cc, NST_CC_SIG_FAST_RECOVERY, tcp_flight(c), st->now);
            c->cc.cwnd = c->cc.ssthresh;
        }
    }
}

void tcp_rack_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *ack,
                  const struct tcp_ack_news *n)
{
    struct tcp_rack *r = c->rack;
    if (!r || !tcp_rack_active(c))
        return;
    tlp_process_ack(st, c, r, ack, n);
    update_reo_mult(c, r, n->dsack);
    /* A PTO armed while the flight looked whole: SACKs now show holes (or
     * a recovery began), whose fate RACK decides; the RTO guards them. */
    if (r->timer == TCP_RACK_TIMER_PTO && nst_timer_armed(&c->t_rtx) && !tlp_allowed(c, r))
        tcp_rtx_arm(st, c);
    if (c->snd_max == c->snd_una || !r->n)
        return;
    /* Without SACKed data, retransmissions or recovery, every segment
     * outstanding was sent after what the ACK delivered: nothing to find. */
    if (!r->sacked_bytes && c->ca_state == NST_TCP_CA_OPEN && !(seg_at(r, 0)->flags & TCP_RACK_RETRANS))
        return;
    detect_and_arm(st, c, r);
}

/* ---- the timer ------------------------------------------------------------------- */

/* RFC 8985 7.3: the probe. New data if the windows let it go (cwnd
 * aside), else the last segment sent again. */
static void send_probe(struct nst_stack *st, struct nst_tcp_conn *c, struct tcp_rack *r)
{
    uint32_t sent = 0;
    if (c->snd_nxt == c->snd_max) {
        sent = tcp_send_new(st, c, c->mss);
        r->tlp_is_retrans = 0;
    }
    if (!sent) {
        uint32_t end = c->snd_max;
        if (c->fin_queued && end == tcp_fin_seq(c) + 1)
            end--; /* the FIN goes with the last data */
        uint32_t start = end - c->snd_una > c->mss ? end - c->mss : c->snd_una;
        sent = tcp_retransmit(st, c, start, end - start);
        r->tlp_is_retrans = 1;
    }
    if (sent) {
        r->tlp_on = 1;
        r->tlp_end_seq = c->snd_max;
        NST_STAT_INC(st, tcp, tlp_probes);
    }
}

int tcp_rack_timer(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct tcp_rack *r = c->rack;
    if (!r || r->timer == TCP_RACK_TIMER_RTO || !tcp_rack_active(c))
        return 0;
    uint8_t mode = r->timer;
    r->timer = TCP_RACK_TIMER_RTO;
    if (c->snd_max == c->snd_una)
        return 1;
    if (mode == TCP_RACK_TIMER_REO) {
        /* RFC 8985 6.3: the segments it waited for are due now. */
        detect_and_arm(st, c, r);
        if (!nst_timer_armed(&c->t_rtx))
            tcp_rack_rearm(st, c);
        return 1;
    }
    if (st->now < r->pto_at) {
        arm(st, c, r, TCP_RACK_TIMER_PTO, r->pto_at - st->now); /* restarted by new data since */
        return 1;
    }
    send_probe(st, c, r);
    /* RFC 8985 7.3: after a probe, the RTO, not another probe. */
    tcp_rtx_arm(st, c);
    return 1;
}
