/* Loss recovery on the sending side: limited transmit (RFC 3042), fast
 * retransmit and NewReno recovery with partial ACKs (RFC 5681, RFC 6582),
 * SACK-based recovery (RFC 6675), and RTO recovery (go-back-N after a
 * timeout). The first steps are asserted segment by segment; then a peer
 * model (a receiver that drops chosen segments on their first
 * transmission and ACKs every segment after a fixed delay, with SACK
 * blocks if negotiated) drives each case to completion, and the test
 * asserts each lost segment was retransmitted exactly once and no RTO
 * fired where fast recovery should have done the work. */
#include <stdlib.h>

#include "support/rx_peer.h"
#include "support/tcp_testutil.h"

#define MSS TU_MSS

/* The receiving peer: ACKs each segment as it arrives, 50 ms after it
 * left, SACK blocks (the most recent first) if sack; no D-SACK. */
static void peer_init(struct rp_peer *p, int sack, uint32_t rcv_nxt)
{
    memset(p, 0, sizeof(*p));
    p->sack = sack;
    p->recent_first = 1;
    p->delay = MS(50);
    p->rcv_nxt = rcv_nxt;
}

/* A connection with the peer's SYN offering SACK (or not); nseg segments
 * queued at 1 s. These are RFC 6675 / RFC 6582 scripts: RACK-TLP (which
 * would time the same losses differently, test_tcp_rack.c) is off. */
static struct ts *setup(int sack, const char *cc, int *fd, uint32_t nseg)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.rack = 0;
    return tu_bulk_sender(&cfg, sack, cc, nseg * MSS, fd);
}

/* The initial window: 10 segments at 1 s (PSH on the last if it empties
 * the send buffer). */
static void expect_iw(struct ts *s, int last_push)
{
    for (uint32_t i = 0; i < 9; i++)
        tu_expect_segment(s, SEC(1), 1 + i * MSS);
    EXPECT(s, SEC(1), .flags = last_push ? F_PA : F_A, .seq = 1 + 9 * MSS, .ack = 1, .len = MSS);
}

/* ---- SACK recovery ------------------------------------------------------------------- */

static void test_sack_fast_retransmit(void)
{
    int fd;
    struct ts *s = setup(1, NULL, &fd, 40);
    expect_iw(s, 0);
    /* Segment 1 is lost; segments 2, 3, 4 arrive: three duplicate ACKs. */
    tu_ack(s, MS(1100), 1, TU_SACK(1461, 2921));
    /* RFC 3042: one new segment per duplicate ACK, the first two. */
    tu_expect_segment(s, MS(1100), 14601);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_DISORDER);
    tu_ack(s, MS(1101), 1, TU_SACK(1461, 4381));
    tu_expect_segment(s, MS(1101), 16061);
    tu_ack(s, MS(1102), 1, TU_SACK(1461, 5841));
    /* Third: fast retransmit of the first segment; cwnd = ssthresh =
     * 0.7 * FlightSize (CUBIC, RFC 9438 4.6) = 0.7 * 12 * 1460. */
    tu_expect_segment(s, MS(1102), 1);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(ti.ssthresh, 12264);
    CHECK_EQ(ti.cwnd, 12264);
    CHECK_EQ(ti.sacked, 4380);
    /* pipe = 1460 (retransmitted) + 11680 (not lost) > cwnd: nothing more. */
    EXPECT_NONE(s, MS(1102));
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    CHECK_EQ(tu_stats(s)->tcp_sack_recoveries, 1);
    /* Segments 5 and 6 arrive: pipe falls by 2920, one new segment goes. */
    tu_ack(s, MS(1103), 1, TU_SACK(1461, 7301));
    EXPECT_NONE(s, MS(1103));
    tu_ack(s, MS(1104), 1, TU_SACK(1461, 8761));
    tu_expect_segment(s, MS(1104), 17521);
    /* The retransmission arrives: everything up to 8761 is acknowledged. */
    tu_ack(s, MS(1202), 8761, TU_NO_SACK);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY); /* recover = 17521 */
    /* The rest completes with a well-behaved peer (segments 7 to 13,
     * already in flight, arrive). */
    struct rp_peer p;
    peer_init(&p, 1, 17521 + MSS);
    rp_run(s, &p, 1 + 40 * MSS, SEC(30));
    ti = tu_check_done(s, fd, 0, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    ts_free(s);
}

/* Several holes in one window: each is retransmitted once, in one
 * recovery episode, without an RTO. */
static void test_sack_multiple_losses(void)
{
    int fd;
    struct ts *s = setup(1, NULL, &fd, 60);
    struct rp_peer p;
    peer_init(&p, 1, 1);
    p.n_drop = 3;
    p.drop[0] = 1;
    p.drop[1] = 1 + 3 * MSS;
    p.drop[2] = 1 + 6 * MSS;
    rp_run(s, &p, 1 + 60 * MSS, SEC(60));
    struct nst_tcp_info ti = tu_check_done(s, fd, 0, 3);
    CHECK_EQ(ti.fast_retransmits, 1);
    CHECK_EQ(p.tx[0], 2);
    CHECK_EQ(p.tx[3], 2);
    CHECK_EQ(p.tx[6], 2);
    CHECK_EQ(p.tx[1], 1);
    CHECK_EQ(p.segments, 63);
    CHECK_EQ(tu_stats(s)->tcp_sack_recoveries, 1);
    ts_free(s);
}

