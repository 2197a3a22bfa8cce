/* ReachableTime drawn anew (RFC 4861 6.3.4): "at least once every few
 * hours" (ip6_reachable_redraw, 2 h, checked when a neighbour entry
 * becomes REACHABLE), and whenever a Router Advertisement changes
 * BaseReachableTime (not when it repeats the same value). Each time an
 * entry turns REACHABLE its expiry is exactly ReachableTime away, and
 * each new ReachableTime is the draw predicted from a copy of the stack's
 * generator: BaseReachableTime x [0.5, 1.5) (6.3.2). */
#include <nstack/nstack.h>

#include "core/rng.h"
#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

static void run_until(struct su6_host *h, nst_time_t t)
{
    for (nst_time_t d; (d = nst_stack_next_deadline(h->st)) <= t;)
        nst_stack_poll(h->st, d);
    nst_stack_poll(h->st, t);
    h->now = t;
}

/* What the stack will draw next for BaseReachableTime base. */
static nst_time_t next_draw(struct su6_host *h, nst_time_t base)
{
    struct nst_rng copy = h->st->rng;
    return base / 2 + (nst_time_t)nst_rng_below(&copy, (uint64_t)base);
}

/* The peer introduces itself (STALE) and answers a solicitation: REACHABLE.
 * Returns how long it stays so, from the NA's arrival. */
static nst_time_t reach(struct su6_host *h)
{
    su6_peer_known(h);
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = h->peer,
                             .flags = NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE, .has_tgt_lladdr = 1,
                             .tgt_lladdr = h->peer_mac};
    struct su6_ip ip = su6_to_host(h);
    uint8_t f[200];
    su6_host_inject(h, f, su6_build_nd(f, &ip, &na));
    struct nst_neigh6_info v[4];
    int k = nst_neigh6_list(h->st, v, 4);
    for (int i = 0; i < k && i < 4; i++)
        if (nst_ip6_eq(&v[i].addr, &h->peer)) {
            CHECK_EQ(v[i].state, NST_NEIGH6_REACHABLE);
            return v[i].expires - h->now;
        }
    CHECK(0);
    return 0;
}

static void ra_reachable(struct su6_host *h, uint32_t ms)
{
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .cur_hop_limit = 64, .router_lifetime = 0,
                            .reachable_time = ms, .has_src_lladdr = 1, .src_lladdr = su_mac(9)};
    struct su6_ip ip = {.eth_src = su_mac(9), .src = su6_addr("fe80::1"), .dst = su6_addr("ff02::1")};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t f[200];
    su6_host_inject(h, f, su6_build_nd(f, &ip, &r));
}

static void test_redrawn_by_age(void)
{
    struct su6_host h;
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ip6_mld = 0;
    su6_host_up(&h, &c, NST_SEC(1));
    struct nst_ip6_iface *ifc = nst_ip6_if(h.st, 0);
    nst_time_t r0 = ifc->reachable; /* drawn when the interface came up, at 0 */
    CHECK(r0 >= NST_SEC(15) && r0 < NST_SEC(45));
    CHECK_EQ(reach(&h), r0);
    /* Just under two hours after that draw: the same value. */
    run_until(&h, NST_SEC(7200) - NST_MSEC(3));
    CHECK_EQ(reach(&h), r0); /* the NA arrives at 7200 s - 1 ms */
    /* Two hours: drawn anew when next needed. */
    run_until(&h, NST_SEC(7200) - NST_MSEC(1));
    nst_time_t r1 = next_draw(&h, NST_SEC(30)); /* su6_peer_known's NS draws nothing */
    CHECK_EQ(reach(&h), r1);                     /* the NA arrives 1 ms past 7200 s */
    CHECK(r1 != r0);
    CHECK_EQ(ifc->reachable, r1);
    /* and kept for the next two hours */
    run_until(&h, NST_SEC(7200) + NST_SEC(7200) - NST_MSEC(3));
    CHECK_EQ(reach(&h), r1);
    su6_host_down(&h);
}

static void test_redrawn_by_ra(void)
{
    struct su6_host h;
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ip6_mld = 0;
    su6_host_up(&h, &c, NST_SEC(1));
    struct nst_ip6_iface *ifc = nst_ip6_if(h.st, 0);
    nst_time_t r0 = ifc->reachable;
    run_until(&h, NST_SEC(10));
    nst_time_t r1 = next_draw(&h, NST_SEC(10));
    ra_reachable(&h, 10000); /* BaseReachableTime 30 s -> 10 s: a new draw */
    CHECK_EQ(ifc->base_reachable, NST_SEC(10));
    CHECK_EQ(ifc->reachable, r1);
    CHECK(r1 != r0 && r1 >= NST_SEC(5) && r1 < NST_SEC(15));
    CHECK_EQ(reach(&h), r1);
    /* The same value again: nothing drawn. */
    struct nst_rng before = h.st->rng;
    ra_reachable(&h, 10000);
    CHECK_EQ(ifc->reachable, r1);
    CHECK_MEM(&before, &h.st->rng, sizeof before);
    /* 0: unspecified, the value stays (6.3.4). */
    ra_reachable(&h, 0);
    CHECK_EQ(ifc->base_reachable, NST_SEC(10));
    CHECK_EQ(ifc->reachable, r1);
    /* Two hours after the RA's draw (10 s), not after the interface came up. */
    run_until(&h, NST_SEC(7200) + NST_SEC(5));
    CHECK_EQ(reach(&h), r1);
    su6_host_down(&h);
}

int main(void)
{
    RUN(test_redrawn_by_age);
    RUN(test_redrawn_by_ra);
    return nst_test_done();
}
