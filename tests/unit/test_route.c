/* The routing table: longest-prefix match, metric ties, the default route,
 * deletion, and every error the API documents. */
#include <errno.h>
#include <nstack/nstack.h>

#include "support/sim_util.h"
#include "test.h"

struct rig {
    struct nst_stack *st;
    struct su_tap t0, t1;
};

/* eth0 10.1.0.1/16, eth1 192.168.5.1/24: two connected routes. */
static void rig_up(struct rig *r)
{
    r->st = nst_stack_new(NULL);
    struct nst_mac m0 = su_mac(1), m1 = su_mac(2);
    CHECK_EQ(su_tap_attach(r->st, &r->t0, &m0, NST_IP4(10, 1, 0, 1), 16, 0), 0);
    CHECK_EQ(su_tap_attach(r->st, &r->t1, &m1, NST_IP4(192, 168, 5, 1), 24, 0), 1);
}

static void rig_down(struct rig *r)
{
    nst_stack_free(r->st);
    su_tap_free(&r->t0);
    su_tap_free(&r->t1);
}

static int lookup(struct nst_stack *st, nst_ip4_t dst, struct nst_route *out)
{
    memset(out, 0xa5, sizeof(*out));
    return nst_route_lookup(st, dst, out);
}

static void test_connected_routes(void)
{
    struct rig r;
    rig_up(&r);
    struct nst_route list[4];
    CHECK_EQ(nst_route_list(r.st, list, 4), 2);
    /* Longest prefix first. */
    CHECK_EQ(list[0].dst, NST_IP4(192, 168, 5, 0));
    CHECK_EQ(list[0].prefix_len, 24);
    CHECK_EQ(list[0].gateway, 0);
    CHECK_EQ(list[0].ifindex, 1);
    CHECK_EQ(list[1].dst, NST_IP4(10, 1, 0, 0));
    CHECK_EQ(list[1].prefix_len, 16);
    struct nst_route rt;
    CHECK_EQ(lookup(r.st, NST_IP4(10, 1, 200, 7), &rt), 0);
    CHECK_EQ(rt.ifindex, 0);
    CHECK_EQ(lookup(r.st, NST_IP4(10, 2, 0, 1), &rt), -ENETUNREACH);
    CHECK_EQ(lookup(r.st, NST_IP4(192, 168, 6, 1), &rt), -ENETUNREACH);
    rig_down(&r);
}

