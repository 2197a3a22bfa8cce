/* CUBIC (RFC 9438), the default congestion controller.
 *
 * Windows are kept in bytes (RFC 9438 4.1 allows it: segment counts become
 * byte counts divided by SMSS). Time t is nanoseconds since the epoch,
 * turned into seconds only inside the cubic formula.
 *
 * Choices:
 * - beta_cubic = 7/10, alpha_cubic = 3(1-beta)/(1+beta) = 9/17 and the
 *   fast convergence factor (1+beta)/2 = 17/20 are applied as exact
 *   fractions, so every reduction is integer arithmetic.
 * - Only W_cubic(t) and K use double (C = 0.4, a cube and a cube root);
 *   the state stays integer: K is rounded to whole nanoseconds once per
 *   epoch, W_est and the sub-byte part of cwnd growth are fixed point
 *   with 16 fraction bits. Results are bit-for-bit repeatable.
 * - Per ACK, cwnd grows by (target - cwnd) * acked / cwnd bytes: RFC 9438
 *   4.4/4.5's (target - cwnd)/cwnd per segment, scaled by the bytes the
 *   ACK covers (RFC 3465 byte counting), so delayed ACKs do not halve it.
 * - Slow start is RFC 5681's (min(acked, SMSS) per ACK), watched by
 *   HyStart++ (RFC 9406, RFC 9438 4.10's SHOULD; switch `hystart`) in the
 *   initial slow start only: once the RTT of a round exceeds the previous
 *   round's by RttThresh, Conservative Slow Start grows a quarter as fast
 *   for CSS_ROUNDS rounds (or until the RTT falls back), then congestion
 *   avoidance begins with ssthresh = cwnd, before the queue overflows.
 *   The module sees bytes, not sequence numbers: a round ends once the
 *   bytes outstanding when it began have been acknowledged (what
 *   windowEnd = SND.NXT amounts to). L is infinite (no pacing), so the
 *   standard increase stays RFC 5681's, and CSS adds a quarter of it.
 * - ssthresh uses FlightSize (RFC 9438 4.6 Figure 5); growth requires the
 *   sender to be cwnd-limited (nst_cc_cwnd_limited, RFC 9438 5.8), and
 *   the time an ACK finds the flow application-limited is cut out of t by
 *   moving the epoch start forward (RFC 9438 4.2).
 * - Fast convergence (RFC 9438 4.7) is on.
 * - Entering congestion avoidance with cwnd >= W_max (no loss yet, after
 *   an RTO, or after an overshoot) uses K = 0 and W_max = cwnd_epoch, the
 *   rule RFC 9438 4.8 and 4.10 give for timeouts and loss-free exits. */
#include "tcp/cc_internal.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/util.h"

/* RFC 9438 4.6: beta_cubic = 0.7. */
#define CUBIC_BETA_NUM 7u
#define CUBIC_BETA_DEN 10u
/* RFC 9438 4.3: alpha_cubic = 3 * (1 - 0.7) / (1 + 0.7) = 9/17. */
#define CUBIC_ALPHA_NUM 9u
#define CUBIC_ALPHA_DEN 17u
/* RFC 9438 4.7: W_max = cwnd * (1 + 0.7) / 2 = cwnd * 17/20. */
#define CUBIC_FC_NUM 17u
#define CUBIC_FC_DEN 20u
/* RFC 9438 5.1: C = 0.4 segments / second^3. */
#define CUBIC_C 0.4
#define NS_PER_SEC 1e9

#define FP_SHIFT 16
#define FP_ONE ((uint64_t)1 << FP_SHIFT)

