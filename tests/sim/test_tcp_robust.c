/* Hostile and random input: a SYN flood (the SYN queue stays within the
 * backlog, cookies answer the rest, a real client still gets in), sender
 * SWS avoidance against a peer offering tiny windows, and thousands of
 * random segments (flags, numbers, options, lengths, truncation, bad
 * checksums) thrown at a listener, an established connection and closed
 * ports. Nothing may crash (ASan/UBSan watch), memory stays bounded, and
 * the stack still works afterwards. */
#include "core/rng.h"
#include "support/tcp_testutil.h"

static void test_syn_flood(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 16);
    for (uint32_t i = 0; i < 5000; i++) {
        s->peer_isn = i * 7919u;
        INJECT(s, MS(1) * i / 10, .flags = F_S, .seq = 0, .win = 65535, .sport = (uint16_t)(1024 + i));
    }
    ts_flush(s);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 16);
    CHECK_EQ(tu_total(s), 17);
    CHECK_EQ(tu_stats(s)->tcp_syncookies_sent, 5000 - 16);
    /* A real client completes through its cookie. */
    s->peer_isn = 424242;
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    INJECT(s, SEC(1), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = 60000);
    /* (The embryos retransmit their SYN-ACKs meanwhile: skip those.) */
    struct ts_pkt p;
    int found = 0;
    while (!found && ts_next(s, SEC(1), &p))
        found = p.h.dst_port == 60000;
    CHECK(found);
    CHECK_EQ(p.h.flags, F_SA);
    CHECK_EQ(p.h.ack, 424243);
    INJECT(s, SEC(1) + MS(50), .flags = F_A, .seq = 1, .ack = 1, .win = 512, .sport = 60000);
    int fd = nst_accept(s->st, lfd, NULL);
    CHECK(fd >= 0);
    /* The embryos expire after their SYN-ACK retransmissions (63 s). */
    ts_run_until(s, SEC(70));
    ts_flush(s);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 0);
    CHECK_EQ(tu_total(s), 2);
    ts_free(s);
}

/* RFC 1122 4.2.3.4: with a window much smaller than the largest offered,
 * the sender waits (nothing is in flight) until the override timeout,
 * then sends what fits. */
