/* ECN on the IP path and on the simulated network (RFC 3168 5):
 *   - the wire helper that marks CE (and leaves Not-ECT alone), checksum
 *     patched per RFC 1624;
 *   - a router forwards the ECN field untouched, whatever the DSCP;
 *   - the simulated link's marking queue (nst_link_params.
 *     ecn_mark_threshold): Not-ECT traffic is only ever tail-dropped, an
 *     ECT burst is marked exactly from the K-th waiting frame on;
 *   - end to end through a bottleneck: with ECN the transfer completes
 *     with no loss and no retransmission, the queue marking and the
 *     sender halving its window instead; without ECN the same path
 *     tail-drops and TCP retransmits. Every byte arrives, in order. */
#include <errno.h>
#include <stdlib.h>

#include "core/util.h"
#include "support/sim_util.h"
#include "test.h"

#include <nstack/tcp_info.h>

#define PORT 5001
#define MSS 1460u

/* ---- the wire helper ---------------------------------------------------------------------- */

static void test_mark_ce(void)
{
    static const struct {
        uint8_t tos, after;
        int ret;
    } cases[] = {
        {0x02, 0x03, 1},  /* ECT(0) -> CE */
        {0x01, 0x03, 1},  /* ECT(1) -> CE */
        {0xb8, 0xb8, 0},  /* Not-ECT (DSCP EF): never marked */
        {0xbb, 0xbb, 0},  /* already CE */
        {0xba, 0xbb, 1},  /* the DSCP stays */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t h[NST_IPV4_HLEN];
        struct nst_ipv4_repr r = {.tos = cases[i].tos, .total_len = 20, .id = 7, .ttl = 64, .proto = 17,
                                  .src = NST_IP4(10, 0, 0, 1), .dst = NST_IP4(10, 0, 0, 2)};
        nst_ipv4_emit(&r, h);
        CHECK_EQ(nst_ipv4_mark_ce(h, sizeof(h)), cases[i].ret);
        CHECK_EQ(h[1], cases[i].after);
        CHECK_EQ(nst_inet_checksum(h, sizeof(h)), 0); /* still a valid header */
    }
    uint8_t arp[28] = {0x00, 0x01};
    CHECK_EQ(nst_ipv4_mark_ce(arp, sizeof(arp)), -1);
    uint8_t h[NST_IPV4_HLEN] = {0x45, 0x02};
    CHECK_EQ(nst_ipv4_mark_ce(h, 19), -1);
}

/* ---- a router keeps the field (RFC 3168 5) ----------------------------------------------- */

static void test_router_keeps_ecn(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.forwarding = 1;
    struct nst_stack *r = nst_stack_new(&c);
    struct su_tap t[2];
    const nst_ip4_t addr[2] = {NST_IP4(10, 1, 0, 1), NST_IP4(10, 2, 0, 1)};
    struct nst_mac nb[2] = {su_mac(0x10), su_mac(0x11)};
    for (int i = 0; i < 2; i++) {
        struct nst_mac m = su_mac((uint8_t)(1 + i));
        CHECK_EQ(su_tap_attach(r, &t[i], &m, addr[i], 24, 1500), i);
    }
    CHECK_EQ(nst_arp_add_static(r, 1, NST_IP4(10, 2, 0, 9), &nb[1]), 0);
    static const uint8_t tos[] = {0x00, 0x01, 0x02, 0x03, 0xb8, 0xbb};
    uint8_t frame[SU_FRAME_MAX];
    for (size_t i = 0; i < sizeof(tos); i++) {
        struct su_ip ip = {.eth_src = nb[0], .eth_dst = t[0].mac, .tos = tos[i], .ttl = 9,
                           .src = NST_IP4(10, 1, 0, 9), .dst = NST_IP4(10, 2, 0, 9), .id = (uint16_t)(100 + i)};
        size_t n = su_build_udp(frame, &ip, 1000, 2000, "ecn", 3);
        su_tap_inject(&t[0], frame, n, NST_SEC(1));
        CHECK_EQ(t[1].n, i + 1);
        struct su_parsed p;
        CHECK_EQ(su_parse(t[1].v[i].data, t[1].v[i].len, &p), 0); /* checksum verified */
        CHECK_EQ(p.ip.tos, tos[i]);
        CHECK_EQ(p.ip.ttl, 8);
    }
    CHECK_EQ(nst_stack_stats(r)->ip_forwarded, sizeof(tos));
    nst_stack_free(r);
    for (int i = 0; i < 2; i++)
        su_tap_free(&t[i]);
}

/* ---- the link's marking queue ------------------------------------------------------------ */

