/* Congestion control modules: exact window arithmetic for NewReno (RFC
 * 5681, RFC 6582, RFC 6928) and CUBIC (RFC 9438), and fluid-model runs
 * over a simulated ACK clock that check the sawtooth each one draws.
 *
 * Expected CUBIC values were computed independently from the RFC
 * formulas (IEEE double, C = 0.4, beta = 0.7, SMSS = 1460):
 *   K(W_max = 100 seg, cwnd_epoch = 70 seg) = cbrt(30 / 0.4) s = 4.217163327 s
 *   W_cubic(t) = 0.4 * (t - K)^3 * 1460 + 146000 bytes. */
#include "test.h"

#include "tcp/cc.h"
#include "tcp/cc_internal.h"

#define MSS 1460u
#define T0 NST_SEC(100) /* virtual time the tests start at: not 0 on purpose */

/* A fresh module with cwnd forced to `cwnd` and ssthresh left high. */
static struct nst_cc make_cc(const struct nst_cc_ops *ops, uint32_t cwnd)
{
    struct nst_cc cc;
    memset(&cc, 0xa5, sizeof(cc)); /* init must not rely on zeroed memory */
    cc.ops = ops;
    ops->init(&cc, MSS, T0);
    cc.hystart = 0; /* plain RFC 5681 slow start but in the HyStart++ tests */
    if (cwnd)
        cc.cwnd = cwnd;
    return cc;
}

static struct nst_cc_cubic_info cubic_info(const struct nst_cc *cc)
{
    struct nst_cc_cubic_info info;
    nst_cc_cubic_get_info(cc, &info);
    return info;
}

/* ---- shared rules ---- */

static void test_find(void)
{
    CHECK(nst_cc_find("newreno") == &nst_cc_newreno);
    CHECK(nst_cc_find("cubic") == &nst_cc_cubic);
    CHECK(nst_cc_find("reno") == NULL);
    CHECK(nst_cc_find("") == NULL);
    CHECK(nst_cc_find(NULL) == NULL);
    CHECK(NST_CC_DEFAULT == &nst_cc_cubic);
    CHECK(strcmp(nst_cc_newreno.name, "newreno") == 0);
    CHECK(strcmp(nst_cc_cubic.name, "cubic") == 0);
}

static void test_initial_window(void)
{
    /* RFC 6928: min(10*MSS, max(2*MSS, 14600)). */
    CHECK_EQ(nst_cc_initial_window(536), 5360);
    CHECK_EQ(nst_cc_initial_window(1095), 10950);
    CHECK_EQ(nst_cc_initial_window(1460), 14600);
    CHECK_EQ(nst_cc_initial_window(4000), 14600);
    CHECK_EQ(nst_cc_initial_window(8960), 17920);
    CHECK_EQ(nst_cc_initial_window(9000), 18000);

    const uint32_t mss[] = {536, 1460, 9000};
    const uint32_t iw[] = {5360, 14600, 18000};
    const struct nst_cc_ops *ops[] = {&nst_cc_newreno, &nst_cc_cubic};
    for (size_t m = 0; m < 2; m++) {
        for (size_t i = 0; i < 3; i++) {
            struct nst_cc cc;
            memset(&cc, 0xff, sizeof(cc));
            ops[m]->init(&cc, mss[i], T0);
            CHECK_EQ(cc.mss, mss[i]);
            CHECK_EQ(cc.cwnd, iw[i]);
            /* RFC 5681 3.1: "arbitrarily high" = largest window, 65535 << 14. */
            CHECK_EQ(cc.ssthresh, 1073725440u);
            CHECK_EQ(cc.bytes_acked, 0);
        }
        /* MSS 0 is bad input: the RFC 9293 default of 536 stands in. */
        struct nst_cc cc;
        ops[m]->init(&cc, 0, T0);
        CHECK_EQ(cc.mss, 536);
        CHECK_EQ(cc.cwnd, 5360);
        /* The MSS option is 16 bits: larger values are clamped. */
        ops[m]->init(&cc, 70000, T0);
        CHECK_EQ(cc.mss, 65535);
        CHECK_EQ(cc.cwnd, 131070);
    }
}

static void test_restart_window(void)
{
    const struct nst_cc_ops *ops[] = {&nst_cc_newreno, &nst_cc_cubic};
    for (size_t m = 0; m < 2; m++) {
        /* RFC 5681 4.1: cwnd = min(IW, cwnd) after idle > RTO. */
        struct nst_cc cc = make_cc(ops[m], 50000);
        cc.bytes_acked = 777;
        ops[m]->after_idle(&cc, NST_SEC(1), T0 + NST_SEC(5));
        CHECK_EQ(cc.cwnd, 14600);
        CHECK_EQ(cc.bytes_acked, 0);
        cc.cwnd = 5000;
        ops[m]->after_idle(&cc, NST_SEC(1), T0 + NST_SEC(9));
        CHECK_EQ(cc.cwnd, 5000);
        CHECK_EQ(cc.ssthresh, 1073725440u);
    }
}

/* ---- NewReno ---- */

