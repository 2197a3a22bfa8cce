/* Fragmentation and reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2):
 * exact fragment sizes on the wire, a router fragmenting toward a smaller
 * MTU (options copied or not), reassembly out of order and with duplicates,
 * overlaps discarded, the timeout with its ICMP Time Exceeded, and a flood
 * of partial datagrams that never pushes reassembly memory past its bound. */
#include <errno.h>
#include <nstack/nstack.h>

#include "core/rng.h"
#include "core/stack_impl.h"
#include "support/sim_util.h"
#include "test.h"

#define T0 NST_SEC(5)
#define HOST NST_IP4(10, 0, 0, 1)
#define PEER NST_IP4(10, 0, 0, 2)

static uint8_t frame[SU_FRAME_MAX];

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + (i >> 8)); }

static int got_in(void *arg)
{
    void **a = arg;
    return (nst_socket_events(a[0], *(int *)a[1]) & NST_EV_IN) != 0;
}

/* ---- fragments on a simulated link ----------------------------------------- */

static void test_4000_byte_datagram_over_1500(void)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.bandwidth_bps = 1000000000ull;
    struct su_pair p;
    CHECK_EQ(su_pair_build(&p, 3, NULL, &lp), 0);
    char path[256];
    su_out_path(path, sizeof path, "frag_4000.pcap");
    CHECK_EQ(nst_sim_link_pcap(p.l, path), 0);
    int fa = su_udp_bound(p.a, 0, 7000), fb = su_udp_bound(p.b, 0, 7001);
    /* A UDP datagram of 4000 bytes: 8 of header, 3992 of data. */
    static uint8_t data[3992], got[5000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = pattern(i);
    struct nst_sockaddr to = {SU_B_ADDR, 7001}, from;
    nst_world_run_until(p.w, T0);
    CHECK_EQ(nst_sendto(p.a, fa, data, sizeof data, 0, &to), 3992);
    nst_world_run_for(p.w, NST_MSEC(100));
    CHECK_EQ(nst_recvfrom(p.b, fb, got, sizeof got, 0, &from), 3992);
    CHECK_MEM(got, data, sizeof data);
    /* Resolved now: time a second one. The three frames (1514, 1514 and
     * 1074 bytes) leave back to back at 1 Gbit/s; the datagram is whole
     * when the last arrives: 1 ms + (1514 + 1514 + 1074) * 8 ns. */
    nst_time_t t1 = nst_world_now(p.w);
    CHECK_EQ(nst_sendto(p.a, fa, data, sizeof data, 0, &to), 3992);
    void *arg[2] = {p.b, &fb};
    CHECK_EQ(nst_world_run_until_cond(p.w, got_in, arg, t1 + NST_SEC(1)), 1);
    CHECK_EQ(nst_world_now(p.w), t1 + NST_MSEC(1) + (1514 + 1514 + 1074) * 8);
    CHECK_EQ(nst_recvfrom(p.b, fb, got, sizeof got, 0, &from), 3992);
    CHECK_MEM(got, data, sizeof data);
    CHECK_EQ(S(p.a)->ip_frag_datagrams, 2);
    CHECK_EQ(S(p.a)->ip_frag_created, 6);
    CHECK_EQ(S(p.b)->ip_frag_rx, 6);
    CHECK_EQ(S(p.b)->ip_reass_ok, 2);
    CHECK_EQ(p.b->ip.reass.mem, 0);
    CHECK_EQ(p.b->ip.reass.count, 0);
    /* On the wire: exact sizes, offsets and flags, one id per datagram. */
    CHECK_EQ(nst_sim_link_pcap(p.l, NULL), 0);
    struct su_tap cap;
    CHECK(su_pcap_load(path, &cap) > 0);
    static const size_t payload[3] = {1480, 1480, 1040};
    int k = 0;
    uint16_t id[2] = {0, 0};
    for (size_t i = 0; i < cap.n; i++) {
        struct su_parsed f;
        if (su_parse(cap.v[i].data, cap.v[i].len, &f) != 0 || !f.is_ip)
            continue;
        int dg = k / 3, part = k % 3;
        if (k >= 6)
            break;
        CHECK_EQ(f.l4_len, payload[part]);
        CHECK_EQ(cap.v[i].len, 14 + 20 + payload[part]);
        CHECK_EQ(f.ip.frag_off, 1480 * part);
        CHECK_EQ(f.ip.mf, part < 2);
        CHECK_EQ(f.ip.df, 0);
        CHECK_EQ(f.ip.total_len, 20 + payload[part]);
        if (part == 0) {
            id[dg] = f.ip.id;
            CHECK_EQ(nst_get16(f.l4 + 4), 4000); /* UDP length */
        } else {
            CHECK_EQ(f.ip.id, id[dg]);
        }
        k++;
    }
    CHECK_EQ(k, 6);
    CHECK(id[0] != id[1]);
    su_tap_free(&cap);
    su_pair_free(&p);
}

