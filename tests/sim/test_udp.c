/* UDP sockets (RFC 768, RFC 1122 4.1) on a two-host simulated link:
 * bind/connect/sendto/recvfrom semantics and their errors, ephemeral ports
 * (RFC 6056), port conflicts and SO_REUSEADDR, ICMP port unreachable turned
 * into ECONNREFUSED, the bounded receive queue, MSG_PEEK and truncation,
 * checksums, loopback delivery and descriptor numbering. */
#include <errno.h>
#include <nstack/nstack.h>

#include "core/stack_impl.h"
#include "socket/dgram.h"
#include "support/sim_util.h"
#include "test.h"

#define T0 NST_SEC(1)

static uint8_t frame[SU_FRAME_MAX];
static uint8_t buf[70000];

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static struct nst_sockaddr SA(nst_ip4_t a, uint16_t p)
{
    struct nst_sockaddr s = {a, p};
    return s;
}

static void pair_up(struct su_pair *p)
{
    CHECK_EQ(su_pair_build(p, 11, NULL, NULL), 0); /* 1 ms each way */
    nst_world_run_until(p->w, T0);
}

/* Sends a 1-byte datagram a -> b so both ARP caches are warm. */
static void warm_arp(struct su_pair *p)
{
    int fa = nst_socket(p->a, NST_SOCK_DGRAM);
    struct nst_sockaddr to = SA(SU_B_ADDR, 9);
    nst_sendto(p->a, fa, "w", 1, 0, &to);
    nst_world_run_for(p->w, NST_MSEC(10));
    nst_close(p->a, fa);
}

static void test_descriptors(void)
{
    struct nst_stack *st = nst_stack_new(NULL);
    /* Like POSIX and packetdrill scripts: 3 first, the lowest free after. */
    int a = nst_socket(st, NST_SOCK_DGRAM), b = nst_socket(st, NST_SOCK_DGRAM), c = nst_socket(st, NST_SOCK_ICMP);
    CHECK_EQ(a, 3);
    CHECK_EQ(b, 4);
    CHECK_EQ(c, 5);
    CHECK_EQ(nst_close(st, b), 0);
    CHECK_EQ(nst_close(st, b), -EBADF);
    CHECK_EQ(nst_socket(st, NST_SOCK_DGRAM), 4);
    CHECK_EQ(nst_socket(st, 99), -EPROTONOSUPPORT);
    CHECK_EQ(nst_socket_events(st, 100), -EBADF);
    CHECK_EQ(nst_socket_events(st, -1), -EBADF);
    /* Past the first 64: the table grows and numbering stays dense. */
    int last = 0;
    for (int i = 0; i < 100; i++)
        last = nst_socket(st, NST_SOCK_DGRAM);
    CHECK_EQ(last, 105);
    int type = 0;
    size_t tl = sizeof type;
    CHECK_EQ(nst_getsockopt(st, a, NST_SOL_SOCKET, NST_SO_TYPE, &type, &tl), 0);
    CHECK_EQ(type, NST_SOCK_DGRAM);
    /* A datagram socket does not listen or accept. */
    CHECK_EQ(nst_listen(st, a, 5), -EOPNOTSUPP);
    CHECK_EQ(nst_accept(st, a, NULL), -EOPNOTSUPP);
    nst_stack_free(st); /* closes the rest */
}

