/* F-RTO (RFC 5682): spurious retransmission timeouts.
 *
 * The scripts: ten segments go out at 1 s; the RTO (300 ms: the handshake
 * measured 100 ms) fires at 1.3 s and the first segment is sent again.
 *   - spurious: nothing was lost, the ACKs were held up (a delay spike).
 *     The ACK of the first segment makes F-RTO send two new segments
 *     instead of retransmitting (step 2b); the next ACK acknowledges data
 *     sent only before the timeout: spurious (3b). The conservative
 *     response: cwnd = ssthresh, congestion avoidance, no go-back-N. Every
 *     segment then crosses once, the first twice.
 *   - genuine: the window was lost. After the new segments, a duplicate
 *     ACK (or, with SACK, a SACK for the new data) says so (3a): cwnd = 3
 *     SMSS and the conventional recovery retransmits the rest.
 *   - F-RTO off: the same spike makes the sender go back N.
 * Without SACK the basic algorithm runs (RFC 5682 2), with SACK the
 * SACK-enhanced one (section 3).
 *
 * And an end-to-end run on the simulator: a link whose delay jumps for a
 * moment (a delay spike, frames held in order), F-RTO on and off: every
 * byte arrives once, in order, and F-RTO retransmits less. */
#include <stdlib.h>

#include "support/sim_util.h"
#include "support/tcp_testutil.h"

#define MSS 1460u
#define SEGS 20u

/* ---- a receiving peer ------------------------------------------------------------- */

struct pending_ack {
    nst_time_t at;
    uint32_t ack;
    struct nst_tcp_opts opts;
};

/* ACKs every segment it receives when it arrives (one-way delay `delay`
 * for the stack's segments, none for its ACKs); drops the segments listed
 * in drop[] on their first transmission; out-of-order data is held and
 * reported with SACK blocks (if sack), a duplicate with a D-SACK. */
struct peer {
    int sack;
    nst_time_t delay;
    uint32_t rcv_nxt;          /* relative to the stack's ISN */
    struct { uint32_t s, e; } ooo[16];
    unsigned n_ooo;
    uint32_t last_s;
    uint32_t drop[16];
    unsigned n_drop;
    uint8_t dropped[16];
    struct pending_ack q[256];
    unsigned nq;
    unsigned tx[64];           /* transmissions per segment index (seq - 1) / MSS */
};

static void peer_add_range(struct peer *p, uint32_t s, uint32_t e)
{
    unsigned i = 0;
    while (i < p->n_ooo && p->ooo[i].e < s)
        i++;
    unsigned j = i;
    while (j < p->n_ooo && p->ooo[j].s <= e) {
        s = p->ooo[j].s < s ? p->ooo[j].s : s;
        e = p->ooo[j].e > e ? p->ooo[j].e : e;
        j++;
    }
    memmove(&p->ooo[i + 1], &p->ooo[j], (p->n_ooo - j) * sizeof(p->ooo[0]));
    p->ooo[i].s = s;
    p->ooo[i].e = e;
    p->n_ooo = p->n_ooo - (j - i) + 1;
}