/* a --1500-- r --576-- b: the router cuts the datagram into 552 + 456. */
static void test_router_fragments_to_576(void)
{
    struct nst_world *w = nst_world_new(5);
    struct nst_stack_config rc;
    nst_stack_config_default(&rc);
    rc.deterministic = 1;
    rc.forwarding = 1;
    struct nst_stack *a = nst_world_add_host(w, "a", NULL), *r = nst_world_add_host(w, "r", &rc),
                     *b = nst_world_add_host(w, "b", NULL);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    struct nst_sim_link *l1 = nst_world_connect(w, a, NST_IP4(10, 1, 0, 2), 24, r, NST_IP4(10, 1, 0, 1), 24, &lp);
    lp.mtu = 576;
    struct nst_sim_link *l2 = nst_world_connect(w, r, NST_IP4(10, 2, 0, 1), 24, b, NST_IP4(10, 2, 0, 2), 24, &lp);
    CHECK(l1 && l2);
    CHECK_EQ(nst_route_add(a, 0, 0, NST_IP4(10, 1, 0, 1), 0, 0), 0);
    CHECK_EQ(nst_route_add(b, 0, 0, NST_IP4(10, 2, 0, 1), 0, 0), 0);
    char path[256];
    su_out_path(path, sizeof path, "frag_576.pcap");
    CHECK_EQ(nst_sim_link_pcap(l2, path), 0);
    int fa = su_udp_bound(a, 0, 7000), fb = su_udp_bound(b, 0, 7001);
    static uint8_t data[1000], got[2000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = pattern(i);
    struct nst_sockaddr to = {NST_IP4(10, 2, 0, 2), 7001}, from;
    CHECK_EQ(nst_sendto(a, fa, data, sizeof data, 0, &to), 1000);
    nst_world_run_for(w, NST_SEC(1));
    CHECK_EQ(nst_recvfrom(b, fb, got, sizeof got, 0, &from), 1000);
    CHECK_MEM(got, data, sizeof data);
    CHECK_EQ(from.addr, NST_IP4(10, 1, 0, 2));
    CHECK_EQ(S(a)->ip_frag_created, 0);
    CHECK_EQ(S(r)->ip_forwarded, 1);
    CHECK_EQ(S(r)->ip_frag_datagrams, 1);
    CHECK_EQ(S(r)->ip_frag_created, 2);
    CHECK_EQ(S(b)->ip_reass_ok, 1);
    CHECK_EQ(nst_sim_link_stats(l2, 0)->too_big, 0);
    CHECK_EQ(nst_sim_link_pcap(l2, NULL), 0);
    struct su_tap cap;
    CHECK(su_pcap_load(path, &cap) > 0);
    size_t sizes[4], n = 0;
    for (size_t i = 0; i < cap.n; i++) {
        struct su_parsed f;
        if (su_parse(cap.v[i].data, cap.v[i].len, &f) == 0 && f.is_ip && f.ip.src == NST_IP4(10, 1, 0, 2) &&
            n < 4) {
            CHECK_EQ(f.ip.ttl, 63);
            CHECK_EQ(f.ip.frag_off, n * 552);
            sizes[n++] = f.l4_len;
        }
    }
    CHECK_EQ(n, 2);
    CHECK_EQ(sizes[0], 552);
    CHECK_EQ(sizes[1], 456);
    su_tap_free(&cap);
    nst_world_free(w);
}

/* RFC 791 3.2: options with the "copied" flag go into every fragment, the
 * others only into the first; the fragments reassemble at the far host. */
static void test_router_fragments_with_options(void)
{
    struct nst_stack_config rc;
    nst_stack_config_default(&rc);
    rc.deterministic = 1;
    rc.forwarding = 1;
    struct nst_stack *r = nst_stack_new(&rc);
    struct su_tap in, out;
    struct nst_mac m0 = su_mac(1), m1 = su_mac(2), src_mac = su_mac(9), dst_mac = su_mac(10);
    CHECK_EQ(su_tap_attach(r, &in, &m0, NST_IP4(10, 1, 0, 1), 24, 1500), 0);
    CHECK_EQ(su_tap_attach(r, &out, &m1, NST_IP4(10, 2, 0, 1), 24, 576), 1);
    CHECK_EQ(nst_arp_add_static(r, 1, NST_IP4(10, 2, 0, 9), &dst_mac), 0);
    /* Router Alert (148: copied) + Record Route (7: not copied) + EOL. */
    static const uint8_t opts[12] = {0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 0};
    static uint8_t data[1192];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = pattern(i);
    struct su_ip x = {.eth_src = src_mac, .eth_dst = m0, .ttl = 30, .id = 4242, .src = NST_IP4(10, 1, 0, 9),
                      .dst = NST_IP4(10, 2, 0, 9), .options = opts, .opt_len = sizeof opts};
    size_t n = su_build_udp(frame, &x, 1234, 7001, data, sizeof data); /* IP payload 1200 */
    nst_stack_poll(r, T0);
    su_tap_inject(&in, frame, n, T0);
    CHECK_EQ(out.n, 3);
    static const size_t hl[3] = {32, 24, 24}, dl[3] = {544, 552, 104};
    for (size_t i = 0; i < out.n && i < 3; i++) {
        struct su_parsed f;
        CHECK_EQ(su_parse(out.v[i].data, out.v[i].len, &f), 0);
        CHECK_EQ(f.ip.hdr_len, hl[i]);
        CHECK_EQ(f.l4_len, dl[i]);
        CHECK_EQ(f.ip.id, 4242);
        CHECK_EQ(f.ip.ttl, 29);
        CHECK_EQ(f.ip.mf, i < 2);
        CHECK_EQ(f.ip.frag_off, i == 0 ? 0 : i == 1 ? 544 : 1096);
        CHECK(f.ip.total_len <= 576);
        /* every fragment carries the Router Alert right after the header */
        CHECK_MEM(f.ip_hdr + 20, opts, 4);
        if (i == 0)
            CHECK_MEM(f.ip_hdr + 20, opts, 12);
    }
    /* The far host puts them back together, out of order. */
    struct su_tap htap;
    struct nst_stack *h = nst_stack_new(NULL);
    CHECK_EQ(su_tap_attach(h, &htap, &dst_mac, NST_IP4(10, 2, 0, 9), 24, 576), 0);
    int fd = su_udp_bound(h, 0, 7001);
    for (int i = 2; i >= 0; i--)
        if ((size_t)i < out.n)
            su_tap_inject(&htap, out.v[i].data, out.v[i].len, T0 + 1);
    static uint8_t got[2000];
    struct nst_sockaddr from;
    CHECK_EQ(nst_recvfrom(h, fd, got, sizeof got, 0, &from), sizeof data);
    CHECK_MEM(got, data, sizeof data);
    CHECK_EQ(from.port, 1234);
    nst_stack_free(h);
    su_tap_free(&htap);
    nst_stack_free(r);
    su_tap_free(&in);
    su_tap_free(&out);
}

/* ---- reassembly against crafted fragments ---------------------------------- */

struct host {
    struct nst_stack *st;
    struct su_tap tap;
    int fd;
    uint8_t dgram[8 + 4000]; /* the UDP datagram the fragments carry */
    size_t dlen;
};

static void host_up(struct host *h, const struct nst_stack_config *cfg, size_t data_len)
{
    h->st = su_tap_host(cfg, &h->tap, HOST, 24);
    struct nst_mac peer = su_mac(2);
    CHECK_EQ(nst_arp_add_static(h->st, 0, PEER, &peer), 0);
    h->fd = su_udp_bound(h->st, 0, 9000);
    nst_stack_poll(h->st, T0);
    for (size_t i = 0; i < data_len; i++)
        h->dgram[8 + i] = pattern(i);
    struct nst_udp_repr u = {.src_port = 5555, .dst_port = 9000, .length = (uint16_t)(8 + data_len)};
    nst_udp_emit(&u, h->dgram, PEER, HOST);
    h->dlen = 8 + data_len;
}

static void host_down(struct host *h)
{
    nst_stack_free(h->st);
    su_tap_free(&h->tap);
}

/* Injects bytes [off, off+len) of the host's datagram as a fragment. */
static void inject_frag(struct host *h, uint16_t id, size_t off, size_t len, int mf, nst_time_t at)
{
    struct su_ip x = {.eth_src = su_mac(2), .eth_dst = h->tap.mac, .ttl = 64, .id = id, .mf = mf,
                      .frag_off = (uint16_t)off, .proto = NST_IP_PROTO_UDP, .src = PEER, .dst = HOST};
    static const uint8_t zeros[1480];
    const uint8_t *data = off + len <= sizeof h->dgram ? h->dgram + off : zeros;
    size_t n = su_build_ipv4(frame, &x, data, len);
    su_tap_inject(&h->tap, frame, n, at);
}

/* The whole datagram was delivered exactly `times` times, intact. */
static void check_delivered(struct host *h, int times)
{
    static uint8_t got[5000];
    for (int i = 0; i < times; i++) {
        struct nst_sockaddr from;
        ssize_t n = nst_recvfrom(h->st, h->fd, got, sizeof got, 0, &from);
        CHECK_EQ(n, (ssize_t)(h->dlen - 8));
        if (n > 0)
            CHECK_MEM(got, h->dgram + 8, h->dlen - 8);
    }
    CHECK_EQ(nst_recvfrom(h->st, h->fd, got, sizeof got, 0, NULL), -EAGAIN);
}

static void test_reassembly_orders_and_duplicates(void)
{
    struct host h;
    host_up(&h, NULL, 2992); /* 3000 bytes: 1480 + 1480 + 40 */
    static const int orders[][6] = {
        {0, 1, 2, -1}, {2, 1, 0, -1}, {1, 2, 0, -1}, {2, 0, 1, -1},
        {0, 0, 1, 1, 2, -1}, /* duplicates before completion */
        {2, 2, 1, 0, -1},
    };
    uint64_t ok = 0;
    for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
        for (int k = 0; orders[o][k] >= 0; k++) {
            int i = orders[o][k];
            size_t off = (size_t)i * 1480, len = i < 2 ? 1480 : 40;
            inject_frag(&h, (uint16_t)(100 + o), off, len, i < 2, T0);
        }
        ok++;
        CHECK_EQ(S(h.st)->ip_reass_ok, ok);
        check_delivered(&h, 1);
        CHECK_EQ(h.st->ip.reass.count, 0);
        CHECK_EQ(h.st->ip.reass.mem, 0);
    }
    CHECK_EQ(S(h.st)->ip_reass_overlap, 0);
    CHECK_EQ(S(h.st)->udp_rx_datagrams, ok);
    /* A duplicate that arrives after completion starts a new partial
     * datagram; lacking the first fragment it times out silently. */
    inject_frag(&h, 100, 1480, 1480, 1, T0 + NST_SEC(1));
    CHECK_EQ(h.st->ip.reass.count, 1);
    CHECK(h.st->ip.reass.mem > 0);
    nst_stack_poll(h.st, T0 + NST_SEC(31));
    CHECK_EQ(S(h.st)->ip_reass_timeout, 1);
    CHECK_EQ(h.tap.n, 0);
    CHECK_EQ(h.st->ip.reass.mem, 0);
    /* Two datagrams interleaved (same source, different ids). */
    inject_frag(&h, 7, 1480, 1480, 1, T0 + NST_SEC(40));
    inject_frag(&h, 8, 2960, 40, 0, T0 + NST_SEC(40));
    inject_frag(&h, 7, 0, 1480, 1, T0 + NST_SEC(40));
    inject_frag(&h, 8, 0, 1480, 1, T0 + NST_SEC(40));
    CHECK_EQ(h.st->ip.reass.count, 2);
    inject_frag(&h, 7, 2960, 40, 0, T0 + NST_SEC(40));
    inject_frag(&h, 8, 1480, 1480, 1, T0 + NST_SEC(40));
    check_delivered(&h, 2);
    CHECK_EQ(h.st->ip.reass.mem, 0);
    host_down(&h);
}

