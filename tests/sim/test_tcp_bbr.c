/* BBR (v1, src/tcp/cc_bbr.c) on the simulator: a sender b, a receiver a,
 * one bottleneck link between them. STARTUP finds the bottleneck
 * bandwidth and ends; the queue STARTUP built is drained and stays small
 * in PROBE_BW (where CUBIC keeps the bottleneck queue full); PROBE_RTT
 * comes every 10 s and holds cwnd at 4 segments for 200 ms and a round. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "support/sim_flow.h"
#include "test.h"

#include <nstack/tcp_info.h>

/* A flow of `total` bytes with congestion control cc over a link of bps,
 * one-way latency lat, a queue of qlimit frames; connected and running
 * from 1 s. */
static struct sf_flow *flow_start(const char *cc, uint64_t bps, nst_time_t lat, unsigned qlimit, double loss,
                                  uint64_t total, uint64_t seed)
{
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    nst_tcp_config_default(&cfg.tcp);
    snprintf(cfg.tcp.congestion, sizeof(cfg.tcp.congestion), "%s", cc);
    cfg.tcp.sndbuf = cfg.tcp.rcvbuf = 16u << 20;
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = lat;
    lp.bandwidth_bps = bps;
    lp.queue_limit = qlimit;
    lp.loss = loss;
    struct sf_flow *f = sf_flow_start(seed, &cfg, &lp, total);
    CHECK(f != NULL);
    return f;
}

/* What the bottleneck delivers of TCP payload, bytes/s: frames of
 * 14 (Ethernet) + 20 (IP) + 32 (TCP with timestamps) + 1448 bytes. */
static double payload_rate(uint64_t bps) { return (double)bps / 8.0 * 1448.0 / 1514.0; }

/* STARTUP: BtlBw climbs to the bottleneck's rate, the pipe is found full
 * (three rounds without 25 % growth), DRAIN, then PROBE_BW; the estimate
 * is the bottleneck's rate within 2 %. The buffer (3 MB) holds what
 * STARTUP's gain of 2.89 puts in flight, so no loss muddles the phases. */
static void test_startup_finds_bottleneck(void)
{
    const uint64_t bps = 100000000;
    struct sf_flow *f = flow_start("bbr", bps, NST_MSEC(40), 2000, 0, 400ull << 20, 1);
    nst_time_t t_drain = 0, t_probe_bw = 0;
    for (nst_time_t t = NST_SEC(1); t < NST_SEC(4) && !t_probe_bw; t += NST_MSEC(1)) {
        sf_flow_run_to(f, t);
        struct nst_tcp_info ti = sf_flow_sender_info(f);
        if (ti.bbr.mode == NST_BBR_DRAIN && !t_drain)
            t_drain = t;
        if (ti.bbr.mode == NST_BBR_PROBE_BW)
            t_probe_bw = t;
        if (getenv("BBR_DEBUG") && t % NST_MSEC(40) == 0)
            fprintf(stderr, "%.3f mode %d unacked %u sacked %u cwnd %u ca %d pace %llu q %u rtx %llu\n", (double)t / 1e9,
                    ti.bbr.mode, ti.unacked, ti.sacked, ti.cwnd, ti.ca_state, (unsigned long long)ti.pacing_rate,
                    nst_sim_link_queue_len(f->p.l, 1), (unsigned long long)ti.retransmits);
    }
    struct nst_tcp_info ti = sf_flow_sender_info(f);
    double want = payload_rate(bps);
    fprintf(stderr, "  startup ended at %.3f s (round %u), drain ended at %.3f s: BtlBw %.3f MB/s (bottleneck %.3f), "
                    "RTprop %.3f ms\n",
            (double)t_drain / 1e9, ti.bbr.round_count, (double)t_probe_bw / 1e9, (double)ti.bbr.bw / 1e6, want / 1e6,
            (double)ti.bbr.min_rtt / 1e6);
    CHECK(t_drain > 0);
    CHECK(t_probe_bw >= t_drain);
    /* About log2(BDP / IW) = 7 doubling rounds, then 3 rounds that show
     * the plateau (longer ones: STARTUP's queue is in them), and DRAIN
     * empties that queue in well under four 80 ms round trips. */
    CHECK(ti.bbr.round_count >= 10);
    CHECK(t_drain < NST_MSEC(2700));
    CHECK(t_probe_bw - t_drain < NST_MSEC(320));
    CHECK(ti.bbr.full_bw_reached);
    CHECK((double)ti.bbr.bw > want * 0.98 && (double)ti.bbr.bw <= want * 1.02);
    /* RTprop: the 80 ms of propagation plus one frame's serialisation each way. */
    CHECK(ti.bbr.min_rtt >= NST_MSEC(80) && ti.bbr.min_rtt < NST_MSEC(81));
    CHECK_EQ(ti.bbr.cwnd_gain, 512);
    CHECK_EQ(f->bad_byte, 0);
    sf_flow_free(f);
}