static int peer_holds(const struct peer *p, uint32_t s, uint32_t e)
{
    if (e <= p->rcv_nxt)
        return 1;
    for (unsigned i = 0; i < p->n_ooo; i++)
        if (p->ooo[i].s <= s && e <= p->ooo[i].e)
            return 1;
    return 0;
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

/* Queues the ACK for an arrival at `at` (times only grow), with a D-SACK
 * of [ds, de) first if de > ds. */
static void peer_queue_ack(struct peer *p, nst_time_t at, uint32_t ds, uint32_t de)
{
    struct pending_ack *a = &p->q[p->nq++];
    memset(a, 0, sizeof(*a));
    a->at = at;
    a->ack = p->rcv_nxt;
    if (!p->sack)
        return;
    unsigned k = 0;
    if (de > ds) {
        a->opts.sack[k].start = ds;
        a->opts.sack[k].end = de;
        k++;
    }
    for (unsigned i = 0; i < p->n_ooo && k < 4; i++) {
        a->opts.sack[k].start = p->ooo[i].s;
        a->opts.sack[k].end = p->ooo[i].e;
        k++;
    }
    a->opts.sack_count = (uint8_t)k;
}

/* Segment [seq, seq+len) reaches the peer at `at`. */
static void peer_arrive(struct peer *p, uint32_t seq, uint32_t len, nst_time_t at)
{
    if (len == 0)
        return;
    unsigned idx = (seq - 1) / MSS;
    if (idx < 64)
        p->tx[idx]++;
    for (unsigned i = 0; i < p->n_drop; i++)
        if (p->drop[i] == seq && !p->dropped[i]) {
            p->dropped[i] = 1;
            return;
        }
    uint32_t e = seq + len;
    if (peer_holds(p, seq, e)) {
        peer_queue_ack(p, at, seq, e); /* RFC 2883: received twice */
        return;
    }
    if (seq <= p->rcv_nxt) {
        p->rcv_nxt = e > p->rcv_nxt ? e : p->rcv_nxt;
        peer_advance(p);
    } else {
        peer_add_range(p, seq, e);
    }
    peer_queue_ack(p, at, 0, 0);
}

/* Runs the exchange up to `until`: the stack's segments reach the peer
 * `delay` after they leave, the peer's ACKs are injected at their times. */
static void peer_pump(struct ts *s, struct peer *p, nst_time_t until)
{
    for (;;) {
        nst_time_t next = p->nq && p->q[0].at <= until ? p->q[0].at : until;
        struct ts_pkt pk;
        if (ts_next(s, next, &pk)) {
            if (getenv("TS_DEBUG")) {
                char line[300];
                fprintf(stderr, "  > %s\n", ts_format(s, &pk, line, sizeof(line)));
            }
            peer_arrive(p, pk.h.seq - s->local_isn, pk.len, pk.at + p->delay);
            continue;
        }
        if (!p->nq || p->q[0].at > until)
            return;
        struct pending_ack a = p->q[0];
        memmove(&p->q[0], &p->q[1], (p->nq - 1) * sizeof(p->q[0]));
        p->nq--;
        if (getenv("TS_DEBUG"))
            fprintf(stderr, "  < %.6f ack %u sack %u\n", (double)a.at / 1e9, a.ack, a.opts.sack_count);
        ts_inject(s, a.at, &(struct ts_seg){.flags = F_A, .seq = 1, .ack = a.ack, .win = 65535, .opts = a.opts});
    }
}

/* ---- the scripts ---------------------------------------------------------------------- */

/* A connection (the peer's SYN offers SACK or not, window scale 7) with
 * SEGS full segments queued at 1 s; frto as given. */
static struct ts *setup(int sack, const char *cc, int frto, int *fd)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.frto = frto;
    struct ts *s = ts_new(&cfg);
    int lfd = ts_listen(s, 8);
    nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, cc, strlen(cc));
    struct nst_tcp_opts o = ts_syn_opts(7, sack, 0);
    *fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    ts_run_until(s, SEC(1));
    size_t n = SEGS * MSS;
    char *buf = malloc(n);
    memset(buf, 'd', n);
    CHECK_EQ(nst_send(s->st, *fd, buf, n, 0), (long long)n);
    free(buf);
    return s;
}

/* The next segment the stack sends: exactly [seq, seq+MSS) at `at`; the
 * peer receives it at `arrive`. */
static void next_segment(struct ts *s, struct peer *p, nst_time_t at, uint32_t seq, nst_time_t arrive)
{
    struct ts_pkt pk;
    CHECK(ts_next(s, at, &pk));
    CHECK_EQ(pk.at, at);
    CHECK_EQ(pk.h.seq - s->local_isn, seq);
    CHECK_EQ(pk.len, MSS);
    peer_arrive(p, seq, pk.len, arrive);
}

/* The initial window at 1 s, each segment reaching the peer at
 * arrive + i * 100 us; then the RTO at 1.3 s: the first segment again,
 * reaching the peer at `rtx_arrive`. */
