/* IPv6 on one link, in virtual time: two hosts with cfg.ipv6 get EUI-64
 * link-local addresses, pass duplicate address detection (RFC 4862 5.4)
 * at exact times, resolve each other with NS/NA (RFC 4861 7.2) and ping
 * with ICMPv6 echo (RFC 4443 4); the neighbour entries then age through
 * STALE, DELAY and PROBE (7.3.3) as the RFC times them. Every frame on the
 * wire is checked. */
#include <errno.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

#define MAXF 256

struct seen {
    nst_time_t at;
    int dir;
    size_t len;
    uint8_t data[1600];
};

struct capture {
    size_t n;
    struct seen f[MAXF];
};

static void observe(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *frame,
                    size_t len)
{
    struct capture *c = arg;
    if (ev != NST_SIM_OFFERED || c->n >= MAXF || len > sizeof c->f[0].data)
        return;
    struct seen *s = &c->f[c->n++];
    s->at = now;
    s->dir = dir;
    s->len = len;
    memcpy(s->data, frame, len);
}

struct net {
    struct nst_world *w;
    struct nst_stack *a, *b;
    struct nst_sim_link *l;
    struct nst_mac ma, mb;
    nst_ip6_t lla, llb;
    struct capture cap;
};

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static void net_up(struct net *n, nst_time_t dad_delay)
{
    memset(n, 0, sizeof(*n));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_dad_delay = dad_delay;
    c.nd_rtr_solicitations = 0; /* no Router Solicitations among the frames this test counts */
    c.ip6_mld = 0;              /* nor MLD reports */
    n->w = nst_world_new(42);
    n->a = nst_world_add_host(n->w, "a", &c);
    n->b = nst_world_add_host(n->w, "b", &c);
    struct nst_link_params lp;
    nst_link_params_default(&lp); /* 1 ms each way */
    n->l = nst_world_connect(n->w, n->a, NST_IP4(10, 0, 0, 1), 24, n->b, NST_IP4(10, 0, 0, 2), 24, &lp);
    nst_sim_link_observe(n->l, observe, &n->cap);
    struct nst_iface_info ia, ib;
    nst_iface_get(n->a, 0, &ia);
    nst_iface_get(n->b, 0, &ib);
    n->ma = ia.mac;
    n->mb = ib.mac;
    n->lla = su6_link_local(&n->ma);
    n->llb = su6_link_local(&n->mb);
}

static void net_down(struct net *n) { nst_world_free(n->w); }

static int addr_state(struct nst_stack *st, const nst_ip6_t *a)
{
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(st, 0, v, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < k && i < NST_IP6_MAX_ADDRS; i++)
        if (nst_ip6_eq(&v[i].addr, a))
            return v[i].state;
    return -1;
}

static int neigh_state(struct nst_stack *st, const nst_ip6_t *a, struct nst_neigh6_info *out)
{
    struct nst_neigh6_info v[16];
    int k = nst_neigh6_list(st, v, 16);
    for (int i = 0; i < k && i < 16; i++)
        if (nst_ip6_eq(&v[i].addr, a)) {
            if (out)
                *out = v[i];
            return v[i].state;
        }
    return -1;
}

static struct su6_parsed frame_at(struct net *n, size_t i)
{
    struct su6_parsed p;
    CHECK(i < n->cap.n);
    CHECK_EQ(su6_parse(n->cap.f[i].data, n->cap.f[i].len, &p), 0);
    return p;
}

/* The DAD solicitation of RFC 4862 5.4.2: from ::, to the solicited-node
 * group of the address (and its 33:33 MAC), hop limit 255, target the
 * address, no link-layer option, a nonce (RFC 7527). */
static void check_dad_ns(struct net *n, size_t i, const nst_ip6_t *target)
{
    struct su6_parsed p = frame_at(n, i);
    nst_ip6_t sn, zero = {{0}};
    struct nst_mac mm;
    nst_ip6_solicited_node(target, &sn);
    nst_ip6_mcast_mac(&sn, &mm);
    CHECK(p.nd_ok);
    CHECK_EQ(p.icmp.type, NST_ICMP6_NEIGHBOR_SOLICIT);
    CHECK(nst_ip6_eq(&p.ip.src, &zero));
    CHECK(nst_ip6_eq(&p.ip.dst, &sn));
    CHECK(nst_mac_eq(&p.eth.dst, &mm));
    CHECK_EQ(p.ip.hop_limit, 255);
    CHECK(nst_ip6_eq(&p.nd.target, target));
    CHECK(!p.nd.has_src_lladdr);
    CHECK(p.nd.has_nonce);
}