/* A link of bps whose queue marks ECT frames from `mark` waiting on
 * (nst_link_params.ecn_mark_threshold); the rest as by default. */
static struct nst_link_params marking_link(uint64_t bps, uint32_t mark)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.bandwidth_bps = bps;
    lp.ecn_mark_threshold = mark;
    return lp;
}

/* Hosts a and b (TCP's ECN mode `ecn`, ARP entries that last the test)
 * joined by a link lp: one check that the world is built. */
static void pair_up(struct su_pair *p, uint64_t seed, int ecn, const struct nst_link_params *lp)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    nst_tcp_config_default(&c.tcp);
    c.tcp.ecn = ecn;
    /* Plain slow start, so that the queue fills and must mark or drop
     * (HyStart++ would leave it before: sim/test_tcp_hystart). */
    c.tcp.hystart = 0;
    c.arp_entry_ttl = NST_SEC(3600);
    CHECK_EQ(su_pair_build(p, seed, &c, lp), 0);
}

/* Not-ECT datagrams (UDP) are never marked: 20 at once into a queue of 8
 * behind one on the wire, 11 tail-dropped, whatever the threshold. */
static void test_not_ect_tail_dropped(void)
{
    struct nst_link_params lp = marking_link(1000000, 2);
    lp.queue_limit = 8;
    struct su_pair p;
    pair_up(&p, 1, 1, &lp);
    int fa = su_udp_bound(p.a, SU_A_ADDR, 1000), fb = su_udp_bound(p.b, SU_B_ADDR, 2000);
    struct nst_sockaddr to = {SU_B_ADDR, 2000};
    CHECK_EQ(nst_sendto(p.a, fa, "warm", 4, 0, &to), 4); /* ARP first */
    nst_world_run_until(p.w, NST_SEC(1));
    char b[200] = {0};
    CHECK_EQ(nst_recv(p.b, fb, b, sizeof(b), 0), 4);
    const struct nst_sim_link_stats *ls = nst_sim_link_stats(p.l, 0);
    uint64_t offered = ls->offered;
    for (int i = 0; i < 20; i++)
        CHECK_EQ(nst_sendto(p.a, fa, b, 100, 0, &to), 100);
    nst_world_run_until(p.w, NST_SEC(2));
    CHECK_EQ(ls->offered - offered, 20);
    CHECK_EQ(ls->queue_drops, 11);
    CHECK_EQ(ls->ce_marked, 0);
    int got = 0;
    while (nst_recv(p.b, fb, b, sizeof(b), 0) == 100)
        got++;
    CHECK_EQ(got, 9);
    su_pair_free(&p);
}

/* An ECN connection's initial window, ten segments at once: frame i finds
 * i - 1 waiting (the first goes straight onto the wire), so with K = 3
 * frames 5 to 10 are marked CE: 6 marks, each echoed, one reduction. */