static void window_then_timeout(struct ts *s, struct peer *p, int fd, nst_time_t arrive, nst_time_t rtx_arrive)
{
    for (uint32_t i = 0; i < 10; i++)
        next_segment(s, p, SEC(1), 1 + i * MSS, arrive + i * NST_USEC(100));
    next_segment(s, p, MS(1300), 1, rtx_arrive);
    EXPECT_NONE(s, MS(1349));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    CHECK_EQ(ti.cwnd, MSS);
    CHECK_EQ(ti.rto_timeouts, 1);
}

/* Basic F-RTO (no SACK), NewReno: a delay spike holds the ACKs of the
 * whole window past the RTO. */
static void test_spurious_basic(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", 1, &fd);
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 1};
    /* The originals arrive from 1.35 s on; the retransmission after them. */
    window_then_timeout(s, &p, fd, MS(1350), MS(1351));
    CHECK_EQ(tu_info(s, fd).ssthresh, 5 * MSS); /* RFC 5681 eq. (4): FlightSize / 2 */
    /* Step 2b: the ACK of the first segment: two new segments, not 1461. */
    peer_pump(s, &p, MS(1350));
    CHECK_EQ(p.tx[10], 1);
    CHECK_EQ(p.tx[11], 1);
    CHECK_EQ(p.tx[1], 1);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    CHECK_EQ(ti.retransmits, 1);
    CHECK_EQ(ti.cwnd, 2 * MSS);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    /* Step 3b: ACK 2921 acknowledges the second segment, never resent. */
    peer_pump(s, &p, MS(1350) + NST_USEC(100));
    ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.ssthresh, 5 * MSS);
    CHECK_EQ(ti.cwnd, 5 * MSS); /* the conservative response: cwnd = ssthresh */
    CHECK_EQ(ti.unacked, 10 * MSS);
    /* The rest: nothing goes twice but the first segment. */
    peer_pump(s, &p, SEC(10));
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.retransmits, 1);
    CHECK_EQ(ti.rto_timeouts, 1);
    CHECK_EQ(p.tx[0], 2);
    for (unsigned i = 1; i < SEGS; i++)
        CHECK_EQ(p.tx[i], 1);
    CHECK_EQ(p.rcv_nxt, 1 + SEGS * MSS);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 0);
    ts_free(s);
}

/* The SACK-enhanced variant with CUBIC: the same spike; the peer reports
 * the retransmission with a D-SACK, which also shows it needless (RFC
 * 3708 3). */
static void test_spurious_sack(void)
{
    int fd;
    struct ts *s = setup(1, "cubic", 1, &fd);
    struct peer p = {.sack = 1, .delay = MS(50), .rcv_nxt = 1};
    window_then_timeout(s, &p, fd, MS(1350), MS(1351));
    CHECK_EQ(tu_info(s, fd).ssthresh, 10220); /* RFC 9438 4.6: 0.7 * FlightSize (14600) */
    peer_pump(s, &p, MS(1350));
    CHECK_EQ(p.tx[10], 1);
    CHECK_EQ(p.tx[11], 1);
    CHECK_EQ(p.tx[1], 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    peer_pump(s, &p, MS(1350) + NST_USEC(100));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.ssthresh, 10220);
    CHECK_EQ(ti.cwnd, 10220);
    peer_pump(s, &p, SEC(10));
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.retransmits, 1);
    CHECK_EQ(p.tx[0], 2);
    for (unsigned i = 1; i < SEGS; i++)
        CHECK_EQ(p.tx[i], 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 1);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 1);
    ts_free(s);
}

/* SACK-enhanced, step 3b by SACK alone: after the new segments, a
 * duplicate ACK SACKs the third segment, sent only before the timeout and
 * below "recover": it was in flight all along, the timeout was spurious.
 * The second segment was lost, though: recover = SND.UNA (step 3b) lets
 * the duplicate ACKs that follow start a fast retransmit of it. */
