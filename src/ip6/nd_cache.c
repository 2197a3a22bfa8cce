/* The neighbour cache and neighbour unreachability detection (RFC 4861
 * 7.2, 7.3), built like IPv4's ARP cache (src/ip/arp_cache.c):
 *   INCOMPLETE  multicast solicitations RetransTimer apart, packets queued;
 *               MAX_MULTICAST_SOLICIT (3) unanswered: the entry goes and its
 *               packets get Address Unreachable (7.2.2).
 *   REACHABLE   confirmed (a solicited advertisement, or forward progress
 *               an upper layer reports) within ReachableTime.
 *   STALE       unconfirmed: used as it is; the first packet sent through
 *               it starts DELAY. Forgotten when unused for a while.
 *   DELAY       DELAY_FIRST_PROBE_TIME (5 s) for an upper layer to confirm,
 *   PROBE       then MAX_UNICAST_SOLICIT (3) unicast solicitations to the
 *               address we have; unanswered: the entry goes.
 *   PERMANENT   set by hand (nst_neigh6_add_static, like `ip -6 neigh add
 *               ... nud permanent`, or a point-to-point WAN link that needs
 *               no resolution, as ARP's static entries): never expires, is
 *               never evicted, and no Neighbor Discovery message moves its
 *               link-layer address (only its IsRouter flag is learned).
 * Unresolved entries are bounded apart from resolved ones, so a flood of
 * solicitations toward addresses nobody answers for recycles only
 * unresolved entries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "ip6/nd_router.h"
#include "wire/eth.h"

#define MAX_MULTICAST_SOLICIT 3          /* RFC 4861 10 */
#define MAX_UNICAST_SOLICIT 3
#define DELAY_FIRST_PROBE_TIME NST_SEC(5)
/* A STALE entry nobody used this long is forgotten (Linux's gc_stale_time). */
#define STALE_GC_TIME NST_SEC(60)

struct nst_nd_entry {
    struct nst_nd_entry *next;   /* newest first */
    nst_ip6_t addr;
    int ifindex;
    int state;                   /* enum nst_neigh6_state */
    struct nst_mac mac;
    uint8_t is_router;
    unsigned probes;             /* solicitations sent in this state */
    nst_time_t expires;
    struct nst_timer timer;
    struct nst_pktq pending;     /* INCOMPLETE: packets waiting */
};

static struct nst_nd_entry *nd_find(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    for (struct nst_nd_entry *e = st->ip6->nd; e; e = e->next)
        if (e->ifindex == ifindex && nst_ip6_eq(&e->addr, addr))
            return e;
    return NULL;
}

static unsigned *count_of(struct nst_stack *st, const struct nst_nd_entry *e)
{
    return e->state == NST_NEIGH6_INCOMPLETE ? &st->ip6->nd_incomplete : &st->ip6->nd_resolved;
}

static void set_state(struct nst_stack *st, struct nst_nd_entry *e, int state)
{
    (*count_of(st, e))--;
    e->state = state;
    (*count_of(st, e))++;
    nst_dst_invalidate_all(&st->ip); /* connections go through nst_nd_output again */
}

static void unlink_free(struct nst_stack *st, struct nst_nd_entry *gone)
{
    nst_dst_invalidate_all(&st->ip);
    struct nst_nd_entry **pp = &st->ip6->nd;
    while (*pp && *pp != gone)
        pp = &(*pp)->next;
    if (*pp)
        *pp = gone->next;
    nst_timer_cancel(st, &gone->timer);
    nst_pktq_clear(st, &gone->pending);
    (*count_of(st, gone))--;
    free(gone);
}

static void arm(struct nst_stack *st, struct nst_nd_entry *e, nst_time_t when)
{
    e->expires = when;
    nst_timer_arm(st, &e->timer, when);
}

/* RFC 4861 7.2.2: the solicitation's source is the source of the packet
 * that prompted it when that is ours on this interface, else our best. */
