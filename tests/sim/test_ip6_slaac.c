/* Router discovery and SLAAC end to end, in virtual time: a router stack
 * (advertising with nst_ip6_ra_config) and a host stack on one link. The
 * host's Router Solicitations at the times of RFC 4861 6.3.7; the router's
 * RA on the wire (6.2.3: link-local source, all-nodes, hop limit 255, the
 * options); the host's default route, prefix route and SLAAC address
 * (RFC 4862 5.5.3) passing DAD to PREFERRED at the exact time and
 * answering a ping; deprecation and removal at the exact ends of the
 * lifetimes; a router lifetime of 0 removing the default router; the
 * two-hour rule; the MTU option; a DAD conflict on a formed address;
 * crafted input: an RA flood (bounded), RAs the wire code refuses, and
 * redirects accepted only from the current first hop (8.1, 8.3); an
 * autonomous prefix without the on-link flag giving an address but no
 * on-link route (RFC 5942). */
#include <errno.h>

#include "ip6/ip6_impl.h"
#include "support/ra_util.h"
#include "unit/radvd_frames.h"
#include "test.h"

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static int count_origin(struct nst_stack *st, int origin)
{
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(st, 0, v, NST_IP6_MAX_ADDRS), c = 0;
    for (int i = 0; i < k && i < NST_IP6_MAX_ADDRS; i++)
        c += v[i].origin == origin;
    return c;
}

/* ---- solicitations, the RA, SLAAC, a ping --------------------------------- */

