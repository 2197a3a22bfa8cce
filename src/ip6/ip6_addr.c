/* IPv6 addresses per interface (RFC 4291, RFC 4862): each address's life
 * from TENTATIVE through duplicate address detection to PREFERRED, then
 * DEPRECATED and gone as its lifetimes end; the multicast groups an
 * interface listens to; source address selection (RFC 6724). */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "ip6/nd_router.h"
#include "ip6/ndra.h"
#include "wire/eth.h"

static int iface_ok(const struct nst_stack *st, int ifindex)
{
    return st->ip6 && ifindex >= 0 && ifindex < st->ip.n_ifaces && st->ip6->ifs[ifindex].up;
}

/* ---- multicast groups ------------------------------------------------------ */

int nst_ip6_in_group(const struct nst_stack *st, int ifindex, const nst_ip6_t *group)
{
    const struct nst_ip6_iface *ifc = &st->ip6->ifs[ifindex];
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++)
        if (ifc->groups[i].refs && nst_ip6_eq(&ifc->groups[i].addr, group))
            return 1;
    return 0;
}

struct nst_ip6_group *nst_ip6_group_find(struct nst_stack *st, int ifindex, const nst_ip6_t *group)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++)
        if (ifc->groups[i].refs && nst_ip6_eq(&ifc->groups[i].addr, group))
            return &ifc->groups[i];
    return NULL;
}

/* Groups are counted: two addresses may share a solicited-node group
 * (the same low 24 bits), which stays joined while either is there. A
 * slot whose leave MLD is still reporting is taken back by the same group,
 * or by another when no slot is free (that leave is then not repeated). */
int nst_ip6_group_ref(struct nst_stack *st, int ifindex, const nst_ip6_t *group)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    struct nst_ip6_group *free_slot = NULL, *leaving = NULL;
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
        struct nst_ip6_group *g = &ifc->groups[i];
        if ((g->refs || g->mld_change_left) && nst_ip6_eq(&g->addr, group)) {
            g->refs++;
            return 0;
        }
        if (!g->refs && !g->mld_change_left && !free_slot)
            free_slot = g;
        if (!g->refs && g->mld_change_left && !leaving)
            leaving = g;
    }
    struct nst_ip6_group *g = free_slot ? free_slot : leaving;
    if (!g)
        return -ENOSPC;
    memset(g, 0, sizeof(*g));
    g->addr = *group;
    g->refs = 1;
    g->mld_query_due = NST_TIME_NEVER;
    return 0;
}

/* Joined by the stack: listened to and reported at once (RFC 3810 6.1). */
int nst_ip6_group_join(struct nst_stack *st, int ifindex, const nst_ip6_t *group)
{
    int err = nst_ip6_group_ref(st, ifindex, group);
    if (!err)
        nst_mld_listen(st, ifindex, nst_ip6_group_find(st, ifindex, group));
    return err;
}

void nst_ip6_group_leave(struct nst_stack *st, int ifindex, const nst_ip6_t *group)
{
    struct nst_ip6_group *g = nst_ip6_group_find(st, ifindex, group);
    if (g && --g->refs == 0)
        nst_mld_left(st, ifindex, g);
}

int nst_ip6_mcast_mac_accepted(const struct nst_stack *st, int ifindex, const struct nst_mac *mac)
{
    const struct nst_ip6_iface *ifc = &st->ip6->ifs[ifindex];
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
        if (!ifc->groups[i].refs)
            continue;
        struct nst_mac m;
        nst_ip6_mcast_mac(&ifc->groups[i].addr, &m);
        if (nst_mac_eq(&m, mac))
            return 1;
    }
    return 0;
}

/* ---- finding addresses ------------------------------------------------------ */

struct nst_ip6_addr *nst_ip6_addr_find(struct nst_stack *st, int ifindex, const nst_ip6_t *a)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    for (int i = 0; i < NST_IP6_MAX_ADDRS; i++)
        if (ifc->addrs[i].in_use && nst_ip6_eq(&ifc->addrs[i].addr, a))
            return &ifc->addrs[i];
    return NULL;
}

struct nst_ip6_addr *nst_ip6_addr_find_any(struct nst_stack *st, const nst_ip6_t *a)
{
    for (int i = 0; i < st->ip.n_ifaces; i++) {
        struct nst_ip6_addr *x = st->ip6->ifs[i].up ? nst_ip6_addr_find(st, i, a) : NULL;
        if (x)
            return x;
    }
    return NULL;
}

