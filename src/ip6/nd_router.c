/* Router discovery and redirects of one interface (RFC 4861 6.2, 6.3, 8.3):
 * the host's solicitations, default router list, on-link prefix list and
 * link parameters learnt from Router Advertisements, the redirect table,
 * and a router's advertisement schedule. A state machine over one
 * interface (ndra.h): its effects go through ifc->env. */
#include "ip6/ndra.h"

#include "wire/icmpv6.h"
#include "wire/ipv6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static nst_time_t min_time(nst_time_t a, nst_time_t b) { return a < b ? a : b; }
static nst_time_t max_time(nst_time_t a, nst_time_t b) { return a > b ? a : b; }

/* A random time in [0, span] (RFC 4861's "between 0 and X"). */
static nst_time_t random_upto(const struct nst_ndra_iface *ifc, nst_time_t span)
{
    return (nst_time_t)nst_rng_below(ifc->env->rng, (uint64_t)span + 1);
}

/* Host behaviour (6.3) only where the stack is neither forwarding nor
 * advertising: routers do not configure themselves from RAs (6.2.7) nor
 * obey redirects (8.3 is for hosts). */
static int is_host(const struct nst_ndra_iface *ifc) { return !ifc->is_router && !ifc->ra.advertise; }

void nst_ra_config_default(struct nst_ra_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_interval = NST_SEC(600);
    c->min_interval = NST_SEC(198);
    c->cur_hop_limit = 64;
    c->default_lifetime = 1800;
}

/* RFC 4861 6.2.1's bounds on each variable. */
int nst_ra_config_check(const struct nst_ra_config *c, uint32_t link_mtu)
{
    if (!c->advertise)
        return 0;
    if (c->max_interval < NST_SEC(4) || c->max_interval > NST_SEC(1800))
        return -EINVAL;
    if (c->min_interval < NST_SEC(3) || c->min_interval > c->max_interval / 4 * 3)
        return -EINVAL;
    if (c->default_lifetime && (NST_SEC(c->default_lifetime) < c->max_interval || c->default_lifetime > 9000))
        return -EINVAL;
    if (c->link_mtu && (c->link_mtu < NST_IPV6_MIN_MTU || c->link_mtu > link_mtu))
        return -EINVAL;
    if (c->reachable_time > 3600000 || c->n_prefixes > NST_RA_MAX_PREFIXES)
        return -EINVAL;
    for (unsigned i = 0; i < c->n_prefixes; i++) {
        const struct nst_ra_prefix *p = &c->prefix[i];
        if (p->len > 128 || p->preferred_lifetime > p->valid_lifetime || nst_ip6_is_link_local(&p->prefix) ||
            nst_ip6_is_multicast(&p->prefix))
            return -EINVAL;
    }
    return 0;
}

int nst_ndra_iface_init(struct nst_ndra_iface *ifc, int ifindex, const struct nst_mac *mac, uint32_t link_mtu,
                        const struct nst_ndra_limits *lim, const struct nst_ndra_env *env)
{
    memset(ifc, 0, sizeof *ifc);
    ifc->ifindex = ifindex;
    ifc->mac = *mac;
    ifc->link_mtu = link_mtu;
    ifc->lim = *lim;
    ifc->env = env;
    ifc->rs_next = ifc->ra_next = ifc->ra_last = NST_TIME_NEVER;
    ifc->redirect_tokens = NST_REDIRECT_BURST;
    nst_ra_config_default(&ifc->ra);
    /* One slot more than asked, so a limit of 0 (keep nothing) needs no special case. */
    ifc->routers = calloc(lim->max_routers + 1, sizeof *ifc->routers);
    ifc->prefixes = calloc(lim->max_prefixes + 1, sizeof *ifc->prefixes);
    ifc->addrs = calloc(lim->max_addrs + 1, sizeof *ifc->addrs);
    ifc->temps = calloc(lim->max_temps + 1, sizeof *ifc->temps);
    ifc->redirects = calloc(lim->max_redirects + 1, sizeof *ifc->redirects);
    if (!ifc->routers || !ifc->prefixes || !ifc->addrs || !ifc->temps || !ifc->redirects) {
        nst_ndra_iface_fini(ifc);
        return -ENOMEM;
    }
    return 0;
}

