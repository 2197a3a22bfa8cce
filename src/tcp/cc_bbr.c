/* BBR congestion control, version 1: draft-cardwell-iccrg-bbr-congestion-
 * control-00, as Linux's tcp_bbr.c (the BBR most deployed, and the one
 * every Linux peer of ours can be compared with). Windows in bytes.
 *
 * Why v1 and not BBRv3 (draft-ietf-ccwg-bbr): v1 is a complete, stable
 * specification with a reference every Linux peer runs (tcp_bbr.c), so
 * its behaviour can be checked against the kernel's; v3 is still moving
 * in the IETF and adds the loss- and ECN-bounded inflight_hi/lo models
 * and a four-phase PROBE_BW, about twice the state and code. Where this
 * module matters most, random loss on a long path, the two agree: v3
 * reacts to loss only above 2 % a round trip. v1's known weakness, that
 * ignoring loss can make it unfair to loss-based flows in shallow
 * buffers, is the price, documented here.
 *
 * The model (draft 4.1): BtlBw, a windowed max over 10 round trips of the
 * delivery rate samples (tcp_rate.c, draft-cheng-iccrg-delivery-rate-
 * estimation), leaving out application-limited samples below the max; and
 * RTprop, the min RTT over 10 s. From them: pacing_rate = pacing_gain x
 * BtlBw, cwnd = cwnd_gain x BtlBw x RTprop (+ 3 segments of quantization
 * allowance, as Linux). The states (draft 4.3):
 *   STARTUP   gain 2/ln2 both ways, until BtlBw grew less than 25 % in
 *             three rounds (the pipe is full);
 *   DRAIN     pacing gain ln2/2 until what is in flight is down to one BDP;
 *   PROBE_BW  pacing gain cycling 5/4, 3/4, 1 x 6, one phase per RTprop
 *             (probe for more, drain what the probe queued, cruise);
 *   PROBE_RTT when RTprop is 10 s old: cwnd 4 segments for 200 ms and a
 *             round trip, so the queue empties and the RTT is seen again.
 * Losses: packet conservation during the first round of fast recovery
 * (cwnd = in flight + newly delivered), the window before restored once
 * recovery ends; no multiplicative decrease (v1 does not take loss as a
 * congestion signal); ECN-Echo is not acted on (v1 has no ECN response).
 * Not done (Linux's): the long-term bandwidth estimate for token-bucket
 * policers (lt_bw), ACK aggregation extra cwnd (v2+). */
#include "tcp/cc_internal.h"

#include <string.h>

#include <nstack/tcp_info.h>

#include "core/util.h"

#define BBR_UNIT 256u                  /* gains are fixed point, x 256 */
#define BBR_HIGH_GAIN (BBR_UNIT * 2885u / 1000u + 1u) /* 2/ln(2): doubles the delivery rate each round */
#define BBR_DRAIN_GAIN (BBR_UNIT * 1000u / 2885u)     /* its inverse: drains STARTUP's queue in a round */
#define BBR_CWND_GAIN (BBR_UNIT * 2u)  /* PROBE_BW: room for delayed and stretched ACKs */
#define BBR_CYCLE_LEN 8u
#define BBR_BW_WIN_ROUNDS 10u          /* BtlBw filter: 10 round trips */
#define BBR_MIN_RTT_WIN NST_SEC(10)    /* RTprop filter: 10 s */
#define BBR_PROBE_RTT_TIME NST_MSEC(200)
#define BBR_MIN_CWND_SEGS 4u
#define BBR_FULL_BW_PCT 125u           /* "grew" means by 25 % ... */
#define BBR_FULL_BW_ROUNDS 3u          /* ... within three rounds */
#define BBR_PACING_MARGIN_PCT 1u       /* pace 1 % below the estimate, so queues drain */

static const uint16_t pacing_cycle[BBR_CYCLE_LEN] = {
    BBR_UNIT * 5 / 4, BBR_UNIT * 3 / 4, BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT,
};