static void test_spurious_sack_below_recover(void)
{
    int fd;
    struct ts *s = setup(1, "newreno", 1, &fd);
    struct peer p = {.sack = 1, .delay = MS(50), .rcv_nxt = 1};
    window_then_timeout(s, &p, fd, MS(1350), MS(1351));
    INJECT(s, MS(1350), .flags = F_A, .seq = 1, .ack = 1461, .win = 65535);
    EXPECT(s, MS(1350), .flags = F_A, .seq = 14601, .ack = 1, .len = MSS);
    EXPECT(s, MS(1350), .flags = F_A, .seq = 16061, .ack = 1, .len = MSS);
    struct nst_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.sack_count = 1;
    o.sack[0].start = 2921;
    o.sack[0].end = 4381;
    INJECT(s, MS(1351), .flags = F_A, .seq = 1, .ack = 1461, .win = 65535, .opts = o);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.cwnd, 5 * MSS);
    CHECK_EQ(ti.sacked, MSS);
    EXPECT_NONE(s, MS(1351));
    o.sack[0].end = 5841;
    INJECT(s, MS(1352), .flags = F_A, .seq = 1, .ack = 1461, .win = 65535, .opts = o);
    EXPECT_NONE(s, MS(1352)); /* one duplicate ACK: limited transmit, but 16060 bytes are out */
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_DISORDER);
    o.sack[0].end = 7301;
    INJECT(s, MS(1353), .flags = F_A, .seq = 1, .ack = 1461, .win = 65535, .opts = o);
    /* RFC 6675 IsLost: more than 2 SMSS SACKed above it. */
    EXPECT(s, MS(1353), .flags = F_A, .seq = 1461, .ack = 1, .len = MSS, .at = MS(1353),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    ts_free(s);
}

/* A longer spike: the first segment times out twice (1.3 s, then 1.9 s
 * after the backoff) before any ACK. A timeout again for the same SND.UNA
 * keeps F-RTO (RFC 5682 3.2): still spurious, nothing else resent. */
static void test_spurious_after_two_timeouts(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", 1, &fd);
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 1};
    for (uint32_t i = 0; i < 10; i++)
        next_segment(s, &p, SEC(1), 1 + i * MSS, MS(2000) + i * NST_USEC(100));
    next_segment(s, &p, MS(1300), 1, MS(2001));
    next_segment(s, &p, MS(1900), 1, MS(2002)); /* RFC 6298 5.5: RTO doubled */
    EXPECT_NONE(s, MS(1999));
    CHECK_EQ(tu_info(s, fd).rto_timeouts, 2);
    peer_pump(s, &p, MS(2000));
    CHECK_EQ(p.tx[10], 1);
    CHECK_EQ(p.tx[11], 1);
    CHECK_EQ(p.tx[1], 1);
    peer_pump(s, &p, MS(2000) + NST_USEC(100));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.cwnd, 5 * MSS); /* ssthresh was set once (RFC 5681 3.1: held on a second timeout) */
    peer_pump(s, &p, SEC(10));
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.retransmits, 2);
    CHECK_EQ(p.tx[0], 3);
    for (unsigned i = 1; i < SEGS; i++)
        CHECK_EQ(p.tx[i], 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    ts_free(s);
}

/* F-RTO off: the same spike, conventional recovery: the ACK of the first
 * segment releases retransmissions of the second and third (go-back-N),
 * and the whole window crosses twice. The duplicates then draw duplicate
 * ACKs, which (SND.UNA having reached the RTO's recovery point) make a
 * needless fast retransmit of 14601 and NewReno's partial-ACK
 * retransmissions of 16061..24821: 18 in all. */
static void test_spike_without_frto(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", 0, &fd);
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 1};
    window_then_timeout(s, &p, fd, MS(1350), MS(1351));
    peer_pump(s, &p, MS(1350));
    CHECK_EQ(p.tx[1], 2);
    CHECK_EQ(p.tx[2], 2);
    CHECK_EQ(p.tx[10], 0);
    peer_pump(s, &p, SEC(10));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.retransmits, 18);
    CHECK_EQ(ti.fast_retransmits, 1);
    for (unsigned i = 0; i < 18; i++)
        CHECK_EQ(p.tx[i], 2);
    CHECK_EQ(p.tx[18], 1);
    CHECK_EQ(p.tx[19], 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    ts_free(s);
}