static void test_solicit_then_slaac(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_ip6_t rglobal = su6_addr("2001:db8:1::1");
    CHECK_EQ(nst_iface_addr6_add(n->r, 0, &rglobal, 64), 0);
    /* The router does not advertise yet: the host solicits three times,
     * RTR_SOLICITATION_INTERVAL apart, the first a random 0..1 s after its
     * link-local address passed DAD (at 1 s): the host's next draw then,
     * predicted from a copy of its seeded generator. */
    nst_world_run_until(n->w, NST_SEC(1) - 1);
    struct nst_rng copy = n->h->rng;
    nst_time_t t1 = NST_SEC(1) + (nst_time_t)nst_rng_below(&copy, (uint64_t)NST_SEC(1) + 1);
    nst_world_run_until(n->w, NST_SEC(20) - 1);
    const struct ra_seen *rs[8];
    CHECK_EQ(ra_frames_of(n, 1, NST_ICMP6_ROUTER_SOLICIT, rs, 8), 3);
    CHECK_EQ(rs[0]->at, t1);
    CHECK_EQ(rs[1]->at, t1 + NST_SEC(4));
    CHECK_EQ(rs[2]->at, t1 + NST_SEC(8));
    struct su6_parsed p;
    CHECK_EQ(su6_parse(rs[0]->data, rs[0]->len, &p), 0);
    nst_ip6_t all_routers = su6_addr("ff02::2"), all_nodes = su6_addr("ff02::1");
    CHECK(p.nd_ok);
    CHECK(nst_ip6_eq(&p.ip.src, &n->llh));
    CHECK(nst_ip6_eq(&p.ip.dst, &all_routers));
    CHECK_EQ(p.ip.hop_limit, 255);
    CHECK(p.nd.has_src_lladdr && nst_mac_eq(&p.nd.src_lladdr, &n->mh));
    /* A router that does not advertise discards them (6.2.6). */
    CHECK_EQ(S(n->r)->ndra_rs_received, 3);
    CHECK_EQ(S(n->r)->ndra_rs_ignored, 3);
    CHECK_EQ(S(n->h)->ndra_rs_sent, 3);

    /* Advertising from 20 s: the first RA at once. */
    nst_world_run_until(n->w, NST_SEC(20));
    struct nst_ra_config c = ra_config();
    c.other = 1;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(20));
    const struct ra_seen *ra[8];
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 8), 1);
    CHECK_EQ(ra[0]->at, NST_SEC(20));
    CHECK_EQ(su6_parse(ra[0]->data, ra[0]->len, &p), 0);
    CHECK(p.nd_ok);
    CHECK(nst_ip6_eq(&p.ip.src, &n->llr));
    CHECK(nst_ip6_eq(&p.ip.dst, &all_nodes));
    CHECK_EQ(p.ip.hop_limit, 255);
    CHECK_EQ(p.nd.router_lifetime, 1800);
    CHECK_EQ(p.nd.cur_hop_limit, 64);
    CHECK_EQ(p.nd.flags, NST_ND_RA_OTHER);
    CHECK(p.nd.has_src_lladdr && nst_mac_eq(&p.nd.src_lladdr, &n->mr));
    CHECK(!p.nd.has_mtu);
    CHECK_EQ(p.nd.n_prefixes, 1);
    CHECK_EQ(p.nd.prefix[0].flags, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO);

    /* It arrives 1 ms later: default router, prefix, a tentative address. */
    nst_time_t t_ra = NST_SEC(20) + NST_MSEC(1);
    nst_world_run_until(n->w, t_ra);
    struct nst_ip6_router_info ri[4];
    CHECK_EQ(nst_ip6_router_list(n->h, ri, 4), 1);
    CHECK(nst_ip6_eq(&ri[0].addr, &n->llr));
    CHECK_EQ(ri[0].expires, t_ra + NST_SEC(1800));
    CHECK_EQ(ri[0].is_default, 1);
    struct nst_route6 rt;
    nst_ip6_t far = su6_addr("2001:db8:99::1");
    CHECK_EQ(nst_route6_lookup(n->h, &far, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    CHECK_EQ(rt.origin, NST_ROUTE6_RA);
    CHECK(nst_ip6_eq(&rt.gateway, &n->llr));
    struct nst_ip6_prefix_info pi[4];
    CHECK_EQ(nst_ip6_prefix_list(n->h, pi, 4), 1);
    CHECK_EQ(pi[0].len, 64);
    CHECK_EQ(pi[0].expires, t_ra + NST_SEC(3600));
    nst_ip6_t mine = ra_host_global(n);
    struct nst_addr6_info ai;
    CHECK_EQ(ra_addr_info(n->h, &mine, &ai), NST_ADDR6_TENTATIVE);
    CHECK_EQ(ai.origin, NST_ADDR6_SLAAC);
    CHECK_EQ(ai.prefix_len, 64);
    CHECK_EQ(S(n->h)->ndra_slaac_formed, 1);
    /* DAD: one solicitation at once, RetransTimer (1 s) without answer. */
    nst_world_run_until(n->w, t_ra + NST_SEC(1) - 1);
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_TENTATIVE);
    nst_world_run_until(n->w, t_ra + NST_SEC(1));
    CHECK_EQ(ra_addr_info(n->h, &mine, &ai), NST_ADDR6_PREFERRED);
    CHECK_EQ(ai.preferred_left, NST_SEC(1800) - NST_SEC(1));
    CHECK_EQ(ai.valid_left, NST_SEC(3600) - NST_SEC(1));
    /* The host pings the router's global address from its new one. */
    size_t before = n->n;
    CHECK_EQ(nst_icmp6_send_echo(n->h, &rglobal, -1, 7, 1, "slaac", 5), 0);
    nst_world_run_for(n->w, NST_SEC(1));
    CHECK_EQ(S(n->h)->icmp6_rx_echo_reply, 1);
    CHECK_EQ(S(n->r)->icmp6_rx_echo_request, 1);
    int saw_request = 0;
    for (size_t i = before; i < n->n; i++) {
        if (su6_parse(n->f[i].data, n->f[i].len, &p) < 0 || !p.icmp_ok ||
            p.icmp.type != NST_ICMP6_ECHO_REQUEST)
            continue;
        saw_request = 1;
        CHECK(nst_ip6_eq(&p.ip.src, &mine));
    }
    CHECK(saw_request);
    /* No solicitation after the RA; the router's next two RAs 16 s apart
     * (MAX_INITIAL_RTR_ADVERT_INTERVAL: Min is 198 s). */
    nst_world_run_until(n->w, NST_SEC(60));
    CHECK_EQ(ra_frames_of(n, 1, NST_ICMP6_ROUTER_SOLICIT, rs, 8), 3);
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 8), 3);
    CHECK_EQ(ra[1]->at, NST_SEC(36));
    CHECK_EQ(ra[2]->at, NST_SEC(52));
    CHECK_EQ(S(n->h)->ndra_slaac_formed, 1); /* refreshed, not formed again */
    ra_net_free(n);
}

/* The RA radvd sent (tests/unit/radvd_frames.h), as it was on the wire,
 * to a host: everything in it taken. */
