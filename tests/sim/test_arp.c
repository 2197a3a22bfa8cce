/* ARP (RFC 826) on a simulated link and against crafted frames: exact
 * request/reply exchanges, entry lifetimes to the nanosecond, the bounded
 * pending queue, resolution failure after the last retry, gratuitous ARP,
 * address conflicts, malformed packets, static entries. */
#include <errno.h>
#include <nstack/nstack.h>
#include <string.h>

#include "support/sim_util.h"
#include "test.h"

#define HOST NST_IP4(10, 0, 0, 1)
#define PEER NST_IP4(10, 0, 0, 2)
#define T0 NST_SEC(5)

static uint8_t frame[SU_FRAME_MAX];

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static int arp_entry(struct nst_stack *st, nst_ip4_t addr, struct nst_arp_info *out)
{
    static struct nst_arp_info v[512];
    memset(out, 0, sizeof(*out));
    int n = nst_arp_list(st, v, 512);
    for (int i = 0; i < n && i < 512; i++) {
        if (v[i].addr == addr) {
            *out = v[i];
            return 1;
        }
    }
    return 0;
}

static int arp_count(struct nst_stack *st)
{
    struct nst_arp_info v[1];
    return nst_arp_list(st, v, 0);
}

static ssize_t send_udp(struct nst_stack *st, int fd, nst_ip4_t dst, uint16_t port, size_t len)
{
    uint8_t buf[2000];
    memset(buf, (int)len, sizeof(buf));
    struct nst_sockaddr to = {dst, port};
    return nst_sendto(st, fd, buf, len, 0, &to);
}

/* ---- two hosts on a simulated link ---------------------------------------- */

static int got_one(void *arg)
{
    struct nst_stack *st = ((void **)arg)[0];
    int fd = *(int *)((void **)arg)[1];
    return (nst_socket_events(st, fd) & NST_EV_IN) != 0;
}

static void test_request_reply_on_link(void)
{
    struct su_pair p;
    CHECK_EQ(su_pair_build(&p, 7, NULL, NULL), 0); /* 1 ms latency, no serialisation */
    int fa = su_udp_bound(p.a, SU_A_ADDR, 1000);
    int fb = su_udp_bound(p.b, SU_B_ADDR, 2000);
    CHECK(fa >= 0 && fb >= 0);
    nst_world_run_until(p.w, T0);
    CHECK_EQ(send_udp(p.a, fa, SU_B_ADDR, 2000, 100), 100);
    /* Request out at T0, across at T0+1ms; reply back at T0+2ms; the
     * datagram, held meanwhile, reaches b at T0+3ms exactly. */
    void *arg[2] = {p.b, &fb};
    CHECK_EQ(nst_world_run_until_cond(p.w, got_one, arg, T0 + NST_SEC(1)), 1);
    CHECK_EQ(nst_world_now(p.w), T0 + NST_MSEC(3));
    const struct nst_sim_link_stats *ab = nst_sim_link_stats(p.l, 0), *ba = nst_sim_link_stats(p.l, 1);
    CHECK_EQ(ab->offered, 2); /* request + datagram */
    CHECK_EQ(ba->offered, 1); /* reply */
    CHECK_EQ(ab->bytes_delivered, 60 + 14 + 20 + 8 + 100);
    CHECK_EQ(ba->bytes_delivered, 60);
    CHECK_EQ(S(p.a)->arp_tx_requests, 1);
    CHECK_EQ(S(p.a)->arp_rx_replies, 1);
    CHECK_EQ(S(p.a)->arp_tx_replies, 0);
    CHECK_EQ(S(p.a)->arp_cache_entries_added, 1);
    CHECK_EQ(S(p.b)->arp_rx_requests, 1);
    CHECK_EQ(S(p.b)->arp_tx_replies, 1);
    CHECK_EQ(S(p.b)->arp_tx_requests, 0);
    CHECK_EQ(S(p.b)->arp_cache_entries_added, 1); /* b learnt a from the request */
    struct nst_arp_info ea, eb;
    struct nst_iface_info ia, ib;
    nst_iface_get(p.a, p.ifa, &ia);
    nst_iface_get(p.b, p.ifb, &ib);
    CHECK(arp_entry(p.a, SU_B_ADDR, &ea));
    CHECK(arp_entry(p.b, SU_A_ADDR, &eb));
    CHECK(ea.resolved && eb.resolved);
    CHECK_MEM(ea.mac.b, ib.mac.b, 6);
    CHECK_MEM(eb.mac.b, ia.mac.b, 6);
    CHECK_EQ(ea.expires, T0 + NST_MSEC(2) + NST_SEC(60));
    CHECK_EQ(eb.expires, T0 + NST_MSEC(1) + NST_SEC(60));
    CHECK_EQ(ea.queued, 0);

    /* b answers without asking: it learnt a from the request. */
    CHECK_EQ(send_udp(p.b, fb, SU_A_ADDR, 1000, 10), 10);
    void *arg2[2] = {p.a, &fa};
    CHECK_EQ(nst_world_run_until_cond(p.w, got_one, arg2, T0 + NST_SEC(1)), 1);
    CHECK_EQ(nst_world_now(p.w), T0 + NST_MSEC(4));
    CHECK_EQ(S(p.b)->arp_tx_requests, 0);
    CHECK_EQ(ba->offered, 2);

    /* Exactly arp_entry_ttl after each entry was learnt (not when used)
     * it turns STALE; unused for another arp_entry_ttl, it is forgotten,
     * with no probe ever sent. b's entry for a goes first. */
    nst_world_run_until(p.w, eb.expires - 1);
    CHECK(arp_entry(p.b, SU_A_ADDR, &eb));
    CHECK_EQ(eb.state, NST_ARP_STATE_REACHABLE);
    nst_world_run_until(p.w, eb.expires);
    CHECK(arp_entry(p.b, SU_A_ADDR, &eb));
    CHECK_EQ(eb.state, NST_ARP_STATE_STALE);
    CHECK_EQ(eb.expires, T0 + NST_MSEC(1) + NST_SEC(120));
    nst_world_run_until(p.w, ea.expires);
    CHECK(arp_entry(p.a, SU_B_ADDR, &ea));
    CHECK_EQ(ea.state, NST_ARP_STATE_STALE);
    nst_world_run_until(p.w, eb.expires - 1);
    CHECK_EQ(arp_count(p.b), 1);
    CHECK_EQ(S(p.b)->arp_cache_expired, 0);
    nst_world_run_until(p.w, eb.expires);
    CHECK_EQ(arp_count(p.b), 0);
    CHECK_EQ(S(p.b)->arp_cache_expired, 1);
    CHECK_EQ(arp_count(p.a), 1);
    nst_world_run_until(p.w, ea.expires - 1);
    CHECK_EQ(arp_count(p.a), 1);
    nst_world_run_until(p.w, ea.expires);
    CHECK_EQ(arp_count(p.a), 0);
    CHECK_EQ(S(p.a)->arp_cache_expired, 1);
    CHECK_EQ(S(p.a)->arp_tx_probes + S(p.b)->arp_tx_probes, 0);
    /* Afterwards a datagram needs a new resolution. */
    nst_time_t t1 = nst_world_now(p.w);
    CHECK_EQ(send_udp(p.a, fa, SU_B_ADDR, 2000, 5), 5);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(S(p.a)->arp_tx_requests, 2);
    CHECK_EQ(S(p.b)->arp_tx_replies, 2);
    CHECK(arp_entry(p.a, SU_B_ADDR, &ea));
    CHECK_EQ(ea.expires, t1 + NST_MSEC(2) + NST_SEC(60));
    CHECK_EQ(S(p.b)->udp_rx_datagrams, 2);
    su_pair_free(&p);
}

