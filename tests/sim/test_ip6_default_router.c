/* Default router selection by reachability (RFC 4861 6.3.6) on a tap
 * host with two routers on its link, fe80::a and fe80::b, in virtual
 * time. An echo request to an off-link destination goes out each second;
 * the Ethernet destination of each (or the target of each solicitation
 * while nothing is resolved) says which router carries it:
 * - the default router goes silent: its entry ages STALE -> DELAY (5 s)
 *   -> PROBE (3 probes, 1 s apart) -> gone, and at that instant the other
 *   router, whose entry is STALE (probably reachable), takes the traffic;
 * - no router is known reachable: each is tried in turn (round-robin), the
 *   next one when the previous one's resolution fails;
 * - a router whose reachability is unknown gives way to one just known. */
#include <nstack/ip6_router.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

struct net {
    struct su6_host h;
    nst_ip6_t ra, rb, dst;
    struct nst_mac ma, mb;
    size_t echoes; /* echo requests sent */
};

static void net_up(struct net *n)
{
    memset(n, 0, sizeof(*n));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ip6_mld = 0; /* only the frames this test looks at */
    su6_host_up(&n->h, &c, NST_SEC(1));
    n->ra = su6_addr("fe80::a");
    n->rb = su6_addr("fe80::b");
    n->ma = su_mac(0x0a);
    n->mb = su_mac(0x0b);
    n->dst = su6_addr("2001:db8:99::1");
}

/* A Router Advertisement (lifetime 1800 s), with the router's link-layer
 * address or without. */
static void advertise(struct net *n, const nst_ip6_t *router, const struct nst_mac *mac, int with_lladdr)
{
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .cur_hop_limit = 64, .router_lifetime = 1800};
    if (with_lladdr) {
        r.has_src_lladdr = 1;
        r.src_lladdr = *mac;
    }
    struct su6_ip ip = {.eth_src = *mac, .src = *router, .dst = su6_addr("ff02::1")};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t f[200];
    su6_host_inject(&n->h, f, su6_build_nd(f, &ip, &r));
}

static void run_until(struct net *n, nst_time_t t)
{
    su_stack_run_until(n->h.st, t);
    n->h.now = t;
}

static void echo(struct net *n)
{
    uint8_t data[8] = {0};
    nst_icmp6_send_echo(n->h.st, &n->dst, -1, 7, (uint16_t)++n->echoes, data, sizeof data);
}

static void gateway_is(struct net *n, const nst_ip6_t *router)
{
    struct nst_route6 r;
    CHECK_EQ(nst_route6_lookup(n->h.st, &n->dst, &r), 0);
    CHECK(nst_ip6_eq(&r.gateway, router));
}

/* The i-th frame of ICMPv6 type `type` recorded, parsed. */
static int nth(struct net *n, uint8_t type, size_t i, struct su6_parsed *p, nst_time_t *at)
{
    *at = 0;
    for (size_t k = 0; k < n->h.tap.n; k++) {
        if (su6_parse(n->h.tap.v[k].data, n->h.tap.v[k].len, p) < 0 || !p->icmp_ok || p->icmp.type != type)
            continue;
        if (i-- == 0) {
            *at = n->h.tap.v[k].at;
            return 1;
        }
    }
    return 0;
}

