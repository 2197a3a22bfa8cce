/* The simulated link, measured with UDP between two hosts: exact virtual
 * arrival times (latency, serialisation, ARP's round trip), exact tail
 * drops, impairment counts that agree with what the receiver got and with
 * its checksum counters, jitter that never reorders, and runs that repeat
 * byte for byte with a seed (checked on the pcap, and by tshark). */
#include <errno.h>
#include <nstack/nstack.h>

#include "test.h"

#define A_ADDR NST_IP4(10, 0, 0, 1)
#define B_ADDR NST_IP4(10, 0, 0, 2)
/* Ports no tshark dissector claims, so captures decode as plain UDP data. */
#define A_PORT 41000
#define B_PORT 42000
/* Ethernet 14 + IPv4 20 + UDP 8 */
#define FRAME_OVERHEAD 42
#define T0 NST_SEC(2) /* measurements start here, after the ARP warm-up */
#define MAX_RX 4096

/* A datagram's first bytes: its sequence number and when it was sent; the
 * rest is a pattern derived from the sequence, so damage is visible. */
struct dgram_hdr {
    uint32_t seq;
    uint32_t pad;
    nst_time_t sent;
};

struct rx_log {
    int n;
    uint32_t seq[MAX_RX];
    nst_time_t sent[MAX_RX];
    nst_time_t at[MAX_RX];
    int damaged; /* datagrams whose payload was not what was sent */
};

struct pair {
    struct nst_world *w;
    struct nst_stack *a, *b;
    struct nst_sim_link *l;
    int fa, fb;
    int echo;           /* b sends every datagram it gets back to a */
    struct rx_log rx_b; /* what b received */
    struct rx_log rx_a; /* what a received (echoes) */
};

static uint8_t pattern_byte(uint32_t seq, size_t i) { return (uint8_t)(seq * 31 + i); }

static size_t make_dgram(uint8_t *buf, size_t len, uint32_t seq, nst_time_t sent)
{
    struct dgram_hdr h = {seq, 0, sent};
    memcpy(buf, &h, sizeof h);
    for (size_t i = sizeof h; i < len; i++)
        buf[i] = pattern_byte(seq, i);
    return len;
}

static int dgram_intact(const uint8_t *buf, size_t len, uint32_t seq)
{
    for (size_t i = sizeof(struct dgram_hdr); i < len; i++)
        if (buf[i] != pattern_byte(seq, i))
            return 0;
    return 1;
}

static void host_config(struct nst_stack_config *c)
{
    nst_stack_config_default(c);
    /* No ARP refresh in the middle of a measurement. */
    c->arp_entry_ttl = NST_SEC(3600);
    c->udp_rcvbuf = 8u << 20;
}

static int open_bound(struct nst_stack *st, nst_ip4_t addr, uint16_t port)
{
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    CHECK(fd >= 0);
    struct nst_sockaddr sa = {addr, port};
    CHECK_EQ(nst_bind(st, fd, &sa), 0);
    return fd;
}

static int pair_init(struct pair *p, uint64_t seed, const struct nst_link_params *lp)
{
    memset(p, 0, sizeof *p);
    struct nst_stack_config c;
    host_config(&c);
    p->w = nst_world_new(seed);
    CHECK(p->w != NULL);
    if (!p->w)
        return -1;
    p->a = nst_world_add_host(p->w, "a", &c);
    p->b = nst_world_add_host(p->w, "b", &c);
    CHECK(p->a != NULL && p->b != NULL);
    if (!p->a || !p->b)
        return -1;
    p->l = nst_world_connect(p->w, p->a, A_ADDR, 24, p->b, B_ADDR, 24, lp);
    CHECK(p->l != NULL);
    if (!p->l)
        return -1;
    p->fa = open_bound(p->a, A_ADDR, A_PORT);
    p->fb = open_bound(p->b, B_ADDR, B_PORT);
    return 0;
}