static void test_radvd_ra(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(3));
    nst_stack_input(n->h, 0, radvd_ra, sizeof radvd_ra, nst_world_now(n->w));
    nst_ip6_t radvd = su6_addr("fe80::4e:53ff:fe00:9"), p = su6_addr("2001:db8:1::"), a;
    struct nst_ip6_router_info ri;
    CHECK_EQ(nst_ip6_router_list(n->h, &ri, 1), 1);
    CHECK(nst_ip6_eq(&ri.addr, &radvd));
    CHECK_EQ(ri.expires, NST_SEC(3) + NST_SEC(1800));
    nst_ip6_from_eui64(&p, &n->mh, &a);
    struct nst_addr6_info ai;
    CHECK_EQ(ra_addr_info(n->h, &a, &ai), NST_ADDR6_TENTATIVE);
    CHECK_EQ(ai.valid_left, NST_SEC(86400));
    CHECK_EQ(ai.preferred_left, NST_SEC(14400));
    const struct nst_ip6_iface *ifc = nst_ip6_if(n->h, 0);
    CHECK_EQ(ifc->mtu, 1480);
    CHECK_EQ(ifc->hop_limit, 64);
    CHECK_EQ(ifc->retrans, NST_SEC(1));
    CHECK_EQ(ifc->base_reachable, NST_SEC(30));
    /* The router's link-layer address, a router. */
    struct nst_neigh6_info nb;
    CHECK_EQ(ra_neigh(n->h, &radvd, &nb), NST_NEIGH6_STALE);
    CHECK_EQ(nb.is_router, 1);
    nst_world_run_for(n->w, NST_SEC(2));
    CHECK_EQ(ra_addr_info(n->h, &a, NULL), NST_ADDR6_PREFERRED);
    ra_net_free(n);
}

/* ---- lifetimes -------------------------------------------------------------- */

static void test_lifetimes(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(10));
    nst_ip6_t mine = ra_host_global(n), far = su6_addr("2001:db8:99::1");
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_PREFERRED);
    struct nst_route6 rt;
    CHECK_EQ(nst_route6_lookup(n->h, &far, &rt), 0);
    /* The router stops (6.2.5): a last RA with router lifetime 0. The host
     * drops it as default router at once (6.3.4); the prefix stays, its
     * lifetimes renewed by that RA. */
    c.advertise = 0;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_time_t t = NST_SEC(10) + NST_MSEC(1);
    nst_world_run_until(n->w, t);
    CHECK_EQ(nst_ip6_router_list(n->h, NULL, 0), 0);
    CHECK_EQ(nst_route6_lookup(n->h, &far, &rt), -ENETUNREACH);
    CHECK_EQ(S(n->h)->ndra_routers_expired, 1);
    CHECK_EQ(nst_ip6_prefix_list(n->h, NULL, 0), 1);
    /* RFC 4862 5.5.4: deprecated when the preferred lifetime ends, removed
     * when the valid one does; the prefix's route with it. */
    nst_world_run_until(n->w, t + NST_SEC(1800) - 1);
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_PREFERRED);
    nst_world_run_until(n->w, t + NST_SEC(1800));
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_DEPRECATED);
    CHECK_EQ(S(n->h)->ndra_slaac_deprecated, 1);
    nst_ip6_t peer = su6_addr("2001:db8:1::5");
    CHECK_EQ(nst_route6_lookup(n->h, &peer, &rt), 0);
    nst_world_run_until(n->w, t + NST_SEC(3600) - 1);
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_DEPRECATED);
    nst_world_run_until(n->w, t + NST_SEC(3600));
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), -1);
    CHECK_EQ(S(n->h)->ndra_slaac_expired, 1);
    CHECK_EQ(nst_ip6_prefix_list(n->h, NULL, 0), 0);
    CHECK_EQ(nst_route6_lookup(n->h, &peer, &rt), -ENETUNREACH);
    ra_net_free(n);
}

/* RFC 4862 5.5.3 (e) on the wire: an RA cannot cut a day-long valid
 * lifetime below two hours; a longer one is taken as is. */
