/* Congestion control behind an ops table, in the manner of FreeBSD's
 * sys/netinet/cc: TCP's loss detection and recovery logic lives in the TCP
 * core; a module decides only how cwnd and ssthresh move.
 * Modules: NewReno (RFC 5681, RFC 6582), CUBIC (RFC 9438, the default) and
 * BBR (v1, draft-cardwell-iccrg-bbr-congestion-control-00), which models
 * the path from delivery-rate samples (tcp_rate.c) and paces (tcp_pacing.c). */
#ifndef NST_TCP_CC_H
#define NST_TCP_CC_H

#include <nstack/types.h>

enum nst_cc_signal {
    NST_CC_SIG_FAST_RECOVERY, /* loss detected by duplicate ACKs / SACK: enter recovery */
    NST_CC_SIG_RTO,           /* retransmission timeout */
    NST_CC_SIG_ECN,           /* ECN-Echo (RFC 3168 6.1.2): reduce as for a loss, no retransmission */
};

/* One delivery rate sample (draft-cheng-iccrg-delivery-rate-estimation
 * 3.3), taken by tcp_rate.c on every ACK for a module with cong_control.
 * All amounts in bytes. */
struct nst_cc_rate_sample {
    uint64_t delivered;       /* RS.delivered: bytes delivered over `interval` */
    uint64_t prior_delivered; /* RS.prior_delivered: C.delivered when the sampled packet went */
    uint64_t total_delivered; /* C.delivered now */
    nst_time_t interval;      /* RS.interval; 0: no valid sample in this ACK */
    nst_time_t rtt;           /* RTT of the sampled packet (0: none, or it was a retransmission) */
    nst_time_t srtt;          /* the connection's smoothed RTT (0: none yet) */
    uint32_t acked_sacked;    /* bytes this ACK newly delivered (cumulatively or SACKed) */
    uint32_t prior_in_flight; /* bytes in flight before the ACK */
    uint32_t in_flight;       /* and after it */
    uint8_t is_app_limited;   /* RS.is_app_limited */
    uint8_t ca_state;         /* the core's NST_TCP_CA_* after the ACK */
};

struct nst_cc {
    const struct nst_cc_ops *ops;
    uint32_t cwnd;       /* bytes */
    uint32_t ssthresh;   /* bytes */
    uint32_t mss;        /* sender MSS (SMSS) in bytes */
    uint32_t bytes_acked; /* RFC 3465 byte counting in congestion avoidance */
    uint8_t hystart;     /* CUBIC: HyStart++ (RFC 9406) in the initial slow start; set after init */
    uint64_t priv[12];   /* the module's own state (CUBIC: W_max, K, epoch...; BBR: struct bbr) */
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
    /* Optional, as Linux's cong_control: a module that models the path
     * gets every ACK's rate sample (in recovery too) and sets cwnd and
     * pacing_rate itself. The core then keeps delivery-rate state and
     * paces the connection. Returns 1 if the flow is to be marked
     * application-limited (draft-cheng 3.3: BBR's PROBE_RTT). */
    int (*cong_control)(struct nst_cc *cc, const struct nst_cc_rate_sample *rs, nst_time_t now);
    /* Optional: the rate, bytes/s, the module wants the data paced at (0:
     * none yet). Kept in the module's state: nothing in every connection. */
    uint64_t (*pacing_rate)(const struct nst_cc *cc);
};

extern const struct nst_cc_ops nst_cc_newreno;
extern const struct nst_cc_ops nst_cc_cubic;
extern const struct nst_cc_ops nst_cc_bbr;

/* Looks a module up by name ("newreno", "cubic", "bbr"); NULL if unknown. */
const struct nst_cc_ops *nst_cc_find(const char *name);
#define NST_CC_DEFAULT (&nst_cc_cubic)

#endif