/* ---- NewReno (no SACK) -------------------------------------------------------------- */

static void test_newreno_fast_retransmit_partial_ack(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", &fd, 40);
    expect_iw(s, 0);
    tu_ack(s, MS(1100), 1, TU_NO_SACK);
    tu_expect_segment(s, MS(1100), 14601); /* limited transmit */
    tu_ack(s, MS(1101), 1, TU_NO_SACK);
    tu_expect_segment(s, MS(1101), 16061);
    tu_ack(s, MS(1102), 1, TU_NO_SACK);
    tu_expect_segment(s, MS(1102), 1); /* fast retransmit */
    struct nst_tcp_info ti = tu_info(s, fd);
    /* RFC 5681 3.2: ssthresh = FlightSize / 2, cwnd = ssthresh + 3 SMSS. */
    CHECK_EQ(ti.ssthresh, 6 * MSS);
    CHECK_EQ(ti.cwnd, 9 * MSS);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY);
    /* Each further duplicate ACK inflates cwnd by one SMSS; new data goes
     * once cwnd exceeds the flight: the 4th..6th add up to 12 SMSS = flight,
     * the 7th lets one segment out. */
    for (int i = 0; i < 3; i++)
        tu_ack(s, MS(1103 + i), 1, TU_NO_SACK);
    EXPECT_NONE(s, MS(1105));
    tu_ack(s, MS(1106), 1, TU_NO_SACK);
    tu_expect_segment(s, MS(1106), 17521);
    /* Partial ACK (segment 3 was lost too): RFC 6582 retransmits the next
     * hole at once and deflates cwnd by the amount acknowledged. */
    tu_ack(s, MS(1202), 2921, TU_NO_SACK);
    tu_expect_segment(s, MS(1202), 2921);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(ti.cwnd, 13 * MSS - 2 * MSS + MSS);
    /* The full ACK ends recovery (RFC 6582 3.2 step 3). */
    tu_ack(s, MS(1302), 17521, TU_NO_SACK);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.cwnd, 2 * MSS + MSS); /* min(ssthresh, FlightSize + SMSS) */
    struct rp_peer p;
    peer_init(&p, 0, 17521 + MSS);
    /* 17521.. was sent once already and is in flight: the model got it. */
    rp_run(s, &p, 1 + 40 * MSS, SEC(30));
    tu_check_done(s, fd, 0, 2);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    CHECK_EQ(tu_stats(s)->tcp_sack_recoveries, 0);
    ts_free(s);
}

/* Without SACK, a peer model losing two segments: no RTO needed. */
static void test_newreno_model(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", &fd, 60);
    struct rp_peer p;
    peer_init(&p, 0, 1);
    p.n_drop = 2;
    p.drop[0] = 1 + 2 * MSS;
    p.drop[1] = 1 + 5 * MSS;
    rp_run(s, &p, 1 + 60 * MSS, SEC(60));
    tu_check_done(s, fd, 0, 2);
    CHECK_EQ(p.tx[2], 2);
    CHECK_EQ(p.tx[5], 2);
    ts_free(s);
}

/* ---- RTO recovery ------------------------------------------------------------------- */

/* The whole window is lost: one RTO, cwnd 1 SMSS, then slow start resends
 * the rest (go-back-N); fast retransmit is not entered for duplicate ACKs
 * of data sent before the timeout (RFC 6582 4.2). */
static void test_rto_go_back_n(void)
{
    int fd;
    struct ts *s = setup(1, NULL, &fd, 10);
    expect_iw(s, 1);
    /* RTO 300 ms: the first segment again, alone. */
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1, .len = MSS, .at = MS(1300), .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT_NONE(s, MS(1350));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.cwnd, MSS);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    /* Its ACK: slow start, two more; the rest follows as ACKs come. */
    tu_ack(s, MS(1400), 1461, TU_NO_SACK);
    struct ts_pkt pk;
    CHECK(ts_next(s, MS(1400), &pk));
    CHECK_EQ(pk.h.seq - s->local_isn, 1461);
    struct rp_peer p;
    peer_init(&p, 1, 1461);
    rp_arrive(&p, 1461, pk.len, pk.at + p.delay);
    rp_run(s, &p, 1 + 10 * MSS, SEC(30));
    CHECK_EQ(p.segments, 9); /* segments 2..10, each once more */
    for (int i = 1; i < 10; i++)
        CHECK_EQ(p.tx[i], 1);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.rto_timeouts, 1);
    CHECK_EQ(ti.fast_retransmits, 0);
    ts_free(s);
}

int main(void)
{
    RUN(test_sack_fast_retransmit);
    RUN(test_sack_multiple_losses);
    RUN(test_newreno_fast_retransmit_partial_ack);
    RUN(test_newreno_model);
    RUN(test_rto_go_back_n);
    return nst_test_done();
}