static void test_link_local_dad(void)
{
    struct net n;
    net_up(&n, 0);
    /* Tentative at once: nothing may use the address during DAD. */
    CHECK_EQ(addr_state(n.a, &n.lla), NST_ADDR6_TENTATIVE);
    CHECK_EQ(addr_state(n.b, &n.llb), NST_ADDR6_TENTATIVE);
    nst_ip6_t src;
    /* Not even fe80::/64's route exists until the address is usable. */
    CHECK_EQ(nst_ip6_route_src(n.a, &n.llb, 0, &src, NULL), -ENETUNREACH);
    nst_world_run_until(n.w, NST_MSEC(999));
    /* One solicitation each (DupAddrDetectTransmits 1), at time 0. */
    CHECK_EQ(n.cap.n, 2);
    for (size_t i = 0; i < 2; i++) {
        CHECK_EQ(n.cap.f[i].at, 0);
        check_dad_ns(&n, i, n.cap.f[i].dir == 0 ? &n.lla : &n.llb);
    }
    /* The other's solicitation went to a group it did not join: its MAC
     * filter dropped it. */
    CHECK_EQ(S(n.a)->ip6_rx_mcast_not_joined, 1);
    CHECK_EQ(S(n.b)->ip6_rx_mcast_not_joined, 1);
    CHECK_EQ(addr_state(n.a, &n.lla), NST_ADDR6_TENTATIVE);
    /* RetransTimer (1 s) after the last solicitation, without an answer: unique. */
    nst_world_run_until(n.w, NST_SEC(1));
    CHECK_EQ(addr_state(n.a, &n.lla), NST_ADDR6_PREFERRED);
    CHECK_EQ(addr_state(n.b, &n.llb), NST_ADDR6_PREFERRED);
    CHECK_EQ(S(n.a)->nd_dad_ok, 1);
    CHECK_EQ(S(n.a)->nd_dad_duplicate, 0);
    CHECK_EQ(nst_ip6_route_src(n.a, &n.llb, 0, &src, NULL), 0);
    CHECK(nst_ip6_eq(&src, &n.lla));
    /* fe80::/64 is on-link (the connected route of the address). */
    struct nst_route6 rt;
    CHECK_EQ(nst_route6_lookup(n.a, &n.llb, &rt), 0);
    CHECK_EQ(rt.prefix_len, 64);
    CHECK_EQ(rt.origin, NST_ROUTE6_CONNECTED);
    net_down(&n);
}

/* RFC 4862 5.4.2: the first solicitation waits a random delay below
 * MAX_RTR_SOLICITATION_DELAY; the address turns preferred exactly
 * RetransTimer after it was sent. */
static void test_dad_random_delay(void)
{
    struct net n;
    net_up(&n, NST_SEC(1));
    nst_world_run_until(n.w, NST_SEC(3));
    CHECK_EQ(n.cap.n, 2);
    nst_time_t ta = -1;
    for (size_t i = 0; i < n.cap.n; i++) {
        CHECK(n.cap.f[i].at >= 0 && n.cap.f[i].at < NST_SEC(1));
        if (n.cap.f[i].dir == 0)
            ta = n.cap.f[i].at;
    }
    CHECK(ta >= 0);
    CHECK(n.cap.f[0].at != n.cap.f[1].at); /* drawn apart */
    net_down(&n);
    /* Again, stopping just before and at ta + 1 s. */
    net_up(&n, NST_SEC(1));
    nst_world_run_until(n.w, ta + NST_SEC(1) - 1);
    CHECK_EQ(addr_state(n.a, &n.lla), NST_ADDR6_TENTATIVE);
    nst_world_run_until(n.w, ta + NST_SEC(1));
    CHECK_EQ(addr_state(n.a, &n.lla), NST_ADDR6_PREFERRED);
    net_down(&n);
}