void nst_ndra_iface_fini(struct nst_ndra_iface *ifc)
{
    free(ifc->routers);
    free(ifc->prefixes);
    free(ifc->addrs);
    free(ifc->temps);
    free(ifc->redirects);
    ifc->routers = NULL;
    ifc->prefixes = NULL;
    ifc->addrs = NULL;
    ifc->temps = NULL;
    ifc->redirects = NULL;
}

/* ---- host: Router Solicitations (6.3.7) ------------------------------------ */

static void start_soliciting(struct nst_ndra_iface *ifc, nst_time_t now)
{
    /* "delay the transmission for a random amount of time between 0 and
     * MAX_RTR_SOLICITATION_DELAY": many hosts powered up at once must not
     * solicit together. */
    ifc->rs_sent = 0;
    ifc->rs_next = ifc->lim.rtr_solicitations ? now + random_upto(ifc, NST_MAX_RTR_SOLICITATION_DELAY)
                                              : NST_TIME_NEVER;
}

static void send_solicitation(struct nst_ndra_iface *ifc)
{
    if (ifc->env->send_rs(ifc->env->ctx, ifc->ifindex) == 0)
        NST_NDRA_INC(ifc, rs_sent);
    /* At most MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart, counted from
     * when each was due (exact in virtual time); a lost send still counts. */
    ifc->rs_next = ++ifc->rs_sent < ifc->lim.rtr_solicitations ? ifc->rs_next + NST_RTR_SOLICITATION_INTERVAL
                                                               : NST_TIME_NEVER;
}

/* ---- router: advertisements (6.2.3 - 6.2.6) -------------------------------- */

static void build_ra(const struct nst_ndra_iface *ifc, struct nst_nd_repr *r, uint16_t lifetime)
{
    const struct nst_ra_config *c = &ifc->ra;
    memset(r, 0, sizeof *r);
    r->type = NST_ICMP6_ROUTER_ADVERT;
    r->cur_hop_limit = c->cur_hop_limit;
    r->flags = (uint8_t)((c->managed ? NST_ND_RA_MANAGED : 0) | (c->other ? NST_ND_RA_OTHER : 0));
    r->router_lifetime = lifetime;
    r->reachable_time = c->reachable_time;
    r->retrans_timer = c->retrans_timer;
    /* 6.2.3: the source link-layer address option SHOULD be included. */
    r->has_src_lladdr = 1;
    r->src_lladdr = ifc->mac;
    if (c->link_mtu) {
        r->has_mtu = 1;
        r->mtu = c->link_mtu;
    }
    r->n_prefixes = (uint8_t)c->n_prefixes;
    for (unsigned i = 0; i < c->n_prefixes; i++) {
        const struct nst_ra_prefix *p = &c->prefix[i];
        struct nst_nd_prefix *o = &r->prefix[i];
        o->len = p->len;
        o->flags = (uint8_t)((p->onlink ? NST_ND_PREFIX_ONLINK : 0) | (p->autonomous ? NST_ND_PREFIX_AUTO : 0));
        o->valid_lifetime = p->valid_lifetime;
        o->preferred_lifetime = p->preferred_lifetime;
        o->prefix = p->prefix;
    }
}

static void send_advertisement(struct nst_ndra_iface *ifc, uint16_t lifetime)
{
    struct nst_nd_repr ra;
    build_ra(ifc, &ra, lifetime);
    nst_ip6_t all_nodes;
    nst_ip6_all_nodes(&all_nodes);
    if (ifc->env->send_ra(ifc->env->ctx, ifc->ifindex, &all_nodes, &ra) == 0)
        NST_NDRA_INC(ifc, ra_sent);
    else
        NST_NDRA_INC(ifc, ra_send_failed);
}

/* 6.2.4: the next unsolicited RA, uniformly between Min and Max after this
 * one; the first MAX_INITIAL_RTR_ADVERTISEMENTS no more than
 * MAX_INITIAL_RTR_ADVERT_INTERVAL apart, so hosts learn the router soon. */
static void advertise_now(struct nst_ndra_iface *ifc, nst_time_t now)
{
    send_advertisement(ifc, ifc->ra.default_lifetime);
    ifc->ra_last = now;
    ifc->ra_count++;
    const struct nst_ra_config *c = &ifc->ra;
    nst_time_t interval = c->min_interval + random_upto(ifc, c->max_interval - c->min_interval);
    if (ifc->ra_count < NST_MAX_INITIAL_RTR_ADVERTISEMENTS)
        interval = min_time(interval, NST_MAX_INITIAL_RTR_ADVERT_INTERVAL);
    ifc->ra_next = now + interval;
}

