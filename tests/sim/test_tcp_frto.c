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

#include "support/rx_peer.h"
#include "support/sim_util.h"
#include "support/tcp_testutil.h"

#define MSS TU_MSS
#define SEGS 20u

/* ---- the scripts ---------------------------------------------------------------------- */

/* The receiving peer: ACKs each segment as it arrives, 50 ms after it
 * left; SACK blocks (a duplicate reported with a D-SACK first) if sack;
 * with lose_window, the first window (ten segments) is lost. */
static void peer_init(struct rp_peer *p, int sack, int lose_window)
{
    memset(p, 0, sizeof(*p));
    p->sack = sack;
    p->dsack = 1;
    p->delay = MS(50);
    p->rcv_nxt = 1;
    if (lose_window) {
        p->n_drop = 10;
        for (uint32_t i = 0; i < 10; i++)
            p->drop[i] = 1 + i * MSS;
    }
}

/* A connection (the peer's SYN offers SACK or not, window scale 7) with
 * SEGS full segments queued at 1 s; frto as given. */
static struct ts *setup(int sack, const char *cc, int frto, int *fd)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.frto = frto;
    cfg.tcp.rack = 0; /* the scripts time the RTO: no tail loss probe before it */
    return tu_bulk_sender(&cfg, sack, cc, SEGS * MSS, fd);
}

/* The next segment the stack sends: exactly [seq, seq+MSS) at `at`; the
 * peer receives it at `arrive`. */
static void next_segment(struct ts *s, struct rp_peer *p, nst_time_t at, uint32_t seq, nst_time_t arrive)
{
    struct ts_pkt pk;
    CHECK(ts_next(s, at, &pk));
    CHECK_EQ(pk.at, at);
    CHECK_EQ(pk.h.seq - s->local_isn, seq);
    CHECK_EQ(pk.len, MSS);
    rp_arrive(p, seq, pk.len, arrive);
}

/* The initial window at 1 s, each segment reaching the peer at
 * arrive + i * 100 us; then the RTO at 1.3 s: the first segment again,
 * reaching the peer at `rtx_arrive`. */
static void window_then_timeout(struct ts *s, struct rp_peer *p, int fd, nst_time_t arrive, nst_time_t rtx_arrive)
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

/* A script up to the timeout: setup(), the peer (peer_init), the window
 * and the RTO (window_then_timeout). After a delay spike the originals
 * reach the peer from 1.35 s on and the retransmission after them; after
 * a lost window (lose_window), the retransmission at 1.35 s. */
static struct ts *until_rto(struct rp_peer *p, int *fd, int sack, const char *cc, int frto, int lose_window)
{
    struct ts *s = setup(sack, cc, frto, fd);
    peer_init(p, sack, lose_window);
    if (lose_window)
        window_then_timeout(s, p, *fd, MS(1050), MS(1350));
    else
        window_then_timeout(s, p, *fd, MS(1350), MS(1351));
    return s;
}

/* Segments [from, to) each reached the peer n times (a check each). */
static void check_tx(const struct rp_peer *p, unsigned from, unsigned to, unsigned n)
{
    for (unsigned i = from; i < to; i++)
        CHECK_EQ(p->tx[i], n);
}

/* Step 2b: the ACK of the retransmission sent the two new segments, once,
 * and not the second segment again. */
static void check_step_2b(const struct rp_peer *p)
{
    check_tx(p, 10, 12, 1);
    CHECK_EQ(p->tx[1], 1);
}

/* Step 3a (RFC 5682 2.1, 3.1): the timeout was genuine, cwnd = 3 SMSS,
 * and slow start from it retransmitted from SND.UNA: 1461, 2921, 4381. */
static void check_step_3a(struct ts *s, int fd)
{
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 1);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    CHECK_EQ(ti.cwnd, 3 * MSS);
    CHECK_EQ(ti.retransmits, 4);
}

/* The first segment crossed `first` times, every other one once. */
static void check_only_first_resent(const struct rp_peer *p, unsigned first)
{
    CHECK_EQ(p->tx[0], first);
    check_tx(p, 1, SEGS, 1);
}

static void check_verdicts(struct ts *s, uint64_t spurious, uint64_t genuine)
{
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, spurious);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, genuine);
}

/* Basic F-RTO (no SACK), NewReno: a delay spike holds the ACKs of the
 * whole window past the RTO. */