static void test_overlaps_discarded(void)
{
    struct host h;
    host_up(&h, NULL, 2992);
    uint64_t ov = 0;
    /* 1. A partial overlap (teardrop-style): the datagram is dropped. */
    inject_frag(&h, 1, 0, 1480, 1, T0);
    inject_frag(&h, 1, 1000, 1000, 1, T0);
    CHECK_EQ(S(h.st)->ip_reass_overlap, ++ov);
    CHECK_EQ(h.st->ip.reass.count, 0);
    CHECK_EQ(h.st->ip.reass.mem, 0);
    /* The rest arrives later and never completes: no delivery. */
    inject_frag(&h, 1, 1480, 1480, 1, T0);
    inject_frag(&h, 1, 2960, 40, 0, T0);
    CHECK_EQ(S(h.st)->ip_reass_ok, 0);
    CHECK_EQ(h.st->ip.reass.count, 1);
    nst_stack_poll(h.st, T0 + NST_SEC(30));
    CHECK_EQ(h.st->ip.reass.count, 0);
    /* 2-6: a datagram (id) whose second fragment clashes with its first;
     * each is counted as an overlap. */
    static const struct {
        uint16_t id;
        size_t off[2], len[2];
        int mf[2];
    } clash[] = {
        {2, {0, 8}, {1480, 16}, {1, 1}},         /* 2. a fragment wholly inside another */
        {3, {1480, 1480}, {1480, 1472}, {1, 1}}, /* 3. same offset, different length */
        {4, {1480, 0}, {1480, 1488}, {1, 1}},    /* 4. one covering the end of an earlier one */
        {5, {2960, 2960}, {40, 32}, {0, 0}},     /* 5. two last fragments disagreeing on the total */
        {6, {1480, 1000}, {1480, 8}, {1, 0}},    /* 6. data beyond the end the last one declares */
    };
    for (size_t i = 0; i < sizeof(clash) / sizeof(clash[0]); i++) {
        for (int k = 0; k < 2; k++)
            inject_frag(&h, clash[i].id, clash[i].off[k], clash[i].len[k], clash[i].mf[k], T0 + NST_SEC(31));
        CHECK_EQ(S(h.st)->ip_reass_overlap, ++ov);
    }
    CHECK_EQ(h.st->ip.reass.count, 0);
    CHECK_EQ(h.st->ip.reass.mem, 0);
    /* Malformed fragments: MF with a length not a multiple of 8, an empty
     * fragment with MF, and one that would end past 65535. */
    inject_frag(&h, 9, 0, 100, 1, T0 + NST_SEC(31));
    inject_frag(&h, 9, 0, 0, 1, T0 + NST_SEC(31));
    inject_frag(&h, 9, 65528, 16, 0, T0 + NST_SEC(31));
    CHECK_EQ(S(h.st)->ip_reass_bad, 3);
    CHECK_EQ(h.st->ip.reass.count, 0);
    CHECK_EQ(S(h.st)->ip_reass_ok, 0);
    CHECK_EQ(S(h.st)->udp_rx_datagrams, 0);
    host_down(&h);
}