/* Mean frames in the bottleneck queue between 4 s and 10 s (PROBE_BW,
 * before the first PROBE_RTT), sampled every ms; and what was delivered. */
static double steady_queue(const char *cc, uint64_t *delivered)
{
    struct sf_flow *f = flow_start(cc, 100000000, NST_MSEC(40), 1000, 0, 400ull << 20, 2);
    sf_flow_run_to(f, NST_SEC(4));
    uint64_t from = f->received;
    uint64_t sum = 0, n = 0;
    for (nst_time_t t = NST_SEC(4); t < NST_SEC(10); t += NST_MSEC(1), n++) {
        sf_flow_run_to(f, t);
        sum += nst_sim_link_queue_len(f->p.l, 1); /* b -> a */
    }
    *delivered = f->received - from;
    CHECK_EQ(f->bad_byte, 0);
    sf_flow_free(f);
    return (double)sum / (double)n;
}

/* BBR paces at the bottleneck rate and keeps about one BDP in flight: the
 * queue stays a few frames deep, where CUBIC fills the 1000-frame buffer
 * until it overflows. Both keep the link busy. */
static void test_queue_drained(void)
{
    uint64_t bbr_bytes, cubic_bytes;
    double q_bbr = steady_queue("bbr", &bbr_bytes);
    double q_cubic = steady_queue("cubic", &cubic_bytes);
    fprintf(stderr, "  bottleneck queue, mean over 4-10 s: bbr %.1f frames (%.1f MB/s), cubic %.1f frames (%.1f MB/s)\n",
            q_bbr, (double)bbr_bytes / 6e6, q_cubic, (double)cubic_bytes / 6e6);
    CHECK(q_bbr < 100.0);        /* a tenth of the buffer: PROBE_BW's 5/4 phase and its drain */
    CHECK(q_cubic > 4.0 * q_bbr);
    /* ... at no cost in goodput: over 90 % of the bottleneck. */
    CHECK((double)bbr_bytes / 6.0 > payload_rate(100000000) * 0.9);
}

/* RTprop expires after 10 s without a lower sample (the path's RTT never
 * falls below its propagation delay): PROBE_RTT every 10 s, each lasting
 * 200 ms plus a round (cwnd 4 segments meanwhile), then back to PROBE_BW. */
static void test_probe_rtt_every_10s(void)
{
    struct sf_flow *f = flow_start("bbr", 20000000, NST_MSEC(20), 1000, 0, 400ull << 20, 3);
    nst_time_t enter[8] = {0}, leave[8] = {0};
    int n = 0, in = 0;
    uint32_t min_cwnd_in_probe = UINT32_MAX;
    for (nst_time_t t = NST_SEC(1); t < NST_SEC(34); t += NST_MSEC(1)) {
        sf_flow_run_to(f, t);
        struct nst_tcp_info ti = sf_flow_sender_info(f);
        int now_in = ti.bbr.mode == NST_BBR_PROBE_RTT;
        if (now_in && !in && n < 8)
            enter[n] = t;
        if (!now_in && in && n < 8)
            leave[n++] = t;
        if (now_in && ti.cwnd < min_cwnd_in_probe)
            min_cwnd_in_probe = ti.cwnd;
        in = now_in;
    }
    CHECK(n >= 3);
    for (int i = 0; i < n; i++) {
        nst_time_t dur = leave[i] - enter[i];
        fprintf(stderr, "  PROBE_RTT %d: %.3f s to %.3f s (%.0f ms)%s", i, (double)enter[i] / 1e9,
                (double)leave[i] / 1e9, (double)dur / 1e6, i ? "" : " (the first: 10 s after the first RTT sample)");
        if (i)
            fprintf(stderr, ", %.3f s after the last ended", (double)(enter[i] - leave[i - 1]) / 1e9);
        fprintf(stderr, "\n");
        /* 200 ms at 4 segments in flight, and the round that follows;
         * reaching 4 segments takes up to a round first (RTT 40 ms). */
        CHECK(dur >= NST_MSEC(200) && dur <= NST_MSEC(200) + 3 * NST_MSEC(41));
        if (i) /* RTprop was refreshed as PROBE_RTT ended: 10 s later, the next */
            CHECK(enter[i] - leave[i - 1] >= NST_SEC(10) - NST_MSEC(1) &&
                  enter[i] - leave[i - 1] <= NST_SEC(10) + NST_MSEC(2));
    }
    CHECK_EQ(min_cwnd_in_probe, 4u * 1448u);
    CHECK_EQ(f->bad_byte, 0);
    sf_flow_free(f);
}

