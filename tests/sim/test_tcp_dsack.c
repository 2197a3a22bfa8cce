/* D-SACK (RFC 2883), both sides, segment by segment.
 *
 * Receiver (RFC 2883 4): a segment carrying data received already draws an
 * immediate ACK whose first SACK block is the duplicate range; when that
 * range lies inside out-of-order data held, the block holding it comes
 * second; then the usual blocks (RFC 2018 4), as many as fit. Only that one
 * ACK carries it, and only when SACK was negotiated.
 *
 * Sender (RFC 2883 5, RFC 6675 2, RFC 3708 3): a first block below the
 * cumulative ACK, or inside the second block, is a D-SACK: counted, kept
 * off the scoreboard, and an ACK that reports nothing else is not a
 * duplicate ACK (no limited transmit, no fast retransmit). When every byte
 * retransmitted in a recovery episode comes back as a D-SACK, the episode
 * was spurious (counted in tcp.spurious_rtx_dsack). */
#include <stdlib.h>

#include "support/tcp_testutil.h"

#define MSS TU_MSS

/* What the stack must send at exactly `at`: a bare ACK with these blocks. */
#define EXPECT_ACK(s, when, ackno, sack)                                                                       \
    EXPECT(s, when, .flags = F_A, .seq = 1, .ack = (ackno), .opts = (sack), .at = (when),                      \
           .check = TS_DEFAULT_CHECK | TS_TIME | TS_SACK)

/* `len` bytes from the peer at relative sequence seq. */
static void data(struct ts *s, nst_time_t t, uint32_t seq, uint32_t len)
{
    INJECT(s, t, .flags = F_PA, .seq = seq, .ack = 1, .win = 65535, .len = len);
}

/* The same with the peer's timestamp option (tu_ts). */
static void data_ts(struct ts *s, nst_time_t t, uint32_t seq, uint32_t len)
{
    INJECT(s, t, .flags = F_PA, .seq = seq, .ack = 1, .win = 65535, .len = len, .opts = tu_ts(t));
}

/* ---- receiver ---------------------------------------------------------------------- */

/* Data ACKed already comes again (RFC 2883 4.1.1), then partly again
 * (4.1.2: only the duplicate part is reported). */
static void test_duplicate_below_rcv_nxt(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    data(s, SEC(1), 1, 1000);
    EXPECT_ACK(s, MS(1040), 1001, TU_NO_SACK); /* delayed ACK, no blocks */
    data(s, MS(1100), 1, 1000);
    EXPECT_ACK(s, MS(1100), 1001, TU_SACK(1, 1001));
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 1);
    CHECK_EQ(tu_stats(s)->tcp_rx_duplicate, 1);
    data(s, MS(1200), 501, 1000);
    EXPECT_ACK(s, MS(1200), 1501, TU_SACK(501, 1001));
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 2);
    /* The next ACK reports nothing: the D-SACK went in one ACK only. */
    data(s, MS(1300), 1501, 1000);
    EXPECT_ACK(s, MS(1340), 2501, TU_NO_SACK);
    EXPECT_NONE(s, SEC(2));
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 2);
    char buf[4000];
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 2500);
    ts_free(s);
}

/* Duplicates of data held out of order (RFC 2883 4.1.3): the D-SACK block,
 * then the block holding it, then the others; a segment filling the hole
 * and overlapping held data reports the overlap (now below the ACK). */
static void test_duplicate_of_out_of_order_data(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    data(s, SEC(1), 2001, 1000);
    EXPECT_ACK(s, SEC(1), 1, TU_SACK(2001, 3001));
    data(s, MS(1010), 4001, 1000);
    EXPECT_ACK(s, MS(1010), 1, TU_SACK(4001, 5001, 2001, 3001));
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 0);
    /* Wholly inside [2001, 3001). */
    data(s, MS(1020), 2501, 500);
    EXPECT_ACK(s, MS(1020), 1, TU_SACK(2501, 3001, 2001, 3001, 4001, 5001));
    /* Partly: [2801, 3001) again, [3001, 3201) new, merged into the block. */
    data(s, MS(1030), 2801, 400);
    EXPECT_ACK(s, MS(1030), 1, TU_SACK(2801, 3001, 2001, 3201, 4001, 5001));
    /* In order, and overlapping what is held: [2001, 2501) again. */
    data(s, MS(1040), 1, 2500);
    EXPECT_ACK(s, MS(1040), 3201, TU_SACK(2001, 2501, 4001, 5001));
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 3);
    /* The hole fills: an ACK with no block at all. */
    data(s, MS(1050), 3201, 800);
    EXPECT_ACK(s, MS(1050), 5001, TU_NO_SACK);
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 3);
    char buf[6000];
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 5000);
    ts_free(s);
}