static void solicit(struct nst_stack *st, struct nst_nd_entry *e)
{
    const nst_ip6_t *src = NULL;
    struct nst_ipv6_repr h;
    if (e->pending.head && nst_ipv6_parse(nst_pkt_data(e->pending.head), e->pending.head->len, &h) > 0) {
        const struct nst_ip6_addr *a = nst_ip6_addr_find(st, e->ifindex, &h.src);
        if (a && (a->state == NST_ADDR6_PREFERRED || a->state == NST_ADDR6_DEPRECATED))
            src = &a->addr;
    }
    if (!src) {
        const struct nst_ip6_addr *a = nst_ip6_select_src(st, e->ifindex, &e->addr);
        if (!a)
            return; /* no usable address yet: the retry timer tries again */
        src = &a->addr;
    }
    nst_ip6_t s = *src;
    e->probes++;
    if (e->state == NST_NEIGH6_PROBE) {
        NST_STAT_INC(st, nd, tx_probes);
        nst_nd_send_ns(st, e->ifindex, &e->addr, &s, &e->addr, &e->mac, NULL);
    } else {
        nst_nd_send_ns(st, e->ifindex, &e->addr, &s, NULL, NULL, NULL);
    }
}

/* Packets that waited in vain for a neighbour on ifindex: Address
 * Unreachable to their sender (RFC 4861 7.2.2), ours simply dropped,
 * counted. The queue is the entry's, taken out before the entry was
 * freed: sending an error may need an entry of its own, and making room
 * for it must not find this one. */
static void fail_queue(struct nst_stack *st, struct nst_pktq *q, int ifindex, int tell)
{
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(q))) {
        NST_STAT_INC(st, ip6, drop_nd_failed);
        struct nst_ipv6_repr h;
        if (tell && nst_ipv6_parse(nst_pkt_data(p), p->len, &h) > 0 && !nst_ip6_is_local(st, &h.src)) {
            st->ip6->rx_link_mcast = 0;
            nst_icmp6_send_error(st, NST_ICMP6_DEST_UNREACH, NST_ICMP6_ADDR_UNREACH, 0, nst_pkt_data(p), p->len,
                                 ifindex);
        }
        nst_pkt_free(st, p);
    }
}

/* An unresolved entry gives up: gone, its packets failed. tell: with
 * Address Unreachable (resolution failed), or silently (the entry was
 * recycled to make room: errors then would only feed the flood). */
static void fail_entry(struct nst_stack *st, struct nst_nd_entry *e, int tell)
{
    struct nst_pktq q = e->pending;
    int ifindex = e->ifindex;
    memset(&e->pending, 0, sizeof(e->pending));
    unlink_free(st, e);
    fail_queue(st, &q, ifindex, tell);
}

static void go_stale(struct nst_stack *st, struct nst_nd_entry *e)
{
    set_state(st, e, NST_NEIGH6_STALE);
    e->probes = 0;
    arm(st, e, st->now + STALE_GC_TIME);
}

static void timer_fired(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_nd_entry *e = NST_CONTAINER_OF(t, struct nst_nd_entry, timer);
    nst_time_t retrans = nst_ip6_if(st, e->ifindex)->retrans;
    switch (e->state) {
    case NST_NEIGH6_PERMANENT:
        return;
    case NST_NEIGH6_REACHABLE: /* 7.3.3: ReachableTime without confirmation */
        if (e->expires > st->now) {
            /* Confirmed since the timer was set (nst_nd_confirm moves
             * only e->expires): wait until then. */
            nst_timer_arm(st, &e->timer, e->expires);
            return;
        }
        go_stale(st, e);
        return;
    case NST_NEIGH6_STALE:
        NST_STAT_INC(st, nd, cache_expired);
        unlink_free(st, e);
        return;
    case NST_NEIGH6_DELAY: /* no upper-layer confirmation came: probe */
        set_state(st, e, NST_NEIGH6_PROBE);
        e->probes = 0;
        solicit(st, e);
        arm(st, e, st->now + retrans);
        return;
    case NST_NEIGH6_INCOMPLETE:
    case NST_NEIGH6_PROBE: {
        int incomplete = e->state == NST_NEIGH6_INCOMPLETE;
        if (e->probes < (incomplete ? MAX_MULTICAST_SOLICIT : MAX_UNICAST_SOLICIT)) {
            solicit(st, e);
            arm(st, e, st->now + retrans);
        } else {
            /* 7.3.3: unreachable. A default router that was it gives way
             * to another (6.3.6). */
            nst_ip6_t addr = e->addr;
            int ifindex = e->ifindex;
            if (incomplete) {
                NST_STAT_INC(st, nd, resolve_failed);
                fail_entry(st, e, 1);
            } else {
                NST_STAT_INC(st, nd, probe_failed);
                unlink_free(st, e);
            }
            nst_nd_router_unreachable(st, ifindex, &addr);
        }
        return;
    }
    }
}

