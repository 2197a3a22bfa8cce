/* The IPv6 routing table (longest prefix over /0../128, metric, origins,
 * host bits, the connected routes of static addresses and none for SLAAC
 * ones, RFC 5942), source address selection
 * (RFC 6724 rules 1, 2, 3, 8), address lifetimes (RFC 4862 5.5.4:
 * DEPRECATED, then gone with its route, at exact times) and the API's
 * refusals. One stack, no link traffic needed (DAD off). */
#include <errno.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

static int discard(void *ctx, const uint8_t *f, size_t n)
{
    (void)ctx, (void)f, (void)n;
    return 0;
}

static struct nst_stack *stack6(int dad, int n_ifaces)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.ipv6 = 1;
    c.ip6_dad_transmits = (unsigned)dad;
    c.ip6_dad_delay = 0;
    c.nd_rtr_solicitations = 0; /* no Router Solicitations: one poll jumps over whole lifetimes */
    struct nst_stack *st = nst_stack_new(&c);
    for (int i = 0; i < n_ifaces; i++) {
        struct nst_iface_config ic = {.name = "t", .mac = su_mac((uint8_t)(1 + i)), .ops = {.send = discard}};
        CHECK_EQ(nst_iface_add(st, &ic), i);
    }
    return st;
}

static void test_routes(void)
{
    struct nst_stack *st = stack6(0, 2);
    nst_ip6_t any = su6_addr("::"), gw = su6_addr("fe80::1"), gw2 = su6_addr("fe80::2");
    nst_ip6_t p32 = su6_addr("2001:db8::"), p48 = su6_addr("2001:db8:1::"), host = su6_addr("2001:db8:1::5");
    int base = nst_route6_list(st, NULL, 0); /* the two fe80::/64 */
    CHECK_EQ(base, 2);
    CHECK_EQ(nst_route6_add(st, &any, 0, &gw, 0, 10), 0);
    CHECK_EQ(nst_route6_add(st, &any, 0, &gw2, 1, 5), 0);
    CHECK_EQ(nst_route6_add(st, &p32, 32, NULL, 0, 0), 0);
    CHECK_EQ(nst_route6_add(st, &p48, 48, &gw, 1, 0), 0);
    CHECK_EQ(nst_route6_add(st, &host, 128, NULL, 1, 0), 0);
    CHECK_EQ(nst_route6_add(st, &p48, 48, &gw, 1, 7), -EEXIST); /* same prefix, gateway, interface */
    CHECK_EQ(nst_route6_add(st, &host, 64, NULL, 0, 0), -EINVAL); /* host bits set */
    CHECK_EQ(nst_route6_add(st, &p32, 129, NULL, 0, 0), -EINVAL);
    CHECK_EQ(nst_route6_add(st, &p32, 32, NULL, 5, 0), -EINVAL); /* no such interface */
    CHECK_EQ(nst_route6_add(st, &p32, 32, &(nst_ip6_t){{0xff, 2, [15] = 1}}, 0, 0), -EINVAL);
    struct nst_route6 r;
    CHECK_EQ(nst_route6_lookup(st, &host, &r), 0);
    CHECK_EQ(r.prefix_len, 128);
    CHECK_EQ(r.origin, NST_ROUTE6_STATIC);
    nst_ip6_t x = su6_addr("2001:db8:1::6");
    CHECK_EQ(nst_route6_lookup(st, &x, &r), 0);
    CHECK_EQ(r.prefix_len, 48);
    CHECK(nst_ip6_eq(&r.gateway, &gw));
    x = su6_addr("2001:db8:2::1");
    CHECK_EQ(nst_route6_lookup(st, &x, &r), 0);
    CHECK_EQ(r.prefix_len, 32);
    x = su6_addr("2001:db9::1");
    CHECK_EQ(nst_route6_lookup(st, &x, &r), 0); /* the default of lower metric */
    CHECK_EQ(r.prefix_len, 0);
    CHECK_EQ(r.ifindex, 1);
    CHECK_EQ(nst_route6_del(st, &any, 0, &gw2), 0);
    CHECK_EQ(nst_route6_lookup(st, &x, &r), 0);
    CHECK_EQ(r.ifindex, 0);
    CHECK_EQ(nst_route6_del(st, &any, 0, NULL), 0);
    CHECK_EQ(nst_route6_lookup(st, &x, &r), -ENETUNREACH);
    CHECK_EQ(nst_route6_del(st, &any, 0, NULL), -ESRCH);
    struct nst_route6 v[16];
    CHECK_EQ(nst_route6_list(st, v, 16), base + 3);
    for (int i = 1; i < base + 3; i++) /* longest prefix first */
        CHECK(v[i - 1].prefix_len >= v[i].prefix_len);
    /* A route change invalidates connections' cached ways out. */
    uint32_t gen = st->ip.dst_gen;
    CHECK_EQ(nst_route6_add(st, &any, 0, &gw, 0, 1), 0);
    CHECK(st->ip.dst_gen != gen);
    nst_stack_free(st);
}