static int addr_usable(const struct nst_ip6_addr *a)
{
    return a->in_use && (a->state == NST_ADDR6_PREFERRED || a->state == NST_ADDR6_DEPRECATED);
}

const struct nst_ip6_addr *nst_ip6_link_local(struct nst_stack *st, int ifindex)
{
    const struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    for (int i = 0; i < NST_IP6_MAX_ADDRS; i++)
        if (addr_usable(&ifc->addrs[i]) && nst_ip6_is_link_local(&ifc->addrs[i].addr))
            return &ifc->addrs[i];
    return NULL;
}

int nst_ip6_is_local(const struct nst_stack *st, const nst_ip6_t *a)
{
    if (!st->ip6)
        return 0;
    for (int i = 0; i < st->ip.n_ifaces; i++)
        for (int j = 0; j < NST_IP6_MAX_ADDRS; j++) {
            const struct nst_ip6_addr *x = &st->ip6->ifs[i].addrs[j];
            if (addr_usable(x) && nst_ip6_eq(&x->addr, a))
                return 1;
        }
    return 0;
}

/* ---- the life of an address -------------------------------------------------- */

static nst_time_t lifetime_end(const struct nst_stack *st, uint32_t seconds)
{
    return seconds == NST_IP6_INFINITE ? NST_TIME_NEVER : st->now + NST_SEC(seconds);
}

static void prefix_of(const nst_ip6_t *a, unsigned len, nst_ip6_t *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < 16 && len; i++) {
        unsigned bits = len >= 8 ? 8 : len;
        out->b[i] = (uint8_t)(a->b[i] & (0xff00 >> bits));
        len -= bits;
    }
}

/* Does the address put its prefix on-link? A static or link-local one
 * does (RFC 4861 5.1's prefix list for manually configured ones, as
 * Linux's `ip addr add`); a SLAAC one does not (RFC 5942 4: only a Prefix
 * Information option's L flag does, and router discovery installs that
 * route). A /128 has no prefix to reach. */
static int owns_prefix_route(const struct nst_ip6_addr *a)
{
    return a->origin != NST_ADDR6_SLAAC && a->origin != NST_ADDR6_TEMPORARY && a->prefix_len < 128;
}

/* The connected route of an address's prefix, for addresses that own one. */
static void connected_route(struct nst_stack *st, const struct nst_ip6_addr *a, int add)
{
    if (!owns_prefix_route(a))
        return;
    nst_ip6_t pfx;
    prefix_of(&a->addr, a->prefix_len, &pfx);
    if (add) {
        nst_ip6_route_add(st, &pfx, a->prefix_len, NULL, a->ifindex, 256, NST_ROUTE6_CONNECTED);
        return;
    }
    /* Kept while another usable address of this interface is in the prefix. */
    const struct nst_ip6_iface *ifc = nst_ip6_if(st, a->ifindex);
    for (int i = 0; i < NST_IP6_MAX_ADDRS; i++) {
        const struct nst_ip6_addr *o = &ifc->addrs[i];
        if (o != a && addr_usable(o) && owns_prefix_route(o) && o->prefix_len == a->prefix_len &&
            nst_ip6_in_prefix(&o->addr, &pfx, a->prefix_len))
            return;
    }
    nst_ip6_route_del_match(st, &pfx, a->prefix_len, NULL, a->ifindex, NST_ROUTE6_CONNECTED);
}

/* The next lifetime event of a usable address. */
static void arm_lifetime(struct nst_stack *st, struct nst_ip6_addr *a)
{
    nst_time_t next = a->valid_until;
    if (a->state == NST_ADDR6_PREFERRED && a->preferred_until < next)
        next = a->preferred_until;
    if (next == NST_TIME_NEVER)
        nst_timer_cancel(st, &a->timer);
    else
        nst_timer_arm(st, &a->timer, next);
}