/* Basic F-RTO, a real loss: the whole window is lost. The ACK of the
 * retransmission brings two new segments (step 2b); they arrive above the
 * hole and draw duplicate ACKs: the first is step 3a. */
static void test_genuine_basic(void)
{
    int fd;
    struct ts *s = setup(0, "newreno", 1, &fd);
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 1, .n_drop = 10};
    for (uint32_t i = 0; i < 10; i++)
        p.drop[i] = 1 + i * MSS;
    window_then_timeout(s, &p, fd, MS(1050), MS(1350));
    peer_pump(s, &p, MS(1350));
    CHECK_EQ(p.tx[10], 1);
    CHECK_EQ(p.tx[11], 1);
    CHECK_EQ(p.tx[1], 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    /* The two new segments arrive at 1.4 s: duplicate ACKs of 1461. */
    peer_pump(s, &p, MS(1400));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    CHECK_EQ(ti.cwnd, 3 * MSS); /* RFC 5682 2.1 step 3a */
    /* Slow start from 3 SMSS retransmits from SND.UNA: 1461, 2921, 4381. */
    CHECK_EQ(ti.retransmits, 4);
    CHECK_EQ(p.tx[1], 2);
    CHECK_EQ(p.tx[2], 2);
    CHECK_EQ(p.tx[3], 2);
    CHECK_EQ(p.tx[4], 1);
    peer_pump(s, &p, SEC(10));
    /* Go-back-N goes on to SND.MAX: the two new segments of step 2b are
     * "unacknowledged segments" too (3a) and are sent again: 12 in all. */
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.rto_timeouts, 1);
    CHECK_EQ(ti.retransmits, 12);
    CHECK_EQ(ti.fast_retransmits, 0);
    for (unsigned i = 0; i < 12; i++)
        CHECK_EQ(p.tx[i], 2);
    for (unsigned i = 12; i < SEGS; i++)
        CHECK_EQ(p.tx[i], 1);
    CHECK_EQ(p.rcv_nxt, 1 + SEGS * MSS);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    ts_free(s);
}

/* SACK-enhanced F-RTO, a real loss: the ACK after the new segments SACKs
 * them, above "recover" (RFC 5682 3.1 step 3a). */
static void test_genuine_sack(void)
{
    int fd;
    struct ts *s = setup(1, "newreno", 1, &fd);
    struct peer p = {.sack = 1, .delay = MS(50), .rcv_nxt = 1, .n_drop = 10};
    for (uint32_t i = 0; i < 10; i++)
        p.drop[i] = 1 + i * MSS;
    window_then_timeout(s, &p, fd, MS(1050), MS(1350));
    peer_pump(s, &p, MS(1350));
    CHECK_EQ(p.tx[10], 1);
    CHECK_EQ(p.tx[11], 1);
    peer_pump(s, &p, MS(1400));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    CHECK_EQ(ti.cwnd, 3 * MSS);
    CHECK_EQ(ti.retransmits, 4);
    CHECK_EQ(p.tx[1], 2);
    CHECK_EQ(p.tx[3], 2);
    CHECK_EQ(p.tx[4], 1);
    peer_pump(s, &p, SEC(10));
    /* As without SACK, go-back-N also resends the two SACKed new segments;
     * the peer reports both with D-SACKs, which show the episode was not
     * spurious (its other retransmissions were needed). */
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.rto_timeouts, 1);
    CHECK_EQ(ti.retransmits, 12);
    for (unsigned i = 0; i < 12; i++)
        CHECK_EQ(p.tx[i], 2);
    CHECK_EQ(p.rcv_nxt, 1 + SEGS * MSS);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 2);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 0);
    ts_free(s);
}

/* Nothing new to send when the retransmission is ACKed: RFC 5682 2.1 step
 * 2b recommends the conventional slow start; neither verdict is counted. */
