/* NewReno: RFC 5681 slow start and congestion avoidance, RFC 6582 window
 * on entering and leaving fast recovery. All windows in bytes.
 *
 * Choices:
 * - Slow start grows by min(acked, SMSS) per ACK (RFC 5681 eq. 2, which is
 *   RFC 3465 with L = 1): never a burst from a stretch ACK, at the cost of
 *   1.5x instead of 2x per RTT behind a delayed-ACK receiver.
 * - Congestion avoidance counts bytes (RFC 3465 2.1, RFC 5681 3.1): once
 *   bytes_acked reaches cwnd, bytes_acked -= cwnd and cwnd += SMSS.
 * - Leaving recovery uses RFC 6582 3.2 step 3 option 1,
 *   cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), which avoids a
 *   burst when little data is in flight at the full ACK.
 * - Growth only while cwnd-limited (nst_cc_cwnd_limited, RFC 7661). */
#include "tcp/cc_internal.h"

#include "core/util.h"

/* priv[0]: nonzero from an RTO until new data is acknowledged. */
enum { NEWRENO_PRIV_RTO_PENDING = 0 };

static void newreno_init(struct nst_cc *cc, uint32_t mss, nst_time_t now)
{
    (void)now;
    nst_cc_common_init(cc, mss);
}

static void newreno_congestion_avoidance(struct nst_cc *cc, uint32_t acked)
{
    /* RFC 3465 2.1: one SMSS per cwnd of acknowledged bytes. acked is
     * capped at cwnd so a huge cumulative ACK earns at most one SMSS now
     * and cannot overflow the counter. */
    cc->bytes_acked += NST_MIN(acked, cc->cwnd);
    if (cc->bytes_acked >= cc->cwnd) {
        cc->bytes_acked -= cc->cwnd;
        cc->cwnd = nst_cc_wnd_add(cc->cwnd, cc->mss);
    }
}

static void newreno_ack_received(struct nst_cc *cc, uint32_t acked, uint32_t flight, nst_time_t rtt,
                                 nst_time_t srtt, nst_time_t now)
{
    (void)rtt;
    (void)srtt;
    (void)now;
    if (acked == 0)
        return;
    /* New data got through: a later RTO is a fresh loss again. */
    cc->priv[NEWRENO_PRIV_RTO_PENDING] = 0;
    if (!nst_cc_cwnd_limited(cc, flight))
        return;
    /* RFC 5681 3.1: slow start while cwnd < ssthresh, else CA. */
    if (cc->cwnd < cc->ssthresh)
        nst_cc_slow_start(cc, acked);
    else
        newreno_congestion_avoidance(cc, acked);
}

static uint32_t newreno_loss_ssthresh(const struct nst_cc *cc, uint32_t flight)
{
    /* RFC 5681 3.1 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS). */
    return NST_MAX(flight / 2u, 2u * cc->mss);
}

static void newreno_cong_signal(struct nst_cc *cc, enum nst_cc_signal sig, uint32_t flight, nst_time_t now)
{
    (void)now;
    cc->bytes_acked = 0;
    switch (sig) {
    case NST_CC_SIG_FAST_RECOVERY:
        /* RFC 5681 3.2 steps 2-3 (RFC 6582 3.2 step 2): halve, then
         * inflate by the three segments the duplicate ACKs say have left. */
        cc->priv[NEWRENO_PRIV_RTO_PENDING] = 0;
        cc->ssthresh = newreno_loss_ssthresh(cc, flight);
        cc->cwnd = nst_cc_wnd_add(cc->ssthresh, 3u * (uint64_t)cc->mss);
        break;
    case NST_CC_SIG_ECN:
        /* RFC 3168 6.1.2: halve as for a loss (RFC 5681 eq. 4), but
         * nothing left the network: no inflation, cwnd = ssthresh. */
        cc->priv[NEWRENO_PRIV_RTO_PENDING] = 0;
        cc->ssthresh = newreno_loss_ssthresh(cc, flight);
        cc->cwnd = cc->ssthresh;
        break;
    case NST_CC_SIG_RTO:
        /* RFC 5681 3.1: if the segment already timed out once, ssthresh
         * is held constant; the loss window is always 1 SMSS. */
        if (!cc->priv[NEWRENO_PRIV_RTO_PENDING])
            cc->ssthresh = newreno_loss_ssthresh(cc, flight);
        cc->priv[NEWRENO_PRIV_RTO_PENDING] = 1;
        cc->cwnd = cc->mss;
        break;
    }
}

static void newreno_post_recovery(struct nst_cc *cc, uint32_t flight, nst_time_t now)
{
    (void)now;
    cc->priv[NEWRENO_PRIV_RTO_PENDING] = 0;
    cc->cwnd = nst_cc_post_recovery_window(cc, flight);
    cc->bytes_acked = 0;
}

static void newreno_after_idle(struct nst_cc *cc, nst_time_t rto, nst_time_t now)
{
    /* The core decides the idle time exceeded the RTO. */
    (void)rto;
    (void)now;
    cc->cwnd = nst_cc_restart_window(cc);
    cc->bytes_acked = 0;
}

const struct nst_cc_ops nst_cc_newreno = {
    .name = "newreno",
    .init = newreno_init,
    .ack_received = newreno_ack_received,
    .cong_signal = newreno_cong_signal,
    .post_recovery = newreno_post_recovery,
    .after_idle = newreno_after_idle,
};
