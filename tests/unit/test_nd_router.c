/* Router discovery, SLAAC and redirects as a state machine (src/ip6/
 * nd_router.c, slaac.c) driven by parsed messages and times, its effects
 * recorded by a fake environment (a model of the route table, the address
 * list, the neighbour cache): the RS schedule of RFC 4861 6.3.7 to the
 * nanosecond with a seeded generator; RA processing (6.3.4): default
 * routers and their lifetimes, link parameters, the MTU option's bounds,
 * the prefix list; SLAAC (RFC 4862 5.5.3): formed addresses, deprecation
 * and removal at exact times, every case of the two-hour rule, DAD
 * failure; redirects only from the current first hop (8.1, 8.3), bounded
 * and aged; the router's schedule (6.2.4 - 6.2.6); bounds under an RA
 * flood. */
#include "test.h"
#include "ip6/ndra.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"

#include <errno.h>
#include <string.h>

static nst_ip6_t addr(const char *s)
{
    nst_ip6_t a;
    CHECK_EQ(nst_ip6_parse(s, &a, NULL), 0);
    return a;
}

/* ---- the recording environment ---------------------------------------------- */

#define MAXREC 64

struct rec_addr {
    nst_ip6_t addr;
    nst_time_t preferred_until, valid_until;
    int deprecated, present;
};

struct rec {
    struct nst_rng rng;
    struct nst_stats stats;
    int has_default;
    nst_ip6_t default_router;
    int n_prefix_routes;
    nst_ip6_t prefix_route[MAXREC];
    uint8_t prefix_len[MAXREC];
    int n_redirect_routes;
    nst_ip6_t redirect_dest[MAXREC], redirect_target[MAXREC]; /* target :: = on-link */
    int n_neigh;
    nst_ip6_t neigh_addr;
    struct nst_mac neigh_mac;
    int neigh_has_mac, neigh_router;
    int n_params;
    struct nst_ndra_link_params params;
    int n_addr_add, n_addr_del;
    int n_addrs;
    struct rec_addr addrs[MAXREC];
    int n_rs;
    nst_time_t *now;
    nst_time_t rs_at[8];
    int n_ra;
    nst_time_t ra_at[32];
    struct nst_nd_repr last_ra;
    nst_ip6_t last_ra_dst;
};

static struct rec R;
static nst_time_t NOW;

static void rec_default(void *ctx, int ifindex, const nst_ip6_t *router)
{
    (void)ctx, (void)ifindex;
    R.has_default = router != NULL;
    if (router)
        R.default_router = *router;
}

static int find_ip(const nst_ip6_t *v, int n, const nst_ip6_t *a)
{
    for (int i = 0; i < n; i++)
        if (nst_ip6_eq(&v[i], a))
            return i;
    return -1;
}

static void rec_prefix(void *ctx, int ifindex, const nst_ip6_t *prefix, uint8_t len, int add)
{
    (void)ctx, (void)ifindex;
    int i = 0;
    while (i < R.n_prefix_routes && !(nst_ip6_eq(&R.prefix_route[i], prefix) && R.prefix_len[i] == len))
        i++;
    if (add) {
        CHECK_EQ(i, R.n_prefix_routes); /* never added twice */
        if (R.n_prefix_routes < MAXREC) {
            R.prefix_route[R.n_prefix_routes] = *prefix;
            R.prefix_len[R.n_prefix_routes++] = len;
        }
    } else {
        CHECK(i < R.n_prefix_routes);
        if (i < R.n_prefix_routes) {
            --R.n_prefix_routes;
            R.prefix_route[i] = R.prefix_route[R.n_prefix_routes];
            R.prefix_len[i] = R.prefix_len[R.n_prefix_routes];
        }
    }
}

static void rec_redirect(void *ctx, int ifindex, const nst_ip6_t *dest, const nst_ip6_t *target, int add)
{
    (void)ctx, (void)ifindex;
    int i = find_ip(R.redirect_dest, R.n_redirect_routes, dest);
    if (!add) {
        CHECK(i >= 0);
        if (i >= 0) {
            --R.n_redirect_routes;
            R.redirect_dest[i] = R.redirect_dest[R.n_redirect_routes];
            R.redirect_target[i] = R.redirect_target[R.n_redirect_routes];
        }
        return;
    }
    if (i < 0) {
        CHECK(R.n_redirect_routes < MAXREC);
        i = R.n_redirect_routes++;
    }
    R.redirect_dest[i] = *dest;
    memset(&R.redirect_target[i], 0, 16);
    if (target)
        R.redirect_target[i] = *target;
}

static void rec_neigh(void *ctx, int ifindex, const nst_ip6_t *a, const struct nst_mac *mac, int is_router)
{
    (void)ctx, (void)ifindex;
    R.n_neigh++;
    R.neigh_addr = *a;
    R.neigh_has_mac = mac != NULL;
    if (mac)
        R.neigh_mac = *mac;
    R.neigh_router = is_router;
}

static void rec_params(void *ctx, int ifindex, const struct nst_ndra_link_params *p)
{
    (void)ctx, (void)ifindex;
    R.n_params++;
    R.params = *p;
}

