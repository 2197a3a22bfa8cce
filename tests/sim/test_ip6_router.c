/* The router side of router discovery (RFC 4861 6.2), in virtual time:
 * the unsolicited schedule (the first RA when advertising starts, the
 * next MAX_INITIAL_RTR_ADVERTISEMENTS no more than 16 s apart, then
 * uniformly between MinRtrAdvInterval and MaxRtrAdvInterval); answers to
 * solicitations after the random 0..MAX_RA_DELAY_TIME delay drawn from the
 * stack's seeded generator, to the nanosecond, and never two multicast RAs
 * within MIN_DELAY_BETWEEN_RAS; the solicitor learnt (STALE); an
 * advertising interface ignoring RAs; a host discarding an RS without
 * learning its sender; the configuration's bounds. */
#include <errno.h>

#include "ip6/ip6_impl.h"
#include "support/ra_util.h"
#include "test.h"

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

/* The delay the stack will draw for its next answer (its generator copied). */
static nst_time_t next_answer_delay(struct nst_stack *st)
{
    struct nst_rng copy = st->rng;
    return (nst_time_t)nst_rng_below(&copy, (uint64_t)NST_MSEC(500) + 1);
}

static void quiet_host(struct nst_stack_config *c) { c->nd_rtr_solicitations = 0; }

static void test_unsolicited_schedule(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    c.max_interval = NST_SEC(4); /* the RFC's smallest: Min 3 s .. Max 4 s */
    c.min_interval = NST_SEC(3);
    c.default_lifetime = 4;
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(120));
    const struct ra_seen *ra[64];
    size_t k = ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 64);
    CHECK(k >= 29 && k <= 40);
    CHECK_EQ(ra[0]->at, NST_SEC(2));
    nst_time_t lo = NST_SEC(4), hi = 0;
    for (size_t i = 1; i < k && i < 64; i++) {
        nst_time_t gap = ra[i]->at - ra[i - 1]->at;
        CHECK(gap >= NST_SEC(3) && gap <= NST_SEC(4));
        lo = gap < lo ? gap : lo;
        hi = gap > hi ? gap : hi;
    }
    CHECK(hi - lo > NST_MSEC(500)); /* drawn, not fixed */
    CHECK_EQ(S(n->r)->ndra_ra_sent, k);
    /* The host keeps its router: each RA renews 4 s of router lifetime. */
    CHECK_EQ(nst_ip6_router_list(n->h, NULL, 0), 1);
    ra_net_free(n);
}

static void test_solicited_answers(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    /* Unsolicited: 2 s, 18 s, 34 s, then 198 s or more later. */
    nst_world_run_until(n->w, NST_SEC(100));
    const struct ra_seen *ra[16];
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 16), 3);
    CHECK_EQ(ra[1]->at, NST_SEC(18));
    CHECK_EQ(ra[2]->at, NST_SEC(34));
    /* A solicitation at 100 s: answered after the drawn delay, to all-nodes. */
    nst_ip6_t all_routers = su6_addr("ff02::2"), all_nodes = su6_addr("ff02::1");
    struct nst_nd_repr rs = {.type = NST_ICMP6_ROUTER_SOLICIT, .has_src_lladdr = 1, .src_lladdr = n->mh};
    nst_time_t d = next_answer_delay(n->r);
    CHECK(d >= 0 && d <= NST_MSEC(500));
    ra_inject(n, n->r, &n->llh, &all_routers, 255, &rs);
    /* The solicitor is in the neighbour cache, STALE (6.2.6). */
    struct nst_neigh6_info nb;
    CHECK_EQ(ra_neigh(n->r, &n->llh, &nb), NST_NEIGH6_STALE);
    CHECK(nst_mac_eq(&nb.mac, &n->mh));
    nst_world_run_until(n->w, NST_SEC(100) + d - 1);
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 16), 3);
    nst_world_run_until(n->w, NST_SEC(100) + d);
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 16), 4);
    CHECK_EQ(ra[3]->at, NST_SEC(100) + d);
    struct su6_parsed p;
    CHECK_EQ(su6_parse(ra[3]->data, ra[3]->len, &p), 0);
    CHECK(nst_ip6_eq(&p.ip.dst, &all_nodes));
    CHECK(nst_ip6_eq(&p.ip.src, &n->llr));
    CHECK_EQ(p.ip.hop_limit, 255);
    /* Another one second later: within MIN_DELAY_BETWEEN_RAS (3 s) of that
     * answer, so it waits until 3 s after it, plus its own delay. From ::
     * (no link-layer address option): answered all the same. */
    nst_world_run_until(n->w, NST_SEC(101));
    nst_ip6_t unspec = su6_addr("::");
    rs.has_src_lladdr = 0;
    nst_time_t d2 = next_answer_delay(n->r);
    ra_inject(n, n->r, &unspec, &all_routers, 255, &rs);
    nst_time_t due = NST_SEC(100) + d + NST_SEC(3) + d2;
    nst_world_run_until(n->w, due - 1);
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 16), 4);
    nst_world_run_until(n->w, due);
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 16), 5);
    CHECK_EQ(ra[4]->at, due);
    CHECK_EQ(S(n->r)->ndra_rs_received, 2);
    /* Ten solicitations at once: one answer. */
    nst_world_run_until(n->w, NST_SEC(120));
    rs.has_src_lladdr = 1;
    for (int i = 0; i < 10; i++)
        ra_inject(n, n->r, &n->llh, &all_routers, 255, &rs);
    nst_world_run_until(n->w, NST_SEC(121));
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 16), 6);
    ra_net_free(n);
}

