/* A receiving peer for segment-script tests (tests/sim/test_tcp_*.c): the
 * other end of a bulk transfer the stack sends, modelled rather than
 * scripted, so a test can drive a loss or a delay spike to its end.
 *
 * The stack's data segments reach it `delay` after they leave; it loses
 * the segments listed in drop[] on their first transmission, and ACKs
 * every data segment that arrives, at once (no delayed ACKs). With `sack`,
 * the ACK carries SACK blocks for the data held out of order (RFC 2018);
 * with `dsack` too, a segment received already is reported first as a
 * D-SACK (RFC 2883 4). The ACKs wait in a queue until rp_run injects them
 * at their times. Sequence numbers are relative to the stack's ISN, as in
 * the script harness; segment i is [1 + i * RP_MSS, 1 + (i + 1) * RP_MSS).
 *
 * TS_DEBUG=1 in the environment logs every segment and ACK. */
#ifndef NST_TEST_RX_PEER_H
#define NST_TEST_RX_PEER_H

#include "support/tcp_script.h"

/* The segment size the model counts transmissions in (the MSS the
 * harness's SYNs offer, ts_syn_opts). */
#define RP_MSS 1460u

struct rp_ack {
    nst_time_t at;
    uint32_t ack;
    struct nst_tcp_opts opts;
};

struct rp_peer {
    /* Set by the test. */
    int sack;                 /* SACK blocks in its ACKs */
    int dsack;                /* with sack: a duplicate is reported by a D-SACK first */
    int recent_first;         /* with sack: the block holding the latest arrival first (RFC 2018 4),
                                 else the blocks from the lowest */
    nst_time_t delay;         /* one-way, stack to peer */
    uint32_t rcv_nxt;         /* the next byte it expects */
    uint32_t drop[16];        /* segments (their seq) lost on their first transmission */
    unsigned n_drop;
    /* Kept by the model. */
    uint8_t dropped[16];
    struct { uint32_t s, e; } ooo[16];  /* held out of order, sorted */
    unsigned n_ooo;
    uint32_t last_s, last_e;  /* the block the latest out-of-order arrival joined */
    struct rp_ack q[256];     /* ACKs not yet injected, in time order */
    unsigned nq;
    unsigned tx[256];         /* transmissions seen per segment index (seq - 1) / RP_MSS */
    unsigned segments;        /* data segments seen, lost ones included */
};

/* Segment [seq, seq + len) reaches the peer at `at` (times only grow). */
void rp_arrive(struct rp_peer *p, uint32_t seq, uint32_t len, nst_time_t at);

/* Runs the exchange: each segment the stack sends reaches the peer
 * p->delay after it left, each queued ACK is injected at its time. Returns
 * at `until` when no ACK is due by then, or, with end != 0, as soon as an
 * ACK of `end` leaves nothing queued. */
void rp_run(struct ts *s, struct rp_peer *p, uint32_t end, nst_time_t until);

#endif