/* ---- one host and crafted frames ------------------------------------------ */

struct rig {
    struct nst_stack *st;
    struct su_tap tap;
    struct nst_mac peer;
    int fd;
};

static void rig_up(struct rig *r, const struct nst_stack_config *cfg)
{
    r->st = su_tap_host(cfg, &r->tap, HOST, 24);
    CHECK(r->st != NULL);
    r->peer = su_mac(2);
    nst_stack_poll(r->st, T0);
    r->fd = su_udp_bound(r->st, 0, 1000);
    CHECK(r->fd >= 0);
}

static void rig_down(struct rig *r)
{
    nst_stack_free(r->st);
    su_tap_free(&r->tap);
}

static void inject_arp(struct rig *r, uint16_t op, const struct nst_mac *eth_dst, const struct nst_mac *sha,
                       nst_ip4_t spa, const struct nst_mac *tha, nst_ip4_t tpa, nst_time_t now)
{
    size_t n = su_build_arp(frame, sha, eth_dst, op, sha, spa, tha, tpa);
    su_tap_inject(&r->tap, frame, n, now);
}

static void test_request_bytes_and_reply_flush(void)
{
    struct rig r;
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.arp_queue_max = 4;
    rig_up(&r, &c);
    /* Six datagrams to an unresolved neighbour: one request, four queued,
     * the two beyond arp_queue_max dropped (and refused to the caller). */
    for (int i = 0; i < 6; i++)
        CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 10 + (size_t)i), i < 4 ? 10 + i : -ENOBUFS);
    CHECK_EQ(r.tap.n, 1);
    CHECK_EQ(S(r.st)->arp_tx_requests, 1);
    CHECK_EQ(S(r.st)->arp_queue_drops, 2);
    struct nst_arp_info e;
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.resolved, 0);
    CHECK_EQ(e.queued, 4);
    /* The request, byte for byte (RFC 826; padded to 60 bytes). */
    static const uint8_t want[60] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06, /* Ethernet */
        0, 1, 0x08, 0x00, 6, 4, 0, 1,                                          /* Ethernet/IPv4, request */
        0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1,                                      /* sender */
        0, 0, 0, 0, 0, 0, 10, 0, 0, 2,                                         /* target */
    };
    CHECK_EQ(r.tap.v[0].len, 60);
    CHECK_MEM(r.tap.v[0].data, want, 60);
    CHECK_EQ(r.tap.v[0].at, T0);

    /* The reply: the four datagrams leave at once, in order, to the MAC. */
    struct nst_mac me = r.tap.mac;
    inject_arp(&r, NST_ARP_REPLY, &me, &r.peer, PEER, &me, HOST, T0 + NST_MSEC(3));
    CHECK_EQ(r.tap.n, 5);
    for (int i = 0; i < 4; i++) {
        struct su_parsed pp;
        CHECK_EQ(su_parse(r.tap.v[1 + i].data, r.tap.v[1 + i].len, &pp), 0);
        CHECK(pp.is_ip && pp.udp_ok);
        CHECK_MEM(pp.eth.dst.b, r.peer.b, 6);
        CHECK_EQ(pp.udp.length, 8 + 10 + i);
        CHECK_EQ(r.tap.v[1 + i].at, T0 + NST_MSEC(3));
    }
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.resolved, 1);
    CHECK_EQ(e.queued, 0);
    CHECK_EQ(e.expires, T0 + NST_MSEC(3) + NST_SEC(60));
    CHECK_EQ(S(r.st)->arp_cache_entries_added, 1);
    /* Now resolved: the next datagram goes straight out. */
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 1), 1);
    CHECK_EQ(r.tap.n, 6);
    CHECK_EQ(S(r.st)->arp_tx_requests, 1);
    rig_down(&r);
}