static void test_reassembly_timeout_icmp(void)
{
    struct host h;
    host_up(&h, NULL, 2992);
    inject_frag(&h, 0x5151, 0, 1480, 1, T0);
    inject_frag(&h, 0x5151, 2960, 40, 0, T0 + NST_SEC(5));
    CHECK_EQ(nst_stack_next_deadline(h.st), T0 + NST_SEC(30));
    nst_stack_poll(h.st, T0 + NST_SEC(30) - 1);
    CHECK_EQ(S(h.st)->ip_reass_timeout, 0);
    CHECK_EQ(h.st->ip.reass.count, 1);
    nst_stack_poll(h.st, T0 + NST_SEC(30));
    CHECK_EQ(S(h.st)->ip_reass_timeout, 1);
    CHECK_EQ(h.st->ip.reass.count, 0);
    CHECK_EQ(h.st->ip.reass.mem, 0);
    /* RFC 1122 3.3.2: Time Exceeded, code 1, because fragment 0 had come;
     * it quotes that fragment's header and first 8 data bytes. */
    CHECK_EQ(h.tap.n, 1);
    if (h.tap.n == 1) {
        struct su_parsed p;
        CHECK_EQ(su_parse(h.tap.v[0].data, h.tap.v[0].len, &p), 0);
        CHECK(p.icmp_ok);
        CHECK_EQ(p.icmp.type, NST_ICMP_TIME_EXCEEDED);
        CHECK_EQ(p.icmp.code, NST_ICMP_REASS_EXCEEDED);
        CHECK_EQ(p.ip.src, HOST);
        CHECK_EQ(p.ip.dst, PEER);
        CHECK_EQ(h.tap.v[0].at, T0 + NST_SEC(30));
        CHECK_EQ(p.icmp.data_len, 28);
        CHECK_EQ(nst_get16(p.icmp.data + 2), 1500);   /* total length of fragment 0 */
        CHECK_EQ(nst_get16(p.icmp.data + 4), 0x5151); /* its id */
        CHECK_EQ(nst_get16(p.icmp.data + 6), NST_IPV4_FLAG_MF);
        CHECK_MEM(p.icmp.data + 20, h.dgram, 8);     /* the UDP header */
    }
    CHECK_EQ(S(h.st)->icmp_tx_time_exceeded, 1);
    /* Without fragment 0 the timeout is silent. */
    inject_frag(&h, 0x5252, 1480, 1480, 1, T0 + NST_SEC(40));
    nst_stack_poll(h.st, T0 + NST_SEC(70));
    CHECK_EQ(S(h.st)->ip_reass_timeout, 2);
    CHECK_EQ(h.tap.n, 1);
    /* A custom timeout is honoured to the nanosecond. */
    host_down(&h);
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.reass_timeout = NST_MSEC(1500) + 3;
    host_up(&h, &c, 2992);
    inject_frag(&h, 1, 1480, 1480, 1, T0);
    CHECK_EQ(nst_stack_next_deadline(h.st), T0 + NST_MSEC(1500) + 3);
    host_down(&h);
}