static void test_longest_prefix_match(void)
{
    struct rig r;
    rig_up(&r);
    nst_ip4_t gw = NST_IP4(10, 1, 0, 254);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(172, 16, 0, 0), 12, gw, 0, 0), 0);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(172, 16, 8, 0), 21, NST_IP4(192, 168, 5, 9), 1, 0), 0);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(172, 16, 9, 77), 32, NST_IP4(192, 168, 5, 10), 1, 0), 0);
    CHECK_EQ(nst_route_add(r.st, 0, 0, gw, 0, 0), 0);
    struct nst_route rt;
    /* /32 beats /21 beats /12 beats /0 */
    CHECK_EQ(lookup(r.st, NST_IP4(172, 16, 9, 77), &rt), 0);
    CHECK_EQ(rt.prefix_len, 32);
    CHECK_EQ(rt.gateway, NST_IP4(192, 168, 5, 10));
    CHECK_EQ(lookup(r.st, NST_IP4(172, 16, 9, 78), &rt), 0);
    CHECK_EQ(rt.prefix_len, 21);
    CHECK_EQ(rt.gateway, NST_IP4(192, 168, 5, 9));
    CHECK_EQ(rt.ifindex, 1);
    /* 172.16.16.1 is outside 172.16.8.0/21 (8..15) but inside /12 */
    CHECK_EQ(lookup(r.st, NST_IP4(172, 16, 16, 1), &rt), 0);
    CHECK_EQ(rt.prefix_len, 12);
    CHECK_EQ(rt.gateway, gw);
    CHECK_EQ(lookup(r.st, NST_IP4(172, 16, 15, 255), &rt), 0);
    CHECK_EQ(rt.prefix_len, 21);
    CHECK_EQ(lookup(r.st, NST_IP4(172, 32, 0, 0), &rt), 0); /* outside 172.16/12 */
    CHECK_EQ(rt.prefix_len, 0);
    CHECK_EQ(rt.dst, 0);
    /* The connected route still wins for its own subnet. */
    CHECK_EQ(lookup(r.st, NST_IP4(192, 168, 5, 200), &rt), 0);
    CHECK_EQ(rt.prefix_len, 24);
    CHECK_EQ(rt.gateway, 0);
    /* The default route catches everything else, broadcast included. */
    CHECK_EQ(lookup(r.st, 0xffffffffu, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    CHECK_EQ(lookup(r.st, 0, &rt), 0);
    CHECK_EQ(rt.prefix_len, 0);
    /* The order of insertion does not matter: the table stays sorted. */
    struct nst_route list[8];
    int n = nst_route_list(r.st, list, 8);
    CHECK_EQ(n, 6);
    for (int i = 1; i < n; i++)
        CHECK(list[i - 1].prefix_len >= list[i].prefix_len);
    /* list() copies at most max, returns the total. */
    CHECK_EQ(nst_route_list(r.st, list, 2), 6);
    CHECK_EQ(nst_route_list(r.st, list, 0), 6);
    rig_down(&r);
}

static void test_metric_ties(void)
{
    struct rig r;
    rig_up(&r);
    nst_ip4_t gw0 = NST_IP4(10, 1, 0, 254), gw1 = NST_IP4(192, 168, 5, 254);
    /* Same prefix, three metrics, added worst-first-but-one. */
    CHECK_EQ(nst_route_add(r.st, NST_IP4(8, 8, 0, 0), 16, gw0, 0, 20), 0);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(8, 8, 0, 0), 16, gw1, 1, 5), 0);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(8, 8, 0, 0), 16, gw0, 0, 100), 0);
    struct nst_route rt;
    CHECK_EQ(lookup(r.st, NST_IP4(8, 8, 8, 8), &rt), 0);
    CHECK_EQ(rt.metric, 5);
    CHECK_EQ(rt.gateway, gw1);
    CHECK_EQ(rt.ifindex, 1);
    /* A longer prefix wins over a lower metric. */
    CHECK_EQ(nst_route_add(r.st, NST_IP4(8, 8, 8, 0), 24, gw0, 0, 1000), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(8, 8, 8, 8), &rt), 0);
    CHECK_EQ(rt.metric, 1000);
    CHECK_EQ(rt.prefix_len, 24);
    CHECK_EQ(lookup(r.st, NST_IP4(8, 8, 9, 8), &rt), 0);
    CHECK_EQ(rt.metric, 5);
    /* del removes the best (lowest metric) route of that prefix first. */
    CHECK_EQ(nst_route_del(r.st, NST_IP4(8, 8, 0, 0), 16), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(8, 8, 9, 8), &rt), 0);
    CHECK_EQ(rt.metric, 20);
    CHECK_EQ(rt.gateway, gw0);
    CHECK_EQ(nst_route_del(r.st, NST_IP4(8, 8, 0, 0), 16), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(8, 8, 9, 8), &rt), 0);
    CHECK_EQ(rt.metric, 100);
    CHECK_EQ(nst_route_del(r.st, NST_IP4(8, 8, 0, 0), 16), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(8, 8, 9, 8), &rt), -ENETUNREACH);
    CHECK_EQ(nst_route_del(r.st, NST_IP4(8, 8, 0, 0), 16), -ESRCH);
    rig_down(&r);
}

