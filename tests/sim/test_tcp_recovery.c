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

#include "support/tcp_testutil.h"

#define MSS 1460u

/* ---- a receiving peer --------------------------------------------------------------- */

struct pending_ack {
    nst_time_t at;
    uint32_t ack;
    struct nst_tcp_opts opts;
};

struct peer {
    int sack;
    nst_time_t delay;          /* one-way, applied to each ACK */
    uint32_t rcv_nxt;          /* relative to the stack's ISN */
    struct { uint32_t s, e; } ooo[16];
    unsigned n_ooo;
    uint32_t last_s, last_e;   /* the most recent out-of-order block */
    uint32_t drop[16];         /* segments (relative seq) lost on first transmission */
    unsigned n_drop;
    uint8_t dropped[16];
    struct pending_ack q[256];
    unsigned nq;
    unsigned tx_count[256];    /* transmissions per segment index (seq - 1) / MSS */
    unsigned segments;
};

static void peer_add_range(struct peer *p, uint32_t s, uint32_t e)
{
    /* Merge [s, e) into the sorted out-of-order list. */
    unsigned i = 0;
    while (i < p->n_ooo && p->ooo[i].e < s)
        i++;
    unsigned j = i;
    while (j < p->n_ooo && p->ooo[j].s <= e) {
        if (p->ooo[j].s < s)
            s = p->ooo[j].s;
        if (p->ooo[j].e > e)
            e = p->ooo[j].e;
        j++;
    }
    memmove(&p->ooo[i + 1], &p->ooo[j], (p->n_ooo - j) * sizeof(p->ooo[0]));
    p->ooo[i].s = s;
    p->ooo[i].e = e;
    p->n_ooo = p->n_ooo - (j - i) + 1;
    p->last_s = s;
    p->last_e = e;
}

static void peer_advance(struct peer *p)
{
    while (p->n_ooo && p->ooo[0].s <= p->rcv_nxt) {
        if (p->ooo[0].e > p->rcv_nxt)
            p->rcv_nxt = p->ooo[0].e;
        memmove(&p->ooo[0], &p->ooo[1], (p->n_ooo - 1) * sizeof(p->ooo[0]));
        p->n_ooo--;
    }
}

static void peer_queue_ack(struct peer *p, nst_time_t at)
{
    struct pending_ack *a = &p->q[p->nq++];
    memset(a, 0, sizeof(*a));
    a->at = at;
    a->ack = p->rcv_nxt;
    if (!p->sack || !p->n_ooo)
        return;
    unsigned k = 0;
    for (unsigned i = 0; i < p->n_ooo; i++)
        if (p->ooo[i].s <= p->last_s && p->last_s < p->ooo[i].e) {
            a->opts.sack[k].start = p->ooo[i].s;
            a->opts.sack[k].end = p->ooo[i].e;
            k++;
        }
    for (unsigned i = 0; i < p->n_ooo && k < 4; i++) {
        if (k && a->opts.sack[0].start == p->ooo[i].s)
            continue;
        a->opts.sack[k].start = p->ooo[i].s;
        a->opts.sack[k].end = p->ooo[i].e;
        k++;
    }
    a->opts.sack_count = (uint8_t)k;
}

/* The peer receives one segment of ours. */
static void peer_receive(struct peer *p, const struct ts_pkt *pk, uint32_t rel_seq)
{
    if (pk->len == 0)
        return;
    unsigned idx = (rel_seq - 1) / MSS;
    if (idx < 256)
        p->tx_count[idx]++;
    p->segments++;
    for (unsigned i = 0; i < p->n_drop; i++)
        if (p->drop[i] == rel_seq && !p->dropped[i]) {
            p->dropped[i] = 1;
            return;
        }
    uint32_t e = rel_seq + pk->len;
    if (rel_seq <= p->rcv_nxt) {
        if (e > p->rcv_nxt)
            p->rcv_nxt = e;
        peer_advance(p);
    } else {
        peer_add_range(p, rel_seq, e);
    }
    peer_queue_ack(p, pk->at + p->delay);
}