static void test_newreno_slow_start(void)
{
    struct nst_cc cc = make_cc(&nst_cc_newreno, 0);
    CHECK_EQ(cc.cwnd, 14600);
    /* RFC 5681 eq. (2): + min(acked, SMSS) per ACK. */
    nst_cc_newreno.ack_received(&cc, 1460, 14600, NST_MSEC(50), NST_MSEC(50), T0 + NST_MSEC(50));
    CHECK_EQ(cc.cwnd, 16060);
    nst_cc_newreno.ack_received(&cc, 2920, 16060, 0, 0, T0 + NST_MSEC(51));
    CHECK_EQ(cc.cwnd, 17520); /* stretch ACK: still one SMSS (L = 1) */
    nst_cc_newreno.ack_received(&cc, 500, 17520, 0, 0, T0 + NST_MSEC(52));
    CHECK_EQ(cc.cwnd, 18020);
    nst_cc_newreno.ack_received(&cc, 0, 18020, 0, 0, T0 + NST_MSEC(53));
    CHECK_EQ(cc.cwnd, 18020);
    /* Not cwnd-limited (flight < cwnd / 2): no growth (RFC 7661). */
    nst_cc_newreno.ack_received(&cc, 1460, 9009, 0, 0, T0 + NST_MSEC(54));
    CHECK_EQ(cc.cwnd, 18020);
    nst_cc_newreno.ack_received(&cc, 1460, 9010, 0, 0, T0 + NST_MSEC(55));
    CHECK_EQ(cc.cwnd, 19480);
    CHECK_EQ(cc.bytes_acked, 0); /* no byte counting in slow start */
}

static void test_newreno_congestion_avoidance(void)
{
    struct nst_cc cc = make_cc(&nst_cc_newreno, 14600);
    cc.ssthresh = 14600; /* cwnd == ssthresh: congestion avoidance */
    for (int i = 0; i < 9; i++) {
        nst_cc_newreno.ack_received(&cc, 1460, cc.cwnd, 0, 0, T0 + i);
        CHECK_EQ(cc.cwnd, 14600);
    }
    CHECK_EQ(cc.bytes_acked, 13140);
    /* The 10th full segment completes one cwnd of acked bytes: + 1 SMSS. */
    nst_cc_newreno.ack_received(&cc, 1460, cc.cwnd, 0, 0, T0 + 10);
    CHECK_EQ(cc.cwnd, 16060);
    CHECK_EQ(cc.bytes_acked, 0);
    /* Now 16060 bytes are needed; 1000-byte ACKs: 16 leave it at 16000. */
    for (int i = 0; i < 16; i++)
        nst_cc_newreno.ack_received(&cc, 1000, cc.cwnd, 0, 0, T0 + 20 + i);
    CHECK_EQ(cc.cwnd, 16060);
    CHECK_EQ(cc.bytes_acked, 16000);
    nst_cc_newreno.ack_received(&cc, 1000, cc.cwnd, 0, 0, T0 + 40);
    CHECK_EQ(cc.cwnd, 17520);
    CHECK_EQ(cc.bytes_acked, 940); /* the excess carries over */
    /* A cumulative ACK bigger than cwnd counts as cwnd: one SMSS. */
    nst_cc_newreno.ack_received(&cc, 100000, cc.cwnd, 0, 0, T0 + 41);
    CHECK_EQ(cc.cwnd, 18980);
    CHECK_EQ(cc.bytes_acked, 940);
    /* Application-limited: bytes are not counted. */
    nst_cc_newreno.ack_received(&cc, 1460, 5000, 0, 0, T0 + 42);
    CHECK_EQ(cc.cwnd, 18980);
    CHECK_EQ(cc.bytes_acked, 940);
}

static void test_newreno_fast_recovery(void)
{
    struct nst_cc cc = make_cc(&nst_cc_newreno, 30000);
    cc.bytes_acked = 1234;
    /* ssthresh = max(FlightSize / 2, 2 SMSS); cwnd = ssthresh + 3 SMSS. */
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 29200, T0);
    CHECK_EQ(cc.ssthresh, 14600);
    CHECK_EQ(cc.cwnd, 18980);
    CHECK_EQ(cc.bytes_acked, 0);
    /* FlightSize, not cwnd, decides. */
    cc.cwnd = 60000;
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 10001, T0 + 1);
    CHECK_EQ(cc.ssthresh, 5000);
    CHECK_EQ(cc.cwnd, 9380);
    /* Floor of 2 SMSS. */
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 2000, T0 + 2);
    CHECK_EQ(cc.ssthresh, 2920);
    CHECK_EQ(cc.cwnd, 7300);
}

static void test_newreno_rto(void)
{
    struct nst_cc cc = make_cc(&nst_cc_newreno, 30000);
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_RTO, 29200, T0);
    CHECK_EQ(cc.ssthresh, 14600);
    CHECK_EQ(cc.cwnd, 1460); /* RFC 5681 3.1: loss window = 1 SMSS */
    /* The same segment times out again: ssthresh is held (RFC 5681 3.1). */
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_RTO, 1460, T0 + NST_SEC(1));
    CHECK_EQ(cc.ssthresh, 14600);
    CHECK_EQ(cc.cwnd, 1460);
    /* New data acknowledged: the next timeout is a new loss. */
    nst_cc_newreno.ack_received(&cc, 1460, 1460, 0, 0, T0 + NST_SEC(2));
    CHECK_EQ(cc.cwnd, 2920);
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_RTO, 2920, T0 + NST_SEC(3));
    CHECK_EQ(cc.ssthresh, 2920);
    CHECK_EQ(cc.cwnd, 1460);
    /* Slow start back up to ssthresh, then byte counting. */
    nst_cc_newreno.ack_received(&cc, 1460, 1460, 0, 0, T0 + NST_SEC(4));
    CHECK_EQ(cc.cwnd, 2920);
    nst_cc_newreno.ack_received(&cc, 1460, 2920, 0, 0, T0 + NST_SEC(4) + 1);
    CHECK_EQ(cc.cwnd, 2920);
    CHECK_EQ(cc.bytes_acked, 1460);
}