static void test_ect_burst_marked(void)
{
    struct nst_link_params lp = marking_link(10000000, 3);
    struct su_pair p;
    pair_up(&p, 1, 1, &lp);
    int lfd = nst_socket(p.a, NST_SOCK_STREAM);
    struct nst_sockaddr la = {0, PORT}, ra = {SU_A_ADDR, PORT};
    CHECK_EQ(nst_bind(p.a, lfd, &la), 0);
    CHECK_EQ(nst_listen(p.a, lfd, 4), 0);
    int cfd = nst_socket(p.b, NST_SOCK_STREAM);
    CHECK_EQ(nst_connect(p.b, cfd, &ra), -EINPROGRESS);
    nst_world_run_until(p.w, NST_SEC(1));
    int sfd = nst_accept(p.a, lfd, NULL);
    CHECK(sfd >= 0);
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    CHECK_EQ(nst_getsockopt(p.b, cfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len), 0);
    CHECK_EQ(ti.options & NST_TCPI_OPT_ECN, NST_TCPI_OPT_ECN);
    CHECK_EQ(ti.snd_mss, MSS - 12); /* timestamps on */
    static char data[10 * (MSS - 12)];
    CHECK_EQ(nst_send(p.b, cfd, data, sizeof(data), 0), (long long)sizeof(data));
    nst_world_run_until(p.w, NST_SEC(2));
    const struct nst_sim_link_stats *up = nst_sim_link_stats(p.l, 1), *down = nst_sim_link_stats(p.l, 0);
    CHECK_EQ(up->ce_marked, 6);
    CHECK_EQ(up->queue_drops, 0);
    CHECK_EQ(down->ce_marked, 0); /* ACKs are Not-ECT */
    CHECK_EQ(nst_stack_stats(p.a)->tcp_ecn_ce_received, 6);
    CHECK_EQ(nst_stack_stats(p.b)->tcp_ecn_reductions, 1);
    CHECK_EQ(nst_stack_stats(p.b)->tcp_retransmits, 0);
    char b[sizeof(data)];
    CHECK_EQ(nst_recv(p.a, sfd, b, sizeof(b), 0), (long long)sizeof(data));
    len = sizeof(ti);
    nst_getsockopt(p.a, sfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    CHECK_EQ(ti.options & (NST_TCPI_OPT_ECN | NST_TCPI_OPT_ECN_SEEN), NST_TCPI_OPT_ECN | NST_TCPI_OPT_ECN_SEEN);
    su_pair_free(&p);
}

/* ---- end to end through a bottleneck -------------------------------------------------------- */

struct outcome {
    uint64_t retransmits, ce_marked, queue_drops, ce_received, reductions, cwr_sent;
    nst_time_t duration;
};

/* 2 MB from b to a through 10 Mbit/s, 20 ms RTT, a queue of 100 frames
 * marking ECT from 10 waiting on. */
static struct outcome transfer(int ecn)
{
    struct outcome o = {0};
    struct nst_link_params lp = marking_link(10000000, 10);
    lp.latency = NST_MSEC(10);
    lp.queue_limit = 100;
    struct su_pair p;
    pair_up(&p, 7, ecn, &lp);
    struct su_xfer *x = su_xfer_start(&p, PORT, 2u << 20);
    CHECK(x != NULL);
    nst_time_t t0 = nst_world_now(p.w);
    CHECK(nst_world_run_until_cond(p.w, su_xfer_pump, x, t0 + NST_SEC(120)));
    o.duration = nst_world_now(p.w) - t0;
    CHECK_EQ(x->received, x->total);
    CHECK(x->rx_hash == x->tx_hash);
    const struct nst_stats *cs = nst_stack_stats(p.b), *ss = nst_stack_stats(p.a);
    const struct nst_sim_link_stats *up = nst_sim_link_stats(p.l, 1);
    o.retransmits = cs->tcp_retransmits;
    o.ce_marked = up->ce_marked;
    o.queue_drops = up->queue_drops;
    o.ce_received = ss->tcp_ecn_ce_received;
    o.reductions = cs->tcp_ecn_reductions;
    o.cwr_sent = cs->tcp_ecn_cwr_sent;
    CHECK_EQ(cs->tcp_ecn_negotiated, (uint64_t)(ecn != 0));
    fprintf(stderr, "  ecn=%d: %.3f s, %llu retransmitted, %llu tail drops, %llu CE marks (%llu seen), "
                    "%llu reductions, %llu CWR\n",
            ecn, (double)o.duration / 1e9, (unsigned long long)o.retransmits, (unsigned long long)o.queue_drops,
            (unsigned long long)o.ce_marked, (unsigned long long)o.ce_received, (unsigned long long)o.reductions,
            (unsigned long long)o.cwr_sent);
    free(x);
    su_pair_free(&p);
    return o;
}

static void test_bottleneck_with_and_without_ecn(void)
{
    struct outcome e = transfer(1);
    CHECK_EQ(e.retransmits, 0);
    CHECK_EQ(e.queue_drops, 0);
    /* Seed 7, CUBIC: the exact run (no loss, so loss recovery plays no
     * part): 106 marks, five windows halved, a CWR after each. */
    CHECK_EQ(e.ce_marked, 106);
    CHECK_EQ(e.ce_received, e.ce_marked); /* every mark reached the receiver */
    CHECK_EQ(e.reductions, 5);
    CHECK_EQ(e.cwr_sent, 5);
    /* The same run again: the same run, packet for packet. */
    struct outcome e2 = transfer(1);
    CHECK_EQ(e2.ce_marked, e.ce_marked);
    CHECK_EQ(e2.reductions, e.reductions);
    CHECK_EQ(e2.duration, e.duration);
    /* Without ECN the queue can only drop: losses, retransmissions. */
    struct outcome d = transfer(0);
    CHECK_EQ(d.ce_marked, 0);
    CHECK(d.queue_drops > 0);
    CHECK(d.retransmits > 0);
    CHECK_EQ(d.reductions, 0);
}

int main(void)
{
    RUN(test_mark_ce);
    RUN(test_router_keeps_ecn);
    RUN(test_not_ect_tail_dropped);
    RUN(test_ect_burst_marked);
    RUN(test_bottleneck_with_and_without_ecn);
    return nst_test_done();
}
