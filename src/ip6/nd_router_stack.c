/* Router discovery and SLAAC in the stack: what nd_router.h promises the
 * IPv6 layer, one state machine per interface (ndra.h) bound to the
 * layer's routes, addresses, neighbour cache and output, one timer per
 * interface at the machine's next deadline; and the public API of
 * <nstack/ip6_router.h>. */
#include <errno.h>
#include <stdlib.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "ip6/nd_router.h"
#include "ip6/ndra.h"

/* Linux's metrics: a route from a prefix option 256, a default route from an RA 1024. */
#define RA_PREFIX_METRIC 256
#define RA_DEFAULT_METRIC 1024

struct ndra_slot {
    struct nst_ndra_iface ifc;
    struct nst_timer timer;
    struct nst_stack *st;
    int in_use;
    int joined_all_routers; /* advertising without forwarding: we joined ff02::2 */
};

struct nst_ndra_state {
    struct nst_ndra_env env;
    struct ndra_slot ifs[NST_MAX_IFACES];
};

static const nst_ip6_t unspecified;

/* ---- the environment: the engine's effects on the IPv6 layer ------------- */

/* A deadline as the lifetime in seconds the address layer takes, rounded
 * up: the engine's own timer (exact) acts first. */
static uint32_t seconds_left(const struct nst_stack *st, nst_time_t until)
{
    if (until == NST_TIME_NEVER)
        return NST_IP6_INFINITE;
    if (until <= st->now)
        return 0;
    nst_time_t s = (until - st->now + NST_SEC(1) - 1) / NST_SEC(1);
    return s >= NST_IP6_INFINITE ? NST_IP6_INFINITE - 1 : (uint32_t)s;
}

static void env_default_route(void *ctx, int ifindex, const nst_ip6_t *router)
{
    struct nst_stack *st = ctx;
    nst_ip6_route_del_match(st, &unspecified, 0, NULL, ifindex, NST_ROUTE6_RA);
    if (router)
        nst_ip6_route_add(st, &unspecified, 0, router, ifindex, RA_DEFAULT_METRIC, NST_ROUTE6_RA);
}

static void env_prefix_route(void *ctx, int ifindex, const nst_ip6_t *prefix, uint8_t len, int add)
{
    struct nst_stack *st = ctx;
    if (add)
        nst_ip6_route_add(st, prefix, len, NULL, ifindex, RA_PREFIX_METRIC, NST_ROUTE6_RA);
    else
        nst_ip6_route_del_match(st, prefix, len, NULL, ifindex, NST_ROUTE6_RA);
}

static void env_redirect_route(void *ctx, int ifindex, const nst_ip6_t *dest, const nst_ip6_t *target, int add)
{
    struct nst_stack *st = ctx;
    nst_ip6_route_del_match(st, dest, 128, NULL, ifindex, NST_ROUTE6_REDIRECT);
    if (add)
        nst_ip6_route_add(st, dest, 128, target, ifindex, 0, NST_ROUTE6_REDIRECT);
}

static void env_neighbour(void *ctx, int ifindex, const nst_ip6_t *addr, const struct nst_mac *mac, int is_router)
{
    struct nst_nd_update u = {.lladdr = mac, .is_router = is_router, .create = 1};
    nst_nd_neigh_update(ctx, ifindex, addr, &u);
}

static void env_link_params(void *ctx, int ifindex, const struct nst_ndra_link_params *p)
{
    struct nst_stack *st = ctx;
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    if (p->cur_hop_limit)
        ifc->hop_limit = p->cur_hop_limit;
    /* 6.3.4: a new BaseReachableTime draws a new ReachableTime; the same one does not. */
    if (p->reachable_ms && NST_MSEC(p->reachable_ms) != ifc->base_reachable)
        nst_ip6_set_base_reachable(st, ifindex, NST_MSEC(p->reachable_ms));
    if (p->retrans_ms) {
        ifc->retrans = NST_MSEC(p->retrans_ms);
        /* RFC 8981 3.8: REGEN_ADVANCE follows RetransTimer. */
        st->ndra->ifs[ifindex].ifc.temp.regen_advance = nst_slaac_regen_advance(st->cfg.ip6_dad_transmits, ifc->retrans);
    }
    if (p->mtu && p->mtu != ifc->mtu) {
        ifc->mtu = p->mtu;
        nst_dst_invalidate_all(&st->ip); /* cached ways out carry the old MTU */
    }
}

static int env_first_hop(void *ctx, int ifindex, const nst_ip6_t *dest, nst_ip6_t *router)
{
    struct nst_route6 r;
    if (nst_ip6_route_lookup_if(ctx, dest, ifindex, &r) < 0 || r.ifindex != ifindex ||
        nst_ip6_is_unspecified(&r.gateway))
        return -ENETUNREACH;
    *router = r.gateway;
    return 0;
}