static void test_newreno_post_recovery(void)
{
    struct nst_cc cc = make_cc(&nst_cc_newreno, 30000);
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 29200, T0);
    CHECK_EQ(cc.cwnd, 18980);
    cc.cwnd = 25000; /* inflated by duplicate ACKs in the core */
    cc.bytes_acked = 99;
    /* RFC 6582 3.2 step 3 option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS). */
    nst_cc_newreno.post_recovery(&cc, 5000, T0 + 1);
    CHECK_EQ(cc.cwnd, 6460);
    CHECK_EQ(cc.bytes_acked, 0);
    nst_cc_newreno.post_recovery(&cc, 20000, T0 + 2);
    CHECK_EQ(cc.cwnd, 14600);
    nst_cc_newreno.post_recovery(&cc, 0, T0 + 3);
    CHECK_EQ(cc.cwnd, 2920);
    nst_cc_newreno.post_recovery(&cc, 13140, T0 + 4);
    CHECK_EQ(cc.cwnd, 14600);
    nst_cc_newreno.post_recovery(&cc, 13139, T0 + 5);
    CHECK_EQ(cc.cwnd, 14599);
    CHECK_EQ(cc.ssthresh, 14600);
}

/* ---- CUBIC ---- */

/* cwnd = 100 segments, a loss with the whole window in flight, recovery
 * ends with ssthresh in flight, and the first ACK of CA at `epoch`. */
static struct nst_cc cubic_after_loss_100(nst_time_t epoch)
{
    struct nst_cc cc = make_cc(&nst_cc_cubic, 146000);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 146000, epoch - NST_SEC(1));
    nst_cc_cubic.post_recovery(&cc, 102200, epoch - NST_MSEC(1));
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch);
    return cc;
}

static void test_cubic_loss_reduction(void)
{
    struct nst_cc cc = make_cc(&nst_cc_cubic, 146000);
    cc.bytes_acked = 5;
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 146000, T0);
    struct nst_cc_cubic_info info = cubic_info(&cc);
    /* RFC 9438 4.6: W_max = cwnd, ssthresh = cwnd = 0.7 * flight. */
    CHECK_EQ(info.w_max, 146000);
    CHECK_EQ(info.cwnd_prior, 146000);
    CHECK_EQ(cc.ssthresh, 102200);
    CHECK_EQ(cc.cwnd, 102200);
    CHECK_EQ(cc.bytes_acked, 0);
    CHECK(!info.in_epoch);

    /* ssthresh follows FlightSize, W_max follows cwnd. */
    cc = make_cc(&nst_cc_cubic, 146000);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 100001, T0);
    CHECK_EQ(cc.ssthresh, 70000);
    CHECK_EQ(cc.cwnd, 70000);
    CHECK_EQ(cubic_info(&cc).w_max, 146000);
    /* Floor of 2 SMSS. */
    cc = make_cc(&nst_cc_cubic, 146000);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 2000, T0);
    CHECK_EQ(cc.ssthresh, 2920);
    CHECK_EQ(cc.cwnd, 2920);

    /* Leaving recovery deflates as NewReno does (RFC 6582). */
    cc = make_cc(&nst_cc_cubic, 146000);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 146000, T0);
    cc.cwnd = 120000;
    nst_cc_cubic.post_recovery(&cc, 50000, T0 + 1);
    CHECK_EQ(cc.cwnd, 51460);
    nst_cc_cubic.post_recovery(&cc, 146000, T0 + 2);
    CHECK_EQ(cc.cwnd, 102200);
}

static void test_cubic_k(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    struct nst_cc_cubic_info info = cubic_info(&cc);
    CHECK(info.in_epoch);
    CHECK_EQ(info.epoch_start, epoch);
    CHECK_EQ(info.cwnd_epoch, 102200);
    CHECK_EQ(info.w_max, 146000);
    /* K = cbrt(100 * (1 - 0.7) / 0.4) = cbrt(75) = 4.2171633265 s. */
    CHECK_EQ(info.k, 4217163327LL);
    /* First ACK: t = 0, W_cubic(0) = cwnd_epoch < W_est = 102200 + 9/17 *
     * 1460 * 1460 / 102200 = 102211.04: Reno-friendly. */
    CHECK_EQ(info.w_est, 102211);
    CHECK_EQ(cc.cwnd, 102211);
}

/* One ACK covering the whole window at epoch + t: cwnd grows by exactly
 * target - cwnd, so cwnd becomes W_cubic(t + RTT) (RTT = 100 ms). */
static void cubic_probe(struct nst_cc *cc, nst_time_t epoch, nst_time_t t)
{
    nst_cc_cubic.ack_received(cc, cc->cwnd, cc->cwnd, NST_MSEC(100), NST_MSEC(100), epoch + t);
}

