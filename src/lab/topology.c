/* The article's New York–London path (see include/nstack/lab.h). */
#include <nstack/lab.h>

#include <errno.h>
#include <string.h>

#include "core/util.h"

void nst_lab_path_opts_default(struct nst_lab_path_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->bandwidth_bps = 1000000000ull;
    o->queue_limit = 1000;
    o->mtu = 1500;
}

struct hop {
    const char *a, *b;
    nst_ip4_t a_addr, b_addr;
    uint8_t prefix;
    nst_time_t latency;
    int wan;
    const char *a_addr6, *b_addr6; /* with opts.ipv6 */
};

/* One-way latencies add up to 40 ms: an 80 ms round trip. The IPv6
 * prefixes (RFC 3849's documentation range) mirror the IPv4 networks. */
static const struct hop hops[4] = {
    {"ny", "r1", NST_IP4(10, 0, 1, 2), NST_IP4(10, 0, 1, 1), 24, NST_USEC(500), 0, "2001:db8:1::2/64",
     "2001:db8:1::1/64"},
    {"r1", "r2", NST_IP4(10, 0, 12, 1), NST_IP4(10, 0, 12, 2), 30, NST_MSEC(19), 1, "2001:db8:12::1/64",
     "2001:db8:12::2/64"},
    {"r2", "r3", NST_IP4(10, 0, 23, 1), NST_IP4(10, 0, 23, 2), 30, NST_MSEC(20), 1, "2001:db8:23::1/64",
     "2001:db8:23::2/64"},
    {"r3", "london", NST_IP4(10, 0, 4, 1), NST_IP4(10, 0, 4, 2), 24, NST_USEC(500), 0, "2001:db8:4::1/64",
     "2001:db8:4::2/64"},
};

/* The host names, and the address each answers to by name (for a router:
 * the one facing New York, where traceroute's answers come from). */
static const char *const names[5] = {"ny", "r1", "r2", "r3", "london"};
static const nst_ip4_t addrs[5] = {NST_IP4(10, 0, 1, 2), NST_IP4(10, 0, 1, 1), NST_IP4(10, 0, 12, 2),
                                   NST_IP4(10, 0, 23, 2), NST_IP4(10, 0, 4, 2)};
static const char *const addrs6[5] = {"2001:db8:1::2", "2001:db8:1::1", "2001:db8:12::2", "2001:db8:23::2",
                                      "2001:db8:4::2"};

/* A WAN link's ends know each other without asking: each side's address
 * (IPv4 and, with ipv6, IPv6) is a static neighbour entry of the other. */
static int link_static_neighbours(struct nst_sim_link *l, struct nst_stack *a, struct nst_stack *b,
                                  const struct hop *h, int ipv6)
{
    struct nst_iface_info ia, ib;
    int ifa = nst_sim_link_ifindex(l, 0), ifb = nst_sim_link_ifindex(l, 1);
    nst_iface_get(a, ifa, &ia);
    nst_iface_get(b, ifb, &ib);
    int err = nst_arp_add_static(a, ifa, h->b_addr, &ib.mac);
    err |= nst_arp_add_static(b, ifb, h->a_addr, &ia.mac);
    if (ipv6) {
        nst_ip6_t a6, b6;
        uint8_t len;
        err |= nst_ip6_parse(h->a_addr6, &a6, &len) | nst_ip6_parse(h->b_addr6, &b6, &len);
        err |= nst_neigh6_add_static(a, ifa, &b6, &ib.mac);
        err |= nst_neigh6_add_static(b, ifb, &a6, &ia.mac);
    }
    return err ? -EINVAL : 0;
}

static int add_routes(struct nst_lab_path *p)
{
    /* Hosts: a default route via their router. Routers: a default route
     * toward London and specific routes back toward New York. */
    struct nst_stack *r1 = p->routers[0], *r2 = p->routers[1], *r3 = p->routers[2];
    int ifx = nst_sim_link_ifindex(p->links[0], 0);
    int err = nst_route_add(p->ny, 0, 0, NST_IP4(10, 0, 1, 1), ifx, 0);
    err |= nst_route_add(p->london, 0, 0, NST_IP4(10, 0, 4, 1), nst_sim_link_ifindex(p->links[3], 1), 0);
    err |= nst_route_add(r1, 0, 0, NST_IP4(10, 0, 12, 2), nst_sim_link_ifindex(p->links[1], 0), 0);
    err |= nst_route_add(r2, NST_IP4(10, 0, 1, 0), 24, NST_IP4(10, 0, 12, 1), nst_sim_link_ifindex(p->links[1], 1), 0);
    err |= nst_route_add(r2, 0, 0, NST_IP4(10, 0, 23, 2), nst_sim_link_ifindex(p->links[2], 0), 0);
    err |= nst_route_add(r3, 0, 0, NST_IP4(10, 0, 23, 1), nst_sim_link_ifindex(p->links[2], 1), 0);
    return err ? -EINVAL : 0;
}