static void test_source_selection(void)
{
    struct nst_stack *st = stack6(0, 2);
    nst_ip6_t a = su6_addr("2001:db8:1::1"), b = su6_addr("2001:db8:2::1"), c = su6_addr("2001:db8:1:8000::1");
    nst_ip6_t ll0 = su6_link_local(&(struct nst_mac){{0x02, 0, 0, 0, 0, 1}});
    CHECK_EQ(nst_iface_addr6_add(st, 0, &a, 64), 0);
    CHECK_EQ(nst_iface_addr6_add(st, 0, &b, 64), 0);
    CHECK_EQ(nst_ip6_addr_add(st, 0, &c, 64, NST_ADDR6_SLAAC, 100, 50), 0);
    CHECK_EQ(nst_iface_addr6_add(st, 0, &a, 64), -EEXIST);
    nst_ip6_t s;
    /* Rule 1: the destination itself. */
    CHECK_EQ(nst_ip6_route_src(st, &b, -1, &s, NULL), 0);
    CHECK(nst_ip6_eq(&s, &b));
    /* Rule 2: a link-local destination gets the link-local source. */
    nst_ip6_t lld = su6_addr("fe80::99");
    CHECK_EQ(nst_ip6_route_src(st, &lld, 0, &s, NULL), 0);
    CHECK(nst_ip6_eq(&s, &ll0));
    /* Rule 8: the longest matching prefix (c shares 64 bits with d, a 49). */
    nst_ip6_t d = su6_addr("2001:db8:1:8000::77");
    CHECK_EQ(nst_route6_add(st, &(nst_ip6_t){{0}}, 0, &lld, 0, 0), 0);
    CHECK_EQ(nst_ip6_route_src(st, &d, -1, &s, NULL), 0);
    CHECK(nst_ip6_eq(&s, &c));
    /* Rule 3: never a deprecated one when another will do (c's preferred
     * lifetime ends at 50 s: DEPRECATED exactly then, gone at 100 s). */
    nst_stack_poll(st, NST_SEC(50) - 1);
    struct nst_addr6_info v[8];
    CHECK_EQ(nst_iface_addr6_list(st, 0, v, 8), 4);
    CHECK_EQ(v[3].state, NST_ADDR6_PREFERRED);
    CHECK_EQ(v[3].preferred_left, 1);
    CHECK_EQ(v[3].origin, NST_ADDR6_SLAAC);
    nst_stack_poll(st, NST_SEC(50));
    nst_iface_addr6_list(st, 0, v, 8);
    CHECK_EQ(v[3].state, NST_ADDR6_DEPRECATED);
    CHECK_EQ(v[3].valid_left, NST_SEC(50));
    CHECK_EQ(v[0].valid_left, NST_TIME_NEVER);
    CHECK_EQ(nst_ip6_route_src(st, &d, -1, &s, NULL), 0);
    CHECK(nst_ip6_eq(&s, &a)); /* not c */
    /* Still ours while valid: packets to it are taken. */
    CHECK(nst_ip6_is_local(st, &c));
    /* A fresh preferred lifetime brings it back. */
    CHECK_EQ(nst_ip6_addr_set_lifetimes(st, 0, &c, 100, 60), 0);
    CHECK_EQ(nst_ip6_route_src(st, &d, -1, &s, NULL), 0);
    CHECK(nst_ip6_eq(&s, &c));
    nst_stack_poll(st, NST_SEC(150));
    CHECK_EQ(nst_iface_addr6_list(st, 0, v, 8), 3);
    CHECK(!nst_ip6_is_local(st, &c));
    /* Deleting the last address of a prefix removes its connected route. */
    struct nst_route6 r;
    CHECK_EQ(nst_route6_lookup(st, &b, &r), 0);
    CHECK_EQ(r.origin, NST_ROUTE6_CONNECTED);
    CHECK_EQ(nst_iface_addr6_del(st, 0, &b), 0);
    CHECK_EQ(nst_route6_lookup(st, &b, &r), 0);
    CHECK_EQ(r.prefix_len, 0); /* only the default is left for it */
    CHECK_EQ(nst_iface_addr6_del(st, 0, &b), -EADDRNOTAVAIL);
    nst_stack_free(st);
}