/* The state, kept in cc->priv (96 bytes) and copied in and out. */
struct bbr {
    uint64_t bw[3];                    /* windowed max filter: best, 2nd, 3rd best (bytes/s) */
    uint16_t bw_round[3];              /* the rounds they were taken in */
    uint16_t round_count;              /* packet-timed round trips so far (wraps: only
                                        * differences of a few rounds are ever taken) */
    uint64_t next_rtt_delivered;       /* C.delivered that ends the current round */
    nst_time_t min_rtt;                /* RTprop; 0: none yet */
    nst_time_t min_rtt_stamp;          /* when it was taken (or refreshed by PROBE_RTT) */
    nst_time_t probe_rtt_done_stamp;   /* PROBE_RTT may end after this; 0: not yet low */
    nst_time_t cycle_stamp;            /* when the current gain cycle phase began */
    uint64_t full_bw;                  /* BtlBw when it last grew by 25 % */
    uint64_t pacing_rate;              /* bytes/s */
    uint32_t prior_cwnd;               /* cwnd before recovery or PROBE_RTT */
    uint32_t mode : 2;                 /* NST_BBR_* */
    uint32_t prev_ca_state : 3;        /* NST_TCP_CA_* on the previous ACK */
    uint32_t cycle_idx : 3;
    uint32_t full_bw_cnt : 2;
    uint32_t full_bw_reached : 1;
    uint32_t round_start : 1;          /* this ACK began a round */
    uint32_t packet_conservation : 1;
    uint32_t idle_restart : 1;         /* restarting after idle */
    uint32_t probe_rtt_round_done : 1;
    uint32_t has_seen_rtt : 1;
};
_Static_assert(sizeof(struct bbr) <= sizeof(((struct nst_cc *)0)->priv), "BBR's state must fit in cc->priv");

static struct bbr load(const struct nst_cc *cc)
{
    struct bbr b;
    memcpy(&b, cc->priv, sizeof(b));
    return b;
}
static void store(struct nst_cc *cc, const struct bbr *b) { memcpy(cc->priv, b, sizeof(*b)); }

static uint64_t max_bw(const struct bbr *b) { return b->bw[0]; }

/* ---- the windowed max filter (Kathleen Nichols' algorithm, as Linux's
 * lib/minmax.c): the best, second and third best samples of the window,
 * each newer than the one before, so the max of the last `win` rounds is
 * always bw[0] in O(1) memory. ---- */

static void filter_set(struct bbr *b, int i, uint64_t v, uint16_t t)
{
    b->bw[i] = v;
    b->bw_round[i] = t;
}

static void filter_reset(struct bbr *b, uint64_t v, uint16_t t)
{
    for (int i = 0; i < 3; i++)
        filter_set(b, i, v, t);
}

/* Rounds from `from` to `t`, across a wrap of the 16-bit count. */
static uint16_t rounds_since(uint16_t t, uint16_t from) { return (uint16_t)(t - from); }

static void filter_max(struct bbr *b, uint16_t win, uint16_t t, uint64_t v)
{
    if (v >= b->bw[0] || rounds_since(t, b->bw_round[2]) > win) {
        filter_reset(b, v, t); /* a new max, or nothing in the window is left */
        return;
    }
    if (v >= b->bw[1]) {
        filter_set(b, 1, v, t);
        filter_set(b, 2, v, t);
    } else if (v >= b->bw[2]) {
        filter_set(b, 2, v, t);
    }
    uint16_t dt = rounds_since(t, b->bw_round[0]);
    if (dt > win) {
        /* The best has aged out: the others move up, twice if needed. */
        filter_set(b, 0, b->bw[1], b->bw_round[1]);
        filter_set(b, 1, b->bw[2], b->bw_round[2]);
        filter_set(b, 2, v, t);
        if (rounds_since(t, b->bw_round[0]) > win) {
            filter_set(b, 0, b->bw[1], b->bw_round[1]);
            filter_set(b, 1, b->bw[2], b->bw_round[2]);
            filter_set(b, 2, v, t);
        }
    } else if (b->bw_round[1] == b->bw_round[0] && dt > win / 4) {
        /* A quarter of the window passed with no second choice: take one. */
        filter_set(b, 1, v, t);
        filter_set(b, 2, v, t);
    } else if (b->bw_round[2] == b->bw_round[1] && dt > win / 2) {
        filter_set(b, 2, v, t);
    }
}