/* A solicitation just before the scheduled RA: the scheduled one answers it. */
static void test_solicitation_before_scheduled(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(18) - NST_MSEC(100)); /* the next is due at 18 s */
    nst_ip6_t all_routers = su6_addr("ff02::2");
    struct nst_nd_repr rs = {.type = NST_ICMP6_ROUTER_SOLICIT};
    nst_ip6_t unspec = su6_addr("::");
    nst_time_t d = next_answer_delay(n->r);
    ra_inject(n, n->r, &unspec, &all_routers, 255, &rs);
    nst_world_run_until(n->w, NST_SEC(19));
    const struct ra_seen *ra[8];
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_ROUTER_ADVERT, ra, 8), 2);
    CHECK_EQ(ra[1]->at, d < NST_MSEC(100) ? NST_SEC(18) - NST_MSEC(100) + d : NST_SEC(18));
    ra_net_free(n);
}

static void test_router_ignores_ra(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_ip6_t all_nodes = su6_addr("ff02::1"), other = su6_addr("fe80::77");
    struct nst_nd_repr ra = {.type = NST_ICMP6_ROUTER_ADVERT, .router_lifetime = 1800, .n_prefixes = 1};
    ra.prefix[0] = (struct nst_nd_prefix){64, NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO, 3600, 1800,
                                          su6_addr("2001:db8:77::")};
    ra_inject(n, n->r, &other, &all_nodes, 255, &ra);
    CHECK_EQ(S(n->r)->ndra_ra_received, 1);
    CHECK_EQ(S(n->r)->ndra_ra_ignored, 1);
    CHECK_EQ(nst_ip6_router_list(n->r, NULL, 0), 0);
    CHECK_EQ(nst_ip6_prefix_list(n->r, NULL, 0), 0);
    ra_net_free(n);
}

/* RFC 4861 6.2.6: a host silently discards a Router Solicitation, the
 * solicitor's link-layer address with it: no neighbour entry. */
static void test_host_discards_rs(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    nst_world_run_until(n->w, NST_SEC(2));
    nst_ip6_t asker = su6_addr("fe80::55");
    struct nst_nd_repr rs = {.type = NST_ICMP6_ROUTER_SOLICIT, .has_src_lladdr = 1,
                             .src_lladdr = {{0x02, 0x55, 0, 0, 0, 0x55}}};
    /* Unicast to its link-local address: a host does not listen to ff02::2. */
    ra_inject(n, n->h, &asker, &n->llh, 255, &rs);
    CHECK_EQ(S(n->h)->nd_rx_rs, 1);
    CHECK_EQ(S(n->h)->ndra_rs_received, 1);
    CHECK_EQ(S(n->h)->ndra_rs_ignored, 1);
    CHECK_EQ(ra_neigh(n->h, &asker, NULL), -1);
    ra_net_free(n);
}

/* RFC 4861 8.2: the router knows 2001:db8:77::/64 is on this very link;
 * the host, which does not, sends to it through its default router; the
 * router forwards the echo back out of the same interface and tells the
 * host with a Redirect (target = destination: on-link), from its
 * link-local address, hop limit 255, quoting the echo. The host's next
 * packet goes directly: no second Redirect. */