static const uint8_t ping_data[16] = "nstack ipv6 echo";

static void test_resolve_and_ping(void)
{
    struct net n;
    net_up(&n, 0);
    nst_world_run_until(n.w, NST_SEC(2));
    size_t base = n.cap.n;
    CHECK_EQ(nst_icmp6_send_echo(n.a, &n.llb, 0, 0x4242, 1, ping_data, sizeof ping_data), 0);
    /* Queued behind a solicitation (7.2.2): INCOMPLETE, one packet. */
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh_state(n.a, &n.llb, &ni), NST_NEIGH6_INCOMPLETE);
    CHECK_EQ(ni.queued, 1);
    nst_world_run_until(n.w, NST_SEC(2) + NST_MSEC(10));
    CHECK_EQ(n.cap.n, base + 4);
    /* 1: A's NS to B's solicited-node group, from A's address, with A's MAC. */
    struct su6_parsed p = frame_at(&n, base);
    nst_ip6_t sn;
    nst_ip6_solicited_node(&n.llb, &sn);
    CHECK_EQ(n.cap.f[base].at, NST_SEC(2));
    CHECK(p.nd_ok && p.icmp.type == NST_ICMP6_NEIGHBOR_SOLICIT);
    CHECK(nst_ip6_eq(&p.ip.src, &n.lla) && nst_ip6_eq(&p.ip.dst, &sn));
    CHECK(p.nd.has_src_lladdr && nst_mac_eq(&p.nd.src_lladdr, &n.ma));
    CHECK(!p.nd.has_nonce);
    /* 2: B's NA, unicast to A: solicited, override, B's MAC. */
    p = frame_at(&n, base + 1);
    CHECK_EQ(n.cap.f[base + 1].at, NST_SEC(2) + NST_MSEC(1));
    CHECK(p.nd_ok && p.icmp.type == NST_ICMP6_NEIGHBOR_ADVERT);
    CHECK(nst_ip6_eq(&p.ip.src, &n.llb) && nst_ip6_eq(&p.ip.dst, &n.lla));
    CHECK(nst_mac_eq(&p.eth.dst, &n.ma));
    CHECK_EQ(p.nd.flags, NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE);
    CHECK(p.nd.has_tgt_lladdr && nst_mac_eq(&p.nd.tgt_lladdr, &n.mb));
    CHECK(nst_ip6_eq(&p.nd.target, &n.llb));
    /* 3: the queued echo request, to B's MAC now. */
    p = frame_at(&n, base + 2);
    CHECK_EQ(n.cap.f[base + 2].at, NST_SEC(2) + NST_MSEC(2));
    CHECK(p.icmp_ok && p.icmp.type == NST_ICMP6_ECHO_REQUEST);
    CHECK(nst_mac_eq(&p.eth.dst, &n.mb));
    CHECK_EQ(p.ip.hop_limit, 64);
    CHECK_EQ(p.icmp.word, 0x42420001u);
    /* 4: the reply: same identifier, sequence and data (RFC 4443 4.2),
     * sent through B's STALE entry for A (learnt from the NS). */
    p = frame_at(&n, base + 3);
    CHECK_EQ(n.cap.f[base + 3].at, NST_SEC(2) + NST_MSEC(3));
    CHECK(p.icmp_ok && p.icmp.type == NST_ICMP6_ECHO_REPLY);
    CHECK(nst_ip6_eq(&p.ip.src, &n.llb) && nst_ip6_eq(&p.ip.dst, &n.lla));
    CHECK(nst_mac_eq(&p.eth.dst, &n.ma));
    CHECK_EQ(p.icmp.word, 0x42420001u);
    CHECK_EQ(p.icmp.data_len, sizeof ping_data);
    CHECK_MEM(p.icmp.data, ping_data, sizeof ping_data);
    CHECK_EQ(S(n.b)->icmp6_rx_echo_request, 1);
    CHECK_EQ(S(n.b)->icmp6_tx_echo_reply, 1);
    CHECK_EQ(S(n.a)->icmp6_rx_echo_reply, 1);
    CHECK_EQ(S(n.a)->nd_tx_ns, 2); /* DAD's and this one */
    CHECK_EQ(S(n.b)->nd_tx_na, 1);
    /* A: REACHABLE (a solicited NA). B: DELAY (STALE, then used). */
    CHECK_EQ(neigh_state(n.a, &n.llb, &ni), NST_NEIGH6_REACHABLE);
    CHECK(nst_mac_eq(&ni.mac, &n.mb));
    CHECK_EQ(neigh_state(n.b, &n.lla, &ni), NST_NEIGH6_DELAY);
    CHECK_EQ(ni.expires, NST_SEC(2) + NST_MSEC(3) + NST_SEC(5));
    /* DELAY_FIRST_PROBE_TIME later: PROBE, a unicast NS to A's MAC,
     * answered: REACHABLE again without any multicast. */
    base = n.cap.n;
    nst_world_run_until(n.w, NST_SEC(7) + NST_MSEC(10));
    CHECK_EQ(n.cap.n, base + 2);
    p = frame_at(&n, base);
    CHECK_EQ(n.cap.f[base].at, NST_SEC(7) + NST_MSEC(3));
    CHECK(p.nd_ok && p.icmp.type == NST_ICMP6_NEIGHBOR_SOLICIT);
    CHECK(nst_ip6_eq(&p.ip.dst, &n.lla) && nst_mac_eq(&p.eth.dst, &n.ma));
    p = frame_at(&n, base + 1);
    CHECK(p.nd_ok && p.icmp.type == NST_ICMP6_NEIGHBOR_ADVERT);
    CHECK_EQ(p.nd.flags, NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE);
    CHECK_EQ(neigh_state(n.b, &n.lla, &ni), NST_NEIGH6_REACHABLE);
    CHECK_EQ(S(n.b)->nd_probe_confirmed, 1);
    /* A's entry: REACHABLE for ReachableTime (drawn in [15 s, 45 s)), then STALE. */
    CHECK_EQ(neigh_state(n.a, &n.llb, &ni), NST_NEIGH6_REACHABLE);
    nst_time_t reach = n.a->ip6->ifs[0].reachable;
    CHECK(reach >= NST_SEC(15) && reach < NST_SEC(45));
    /* B's probe (an NS) confirms nothing about B to A (7.3.1): the entry
     * still ends ReachableTime after the NA of 2.002 s. */
    CHECK_EQ(ni.expires, NST_SEC(2) + NST_MSEC(2) + reach);
    nst_world_run_until(n.w, ni.expires);
    CHECK_EQ(neigh_state(n.a, &n.llb, &ni), NST_NEIGH6_STALE);
    net_down(&n);
}