/* ---- gains and targets ---- */

static uint32_t pacing_gain(const struct bbr *b)
{
    switch (b->mode) {
    case NST_BBR_STARTUP: return BBR_HIGH_GAIN;
    case NST_BBR_DRAIN: return BBR_DRAIN_GAIN;
    case NST_BBR_PROBE_BW: return pacing_cycle[b->cycle_idx];
    default: return BBR_UNIT;
    }
}

static uint32_t cwnd_gain(const struct bbr *b)
{
    switch (b->mode) {
    case NST_BBR_STARTUP:
    case NST_BBR_DRAIN: return BBR_HIGH_GAIN;
    case NST_BBR_PROBE_BW: return BBR_CWND_GAIN;
    default: return BBR_UNIT;
    }
}

/* draft 4.2.3.2: gain x BtlBw x RTprop, in bytes; before any RTT, IW. */
static uint32_t bdp(const struct nst_cc *cc, const struct bbr *b, uint64_t bw, uint32_t gain)
{
    if (!b->min_rtt)
        return nst_cc_initial_window(cc->mss);
    uint64_t w = bw * (uint64_t)b->min_rtt / 1000000000ull;
    w = w * gain / BBR_UNIT;
    return (uint32_t)NST_MIN(w, (uint64_t)NST_CC_WND_MAX);
}

/* The bytes in flight that gain x BDP means, with Linux's allowance of
 * three segments for quantization (delayed ACKs, segments in the host). */
static uint32_t inflight_target(const struct nst_cc *cc, const struct bbr *b, uint64_t bw, uint32_t gain)
{
    return nst_cc_wnd_add(bdp(cc, b, bw, gain), 3u * (uint64_t)cc->mss);
}

static uint64_t rate_for(uint64_t bw, uint32_t gain)
{
    return bw * gain / BBR_UNIT * (100u - BBR_PACING_MARGIN_PCT) / 100u;
}

/* Before a bandwidth sample: the initial window over the handshake's RTT
 * (1 ms if none), at STARTUP's gain, as Linux's bbr_init_pacing_rate_from_rtt. */
static void init_pacing_rate(const struct nst_cc *cc, struct bbr *b, nst_time_t srtt)
{
    nst_time_t rtt = srtt > 0 ? srtt : NST_MSEC(1);
    if (srtt > 0)
        b->has_seen_rtt = 1;
    uint64_t bw = (uint64_t)cc->cwnd * 1000000000ull / (uint64_t)rtt;
    b->pacing_rate = rate_for(bw, BBR_HIGH_GAIN);
}

static void set_pacing_rate(const struct nst_cc *cc, struct bbr *b, uint64_t bw, uint32_t gain, nst_time_t srtt)
{
    if (!b->has_seen_rtt && srtt > 0)
        init_pacing_rate(cc, b, srtt);
    uint64_t rate = rate_for(bw, gain);
    /* In STARTUP the rate only grows (an early, low sample must not slow
     * the search down). */
    if (rate && (b->full_bw_reached || rate > b->pacing_rate))
        b->pacing_rate = rate;
}

/* ---- state transitions ---- */

static void save_cwnd(const struct nst_cc *cc, struct bbr *b)
{
    if (b->prev_ca_state < NST_TCP_CA_RECOVERY && b->mode != NST_BBR_PROBE_RTT)
        b->prior_cwnd = cc->cwnd;
    else /* already reduced: keep the larger one from before */
        b->prior_cwnd = NST_MAX(b->prior_cwnd, cc->cwnd);
}

static void advance_cycle_phase(struct bbr *b, nst_time_t now)
{
    b->cycle_idx = (b->cycle_idx + 1u) % BBR_CYCLE_LEN;
    b->cycle_stamp = now;
}

