/* Martian address filtering on the forwarding path (RFC 1812 5.3.7,
 * 4.2.2.11; RFC 1122 3.2.1.3): a router with two links and a default
 * route out of the second, so that anything it does not refuse leaves
 * there. Datagrams with a source or destination that names no single
 * reachable host are injected on the first link; each must move exactly
 * one drop counter by one (the stats are diffed whole), leave on neither
 * link, and draw no ICMP error (RFC 1812 4.3.2.7). A valid datagram is
 * still forwarded. Then the filter on its own (nst_ipv4_forward called
 * directly) for the martians the input path already refuses before
 * forwarding is reached. */
#include <nstack/nstack.h>

#include "core/stack_impl.h"
#include "support/sim_util.h"
#include "test.h"

#define T0 NST_SEC(5)
#define R_IF0 NST_IP4(10, 1, 0, 1)
#define R_IF1 NST_IP4(10, 2, 0, 1)
#define SENDER NST_IP4(10, 1, 0, 9)
#define GW NST_IP4(10, 2, 0, 9)     /* the next hop of the default route */
#define REMOTE NST_IP4(192, 0, 2, 7) /* reached through GW */

static uint8_t frame[SU_FRAME_MAX];

struct router {
    struct nst_stack *st;
    struct su_tap t[2];
    struct nst_mac nb[2]; /* the neighbour on each link */
};

static void router_up(struct router *r, int default_route)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.forwarding = 1;
    r->st = nst_stack_new(&c);
    const nst_ip4_t addr[2] = {R_IF0, R_IF1};
    const nst_ip4_t nb[2] = {SENDER, GW};
    for (int i = 0; i < 2; i++) {
        struct nst_mac m = su_mac((uint8_t)(1 + i));
        CHECK_EQ(su_tap_attach(r->st, &r->t[i], &m, addr[i], 24, 1500), i);
        r->nb[i] = su_mac((uint8_t)(0x10 + i));
        CHECK_EQ(nst_arp_add_static(r->st, i, nb[i], &r->nb[i]), 0);
    }
    if (default_route)
        CHECK_EQ(nst_route_add(r->st, 0, 0, GW, 1, 0), 0);
    nst_stack_poll(r->st, T0);
}

static void router_down(struct router *r)
{
    nst_stack_free(r->st);
    for (int i = 0; i < 2; i++)
        su_tap_free(&r->t[i]);
}

/* ---- every counter that moved, and by how much -------------------------------- */

#define MAX_COUNTERS 512

struct snap {
    int n;
    const char *layer[MAX_COUNTERS], *name[MAX_COUNTERS];
    uint64_t v[MAX_COUNTERS];
};

static void snap_one(void *arg, const char *layer, const char *name, uint64_t value)
{
    struct snap *s = arg;
    if (s->n < MAX_COUNTERS) {
        s->layer[s->n] = layer;
        s->name[s->n] = name;
        s->v[s->n] = value;
    }
    s->n++;
}

static void snap_take(struct nst_stack *st, struct snap *s)
{
    s->n = 0;
    nst_stats_foreach(nst_stack_stats(st), snap_one, s);
}

/* "layer.name+delta ..." for every counter that changed, in declaration
 * order. */
static const char *snap_diff(const struct snap *a, const struct snap *b, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < a->n && i < b->n && i < MAX_COUNTERS; i++) {
        if (a->v[i] == b->v[i])
            continue;
        int k = snprintf(buf + o, cap - o, "%s%s.%s+%lld", o ? " " : "", a->layer[i], a->name[i],
                         (long long)(b->v[i] - a->v[i]));
        if (k < 0 || (size_t)k >= cap - o)
            break;
        o += (size_t)k;
    }
    return buf;
}

#define CHECK_STR(a, b)                                                                              \
    do {                                                                                             \
        const char *_x = (a), *_y = (b);                                                             \
        nst_test_checks++;                                                                           \
        if (strcmp(_x, _y) != 0) {                                                                   \
            nst_test_failures++;                                                                     \
            fprintf(stderr, "%s:%d: CHECK_STR failed:\n  got  \"%s\"\n  want \"%s\"\n", __FILE__, __LINE__, \
                    _x, _y);                                                                         \
        }                                                                                            \
    } while (0)

/* ---- through the whole input path ------------------------------------------- */