/* With timestamps the option space holds three blocks: the D-SACK, the
 * block holding it (also the most recent arrival's), then the most
 * recently reported others (RFC 2018 4): [2001, 3001), reported first
 * longest ago, is left out. */
static void test_dsack_with_timestamps_three_blocks(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 1, &lfd, &fd);
    data_ts(s, SEC(1), 2001, 1000);
    EXPECT_ACK(s, SEC(1), 1, TU_SACK(2001, 3001));
    data_ts(s, MS(1010), 4001, 1000);
    EXPECT_ACK(s, MS(1010), 1, TU_SACK(4001, 5001, 2001, 3001));
    data_ts(s, MS(1020), 6001, 1000);
    EXPECT_ACK(s, MS(1020), 1, TU_SACK(6001, 7001, 4001, 5001, 2001, 3001));
    data_ts(s, MS(1030), 4001, 1000);
    EXPECT_ACK(s, MS(1030), 1, TU_SACK(4001, 5001, 4001, 5001, 6001, 7001));
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 1);
    ts_free(s);
}

/* No SACK negotiated: a duplicate is ACKed, with no SACK option. */
static void test_no_dsack_without_sack(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    struct nst_tcp_opts o = ts_syn_opts(7, 0, 0);
    int fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    CHECK(fd >= 0);
    data(s, SEC(1), 1, 1000);
    EXPECT_ACK(s, MS(1040), 1001, TU_NO_SACK);
    data(s, MS(1100), 1, 1000);
    EXPECT_ACK(s, MS(1100), 1001, TU_NO_SACK);
    data(s, MS(1200), 2001, 1000);
    EXPECT_ACK(s, MS(1200), 1001, TU_NO_SACK);
    data(s, MS(1300), 2001, 1000);
    EXPECT_ACK(s, MS(1300), 1001, TU_NO_SACK);
    CHECK_EQ(tu_stats(s)->tcp_dsack_sent, 0);
    CHECK_EQ(tu_stats(s)->tcp_rx_duplicate, 1);
    ts_free(s);
}

/* ---- sender ------------------------------------------------------------------------ */

/* A connection (peer offers SACK, window scale 7) with nseg full segments
 * queued at 1 s; the initial window (10 segments) is expected. */
static struct ts *sender(const char *cc, int *fd, uint32_t nseg)
{
    struct ts *s = tu_bulk_sender(NULL, 1, cc, nseg * MSS, fd);
    for (uint32_t i = 0; i < 10; i++)
        tu_expect_segment(s, SEC(1), 1 + i * MSS);
    return s;
}

/* The first segment is lost and the next three arrive: SACKs of them,
 * limited transmit twice (RFC 3042), then the fast retransmit of the first
 * segment (recovery point 17521). */
static void fast_retransmit_first(struct ts *s)
{
    tu_ack(s, MS(1100), 1, TU_SACK(1461, 2921));
    tu_expect_segment(s, MS(1100), 14601);
    tu_ack(s, MS(1101), 1, TU_SACK(1461, 4381));
    tu_expect_segment(s, MS(1101), 16061);
    tu_ack(s, MS(1102), 1, TU_SACK(1461, 5841));
    tu_expect_segment(s, MS(1102), 1);
}

/* RFC 6675 2 (a duplicate ACK reports un-SACKed octets) and RFC 2883 5:
 * three ACKs whose only block is a D-SACK below the ACK are no duplicate
 * ACKs. The same three ACKs without SACK blocks are (RFC 5681 2): limited
 * transmit twice, then the fast retransmit. */
