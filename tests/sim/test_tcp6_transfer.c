/* TCP over IPv6 (RFC 9293 over RFC 8200) between two simulated hosts with
 * static addresses 2001:db8::1 and 2001:db8::2 (/64, after DAD): the
 * handshake with MSS 1440 at MTU 1500 (RFC 8200 8.3), a 1 MiB transfer
 * whose bytes arrive identical, the same through 2 % loss and reordering
 * (fixed seed: exact counters), a dual-stack listener taking an IPv4 and
 * an IPv6 client, V6ONLY refusing the IPv4 one, TIME_WAIT over IPv6,
 * ephemeral port exhaustion over IPv6, and link-local peers with their
 * scope. */
#include <errno.h>
#include <nstack/nstack.h>
#include <string.h>

#include "ip6/ip6.h"
#include "support/sim_util.h"
#include "support/sockaddr_util.h"
#include "test.h"

#define A4 NST_IP4(10, 0, 0, 1)
#define B4 NST_IP4(10, 0, 0, 2)
#define MIB (1u << 20)

struct net6 {
    struct nst_world *w;
    struct nst_stack *a, *b;
    struct nst_sim_link *l;
    nst_ip6_t a6, b6;
};

static nst_ip6_t addr6(const char *s)
{
    nst_ip6_t a;
    CHECK_EQ(nst_ip6_parse(s, &a, NULL), 0);
    return a;
}

static struct nst_sockaddr sa6(const nst_ip6_t *a, uint16_t port)
{
    struct nst_sockaddr s = {.family = NST_AF_INET6, .port = port};
    s.addr6 = *a;
    return s;
}


/* The hosts' configuration: IPv6 on, DAD at once. */
static struct nst_stack_config cfg6(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_dad_delay = 0;
    c.nd_rtr_solicitations = 0; /* no Router Solicitations: the figures below are without them */
    c.ip6_mld = 0;              /* nor MLD reports (frames on the lossy link) */
    return c;
}

/* Two hosts configured as c, IPv4 10.0.0.1/.2 and IPv6 2001:db8::1/::2,
 * one link (lp or the default: 1 ms each way), addresses past DAD at 2 s. */
static void net_up_cfg(struct net6 *n, uint64_t seed, const struct nst_link_params *lp, struct nst_stack_config c)
{
    memset(n, 0, sizeof(*n));
    n->w = nst_world_new(seed);
    n->a = nst_world_add_host(n->w, "a", &c);
    n->b = nst_world_add_host(n->w, "b", &c);
    struct nst_link_params d;
    nst_link_params_default(&d);
    n->l = nst_world_connect(n->w, n->a, A4, 24, n->b, B4, 24, lp ? lp : &d);
    n->a6 = addr6("2001:db8::1");
    n->b6 = addr6("2001:db8::2");
    CHECK_EQ(nst_iface_addr6_add(n->a, 0, &n->a6, 64), 0);
    CHECK_EQ(nst_iface_addr6_add(n->b, 0, &n->b6, 64), 0);
    nst_world_run_until(n->w, NST_SEC(2));
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(n->a, 0, v, NST_IP6_MAX_ADDRS);
    int preferred = 0;
    for (int i = 0; i < k && i < NST_IP6_MAX_ADDRS; i++)
        preferred += v[i].state == NST_ADDR6_PREFERRED;
    CHECK_EQ(preferred, 2); /* link-local and 2001:db8::1 */
}

static void net_up(struct net6 *n, uint64_t seed, const struct nst_link_params *lp)
{
    net_up_cfg(n, seed, lp, cfg6());
}

/* Each host learns the other's MAC (Neighbor Discovery) before a test
 * times its packets: a connection attempt to a closed port and its RST. */