static void test_bind_semantics(void)
{
    struct su_pair p;
    pair_up(&p);
    int f1 = nst_socket(p.a, NST_SOCK_DGRAM), f2 = nst_socket(p.a, NST_SOCK_DGRAM);
    struct nst_sockaddr a = SA(SU_A_ADDR, 5000), got;
    CHECK_EQ(nst_getsockname(p.a, f1, &got), 0);
    CHECK_EQ(got.addr, 0);
    CHECK_EQ(got.port, 0);
    CHECK_EQ(nst_bind(p.a, f1, &a), 0);
    CHECK_EQ(nst_bind(p.a, f1, &a), -EINVAL); /* already bound */
    CHECK_EQ(nst_getsockname(p.a, f1, &got), 0);
    CHECK_EQ(got.addr, SU_A_ADDR);
    CHECK_EQ(got.port, 5000);
    CHECK_EQ(nst_getpeername(p.a, f1, &got), -ENOTCONN);
    /* Not one of our addresses. */
    struct nst_sockaddr bad = SA(SU_B_ADDR, 5001);
    CHECK_EQ(nst_bind(p.a, f2, &bad), -EADDRNOTAVAIL);
    bad = SA(0xffffffffu, 5001);
    CHECK_EQ(nst_bind(p.a, f2, &bad), -EADDRNOTAVAIL);
    /* The same port: on the same address or the wildcard, in use. */
    CHECK_EQ(nst_bind(p.a, f2, &a), -EADDRINUSE);
    struct nst_sockaddr any = SA(0, 5000);
    CHECK_EQ(nst_bind(p.a, f2, &any), -EADDRINUSE);
    /* SO_REUSEADDR on one side only is not enough... */
    int one = 1;
    CHECK_EQ(nst_setsockopt(p.a, f2, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(nst_bind(p.a, f2, &any), -EADDRINUSE);
    /* ... on both it is. */
    int f3 = nst_socket(p.a, NST_SOCK_DGRAM);
    CHECK_EQ(nst_setsockopt(p.a, f3, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof one), 0);
    struct nst_sockaddr a2 = SA(SU_A_ADDR, 6000);
    CHECK_EQ(nst_bind(p.a, f3, &a2), 0);
    CHECK_EQ(nst_bind(p.a, f2, &a2), 0);
    int v = 0;
    size_t vl = sizeof v;
    CHECK_EQ(nst_getsockopt(p.a, f2, NST_SOL_SOCKET, NST_SO_REUSEADDR, &v, &vl), 0);
    CHECK_EQ(v, 1);
    /* Closing frees the port. */
    CHECK_EQ(nst_close(p.a, f1), 0);
    int f4 = nst_socket(p.a, NST_SOCK_DGRAM);
    CHECK_EQ(nst_bind(p.a, f4, &a), 0);
    /* Bad arguments. */
    CHECK_EQ(nst_bind(p.a, f4, NULL), -EINVAL);
    CHECK_EQ(nst_bind(p.a, 999, &a), -EBADF);
    CHECK_EQ(nst_setsockopt(p.a, f4, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, 1), -EINVAL);
    CHECK_EQ(nst_setsockopt(p.a, f4, NST_SOL_SOCKET, 12345, &one, sizeof one), -ENOPROTOOPT);
    int ttl = 0;
    CHECK_EQ(nst_setsockopt(p.a, f4, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof ttl), -EINVAL);
    ttl = 256;
    CHECK_EQ(nst_setsockopt(p.a, f4, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof ttl), -EINVAL);
    vl = sizeof v;
    CHECK_EQ(nst_getsockopt(p.a, f4, NST_IPPROTO_IP, NST_IP_TTL, &v, &vl), 0);
    CHECK_EQ(v, 64);
    su_pair_free(&p);
}

static int port_in(const int *ports, int n, int port)
{
    for (int i = 0; i < n; i++)
        if (ports[i] == port)
            return 1;
    return 0;
}

static void test_ephemeral_ports(void)
{
    struct su_pair p;
    pair_up(&p);
    warm_arp(&p);
    const struct nst_stack_config *c = &p.a->cfg;
    /* Unconnected sockets bound implicitly (by sendto) and explicitly to
     * port 0: all in range, all different, and not a sequence an observer
     * could extrapolate. */
    enum { N = 40 };
    int ports[N], fds[N];
    struct nst_sockaddr to = SA(SU_B_ADDR, 9), name;
    for (int i = 0; i < N; i++) {
        fds[i] = nst_socket(p.a, NST_SOCK_DGRAM);
        if (i % 2) {
            struct nst_sockaddr any = SA(0, 0);
            CHECK_EQ(nst_bind(p.a, fds[i], &any), 0);
        } else {
            CHECK_EQ(nst_sendto(p.a, fds[i], "x", 1, 0, &to), 1);
        }
        CHECK_EQ(nst_getsockname(p.a, fds[i], &name), 0);
        ports[i] = name.port;
        CHECK(name.port >= c->ephemeral_lo && name.port <= c->ephemeral_hi);
        CHECK(!port_in(ports, i, name.port));
    }
    int steps_of_one = 0;
    for (int i = 1; i < N; i++)
        if (ports[i] == ports[i - 1] + 1)
            steps_of_one++;
    CHECK_EQ(steps_of_one, 0);
    /* Connected sockets follow RFC 6056 Algorithm 3: the offset is a keyed
     * hash of the destination, so two destinations give unrelated ports
     * while successive sockets to one destination step through the range. */
    int c1 = nst_socket(p.a, NST_SOCK_DGRAM), c2 = nst_socket(p.a, NST_SOCK_DGRAM),
        c3 = nst_socket(p.a, NST_SOCK_DGRAM);
    struct nst_sockaddr d1 = SA(SU_B_ADDR, 53), d2 = SA(SU_B_ADDR, 123);
    CHECK_EQ(nst_connect(p.a, c1, &d1), 0);
    CHECK_EQ(nst_connect(p.a, c2, &d1), 0);
    CHECK_EQ(nst_connect(p.a, c3, &d2), 0);
    struct nst_sockaddr n1, n2, n3;
    nst_getsockname(p.a, c1, &n1);
    nst_getsockname(p.a, c2, &n2);
    nst_getsockname(p.a, c3, &n3);
    unsigned range = (unsigned)(c->ephemeral_hi - c->ephemeral_lo + 1);
    CHECK_EQ((n2.port - c->ephemeral_lo) % range, (n1.port - c->ephemeral_lo + 1) % range);
    CHECK(n3.port != n2.port + 1 && n3.port != n2.port - 1);
    su_pair_free(&p);

    /* A range of 10 ports: 10 sockets get all of them, the 11th none. */
    struct nst_stack_config small;
    nst_stack_config_default(&small);
    small.deterministic = 1;
    small.ephemeral_lo = 40000;
    small.ephemeral_hi = 40009;
    struct nst_stack *st = nst_stack_new(&small);
    int seen[10] = {0}, fd[11];
    for (int i = 0; i < 10; i++) {
        fd[i] = nst_socket(st, NST_SOCK_DGRAM);
        struct nst_sockaddr any = SA(0, 0);
        CHECK_EQ(nst_bind(st, fd[i], &any), 0);
        nst_getsockname(st, fd[i], &name);
        CHECK(name.port >= 40000 && name.port <= 40009);
        if (name.port >= 40000 && name.port <= 40009)
            seen[name.port - 40000]++;
    }
    for (int i = 0; i < 10; i++)
        CHECK_EQ(seen[i], 1);
    fd[10] = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr any = SA(0, 0);
    CHECK_EQ(nst_bind(st, fd[10], &any), -EADDRNOTAVAIL);
    /* Free one: exactly that one is found. */
    nst_getsockname(st, fd[6], &name);
    uint16_t freed = name.port;
    nst_close(st, fd[6]);
    CHECK_EQ(nst_bind(st, fd[10], &any), 0);
    nst_getsockname(st, fd[10], &name);
    CHECK_EQ(name.port, freed);
    /* An explicit port outside the range is fine. */
    int e = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr low = SA(0, 53);
    CHECK_EQ(nst_bind(st, e, &low), 0);
    nst_stack_free(st);
}

static void test_sendto_recvfrom(void)
{
    struct su_pair p;
    pair_up(&p);
    int fa = su_udp_bound(p.a, 0, 1111), fb = su_udp_bound(p.b, SU_B_ADDR, 2222);
    struct nst_sockaddr to = SA(SU_B_ADDR, 2222), from;
    CHECK_EQ(nst_recvfrom(p.b, fb, buf, sizeof buf, 0, &from), -EAGAIN);
    CHECK_EQ(nst_socket_events(p.b, fb), NST_EV_OUT);
    CHECK_EQ(nst_sendto(p.a, fa, "hello", 5, 0, &to), 5);
    CHECK_EQ(nst_sendto(p.a, fa, "", 0, 0, &to), 0); /* an empty datagram is a datagram */
    CHECK_EQ(nst_sendto(p.a, fa, "world!", 6, 0, &to), 6);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(nst_socket_events(p.b, fb), NST_EV_OUT | NST_EV_IN);
    /* MSG_PEEK leaves it queued. */
    memset(&from, 0, sizeof from);
    CHECK_EQ(nst_recvfrom(p.b, fb, buf, sizeof buf, NST_MSG_PEEK, &from), 5);
    CHECK_EQ(from.addr, SU_A_ADDR);
    CHECK_EQ(from.port, 1111);
    CHECK_EQ(nst_recvfrom(p.b, fb, buf, 3, NST_MSG_PEEK, NULL), 3);
    CHECK_EQ(nst_recvfrom(p.b, fb, buf, sizeof buf, 0, &from), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_EQ(nst_recvfrom(p.b, fb, buf, sizeof buf, 0, &from), 0);
    /* Truncation: one datagram per call, the excess is discarded. */
    CHECK_EQ(nst_recv(p.b, fb, buf, 2, 0), 2);
    CHECK_MEM(buf, "wo", 2);
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), -EAGAIN);
    CHECK_EQ(S(p.b)->udp_rx_datagrams, 3);
    /* Bad arguments. */
    CHECK_EQ(nst_recvfrom(p.b, fb, NULL, 5, 0, NULL), -EFAULT);
    CHECK_EQ(nst_sendto(p.a, fa, NULL, 5, 0, &to), -EFAULT);
    CHECK_EQ(nst_recv(p.b, 77, buf, 5, 0), -EBADF);
    su_pair_free(&p);
}

static void test_send_errors(void)
{
    struct su_pair p;
    pair_up(&p);
    warm_arp(&p);
    int fa = nst_socket(p.a, NST_SOCK_DGRAM), fb = su_udp_bound(p.b, 0, 2222);
    struct nst_sockaddr to = SA(SU_B_ADDR, 2222);
    CHECK_EQ(nst_send(p.a, fa, "x", 1, 0), -EDESTADDRREQ);
    struct nst_sockaddr zero_port = SA(SU_B_ADDR, 0), zero_addr = SA(0, 2222);
    CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &zero_port), -EINVAL);
    CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &zero_addr), -EINVAL);
    struct nst_sockaddr bcast = SA(0xffffffffu, 2222), dbcast = SA(NST_IP4(10, 0, 0, 255), 2222);
    CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &bcast), -EACCES);
    CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &dbcast), -EACCES);
    struct nst_sockaddr far = SA(NST_IP4(192, 168, 1, 1), 2222);
    CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &far), -ENETUNREACH);
    /* 65507 bytes is the largest UDP payload over IPv4, one more is too many. */
    memset(buf, 0xab, sizeof buf);
    CHECK_EQ(nst_sendto(p.a, fa, buf, 65508, 0, &to), -EMSGSIZE);
    CHECK_EQ(nst_sendto(p.a, fa, buf, 65507, 0, &to), 65507);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(S(p.a)->ip_frag_created, 45); /* 65515 bytes of IP payload: 44 * 1480 + 395 */
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), 65507);
    CHECK_EQ(buf[65506], 0xab);
    /* Connected: send works, sendto with an address is EISCONN. */
    CHECK_EQ(nst_connect(p.a, fa, &to), 0);
    struct nst_sockaddr peer;
    CHECK_EQ(nst_getpeername(p.a, fa, &peer), 0);
    CHECK_EQ(peer.addr, SU_B_ADDR);
    CHECK_EQ(peer.port, 2222);
    CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &to), -EISCONN);
    CHECK_EQ(nst_send(p.a, fa, "abc", 3, 0), 3);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), 3);
    /* connect() errors */
    int fc = nst_socket(p.a, NST_SOCK_DGRAM);
    CHECK_EQ(nst_connect(p.a, fc, &zero_addr), -EINVAL);
    CHECK_EQ(nst_connect(p.a, fc, &zero_port), -EINVAL);
    CHECK_EQ(nst_connect(p.a, fc, &far), -ENETUNREACH);
    CHECK_EQ(nst_connect(p.a, fc, NULL), -EINVAL);
    su_pair_free(&p);
}