struct cubic {
    uint64_t w_est_fp;      /* W_est, bytes << FP_SHIFT */
    uint64_t cwnd_frac;     /* cwnd growth owed below one byte, << FP_SHIFT */
    nst_time_t epoch_start; /* t_epoch */
    nst_time_t k;           /* K in ns */
    nst_time_t last_ack;    /* last ACK seen in this epoch */
    uint32_t w_max;         /* bytes; 0 = undefined */
    uint32_t cwnd_prior;    /* bytes */
    uint32_t cwnd_epoch;    /* bytes */
    uint8_t in_epoch;
    uint8_t rto_pending;    /* an RTO fired and no new data was acked since */
    /* HyStart++ (RFC 9406 4.2); RTTs 0 = none yet ("infinity"). */
    nst_time_t hs_last_min; /* lastRoundMinRTT */
    nst_time_t hs_cur_min;  /* currentRoundMinRTT */
    nst_time_t hs_css_base; /* cssBaselineMinRtt */
    uint32_t hs_round_left; /* bytes to be acknowledged before the round ends */
    uint16_t hs_samples;    /* rttSampleCount */
    uint8_t hs_state;       /* HS_*: 0 (zeroed state) is slow start, watched */
    uint8_t hs_css_rounds;  /* rounds spent in CSS */
};

/* RFC 9406 4.3's constants. */
#define HS_MIN_RTT_THRESH NST_MSEC(4)
#define HS_MAX_RTT_THRESH NST_MSEC(16)
#define HS_MIN_RTT_DIVISOR 8
#define HS_N_RTT_SAMPLE 8u
#define HS_CSS_GROWTH_DIVISOR 4u
#define HS_CSS_ROUNDS 5u

enum {
    HS_SS = 0,   /* the initial slow start, RTTs watched */
    HS_CSS,      /* Conservative Slow Start */
    HS_OFF,      /* over (CSS done, or a loss, ECN or RTO): plain RFC 5681 slow start */
};

static_assert(sizeof(struct cubic) <= sizeof(((struct nst_cc *)0)->priv), "CUBIC state must fit nst_cc.priv");

/* priv is uint64_t[]: copy in and out rather than alias it. */
static struct cubic cubic_load(const struct nst_cc *cc)
{
    struct cubic s;
    memcpy(&s, cc->priv, sizeof(s));
    return s;
}

static void cubic_store(struct nst_cc *cc, const struct cubic *s)
{
    memcpy(cc->priv, s, sizeof(*s));
}

/* num / den in FP_SHIFT fixed point, without overflowing for
 * num < 2^63 and den < 2^47. */
static uint64_t fp_div(uint64_t num, uint64_t den)
{
    return ((num / den) << FP_SHIFT) + ((num % den) << FP_SHIFT) / den;
}

/* RFC 9438 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, in bytes. */
static double cubic_w_bytes(const struct cubic *s, nst_time_t t, uint32_t mss)
{
    double x = (double)(t - s->k) / NS_PER_SEC;
    return CUBIC_C * x * x * x * (double)mss + (double)s->w_max;
}

/* RFC 9438 Figure 2: K = cbrt((W_max - cwnd_epoch) / C), segments in,
 * seconds out, stored as whole nanoseconds. */
static nst_time_t cubic_k(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
    double segments = (double)(w_max - cwnd_epoch) / (double)mss;
    return (nst_time_t)llround(cbrt(segments / CUBIC_C) * NS_PER_SEC);
}

static void cubic_start_epoch(const struct nst_cc *cc, struct cubic *s, nst_time_t now)
{
    s->in_epoch = 1;
    s->epoch_start = now;
    s->last_ack = now;
    s->cwnd_epoch = cc->cwnd;
    s->cwnd_frac = 0;
    /* RFC 9438 4.3: W_est starts at cwnd_epoch. */
    s->w_est_fp = (uint64_t)cc->cwnd << FP_SHIFT;
    /* RFC 9438 4.10: congestion avoidance reached without a loss. */
    if (s->cwnd_prior == 0)
        s->cwnd_prior = cc->cwnd;
    if (s->w_max <= cc->cwnd) {
        /* RFC 9438 4.8/4.10: K = 0, W_max = cwnd_epoch. */
        s->w_max = cc->cwnd;
        s->k = 0;
    } else {
        s->k = cubic_k(s->w_max, cc->cwnd, nst_cc_smss(cc));
    }
}

/* RFC 9438 4.3 Figure 4, in bytes: W_est += alpha * acked * SMSS / cwnd,
 * with alpha = 1 once W_est has reached cwnd_prior. */