static void test_two_hours(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    c.prefix[0].valid_lifetime = 86400;
    c.prefix[0].preferred_lifetime = 3600;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(100));
    c.prefix[0].valid_lifetime = 600; /* a new configuration: sent at once */
    c.prefix[0].preferred_lifetime = 300;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(100) + NST_MSEC(1));
    nst_ip6_t mine = ra_host_global(n);
    struct nst_addr6_info ai;
    CHECK_EQ(ra_addr_info(n->h, &mine, &ai), NST_ADDR6_PREFERRED);
    CHECK_EQ(ai.valid_left, NST_SEC(7200));
    CHECK_EQ(ai.preferred_left, NST_SEC(300));
    CHECK_EQ(S(n->h)->ndra_slaac_two_hours, 1);
    /* The initial RAs of the new configuration (116 s, 132 s) and the same
     * configuration again at 150 s: at most two hours remain each time,
     * so they are ignored (rule 2). */
    nst_world_run_until(n->w, NST_SEC(150));
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(150) + NST_MSEC(1));
    CHECK_EQ(ra_addr_info(n->h, &mine, &ai), NST_ADDR6_PREFERRED);
    CHECK_EQ(ai.valid_left, NST_SEC(7200) - NST_SEC(50));
    CHECK_EQ(S(n->h)->ndra_slaac_two_hours, 4);
    /* More than two hours: taken (rule 1). Configured right away, the RA
     * waits for MIN_DELAY_BETWEEN_RAS after the last (6.2.6): 153 s. */
    c.prefix[0].valid_lifetime = 3 * 3600;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(153));
    CHECK_EQ(ra_addr_info(n->h, &mine, &ai), NST_ADDR6_PREFERRED);
    CHECK_EQ(ai.valid_left, NST_SEC(7200) - NST_SEC(53) + NST_MSEC(1)); /* not yet */
    nst_world_run_until(n->w, NST_SEC(153) + NST_MSEC(1));
    CHECK_EQ(ra_addr_info(n->h, &mine, &ai), NST_ADDR6_PREFERRED);
    CHECK_EQ(ai.valid_left, NST_SEC(3 * 3600));
    CHECK_EQ(S(n->h)->ndra_slaac_two_hours, 4);
    ra_net_free(n);
}

static void test_mtu_option(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    c.link_mtu = 1600; /* above the link's 1500: refused */
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), -EINVAL);
    c.link_mtu = 1400;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(5));
    nst_ip6_t far = su6_addr("2001:db8:99::1"), src;
    uint32_t mtu = 0;
    CHECK_EQ(nst_ip6_route_src(n->h, &far, -1, &src, &mtu), 0);
    CHECK_EQ(mtu, 1400);
    CHECK_EQ(S(n->h)->ndra_mtu_set, 1);
    /* A crafted RA with an MTU above the link's, and one below 1280: ignored. */
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .router_lifetime = 600, .has_mtu = 1, .mtu = 9000};
    nst_ip6_t all = su6_addr("ff02::1");
    ra_inject(n, n->h, &n->llr, &all, 255, &r);
    r.mtu = 1200;
    ra_inject(n, n->h, &n->llr, &all, 255, &r);
    CHECK_EQ(S(n->h)->ndra_mtu_bad, 2);
    CHECK_EQ(nst_ip6_route_src(n->h, &far, -1, &src, &mtu), 0);
    CHECK_EQ(mtu, 1400);
    ra_net_free(n);
}

/* The router already holds the address the host forms (2001:db8:1:: and
 * the host's EUI-64): the host's DAD hears it defended (RFC 4862 5.4.4),
 * the address is DUPLICATE, counted, never used, not formed again. */
static void test_dad_conflict(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_ip6_t mine = ra_host_global(n);
    CHECK_EQ(nst_iface_addr6_add(n->r, 0, &mine, 64), 0);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(5));
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_DUPLICATE);
    CHECK_EQ(S(n->h)->ndra_slaac_dad_failed, 1);
    CHECK_EQ(S(n->h)->nd_dad_duplicate, 1);
    CHECK_EQ(ra_addr_info(n->r, &mine, NULL), NST_ADDR6_PREFERRED);
    nst_ip6_t far = su6_addr("2001:db8:99::1"), src;
    if (nst_ip6_route_src(n->h, &far, -1, &src, NULL) == 0)
        CHECK(!nst_ip6_eq(&src, &mine));
    nst_world_run_until(n->w, NST_SEC(60)); /* two more RAs */
    CHECK_EQ(S(n->h)->ndra_slaac_formed, 1);
    CHECK_EQ(S(n->h)->ndra_slaac_dad_failed, 1);
    ra_net_free(n);
}

/* ---- crafted input ----------------------------------------------------------- */

/* Thousands of RAs from random link-local routers, each with up to four
 * random /64 prefixes: every list stays at its configured bound (8
 * routers, 16 prefixes, 4 SLAAC addresses), the rest is counted. */
