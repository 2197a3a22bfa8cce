/* Ping and traceroute across the lab's New York - London path (three
 * routers, 40 ms each way, 1 Gbit/s links) through ICMP echo sockets.
 *
 * Timings are exact: a frame of L bytes takes L * 8 ns to serialise at
 * 1 Gbit/s on each of the 4 hops, plus the hop's latency; routers forward
 * in zero time. The first ping also waits for ARP on the two LAN edges
 * (ny -> r1 and r3 -> london): a 60-byte request and a 60-byte reply across
 * a 0.5 ms link, each. */
#include <errno.h>
#include <nstack/nstack.h>

#include "support/sim_util.h"
#include "test.h"

#define PAYLOAD 56                          /* the classic ping payload */
#define REQ_FRAME (14 + 20 + 8 + PAYLOAD)   /* 98 bytes: echo request/reply */
#define ERR_FRAME (14 + 20 + 8 + 20 + 8)    /* 70 bytes: an ICMP error quoting 28 bytes */
#define ARP_FRAME 60
#define SER(len) ((nst_time_t)(len) * 8)    /* ns at 1 Gbit/s */
#define ONE_WAY NST_MSEC(40)
#define LAN NST_USEC(500)

#define R1_NY NST_IP4(10, 0, 1, 1)
#define R2_R1 NST_IP4(10, 0, 12, 2)
#define R3_R2 NST_IP4(10, 0, 23, 2)

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

struct lab {
    struct nst_lab_path p;
    int fd;
    uint16_t id;
};

static void lab_up(struct lab *l)
{
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    CHECK_EQ(nst_lab_path_build(&l->p, &o), 0);
    l->fd = nst_socket(l->p.ny, NST_SOCK_ICMP);
    CHECK(l->fd >= 0);
    struct nst_sockaddr any = {0, 0}, name;
    CHECK_EQ(nst_bind(l->p.ny, l->fd, &any), 0);
    CHECK_EQ(nst_getsockname(l->p.ny, l->fd, &name), 0);
    l->id = name.port;
    nst_world_run_until(l->p.world, NST_SEC(1));
}

static int readable(void *arg)
{
    struct lab *l = arg;
    return (nst_socket_events(l->p.ny, l->fd) & NST_EV_IN) != 0;
}

struct answer {
    nst_time_t rtt;       /* -1: none within 10 s */
    ssize_t len;
    uint8_t msg[256];
    struct nst_sockaddr from;
};

static void make_request(uint8_t *req, uint16_t seq)
{
    memset(req, 0, 8);
    req[0] = NST_ICMP_ECHO_REQUEST;
    req[4] = 0xde; /* the identifier is replaced by the socket's own */
    req[5] = 0xad;
    nst_put16(req + 6, seq);
    for (int i = 0; i < PAYLOAD; i++)
        req[8 + i] = (uint8_t)(seq + i);
}

/* Sends one echo request to dst and waits for whatever comes back. */
static struct answer ping(struct lab *l, nst_ip4_t dst, uint16_t seq)
{
    struct answer a;
    memset(&a, 0, sizeof a);
    uint8_t req[8 + PAYLOAD];
    make_request(req, seq);
    struct nst_sockaddr to = {dst, 0};
    nst_time_t t = nst_world_now(l->p.world);
    CHECK_EQ(nst_sendto(l->p.ny, l->fd, req, sizeof req, 0, &to), (ssize_t)sizeof req);
    if (!nst_world_run_until_cond(l->p.world, readable, l, t + NST_SEC(10))) {
        a.rtt = -1;
        return a;
    }
    a.rtt = nst_world_now(l->p.world) - t;
    a.len = nst_recvfrom(l->p.ny, l->fd, a.msg, sizeof a.msg, 0, &a.from);
    return a;
}

static void check_echo_reply(const struct lab *l, const struct answer *a, uint16_t seq)
{
    CHECK_EQ(a->len, 8 + PAYLOAD);
    CHECK_EQ(a->from.addr, NST_LAB_LONDON_ADDR);
    CHECK_EQ(a->msg[0], NST_ICMP_ECHO_REPLY);
    CHECK_EQ(a->msg[1], 0);
    CHECK_EQ(nst_get16(a->msg + 4), l->id);
    CHECK_EQ(nst_get16(a->msg + 6), seq);
    CHECK_EQ(nst_inet_checksum(a->msg, (size_t)(a->len > 0 ? a->len : 0)), 0);
    uint8_t req[8 + PAYLOAD];
    make_request(req, seq);
    CHECK_MEM(a->msg + 8, req + 8, PAYLOAD);
}