/* ---- the flood -------------------------------------------------------------- */

#define FLOOD 20000

struct flood_result {
    size_t max_mem;
    unsigned max_count;
};

/* Injects FLOOD partial datagrams (distinct ids, random sizes, half of them
 * first fragments) at 1 us intervals from T0, tracking the peak memory. */
static struct flood_result flood(struct host *h, uint64_t seed)
{
    struct flood_result res = {0, 0};
    struct nst_rng rng;
    nst_rng_seed(&rng, seed);
    for (int i = 0; i < FLOOD; i++) {
        size_t len = 8 * (1 + nst_rng_below(&rng, 185)); /* 8..1480 */
        size_t off = (i & 1) ? 0 : 8 * (1 + nst_rng_below(&rng, 300));
        struct su_ip x = {.eth_src = su_mac(2), .eth_dst = h->tap.mac, .ttl = 64, .id = (uint16_t)i, .mf = 1,
                          .frag_off = (uint16_t)off, .proto = NST_IP_PROTO_UDP, .src = PEER, .dst = HOST};
        static uint8_t junk[1480];
        size_t n = su_build_ipv4(frame, &x, junk, len);
        su_tap_inject(&h->tap, frame, n, T0 + NST_USEC(i));
        if (h->st->ip.reass.mem > res.max_mem)
            res.max_mem = h->st->ip.reass.mem;
        if (h->st->ip.reass.count > res.max_count)
            res.max_count = h->st->ip.reass.count;
    }
    return res;
}