static int env_addr_add(void *ctx, int ifindex, const nst_ip6_t *addr, uint8_t prefix_len, nst_time_t preferred_until,
                        nst_time_t valid_until)
{
    struct nst_stack *st = ctx;
    return nst_ip6_addr_add(st, ifindex, addr, prefix_len, NST_ADDR6_SLAAC, seconds_left(st, valid_until),
                            seconds_left(st, preferred_until));
}

static int env_temp_addr_add(void *ctx, int ifindex, const nst_ip6_t *addr, nst_time_t preferred_until,
                             nst_time_t valid_until)
{
    struct nst_stack *st = ctx;
    return nst_ip6_addr_add(st, ifindex, addr, 64, NST_ADDR6_TEMPORARY, seconds_left(st, valid_until),
                            seconds_left(st, preferred_until));
}

static void env_addr_lifetimes(void *ctx, int ifindex, const nst_ip6_t *addr, nst_time_t preferred_until,
                               nst_time_t valid_until, int deprecated)
{
    struct nst_stack *st = ctx;
    nst_ip6_addr_set_lifetimes(st, ifindex, addr, seconds_left(st, valid_until),
                               deprecated ? 0 : seconds_left(st, preferred_until));
}

static void env_addr_del(void *ctx, int ifindex, const nst_ip6_t *addr) { nst_iface_addr6_del(ctx, ifindex, addr); }

/* The interface's link-local address once DAD passed it, or NULL. */
static const nst_ip6_t *usable_link_local(struct nst_stack *st, int ifindex)
{
    nst_ip6_t group;
    nst_ip6_all_nodes(&group);
    const struct nst_ip6_addr *a = nst_ip6_select_src(st, ifindex, &group);
    return a && nst_ip6_is_link_local(&a->addr) ? &a->addr : NULL;
}

static int env_send_rs(void *ctx, int ifindex)
{
    struct nst_stack *st = ctx;
    /* 6.3.7: from our address, with our link-layer address; from :: (and
     * then without it, 6.1.1) while we have none. */
    const nst_ip6_t *src = usable_link_local(st, ifindex);
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_SOLICIT};
    if (src) {
        r.has_src_lladdr = 1;
        r.src_lladdr = st->ip.ifaces[ifindex].mac;
    }
    nst_ip6_t dst;
    nst_ip6_all_routers(&dst);
    return nst_nd_send(st, ifindex, &r, src ? src : &unspecified, &dst, NULL);
}

static int env_probably_reachable(void *ctx, int ifindex, const nst_ip6_t *addr)
{
    return nst_nd_probably_reachable(ctx, ifindex, addr);
}

static int env_stable_addr(void *ctx, int ifindex, const nst_ip6_t *prefix, unsigned *dad_counter, nst_ip6_t *out)
{
    return nst_ip6_stable_addr(ctx, ifindex, prefix, dad_counter, out);
}

static int env_send_ra(void *ctx, int ifindex, const nst_ip6_t *dst, const struct nst_nd_repr *ra)
{
    struct nst_stack *st = ctx;
    /* 6.1.2: an RA comes from the router's link-local address. */
    const nst_ip6_t *src = usable_link_local(st, ifindex);
    return src ? nst_nd_send(st, ifindex, ra, src, dst, NULL) : -EADDRNOTAVAIL;
}

/* ---- a router's Redirects (8.2) ------------------------------------------- */

static struct ndra_slot *slot(struct nst_stack *st, int ifindex);

/* The sender is a neighbour: the route back to it is on-link, out of ifindex. */
static int on_link(struct nst_stack *st, int ifindex, const nst_ip6_t *a)
{
    struct nst_route6 r;
    return nst_ip6_route_lookup_if(st, a, ifindex, &r) == 0 && r.ifindex == ifindex &&
           nst_ip6_is_unspecified(&r.gateway);
}

void nst_nd_redirect_send(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h, const uint8_t *pkt,
                          size_t len, const nst_ip6_t *next_hop)
{
    /* 8.2: the target is the better router's link-local address, or the
     * destination itself when it is on-link. */
    int onlink = nst_ip6_eq(next_hop, &h->dst);
    if (!st->cfg.forwarding || nst_ip6_is_multicast(&h->dst) || (!onlink && !nst_ip6_is_link_local(next_hop)) ||
        !on_link(st, ifindex, &h->src))
        return;
    struct ndra_slot *s = slot(st, ifindex);
    const nst_ip6_t *src = usable_link_local(st, ifindex);
    if (!s || !src || !nst_ndra_redirect_permit(&s->ifc, st->now))
        return;
    struct nst_nd_repr r = {.type = NST_ICMP6_REDIRECT, .target = *next_hop, .dest = h->dst};
    r.has_tgt_lladdr = nst_nd_lookup(st, ifindex, next_hop, &r.tgt_lladdr) == 0;
    /* 4.6.3: as much of the packet as fits a minimum-MTU Redirect (a
     * multiple of 8, so its padding adds nothing). */
    size_t room = NST_IPV6_MIN_MTU - NST_IPV6_HLEN - 40 - (r.has_tgt_lladdr ? 8 : 0) - 8;
    r.redirected = pkt;
    r.redirected_len = len < room ? len : room;
    nst_ip6_t to = h->src;
    if (nst_nd_send(st, ifindex, &r, src, &to, NULL) == 0)
        NST_STAT_INC(st, ndra, redirects_sent);
}