/* Room for one more unresolved entry: the oldest unresolved one goes, its
 * packets dropped. */
static void make_room_incomplete(struct nst_stack *st)
{
    if (st->ip6->nd_incomplete < st->cfg.ip6_nd_incomplete_max)
        return;
    struct nst_nd_entry *oldest = NULL;
    for (struct nst_nd_entry *e = st->ip6->nd; e; e = e->next)
        if (e->state == NST_NEIGH6_INCOMPLETE)
            oldest = e; /* newest first: the last one seen is the oldest */
    if (!oldest)
        return;
    NST_STAT_INC(st, nd, incomplete_evicted);
    fail_entry(st, oldest, 0);
}

/* Room for one more resolved entry: a STALE one first, else the one
 * closest to its end; -ENOBUFS when every resolved entry is permanent. */
static int make_room_resolved(struct nst_stack *st)
{
    if (st->ip6->nd_resolved < st->cfg.ip6_nd_table_max)
        return 0;
    struct nst_nd_entry *victim = NULL;
    for (struct nst_nd_entry *e = st->ip6->nd; e; e = e->next) {
        if (e->state == NST_NEIGH6_INCOMPLETE || e->state == NST_NEIGH6_PERMANENT)
            continue;
        int stale = e->state == NST_NEIGH6_STALE, vstale = victim && victim->state == NST_NEIGH6_STALE;
        if (!victim || stale > vstale || (stale == vstale && e->expires < victim->expires))
            victim = e;
    }
    NST_STAT_INC(st, nd, table_full);
    if (!victim)
        return -ENOBUFS;
    unlink_free(st, victim);
    return 0;
}

static struct nst_nd_entry *new_entry(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, int state)
{
    if (state == NST_NEIGH6_INCOMPLETE) {
        make_room_incomplete(st);
        if (st->ip6->nd_incomplete >= st->cfg.ip6_nd_incomplete_max)
            return NULL;
    } else if (make_room_resolved(st) < 0) {
        return NULL;
    }
    struct nst_nd_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->addr = *addr;
    e->ifindex = ifindex;
    e->state = state;
    nst_timer_init(&e->timer, timer_fired);
    e->next = st->ip6->nd;
    st->ip6->nd = e;
    (*count_of(st, e))++;
    NST_STAT_INC(st, nd, cache_added);
    return e;
}

static void flush_pending(struct nst_stack *st, struct nst_nd_entry *e)
{
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&e->pending)))
        nst_eth_output(st, e->ifindex, &e->mac, NST_ETHERTYPE_IPV6, p);
}

/* An INCOMPLETE entry learns its link-layer address; it needs room among
 * the resolved ones first, and fails like an unanswered one without. */
static void resolve(struct nst_stack *st, struct nst_nd_entry *e, const struct nst_mac *mac, int state)
{
    if (make_room_resolved(st) < 0) {
        NST_STAT_INC(st, nd, resolve_failed);
        fail_entry(st, e, 1);
        return;
    }
    e->mac = *mac;
    set_state(st, e, state);
    e->probes = 0;
    if (state == NST_NEIGH6_REACHABLE)
        arm(st, e, st->now + nst_ip6_reachable_time(st, e->ifindex));
    else
        arm(st, e, st->now + STALE_GC_TIME);
    flush_pending(st, e);
}

static void set_reachable(struct nst_stack *st, struct nst_nd_entry *e)
{
    if (e->state == NST_NEIGH6_PROBE)
        NST_STAT_INC(st, nd, probe_confirmed);
    if (e->state != NST_NEIGH6_REACHABLE)
        set_state(st, e, NST_NEIGH6_REACHABLE);
    e->probes = 0;
    arm(st, e, st->now + nst_ip6_reachable_time(st, e->ifindex));
}

