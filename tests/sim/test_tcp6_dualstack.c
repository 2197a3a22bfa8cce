/* Dual-stack sockets over IPv4 (RFC 3493 3.7, 5.3; RFC 4291 2.5.5.2): an
 * AF_INET6 socket bound to :: takes IPv4 connections and datagrams, its
 * IPv4 peers shown as ::ffff:a.b.c.d; NST_IPV6_V6ONLY refuses them; the
 * bind conflicts between 0.0.0.0:p and [::]:p are Linux's; an AF_INET
 * socket refuses IPv6 addresses; the wildcard of the packet's own family
 * wins over a dual-stack one. Two stacks on a simulated link, 1 ms each
 * way, fixed seed. */
#include <errno.h>
#include <nstack/nstack.h>
#include <string.h>

#include "support/sim_util.h"
#include "support/sockaddr_util.h"
#include "test.h"

#define T0 NST_SEC(1)

static struct nst_sockaddr mapped(nst_ip4_t a, uint16_t port)
{
    struct nst_sockaddr s = {.family = NST_AF_INET6, .port = port};
    s.addr6.b[10] = s.addr6.b[11] = 0xff;
    s.addr6.b[12] = (uint8_t)(a >> 24);
    s.addr6.b[13] = (uint8_t)(a >> 16);
    s.addr6.b[14] = (uint8_t)(a >> 8);
    s.addr6.b[15] = (uint8_t)a;
    return s;
}

static struct nst_sockaddr any6(uint16_t port) { return (struct nst_sockaddr){.family = NST_AF_INET6, .port = port}; }

#define CHECK_ADDR(a, text) CHECK_TEXT(su_addr_str(&(a)), (text))

static void pair_up(struct su_pair *p)
{
    CHECK_EQ(su_pair_build(p, 23, NULL, NULL), 0);
    nst_world_run_until(p->w, T0);
}

static int listener6(struct nst_stack *st, uint16_t port, int v6only)
{
    int fd = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK(fd >= 0);
    CHECK_EQ(nst_setsockopt(st, fd, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &v6only, sizeof(v6only)), 0);
    struct nst_sockaddr a = any6(port);
    CHECK_EQ(nst_bind(st, fd, &a), 0);
    CHECK_EQ(nst_listen(st, fd, 8), 0);
    return fd;
}

/* An IPv4 client connects to b:80; returns its descriptor after 50 ms. */
static int client4(struct su_pair *p, uint16_t port)
{
    int fd = nst_socket(p->a, NST_SOCK_STREAM);
    struct nst_sockaddr to = {.addr = SU_B_ADDR, .port = port};
    CHECK_EQ(nst_connect(p->a, fd, &to), -EINPROGRESS);
    nst_world_run_for(p->w, NST_MSEC(50));
    return fd;
}

/* [::]:80 without V6ONLY takes an IPv4 client: accept() reports it as
 * ::ffff:10.0.0.1, AF_INET6; the connection carries data both ways; the
 * client, an AF_INET socket, sees plain IPv4 addresses. */
