/* Receive-side scaling (src/link/rss.c) and the ephemeral ports it steers
 * (src/socket/ports.c, nst_stack_config.port_steer).
 *   - the Toeplitz hash gives the values of Microsoft's RSS specification
 *     ("Verifying the RSS Hash Calculation"), IPv4 alone and with ports;
 *   - Linux's default indirection table spreads hashes round-robin;
 *   - a stack on queue q of n picks, for TCP connects and UDP sends, only
 *     ports whose replies hash back to q (all 64 of 64), across n = 2 and
 *     4 and every q; a stack without steering spreads over all queues. */
#include <nstack/nstack.h>
#include <nstack/rss.h>
#include <errno.h>
#include <string.h>

#include "support/sim_util.h"
#include "test.h"

#define HOST NST_IP4(10, 0, 0, 1)
#define PEER NST_IP4(10, 0, 0, 2)
#define NCONN 64

/* The specification's table: destination, source (address and port), then
 * the IPv4 hash and the IPv4-with-TCP hash. */
static const struct {
    nst_ip4_t dst;
    uint16_t dport;
    nst_ip4_t src;
    uint16_t sport;
    uint32_t ip, tcp;
} vectors[] = {
    {NST_IP4(161, 142, 100, 80), 1766, NST_IP4(66, 9, 149, 187), 2794, 0x323e8fc2, 0x51ccc178},
    {NST_IP4(65, 69, 140, 83), 4739, NST_IP4(199, 92, 111, 2), 14230, 0xd718262a, 0xc626b0ea},
    {NST_IP4(12, 22, 207, 184), 38024, NST_IP4(24, 19, 198, 95), 12898, 0xd2d0a5de, 0x5c2b394a},
    {NST_IP4(209, 142, 163, 6), 2217, NST_IP4(38, 27, 205, 30), 48228, 0x82989176, 0xafc7327f},
    {NST_IP4(202, 188, 127, 2), 1303, NST_IP4(153, 39, 163, 191), 44251, 0x5d1809c5, 0x10e828a2},
};

static void test_toeplitz_vectors(void)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        uint8_t in[8];
        for (int b = 0; b < 4; b++) {
            in[b] = (uint8_t)(vectors[i].src >> (24 - 8 * b));
            in[4 + b] = (uint8_t)(vectors[i].dst >> (24 - 8 * b));
        }
        CHECK_EQ(nst_rss_toeplitz(nst_rss_default_key, in, 8), vectors[i].ip);
        CHECK_EQ(nst_rss_hash_ip4(nst_rss_default_key, vectors[i].src, vectors[i].dst, vectors[i].sport,
                                  vectors[i].dport),
                 vectors[i].tcp);
    }
}

static void test_indirection(void)
{
    struct nst_rss r;
    CHECK_EQ(nst_rss_init(&r, 3, 128, 1), 0);
    CHECK_EQ(r.indir[0], 0);
    CHECK_EQ(r.indir[4], 1);
    CHECK_EQ(r.indir[127], 1);
    /* The first vector's hash, 0x51ccc178: entry 0x78 = 120, queue 0 of 3. */
    CHECK_EQ(nst_rss_queue(&r, vectors[0].src, vectors[0].dst, vectors[0].sport, vectors[0].dport), 120 % 3);
    CHECK_EQ(nst_rss_init(&r, 2, 100, 0), -EINVAL);
    CHECK_EQ(nst_rss_init(&r, 2, 128, 2), -EINVAL);
    CHECK_EQ(nst_rss_init(&r, 0, 128, 0), -EINVAL);
}

/* The ports a stack (steered to queue q of n, or not if n == 0) picks for
 * NCONN TCP connects and one connected UDP socket's send; counts[queue] says where the peer's
 * replies land. */
static void pick_ports(unsigned n, unsigned q, unsigned counts[4])
{
    struct nst_rss rss;
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    cfg.deterministic = 1;
    cfg.seed = 7 + n * 4 + q;
    if (n) {
        CHECK_EQ(nst_rss_init(&rss, n, 128, q), 0);
        cfg.port_steer = nst_rss_port_steer;
        cfg.port_steer_arg = &rss;
    }
    struct nst_rss all;
    nst_rss_init(&all, n ? n : 4, 128, 0);
    struct nst_stack *st = nst_stack_new(&cfg);
    struct su_tap tap;
    struct nst_mac me = su_mac(1), peer = su_mac(2);
    CHECK_EQ(su_tap_attach(st, &tap, &me, HOST, 24, 1500), 0);
    CHECK_EQ(nst_arp_add_static(st, 0, PEER, &peer), 0);
    nst_stack_poll(st, NST_SEC(1));
    struct su_parsed p;
    for (int i = 0; i < NCONN; i++) {
        int fd = nst_socket(st, NST_SOCK_STREAM);
        struct nst_sockaddr to = {PEER, (uint16_t)(80 + i % 4)};
        CHECK_EQ(nst_connect(st, fd, &to), -EINPROGRESS);
        CHECK_EQ(su_parse(tap.v[tap.n - 1].data, tap.v[tap.n - 1].len, &p), 0);
        uint16_t sport = nst_get16(p.l4);
        counts[nst_rss_queue(&all, PEER, HOST, to.port, sport)]++;
    }
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr to = {PEER, 53};
    CHECK_EQ(nst_connect(st, fd, &to), 0);
    CHECK_EQ(nst_send(st, fd, "q", 1, 0), 1);
    CHECK_EQ(su_parse(tap.v[tap.n - 1].data, tap.v[tap.n - 1].len, &p), 0);
    CHECK(p.udp_ok);
    counts[nst_rss_queue(&all, PEER, HOST, 53, p.udp.src_port)]++;
    nst_stack_free(st);
    su_tap_free(&tap);
}

static void test_ports_steered(void)
{
    for (unsigned n = 2; n <= 4; n += 2)
        for (unsigned q = 0; q < n; q++) {
            unsigned counts[4] = {0};
            pick_ports(n, q, counts);
            CHECK_EQ(counts[q], NCONN + 1);
        }
}

static void test_ports_unsteered_spread(void)
{
    unsigned counts[4] = {0};
    pick_ports(0, 0, counts);
    for (int q = 0; q < 4; q++)
        CHECK(counts[q] > 0 && counts[q] < NCONN + 1);
}

int main(void)
{
    RUN(test_toeplitz_vectors);
    RUN(test_indirection);
    RUN(test_ports_steered);
    RUN(test_ports_unsteered_spread);
    return nst_test_done();
}
