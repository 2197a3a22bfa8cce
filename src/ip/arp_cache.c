/* ARP (RFC 826): the neighbour cache, requests and replies, a bounded queue
 * of packets waiting for resolution, gratuitous ARP and address conflicts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "wire/arp.h"
#include "wire/eth.h"
#include "wire/icmp.h"

/* An entry's life, after Linux's neighbour states and RFC 1122 2.3.2.1:
 *   INCOMPLETE  broadcast requests every arp_retry, packets queued; after
 *               arp_max_retries unanswered, the entry and its queue fail.
 *   REACHABLE   confirmed by an ARP packet from the neighbour; lasts
 *               arp_entry_ttl.
 *   STALE       no confirmation for arp_entry_ttl: still used as it is, so
 *               a busy flow never waits, but the first packet sent through
 *               it starts a PROBE; unused for another arp_entry_ttl, gone.
 *   PROBE       RFC 1122 2.3.2.1's "unicast poll": requests to the MAC we
 *               know, arp_retry apart, while packets keep going to that
 *               MAC; an answer makes the entry REACHABLE again, and after
 *               arp_max_retries unanswered the entry is deleted (the next
 *               packet asks by broadcast, finding a neighbour that moved).
 *   STATIC      (like `arp -s`, or a point-to-point WAN link that needs no
 *               resolution) never expires, is never evicted or overwritten.
 * Unresolved entries are bounded apart from the others (arp_incomplete_max
 * and arp_table_max): a flood toward addresses nobody answers for only
 * recycles unresolved entries, never a resolved one, and never keeps the
 * gateway from being resolved. */
enum arp_state {
    ARP_INCOMPLETE = NST_ARP_STATE_INCOMPLETE,
    ARP_REACHABLE = NST_ARP_STATE_REACHABLE,
    ARP_STALE = NST_ARP_STATE_STALE,
    ARP_PROBE = NST_ARP_STATE_PROBE,
    ARP_STATIC = NST_ARP_STATE_STATIC,
};

struct nst_arp_entry {
    struct nst_arp_entry *next;   /* newest first */
    nst_ip4_t addr;
    int ifindex;
    enum arp_state state;
    struct nst_mac mac;
    int gateway;                  /* a route's gateway when the entry was made */
    unsigned requests_sent;       /* INCOMPLETE: broadcasts; PROBE: unicast probes */
    nst_time_t expires;           /* REACHABLE: turns STALE; STALE: forgotten */
    struct nst_timer timer;       /* retry (INCOMPLETE, PROBE) or expires */
    struct nst_pktq pending;      /* datagrams waiting for the answer */
};

static struct nst_arp_entry *arp_find(struct nst_stack *st, int ifindex, nst_ip4_t addr)
{
    for (struct nst_arp_entry *e = st->ip.arp; e; e = e->next)
        if (e->addr == addr && e->ifindex == ifindex)
            return e;
    return NULL;
}

static unsigned *arp_count_of(struct nst_stack *st, const struct nst_arp_entry *e)
{
    return e->state == ARP_INCOMPLETE ? &st->ip.arp_incomplete : &st->ip.arp_resolved;
}

static void arp_unlink_free(struct nst_stack *st, struct nst_arp_entry *gone)
{
    nst_dst_invalidate_all(&st->ip);
    struct nst_arp_entry **pp = &st->ip.arp;
    while (*pp && *pp != gone)
        pp = &(*pp)->next;
    if (*pp)
        *pp = gone->next;
    nst_timer_cancel(st, &gone->timer);
    nst_pktq_clear(st, &gone->pending);
    (*arp_count_of(st, gone))--;
    free(gone);
}

/* Moves e to state, keeping the two counts right. */
static void arp_set_state(struct nst_stack *st, struct nst_arp_entry *e, enum arp_state state)
{
    (*arp_count_of(st, e))--;
    e->state = state;
    (*arp_count_of(st, e))++;
}

static int arp_send(struct nst_stack *st, int ifindex, uint16_t op, const struct nst_mac *eth_dst,
                    const struct nst_mac *tha, nst_ip4_t tpa)
{
    struct nst_iface *ifc = &st->ip.ifaces[ifindex];
    struct nst_pkt *p = nst_pkt_alloc(st, NST_ARP_LEN);
    if (!p)
        return -ENOMEM;
    struct nst_arp_repr r = {.op = op, .sha = ifc->mac, .spa = ifc->addr, .tha = *tha, .tpa = tpa};
    nst_arp_emit(&r, nst_pkt_data(p));
    if (op == NST_ARP_REQUEST)
        NST_STAT_INC(st, arp, tx_requests);
    else
        NST_STAT_INC(st, arp, tx_replies);
    return nst_eth_output(st, ifindex, eth_dst, NST_ETHERTYPE_ARP, p);
}

