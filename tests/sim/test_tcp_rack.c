/* RACK-TLP (RFC 8985), segment by segment in virtual time.
 *
 * Every script: the peer's SYN at 0 offers SACK, its ACK at 100 ms (SRTT
 * 100 ms, RTO 300 ms), the application writes at 1 s; the initial window
 * (ten segments) leaves at once. Data segments take 100 ms to be ACKed
 * unless the script says otherwise, so RACK.min_RTT is 100 ms and the
 * initial reordering window min_RTT / 4 = 25 ms.
 *   - tail loss: the last two segments of a flight are lost. The PTO (2
 *     SRTT + 2 ms) sends the last one again; its SACK lets RACK mark the
 *     other lost: fast recovery at 1.402 s, no RTO. With RACK off the RTO repairs
 *     it later (go-back-N).
 *   - a lone segment: PTO = 2 SRTT + 200 ms capped at the RTO; a probe
 *     that alone arrived is a repaired loss (cwnd reduced, RFC 8985 7.4),
 *     one whose original arrived too draws a D-SACK and is forgiven.
 *   - reordering: a segment arriving 10 ms behind the one sent after it is
 *     no loss (the reordering timer waits 25 ms); once reordering was
 *     seen, many SACKs above a hole wait for the window too. A segment 40
 *     ms late is retransmitted at the timer (xmit + RTT + 25 ms); the
 *     D-SACK that follows widens the window to 50 ms (6.2 step 4) and the
 *     next 40 ms delay goes without retransmission.
 *   - a delayed ACK: segments acknowledged with a SACK block above them
 *     in the same ACK are no reordering (step 3): the hole is lost at once.
 *   - lost retransmission: the first retransmission is lost too; the
 *     SACKs of data sent after it mark it lost an RTT later, and it goes a
 *     third time, without the RTO.
 *   - pacing: a connection that paces (NST_SO_MAX_PACING_RATE) spaces
 *     its recovery's retransmissions by the pacing interval, exactly as
 *     its new data; without pacing they leave together, as before. The
 *     retransmission that starts recovery, owed whatever the window, waits
 *     for its departure time as well.
 *   - the switch: NST_TCP_RACK, inherited from the listener, fixed once
 *     data flowed; off, three SACKs are RFC 6675's DupThresh. */
#include "support/sim_util.h"
#include "support/tcp_testutil.h"

#define MSS TU_MSS
#define SEG(i) (1u + (uint32_t)(i) * MSS) /* start of segment i (0-based) */

static struct ts *sender(int rack, uint32_t nseg, int *fd)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.rack = rack;
    return tu_bulk_sender(&cfg, 1, NULL, nseg * MSS, fd);
}

/* The next segment is [seq, seq + len) (PSH if psh), sent exactly at `at`. */
static void expect_data(struct ts *s, nst_time_t at, uint32_t seq, uint32_t len, int psh)
{
    EXPECT(s, at, .flags = psh ? F_PA : F_A, .seq = seq, .ack = 1, .len = len, .at = at,
           .check = TS_DEFAULT_CHECK | TS_TIME);
}

/* Segments [from, to) leave at `at`, full-sized, PSH on the last if
 * `push_last`. */
static void expect_run(struct ts *s, nst_time_t at, uint32_t from, uint32_t to, int push_last)
{
    for (uint32_t i = from; i < to; i++)
        expect_data(s, at, SEG(i), MSS, push_last && i + 1 == to);
}

/* How many full segments leave at `at`, from segment `from` on (each
 * checked in order). */
static uint32_t burst(struct ts *s, nst_time_t at, uint32_t from)
{
    uint32_t n = 0;
    struct ts_pkt pk;
    while (ts_next(s, at, &pk)) {
        CHECK_EQ(pk.at, at);
        CHECK_EQ(pk.h.seq - s->local_isn, SEG(from + n));
        CHECK_EQ(pk.len, MSS);
        n++;
    }
    return n;
}

static uint64_t stat_lost(struct ts *s) { return tu_stats(s)->tcp_rack_marked_lost; }

/* ---- tail loss ------------------------------------------------------------------ */