/* ---- one timer per interface ---------------------------------------------- */

static void rearm(struct ndra_slot *s)
{
    nst_time_t next = nst_ndra_next(&s->ifc);
    if (next == NST_TIME_NEVER)
        nst_timer_cancel(s->st, &s->timer);
    else
        nst_timer_arm(s->st, &s->timer, next);
}

static void slot_timer(struct nst_stack *st, struct nst_timer *t)
{
    struct ndra_slot *s = NST_CONTAINER_OF(t, struct ndra_slot, timer);
    nst_ndra_run(&s->ifc, st->now);
    rearm(s);
}

static struct nst_ndra_state *state(struct nst_stack *st)
{
    if (st->ndra)
        return st->ndra;
    struct nst_ndra_state *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->env = (struct nst_ndra_env){st,
                                   &st->rng,
                                   &st->stats,
                                   env_default_route,
                                   env_prefix_route,
                                   env_redirect_route,
                                   env_neighbour,
                                   env_link_params,
                                   env_first_hop,
                                   env_addr_add,
                                   env_addr_lifetimes,
                                   env_addr_del,
                                   env_send_rs,
                                   env_send_ra,
                                   env_probably_reachable,
                                   env_stable_addr,
                                   env_temp_addr_add};
    st->ndra = n;
    return n;
}

/* RFC 8981 3.8: the interface's temporary-address parameters. Its
 * DESYNC_FACTOR is drawn (in whole seconds, as Linux) below
 * MAX_DESYNC_FACTOR = 0.4 * TEMP_PREFERRED_LIFETIME and below
 * TEMP_PREFERRED_LIFETIME - REGEN_ADVANCE; only when temporaries are on,
 * so that the random draws of a stack without them stay as they were. */
static void temp_setup(struct nst_stack *st, struct nst_ndra_iface *ifc)
{
    const struct nst_stack_config *c = &st->cfg;
    ifc->temp.mode = c->ip6_temp_addrs;
    if (!ifc->temp.mode)
        return;
    ifc->temp.valid = c->ip6_temp_valid_lifetime;
    ifc->temp.preferred = c->ip6_temp_preferred_lifetime;
    ifc->temp.regen_advance = nst_slaac_regen_advance(c->ip6_dad_transmits, nst_ip6_if(st, ifc->ifindex)->retrans);
    uint64_t max_desync = (uint64_t)(c->ip6_temp_preferred_lifetime / NST_SEC(1)) * 2 / 5;
    uint64_t room = (uint64_t)((c->ip6_temp_preferred_lifetime - ifc->temp.regen_advance) / NST_SEC(1));
    if (max_desync > room)
        max_desync = room;
    ifc->temp.desync = max_desync ? NST_SEC(nst_rng_below(&st->rng, max_desync)) : 0;
}

/* The interface's machine, made on first use; NULL without IPv6 or memory. */
static struct ndra_slot *slot(struct nst_stack *st, int ifindex)
{
    if (!st->ip6 || ifindex < 0 || ifindex >= st->ip.n_ifaces || !nst_ip6_if(st, ifindex)->up)
        return NULL;
    struct nst_ndra_state *n = state(st);
    if (!n)
        return NULL;
    struct ndra_slot *s = &n->ifs[ifindex];
    if (s->in_use)
        return s;
    const struct nst_stack_config *c = &st->cfg;
    struct nst_ndra_limits lim = {c->nd_max_routers,   c->nd_max_prefixes, c->nd_max_slaac,
                                  c->nd_max_redirects, c->nd_redirect_ttl, c->nd_rtr_solicitations,
                                  NST_IP6_MAX_ADDRS};
    const struct nst_iface *link = &st->ip.ifaces[ifindex];
    if (nst_ndra_iface_init(&s->ifc, ifindex, &link->mac, link->mtu, &lim, &n->env) < 0)
        return NULL;
    s->ifc.is_router = c->forwarding;
    temp_setup(st, &s->ifc);
    s->st = st;
    nst_timer_init(&s->timer, slot_timer);
    s->in_use = 1;
    return s;
}

/* ---- nd_router.h ---------------------------------------------------------- */

