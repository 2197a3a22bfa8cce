/* The retransmission timer's estimator (RFC 6298). */
#ifndef NST_TCP_RTT_H
#define NST_TCP_RTT_H

#include <nstack/types.h>

struct nst_rtt {
    nst_time_t srtt;    /* 0 until the first sample */
    nst_time_t rttvar;
    nst_time_t rto;     /* current RTO before backoff */
    nst_time_t min_rto, max_rto;
    nst_time_t latest;  /* last sample */
    unsigned backoff;   /* exponent: the timer runs for rto << backoff (clamped to max); counts consecutive timeouts, capped at 32 */
};

/* RFC 6298 2.1: RTO = 1 s before any sample (initial). */
void nst_rtt_init(struct nst_rtt *r, nst_time_t initial_rto, nst_time_t min_rto, nst_time_t max_rto);
/* RFC 6298 2.2/2.3 with alpha 1/8, beta 1/4, K = 4, G = 1 ms clock granularity.
 * Resets the backoff (RFC 6298 5.7 after a valid sample). */
void nst_rtt_sample(struct nst_rtt *r, nst_time_t sample);
/* The timer value to arm now: rto << backoff, clamped to max_rto. */
nst_time_t nst_rtt_timeout(const struct nst_rtt *r);
/* RFC 6298 5.5: double the timer (bounded). */
void nst_rtt_backoff(struct nst_rtt *r);

#endif