static void test_ra_flood(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(3)); /* after the host's first solicitation */
    struct nst_rng g;
    nst_rng_seed(&g, 1234);
    nst_ip6_t all = su6_addr("ff02::1");
    uint64_t prefixes = 0;
    const int N = 3000;
    for (int i = 0; i < N; i++) {
        nst_ip6_t src = su6_addr("fe80::");
        nst_rng_fill(&g, src.b + 8, 8);
        struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .router_lifetime = 1800,
                                .n_prefixes = (uint8_t)(1 + nst_rng_below(&g, NST_ND_MAX_PREFIXES))};
        for (unsigned k = 0; k < r.n_prefixes; k++) {
            r.prefix[k] = (struct nst_nd_prefix){64, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO, 86400, 3600,
                                                 su6_addr("2001::")};
            nst_rng_fill(&g, r.prefix[k].prefix.b + 2, 6);
        }
        prefixes += r.n_prefixes;
        ra_inject(n, n->h, &src, &all, 255, &r);
    }
    CHECK_EQ(S(n->h)->ndra_ra_received, (uint64_t)N);
    CHECK_EQ(nst_ip6_router_list(n->h, NULL, 0), 8);
    CHECK_EQ(nst_ip6_prefix_list(n->h, NULL, 0), 16);
    CHECK_EQ(S(n->h)->ndra_routers_added, 8);
    CHECK_EQ(S(n->h)->ndra_routers_full, (uint64_t)N - 8);
    CHECK_EQ(S(n->h)->ndra_prefixes_added + S(n->h)->ndra_prefixes_full, prefixes);
    CHECK_EQ(S(n->h)->ndra_slaac_formed, 4);
    CHECK_EQ(S(n->h)->ndra_slaac_full, prefixes - 4);
    CHECK_EQ(count_origin(n->h, NST_ADDR6_SLAAC), 4);
    struct nst_route6 routes[64];
    int nr = nst_route6_list(n->h, routes, 64);
    CHECK(nr <= 1 + 16 + 4 + 1); /* fe80::/64, the prefixes, the SLAAC /64s, ::/0 */
    /* The formed addresses pass DAD as usual. */
    nst_world_run_for(n->w, NST_SEC(2));
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(n->h, 0, v, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < k && i < NST_IP6_MAX_ADDRS; i++)
        CHECK_EQ(v[i].state, NST_ADDR6_PREFERRED);
    ra_net_free(n);
}

/* RAs that RFC 4861 6.1.2 refuses never reach router discovery. */
static void test_bad_ra_dropped(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(3));
    nst_ip6_t all = su6_addr("ff02::1"), global = su6_addr("2001:db8::1");
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .router_lifetime = 1800};
    ra_inject(n, n->h, &n->llr, &all, 64, &r); /* forwarded from off the link */
    CHECK_EQ(S(n->h)->nd_rx_bad_hop_limit, 1);
    ra_inject(n, n->h, &global, &all, 255, &r); /* not from a link-local address */
    CHECK_EQ(S(n->h)->nd_rx_invalid, 1);
    CHECK_EQ(S(n->h)->nd_rx_ra, 2);
    CHECK_EQ(S(n->h)->ndra_ra_received, 0);
    CHECK_EQ(nst_ip6_router_list(n->h, NULL, 0), 0);
    ra_inject(n, n->h, &n->llr, &all, 255, &r); /* the same, valid */
    CHECK_EQ(S(n->h)->ndra_ra_received, 1);
    CHECK_EQ(nst_ip6_router_list(n->h, NULL, 0), 1);
    ra_net_free(n);
}