/* One more request for e, the next arp_retry later: broadcast while
 * unresolved; to the MAC we have when probing (RFC 1122 2.3.2.1's unicast
 * poll). */
static void arp_ask(struct nst_stack *st, struct nst_arp_entry *e)
{
    static const struct nst_mac zero = {{0}};
    const struct nst_mac *to = &nst_mac_broadcast;
    if (e->state == ARP_PROBE) {
        to = &e->mac;
        NST_STAT_INC(st, arp, tx_probes);
    }
    e->requests_sent++;
    arp_send(st, e->ifindex, NST_ARP_REQUEST, to, &zero, e->addr);
    nst_timer_arm(st, &e->timer, st->now + st->cfg.arp_retry);
}

/* An entry gives up: it is freed, then the packets that waited in vain
 * fail: a router tells their sender (RFC 1812 4.3.3.1 host unreachable);
 * our own are simply dropped, counted. The queue is taken out first: the
 * error may need an entry of its own, and making room for it must not
 * find this one. */
static void arp_fail_entry(struct nst_stack *st, struct nst_arp_entry *e)
{
    struct nst_pktq q = e->pending;
    memset(&e->pending, 0, sizeof(e->pending));
    arp_unlink_free(st, e);
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&q))) {
        NST_STAT_INC(st, ip, drop_arp_failed);
        struct nst_ipv4_repr h;
        if (nst_ipv4_parse(nst_pkt_data(p), p->len, &h, 0) > 0 && !nst_ip_is_local(st, h.src))
            nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_HOST_UNREACH, 0, 0,
                                nst_pkt_data(p), p->len);
        nst_pkt_free(st, p);
    }
}

/* REACHABLE for arp_entry_ttl without a word from the neighbour: STALE.
 * Connections forget their remembered MAC so that their next packet comes
 * through nst_arp_output() and starts the probe. */
static void arp_go_stale(struct nst_stack *st, struct nst_arp_entry *e)
{
    arp_set_state(st, e, ARP_STALE);
    nst_dst_invalidate_all(&st->ip);
    e->expires = st->now + st->cfg.arp_entry_ttl;
    nst_timer_arm(st, &e->timer, e->expires);
}

static void arp_timer_fired(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_arp_entry *e = NST_CONTAINER_OF(t, struct nst_arp_entry, timer);
    switch (e->state) {
    case ARP_REACHABLE:
        arp_go_stale(st, e);
        return;
    case ARP_STALE:
        NST_STAT_INC(st, arp, cache_expired);
        arp_unlink_free(st, e);
        return;
    case ARP_INCOMPLETE:
    case ARP_PROBE:
        if (e->requests_sent < st->cfg.arp_max_retries) {
            arp_ask(st, e);
            return;
        }
        if (e->state == ARP_PROBE) {
            NST_STAT_INC(st, arp, probe_failed);
        } else {
            NST_STAT_INC(st, arp, resolve_failed);
            arp_fail_entry(st, e);
            return;
        }
        arp_unlink_free(st, e);
        return;
    case ARP_STATIC:
        return;
    }
}

/* A gateway of some route through ifindex: the one neighbour every
 * off-link packet needs. Asked once, when an entry is made (an unresolved
 * entry lives a few seconds). */
static int arp_is_gateway(const struct nst_stack *st, int ifindex, nst_ip4_t addr)
{
    for (int i = 0; i < st->ip.n_routes; i++)
        if (st->ip.routes[i].gateway == addr && st->ip.routes[i].ifindex == ifindex)
            return 1;
    return 0;
}

/* Room for one more unresolved entry: the oldest unresolved one goes
 * (a gateway's last), its queued packets failing as if unanswered. */
static void arp_make_room_incomplete(struct nst_stack *st)
{
    if (st->ip.arp_incomplete < st->cfg.arp_incomplete_max)
        return;
    struct nst_arp_entry *oldest = NULL, *oldest_host = NULL;
    for (struct nst_arp_entry *e = st->ip.arp; e; e = e->next) {
        if (e->state != ARP_INCOMPLETE)
            continue;
        oldest = e; /* the list is newest first: the last one seen is the oldest */
        if (!e->gateway)
            oldest_host = e;
    }
    struct nst_arp_entry *victim = oldest_host ? oldest_host : oldest;
    if (!victim)
        return;
    NST_STAT_INC(st, arp, incomplete_evicted);
    arp_fail_entry(st, victim);
}

/* Room for one more resolved entry: a STALE one goes first (nobody has
 * used it lately), else the REACHABLE or PROBE one closest to its end.
 * -ENOBUFS when every resolved entry is static. */
