/* RFC 6298 retransmission timer arithmetic, in integer nanoseconds. */
#include "tcp_rtt.h"

#define RTT_CLOCK_G NST_MSEC(1) /* RFC 6298 2: the clock granularity G */
#define RTT_K 4                 /* RFC 6298 2.2 */
#define RTT_MAX_BACKOFF 32      /* bounds the exponent; the timer itself saturates at max_rto */

void nst_rtt_init(struct nst_rtt *r, nst_time_t initial_rto, nst_time_t min_rto, nst_time_t max_rto)
{
    r->srtt = 0;
    r->rttvar = 0;
    r->rto = initial_rto;
    r->min_rto = min_rto;
    r->max_rto = max_rto;
    r->latest = 0;
    r->backoff = 0;
}

static nst_time_t rtt_clamp(const struct nst_rtt *r, nst_time_t t)
{
    /* RFC 6298 2.4 (lower bound, the caller's min_rto) and 2.5 (upper bound). */
    if (t < r->min_rto)
        t = r->min_rto;
    if (t > r->max_rto)
        t = r->max_rto;
    return t;
}

void nst_rtt_sample(struct nst_rtt *r, nst_time_t sample)
{
    if (sample < 0)
        return;
    /* srtt == 0 means "no sample yet": a same-tick ACK in the simulator
     * measures 0, which is counted as 1 ns so it still counts as a sample. */
    if (sample == 0)
        sample = 1;
    r->latest = sample;
    if (r->srtt == 0) {
        /* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2. */
        r->srtt = sample;
        r->rttvar = sample / 2;
    } else {
        /* RFC 6298 2.3: RTTVAR first, with the old SRTT (beta 1/4, alpha 1/8). */
        nst_time_t err = r->srtt > sample ? r->srtt - sample : sample - r->srtt;
        r->rttvar = (3 * r->rttvar + err) / 4;
        r->srtt = (7 * r->srtt + sample) / 8;
    }
    /* RFC 6298 2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR). */
    nst_time_t var = RTT_K * r->rttvar;
    r->rto = rtt_clamp(r, r->srtt + (var > RTT_CLOCK_G ? var : RTT_CLOCK_G));
    /* RFC 6298 5.7: a valid sample after backoff ends the doubling. */
    r->backoff = 0;
}

nst_time_t nst_rtt_timeout(const struct nst_rtt *r)
{
    nst_time_t t = r->rto;
    for (unsigned i = 0; i < r->backoff && t < r->max_rto; i++)
        t = t > r->max_rto / 2 ? r->max_rto : 2 * t;
    return t > r->max_rto ? r->max_rto : t;
}

void nst_rtt_backoff(struct nst_rtt *r)
{
    /* RFC 6298 5.5: RTO <- RTO * 2, bounded by max_rto in nst_rtt_timeout;
     * the exponent keeps counting (capped) so callers may read it as the
     * number of consecutive timeouts. */
    if (r->backoff < RTT_MAX_BACKOFF)
        r->backoff++;
}