static void send_real_datagram(struct host *h, nst_time_t at)
{
    inject_frag(h, 60001, 1480, 1480, 1, at);
    inject_frag(h, 60001, 0, 1480, 1, at);
    inject_frag(h, 60001, 2960, 40, 0, at);
}

static void test_fragment_flood_memory_bound(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.icmp_random_cost = 0; /* the shared bucket exactly, and no per-source limit */
    c.icmp_dst_interval = 0;
    c.reass_max_datagrams = 1000000; /* let memory be the only bound */
    struct host h;
    host_up(&h, &c, 2992);
    struct flood_result r = flood(&h, 99);
    CHECK(r.max_mem <= c.reass_mem_max);
    CHECK(r.max_mem > c.reass_mem_max - 2000); /* the bound was reached */
    unsigned held = h.st->ip.reass.count;
    CHECK(held > 100);
    /* Every datagram not held any more was evicted, and counted once. */
    CHECK_EQ(S(h.st)->ip_reass_mem_drops, FLOOD - held);
    CHECK_EQ(S(h.st)->ip_reass_ok, 0);
    CHECK_EQ(S(h.st)->udp_rx_datagrams, 0);
    /* A real datagram after the flood still gets through (evicting the
     * oldest partial ones to make room). */
    nst_time_t after = T0 + NST_USEC(FLOOD);
    send_real_datagram(&h, after);
    CHECK(h.st->ip.reass.mem <= c.reass_mem_max);
    CHECK_EQ(S(h.st)->ip_reass_ok, 1);
    check_delivered(&h, 1);
    /* Everything left times out 30 s after it arrived; the Time Exceeded
     * messages for held first fragments are rate limited (burst 50). */
    unsigned left = h.st->ip.reass.count;
    nst_stack_poll(h.st, after + NST_SEC(31));
    CHECK_EQ(h.st->ip.reass.count, 0);
    CHECK_EQ(h.st->ip.reass.mem, 0);
    CHECK_EQ(S(h.st)->ip_reass_timeout, left);
    CHECK_EQ(S(h.st)->icmp_tx_time_exceeded + S(h.st)->icmp_rate_limited, (left + 1) / 2);
    CHECK_EQ(S(h.st)->icmp_tx_time_exceeded, 50);
    host_down(&h);
}