static void test_spurious_basic(void)
{
    int fd;
    struct rp_peer p;
    struct ts *s = until_rto(&p, &fd, 0, "newreno", 1, 0);
    CHECK_EQ(tu_info(s, fd).ssthresh, 5 * MSS); /* RFC 5681 eq. (4): FlightSize / 2 */
    /* Step 2b: the ACK of the first segment: two new segments, not 1461. */
    rp_run(s, &p, 0, MS(1350));
    check_step_2b(&p);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    CHECK_EQ(ti.retransmits, 1);
    CHECK_EQ(ti.cwnd, 2 * MSS);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    /* Step 3b: ACK 2921 acknowledges the second segment, never resent. */
    rp_run(s, &p, 0, MS(1350) + NST_USEC(100));
    ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.ssthresh, 5 * MSS);
    CHECK_EQ(ti.cwnd, 5 * MSS); /* the conservative response: cwnd = ssthresh */
    CHECK_EQ(ti.unacked, 10 * MSS);
    /* The rest: nothing goes twice but the first segment. */
    rp_run(s, &p, 0, SEC(10));
    tu_check_done(s, fd, 1, 1);
    check_only_first_resent(&p, 2);
    CHECK_EQ(p.rcv_nxt, 1 + SEGS * MSS);
    check_verdicts(s, 1, 0);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 0);
    ts_free(s);
}

/* The SACK-enhanced variant with CUBIC: the same spike; the peer reports
 * the retransmission with a D-SACK, which also shows it needless (RFC
 * 3708 3). */
static void test_spurious_sack(void)
{
    int fd;
    struct rp_peer p;
    struct ts *s = until_rto(&p, &fd, 1, "cubic", 1, 0);
    CHECK_EQ(tu_info(s, fd).ssthresh, 10220); /* RFC 9438 4.6: 0.7 * FlightSize (14600) */
    rp_run(s, &p, 0, MS(1350));
    check_step_2b(&p);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 0);
    rp_run(s, &p, 0, MS(1350) + NST_USEC(100));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.ssthresh, 10220);
    CHECK_EQ(ti.cwnd, 10220);
    rp_run(s, &p, 0, SEC(10));
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.retransmits, 1);
    check_only_first_resent(&p, 2);
    check_verdicts(s, 1, 0);
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
    struct rp_peer p;
    struct ts *s = until_rto(&p, &fd, 1, "newreno", 1, 0);
    tu_ack(s, MS(1350), 1461, TU_NO_SACK);
    EXPECT(s, MS(1350), .flags = F_A, .seq = 14601, .ack = 1, .len = MSS);
    EXPECT(s, MS(1350), .flags = F_A, .seq = 16061, .ack = 1, .len = MSS);
    struct nst_tcp_opts o = TU_SACK(2921, 4381);
    tu_ack(s, MS(1351), 1461, o);
    struct nst_tcp_info ti = tu_info(s, fd);
    check_verdicts(s, 1, 0);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.cwnd, 5 * MSS);
    CHECK_EQ(ti.sacked, MSS);
    EXPECT_NONE(s, MS(1351));
    o.sack[0].end = 5841;
    tu_ack(s, MS(1352), 1461, o);
    EXPECT_NONE(s, MS(1352)); /* one duplicate ACK: limited transmit, but 16060 bytes are out */
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_DISORDER);
    o.sack[0].end = 7301;
    tu_ack(s, MS(1353), 1461, o);
    /* RFC 6675 IsLost: more than 2 SMSS SACKed above it. */
    tu_expect_segment(s, MS(1353), 1461);
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
    struct rp_peer p;
    peer_init(&p, 0, 0);
    for (uint32_t i = 0; i < 10; i++)
        next_segment(s, &p, SEC(1), 1 + i * MSS, MS(2000) + i * NST_USEC(100));
    next_segment(s, &p, MS(1300), 1, MS(2001));
    next_segment(s, &p, MS(1900), 1, MS(2002)); /* RFC 6298 5.5: RTO doubled */
    EXPECT_NONE(s, MS(1999));
    CHECK_EQ(tu_info(s, fd).rto_timeouts, 2);
    rp_run(s, &p, 0, MS(2000));
    check_step_2b(&p);
    rp_run(s, &p, 0, MS(2000) + NST_USEC(100));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(tu_stats(s)->tcp_frto_spurious, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.cwnd, 5 * MSS); /* ssthresh was set once (RFC 5681 3.1: held on a second timeout) */
    rp_run(s, &p, 0, SEC(10));
    ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.retransmits, 2);
    check_only_first_resent(&p, 3);
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
    struct rp_peer p;
    struct ts *s = until_rto(&p, &fd, 0, "newreno", 0, 0);
    rp_run(s, &p, 0, MS(1350));
    check_tx(&p, 1, 3, 2);
    CHECK_EQ(p.tx[10], 0);
    rp_run(s, &p, 0, SEC(10));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.retransmits, 18);
    CHECK_EQ(ti.fast_retransmits, 1);
    check_tx(&p, 0, 18, 2);
    check_tx(&p, 18, SEGS, 1);
    check_verdicts(s, 0, 0);
    ts_free(s);
}