static void send_dgram(struct pair *p, int from_a, uint32_t seq, size_t len)
{
    uint8_t buf[2048];
    make_dgram(buf, len, seq, nst_world_now(p->w));
    struct nst_sockaddr to = from_a ? (struct nst_sockaddr){B_ADDR, B_PORT} : (struct nst_sockaddr){A_ADDR, A_PORT};
    ssize_t n = nst_sendto(from_a ? p->a : p->b, from_a ? p->fa : p->fb, buf, len, 0, &to);
    CHECK_EQ(n, (ssize_t)len);
}

/* Reads everything queued on one host, logging when it arrived. */
static void drain(struct pair *p, int at_b)
{
    struct nst_stack *st = at_b ? p->b : p->a;
    int fd = at_b ? p->fb : p->fa;
    struct rx_log *log = at_b ? &p->rx_b : &p->rx_a;
    uint8_t buf[2048];
    struct nst_sockaddr from;
    ssize_t n;
    while ((n = nst_recvfrom(st, fd, buf, sizeof buf, 0, &from)) >= 0) {
        CHECK(n >= (ssize_t)sizeof(struct dgram_hdr));
        if (n < (ssize_t)sizeof(struct dgram_hdr))
            continue;
        struct dgram_hdr h;
        memcpy(&h, buf, sizeof h);
        if (!dgram_intact(buf, (size_t)n, h.seq))
            log->damaged++;
        if (log->n < MAX_RX) {
            log->seq[log->n] = h.seq;
            log->sent[log->n] = h.sent;
            log->at[log->n] = nst_world_now(p->w);
            log->n++;
        }
        if (at_b && p->echo) {
            struct nst_sockaddr to = {A_ADDR, A_PORT};
            CHECK_EQ(nst_sendto(p->b, p->fb, buf, (size_t)n, 0, &to), n);
        }
    }
    CHECK_EQ(n, -EAGAIN);
}

static int readable(void *arg)
{
    struct pair *p = arg;
    return (nst_socket_events(p->a, p->fa) & NST_EV_IN) || (nst_socket_events(p->b, p->fb) & NST_EV_IN);
}

/* Runs the world to `until`, draining both sockets the instant a datagram
 * arrives, so each arrival is logged at its exact virtual time. */
static void run_collect(struct pair *p, nst_time_t until)
{
    while (nst_world_run_until_cond(p->w, readable, p, until)) {
        drain(p, 1);
        drain(p, 0);
    }
    CHECK_EQ(nst_world_now(p->w), until);
}

/* One datagram each way so both ARP caches are filled, then forget them. */
static void warm_up(struct pair *p)
{
    send_dgram(p, 1, 9999, 100);
    run_collect(p, NST_SEC(1));
    send_dgram(p, 0, 9999, 100);
    run_collect(p, T0);
    CHECK_EQ(p->rx_b.n, 1);
    CHECK_EQ(p->rx_a.n, 1);
    memset(&p->rx_a, 0, sizeof p->rx_a);
    memset(&p->rx_b, 0, sizeof p->rx_b);
}

static struct nst_link_params params_with_latency(nst_time_t latency)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = latency;
    return lp;
}

/* 1000-byte payloads: 1042-byte frames, 8336 bits, 833.6 us at 10 Mbit/s. */
#define TX_1042_AT_10M 833600

/* ---- timing ------------------------------------------------------------- */