/* The model of the route table: a redirect route for dest, else the default router. */
static int rec_first_hop(void *ctx, int ifindex, const nst_ip6_t *dest, nst_ip6_t *router)
{
    (void)ctx, (void)ifindex;
    int i = find_ip(R.redirect_dest, R.n_redirect_routes, dest);
    if (i >= 0) {
        if (nst_ip6_is_unspecified(&R.redirect_target[i]))
            return -ENETUNREACH; /* on-link */
        *router = R.redirect_target[i];
        return 0;
    }
    if (!R.has_default)
        return -ENETUNREACH;
    *router = R.default_router;
    return 0;
}

static struct rec_addr *rec_find_addr(const nst_ip6_t *a)
{
    for (int i = 0; i < R.n_addrs; i++)
        if (R.addrs[i].present && nst_ip6_eq(&R.addrs[i].addr, a))
            return &R.addrs[i];
    return NULL;
}

static int rec_addr_add(void *ctx, int ifindex, const nst_ip6_t *a, uint8_t len, nst_time_t pref, nst_time_t valid)
{
    (void)ctx, (void)ifindex;
    CHECK_EQ(len, 64);
    CHECK(rec_find_addr(a) == NULL);
    R.n_addr_add++;
    if (R.n_addrs == MAXREC)
        return -ENOSPC;
    R.addrs[R.n_addrs++] = (struct rec_addr){*a, pref, valid, 0, 1};
    return 0;
}

static void rec_addr_lifetimes(void *ctx, int ifindex, const nst_ip6_t *a, nst_time_t pref, nst_time_t valid,
                               int deprecated)
{
    (void)ctx, (void)ifindex;
    struct rec_addr *r = rec_find_addr(a);
    CHECK(r != NULL);
    if (r)
        *r = (struct rec_addr){*a, pref, valid, deprecated, 1};
}

static void rec_addr_del(void *ctx, int ifindex, const nst_ip6_t *a)
{
    (void)ctx, (void)ifindex;
    struct rec_addr *r = rec_find_addr(a);
    CHECK(r != NULL);
    if (r)
        r->present = 0;
    R.n_addr_del++;
}

static int rec_rs(void *ctx, int ifindex)
{
    (void)ctx, (void)ifindex;
    if (R.n_rs < 8)
        R.rs_at[R.n_rs] = NOW;
    R.n_rs++;
    return 0;
}

static int rec_ra(void *ctx, int ifindex, const nst_ip6_t *dst, const struct nst_nd_repr *ra)
{
    (void)ctx, (void)ifindex;
    if (R.n_ra < 32)
        R.ra_at[R.n_ra] = NOW;
    R.n_ra++;
    R.last_ra = *ra;
    R.last_ra_dst = *dst;
    return 0;
}

static const struct nst_ndra_env ENV = {
    NULL, &R.rng, &R.stats, rec_default, rec_prefix, rec_redirect, rec_neigh, rec_params, rec_first_hop,
    rec_addr_add, rec_addr_lifetimes, rec_addr_del, rec_rs, rec_ra,
};

static const struct nst_mac MAC = {{0x02, 0x4e, 0x53, 0x00, 0x00, 0x01}};

static void setup(struct nst_ndra_iface *ifc, unsigned routers, unsigned prefixes, unsigned addrs)
{
    memset(&R, 0, sizeof R);
    NOW = 0;
    nst_rng_seed(&R.rng, 7);
    struct nst_ndra_limits lim = {routers, prefixes, addrs, 4, NST_SEC(600), NST_MAX_RTR_SOLICITATIONS};
    CHECK_EQ(nst_ndra_iface_init(ifc, 0, &MAC, 1500, &lim, &ENV), 0);
}

/* Runs the interface's timers up to t, one deadline at a time. */
static void run_until(struct nst_ndra_iface *ifc, nst_time_t t)
{
    for (nst_time_t next = nst_ndra_next(ifc); next <= t; next = nst_ndra_next(ifc)) {
        NOW = next;
        nst_ndra_run(ifc, next);
    }
    NOW = t;
}

/* What the generator will draw next for a span [0, span]. */
static nst_time_t predict(nst_time_t span)
{
    struct nst_rng copy = R.rng;
    return (nst_time_t)nst_rng_below(&copy, (uint64_t)span + 1);
}

/* An RA: lifetime in s, one prefix 2001:db8:<n>::/64 (L, A) unless n < 0. */
static struct nst_nd_repr ra(uint16_t lifetime, int n, uint32_t valid, uint32_t preferred)
{
    struct nst_nd_repr r;
    memset(&r, 0, sizeof r);
    r.type = NST_ICMP6_ROUTER_ADVERT;
    r.router_lifetime = lifetime;
    if (n >= 0) {
        r.n_prefixes = 1;
        r.prefix[0] = (struct nst_nd_prefix){64, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO, valid, preferred,
                                             addr("2001:db8::")};
        r.prefix[0].prefix.b[5] = (uint8_t)n;
    }
    return r;
}

static nst_ip6_t slaac_addr(int n)
{
    nst_ip6_t p = addr("2001:db8::"), a;
    p.b[5] = (uint8_t)n;
    nst_ip6_from_eui64(&p, &MAC, &a);
    return a;
}

/* ---- host: solicitations --------------------------------------------------- */