static void test_cubic_trajectory(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    nst_time_t k = cubic_info(&cc).k;

    /* Concave region: approaches W_max = 146000 with shrinking steps. */
    cubic_probe(&cc, epoch, NST_SEC(1));
    CHECK_EQ(cc.cwnd, 128311); /* W_cubic(1.1 s) = 128311.48 */
    cubic_probe(&cc, epoch, NST_SEC(2));
    CHECK_EQ(cc.cwnd, 140457); /* W_cubic(2.1 s) = 140457.88 */
    cubic_probe(&cc, epoch, NST_SEC(3));
    CHECK_EQ(cc.cwnd, 145185); /* W_cubic(3.1 s) = 145185.74 */
    cubic_probe(&cc, epoch, NST_SEC(4));
    CHECK_EQ(cc.cwnd, 145999); /* W_cubic(4.1 s) = 145999.06 */
    /* At t + RTT = K the curve is at its plateau, exactly W_max. */
    cubic_probe(&cc, epoch, k - NST_MSEC(100));
    CHECK_EQ(cc.cwnd, 146000);
    /* Earlier time than the current window: target = cwnd, no change. */
    cubic_probe(&cc, epoch, NST_SEC(3));
    CHECK_EQ(cc.cwnd, 146000);
    /* Convex region beyond W_max, growing steps. */
    cubic_probe(&cc, epoch, NST_SEC(5));
    CHECK_EQ(cc.cwnd, 146401); /* W_cubic(5.1 s) = 146401.84 */
    cubic_probe(&cc, epoch, NST_SEC(6));
    CHECK_EQ(cc.cwnd, 149898); /* W_cubic(6.1 s) = 149898.08 */
    cubic_probe(&cc, epoch, NST_SEC(8));
    CHECK_EQ(cc.cwnd, 180186); /* W_cubic(8.1 s) = 180186.94 */
    /* Far out the curve is clamped to 1.5 * cwnd (RFC 9438 4.2). */
    cubic_probe(&cc, epoch, NST_SEC(30));
    CHECK_EQ(cc.cwnd, 270279);
    CHECK_EQ(cubic_info(&cc).w_max, 146000);
    CHECK_EQ(cc.ssthresh, 102200);
}

/* A partial ACK moves cwnd by (target - cwnd) * acked / cwnd. */
static void test_cubic_partial_ack(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    CHECK_EQ(cc.cwnd, 102211);
    /* target = W_cubic(2.1 s) = 140457; (140457 - 102211) * 1460 / 102211
     * = 546.31 bytes. */
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch + NST_SEC(2));
    CHECK_EQ(cc.cwnd, 102757);
    /* The 0.31 byte carries: same target, (140457 - 102757) * 1460 /
     * 102757 = 535.66, + 0.31 = 535.97 -> 535, carry 0.97. */
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch + NST_SEC(2));
    CHECK_EQ(cc.cwnd, 103292);
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch + NST_SEC(2));
    CHECK_EQ(cc.cwnd, 103818); /* 525.5 + 0.97 = 526.47 -> 526 */
}

static void test_cubic_reno_friendly(void)
{
    /* W_max = 10 segments, RTT 1 ms: the cubic curve needs K = cbrt(7.5) =
     * 1.957 s, Reno's estimate gains 9/17 segment per RTT. */
    struct nst_cc cc = make_cc(&nst_cc_cubic, 14600);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 14600, T0);
    CHECK_EQ(cc.cwnd, 10220);
    nst_time_t now = T0 + NST_MSEC(1);
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(1), NST_MSEC(1), now);
    CHECK_EQ(cubic_info(&cc).k, 1957433821LL);
    /* W_est = 10220 + 9/17 * 1460 * 1460 / 10220 = 10330.42. */
    CHECK_EQ(cc.cwnd, 10330);
    /* W_est += 9/17 * 1460 * 1460 / 10330 = 109.24 -> 10439.66. */
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(1), NST_MSEC(1), now + NST_USEC(100));
    CHECK_EQ(cc.cwnd, 10439);
    CHECK_EQ(cubic_info(&cc).w_est, 10439);

    /* Run an ACK clock: per RTT, one ACK per segment of the window. */
    uint32_t per_rtt[60];
    for (int r = 0; r < 60; r++) {
        uint32_t start = cc.cwnd, segs = start / MSS;
        for (uint32_t i = 0; i < segs; i++) {
            now += NST_MSEC(1) / segs;
            nst_cc_cubic.ack_received(&cc, MSS, cc.cwnd, NST_MSEC(1), NST_MSEC(1), now);
        }
        per_rtt[r] = cc.cwnd - start;
        CHECK_EQ(cc.cwnd, cubic_info(&cc).w_est); /* Reno-friendly throughout */
    }
    /* Below cwnd_prior (14600) alpha is 9/17: about 0.53 segment per RTT
     * (the window is fully acked only over ~segs ACKs, a bit less). */
    CHECK(per_rtt[0] >= 700 && per_rtt[0] <= 773);
    CHECK(per_rtt[3] >= 700 && per_rtt[3] <= 773);
    /* Past cwnd_prior alpha is 1: about one segment per RTT, as Reno. */
    CHECK(per_rtt[30] >= 1400 && per_rtt[30] <= 1460);
    CHECK(per_rtt[59] >= 1400 && per_rtt[59] <= 1460);
    /* The pure cubic curve at t = 60 ms is still ~cwnd_epoch. */
    CHECK(cc.cwnd > 60000);
}

static void test_cubic_fast_convergence(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    /* Loss again below W_max = 146000: W_max = cwnd * (1 + 0.7) / 2. */
    cc.cwnd = 131400;
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 131400, epoch + NST_SEC(3));
    struct nst_cc_cubic_info info = cubic_info(&cc);
    CHECK_EQ(info.w_max, 111690);
    CHECK_EQ(info.cwnd_prior, 131400);
    CHECK_EQ(cc.cwnd, 91980);
    CHECK_EQ(cc.ssthresh, 91980);
    CHECK(!info.in_epoch);
    nst_cc_cubic.post_recovery(&cc, 91980, epoch + NST_SEC(4));
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch + NST_SEC(4));
    /* K = cbrt((111690 - 91980) / 1460 / 0.4) = cbrt(33.75) = 3.23165 s. */
    CHECK_EQ(cubic_info(&cc).k, 3231652035LL);
    CHECK_EQ(cubic_info(&cc).cwnd_epoch, 91980);

    /* Loss at or above W_max: W_max = cwnd, no extra reduction. */
    cc.cwnd = 150000;
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_FAST_RECOVERY, 150000, epoch + NST_SEC(9));
    CHECK_EQ(cubic_info(&cc).w_max, 150000);
    CHECK_EQ(cc.cwnd, 105000);
}