static void test_dual_stack_listener_takes_ipv4(void)
{
    struct su_pair p;
    pair_up(&p);
    int lfd = listener6(p.b, 80, 0);
    struct nst_sockaddr name;
    CHECK_EQ(nst_getsockname(p.b, lfd, &name), 0);
    CHECK_EQ(name.family, NST_AF_INET6);
    CHECK_ADDR(name, "[::]:80");
    int cfd = client4(&p, 80);
    CHECK_EQ(nst_socket_events(p.a, cfd) & NST_EV_OUT, NST_EV_OUT);
    struct nst_sockaddr peer;
    memset(&peer, 0xee, sizeof(peer));
    int sfd = nst_accept(p.b, lfd, &peer);
    CHECK(sfd >= 0);
    CHECK_EQ(peer.family, NST_AF_INET6);
    CHECK_EQ(peer.scope_id, 0);
    struct nst_sockaddr cname;
    CHECK_EQ(nst_getsockname(p.a, cfd, &cname), 0);
    CHECK_EQ(cname.family, NST_AF_INET);
    CHECK_EQ(cname.addr, SU_A_ADDR);
    CHECK_EQ(peer.port, cname.port);
    struct nst_sockaddr want = mapped(SU_A_ADDR, cname.port);
    CHECK_MEM(&peer.addr6, &want.addr6, 16);
    CHECK_ADDR(peer, su_addr_str(&want));
    CHECK_EQ(nst_getpeername(p.b, sfd, &name), 0);
    CHECK_MEM(&name, &peer, sizeof(name));
    CHECK_EQ(nst_getsockname(p.b, sfd, &name), 0);
    CHECK_ADDR(name, "[::ffff:10.0.0.2]:80");
    struct nst_sockaddr cpeer;
    CHECK_EQ(nst_getpeername(p.a, cfd, &cpeer), 0);
    CHECK_EQ(cpeer.family, NST_AF_INET);
    CHECK_ADDR(cpeer, "10.0.0.2:80");
    /* Data both ways; recvfrom reports the AF_INET6 form. */
    CHECK_EQ(nst_send(p.a, cfd, "hello", 5, 0), 5);
    nst_world_run_for(p.w, NST_MSEC(10));
    char buf[16];
    struct nst_sockaddr from;
    CHECK_EQ(nst_recvfrom(p.b, sfd, buf, sizeof(buf), 0, &from), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_MEM(&from, &peer, sizeof(from));
    CHECK_EQ(nst_send(p.b, sfd, "world!", 6, 0), 6);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(nst_recv(p.a, cfd, buf, sizeof(buf), 0), 6);
    CHECK_MEM(buf, "world!", 6);
    /* The table shows the server's side in its family. */
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    CHECK_EQ(nst_getsockopt(p.b, sfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len), 0);
    CHECK_ADDR(ti.local, "[::ffff:10.0.0.2]:80");
    CHECK_ADDR(ti.remote, su_addr_str(&want));
    CHECK_EQ(ti.pmtu, 1500);
    su_pair_free(&p);
}

/* V6ONLY: the IPv4 SYN finds no listener: RST, ECONNREFUSED. */
static void test_v6only_refuses_ipv4(void)
{
    struct su_pair p;
    pair_up(&p);
    int lfd = listener6(p.b, 80, 1);
    uint64_t no_socket = nst_stack_stats(p.b)->tcp_rx_no_socket;
    uint64_t resets = nst_stack_stats(p.b)->tcp_tx_resets;
    int cfd = client4(&p, 80);
    CHECK_EQ(nst_stack_stats(p.b)->tcp_rx_no_socket, no_socket + 1);
    CHECK_EQ(nst_stack_stats(p.b)->tcp_tx_resets, resets + 1);
    int err = 0;
    size_t len = sizeof(err);
    CHECK_EQ(nst_getsockopt(p.a, cfd, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len), 0);
    CHECK_EQ(err, ECONNREFUSED);
    CHECK_EQ(nst_accept(p.b, lfd, NULL), -EAGAIN);
    int v = -1;
    len = sizeof(v);
    CHECK_EQ(nst_getsockopt(p.b, lfd, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &v, &len), 0);
    CHECK_EQ(v, 1);
    su_pair_free(&p);
}

/* Linux's bind rules between the families (inet_bind_conflict with
 * ipv6_only_sock): 0.0.0.0:p and [::]:p clash unless the latter is
 * V6ONLY; a specific IPv4 address clashes with a dual-stack [::]; a
 * mapped address is IPv4. */
static void test_bind_conflicts(void)
{
    struct nst_stack *st = nst_stack_new(NULL);
    CHECK(st != NULL);
    int v4 = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr a4 = {.port = 7000};
    CHECK_EQ(nst_bind(st, v4, &a4), 0);
    int d = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr a6 = any6(7000);
    CHECK_EQ(nst_bind(st, d, &a6), -EADDRINUSE);
    int one = 1;
    CHECK_EQ(nst_setsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &one, sizeof(one)), 0);
    CHECK_EQ(nst_bind(st, d, &a6), 0); /* v6-only: no clash with 0.0.0.0 */
    /* V6ONLY is fixed once bound (Linux: EINVAL). */
    int zero = 0;
    CHECK_EQ(nst_setsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &zero, sizeof(zero)), -EINVAL);
    /* The other order: [::] dual-stack first, then 0.0.0.0. */
    int d2 = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    a6.port = 7001;
    CHECK_EQ(nst_bind(st, d2, &a6), 0);
    int v4b = nst_socket(st, NST_SOCK_STREAM);
    a4.port = 7001;
    CHECK_EQ(nst_bind(st, v4b, &a4), -EADDRINUSE);
    int d3 = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK_EQ(nst_bind(st, d3, &a6), -EADDRINUSE); /* [::] twice */
    /* An AF_INET6 socket bound to ::ffff:0.0.0.0 is an IPv4 wildcard. */
    int d4 = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr m = mapped(0, 7002);
    CHECK_EQ(nst_bind(st, d4, &m), 0);
    int v4c = nst_socket(st, NST_SOCK_STREAM);
    a4.port = 7002;
    CHECK_EQ(nst_bind(st, v4c, &a4), -EADDRINUSE);
    int d5 = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK_EQ(nst_setsockopt(st, d5, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &one, sizeof(one)), 0);
    a6.port = 7002;
    CHECK_EQ(nst_bind(st, d5, &a6), 0); /* v6-only [::] beside an IPv4 wildcard */
    /* V6ONLY and a mapped address: Linux's EINVAL. */
    int d6 = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK_EQ(nst_setsockopt(st, d6, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &one, sizeof(one)), 0);
    m.port = 7003;
    CHECK_EQ(nst_bind(st, d6, &m), -EINVAL);
    nst_stack_free(st);
}