/* 6.2.4: an interface becomes advertising (or its configuration changed):
 * the first RA at once, but never two multicast RAs closer than
 * MIN_DELAY_BETWEEN_RAS (6.2.6). */
static void start_advertising(struct nst_ndra_iface *ifc, nst_time_t now)
{
    ifc->rs_next = NST_TIME_NEVER;
    ifc->ra_count = 0;
    ifc->ra_next = ifc->ra_last == NST_TIME_NEVER ? now : max_time(now, ifc->ra_last + NST_MIN_DELAY_BETWEEN_RAS);
}

void nst_ndra_configure(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_ra_config *c)
{
    int was_advertising = ifc->ra.advertise && ifc->started;
    ifc->ra = *c;
    if (!ifc->started)
        return; /* nst_ndra_start begins with this configuration */
    if (c->advertise) {
        start_advertising(ifc, now);
    } else {
        ifc->ra_next = NST_TIME_NEVER;
        /* 6.2.5: a router that stops advertising says so: router lifetime 0. */
        if (was_advertising)
            send_advertisement(ifc, 0);
        if (is_host(ifc))
            start_soliciting(ifc, now);
    }
}

void nst_ndra_start(struct nst_ndra_iface *ifc, nst_time_t now)
{
    ifc->started = 1;
    if (ifc->ra.advertise)
        start_advertising(ifc, now);
    else if (is_host(ifc) && !ifc->n_routers) /* an RA already came: nothing to ask */
        start_soliciting(ifc, now);
}

void nst_ndra_rs_input(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src, const struct nst_nd_repr *rs)
{
    NST_NDRA_INC(ifc, rs_received);
    /* 6.2.6: "A host MUST silently discard any received Router Solicitation". */
    if (!ifc->ra.advertise || !ifc->started) {
        NST_NDRA_INC(ifc, rs_ignored);
        return;
    }
    /* 6.2.6: the solicitor's link-layer address goes to the neighbour cache
     * (STALE); from :: there is none (6.1.1 refused an option from ::). */
    if (rs->has_src_lladdr)
        ifc->env->neighbour(ifc->env->ctx, ifc->ifindex, src, &rs->src_lladdr, 0);
    /* 6.2.6: answer after a random 0..MAX_RA_DELAY_TIME (so that the routers
     * of a link do not answer together), unless the scheduled RA comes
     * sooner, and never within MIN_DELAY_BETWEEN_RAS of the last multicast RA. */
    nst_time_t delay = random_upto(ifc, NST_MAX_RA_DELAY_TIME);
    if (now + delay >= ifc->ra_next)
        return;
    nst_time_t at = now + delay;
    if (ifc->ra_last != NST_TIME_NEVER && now < ifc->ra_last + NST_MIN_DELAY_BETWEEN_RAS)
        at = ifc->ra_last + NST_MIN_DELAY_BETWEEN_RAS + delay;
    ifc->ra_next = min_time(at, ifc->ra_next);
}

/* ---- host: the default router list (6.3.4, 6.3.5) -------------------------- */

static int find_router(const struct nst_ndra_iface *ifc, const nst_ip6_t *a)
{
    for (unsigned i = 0; i < ifc->n_routers; i++)
        if (nst_ip6_eq(&ifc->routers[i].addr, a))
            return (int)i;
    return -1;
}

static int probably_reachable(const struct nst_ndra_iface *ifc, int i)
{
    const struct nst_ndra_env *env = ifc->env;
    return !env->probably_reachable || env->probably_reachable(env->ctx, ifc->ifindex, &ifc->routers[i].addr);
}

static void set_default(struct nst_ndra_iface *ifc, int i)
{
    if (i < 0) {
        if (ifc->has_dflt)
            ifc->env->default_route(ifc->env->ctx, ifc->ifindex, NULL);
        ifc->has_dflt = 0;
        return;
    }
    if (ifc->has_dflt && nst_ip6_eq(&ifc->dflt, &ifc->routers[i].addr))
        return;
    ifc->dflt = ifc->routers[i].addr;
    ifc->has_dflt = 1;
    ifc->env->default_route(ifc->env->ctx, ifc->ifindex, &ifc->dflt);
}