static void addr_remove(struct nst_stack *st, struct nst_ip6_addr *a)
{
    nst_timer_cancel(st, &a->timer);
    if (addr_usable(a))
        connected_route(st, a, 0);
    if (a->state != NST_ADDR6_DUPLICATE) {
        nst_ip6_t sn;
        nst_ip6_solicited_node(&a->addr, &sn);
        nst_ip6_group_leave(st, a->ifindex, &sn);
    }
    memset(a, 0, sizeof(*a));
    nst_dst_invalidate_all(&st->ip);
}

/* DAD passed (or was not asked for): the address is ours to use. */
static void addr_usable_now(struct nst_stack *st, struct nst_ip6_addr *a)
{
    a->state = a->preferred_until <= st->now ? NST_ADDR6_DEPRECATED : NST_ADDR6_PREFERRED;
    connected_route(st, a, 1);
    nst_dst_invalidate_all(&st->ip);
    arm_lifetime(st, a);
    /* RFC 4862 5.4: once the link-local address is unique, the interface
     * can talk to routers (RFC 4861 6.3.7). */
    if (a->origin == NST_ADDR6_LINK_LOCAL)
        nst_nd_router_start(st, a->ifindex);
}

/* RFC 4862 5.4.2: the solicited-node group is joined (its MLD report
 * sent) before the first solicitation, after the same random delay, so
 * that a switch snooping MLD forwards the answers to it; the delay keeps
 * the reports of hosts started together from colliding. */
static void announce_solicited_node(struct nst_stack *st, const struct nst_ip6_addr *a)
{
    nst_ip6_t sn;
    nst_ip6_solicited_node(&a->addr, &sn);
    nst_mld_listen(st, a->ifindex, nst_ip6_group_find(st, a->ifindex, &sn));
}

/* RFC 4862 5.4.2: DupAddrDetectTransmits solicitations RetransTimer
 * apart; no answer by RetransTimer after the last one: unique. */
static void dad_step(struct nst_stack *st, struct nst_ip6_addr *a)
{
    if (a->dad_sent >= st->cfg.ip6_dad_transmits) {
        NST_STAT_INC(st, nd, dad_ok);
        addr_usable_now(st, a);
        return;
    }
    if (a->dad_sent == 0)
        announce_solicited_node(st, a);
    a->dad_sent++;
    nst_rng_fill(&st->rng, a->nonce, sizeof(a->nonce));
    NST_STAT_INC(st, nd, tx_dad_ns);
    nst_nd_send_ns(st, a->ifindex, &a->addr, NULL, NULL, NULL, a->nonce);
    nst_timer_arm(st, &a->timer, st->now + nst_ip6_if(st, a->ifindex)->retrans);
}

static void addr_timer_fired(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_ip6_addr *a = NST_CONTAINER_OF(t, struct nst_ip6_addr, timer);
    if (a->state == NST_ADDR6_TENTATIVE) {
        dad_step(st, a);
        return;
    }
    /* RFC 4862 5.5.4: preferred lifetime over: deprecated; valid lifetime
     * over: gone (connections using it lose it). */
    if (a->valid_until <= st->now) {
        addr_remove(st, a);
        return;
    }
    if (a->state == NST_ADDR6_PREFERRED && a->preferred_until <= st->now) {
        a->state = NST_ADDR6_DEPRECATED;
        nst_dst_invalidate_all(&st->ip);
    }
    arm_lifetime(st, a);
}

void nst_ip6_addr_dad_failed(struct nst_stack *st, struct nst_ip6_addr *a)
{
    /* RFC 4862 5.4.5: the address is not used; it stays listed as
     * duplicate so an operator sees why. */
    NST_STAT_INC(st, nd, dad_duplicate);
    nst_timer_cancel(st, &a->timer);
    nst_ip6_t sn;
    nst_ip6_solicited_node(&a->addr, &sn);
    nst_ip6_group_leave(st, a->ifindex, &sn);
    a->state = NST_ADDR6_DUPLICATE;
    if (a->origin == NST_ADDR6_LINK_LOCAL && st->cfg.ip6_stable_iids && a->dad_counter < NST_IDGEN_RETRIES) {
        /* RFC 7217 6: the identifier of the next DAD_Counter instead. */
        int ifindex = a->ifindex;
        unsigned next = a->dad_counter + 1u;
        addr_remove(st, a);
        nst_ip6_link_local_add(st, ifindex, next);
        return;
    }
    if (a->origin == NST_ADDR6_SLAAC || a->origin == NST_ADDR6_TEMPORARY) {
        nst_ip6_t addr = a->addr;
        nst_slaac_dad_failed(st, a->ifindex, &addr);
    }
}