static void test_arp_costs_one_round_trip(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(10));
    if (pair_init(&p, 1, &lp) < 0)
        goto out;
    CHECK_EQ(nst_sim_link_ifindex(p.l, 0), 0);
    CHECK_EQ(nst_sim_link_ifindex(p.l, 1), 0);
    CHECK_EQ(nst_sim_link_ifindex(p.l, 2), -EINVAL);
    CHECK(nst_sim_link_stats(p.l, 2) == NULL);
    struct nst_iface_info ia, ib;
    CHECK_EQ(nst_iface_get(p.a, 0, &ia), 0);
    CHECK_EQ(nst_iface_get(p.b, 0, &ib), 0);
    static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0}, mac_b[6] = {2, 0, 0, 0, 0, 1};
    CHECK_MEM(ia.mac.b, mac_a, 6);
    CHECK_MEM(ib.mac.b, mac_b, 6);
    CHECK_EQ(ia.mtu, 1500);
    CHECK(nst_world_find_host(p.w, "b") == p.b);
    CHECK(nst_world_find_host(p.w, "c") == NULL);

    /* Request (10 ms), reply (10 ms), then the datagram (10 ms). */
    send_dgram(&p, 1, 0, 100);
    run_collect(&p, NST_SEC(1));
    CHECK_EQ(p.rx_b.n, 1);
    CHECK_EQ(p.rx_b.at[0], NST_MSEC(30));
    CHECK_EQ(nst_sim_link_stats(p.l, 0)->offered, 2); /* ARP request + datagram */
    CHECK_EQ(nst_sim_link_stats(p.l, 1)->offered, 1); /* ARP reply */
    /* b learnt a's address from the request (RFC 826 merge): no ARP back. */
    send_dgram(&p, 0, 1, 100);
    run_collect(&p, NST_SEC(2));
    CHECK_EQ(p.rx_a.n, 1);
    CHECK_EQ(p.rx_a.at[0], NST_SEC(1) + NST_MSEC(10));
    CHECK_EQ(nst_sim_link_stats(p.l, 1)->offered, 2);
    CHECK_EQ(nst_sim_link_stats(p.l, 0)->bytes_delivered, 60 + 142);
out:
    nst_world_free(p.w);
}

static void test_serialisation_exact(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(10));
    lp.bandwidth_bps = 10000000;
    if (pair_init(&p, 2, &lp) < 0)
        goto out;
    warm_up(&p);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);

    /* A burst of 5: each frame starts when the previous one is out. */
    for (uint32_t k = 0; k < 5; k++)
        send_dgram(&p, 1, k, 1000);
    /* One more while frame 0 of a second burst is on the wire. */
    run_collect(&p, T0 + NST_SEC(1));
    send_dgram(&p, 1, 5, 1000);
    run_collect(&p, T0 + NST_SEC(1) + NST_USEC(100));
    send_dgram(&p, 1, 6, 1000);
    /* And one on an idle wire. */
    run_collect(&p, T0 + NST_SEC(2));
    send_dgram(&p, 1, 7, 1000);
    run_collect(&p, T0 + NST_SEC(3));

    CHECK_EQ(p.rx_b.n, 8);
    for (int k = 0; k < 5 && k < p.rx_b.n; k++) {
        CHECK_EQ(p.rx_b.seq[k], k);
        CHECK_EQ(p.rx_b.at[k], T0 + (k + 1) * TX_1042_AT_10M + NST_MSEC(10));
    }
    if (p.rx_b.n == 8) {
        CHECK_EQ(p.rx_b.at[5], T0 + NST_SEC(1) + TX_1042_AT_10M + NST_MSEC(10));
        CHECK_EQ(p.rx_b.at[6], T0 + NST_SEC(1) + 2 * TX_1042_AT_10M + NST_MSEC(10));
        CHECK_EQ(p.rx_b.at[7], T0 + NST_SEC(2) + TX_1042_AT_10M + NST_MSEC(10));
    }
    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    CHECK_EQ(s->offered - before.offered, 8);
    CHECK_EQ(s->delivered - before.delivered, 8);
    CHECK_EQ(s->bytes_delivered - before.bytes_delivered, 8 * 1042);
    CHECK_EQ(s->queue_drops + s->lost + s->too_big, 0);
out:
    nst_world_free(p.w);
}

