/* HyStart++ (RFC 9406) in CUBIC's initial slow start, end to end on the
 * simulator: a deep-buffer bottleneck (10 Mbit/s, 20 ms RTT, a queue of
 * 300 frames: 350 ms, 17 times the path's BDP) that plain slow start
 * fills until it overflows. With HyStart++ the growing RTT ends slow start first: no
 * frame is dropped, nothing is retransmitted, and ssthresh is set (to the
 * cwnd CSS ended with) although no loss ever happened. Every byte arrives
 * once, in order. */
#include <stdlib.h>

#include "core/util.h"
#include "support/sim_util.h"
#include "test.h"

#include <nstack/tcp_info.h>

#define PORT 5001

struct outcome {
    uint64_t retransmits, queue_drops;
    uint32_t ssthresh;
};

static struct outcome transfer(int hystart)
{
    struct outcome o = {0};
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.bandwidth_bps = 10000000;
    lp.latency = NST_MSEC(10);
    lp.queue_limit = 300;
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    nst_tcp_config_default(&c.tcp);
    c.tcp.hystart = hystart;
    c.tcp.sndbuf = c.tcp.rcvbuf = 4u << 20; /* windows far above the queue: only cwnd limits */
    c.arp_entry_ttl = NST_SEC(3600);
    struct su_pair p;
    CHECK_EQ(su_pair_build(&p, 11, &c, &lp), 0);
    struct su_xfer *x = su_xfer_start(&p, PORT, 4u << 20);
    CHECK(x != NULL);
    CHECK(nst_world_run_until_cond(p.w, su_xfer_pump, x, nst_world_now(p.w) + NST_SEC(60)));
    CHECK_EQ(x->received, x->total);
    CHECK(x->rx_hash == x->tx_hash);
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    CHECK_EQ(nst_getsockopt(p.b, x->cfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len), 0);
    o.ssthresh = ti.ssthresh;
    o.retransmits = nst_stack_stats(p.b)->tcp_retransmits;
    o.queue_drops = nst_sim_link_stats(p.l, 1)->queue_drops;
    fprintf(stderr, "  hystart=%d: %llu retransmitted, %llu tail drops, ssthresh %u\n", hystart,
            (unsigned long long)o.retransmits, (unsigned long long)o.queue_drops, o.ssthresh);
    free(x);
    su_pair_free(&p);
    return o;
}

static void test_slow_start_exits_before_loss(void)
{
    struct outcome h = transfer(1);
    CHECK_EQ(h.queue_drops, 0);
    CHECK_EQ(h.retransmits, 0);
    /* Slow start ended without a loss: ssthresh is no longer "arbitrarily
     * high" (RFC 5681 3.1) but the cwnd CSS ended with, between the
     * path's BDP (25 KB) and BDP + queue (465 KB). Seed 11, the exact run:
     * 99188 bytes, 68.5 segments of 1448. */
    CHECK_EQ(h.ssthresh, 99188u);
    /* The same path with plain slow start overflows the queue (RFC 5681
     * slow start ends with a loss, ssthresh by CUBIC's beta). */
    struct outcome s = transfer(0);
    CHECK(s.queue_drops > 0);
    CHECK(s.retransmits > 0);
}

int main(void)
{
    RUN(test_slow_start_exits_before_loss);
    return nst_test_done();
}