static void test_ping_rtt(void)
{
    struct lab l;
    lab_up(&l);
    const nst_time_t rtt = 2 * ONE_WAY + 8 * SER(REQ_FRAME); /* 80 ms + 6272 ns */
    const nst_time_t arp = 2 * (2 * (LAN + SER(ARP_FRAME)));  /* two LAN edges, there and back */
    struct answer a = ping(&l, NST_LAB_LONDON_ADDR, 1);
    CHECK_EQ(a.rtt, rtt + arp);
    CHECK_EQ(a.rtt, NST_MSEC(82) + 6272 + 1920);
    check_echo_reply(&l, &a, 1);
    for (uint16_t seq = 2; seq <= 5; seq++) {
        nst_world_run_until(l.p.world, NST_SEC(seq));
        a = ping(&l, NST_LAB_LONDON_ADDR, seq);
        CHECK_EQ(a.rtt, rtt);
        check_echo_reply(&l, &a, seq);
    }
    /* Counters along the way: 5 requests, 5 replies, no errors. */
    CHECK_EQ(S(l.p.ny)->icmp_tx_echo_request, 5);
    CHECK_EQ(S(l.p.london)->icmp_rx_echo_request, 5);
    CHECK_EQ(S(l.p.london)->icmp_tx_echo_reply, 5);
    CHECK_EQ(S(l.p.ny)->icmp_rx_echo_reply, 5);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(S(l.p.routers[i])->ip_forwarded, 10);
    CHECK_EQ(S(l.p.ny)->arp_tx_requests, 1);
    CHECK_EQ(S(l.p.routers[2])->arp_tx_requests, 1);
    CHECK_EQ(S(l.p.london)->arp_tx_requests, 0); /* learnt r3 from its request */
    CHECK_EQ(S(l.p.routers[0])->arp_tx_requests, 0);
    CHECK_EQ(S(l.p.routers[1])->arp_tx_requests, 0); /* WAN links: static neighbours */
    nst_lab_path_free(&l.p);
}

/* A second socket on the same host gets only its own replies. */
static void test_ping_sockets_demux(void)
{
    struct lab l;
    lab_up(&l);
    int fd2 = nst_socket(l.p.ny, NST_SOCK_ICMP);
    uint8_t req[8 + PAYLOAD];
    make_request(req, 9);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, 0}, name;
    CHECK_EQ(nst_sendto(l.p.ny, fd2, req, sizeof req, 0, &to), (ssize_t)sizeof req); /* binds implicitly */
    CHECK_EQ(nst_getsockname(l.p.ny, fd2, &name), 0);
    CHECK(name.port != l.id);
    CHECK(name.port >= 49152);
    nst_world_run_for(l.p.world, NST_SEC(1));
    uint8_t msg[256];
    CHECK_EQ(nst_recv(l.p.ny, l.fd, msg, sizeof msg, 0), -EAGAIN);
    CHECK_EQ(nst_recv(l.p.ny, fd2, msg, sizeof msg, 0), 8 + PAYLOAD);
    CHECK_EQ(nst_get16(msg + 4), name.port);
    /* The same identifier twice is in use. */
    int fd3 = nst_socket(l.p.ny, NST_SOCK_ICMP);
    struct nst_sockaddr same = {0, l.id};
    CHECK_EQ(nst_bind(l.p.ny, fd3, &same), -EADDRINUSE);
    /* After close the replies for that identifier are unmatched. */
    nst_close(l.p.ny, fd2);
    CHECK_EQ(nst_sendto(l.p.ny, fd3, req, sizeof req, 0, &to), (ssize_t)sizeof req);
    nst_close(l.p.ny, fd3);
    uint64_t unmatched = S(l.p.ny)->icmp_rx_unmatched;
    nst_world_run_for(l.p.world, NST_SEC(1));
    CHECK_EQ(S(l.p.ny)->icmp_rx_unmatched, unmatched + 1);
    nst_lab_path_free(&l.p);
}

static void test_ping_socket_errors(void)
{
    struct lab l;
    lab_up(&l);
    uint8_t req[8 + PAYLOAD];
    make_request(req, 1);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, 0};
    CHECK_EQ(nst_send(l.p.ny, l.fd, req, sizeof req, 0), -EDESTADDRREQ);
    CHECK_EQ(nst_sendto(l.p.ny, l.fd, req, 7, 0, &to), -EINVAL); /* shorter than a header */
    req[0] = NST_ICMP_ECHO_REPLY;
    CHECK_EQ(nst_sendto(l.p.ny, l.fd, req, sizeof req, 0, &to), -EINVAL);
    req[0] = NST_ICMP_ECHO_REQUEST;
    req[1] = 1;
    CHECK_EQ(nst_sendto(l.p.ny, l.fd, req, sizeof req, 0, &to), -EINVAL);
    req[1] = 0;
    CHECK_EQ(nst_connect(l.p.ny, l.fd, &to), -EOPNOTSUPP);
    /* An 8-byte echo (no data) is fine. */
    CHECK_EQ(nst_sendto(l.p.ny, l.fd, req, 8, 0, &to), 8);
    nst_world_run_for(l.p.world, NST_SEC(1));
    uint8_t msg[64];
    CHECK_EQ(nst_recv(l.p.ny, l.fd, msg, sizeof msg, 0), 8);
    CHECK_EQ(S(l.p.ny)->icmp_tx_echo_request, 1);
    nst_lab_path_free(&l.p);
}