static void test_queue_tail_drop(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(1));
    lp.bandwidth_bps = 10000000;
    lp.queue_limit = 5;
    if (pair_init(&p, 3, &lp) < 0)
        goto out;
    warm_up(&p);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);

    /* 8 at once: one on the wire, five waiting, two dropped. */
    for (uint32_t k = 0; k < 8; k++)
        send_dgram(&p, 1, k, 1000);
    CHECK_EQ(nst_sim_link_stats(p.l, 0)->queue_drops - before.queue_drops, 2);
    /* Just after frame 2 starts: frames 3, 4, 5 wait, room for two more. */
    run_collect(&p, T0 + 2 * TX_1042_AT_10M + 1);
    for (uint32_t k = 8; k < 11; k++)
        send_dgram(&p, 1, k, 1000);
    run_collect(&p, T0 + NST_SEC(1));

    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    CHECK_EQ(s->offered - before.offered, 11);
    CHECK_EQ(s->queue_drops - before.queue_drops, 3);
    CHECK_EQ(s->delivered - before.delivered, 8);
    static const uint32_t expect_seq[8] = {0, 1, 2, 3, 4, 5, 8, 9};
    CHECK_EQ(p.rx_b.n, 8);
    for (int k = 0; k < 8 && k < p.rx_b.n; k++) {
        CHECK_EQ(p.rx_b.seq[k], expect_seq[k]);
        CHECK_EQ(p.rx_b.at[k], T0 + (k + 1) * TX_1042_AT_10M + NST_MSEC(1));
    }
out:
    nst_world_free(p.w);
}

static void test_too_big_dropped(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(1));
    if (pair_init(&p, 4, &lp) < 0)
        goto out;
    warm_up(&p);
    /* The interfaces still think 1500; the wire now takes 1000 + 14. */
    lp.mtu = 1000;
    nst_sim_link_set_params(p.l, &lp);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);
    send_dgram(&p, 1, 0, 1000 - 28 + 1); /* 1015-byte frame */
    send_dgram(&p, 1, 1, 1000 - 28);     /* exactly 1014 */
    run_collect(&p, T0 + NST_SEC(1));
    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    CHECK_EQ(s->offered - before.offered, 2);
    CHECK_EQ(s->too_big - before.too_big, 1);
    CHECK_EQ(s->delivered - before.delivered, 1);
    CHECK_EQ(p.rx_b.n, 1);
    if (p.rx_b.n == 1) {
        CHECK_EQ(p.rx_b.seq[0], 1);
        CHECK_EQ(p.rx_b.at[0], T0 + NST_MSEC(1));
    }
out:
    nst_world_free(p.w);
}

static int always(void *arg)
{
    (void)arg;
    return 1;
}

static int never(void *arg)
{
    (void)arg;
    return 0;
}

/* The clock: defaults (NULL config, NULL params: 1 ms latency), what
 * nst_world_next_event reports, and time that never goes backwards. */