/* RFC 5942 4: a SLAAC address does not put its prefix on-link; a static
 * one does (as Linux's `ip addr add`), and its route goes with it even
 * while a SLAAC address of the prefix stays. */
static void test_slaac_no_connected_route(void)
{
    struct nst_stack *st = stack6(0, 1);
    nst_ip6_t a = su6_addr("2001:db8:1::1"), s1 = su6_addr("2001:db8:1::2"), s5 = su6_addr("2001:db8:5::1");
    nst_ip6_t near1 = su6_addr("2001:db8:1::9"), near5 = su6_addr("2001:db8:5::9");
    CHECK_EQ(nst_ip6_addr_add(st, 0, &s5, 64, NST_ADDR6_SLAAC, 100, 50), 0);
    struct nst_route6 r;
    CHECK_EQ(nst_route6_lookup(st, &near5, &r), -ENETUNREACH);
    CHECK_EQ(nst_iface_addr6_add(st, 0, &a, 64), 0);
    CHECK_EQ(nst_ip6_addr_add(st, 0, &s1, 64, NST_ADDR6_SLAAC, 100, 50), 0);
    CHECK_EQ(nst_route6_lookup(st, &near1, &r), 0);
    CHECK_EQ(r.prefix_len, 64);
    CHECK_EQ(r.origin, NST_ROUTE6_CONNECTED);
    CHECK_EQ(nst_route6_list(st, NULL, 0), 2); /* fe80::/64 and 2001:db8:1::/64 */
    CHECK_EQ(nst_iface_addr6_del(st, 0, &a), 0);
    CHECK_EQ(nst_route6_lookup(st, &near1, &r), -ENETUNREACH);
    CHECK_EQ(nst_route6_list(st, NULL, 0), 1);
    CHECK(nst_ip6_is_local(st, &s1));
    nst_stack_free(st);
}

static void test_api_refusals(void)
{
    struct nst_stack *st = stack6(1, 1);
    nst_ip6_t m = su6_addr("ff02::1"), z = su6_addr("::"), lo = su6_addr("::1"), v4 = su6_addr("::ffff:1.2.3.4");
    CHECK_EQ(nst_iface_addr6_add(st, 0, &m, 64), -EINVAL);
    CHECK_EQ(nst_iface_addr6_add(st, 0, &z, 64), -EINVAL);
    CHECK_EQ(nst_iface_addr6_add(st, 0, &lo, 128), -EINVAL);
    CHECK_EQ(nst_iface_addr6_add(st, 0, &v4, 96), -EINVAL);
    CHECK_EQ(nst_iface_addr6_add(st, 3, &lo, 64), -ENODEV);
    /* Room for NST_IP6_MAX_ADDRS (the link-local is one of them). */
    for (int i = 1; i < NST_IP6_MAX_ADDRS; i++) {
        nst_ip6_t a = su6_addr("2001:db8::");
        a.b[15] = (uint8_t)i;
        CHECK_EQ(nst_iface_addr6_add(st, 0, &a, 64), 0);
    }
    nst_ip6_t one_more = su6_addr("2001:db8::99");
    CHECK_EQ(nst_iface_addr6_add(st, 0, &one_more, 64), -ENOSPC);
    nst_stack_free(st);
    /* IPv6 off: the API says so, nothing allocated. */
    struct nst_stack *v4only = nst_stack_new(NULL);
    CHECK(v4only->ip6 == NULL);
    nst_ip6_t g = su6_addr("2001:db8::1");
    CHECK_EQ(nst_iface_addr6_add(v4only, 0, &g, 64), -EAFNOSUPPORT);
    CHECK_EQ(nst_route6_add(v4only, &z, 0, NULL, 0, 0), -EAFNOSUPPORT);
    CHECK_EQ(nst_route6_list(v4only, NULL, 0), 0);
    CHECK_EQ(nst_neigh6_list(v4only, NULL, 0), 0);
    nst_stack_free(v4only);
}

int main(void)
{
    RUN(test_routes);
    RUN(test_source_selection);
    RUN(test_slaac_no_connected_route);
    RUN(test_api_refusals);
    return nst_test_done();
}