static void test_cubic_rto(void)
{
    struct nst_cc cc = make_cc(&nst_cc_cubic, 146000);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_RTO, 146000, T0);
    struct nst_cc_cubic_info info = cubic_info(&cc);
    /* RFC 9438 4.8: ssthresh by beta_cubic, cwnd = loss window. */
    CHECK_EQ(cc.ssthresh, 102200);
    CHECK_EQ(cc.cwnd, 1460);
    CHECK_EQ(info.cwnd_prior, 146000);
    CHECK_EQ(info.w_max, 0);
    /* The retransmission times out too: ssthresh held (RFC 5681 3.1). */
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_RTO, 1460, T0 + NST_SEC(1));
    CHECK_EQ(cc.ssthresh, 102200);
    CHECK_EQ(cc.cwnd, 1460);
    CHECK_EQ(cubic_info(&cc).cwnd_prior, 146000);

    /* Slow start: 69 ACKs of one segment reach ssthresh exactly. */
    nst_time_t now = T0 + NST_SEC(3);
    for (int i = 0; i < 69; i++)
        nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), now + i);
    CHECK_EQ(cc.cwnd, 102200);
    CHECK(!cubic_info(&cc).in_epoch);
    /* First CA ACK: K = 0 and W_max = cwnd_epoch (RFC 9438 4.8). */
    nst_time_t epoch = now + NST_SEC(1);
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch);
    info = cubic_info(&cc);
    CHECK(info.in_epoch);
    CHECK_EQ(info.k, 0);
    CHECK_EQ(info.w_max, 102200);
    CHECK_EQ(info.cwnd_epoch, 102200);
    CHECK_EQ(cc.cwnd, 102211); /* Reno-friendly: W_est = 102211.04 */
    /* At 1 s W_cubic(1) = 102784 is below W_est (102983.98): Reno-friendly. */
    cubic_probe(&cc, epoch, NST_SEC(1));
    CHECK_EQ(cc.cwnd, 102983);
    CHECK_EQ(cubic_info(&cc).w_est, 102983);
    /* At 3 s W_cubic(3) = 117968 > W_est: convex from cwnd_epoch,
     * target W_cubic(3.1) = 102200 + 0.4 * 3.1^3 * 1460 = 119597.94. */
    cubic_probe(&cc, epoch, NST_SEC(3));
    CHECK_EQ(cc.cwnd, 119597);

    /* New data was acknowledged: a further RTO is a new loss. */
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_RTO, 100000, epoch + NST_SEC(5));
    CHECK_EQ(cc.ssthresh, 70000);
    CHECK_EQ(cubic_info(&cc).cwnd_prior, 119597);
    CHECK(!cubic_info(&cc).in_epoch);

    /* An RTO after an earlier loss forgets that loss's W_max too. */
    nst_time_t e1 = T0 + NST_SEC(20);
    cc = cubic_after_loss_100(e1);
    CHECK_EQ(cubic_info(&cc).w_max, 146000);
    nst_cc_cubic.cong_signal(&cc, NST_CC_SIG_RTO, cc.cwnd, e1 + NST_SEC(1));
    CHECK_EQ(cc.ssthresh, 71547); /* 102211 * 0.7 */
    CHECK_EQ(cubic_info(&cc).w_max, 0);
    int acks = 0;
    while (cc.cwnd < cc.ssthresh && acks < 1000) {
        nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), e1 + NST_SEC(2) + acks);
        acks++;
    }
    CHECK_EQ(acks, 49);
    CHECK_EQ(cc.cwnd, 73000); /* slow start overshoots ssthresh by < 1 SMSS */
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), e1 + NST_SEC(3));
    info = cubic_info(&cc);
    CHECK_EQ(info.k, 0);
    CHECK_EQ(info.w_max, 73000);
    CHECK_EQ(info.cwnd_epoch, 73000);
}

static void test_cubic_after_idle(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    cubic_probe(&cc, epoch, NST_SEC(2));
    CHECK_EQ(cc.cwnd, 140457);
    nst_cc_cubic.after_idle(&cc, NST_SEC(1), epoch + NST_SEC(60));
    CHECK_EQ(cc.cwnd, 14600);
    CHECK(!cubic_info(&cc).in_epoch);
    CHECK_EQ(cubic_info(&cc).w_max, 146000);
    /* Slow start back to ssthresh = 102200: 60 ACKs. */
    nst_time_t now = epoch + NST_SEC(61);
    for (int i = 0; i < 60; i++)
        nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), now + i);
    CHECK_EQ(cc.cwnd, 102200);
    /* A new epoch starts now: the 60 s of idle are not in t, and K again
     * measures the way from cwnd_epoch back to W_max. */
    nst_time_t epoch2 = now + NST_SEC(1);
    nst_cc_cubic.ack_received(&cc, 1460, cc.cwnd, NST_MSEC(100), NST_MSEC(100), epoch2);
    struct nst_cc_cubic_info info = cubic_info(&cc);
    CHECK(info.in_epoch);
    CHECK_EQ(info.epoch_start, epoch2);
    CHECK_EQ(info.k, 4217163327LL);
    CHECK_EQ(cc.cwnd, 102211);
    cubic_probe(&cc, epoch2, NST_SEC(2));
    CHECK_EQ(cc.cwnd, 140457); /* same curve as the first epoch */
}

