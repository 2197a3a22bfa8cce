/* Helpers shared by the congestion control modules (cc_newreno.c,
 * cc_cubic.c) and read by their unit tests. The TCP core needs only cc.h. */
#ifndef NST_TCP_CC_INTERNAL_H
#define NST_TCP_CC_INTERNAL_H

#include "tcp/cc.h"

#include <stdbool.h>

/* RFC 7323 2.3: the largest window TCP can express (65535 << 14 bytes).
 * cwnd never grows past it, and it is the "arbitrarily high" initial
 * ssthresh: RFC 5681 3.1 suggests "the size of the largest possible
 * advertised window". Leaves headroom in uint32_t arithmetic. */
#define NST_CC_WND_MAX (65535u << 14)
#define NST_CC_SSTHRESH_INITIAL NST_CC_WND_MAX

/* RFC 9293 3.7.1: the send MSS assumed when none is known. Used if a
 * caller passes mss == 0, so that no module ever divides by zero. */
#define NST_CC_DEFAULT_MSS 536u

/* The sender MSS clamped to [1, 65535] (the MSS option is 16 bits, RFC
 * 9293 3.2), for modules that divide by it or multiply with it. */
static inline uint32_t nst_cc_smss(const struct nst_cc *cc)
{
    if (cc->mss == 0)
        return NST_CC_DEFAULT_MSS;
    return cc->mss > 65535u ? 65535u : cc->mss;
}

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)) bytes. */
uint32_t nst_cc_initial_window(uint32_t mss);

/* Shared part of every module's init: mss, cwnd = IW, ssthresh = high,
 * byte counter and private state zeroed. */
void nst_cc_common_init(struct nst_cc *cc, uint32_t mss);

/* RFC 5681 4.1: after an idle period longer than an RTO, cwnd is set to
 * no more than the restart window RW = min(IW, cwnd). Returns RW. */
uint32_t nst_cc_restart_window(const struct nst_cc *cc);

/* RFC 7661 / RFC 9438 5.8: is the sender using its window? Growth is
 * allowed only if at least half of cwnd was in flight when the ACK came
 * (the slack Linux also allows in slow start), so an application-limited
 * or rwnd-limited flow does not inflate a window it never tests. */
bool nst_cc_cwnd_limited(const struct nst_cc *cc, uint32_t flight);

/* RFC 5681 3.1 slow start, eq. (2): cwnd += min(N, SMSS) per ACK. */
void nst_cc_slow_start(struct nst_cc *cc, uint32_t acked);

/* RFC 6582 3.2 step 3, option 1: cwnd = min(ssthresh, max(FlightSize,
 * SMSS) + SMSS) when a full ACK ends recovery. */
uint32_t nst_cc_post_recovery_window(const struct nst_cc *cc, uint32_t flight);

/* cwnd + inc, saturated at NST_CC_WND_MAX. */
uint32_t nst_cc_wnd_add(uint32_t cwnd, uint64_t inc);

/* CUBIC's private state as plain numbers, for tests and diagnostics. */
struct nst_cc_cubic_info {
    uint32_t w_max;      /* bytes; 0 while undefined (no loss yet, or after an RTO) */
    uint32_t cwnd_prior; /* bytes: cwnd when ssthresh was last set */
    uint32_t cwnd_epoch; /* bytes: cwnd when the current CA epoch began */
    uint32_t w_est;      /* bytes: the Reno-friendly estimate (integer part) */
    nst_time_t k;        /* ns: K of the current epoch */
    nst_time_t epoch_start; /* ns: t_epoch, valid if in_epoch */
    bool in_epoch;       /* a congestion avoidance epoch is running */
};
void nst_cc_cubic_get_info(const struct nst_cc *cc, struct nst_cc_cubic_info *out);

/* BBR's state as plain numbers (TCP_INFO, tests). */
struct nst_cc_bbr_info {
    uint64_t bw;            /* bytes/s */
    nst_time_t min_rtt;
    uint32_t pacing_gain, cwnd_gain, round_count;
    uint8_t mode, full_bw_reached, cycle_idx;
};
void nst_cc_bbr_get_info(const struct nst_cc *cc, struct nst_cc_bbr_info *out);

#endif
