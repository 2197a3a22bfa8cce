/* RFC 8981 temporary addresses (privacy extensions for SLAAC), as Linux's
 * use_tempaddr makes them: beside the public address SLAAC forms for each
 * autonomous /64, one with a random identifier that lives a day (two at
 * most), is replaced REGEN_ADVANCE before it is deprecated, and lingers
 * deprecated for the connections that use it until its valid lifetime
 * ends. A host that moves from network to network and from day to day is
 * then no longer one identifier seen everywhere (RFC 7721).
 *
 * The engine keeps the temporaries apart from the public addresses
 * (ifc->temps): each is tied to its prefix's public address, whose
 * lifetimes (as RFC 4862 5.5.3 e set them) bound its own. */
#include "ip6/ndra.h"

#include "core/util.h"
#include "wire/ipv6.h"

#include <errno.h>
#include <string.h>

static int same_prefix(const nst_ip6_t *a, const nst_ip6_t *b) { return nst_ip6_in_prefix(a, b, 64); }

/* The public address a temporary of addr's /64 hangs off, or NULL. */
static const struct nst_slaac_addr *public_of(const struct nst_ndra_iface *ifc, const nst_ip6_t *addr)
{
    for (unsigned i = 0; i < ifc->n_addrs; i++)
        if (ifc->addrs[i].state != NST_SLAAC_DUPLICATE && same_prefix(&ifc->addrs[i].addr, addr))
            return &ifc->addrs[i];
    return NULL;
}

static int addr_taken(const struct nst_ndra_iface *ifc, const nst_ip6_t *a)
{
    for (unsigned i = 0; i < ifc->n_addrs; i++)
        if (nst_ip6_eq(&ifc->addrs[i].addr, a))
            return 1;
    for (unsigned i = 0; i < ifc->n_temps; i++)
        if (nst_ip6_eq(&ifc->temps[i].addr, a))
            return 1;
    return 0;
}

/* RFC 8981 3.3.1: 64 random bits, drawn again while they are an identifier
 * RFC 5453 reserves or one this interface already has in the prefix. */
static void random_addr(struct nst_ndra_iface *ifc, const nst_ip6_t *prefix, nst_ip6_t *out)
{
    memcpy(out->b, prefix->b, 8);
    do
        nst_rng_fill(ifc->env->rng, out->b + 8, 8);
    while (nst_ip6_iid_reserved(out->b + 8) || addr_taken(ifc, out));
}

/* 3.4 step 3: the lesser of what the prefix gives (the public address's
 * lifetimes) and what the temporary's age leaves it. */
static void cap_lifetimes(const struct nst_ndra_iface *ifc, const struct nst_slaac_addr *pub,
                          struct nst_slaac_addr *t)
{
    t->valid_until = NST_MIN(pub->valid_until, t->created + ifc->temp.valid);
    t->preferred_until = NST_MIN(pub->preferred_until, t->created + ifc->temp.preferred - ifc->temp.desync);
    t->preferred_until = NST_MIN(t->preferred_until, t->valid_until);
}

/* 3.4: a new temporary of pub's prefix; tries: identifiers that failed DAD
 * before it. 0 or -1 (none made). */
static int create_temp(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_slaac_addr *pub, unsigned tries)
{
    struct nst_slaac_addr t = {.prefix_len = 64, .state = NST_SLAAC_PREFERRED, .dad_counter = (uint8_t)tries,
                               .created = now};
    cap_lifetimes(ifc, pub, &t);
    /* 3.4 step 4: "A temporary address is created only if this calculated
     * preferred lifetime is greater than REGEN_ADVANCE time units" (a
     * deprecated or dying prefix gets none). */
    if (t.preferred_until <= now || t.preferred_until - now <= ifc->temp.regen_advance)
        return -1;
    if (ifc->n_temps >= ifc->lim.max_temps) {
        NST_NDRA_INC(ifc, temp_no_slot);
        return -1;
    }
    random_addr(ifc, &pub->addr, &t.addr);
    int err = ifc->env->temp_addr_add(ifc->env->ctx, ifc->ifindex, &t.addr, t.preferred_until, t.valid_until);
    if (err) {
        if (err == -ENOSPC) /* the address table is full: the public addresses come first */
            NST_NDRA_INC(ifc, temp_no_slot);
        else
            NST_NDRA_INC(ifc, slaac_add_failed);
        return -1;
    }
    ifc->temps[ifc->n_temps++] = t;
    NST_NDRA_INC(ifc, temp_created);
    return 0;
}

static int temps_on(const struct nst_ndra_iface *ifc)
{
    return ifc->temp.mode && ifc->env->temp_addr_add && !ifc->temp.gave_up;
}

static void set_lifetimes(struct nst_ndra_iface *ifc, const struct nst_slaac_addr *t)
{
    ifc->env->addr_lifetimes(ifc->env->ctx, ifc->ifindex, &t->addr, t->preferred_until, t->valid_until,
                             t->state == NST_SLAAC_DEPRECATED);
}