static void test_world_clock(void)
{
    struct nst_world *w = nst_world_new(12);
    struct nst_stack *a = nst_world_add_host(w, "a", NULL);
    struct nst_stack *b = nst_world_add_host(w, NULL, NULL);
    CHECK(a && b);
    if (!a || !b)
        goto out;
    CHECK(nst_world_find_host(w, "h1") == b);
    CHECK(nst_world_connect(w, a, A_ADDR, 24, b, B_ADDR, 24, NULL) != NULL);
    CHECK_EQ(nst_world_now(w), 0);
    CHECK_EQ(nst_world_next_event(w), NST_TIME_NEVER);

    int fa = open_bound(a, A_ADDR, A_PORT), fb = open_bound(b, B_ADDR, B_PORT);
    uint8_t buf[100] = {0};
    struct nst_sockaddr to = {B_ADDR, B_PORT};
    CHECK_EQ(nst_sendto(a, fa, buf, sizeof buf, 0, &to), (ssize_t)sizeof buf);
    CHECK_EQ(nst_world_next_event(w), NST_MSEC(1)); /* the ARP request lands */
    nst_world_run_until(w, NST_USEC(500));
    CHECK_EQ(nst_world_now(w), NST_USEC(500));
    CHECK_EQ(nst_stack_now(a), NST_USEC(500)); /* hosts follow the world's clock */
    CHECK_EQ(nst_stack_now(b), NST_USEC(500));
    nst_world_run_until(w, NST_USEC(100)); /* the past: nothing happens */
    CHECK_EQ(nst_world_now(w), NST_USEC(500));
    CHECK_EQ(nst_world_run_until_cond(w, always, NULL, NST_SEC(1)), 1);
    CHECK_EQ(nst_world_now(w), NST_USEC(500));
    CHECK_EQ(nst_world_run_until_cond(w, never, NULL, NST_MSEC(2)), 0);
    CHECK_EQ(nst_world_now(w), NST_MSEC(2)); /* request and reply crossed */
    CHECK_EQ(nst_world_next_event(w), NST_MSEC(3)); /* the datagram */
    nst_world_run_for(w, NST_MSEC(1));
    CHECK_EQ(nst_world_now(w), NST_MSEC(3));
    CHECK(nst_socket_events(b, fb) & NST_EV_IN);
    CHECK_EQ(nst_recvfrom(b, fb, buf, sizeof buf, 0, NULL), (ssize_t)sizeof buf);
    nst_world_run_for(w, NST_TIME_NEVER); /* saturates instead of wrapping */
    CHECK(nst_world_now(w) >= NST_MSEC(3));
out:
    nst_world_free(w);
}

/* ---- impairments -------------------------------------------------------- */

#define STREAM_N 400

/* Sends STREAM_N datagrams a -> b, one every `spacing`, from T0. */
static void send_stream(struct pair *p, nst_time_t spacing, size_t len)
{
    for (uint32_t k = 0; k < STREAM_N; k++) {
        run_collect(p, T0 + (nst_time_t)k * spacing);
        send_dgram(p, 1, k, len);
    }
    run_collect(p, T0 + STREAM_N * spacing + NST_SEC(1));
}

static void test_loss_counts(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(5));
    if (pair_init(&p, 5, &lp) < 0)
        goto out;
    warm_up(&p);
    lp.loss = 0.25;
    nst_sim_link_set_params(p.l, &lp);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);
    uint64_t rx_udp_before = nst_stack_stats(p.b)->udp_rx_datagrams;
    send_stream(&p, NST_MSEC(1), 200);

    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    uint64_t lost = s->lost - before.lost, delivered = s->delivered - before.delivered;
    CHECK_EQ(s->offered - before.offered, STREAM_N);
    CHECK_EQ(lost + delivered, STREAM_N);
    CHECK(lost > 60 && lost < 140); /* 100 expected; a broken draw lands far away */
    CHECK_EQ(p.rx_b.n, delivered);
    CHECK_EQ(nst_stack_stats(p.b)->udp_rx_datagrams - rx_udp_before, delivered);
    CHECK_EQ(s->bytes_delivered - before.bytes_delivered, delivered * 242);
    /* Survivors arrive in order, each exactly one latency after it left. */
    for (int i = 0; i < p.rx_b.n; i++) {
        CHECK_EQ(p.rx_b.at[i] - p.rx_b.sent[i], NST_MSEC(5));
        if (i)
            CHECK(p.rx_b.seq[i] > p.rx_b.seq[i - 1]);
    }
out:
    nst_world_free(p.w);
}

static void test_duplicate_counts(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(5));
    if (pair_init(&p, 6, &lp) < 0)
        goto out;
    warm_up(&p);
    lp.duplicate = 0.2;
    nst_sim_link_set_params(p.l, &lp);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);
    send_stream(&p, NST_MSEC(1), 200);

    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    uint64_t dup = s->duplicated - before.duplicated;
    CHECK_EQ(s->offered - before.offered, STREAM_N);
    CHECK_EQ(s->delivered - before.delivered, STREAM_N + dup);
    CHECK(dup > 40 && dup < 120);
    CHECK_EQ(p.rx_b.n, STREAM_N + dup);
    /* Every datagram arrives; a twin arrives at the same instant, next. */
    int twins = 0;
    uint32_t expect = 0;
    for (int i = 0; i < p.rx_b.n; i++) {
        CHECK_EQ(p.rx_b.at[i] - p.rx_b.sent[i], NST_MSEC(5));
        if (i && p.rx_b.seq[i] == p.rx_b.seq[i - 1]) {
            twins++;
            CHECK_EQ(p.rx_b.at[i], p.rx_b.at[i - 1]);
            continue;
        }
        CHECK_EQ(p.rx_b.seq[i], expect);
        expect++;
    }
    CHECK_EQ(twins, dup);
    CHECK_EQ(expect, STREAM_N);