static void warm_neighbours(struct net6 *n)
{
    int fd = nst_socket_family(n->a, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr to = {.family = NST_AF_INET6, .port = 9, .addr6 = n->b6};
    CHECK_EQ(nst_connect(n->a, fd, &to), -EINPROGRESS);
    nst_world_run_for(n->w, NST_MSEC(20));
    nst_close(n->a, fd);
}

static int listen6(struct nst_stack *st, uint16_t port, int v6only)
{
    int fd = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK_EQ(nst_setsockopt(st, fd, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &v6only, sizeof(v6only)), 0);
    struct nst_sockaddr any = {.family = NST_AF_INET6, .port = port};
    CHECK_EQ(nst_bind(st, fd, &any), 0);
    CHECK_EQ(nst_listen(st, fd, 16), 0);
    return fd;
}

static int connect6(struct net6 *n, const nst_ip6_t *to, uint16_t port)
{
    int fd = nst_socket_family(n->a, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr a = sa6(to, port);
    CHECK_EQ(nst_connect(n->a, fd, &a), -EINPROGRESS);
    return fd;
}

static struct nst_tcp_info info(struct nst_stack *st, int fd)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    CHECK_EQ(nst_getsockopt(st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len), 0);
    return ti;
}

/* Sends total bytes of a pseudo-random stream from (a, cfd) to (b, sfd)
 * and reads them; returns the virtual time it took; *same: the FNV hashes
 * of what went and what came agree and the counts match. */
static nst_time_t transfer(struct net6 *n, int cfd, int sfd, size_t total, int *same)
{
    static uint8_t chunk[16384], in[16384];
    uint64_t ps = 0x9e3779b97f4a7c15ULL, hs = SU_FNV_BASIS, hr = SU_FNV_BASIS;
    size_t sent = 0, rcvd = 0, pending = 0, off = 0;
    nst_time_t t0 = nst_world_now(n->w);
    for (int guard = 0; rcvd < total && guard < 200000; guard++) {
        if (pending == 0 && sent < total) {
            pending = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
            for (size_t i = 0; i < pending; i++)
                chunk[i] = su_pattern_byte(&ps);
            off = 0;
        }
        while (pending) {
            ssize_t k = nst_send(n->a, cfd, chunk + off, pending, 0);
            if (k <= 0)
                break;
            hs = su_fnv(hs, chunk + off, (size_t)k);
            off += (size_t)k;
            pending -= (size_t)k;
            sent += (size_t)k;
        }
        ssize_t r;
        while ((r = nst_recv(n->b, sfd, in, sizeof(in), 0)) > 0) {
            hr = su_fnv(hr, in, (size_t)r);
            rcvd += (size_t)r;
        }
        nst_world_run_for(n->w, NST_MSEC(1));
    }
    *same = rcvd == total && sent == total && hs == hr;
    nst_time_t took = nst_world_now(n->w) - t0;
    nst_world_run_for(n->w, NST_MSEC(50)); /* the last ACKs */
    return took;
}

/* The handshake over IPv6: MSS 1440 both ways (1500 - 40 - 20), every
 * address reported in AF_INET6, then 1 MiB intact. */
static void test_handshake_and_megabyte(void)
{
    struct net6 n;
    net_up(&n, 61, NULL);
    int lfd = listen6(n.b, 80, 0);
    int cfd = connect6(&n, &n.b6, 80);
    nst_world_run_for(n.w, NST_MSEC(50));
    struct nst_sockaddr peer;
    int sfd = nst_accept(n.b, lfd, &peer);
    CHECK(sfd >= 0);
    CHECK_EQ(peer.family, NST_AF_INET6);
    struct nst_sockaddr cname, sname;
    CHECK_EQ(nst_getsockname(n.a, cfd, &cname), 0);
    CHECK_EQ(nst_getsockname(n.b, sfd, &sname), 0);
    CHECK_TEXT(su_addr_str(&sname), "[2001:db8::2]:80");
    CHECK_MEM(&cname.addr6, &n.a6, 16);
    CHECK_EQ(peer.port, cname.port);
    CHECK_MEM(&peer.addr6, &n.a6, 16);
    struct nst_tcp_info ci = info(n.a, cfd), si = info(n.b, sfd);
    CHECK_EQ(ci.state, NST_TCPS_ESTABLISHED);
    CHECK_EQ(ci.rcv_mss, 1440); /* RFC 8200 8.3: MTU - 60 */
    CHECK_EQ(si.rcv_mss, 1440);
    CHECK_EQ(ci.snd_mss, 1428); /* less the 12-byte timestamps option */
    CHECK_EQ(ci.pmtu, 1500);
    CHECK_TEXT(su_addr_str(&ci.remote), "[2001:db8::2]:80");
    int same = 0;
    transfer(&n, cfd, sfd, MIB, &same);
    CHECK(same);
    ci = info(n.a, cfd);
    CHECK_EQ(ci.retransmits, 0);
    CHECK_EQ(ci.bytes_acked, MIB);
    CHECK_EQ(nst_stack_stats(n.b)->tcp_rx_bad_checksum, 0);
    CHECK_EQ(nst_stack_stats(n.b)->ip_rx_packets, 0); /* not a frame went through IPv4 */
    nst_world_free(n.w);
}

/* 2 % loss and 2 % reordering each way, seed fixed: the bytes still
 * arrive identical; the recovery counters are this seed's. */
static void test_megabyte_through_loss(void)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.loss = 0.02;
    lp.reorder = 0.02;
    struct net6 n;
    net_up(&n, 62, &lp);
    int lfd = listen6(n.b, 80, 1);
    int cfd = connect6(&n, &n.b6, 80);
    int sfd = -1;
    for (int i = 0; i < 100 && sfd < 0; i++) {
        nst_world_run_for(n.w, NST_MSEC(100));
        sfd = nst_accept(n.b, lfd, NULL);
    }
    CHECK(sfd >= 0);
    int same = 0;
    nst_time_t took = transfer(&n, cfd, sfd, MIB, &same);
    CHECK(same);
    struct nst_tcp_info ci = info(n.a, cfd);
    fprintf(stderr, "  1 MiB through 2%% loss + reordering: %.3f s, %llu retransmits, %llu fast, %llu timeouts\n",
            (double)took / 1e9, (unsigned long long)ci.retransmits, (unsigned long long)ci.fast_retransmits,
            (unsigned long long)ci.rto_timeouts);
    /* This seed's losses, repaired by SACK recovery alone. */
    CHECK_EQ(took, NST_MSEC(159));
    CHECK_EQ(ci.retransmits, 15);
    CHECK_EQ(ci.fast_retransmits, 11);
    CHECK_EQ(ci.rto_timeouts, 0);
    CHECK_EQ(ci.bytes_acked, MIB);
    nst_world_free(n.w);
}