static void test_resolution_failure_times(void)
{
    struct rig r;
    rig_up(&r, NULL); /* arp_retry 1 s, arp_max_retries 3 */
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 20), 20);
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 21), 21);
    CHECK_EQ(nst_stack_next_deadline(r.st), T0 + NST_SEC(1));
    for (int k = 1; k <= 2; k++) {
        nst_stack_poll(r.st, T0 + NST_SEC(k) - 1);
        CHECK_EQ(r.tap.n, (size_t)k);
        nst_stack_poll(r.st, T0 + NST_SEC(k));
        CHECK_EQ(r.tap.n, (size_t)k + 1);
        CHECK_EQ(r.tap.v[k].at, T0 + NST_SEC(k));
    }
    CHECK_EQ(su_tap_count_arp(&r.tap, NST_ARP_REQUEST), 3);
    nst_stack_poll(r.st, T0 + NST_SEC(3) - 1);
    CHECK_EQ(S(r.st)->arp_resolve_failed, 0);
    CHECK_EQ(arp_count(r.st), 1);
    nst_stack_poll(r.st, T0 + NST_SEC(3));
    CHECK_EQ(S(r.st)->arp_resolve_failed, 1);
    CHECK_EQ(S(r.st)->ip_drop_arp_failed, 2);
    CHECK_EQ(arp_count(r.st), 0);
    CHECK_EQ(r.tap.n, 3); /* no fourth request, no ICMP about our own datagrams */
    CHECK_EQ(S(r.st)->icmp_tx_msgs, 0);
    CHECK_EQ(nst_stack_next_deadline(r.st), NST_TIME_NEVER);
    rig_down(&r);
}

/* A router that cannot resolve the next hop tells the sender: host
 * unreachable (RFC 1812 4.3.3.1), from its interface toward the sender. */
static void test_router_arp_failure_icmp(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.forwarding = 1;
    struct nst_stack *st = nst_stack_new(&c);
    struct su_tap in, out;
    struct nst_mac m0 = su_mac(1), m1 = su_mac(2), sender = su_mac(9);
    CHECK_EQ(su_tap_attach(st, &in, &m0, NST_IP4(10, 1, 0, 1), 24, 0), 0);
    CHECK_EQ(su_tap_attach(st, &out, &m1, NST_IP4(10, 2, 0, 1), 24, 0), 1);
    CHECK_EQ(nst_arp_add_static(st, 0, NST_IP4(10, 1, 0, 9), &sender), 0);
    struct su_ip ip = {.eth_src = sender, .eth_dst = m0, .ttl = 9, .id = 77, .src = NST_IP4(10, 1, 0, 9),
                       .dst = NST_IP4(10, 2, 0, 9)};
    size_t n = su_build_udp(frame, &ip, 5000, 53, "hello", 5);
    su_tap_inject(&in, frame, n, T0);
    CHECK_EQ(S(st)->ip_forwarded, 1);
    CHECK_EQ(su_tap_count_arp(&out, NST_ARP_REQUEST), 1);
    for (int k = 1; k <= 3; k++)
        nst_stack_poll(st, T0 + NST_SEC(k));
    CHECK_EQ(su_tap_count_arp(&out, NST_ARP_REQUEST), 3);
    CHECK_EQ(S(st)->arp_resolve_failed, 1);
    CHECK_EQ(S(st)->ip_drop_arp_failed, 1);
    CHECK_EQ(in.n, 1);
    struct su_parsed pp;
    if (in.n < 1)
        goto out;
    CHECK_EQ(su_parse(in.v[0].data, in.v[0].len, &pp), 0);
    CHECK(pp.icmp_ok);
    CHECK_EQ(pp.icmp.type, NST_ICMP_DEST_UNREACH);
    CHECK_EQ(pp.icmp.code, NST_ICMP_HOST_UNREACH);
    CHECK_EQ(pp.ip.src, NST_IP4(10, 1, 0, 1));
    CHECK_EQ(pp.ip.dst, NST_IP4(10, 1, 0, 9));
    CHECK_EQ(in.v[0].at, T0 + NST_SEC(3));
    /* The quote: the forwarded header (TTL already 8) + 8 bytes. */
    CHECK_EQ(pp.icmp.data_len, 28);
    CHECK_EQ(pp.icmp.data[8], 8);
    CHECK_EQ(nst_get16(pp.icmp.data + 4), 77);
    CHECK_EQ(nst_get16(pp.icmp.data + 20), 5000);
out:
    nst_stack_free(st);
    su_tap_free(&in);
    su_tap_free(&out);
}

