/* The ICMP error rate limit (RFC 1812 4.3.2.8, src/ip/icmp.c): a token
 * bucket kept in integers. A router whose TTL-expired datagrams each ask
 * for a Time Exceeded; at exact virtual times, the burst passes, the next
 * error is suppressed and counted, and the n-th token after that comes
 * back exactly ceil(n * 1e9 / rate) ns later, not a nanosecond earlier,
 * however many suppressed errors were asked for in between (no drift). */
#include <nstack/nstack.h>

#include "support/sim_util.h"
#include "test.h"

#define T0 NST_SEC(5)
#define SENDER NST_IP4(10, 1, 0, 9)
#define FAR NST_IP4(10, 2, 0, 9)

static uint8_t frame[SU_FRAME_MAX];

struct router {
    struct nst_stack *st;
    struct su_tap t[2];
    struct nst_mac nb;
    uint16_t id;
};

static void router_up(struct router *r, unsigned rate, unsigned burst)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.forwarding = 1;
    c.icmp_rate_per_sec = rate;
    c.icmp_burst = burst;
    c.icmp_random_cost = 0; /* each error costs exactly one token */
    c.icmp_dst_interval = 0; /* the shared bucket alone */
    r->st = nst_stack_new(&c);
    struct nst_mac m0 = su_mac(1), m1 = su_mac(2);
    CHECK_EQ(su_tap_attach(r->st, &r->t[0], &m0, NST_IP4(10, 1, 0, 1), 24, 1500), 0);
    CHECK_EQ(su_tap_attach(r->st, &r->t[1], &m1, NST_IP4(10, 2, 0, 1), 24, 1500), 1);
    r->nb = su_mac(0x10);
    CHECK_EQ(nst_arp_add_static(r->st, 0, SENDER, &r->nb), 0);
    r->id = 0;
    nst_stack_poll(r->st, T0);
}

static void router_down(struct router *r)
{
    nst_stack_free(r->st);
    su_tap_free(&r->t[0]);
    su_tap_free(&r->t[1]);
}

static uint64_t limited(const struct router *r) { return nst_stack_stats(r->st)->icmp_rate_limited; }

/* One datagram whose TTL runs out here, at time t. 1 if a Time Exceeded
 * went back to the sender, 0 if none did. */
static int probe(struct router *r, nst_time_t t)
{
    struct su_ip x = {.eth_src = r->nb, .eth_dst = r->t[0].mac, .ttl = 1, .id = r->id++, .src = SENDER,
                      .dst = FAR};
    size_t n = su_build_udp(frame, &x, 4000, 33434, NULL, 0);
    size_t before = r->t[0].n;
    su_tap_inject(&r->t[0], frame, n, t);
    size_t sent = r->t[0].n - before;
    if (sent == 1) {
        struct su_parsed p;
        CHECK_EQ(su_parse(r->t[0].v[before].data, r->t[0].v[before].len, &p), 0);
        CHECK_EQ(p.icmp.type, NST_ICMP_TIME_EXCEEDED);
        CHECK_EQ(r->t[0].v[before].at, t);
    }
    if (r->t[0].n > 1000)
        su_tap_clear(&r->t[0]);
    CHECK(sent <= 1);
    return (int)sent;
}