/* Random loss: every byte still arrives once and in order; BBR does not
 * collapse its window on loss (the loss-based modules do). */
static void test_lossy_path_complete(void)
{
    struct sf_flow *f = flow_start("bbr", 100000000, NST_MSEC(40), 1000, 0.01, 32ull << 20, 4);
    int done = nst_world_run_until_cond(f->p.w, sf_flow_pump, f, NST_SEC(60));
    CHECK(done);
    CHECK_EQ(f->received, 32ull << 20);
    CHECK(f->rx_hash == f->tx_hash);
    CHECK_EQ(f->bad_byte, 0);
    struct nst_tcp_info ti = sf_flow_sender_info(f);
    CHECK(ti.retransmits > 0);
    CHECK(ti.bbr.full_bw_reached);
    sf_flow_free(f);
}

/* RACK (on by default) with BBR's pacing on a lossy path: a segment is
 * marked lost only when it is (RFC 8985 6.2). Every retransmission
 * repairs a frame the link dropped, give or take the odd one: no spurious
 * marks that would leave holes the receiver cannot hold (its out-of-order
 * store keeps 32), refill the queue past its limit and end in timeouts.
 * (A delayed ACK that also SACKed data above it once passed for
 * reordering: the window then held every hole open a quarter RTT longer,
 * the holes outgrew the receiver's store and its drops came back as
 * losses.) Seeds where BBR's STARTUP overflows the queue on its own
 * (with RACK off as well) are left out: those drops are real. */
static void test_lossy_path_rack_marks_only_losses(void)
{
    static const uint64_t seeds[] = {30, 32};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        struct sf_flow *f = flow_start("bbr", 100000000, NST_MSEC(40), 1000, 0.01, 8ull << 20, seeds[i]);
        int done = nst_world_run_until_cond(f->p.w, sf_flow_pump, f, NST_SEC(60));
        CHECK(done);
        CHECK_EQ(f->received, 8ull << 20);
        CHECK(f->rx_hash == f->tx_hash);
        const struct nst_sim_link_stats *ls = nst_sim_link_stats(f->p.l, 1);
        struct nst_tcp_info ti = sf_flow_sender_info(f);
        uint64_t dropped = ls->lost + ls->queue_drops;
        fprintf(stderr, "  seed %llu: %llu retransmissions, %llu frames lost, %llu queue drops, %llu RTOs\n",
                (unsigned long long)seeds[i], (unsigned long long)ti.retransmits, (unsigned long long)ls->lost,
                (unsigned long long)ls->queue_drops, (unsigned long long)ti.rto_timeouts);
        CHECK(dropped > 0);
        CHECK(ti.retransmits >= dropped - dropped / 10);
        CHECK(ti.retransmits <= dropped + dropped / 10 + 2);
        CHECK_EQ(ti.rto_timeouts, 0);
        CHECK_EQ(f->bad_byte, 0);
        sf_flow_free(f);
    }
}

int main(void)
{
    RUN(test_startup_finds_bottleneck);
    RUN(test_queue_drained);
    RUN(test_probe_rtt_every_10s);
    RUN(test_lossy_path_complete);
    RUN(test_lossy_path_rack_marks_only_losses);
    return nst_test_done();
}