/* One dual-stack listener on [::]:80, an IPv4 and an IPv6 client: both
 * accepted, the IPv4 one as ::ffff:10.0.0.1. With V6ONLY, only the IPv6
 * one; the IPv4 SYN gets a RST. */
static void test_dual_stack_listener(void)
{
    struct net6 n;
    net_up(&n, 63, NULL);
    int lfd = listen6(n.b, 80, 0);
    int c6 = connect6(&n, &n.b6, 80);
    int c4 = nst_socket(n.a, NST_SOCK_STREAM);
    struct nst_sockaddr to4 = {.addr = B4, .port = 80};
    CHECK_EQ(nst_connect(n.a, c4, &to4), -EINPROGRESS);
    nst_world_run_for(n.w, NST_MSEC(50));
    struct nst_sockaddr p1, p2, n4, n6;
    CHECK_EQ(nst_getsockname(n.a, c4, &n4), 0);
    CHECK_EQ(nst_getsockname(n.a, c6, &n6), 0);
    int s1 = nst_accept(n.b, lfd, &p1), s2 = nst_accept(n.b, lfd, &p2);
    CHECK(s1 >= 0 && s2 >= 0);
    CHECK_EQ(p1.family, NST_AF_INET6);
    CHECK_EQ(p2.family, NST_AF_INET6);
    /* Accepted in the order the handshakes completed: IPv6 first (its
     * SYN went first). */
    struct nst_sockaddr want6 = sa6(&n.a6, n6.port);
    char m[64];
    snprintf(m, sizeof(m), "[::ffff:10.0.0.1]:%u", n4.port);
    CHECK_TEXT(su_addr_str(&p1), su_addr_str(&want6));
    CHECK_TEXT(su_addr_str(&p2), m);
    struct nst_sockaddr l2;
    CHECK_EQ(nst_getsockname(n.b, s2, &l2), 0);
    CHECK_TEXT(su_addr_str(&l2), "[::ffff:10.0.0.2]:80");
    nst_close(n.b, lfd);
    /* V6ONLY: the IPv4 client is refused. */
    lfd = listen6(n.b, 81, 1);
    int r4 = nst_socket(n.a, NST_SOCK_STREAM);
    to4.port = 81;
    CHECK_EQ(nst_connect(n.a, r4, &to4), -EINPROGRESS);
    int r6 = connect6(&n, &n.b6, 81);
    nst_world_run_for(n.w, NST_MSEC(50));
    int err = 0;
    size_t len = sizeof(err);
    CHECK_EQ(nst_getsockopt(n.a, r4, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len), 0);
    CHECK_EQ(err, ECONNREFUSED);
    CHECK(nst_accept(n.b, lfd, NULL) >= 0);
    CHECK_EQ(nst_accept(n.b, lfd, NULL), -EAGAIN);
    CHECK_EQ(info(n.a, r6).state, NST_TCPS_ESTABLISHED);
    nst_world_free(n.w);
}

