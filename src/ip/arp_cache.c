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

/* STATIC entries (like `arp -s`, or a point-to-point WAN link that needs no
 * resolution) never expire and are never evicted or overwritten. */
enum arp_state { ARP_INCOMPLETE, ARP_REACHABLE, ARP_STATIC };

struct nst_arp_entry {
    struct nst_arp_entry *next;
    nst_ip4_t addr;
    int ifindex;
    enum arp_state state;
    struct nst_mac mac;
    unsigned requests_sent;
    nst_time_t expires;           /* REACHABLE: when the entry is forgotten */
    struct nst_timer timer;       /* retry (INCOMPLETE) or expiry (REACHABLE) */
    struct nst_pktq pending;      /* datagrams waiting for the answer */
};

static struct nst_arp_entry *arp_find(struct nst_stack *st, int ifindex, nst_ip4_t addr)
{
    for (struct nst_arp_entry *e = st->ip.arp; e; e = e->next)
        if (e->addr == addr && e->ifindex == ifindex)
            return e;
    return NULL;
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
    st->ip.arp_count--;
    free(gone);
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

static void arp_send_request(struct nst_stack *st, struct nst_arp_entry *e)
{
    static const struct nst_mac zero = {{0}};
    e->requests_sent++;
    arp_send(st, e->ifindex, NST_ARP_REQUEST, &nst_mac_broadcast, &zero, e->addr);
}

/* Packets that waited in vain: a router tells their sender (RFC 1812
 * 4.3.3.1 host unreachable); our own are simply dropped, counted. */
static void arp_fail_pending(struct nst_stack *st, struct nst_arp_entry *e)
{
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&e->pending))) {
        NST_STAT_INC(st, ip, drop_arp_failed);
        struct nst_ipv4_repr h;
        if (nst_ipv4_parse(nst_pkt_data(p), p->len, &h, 0) > 0 && !nst_ip_is_local(st, h.src))
            nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_HOST_UNREACH, 0, 0,
                                nst_pkt_data(p), p->len);
        nst_pkt_free(st, p);
    }
}

static void arp_timer_fired(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_arp_entry *e = NST_CONTAINER_OF(t, struct nst_arp_entry, timer);
    if (e->state == ARP_REACHABLE) {
        NST_STAT_INC(st, arp, cache_expired);
        arp_unlink_free(st, e);
        return;
    }
    if (e->requests_sent < st->cfg.arp_max_retries) {
        arp_send_request(st, e);
        nst_timer_arm(st, &e->timer, st->now + st->cfg.arp_retry);
        return;
    }
    NST_STAT_INC(st, arp, resolve_failed);
    arp_fail_pending(st, e);
    arp_unlink_free(st, e);
}

/* Makes room for one entry: evicts the oldest-expiring resolved entry. */
static int arp_make_room(struct nst_stack *st)
{
    if (st->ip.arp_count < st->cfg.arp_table_max)
        return 0;
    struct nst_arp_entry *victim = NULL;
    for (struct nst_arp_entry *e = st->ip.arp; e; e = e->next)
        if (e->state == ARP_REACHABLE && (!victim || e->expires < victim->expires))
            victim = e;
    NST_STAT_INC(st, arp, table_full);
    if (!victim)
        return -ENOBUFS;
    arp_unlink_free(st, victim);
    return 0;
}

static struct nst_arp_entry *arp_new_entry(struct nst_stack *st, int ifindex, nst_ip4_t addr)
{
    if (arp_make_room(st))
        return NULL;
    struct nst_arp_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->addr = addr;
    e->ifindex = ifindex;
    e->state = ARP_INCOMPLETE;
    nst_timer_init(&e->timer, arp_timer_fired);
    e->next = st->ip.arp;
    st->ip.arp = e;
    st->ip.arp_count++;
    return e;
}

static void arp_flush_pending(struct nst_stack *st, struct nst_arp_entry *e)
{
    struct nst_pkt *p;
    while ((p = nst_pktq_pop(&e->pending)))
        nst_eth_output(st, e->ifindex, &e->mac, NST_ETHERTYPE_IPV4, p);
}

static void arp_set_reachable(struct nst_stack *st, struct nst_arp_entry *e, const struct nst_mac *mac)
{
    if (e->state != ARP_REACHABLE)
        NST_STAT_INC(st, arp, cache_entries_added);
    e->state = ARP_REACHABLE;
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
    if (e && e->state != ARP_INCOMPLETE)
        return nst_eth_output(st, ifindex, &e->mac, NST_ETHERTYPE_IPV4, p);
    if (!e) {
        e = arp_new_entry(st, ifindex, next_hop);
        if (!e) {
            NST_STAT_INC(st, ip, drop_arp_failed);
            nst_pkt_free(st, p);
            return -ENOBUFS;
        }
        arp_send_request(st, e);
        nst_timer_arm(st, &e->timer, st->now + st->cfg.arp_retry);
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
    nst_timer_cancel(st, &e->timer);
    e->state = ARP_STATIC;
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
                                       .expires = e->state == ARP_STATIC ? NST_TIME_NEVER : e->expires,
                                       .queued = e->pending.count};
    }
    return n;
}