static void test_rs_schedule(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 4, 4, 4);
    nst_time_t t0 = NST_SEC(5), d = predict(NST_MAX_RTR_SOLICITATION_DELAY);
    NOW = t0;
    nst_ndra_start(&ifc, t0);
    CHECK(d >= 0 && d <= NST_SEC(1));
    CHECK_EQ(nst_ndra_next(&ifc), t0 + d);
    run_until(&ifc, NST_SEC(60));
    CHECK_EQ(R.n_rs, 3); /* MAX_RTR_SOLICITATIONS */
    CHECK_EQ(R.rs_at[0], t0 + d);
    CHECK_EQ(R.rs_at[1], t0 + d + NST_SEC(4));
    CHECK_EQ(R.rs_at[2], t0 + d + NST_SEC(8));
    CHECK_EQ(R.stats.ndra_rs_sent, 3);
    CHECK_EQ(nst_ndra_next(&ifc), NST_TIME_NEVER);
    nst_ndra_iface_fini(&ifc);
    /* An RA before the interface started (its link-local address still
     * tentative): a router is known, no solicitation. */
    setup(&ifc, 4, 4, 4);
    struct nst_nd_repr r = ra(600, -1, 0, 0);
    nst_ip6_t rtr = addr("fe80::1");
    nst_ndra_ra_input(&ifc, 0, &rtr, &r);
    nst_ndra_start(&ifc, NST_SEC(1));
    CHECK_EQ(nst_ndra_next(&ifc), NST_SEC(600)); /* only the router's lifetime */
    nst_ndra_iface_fini(&ifc);
    /* Configured to solicit none (Linux's router_solicitations 0). */
    setup(&ifc, 4, 4, 4);
    ifc.lim.rtr_solicitations = 0;
    nst_ndra_start(&ifc, 0);
    CHECK_EQ(nst_ndra_next(&ifc), NST_TIME_NEVER);
    nst_ndra_iface_fini(&ifc);
}

static void test_rs_stops_on_ra(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 4, 4, 4);
    nst_ndra_start(&ifc, 0);
    run_until(&ifc, NST_SEC(2));
    CHECK_EQ(R.n_rs, 1);
    /* An RA with router lifetime 0 is not an answer (6.3.7: "non-zero"). */
    struct nst_nd_repr r = ra(0, -1, 0, 0);
    nst_ip6_t rtr = addr("fe80::1");
    nst_ndra_ra_input(&ifc, NOW, &rtr, &r);
    run_until(&ifc, NST_SEC(5));
    CHECK_EQ(R.n_rs, 2);
    r = ra(1800, -1, 0, 0);
    nst_ndra_ra_input(&ifc, NOW, &rtr, &r);
    run_until(&ifc, NST_SEC(30));
    CHECK_EQ(R.n_rs, 2);
    nst_ndra_iface_fini(&ifc);
}

/* ---- host: Router Advertisements ------------------------------------------- */

static void test_default_routers(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_ip6_t r1 = addr("fe80::1"), r2 = addr("fe80::2"), r3 = addr("fe80::3");
    struct nst_nd_repr a = ra(100, -1, 0, 0);
    a.cur_hop_limit = 32;
    a.reachable_time = 20000;
    a.retrans_timer = 500;
    a.has_src_lladdr = 1;
    a.src_lladdr = (struct nst_mac){{2, 0, 0, 0, 0, 1}};
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK(R.has_default && nst_ip6_eq(&R.default_router, &r1));
    CHECK_EQ(R.n_params, 1);
    CHECK_EQ(R.params.cur_hop_limit, 32);
    CHECK_EQ(R.params.reachable_ms, 20000);
    CHECK_EQ(R.params.retrans_ms, 500);
    CHECK_EQ(R.params.mtu, 0);
    CHECK_EQ(R.n_neigh, 1); /* the router's link-layer address, IsRouter */
    CHECK(nst_ip6_eq(&R.neigh_addr, &r1) && R.neigh_has_mac && R.neigh_router);
    /* Unspecified fields change nothing: no call at all. */
    a = ra(300, -1, 0, 0);
    NOW = NST_SEC(10);
    nst_ndra_ra_input(&ifc, NOW, &r2, &a);
    CHECK_EQ(R.n_params, 1);
    CHECK(nst_ip6_eq(&R.default_router, &r1)); /* the first stays the default */
    nst_ndra_ra_input(&ifc, NOW, &r3, &a);    /* a third: no room */
    CHECK_EQ(R.stats.ndra_routers_full, 1);
    CHECK_EQ(R.stats.ndra_routers_added, 2);
    struct nst_ndra_router *list = ifc.routers;
    CHECK_EQ(ifc.n_routers, 2);
    CHECK_EQ(list[0].expires, NST_SEC(100));
    CHECK_EQ(list[1].expires, NST_SEC(310));
    /* r1's lifetime ends at exactly 100 s: r2 becomes the default. */
    run_until(&ifc, NST_SEC(100) - 1);
    CHECK(nst_ip6_eq(&R.default_router, &r1));
    run_until(&ifc, NST_SEC(100));
    CHECK(R.has_default && nst_ip6_eq(&R.default_router, &r2));
    CHECK_EQ(R.stats.ndra_routers_expired, 1);
    /* 6.3.4: lifetime 0 from r2: timed out at once, no default left. */
    a = ra(0, -1, 0, 0);
    nst_ndra_ra_input(&ifc, NST_SEC(120), &r2, &a);
    CHECK(!R.has_default);
    CHECK_EQ(ifc.n_routers, 0);
    CHECK_EQ(R.stats.ndra_routers_expired, 2);
    /* A refreshed lifetime moves the end. */
    a = ra(50, -1, 0, 0);
    nst_ndra_ra_input(&ifc, NST_SEC(200), &r3, &a);
    nst_ndra_ra_input(&ifc, NST_SEC(240), &r3, &a);
    run_until(&ifc, NST_SEC(289));
    CHECK(R.has_default && nst_ip6_eq(&R.default_router, &r3));
    run_until(&ifc, NST_SEC(290));
    CHECK(!R.has_default);
    nst_ndra_iface_fini(&ifc);
}