/* Runs the exchange until `until` or until every byte up to `end` is ACKed. */
static void peer_run(struct ts *s, struct peer *p, uint32_t end, nst_time_t until)
{
    for (;;) {
        nst_time_t next = p->nq ? p->q[0].at : until;
        struct ts_pkt pk;
        if (ts_next(s, next, &pk)) {
            if (getenv("TS_DEBUG")) {
                char line[300];
                fprintf(stderr, "  > %s\n", ts_format(s, &pk, line, sizeof(line)));
            }
            peer_receive(p, &pk, pk.h.seq - s->local_isn);
            continue;
        }
        if (!p->nq)
            return;
        struct pending_ack a = p->q[0];
        memmove(&p->q[0], &p->q[1], (p->nq - 1) * sizeof(p->q[0]));
        p->nq--;
        if (getenv("TS_DEBUG"))
            fprintf(stderr, "  < %.6f ack %u sack %u\n", (double)a.at / 1e9, a.ack, a.opts.sack_count);
        ts_inject(s, a.at, &(struct ts_seg){.flags = F_A, .seq = 1, .ack = a.ack, .win = 65535, .opts = a.opts});
        if (a.ack >= end && !p->nq)
            return;
    }
}

/* A connection with the peer's SYN offering SACK (or not); 40 segments
 * queued at 1 s. */
static struct ts *setup(int sack, const char *cc, int *fd, uint32_t nseg)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    if (cc)
        nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, cc, strlen(cc));
    struct nst_tcp_opts o = ts_syn_opts(7, sack, 0);
    *fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    ts_run_until(s, SEC(1));
    size_t n = nseg * MSS;
    char *buf = malloc(n);
    memset(buf, 'd', n);
    CHECK_EQ(nst_send(s->st, *fd, buf, n, 0), (long long)n);
    free(buf);
    return s;
}

/* The transfer is over: nothing unacknowledged or queued, no RTO, and
 * `retransmits` segments sent again. The connection's info, for more. */
static struct nst_tcp_info check_done_without_rto(struct ts *s, int fd, uint32_t retransmits)
{
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.rto_timeouts, 0);
    CHECK_EQ(ti.retransmits, retransmits);
    return ti;
}

static void expect_segment(struct ts *s, nst_time_t at, uint32_t seq)
{
    EXPECT(s, at, .flags = F_A, .seq = seq, .ack = 1, .len = MSS, .at = at, .check = TS_DEFAULT_CHECK | TS_TIME);
}

/* The initial window: 10 segments at 1 s (PSH on the last if it empties
 * the send buffer). */
static void expect_iw(struct ts *s, int last_push)
{
    for (uint32_t i = 0; i < 9; i++)
        expect_segment(s, SEC(1), 1 + i * MSS);
    EXPECT(s, SEC(1), .flags = last_push ? F_PA : F_A, .seq = 1 + 9 * MSS, .ack = 1, .len = MSS);
}

static struct nst_tcp_opts sack1(uint32_t a, uint32_t b)
{
    struct nst_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.sack_count = 1;
    o.sack[0].start = a;
    o.sack[0].end = b;
    return o;
}

/* ---- SACK recovery ------------------------------------------------------------------- */

static void test_sack_fast_retransmit(void)
{
    int fd;
    struct ts *s = setup(1, NULL, &fd, 40);
    expect_iw(s, 0);
    /* Segment 1 is lost; segments 2, 3, 4 arrive: three duplicate ACKs. */
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .opts = sack1(1461, 2921));
    /* RFC 3042: one new segment per duplicate ACK, the first two. */
    expect_segment(s, MS(1100), 14601);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_DISORDER);
    INJECT(s, MS(1101), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .opts = sack1(1461, 4381));
    expect_segment(s, MS(1101), 16061);
    INJECT(s, MS(1102), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .opts = sack1(1461, 5841));
    /* Third: fast retransmit of the first segment; cwnd = ssthresh =
     * 0.7 * FlightSize (CUBIC, RFC 9438 4.6) = 0.7 * 12 * 1460. */
    expect_segment(s, MS(1102), 1);
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
    INJECT(s, MS(1103), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .opts = sack1(1461, 7301));
    EXPECT_NONE(s, MS(1103));
    INJECT(s, MS(1104), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .opts = sack1(1461, 8761));
    expect_segment(s, MS(1104), 17521);
    /* The retransmission arrives: everything up to 8761 is acknowledged. */
    INJECT(s, MS(1202), .flags = F_A, .seq = 1, .ack = 8761, .win = 65535);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY); /* recover = 17521 */
    /* The rest completes with a well-behaved peer (segments 7 to 13,
     * already in flight, arrive). */
    struct peer p = {.sack = 1, .delay = MS(50), .rcv_nxt = 17521 + MSS};
    peer_run(s, &p, 1 + 40 * MSS, SEC(30));
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.rto_timeouts, 0);
    CHECK_EQ(ti.retransmits, 1);
    ts_free(s);
}