/* What traceroute sees: with TTL 1, 2, 3 the request expires at r1, r2, r3,
 * each answering from its interface toward New York; with TTL 4 London
 * answers. Every answer's time is exact. */
static void test_traceroute(void)
{
    struct lab l;
    lab_up(&l);
    /* Warm the ARP caches first so every probe is timed cleanly. */
    struct answer a = ping(&l, NST_LAB_LONDON_ADDR, 100);
    CHECK(a.rtt > 0);
    static const nst_ip4_t hop_addr[4] = {R1_NY, R2_R1, R3_R2, NST_LAB_LONDON_ADDR};
    static const nst_time_t hop_latency[4] = {LAN, NST_MSEC(19), NST_MSEC(20), LAN};
    nst_time_t path = 0;
    for (int ttl = 1; ttl <= 4; ttl++) {
        CHECK_EQ(nst_setsockopt(l.p.ny, l.fd, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof ttl), 0);
        nst_world_run_until(l.p.world, NST_SEC(1 + ttl));
        uint16_t seq = (uint16_t)(200 + ttl);
        a = ping(&l, NST_LAB_LONDON_ADDR, seq);
        /* ttl hops out with the request, ttl hops back with the answer. */
        path += hop_latency[ttl - 1];
        nst_time_t answer = ttl < 4 ? SER(ERR_FRAME) : SER(REQ_FRAME);
        CHECK_EQ(a.from.addr, hop_addr[ttl - 1]);
        CHECK_EQ(a.rtt, 2 * path + ttl * (SER(REQ_FRAME) + answer));
        if (ttl < 4) {
            CHECK_EQ(a.len, 8 + 20 + 8);
            CHECK_EQ(a.msg[0], NST_ICMP_TIME_EXCEEDED);
            CHECK_EQ(a.msg[1], NST_ICMP_TTL_EXCEEDED);
            CHECK_EQ(nst_inet_checksum(a.msg, 36), 0);
            /* The quote: our request's header as the router got it (TTL 1)
             * and its ICMP header, with our identifier and sequence. */
            const uint8_t *q = a.msg + 8;
            CHECK_EQ(q[8], 1);
            CHECK_EQ(nst_get32(q + 12), NST_LAB_NY_ADDR);
            CHECK_EQ(nst_get32(q + 16), NST_LAB_LONDON_ADDR);
            CHECK_EQ(q[20], NST_ICMP_ECHO_REQUEST);
            CHECK_EQ(nst_get16(q + 24), l.id);
            CHECK_EQ(nst_get16(q + 26), seq);
            CHECK_EQ(S(l.p.routers[ttl - 1])->ip_drop_ttl_expired, 1);
        } else {
            check_echo_reply(&l, &a, seq);
        }
    }
    CHECK_EQ(path, ONE_WAY);
    int v = 0;
    size_t vl = sizeof v;
    CHECK_EQ(nst_getsockopt(l.p.ny, l.fd, NST_IPPROTO_IP, NST_IP_TTL, &v, &vl), 0);
    CHECK_EQ(v, 4);
    nst_lab_path_free(&l.p);
}

/* An address on London's LAN that nobody has: r3 asks three times, then
 * answers host unreachable, exactly 3 s after the request reached it, from
 * its interface toward the sender (like Linux's default). */
static void test_host_unreachable_after_arp(void)
{
    struct lab l;
    lab_up(&l);
    nst_ip4_t ghost = NST_IP4(10, 0, 4, 99);
    struct answer a = ping(&l, ghost, 1);
    const nst_time_t arp_ny = 2 * (LAN + SER(ARP_FRAME));
    const nst_time_t to_r3 = LAN + NST_MSEC(39) + 3 * SER(REQ_FRAME);
    const nst_time_t from_r3 = LAN + NST_MSEC(39) + 3 * SER(ERR_FRAME);
    CHECK_EQ(a.rtt, arp_ny + to_r3 + NST_SEC(3) + from_r3);
    CHECK_EQ(a.from.addr, R3_R2);
    CHECK_EQ(a.msg[0], NST_ICMP_DEST_UNREACH);
    CHECK_EQ(a.msg[1], NST_ICMP_HOST_UNREACH);
    CHECK_EQ(nst_get16(a.msg + 8 + 24), l.id);
    CHECK_EQ(S(l.p.routers[2])->arp_tx_requests, 3);
    CHECK_EQ(S(l.p.routers[2])->arp_resolve_failed, 1);
    CHECK_EQ(S(l.p.routers[2])->ip_drop_arp_failed, 1);
    nst_lab_path_free(&l.p);
}

int main(void)
{
    RUN(test_ping_rtt);
    RUN(test_ping_sockets_demux);
    RUN(test_ping_socket_errors);
    RUN(test_traceroute);
    RUN(test_host_unreachable_after_arp);
    return nst_test_done();
}