static void test_silent_router(void)
{
    struct net n;
    net_up(&n);
    advertise(&n, &n.ra, &n.ma, 1);
    advertise(&n, &n.rb, &n.mb, 1);
    gateway_is(&n, &n.ra); /* both STALE: the first stays */
    su_tap_clear(&n.h.tap);
    for (int s = 2; s <= 12; s++) {
        run_until(&n, NST_SEC(s));
        echo(&n);
    }
    /* Echoes at 2..9 s to fe80::a's MAC (STALE, DELAY from 2 s, PROBE at
     * 7, 8, 9 s, no answer); at 10 s its entry is gone and fe80::b takes
     * over, exactly then. */
    struct su6_parsed p;
    nst_time_t at;
    for (size_t i = 0; i < 11; i++) {
        CHECK(nth(&n, NST_ICMP6_ECHO_REQUEST, i, &p, &at));
        CHECK_EQ(at, NST_SEC(2 + (long)i));
        CHECK(nst_mac_eq(&p.eth.dst, i < 8 ? &n.ma : &n.mb));
    }
    for (size_t i = 0; i < 3; i++) { /* the unicast probes of fe80::a */
        CHECK(nth(&n, NST_ICMP6_NEIGHBOR_SOLICIT, i, &p, &at));
        CHECK_EQ(at, NST_SEC(7 + (long)i));
        CHECK(nst_ip6_eq(&p.nd.target, &n.ra));
    }
    gateway_is(&n, &n.rb);
    CHECK_EQ(S(n.h.st)->nd_probe_failed, 1u);
    CHECK_EQ(S(n.h.st)->ndra_default_router_unreachable, 1u);
    struct nst_ip6_router_info ri[4];
    CHECK_EQ(nst_ip6_router_list(n.h.st, ri, 4), 2);
    CHECK(nst_ip6_eq(&ri[0].addr, &n.ra) && !ri[0].is_default); /* still listed: its lifetime runs */
    CHECK(nst_ip6_eq(&ri[1].addr, &n.rb) && ri[1].is_default);
    su6_host_down(&n.h);
}

static void test_round_robin(void)
{
    struct net n;
    net_up(&n);
    advertise(&n, &n.ra, &n.ma, 0);
    advertise(&n, &n.rb, &n.mb, 0);
    gateway_is(&n, &n.ra); /* neither known: the first */
    su_tap_clear(&n.h.tap);
    for (int s = 2; s <= 8; s++) {
        run_until(&n, NST_SEC(s));
        echo(&n);
    }
    run_until(&n, NST_SEC(8) + NST_MSEC(500));
    /* Multicast solicitations: fe80::a at 2, 3, 4 s; it fails at 5 s and
     * fe80::b is tried at 5, 6, 7 s; at 8 s fe80::a again. */
    static const int at_s[7] = {2, 3, 4, 5, 6, 7, 8};
    struct su6_parsed p;
    nst_time_t at;
    for (size_t i = 0; i < 7; i++) {
        CHECK(nth(&n, NST_ICMP6_NEIGHBOR_SOLICIT, i, &p, &at));
        CHECK_EQ(at, NST_SEC(at_s[i]));
        CHECK(nst_ip6_eq(&p.nd.target, i < 3 || i == 6 ? &n.ra : &n.rb));
    }
    CHECK(!nth(&n, NST_ICMP6_NEIGHBOR_SOLICIT, 7, &p, &at));
    CHECK(!nth(&n, NST_ICMP6_ECHO_REQUEST, 0, &p, &at)); /* nothing got through */
    gateway_is(&n, &n.ra);
    CHECK_EQ(S(n.h.st)->nd_resolve_failed, 2u);
    CHECK_EQ(S(n.h.st)->ndra_default_router_unreachable, 2u);
    su6_host_down(&n.h);
}

static void test_known_router_preferred(void)
{
    struct net n;
    net_up(&n);
    advertise(&n, &n.ra, &n.ma, 0); /* no entry for fe80::a */
    gateway_is(&n, &n.ra);
    advertise(&n, &n.rb, &n.mb, 1); /* fe80::b STALE: probably reachable */
    gateway_is(&n, &n.rb);
    advertise(&n, &n.ra, &n.ma, 1); /* both known now: the one in use stays */
    gateway_is(&n, &n.rb);
    CHECK_EQ(S(n.h.st)->ndra_default_router_unreachable, 0u);
    su6_host_down(&n.h);
}

int main(void)
{
    RUN(test_silent_router);
    RUN(test_round_robin);
    RUN(test_known_router_preferred);
    return nst_test_done();
}
