/* Stateless address autoconfiguration (RFC 4862 5.5): addresses formed
 * from the autonomous prefixes of Router Advertisements and the
 * interface's identifier, and their lifetimes. The address layer runs DAD
 * on each (it is added TENTATIVE) and says when one fails.
 *
 * The interface identifier is the modified EUI-64 of the MAC (RFC 4291
 * 2.5.1), what Linux uses by default (addr_gen_mode 0), or, when the
 * binding gives one (cfg.ip6_stable_iids), RFC 7217's stable opaque
 * identifier (Linux's addr_gen_mode 2/3), which hides the MAC from the
 * networks a host visits; a DAD failure then tries the next DAD_Counter.
 * RFC 8981 temporary addresses beside them: slaac_temp.c. */
#include "ip6/ndra.h"

#include "wire/ipv6.h"

#include <string.h>

#define INFINITE_LIFETIME 0xffffffffu

static void set_lifetimes(struct nst_ndra_iface *ifc, const struct nst_slaac_addr *a)
{
    ifc->env->addr_lifetimes(ifc->env->ctx, ifc->ifindex, &a->addr, a->preferred_until, a->valid_until,
                             a->state == NST_SLAAC_DEPRECATED);
}

/* The SLAAC address of ifc formed from prefix/len, or -1. */
static int find_addr(const struct nst_ndra_iface *ifc, const nst_ip6_t *prefix, uint8_t len)
{
    for (unsigned i = 0; i < ifc->n_addrs; i++)
        if (ifc->addrs[i].prefix_len == len && nst_ip6_in_prefix(&ifc->addrs[i].addr, prefix, len))
            return (int)i;
    return -1;
}

/* The address of prefix for DAD_Counter counter: RFC 7217's when the
 * binding makes them, else the EUI-64 one. */
static void make_addr(const struct nst_ndra_iface *ifc, const nst_ip6_t *prefix, unsigned counter,
                      struct nst_slaac_addr *a)
{
    const struct nst_ndra_env *env = ifc->env;
    a->stable = env->stable_addr && env->stable_addr(env->ctx, ifc->ifindex, prefix, &counter, &a->addr) == 0;
    a->dad_counter = (uint8_t)counter;
    if (!a->stable)
        nst_ip6_from_eui64(prefix, &ifc->mac, &a->addr);
}

/* 5.5.3 (d): a prefix no address of ours was formed from. */
static void form_address(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_nd_prefix *p)
{
    if (!p->valid_lifetime)
        return;
    /* "If the sum of the prefix length and interface identifier length does
     * not equal 128 bits, the Prefix Information option MUST be ignored":
     * the identifier is 64 bits on Ethernet (RFC 2464 4). */
    if (p->len != 64) {
        NST_NDRA_INC(ifc, slaac_bad_prefix_len);
        return;
    }
    if (ifc->n_addrs >= ifc->lim.max_addrs) {
        NST_NDRA_INC(ifc, slaac_full);
        return;
    }
    struct nst_slaac_addr a = {.prefix_len = 64, .state = NST_SLAAC_PREFERRED};
    make_addr(ifc, &p->prefix, 0, &a);
    a.preferred_until = nst_ndra_deadline(now, p->preferred_lifetime);
    a.valid_until = nst_ndra_deadline(now, p->valid_lifetime);
    if (ifc->env->addr_add(ifc->env->ctx, ifc->ifindex, &a.addr, 64, a.preferred_until, a.valid_until) != 0) {
        NST_NDRA_INC(ifc, slaac_add_failed); /* e.g. already configured by hand */
        return;
    }
    ifc->addrs[ifc->n_addrs++] = a;
    NST_NDRA_INC(ifc, slaac_formed);
    nst_slaac_temp_prefix(ifc, now, &ifc->addrs[ifc->n_addrs - 1]); /* RFC 8981 3.4 step 2 */
}

/* 5.5.3 (e): the lifetimes of an address already formed from the prefix. */
static void update_address(struct nst_ndra_iface *ifc, nst_time_t now, struct nst_slaac_addr *a,
                           const struct nst_nd_prefix *p)
{
    nst_time_t remaining = a->valid_until == NST_TIME_NEVER ? NST_TIME_NEVER : a->valid_until - now;
    nst_time_t received = p->valid_lifetime == INFINITE_LIFETIME ? NST_TIME_NEVER : NST_SEC(p->valid_lifetime);
    /* 1. more than two hours, or more than is left: taken as is. 2. no more
     * than two hours left: ignored (an unauthenticated RA cannot cut an
     * address short, an attack of the link). 3. otherwise: two hours. */
    if (received > NST_SLAAC_TWO_HOURS || received > remaining) {
        a->valid_until = nst_ndra_deadline(now, p->valid_lifetime);
    } else if (remaining <= NST_SLAAC_TWO_HOURS) {
        NST_NDRA_INC(ifc, slaac_two_hours);
    } else {
        a->valid_until = now + NST_SLAAC_TWO_HOURS;
        NST_NDRA_INC(ifc, slaac_two_hours);
    }
    /* "The preferred lifetime of the address is reset to the Preferred
     * Lifetime in the received advertisement" (never past the valid one). */
    a->preferred_until = nst_ndra_deadline(now, p->preferred_lifetime);
    if (a->preferred_until > a->valid_until)
        a->preferred_until = a->valid_until;
    if (a->state == NST_SLAAC_DUPLICATE)
        return;
    if (a->state == NST_SLAAC_DEPRECATED && a->preferred_until > now)
        a->state = NST_SLAAC_PREFERRED; /* 5.5.4: preferred again */
    set_lifetimes(ifc, a);
    nst_slaac_temp_prefix(ifc, now, a); /* RFC 8981 3.4 steps 3, 4 */
}

