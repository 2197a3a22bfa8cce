/* The IPv6 layer's state: set-up, tear-down, and an interface coming up. */
#include <errno.h>
#include <stdlib.h>

#include "ip6/ip6_impl.h"
#include "ip6/nd_router.h"

int nst_ip6_init(struct nst_stack *st)
{
    st->ip6 = NULL;
    if (!st->cfg.ipv6)
        return 0; /* IPv4 only: nothing allocated, no random draw, every IPv4 run stays exact */
    struct nst_ip6_state *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->routes = calloc(NST_MAX_ROUTES6, sizeof(*s->routes));
    if (!s->routes) {
        free(s);
        return -ENOMEM;
    }
    s->icmp_bucket.tokens = st->cfg.icmp_burst;
    nst_timer_init(&s->loopback_timer, nst_ip6_loopback_run);
    st->ip6 = s;
    nst_ip6_reass_init(st);
    return 0;
}

void nst_ip6_fini(struct nst_stack *st)
{
    struct nst_ip6_state *s = st->ip6;
    if (!s)
        return;
    nst_nd_router_fini(st);
    nst_mld_fini(st);
    nst_timer_cancel(st, &s->loopback_timer);
    nst_pktq_clear(st, &s->loopback);
    nst_ip6_reass_fini(st);
    nst_nd_cache_fini(st);
    nst_ip6_addrs_fini(st);
    free(s->routes);
    free(s);
    st->ip6 = NULL;
}

void nst_ip6_set_base_reachable(struct nst_stack *st, int ifindex, nst_time_t base)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    ifc->base_reachable = base;
    /* RFC 4861 6.3.2: MIN_RANDOM_FACTOR 0.5 .. MAX_RANDOM_FACTOR 1.5, so
     * that neighbours' probes do not fall into step. */
    uint64_t span = (uint64_t)base;
    ifc->reachable = base / 2 + (nst_time_t)(span ? nst_rng_below(&st->rng, span) : 0);
    ifc->reachable_drawn = st->now;
}

/* RFC 4861 6.3.4: ReachableTime "should be re-computed at least once
 * every few hours", so that a value drawn short (or long) does not stay.
 * Drawn when it is needed rather than by a timer: an idle stack keeps no
 * deadline, and the value nobody reads needs no refreshing. */
nst_time_t nst_ip6_reachable_time(struct nst_stack *st, int ifindex)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    nst_time_t every = st->cfg.ip6_reachable_redraw;
    if (every > 0 && st->now - ifc->reachable_drawn >= every)
        nst_ip6_set_base_reachable(st, ifindex, ifc->base_reachable);
    return ifc->reachable;
}

int nst_ip6_iface_up(struct nst_stack *st, int ifindex)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    const struct nst_iface *link = &st->ip.ifaces[ifindex];
    ifc->up = 1;
    nst_mld_iface_up(st, ifindex);
    ifc->hop_limit = st->cfg.ip6_hop_limit;
    ifc->mtu = link->mtu;
    ifc->retrans = st->cfg.ip6_retrans_timer;
    nst_ip6_set_base_reachable(st, ifindex, st->cfg.ip6_reachable_time);
    if (link->mtu < NST_IPV6_MIN_MTU) {
        ifc->up = 0; /* RFC 8200 5: a link below 1280 cannot carry IPv6 */
        return 0;
    }
    nst_ip6_t all;
    nst_ip6_all_nodes(&all);
    int err = nst_ip6_group_join(st, ifindex, &all);
    if (!err && st->cfg.forwarding) { /* RFC 4291 2.8: a router also listens to all-routers */
        nst_ip6_all_routers(&all);
        err = nst_ip6_group_join(st, ifindex, &all);
    }
    if (err)
        return err;
    return nst_ip6_link_local_add(st, ifindex, 0);
}

/* RFC 4862 5.3: fe80::/64 and the interface identifier: the modified
 * EUI-64 of the MAC (RFC 4291 2.5.1), or RFC 7217's stable one. */
int nst_ip6_link_local_add(struct nst_stack *st, int ifindex, unsigned dad_counter)
{
    static const nst_ip6_t fe80 = {{0xfe, 0x80}};
    nst_ip6_t ll;
    if (nst_ip6_stable_addr(st, ifindex, &fe80, &dad_counter, &ll) < 0)
        nst_ip6_from_eui64(&fe80, &st->ip.ifaces[ifindex].mac, &ll);
    int err = nst_ip6_addr_add(st, ifindex, &ll, 64, NST_ADDR6_LINK_LOCAL, NST_IP6_INFINITE, NST_IP6_INFINITE);
    struct nst_ip6_addr *a = err ? NULL : nst_ip6_addr_find(st, ifindex, &ll);
    if (a)
        a->dad_counter = (uint8_t)dad_counter;
    return err;
}