/* RFC 4862 5.4.3 / 5.4.4: a static address another node already holds is
 * refused (its owner answers the DAD solicitation with an NA to all
 * nodes); two nodes testing the same address at once both give it up. */
static void test_dad_duplicate(void)
{
    struct net n;
    net_up(&n, 0);
    nst_world_run_until(n.w, NST_SEC(2));
    nst_ip6_t g = su6_addr("2001:db8::1");
    CHECK_EQ(nst_iface_addr6_add(n.b, 0, &g, 64), 0);
    nst_world_run_until(n.w, NST_SEC(3) + NST_MSEC(500));
    CHECK_EQ(addr_state(n.b, &g), NST_ADDR6_PREFERRED);
    CHECK_EQ(nst_iface_addr6_add(n.a, 0, &g, 64), 0);
    size_t base = n.cap.n;
    nst_world_run_until(n.w, NST_SEC(5));
    CHECK_EQ(addr_state(n.a, &g), NST_ADDR6_DUPLICATE);
    CHECK_EQ(addr_state(n.b, &g), NST_ADDR6_PREFERRED);
    CHECK_EQ(S(n.a)->nd_dad_duplicate, 1);
    CHECK_EQ(S(n.b)->nd_addr_conflict, 1);
    /* The defence: NA from the address to ff02::1, not solicited (7.2.4). */
    CHECK_EQ(n.cap.n, base + 2);
    struct su6_parsed p = frame_at(&n, base + 1);
    CHECK(p.nd_ok && p.icmp.type == NST_ICMP6_NEIGHBOR_ADVERT);
    CHECK(nst_ip6_eq(&p.ip.dst, &(nst_ip6_t){{0xff, 0x02, [15] = 1}}));
    CHECK_EQ(p.nd.flags, NST_ND_NA_OVERRIDE);
    /* A never uses it: no route for its prefix from A's side, no source. */
    struct nst_route6 rt;
    CHECK_EQ(nst_route6_lookup(n.a, &g, &rt), -ENETUNREACH);
    CHECK_EQ(nst_iface_addr6_del(n.a, 0, &g), 0);
    CHECK_EQ(addr_state(n.a, &g), -1);

    /* Both at once: each sees the other's solicitation from :: with a
     * nonce not its own. */
    nst_ip6_t h = su6_addr("2001:db8::77");
    CHECK_EQ(nst_iface_addr6_add(n.a, 0, &h, 64), 0);
    CHECK_EQ(nst_iface_addr6_add(n.b, 0, &h, 64), 0);
    nst_world_run_until(n.w, NST_SEC(7));
    CHECK_EQ(addr_state(n.a, &h), NST_ADDR6_DUPLICATE);
    CHECK_EQ(addr_state(n.b, &h), NST_ADDR6_DUPLICATE);
    net_down(&n);
}