static void test_tail_loss_probe(void)
{
    int fd;
    struct ts *s = sender(1, 10, &fd);
    expect_run(s, SEC(1), 0, 10, 1);
    /* Segments 8 and 9 are lost; the first eight are ACKed at 1.1 s. */
    tu_ack(s, MS(1100), SEG(8), TU_NO_SACK);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.rtt, MS(100));
    CHECK_EQ(ti.rto, MS(250)); /* SRTT 100, RTTVAR 37.5 */
    /* RFC 8985 7.2: PTO = 2 SRTT = 200 ms (two segments in flight), and 2
     * ms of slack as Linux's; the probe, with no new data to send, is the
     * last segment again (7.3). */
    expect_data(s, MS(1302), SEG(9), MSS, 1);
    CHECK_EQ(tu_stats(s)->tcp_tlp_probes, 1);
    CHECK_EQ(tu_info(s, fd).rto_timeouts, 0);
    /* Its SACK: RACK.xmit_ts = 1.3 s; segment 8, sent at 1.0 s, had RTT
     * 100 ms + 25 ms to arrive: lost, fast recovery retransmits it now. */
    tu_ack(s, MS(1402), SEG(8), TU_SACK(SEG(9), SEG(10)));
    expect_data(s, MS(1402), SEG(8), MSS, 0);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(stat_lost(s), 1);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    tu_ack(s, MS(1502), SEG(10), TU_NO_SACK);
    ti = tu_check_done(s, fd, 0, 2);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    EXPECT_NONE(s, SEC(10));
    /* The recovery's reduction was the one response (no second for the
     * probe's episode). */
    CHECK_EQ(tu_stats(s)->tcp_tlp_recoveries, 0);
    ts_free(s);
}

/* The same loss with RACK off: nothing until the RTO at 1.35 s. */
static void test_tail_loss_without_rack(void)
{
    int fd;
    struct ts *s = sender(0, 10, &fd);
    expect_run(s, SEC(1), 0, 10, 1);
    tu_ack(s, MS(1100), SEG(8), TU_NO_SACK);
    expect_data(s, MS(1350), SEG(8), MSS, 0);
    CHECK_EQ(tu_info(s, fd).rto_timeouts, 1);
    CHECK_EQ(tu_stats(s)->tcp_tlp_probes, 0);
    ts_free(s);
}

/* One segment, lost: PTO = 2 SRTT + 200 ms = 400 ms, capped at the RTO
 * (300 ms). The probe alone reaches the peer (ACK = TLP.end_seq); the
 * next ACK beyond it says the probe repaired a loss: cwnd is reduced
 * once (RFC 8985 7.4.2), without a recovery. */
static void test_probe_repairs_lone_segment(void)
{
    int fd;
    struct ts *s = sender(1, 0, &fd);
    char buf[100] = {0};
    CHECK_EQ(nst_send(s->st, fd, buf, 100, 0), 100);
    expect_data(s, SEC(1), 1, 100, 1);
    expect_data(s, MS(1300), 1, 100, 1);
    CHECK_EQ(tu_stats(s)->tcp_tlp_probes, 1);
    tu_ack(s, MS(1400), 101, TU_NO_SACK);
    uint32_t cwnd = tu_info(s, fd).cwnd;
    CHECK_EQ(nst_send(s->st, fd, buf, 100, 0), 100);
    expect_data(s, MS(1400), 101, 100, 1);
    CHECK_EQ(tu_stats(s)->tcp_tlp_recoveries, 0);
    tu_ack(s, MS(1500), 201, TU_NO_SACK);
    CHECK_EQ(tu_stats(s)->tcp_tlp_recoveries, 1);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK(ti.cwnd < cwnd);
    CHECK_EQ(ti.cwnd, ti.ssthresh);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.rto_timeouts, 0);
    ts_free(s);
}

/* The original was only late: its ACK, then a D-SACK for the probe. No
 * loss, no reduction. */
static void test_probe_dsacked(void)
{
    int fd;
    struct ts *s = sender(1, 0, &fd);
    char buf[100] = {0};
    CHECK_EQ(nst_send(s->st, fd, buf, 100, 0), 100);
    expect_data(s, SEC(1), 1, 100, 1);
    expect_data(s, MS(1300), 1, 100, 1);
    tu_ack(s, MS(1350), 101, TU_NO_SACK);
    uint32_t cwnd = tu_info(s, fd).cwnd;
    tu_ack(s, MS(1400), 101, TU_SACK(1, 101));
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 1);
    CHECK_EQ(nst_send(s->st, fd, buf, 100, 0), 100);
    expect_data(s, MS(1400), 101, 100, 1);
    tu_ack(s, MS(1500), 201, TU_NO_SACK);
    CHECK_EQ(tu_stats(s)->tcp_tlp_recoveries, 0);
    CHECK_EQ(tu_info(s, fd).cwnd, cwnd); /* not reduced (nor grown: not cwnd-limited) */
    ts_free(s);
}