static int has_err(void *arg)
{
    void **a = arg;
    return (nst_socket_events(a[0], *(int *)a[1]) & NST_EV_ERR) != 0;
}

static void test_connected_filter_and_refused(void)
{
    struct su_pair p;
    pair_up(&p);
    int fa = su_udp_bound(p.a, 0, 1111);
    struct nst_sockaddr to = SA(SU_B_ADDR, 9); /* nobody listens on b:9 */
    CHECK_EQ(nst_connect(p.a, fa, &to), 0);
    nst_time_t t = nst_world_now(p.w);
    CHECK_EQ(nst_send(p.a, fa, "knock", 5, 0), 5);
    /* ARP there and back (2 ms), the datagram (1 ms), the ICMP port
     * unreachable back (1 ms; b learnt a's MAC from the request). */
    void *arg[2] = {p.a, &fa};
    CHECK_EQ(nst_world_run_until_cond(p.w, has_err, arg, t + NST_SEC(1)), 1);
    CHECK_EQ(nst_world_now(p.w), t + NST_MSEC(4));
    CHECK_EQ(S(p.b)->udp_rx_no_port, 1);
    CHECK_EQ(S(p.b)->icmp_tx_dest_unreach, 1);
    CHECK_EQ(S(p.a)->icmp_rx_dest_unreach, 1);
    CHECK_EQ(nst_socket_events(p.a, fa), NST_EV_OUT | NST_EV_ERR | NST_EV_IN);
    /* Reported once, on the next call... */
    CHECK_EQ(nst_recv(p.a, fa, buf, sizeof buf, 0), -ECONNREFUSED);
    CHECK_EQ(nst_recv(p.a, fa, buf, sizeof buf, 0), -EAGAIN);
    CHECK_EQ(nst_socket_events(p.a, fa), NST_EV_OUT);
    /* ... or through SO_ERROR, which clears it. */
    CHECK_EQ(nst_send(p.a, fa, "knock", 5, 0), 5);
    nst_world_run_for(p.w, NST_MSEC(10));
    int e = 0;
    size_t el = sizeof e;
    CHECK_EQ(nst_getsockopt(p.a, fa, NST_SOL_SOCKET, NST_SO_ERROR, &e, &el), 0);
    CHECK_EQ(e, ECONNREFUSED);
    CHECK_EQ(nst_getsockopt(p.a, fa, NST_SOL_SOCKET, NST_SO_ERROR, &e, &el), 0);
    CHECK_EQ(e, 0);
    /* An unconnected socket is not told (BSD semantics). */
    int fu = su_udp_bound(p.a, 0, 1112);
    CHECK_EQ(nst_sendto(p.a, fu, "knock", 5, 0, &to), 5);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(S(p.a)->icmp_rx_dest_unreach, 3);
    CHECK_EQ(nst_socket_events(p.a, fu), NST_EV_OUT);
    CHECK_EQ(nst_recv(p.a, fu, buf, sizeof buf, 0), -EAGAIN);

    /* A connected socket takes datagrams from its peer only; the most
     * specific socket wins (connected > bound address > wildcard). */
    int wild = su_udp_bound(p.b, 0, 3000);
    int one = 1;
    int conn = nst_socket(p.b, NST_SOCK_DGRAM);
    nst_setsockopt(p.b, wild, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof one);
    nst_setsockopt(p.b, conn, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof one);
    struct nst_sockaddr b3000 = SA(SU_B_ADDR, 3000), a1111 = SA(SU_A_ADDR, 1111);
    CHECK_EQ(nst_bind(p.b, conn, &b3000), 0);
    CHECK_EQ(nst_connect(p.b, conn, &a1111), 0);
    int s1111 = fa, s1112 = fu;
    nst_connect(p.a, s1111, &b3000);
    CHECK_EQ(nst_send(p.a, s1111, "to-conn", 7, 0), 7);
    CHECK_EQ(nst_sendto(p.a, s1112, "to-wild", 7, 0, &b3000), 7);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(nst_recv(p.b, conn, buf, sizeof buf, 0), 7);
    CHECK_MEM(buf, "to-conn", 7);
    CHECK_EQ(nst_recv(p.b, conn, buf, sizeof buf, 0), -EAGAIN);
    CHECK_EQ(nst_recv(p.b, wild, buf, sizeof buf, 0), 7);
    CHECK_MEM(buf, "to-wild", 7);
    su_pair_free(&p);
}