static void test_mtu_option(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_ip6_t r1 = addr("fe80::1");
    struct nst_nd_repr a = ra(100, -1, 0, 0);
    a.has_mtu = 1;
    a.mtu = 1279; /* below IPv6's minimum */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    a.mtu = 1501; /* above the link's */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.n_params, 0);
    CHECK_EQ(R.stats.ndra_mtu_bad, 2);
    a.mtu = 1280;
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.params.mtu, 1280);
    a.mtu = 1500;
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.params.mtu, 1500);
    CHECK_EQ(R.stats.ndra_mtu_set, 2);
    nst_ndra_iface_fini(&ifc);
}

static void test_prefix_list(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 2, 4);
    nst_ip6_t r1 = addr("fe80::1");
    struct nst_nd_repr a = ra(0, 1, 600, 300);
    a.prefix[0].flags = NST_ND_PREFIX_ONLINK; /* on-link only: no address */
    a.prefix[0].prefix.b[15] = 0x77;          /* bits past the length: cleared in the route */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.n_prefix_routes, 1);
    nst_ip6_t p1 = addr("2001:db8:1::");
    CHECK(nst_ip6_eq(&R.prefix_route[0], &p1));
    CHECK_EQ(R.n_addr_add, 0);
    CHECK_EQ(ifc.prefixes[0].expires, NST_SEC(600));
    /* Not on-link (L clear): the list is not touched, an address is formed. */
    a = ra(0, 2, 600, 300);
    a.prefix[0].flags = NST_ND_PREFIX_AUTO;
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.n_prefix_routes, 1);
    CHECK_EQ(R.n_addr_add, 1);
    /* The link-local prefix: ignored entirely. */
    a = ra(0, 3, 600, 300);
    a.prefix[0].prefix = addr("fe80::");
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.stats.ndra_prefixes_ignored, 1);
    CHECK_EQ(R.n_prefix_routes, 1);
    CHECK_EQ(R.n_addr_add, 1);
    /* A new valid lifetime; then infinity; then 0 removes it at once. */
    a = ra(0, 1, 1000, 0);
    a.prefix[0].flags = NST_ND_PREFIX_ONLINK;
    nst_ndra_ra_input(&ifc, NST_SEC(100), &r1, &a);
    CHECK_EQ(ifc.prefixes[0].expires, NST_SEC(1100));
    a.prefix[0].valid_lifetime = 0xffffffffu;
    nst_ndra_ra_input(&ifc, NST_SEC(100), &r1, &a);
    CHECK_EQ(ifc.prefixes[0].expires, NST_TIME_NEVER);
    a.prefix[0].valid_lifetime = 0;
    nst_ndra_ra_input(&ifc, NST_SEC(200), &r1, &a);
    CHECK_EQ(R.n_prefix_routes, 0);
    CHECK_EQ(R.stats.ndra_prefixes_expired, 1);
    /* A prefix with valid lifetime 0 not in the list: nothing. */
    nst_ndra_ra_input(&ifc, NST_SEC(200), &r1, &a);
    CHECK_EQ(R.stats.ndra_prefixes_added, 1);
    /* Expiry at the exact time. */
    a = ra(0, 4, 60, 0);
    a.prefix[0].flags = NST_ND_PREFIX_ONLINK;
    nst_ndra_ra_input(&ifc, NST_SEC(300), &r1, &a);
    run_until(&ifc, NST_SEC(360) - 1);
    CHECK_EQ(R.n_prefix_routes, 1);
    run_until(&ifc, NST_SEC(360));
    CHECK_EQ(R.n_prefix_routes, 0);
    nst_ndra_iface_fini(&ifc);
}

/* ---- SLAAC ------------------------------------------------------------------ */

static void test_slaac_lifetimes(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_ip6_t r1 = addr("fe80::1");
    struct nst_nd_repr a = ra(1800, 1, 3600, 1800);
    NOW = NST_SEC(1);
    nst_ndra_ra_input(&ifc, NOW, &r1, &a);
    nst_ip6_t want = addr("2001:db8:1:0:4e:53ff:fe00:1"); /* EUI-64 of 02:4e:53:00:00:01 */
    nst_ip6_t formed = slaac_addr(1);
    CHECK(nst_ip6_eq(&formed, &want));
    struct rec_addr *x = rec_find_addr(&want);
    CHECK(x != NULL);
    if (!x) {
        nst_ndra_iface_fini(&ifc);
        return;
    }
    CHECK_EQ(x->preferred_until, NST_SEC(1801));
    CHECK_EQ(x->valid_until, NST_SEC(3601));
    CHECK_EQ(R.stats.ndra_slaac_formed, 1);
    run_until(&ifc, NST_SEC(1801) - 1);
    CHECK_EQ(x->deprecated, 0);
    run_until(&ifc, NST_SEC(1801)); /* RFC 4862 5.5.4: deprecated */
    CHECK_EQ(x->deprecated, 1);
    CHECK_EQ(ifc.addrs[0].state, NST_SLAAC_DEPRECATED);
    CHECK_EQ(R.stats.ndra_slaac_deprecated, 1);
    /* A new preferred lifetime makes it preferred again (valid: 3600 s > 2 h? no: rule 1, more than remains). */
    a = ra(1800, 1, 3600, 600);
    NOW = NST_SEC(2000);
    nst_ndra_ra_input(&ifc, NOW, &r1, &a);
    CHECK_EQ(x->deprecated, 0);
    CHECK_EQ(x->preferred_until, NST_SEC(2600));
    CHECK_EQ(x->valid_until, NST_SEC(5600));
    run_until(&ifc, NST_SEC(5600) - 1);
    CHECK(x->present);
    run_until(&ifc, NST_SEC(5600)); /* invalid: removed */
    CHECK(!x->present);
    CHECK_EQ(ifc.n_addrs, 0);
    CHECK_EQ(R.stats.ndra_slaac_expired, 1);
    /* Preferred 0: formed deprecated at once. */
    a = ra(1800, 2, 3600, 0);
    nst_ndra_ra_input(&ifc, NOW, &r1, &a);
    nst_ip6_t a2 = slaac_addr(2);
    x = rec_find_addr(&a2);
    CHECK(x && x->deprecated);
    nst_ndra_iface_fini(&ifc);
}

