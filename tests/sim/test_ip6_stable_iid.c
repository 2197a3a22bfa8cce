/* RFC 7217 stable, semantically opaque interface identifiers
 * (cfg.ip6_stable_iids; src/ip6/ip6_iid.c) on a tap host with MAC
 * 02:00:00:00:00:01 and the secret key 10 11 .. 1f. The expected addresses
 * were computed apart from nstack, by a Python SipHash-2-4 (checked
 * against the reference vector) over prefix (8 bytes) | MAC | DAD_Counter
 * | Network_ID, the 64-bit result big-endian as the identifier:
 * - the link-local address and a SLAAC address are exactly those;
 * - a DAD failure forms the address of the next DAD_Counter, up to
 *   IDGEN_RETRIES (3), then the duplicate stays (RFC 7217 6);
 * - a Network_ID gives another address for the same prefix. */
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static const char *const LL[4] = {"fe80::ae0c:ecac:25e:e585", "fe80::fb97:d3be:60:6d29", "fe80::f037:fef4:b890:584f",
                                  "fe80::4bd8:9b82:5a6b:5605"};
static const char *const GL[4] = {"2001:db8:1::59e7:194c:8ba:994c", "2001:db8:1::be2a:9600:6ec2:ff22",
                                  "2001:db8:1::e940:58bd:ad60:a539", "2001:db8:1::f554:c2b2:c662:a3f4"};

struct host {
    struct nst_stack *st;
    struct su_tap tap;
    nst_time_t now;
};

static void host_up(struct host *h, const char *net_id)
{
    memset(h, 0, sizeof(*h));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_stable_iids = 1;
    for (int i = 0; i < 16; i++)
        c.ip6_iid_secret[i] = (uint8_t)(0x10 + i);
    if (net_id) {
        c.ip6_net_id_len = (uint8_t)strlen(net_id);
        memcpy(c.ip6_net_id, net_id, c.ip6_net_id_len);
    }
    c.ip6_dad_delay = 0;
    c.ip6_mld = 0;
    c.nd_rtr_solicitations = 0;
    h->st = su_tap_host(&c, &h->tap, 0, 0);
    CHECK(h->st != NULL);
}

static void host_down(struct host *h)
{
    nst_stack_free(h->st);
    su_tap_free(&h->tap);
}

static void run_until(struct host *h, nst_time_t t)
{
    su_stack_run_until(h->st, t);
    h->now = t;
}

/* The interface's addresses, in table order: each must be as listed. */
static void addrs_are(struct host *h, int n, const char *const *want, const int *state)
{
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(h->st, 0, v, NST_IP6_MAX_ADDRS);
    CHECK_EQ(k, n);
    for (int i = 0; i < n && i < k; i++) {
        nst_ip6_t a = su6_addr(want[i]);
        CHECK(nst_ip6_eq(&v[i].addr, &a));
        CHECK_EQ(v[i].state, state[i]);
    }
}

/* Another node holds target: its advertisement ends our DAD (RFC 4862 5.4.4). */
static void conflict(struct host *h, const char *target)
{
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = su6_addr(target),
                             .flags = NST_ND_NA_OVERRIDE, .has_tgt_lladdr = 1, .tgt_lladdr = su_mac(9)};
    struct su6_ip ip = {.eth_src = su_mac(9), .src = su6_addr("fe80::99"), .dst = su6_addr("ff02::1")};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t f[200];
    h->now += NST_MSEC(100);
    su_tap_inject(&h->tap, f, su6_build_nd(f, &ip, &na), h->now);
}

static void advertise_prefix(struct host *h)
{
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .cur_hop_limit = 64, .router_lifetime = 1800,
                            .has_src_lladdr = 1, .src_lladdr = su_mac(8), .n_prefixes = 1};
    r.prefix[0] = (struct nst_nd_prefix){.len = 64, .flags = NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO,
                                         .valid_lifetime = 3600, .preferred_lifetime = 1800,
                                         .prefix = su6_addr("2001:db8:1::")};
    struct su6_ip ip = {.eth_src = su_mac(8), .src = su6_addr("fe80::1"), .dst = su6_addr("ff02::1")};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t f[200];
    h->now += NST_MSEC(1);
    su_tap_inject(&h->tap, f, su6_build_nd(f, &ip, &r), h->now);
}

static void test_link_local(void)
{
    struct host h;
    host_up(&h, NULL);
    static const int tent[1] = {NST_ADDR6_TENTATIVE}, pref[1] = {NST_ADDR6_PREFERRED};
    addrs_are(&h, 1, LL, tent);
    /* Three conflicts: DAD_Counter 1, 2, 3, each a new DAD. */
    for (int c = 1; c <= 3; c++) {
        conflict(&h, LL[c - 1]);
        addrs_are(&h, 1, LL + c, tent);
    }
    /* The fourth: IDGEN_RETRIES reached, the duplicate stays. */
    conflict(&h, LL[3]);
    static const int dup[1] = {NST_ADDR6_DUPLICATE};
    addrs_are(&h, 1, LL + 3, dup);
    CHECK_EQ(S(h.st)->nd_dad_duplicate, 4u);
    host_down(&h);

    /* Without a conflict: preferred after DAD (1 s). */
    host_up(&h, NULL);
    run_until(&h, NST_SEC(1));
    addrs_are(&h, 1, LL, pref);
    host_down(&h);
}

static void test_slaac(void)
{
    struct host h;
    host_up(&h, NULL);
    run_until(&h, NST_SEC(2));
    advertise_prefix(&h);
    const char *want[2] = {LL[0], GL[0]};
    static const int tent[2] = {NST_ADDR6_PREFERRED, NST_ADDR6_TENTATIVE};
    addrs_are(&h, 2, want, tent);
    for (int c = 1; c <= 3; c++) {
        conflict(&h, GL[c - 1]);
        want[1] = GL[c];
        addrs_are(&h, 2, want, tent);
    }
    CHECK_EQ(S(h.st)->ndra_slaac_stable_retries, 3u);
    conflict(&h, GL[3]);
    static const int dup[2] = {NST_ADDR6_PREFERRED, NST_ADDR6_DUPLICATE};
    addrs_are(&h, 2, want, dup);
    CHECK_EQ(S(h.st)->ndra_slaac_dad_failed, 4u);
    /* The next RA forms nothing new: the duplicate keeps the prefix's place. */
    advertise_prefix(&h);
    addrs_are(&h, 2, want, dup);
    CHECK_EQ(S(h.st)->ndra_slaac_formed, 1u);
    host_down(&h);

    /* No conflict: the address of counter 0, preferred a second later. */
    host_up(&h, NULL);
    run_until(&h, NST_SEC(2));
    advertise_prefix(&h);
    run_until(&h, NST_SEC(4));
    want[1] = GL[0];
    static const int pref[2] = {NST_ADDR6_PREFERRED, NST_ADDR6_PREFERRED};
    addrs_are(&h, 2, want, pref);
    host_down(&h);
}

static void test_network_id(void)
{
    struct host h;
    host_up(&h, "lab-net");
    run_until(&h, NST_SEC(2));
    advertise_prefix(&h);
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    CHECK_EQ(nst_iface_addr6_list(h.st, 0, v, NST_IP6_MAX_ADDRS), 2);
    nst_ip6_t want = su6_addr("2001:db8:1::fa5b:91f0:16d4:2fa1");
    CHECK(nst_ip6_eq(&v[1].addr, &want));
    host_down(&h);
}

int main(void)
{
    RUN(test_link_local);
    RUN(test_slaac);
    RUN(test_network_id);
    return nst_test_done();
}
