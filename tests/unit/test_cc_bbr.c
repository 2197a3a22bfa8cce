/* BBR's model, rule by rule, fed rate samples by hand (no TCP around it):
 * the bandwidth max filter over 10 rounds, application-limited samples,
 * round counting, the full-pipe test and STARTUP -> DRAIN -> PROBE_BW,
 * RTprop's 10 s expiry and PROBE_RTT, and the recovery window. */
#include <nstack/tcp_info.h>

#include "test.h"

#include "tcp/cc.h"
#include "tcp/cc_internal.h"

#define MSS 1448u
#define T0 NST_SEC(100)
#define RTT NST_MSEC(100)

struct feed {
    struct nst_cc cc;
    nst_time_t now;
    uint64_t delivered;          /* C.delivered */
};

static void feed_init(struct feed *f)
{
    memset(&f->cc, 0xa5, sizeof(f->cc)); /* init must not rely on zeroed memory */
    f->cc.ops = &nst_cc_bbr;
    f->cc.ops->init(&f->cc, MSS, T0);
    f->now = T0;
    f->delivered = 0;
}

/* One round trip: a sample of `bw` bytes/s over RTT whose packet was sent
 * at the start of the round (so every call starts a new round). */
static void round_at(struct feed *f, uint64_t bw, int app_limited, uint32_t in_flight, uint8_t ca_state)
{
    struct nst_cc_rate_sample rs;
    memset(&rs, 0, sizeof(rs));
    uint64_t d = bw * (uint64_t)RTT / 1000000000ull;
    rs.prior_delivered = f->delivered;
    f->delivered += d;
    f->now += RTT;
    rs.delivered = d;
    rs.total_delivered = f->delivered;
    rs.interval = RTT;
    rs.rtt = RTT;
    rs.srtt = RTT;
    rs.acked_sacked = (uint32_t)d;
    rs.prior_in_flight = in_flight;
    rs.in_flight = in_flight;
    rs.is_app_limited = (uint8_t)app_limited;
    rs.ca_state = ca_state;
    f->cc.ops->cong_control(&f->cc, &rs, f->now);
}

static struct nst_cc_bbr_info info(const struct feed *f)
{
    struct nst_cc_bbr_info i;
    nst_cc_bbr_get_info(&f->cc, &i);
    return i;
}

static uint64_t pacing(const struct feed *f) { return f->cc.ops->pacing_rate(&f->cc); }

/* The max of the last 10 rounds: a peak of 2 MB/s stays the estimate for
 * exactly 10 rounds after it, then the lower samples take over. */
static void test_bw_filter_window(void)
{
    struct feed f;
    feed_init(&f);
    round_at(&f, 1000000, 0, 0, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).bw, 1000000);
    round_at(&f, 2000000, 0, 0, NST_TCP_CA_OPEN); /* round 2 */
    for (int r = 3; r <= 12; r++) {
        round_at(&f, 500000, 0, 0, NST_TCP_CA_OPEN);
        CHECK_EQ(info(&f).bw, 2000000);
    }
    round_at(&f, 500000, 0, 0, NST_TCP_CA_OPEN); /* round 13: the peak is 11 rounds old */
    CHECK_EQ(info(&f).bw, 500000);
    CHECK_EQ(info(&f).round_count, 13);
}

/* draft 4.1.1.5: an application-limited sample below the estimate is
 * left out; one above it counts. */
static void test_app_limited_samples(void)
{
    struct feed f;
    feed_init(&f);
    round_at(&f, 1000000, 0, 0, NST_TCP_CA_OPEN);
    for (int r = 0; r < 12; r++)
        round_at(&f, 100000, 1, 0, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).bw, 1000000); /* the old max stays: nothing replaced it */
    round_at(&f, 3000000, 1, 0, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).bw, 3000000);
}

/* STARTUP: pacing at 2/ln2 x BtlBw less 1 %; three rounds without 25 %
 * growth fill the pipe: DRAIN (pacing ln2/2), then PROBE_BW once in
 * flight is at most one BDP (plus 3 segments). ssthresh = that BDP. */