static void enter_probe_bw(struct bbr *b, nst_time_t now)
{
    /* draft 4.3.4.5: start at a random phase other than the 3/4 one, so
     * flows sharing a bottleneck do not probe in step. The choice derives
     * from the time (virtual time in the simulator: deterministic). */
    b->mode = NST_BBR_PROBE_BW;
    b->cycle_idx = (uint32_t)(BBR_CYCLE_LEN - 1u - (uint32_t)((uint64_t)now / 1000u % 7u));
    advance_cycle_phase(b, now);
}

static void reset_mode(struct bbr *b, nst_time_t now)
{
    if (b->full_bw_reached)
        enter_probe_bw(b, now);
    else
        b->mode = NST_BBR_STARTUP;
}

/* ---- the model, updated on each ACK (draft 4.2) ---- */

static void update_bw(struct nst_cc *cc, struct bbr *b, const struct nst_cc_rate_sample *rs)
{
    (void)cc;
    b->round_start = 0;
    if (rs->interval <= 0 || rs->delivered == 0)
        return;
    /* draft-cheng 3.3: a sample over less than RTprop is not trustworthy. */
    if (b->min_rtt && rs->interval < b->min_rtt)
        return;
    /* draft 4.1.1.3: a round ends when a packet sent after its start is delivered. */
    if (rs->prior_delivered >= b->next_rtt_delivered) {
        b->next_rtt_delivered = rs->total_delivered;
        b->round_count++;
        b->round_start = 1;
        b->packet_conservation = 0;
    }
    uint64_t bw = rs->delivered * 1000000000ull / (uint64_t)rs->interval;
    /* draft 4.1.1.5: an application-limited sample only counts if it
     * raises the estimate (it shows at least that much is possible). */
    if (!rs->is_app_limited || bw >= max_bw(b))
        filter_max(b, BBR_BW_WIN_ROUNDS, b->round_count, bw);
}

static int next_cycle_phase(const struct nst_cc *cc, const struct bbr *b, const struct nst_cc_rate_sample *rs,
                            nst_time_t now)
{
    int full_length = now - b->cycle_stamp > b->min_rtt;
    uint32_t gain = pacing_cycle[b->cycle_idx];
    if (gain == BBR_UNIT)
        return full_length;
    /* Probing (5/4) lasts until the queue it built shows: in flight
     * reached 5/4 BDP; draining (3/4) ends early once in flight is down
     * to one BDP. */
    if (gain > BBR_UNIT)
        return full_length && rs->prior_in_flight >= inflight_target(cc, b, max_bw(b), gain);
    return full_length || rs->prior_in_flight <= inflight_target(cc, b, max_bw(b), BBR_UNIT);
}

static void check_full_bw_reached(struct bbr *b, const struct nst_cc_rate_sample *rs)
{
    if (b->full_bw_reached || !b->round_start || rs->is_app_limited)
        return;
    if (max_bw(b) * 100u >= b->full_bw * BBR_FULL_BW_PCT) {
        b->full_bw = max_bw(b);
        b->full_bw_cnt = 0;
        return;
    }
    if (++b->full_bw_cnt >= BBR_FULL_BW_ROUNDS)
        b->full_bw_reached = 1;
}

static void check_drain(struct nst_cc *cc, struct bbr *b, const struct nst_cc_rate_sample *rs, nst_time_t now)
{
    if (b->mode == NST_BBR_STARTUP && b->full_bw_reached) {
        b->mode = NST_BBR_DRAIN;
        cc->ssthresh = inflight_target(cc, b, max_bw(b), BBR_UNIT);
    }
    if (b->mode == NST_BBR_DRAIN && rs->in_flight <= inflight_target(cc, b, max_bw(b), BBR_UNIT))
        enter_probe_bw(b, now);
}