out:
    nst_world_free(p.w);
}

static void test_reorder_counts(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(10));
    if (pair_init(&p, 7, &lp) < 0)
        goto out;
    warm_up(&p);
    lp.reorder = 0.2; /* held back by the default 10/2 + 1 = 6 ms */
    nst_sim_link_set_params(p.l, &lp);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);
    send_stream(&p, NST_MSEC(1), 200);

    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    uint64_t reordered = s->reordered - before.reordered;
    CHECK(reordered > 40 && reordered < 120);
    CHECK_EQ(p.rx_b.n, STREAM_N);
    int held = 0, overtaken = 0;
    uint32_t max_seen = 0;
    for (int i = 0; i < p.rx_b.n; i++) {
        nst_time_t delay = p.rx_b.at[i] - p.rx_b.sent[i];
        CHECK(delay == NST_MSEC(10) || delay == NST_MSEC(16));
        held += delay == NST_MSEC(16);
        if (i && p.rx_b.seq[i] < max_seen)
            overtaken++;
        if (p.rx_b.seq[i] > max_seen)
            max_seen = p.rx_b.seq[i];
    }
    CHECK_EQ(held, reordered);
    /* A held datagram is overtaken unless the next five are held too. */
    CHECK(overtaken > 0 && overtaken <= held);
    CHECK(overtaken >= held - 3);
out:
    nst_world_free(p.w);
}

static uint64_t rx_rejects(const struct nst_stats *s)
{
    return s->ip_drop_truncated + s->ip_drop_bad_version + s->ip_drop_bad_ihl + s->ip_drop_bad_length +
           s->ip_drop_bad_checksum + s->ip_drop_bad_options + s->ip_drop_not_for_us + s->ip_drop_bad_source +
           s->ip_drop_unknown_protocol + s->udp_rx_malformed + s->udp_rx_bad_checksum + s->udp_rx_no_port;
}

static void test_corrupt_rejected_by_checksums(void)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(5));
    if (pair_init(&p, 8, &lp) < 0)
        goto out;
    warm_up(&p);
    lp.corrupt = 0.25;
    nst_sim_link_set_params(p.l, &lp);
    struct nst_sim_link_stats before = *nst_sim_link_stats(p.l, 0);
    struct nst_stats rx_before = *nst_stack_stats(p.b);
    send_stream(&p, NST_MSEC(1), 200);

    const struct nst_sim_link_stats *s = nst_sim_link_stats(p.l, 0);
    const struct nst_stats *rx = nst_stack_stats(p.b);
    uint64_t corrupted = s->corrupted - before.corrupted;
    CHECK(corrupted > 60 && corrupted < 140);
    CHECK_EQ(s->delivered - before.delivered, STREAM_N);
    /* Every damaged frame is rejected, and only those. */
    CHECK_EQ(p.rx_b.n, STREAM_N - corrupted);
    CHECK_EQ(p.rx_b.damaged, 0);
    CHECK_EQ(rx_rejects(rx) - rx_rejects(&rx_before), corrupted);
    /* Nearly all of them by a checksum: 20 header bytes of 242 are IP. */
    uint64_t by_ip = rx->ip_drop_bad_checksum - rx_before.ip_drop_bad_checksum;
    uint64_t by_udp = rx->udp_rx_bad_checksum - rx_before.udp_rx_bad_checksum;
    CHECK(by_udp > corrupted / 2);
    CHECK(by_ip + by_udp > corrupted * 3 / 4);