static void test_sender_sws(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    struct nst_tcp_opts o = ts_syn_opts(-1, 0, 0);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 1000, .opts = o);
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1);
    INJECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1, .win = 1000);
    int fd = nst_accept(s->st, lfd, NULL);
    ts_run_until(s, SEC(1));
    char data[5000];
    memset(data, 's', sizeof(data));
    nst_send(s->st, fd, data, sizeof(data), 0);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1, .len = 1000);
    /* 300 bytes of window: less than half the largest window (1000). */
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 1001, .win = 300);
    /* The override timeout is the RTO: 250 ms (two 100 ms samples). */
    EXPECT_NONE(s, MS(1350) - 1);
    EXPECT(s, SEC(3), .flags = F_A, .seq = 1001, .ack = 1, .len = 300, .at = MS(1350),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    /* A window of 600 (>= half of 1000) is used at once. */
    INJECT(s, MS(1500), .flags = F_A, .seq = 1, .ack = 1301, .win = 600);
    EXPECT(s, MS(1500), .flags = F_A, .seq = 1301, .ack = 1, .len = 600, .at = MS(1500),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_free(s);
}

/* An orphan facing a window that never opens is aborted after
 * data_retries probes even though the peer answers every one; and past
 * max_orphans, close() aborts at once. */
static void test_orphan_limits(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.data_retries = 3;
    cfg.tcp.max_orphans = 1;
    int lfd, fd;
    struct ts *s = tu_passive(&cfg, 0, &lfd, &fd);
    INJECT(s, MS(500), .flags = F_A, .seq = 1, .ack = 1, .win = 0);
    ts_run_until(s, SEC(1));
    nst_send(s->st, fd, "stuck", 5, 0);
    nst_close(s->st, fd);
    /* Probes at 1.3, 1.9, 3.1 s, each answered with a zero window. */
    static const int probe_ms[] = {1300, 1900, 3100};
    for (int i = 0; i < 3; i++) {
        EXPECT(s, SEC(10), .flags = F_A, .seq = 1, .ack = 1, .len = 1, .at = MS(probe_ms[i]),
               .check = TS_DEFAULT_CHECK | TS_TIME);
        INJECT(s, MS(probe_ms[i] + 10), .flags = F_A, .seq = 1, .ack = 1, .win = 0);
    }
    EXPECT(s, SEC(10), .flags = F_RA, .seq = 1, .ack = 1, .at = MS(5500), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_total(s), 1);
    /* Two connections closed while the first is still finishing: the
     * second close exceeds max_orphans = 1 and resets. */
    s->peer_isn = 1000;
    s->rport = 40001;
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    int f1 = ts_passive_open(s, lfd, SEC(20), MS(10), &o, 65535);
    s->rport = 40002;
    int f2 = ts_passive_open(s, lfd, SEC(21), MS(10), &o, 65535);
    CHECK(f1 >= 0 && f2 >= 0);
    ts_run_until(s, SEC(22));
    nst_close(s->st, f1);
    EXPECT(s, SEC(22), .flags = F_FA, .dport = 40001, .check = TS_FLAGS | TS_PORTS);
    nst_close(s->st, f2);
    EXPECT(s, SEC(22), .flags = F_RA, .seq = 1, .ack = 1, .dport = 40002, .check = TS_DEFAULT_CHECK | TS_PORTS);
    CHECK_EQ(tu_stats(s)->tcp_abort_on_memory, 1); /* Linux's TCPAbortOnMemory counts it too */
    ts_free(s);
}

static void random_opts(struct nst_rng *r, struct nst_tcp_opts *o)
{
    memset(o, 0, sizeof(*o));
    uint64_t b = nst_rng_next(r);
    o->has_mss = b & 1;
    o->mss = (uint16_t)nst_rng_next(r);
    o->has_wscale = (b >> 1) & 1;
    o->wscale = (uint8_t)nst_rng_below(r, 20);
    o->sack_ok = (b >> 2) & 1;
    o->has_ts = (b >> 3) & 1;
    o->ts_val = (uint32_t)nst_rng_next(r);
    o->ts_ecr = (uint32_t)nst_rng_next(r);
    o->sack_count = (uint8_t)nst_rng_below(r, 4);
    for (unsigned i = 0; i < o->sack_count; i++) {
        uint32_t a = (uint32_t)nst_rng_below(r, 200000);
        o->sack[i].start = a;
        o->sack[i].end = a + (uint32_t)nst_rng_below(r, 5000) - 1000;
    }
}

static void test_random_segments(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    char data[20000];
    memset(data, 'r', sizeof(data));
    nst_send(s->st, fd, data, sizeof(data), 0);
    struct nst_rng r;
    nst_rng_seed(&r, 7);
    nst_time_t t = SEC(1);
    static uint8_t frame[4000];
    for (int i = 0; i < 20000; i++) {
        t += (nst_time_t)nst_rng_below(&r, MS(5));
        struct ts_seg g;
        memset(&g, 0, sizeof(g));
        g.flags = (uint8_t)nst_rng_next(&r);
        uint64_t where = nst_rng_below(&r, 4);
        /* Near the right numbers often, anywhere sometimes. */
        g.seq = where ? 1 + (uint32_t)nst_rng_below(&r, 70000) - 5000 : (uint32_t)nst_rng_next(&r);
        g.ack = where ? (uint32_t)nst_rng_below(&r, 30000) : (uint32_t)nst_rng_next(&r);
        g.win = (uint16_t)nst_rng_next(&r);
        g.len = (uint32_t)nst_rng_below(&r, 1500);
        random_opts(&r, &g.opts);
        if (nst_rng_below(&r, 3) == 0)
            g.sport = (uint16_t)(40000 + nst_rng_below(&r, 4)); /* other tuples */
        if (nst_rng_below(&r, 5) == 0)
            g.dport = (uint16_t)(8079 + nst_rng_below(&r, 3));
        size_t n = ts_build(s, &g, frame, sizeof(frame));
        uint64_t mangle = nst_rng_below(&r, 10);
        if (mangle == 0 && n > 40) {
            /* Truncate inside the TCP header (fix the IP length). */
            size_t cut = 14 + 20 + nst_rng_below(&r, 20);
            frame[14 + 2] = (uint8_t)((cut - 14) >> 8);
            frame[14 + 3] = (uint8_t)(cut - 14);
            frame[14 + 10] = frame[14 + 11] = 0;
            uint32_t sum = 0;
            for (int k = 0; k < 20; k += 2)
                sum += (uint32_t)(frame[14 + k] << 8 | frame[14 + k + 1]);
            while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
            frame[14 + 10] = (uint8_t)(~sum >> 8);
            frame[14 + 11] = (uint8_t)~sum;
            n = cut < 60 ? 60 : cut;
        } else if (mangle == 1 && n > 60) {
            frame[14 + 20 + 12] = (uint8_t)(nst_rng_next(&r) & 0xf0); /* data offset */
        } else if (mangle == 2 && n > 60) {
            frame[n - 1] ^= 0x5a; /* checksum now wrong */
        }
        ts_inject_frame(s, t, frame, n);
        if (i % 100 == 0) {
            ts_flush(s);
            char b[4096];
            while (nst_recv(s->st, fd, b, sizeof(b), 0) > 0)
                ;
            nst_accept(s->st, lfd, NULL);
            CHECK(tu_total(s) <= 64);
        }
    }
    ts_flush(s);
    const struct nst_stats *st = tu_stats(s);
    CHECK(st->tcp_rx_malformed > 0);
    CHECK(st->tcp_rx_bad_checksum > 0);
    /* Whatever happened, after everything has timed out the listener is
     * still there and serves a new connection. */
    ts_run_until(s, t + SEC(3600));
    ts_flush(s);
    CHECK(tu_count(s, NST_TCPS_LISTEN) == 1);
    s->peer_isn = 99;
    INJECT(s, t + SEC(3601), .flags = F_S, .seq = 0, .win = 65535, .sport = 50123);
    EXPECT(s, t + SEC(3601), .flags = F_SA, .seq = 0, .ack = 1, .dport = 50123, .check = TS_DEFAULT_CHECK | TS_PORTS);
    ts_free(s);
}

int main(void)
{
    RUN(test_syn_flood);
    RUN(test_sender_sws);
    RUN(test_orphan_limits);
    RUN(test_random_segments);
    return nst_test_done();
}