static int arp_make_room_resolved(struct nst_stack *st)
{
    if (st->ip.arp_resolved < st->cfg.arp_table_max)
        return 0;
    struct nst_arp_entry *victim = NULL;
    for (struct nst_arp_entry *e = st->ip.arp; e; e = e->next) {
        if (e->state == ARP_INCOMPLETE || e->state == ARP_STATIC)
            continue;
        int stale = e->state == ARP_STALE, vstale = victim && victim->state == ARP_STALE;
        if (!victim || stale > vstale || (stale == vstale && e->expires < victim->expires))
            victim = e;
    }
    NST_STAT_INC(st, arp, table_full);
    if (!victim)
        return -ENOBUFS;
    arp_unlink_free(st, victim);
    return 0;
}

static struct nst_arp_entry *arp_new_entry(struct nst_stack *st, int ifindex, nst_ip4_t addr)
{
    arp_make_room_incomplete(st);
    if (st->ip.arp_incomplete >= st->cfg.arp_incomplete_max)
        return NULL; /* arp_incomplete_max 0 */
    struct nst_arp_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->addr = addr;
    e->ifindex = ifindex;
    e->gateway = arp_is_gateway(st, ifindex, addr);
    e->state = ARP_INCOMPLETE;
    nst_timer_init(&e->timer, arp_timer_fired);
    e->next = st->ip.arp;
    st->ip.arp = e;
    st->ip.arp_incomplete++;
    return e;
}

static void arp_flush_pending(struct nst_stack *st, struct nst_arp_entry *e)
{
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&e->pending)))
        nst_eth_output(st, e->ifindex, &e->mac, NST_ETHERTYPE_IPV4, p);
}

/* An ARP packet from the neighbour: its MAC is confirmed for another
 * arp_entry_ttl. An unresolved entry must find room among the resolved
 * ones first; if it cannot (all static), it fails like an unanswered one. */
static void arp_set_reachable(struct nst_stack *st, struct nst_arp_entry *e, const struct nst_mac *mac)
{
    if (e->state == ARP_INCOMPLETE) {
        if (arp_make_room_resolved(st) < 0) {
            arp_fail_entry(st, e);
            return;
        }
        NST_STAT_INC(st, arp, cache_entries_added);
    } else if (e->state == ARP_PROBE) {
        NST_STAT_INC(st, arp, probe_confirmed);
    }
    arp_set_state(st, e, ARP_REACHABLE);
    e->requests_sent = 0;
    if (!nst_mac_eq(&e->mac, mac))
        nst_dst_invalidate_all(&st->ip); /* a neighbour moved (RFC 826: the sender's MAC wins) */
    e->mac = *mac;
    e->expires = st->now + st->cfg.arp_entry_ttl;
    nst_timer_arm(st, &e->timer, e->expires);
    arp_flush_pending(st, e);
}

static int is_limited_or_directed_broadcast(const struct nst_iface *ifc, nst_ip4_t a)
{
    if (a == 0xffffffffu)
        return 1;
    if (!ifc->addr || ifc->prefix_len >= 31)
        return 0;
    uint32_t mask = nst_prefix_mask(ifc->prefix_len);
    return (a & mask) == (ifc->addr & mask) && (a | mask) == 0xffffffffu;
}

int nst_arp_lookup(const struct nst_stack *st, int ifindex, nst_ip4_t addr, struct nst_mac *mac)
{
    for (const struct nst_arp_entry *e = st->ip.arp; e; e = e->next)
        if (e->addr == addr && e->ifindex == ifindex && e->state != ARP_INCOMPLETE) {
            *mac = e->mac;
            return 0;
        }
    return -ENOENT;
}

int nst_arp_output(struct nst_stack *st, int ifindex, nst_ip4_t next_hop, struct nst_pkt *p)
{
    struct nst_iface *ifc = &st->ip.ifaces[ifindex];
    if (is_limited_or_directed_broadcast(ifc, next_hop))
        return nst_eth_output(st, ifindex, &nst_mac_broadcast, NST_ETHERTYPE_IPV4, p);
    struct nst_arp_entry *e = arp_find(st, ifindex, next_hop);
    if (e && e->state != ARP_INCOMPLETE) {
        if (e->state == ARP_STALE) { /* in use again: poll it, meanwhile send on */
            arp_set_state(st, e, ARP_PROBE);
            e->requests_sent = 0;
            arp_ask(st, e);
        }
        return nst_eth_output(st, ifindex, &e->mac, NST_ETHERTYPE_IPV4, p);
    }
    if (!e) {
        e = arp_new_entry(st, ifindex, next_hop);
        if (!e) {
            NST_STAT_INC(st, ip, drop_arp_failed);
            nst_pkt_free(st, p);
            return -ENOBUFS;
        }
        arp_ask(st, e);
    }
    /* RFC 1122 2.3.2.2: keep at least one packet; we keep a bounded few and
     * drop the newest beyond that. */
    if (e->pending.count >= st->cfg.arp_queue_max) {
        NST_STAT_INC(st, arp, queue_drops);
        nst_pkt_free(st, p);
        return -ENOBUFS;
    }
    /* Kept past this call: it may not borrow from a send ring any more. */
    if (nst_pkt_linearize(st, &p) < 0)
        return -ENOMEM;
    nst_pktq_push(&e->pending, p);
    return 0;
}