static void test_no_new_data_falls_back(void)
{
    int fd;
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, "newreno", 7);
    struct nst_tcp_opts o = ts_syn_opts(7, 0, 0);
    fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    ts_run_until(s, SEC(1));
    char buf[10 * MSS];
    memset(buf, 'd', sizeof(buf));
    CHECK_EQ(nst_send(s->st, fd, buf, sizeof(buf), 0), (long long)sizeof(buf));
    struct peer p = {.sack = 0, .delay = MS(50), .rcv_nxt = 1};
    window_then_timeout(s, &p, fd, MS(1350), MS(1351));
    peer_pump(s, &p, MS(1350));
    CHECK_EQ(p.tx[1], 2); /* go-back-N: 1461 and 2921 again */
    CHECK_EQ(p.tx[2], 2);
    peer_pump(s, &p, SEC(10));
    CHECK_EQ(tu_info(s, fd).unacked, 0);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    ts_free(s);
}

/* ---- end to end: a delay spike on a simulated link ------------------------------------ */

#define E2E_PORT 5001

struct xfer {
    struct nst_world *w;
    struct nst_sim_link *l;
    struct nst_stack *srv, *cli;
    int lfd, sfd, cfd;
    uint64_t total, sent, received, tx_hash, rx_hash, gen;
    nst_time_t spike_at, spike_len, latency;
    int spiked, done;
    uint8_t buf[16384];
};

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The link's delay jumps to spike_len for frames entering it at spike_at
 * (for 1 ms), then returns: frames behind them wait their turn (the link
 * keeps order), so both directions stall for about spike_len. */
static void spike(struct xfer *x, nst_time_t now)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.bandwidth_bps = 20000000;
    if (x->spiked == 0 && now >= x->spike_at) {
        lp.latency = x->spike_len;
        nst_sim_link_set_params(x->l, &lp);
        x->spiked = 1;
    } else if (x->spiked == 1 && now >= x->spike_at + MS(1)) {
        lp.latency = x->latency;
        nst_sim_link_set_params(x->l, &lp);
        x->spiked = 2;
    }
}

static int xfer_step(void *arg)
{
    struct xfer *x = arg;
    nst_time_t now = nst_world_now(x->w);
    spike(x, now);
    while (x->sent < x->total) {
        size_t want = x->total - x->sent < sizeof(x->buf) ? (size_t)(x->total - x->sent) : sizeof(x->buf);
        uint64_t g = x->gen;
        for (size_t i = 0; i < want; i++) {
            g ^= g << 13;
            g ^= g >> 7;
            g ^= g << 17;
            x->buf[i] = (uint8_t)(g >> 24);
        }
        ssize_t n = nst_send(x->cli, x->cfd, x->buf, want, 0);
        if (n <= 0)
            break;
        /* Regenerate exactly the bytes taken, so the stream is one sequence. */
        for (ssize_t i = 0; i < n; i++) {
            x->gen ^= x->gen << 13;
            x->gen ^= x->gen >> 7;
            x->gen ^= x->gen << 17;
        }
        x->tx_hash = fnv(x->tx_hash, x->buf, (size_t)n);
        x->sent += (uint64_t)n;
    }
    if (x->sfd < 0)
        x->sfd = nst_accept(x->srv, x->lfd, NULL);
    while (x->sfd >= 0) {
        ssize_t n = nst_recv(x->srv, x->sfd, x->buf, sizeof(x->buf), 0);
        if (n <= 0)
            break;
        x->rx_hash = fnv(x->rx_hash, x->buf, (size_t)n);
        x->received += (uint64_t)n;
    }
    return x->received == x->total;
}

struct e2e_result {
    uint64_t bytes_retrans, retransmits, rto, spurious, genuine, spurious_dsack;
};