/* The same with the sender unresolved and room for one unresolved entry:
 * the error needs an entry for the sender, made by recycling the one that
 * just failed. The failed entry's packets were taken out first, so the
 * error waits for the sender's resolution instead of reading freed
 * memory. */
static void test_router_arp_failure_unresolved_sender(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.forwarding = 1;
    c.arp_incomplete_max = 1;
    struct nst_stack *st = nst_stack_new(&c);
    struct su_tap in, out;
    struct nst_mac m0 = su_mac(1), m1 = su_mac(2), sender = su_mac(9);
    CHECK_EQ(su_tap_attach(st, &in, &m0, NST_IP4(10, 1, 0, 1), 24, 0), 0);
    CHECK_EQ(su_tap_attach(st, &out, &m1, NST_IP4(10, 2, 0, 1), 24, 0), 1);
    struct su_ip ip = {.eth_src = sender, .eth_dst = m0, .ttl = 9, .id = 77, .src = NST_IP4(10, 1, 0, 9),
                       .dst = NST_IP4(10, 2, 0, 9)};
    su_tap_inject(&in, frame, su_build_udp(frame, &ip, 5000, 53, "hello", 5), T0);
    for (int k = 1; k <= 3; k++)
        nst_stack_poll(st, T0 + NST_SEC(k));
    CHECK_EQ(S(st)->arp_resolve_failed, 1);
    CHECK_EQ(S(st)->ip_drop_arp_failed, 1);
    /* The error's own request for the sender, on the sender's link. */
    CHECK_EQ(su_tap_count_arp(&in, NST_ARP_REQUEST), 1);
    nst_stack_free(st);
    su_tap_free(&in);
    su_tap_free(&out);
}

static void test_request_for_us_and_not(void)
{
    struct rig r;
    rig_up(&r, NULL);
    struct nst_mac zero = {{0}}, other = su_mac(3);
    /* A request for someone else: counted, no entry, no reply. */
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &r.peer, PEER, &zero, NST_IP4(10, 0, 0, 3), T0);
    CHECK_EQ(S(r.st)->arp_rx_requests, 1);
    CHECK_EQ(S(r.st)->arp_rx_not_for_us, 1);
    CHECK_EQ(arp_count(r.st), 0);
    CHECK_EQ(r.tap.n, 0);
    /* A request for us: a unicast reply, and the asker is learnt. */
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &r.peer, PEER, &zero, HOST, T0 + 1);
    CHECK_EQ(r.tap.n, 1);
    static const uint8_t want[42] = {
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2,
        0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 10, 0, 0, 2,
    };
    CHECK_EQ(r.tap.v[0].len, 60);
    CHECK_MEM(r.tap.v[0].data, want, 42);
    CHECK_EQ(S(r.st)->arp_tx_replies, 1);
    struct nst_arp_info e;
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.expires, T0 + 1 + NST_SEC(60));
    /* Any ARP from a known sender refreshes its entry (RFC 826 merge),
     * even one for somebody else. */
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &other, PEER, &zero, NST_IP4(10, 0, 0, 3), T0 + 2);
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_MEM(e.mac.b, other.b, 6);
    CHECK_EQ(e.expires, T0 + 2 + NST_SEC(60));
    CHECK_EQ(S(r.st)->arp_rx_not_for_us, 1); /* merged: not "not for us" */
    CHECK_EQ(S(r.st)->arp_cache_entries_added, 1);
    /* An unsolicited reply from a stranger is not cached. */
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &other, NST_IP4(10, 0, 0, 4), &r.tap.mac, NST_IP4(10, 0, 0, 5),
               T0 + 3);
    CHECK_EQ(arp_count(r.st), 1);
    CHECK_EQ(S(r.st)->arp_rx_not_for_us, 2);
    rig_down(&r);
}