/* The families' addresses cross only where Linux lets them. */
static void test_family_errors(void)
{
    struct nst_stack *st = nst_stack_new(NULL);
    CHECK_EQ(nst_socket_family(st, 1, NST_SOCK_STREAM), -EAFNOSUPPORT);
    CHECK_EQ(nst_socket_family(st, NST_AF_INET6, 99), -EPROTONOSUPPORT);
    int v4 = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr a6 = any6(80);
    CHECK_EQ(nst_bind(st, v4, &a6), -EAFNOSUPPORT);
    CHECK_EQ(nst_connect(st, v4, &a6), -EAFNOSUPPORT);
    int one = 1;
    CHECK_EQ(nst_setsockopt(st, v4, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &one, sizeof(one)), -ENOPROTOOPT);
    int u4 = nst_socket(st, NST_SOCK_DGRAM);
    CHECK_EQ(nst_bind(st, u4, &a6), -EAFNOSUPPORT);
    CHECK_EQ(nst_sendto(st, u4, "x", 1, 0, &a6), -EAFNOSUPPORT);
    /* An AF_INET6 TCP socket takes only AF_INET6 addresses (as
     * tcp_v6_connect); a UDP one takes AF_INET ones too (udpv6_sendmsg). */
    int d = nst_socket_family(st, NST_AF_INET6, NST_SOCK_STREAM);
    struct nst_sockaddr a4 = {.addr = NST_IP4(10, 0, 0, 9), .port = 80};
    CHECK_EQ(nst_bind(st, d, &a4), -EAFNOSUPPORT);
    CHECK_EQ(nst_connect(st, d, &a4), -EAFNOSUPPORT);
    int v = -1;
    size_t len = sizeof(v);
    CHECK_EQ(nst_getsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &v, &len), 0);
    CHECK_EQ(v, 0); /* Linux's bindv6only = 0 */
    CHECK_EQ(nst_setsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_V6ONLY, &one, sizeof(one)), 0);
    struct nst_sockaddr m = mapped(NST_IP4(10, 0, 0, 9), 80);
    CHECK_EQ(nst_connect(st, d, &m), -ENETUNREACH); /* v6-only: no IPv4 */
    int hops = 7;
    CHECK_EQ(nst_setsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_UNICAST_HOPS, &hops, sizeof(hops)), 0);
    len = sizeof(v);
    CHECK_EQ(nst_getsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_UNICAST_HOPS, &v, &len), 0);
    CHECK_EQ(v, 7);
    hops = 256;
    CHECK_EQ(nst_setsockopt(st, d, NST_IPPROTO_IPV6, NST_IPV6_UNICAST_HOPS, &hops, sizeof(hops)), -EINVAL);
    nst_stack_free(st);
}

/* Two wildcard listeners on one port, an AF_INET one and a v6-only one:
 * each family's SYN finds its own. With a dual-stack [::] and a specific
 * IPv4 address bound, the specific one wins for IPv4. */