static void test_rcvbuf_overflow(void)
{
    struct su_pair p;
    pair_up(&p);
    int fa = nst_socket(p.a, NST_SOCK_DGRAM), fb = su_udp_bound(p.b, 0, 2222);
    /* Room for three 300-byte datagrams, each charged its truesize. */
    int rcv = 3 * (int)nst_pkt_truesize(300);
    CHECK_EQ(nst_setsockopt(p.b, fb, NST_SOL_SOCKET, NST_SO_RCVBUF, &rcv, sizeof rcv), 0);
    int v = 0;
    size_t vl = sizeof v;
    CHECK_EQ(nst_getsockopt(p.b, fb, NST_SOL_SOCKET, NST_SO_RCVBUF, &v, &vl), 0);
    CHECK_EQ(v, rcv);
    int tiny = 255;
    CHECK_EQ(nst_setsockopt(p.b, fb, NST_SOL_SOCKET, NST_SO_RCVBUF, &tiny, sizeof tiny), -EINVAL);
    struct nst_sockaddr to = SA(SU_B_ADDR, 2222);
    memset(buf, 1, 300);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(nst_sendto(p.a, fa, buf, 300, 0, &to), 300);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(S(p.b)->udp_rx_datagrams, 5);
    CHECK_EQ(S(p.b)->udp_rx_queue_full, 2);
    /* One byte less and only two fit. */
    for (int i = 0; i < 3; i++)
        CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), 300);
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), -EAGAIN);
    rcv -= 1;
    nst_setsockopt(p.b, fb, NST_SOL_SOCKET, NST_SO_RCVBUF, &rcv, sizeof rcv);
    for (int i = 0; i < 3; i++)
        nst_sendto(p.a, fa, buf, 300, 0, &to);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(S(p.b)->udp_rx_queue_full, 3);
    nst_recv(p.b, fb, buf, sizeof buf, 0);
    nst_recv(p.b, fb, buf, sizeof buf, 0);
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), -EAGAIN);
    /* Empty datagrams are bounded too: a flood of them is cut off at
     * rcvbuf / truesize, not queued without end. */
    int r2 = 64 * (int)nst_pkt_truesize(0);
    nst_setsockopt(p.b, fb, NST_SOL_SOCKET, NST_SO_RCVBUF, &r2, sizeof r2);
    for (int i = 0; i < 100; i++)
        nst_sendto(p.a, fa, "", 0, 0, &to);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(S(p.b)->udp_rx_queue_full, 3 + 36);
    int queued = 0;
    while (nst_recv(p.b, fb, buf, sizeof buf, 0) == 0)
        queued++;
    CHECK_EQ(queued, 64);
    su_pair_free(&p);
}

