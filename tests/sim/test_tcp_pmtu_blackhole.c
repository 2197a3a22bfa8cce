/* An ICMP black hole (RFC 2923 2.1): the interfaces say MTU 1500, the
 * wire between them carries 1280 (nst_link_params.silent_mtu) and drops
 * anything longer without a word -- no "fragmentation needed" ever comes
 * back, so RFC 1191 cannot help. 2 MB go from b to a over 10 Mbit/s,
 * 20 ms RTT.
 *   mtu_probing 0: every full-sized segment vanishes; the transfer stalls
 *     (nothing delivered after a minute of timeouts).
 *   mtu_probing 1: two timeouts in a row, then segments of the base size
 *     (1024) get through; probing (RFC 4821) climbs by binary steps to
 *     within 8 bytes of 1280; every byte arrives (hashes compared), in a
 *     bounded time.
 *   mtu_probing 2: probing from the start; no black hole event, no
 *     timeout of the transfer's data, the same path MTU found. */
#include <string.h>

#include "support/sim_flow.h"
#include "test.h"

#include <nstack/tcp_info.h>

#define TOTAL (2ull << 20)

static struct sf_flow *blackhole_flow(int mtu_probing)
{
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    nst_tcp_config_default(&cfg.tcp);
    cfg.tcp.mtu_probing = mtu_probing;
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_MSEC(10);
    lp.bandwidth_bps = 10000000;
    lp.queue_limit = 100;
    lp.silent_mtu = 1280;
    struct sf_flow *f = sf_flow_start(5, &cfg, &lp, TOTAL);
    CHECK(f != NULL);
    return f;
}

/* The path MTU the connection settled on: within 8 bytes (the search's
 * threshold) below 1280, and never above. */
static void check_found_mtu(struct sf_flow *f)
{
    struct nst_tcp_info ti = sf_flow_sender_info(f);
    fprintf(stderr, "  path MTU found %u (segments of %u bytes with timestamps)\n", ti.pmtu, ti.snd_mss);
    CHECK(ti.pmtu <= 1280 && ti.pmtu > 1280 - 8);
    CHECK_EQ(ti.snd_mss, ti.pmtu - 40 - 12);
}

static void check_complete(struct sf_flow *f)
{
    CHECK_EQ(f->received, TOTAL);
    CHECK(f->rx_hash == f->tx_hash);
    CHECK_EQ(f->bad_byte, 0);
}

static void test_without_probing_stalls(void)
{
    struct sf_flow *f = blackhole_flow(0);
    sf_flow_run_to(f, NST_SEC(61));
    const struct nst_sim_link_stats *ls = nst_sim_link_stats(f->p.l, 1);
    struct nst_tcp_info ti = sf_flow_sender_info(f);
    fprintf(stderr, "  mtu_probing 0: %llu bytes delivered in 60 s, %llu frames vanished, %llu timeouts\n",
            (unsigned long long)f->received, (unsigned long long)ls->blackholed,
            (unsigned long long)ti.rto_timeouts);
    CHECK_EQ(f->received, 0);
    CHECK(ls->blackholed > 0);
    CHECK(ti.rto_timeouts >= 6);
    CHECK_EQ(ti.pmtu, 1500);
    CHECK_EQ(nst_stack_stats(f->cli)->tcp_pmtu_blackholes, 0);
    sf_flow_free(f);
}

/* Runs the transfer with mtu_probing `mode` to its end (at most a
 * minute): it completes, every byte intact, at the path's MTU; the
 * search was 1282 lost, then 1173, 1227, 1254, 1268, 1275 acknowledged
 * (binary steps between 1064 and 1499, until within 8 bytes of 1280).
 * `blackholes` and `timeouts` as counted. Returns how long it took from
 * the connect. */
static nst_time_t probed_transfer(int mode, uint64_t blackholes, uint64_t timeouts)
{
    struct sf_flow *f = blackhole_flow(mode);
    int done = nst_world_run_until_cond(f->p.w, sf_flow_pump, f, NST_SEC(60));
    nst_time_t took = nst_world_now(f->p.w) - NST_SEC(1);
    const struct nst_stats *s = nst_stack_stats(f->cli);
    fprintf(stderr, "  mtu_probing %d: %.3f s, %llu timeouts, %llu black holes, probes %llu (%llu ok, %llu lost)\n",
            mode, (double)took / 1e9, (unsigned long long)s->tcp_rto_timeouts,
            (unsigned long long)s->tcp_pmtu_blackholes, (unsigned long long)s->tcp_pmtu_probes,
            (unsigned long long)s->tcp_pmtu_probes_ok, (unsigned long long)s->tcp_pmtu_probes_failed);
    CHECK(done);
    check_complete(f);
    check_found_mtu(f);
    CHECK_EQ(s->tcp_pmtu_blackholes, blackholes);
    CHECK_EQ(s->tcp_rto_timeouts, timeouts);
    CHECK_EQ(s->tcp_pmtu_probes, 6);
    CHECK_EQ(s->tcp_pmtu_probes_ok, 5);
    CHECK_EQ(s->tcp_pmtu_probes_failed, 1);
    sf_flow_free(f);
    return took;
}

static void test_blackhole_detection(void)
{
    /* Two timeouts (at least 200 ms + 400 ms) lost, then 2 MB at about
     * 10 Mbit/s (1.7 s), and the lost probe repaired: within 4 s. */
    CHECK(probed_transfer(1, 1, 2) < NST_SEC(4));
}

static void test_probing_from_start(void)
{
    /* No timeout at all (the lost probe is repaired by SACK recovery):
     * within 3 s. */
    CHECK(probed_transfer(2, 0, 0) < NST_SEC(3));
}

int main(void)
{
    RUN(test_without_probing_stalls);
    RUN(test_blackhole_detection);
    RUN(test_probing_from_start);
    return nst_test_done();
}
