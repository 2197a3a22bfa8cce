/* RFC 6298 estimator: exact SRTT/RTTVAR/RTO after a sequence of samples,
 * clamping, clock granularity, and exponential backoff. */
#include "tcp/tcp_rtt.h"
#include "test.h"

struct step {
    nst_time_t sample, srtt, rttvar, rto;
};

static void test_sample_sequence(void)
{
    struct nst_rtt r;
    nst_rtt_init(&r, NST_SEC(1), NST_MSEC(200), NST_SEC(120));
    CHECK_EQ(r.srtt, 0);
    CHECK_EQ(nst_rtt_timeout(&r), NST_SEC(1)); /* RFC 6298 2.1 initial RTO */
    /* Worked by hand from RFC 6298 2.2/2.3 in integer nanoseconds:
     * 2nd: RTTVAR = (3*50ms + |100-120|ms)/4 = 42.5 ms,
     *      SRTT = (7*100ms + 120ms)/8 = 102.5 ms, RTO = 102.5 + 4*42.5 ms. */
    static const struct step steps[] = {
        {NST_MSEC(100), 100000000, 50000000, 300000000},
        {NST_MSEC(120), 102500000, 42500000, 272500000},
        {NST_MSEC(80), 99687500, 37500000, 249687500},
        {NST_MSEC(100), 99726562, 28203125, 212539062},
        {NST_MSEC(100), 99760741, 21220703, 200000000}, /* 184.6 ms clamped up to min_rto */
        {NST_MSEC(100), 99790648, 15975342, 200000000},
        {NST_MSEC(100), 99816817, 12033844, 200000000},
        {NST_SEC(3), 462339714, 734071178, 3398624426LL}, /* a spike: RTTVAR jumps first */
        {7, 404547250, 666138310, 3069100490LL},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        nst_rtt_sample(&r, steps[i].sample);
        CHECK_EQ(r.latest, steps[i].sample);
        CHECK_EQ(r.srtt, steps[i].srtt);
        CHECK_EQ(r.rttvar, steps[i].rttvar);
        CHECK_EQ(r.rto, steps[i].rto);
        CHECK_EQ(nst_rtt_timeout(&r), steps[i].rto);
    }
}

static void test_granularity_and_max(void)
{
    struct nst_rtt r;
    nst_rtt_init(&r, NST_SEC(1), 0, NST_SEC(60));
    /* 4*RTTVAR = 4 us < G = 1 ms: RTO = SRTT + G */
    nst_rtt_sample(&r, NST_USEC(2));
    CHECK_EQ(r.srtt, 2000);
    CHECK_EQ(r.rttvar, 1000);
    CHECK_EQ(r.rto, 2000 + 1000000);
    /* RFC 6298 2.5: a maximum is applied */
    nst_rtt_init(&r, NST_SEC(1), 0, NST_SEC(60));
    nst_rtt_sample(&r, NST_SEC(30));
    CHECK_EQ(r.rto, NST_SEC(60)); /* 30 + 4*15 = 90 s, clamped */
    /* odd first sample: RTTVAR = R/2 truncates */
    nst_rtt_init(&r, NST_SEC(1), 0, NST_SEC(60));
    nst_rtt_sample(&r, 3);
    CHECK_EQ(r.srtt, 3);
    CHECK_EQ(r.rttvar, 1);
    CHECK_EQ(r.rto, 3 + 1000000);
}

static void test_zero_and_negative_samples(void)
{
    struct nst_rtt r;
    nst_rtt_init(&r, NST_SEC(1), NST_MSEC(200), NST_SEC(60));
    nst_rtt_sample(&r, -5); /* invalid: ignored */
    CHECK_EQ(r.srtt, 0);
    CHECK_EQ(r.rto, NST_SEC(1));
    nst_rtt_sample(&r, 0); /* a same-tick ACK still counts as a first sample */
    CHECK_EQ(r.srtt, 1);
    CHECK_EQ(r.rttvar, 0);
    CHECK_EQ(r.rto, NST_MSEC(200));
    nst_rtt_sample(&r, NST_MSEC(80)); /* second-sample rule now, not first */
    CHECK_EQ(r.rttvar, (0 + NST_MSEC(80) - 1) / 4);
    CHECK_EQ(r.srtt, (7 * 1 + NST_MSEC(80)) / 8);
}

static void test_backoff(void)
{
    struct nst_rtt r;
    nst_rtt_init(&r, NST_SEC(1), NST_MSEC(200), NST_SEC(2));
    nst_rtt_sample(&r, NST_MSEC(100)); /* RTO 300 ms */
    CHECK_EQ(nst_rtt_timeout(&r), NST_MSEC(300));
    nst_rtt_backoff(&r);
    CHECK_EQ(r.backoff, 1);
    CHECK_EQ(nst_rtt_timeout(&r), NST_MSEC(600));
    nst_rtt_backoff(&r);
    CHECK_EQ(nst_rtt_timeout(&r), NST_MSEC(1200));
    nst_rtt_backoff(&r);
    CHECK_EQ(nst_rtt_timeout(&r), NST_SEC(2)); /* 2400 ms clamped */
    for (int i = 0; i < 100; i++)
        nst_rtt_backoff(&r);
    CHECK_EQ(r.backoff, 32); /* the exponent is bounded */
    CHECK_EQ(nst_rtt_timeout(&r), NST_SEC(2));
    CHECK_EQ(r.rto, NST_MSEC(300)); /* backoff never touches the base RTO */
    /* RFC 6298 5.7: a new sample ends the backoff */
    nst_rtt_sample(&r, NST_MSEC(100));
    CHECK_EQ(r.backoff, 0);
    CHECK_EQ(nst_rtt_timeout(&r), r.rto);
    /* the initial RTO backs off the same way before any sample (SYN) */
    nst_rtt_init(&r, NST_SEC(1), NST_MSEC(200), NST_SEC(120));
    for (int i = 0; i < 6; i++)
        nst_rtt_backoff(&r);
    CHECK_EQ(nst_rtt_timeout(&r), NST_SEC(64));
    nst_rtt_backoff(&r);
    CHECK_EQ(nst_rtt_timeout(&r), NST_SEC(120));
    /* a huge exponent cannot overflow */
    nst_rtt_init(&r, NST_SEC(1), 0, NST_TIME_NEVER);
    for (int i = 0; i < 40; i++)
        nst_rtt_backoff(&r);
    CHECK_EQ(nst_rtt_timeout(&r), NST_SEC(1) << 32);
}

int main(void)
{
    RUN(test_sample_sequence);
    RUN(test_granularity_and_max);
    RUN(test_zero_and_negative_samples);
    RUN(test_backoff);
    return nst_test_done();
}