/* A flood of 1-byte datagrams toward a socket nobody reads, with the
 * default SO_RCVBUF (208 KiB): each one sits in a whole packet buffer
 * (2 KiB and a header), and that is what it is charged, so exactly
 * rcvbuf / truesize of them are queued, the rest dropped and counted; the
 * memory held never exceeds SO_RCVBUF. Reading them all gives the charge
 * back: the next flood queues as many again. */
static void test_tiny_datagram_flood_truesize(void)
{
    struct su_pair p;
    pair_up(&p);
    warm_arp(&p);
    uint64_t rx0 = S(p.b)->udp_rx_datagrams;
    int fa = nst_socket(p.a, NST_SOCK_DGRAM), fb = su_udp_bound(p.b, 0, 2323);
    int rcv = 0;
    size_t vl = sizeof rcv;
    CHECK_EQ(nst_getsockopt(p.b, fb, NST_SOL_SOCKET, NST_SO_RCVBUF, &rcv, &vl), 0);
    CHECK_EQ(rcv, 208 * 1024);
    size_t fit = (size_t)rcv / nst_pkt_truesize(1);
    CHECK(fit > 50 && fit < 200);
    struct nst_sockaddr to = SA(SU_B_ADDR, 2323);
    for (int round = 1; round <= 2; round++) {
        for (int i = 0; i < 1000; i++) {
            CHECK_EQ(nst_sendto(p.a, fa, "x", 1, 0, &to), 1);
            if (i % 100 == 99)
                nst_world_run_for(p.w, NST_MSEC(1));
        }
        nst_world_run_for(p.w, NST_MSEC(10));
        CHECK_EQ(S(p.b)->udp_rx_datagrams, rx0 + 1000u * (unsigned)round);
        CHECK_EQ(S(p.b)->udp_rx_queue_full, (1000 - fit) * (size_t)round);
        struct nst_sock *s = nst_sock_get(p.b, fb);
        const struct nst_dgram_sock *d = (const struct nst_dgram_sock *)s;
        CHECK_EQ(d->rxq.count, fit);
        CHECK_EQ(d->rx_mem, fit * nst_pkt_truesize(1));
        CHECK(d->rx_mem <= (size_t)rcv);
        size_t queued = 0;
        while (nst_recv(p.b, fb, buf, sizeof buf, 0) == 1)
            queued++;
        CHECK_EQ(queued, fit);
        CHECK_EQ(d->rx_mem, 0);
    }
    su_pair_free(&p);
}