static void test_slaac_ignored(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_ip6_t r1 = addr("fe80::1");
    struct nst_nd_repr a = ra(1800, 1, 600, 700); /* (c): preferred > valid */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.stats.ndra_slaac_bad_lifetimes, 1);
    a = ra(1800, 1, 600, 300);
    a.prefix[0].len = 48; /* 48 + 64 != 128 */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.stats.ndra_slaac_bad_prefix_len, 1);
    a = ra(1800, 1, 0, 0); /* (d): valid 0, nothing formed */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    a = ra(1800, 1, 600, 300);
    a.prefix[0].flags = NST_ND_PREFIX_ONLINK; /* (a): not autonomous */
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.n_addr_add, 0);
    CHECK_EQ(R.stats.ndra_slaac_formed, 0);
    nst_ndra_iface_fini(&ifc);
}

/* RFC 4862 5.5.3 (e), each case; an address formed with a lifetime of
 * `start` s at time 0, then an RA with `adv` s at time `at`. */
static nst_time_t two_hours_case(uint32_t start, nst_time_t at, uint32_t adv, uint64_t *limited)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_ip6_t r1 = addr("fe80::1");
    struct nst_nd_repr a = ra(1800, 1, start, 0);
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    a = ra(1800, 1, adv, 0);
    nst_ndra_ra_input(&ifc, at, &r1, &a);
    nst_time_t v = ifc.n_addrs ? ifc.addrs[0].valid_until : -1;
    *limited = R.stats.ndra_slaac_two_hours;
    nst_ndra_iface_fini(&ifc);
    return v;
}

static void test_slaac_two_hours(void)
{
    uint64_t lim;
    /* 1: more than two hours: taken, even if shorter than what remains. */
    CHECK_EQ(two_hours_case(86400, NST_SEC(10), 3 * 3600, &lim), NST_SEC(10 + 3 * 3600));
    CHECK_EQ(lim, 0);
    /* 1: more than remains: taken. */
    CHECK_EQ(two_hours_case(3600, NST_SEC(1800), 3000, &lim), NST_SEC(1800 + 3000));
    CHECK_EQ(lim, 0);
    CHECK_EQ(two_hours_case(3600, 0, 0xffffffffu, &lim), NST_TIME_NEVER);
    /* 3: a day left, 1 h advertised: two hours. */
    CHECK_EQ(two_hours_case(86400, NST_SEC(100), 3600, &lim), NST_SEC(100) + NST_SLAAC_TWO_HOURS);
    CHECK_EQ(lim, 1);
    /* 3: a day left, 0 advertised (the attack): two hours, not removed. */
    CHECK_EQ(two_hours_case(86400, NST_SEC(100), 0, &lim), NST_SEC(100) + NST_SLAAC_TWO_HOURS);
    /* 3: infinite left, exactly two hours advertised: not "greater": two hours. */
    CHECK_EQ(two_hours_case(0xffffffffu, NST_SEC(5), 7200, &lim), NST_SEC(5) + NST_SLAAC_TWO_HOURS);
    CHECK_EQ(lim, 1);
    /* 2: two hours or less left: ignored. */
    CHECK_EQ(two_hours_case(7200, 0, 60, &lim), NST_SEC(7200));
    CHECK_EQ(lim, 1);
    CHECK_EQ(two_hours_case(3600, NST_SEC(100), 0, &lim), NST_SEC(3600));
    CHECK_EQ(two_hours_case(3600, NST_SEC(100), 3500, &lim), NST_SEC(3600)); /* 3500 = remaining: not greater */
    CHECK_EQ(lim, 1);
}

static void test_slaac_duplicate(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_ip6_t r1 = addr("fe80::1"), a1 = slaac_addr(1);
    struct nst_nd_repr a = ra(1800, 1, 3600, 1800);
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    CHECK_EQ(R.n_addr_add, 1);
    CHECK_EQ(nst_slaac_mark_duplicate(&ifc, &a1), 1);
    CHECK_EQ(nst_slaac_mark_duplicate(&ifc, &r1), 0);
    CHECK_EQ(R.stats.ndra_slaac_dad_failed, 1);
    CHECK_EQ(ifc.addrs[0].state, NST_SLAAC_DUPLICATE);
    /* Later RAs neither form it again nor touch it; it is not deprecated either. */
    nst_ndra_ra_input(&ifc, NST_SEC(100), &r1, &a);
    run_until(&ifc, NST_SEC(3000));
    CHECK_EQ(R.n_addr_add, 1);
    CHECK_EQ(R.stats.ndra_slaac_deprecated, 0);
    CHECK_EQ(ifc.addrs[0].valid_until, NST_SEC(3700)); /* lifetime kept up to date */
    run_until(&ifc, NST_SEC(3700));
    CHECK_EQ(ifc.n_addrs, 0);
    CHECK_EQ(R.n_addr_del, 1);
    nst_ndra_iface_fini(&ifc);
}