static void test_default_route_and_del(void)
{
    struct rig r;
    rig_up(&r);
    struct nst_route rt;
    CHECK_EQ(lookup(r.st, NST_IP4(1, 2, 3, 4), &rt), -ENETUNREACH);
    CHECK_EQ(nst_route_add(r.st, 0, 0, NST_IP4(192, 168, 5, 254), 1, 0), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(1, 2, 3, 4), &rt), 0);
    CHECK_EQ(rt.gateway, NST_IP4(192, 168, 5, 254));
    CHECK_EQ(rt.ifindex, 1);
    CHECK_EQ(nst_route_del(r.st, 0, 0), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(1, 2, 3, 4), &rt), -ENETUNREACH);
    /* del needs the exact prefix length */
    CHECK_EQ(nst_route_del(r.st, NST_IP4(10, 1, 0, 0), 24), -ESRCH);
    CHECK_EQ(nst_route_del(r.st, NST_IP4(10, 1, 0, 0), 16), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(10, 1, 0, 9), &rt), -ENETUNREACH);
    struct nst_route list[4];
    CHECK_EQ(nst_route_list(r.st, list, 4), 1);
    CHECK_EQ(list[0].dst, NST_IP4(192, 168, 5, 0));
    rig_down(&r);
}

static void test_errors(void)
{
    struct rig r;
    rig_up(&r);
    nst_ip4_t gw = NST_IP4(10, 1, 0, 254);
    /* -EINVAL: prefix > 32, host bits set, bad interface */
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 0), 33, gw, 0, 0), -EINVAL);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 1), 16, gw, 0, 0), -EINVAL);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(0, 0, 0, 1), 0, gw, 0, 0), -EINVAL);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 0), 16, gw, 2, 0), -EINVAL);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 0), 16, gw, -1, 0), -EINVAL);
    /* -EEXIST: same prefix and metric, whatever the gateway */
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 0), 16, gw, 0, 7), 0);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 0), 16, NST_IP4(10, 1, 0, 253), 0, 7), -EEXIST);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 1, 0, 0), 16, 0, 0, 0), -EEXIST); /* the connected one */
    CHECK_EQ(nst_route_add(r.st, NST_IP4(10, 9, 0, 0), 16, gw, 0, 8), 0);
    /* -ENOSPC: the table holds NST_MAX_ROUTES */
    struct nst_route list[1];
    int n = nst_route_list(r.st, list, 0);
    CHECK_EQ(n, 4);
    int added = 0, err = 0;
    for (uint32_t i = 0; err == 0; i++) {
        err = nst_route_add(r.st, NST_IP4(100, 0, 0, 0) + (i << 8), 24, gw, 0, 0);
        if (err == 0)
            added++;
    }
    CHECK_EQ(err, -ENOSPC);
    CHECK_EQ(added, NST_MAX_ROUTES - n);
    CHECK_EQ(nst_route_list(r.st, list, 0), NST_MAX_ROUTES);
    /* Still a correct lookup with a full table; and room again after del. */
    struct nst_route rt;
    CHECK_EQ(lookup(r.st, NST_IP4(100, 0, 3, 9), &rt), 0);
    CHECK_EQ(rt.dst, NST_IP4(100, 0, 3, 0));
    CHECK_EQ(nst_route_del(r.st, NST_IP4(100, 0, 3, 0), 24), 0);
    CHECK_EQ(lookup(r.st, NST_IP4(100, 0, 3, 9), &rt), -ENETUNREACH);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(200, 0, 0, 0), 8, gw, 0, 0), 0);
    CHECK_EQ(nst_route_add(r.st, NST_IP4(201, 0, 0, 0), 8, gw, 0, 0), -ENOSPC);
    rig_down(&r);
}

int main(void)
{
    RUN(test_connected_routes);
    RUN(test_longest_prefix_match);
    RUN(test_metric_ties);
    RUN(test_default_route_and_del);
    RUN(test_errors);
    return nst_test_done();
}