int nst_ip6_addr_add(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, uint8_t prefix_len, int origin,
                     uint32_t valid, uint32_t preferred)
{
    if (!st->ip6)
        return -EAFNOSUPPORT;
    if (!iface_ok(st, ifindex))
        return -ENODEV;
    /* RFC 4291 2.5.2, 2.5.3, 2.7: none of these names one interface. */
    if (prefix_len > 128 || nst_ip6_is_unspecified(addr) || nst_ip6_is_multicast(addr) ||
        nst_ip6_is_loopback(addr) || nst_ip6_is_v4mapped(addr) || preferred > valid || valid == 0)
        return -EINVAL;
    if (nst_ip6_addr_find(st, ifindex, addr))
        return -EEXIST;
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    struct nst_ip6_addr *a = NULL;
    for (int i = 0; i < NST_IP6_MAX_ADDRS && !a; i++)
        if (!ifc->addrs[i].in_use)
            a = &ifc->addrs[i];
    if (!a)
        return -ENOSPC;
    nst_ip6_t sn;
    nst_ip6_solicited_node(addr, &sn);
    if (nst_ip6_group_ref(st, ifindex, &sn) < 0)
        return -ENOSPC;
    memset(a, 0, sizeof(*a));
    a->in_use = 1;
    a->addr = *addr;
    a->prefix_len = prefix_len;
    a->origin = (uint8_t)origin;
    a->ifindex = ifindex;
    a->state = NST_ADDR6_TENTATIVE;
    a->valid_until = lifetime_end(st, valid);
    a->preferred_until = lifetime_end(st, preferred);
    nst_timer_init(&a->timer, addr_timer_fired);
    if (st->cfg.ip6_dad_transmits == 0) {
        announce_solicited_node(st, a);
        addr_usable_now(st, a); /* RFC 4862 5.4: DupAddrDetectTransmits 0 turns DAD off */
        return 0;
    }
    NST_STAT_INC(st, nd, dad_started);
    /* RFC 4862 5.4.2: the first solicitation after a random delay, so that
     * hosts started together (a power failure) do not collide. */
    nst_time_t delay = st->cfg.ip6_dad_delay > 0 ? (nst_time_t)nst_rng_below(&st->rng, (uint64_t)st->cfg.ip6_dad_delay) : 0;
    nst_timer_arm(st, &a->timer, st->now + delay);
    return 0;
}

int nst_ip6_addr_set_lifetimes(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, uint32_t valid,
                               uint32_t preferred)
{
    if (!iface_ok(st, ifindex))
        return -ENODEV;
    struct nst_ip6_addr *a = nst_ip6_addr_find(st, ifindex, addr);
    if (!a)
        return -ENOENT;
    a->valid_until = lifetime_end(st, valid);
    a->preferred_until = lifetime_end(st, preferred);
    if (a->state == NST_ADDR6_DEPRECATED && a->preferred_until > st->now) {
        a->state = NST_ADDR6_PREFERRED; /* 5.5.3 e: a fresh preferred lifetime */
        nst_dst_invalidate_all(&st->ip);
    }
    if (addr_usable(a))
        addr_timer_fired(st, &a->timer); /* applies a lifetime already over, re-arms */
    return 0;
}

void nst_ip6_addrs_fini(struct nst_stack *st)
{
    for (int i = 0; i < NST_MAX_IFACES; i++)
        for (int j = 0; j < NST_IP6_MAX_ADDRS; j++)
            nst_timer_cancel(st, &st->ip6->ifs[i].addrs[j].timer);
}

/* ---- public API ------------------------------------------------------------- */

int nst_iface_addr6_add(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, uint8_t prefix_len)
{
    return nst_ip6_addr_add(st, ifindex, addr, prefix_len, NST_ADDR6_STATIC, NST_IP6_INFINITE, NST_IP6_INFINITE);
}

int nst_iface_addr6_del(struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    if (!st->ip6)
        return -EAFNOSUPPORT;
    if (!iface_ok(st, ifindex))
        return -ENODEV;
    struct nst_ip6_addr *a = nst_ip6_addr_find(st, ifindex, addr);
    if (!a)
        return -EADDRNOTAVAIL;
    addr_remove(st, a);
    return 0;
}

