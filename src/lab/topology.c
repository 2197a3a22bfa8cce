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
};

/* One-way latencies add up to 40 ms: an 80 ms round trip. */
static const struct hop hops[4] = {
    {"ny", "r1", NST_IP4(10, 0, 1, 2), NST_IP4(10, 0, 1, 1), 24, NST_USEC(500), 0},
    {"r1", "r2", NST_IP4(10, 0, 12, 1), NST_IP4(10, 0, 12, 2), 30, NST_MSEC(19), 1},
    {"r2", "r3", NST_IP4(10, 0, 23, 1), NST_IP4(10, 0, 23, 2), 30, NST_MSEC(20), 1},
    {"r3", "london", NST_IP4(10, 0, 4, 1), NST_IP4(10, 0, 4, 2), 24, NST_USEC(500), 0},
};

static void link_static_neighbours(struct nst_sim_link *l, struct nst_stack *a, struct nst_stack *b,
                                   const struct hop *h)
{
    struct nst_iface_info ia, ib;
    int ifa = nst_sim_link_ifindex(l, 0), ifb = nst_sim_link_ifindex(l, 1);
    nst_iface_get(a, ifa, &ia);
    nst_iface_get(b, ifb, &ib);
    nst_arp_add_static(a, ifa, h->b_addr, &ib.mac);
    nst_arp_add_static(b, ifb, h->a_addr, &ia.mac);
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

int nst_lab_path_build(struct nst_lab_path *p, const struct nst_lab_path_opts *o)
{
    memset(p, 0, sizeof(*p));
    p->world = nst_world_new(o->seed);
    if (!p->world)
        return -ENOMEM;
    struct nst_stack_config router_cfg;
    nst_stack_config_default(&router_cfg);
    router_cfg.forwarding = 1;
    const char *router_names[3] = {"r1", "r2", "r3"};
    p->ny = nst_world_add_host(p->world, "ny", o->host_cfg);
    for (int i = 0; i < 3; i++) {
        router_cfg.name = router_names[i];
        p->routers[i] = nst_world_add_host(p->world, router_names[i], &router_cfg);
    }
    p->london = nst_world_add_host(p->world, "london", o->host_cfg);
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
        if (hops[i].wan)
            link_static_neighbours(p->links[i], a, b, &hops[i]);
    }
    int err = add_routes(p);
    if (err)
        nst_lab_path_free(p);
    return err;
}

void nst_lab_path_free(struct nst_lab_path *p)
{
    nst_world_free(p->world);
    memset(p, 0, sizeof(*p));
}

struct nst_stack *nst_lab_path_host(struct nst_lab_path *p, const char *name, nst_ip4_t *addr)
{
    static const char *names[5] = {"ny", "r1", "r2", "r3", "london"};
    static const nst_ip4_t addrs[5] = {NST_IP4(10, 0, 1, 2), NST_IP4(10, 0, 1, 1), NST_IP4(10, 0, 12, 2),
                                       NST_IP4(10, 0, 23, 2), NST_IP4(10, 0, 4, 2)};
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