static void test_gratuitous_updates_entry(void)
{
    struct rig r;
    rig_up(&r, NULL);
    struct nst_mac me = r.tap.mac, moved = su_mac(0x42), zero = {{0}};
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 1), 1);
    inject_arp(&r, NST_ARP_REPLY, &me, &r.peer, PEER, &me, HOST, T0);
    CHECK_EQ(r.tap.n, 2);
    /* PEER moves to another MAC and announces it (spa == tpa). */
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &moved, PEER, &zero, PEER, T0 + NST_SEC(10));
    CHECK_EQ(S(r.st)->arp_gratuitous_rx, 1);
    struct nst_arp_info e;
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_MEM(e.mac.b, moved.b, 6);
    CHECK_EQ(e.expires, T0 + NST_SEC(70));
    CHECK_EQ(r.tap.n, 2); /* no reply to a gratuitous ARP for someone else */
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 1), 1);
    CHECK_EQ(r.tap.n, 3);
    CHECK_MEM(r.tap.v[2].data, moved.b, 6);
    /* A gratuitous ARP about an address we never talked to adds nothing. */
    inject_arp(&r, NST_ARP_REPLY, &nst_mac_broadcast, &moved, NST_IP4(10, 0, 0, 50), &zero,
               NST_IP4(10, 0, 0, 50), T0 + NST_SEC(11));
    CHECK_EQ(S(r.st)->arp_gratuitous_rx, 2);
    CHECK_EQ(arp_count(r.st), 1);
    /* The old entry's expiry was replaced, not added to: it turns STALE at
     * T0+70s (and, unused, is forgotten 60 s later). */
    nst_stack_poll(r.st, T0 + NST_SEC(70) - 1);
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.state, NST_ARP_STATE_REACHABLE);
    nst_stack_poll(r.st, T0 + NST_SEC(70));
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.state, NST_ARP_STATE_STALE);
    nst_stack_poll(r.st, T0 + NST_SEC(130));
    CHECK_EQ(arp_count(r.st), 0);
    CHECK_EQ(S(r.st)->arp_cache_expired, 1);
    rig_down(&r);
}

static void test_address_conflict(void)
{
    struct rig r;
    rig_up(&r, NULL);
    struct nst_mac intruder = su_mac(0x66), zero = {{0}};
    /* Someone else announces our address. */
    inject_arp(&r, NST_ARP_REPLY, &nst_mac_broadcast, &intruder, HOST, &zero, HOST, T0);
    CHECK_EQ(S(r.st)->arp_address_conflicts, 1);
    CHECK_EQ(arp_count(r.st), 0); /* we never cache our own address */
    /* Someone asks for another host using our address as its sender. */
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &intruder, HOST, &zero, PEER, T0 + 1);
    CHECK_EQ(S(r.st)->arp_address_conflicts, 2);
    CHECK_EQ(arp_count(r.st), 0);
    /* Our own MAC with our address (a looped-back announcement) is no conflict. */
    struct nst_mac me = r.tap.mac;
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &me, HOST, &zero, HOST, T0 + 2);
    CHECK_EQ(S(r.st)->arp_address_conflicts, 2);
    rig_down(&r);
}

static void test_malformed(void)
{
    struct rig r;
    rig_up(&r, NULL);
    struct nst_mac zero = {{0}};
    size_t n = su_build_arp(frame, &r.peer, &nst_mac_broadcast, NST_ARP_REQUEST, &r.peer, PEER, &zero, HOST);
    uint8_t bad[64];
    /* 1. truncated: 27 bytes of ARP */
    su_tap_inject(&r.tap, frame, NST_ETH_HLEN + 27, T0);
    CHECK_EQ(S(r.st)->arp_rx_malformed, 1);
    /* 2. hardware type 6 (IEEE 802) */
    memcpy(bad, frame, n);
    bad[NST_ETH_HLEN + 1] = 6;
    su_tap_inject(&r.tap, bad, n, T0);
    CHECK_EQ(S(r.st)->arp_rx_malformed, 2);
    /* 3. hardware address length 8 */
    memcpy(bad, frame, n);
    bad[NST_ETH_HLEN + 4] = 8;
    su_tap_inject(&r.tap, bad, n, T0);
    CHECK_EQ(S(r.st)->arp_rx_malformed, 3);
    /* 4. opcode 3 (RARP request) */
    memcpy(bad, frame, n);
    bad[NST_ETH_HLEN + 7] = 3;
    su_tap_inject(&r.tap, bad, n, T0);
    CHECK_EQ(S(r.st)->arp_rx_malformed, 4);
    /* 5. protocol type 0x86dd */
    memcpy(bad, frame, n);
    bad[NST_ETH_HLEN + 2] = 0x86;
    bad[NST_ETH_HLEN + 3] = 0xdd;
    su_tap_inject(&r.tap, bad, n, T0);
    CHECK_EQ(S(r.st)->arp_rx_malformed, 5);
    /* 6. a multicast sender MAC (parses, but no host has one) */
    struct nst_mac mc = {{0x01, 0x00, 0x5e, 0, 0, 1}};
    n = su_build_arp(frame, &r.peer, &nst_mac_broadcast, NST_ARP_REQUEST, &mc, PEER, &zero, HOST);
    su_tap_inject(&r.tap, frame, n, T0);
    CHECK_EQ(S(r.st)->arp_rx_malformed, 6);
    CHECK_EQ(S(r.st)->arp_rx_requests, 1); /* only the last one parsed */
    /* 7. a frame too short for Ethernet */
    su_tap_inject(&r.tap, frame, 13, T0);
    CHECK_EQ(S(r.st)->link_rx_runt, 1);
    /* Nothing was learnt, nothing answered. */
    CHECK_EQ(arp_count(r.st), 0);
    CHECK_EQ(r.tap.n, 0);
    CHECK_EQ(S(r.st)->arp_tx_replies, 0);
    rig_down(&r);
}