int nst_nd_lookup(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr, struct nst_mac *mac)
{
    const struct nst_nd_entry *e = nd_find(st, ifindex, addr);
    /* Only REACHABLE (and PERMANENT) is handed to a connection's cache:
     * any other state must see its packets (STALE turns DELAY, DELAY and
     * PROBE wait for a confirmation). */
    if (!e || (e->state != NST_NEIGH6_REACHABLE && e->state != NST_NEIGH6_PERMANENT))
        return -ENOENT;
    *mac = e->mac;
    return 0;
}

int nst_nd_output(struct nst_stack *st, int ifindex, const nst_ip6_t *next_hop, struct nst_pkt *p)
{
    struct nst_nd_entry *e = nd_find(st, ifindex, next_hop);
    if (e && e->state != NST_NEIGH6_INCOMPLETE) {
        if (e->state == NST_NEIGH6_STALE) { /* 7.3.3: in use again: give an upper layer time to confirm */
            set_state(st, e, NST_NEIGH6_DELAY);
            arm(st, e, st->now + DELAY_FIRST_PROBE_TIME);
        }
        return nst_eth_output(st, ifindex, &e->mac, NST_ETHERTYPE_IPV6, p);
    }
    int fresh = 0;
    if (!e) {
        e = new_entry(st, ifindex, next_hop, NST_NEIGH6_INCOMPLETE);
        if (!e) {
            NST_STAT_INC(st, ip6, drop_nd_failed);
            nst_pkt_free(st, p);
            return -ENOBUFS;
        }
        fresh = 1;
    }
    /* 7.2.2: a small queue per neighbour; the newest beyond it is dropped. */
    if (e->pending.count >= st->cfg.ip6_nd_queue_max) {
        NST_STAT_INC(st, nd, queue_drops);
        nst_pkt_free(st, p);
        return -ENOBUFS;
    }
    if (nst_pkt_linearize(st, &p) < 0)
        return -ENOMEM;
    nst_pktq_push(&e->pending, p);
    if (fresh) {
        solicit(st, e);
        arm(st, e, st->now + nst_ip6_if(st, ifindex)->retrans);
    }
    return 0;
}

/* 7.2.5: the IsRouter flag of an advertisement (-1: none said). */
static void learn_router_flag(struct nst_stack *st, struct nst_nd_entry *e, int is_router)
{
    if (is_router < 0)
        return;
    if (e->is_router && !is_router)
        NST_STAT_INC(st, nd, router_lost); /* no longer a router */
    e->is_router = (uint8_t)is_router;
}

/* RFC 4861 7.2.3 (NS), 7.2.5 (NA), 6.2.6 (RS), 6.3.4 (RA), 8.3 (Redirect):
 * what a message says about its sender's or target's link-layer address. */
void nst_nd_neigh_update(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, const struct nst_nd_update *u)
{
    struct nst_nd_entry *e = nd_find(st, ifindex, addr);
    if (!e) {
        if (!u->create || !u->lladdr)
            return;
        e = new_entry(st, ifindex, addr, NST_NEIGH6_STALE);
        if (!e)
            return;
        e->mac = *u->lladdr;
        e->is_router = u->is_router > 0;
        arm(st, e, st->now + STALE_GC_TIME);
        return;
    }
    if (e->state == NST_NEIGH6_PERMANENT) {
        learn_router_flag(st, e, u->is_router);
        return;
    }
    if (e->state == NST_NEIGH6_INCOMPLETE) {
        if (!u->lladdr)
            return; /* 7.2.5: an answer without the address is no answer */
        if (u->is_router >= 0)
            e->is_router = (uint8_t)u->is_router;
        resolve(st, e, u->lladdr, u->solicited ? NST_NEIGH6_REACHABLE : NST_NEIGH6_STALE);
        return;
    }
    int changed = u->lladdr && !nst_mac_eq(u->lladdr, &e->mac);
    if (!u->create && !u->override && changed) {
        /* 7.2.5: an advertisement without Override does not move a known
         * address; a REACHABLE entry only turns STALE over it. */
        if (e->state == NST_NEIGH6_REACHABLE)
            go_stale(st, e);
        return;
    }
    if (changed) {
        e->mac = *u->lladdr;
        nst_dst_invalidate_all(&st->ip);
    }
    if (u->solicited)
        set_reachable(st, e);
    else if (changed)
        go_stale(st, e);
    learn_router_flag(st, e, u->is_router);
    if (e->state == NST_NEIGH6_STALE)
        arm(st, e, st->now + STALE_GC_TIME); /* a neighbour that talks to us is kept */
}