static void test_dsack_is_not_a_dupack(void)
{
    int fd;
    struct ts *s = sender(NULL, &fd, 40);
    tu_ack(s, MS(1100), 1461, TU_NO_SACK);
    tu_expect_segment(s, MS(1100), 14601); /* slow start: two for one */
    tu_expect_segment(s, MS(1100), 16061);
    for (int i = 1; i <= 3; i++)
        tu_ack(s, MS(1100) + i * MS(1), 1461, TU_SACK(1, 1461));
    EXPECT_NONE(s, MS(1150));
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.dupacks, 0);
    CHECK_EQ(ti.sacked, 0);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 3);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 0);
    /* A "D-SACK" reaching past anything sent is nonsense: not counted. */
    tu_ack(s, MS(1150), 1461, TU_SACK(1, 30001));
    EXPECT_NONE(s, MS(1150));
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 3);
    CHECK_EQ(tu_info(s, fd).sacked, 0);
    /* The contrast: plain duplicate ACKs. */
    tu_ack(s, MS(1151), 1461, TU_NO_SACK);
    tu_expect_segment(s, MS(1151), 17521);
    tu_ack(s, MS(1152), 1461, TU_NO_SACK);
    tu_expect_segment(s, MS(1152), 18981);
    tu_ack(s, MS(1153), 1461, TU_NO_SACK);
    tu_expect_segment(s, MS(1153), 1461);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 3);
    ts_free(s);
}

/* RFC 2883 4.1.3 / 5: a first block inside the second is a D-SACK even
 * above the ACK; the second block is news and makes a duplicate ACK. */
static void test_dsack_inside_second_block(void)
{
    int fd;
    struct ts *s = sender(NULL, &fd, 40);
    tu_ack(s, MS(1100), 1, TU_SACK(2921, 4381, 1461, 4381));
    tu_expect_segment(s, MS(1100), 14601); /* RFC 3042: limited transmit */
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_DISORDER);
    CHECK_EQ(ti.dupacks, 1);
    CHECK_EQ(ti.sacked, 2 * MSS); /* the second block only */
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 1);
    ts_free(s);
}

/* Fast retransmit of a segment that was only late (reordered): the peer
 * reports the retransmission as a duplicate. RFC 3708 3: once the episode
 * is over (everything up to its recovery point ACKed) with every
 * retransmitted byte D-SACKed, it was spurious. */
static void test_spurious_fast_retransmit_counted(void)
{
    int fd;
    struct ts *s = sender("newreno", &fd, 40);
    fast_retransmit_first(s);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    /* The original arrives late, then the retransmission: a D-SACK, while
     * the episode still runs (ACK 14601 < 17521): not decided yet. */
    tu_ack(s, MS(1103), 14601, TU_SACK(1, 1461));
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 1);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 0);
    /* The ACK that ends it decides. */
    tu_ack(s, MS(1104), 17521, TU_NO_SACK);
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 1);
    CHECK_EQ(tu_info(s, fd).retransmits, 1);
    /* Counted once: another D-SACK of it changes nothing. */
    tu_ack(s, MS(1105), 17521, TU_SACK(1, 1461));
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 2);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 1);
    ts_free(s);
}

/* The same loss, real this time: no D-SACK for the retransmission, and a
 * D-SACK for other data (a duplicate the network made) covers only part of
 * what was retransmitted: not spurious. */
static void test_genuine_fast_retransmit_not_counted(void)
{
    int fd;
    struct ts *s = sender("newreno", &fd, 40);
    fast_retransmit_first(s);
    tu_ack(s, MS(1202), 17521, TU_NO_SACK);
    tu_ack(s, MS(1203), 17521, TU_SACK(1461, 1961));
    CHECK_EQ(tu_stats(s)->tcp_dsack_received, 1);
    CHECK_EQ(tu_stats(s)->tcp_spurious_rtx_dsack, 0);
    ts_free(s);
}

int main(void)
{
    RUN(test_duplicate_below_rcv_nxt);
    RUN(test_duplicate_of_out_of_order_data);
    RUN(test_dsack_with_timestamps_three_blocks);
    RUN(test_no_dsack_without_sack);
    RUN(test_dsack_is_not_a_dupack);
    RUN(test_dsack_inside_second_block);
    RUN(test_spurious_fast_retransmit_counted);
    RUN(test_genuine_fast_retransmit_not_counted);
    return nst_test_done();
}