static nst_ip6_t ip6(const char *s)
{
    nst_ip6_t a;
    nst_ip6_parse(s, &a, NULL);
    return a;
}

/* The same routes in IPv6, each gateway the next router's address on the
 * shared link. */
static int add_routes6(struct nst_lab_path *p)
{
    struct nst_stack *r1 = p->routers[0], *r2 = p->routers[1], *r3 = p->routers[2];
    const nst_ip6_t any = {{0}}, ny_net = ip6("2001:db8:1::");
    const nst_ip6_t r1_ny = ip6("2001:db8:1::1"), r1_wan = ip6("2001:db8:12::1"), r2_r1 = ip6("2001:db8:12::2");
    const nst_ip6_t r2_wan = ip6("2001:db8:23::1"), r3_r2 = ip6("2001:db8:23::2"), r3_lon = ip6("2001:db8:4::1");
    int err = nst_route6_add(p->ny, &any, 0, &r1_ny, nst_sim_link_ifindex(p->links[0], 0), 0);
    err |= nst_route6_add(p->london, &any, 0, &r3_lon, nst_sim_link_ifindex(p->links[3], 1), 0);
    err |= nst_route6_add(r1, &any, 0, &r2_r1, nst_sim_link_ifindex(p->links[1], 0), 0);
    err |= nst_route6_add(r2, &ny_net, 64, &r1_wan, nst_sim_link_ifindex(p->links[1], 1), 0);
    err |= nst_route6_add(r2, &any, 0, &r3_r2, nst_sim_link_ifindex(p->links[2], 0), 0);
    err |= nst_route6_add(r3, &any, 0, &r2_wan, nst_sim_link_ifindex(p->links[2], 1), 0);
    return err ? -EINVAL : 0;
}

int nst_lab_path_build(struct nst_lab_path *p, const struct nst_lab_path_opts *o)
{
    memset(p, 0, sizeof(*p));
    p->world = nst_world_new(o->seed);
    if (!p->world)
        return -ENOMEM;
    p->ipv6 = o->ipv6;
    struct nst_stack_config router_cfg, host_cfg;
    nst_stack_config_default(&router_cfg);
    router_cfg.forwarding = 1;
    router_cfg.ipv6 = o->ipv6;
    if (o->host_cfg)
        host_cfg = *o->host_cfg;
    else
        nst_stack_config_default(&host_cfg);
    host_cfg.ipv6 |= o->ipv6;
    host_cfg.ip6_mld = router_cfg.ip6_mld = 0; /* the scenario's figures (docs/IPV6-lab.md) are without MLD reports */
    const char *router_names[3] = {"r1", "r2", "r3"};
    p->ny = nst_world_add_host(p->world, "ny", &host_cfg);
    for (int i = 0; i < 3; i++) {
        router_cfg.name = router_names[i];
        p->routers[i] = nst_world_add_host(p->world, router_names[i], &router_cfg);
    }
    p->london = nst_world_add_host(p->world, "london", &host_cfg);
    if (!p->ny || !p->london || !p->routers[0] || !p->routers[1] || !p->routers[2]) {
        nst_lab_path_free(p);
        return -ENOMEM;
    }
    for (int i = 0; i < 4; i++) {
        struct nst_link_params lp;
        nst_link_params_default(&lp);
        lp.latency = hops[i].latency;
        lp.bandwidth_bps = o->bandwidth_bps;
        lp.queue_limit = o->queue_limit;
        lp.mtu = o->mtu;
        if (i == 2) {
            if (o->middle_mtu)
                lp.mtu = o->middle_mtu;
            lp.loss = o->loss;
            lp.duplicate = o->duplicate;
            lp.reorder = o->reorder;
            lp.corrupt = o->corrupt;
        }
        struct nst_stack *a = nst_world_find_host(p->world, hops[i].a);
        struct nst_stack *b = nst_world_find_host(p->world, hops[i].b);
        p->links[i] = nst_world_connect(p->world, a, hops[i].a_addr, hops[i].prefix, b, hops[i].b_addr,
                                        hops[i].prefix, &lp);
        if (!p->links[i]) {
            nst_lab_path_free(p);
            return -ENOMEM;
        }
        if ((o->ipv6 && (nst_sim_link_addr6(p->links[i], 0, hops[i].a_addr6) < 0 ||
                         nst_sim_link_addr6(p->links[i], 1, hops[i].b_addr6) < 0)) ||
            (hops[i].wan && !o->dynamic_wan && link_static_neighbours(p->links[i], a, b, &hops[i], o->ipv6) < 0)) {
            nst_lab_path_free(p);
            return -EINVAL;
        }
    }
    int err = add_routes(p);
    if (!err && o->ipv6)
        err = add_routes6(p);
    if (err)
        nst_lab_path_free(p);
    return err;
}