/* Thousands of RAs from random routers with random prefixes: every list
 * stays at its bound, what did not fit is counted. */
static void test_ra_flood(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 8, 16, 16);
    struct nst_rng gen;
    nst_rng_seed(&gen, 99);
    uint64_t prefixes = 0;
    for (int i = 0; i < 5000; i++) {
        nst_ip6_t src = addr("fe80::");
        nst_rng_fill(&gen, src.b + 8, 8);
        struct nst_nd_repr a = ra((uint16_t)(1 + nst_rng_below(&gen, 9000)), -1, 0, 0);
        a.n_prefixes = (uint8_t)(1 + nst_rng_below(&gen, NST_ND_MAX_PREFIXES));
        for (unsigned k = 0; k < a.n_prefixes; k++) {
            struct nst_nd_prefix *p = &a.prefix[k];
            *p = (struct nst_nd_prefix){64, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO, 86400, 3600, addr("2001::")};
            nst_rng_fill(&gen, p->prefix.b + 2, 6);
        }
        prefixes += a.n_prefixes;
        a.prefixes_dropped = 2; /* what the parser could not keep */
        nst_ndra_ra_input(&ifc, NST_MSEC(i), &src, &a);
        CHECK(ifc.n_routers <= 8 && ifc.n_prefixes <= 16 && ifc.n_addrs <= 16);
    }
    CHECK_EQ(ifc.n_routers, 8);
    CHECK_EQ(ifc.n_prefixes, 16);
    CHECK_EQ(ifc.n_addrs, 16);
    CHECK_EQ(R.stats.ndra_routers_added + R.stats.ndra_routers_full, 5000);
    CHECK_EQ(R.stats.ndra_prefixes_added + R.stats.ndra_prefixes_full, prefixes);
    CHECK_EQ(R.stats.ndra_slaac_formed + R.stats.ndra_slaac_full, prefixes);
    CHECK_EQ(R.stats.ndra_prefixes_over_ra, 10000);
    CHECK_EQ(R.n_addr_add, 16);
    CHECK_EQ(R.n_prefix_routes, 16);
    nst_ndra_iface_fini(&ifc);
}

/* ---- redirects ---------------------------------------------------------------- */

static void test_redirects(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4); /* 4 redirects at most, 600 s each */
    nst_ip6_t r1 = addr("fe80::1"), r2 = addr("fe80::2"), other = addr("fe80::66");
    struct nst_nd_repr a = ra(1800, -1, 0, 0);
    nst_ndra_ra_input(&ifc, 0, &r1, &a);
    struct nst_nd_repr rd;
    memset(&rd, 0, sizeof rd);
    rd.type = NST_ICMP6_REDIRECT;
    rd.dest = addr("2001:db8:9::1");
    rd.target = r2;
    rd.has_tgt_lladdr = 1;
    rd.tgt_lladdr = (struct nst_mac){{2, 0, 0, 0, 0, 2}};
    /* Not from the router we send through: refused. */
    nst_ndra_redirect_input(&ifc, NST_SEC(1), &other, &rd);
    CHECK_EQ(R.stats.ndra_redirects_not_first_hop, 1);
    CHECK_EQ(R.n_redirect_routes, 0);
    CHECK_EQ(R.n_neigh, 0);
    /* From it: a /128 via r2, r2's address in the cache as a router. */
    nst_ndra_redirect_input(&ifc, NST_SEC(1), &r1, &rd);
    CHECK_EQ(R.n_redirect_routes, 1);
    CHECK(nst_ip6_eq(&R.redirect_target[0], &r2));
    CHECK(nst_ip6_eq(&R.neigh_addr, &r2) && R.neigh_has_mac && R.neigh_router);
    /* Now r2 is the first hop for it: r1 can no longer redirect it, r2 can
     * (to the destination itself: on-link, not a router). */
    rd.target = rd.dest;
    rd.has_tgt_lladdr = 0;
    nst_ndra_redirect_input(&ifc, NST_SEC(2), &r1, &rd);
    CHECK_EQ(R.stats.ndra_redirects_not_first_hop, 2);
    nst_ndra_redirect_input(&ifc, NST_SEC(2), &r2, &rd);
    CHECK_EQ(R.n_redirect_routes, 1);
    CHECK(nst_ip6_is_unspecified(&R.redirect_target[0]));
    CHECK(!R.neigh_has_mac && R.neigh_router == -1); /* on-link: not said to be a router */
    CHECK_EQ(R.stats.ndra_redirects_accepted, 2);
    /* On-link now: no first-hop router, nobody can redirect it. */
    nst_ndra_redirect_input(&ifc, NST_SEC(3), &r2, &rd);
    CHECK_EQ(R.stats.ndra_redirects_not_first_hop, 3);
    /* Bounded: four more destinations, the one closest to its end recycled. */
    rd.target = r2;
    for (int i = 0; i < 4; i++) {
        rd.dest.b[15] = (uint8_t)(0x10 + i);
        nst_ndra_redirect_input(&ifc, NST_SEC(10 + i), &r1, &rd);
    }
    CHECK_EQ(R.n_redirect_routes, 4);
    CHECK_EQ(R.stats.ndra_redirects_recycled, 1);
    nst_ip6_t first = addr("2001:db8:9::1");
    CHECK_EQ(find_ip(R.redirect_dest, R.n_redirect_routes, &first), -1);
    /* Aged: each goes redirect_ttl after it came. */
    run_until(&ifc, NST_SEC(610) - 1);
    CHECK_EQ(R.n_redirect_routes, 4);
    run_until(&ifc, NST_SEC(610));
    CHECK_EQ(R.n_redirect_routes, 3);
    run_until(&ifc, NST_SEC(613));
    CHECK_EQ(R.n_redirect_routes, 0);
    CHECK_EQ(R.stats.ndra_redirects_expired, 4);
    /* A router ignores redirects. */
    ifc.is_router = 1;
    nst_ndra_redirect_input(&ifc, NST_SEC(700), &r1, &rd);
    CHECK_EQ(R.stats.ndra_redirects_ignored, 1);
    nst_ndra_iface_fini(&ifc);
}