/* A UDP datagram src -> dst with this TTL, from the sender's link. */
static size_t udp_from_sender(const struct router *r, nst_ip4_t src, nst_ip4_t dst, uint8_t ttl)
{
    struct su_ip ip = {.eth_src = r->nb[0], .eth_dst = r->t[0].mac, .ttl = ttl, .id = 0x4242, .src = src,
                       .dst = dst};
    return su_build_udp(frame, &ip, 4000, 53, "martian", 7);
}

/* Injects src -> dst on link 0 and checks that exactly `ip_counters`
 * moved (besides link.rx_frames/rx_bytes and ip.rx_packets, which every
 * received frame moves) and nothing left on either link. */
static void expect_refused(struct router *r, nst_ip4_t src, nst_ip4_t dst, uint8_t ttl, const char *ip_counters)
{
    struct snap before, after;
    char got[1024], want[1024];
    size_t n = udp_from_sender(r, src, dst, ttl);
    snap_take(r->st, &before);
    su_tap_inject(&r->t[0], frame, n, T0);
    snap_take(r->st, &after);
    snprintf(want, sizeof want, "link.rx_frames+1 link.rx_bytes+%zu ip.rx_packets+1%s%s", n, *ip_counters ? " " : "",
             ip_counters);
    CHECK_STR(snap_diff(&before, &after, got, sizeof got), want);
    CHECK_EQ(r->t[0].n, 0); /* no ICMP error back to the sender */
    CHECK_EQ(r->t[1].n, 0); /* nothing forwarded */
    su_tap_clear(&r->t[0]);
    su_tap_clear(&r->t[1]);
}

/* Sources that name no single host, with a destination that would be
 * forwarded through the default route otherwise. */
static void test_bad_sources_not_forwarded(void)
{
    struct router r;
    router_up(&r, 1);
    /* RFC 1122 3.2.1.3 (a)/(b), RFC 1812 5.3.7: network 0, this host or a
     * host on this network, is a source only while a host boots. */
    expect_refused(&r, 0, REMOTE, 64, "ip.drop_martian_src_zero+1");
    expect_refused(&r, NST_IP4(0, 1, 2, 3), REMOTE, 64, "ip.drop_martian_src_zero+1");
    /* Also when the TTL runs out here: no Time Exceeded goes to 0.0.0.0. */
    expect_refused(&r, 0, REMOTE, 1, "ip.drop_martian_src_zero+1");
    /* Loopback, multicast, class E and limited broadcast sources are
     * already refused by IPv4 input (RFC 1122 3.2.1.3), before routing. */
    expect_refused(&r, NST_IP4(127, 0, 0, 1), REMOTE, 64, "ip.drop_bad_source+1");
    expect_refused(&r, NST_IP4(127, 9, 8, 7), REMOTE, 64, "ip.drop_bad_source+1");
    expect_refused(&r, NST_IP4(224, 0, 0, 5), REMOTE, 64, "ip.drop_bad_source+1");
    expect_refused(&r, NST_IP4(240, 0, 0, 1), REMOTE, 64, "ip.drop_bad_source+1");
    expect_refused(&r, 0xffffffffu, REMOTE, 64, "ip.drop_bad_source+1");
    CHECK_EQ(nst_stack_stats(r.st)->ip_forwarded, 0);
    CHECK_EQ(nst_stack_stats(r.st)->icmp_tx_msgs, 0);
    /* `netstat -s` says it in words, under Ip. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK_EQ(nst_inspect_run(r.st, "netstat -s", f), 0);
    fclose(f);
    CHECK(strstr(text, "\nIp:\n") != NULL);
    CHECK(strstr(text, "\n    3 not forwarded: martian source on network 0 [drop_martian_src_zero]\n") != NULL);
    CHECK(strstr(text, "\n    0 not forwarded: martian destination on network 127 [drop_martian_dst_loopback]\n") !=
          NULL);
    free(text);
    router_down(&r);
}

static void test_bad_destinations_not_forwarded(void)
{
    struct router r;
    router_up(&r, 1);
    /* RFC 1812 5.3.7: never forward to network 0 or to network 127 (which
     * the default route would otherwise match). */
    expect_refused(&r, SENDER, NST_IP4(0, 1, 2, 3), 64, "ip.drop_martian_dst_zero+1");
    expect_refused(&r, SENDER, NST_IP4(127, 0, 0, 1), 64, "ip.drop_martian_dst_loopback+1");
    expect_refused(&r, SENDER, NST_IP4(127, 255, 255, 254), 64, "ip.drop_martian_dst_loopback+1");
    /* Refused before the TTL is looked at: no Time Exceeded either. */
    expect_refused(&r, SENDER, NST_IP4(127, 0, 0, 1), 1, "ip.drop_martian_dst_loopback+1");
    /* 0.0.0.0, multicast and class E are refused by IPv4 input as
     * addressed to nobody here; 255.255.255.255 is received by the router
     * itself (nothing listens on port 53: no error about a broadcast). */
    expect_refused(&r, SENDER, 0, 64, "ip.drop_not_for_us+1");
    expect_refused(&r, SENDER, NST_IP4(224, 0, 0, 9), 64, "ip.drop_not_for_us+1");
    expect_refused(&r, SENDER, NST_IP4(240, 0, 0, 1), 64, "ip.drop_not_for_us+1");
    expect_refused(&r, SENDER, 0xffffffffu, 64, "ip.rx_delivered+1 udp.rx_datagrams+1 udp.rx_no_port+1");
    CHECK_EQ(nst_stack_stats(r.st)->ip_forwarded, 0);
    CHECK_EQ(nst_stack_stats(r.st)->icmp_tx_msgs, 0);
    router_down(&r);
}

