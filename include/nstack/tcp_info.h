/* nstack — TCP connection inspection: getsockopt(NST_TCP_INFO) for one
 * socket, nst_tcp_list() for every connection of a stack (`ss` style),
 * TIME_WAIT records and connections the application has closed included. */
#ifndef NSTACK_TCP_INFO_H
#define NSTACK_TCP_INFO_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

/* The connection states of RFC 9293 3.3.2. */
enum nst_tcp_conn_state {
    NST_TCPS_CLOSED = 0,
    NST_TCPS_LISTEN,
    NST_TCPS_SYN_SENT,
    NST_TCPS_SYN_RECEIVED,
    NST_TCPS_ESTABLISHED,
    NST_TCPS_FIN_WAIT_1,
    NST_TCPS_FIN_WAIT_2,
    NST_TCPS_CLOSE_WAIT,
    NST_TCPS_CLOSING,
    NST_TCPS_LAST_ACK,
    NST_TCPS_TIME_WAIT,
};

/* "ESTABLISHED", "TIME_WAIT", ... */
const char *nst_tcp_state_name(int state);

/* nst_tcp_info.options */
enum {
    NST_TCPI_OPT_TIMESTAMPS = 1,
    NST_TCPI_OPT_SACK = 2,
    NST_TCPI_OPT_WSCALE = 4,
    NST_TCPI_OPT_ECN = 8,       /* ECN negotiated (RFC 3168 6.1.1), as Linux's TCPI_OPT_ECN */
    NST_TCPI_OPT_ECN_SEEN = 16, /* ECT or CE data received: the path keeps the field (Linux's) */
};

/* nst_tcp_info.ca_state: what the loss recovery machinery is doing. */
enum {
    NST_TCP_CA_OPEN = 0,     /* nothing outstanding looks lost */
    NST_TCP_CA_DISORDER,     /* duplicate ACKs or SACKs seen, below the threshold */
    NST_TCP_CA_RECOVERY,     /* fast recovery (NewReno or SACK) */
    NST_TCP_CA_LOSS,         /* retransmission timeout */
};

/* nst_tcp_info.bbr.mode: BBR's state (draft-cardwell-iccrg-bbr-congestion-control 4.3). */
enum {
    NST_BBR_STARTUP = 0,     /* doubling the sending rate each round until the pipe is full */
    NST_BBR_DRAIN,           /* draining the queue STARTUP built */
    NST_BBR_PROBE_BW,        /* cycling the pacing gain around the bottleneck bandwidth */
    NST_BBR_PROBE_RTT,       /* cwnd 4 segments a moment, to see the path's RTT again */
};

/* nst_tcp_info.timer: the next timer of the connection (as `ss -o` shows). */
enum {
    NST_TCPI_TIMER_NONE = 0,
    NST_TCPI_TIMER_RETRANSMIT, /* RTO, SYN or SYN-ACK retransmission */
    NST_TCPI_TIMER_PERSIST,    /* zero-window probe */
    NST_TCPI_TIMER_KEEPALIVE,  /* keepalive, or the orphaned FIN_WAIT_2 timeout */
    NST_TCPI_TIMER_DELACK,     /* delayed ACK */
    NST_TCPI_TIMER_TIMEWAIT,   /* end of TIME_WAIT */
};

struct nst_tcp_info {
    uint8_t state;          /* enum nst_tcp_conn_state */
    uint8_t ca_state;       /* NST_TCP_CA_* */
    uint8_t options;        /* NST_TCPI_OPT_* negotiated */
    uint8_t snd_wscale;     /* shift applied to the peer's windows */
    uint8_t rcv_wscale;     /* shift applied to ours */
    uint8_t backoff;        /* consecutive RTO expirations */
    uint8_t timer;          /* NST_TCPI_TIMER_* */
    uint8_t orphan;         /* no descriptor and no listener holds it: the application closed it */
    int fd;                 /* -1 if none */
    struct nst_sockaddr local, remote;
    nst_time_t timer_expires; /* absolute time of `timer`, 0 if none */
    nst_time_t rtt, rttvar, rto; /* smoothed RTT, its variation, current RTO (backoff applied) */
    nst_time_t last_recv;   /* time the last acceptable segment arrived (RFC 9293 3.10.7.4) */
    uint32_t snd_mss;       /* bytes of payload per segment sent */
    uint32_t rcv_mss;       /* MSS we advertised */
    uint32_t cwnd, ssthresh; /* bytes */
    uint32_t snd_wnd;       /* peer's window, bytes */
    uint32_t rcv_wnd;       /* window we advertise, bytes */
    uint32_t unacked;       /* bytes sent and not yet acknowledged */
    uint32_t sacked;        /* of those, bytes the peer SACKed */
    uint32_t send_queue;    /* bytes in the send buffer (unacked + unsent) */
    uint32_t recv_queue;    /* bytes received and not yet read */
    uint32_t sndbuf, rcvbuf; /* buffer limits */
    uint32_t accept_queue;  /* listeners: connections ready to accept */
    uint32_t syn_queue;     /* listeners: embryonic connections */
    uint32_t backlog;       /* listeners */
    uint32_t dupacks;       /* duplicate ACKs in a row */
    uint64_t retransmits;   /* segments retransmitted (all causes) */
    uint64_t rto_timeouts;  /* RTO expirations */
    uint64_t fast_retransmits;
    uint64_t bytes_sent;    /* payload bytes sent, retransmissions included */
    uint64_t bytes_retrans;
    uint64_t bytes_acked;   /* payload bytes the peer acknowledged */
    uint64_t bytes_received; /* payload bytes received in order */
    uint64_t segs_out, segs_in;
    char congestion[16];    /* "cubic", "newreno" */
    nst_time_t state_since; /* when the connection entered `state` */
    uint8_t close_wait_leak; /* in CLOSE_WAIT longer than the stack's close_wait_leak threshold */
    uint32_t pmtu;          /* the path MTU segments are sized for (RFC 1191, RFC 4821), bytes */
    /* Pacing and delivery rate (Linux's tcpi_pacing_rate, tcpi_delivery_rate). */
    uint64_t pacing_rate;   /* bytes/s the data is paced at; 0: not paced */
    uint64_t delivery_rate; /* the last delivery rate sample, bytes/s (BBR connections); 0: none */
    struct {                /* congestion == "bbr" (Linux's tcp_bbr_info) */
        uint64_t bw;        /* BtlBw: the max-filtered delivery rate, bytes/s */
        nst_time_t min_rtt; /* RTprop; 0: none yet */
        uint32_t pacing_gain, cwnd_gain; /* x 256 */
        uint32_t round_count; /* round trips counted */
        uint8_t mode;       /* NST_BBR_* */
        uint8_t full_bw_reached;
        uint8_t cycle_idx;  /* PROBE_BW's phase: 0 probes (5/4), 1 drains (3/4), 2-7 cruise */
    } bbr;
};

/* Fills out[0..max) with the stack's connections (listeners, connections,
 * orphans, TIME_WAIT records) and returns how many there are in all. */
int nst_tcp_list(struct nst_stack *st, struct nst_tcp_info *out, int max);

/* Bytes of memory the stack holds for one connection (its control block,
 * buffers not included: they are allocated only while they hold bytes) and
 * for one TIME_WAIT record, which replaces the control block. */
size_t nst_tcp_conn_size(void);
size_t nst_tcp_timewait_size(void);

NST_API_END

#endif