static void arp_note_conflict(struct nst_stack *st, const struct nst_iface *ifc, const struct nst_arp_repr *a)
{
    /* RFC 5227 2.4: someone else claims our address. We count it; an
     * operator sees it in the counters (defending is left to policy). */
    if (ifc->addr && a->spa == ifc->addr && !nst_mac_eq(&a->sha, &ifc->mac))
        NST_STAT_INC(st, arp, address_conflicts);
}

void nst_arp_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len)
{
    struct nst_arp_repr a;
    struct nst_iface *ifc = &st->ip.ifaces[ifindex];
    if (nst_arp_parse(pkt, len, &a) < 0) {
        NST_STAT_INC(st, arp, rx_malformed);
        return;
    }
    if (a.op == NST_ARP_REQUEST)
        NST_STAT_INC(st, arp, rx_requests);
    else
        NST_STAT_INC(st, arp, rx_replies);
    if (nst_mac_is_multicast(&a.sha)) {
        NST_STAT_INC(st, arp, rx_malformed); /* a sender address can't be multicast */
        return;
    }
    arp_note_conflict(st, ifc, &a);
    if (a.spa == a.tpa)
        NST_STAT_INC(st, arp, gratuitous_rx);

    /* RFC 826 "Packet Reception": update an existing entry for the sender
     * (this is how a gratuitous ARP moves an address), then, if we are the
     * target, add one and answer a request. */
    int merged = 0;
    struct nst_arp_entry *e = a.spa ? arp_find(st, ifindex, a.spa) : NULL;
    if (e && e->state == ARP_STATIC) {
        merged = 1;
    } else if (e && a.spa != ifc->addr) {
        arp_set_reachable(st, e, &a.sha);
        merged = 1;
    }
    if (!ifc->addr || a.tpa != ifc->addr) {
        if (!merged)
            NST_STAT_INC(st, arp, rx_not_for_us);
        return;
    }
    if (!merged && a.spa && a.spa != ifc->addr) {
        e = arp_new_entry(st, ifindex, a.spa);
        if (e)
            arp_set_reachable(st, e, &a.sha);
    }
    if (a.op == NST_ARP_REQUEST)
        arp_send(st, ifindex, NST_ARP_REPLY, &a.sha, &a.sha, a.spa);
}

int nst_arp_add_static(struct nst_stack *st, int ifindex, nst_ip4_t addr, const struct nst_mac *mac)
{
    if (ifindex < 0 || ifindex >= st->ip.n_ifaces || !addr)
        return -EINVAL;
    struct nst_arp_entry *e = arp_find(st, ifindex, addr);
    if (!e && !(e = arp_new_entry(st, ifindex, addr)))
        return -ENOBUFS;
    if (e->state == ARP_INCOMPLETE && arp_make_room_resolved(st) < 0) {
        arp_fail_entry(st, e);
        return -ENOBUFS;
    }
    nst_timer_cancel(st, &e->timer);
    arp_set_state(st, e, ARP_STATIC);
    e->mac = *mac;
    nst_dst_invalidate_all(&st->ip);
    arp_flush_pending(st, e);
    return 0;
}

void nst_arp_fini(struct nst_stack *st)
{
    while (st->ip.arp)
        arp_unlink_free(st, st->ip.arp);
}

int nst_arp_list(const struct nst_stack *st, struct nst_arp_info *out, int max)
{
    int n = 0;
    for (const struct nst_arp_entry *e = st->ip.arp; e; e = e->next, n++) {
        if (n >= max)
            continue;
        out[n] = (struct nst_arp_info){.addr = e->addr, .mac = e->mac, .ifindex = e->ifindex,
                                       .resolved = e->state != ARP_INCOMPLETE,
                                       .state = (int)e->state,
                                       .expires = e->state == ARP_STATIC ? NST_TIME_NEVER : e->expires,
                                       .queued = e->pending.count};
    }
    return n;
}
