/* The congestion control modules' answer to an ECN-Echo (NST_CC_SIG_ECN,
 * RFC 3168 6.1.2): "treated just as a congestion loss", but nothing left
 * the network, so NewReno halves without fast recovery's inflation
 * (ssthresh = cwnd = max(FlightSize / 2, 2 SMSS), RFC 5681 eq. 4) and
 * CUBIC takes the same multiplicative decrease as for a loss (RFC 9438
 * 4.6: beta = 0.7, fast convergence, W_max). */
#include "test.h"

#include "tcp/cc.h"
#include "tcp/cc_internal.h"

#define MSS 1460u
#define T0 NST_SEC(100)

static struct nst_cc make_cc(const struct nst_cc_ops *ops, uint32_t cwnd)
{
    struct nst_cc cc;
    memset(&cc, 0xa5, sizeof(cc));
    cc.ops = ops;
    ops->init(&cc, MSS, T0);
    cc.cwnd = cwnd;
    return cc;
}

static void test_newreno(void)
{
    struct nst_cc cc = make_cc(&nst_cc_newreno, 40 * MSS);
    cc.bytes_acked = 1000;
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_ECN, 40 * MSS, T0);
    CHECK_EQ(cc.ssthresh, 20 * MSS);
    CHECK_EQ(cc.cwnd, 20 * MSS); /* no + 3 SMSS: no segment left the network */
    CHECK_EQ(cc.bytes_acked, 0);
    /* The floor: 2 SMSS. */
    cc = make_cc(&nst_cc_newreno, 3 * MSS);
    nst_cc_newreno.cong_signal(&cc, NST_CC_SIG_ECN, 3 * MSS, T0);
    CHECK_EQ(cc.ssthresh, 2 * MSS);
    CHECK_EQ(cc.cwnd, 2 * MSS);
    /* Fast recovery from the same state inflates; ECN does not. */
    struct nst_cc fr = make_cc(&nst_cc_newreno, 40 * MSS);
    nst_cc_newreno.cong_signal(&fr, NST_CC_SIG_FAST_RECOVERY, 40 * MSS, T0);
    CHECK_EQ(fr.cwnd, 23 * MSS);
}

static void test_cubic(void)
{
    /* Exactly a loss's reduction, private state included. */
    struct nst_cc e = make_cc(&nst_cc_cubic, 100 * MSS), l = make_cc(&nst_cc_cubic, 100 * MSS);
    nst_cc_cubic.cong_signal(&e, NST_CC_SIG_ECN, 100 * MSS, T0);
    nst_cc_cubic.cong_signal(&l, NST_CC_SIG_FAST_RECOVERY, 100 * MSS, T0);
    CHECK_EQ(e.ssthresh, 70 * MSS);
    CHECK_EQ(e.cwnd, 70 * MSS);
    CHECK_EQ(e.cwnd, l.cwnd);
    CHECK_EQ(e.ssthresh, l.ssthresh);
    CHECK_MEM(e.priv, l.priv, sizeof(e.priv));
    struct nst_cc_cubic_info info;
    nst_cc_cubic_get_info(&e, &info);
    CHECK_EQ(info.w_max, 100 * MSS);
    CHECK_EQ(info.cwnd_prior, 100 * MSS);
    /* A second one before W_max is reached again: fast convergence. */
    nst_cc_cubic.cong_signal(&e, NST_CC_SIG_ECN, 70 * MSS, T0 + NST_SEC(1));
    nst_cc_cubic_get_info(&e, &info);
    CHECK_EQ(info.w_max, 70 * MSS * 17 / 20);
    CHECK_EQ(e.cwnd, 49 * MSS);
}

int main(void)
{
    RUN(test_newreno);
    RUN(test_cubic);
    return nst_test_done();
}
