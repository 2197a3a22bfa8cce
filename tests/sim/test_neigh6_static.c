/* Static IPv6 neighbours (nst_neigh6_add_static / nst_neigh6_del), the
 * ND cache's PERMANENT state, on a tap host with crafted frames: packets go
 * to the given MAC without a solicitation, at once for those already
 * waiting; the entry outlives every timer; no advertisement moves it (only
 * its IsRouter flag is learned); it is never evicted, so a table of them
 * refuses more; deleting it brings resolution back. Every frame sent is
 * checked. */
#include <errno.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"

#define T0 NST_SEC(5)

static uint8_t frame[SU_FRAME_MAX];
static const uint8_t data8[8] = "01234567";

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

/* The entry's state for address a (info in *out), -1 if none. */
static int neigh(struct nst_stack *st, const nst_ip6_t *a, struct nst_neigh6_info *out)
{
    struct nst_neigh6_info v[8];
    int k = nst_neigh6_list(st, v, 8);
    for (int i = 0; i < k && i < 8; i++)
        if (nst_ip6_eq(&v[i].addr, a)) {
            *out = v[i];
            return v[i].state;
        }
    return -1;
}

/* Frame i of the tap: an ICMPv6 message of this type, its Ethernet
 * destination. */
static void sent_icmp(struct su6_host *h, size_t i, int type, const struct nst_mac *eth_dst)
{
    struct su6_parsed p;
    CHECK(i < h->tap.n);
    if (i >= h->tap.n)
        return;
    CHECK_EQ(su6_parse(h->tap.v[i].data, h->tap.v[i].len, &p), 0);
    CHECK(p.icmp_ok);
    CHECK_EQ(p.icmp.type, type);
    if (eth_dst)
        CHECK(nst_mac_eq(&p.eth.dst, eth_dst));
}

/* An advertisement for the peer's address from the peer, with this MAC. */
static size_t peer_na(struct su6_host *h, const struct nst_mac *mac, uint8_t flags)
{
    struct su6_ip ip = su6_to_host(h);
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = h->peer, .has_tgt_lladdr = 1,
                             .tgt_lladdr = *mac, .flags = flags};
    return su6_build_nd(frame, &ip, &na);
}

/* A static entry: the echo leaves at once toward its MAC, no solicitation,
 * and the entry outlives ReachableTime, the STALE lifetime and NUD. */
static void test_static_sends_without_nd(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    const struct nst_mac fixed = su_mac(9);
    const uint64_t dad_ns = S(h.st)->nd_tx_ns;
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &h.peer, &fixed), 0);
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK(nst_mac_eq(&ni.mac, &fixed));
    CHECK_EQ(ni.expires, NST_TIME_NEVER);
    su_tap_clear(&h.tap);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 1, data8, sizeof data8), 0);
    CHECK_EQ(h.tap.n, 1);
    sent_icmp(&h, 0, NST_ICMP6_ECHO_REQUEST, &fixed);
    CHECK_EQ(h.tap.v[0].at, T0);
    /* Ten minutes later (ReachableTime, DELAY, the 60 s STALE lifetime all
     * long past): still there, and still no solicitation. */
    for (nst_time_t t = T0 + NST_SEC(1); t <= T0 + NST_SEC(600); t += NST_SEC(1))
        nst_stack_poll(h.st, t);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 2, data8, sizeof data8), 0);
    CHECK_EQ(h.tap.n, 2);
    sent_icmp(&h, 1, NST_ICMP6_ECHO_REQUEST, &fixed);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK_EQ(S(h.st)->nd_tx_ns, dad_ns);
    CHECK_EQ(S(h.st)->nd_cache_expired, 0);
    su6_host_down(&h);
}

/* RFC 4861 says nothing of static entries; like Linux's PERMANENT ones,
 * no advertisement moves their address (Override, solicited or not) and an
 * upper layer's confirmation changes nothing; the IsRouter flag is still
 * learned (7.2.5), since router discovery depends on it. */
static void test_static_not_moved_by_nd(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    const struct nst_mac fixed = su_mac(9), other = su_mac(7);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &h.peer, &fixed), 0);
    su6_host_inject(&h, frame, peer_na(&h, &other, NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE | NST_ND_NA_ROUTER));
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK(nst_mac_eq(&ni.mac, &fixed));
    CHECK_EQ(ni.is_router, 1);
    su6_host_inject(&h, frame, peer_na(&h, &other, NST_ND_NA_OVERRIDE));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK(nst_mac_eq(&ni.mac, &fixed));
    CHECK_EQ(ni.is_router, 0);
    CHECK_EQ(S(h.st)->nd_router_lost, 1);
    /* An NS from the peer carrying its real MAC (su_mac(2)) as source
     * link-layer address: the entry keeps the static one. */
    su_tap_clear(&h.tap);
    su6_peer_known(&h);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK(nst_mac_eq(&ni.mac, &fixed));
    nst_nd_confirm(h.st, h.tap.ifindex, &h.peer);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK_EQ(S(h.st)->nd_upper_confirmed, 0);
    su_tap_clear(&h.tap);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 1, data8, sizeof data8), 0);
    sent_icmp(&h, 0, NST_ICMP6_ECHO_REQUEST, &fixed);
    su6_host_down(&h);
}

/* Packets waiting on a solicitation leave as soon as the entry is made
 * static, in order, to its MAC; no solicitation follows. A static entry
 * over a resolved one replaces its MAC. Deleting it brings resolution
 * back. */