static void test_cubic_app_limited(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    uint32_t cwnd = cc.cwnd;
    /* flight < cwnd / 2: no growth, and the second spent so is cut from t. */
    nst_cc_cubic.ack_received(&cc, 1460, cwnd / 2 - 1, NST_MSEC(100), NST_MSEC(100), epoch + NST_SEC(1));
    CHECK_EQ(cc.cwnd, cwnd);
    CHECK_EQ(cubic_info(&cc).epoch_start, epoch + NST_SEC(1));
    nst_cc_cubic.ack_received(&cc, 1460, 0, NST_MSEC(100), NST_MSEC(100), epoch + NST_MSEC(1500));
    CHECK_EQ(cubic_info(&cc).epoch_start, epoch + NST_MSEC(1500));
    /* Back to cwnd-limited 2 s later: the curve stands where it stood
     * at epoch + 2 s, W_cubic(2.1 s) = 140457. */
    cubic_probe(&cc, epoch + NST_MSEC(1500), NST_SEC(2));
    CHECK_EQ(cc.cwnd, 140457);
}

/* ---- HyStart++ (RFC 9406) ---- */

static nst_time_t hs_now = T0;

/* One ACK of one segment measuring rtt, the flight cwnd-limited. Returns
 * cwnd's growth. */
static uint32_t hs_ack(struct nst_cc *cc, uint32_t flight, nst_time_t rtt)
{
    uint32_t before = cc->cwnd;
    hs_now += NST_MSEC(1);
    cc->ops->ack_received(cc, MSS, flight, rtt, rtt, hs_now);
    return cc->cwnd - before;
}

/* One round: as many one-segment ACKs as segments were in flight when it
 * began (the first ACK begins it), each measuring rtt. */
static void hs_round(struct nst_cc *cc, nst_time_t rtt)
{
    unsigned n = cc->cwnd / MSS;
    for (unsigned i = 0; i < n; i++)
        hs_ack(cc, i == 0 ? n * MSS : cc->cwnd, rtt);
}

/* A CUBIC module with HyStart++ after rounds of 10 and 20 segments at
 * base_rtt: cwnd 40 segments, lastRoundMinRTT = base_rtt. */
static struct nst_cc hs_make(nst_time_t base_rtt)
{
    struct nst_cc cc = make_cc(&nst_cc_cubic, 0);
    cc.hystart = 1;
    hs_round(&cc, base_rtt);
    hs_round(&cc, base_rtt);
    CHECK_EQ(cc.cwnd, 40 * MSS);
    return cc;
}

/* The next round at rtt: after the 8th sample (N_RTT_SAMPLE), is cwnd
 * growing by a quarter segment per ACK (CSS) rather than a whole one? */
static int hs_enters_css(nst_time_t base_rtt, nst_time_t rtt)
{
    struct nst_cc cc = hs_make(base_rtt);
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(hs_ack(&cc, i == 0 ? 40 * MSS : cc.cwnd, rtt), MSS); /* slow start until measured */
    uint32_t g = hs_ack(&cc, cc.cwnd, rtt);
    CHECK(g == MSS || g == MSS / 4);
    return g == MSS / 4;
}

/* RFC 9406 4.2: exit when this round's minimum RTT reaches the last one's
 * plus RttThresh = clamp(4 ms, lastRoundMinRTT / 8, 16 ms). */
static void test_hystart_rtt_thresh(void)
{
    CHECK(!hs_enters_css(NST_MSEC(100), NST_USEC(112499))); /* 100 ms / 8 = 12.5 ms */
    CHECK(hs_enters_css(NST_MSEC(100), NST_USEC(112500)));
    CHECK(!hs_enters_css(NST_MSEC(20), NST_USEC(23999))); /* 2.5 ms, raised to 4 ms */
    CHECK(hs_enters_css(NST_MSEC(20), NST_MSEC(24)));
    CHECK(!hs_enters_css(NST_MSEC(200), NST_USEC(215999))); /* 25 ms, lowered to 16 ms */
    CHECK(hs_enters_css(NST_MSEC(200), NST_MSEC(216)));
}

/* RFC 9406 4.2: CSS grows by a quarter of slow start's increase for
 * CSS_ROUNDS (5) rounds, then ssthresh = cwnd: congestion avoidance. */
static void test_hystart_css_then_avoidance(void)
{
    struct nst_cc cc = hs_make(NST_MSEC(100));
    hs_round(&cc, NST_MSEC(120)); /* 8 ACKs of slow start, 32 of CSS */
    CHECK_EQ(cc.cwnd, 40 * MSS + 8 * MSS + 32 * (MSS / 4));
    CHECK_EQ(cc.ssthresh, NST_CC_SSTHRESH_INITIAL);
    for (int r = 1; r < 5; r++) { /* CSS rounds 1 to 4: a quarter segment per ACK */
        uint32_t before = cc.cwnd, n = cc.cwnd / MSS;
        hs_round(&cc, NST_MSEC(120));
        CHECK_EQ(cc.cwnd, before + n * (MSS / 4));
        CHECK_EQ(cc.ssthresh, NST_CC_SSTHRESH_INITIAL);
    }
    /* The ACK that begins the fifth round ends CSS. */
    uint32_t w = cc.cwnd;
    CHECK_EQ(hs_ack(&cc, (w / MSS) * MSS, NST_MSEC(120)), 0);
    CHECK_EQ(cc.ssthresh, w);
    CHECK(cubic_info(&cc).in_epoch == false);
    hs_ack(&cc, cc.cwnd, NST_MSEC(120));
    CHECK(cubic_info(&cc).in_epoch); /* congestion avoidance: CUBIC's epoch runs */
    CHECK_EQ(cubic_info(&cc).w_max, w); /* RFC 9438 4.10: K = 0, W_max = cwnd */
}