/* The side that closes first holds the IPv6 tuple in TIME_WAIT for 2*MSL
 * (60 s), answers a retransmitted FIN from the record, and a connection
 * to a closed IPv6 port draws a RST. */
static void test_time_wait_and_reset(void)
{
    struct net6 n;
    net_up(&n, 64, NULL);
    int lfd = listen6(n.b, 80, 0);
    int cfd = connect6(&n, &n.b6, 80);
    nst_world_run_for(n.w, NST_MSEC(50));
    int sfd = nst_accept(n.b, lfd, NULL);
    CHECK(sfd >= 0);
    nst_time_t closed = nst_world_now(n.w);
    CHECK_EQ(nst_close(n.a, cfd), 0);
    nst_world_run_for(n.w, NST_MSEC(10));
    CHECK_EQ(nst_close(n.b, sfd), 0);
    nst_world_run_for(n.w, NST_MSEC(10));
    struct nst_tcp_info v[4];
    int k = nst_tcp_list(n.a, v, 4);
    CHECK_EQ(k, 1);
    CHECK_EQ(v[0].state, NST_TCPS_TIME_WAIT);
    CHECK_EQ(v[0].local.family, NST_AF_INET6);
    CHECK_TEXT(su_addr_str(&v[0].remote), "[2001:db8::2]:80");
    CHECK(v[0].timer_expires > closed + NST_SEC(59) && v[0].timer_expires < closed + NST_SEC(61));
    nst_world_run_until(n.w, v[0].timer_expires + 1);
    CHECK_EQ(nst_tcp_list(n.a, v, 4), 0);
    /* No listener on 82: RST, ECONNREFUSED. */
    int r = connect6(&n, &n.b6, 82);
    nst_world_run_for(n.w, NST_MSEC(10));
    int err = 0;
    size_t len = sizeof(err);
    CHECK_EQ(nst_getsockopt(n.a, r, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len), 0);
    CHECK_EQ(err, ECONNREFUSED);
    nst_world_free(n.w);
}

/* RFC 6056 over IPv6: with 4 ephemeral ports, the fifth connection to one
 * destination fails at once with EADDRNOTAVAIL (and a counter). */