/* Returns 1 in PROBE_RTT: the flow is application-limited meanwhile. */
static int update_min_rtt(struct nst_cc *cc, struct bbr *b, const struct nst_cc_rate_sample *rs, nst_time_t now)
{
    int expired = now > b->min_rtt_stamp + BBR_MIN_RTT_WIN;
    if (rs->rtt > 0 && (!b->min_rtt || rs->rtt < b->min_rtt || expired)) {
        b->min_rtt = rs->rtt;
        b->min_rtt_stamp = now;
    }
    if (expired && !b->idle_restart && b->mode != NST_BBR_PROBE_RTT) {
        b->mode = NST_BBR_PROBE_RTT;
        save_cwnd(cc, b);
        b->probe_rtt_done_stamp = 0;
    }
    int limited = 0;
    if (b->mode == NST_BBR_PROBE_RTT) {
        limited = 1;
        uint32_t floor = BBR_MIN_CWND_SEGS * cc->mss;
        if (!b->probe_rtt_done_stamp && rs->in_flight <= floor) {
            /* Down to 4 segments: hold 200 ms and a full round. */
            b->probe_rtt_done_stamp = now + BBR_PROBE_RTT_TIME;
            b->probe_rtt_round_done = 0;
            b->next_rtt_delivered = rs->total_delivered;
        } else if (b->probe_rtt_done_stamp) {
            if (b->round_start)
                b->probe_rtt_round_done = 1;
            if (b->probe_rtt_round_done && now > b->probe_rtt_done_stamp) {
                b->min_rtt_stamp = now;
                cc->cwnd = NST_MAX(cc->cwnd, b->prior_cwnd);
                reset_mode(b, now);
            }
        }
    }
    if (rs->delivered > 0)
        b->idle_restart = 0;
    return limited;
}

/* Recovery (Linux's bbr_set_cwnd_to_recover_or_restore): the first round
 * of fast recovery conserves packets; leaving recovery or an RTO's loss
 * state gives back the window from before. Returns 1 if cwnd is set. */
static int recover_or_restore(struct nst_cc *cc, struct bbr *b, const struct nst_cc_rate_sample *rs)
{
    uint8_t state = rs->ca_state, prev = b->prev_ca_state;
    uint32_t cwnd = cc->cwnd;
    uint32_t conserve = nst_cc_wnd_add(rs->in_flight, rs->acked_sacked);
    if (state == NST_TCP_CA_RECOVERY && prev != NST_TCP_CA_RECOVERY) {
        b->packet_conservation = 1;
        b->next_rtt_delivered = rs->total_delivered; /* a round from now */
        cwnd = conserve;
    } else if (prev >= NST_TCP_CA_RECOVERY && state < NST_TCP_CA_RECOVERY) {
        cwnd = NST_MAX(cwnd, b->prior_cwnd);
        b->packet_conservation = 0;
    }
    b->prev_ca_state = state & 7u;
    if (b->packet_conservation) {
        cc->cwnd = NST_MAX(cwnd, conserve);
        return 1;
    }
    cc->cwnd = cwnd;
    return 0;
}

static void set_cwnd(struct nst_cc *cc, struct bbr *b, const struct nst_cc_rate_sample *rs, uint64_t bw)
{
    uint32_t acked = rs->acked_sacked;
    uint32_t floor = BBR_MIN_CWND_SEGS * cc->mss;
    if (acked && !recover_or_restore(cc, b, rs)) {
        uint32_t target = inflight_target(cc, b, bw, cwnd_gain(b));
        if (b->mode == NST_BBR_PROBE_BW && b->cycle_idx == 0)
            target = nst_cc_wnd_add(target, 2u * (uint64_t)cc->mss); /* room to probe */
        if (b->full_bw_reached)
            cc->cwnd = NST_MIN(nst_cc_wnd_add(cc->cwnd, acked), target);
        else if (cc->cwnd < target || rs->total_delivered < nst_cc_initial_window(cc->mss))
            cc->cwnd = nst_cc_wnd_add(cc->cwnd, acked); /* STARTUP: slow start's growth */
        cc->cwnd = NST_MAX(cc->cwnd, floor);
    }
    if (b->mode == NST_BBR_PROBE_RTT)
        cc->cwnd = NST_MIN(cc->cwnd, floor);
}

static int bbr_cong_control(struct nst_cc *cc, const struct nst_cc_rate_sample *rs, nst_time_t now)
{
    struct bbr b = load(cc);
    update_bw(cc, &b, rs);
    if (b.mode == NST_BBR_PROBE_BW && next_cycle_phase(cc, &b, rs, now))
        advance_cycle_phase(&b, now);
    check_full_bw_reached(&b, rs);
    check_drain(cc, &b, rs, now);
    int limited = update_min_rtt(cc, &b, rs, now);
    uint64_t bw = max_bw(&b);
    set_pacing_rate(cc, &b, bw, pacing_gain(&b), rs->srtt);
    set_cwnd(cc, &b, rs, bw);
    store(cc, &b);
    return limited;
}