/* Basic F-RTO, a real loss: the whole window is lost. The ACK of the
 * retransmission brings two new segments (step 2b); they arrive above the
 * hole and draw duplicate ACKs: the first is step 3a. */
static void test_genuine_basic(void)
{
    int fd;
    struct rp_peer p;
    struct ts *s = until_rto(&p, &fd, 0, "newreno", 1, 1);
    rp_run(s, &p, 0, MS(1350));
    check_step_2b(&p);
    CHECK_EQ(tu_stats(s)->tcp_frto_genuine, 0);
    /* The two new segments arrive at 1.4 s: duplicate ACKs of 1461. */
    rp_run(s, &p, 0, MS(1400));
    check_step_3a(s, fd);
    check_tx(&p, 1, 4, 2);
    CHECK_EQ(p.tx[4], 1);
    rp_run(s, &p, 0, SEC(10));
    /* Go-back-N goes on to SND.MAX: the two new segments of step 2b are
     * "unacknowledged segments" too (3a) and are sent again: 12 in all. */
    struct nst_tcp_info ti = tu_check_done(s, fd, 1, 12);
    CHECK_EQ(ti.fast_retransmits, 0);
    check_tx(&p, 0, 12, 2);
    check_tx(&p, 12, SEGS, 1);
    CHECK_EQ(p.rcv_nxt, 1 + SEGS * MSS);
    check_verdicts(s, 0, 1);
    ts_free(s);
}

/* SACK-enhanced F-RTO, a real loss: the ACK after the new segments SACKs
 * them, above "recover" (RFC 5682 3.1 step 3a). */
static void test_genuine_sack(void)
{
    int fd;
    struct rp_peer p;
    struct ts *s = until_rto(&p, &fd, 1, "newreno", 1, 1);
    rp_run(s, &p, 0, MS(1350));
    check_tx(&p, 10, 12, 1);
    rp_run(s, &p, 0, MS(1400));
    check_step_3a(s, fd);
    CHECK_EQ(p.tx[1], 2);
    CHECK_EQ(p.tx[3], 2);
    CHECK_EQ(p.tx[4], 1);
    rp_run(s, &p, 0, SEC(10));
    /* Unlike without SACK, go-back-N skips the two new segments the peer
     * SACKed (RFC 6675 5.1: the scoreboard outlives the timeout): ten
     * retransmissions, none of them needless, so no D-SACK comes back. */
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.rto_timeouts, 1);
    CHECK_EQ(ti.retransmits, 10);
    check_tx(&p, 0, 10, 2);
    check_tx(&p, 10, 12, 1);
    CHECK_EQ(p.rcv_nxt, 1 + SEGS * MSS);
    check_verdicts(s, 0, 1);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 0);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 0);
    ts_free(s);
}

/* Nothing new to send when the retransmission is ACKed: RFC 5682 2.1 step
 * 2b recommends the conventional slow start; neither verdict is counted. */
static void test_no_new_data_falls_back(void)
{
    int fd;
    struct ts *s = tu_bulk_sender(NULL, 0, "newreno", 10 * MSS, &fd);
    struct rp_peer p;
    peer_init(&p, 0, 0);
    window_then_timeout(s, &p, fd, MS(1350), MS(1351));
    rp_run(s, &p, 0, MS(1350));
    check_tx(&p, 1, 3, 2); /* go-back-N: 1461 and 2921 again */
    rp_run(s, &p, 0, SEC(10));
    CHECK_EQ(tu_info(s, fd).unacked, 0);
    check_verdicts(s, 0, 0);
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
        for (size_t i = 0; i < want; i++)
            x->buf[i] = su_pattern_byte(&g);
        ssize_t n = nst_send(x->cli, x->cfd, x->buf, want, 0);
        if (n <= 0)
            break;
        /* Regenerate exactly the bytes taken, so the stream is one sequence. */
        for (ssize_t i = 0; i < n; i++)
            su_pattern_byte(&x->gen);
        x->tx_hash = su_fnv(x->tx_hash, x->buf, (size_t)n);
        x->sent += (uint64_t)n;
    }
    if (x->sfd < 0)
        x->sfd = nst_accept(x->srv, x->lfd, NULL);
    while (x->sfd >= 0) {
        ssize_t n = nst_recv(x->srv, x->sfd, x->buf, sizeof(x->buf), 0);
        if (n <= 0)
            break;
        x->rx_hash = su_fnv(x->rx_hash, x->buf, (size_t)n);
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
    cfg.tcp.rack = 0;
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
    x->tx_hash = x->rx_hash = SU_FNV_BASIS;
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