static void test_port_exhaustion(void)
{
    struct net6 n;
    struct nst_stack_config c = cfg6();
    c.ephemeral_lo = 40000;
    c.ephemeral_hi = 40003;
    net_up_cfg(&n, 65, NULL, c);
    int lfd = listen6(n.b, 80, 0);
    uint16_t ports[4];
    for (int i = 0; i < 4; i++) {
        int fd = connect6(&n, &n.b6, 80);
        struct nst_sockaddr me;
        CHECK_EQ(nst_getsockname(n.a, fd, &me), 0);
        ports[i] = me.port;
        CHECK(me.port >= 40000 && me.port <= 40003);
        for (int j = 0; j < i; j++)
            CHECK(ports[j] != ports[i]);
    }
    int fd = nst_socket_family(n.a, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr to = sa6(&n.b6, 80);
    uint64_t before = nst_stack_stats(n.a)->tcp_port_exhausted;
    CHECK_EQ(nst_connect(n.a, fd, &to), -EADDRNOTAVAIL);
    CHECK_EQ(nst_stack_stats(n.a)->tcp_port_exhausted, before + 1);
    /* Another destination port is another tuple space. */
    to.port = 81;
    CHECK_EQ(nst_connect(n.a, fd, &to), -EINPROGRESS);
    (void)lfd;
    nst_world_free(n.w);
}

/* Link-local addresses need their interface: connect without scope_id is
 * EINVAL (as Linux); with it, the handshake completes and the peer is
 * reported with its scope. */
static void test_link_local(void)
{
    struct net6 n;
    net_up(&n, 66, NULL);
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(n.b, 0, v, NST_IP6_MAX_ADDRS);
    nst_ip6_t bll = {{0}};
    for (int i = 0; i < k && i < NST_IP6_MAX_ADDRS; i++)
        if (v[i].origin == NST_ADDR6_LINK_LOCAL)
            bll = v[i].addr;
    CHECK_EQ(bll.b[0], 0xfe);
    int lfd = listen6(n.b, 80, 0);
    int fd = nst_socket_family(n.a, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr to = sa6(&bll, 80);
    CHECK_EQ(nst_connect(n.a, fd, &to), -EINVAL);
    to.scope_id = NST_MAX_IFACES + 1;
    CHECK_EQ(nst_connect(n.a, fd, &to), -ENODEV);
    to.scope_id = 1; /* interface 0 */
    CHECK_EQ(nst_connect(n.a, fd, &to), -EINPROGRESS);
    nst_world_run_for(n.w, NST_MSEC(50));
    struct nst_sockaddr peer;
    int s = nst_accept(n.b, lfd, &peer);
    CHECK(s >= 0);
    CHECK_EQ(peer.scope_id, 1);
    CHECK_EQ(peer.addr6.b[0], 0xfe);
    CHECK_EQ(info(n.a, fd).rcv_mss, 1440); /* the interface's MTU, not the 1280 of no route */
    CHECK_EQ(info(n.b, s).rcv_mss, 1440);
    CHECK_EQ(nst_send(n.a, fd, "ll", 2, 0), 2);
    nst_world_run_for(n.w, NST_MSEC(10));
    char buf[4];
    CHECK_EQ(nst_recv(n.b, s, buf, sizeof(buf), 0), 2);
    nst_world_free(n.w);
}

/* What a sent toward b: the last data segment (its IPv6 packet), and the
 * sizes of the data-carrying frames after `mark`. */
struct watch {
    uint8_t last[2048];
    size_t last_len;
    int marked;
    unsigned big_after, sizes_after[4];
    size_t max_after;
};

static void watch_a(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *frame,
                    size_t len)
{
    (void)now;
    struct watch *w = arg;
    /* a's IPv6 TCP frames with data: Ethernet 14 + IPv6 40 + TCP >= 20. */
    if (ev != NST_SIM_OFFERED || dir != 0 || len < 14 + 40 + 20 || nst_get16(frame + 12) != 0x86dd ||
        frame[14 + 6] != NST_IP6_NH_TCP)
        return;
    size_t ip_len = 40 + (size_t)nst_get16(frame + 14 + 4);
    size_t hl = (size_t)(frame[14 + 40 + 12] >> 4) * 4;
    if (ip_len <= 40 + hl || ip_len > sizeof(w->last))
        return;
    memcpy(w->last, frame + 14, ip_len);
    w->last_len = ip_len;
    if (w->marked) {
        w->max_after = ip_len > w->max_after ? ip_len : w->max_after;
        if (ip_len == 1280)
            w->big_after++;
    }
}

/* RFC 8201 4 / RFC 1981: a Packet Too Big (MTU 1280) quoting a segment in
 * flight lowers the MSS to 1220 (1280 - 60): what is in flight goes again
 * in 1280-byte packets (1208 bytes of data and 12 of timestamps), never
 * larger, and the bytes still arrive identical. A Packet Too Big quoting
 * data not in flight, or below 1280, is not believed / raised to 1280. */
static void test_packet_too_big(void)
{
    struct net6 n;
    net_up(&n, 67, NULL);
    struct watch w;
    memset(&w, 0, sizeof(w));
    nst_sim_link_observe(n.l, watch_a, &w);
    int lfd = listen6(n.b, 80, 0);
    int cfd = connect6(&n, &n.b6, 80);
    nst_world_run_for(n.w, NST_MSEC(50));
    int sfd = nst_accept(n.b, lfd, NULL);
    CHECK(sfd >= 0);
    static uint8_t data[65536];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    CHECK_EQ(nst_send(n.a, cfd, data, 30000, 0), 30000);
    nst_world_run_for(n.w, NST_USEC(500)); /* segments on the wire, none acknowledged */
    CHECK_EQ(w.last_len, 1500);
    CHECK_EQ(info(n.a, cfd).snd_mss, 1428);
    /* b (the "router") reports the path narrower. */
    uint64_t clamped = nst_stack_stats(n.a)->tcp_pmtu_clamped;
    nst_icmp6_send_error(n.b, NST_ICMP6_PACKET_TOO_BIG, 0, 1000, w.last, w.last_len, 0);
    w.marked = 1;
    nst_world_run_for(n.w, NST_MSEC(5));
    struct nst_tcp_info ci = info(n.a, cfd);
    CHECK_EQ(ci.snd_mss, 1208);                                /* 1000 < 1280: taken as 1280 */
    CHECK_EQ(nst_stack_stats(n.a)->tcp_pmtu_clamped, clamped + 1);
    CHECK_EQ(ci.pmtu, 1280);
    CHECK_EQ(nst_send(n.a, cfd, data, sizeof(data), 0), (ssize_t)sizeof(data));
    size_t got = 0;
    static uint8_t in[100000];
    for (int i = 0; i < 200 && got < 30000 + sizeof(data); i++) {
        ssize_t r = nst_recv(n.b, sfd, in + got, sizeof(in) - got, 0);
        if (r > 0)
            got += (size_t)r;
        nst_world_run_for(n.w, NST_MSEC(1));
    }
    CHECK_EQ(got, 30000 + sizeof(data));
    CHECK_MEM(in, data, 30000);
    CHECK_MEM(in + 30000, data, sizeof(data));
    CHECK_EQ(w.max_after, 1280);
    CHECK_EQ(w.big_after, 78); /* this run: the 30000 in flight again, then the rest */
    fprintf(stderr, "  after Packet Too Big: %u packets of 1280 bytes, none larger\n", w.big_after);
    /* A stale report (quoting data long acknowledged) changes nothing. */
    nst_icmp6_send_error(n.b, NST_ICMP6_PACKET_TOO_BIG, 0, 1280, w.last, w.last_len, 0);
    nst_world_run_for(n.w, NST_MSEC(5));
    CHECK_EQ(info(n.a, cfd).snd_mss, 1208);
    nst_world_free(n.w);
}

/* RFC 4987 SYN cookies over IPv6: with a backlog of 1 and the SYN queue
 * full, the second client's SYN is answered statelessly; its ACK brings
 * the cookie back (the MAC over the 16-byte addresses) and becomes a
 * connection. Then RFC 7413 Fast Open: the first connection asks for a
 * cookie, the second carries its data in the SYN and the server reads it
 * before the handshake is over. */
static void test_syn_and_tfo_cookies(void)
{
    struct net6 n;
    net_up(&n, 68, NULL);
    warm_neighbours(&n);
    int lfd = listen6(n.b, 80, 0);
    CHECK_EQ(nst_listen(n.b, lfd, 1), 0);
    nst_time_t t0 = nst_world_now(n.w);
    int c1 = connect6(&n, &n.b6, 80);
    nst_world_run_until(n.w, t0 + NST_USEC(500));
    int c2 = connect6(&n, &n.b6, 80);
    /* 3 ms: c1 established and queued (SYN, SYN-ACK, ACK: 1 ms each); c2's
     * ACK with the cookie arrives at 3.5 ms, once c1 was accepted. */
    nst_world_run_until(n.w, t0 + NST_USEC(3200));
    CHECK_EQ(nst_stack_stats(n.b)->tcp_syncookies_sent, 1);
    int s1 = nst_accept(n.b, lfd, NULL);
    CHECK(s1 >= 0);
    nst_world_run_for(n.w, NST_MSEC(5));
    CHECK_EQ(nst_stack_stats(n.b)->tcp_syncookies_ok, 1);
    CHECK_EQ(nst_stack_stats(n.b)->tcp_syncookies_failed, 0);
    int s2 = nst_accept(n.b, lfd, NULL);
    CHECK(s2 >= 0);
    CHECK_EQ(info(n.a, c2).state, NST_TCPS_ESTABLISHED);
    CHECK_EQ(nst_send(n.a, c2, "cookie", 6, 0), 6);
    nst_world_run_for(n.w, NST_MSEC(5));
    char buf[16];
    CHECK_EQ(nst_recv(n.b, s2, buf, sizeof(buf), 0), 6);
    CHECK_MEM(buf, "cookie", 6);
    (void)c1;
    nst_world_free(n.w);

    /* Fast Open. */
    struct net6 m;
    struct nst_stack_config c = cfg6();
    c.tcp.fastopen = 3; /* client and server */
    net_up_cfg(&m, 69, NULL, c);
    warm_neighbours(&m);
    int fl = listen6(m.b, 443, 0);
    int qlen = 8, one = 1;
    CHECK_EQ(nst_setsockopt(m.b, fl, NST_IPPROTO_TCP, NST_TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
    struct nst_sockaddr to = sa6(&m.b6, 443);
    for (int round = 0; round < 2; round++) {
        int fd = nst_socket_family(m.a, NST_AF_INET6, NST_SOCK_STREAM);
        CHECK_EQ(nst_setsockopt(m.a, fd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN_CONNECT, &one, sizeof(one)), 0);
        CHECK_EQ(nst_connect(m.a, fd, &to), round == 0 ? -EINPROGRESS : 0);
        CHECK_EQ(nst_send(m.a, fd, "early", 5, 0), round == 0 ? -EAGAIN : 5);
        nst_world_run_for(m.w, NST_USEC(1500)); /* the SYN is there, the handshake is not over */
        int s = nst_accept(m.b, fl, NULL);
        if (round == 1) {
            CHECK(s >= 0); /* 5.1: accepted with the SYN's data */
            CHECK_EQ(nst_recv(m.b, s, buf, sizeof(buf), 0), 5);
            CHECK_MEM(buf, "early", 5);
        }
        nst_world_run_for(m.w, NST_MSEC(10));
        nst_close(m.a, fd);
        if (s >= 0)
            nst_close(m.b, s);
        else
            nst_close(m.b, nst_accept(m.b, fl, NULL));
        nst_world_run_for(m.w, NST_MSEC(10));
    }
    CHECK_EQ(nst_stack_stats(m.b)->tcp_tfo_cookies_sent, 1);
    CHECK_EQ(nst_stack_stats(m.b)->tcp_tfo_passive, 1);
    CHECK_EQ(nst_stack_stats(m.a)->tcp_tfo_syn_data_acked, 1);
    CHECK_EQ(nst_stack_stats(m.b)->tcp_tfo_cookie_invalid, 0);
    nst_world_free(m.w);
}

/* RFC 3168 over IPv6: the SYN asks for ECN (ECE and CWR), the data goes
 * out ECT(0) in the traffic class's two low bits. */
static void test_ecn_traffic_class(void)
{
    struct net6 n;
    memset(&n, 0, sizeof(n));
    net_up(&n, 70, NULL);
    struct watch w;
    memset(&w, 0, sizeof(w));
    nst_sim_link_observe(n.l, watch_a, &w);
    int one = 1;
    int lfd = listen6(n.b, 80, 0);
    CHECK_EQ(nst_setsockopt(n.b, lfd, NST_IPPROTO_TCP, NST_TCP_ECN, &one, sizeof(one)), 0);
    int cfd = nst_socket_family(n.a, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK_EQ(nst_setsockopt(n.a, cfd, NST_IPPROTO_TCP, NST_TCP_ECN, &one, sizeof(one)), 0);
    struct nst_sockaddr to = sa6(&n.b6, 80);
    CHECK_EQ(nst_connect(n.a, cfd, &to), -EINPROGRESS);
    nst_world_run_for(n.w, NST_MSEC(50));
    CHECK_EQ(nst_stack_stats(n.a)->tcp_ecn_negotiated, 1);
    CHECK_EQ(nst_send(n.a, cfd, "ect", 3, 0), 3);
    nst_world_run_for(n.w, NST_MSEC(5));
    CHECK_EQ(w.last_len, 40 + 32 + 3);
    uint8_t tclass = (uint8_t)(((w.last[0] & 0x0f) << 4) | (w.last[1] >> 4));
    CHECK_EQ(tclass & 3, 2); /* ECT(0) */
    nst_world_free(n.w);
}

int main(void)
{
    RUN(test_handshake_and_megabyte);
    RUN(test_megabyte_through_loss);
    RUN(test_dual_stack_listener);
    RUN(test_time_wait_and_reset);
    RUN(test_port_exhaustion);
    RUN(test_link_local);
    RUN(test_packet_too_big);
    RUN(test_syn_and_tfo_cookies);
    RUN(test_ecn_traffic_class);
    return nst_test_done();
}