void nst_nd_confirm(struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    if (!st->ip6 || ifindex < 0 || ifindex >= st->ip.n_ifaces)
        return;
    struct nst_nd_entry *e = nd_find(st, ifindex, addr);
    if (!e || e->state == NST_NEIGH6_INCOMPLETE || e->state == NST_NEIGH6_PERMANENT)
        return;
    NST_STAT_INC(st, nd, upper_confirmed);
    if (e->state == NST_NEIGH6_REACHABLE) {
        /* Every new acknowledgement of every IPv6 connection comes here:
         * the entry's end moves, its timer stays where it was and, when it
         * fires early, re-arms for the rest (as Linux's neigh->confirmed):
         * no timer-heap work per ACK. The entry turns STALE at the same
         * moment as if the timer had been moved. */
        e->probes = 0;
        e->expires = st->now + nst_ip6_if(st, e->ifindex)->reachable;
        return;
    }
    set_reachable(st, e);
}

int nst_nd_known(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    return nd_find(st, ifindex, addr) != NULL;
}

int nst_nd_probably_reachable(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    const struct nst_nd_entry *e = nd_find(st, ifindex, addr);
    return e && e->state != NST_NEIGH6_INCOMPLETE;
}

int nst_nd_is_router(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    const struct nst_nd_entry *e = nd_find(st, ifindex, addr);
    return e && e->is_router;
}

void nst_nd_cache_fini(struct nst_stack *st)
{
    while (st->ip6->nd)
        unlink_free(st, st->ip6->nd);
}

int nst_neigh6_list(const struct nst_stack *st, struct nst_neigh6_info *out, int max)
{
    if (!st->ip6)
        return 0;
    int n = 0;
    for (const struct nst_nd_entry *e = st->ip6->nd; e; e = e->next, n++)
        if (n < max)
            out[n] = (struct nst_neigh6_info){.addr = e->addr, .mac = e->mac, .ifindex = e->ifindex,
                                              .state = e->state, .is_router = e->is_router,
                                              .expires = e->state == NST_NEIGH6_PERMANENT ? NST_TIME_NEVER
                                                                                           : e->expires,
                                              .queued = e->pending.count};
    return n;
}

int nst_neigh6_add_static(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, const struct nst_mac *mac)
{
    if (!st->ip6)
        return -EAFNOSUPPORT;
    if (ifindex < 0 || ifindex >= st->ip.n_ifaces || nst_ip6_is_multicast(addr) || nst_ip6_is_unspecified(addr))
        return -EINVAL;
    struct nst_nd_entry *e = nd_find(st, ifindex, addr);
    if (!e && !(e = new_entry(st, ifindex, addr, NST_NEIGH6_PERMANENT)))
        return -ENOBUFS;
    if (e->state == NST_NEIGH6_INCOMPLETE && make_room_resolved(st) < 0) {
        fail_entry(st, e, 0);
        return -ENOBUFS;
    }
    nst_timer_cancel(st, &e->timer);
    e->probes = 0;
    e->mac = *mac;
    if (e->state != NST_NEIGH6_PERMANENT)
        set_state(st, e, NST_NEIGH6_PERMANENT);
    nst_dst_invalidate_all(&st->ip); /* connections may hold the old address */
    flush_pending(st, e);
    return 0;
}

int nst_neigh6_del(struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    struct nst_nd_entry *e = st->ip6 ? nd_find(st, ifindex, addr) : NULL;
    if (!e)
        return -ENOENT;
    fail_entry(st, e, 0); /* packets waiting on it are dropped, counted */
    return 0;
}