/* Several holes in one window: each is retransmitted once, in one
 * recovery episode, without an RTO. */
static void test_sack_multiple_losses(void)
{
    int fd;
    struct ts *s = setup(1, NULL, &fd, 60);
    struct peer p = {.sack = 1, .delay = MS(50), .rcv_nxt = 1, .n_drop = 3};
    p.drop[0] = 1;
    p.drop[1] = 1 + 3 * MSS;
    p.drop[2] = 1 + 6 * MSS;
    peer_run(s, &p, 1 + 60 * MSS, SEC(60));
    struct nst_tcp_info ti = check_done_without_rto(s, fd, 3);
    CHECK_EQ(ti.fast_retransmits, 1);
    CHECK_EQ(p.tx_count[0], 2);
    CHECK_EQ(p.tx_count[3], 2);
    CHECK_EQ(p.tx_count[6], 2);
    CHECK_EQ(p.tx_count[1], 1);
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
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    expect_segment(s, MS(1100), 14601); /* limited transmit */
    INJECT(s, MS(1101), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    expect_segment(s, MS(1101), 16061);
    INJECT(s, MS(1102), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    expect_segment(s, MS(1102), 1); /* fast retransmit */
    struct nst_tcp_info ti = tu_info(s, fd);
    /* RFC 5681 3.2: ssthresh = FlightSize / 2, cwnd = ssthresh + 3 SMSS. */
    CHECK_EQ(ti.ssthresh, 6 * MSS);
    CHECK_EQ(ti.cwnd, 9 * MSS);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY);
    /* Each further duplicate ACK inflates cwnd by one SMSS; new data goes
     * once cwnd exceeds the flight: the 4th..6th add up to 12 SMSS = flight,
     * the 7th lets one segment out. */
    for (int i = 0; i < 3; i++)
        INJECT(s, MS(1103 + i), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    EXPECT_NONE(s, MS(1105));
    INJECT(s, MS(1106), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    expect_segment(s, MS(1106), 17521);
    /* Partial ACK (segment 3 was lost too): RFC 6582 retransmits the next
     * hole at once and deflates cwnd by the amount acknowledged. */
    INJECT(s, MS(1202), .flags = F_A, .seq = 1, .ack = 2921, .win = 65535);
    expect_segment(s, MS(1202), 2921);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(ti.cwnd, 13 * MSS - 2 * MSS + MSS);
    /* The full ACK ends recovery (RFC 6582 3.2 step 3). */
    INJECT(s, MS(1302), .flags = F_A, .seq = 1, .ack = 17521, .win = 65535);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.cwnd, 2 * MSS + MSS); /* min(ssthresh, FlightSize + SMSS) */
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 17521 + MSS};
    /* 17521.. was sent once already and is in flight: the model got it. */
    peer_run(s, &p, 1 + 40 * MSS, SEC(30));
    check_done_without_rto(s, fd, 2);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    CHECK_EQ(tu_stats(s)->tcp_sack_recoveries, 0);
    ts_free(s);
}

/* Without SACK, a peer model losing two segments: no RTO needed. */
static void test_newreno_model(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", &fd, 60);
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 1, .n_drop = 2};
    p.drop[0] = 1 + 2 * MSS;
    p.drop[1] = 1 + 5 * MSS;
    peer_run(s, &p, 1 + 60 * MSS, SEC(60));
    check_done_without_rto(s, fd, 2);
    CHECK_EQ(p.tx_count[2], 2);
    CHECK_EQ(p.tx_count[5], 2);
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
    INJECT(s, MS(1400), .flags = F_A, .seq = 1, .ack = 1461, .win = 65535);
    struct ts_pkt pk;
    CHECK(ts_next(s, MS(1400), &pk));
    CHECK_EQ(pk.h.seq - s->local_isn, 1461);
    struct peer p = {.sack = 1, .delay = MS(50), .rcv_nxt = 1461};
    peer_receive(&p, &pk, 1461);
    peer_run(s, &p, 1 + 10 * MSS, SEC(30));
    CHECK_EQ(p.segments, 9); /* segments 2..10, each once more */
    for (int i = 1; i < 10; i++)
        CHECK_EQ(p.tx_count[i], 1);
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
