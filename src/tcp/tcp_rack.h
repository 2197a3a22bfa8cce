/* RACK-TLP (RFC 8985): the sender's per-connection state. A connection
 * that negotiated SACK with RACK on holds one (allocated on its first data
 * segment, freed with the connection); its log of transmissions only while
 * data is outstanding. */
#ifndef NST_TCP_RACK_H
#define NST_TCP_RACK_H

#include <nstack/types.h>
#include <stdint.h>

/* One transmission: [start, end) of sequence space, all sent at `xmit`.
 * Segments sent at the same instant share a record (nothing distinguishes
 * them for RACK); a SACK, a loss mark or a retransmission splits it. */
struct tcp_rack_seg {
    uint32_t start, end;
    nst_time_t xmit;
    uint8_t flags;              /* TCP_RACK_* */
};

enum {
    TCP_RACK_SACKED = 1,        /* the receiver reported holding it */
    TCP_RACK_LOST = 2,          /* deemed lost, not retransmitted since */
    TCP_RACK_RETRANS = 4,       /* this transmission is a retransmission */
};

/* Records beyond this are folded into the newest (later time: loss is then
 * only detected later, never wrongly). */
#define TCP_RACK_MAX_SEGS 4096u

struct tcp_rack {
    /* The transmissions of [SND.UNA, SND.MAX), in sequence order:
     * seg[head .. head + n). */
    struct tcp_rack_seg *seg;
    uint32_t head, n, cap;
    uint32_t lost_bytes;        /* LOST and not SACKED */
    uint32_t sacked_bytes;      /* SACKED */
    /* RFC 8985 6.1 */
    nst_time_t xmit_ts;         /* RACK.xmit_ts: latest transmission delivered */
    uint32_t end_seq;           /* RACK.end_seq */
    nst_time_t rtt;             /* RACK.rtt */
    nst_time_t min_rtt;         /* RACK.min_RTT (0: none yet), over a window of 5 minutes */
    nst_time_t min_rtt_at;
    uint32_t fack;              /* RACK.fack: highest end delivered */
    uint32_t ack_prior_fack;    /* RACK.fack before the ACK being processed (step 3) */
    uint32_t dsack_round;       /* RACK.dsack_round: SND.NXT when the window last grew */
    uint8_t dsack_round_on;
    uint8_t reordering_seen;    /* RACK.reordering_seen */
    uint8_t reo_wnd_mult;       /* RACK.reo_wnd_mult */
    uint8_t reo_wnd_persist;    /* RACK.reo_wnd_persist */
    /* RFC 8985 7 (TLP) */
    uint8_t tlp_on;             /* TLP.end_seq is set: a probe is outstanding */
    uint8_t tlp_is_retrans;     /* TLP.is_retrans */
    uint32_t tlp_end_seq;       /* TLP.end_seq */
    nst_time_t pto_at;          /* when the PTO is due (the armed timer may be earlier) */
    /* What the retransmission timer (t_rtx) is armed for. */
    uint8_t timer;              /* TCP_RACK_TIMER_* */
    /* Fast recovery began and its first retransmission, which goes
     * whatever the window (RFC 5681 3.2 step 2), has not: it waits for
     * the pacing timer (tcp_recovery.c). */
    uint8_t rtx_owed;
};

enum { TCP_RACK_TIMER_RTO = 0, TCP_RACK_TIMER_REO, TCP_RACK_TIMER_PTO };

#endif