out:
    nst_world_free(p.w);
}

static void check_jitter_in_order(uint64_t seed, nst_time_t spacing)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(10));
    if (pair_init(&p, seed, &lp) < 0)
        goto out;
    warm_up(&p);
    lp.jitter = NST_MSEC(5);
    nst_sim_link_set_params(p.l, &lp);
    send_stream(&p, spacing, 200);

    CHECK_EQ(p.rx_b.n, STREAM_N);
    int distinct = 0, clamped = 0;
    for (int i = 0; i < p.rx_b.n; i++) {
        nst_time_t delay = p.rx_b.at[i] - p.rx_b.sent[i];
        CHECK(delay >= NST_MSEC(10) && delay <= NST_MSEC(15));
        CHECK_EQ(p.rx_b.seq[i], i);
        if (i) {
            CHECK(p.rx_b.at[i] >= p.rx_b.at[i - 1]);
            distinct += delay != p.rx_b.at[i - 1] - p.rx_b.sent[i - 1];
            clamped += p.rx_b.at[i] == p.rx_b.at[i - 1];
        }
    }
    CHECK(distinct > STREAM_N / 2);
    /* With a spacing far below the jitter, frames pile up behind a late one
     * (arrive at the same instant) instead of overtaking it. */
    if (spacing < NST_MSEC(1))
        CHECK(clamped > 0);
out:
    nst_world_free(p.w);
}

static void test_jitter_never_reorders(void)
{
    check_jitter_in_order(9, NST_MSEC(1));
    check_jitter_in_order(10, NST_USEC(100));
}

/* ---- determinism and captures ------------------------------------------- */

struct scenario_result {
    struct nst_sim_link_stats s[2];
    int rx_a, rx_b;
};

/* Everything at once, with b echoing, so b's replies depend on what the
 * link did to a's datagrams. */
static int run_scenario(uint64_t seed, const char *pcap_path, struct scenario_result *r)
{
    struct pair p;
    struct nst_link_params lp = params_with_latency(NST_MSEC(10));
    int rc = -1;
    /* 242-byte frames take 968 us at 2 Mbit/s, sent every 300 us: the
     * queue fills and overflows. */
    lp.bandwidth_bps = 2000000;
    lp.queue_limit = 8;
    if (pair_init(&p, seed, &lp) < 0)
        goto out;
    CHECK_EQ(nst_sim_link_pcap(p.l, pcap_path), 0);
    warm_up(&p);
    p.echo = 1;
    lp.loss = 0.1;
    lp.duplicate = 0.1;
    lp.reorder = 0.1;
    lp.corrupt = 0.1;
    lp.jitter = NST_MSEC(2);
    nst_sim_link_set_params(p.l, &lp);
    send_stream(&p, NST_USEC(300), 200);
    r->s[0] = *nst_sim_link_stats(p.l, 0);
    r->s[1] = *nst_sim_link_stats(p.l, 1);
    r->rx_a = p.rx_a.n;
    r->rx_b = p.rx_b.n;
    CHECK_EQ(p.rx_a.damaged + p.rx_b.damaged, 0);
    CHECK(r->s[0].queue_drops > 0);
    rc = 0;
out:
    nst_world_free(p.w); /* closes the capture */
    return rc;
}

static long slurp(const char *path, uint8_t **out)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n + 1);
    if (fread(*out, 1, (size_t)n, f) != (size_t)n)
        n = -1;
    fclose(f);
    return n;
}

static long pcap_count_records(const uint8_t *b, long n)
{
    long off = 24, count = 0;
    while (off + 16 <= n) {
        uint32_t incl = (uint32_t)b[off + 8] | (uint32_t)b[off + 9] << 8 | (uint32_t)b[off + 10] << 16 |
                        (uint32_t)b[off + 11] << 24;
        off += 16 + (long)incl;
        count++;
    }
    return off == n ? count : -1;
}