static void test_static_entries(void)
{
    struct rig r;
    rig_up(&r, NULL);
    struct nst_mac fixed = su_mac(0x77), moved = su_mac(0x78), zero = {{0}};
    CHECK_EQ(nst_arp_add_static(r.st, r.tap.ifindex, PEER, &fixed), 0);
    CHECK_EQ(nst_arp_add_static(r.st, 5, PEER, &fixed), -EINVAL);
    CHECK_EQ(nst_arp_add_static(r.st, r.tap.ifindex, 0, &fixed), -EINVAL);
    struct nst_arp_info e;
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.resolved, 1);
    CHECK_EQ(e.expires, NST_TIME_NEVER);
    CHECK_EQ(nst_stack_next_deadline(r.st), NST_TIME_NEVER);
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 1), 1);
    CHECK_EQ(r.tap.n, 1); /* no request */
    CHECK_MEM(r.tap.v[0].data, fixed.b, 6);
    /* Neither a gratuitous ARP nor a reply overwrites it. */
    inject_arp(&r, NST_ARP_REQUEST, &nst_mac_broadcast, &moved, PEER, &zero, PEER, T0 + 1);
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &moved, PEER, &r.tap.mac, HOST, T0 + 2);
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_MEM(e.mac.b, fixed.b, 6);
    /* Ten days later it is still there. */
    nst_stack_poll(r.st, NST_SEC(864000));
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(S(r.st)->arp_cache_expired, 0);
    /* A static entry set while a resolution is pending releases the queue. */
    CHECK_EQ(send_udp(r.st, r.fd, NST_IP4(10, 0, 0, 3), 7, 3), 3);
    CHECK_EQ(send_udp(r.st, r.fd, NST_IP4(10, 0, 0, 3), 7, 4), 4);
    size_t before = r.tap.n;
    CHECK_EQ(nst_arp_add_static(r.st, r.tap.ifindex, NST_IP4(10, 0, 0, 3), &moved), 0);
    CHECK_EQ(r.tap.n, before + 2);
    CHECK_MEM(r.tap.v[before].data, moved.b, 6);
    /* ... and its retry timer is gone. */
    CHECK_EQ(nst_stack_next_deadline(r.st), NST_TIME_NEVER);
    rig_down(&r);
}

/* The two bounds: unresolved entries (arp_incomplete_max, the oldest
 * recycled, its queued datagram failing), resolved ones (arp_table_max,
 * the one closest to its end going). */
static void test_table_bound(void)
{
    struct rig r;
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.arp_table_max = 2;
    c.arp_incomplete_max = 3;
    rig_up(&r, &c);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(send_udp(r.st, r.fd, NST_IP4(10, 0, 0, 10 + i), 7, 1), 1);
    CHECK_EQ(arp_count(r.st), 3);
    CHECK_EQ(send_udp(r.st, r.fd, NST_IP4(10, 0, 0, 13), 7, 1), 1);
    CHECK_EQ(S(r.st)->arp_incomplete_evicted, 1);
    CHECK_EQ(S(r.st)->ip_drop_arp_failed, 1);
    CHECK_EQ(arp_count(r.st), 3);
    struct nst_arp_info e;
    CHECK(!arp_entry(r.st, NST_IP4(10, 0, 0, 10), &e));
    /* Resolve .11 then .12 (so .11 ends first), then .13: one too many. */
    struct nst_mac m11 = su_mac(11), m12 = su_mac(12), m13 = su_mac(13);
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &m11, NST_IP4(10, 0, 0, 11), &r.tap.mac, HOST, T0 + 1);
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &m12, NST_IP4(10, 0, 0, 12), &r.tap.mac, HOST, T0 + 2);
    CHECK_EQ(S(r.st)->arp_table_full, 0);
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &m13, NST_IP4(10, 0, 0, 13), &r.tap.mac, HOST, T0 + 3);
    CHECK_EQ(S(r.st)->arp_table_full, 1);
    CHECK(!arp_entry(r.st, NST_IP4(10, 0, 0, 11), &e));
    CHECK(arp_entry(r.st, NST_IP4(10, 0, 0, 12), &e));
    CHECK(arp_entry(r.st, NST_IP4(10, 0, 0, 13), &e));
    CHECK_EQ(e.state, NST_ARP_STATE_REACHABLE);
    CHECK_EQ(arp_count(r.st), 2);
    CHECK_EQ(S(r.st)->udp_tx_datagrams, 4);
    rig_down(&r);
}

/* A busy flow keeps its neighbour without a pause (RFC 1122 2.3.2.1 unicast
 * poll). Three datagrams every 10 ms to PEER for 200 s, the test answering
 * every ARP request 1 ms after it left, and a queue of one datagram for an
 * unresolved neighbour (so any wait for ARP would lose datagrams): after
 * the first resolution every datagram leaves the instant it is sent,
 * addressed to PEER's MAC; each time the entry turns STALE (60 s after the
 * last answer) the next datagram sends exactly one unicast probe, and its
 * answer makes the entry REACHABLE again. Then PEER falls silent: three
 * unicast probes 1 s apart, the entry is deleted, the next datagram asks by
 * broadcast. */