/* The defaults: burst 50, 1000 a second (one token per 1 ms exactly). */
static void test_burst_then_one_per_interval(void)
{
    struct router r;
    router_up(&r, 1000, 50);
    for (int i = 0; i < 50; i++)
        CHECK_EQ(probe(&r, T0), 1);
    CHECK_EQ(limited(&r), 0);
    CHECK_EQ(probe(&r, T0), 0); /* the 51st */
    CHECK_EQ(limited(&r), 1);
    CHECK_EQ(probe(&r, T0 + NST_MSEC(1) - 1), 0);
    CHECK_EQ(limited(&r), 2);
    CHECK_EQ(probe(&r, T0 + NST_MSEC(1)), 1);
    CHECK_EQ(probe(&r, T0 + NST_MSEC(1)), 0); /* exactly one */
    CHECK_EQ(limited(&r), 3);
    /* The next one, 1 ms after that, even with a suppressed ask between. */
    CHECK_EQ(probe(&r, T0 + NST_USEC(1500)), 0);
    CHECK_EQ(probe(&r, T0 + NST_MSEC(2) - 1), 0);
    CHECK_EQ(probe(&r, T0 + NST_MSEC(2)), 1);
    CHECK_EQ(limited(&r), 5);
    CHECK_EQ(nst_stack_stats(r.st)->icmp_tx_time_exceeded, 52);
    CHECK_EQ(nst_stack_stats(r.st)->ip_drop_ttl_expired, 57);
    /* Idle: 1 ns short of the 50 ms that refill 50 tokens, 49 whole ones
     * are there; at 50 ms the 50th; 50 ms later the whole burst again and
     * not a token more (the bucket holds 50). */
    nst_time_t t = T0 + NST_MSEC(2) + NST_MSEC(50);
    int passed = 0;
    for (int i = 0; i < 60; i++)
        passed += probe(&r, t - 1);
    CHECK_EQ(passed, 49);
    CHECK_EQ(probe(&r, t), 1);
    CHECK_EQ(probe(&r, t), 0);
    passed = 0;
    for (int i = 0; i < 60; i++)
        passed += probe(&r, t + NST_MSEC(50));
    CHECK_EQ(passed, 50);
    CHECK_EQ(limited(&r), 5 + 11 + 1 + 10);
    router_down(&r);
}

/* A rate that does not divide a second: 3 a second, burst 2. The n-th
 * token after the bucket empties at T0 comes at T0 + ceil(n * 1e9 / 3). */
static void test_tokens_at_exact_fractions(void)
{
    struct router r;
    router_up(&r, 3, 2);
    CHECK_EQ(probe(&r, T0), 1);
    CHECK_EQ(probe(&r, T0), 1);
    CHECK_EQ(probe(&r, T0), 0);
    uint64_t asked = 1;
    for (int n = 1; n <= 30; n++) {
        nst_time_t due = T0 + (nst_time_t)(((uint64_t)n * 1000000000u + 2) / 3);
        /* Suppressed asks every 7 ms since the last token (each one adds
         * its elapsed credit: with rounding, these would drift). */
        nst_time_t last = T0 + (nst_time_t)(((uint64_t)(n - 1) * 1000000000u + 2) / 3);
        for (nst_time_t t = last + NST_MSEC(7); t < due - 1; t += NST_MSEC(7)) {
            CHECK_EQ(probe(&r, t), 0);
            asked++;
        }
        CHECK_EQ(probe(&r, due - 1), 0);
        asked++;
        CHECK_EQ(probe(&r, due), 1);
        CHECK_EQ(probe(&r, due), 0);
        asked++;
    }
    CHECK_EQ(limited(&r), asked);
    CHECK_EQ(nst_stack_stats(r.st)->icmp_tx_time_exceeded, 32);
    router_down(&r);
}

/* A whole year idle refills the bucket to its burst, no overflow. */
static void test_long_idle(void)
{
    struct router r;
    router_up(&r, 1000, 50);
    for (int i = 0; i < 51; i++)
        probe(&r, T0);
    CHECK_EQ(limited(&r), 1);
    nst_time_t t = T0 + NST_SEC(365LL * 24 * 3600);
    int passed = 0;
    for (int i = 0; i < 60; i++)
        passed += probe(&r, t);
    CHECK_EQ(passed, 50);
    CHECK_EQ(limited(&r), 11);
    router_down(&r);
}

/* Burst 0 sends nothing; rate 0 never refills. */
static void test_zero_burst_and_rate(void)
{
    struct router r;
    router_up(&r, 1000, 0);
    CHECK_EQ(probe(&r, T0), 0);
    CHECK_EQ(probe(&r, T0 + NST_SEC(10)), 0);
    CHECK_EQ(limited(&r), 2);
    router_down(&r);
    router_up(&r, 0, 2);
    CHECK_EQ(probe(&r, T0), 1);
    CHECK_EQ(probe(&r, T0), 1);
    CHECK_EQ(probe(&r, T0 + NST_SEC(1000)), 0);
    CHECK_EQ(limited(&r), 1);
    router_down(&r);
}

int main(void)
{
    RUN(test_burst_then_one_per_interval);
    RUN(test_tokens_at_exact_fractions);
    RUN(test_long_idle);
    RUN(test_zero_burst_and_rate);
    return nst_test_done();
}
