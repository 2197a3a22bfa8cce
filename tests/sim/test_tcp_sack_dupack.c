/* Regression test: an ACK that brings new SACK information is a duplicate
 * ACK even when its window differs from the last one (fixed in
 * src/tcp/tcp_recovery.c is_dupack()).
 *
 * Found by tests/interop/test_tcp_lossy.sh: the Linux receiver's window
 * grows on nearly every ACK while its application drains the socket, so
 * its duplicate ACKs after a loss (same ACK number, SACK blocks growing)
 * all carry a new window. nstack's is_dupack() (src/tcp/tcp_recovery.c)
 * applied RFC 5681's definition, condition (e) "the advertised window
 * equals the last one", to them;
 * so neither limited transmit, nor the
 * three-duplicates rule, nor the SACK-based IsLost() check then runs, and
 * the loss waits for the 200 ms RTO. With 2% loss, nstack's sender spends
 * most of its time there (100-180 RTOs for 64 MiB in test_tcp_lossy).
 *
 * RFC 6675 2 counts an ACK carrying SACK blocks that identify previously
 * un-SACKed octets as a duplicate ACK "even if it carries new data, changes
 * the advertised window, or moves the cumulative acknowledgment point".
 *
 * The test is test_sack_fast_retransmit (tests/sim/test_tcp_recovery.c)
 * with the windows Linux sends: 500, 501, 502 (x 128, window scale 7). */
#include <stdlib.h>

#include "support/tcp_testutil.h"

#define MSS 1460u

/* The peer's ACK at t: still waiting for segment 1, holding [1461, end),
 * advertising window `win`. */
static void inject_dupack(struct ts *s, nst_time_t t, uint16_t win, uint32_t end)
{
    struct ts_seg a = {.flags = F_A, .seq = 1, .ack = 1, .win = win};
    a.opts.sack_count = 1;
    a.opts.sack[0].start = 1 + MSS;
    a.opts.sack[0].end = end;
    ts_inject(s, t, &a);
}

static void expect_segment(struct ts *s, nst_time_t at, uint32_t seq)
{
    EXPECT(s, at, .flags = F_A, .seq = seq, .ack = 1, .len = MSS, .at = at, .check = TS_DEFAULT_CHECK | TS_TIME);
}

/* Segment 1 of 40 is lost; segments 2, 3, 4 arrive, each ACKed with a
 * larger SACK block and a window one unit larger: limited transmit on the
 * first two, fast retransmit of segment 1 on the third. */
static void test_sack_dupacks_with_a_growing_window(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    int fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    ts_run_until(s, SEC(1));
    size_t n = 40 * MSS;
    char *buf = malloc(n);
    memset(buf, 'd', n);
    CHECK_EQ(nst_send(s->st, fd, buf, n, 0), (long long)n);
    free(buf);
    for (uint32_t i = 0; i < 10; i++)
        expect_segment(s, SEC(1), 1 + i * MSS); /* the initial window */
    inject_dupack(s, MS(1100), 500, 1 + 2 * MSS);
    expect_segment(s, MS(1100), 14601); /* RFC 3042 */
    inject_dupack(s, MS(1101), 501, 1 + 3 * MSS);
    expect_segment(s, MS(1101), 16061); /* RFC 3042 */
    inject_dupack(s, MS(1102), 502, 1 + 4 * MSS);
    expect_segment(s, MS(1102), 1);     /* RFC 6675 5: fast retransmit, not the RTO */
    CHECK_EQ(tu_info(s, fd).ca_state, NST_TCP_CA_RECOVERY);
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    CHECK_EQ(tu_stats(s)->tcp_rto_timeouts, 0);
    ts_free(s);
}

int main(void)
{
    RUN(test_sack_dupacks_with_a_growing_window);
    return nst_test_done();
}