/* Without a route to them, a martian destination still draws no
 * Destination Unreachable: it is refused before the route lookup. */
static void test_bad_destination_no_route_no_icmp(void)
{
    struct router r;
    router_up(&r, 0);
    expect_refused(&r, SENDER, NST_IP4(127, 0, 0, 1), 64, "ip.drop_martian_dst_loopback+1");
    expect_refused(&r, SENDER, NST_IP4(0, 0, 0, 1), 64, "ip.drop_martian_dst_zero+1");
    /* A plain unroutable destination does get one (the control case). */
    struct snap before, after;
    char got[1024], want[1024];
    size_t n = udp_from_sender(&r, SENDER, REMOTE, 64);
    snap_take(r.st, &before);
    su_tap_inject(&r.t[0], frame, n, T0);
    snap_take(r.st, &after);
    snprintf(want, sizeof want,
             "link.rx_frames+1 link.tx_frames+1 link.rx_bytes+%zu link.tx_bytes+%zu ip.rx_packets+1 "
             "ip.tx_packets+1 ip.drop_no_route+1 icmp.tx_msgs+1 icmp.tx_dest_unreach+1",
             n, (size_t)(14 + 20 + 8 + 28)); /* the quote: header + 8 bytes */
    CHECK_STR(snap_diff(&before, &after, got, sizeof got), want);
    CHECK_EQ(r.t[0].n, 1);
    router_down(&r);
}

/* The same router forwards a valid datagram, TTL one less, to the gateway. */
static void test_valid_datagram_forwarded(void)
{
    struct router r;
    router_up(&r, 1);
    struct snap before, after;
    char got[1024], want[1024];
    size_t n = udp_from_sender(&r, SENDER, REMOTE, 64);
    snap_take(r.st, &before);
    su_tap_inject(&r.t[0], frame, n, T0);
    snap_take(r.st, &after);
    snprintf(want, sizeof want,
             "link.rx_frames+1 link.tx_frames+1 link.rx_bytes+%zu link.tx_bytes+%zu ip.rx_packets+1 "
             "ip.forwarded+1",
             n, n);
    CHECK_STR(snap_diff(&before, &after, got, sizeof got), want);
    CHECK_EQ(r.t[0].n, 0);
    CHECK_EQ(r.t[1].n, 1);
    if (r.t[1].n == 1) {
        struct su_parsed p;
        CHECK_EQ(su_parse(r.t[1].v[0].data, r.t[1].v[0].len, &p), 0);
        CHECK_EQ(p.ip.src, SENDER);
        CHECK_EQ(p.ip.dst, REMOTE);
        CHECK_EQ(p.ip.ttl, 63);
        CHECK_MEM(p.eth.dst.b, r.nb[1].b, 6);
        CHECK(p.udp_ok);
    }
    /* Addresses right next to networks 0, 127 and 224 are ordinary. */
    n = udp_from_sender(&r, NST_IP4(1, 0, 0, 0), NST_IP4(126, 255, 255, 255), 64);
    su_tap_inject(&r.t[0], frame, n, T0);
    n = udp_from_sender(&r, NST_IP4(128, 0, 0, 0), NST_IP4(223, 255, 255, 255), 64);
    su_tap_inject(&r.t[0], frame, n, T0);
    CHECK_EQ(r.t[1].n, 3);
    CHECK_EQ(nst_stack_stats(r.st)->ip_forwarded, 3);
    router_down(&r);
}