/* RFC 9406 4.2: in CSS, a round whose minimum RTT falls below the
 * baseline was a spurious exit: slow start resumes. */
static void test_hystart_css_back_to_slow_start(void)
{
    struct nst_cc cc = hs_make(NST_MSEC(100));
    hs_round(&cc, NST_MSEC(120)); /* CSS, baseline 120 ms */
    uint32_t n = cc.cwnd / MSS;
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(hs_ack(&cc, i == 0 ? n * MSS : cc.cwnd, NST_MSEC(110)), MSS / 4);
    CHECK_EQ(hs_ack(&cc, cc.cwnd, NST_MSEC(110)), MSS);
    CHECK_EQ(cc.ssthresh, NST_CC_SSTHRESH_INITIAL);
}

/* Only the initial slow start: after a loss (or ECN, or an RTO) slow start
 * is RFC 5681's whatever the RTT does; and with the switch off, always. */
static void test_hystart_initial_slow_start_only(void)
{
    struct nst_cc cc = hs_make(NST_MSEC(100));
    cc.ops->cong_signal(&cc, NST_CC_SIG_RTO, cc.cwnd, hs_now);
    CHECK_EQ(cc.cwnd, MSS);
    for (int r = 0; r < 4; r++)
        hs_round(&cc, NST_MSEC(100 + 50 * r));
    CHECK_EQ(cc.cwnd, 16 * MSS); /* 1, 2, 4, 8, 16: doubled each round */
    struct nst_cc off = make_cc(&nst_cc_cubic, 0);
    for (int r = 0; r < 4; r++)
        hs_round(&off, NST_MSEC(100 + 50 * r));
    CHECK_EQ(off.cwnd, 160 * MSS);
    CHECK_EQ(off.ssthresh, NST_CC_SSTHRESH_INITIAL);
}

static void test_cubic_growth_limit(void)
{
    nst_time_t epoch = T0 + NST_SEC(2);
    struct nst_cc cc = cubic_after_loss_100(epoch);
    /* 30 s in, W_cubic is far above 1.5 cwnd: one RTT of per-segment ACKs
     * may add at most half a window (RFC 9438 4.2). */
    for (int round = 0; round < 5; round++) {
        uint32_t start = cc.cwnd, segs = start / MSS;
        nst_time_t t = NST_SEC(30) + round * NST_MSEC(100);
        for (uint32_t i = 0; i < segs; i++)
            nst_cc_cubic.ack_received(&cc, MSS, cc.cwnd, NST_MSEC(100), NST_MSEC(100),
                                      epoch + t + (NST_MSEC(100) * i) / segs);
        uint64_t acked = (uint64_t)segs * MSS;
        CHECK(cc.cwnd <= start + acked / 2);
        CHECK(cc.cwnd + segs >= start + acked / 2); /* < 1 byte lost per ACK */
    }
}

/* ---- fluid model: a window of segments per RTT, one ACK each ---- */

/* One RTT: every segment of the current window is acked, evenly spaced;
 * the sender keeps the window full (flight = cwnd). */
static void fluid_round(struct nst_cc *cc, nst_time_t *now, nst_time_t rtt)
{
    uint32_t segs = cc->cwnd / cc->mss;
    if (segs == 0)
        segs = 1;
    nst_time_t start = *now;
    for (uint32_t i = 1; i <= segs; i++)
        cc->ops->ack_received(cc, cc->mss, cc->cwnd, rtt, rtt, start + rtt * i / segs);
    *now = start + rtt;
}

/* A loss with the window in flight; recovery takes one RTT and ends with
 * ssthresh in flight. */
static void fluid_loss(struct nst_cc *cc, nst_time_t *now, nst_time_t rtt)
{
    cc->ops->cong_signal(cc, NST_CC_SIG_FAST_RECOVERY, cc->cwnd, *now);
    *now += rtt;
    cc->ops->post_recovery(cc, cc->ssthresh, *now);
}

static void test_fluid_newreno(void)
{
    const nst_time_t rtt = NST_MSEC(100);
    const int period = 40; /* RTTs from one loss to the next */
    struct nst_cc cc = make_cc(&nst_cc_newreno, 0);
    nst_time_t now = T0;

    /* Slow start doubles per RTT with an ACK per segment. */
    for (int r = 0; r < 5; r++)
        fluid_round(&cc, &now, rtt);
    CHECK_EQ(cc.cwnd, 14600u << 5);

    uint32_t peaks[64], troughs[64];
    int losses = 0;
    for (int r = 5; r < 1000; r++) {
        if (r % period == 5 && losses < 64) {
            peaks[losses] = cc.cwnd;
            fluid_loss(&cc, &now, rtt);
            troughs[losses++] = cc.cwnd;
            continue;
        }
        uint32_t before = cc.cwnd;
        fluid_round(&cc, &now, rtt);
        if (losses > 0) {
            /* Congestion avoidance: at most one SMSS per RTT. */
            CHECK(cc.cwnd - before <= MSS);
        }
    }
    CHECK_EQ(losses, 25);
    for (int i = 0; i < losses; i++) {
        /* Every loss halves the window (the flight), exactly. */
        CHECK_EQ(troughs[i], peaks[i] / 2);
        if (i > 0) {
            /* 39 RTTs of CA in between: whole SMSS steps, one per RTT
             * (38 when the first RTT's ACKs fall short of a cwnd). */
            uint32_t grown = peaks[i] - troughs[i - 1];
            CHECK(grown % MSS == 0);
            CHECK(grown == 38 * MSS || grown == 39 * MSS);
        }
    }
    /* The first peak is the slow-start one; then the sawtooth settles
     * where W - W/2 = 38 SMSS: W = 76 segments, and the last peaks repeat. */
    CHECK_EQ(peaks[0], 320 * MSS);
    CHECK(peaks[losses - 1] >= 76 * MSS && peaks[losses - 1] < 77 * MSS);
    for (int i = losses - 5; i < losses; i++)
        CHECK(peaks[i] + MSS >= peaks[losses - 1] && peaks[i] <= peaks[losses - 1] + MSS);
}