void nst_nd_router_unreachable(struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    struct nst_ndra_state *n = st->ndra;
    if (!n || ifindex < 0 || ifindex >= NST_MAX_IFACES || !n->ifs[ifindex].in_use)
        return;
    nst_ndra_router_unreachable(&n->ifs[ifindex].ifc, addr);
    rearm(&n->ifs[ifindex]);
}

void nst_nd_router_start(struct nst_stack *st, int ifindex)
{
    struct ndra_slot *s = slot(st, ifindex);
    if (!s)
        return;
    nst_ndra_start(&s->ifc, st->now);
    rearm(s);
}

void nst_nd_router_input(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_nd_repr *nd)
{
    struct ndra_slot *s = slot(st, rx->ifindex);
    if (!s)
        return;
    const nst_ip6_t *src = &rx->hdr6.src;
    switch (nd->type) {
    case NST_ICMP6_ROUTER_SOLICIT: nst_ndra_rs_input(&s->ifc, st->now, src, nd); break;
    case NST_ICMP6_ROUTER_ADVERT: nst_ndra_ra_input(&s->ifc, st->now, src, nd); break;
    case NST_ICMP6_REDIRECT: nst_ndra_redirect_input(&s->ifc, st->now, src, nd); break;
    default: return;
    }
    rearm(s);
}

void nst_slaac_dad_failed(struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    struct ndra_slot *s = slot(st, ifindex);
    if (!s)
        return;
    if (!nst_slaac_mark_duplicate(&s->ifc, addr))
        nst_slaac_temp_duplicate(&s->ifc, st->now, addr);
    rearm(s);
}

void nst_nd_router_fini(struct nst_stack *st)
{
    struct nst_ndra_state *n = st->ndra;
    if (!n)
        return;
    for (int i = 0; i < NST_MAX_IFACES; i++) {
        if (!n->ifs[i].in_use)
            continue;
        nst_timer_cancel(st, &n->ifs[i].timer);
        nst_ndra_iface_fini(&n->ifs[i].ifc);
    }
    free(n);
    st->ndra = NULL;
}

/* ---- public API ----------------------------------------------------------- */

int nst_ip6_ra_config(struct nst_stack *st, int ifindex, const struct nst_ra_config *c)
{
    if (!st->ip6)
        return -EAFNOSUPPORT;
    if (ifindex < 0 || ifindex >= st->ip.n_ifaces || !nst_ip6_if(st, ifindex)->up)
        return -ENODEV;
    int err = nst_ra_config_check(c, st->ip.ifaces[ifindex].mtu);
    if (err)
        return err;
    struct ndra_slot *s = slot(st, ifindex);
    if (!s)
        return -ENOMEM;
    /* 6.2.6: solicitations go to all-routers; a forwarding stack listens
     * to it already (RFC 4291 2.8), an advertising host joins it. */
    nst_ip6_t all_routers;
    nst_ip6_all_routers(&all_routers);
    if (c->advertise && !st->cfg.forwarding && !s->joined_all_routers) {
        err = nst_ip6_group_join(st, ifindex, &all_routers);
        if (err)
            return err;
        s->joined_all_routers = 1;
    } else if (!c->advertise && s->joined_all_routers) {
        nst_ip6_group_leave(st, ifindex, &all_routers);
        s->joined_all_routers = 0;
    }
    nst_ndra_configure(&s->ifc, st->now, c);
    rearm(s);
    return 0;
}

int nst_ip6_router_list(const struct nst_stack *st, struct nst_ip6_router_info *out, int max)
{
    const struct nst_ndra_state *n = st->ndra;
    int k = 0;
    for (int i = 0; n && i < NST_MAX_IFACES; i++) {
        const struct nst_ndra_iface *ifc = &n->ifs[i].ifc;
        for (unsigned j = 0; n->ifs[i].in_use && j < ifc->n_routers; j++, k++)
            if (k < max)
                out[k] = (struct nst_ip6_router_info){i, ifc->routers[j].addr, ifc->routers[j].expires,
                                                      ifc->has_dflt && nst_ip6_eq(&ifc->dflt, &ifc->routers[j].addr)};
    }
    return k;
}

int nst_ip6_prefix_list(const struct nst_stack *st, struct nst_ip6_prefix_info *out, int max)
{
    const struct nst_ndra_state *n = st->ndra;
    int k = 0;
    for (int i = 0; n && i < NST_MAX_IFACES; i++) {
        const struct nst_ndra_iface *ifc = &n->ifs[i].ifc;
        for (unsigned j = 0; n->ifs[i].in_use && j < ifc->n_prefixes; j++, k++)
            if (k < max)
                out[k] = (struct nst_ip6_prefix_info){i, ifc->prefixes[j].prefix, ifc->prefixes[j].len,
                                                      ifc->prefixes[j].expires};
    }
    return k;
}