static void cubic_update_w_est(const struct nst_cc *cc, struct cubic *s, uint32_t acked)
{
    uint64_t bytes = (uint64_t)acked * nst_cc_smss(cc);
    uint64_t inc;
    if ((s->w_est_fp >> FP_SHIFT) >= s->cwnd_prior)
        inc = fp_div(bytes, cc->cwnd);
    else
        inc = fp_div(bytes * CUBIC_ALPHA_NUM, (uint64_t)cc->cwnd * CUBIC_ALPHA_DEN);
    s->w_est_fp = NST_MIN(s->w_est_fp + inc, (uint64_t)NST_CC_WND_MAX << FP_SHIFT);
}

/* RFC 9438 4.2: target = W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd]. */
static uint32_t cubic_target(const struct cubic *s, nst_time_t t, uint32_t cwnd, uint32_t mss)
{
    double w = cubic_w_bytes(s, t, mss);
    uint32_t hi = (uint32_t)NST_MIN((uint64_t)cwnd + cwnd / 2u, (uint64_t)NST_CC_WND_MAX);
    if (!(w > (double)cwnd)) /* also catches NaN */
        return cwnd;
    if (w >= (double)hi)
        return hi;
    return (uint32_t)w;
}

static void cubic_congestion_avoidance(struct nst_cc *cc, struct cubic *s, uint32_t acked, nst_time_t rtt,
                                       nst_time_t now)
{
    uint32_t mss = nst_cc_smss(cc);
    nst_time_t t = now > s->epoch_start ? now - s->epoch_start : 0;

    cubic_update_w_est(cc, s, acked);
    /* RFC 9438 4.3: Reno-friendly region if W_cubic(t) < W_est. */
    if (cubic_w_bytes(s, t, mss) < (double)s->w_est_fp / (double)FP_ONE) {
        uint32_t w_est = (uint32_t)(s->w_est_fp >> FP_SHIFT);
        if (w_est > cc->cwnd)
            cc->cwnd = w_est;
        return;
    }
    /* RFC 9438 4.4/4.5: concave or convex, cwnd += (target - cwnd) / cwnd
     * per segment acked. */
    uint32_t target = cubic_target(s, t + rtt, cc->cwnd, mss);
    uint64_t inc = fp_div((uint64_t)(target - cc->cwnd) * acked, cc->cwnd) + s->cwnd_frac;
    cc->cwnd = nst_cc_wnd_add(cc->cwnd, inc >> FP_SHIFT);
    s->cwnd_frac = inc & (FP_ONE - 1);
}

/* RFC 9438 4.2 and 5.8: time the flow spends application-limited does not
 * count in t, so shift the epoch by the time since the previous ACK. */
static void cubic_app_limited(struct cubic *s, nst_time_t now)
{
    if (s->in_epoch && now > s->last_ack) {
        s->epoch_start += now - s->last_ack;
        s->last_ack = now;
    }
}

/* RFC 9406 4.2: a round ends with windowEnd, the SND.NXT of its start:
 * the next round begins with the first ACK beyond it (as Linux's), i.e.
 * once more than the bytes outstanding after the ACK that began this one
 * have been acknowledged. Returns 1 if this ACK begins a new round. */
static int hs_new_round(struct cubic *s, uint32_t acked, uint32_t flight)
{
    if (s->hs_round_left >= acked) {
        s->hs_round_left -= acked;
        return 0;
    }
    s->hs_round_left = flight > acked ? flight - acked : 0;
    s->hs_last_min = s->hs_cur_min;
    s->hs_cur_min = 0;
    s->hs_samples = 0;
    return 1;
}

/* Enough RTT samples this round to compare it with the last one. */
static int hs_measured(const struct cubic *s)
{
    return s->hs_samples >= HS_N_RTT_SAMPLE && s->hs_cur_min && s->hs_last_min;
}

/* RFC 9406 4.2: RttThresh = clamp(MIN_RTT_THRESH, lastRoundMinRTT /
 * MIN_RTT_DIVISOR, MAX_RTT_THRESH). */
static nst_time_t hs_rtt_thresh(nst_time_t last_min)
{
    nst_time_t t = last_min / HS_MIN_RTT_DIVISOR;
    return NST_MIN(NST_MAX(t, HS_MIN_RTT_THRESH), HS_MAX_RTT_THRESH);
}