static void test_sends_redirect(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    nst_ip6_t rglobal = su6_addr("2001:db8:1::1"), far = su6_addr("2001:db8:77::5");
    CHECK_EQ(nst_iface_addr6_add(n->r, 0, &rglobal, 64), 0);
    nst_ip6_t p77 = su6_addr("2001:db8:77::");
    CHECK_EQ(nst_route6_add(n->r, &p77, 64, NULL, 0, 0), 0);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), 0);
    nst_world_run_until(n->w, NST_SEC(5)); /* the host's address is preferred */
    struct nst_route6 rt;
    CHECK_EQ(nst_route6_lookup(n->h, &far, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    size_t before = n->n;
    CHECK_EQ(nst_icmp6_send_echo(n->h, &far, -1, 9, 1, "redirect me", 11), 0);
    nst_world_run_for(n->w, NST_MSEC(10));
    CHECK_EQ(S(n->r)->ndra_redirects_sent, 1);
    CHECK_EQ(S(n->r)->ip6_forwarded, 1);
    const struct ra_seen *rd[4];
    CHECK_EQ(ra_frames_of(n, 0, NST_ICMP6_REDIRECT, rd, 4), 1);
    CHECK(rd[0] >= &n->f[before]);
    struct su6_parsed p;
    CHECK_EQ(su6_parse(rd[0]->data, rd[0]->len, &p), 0);
    CHECK(p.nd_ok);
    nst_ip6_t mine = ra_host_global(n);
    CHECK(nst_ip6_eq(&p.ip.src, &n->llr));
    CHECK(nst_ip6_eq(&p.ip.dst, &mine));
    CHECK_EQ(p.ip.hop_limit, 255);
    CHECK(nst_ip6_eq(&p.nd.target, &far));
    CHECK(nst_ip6_eq(&p.nd.dest, &far));
    CHECK_EQ(p.nd.has_tgt_lladdr, 0); /* the destination is not resolved yet */
    CHECK(p.nd.redirected_len >= 40 + 8 + 11);
    struct nst_ipv6_repr quoted;
    CHECK_EQ(nst_ipv6_parse(p.nd.redirected, p.nd.redirected_len, &quoted), 40);
    CHECK(nst_ip6_eq(&quoted.src, &mine) && nst_ip6_eq(&quoted.dst, &far));
    /* The host took it: a /128, on-link. */
    CHECK_EQ(S(n->h)->ndra_redirects_accepted, 1);
    CHECK_EQ(nst_route6_lookup(n->h, &far, &rt), 0);
    CHECK_EQ(rt.prefix_len, 128);
    CHECK_EQ(rt.origin, NST_ROUTE6_REDIRECT);
    CHECK(nst_ip6_is_unspecified(&rt.gateway));
    CHECK_EQ(nst_icmp6_send_echo(n->h, &far, -1, 9, 2, "redirect me", 11), 0);
    nst_world_run_for(n->w, NST_SEC(5));
    CHECK_EQ(S(n->r)->ndra_redirects_sent, 1);
    CHECK_EQ(S(n->r)->ip6_forwarded, 1);
    ra_net_free(n);
}

static void test_config_errors(void)
{
    struct ra_net *n = ra_net_new(quiet_host);
    struct nst_ra_config c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(n->r, 5, &c), -ENODEV);
    c.min_interval = c.max_interval; /* more than 0.75 Max */
    CHECK_EQ(nst_ip6_ra_config(n->r, 0, &c), -EINVAL);
    ra_net_free(n);
    /* Without IPv6. */
    struct nst_stack_config sc;
    nst_stack_config_default(&sc);
    struct nst_stack *st = nst_stack_new(&sc);
    c = ra_config();
    CHECK_EQ(nst_ip6_ra_config(st, 0, &c), -EAFNOSUPPORT);
    CHECK_EQ(nst_ip6_router_list(st, NULL, 0), 0);
    nst_stack_free(st);
}

int main(void)
{
    RUN(test_unsolicited_schedule);
    RUN(test_solicited_answers);
    RUN(test_solicitation_before_scheduled);
    RUN(test_router_ignores_ra);
    RUN(test_host_discards_rs);
    RUN(test_sends_redirect);
    RUN(test_config_errors);
    return nst_test_done();
}