/* ---- reordering -------------------------------------------------------------------- */

/* Segment 0 arrives 10 ms after segment 1 (SACKed at 1.1 s): within the
 * reordering window (min_RTT / 4 = 25 ms) the hole is no loss. */
static void test_reordering_tolerated(void)
{
    int fd;
    struct ts *s = sender(1, 40, &fd);
    expect_run(s, SEC(1), 0, 10, 0);
    tu_ack(s, MS(1100), 1, TU_SACK(SEG(1), SEG(2)));
    /* RFC 3042 limited transmit meanwhile; no retransmission. */
    expect_data(s, MS(1100), SEG(10), MSS, 0);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_DISORDER);
    EXPECT_NONE(s, MS(1110));
    tu_ack(s, MS(1110), SEG(10), TU_NO_SACK);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(tu_info(s, fd).retransmits, 0);
    CHECK_EQ(stat_lost(s), 0);
    ts_free(s);
}

/* Rounds of ten segments, one a second (the application writes them;
 * all is ACKed within the round), each with its first segment late:
 *   1 s: 10 ms late behind one SACK: tolerated (25 ms), reordering seen.
 *   2 s: 20 ms late behind nine SACKs: without reordering seen the window
 *        would be 0 (RFC 8985 6.2 step 4, as DupThresh: see
 *        test_lost_retransmission); now it holds.
 *   3 s: 40 ms late: the reordering timer retransmits it at 3.125 s (sent
 *        at 3 s, RTT 100 ms, window 25 ms); the original comes at 3.14 s,
 *        the retransmission's D-SACK at 3.225 s: the window doubles.
 *   4 s: 40 ms late again: within 50 ms, no retransmission. */
static void test_reordering_window_adapts(void)
{
    int fd;
    struct ts *s = sender(1, 10, &fd);
    expect_run(s, SEC(1), 0, 10, 1);
    tu_ack(s, MS(1100), 1, TU_SACK(SEG(1), SEG(2)));
    tu_ack(s, MS(1110), SEG(10), TU_NO_SACK);
    tu_write(s, fd, SEC(2), 10 * MSS);
    expect_run(s, SEC(2), 10, 20, 1);
    tu_ack(s, MS(2100), SEG(10), TU_SACK(SEG(11), SEG(20)));
    EXPECT_NONE(s, MS(2120));
    tu_ack(s, MS(2120), SEG(20), TU_NO_SACK);
    CHECK_EQ(tu_info(s, fd).retransmits, 0);
    CHECK_EQ(stat_lost(s), 0);
    tu_write(s, fd, SEC(3), 10 * MSS);
    expect_run(s, SEC(3), 20, 30, 1);
    tu_ack(s, MS(3100), SEG(20), TU_SACK(SEG(21), SEG(30)));
    expect_data(s, MS(3125), SEG(20), MSS, 0);
    CHECK_EQ(stat_lost(s), 1);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
    tu_ack(s, MS(3140), SEG(30), TU_NO_SACK);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_OPEN);
    tu_ack(s, MS(3225), SEG(30), TU_SACK(SEG(20), SEG(21)));
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 1);
    /* After the recovery, cwnd is what the module left (a few segments). */
    tu_write(s, fd, SEC(4), 10 * MSS);
    uint32_t n = burst(s, SEC(4), 30);
    CHECK(n >= 2);
    tu_ack(s, MS(4100), SEG(30), TU_SACK(SEG(31), SEG(30 + n)));
    burst(s, MS(4100), 30 + n); /* RFC 3042 limited transmit, new data only */
    EXPECT_NONE(s, MS(4140));
    tu_ack(s, MS(4140), SEG(30 + n), TU_NO_SACK);
    CHECK_EQ(tu_info(s, fd).retransmits, 1);
    CHECK_EQ(stat_lost(s), 1);
    ts_free(s);
}

/* An ACK that acknowledges segments 0..2 (the receiver held its ACK for
 * them) and SACKs 4..9 above the lost segment 3: no reordering (RFC 8985
 * 6.2 step 3 takes the newly delivered segments in ascending order, 0..2
 * before 4..9). With none seen and six segments SACKed, the window is 0:
 * segment 3 is lost at once, not 25 ms later. */
