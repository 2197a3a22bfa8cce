/* The ICMP error rate limits (RFC 1812 4.3.2.8, src/ip/icmp.c). With the
 * defaults: a budget per destination, so one sender's flood cannot silence
 * another's errors, and a shared budget whose exact size cannot be counted
 * (SAD DNS, CVE-2020-25705). The shared bucket itself is a token
 * bucket kept in integers. A router whose TTL-expired datagrams each ask
 * for a Time Exceeded; at exact virtual times, the burst passes, the next
 * error is suppressed and counted, and the n-th token after that comes
 * back exactly ceil(n * 1e9 / rate) ns later, not a nanosecond earlier,
 * however many suppressed errors were asked for in between (no drift). */
#include <nstack/nstack.h>

#include "core/stack_impl.h"
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

static void router_up_cfg(struct router *r, struct nst_stack_config *c)
{
    c->forwarding = 1;
    r->st = nst_stack_new(c);
    struct nst_mac m0 = su_mac(1), m1 = su_mac(2);
    CHECK_EQ(su_tap_attach(r->st, &r->t[0], &m0, NST_IP4(10, 1, 0, 1), 24, 1500), 0);
    CHECK_EQ(su_tap_attach(r->st, &r->t[1], &m1, NST_IP4(10, 2, 0, 1), 24, 1500), 1);
    r->nb = su_mac(0x10);
    CHECK_EQ(nst_arp_add_static(r->st, 0, SENDER, &r->nb), 0);
    r->id = 0;
    nst_stack_poll(r->st, T0);
}

/* The shared bucket alone, each error costing exactly one token. */
static void router_up(struct router *r, unsigned rate, unsigned burst)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.icmp_rate_per_sec = rate;
    c.icmp_burst = burst;
    c.icmp_random_cost = 0;
    c.icmp_dst_interval = 0;
    router_up_cfg(r, &c);
}

static void router_down(struct router *r)
{
    nst_stack_free(r->st);
    su_tap_free(&r->t[0]);
    su_tap_free(&r->t[1]);
}

static uint64_t limited(const struct router *r) { return nst_stack_stats(r->st)->icmp_rate_limited; }

/* One datagram from src whose TTL runs out here, at time t. 1 if a Time
 * Exceeded went back to the sender, 0 if none did. */
static int probe_from(struct router *r, nst_ip4_t src, nst_time_t t)
{
    struct su_ip x = {.eth_src = r->nb, .eth_dst = r->t[0].mac, .ttl = 1, .id = r->id++, .src = src,
                      .dst = FAR};
    size_t n = su_build_udp(frame, &x, 4000, 33434, NULL, 0);
    size_t before = r->t[0].n;
    su_tap_inject(&r->t[0], frame, n, t);
    size_t sent = r->t[0].n - before;
    if (sent == 1) {
        struct su_parsed p;
        CHECK_EQ(su_parse(r->t[0].v[before].data, r->t[0].v[before].len, &p), 0);
        CHECK_EQ(p.icmp.type, NST_ICMP_TIME_EXCEEDED);
        CHECK_EQ(p.ip.dst, src);
        CHECK_EQ(r->t[0].v[before].at, t);
    }
    if (r->t[0].n > 1000)
        su_tap_clear(&r->t[0]);
    CHECK(sent <= 1);
    return (int)sent;
}

static int probe(struct router *r, nst_time_t t) { return probe_from(r, SENDER, t); }

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

/* ---- the defaults: per-destination buckets and a random cost ------------- */

static uint64_t limited_dst(const struct router *r) { return nst_stack_stats(r->st)->icmp_rate_limited_dst; }

/* Sender k of the 10.1.0.0/24 side (k = 0 is SENDER), its MAC known. */
static nst_ip4_t sender(struct router *r, unsigned k)
{
    nst_ip4_t a = SENDER + k;
    if (k)
        CHECK_EQ(nst_arp_add_static(r->st, 0, a, &r->nb), 0);
    return a;
}

static void router_up_defaults(struct router *r, uint64_t seed)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.seed = seed;
    router_up_cfg(r, &c);
}

/* A hundred expiring datagrams from one sender at once draw its 6 errors
 * and no more; they take nothing from the shared bucket beyond those 6, so
 * another sender asking at the same instant still gets its own 6. One
 * second later the first has earned exactly one more. */
static void test_one_destination_cannot_starve_another(void)
{
    struct router r;
    router_up_defaults(&r, 1);
    nst_ip4_t other = sender(&r, 1);
    int passed = 0;
    for (int i = 0; i < 100; i++)
        passed += probe_from(&r, SENDER, T0);
    CHECK_EQ(passed, 6);
    CHECK_EQ(limited_dst(&r), 94);
    CHECK_EQ(limited(&r), 0);
    passed = 0;
    for (int i = 0; i < 10; i++)
        passed += probe_from(&r, other, T0);
    CHECK_EQ(passed, 6);
    CHECK_EQ(limited_dst(&r), 98);
    CHECK_EQ(limited(&r), 0);
    CHECK_EQ(probe_from(&r, SENDER, T0 + NST_SEC(1) - 1), 0);
    CHECK_EQ(probe_from(&r, SENDER, T0 + NST_SEC(1)), 1);
    CHECK_EQ(probe_from(&r, SENDER, T0 + NST_SEC(1)), 0);
    /* Idle long enough, a burst of 6 again, not 7. */
    passed = 0;
    for (int i = 0; i < 10; i++)
        passed += probe_from(&r, other, T0 + NST_SEC(60));
    CHECK_EQ(passed, 6);
    CHECK_EQ(nst_stack_stats(r.st)->icmp_tx_time_exceeded, 6 + 6 + 1 + 6);
    router_down(&r);
}

#define MANY 200

/* The shared budget is not a constant an attacker can count: 200 senders
 * (each well within its own budget) asking at one instant get about 50
 * errors, each costing 0, 1 or 2 tokens, so how many pass differs from one
 * stack (seed) to another; never fewer than 25 (the cost is at most 2), 50
 * on average. */
static void test_shared_budget_is_random(void)
{
    unsigned lo = ~0u, hi = 0, sum = 0;
    const unsigned runs = 20;
    for (unsigned s = 0; s < runs; s++) {
        struct router r;
        router_up_defaults(&r, 100 + s);
        unsigned passed = 0;
        for (unsigned k = 0; k < MANY; k++)
            passed += (unsigned)probe_from(&r, sender(&r, k), T0);
        CHECK_EQ(passed + limited(&r), MANY);
        CHECK_EQ(limited_dst(&r), 0);
        CHECK(passed >= 25);
        lo = passed < lo ? passed : lo;
        hi = passed > hi ? passed : hi;
        sum += passed;
        /* The per-destination table stays at its 64 slots: the earliest
         * senders' slots went to later ones. */
        for (int i = 0; i < NST_ICMP_PEERS; i++)
            CHECK(r.st->ip.icmp_peers[i].addr >= SENDER + MANY - NST_ICMP_PEERS);
        router_down(&r);
    }
    CHECK(lo < hi);
    CHECK(sum >= 45 * runs && sum <= 55 * runs);
}

int main(void)
{
    RUN(test_burst_then_one_per_interval);
    RUN(test_tokens_at_exact_fractions);
    RUN(test_long_idle);
    RUN(test_zero_burst_and_rate);
    RUN(test_one_destination_cannot_starve_another);
    RUN(test_shared_budget_is_random);
    return nst_test_done();
}