/* RFC 7527: our own solicitation coming back (a looped link) carries our
 * nonce and is no duplicate; a solicitation from :: with another nonce is. */
static void test_dad_looped_ns(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_dad_delay = 0;
    c.nd_rtr_solicitations = 0; /* no Router Solicitations among the frames this test counts */
    c.ip6_mld = 0;              /* nor MLD reports */
    struct su_tap tap;
    struct nst_stack *st = su_tap_host(&c, &tap, 0, 0);
    nst_stack_poll(st, 0);
    CHECK_EQ(tap.n, 1);
    nst_ip6_t ll = su6_link_local(&tap.mac);
    su_tap_inject(&tap, tap.v[0].data, tap.v[0].len, NST_MSEC(10));
    CHECK_EQ(S(st)->nd_dad_looped, 1);
    nst_stack_poll(st, NST_SEC(1));
    CHECK_EQ(S(st)->nd_dad_ok, 1);
    nst_ip6_t g = su6_addr("2001:db8::5");
    CHECK_EQ(nst_iface_addr6_add(st, 0, &g, 64), 0);
    nst_stack_poll(st, NST_SEC(1));
    CHECK_EQ(tap.n, 2);
    uint8_t frame[128];
    memcpy(frame, tap.v[1].data, tap.v[1].len);
    struct su6_parsed p;
    CHECK_EQ(su6_parse(frame, tap.v[1].len, &p), 0);
    CHECK(p.nd.has_nonce);
    /* Flip a nonce byte (fixing the checksum by building it again). */
    struct nst_nd_repr r = p.nd;
    r.nonce[0] ^= 1;
    struct su6_ip ip = {.eth_src = su_mac(9), .eth_dst = p.eth.dst, .src = p.ip.src, .dst = p.ip.dst};
    size_t len = su6_build_nd(frame, &ip, &r);
    su_tap_inject(&tap, frame, len, NST_SEC(1) + NST_MSEC(1));
    CHECK_EQ(S(st)->nd_dad_duplicate, 1);
    struct nst_addr6_info v[4];
    CHECK_EQ(nst_iface_addr6_list(st, 0, v, 4), 2);
    CHECK(nst_ip6_eq(&v[0].addr, &ll) && v[0].state == NST_ADDR6_PREFERRED);
    CHECK(nst_ip6_eq(&v[1].addr, &g) && v[1].state == NST_ADDR6_DUPLICATE);
    CHECK_EQ(v[1].origin, NST_ADDR6_STATIC);
    nst_stack_free(st);
    su_tap_free(&tap);
}

int main(void)
{
    RUN(test_dad_duplicate);
    RUN(test_dad_looped_ns);
    RUN(test_link_local_dad);
    RUN(test_dad_random_delay);
    RUN(test_resolve_and_ping);
    return nst_test_done();
}