void nst_slaac_prefix_input(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_nd_prefix *p)
{
    if (!(p->flags & NST_ND_PREFIX_AUTO)) /* (a) */
        return;
    /* (b), the link-local prefix, was left out by the caller (6.3.4 too). */
    if (p->preferred_lifetime > p->valid_lifetime) { /* (c) */
        NST_NDRA_INC(ifc, slaac_bad_lifetimes);
        return;
    }
    int i = find_addr(ifc, &p->prefix, p->len);
    if (i < 0)
        form_address(ifc, now, p);
    else
        update_address(ifc, now, &ifc->addrs[i], p);
}

/* RFC 7217 6: a stable address found duplicate gives way to the one of
 * the next DAD_Counter, with the same lifetimes (IDGEN_RETRIES times at
 * most; after that the duplicate stays, as an EUI-64 one does). */
static void retry_stable(struct nst_ndra_iface *ifc, struct nst_slaac_addr *a)
{
    nst_ip6_t prefix = a->addr;
    memset(prefix.b + 8, 0, 8);
    struct nst_slaac_addr next = *a;
    make_addr(ifc, &prefix, a->dad_counter + 1u, &next);
    next.state = NST_SLAAC_PREFERRED;
    ifc->env->addr_del(ifc->env->ctx, ifc->ifindex, &a->addr);
    if (ifc->env->addr_add(ifc->env->ctx, ifc->ifindex, &next.addr, 64, next.preferred_until, next.valid_until) != 0) {
        NST_NDRA_INC(ifc, slaac_add_failed);
        a->addr = next.addr; /* still DUPLICATE: kept so that RAs do not form it again; it ages out */
        a->dad_counter = next.dad_counter;
        return;
    }
    NST_NDRA_INC(ifc, slaac_stable_retries);
    *a = next;
}

int nst_slaac_mark_duplicate(struct nst_ndra_iface *ifc, const nst_ip6_t *addr)
{
    for (unsigned i = 0; i < ifc->n_addrs; i++) {
        if (!nst_ip6_eq(&ifc->addrs[i].addr, addr))
            continue;
        /* 5.4.5: not to be used. Kept (until its valid lifetime ends) so that
         * each RA does not form it and run DAD again. */
        if (ifc->addrs[i].state != NST_SLAAC_DUPLICATE)
            NST_NDRA_INC(ifc, slaac_dad_failed);
        ifc->addrs[i].state = NST_SLAAC_DUPLICATE;
        if (ifc->addrs[i].stable && ifc->addrs[i].dad_counter < NST_IDGEN_RETRIES)
            retry_stable(ifc, &ifc->addrs[i]);
        return 1;
    }
    return 0;
}

void nst_slaac_run(struct nst_ndra_iface *ifc, nst_time_t now)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < ifc->n_addrs; i++) {
        struct nst_slaac_addr *a = &ifc->addrs[i];
        if (a->valid_until <= now) { /* 5.5.4: invalid, removed */
            NST_NDRA_INC(ifc, slaac_expired);
            ifc->env->addr_del(ifc->env->ctx, ifc->ifindex, &a->addr);
            continue;
        }
        if (a->state == NST_SLAAC_PREFERRED && a->preferred_until <= now) {
            a->state = NST_SLAAC_DEPRECATED; /* 5.5.4: kept for what uses it, not chosen for new */
            NST_NDRA_INC(ifc, slaac_deprecated);
            set_lifetimes(ifc, a);
        }
        ifc->addrs[kept++] = *a;
    }
    ifc->n_addrs = kept;
    nst_slaac_temp_run(ifc, now);
}

nst_time_t nst_slaac_next(const struct nst_ndra_iface *ifc)
{
    nst_time_t next = NST_TIME_NEVER;
    for (unsigned i = 0; i < ifc->n_addrs; i++) {
        const struct nst_slaac_addr *a = &ifc->addrs[i];
        if (a->valid_until < next)
            next = a->valid_until;
        if (a->state == NST_SLAAC_PREFERRED && a->preferred_until < next)
            next = a->preferred_until;
    }
    nst_time_t temp = nst_slaac_temp_next(ifc);
    return temp < next ? temp : next;
}

void nst_slaac_clear(struct nst_ndra_iface *ifc)
{
    nst_slaac_temp_clear(ifc);
    for (unsigned i = 0; i < ifc->n_addrs; i++)
        ifc->env->addr_del(ifc->env->ctx, ifc->ifindex, &ifc->addrs[i].addr);
    ifc->n_addrs = 0;
}