static void test_fragment_flood_count_bound(void)
{
    struct host h;
    host_up(&h, NULL, 2992); /* reass_max_datagrams 64 */
    struct flood_result r = flood(&h, 7);
    CHECK_EQ(r.max_count, 64);
    CHECK(r.max_mem <= 256 * 1024);
    CHECK_EQ(h.st->ip.reass.count, 64);
    CHECK_EQ(S(h.st)->ip_reass_mem_drops, FLOOD - 64);
    send_real_datagram(&h, T0 + NST_USEC(FLOOD));
    check_delivered(&h, 1);
    CHECK_EQ(h.st->ip.reass.count, 63); /* one evicted for it, then it completed */
    nst_stack_poll(h.st, T0 + NST_SEC(60));
    CHECK_EQ(h.st->ip.reass.mem, 0);
    host_down(&h);
}

/* A flood of tiny fragments of one datagram is cut off at 128 pieces. */
static void test_tiny_fragment_flood(void)
{
    struct host h;
    host_up(&h, NULL, 2992);
    for (int i = 0; i < 200; i++)
        inject_frag(&h, 77, 8 * (size_t)i + 8, 8, 1, T0);
    CHECK_EQ(S(h.st)->ip_reass_bad, 1);
    CHECK_EQ(h.st->ip.reass.count, 1); /* the 71 after the cut started over */
    nst_stack_poll(h.st, T0 + NST_SEC(30));
    CHECK_EQ(h.st->ip.reass.mem, 0);
    host_down(&h);
}

int main(void)
{
    RUN(test_4000_byte_datagram_over_1500);
    RUN(test_router_fragments_to_576);
    RUN(test_router_fragments_with_options);
    RUN(test_reassembly_orders_and_duplicates);
    RUN(test_overlaps_discarded);
    RUN(test_reassembly_timeout_icmp);
    RUN(test_fragment_flood_memory_bound);
    RUN(test_fragment_flood_count_bound);
    RUN(test_tiny_fragment_flood);
    return nst_test_done();
}