/* Crafted datagrams: checksums (bad, absent), bad lengths. */
static void test_checksums_and_malformed(void)
{
    struct su_pair p;
    pair_up(&p);
    int fb = su_udp_bound(p.b, 0, 2222);
    struct nst_iface_info ia, ib;
    nst_iface_get(p.a, p.ifa, &ia);
    nst_iface_get(p.b, p.ifb, &ib);
    struct su_ip x = {.eth_src = ia.mac, .eth_dst = ib.mac, .ttl = 64, .id = 1, .src = SU_A_ADDR,
                      .dst = SU_B_ADDR};
    nst_time_t now = nst_world_now(p.w);
    size_t n = su_build_udp(frame, &x, 1000, 2222, "payload", 7);
    uint8_t *udp = su_ip_hdr(frame) + 20;
    udp[6] ^= 0x40; /* bad checksum */
    nst_stack_input(p.b, p.ifb, frame, n, now);
    CHECK_EQ(S(p.b)->udp_rx_bad_checksum, 1);
    CHECK_EQ(S(p.b)->udp_rx_datagrams, 0);
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), -EAGAIN);
    /* A flipped payload bit is caught the same way. */
    n = su_build_udp(frame, &x, 1000, 2222, "payload", 7);
    udp[10] ^= 1;
    nst_stack_input(p.b, p.ifb, frame, n, now);
    CHECK_EQ(S(p.b)->udp_rx_bad_checksum, 2);
    /* Checksum 0: the sender computed none (RFC 768): accepted. */
    n = su_build_udp(frame, &x, 1000, 2222, "payload", 7);
    udp[6] = udp[7] = 0;
    nst_stack_input(p.b, p.ifb, frame, n, now);
    CHECK_EQ(S(p.b)->udp_rx_datagrams, 1);
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), 7);
    /* UDP length longer than the IP payload, and shorter than 8. */
    n = su_build_udp(frame, &x, 1000, 2222, "payload", 7);
    nst_put16(udp + 4, 16);
    nst_stack_input(p.b, p.ifb, frame, n, now);
    nst_put16(udp + 4, 7);
    nst_stack_input(p.b, p.ifb, frame, n, now);
    /* ... and an IP payload shorter than a UDP header. */
    struct su_ip y = x;
    y.proto = NST_IP_PROTO_UDP;
    n = su_build_ipv4(frame, &y, "1234567", 7);
    nst_stack_input(p.b, p.ifb, frame, n, now);
    CHECK_EQ(S(p.b)->udp_rx_malformed, 3);
    CHECK_EQ(S(p.b)->udp_rx_datagrams, 1);
    /* A UDP length shorter than the IP payload: the datagram ends there. */
    n = su_build_udp(frame, &x, 1000, 2222, "payload", 7);
    nst_put16(udp + 4, 8 + 3);
    nst_put16(udp + 6, 0);
    nst_stack_input(p.b, p.ifb, frame, n, now);
    CHECK_EQ(nst_recv(p.b, fb, buf, sizeof buf, 0), 3);
    CHECK_MEM(buf, "pay", 3);
    CHECK_EQ(p.b->stats.icmp_tx_msgs, 0);
    su_pair_free(&p);
}