static void test_fluid_cubic(void)
{
    const nst_time_t rtt = NST_MSEC(100);
    struct nst_cc cc = make_cc(&nst_cc_cubic, 0);
    nst_time_t now = T0;
    int rounds = 0;

    /* Slow start to >= 1000 segments, then the first loss. */
    while (cc.cwnd < 1000 * MSS) {
        fluid_round(&cc, &now, rtt);
        rounds++;
    }
    CHECK_EQ(rounds, 7);
    CHECK_EQ(cc.cwnd, 14600u << 7); /* 1280 segments */
    uint32_t w_max = cc.cwnd;
    fluid_loss(&cc, &now, rtt);
    rounds++;
    CHECK_EQ(cc.cwnd, w_max * 7 / 10);

    /* No loss until well past K: measure when W_max is regained, and the
     * per-RTT steps of the concave and convex parts. */
    fluid_round(&cc, &now, rtt);
    rounds++;
    struct nst_cc_cubic_info info = cubic_info(&cc);
    CHECK_EQ(info.w_max, w_max);
    CHECK_EQ(info.cwnd_epoch, w_max * 7 / 10);
    CHECK_EQ(info.k, 9864848297LL); /* cbrt(1280 * 0.3 / 0.4) = cbrt(960) s */
    nst_time_t regained = -1;
    uint32_t step[200];
    int n = 0;
    while (now - info.epoch_start < info.k + NST_SEC(6) && n < 200) {
        uint32_t before = cc.cwnd;
        fluid_round(&cc, &now, rtt);
        rounds++;
        step[n++] = cc.cwnd - before;
        /* Never more than 1.5x per RTT. */
        CHECK((uint64_t)cc.cwnd * 2 <= (uint64_t)before * 3);
        if (regained < 0 && cc.cwnd >= w_max)
            regained = now - info.epoch_start;
    }
    /* W_max is regained at about K: the per-ACK approach to the flat top
     * lags the curve by about an RTT (measured: 10.0 s for K = 9.86 s). */
    CHECK(regained >= info.k - rtt && regained <= info.k + 2 * rtt);
    /* Concave: steps shrink toward K; convex: they grow after it. */
    int at_k = (int)(info.k / rtt);
    CHECK(step[at_k / 4] > step[at_k / 2]);
    CHECK(step[at_k / 2] > step[3 * at_k / 4]);
    CHECK(step[3 * at_k / 4] > step[at_k - 2]);
    CHECK(step[at_k + 10] > step[at_k + 2]);
    CHECK(step[at_k + 30] > step[at_k + 10]);
    CHECK(step[at_k + 50] > step[at_k + 30]);

    /* Then a loss every 100 RTTs: each cuts to 0.7 of the window, fast
     * convergence lowers W_max when the peak fell short of it. */
    int losses = 0;
    for (; rounds < 1000; rounds++) {
        if (rounds % 100 == 0) {
            uint32_t peak = cc.cwnd, prev_w_max = cubic_info(&cc).w_max;
            fluid_loss(&cc, &now, rtt);
            losses++;
            CHECK_EQ(cc.cwnd, (uint32_t)((uint64_t)peak * 7 / 10));
            uint32_t expect = peak < prev_w_max ? (uint32_t)((uint64_t)peak * 17 / 20) : peak;
            CHECK_EQ(cubic_info(&cc).w_max, expect);
            continue;
        }
        uint32_t before = cc.cwnd;
        fluid_round(&cc, &now, rtt);
        CHECK((uint64_t)cc.cwnd * 2 <= (uint64_t)before * 3);
    }
    CHECK_EQ(losses, 8);
}

int main(void)
{
    RUN(test_find);
    RUN(test_initial_window);
    RUN(test_restart_window);
    RUN(test_newreno_slow_start);
    RUN(test_newreno_congestion_avoidance);
    RUN(test_newreno_fast_recovery);
    RUN(test_newreno_rto);
    RUN(test_newreno_post_recovery);
    RUN(test_cubic_loss_reduction);
    RUN(test_cubic_k);
    RUN(test_cubic_trajectory);
    RUN(test_cubic_partial_ack);
    RUN(test_cubic_reno_friendly);
    RUN(test_cubic_fast_convergence);
    RUN(test_cubic_rto);
    RUN(test_cubic_after_idle);
    RUN(test_cubic_app_limited);
    RUN(test_cubic_growth_limit);
    RUN(test_hystart_rtt_thresh);
    RUN(test_hystart_css_then_avoidance);
    RUN(test_hystart_css_back_to_slow_start);
    RUN(test_hystart_initial_slow_start_only);
    RUN(test_fluid_newreno);
    RUN(test_fluid_cubic);
    return nst_test_done();
}