static void test_static_over_existing_and_del(void)
{
    struct su6_host h;
    su6_host_up(&h, NULL, T0);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 1, data8, sizeof data8), 0);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 2, data8, sizeof data8), 0);
    CHECK_EQ(h.tap.n, 1);
    sent_icmp(&h, 0, NST_ICMP6_NEIGHBOR_SOLICIT, NULL);
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_INCOMPLETE);
    CHECK_EQ(ni.queued, 2);
    const struct nst_mac fixed = su_mac(9);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &h.peer, &fixed), 0);
    CHECK_EQ(h.tap.n, 3);
    for (size_t i = 1; i < 3; i++) {
        sent_icmp(&h, i, NST_ICMP6_ECHO_REQUEST, &fixed);
        struct su6_parsed p;
        su6_parse(h.tap.v[i].data, h.tap.v[i].len, &p);
        CHECK_EQ(p.icmp.word & 0xffff, i); /* the sequence numbers, in order */
    }
    nst_stack_poll(h.st, T0 + NST_SEC(5));
    CHECK_EQ(h.tap.n, 3); /* the solicitation's retries were cancelled */
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK_EQ(ni.queued, 0);
    /* Over a static entry: the new MAC wins. */
    const struct nst_mac moved = su_mac(8);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &h.peer, &moved), 0);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_PERMANENT);
    CHECK(nst_mac_eq(&ni.mac, &moved));
    /* Deleted: the next packet solicits again. */
    CHECK_EQ(nst_neigh6_del(h.st, h.tap.ifindex, &h.peer), 0);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), -1);
    CHECK_EQ(nst_neigh6_del(h.st, h.tap.ifindex, &h.peer), -ENOENT);
    su_tap_clear(&h.tap);
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 3, data8, sizeof data8), 0);
    CHECK_EQ(h.tap.n, 1);
    sent_icmp(&h, 0, NST_ICMP6_NEIGHBOR_SOLICIT, NULL);
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_INCOMPLETE);
    /* Deleting an unresolved entry drops its packet, counted. */
    uint64_t dropped = S(h.st)->ip6_drop_nd_failed;
    CHECK_EQ(nst_neigh6_del(h.st, h.tap.ifindex, &h.peer), 0);
    CHECK_EQ(S(h.st)->ip6_drop_nd_failed, dropped + 1);
    su6_host_down(&h);
}

/* Bad arguments, and a table full of static entries: they are never
 * evicted, so another static entry is refused and a resolution that
 * completes finds no room and fails like an unanswered one. */
static void test_static_errors_and_full_table(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_nd_table_max = 2;
    struct su6_host h;
    su6_host_up(&h, &c, T0);
    const struct nst_mac m = su_mac(9);
    const nst_ip6_t mc = su6_addr("ff02::1"), any = su6_addr("::");
    CHECK_EQ(nst_neigh6_add_static(h.st, 7, &h.peer, &m), -EINVAL);
    CHECK_EQ(nst_neigh6_add_static(h.st, -1, &h.peer, &m), -EINVAL);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &mc, &m), -EINVAL);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &any, &m), -EINVAL);
    nst_ip6_t a1 = su6_addr("2001:db8::11"), a2 = su6_addr("2001:db8::12"), a3 = su6_addr("2001:db8::13");
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &a1, &m), 0);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &a2, &m), 0);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &a3, &m), -ENOBUFS);
    CHECK_EQ(nst_neigh6_add_static(h.st, h.tap.ifindex, &a1, &m), 0); /* overwriting takes no room */
    /* The peer is asked for; its answer finds no room: the entry and its
     * packet fail (Address Unreachable only goes to others: ours is dropped). */
    CHECK_EQ(nst_icmp6_send_echo(h.st, &h.peer, -1, 1, 1, data8, sizeof data8), 0);
    struct nst_neigh6_info ni;
    CHECK_EQ(neigh(h.st, &h.peer, &ni), NST_NEIGH6_INCOMPLETE);
    su6_host_inject(&h, frame, peer_na(&h, &h.peer_mac, NST_ND_NA_SOLICITED | NST_ND_NA_OVERRIDE));
    CHECK_EQ(neigh(h.st, &h.peer, &ni), -1);
    CHECK_EQ(S(h.st)->nd_resolve_failed, 1);
    CHECK_EQ(S(h.st)->ip6_drop_nd_failed, 1);
    CHECK(neigh(h.st, &a1, &ni) == NST_NEIGH6_PERMANENT && neigh(h.st, &a2, &ni) == NST_NEIGH6_PERMANENT);
    CHECK_EQ(nst_neigh6_list(h.st, &ni, 1), 2);
    su6_host_down(&h);
    /* Without IPv6 there is no neighbour cache. */
    struct su_tap tap;
    struct nst_stack *v4 = su_tap_host(NULL, &tap, NST_IP4(10, 0, 0, 1), 24);
    CHECK_EQ(nst_neigh6_add_static(v4, tap.ifindex, &a1, &m), -EAFNOSUPPORT);
    CHECK_EQ(nst_neigh6_del(v4, tap.ifindex, &a1), -ENOENT);
    su_tap_free(&tap);
    nst_stack_free(v4);
}

int main(void)
{
    RUN(test_static_sends_without_nd);
    RUN(test_static_not_moved_by_nd);
    RUN(test_static_over_existing_and_del);
    RUN(test_static_errors_and_full_table);
    return nst_test_done();
}