/* RFC 4861 8.2's rate limit: a burst of 10, then one per 100 ms. */
static void test_redirect_rate_limit(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    nst_time_t t = NST_SEC(50);
    for (int i = 0; i < NST_REDIRECT_BURST; i++)
        CHECK_EQ(nst_ndra_redirect_permit(&ifc, t), 1);
    CHECK_EQ(nst_ndra_redirect_permit(&ifc, t), 0);
    CHECK_EQ(nst_ndra_redirect_permit(&ifc, t + NST_REDIRECT_INTERVAL - 1), 0);
    CHECK_EQ(nst_ndra_redirect_permit(&ifc, t + NST_REDIRECT_INTERVAL), 1);
    CHECK_EQ(nst_ndra_redirect_permit(&ifc, t + NST_REDIRECT_INTERVAL), 0);
    CHECK_EQ(R.stats.ndra_redirects_rate_limited, 3);
    /* A second later the bucket is full again, no fuller. */
    t += NST_SEC(2);
    for (int i = 0; i < NST_REDIRECT_BURST; i++)
        CHECK_EQ(nst_ndra_redirect_permit(&ifc, t), 1);
    CHECK_EQ(nst_ndra_redirect_permit(&ifc, t), 0);
    nst_ndra_iface_fini(&ifc);
}

/* ---- router ------------------------------------------------------------------ */

static struct nst_ra_config router_config(void)
{
    struct nst_ra_config c;
    nst_ra_config_default(&c);
    c.advertise = 1;
    c.link_mtu = 1400;
    c.other = 1;
    c.n_prefixes = 1;
    c.prefix[0] = (struct nst_ra_prefix){addr("2001:db8:1::"), 64, 1, 1, 86400, 14400};
    return c;
}