static void test_delayed_ack_with_sack_no_reordering(void)
{
    int fd;
    struct ts *s = sender(1, 10, &fd);
    expect_run(s, SEC(1), 0, 10, 1);
    tu_ack(s, MS(1100), SEG(3), TU_SACK(SEG(4), SEG(10)));
    expect_data(s, MS(1100), SEG(3), MSS, 0);
    CHECK_EQ(stat_lost(s), 1);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
    EXPECT_NONE(s, MS(1200));
    tu_ack(s, MS(1200), SEG(10), TU_NO_SACK);
    struct nst_tcp_info ti = tu_check_done(s, fd, 0, 1);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    EXPECT_NONE(s, SEC(10));
    ts_free(s);
}

/* ---- lost retransmission ----------------------------------------------------------- */

static void test_lost_retransmission(void)
{
    int fd;
    struct ts *s = sender(1, 20, &fd);
    expect_run(s, SEC(1), 0, 10, 0);
    /* Segment 0 lost, 1..9 SACKed at 1.1 s: lost at once (nine SACKed,
     * no reordering seen). cwnd = ssthresh = 0.7 * 10 segments; the pipe
     * is empty: the retransmission and six new segments. */
    tu_ack(s, MS(1100), 1, TU_SACK(SEG(1), SEG(10)));
    expect_data(s, MS(1100), SEG(0), MSS, 0);
    expect_run(s, MS(1100), 10, 16, 0);
    CHECK_EQ(stat_lost(s), 1);
    /* The retransmission is lost as well; the new segments are SACKed at
     * 1.2 s. They were sent with it: it had its RTT to arrive, and did
     * not. Lost again, sent a third time, without waiting for the RTO. */
    tu_ack(s, MS(1200), 1, TU_SACK(SEG(1), SEG(16)));
    expect_data(s, MS(1200), SEG(0), MSS, 0);
    CHECK_EQ(stat_lost(s), 2);
    uint32_t n = burst(s, MS(1200), 16);
    CHECK_EQ(n, 4);
    CHECK_EQ(tu_info(s, fd).rto_timeouts, 0);
    tu_ack(s, MS(1300), SEG(20), TU_NO_SACK);
    struct nst_tcp_info ti = tu_check_done(s, fd, 0, 2);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    EXPECT_NONE(s, SEC(10));
    ts_free(s);
}

/* ---- pacing ---------------------------------------------------------------------------- */

/* sender(), with NST_SO_MAX_PACING_RATE `rate` (bytes/s; 0: no pacing) on
 * the listener, which its connection inherits. */
static struct ts *paced_sender(uint64_t rate, uint32_t nseg, int *fd)
{
    struct nst_stack_config cfg = tu_config();
    struct ts *s = ts_new(&cfg);
    int lfd = ts_listen(s, 8);
    if (rate)
        CHECK_EQ(nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_MAX_PACING_RATE, &rate, sizeof(rate)), 0);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    *fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    tu_write(s, *fd, SEC(1), nseg * MSS);
    return s;
}

/* Segments 0..3 of ten are lost, 4..9 SACKed in one ACK: all four lost at
 * once (six SACKed, the window 0), recovery with cwnd = ssthresh = 7
 * segments and an empty pipe: the four retransmissions are due at once.
 * Paced at 100,000 bytes/s (a 1500-byte datagram each 15 ms; cwnd/SRTT x
 * 1.2 stays above it) they leave 15 ms apart, as the new data did;
 * unpaced, together. */
static void test_recovery_retransmissions_paced(void)
{
    for (int pace = 0; pace < 2; pace++) {
        int fd;
        nst_time_t gap = pace ? MS(15) : 0;
        struct ts *s = paced_sender(pace ? 100000 : 0, 10, &fd);
        for (uint32_t i = 0; i < 10; i++)
            expect_data(s, SEC(1) + i * gap, SEG(i), MSS, i == 9);
        /* (the SACKs come before the tail loss probe: 2 SRTT + 2 ms
         * after the last segment) */
        nst_time_t sacks_at = pace ? MS(1240) : MS(1110);
        tu_ack(s, sacks_at, 1, TU_SACK(SEG(4), SEG(10)));
        for (uint32_t i = 0; i < 4; i++)
            expect_data(s, sacks_at + i * gap, SEG(i), MSS, 0);
        nst_time_t done_at = sacks_at + 3 * gap + MS(100); /* the last one's ACK */
        EXPECT_NONE(s, done_at);
        CHECK_EQ(stat_lost(s), pace ? 4 : 1); /* (sent at one instant: one record, one mark) */
        CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
        tu_ack(s, done_at, SEG(10), TU_NO_SACK);
        tu_check_done(s, fd, 0, 4);
        CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_OPEN);
        EXPECT_NONE(s, SEC(10));
        ts_free(s);
    }
}