static int answer_requests(struct rig *r, size_t from, nst_time_t *probe_at, int *nprobes, int reply)
{
    int broadcasts = 0;
    for (size_t i = from; i < r->tap.n; i++) {
        struct su_parsed p;
        CHECK_EQ(su_parse(r->tap.v[i].data, r->tap.v[i].len, &p), 0);
        if (!p.is_arp)
            continue;
        CHECK_EQ(p.arp.op, NST_ARP_REQUEST);
        CHECK_EQ(p.arp.tpa, PEER);
        if (nst_mac_eq(&p.eth.dst, &nst_mac_broadcast))
            broadcasts++;
        else {
            CHECK_MEM(p.eth.dst.b, r->peer.b, 6);
            probe_at[(*nprobes)++] = r->tap.v[i].at;
        }
        if (reply)
            inject_arp(r, NST_ARP_REPLY, &r->tap.mac, &r->peer, PEER, &r->tap.mac, HOST,
                       r->tap.v[i].at + NST_MSEC(1));
    }
    return broadcasts;
}

/* Sends n datagrams at t; every IPv4 frame since `from` must have left at
 * once toward PEER's MAC. Returns how many did. */
static size_t send_burst(struct rig *r, int n, nst_time_t t)
{
    size_t from = r->tap.n, ip = 0;
    nst_stack_poll(r->st, t);
    for (int k = 0; k < n; k++)
        CHECK_EQ(send_udp(r->st, r->fd, PEER, 7, 10), 10);
    for (size_t i = from; i < r->tap.n; i++) {
        struct su_parsed p;
        CHECK_EQ(su_parse(r->tap.v[i].data, r->tap.v[i].len, &p), 0);
        if (p.is_arp)
            continue;
        CHECK_MEM(p.eth.dst.b, r->peer.b, 6);
        CHECK_EQ(r->tap.v[i].at, t);
        ip++;
    }
    return ip;
}

static void test_busy_flow_unicast_poll(void)
{
    struct rig r;
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.arp_queue_max = 1;
    rig_up(&r, &c);
    nst_time_t probe_at[16];
    int nprobes = 0;
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 10), 10);
    CHECK_EQ(answer_requests(&r, 0, probe_at, &nprobes, 1), 1);
    CHECK_EQ(su_tap_count_ip(&r.tap, 0), 1); /* flushed at T0 + 1 ms */
    su_tap_clear(&r.tap);
    size_t delivered = 0, ticks = 0;
    for (nst_time_t t = T0 + NST_MSEC(10); t < T0 + NST_SEC(200); t += NST_MSEC(10), ticks++) {
        delivered += send_burst(&r, 3, t);
        CHECK_EQ(answer_requests(&r, 0, probe_at, &nprobes, 1), 0);
        su_tap_clear(&r.tap);
    }
    CHECK_EQ(delivered, 3 * ticks);
    CHECK_EQ(nprobes, 3);
    /* Confirmed at T0+1ms; stale 60 s later; the next tick's datagram
     * probes; its answer 1 ms later starts the next 60 s. */
    CHECK_EQ(probe_at[0], T0 + NST_SEC(60) + NST_MSEC(10));
    CHECK_EQ(probe_at[1], T0 + NST_SEC(120) + NST_MSEC(20));
    CHECK_EQ(probe_at[2], T0 + NST_SEC(180) + NST_MSEC(30));
    CHECK_EQ(S(r.st)->arp_tx_probes, 3);
    CHECK_EQ(S(r.st)->arp_probe_confirmed, 3);
    CHECK_EQ(S(r.st)->arp_tx_requests, 4);
    CHECK_EQ(S(r.st)->arp_cache_expired, 0);
    CHECK_EQ(S(r.st)->arp_probe_failed, 0);
    CHECK_EQ(S(r.st)->arp_queue_drops, 0);
    CHECK_EQ(S(r.st)->ip_drop_arp_failed, 0);
    CHECK_EQ(S(r.st)->arp_cache_entries_added, 1);

    /* PEER falls silent. Stale at T0+240.031s; probes at the next tick
     * and 1 s, 2 s after it, datagrams still flowing; deleted at 3 s. */
    nst_time_t stale = T0 + NST_SEC(240) + NST_MSEC(31), tick = T0 + NST_SEC(240) + NST_MSEC(40);
    struct nst_arp_info e;
    for (nst_time_t t = T0 + NST_SEC(200); t < tick + NST_SEC(3); t += NST_MSEC(10)) {
        if (t == stale - NST_MSEC(1)) {
            CHECK(arp_entry(r.st, PEER, &e));
            CHECK_EQ(e.state, NST_ARP_STATE_REACHABLE);
        }
        CHECK_EQ(send_burst(&r, 1, t), 1);
        CHECK_EQ(answer_requests(&r, 0, probe_at, &nprobes, 0), 0);
        su_tap_clear(&r.tap);
        if (t == tick) {
            CHECK(arp_entry(r.st, PEER, &e));
            CHECK_EQ(e.state, NST_ARP_STATE_PROBE);
        }
    }
    CHECK_EQ(nprobes, 6);
    CHECK_EQ(probe_at[3], tick);
    CHECK_EQ(probe_at[4], tick + NST_SEC(1));
    CHECK_EQ(probe_at[5], tick + NST_SEC(2));
    CHECK_EQ(S(r.st)->arp_probe_failed, 0);
    nst_stack_poll(r.st, tick + NST_SEC(3));
    CHECK_EQ(S(r.st)->arp_probe_failed, 1);
    CHECK_EQ(arp_count(r.st), 0);
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 10), 10);
    CHECK_EQ(answer_requests(&r, 0, probe_at, &nprobes, 0), 1);
    CHECK_EQ(su_tap_count_ip(&r.tap, 0), 0); /* queued, waiting for the answer */
    rig_down(&r);
}