/* Slow start (cwnd < ssthresh), with HyStart++ in the initial one. */
static void cubic_slow_start(struct nst_cc *cc, struct cubic *s, uint32_t acked, uint32_t flight, nst_time_t rtt)
{
    if (!cc->hystart || s->hs_state == HS_OFF) {
        nst_cc_slow_start(cc, acked);
        return;
    }
    if (hs_new_round(s, acked, flight) && s->hs_state == HS_CSS && ++s->hs_css_rounds >= HS_CSS_ROUNDS) {
        /* CSS_ROUNDS rounds of CSS: congestion avoidance from here. */
        cc->ssthresh = cc->cwnd;
        s->hs_state = HS_OFF;
        return;
    }
    if (rtt > 0) {
        if (!s->hs_cur_min || rtt < s->hs_cur_min)
            s->hs_cur_min = rtt;
        if (s->hs_samples < UINT16_MAX)
            s->hs_samples++;
    }
    if (s->hs_state == HS_SS) {
        nst_cc_slow_start(cc, acked);
        if (hs_measured(s) && s->hs_cur_min >= s->hs_last_min + hs_rtt_thresh(s->hs_last_min)) {
            /* The RTT grew: a queue is building. Conservative Slow Start. */
            s->hs_css_base = s->hs_cur_min;
            s->hs_css_rounds = 0;
            s->hs_state = HS_CSS;
        }
        return;
    }
    /* CSS: cwnd grows by min(N, SMSS) / CSS_GROWTH_DIVISOR per ACK (the
     * sub-byte remainder carried in cwnd_frac). */
    uint64_t inc = fp_div(NST_MIN(acked, nst_cc_smss(cc)), HS_CSS_GROWTH_DIVISOR) + s->cwnd_frac;
    cc->cwnd = nst_cc_wnd_add(cc->cwnd, inc >> FP_SHIFT);
    s->cwnd_frac = inc & (FP_ONE - 1);
    if (hs_measured(s) && s->hs_cur_min < s->hs_css_base) {
        /* The RTT fell back below the baseline: the exit was spurious,
         * slow start resumes. */
        s->hs_css_base = 0;
        s->hs_state = HS_SS;
    }
}

static void cubic_init(struct nst_cc *cc, uint32_t mss, nst_time_t now)
{
    (void)now;
    nst_cc_common_init(cc, mss);
}

static void cubic_ack_received(struct nst_cc *cc, uint32_t acked, uint32_t flight, nst_time_t rtt,
                               nst_time_t srtt, nst_time_t now)
{
    if (acked == 0)
        return;
    struct cubic s = cubic_load(cc);
    s.rto_pending = 0;
    if (cc->cwnd == 0) /* a caller's bad write; the math divides by cwnd */
        cc->cwnd = nst_cc_smss(cc);
    if (!nst_cc_cwnd_limited(cc, flight)) {
        cubic_app_limited(&s, now);
    } else if (cc->cwnd < cc->ssthresh) {
        /* RFC 9438 4.10: RFC 5681 slow start below ssthresh, with
         * HyStart++ the first time. */
        s.in_epoch = 0;
        cubic_slow_start(cc, &s, acked, flight, rtt);
    } else {
        if (!s.in_epoch)
            cubic_start_epoch(cc, &s, now);
        /* RFC 9438 4.1.2: RTT is the smoothed RTT; the latest sample
         * stands in before one exists. */
        nst_time_t rtt_est = srtt > 0 ? srtt : (rtt > 0 ? rtt : 0);
        cubic_congestion_avoidance(cc, &s, NST_MIN(acked, cc->cwnd), rtt_est, now);
        s.last_ack = now;
    }
    cubic_store(cc, &s);
}