/* Nonzero when no address of the path is still under DAD. */
static int dad_done(void *arg)
{
    struct nst_lab_path *p = arg;
    for (int i = 0; i < 5; i++) {
        struct nst_stack *st = nst_world_find_host(p->world, names[i]);
        for (int k = 0; k < nst_iface_count(st); k++) {
            struct nst_addr6_info a[NST_IP6_MAX_ADDRS];
            int n = nst_iface_addr6_list(st, k, a, NST_IP6_MAX_ADDRS);
            for (int j = 0; j < n && j < NST_IP6_MAX_ADDRS; j++)
                if (a[j].state == NST_ADDR6_TENTATIVE)
                    return 0;
        }
    }
    return 1;
}

nst_time_t nst_lab_path_wait_dad(struct nst_lab_path *p)
{
    if (!p->ipv6)
        return nst_world_now(p->world);
    if (!nst_world_run_until_cond(p->world, dad_done, p, nst_world_now(p->world) + NST_SEC(10)))
        return -ETIMEDOUT;
    return nst_world_now(p->world);
}

void nst_lab_path_free(struct nst_lab_path *p)
{
    nst_world_free(p->world);
    memset(p, 0, sizeof(*p));
}

/* The stack that holds IPv6 address a, NULL if none does. */
static struct nst_stack *holder6(struct nst_lab_path *p, const nst_ip6_t *a)
{
    for (int i = 0; i < 4; i++)
        for (int side = 0; side < 2; side++) {
            nst_ip6_t mine;
            uint8_t len;
            const char *s = side ? hops[i].b_addr6 : hops[i].a_addr6;
            nst_ip6_parse(s, &mine, &len);
            if (memcmp(mine.b, a->b, 16) == 0)
                return nst_world_find_host(p->world, side ? hops[i].b : hops[i].a);
        }
    return NULL;
}

struct nst_stack *nst_lab_path_host_addr(struct nst_lab_path *p, const char *name, int family,
                                         struct nst_sockaddr *addr)
{
    struct nst_sockaddr a = {0};
    struct nst_stack *st = NULL;
    if (nst_ip6_parse(name, &a.addr6, NULL) == 0) {
        a.family = NST_AF_INET6;
        st = p->ipv6 ? holder6(p, &a.addr6) : NULL;
    } else if (family == NST_AF_INET6) {
        for (int i = 0; i < 5 && !st; i++)
            if (strcmp(name, names[i]) == 0 && p->ipv6) {
                st = nst_world_find_host(p->world, names[i]);
                a.family = NST_AF_INET6;
                a.addr6 = ip6(addrs6[i]);
            }
    } else {
        st = nst_lab_path_host(p, name, &a.addr);
    }
    if (st && addr)
        *addr = a;
    return st;
}

struct nst_stack *nst_lab_path_host(struct nst_lab_path *p, const char *name, nst_ip4_t *addr)
{
    nst_ip4_t want = 0;
    nst_ip4_parse(name, &want, NULL);
    for (int i = 0; i < 5; i++) {
        struct nst_stack *st = nst_world_find_host(p->world, names[i]);
        if (strcmp(name, names[i]) == 0) {
            if (addr)
                *addr = addrs[i];
            return st;
        }
        for (int k = 0; want && k < nst_iface_count(st); k++) {
            struct nst_iface_info info;
            if (nst_iface_get(st, k, &info) == 0 && info.addr == want) {
                if (addr)
                    *addr = want;
                return st;
            }
        }
    }
    return NULL;
}