/* The retransmission that starts recovery goes whatever the window (RFC
 * 5681 3.2 step 2), but not before its departure time. Paced at 150,000
 * bytes/s (10 ms a segment): segments 0..9 leave 1.00 .. 1.09 s. At 1.105 s
 * a SACK of segment 1: limited transmit (RFC 3042) sends segment 10 at
 * once; segment 11 is due at 1.115 s. At 1.108 s SACKs of 1..3: segment 0
 * is lost (three SACKed, the window 0); cwnd = ssthresh = 0.7 x 11
 * segments is below the pipe (8 segments) plus one: only the owed
 * retransmission may go, and it goes at 1.115 s, the next departure. */
static void test_recovery_first_retransmission_paced(void)
{
    int fd;
    struct ts *s = paced_sender(150000, 20, &fd);
    for (uint32_t i = 0; i < 10; i++)
        expect_data(s, SEC(1) + i * MS(10), SEG(i), MSS, 0);
    tu_ack(s, MS(1105), 1, TU_SACK(SEG(1), SEG(2)));
    expect_data(s, MS(1105), SEG(10), MSS, 0);
    EXPECT_NONE(s, MS(1108));
    tu_ack(s, MS(1108), 1, TU_SACK(SEG(1), SEG(4)));
    CHECK_EQ(stat_lost(s), 1);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
    expect_data(s, MS(1115), SEG(0), MSS, 0);
    EXPECT_NONE(s, MS(1200));
    CHECK_EQ(tu_info(s, fd).retransmits, 1);
    ts_free(s);
}

/* ---- the switch ---------------------------------------------------------------------- */

static void test_sockopt(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    int v = -1;
    size_t len = sizeof(v);
    CHECK_EQ(nst_getsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_RACK, &v, &len), 0);
    CHECK_EQ(v, 1); /* cfg.tcp.rack's default */
    v = 0;
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_RACK, &v, sizeof(v)), 0);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    int fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    len = sizeof(v);
    v = -1;
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_RACK, &v, &len), 0);
    CHECK_EQ(v, 0); /* inherited */
    tu_write(s, fd, SEC(1), 20 * MSS);
    expect_run(s, SEC(1), 0, 10, 0);
    /* RFC 6675: the third SACK above the hole is DupThresh. */
    tu_ack(s, MS(1100), 1, TU_SACK(SEG(1), SEG(2)));
    expect_data(s, MS(1100), SEG(10), MSS, 0);
    tu_ack(s, MS(1101), 1, TU_SACK(SEG(1), SEG(3)));
    expect_data(s, MS(1101), SEG(11), MSS, 0);
    tu_ack(s, MS(1102), 1, TU_SACK(SEG(1), SEG(4)));
    expect_data(s, MS(1102), SEG(0), MSS, 0);
    CHECK_EQ(stat_lost(s), 0);
    /* A RACK connection that sent data keeps its choice. */
    ts_free(s);
    int fd2;
    s = sender(1, 2, &fd2);
    expect_run(s, SEC(1), 0, 2, 1);
    v = 0;
    CHECK_EQ(nst_setsockopt(s->st, fd2, NST_IPPROTO_TCP, NST_TCP_RACK, &v, sizeof(v)), -EBUSY);
    ts_free(s);
}

int main(void)
{
    RUN(test_tail_loss_probe);
    RUN(test_tail_loss_without_rack);
    RUN(test_probe_repairs_lone_segment);
    RUN(test_probe_dsacked);
    RUN(test_reordering_tolerated);
    RUN(test_reordering_window_adapts);
    RUN(test_delayed_ack_with_sack_no_reordering);
    RUN(test_lost_retransmission);
    RUN(test_recovery_retransmissions_paced);
    RUN(test_recovery_first_retransmission_paced);
    RUN(test_sockopt);
    return nst_test_done();
}