static void test_router_schedule(void)
{
    struct nst_ndra_iface ifc;
    setup(&ifc, 2, 4, 4);
    struct nst_ra_config c = router_config();
    CHECK_EQ(nst_ra_config_check(&c, 1500), 0);
    nst_ndra_configure(&ifc, 0, &c); /* before start: nothing yet */
    run_until(&ifc, NST_SEC(10));
    CHECK_EQ(R.n_ra, 0);
    nst_ndra_start(&ifc, NOW);
    CHECK_EQ(R.n_rs, 0);
    run_until(&ifc, NST_SEC(10));
    /* The first at once; the next two MAX_INITIAL_RTR_ADVERT_INTERVAL
     * apart (Min 198 s > 16 s); then between Min and Max. */
    CHECK_EQ(R.n_ra, 1);
    CHECK_EQ(R.ra_at[0], NST_SEC(10));
    nst_ip6_t all = addr("ff02::1");
    CHECK(nst_ip6_eq(&R.last_ra_dst, &all));
    CHECK_EQ(R.last_ra.router_lifetime, 1800);
    CHECK_EQ(R.last_ra.cur_hop_limit, 64);
    CHECK_EQ(R.last_ra.flags, NST_ND_RA_OTHER);
    CHECK(R.last_ra.has_src_lladdr && memcmp(R.last_ra.src_lladdr.b, MAC.b, 6) == 0);
    CHECK(R.last_ra.has_mtu && R.last_ra.mtu == 1400);
    CHECK_EQ(R.last_ra.n_prefixes, 1);
    CHECK_EQ(R.last_ra.prefix[0].flags, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO);
    CHECK_EQ(R.last_ra.prefix[0].valid_lifetime, 86400);
    CHECK_EQ(R.last_ra.prefix[0].preferred_lifetime, 14400);
    nst_time_t third_interval;
    run_until(&ifc, NST_SEC(42));
    CHECK_EQ(R.n_ra, 3);
    CHECK_EQ(R.ra_at[1], NST_SEC(26));
    CHECK_EQ(R.ra_at[2], NST_SEC(42));
    third_interval = nst_ndra_next(&ifc) - NST_SEC(42);
    CHECK(third_interval >= NST_SEC(198) && third_interval <= NST_SEC(600));
    /* A solicitation: answered after a random delay of at most 0.5 s. */
    nst_time_t t = NST_SEC(100), d = predict(NST_MAX_RA_DELAY_TIME);
    nst_ip6_t host = addr("fe80::9");
    struct nst_nd_repr rs;
    memset(&rs, 0, sizeof rs);
    rs.type = NST_ICMP6_ROUTER_SOLICIT;
    rs.has_src_lladdr = 1;
    rs.src_lladdr = (struct nst_mac){{2, 0, 0, 0, 0, 9}};
    NOW = t;
    nst_ndra_rs_input(&ifc, t, &host, &rs);
    CHECK(nst_ip6_eq(&R.neigh_addr, &host) && !R.neigh_router);
    CHECK_EQ(nst_ndra_next(&ifc), t + d);
    /* A second solicitation meanwhile draws its own delay: one answer,
     * at the sooner of the two times. */
    nst_time_t d1 = predict(NST_MAX_RA_DELAY_TIME), first = t + d < t + 1 + d1 ? t + d : t + 1 + d1;
    nst_ndra_rs_input(&ifc, t + 1, &host, &rs);
    run_until(&ifc, t + NST_SEC(1));
    CHECK_EQ(R.n_ra, 4);
    CHECK_EQ(R.ra_at[3], first);
    d = first - t;
    /* One at t + 1 s: within MIN_DELAY_BETWEEN_RAS of the last, so at
     * last + 3 s + delay. */
    nst_time_t d2 = predict(NST_MAX_RA_DELAY_TIME);
    nst_ndra_rs_input(&ifc, t + NST_SEC(1), &host, &rs);
    CHECK_EQ(nst_ndra_next(&ifc), t + d + NST_SEC(3) + d2);
    run_until(&ifc, t + NST_SEC(5));
    CHECK_EQ(R.n_ra, 5);
    /* From ::, no link-layer address: answered, nothing cached. */
    int neigh = R.n_neigh;
    nst_ip6_t unspec = addr("::");
    rs.has_src_lladdr = 0;
    nst_ndra_rs_input(&ifc, t + NST_SEC(20), &unspec, &rs);
    CHECK_EQ(R.n_neigh, neigh);
    run_until(&ifc, t + NST_SEC(21));
    CHECK_EQ(R.n_ra, 6);
    CHECK_EQ(R.stats.ndra_rs_received, 4);
    /* A router ignores RAs (no autoconfiguration from them). */
    struct nst_nd_repr a = ra(1800, 1, 600, 300);
    nst_ndra_ra_input(&ifc, NOW, &host, &a);
    CHECK_EQ(R.stats.ndra_ra_ignored, 1);
    CHECK_EQ(R.n_addr_add, 0);
    /* Stopping: one final RA with router lifetime 0 (6.2.5), then none; a host again. */
    c.advertise = 0;
    nst_ndra_configure(&ifc, NOW, &c);
    CHECK_EQ(R.n_ra, 7);
    CHECK_EQ(R.last_ra.router_lifetime, 0);
    nst_ndra_rs_input(&ifc, NOW, &host, &rs);
    CHECK_EQ(R.stats.ndra_rs_ignored, 1);
    run_until(&ifc, NOW + NST_SEC(3600));
    CHECK_EQ(R.n_ra, 7);
    CHECK_EQ(R.n_rs, 3); /* it solicits as a host does */
    CHECK_EQ(R.stats.ndra_ra_sent, 7);
    nst_ndra_iface_fini(&ifc);
}

static void test_router_config_bounds(void)
{
    struct nst_ra_config c = router_config();
    CHECK_EQ(nst_ra_config_check(&c, 1500), 0);
    CHECK_EQ(nst_ra_config_check(&c, 1300), -EINVAL); /* MTU option above the link's */
    c.max_interval = NST_SEC(3);
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.max_interval = NST_SEC(4);
    c.min_interval = NST_SEC(3);
    c.default_lifetime = 4;
    CHECK_EQ(nst_ra_config_check(&c, 1500), 0);
    c.min_interval = NST_SEC(3) + 1; /* more than 0.75 Max */
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.min_interval = NST_SEC(3);
    c.default_lifetime = 3; /* below Max */
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.default_lifetime = 9001;
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.default_lifetime = 0; /* not a default router: allowed */
    CHECK_EQ(nst_ra_config_check(&c, 1500), 0);
    c.prefix[0].preferred_lifetime = c.prefix[0].valid_lifetime + 1;
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.prefix[0].preferred_lifetime = 0;
    c.n_prefixes = NST_RA_MAX_PREFIXES + 1;
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.n_prefixes = 1;
    c.link_mtu = 1279;
    CHECK_EQ(nst_ra_config_check(&c, 1500), -EINVAL);
    c.advertise = 0; /* a host: nothing else is looked at */
    CHECK_EQ(nst_ra_config_check(&c, 1500), 0);
}

int main(void)
{
    RUN(test_rs_schedule);
    RUN(test_rs_stops_on_ra);
    RUN(test_default_routers);
    RUN(test_mtu_option);
    RUN(test_prefix_list);
    RUN(test_slaac_lifetimes);
    RUN(test_slaac_ignored);
    RUN(test_slaac_two_hours);
    RUN(test_slaac_duplicate);
    RUN(test_ra_flood);
    RUN(test_redirects);
    RUN(test_redirect_rate_limit);
    RUN(test_router_schedule);
    RUN(test_router_config_bounds);
    return nst_test_done();
}