/* RFC 4861 6.3.6: routers known or likely reachable (a neighbour entry in
 * any state but INCOMPLETE) before those whose reachability is unknown or
 * suspect. The router in use stays while it is such (no flapping with
 * each RA); when it proved unreachable (current_failed) the next usable
 * one after it in the list takes over, and when none is usable the next
 * one all the same: round-robin, so that each is tried in turn. */
static void choose_default(struct nst_ndra_iface *ifc, int current_failed)
{
    int n = (int)ifc->n_routers;
    int cur = ifc->has_dflt ? find_router(ifc, &ifc->dflt) : -1;
    int pick = cur >= 0 && !current_failed && probably_reachable(ifc, cur) ? cur : -1;
    for (int k = 1; k <= n && pick < 0; k++) {
        int i = (cur + k) % n; /* from after the current one, or from the start */
        if (i != cur && probably_reachable(ifc, i))
            pick = i;
    }
    if (pick < 0 && n)
        pick = cur < 0 ? 0 : current_failed ? (cur + 1) % n : cur;
    set_default(ifc, pick);
}

static void update_router(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src, uint16_t lifetime)
{
    int i = find_router(ifc, src);
    if (i >= 0) { /* a lifetime of 0 times the entry out at once (run below) */
        ifc->routers[i].expires = now + NST_SEC(lifetime);
        choose_default(ifc, 0); /* its RA may have made it reachable (6.3.4 puts its address in the cache) */
        return;
    }
    if (!lifetime)
        return;
    if (ifc->n_routers >= ifc->lim.max_routers) {
        NST_NDRA_INC(ifc, routers_full);
        return;
    }
    ifc->routers[ifc->n_routers++] = (struct nst_ndra_router){*src, now + NST_SEC(lifetime)};
    NST_NDRA_INC(ifc, routers_added);
    choose_default(ifc, 0);
}

static void expire_routers(struct nst_ndra_iface *ifc, nst_time_t now)
{
    unsigned kept = 0;
    int changed = 0;
    for (unsigned i = 0; i < ifc->n_routers; i++) {
        if (ifc->routers[i].expires > now) {
            ifc->routers[kept++] = ifc->routers[i];
            continue;
        }
        NST_NDRA_INC(ifc, routers_expired);
        changed = 1;
    }
    ifc->n_routers = kept;
    /* 6.3.5: the route through a router that went is replaced by another's,
     * or removed (the destination cache follows the route table). */
    if (changed)
        choose_default(ifc, 0);
}

void nst_ndra_router_unreachable(struct nst_ndra_iface *ifc, const nst_ip6_t *addr)
{
    if (!ifc->has_dflt || !nst_ip6_eq(&ifc->dflt, addr))
        return;
    NST_NDRA_INC(ifc, default_router_unreachable);
    choose_default(ifc, 1);
}

/* ---- host: the prefix list (6.3.4) ----------------------------------------- */

static int find_prefix(const struct nst_ndra_iface *ifc, const nst_ip6_t *prefix, uint8_t len)
{
    for (unsigned i = 0; i < ifc->n_prefixes; i++)
        if (ifc->prefixes[i].len == len && nst_ip6_eq(&ifc->prefixes[i].prefix, prefix))
            return (int)i;
    return -1;
}

/* The prefix with the bits past its length cleared (the route's key). */
static nst_ip6_t prefix_bits(const nst_ip6_t *a, unsigned len)
{
    nst_ip6_t p = *a;
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        p.b[i] &= (uint8_t)(0xff00u >> keep);
    }
    return p;
}

static void update_onlink_prefix(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_nd_prefix *p)
{
    if (!(p->flags & NST_ND_PREFIX_ONLINK))
        return; /* "the prefix's on-link status is not changed by this option" */
    nst_ip6_t prefix = prefix_bits(&p->prefix, p->len);
    int i = find_prefix(ifc, &prefix, p->len);
    if (i >= 0) { /* the new valid lifetime, 0 timing it out at once */
        ifc->prefixes[i].expires = nst_ndra_deadline(now, p->valid_lifetime);
        return;
    }
    if (!p->valid_lifetime)
        return;
    if (ifc->n_prefixes >= ifc->lim.max_prefixes) {
        NST_NDRA_INC(ifc, prefixes_full);
        return;
    }
    ifc->prefixes[ifc->n_prefixes++] = (struct nst_ndra_prefix){prefix, p->len, nst_ndra_deadline(now, p->valid_lifetime)};
    NST_NDRA_INC(ifc, prefixes_added);
    ifc->env->prefix_route(ifc->env->ctx, ifc->ifindex, &prefix, p->len, 1);
}