void nst_slaac_temp_prefix(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_slaac_addr *pub)
{
    if (!ifc->temp.mode || pub->state == NST_SLAAC_DUPLICATE)
        return;
    /* 3.4 step 3: the advertised lifetimes, capped by each one's age (an
     * RA may shorten them, never stretch them past TEMP_*_LIFETIME). */
    int preferred = 0;
    for (unsigned i = 0; i < ifc->n_temps; i++) {
        struct nst_slaac_addr *t = &ifc->temps[i];
        if (!same_prefix(&t->addr, &pub->addr))
            continue;
        cap_lifetimes(ifc, pub, t);
        if (t->state == NST_SLAAC_DEPRECATED && !t->regenerated && t->preferred_until > now)
            t->state = NST_SLAAC_PREFERRED; /* deprecated early by an RA, preferred again */
        set_lifetimes(ifc, t);
        preferred |= t->state == NST_SLAAC_PREFERRED;
    }
    /* Steps 2 and 4: a new public address, or a prefix left without a
     * preferred temporary (a regeneration the prefix's lifetimes did not
     * allow then), gets one. */
    if (!preferred && temps_on(ifc))
        create_temp(ifc, now, pub, 0);
}

int nst_slaac_temp_duplicate(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *addr)
{
    unsigned i = 0;
    while (i < ifc->n_temps && !nst_ip6_eq(&ifc->temps[i].addr, addr))
        i++;
    if (i == ifc->n_temps)
        return 0;
    unsigned tries = ifc->temps[i].dad_counter + 1u;
    memmove(&ifc->temps[i], &ifc->temps[i + 1], (ifc->n_temps - i - 1) * sizeof *ifc->temps);
    ifc->n_temps--;
    NST_NDRA_INC(ifc, temp_dad_failed);
    ifc->env->addr_del(ifc->env->ctx, ifc->ifindex, addr);
    /* 3.4 step 5: a new identifier, TEMP_IDGEN_RETRIES times; after that
     * the interface makes no more ("SHOULD NOT attempt to generate
     * temporary addresses for that interface"). */
    if (tries > NST_TEMP_IDGEN_RETRIES) {
        ifc->temp.gave_up = 1;
        return 1;
    }
    const struct nst_slaac_addr *pub = public_of(ifc, addr);
    if (pub && temps_on(ifc))
        create_temp(ifc, now, pub, tries);
    return 1;
}

/* 3.6: the time a temporary's successor is made, REGEN_ADVANCE before it
 * is deprecated; NST_TIME_NEVER when it has one or is deprecated. */
static nst_time_t regen_time(const struct nst_ndra_iface *ifc, const struct nst_slaac_addr *t)
{
    if (t->state != NST_SLAAC_PREFERRED || t->regenerated || t->preferred_until == NST_TIME_NEVER)
        return NST_TIME_NEVER;
    return t->preferred_until > ifc->temp.regen_advance ? t->preferred_until - ifc->temp.regen_advance : 0;
}

void nst_slaac_temp_run(struct nst_ndra_iface *ifc, nst_time_t now)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < ifc->n_temps; i++) {
        struct nst_slaac_addr *t = &ifc->temps[i];
        if (t->valid_until <= now) { /* 3.5: gone, with what still used it */
            ifc->env->addr_del(ifc->env->ctx, ifc->ifindex, &t->addr);
            continue;
        }
        if (t->state == NST_SLAAC_PREFERRED && t->preferred_until <= now) {
            t->state = NST_SLAAC_DEPRECATED; /* 3.5: kept for its connections, chosen by no new one */
            set_lifetimes(ifc, t);
        }
        ifc->temps[kept++] = *t;
    }
    ifc->n_temps = kept;
    /* New ones are appended past n: each of the first n is looked at once. */
    for (unsigned i = 0, n = ifc->n_temps; i < n; i++) {
        if (regen_time(ifc, &ifc->temps[i]) > now)
            continue;
        ifc->temps[i].regenerated = 1;
        const struct nst_slaac_addr *pub = public_of(ifc, &ifc->temps[i].addr);
        if (pub && temps_on(ifc) && create_temp(ifc, now, pub, 0) == 0)
            NST_NDRA_INC(ifc, temp_regenerated);
    }
}

nst_time_t nst_slaac_temp_next(const struct nst_ndra_iface *ifc)
{
    nst_time_t next = NST_TIME_NEVER;
    for (unsigned i = 0; i < ifc->n_temps; i++) {
        const struct nst_slaac_addr *t = &ifc->temps[i];
        nst_time_t regen = regen_time(ifc, t);
        next = NST_MIN(next, NST_MIN(t->valid_until, regen));
        if (t->state == NST_SLAAC_PREFERRED)
            next = NST_MIN(next, t->preferred_until);
    }
    return next;
}

void nst_slaac_temp_clear(struct nst_ndra_iface *ifc)
{
    for (unsigned i = 0; i < ifc->n_temps; i++)
        ifc->env->addr_del(ifc->env->ctx, ifc->ifindex, &ifc->temps[i].addr);
    ifc->n_temps = 0;
}