/* RFC 9438 4.6 Figure 5: ssthresh = max(flight_size * beta_cubic, 2 SMSS). */
static uint32_t cubic_loss_ssthresh(const struct nst_cc *cc, uint32_t flight)
{
    uint32_t w = (uint32_t)((uint64_t)flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
    return NST_MAX(w, 2u * nst_cc_smss(cc));
}

static void cubic_on_loss(struct nst_cc *cc, struct cubic *s, uint32_t flight)
{
    s->rto_pending = 0;
    /* RFC 9438 4.7: fast convergence, before the reduction. */
    if (cc->cwnd < s->w_max)
        s->w_max = (uint32_t)((uint64_t)cc->cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
    else
        s->w_max = cc->cwnd;
    /* RFC 9438 4.6: cwnd_prior = cwnd; cwnd = ssthresh (>= 2 SMSS). */
    s->cwnd_prior = cc->cwnd;
    cc->ssthresh = cubic_loss_ssthresh(cc, flight);
    cc->cwnd = cc->ssthresh;
}

static void cubic_on_rto(struct nst_cc *cc, struct cubic *s, uint32_t flight)
{
    /* RFC 9438 4.8: Reno's loss window, ssthresh by beta_cubic; RFC 5681
     * 3.1: ssthresh is held if the segment already timed out. */
    if (!s->rto_pending) {
        s->cwnd_prior = cc->cwnd;
        cc->ssthresh = cubic_loss_ssthresh(cc, flight);
    }
    s->rto_pending = 1;
    /* RFC 9438 4.8: the next epoch uses K = 0, W_max = cwnd_epoch. */
    s->w_max = 0;
    cc->cwnd = nst_cc_smss(cc);
}

static void cubic_cong_signal(struct nst_cc *cc, enum nst_cc_signal sig, uint32_t flight, nst_time_t now)
{
    (void)now;
    struct cubic s = cubic_load(cc);
    /* The next congestion avoidance stage starts a new epoch; RFC 9406
     * 4.2: after a loss, an ECN mark or an RTO, HyStart++ is over. */
    s.in_epoch = 0;
    s.hs_state = HS_OFF;
    s.cwnd_frac = 0;
    cc->bytes_acked = 0;
    switch (sig) {
    case NST_CC_SIG_FAST_RECOVERY:
    case NST_CC_SIG_ECN:
        /* RFC 9438 4.6: an ECN-Echo is a congestion event like a loss. */
        cubic_on_loss(cc, &s, flight);
        break;
    case NST_CC_SIG_RTO:
        cubic_on_rto(cc, &s, flight);
        break;
    }
    cubic_store(cc, &s);
}

static void cubic_post_recovery(struct nst_cc *cc, uint32_t flight, nst_time_t now)
{
    (void)now;
    struct cubic s = cubic_load(cc);
    s.rto_pending = 0;
    /* RFC 9438 4.2 leaves fast recovery to RFC 6582: same deflation as
     * NewReno. The epoch starts with the first ACK in CA. */
    cc->cwnd = nst_cc_post_recovery_window(cc, flight);
    cc->bytes_acked = 0;
    cubic_store(cc, &s);
}

static void cubic_after_idle(struct nst_cc *cc, nst_time_t rto, nst_time_t now)
{
    (void)rto;
    (void)now;
    struct cubic s = cubic_load(cc);
    /* RFC 5681 4.1 restart window; RFC 9438 5.8: the idle time must not
     * count in t, so the epoch restarts when CA resumes. W_max is kept,
     * so K then measures the way back to it. */
    cc->cwnd = nst_cc_restart_window(cc);
    cc->bytes_acked = 0;
    s.in_epoch = 0;
    s.cwnd_frac = 0;
    cubic_store(cc, &s);
}

void nst_cc_cubic_get_info(const struct nst_cc *cc, struct nst_cc_cubic_info *out)
{
    struct cubic s = cubic_load(cc);
    out->w_max = s.w_max;
    out->cwnd_prior = s.cwnd_prior;
    out->cwnd_epoch = s.cwnd_epoch;
    out->w_est = (uint32_t)(s.w_est_fp >> FP_SHIFT);
    out->k = s.k;
    out->epoch_start = s.epoch_start;
    out->in_epoch = s.in_epoch != 0;
}

const struct nst_cc_ops nst_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .ack_received = cubic_ack_received,
    .cong_signal = cubic_cong_signal,
    .post_recovery = cubic_post_recovery,
    .after_idle = cubic_after_idle,
};