/* A datagram to one of our own addresses goes through the loopback queue:
 * delivered at the same virtual time, but never from inside sendto. */
static void test_loopback(void)
{
    struct su_pair p;
    pair_up(&p);
    int f1 = su_udp_bound(p.a, 0, 1000), f2 = su_udp_bound(p.a, 0, 2000);
    struct nst_sockaddr to = SA(SU_A_ADDR, 2000), from;
    nst_time_t now = nst_world_now(p.w);
    CHECK_EQ(nst_sendto(p.a, f1, "self", 4, 0, &to), 4);
    CHECK_EQ(nst_recv(p.a, f2, buf, sizeof buf, 0), -EAGAIN);
    CHECK_EQ(nst_stack_next_deadline(p.a), now);
    nst_stack_poll(p.a, now);
    CHECK_EQ(nst_recvfrom(p.a, f2, buf, sizeof buf, 0, &from), 4);
    CHECK_EQ(from.addr, SU_A_ADDR);
    CHECK_EQ(from.port, 1000);
    CHECK_EQ(nst_sim_link_stats(p.l, 0)->offered, 0);
    /* To a closed port on ourselves: ICMP port unreachable, also looped. */
    struct nst_sockaddr closed = SA(SU_A_ADDR, 3000);
    CHECK_EQ(nst_connect(p.a, f1, &closed), 0);
    CHECK_EQ(nst_send(p.a, f1, "x", 1, 0), 1);
    nst_stack_poll(p.a, now); /* the datagram is looped; its ICMP error is queued */
    CHECK_EQ(nst_recv(p.a, f1, buf, sizeof buf, 0), -EAGAIN);
    CHECK_EQ(nst_stack_next_deadline(p.a), now);
    nst_stack_poll(p.a, now); /* ... and looped on the next poll */
    CHECK_EQ(nst_recv(p.a, f1, buf, sizeof buf, 0), -ECONNREFUSED);
    CHECK_EQ(nst_sim_link_stats(p.l, 0)->offered, 0);
    su_pair_free(&p);
}

/* Crafts an ICMP error from b about a UDP datagram a:sport -> b:dport. */
static void inject_icmp_about(struct su_pair *p, uint8_t type, uint8_t code, uint16_t mtu, nst_ip4_t qsrc,
                              uint16_t sport, uint16_t dport)
{
    struct nst_iface_info ia, ib;
    nst_iface_get(p->a, p->ifa, &ia);
    nst_iface_get(p->b, p->ifb, &ib);
    uint8_t quote[28];
    struct nst_ipv4_repr q = {.total_len = 100, .id = 9, .ttl = 64, .proto = NST_IP_PROTO_UDP, .src = qsrc,
                              .dst = SU_B_ADDR};
    nst_ipv4_emit(&q, quote);
    nst_put16(quote + 20, sport);
    nst_put16(quote + 22, dport);
    nst_put16(quote + 24, 80);
    nst_put16(quote + 26, 0);
    struct su_ip x = {.eth_src = ib.mac, .eth_dst = ia.mac, .ttl = 64, .id = 2, .src = SU_B_ADDR,
                      .dst = SU_A_ADDR};
    size_t n = su_build_icmp(frame, &x, type, code, 0, mtu, quote, sizeof quote);
    nst_stack_input(p->a, p->ifa, frame, n, nst_world_now(p->w));
}

/* Which ICMP errors a connected socket reports, and as what (like BSD and
 * Linux: Time Exceeded is transient and not reported). */