static void test_listener_choice(void)
{
    struct su_pair p;
    pair_up(&p);
    int l6 = listener6(p.b, 80, 1);
    int l4 = nst_socket(p.b, NST_SOCK_STREAM);
    struct nst_sockaddr a4 = {.port = 80};
    CHECK_EQ(nst_bind(p.b, l4, &a4), 0);
    CHECK_EQ(nst_listen(p.b, l4, 8), 0);
    client4(&p, 80);
    CHECK_EQ(nst_accept(p.b, l6, NULL), -EAGAIN);
    struct nst_sockaddr peer;
    int s = nst_accept(p.b, l4, &peer);
    CHECK(s >= 0);
    CHECK_EQ(peer.family, NST_AF_INET);
    CHECK_EQ(peer.addr, SU_A_ADDR);
    /* Port 81: dual-stack [::] and 10.0.0.2 (specific, AF_INET). */
    int d = listener6(p.b, 81, 0);
    int sp = nst_socket(p.b, NST_SOCK_STREAM);
    struct nst_sockaddr b81 = {.addr = SU_B_ADDR, .port = 81};
    CHECK_EQ(nst_bind(p.b, sp, &b81), -EADDRINUSE); /* [::] dual-stack covers 10.0.0.2 */
    nst_close(p.b, sp);
    (void)d;
    su_pair_free(&p);
}

/* UDP: a dual-stack socket on [::]:5353 receives an IPv4 datagram from
 * ::ffff:10.0.0.1 and answers it with that address; an AF_INET peer sees
 * plain IPv4. */
static void test_udp_dual_stack(void)
{
    struct su_pair p;
    pair_up(&p);
    int u = nst_socket_family(p.b, NST_AF_INET6, NST_SOCK_DGRAM);
    struct nst_sockaddr a6 = any6(5353);
    CHECK_EQ(nst_bind(p.b, u, &a6), 0);
    int c = nst_socket(p.a, NST_SOCK_DGRAM);
    struct nst_sockaddr to = {.addr = SU_B_ADDR, .port = 5353};
    CHECK_EQ(nst_sendto(p.a, c, "ping", 4, 0, &to), 4);
    nst_world_run_for(p.w, NST_MSEC(10));
    char buf[16];
    struct nst_sockaddr from;
    CHECK_EQ(nst_recvfrom(p.b, u, buf, sizeof(buf), 0, &from), 4);
    CHECK_EQ(from.family, NST_AF_INET6);
    struct nst_sockaddr cname;
    CHECK_EQ(nst_getsockname(p.a, c, &cname), 0);
    struct nst_sockaddr want = mapped(SU_A_ADDR, cname.port);
    CHECK_ADDR(from, su_addr_str(&want));
    CHECK_EQ(nst_sendto(p.b, u, "pong", 4, 0, &from), 4);
    nst_world_run_for(p.w, NST_MSEC(10));
    struct nst_sockaddr from4;
    CHECK_EQ(nst_recvfrom(p.a, c, buf, sizeof(buf), 0, &from4), 4);
    CHECK_MEM(buf, "pong", 4);
    CHECK_EQ(from4.family, NST_AF_INET);
    CHECK_ADDR(from4, "10.0.0.2:5353");
    /* Given an AF_INET address, an AF_INET6 UDP socket maps it
     * (udpv6_sendmsg); with V6ONLY it could not. */
    CHECK_EQ(cname.family, NST_AF_INET);
    CHECK_EQ(cname.addr, 0); /* a's socket is bound to 0.0.0.0 */
    CHECK_EQ(nst_sendto(p.b, u, "four", 4, 0, &cname), -EINVAL);
    struct nst_sockaddr to4 = {.addr = SU_A_ADDR, .port = cname.port};
    CHECK_EQ(nst_sendto(p.b, u, "four", 4, 0, &to4), 4);
    nst_world_run_for(p.w, NST_MSEC(10));
    CHECK_EQ(nst_recv(p.a, c, buf, sizeof(buf), 0), 4);
    CHECK_MEM(buf, "four", 4);
    su_pair_free(&p);
}

int main(void)
{
    RUN(test_dual_stack_listener_takes_ipv4);
    RUN(test_v6only_refuses_ipv4);
    RUN(test_bind_conflicts);
    RUN(test_family_errors);
    RUN(test_listener_choice);
    RUN(test_udp_dual_stack);
    return nst_test_done();
}