/* A flood toward on-link addresses that nobody answers for (what spoofed
 * sources or a scan make a host or router ask about) recycles only the
 * unresolved entries: the resolved neighbour stays, and the gateway,
 * needed in the middle of the flood, is asked for, kept while the flood
 * goes on, and resolved. */
#define GW NST_IP4(10, 0, 255, 254)
#define FAR_HOST NST_IP4(192, 0, 2, 1)
#define FLOOD 400

static void flood(struct rig *r, nst_time_t t)
{
    nst_stack_poll(r->st, t);
    for (int i = 0; i < FLOOD; i++)
        CHECK_EQ(send_udp(r->st, r->fd, NST_IP4(10, 0, 1 + i / 200, 1 + i % 200), 7, 1), 1);
}

static void test_unresolved_flood_spares_gateway(void)
{
    struct rig r;
    r.st = su_tap_host(NULL, &r.tap, HOST, 16);
    CHECK(r.st != NULL);
    r.peer = su_mac(2);
    nst_stack_poll(r.st, T0);
    r.fd = su_udp_bound(r.st, 0, 1000);
    CHECK_EQ(nst_route_add(r.st, 0, 0, GW, 0, 0), 0);
    CHECK_EQ(send_udp(r.st, r.fd, PEER, 7, 1), 1);
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &r.peer, PEER, &r.tap.mac, HOST, T0 + 1);

    flood(&r, T0 + NST_MSEC(1));
    CHECK_EQ(S(r.st)->arp_incomplete_evicted, FLOOD - 64);
    CHECK_EQ(S(r.st)->ip_drop_arp_failed, FLOOD - 64);
    CHECK_EQ(arp_count(r.st), 1 + 64);
    /* The gateway is needed: asked for at once. */
    su_tap_clear(&r.tap);
    CHECK_EQ(send_udp(r.st, r.fd, FAR_HOST, 53, 5), 5);
    CHECK_EQ(su_tap_count_arp(&r.tap, NST_ARP_REQUEST), 1);
    struct su_parsed p;
    CHECK_EQ(su_parse(r.tap.v[0].data, r.tap.v[0].len, &p), 0);
    CHECK_EQ(p.arp.tpa, GW);
    /* More flood: the gateway's entry (and its datagram) stay. */
    flood(&r, T0 + NST_MSEC(2));
    CHECK_EQ(S(r.st)->arp_incomplete_evicted, 2 * FLOOD - 64 + 1);
    struct nst_arp_info e;
    CHECK(arp_entry(r.st, GW, &e));
    CHECK_EQ(e.queued, 1);
    struct nst_mac gw_mac = su_mac(0xfe);
    su_tap_clear(&r.tap);
    inject_arp(&r, NST_ARP_REPLY, &r.tap.mac, &gw_mac, GW, &r.tap.mac, HOST, T0 + NST_MSEC(3));
    CHECK_EQ(r.tap.n, 1);
    CHECK_EQ(su_parse(r.tap.v[0].data, r.tap.v[0].len, &p), 0);
    CHECK(p.is_ip);
    CHECK_EQ(p.ip.dst, FAR_HOST);
    CHECK_MEM(p.eth.dst.b, gw_mac.b, 6);
    /* The neighbour resolved before the flood never left. */
    CHECK(arp_entry(r.st, PEER, &e));
    CHECK_EQ(e.state, NST_ARP_STATE_REACHABLE);
    CHECK_EQ(S(r.st)->arp_table_full, 0);
    rig_down(&r);
}

int main(void)
{
    RUN(test_request_reply_on_link);
    RUN(test_request_bytes_and_reply_flush);
    RUN(test_resolution_failure_times);
    RUN(test_router_arp_failure_icmp);
    RUN(test_router_arp_failure_unresolved_sender);
    RUN(test_request_for_us_and_not);
    RUN(test_gratuitous_updates_entry);
    RUN(test_address_conflict);
    RUN(test_malformed);
    RUN(test_static_entries);
    RUN(test_table_bound);
    RUN(test_busy_flow_unicast_poll);
    RUN(test_unresolved_flood_spares_gateway);
    return nst_test_done();
}
