/* Congestion control behind an ops table, in the manner of FreeBSD's
 * sys/netinet/cc: TCP's loss detection and recovery logic lives in the TCP
 * core; a module decides only how cwnd and ssthresh move.
 * Modules: NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438, the default). */
#ifndef NST_TCP_CC_H
#define NST_TCP_CC_H

#include <nstack/types.h>

enum nst_cc_signal {
    NST_CC_SIG_FAST_RECOVERY, /* loss detected by duplicate ACKs / SACK: enter recovery */
    NST_CC_SIG_RTO,           /* retransmission timeout */
    NST_CC_SIG_ECN,           /* ECN-Echo (RFC 3168 6.1.2): reduce as for a loss, no retransmission */
};

struct nst_cc {
    const struct nst_cc_ops *ops;
    uint32_t cwnd;       /* bytes */
    uint32_t ssthresh;   /* bytes */
    uint32_t mss;        /* sender MSS (SMSS) in bytes */
    uint32_t bytes_acked; /* RFC 3465 byte counting in congestion avoidance */
    uint8_t hystart;     /* CUBIC: HyStart++ (RFC 9406) in the initial slow start; set after init */
    uint64_t priv[12];   /* the module's own state (CUBIC: W_max, K, epoch...) */
};

struct nst_cc_ops {
    const char *name;
    /* Connection established: cwnd = initial window (RFC 6928: min(10*MSS,
     * max(2*MSS, 14600))), ssthresh = "arbitrarily high" (RFC 5681 3.1). */
    void (*init)(struct nst_cc *cc, uint32_t mss, nst_time_t now);
    /* `acked` bytes of new data were cumulatively acknowledged outside
     * recovery. flight: bytes outstanding before this ACK. rtt: the RTT
     * this ACK measured (the timed segment, or RFC 7323 timestamps; 0 if
     * none), srtt: smoothed RTT (0 if none). */
    void (*ack_received)(struct nst_cc *cc, uint32_t acked, uint32_t flight, nst_time_t rtt, nst_time_t srtt,
                         nst_time_t now);
    /* Congestion: set ssthresh and cwnd for the signal. flight: bytes
     * outstanding (FlightSize) when it was detected. */
    void (*cong_signal)(struct nst_cc *cc, enum nst_cc_signal sig, uint32_t flight, nst_time_t now);
    /* Recovery ended (RFC 6582 3.2 step 3: full ACK): deflate the window. */
    void (*post_recovery)(struct nst_cc *cc, uint32_t flight, nst_time_t now);
    /* The connection was idle longer than an RTO (RFC 5681 4.1: restart window). */
    void (*after_idle)(struct nst_cc *cc, nst_time_t rto, nst_time_t now);
};

extern const struct nst_cc_ops nst_cc_newreno;
extern const struct nst_cc_ops nst_cc_cubic;

/* Looks a module up by name ("newreno", "cubic"); NULL if unknown. */
const struct nst_cc_ops *nst_cc_find(const char *name);
#define NST_CC_DEFAULT (&nst_cc_cubic)

#endif