static void test_startup_drain_probe_bw(void)
{
    struct feed f;
    feed_init(&f);
    CHECK_EQ(info(&f).mode, NST_BBR_STARTUP);
    uint64_t bw = 1000000;
    for (int r = 0; r < 5; r++, bw *= 2) {
        round_at(&f, bw, 0, 0, NST_TCP_CA_OPEN);
        CHECK_EQ(info(&f).mode, NST_BBR_STARTUP);
        CHECK_EQ(pacing(&f), bw * 739 / 256 * 99 / 100);
    }
    bw /= 2; /* 16 MB/s: the bottleneck */
    uint32_t bdp = (uint32_t)(bw * (uint64_t)RTT / 1000000000ull); /* 1.6 MB */
    round_at(&f, bw, 0, 3 * bdp, NST_TCP_CA_OPEN);
    round_at(&f, bw, 0, 3 * bdp, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).mode, NST_BBR_STARTUP);
    CHECK(!info(&f).full_bw_reached);
    round_at(&f, bw, 0, 3 * bdp, NST_TCP_CA_OPEN); /* the third round without growth */
    CHECK(info(&f).full_bw_reached);
    CHECK_EQ(info(&f).mode, NST_BBR_DRAIN);
    CHECK_EQ(f.cc.ssthresh, bdp + 3 * MSS);
    CHECK_EQ(pacing(&f), bw * (256 * 1000 / 2885) / 256 * 99 / 100);
    round_at(&f, bw, 0, bdp + 3 * MSS + 1, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).mode, NST_BBR_DRAIN);
    round_at(&f, bw, 0, bdp + 3 * MSS, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).mode, NST_BBR_PROBE_BW);
    CHECK(info(&f).cycle_idx != 1); /* never starts in the draining phase */
    CHECK_EQ(info(&f).cwnd_gain, 512);
}

/* RTprop: the lowest RTT seen; 10 s without a lower one expires it and
 * PROBE_RTT begins: cwnd 4 segments. It ends 200 ms after in flight got
 * that low and a round has passed, RTprop's age reset, the window back. */
static void test_probe_rtt(void)
{
    struct feed f;
    feed_init(&f);
    for (int r = 0; r < 8; r++)
        round_at(&f, 1000000, 0, 0, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).min_rtt, RTT);
    f.cc.cwnd = 100 * MSS;
    /* Rounds of the same RTT (not lower) until 10 s after the first sample. */
    while (f.now <= T0 + RTT + NST_SEC(10) - RTT)
        round_at(&f, 1000000, 0, 50 * MSS, NST_TCP_CA_OPEN);
    CHECK(info(&f).mode != NST_BBR_PROBE_RTT);
    round_at(&f, 1000000, 0, 50 * MSS, NST_TCP_CA_OPEN);
    CHECK_EQ(info(&f).mode, NST_BBR_PROBE_RTT);
    CHECK_EQ(f.cc.cwnd, 4 * MSS);
    nst_time_t low = f.now + RTT;
    round_at(&f, 1000000, 0, 4 * MSS, NST_TCP_CA_OPEN); /* in flight down to 4 segments */
    round_at(&f, 1000000, 0, 4 * MSS, NST_TCP_CA_OPEN); /* a round, 100 ms */
    CHECK_EQ(info(&f).mode, NST_BBR_PROBE_RTT);
    round_at(&f, 1000000, 0, 4 * MSS, NST_TCP_CA_OPEN); /* 200 ms */
    CHECK_EQ(info(&f).mode, NST_BBR_PROBE_RTT);         /* not past 200 ms yet */
    round_at(&f, 1000000, 0, 4 * MSS, NST_TCP_CA_OPEN);
    CHECK(f.now > low + NST_MSEC(200));
    CHECK(info(&f).mode != NST_BBR_PROBE_RTT);
    CHECK(f.cc.cwnd >= 100 * MSS); /* the window from before PROBE_RTT */
}

/* Fast recovery: no reduction when it begins (ssthresh = cwnd), packet
 * conservation for the first round (cwnd = in flight + delivered), the
 * window from before when it ends. */
static void test_recovery_window(void)
{
    struct feed f;
    feed_init(&f);
    round_at(&f, 1000000, 0, 0, NST_TCP_CA_OPEN);
    f.cc.cwnd = 80 * MSS;
    f.cc.ops->cong_signal(&f.cc, NST_CC_SIG_FAST_RECOVERY, 80 * MSS, f.now);
    CHECK_EQ(f.cc.ssthresh, 80 * MSS);
    CHECK_EQ(f.cc.cwnd, 80 * MSS);
    round_at(&f, 100000, 0, 30 * MSS, NST_TCP_CA_RECOVERY); /* delivers 10000 bytes */
    CHECK_EQ(f.cc.cwnd, 30 * MSS + 10000);
    round_at(&f, 100000, 0, 20 * MSS, NST_TCP_CA_OPEN);
    CHECK(f.cc.cwnd >= 80 * MSS);
    /* ECN-Echo: v1 has no ECN response. */
    uint32_t w = f.cc.cwnd;
    f.cc.ops->cong_signal(&f.cc, NST_CC_SIG_ECN, w, f.now);
    CHECK_EQ(f.cc.cwnd, w);
    /* A timeout: one segment, and the window from before once it is over. */
    f.cc.ops->cong_signal(&f.cc, NST_CC_SIG_RTO, w, f.now);
    CHECK_EQ(f.cc.cwnd, MSS);
    round_at(&f, 100000, 0, MSS, NST_TCP_CA_OPEN);
    CHECK(f.cc.cwnd >= w);
}

int main(void)
{
    RUN(test_bw_filter_window);
    RUN(test_app_limited_samples);
    RUN(test_startup_drain_probe_bw);
    RUN(test_probe_rtt);
    RUN(test_recovery_window);
    return nst_test_done();
}