/* ---- the filter on its own ---------------------------------------------------- */

/* Calls the forwarding path directly with src -> dst (ttl 64), as if IPv4
 * input had let it through, and checks that exactly `ip_counter` moved. */
static void expect_forward_refuses(struct router *r, nst_ip4_t src, nst_ip4_t dst, const char *ip_counter)
{
    struct snap before, after;
    char got[1024];
    size_t n = udp_from_sender(r, src, dst, 64);
    const uint8_t *pkt = su_ip_hdr(frame);
    struct nst_ipv4_repr h;
    CHECK(nst_ipv4_parse(pkt, n - NST_ETH_HLEN, &h, 1) > 0);
    snap_take(r->st, &before);
    nst_ipv4_forward(r->st, 0, &h, pkt, h.total_len);
    snap_take(r->st, &after);
    CHECK_STR(snap_diff(&before, &after, got, sizeof got), ip_counter);
    CHECK_EQ(r->t[0].n + r->t[1].n, 0);
}

static void test_forward_filter_alone(void)
{
    struct router r;
    router_up(&r, 1);
    expect_forward_refuses(&r, NST_IP4(127, 0, 0, 1), REMOTE, "ip.drop_martian_src_loopback+1");
    expect_forward_refuses(&r, NST_IP4(224, 0, 0, 5), REMOTE, "ip.drop_martian_src_not_unicast+1");
    expect_forward_refuses(&r, NST_IP4(239, 255, 255, 255), REMOTE, "ip.drop_martian_src_not_unicast+1");
    expect_forward_refuses(&r, NST_IP4(240, 0, 0, 1), REMOTE, "ip.drop_martian_src_not_unicast+1");
    expect_forward_refuses(&r, 0xffffffffu, REMOTE, "ip.drop_martian_src_not_unicast+1");
    expect_forward_refuses(&r, SENDER, 0, "ip.drop_martian_dst_zero+1");
    expect_forward_refuses(&r, SENDER, 0xffffffffu, "ip.drop_martian_dst_not_unicast+1");
    expect_forward_refuses(&r, SENDER, NST_IP4(224, 0, 0, 9), "ip.drop_martian_dst_not_unicast+1");
    expect_forward_refuses(&r, SENDER, NST_IP4(240, 0, 0, 1), "ip.drop_martian_dst_not_unicast+1");
    /* A bad source is the reason given when both are bad. */
    expect_forward_refuses(&r, 0, NST_IP4(127, 0, 0, 1), "ip.drop_martian_src_zero+1");
    /* And a valid pair goes through this same call. */
    struct snap before, after;
    char got[1024];
    size_t n = udp_from_sender(&r, SENDER, REMOTE, 64);
    struct nst_ipv4_repr h;
    CHECK(nst_ipv4_parse(su_ip_hdr(frame), n - NST_ETH_HLEN, &h, 1) > 0);
    snap_take(r.st, &before);
    nst_ipv4_forward(r.st, 0, &h, su_ip_hdr(frame), h.total_len);
    snap_take(r.st, &after);
    char want[256];
    snprintf(want, sizeof want, "link.tx_frames+1 link.tx_bytes+%zu ip.forwarded+1", n);
    CHECK_STR(snap_diff(&before, &after, got, sizeof got), want);
    CHECK_EQ(r.t[1].n, 1);
    router_down(&r);
}

int main(void)
{
    RUN(test_bad_sources_not_forwarded);
    RUN(test_bad_destinations_not_forwarded);
    RUN(test_bad_destination_no_route_no_icmp);
    RUN(test_valid_datagram_forwarded);
    RUN(test_forward_filter_alone);
    return nst_test_done();
}