static nst_time_t time_left(const struct nst_stack *st, nst_time_t until)
{
    return until == NST_TIME_NEVER ? NST_TIME_NEVER : until > st->now ? until - st->now : 0;
}

int nst_iface_addr6_list(const struct nst_stack *st, int ifindex, struct nst_addr6_info *out, int max)
{
    if (!iface_ok(st, ifindex))
        return st->ip6 ? -ENODEV : -EAFNOSUPPORT;
    const struct nst_ip6_iface *ifc = &st->ip6->ifs[ifindex];
    int n = 0;
    for (int i = 0; i < NST_IP6_MAX_ADDRS; i++) {
        const struct nst_ip6_addr *a = &ifc->addrs[i];
        if (!a->in_use)
            continue;
        if (n < max)
            out[n] = (struct nst_addr6_info){.addr = a->addr, .prefix_len = a->prefix_len, .state = a->state,
                                             .origin = a->origin,
                                             .preferred_left = time_left(st, a->preferred_until),
                                             .valid_left = time_left(st, a->valid_until)};
        n++;
    }
    return n;
}

/* ---- source address selection (RFC 6724 5) -------------------------------- */

static int scope_of(const nst_ip6_t *a)
{
    if (nst_ip6_is_multicast(a))
        return nst_ip6_mcast_scope(a);
    if (nst_ip6_is_loopback(a))
        return 1;
    return nst_ip6_is_link_local(a) ? 2 : 14;
}

static unsigned common_prefix(const nst_ip6_t *a, const nst_ip6_t *b, unsigned cap)
{
    unsigned n = 0;
    for (int i = 0; i < 16 && n < cap; i++) {
        uint8_t x = a->b[i] ^ b->b[i];
        if (x) {
            while (!(x & 0x80)) {
                x = (uint8_t)(x << 1);
                n++;
            }
            break;
        }
        n += 8;
    }
    return n < cap ? n : cap;
}

/* Is source a better than b for dst? Rules 1 (the destination itself),
 * 2 (appropriate scope), 3 (avoid deprecated), 7 (temporary addresses)
 * and 8 (longest matching prefix); the others concern home and labelled
 * addresses nstack does not have. */
static int better_src(const struct nst_stack *st, const struct nst_ip6_addr *a, const struct nst_ip6_addr *b,
                      const nst_ip6_t *dst)
{
    if (nst_ip6_eq(&a->addr, dst) != nst_ip6_eq(&b->addr, dst))
        return nst_ip6_eq(&a->addr, dst);
    int sa = scope_of(&a->addr), sb = scope_of(&b->addr), sd = scope_of(dst);
    if (sa < sb)
        return sa >= sd;
    if (sb < sa)
        return sb < sd;
    if ((a->state == NST_ADDR6_DEPRECATED) != (b->state == NST_ADDR6_DEPRECATED))
        return b->state == NST_ADDR6_DEPRECATED;
    /* Rule 7: "prefer temporary addresses", and "implementations MUST
     * provide a mechanism" to prefer public ones: ip6_temp_addrs 2 and 1,
     * as Linux's use_tempaddr. */
    int ta = a->origin == NST_ADDR6_TEMPORARY, tb = b->origin == NST_ADDR6_TEMPORARY;
    if (ta != tb)
        return st->cfg.ip6_temp_addrs == 2 ? ta : tb;
    return common_prefix(&a->addr, dst, a->prefix_len) > common_prefix(&b->addr, dst, b->prefix_len);
}

const struct nst_ip6_addr *nst_ip6_select_src(struct nst_stack *st, int ifindex, const nst_ip6_t *dst)
{
    const struct nst_ip6_addr *best = NULL;
    for (int i = 0; i < st->ip.n_ifaces; i++) {
        if ((ifindex >= 0 && i != ifindex) || !st->ip6->ifs[i].up)
            continue;
        for (int j = 0; j < NST_IP6_MAX_ADDRS; j++) {
            const struct nst_ip6_addr *a = &st->ip6->ifs[i].addrs[j];
            /* RFC 4862 5.4: never a tentative (or duplicate) address. */
            if (addr_usable(a) && (!best || better_src(st, a, best, dst)))
                best = a;
        }
    }
    return best;
}