static void test_same_seed_same_bytes(void)
{
    char p1[512], p2[512], p3[512];
    const char *dir = nst_test_out_dir();
    snprintf(p1, sizeof p1, "%s/sim_link_seed7_a.pcap", dir);
    snprintf(p2, sizeof p2, "%s/sim_link_seed7_b.pcap", dir);
    snprintf(p3, sizeof p3, "%s/sim_link_seed8.pcap", dir);
    struct scenario_result r1, r2, r3;
    if (run_scenario(7, p1, &r1) || run_scenario(7, p2, &r2) || run_scenario(8, p3, &r3))
        return;
    uint8_t *b1, *b2, *b3;
    long n1 = slurp(p1, &b1), n2 = slurp(p2, &b2), n3 = slurp(p3, &b3);
    CHECK(n1 > 24);
    CHECK_EQ(n1, n2);
    if (n1 == n2 && n1 > 0)
        CHECK_MEM(b1, b2, (size_t)n1);
    CHECK_MEM(&r1, &r2, sizeof r1);
    CHECK(n1 != n3 || memcmp(b1, b3, (size_t)n1) != 0);
    CHECK(memcmp(&r1.s, &r3.s, sizeof r1.s) != 0);
    /* The capture holds every frame offered, both ways. */
    CHECK_EQ(pcap_count_records(b1, n1), (long)(r1.s[0].offered + r1.s[1].offered));
    free(b1);
    free(b2);
    free(b3);
}

/* Frame counts of tshark's `-z io,stat,0,...` table: all frames, malformed
 * ones, and ones with a bad IP or UDP checksum. */
static int tshark_io_stat(const char *path, long vals[3])
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "tshark -n -r '%s' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -q "
             "-z 'io,stat,0,frame,_ws.malformed,udp.checksum.status==\"Bad\" || ip.checksum.status==\"Bad\"' "
             "2>/dev/null",
             path);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        /* The data row, a (frames, bytes) pair per column:
         * "| 0.000 <> 2.153 |    453 | 288662 |      0 |      0 |      0 |     0 |" */
        long b1, b2, b3;
        if (strstr(line, "<>") && sscanf(line, "| %*s <> %*s | %ld | %ld | %ld | %ld | %ld | %ld |", &vals[0], &b1,
                                         &vals[1], &b2, &vals[2], &b3) == 6)
            found = 1;
    }
    int st = pclose(f);
    return found && st == 0 ? 0 : -1;
}

static void test_pcap_reads_back_clean(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sim_link_impaired.pcap", nst_test_out_dir());
    struct scenario_result r;
    if (run_scenario(11, path, &r))
        return;
    uint8_t *b;
    long n = slurp(path, &b);
    long records = pcap_count_records(b, n);
    free(b);
    CHECK_EQ(records, (long)(r.s[0].offered + r.s[1].offered));
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        fprintf(stderr, "skip: tshark not installed, %s not read back\n", path);
        return;
    }
    long vals[3] = {-1, -1, -1};
    CHECK_EQ(tshark_io_stat(path, vals), 0);
    CHECK_EQ(vals[0], records); /* every frame read */
    CHECK_EQ(vals[1], 0);       /* none malformed */
    CHECK_EQ(vals[2], 0);       /* no bad checksum: the capture is the sender's view */
}

int main(void)
{
    RUN(test_world_clock);
    RUN(test_arp_costs_one_round_trip);
    RUN(test_serialisation_exact);
    RUN(test_queue_tail_drop);
    RUN(test_too_big_dropped);
    RUN(test_loss_counts);
    RUN(test_duplicate_counts);
    RUN(test_reorder_counts);
    RUN(test_corrupt_rejected_by_checksums);
    RUN(test_jitter_never_reorders);
    RUN(test_same_seed_same_bytes);
    RUN(test_pcap_reads_back_clean);
    return nst_test_done();
}