static void expire_prefixes(struct nst_ndra_iface *ifc, nst_time_t now)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < ifc->n_prefixes; i++) {
        struct nst_ndra_prefix *e = &ifc->prefixes[i];
        if (e->expires > now) {
            ifc->prefixes[kept++] = *e;
            continue;
        }
        NST_NDRA_INC(ifc, prefixes_expired);
        ifc->env->prefix_route(ifc->env->ctx, ifc->ifindex, &e->prefix, e->len, 0);
    }
    ifc->n_prefixes = kept;
}

/* ---- host: Router Advertisement processing (6.3.4) ------------------------- */

static void update_link_params(struct nst_ndra_iface *ifc, const struct nst_nd_repr *ra)
{
    /* Each field 0 means "unspecified": the host keeps its value. */
    struct nst_ndra_link_params lp = {ra->cur_hop_limit, ra->reachable_time, ra->retrans_timer, 0};
    if (ra->has_mtu) {
        /* "as long as the value is greater than or equal to the minimum link
         * MTU and does not exceed the maximum LinkMTU" of the link type. */
        if (ra->mtu >= NST_IPV6_MIN_MTU && ra->mtu <= ifc->link_mtu) {
            lp.mtu = ra->mtu;
            NST_NDRA_INC(ifc, mtu_set);
        } else {
            NST_NDRA_INC(ifc, mtu_bad);
        }
    }
    if (lp.cur_hop_limit || lp.reachable_ms || lp.retrans_ms || lp.mtu)
        ifc->env->link_params(ifc->env->ctx, ifc->ifindex, &lp);
}

void nst_ndra_ra_input(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src, const struct nst_nd_repr *ra)
{
    NST_NDRA_INC(ifc, ra_received);
    if (!is_host(ifc)) {
        NST_NDRA_INC(ifc, ra_ignored);
        return;
    }
    /* 6.3.7: a valid RA with a nonzero router lifetime ends soliciting. */
    if (ra->router_lifetime)
        ifc->rs_next = NST_TIME_NEVER;
    update_router(ifc, now, src, ra->router_lifetime);
    update_link_params(ifc, ra);
    /* "the link-layer address SHOULD be recorded in the Neighbor Cache entry
     * for the router ... and the IsRouter flag ... MUST be set to TRUE". */
    if (ra->has_src_lladdr)
        ifc->env->neighbour(ifc->env->ctx, ifc->ifindex, src, &ra->src_lladdr, 1);
    ifc->env->stats->ndra_prefixes_over_ra += ra->prefixes_dropped;
    for (unsigned i = 0; i < ra->n_prefixes; i++) {
        const struct nst_nd_prefix *p = &ra->prefix[i];
        /* 6.3.4 and RFC 4862 5.5.3 (b): the link-local prefix is ignored. */
        if (p->len > 128 || nst_ip6_is_link_local(&p->prefix) || nst_ip6_is_multicast(&p->prefix)) {
            NST_NDRA_INC(ifc, prefixes_ignored);
            continue;
        }
        update_onlink_prefix(ifc, now, p);
        nst_slaac_prefix_input(ifc, now, p);
    }
    nst_ndra_run(ifc, now); /* lifetimes of 0 take effect now */
}

/* ---- host: redirects (8.3) ------------------------------------------------- */

static int find_redirect(const struct nst_ndra_iface *ifc, const nst_ip6_t *dest)
{
    for (unsigned i = 0; i < ifc->n_redirects; i++)
        if (nst_ip6_eq(&ifc->redirects[i].dest, dest))
            return (int)i;
    return -1;
}

/* A slot for a new redirect: a free one, or the one closest to its end
 * (its route removed first). */
static struct nst_ndra_redirect *redirect_slot(struct nst_ndra_iface *ifc)
{
    if (ifc->n_redirects < ifc->lim.max_redirects)
        return &ifc->redirects[ifc->n_redirects++];
    if (!ifc->lim.max_redirects)
        return NULL;
    struct nst_ndra_redirect *old = &ifc->redirects[0];
    for (unsigned i = 1; i < ifc->n_redirects; i++)
        if (ifc->redirects[i].expires < old->expires)
            old = &ifc->redirects[i];
    NST_NDRA_INC(ifc, redirects_recycled);
    ifc->env->redirect_route(ifc->env->ctx, ifc->ifindex, &old->dest, NULL, 0);
    return old;
}

