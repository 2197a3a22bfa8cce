/* Pacing (src/tcp/tcp_pacing.c), in exact virtual time: the segments of
 * a window leave spaced by their length over the pacing rate, rather
 * than back to back. The rate is NST_SO_MAX_PACING_RATE's, or with
 * NST_SO_PACING cwnd/SRTT x 2 in slow start (Linux's under fq), or BBR's
 * own; without any of them the window goes at once, as before. A
 * listener's settings pass to the connections it accepts.
 *
 * Each case: a listener, the peer's SYN at 0 (MSS 1460, no timestamps:
 * a full segment is 1500 bytes of IP), its ACK at 100 ms (SRTT 100 ms),
 * then at 1 s the application writes ten full segments: the initial
 * window (RFC 6928). */
#include "support/tcp_testutil.h"

#include <nstack/tcp_info.h>

#define SEGS 10u

/* The connection, the options set on its listener first (cc NULL: the
 * default; on < 0, max_rate 0: not set). */
static struct ts *paced(const char *cc, int on, uint64_t max_rate, int *fd)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    if (cc)
        CHECK_EQ(nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, cc, strlen(cc)), 0);
    if (on >= 0)
        CHECK_EQ(nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_PACING, &on, sizeof(on)), 0);
    if (max_rate)
        CHECK_EQ(nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_MAX_PACING_RATE, &max_rate, sizeof(max_rate)), 0);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    *fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    CHECK(*fd >= 0);
    return s;
}

/* The ten segments, segment i at exactly 1 s + i * gap (the last with PSH). */
static void expect_spaced(struct ts *s, nst_time_t gap)
{
    for (uint32_t i = 0; i < SEGS; i++) {
        nst_time_t at = SEC(1) + (nst_time_t)i * gap;
        EXPECT(s, at, .flags = i == SEGS - 1 ? F_PA : F_A, .seq = 1 + i * TU_MSS, .ack = 1, .len = TU_MSS, .at = at,
               .check = TS_DEFAULT_CHECK | TS_TIME);
    }
}

/* Without pacing the initial window leaves in one burst at 1 s. */
static void test_unpaced_burst(void)
{
    int fd;
    struct ts *s = paced(NULL, -1, 0, &fd);
    tu_write(s, fd, SEC(1), SEGS * TU_MSS);
    expect_spaced(s, 0);
    CHECK_EQ(tu_info(s, fd).pacing_rate, 0);
    ts_free(s);
}

/* NST_SO_MAX_PACING_RATE 100,000 bytes/s: a cap, which also turns
 * pacing on (cwnd/SRTT x 2 would be 292,000 bytes/s): a 1500-byte
 * datagram each 15 ms, exactly; the accepted socket inherited the cap. */
static void test_max_rate(void)
{
    int fd;
    struct ts *s = paced(NULL, -1, 100000, &fd);
    uint64_t rate = 0;
    size_t len = sizeof(rate);
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_MAX_PACING_RATE, &rate, &len), 0);
    CHECK_EQ(rate, 100000);
    CHECK_EQ(tu_info(s, fd).pacing_rate, 100000);
    tu_write(s, fd, SEC(1), SEGS * TU_MSS);
    expect_spaced(s, MS(15));
    /* The ACK of all ten (the last left at 1.135 s), then four more: the
     * cap still holds (uncapped, cwnd/SRTT x 2 is above it), the first
     * leaving at once (no departure is owed, and no credit was saved
     * while idle: the next ones are 15 ms apart again). */
    tu_ack(s, SEC(1) + MS(200), 1 + SEGS * TU_MSS, TU_NO_SACK);
    ts_run_until(s, SEC(2));
    tu_write(s, fd, SEC(2), 4 * TU_MSS);
    for (uint32_t i = 0; i < 4; i++) {
        nst_time_t at = SEC(2) + (nst_time_t)i * MS(15);
        EXPECT(s, at, .flags = i == 3 ? F_PA : F_A, .seq = 1 + (SEGS + i) * TU_MSS, .ack = 1, .len = TU_MSS, .at = at,
               .check = TS_DEFAULT_CHECK | TS_TIME);
    }
    /* A 4-byte value works too; 0 removes the cap (pacing off again). */
    uint32_t r32 = 0;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_MAX_PACING_RATE, &r32, sizeof(r32)), 0);
    CHECK_EQ(tu_info(s, fd).pacing_rate, 0);
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_MAX_PACING_RATE, &r32, 2), -EINVAL);
    ts_free(s);
}

/* NST_SO_PACING: cwnd / SRTT x 2 in slow start = 14600 B / 100 ms x 2 =
 * 292,000 bytes/s, so 1500 bytes each 5,136,986 ns (rounded down). */
static void test_cwnd_over_srtt(void)
{
    int fd;
    struct ts *s = paced(NULL, 1, 0, &fd);
    int on = 0;
    size_t len = sizeof(on);
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_PACING, &on, &len), 0);
    CHECK_EQ(on, 1);
    CHECK_EQ(tu_info(s, fd).pacing_rate, 292000);
    tu_write(s, fd, SEC(1), SEGS * TU_MSS);
    expect_spaced(s, 5136986);
    ts_free(s);
}

/* BBR paces by itself, first at STARTUP's gain (2885/1000) times the
 * initial window over the handshake's RTT, less 1 %: 146,000 bytes/s x
 * 739/256 x 0.99 = 417,245 bytes/s, a segment each 3,595,010 ns. */
static void test_bbr_initial_pacing(void)
{
    int fd;
    struct ts *s = paced("bbr", -1, 0, &fd);
    CHECK_EQ(tu_info(s, fd).pacing_rate, 417245);
    tu_write(s, fd, SEC(1), SEGS * TU_MSS);
    expect_spaced(s, 3595010);
    ts_free(s);
}

/* The cap applies to BBR's rate too (as Linux's SO_MAX_PACING_RATE). */
static void test_bbr_capped(void)
{
    int fd;
    struct ts *s = paced("bbr", -1, 300000, &fd);
    CHECK_EQ(tu_info(s, fd).pacing_rate, 300000);
    tu_write(s, fd, SEC(1), SEGS * TU_MSS);
    expect_spaced(s, MS(5));
    ts_free(s);
}

int main(void)
{
    RUN(test_unpaced_burst);
    RUN(test_max_rate);
    RUN(test_cwnd_over_srtt);
    RUN(test_bbr_initial_pacing);
    RUN(test_bbr_capped);
    return nst_test_done();
}