static struct e2e_result run_spike(int sack, int frto)
{
    struct e2e_result r = {0};
    struct su_pair p;
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.sack = sack;
    cfg.tcp.frto = frto;
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.bandwidth_bps = 20000000;
    lp.latency = MS(10);
    CHECK_EQ(su_pair_build(&p, 7, &cfg, &lp), 0);
    struct xfer *x = calloc(1, sizeof(*x));
    x->w = p.w;
    x->l = p.l;
    x->srv = p.a;
    x->cli = p.b;
    x->total = 2000000;
    x->gen = 0x9e3779b97f4a7c15ULL;
    x->tx_hash = x->rx_hash = 0xcbf29ce484222325ULL;
    x->latency = MS(10);
    x->spike_len = MS(500);
    x->sfd = -1;
    x->lfd = nst_socket(x->srv, NST_SOCK_STREAM);
    struct nst_sockaddr la = {0, E2E_PORT};
    CHECK_EQ(nst_bind(x->srv, x->lfd, &la), 0);
    CHECK_EQ(nst_listen(x->srv, x->lfd, 4), 0);
    x->cfd = nst_socket(x->cli, NST_SOCK_STREAM);
    nst_world_run_until(p.w, SEC(1));
    struct nst_sockaddr sa = {SU_A_ADDR, E2E_PORT};
    CHECK_EQ(nst_connect(x->cli, x->cfd, &sa), -EINPROGRESS);
    x->spike_at = SEC(1) + MS(400); /* well into the transfer (about 0.8 s at 20 Mbit/s) */
    CHECK(nst_world_run_until_cond(p.w, xfer_step, x, SEC(60)));
    CHECK_EQ(x->received, x->total);
    CHECK(x->rx_hash == x->tx_hash);
    CHECK_EQ(x->spiked, 2);
    struct nst_tcp_info ti;
    size_t tl = sizeof(ti);
    CHECK_EQ(nst_getsockopt(x->cli, x->cfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &tl), 0);
    const struct nst_stats *st = nst_stack_stats(x->cli);
    r.bytes_retrans = ti.bytes_retrans;
    r.retransmits = st->tcp_retransmits;
    r.rto = st->tcp_rto_timeouts;
    r.spurious = st->tcp_frto_spurious;
    r.genuine = st->tcp_frto_genuine;
    r.spurious_dsack = st->tcp_spurious_rtx_dsack;
    fprintf(stderr, "  delay spike, sack %d frto %d: retransmitted %llu bytes (%llu segments), %llu RTO, F-RTO "
                    "spurious %llu genuine %llu\n",
            sack, frto, (unsigned long long)r.bytes_retrans, (unsigned long long)r.retransmits,
            (unsigned long long)r.rto, (unsigned long long)r.spurious, (unsigned long long)r.genuine);
    free(x);
    su_pair_free(&p);
    return r;
}

static void test_e2e_delay_spike(void)
{
    for (int sack = 0; sack <= 1; sack++) {
        struct e2e_result on = run_spike(sack, 1), off = run_spike(sack, 0);
        /* One timeout either way; with F-RTO it is found spurious and the
         * one retransmission (a full segment: MSS 1448 with timestamps) is
         * all; without, go-back-N resends what was in flight. */
        CHECK_EQ(on.rto, 1);
        CHECK_EQ(off.rto, 1);
        CHECK_EQ(on.spurious, 1);
        CHECK_EQ(on.genuine, 0);
        CHECK_EQ(on.retransmits, 1);
        CHECK_EQ(on.bytes_retrans, 1448);
        CHECK_EQ(off.spurious + off.genuine, 0);
        CHECK(off.retransmits > 10);
        CHECK(on.bytes_retrans < off.bytes_retrans);
        /* With SACK the peer D-SACKs the retransmission (RFC 3708 3). */
        CHECK_EQ(on.spurious_dsack, (uint64_t)sack);
    }
}

int main(void)
{
    RUN(test_spurious_basic);
    RUN(test_spurious_sack);
    RUN(test_spurious_sack_below_recover);
    RUN(test_spurious_after_two_timeouts);
    RUN(test_spike_without_frto);
    RUN(test_genuine_basic);
    RUN(test_genuine_sack);
    RUN(test_no_new_data_falls_back);
    RUN(test_e2e_delay_spike);
    return nst_test_done();
}