void nst_ndra_redirect_input(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src,
                             const struct nst_nd_repr *rd)
{
    const struct nst_ndra_env *env = ifc->env;
    NST_NDRA_INC(ifc, redirects_received);
    if (!is_host(ifc)) {
        NST_NDRA_INC(ifc, redirects_ignored);
        return;
    }
    /* 8.1: "The IP source address of the Redirect is the same as the
     * current first-hop router for the specified ICMP Destination Address":
     * only the router we send through may move us to another. */
    nst_ip6_t router;
    if (env->first_hop(env->ctx, ifc->ifindex, &rd->dest, &router) != 0 || !nst_ip6_eq(&router, src)) {
        NST_NDRA_INC(ifc, redirects_not_first_hop);
        return;
    }
    /* 8.3: target == destination: the destination is on-link (whether it
     * is a router is not said); else the target is a better router
     * (IsRouter). Its link-layer address, if given, goes to the neighbour
     * cache (STALE). */
    int onlink = nst_ip6_eq(&rd->target, &rd->dest);
    env->neighbour(env->ctx, ifc->ifindex, &rd->target, rd->has_tgt_lladdr ? &rd->tgt_lladdr : NULL,
                   onlink ? -1 : 1);
    int i = find_redirect(ifc, &rd->dest);
    struct nst_ndra_redirect *e = i >= 0 ? &ifc->redirects[i] : redirect_slot(ifc);
    if (!e)
        return;
    *e = (struct nst_ndra_redirect){rd->dest, rd->target, now + ifc->lim.redirect_ttl};
    env->redirect_route(env->ctx, ifc->ifindex, &rd->dest, onlink ? NULL : &rd->target, 1);
    NST_NDRA_INC(ifc, redirects_accepted);
}

static void expire_redirects(struct nst_ndra_iface *ifc, nst_time_t now)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < ifc->n_redirects; i++) {
        struct nst_ndra_redirect *e = &ifc->redirects[i];
        if (e->expires > now) {
            ifc->redirects[kept++] = *e;
            continue;
        }
        NST_NDRA_INC(ifc, redirects_expired);
        ifc->env->redirect_route(ifc->env->ctx, ifc->ifindex, &e->dest, NULL, 0);
    }
    ifc->n_redirects = kept;
}

/* ---- router: sending redirects (8.2) --------------------------------------- */

int nst_ndra_redirect_permit(struct nst_ndra_iface *ifc, nst_time_t now)
{
    if (now > ifc->redirect_at) {
        nst_time_t refill = (now - ifc->redirect_at) / NST_REDIRECT_INTERVAL;
        if (refill >= NST_REDIRECT_BURST - ifc->redirect_tokens) {
            ifc->redirect_tokens = NST_REDIRECT_BURST;
            ifc->redirect_at = now;
        } else {
            ifc->redirect_tokens += (unsigned)refill;
            ifc->redirect_at += refill * NST_REDIRECT_INTERVAL;
        }
    }
    if (!ifc->redirect_tokens) {
        NST_NDRA_INC(ifc, redirects_rate_limited);
        return 0;
    }
    ifc->redirect_tokens--;
    return 1;
}

/* ---- time ------------------------------------------------------------------ */

nst_time_t nst_ndra_next(const struct nst_ndra_iface *ifc)
{
    nst_time_t next = min_time(min_time(ifc->rs_next, ifc->ra_next), nst_slaac_next(ifc));
    for (unsigned i = 0; i < ifc->n_routers; i++)
        next = min_time(next, ifc->routers[i].expires);
    for (unsigned i = 0; i < ifc->n_prefixes; i++)
        next = min_time(next, ifc->prefixes[i].expires);
    for (unsigned i = 0; i < ifc->n_redirects; i++)
        next = min_time(next, ifc->redirects[i].expires);
    return next;
}

nst_time_t nst_ndra_run(struct nst_ndra_iface *ifc, nst_time_t now)
{
    if (ifc->rs_next <= now)
        send_solicitation(ifc);
    if (ifc->ra_next <= now)
        advertise_now(ifc, now);
    expire_routers(ifc, now);
    expire_prefixes(ifc, now);
    expire_redirects(ifc, now);
    nst_slaac_run(ifc, now);
    return nst_ndra_next(ifc);
}