/* ---- the ops the core calls ---- */

static void bbr_init(struct nst_cc *cc, uint32_t mss, nst_time_t now)
{
    nst_cc_common_init(cc, mss);
    struct bbr b;
    memset(&b, 0, sizeof(b));
    b.mode = NST_BBR_STARTUP;
    b.min_rtt_stamp = now;
    b.cycle_stamp = now;
    init_pacing_rate(cc, &b, 0);
    store(cc, &b);
}

static void bbr_ack_received(struct nst_cc *cc, uint32_t acked, uint32_t flight, nst_time_t rtt, nst_time_t srtt,
                             nst_time_t now)
{
    /* Everything happens in bbr_cong_control, on every ACK. */
    (void)cc, (void)acked, (void)flight, (void)rtt, (void)srtt, (void)now;
}

static void bbr_cong_signal(struct nst_cc *cc, enum nst_cc_signal sig, uint32_t flight, nst_time_t now)
{
    (void)flight;
    (void)now;
    struct bbr b = load(cc);
    switch (sig) {
    case NST_CC_SIG_FAST_RECOVERY:
        /* No multiplicative decrease: the core sets cwnd = ssthresh on
         * entering recovery, so ssthresh is the window as it is; the next
         * rate sample applies packet conservation. */
        save_cwnd(cc, &b);
        cc->ssthresh = cc->cwnd;
        break;
    case NST_CC_SIG_RTO:
        /* As Linux: the window before is kept to come back to, the full
         * pipe detection starts over, and one segment goes (RFC 5681's
         * loss window). */
        save_cwnd(cc, &b);
        b.prev_ca_state = NST_TCP_CA_LOSS;
        b.full_bw = 0;
        b.round_start = 1;
        cc->cwnd = cc->mss;
        break;
    case NST_CC_SIG_ECN:
        break; /* BBRv1 has no ECN response */
    }
    store(cc, &b);
}

static void bbr_post_recovery(struct nst_cc *cc, uint32_t flight, nst_time_t now)
{
    /* recover_or_restore sees the state change on the same ACK. */
    (void)cc, (void)flight, (void)now;
}

static void bbr_after_idle(struct nst_cc *cc, nst_time_t rto, nst_time_t now)
{
    /* Linux's CA_EVENT_TX_START: pacing, not a restart window, keeps the
     * restart from bursting; in PROBE_BW it goes at the estimated rate. */
    (void)rto;
    (void)now;
    struct bbr b = load(cc);
    b.idle_restart = 1;
    if (b.mode == NST_BBR_PROBE_BW)
        set_pacing_rate(cc, &b, max_bw(&b), BBR_UNIT, 0);
    store(cc, &b);
}

static uint64_t bbr_pacing_rate(const struct nst_cc *cc)
{
    struct bbr b = load(cc);
    return b.pacing_rate;
}

void nst_cc_bbr_get_info(const struct nst_cc *cc, struct nst_cc_bbr_info *out)
{
    struct bbr b = load(cc);
    out->mode = b.mode;
    out->bw = max_bw(&b);
    out->min_rtt = b.min_rtt;
    out->pacing_gain = pacing_gain(&b);
    out->cwnd_gain = cwnd_gain(&b);
    out->round_count = b.round_count;
    out->full_bw_reached = b.full_bw_reached;
    out->cycle_idx = b.cycle_idx;
}

const struct nst_cc_ops nst_cc_bbr = {
    .name = "bbr",
    .init = bbr_init,
    .ack_received = bbr_ack_received,
    .cong_signal = bbr_cong_signal,
    .post_recovery = bbr_post_recovery,
    .after_idle = bbr_after_idle,
    .cong_control = bbr_cong_control,
    .pacing_rate = bbr_pacing_rate,
};