static void test_redirect(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(5));
    nst_ip6_t better = su6_addr("fe80::99"), stranger = su6_addr("fe80::66");
    struct nst_nd_repr rd = {.type = NST_ICMP6_REDIRECT, .target = better, .dest = su6_addr("2001:db8:9::1"),
                             .has_tgt_lladdr = 1, .tgt_lladdr = {{0x02, 0x99, 0, 0, 0, 0x99}}};
    /* From a node that is not our first hop toward the destination: refused. */
    ra_inject(n, n->h, &stranger, &n->llh, 255, &rd);
    CHECK_EQ(S(n->h)->ndra_redirects_not_first_hop, 1);
    /* 8.1: silently discarded, its target link-layer address with it. */
    CHECK_EQ(ra_neigh(n->h, &better, NULL), -1);
    struct nst_route6 rt;
    CHECK_EQ(nst_route6_lookup(n->h, &rd.dest, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    /* From the default router: a /128 through the better router. */
    nst_time_t t = nst_world_now(n->w);
    ra_inject(n, n->h, &n->llr, &n->llh, 255, &rd);
    CHECK_EQ(S(n->h)->ndra_redirects_accepted, 1);
    CHECK_EQ(nst_route6_lookup(n->h, &rd.dest, &rt), 0);
    CHECK_EQ(rt.prefix_len, 128);
    CHECK_EQ(rt.origin, NST_ROUTE6_REDIRECT);
    CHECK(nst_ip6_eq(&rt.gateway, &better));
    struct nst_neigh6_info nb;
    CHECK_EQ(ra_neigh(n->h, &better, &nb), NST_NEIGH6_STALE);
    CHECK_EQ(nb.is_router, 1);
    CHECK(nst_mac_eq(&nb.mac, &rd.tgt_lladdr));
    /* The destination on-link (target == destination), from the default router. */
    struct nst_nd_repr on = {.type = NST_ICMP6_REDIRECT, .target = su6_addr("2001:db8:9::2"),
                             .dest = su6_addr("2001:db8:9::2")};
    ra_inject(n, n->h, &n->llr, &n->llh, 255, &on);
    CHECK_EQ(nst_route6_lookup(n->h, &on.dest, &rt), 0);
    CHECK_EQ(rt.prefix_len, 128);
    CHECK(nst_ip6_is_unspecified(&rt.gateway));
    /* Aged out redirect_ttl (600 s) later. */
    nst_world_run_until(n->w, t + NST_SEC(600) - 1);
    CHECK_EQ(nst_route6_lookup(n->h, &rd.dest, &rt), 0);
    CHECK_EQ(rt.prefix_len, 128);
    nst_world_run_until(n->w, t + NST_SEC(600));
    CHECK_EQ(nst_route6_lookup(n->h, &rd.dest, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    CHECK_EQ(S(n->h)->ndra_redirects_expired, 2);
    ra_net_free(n);
}

/* RFC 5942 4: an autonomous prefix without the on-link flag gives an
 * address and no on-link route: another address of the prefix is reached
 * through the default router (an echo to it goes to the router's MAC). */
static void test_autonomous_not_onlink(void)
{
    struct ra_net *n = ra_net_new(NULL);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    c.prefix[0].onlink = 0;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(5));
    nst_ip6_t mine = ra_host_global(n), other = su6_addr("2001:db8:1::5");
    CHECK_EQ(ra_addr_info(n->h, &mine, NULL), NST_ADDR6_PREFERRED);
    CHECK_EQ(nst_ip6_prefix_list(n->h, NULL, 0), 0);
    /* Routes: fe80::/64 (link-local, connected) and ::/0 via the router only. */
    struct nst_route6 v[16];
    CHECK_EQ(nst_route6_list(n->h, v, 16), 2);
    nst_ip6_t prefix = su6_addr("2001:db8:1::");
    for (int i = 0; i < 2; i++)
        CHECK(!nst_ip6_in_prefix(&v[i].dst, &prefix, 64));
    struct nst_route6 rt;
    CHECK_EQ(nst_route6_lookup(n->h, &other, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    CHECK(nst_ip6_eq(&rt.gateway, &n->llr));
    size_t before = n->n;
    CHECK_EQ(nst_icmp6_send_echo(n->h, &other, -1, 7, 1, "x", 1), 0);
    nst_world_run_for(n->w, NST_MSEC(100));
    int seen = 0;
    struct su6_parsed p;
    for (size_t i = before; i < n->n; i++) {
        if (n->f[i].dir != 1 || su6_parse(n->f[i].data, n->f[i].len, &p) < 0 || !p.icmp_ok ||
            p.icmp.type != NST_ICMP6_ECHO_REQUEST)
            continue;
        seen++;
        CHECK(nst_ip6_eq(&p.ip.src, &mine));
        CHECK(nst_ip6_eq(&p.ip.dst, &other));
        CHECK(memcmp(n->f[i].data, n->mr.b, 6) == 0); /* Ethernet destination: the router */
    }
    CHECK_EQ(seen, 1);
    ra_net_free(n);
}

int main(void)
{
    RUN(test_solicit_then_slaac);
    RUN(test_radvd_ra);
    RUN(test_lifetimes);
    RUN(test_two_hours);
    RUN(test_mtu_option);
    RUN(test_dad_conflict);
    RUN(test_ra_flood);
    RUN(test_bad_ra_dropped);
    RUN(test_redirect);
    RUN(test_autonomous_not_onlink);
    return nst_test_done();
}