static void test_icmp_errors_to_connected(void)
{
    struct su_pair p;
    pair_up(&p);
    int fa = su_udp_bound(p.a, 0, 1111);
    struct nst_sockaddr to = SA(SU_B_ADDR, 2222);
    CHECK_EQ(nst_connect(p.a, fa, &to), 0);
    inject_icmp_about(&p, NST_ICMP_TIME_EXCEEDED, NST_ICMP_TTL_EXCEEDED, 0, SU_A_ADDR, 1111, 2222);
    inject_icmp_about(&p, NST_ICMP_TIME_EXCEEDED, NST_ICMP_REASS_EXCEEDED, 0, SU_A_ADDR, 1111, 2222);
    CHECK_EQ(S(p.a)->icmp_rx_time_exceeded, 2);
    CHECK_EQ(nst_socket_events(p.a, fa), NST_EV_OUT);
    CHECK_EQ(nst_recv(p.a, fa, buf, sizeof buf, 0), -EAGAIN);
    static const struct {
        uint8_t code;
        int err;
    } map[] = {
        {NST_ICMP_FRAG_NEEDED, EMSGSIZE},    {NST_ICMP_HOST_UNREACH, EHOSTUNREACH},
        {NST_ICMP_NET_UNREACH, ENETUNREACH}, {NST_ICMP_PORT_UNREACH, ECONNREFUSED},
        {NST_ICMP_PROTO_UNREACH, ECONNREFUSED},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        inject_icmp_about(&p, NST_ICMP_DEST_UNREACH, map[i].code, 1000, SU_A_ADDR, 1111, 2222);
        CHECK_EQ(nst_recv(p.a, fa, buf, sizeof buf, 0), -map[i].err);
        CHECK_EQ(nst_recv(p.a, fa, buf, sizeof buf, 0), -EAGAIN);
    }
    /* About another connection of ours, or about a datagram we never sent. */
    inject_icmp_about(&p, NST_ICMP_DEST_UNREACH, NST_ICMP_PORT_UNREACH, 0, SU_A_ADDR, 1112, 2222);
    inject_icmp_about(&p, NST_ICMP_DEST_UNREACH, NST_ICMP_PORT_UNREACH, 0, SU_A_ADDR, 1111, 2223);
    CHECK_EQ(nst_socket_events(p.a, fa), NST_EV_OUT);
    uint64_t unmatched = S(p.a)->icmp_rx_unmatched;
    inject_icmp_about(&p, NST_ICMP_DEST_UNREACH, NST_ICMP_PORT_UNREACH, 0, NST_IP4(10, 0, 0, 77), 1111, 2222);
    CHECK_EQ(S(p.a)->icmp_rx_unmatched, unmatched + 1);
    CHECK_EQ(nst_socket_events(p.a, fa), NST_EV_OUT);
    su_pair_free(&p);
}

/* A connect() whose implicit bind fails leaves the socket unconnected. */
static void test_failed_connect_rolls_back(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.ephemeral_lo = c.ephemeral_hi = 50000;
    struct nst_stack *st = nst_stack_new(&c);
    struct su_tap tap;
    struct nst_mac m = su_mac(1);
    su_tap_attach(st, &tap, &m, SU_A_ADDR, 24, 0);
    int f1 = nst_socket(st, NST_SOCK_DGRAM), f2 = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr to = SA(SU_B_ADDR, 53), got;
    CHECK_EQ(nst_connect(st, f1, &to), 0);
    CHECK_EQ(nst_getsockname(st, f1, &got), 0);
    CHECK_EQ(got.port, 50000);
    CHECK_EQ(nst_connect(st, f2, &to), -EADDRNOTAVAIL);
    CHECK_EQ(nst_getpeername(st, f2, &got), -ENOTCONN);
    CHECK_EQ(nst_send(st, f2, "x", 1, 0), -EDESTADDRREQ);
    nst_close(st, f1);
    CHECK_EQ(nst_connect(st, f2, &to), 0);
    CHECK_EQ(nst_getpeername(st, f2, &got), 0);
    nst_stack_free(st);
    su_tap_free(&tap);
}

struct ev_log {
    int n, fd, events;
};

static void on_event(void *arg, int fd, int events)
{
    struct ev_log *l = arg;
    l->n++;
    l->fd = fd;
    l->events = events;
}

static void test_event_callback(void)
{
    struct su_pair p;
    pair_up(&p);
    struct ev_log log = {0, -1, 0};
    nst_stack_set_event_cb(p.b, on_event, &log);
    int fa = nst_socket(p.a, NST_SOCK_DGRAM), fb = su_udp_bound(p.b, 0, 2222);
    struct nst_sockaddr to = SA(SU_B_ADDR, 2222);
    nst_sendto(p.a, fa, "e", 1, 0, &to);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(log.n, 1);
    CHECK_EQ(log.fd, fb);
    CHECK_EQ(log.events, NST_EV_OUT | NST_EV_IN);
    su_pair_free(&p);
}

int main(void)
{
    RUN(test_descriptors);
    RUN(test_bind_semantics);
    RUN(test_ephemeral_ports);
    RUN(test_sendto_recvfrom);
    RUN(test_send_errors);
    RUN(test_connected_filter_and_refused);
    RUN(test_icmp_errors_to_connected);
    RUN(test_failed_connect_rolls_back);
    RUN(test_rcvbuf_overflow);
    RUN(test_tiny_datagram_flood_truesize);
    RUN(test_checksums_and_malformed);
    RUN(test_loopback);
    RUN(test_event_callback);
    return nst_test_done();
}
