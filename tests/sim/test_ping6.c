/* ICMPv6 echo sockets (src/ip/icmp_socket.c, RFC 4443 4) and ping6 /
 * traceroute6 across the lab's path with both families.
 *
 * First what reaches a socket and what does not. Messages are handed to
 * nst_icmp6_sock_deliver as the ICMPv6 input hands them (checksum
 * verified, rx->hdr6 filled): an Echo Reply by its identifier; Time
 * Exceeded, Destination Unreachable, Packet Too Big and Parameter Problem
 * when they quote one of the socket's Echo Requests (behind the quoted
 * IPv6 header, or a first fragment's Fragment header); nothing else.
 *
 * Then the path (New York - r1 - r2 - r3 - London, 40 ms one way, 1 Gbit/s:
 * a frame of L bytes takes 8L ns per hop; routers forward in zero time),
 * where timings are exact: duplicate address detection, a round trip per
 * link for Neighbor Discovery on the first ping, Time Exceeded from each
 * router, Packet Too Big from the router before a 1280-byte link. And the
 * simulator's IPv6 calls (nst_sim_link_addr6, nst_world_connect6). */
#include <errno.h>
#include <nstack/nstack.h>

#include <nstack/lab.h>

#include "ip/icmp_socket.h"
#include "ip6/ip6.h"
#include "test.h"
#include "wire/checksum.h"

static const nst_ip6_t ROUTER = {{0x20, 0x01, 0x0d, 0xb8, 0, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
static const nst_ip6_t US = {{0x20, 0x01, 0x0d, 0xb8, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
static const nst_ip6_t PEER = {{0x20, 0x01, 0x0d, 0xb8, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};

struct sock6 {
    struct nst_stack *st;
    int fd;
    uint16_t id;
};

static void sock_up(struct sock6 *k, uint16_t id)
{
    k->st = nst_stack_new(NULL);
    CHECK(k->st != NULL);
    k->fd = nst_socket_family(k->st, NST_AF_INET6, NST_SOCK_ICMP);
    CHECK(k->fd >= 0);
    struct nst_sockaddr any = {.family = NST_AF_INET6, .port = id}, name;
    CHECK_EQ(nst_bind(k->st, k->fd, &any), 0);
    CHECK_EQ(nst_getsockname(k->st, k->fd, &name), 0);
    CHECK_EQ(name.family, NST_AF_INET6);
    k->id = name.port;
    if (id)
        CHECK_EQ(k->id, id);
}

static int deliver(struct sock6 *k, const nst_ip6_t *from, uint8_t hops, const uint8_t *msg, size_t len)
{
    struct nst_ip_rx rx;
    memset(&rx, 0, sizeof(rx));
    rx.family = 6;
    rx.hdr6.src = *from;
    rx.hdr6.dst = US;
    rx.hdr6.hop_limit = hops;
    rx.hdr6.next_header = NST_IP6_NH_ICMPV6;
    rx.ifindex = 0;
    return nst_icmp6_sock_deliver(k->st, &rx, msg, len);
}

/* An echo message: type, identifier, sequence number, 4 bytes of data. */
static size_t echo(uint8_t *m, uint8_t type, uint16_t id, uint16_t seq)
{
    memset(m, 0, 12);
    m[0] = type;
    nst_put16(m + 4, id);
    nst_put16(m + 6, seq);
    memcpy(m + 8, "abcd", 4);
    return 12;
}

/* An ICMPv6 error quoting our request to PEER: [frag] selects a Fragment
 * header in the quote with that offset (in 8-byte units) or none (-1). */
static size_t error_quoting(uint8_t *m, uint8_t type, uint8_t code, uint32_t word, uint16_t id, uint16_t seq,
                            int frag)
{
    memset(m, 0, 8);
    m[0] = type;
    m[1] = code;
    nst_put32(m + 4, word);
    uint8_t *q = m + 8;
    memset(q, 0, 40);
    q[0] = 0x60;
    q[6] = frag >= 0 ? NST_IP6_NH_FRAGMENT : NST_IP6_NH_ICMPV6;
    q[7] = 1;
    memcpy(q + 8, US.b, 16);
    memcpy(q + 24, PEER.b, 16);
    size_t off = 40;
    if (frag >= 0) {
        memset(q + off, 0, 8);
        q[off] = NST_IP6_NH_ICMPV6;
        nst_put16(q + off + 2, (uint16_t)(frag << 3 | 1));
        off += 8;
    }
    off += echo(q + off, NST_ICMP6_ECHO_REQUEST, id, seq);
    nst_put16(q + 4, (uint16_t)(off - 40));
    return 8 + off;
}

static void test_echo_reply_by_identifier(void)
{
    struct sock6 k, other;
    sock_up(&k, 0x1234);
    uint8_t m[64], in[64];
    struct nst_sockaddr from;
    size_t n = echo(m, NST_ICMP6_ECHO_REPLY, 0x1234, 7);
    CHECK_EQ(deliver(&k, &PEER, 61, m, n), 1);
    CHECK(nst_socket_events(k.st, k.fd) & NST_EV_IN);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_MEM(in, m, n);
    CHECK_EQ(from.family, NST_AF_INET6);
    CHECK_MEM(from.addr6.b, PEER.b, 16);
    CHECK_EQ(from.port, 61); /* the hop limit it arrived with, as ping prints ttl= */
    CHECK_EQ(from.scope_id, 0);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), -EAGAIN);
    /* Another identifier, and an Echo Request (not ours to take): nobody's. */
    n = echo(m, NST_ICMP6_ECHO_REPLY, 0x1235, 8);
    CHECK_EQ(deliver(&k, &PEER, 61, m, n), 0);
    n = echo(m, NST_ICMP6_ECHO_REQUEST, 0x1234, 9);
    CHECK_EQ(deliver(&k, &PEER, 61, m, n), 0);
    /* A link-local source comes with its interface as the scope. */
    nst_ip6_t ll = {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    n = echo(m, NST_ICMP6_ECHO_REPLY, 0x1234, 10);
    CHECK_EQ(deliver(&k, &ll, 64, m, n), 1);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_EQ(from.scope_id, 1);
    /* The identifier spaces are per family: an IPv4 ping socket may hold
     * 0x1234 too, and the IPv6 reply still goes to the IPv6 socket. */
    other.st = k.st;
    other.fd = nst_socket(k.st, NST_SOCK_ICMP);
    struct nst_sockaddr v4 = {0, 0x1234};
    CHECK_EQ(nst_bind(k.st, other.fd, &v4), 0);
    struct nst_sockaddr dup6 = {.family = NST_AF_INET6, .port = 0x1234};
    int fd2 = nst_socket_family(k.st, NST_AF_INET6, NST_SOCK_ICMP);
    CHECK_EQ(nst_bind(k.st, fd2, &dup6), -EADDRINUSE);
    n = echo(m, NST_ICMP6_ECHO_REPLY, 0x1234, 11);
    CHECK_EQ(deliver(&k, &PEER, 61, m, n), 1);
    CHECK_EQ(nst_recvfrom(k.st, other.fd, in, sizeof(in), 0, &from), -EAGAIN);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_EQ(nst_get16(in + 6), 11);
    nst_stack_free(k.st);
}

static void test_errors_quoting_a_request(void)
{
    struct sock6 k;
    sock_up(&k, 0x4242);
    uint8_t m[128], in[128];
    struct nst_sockaddr from;
    /* RFC 4443 3.3: Time Exceeded from the router where the hop limit ran out. */
    size_t n = error_quoting(m, NST_ICMP6_TIME_EXCEEDED, 0, 0, 0x4242, 3, -1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 1);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_EQ(in[0], NST_ICMP6_TIME_EXCEEDED);
    CHECK_MEM(from.addr6.b, ROUTER.b, 16);
    /* 3.2 Packet Too Big (the MTU in the second word), 3.1 Destination
     * Unreachable, 3.4 Parameter Problem: each quoting a request of ours. */
    n = error_quoting(m, NST_ICMP6_PACKET_TOO_BIG, 0, 1280, 0x4242, 4, -1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 1);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_EQ(nst_get32(in + 4), 1280);
    n = error_quoting(m, NST_ICMP6_DEST_UNREACH, NST_ICMP6_ADDR_UNREACH, 0, 0x4242, 5, -1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 1);
    n = error_quoting(m, NST_ICMP6_PARAM_PROBLEM, 0, 6, 0x4242, 6, -1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 1);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_EQ(in[0], NST_ICMP6_DEST_UNREACH);
    CHECK_EQ(in[1], NST_ICMP6_ADDR_UNREACH);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    CHECK_EQ(in[0], NST_ICMP6_PARAM_PROBLEM);
    /* A request sent in fragments: the first fragment's quote carries the
     * Fragment header, then the echo header; a later fragment's quote has
     * no echo header, and reaches nobody. */
    n = error_quoting(m, NST_ICMP6_TIME_EXCEEDED, 1, 0, 0x4242, 7, 0);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 1);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), (ssize_t)n);
    n = error_quoting(m, NST_ICMP6_TIME_EXCEEDED, 1, 0, 0x4242, 7, 1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 0);
    /* Not ours: another identifier; a quoted reply, not a request; a
     * quote cut inside the echo header; an informational type that is not
     * a reply; a message shorter than its header. */
    n = error_quoting(m, NST_ICMP6_TIME_EXCEEDED, 0, 0, 0x4243, 8, -1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 0);
    n = error_quoting(m, NST_ICMP6_TIME_EXCEEDED, 0, 0, 0x4242, 8, -1);
    m[8 + 40] = NST_ICMP6_ECHO_REPLY;
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 0);
    n = error_quoting(m, NST_ICMP6_TIME_EXCEEDED, 0, 0, 0x4242, 8, -1);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, 8 + 40 + 6), 0);
    m[0] = NST_ICMP6_NEIGHBOR_ADVERT;
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, n), 0);
    CHECK_EQ(deliver(&k, &ROUTER, 63, m, 4), 0);
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, &from), -EAGAIN);
    nst_stack_free(k.st);
}

/* The receive queue is bounded by SO_RCVBUF: a flood of replies is taken
 * (nobody else may have it) and dropped once the buffer is full. */
static void test_receive_buffer_bounded(void)
{
    struct sock6 k;
    sock_up(&k, 0);
    int rcvbuf = 4096;
    CHECK_EQ(nst_setsockopt(k.st, k.fd, NST_SOL_SOCKET, NST_SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    uint8_t m[64], in[64];
    size_t n = echo(m, NST_ICMP6_ECHO_REPLY, k.id, 1);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(deliver(&k, &PEER, 61, m, n), 1);
    int queued = 0;
    while (nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, NULL) > 0)
        queued++;
    CHECK(queued > 0);
    CHECK(queued < 1000);
    CHECK(queued * (int)n <= rcvbuf);
    CHECK_EQ(deliver(&k, &PEER, 61, m, n), 1); /* room again */
    CHECK_EQ(nst_recvfrom(k.st, k.fd, in, sizeof(in), 0, NULL), (ssize_t)n);
    nst_stack_free(k.st);
}

/* What a send refuses before anything reaches the wire. */
static void test_send_refusals(void)
{
    struct sock6 k;
    sock_up(&k, 0);
    uint8_t m[64];
    size_t n = echo(m, NST_ICMP6_ECHO_REQUEST, 0, 1);
    struct nst_sockaddr v4 = {NST_IP4(10, 0, 4, 2), 0};
    struct nst_sockaddr v6 = {.family = NST_AF_INET6, .addr6 = PEER};
    CHECK_EQ(nst_sendto(k.st, k.fd, m, n, 0, &v4), -EAFNOSUPPORT);
    CHECK_EQ(nst_sendto(k.st, k.fd, m, n, 0, NULL), -EDESTADDRREQ);
    CHECK_EQ(nst_sendto(k.st, k.fd, m, 7, 0, &v6), -EINVAL);
    m[0] = NST_ICMP6_ECHO_REPLY; /* only echo requests, as Linux's ping sockets */
    CHECK_EQ(nst_sendto(k.st, k.fd, m, n, 0, &v6), -EINVAL);
    m[0] = NST_ICMP6_ECHO_REQUEST;
    /* No IPv6 address or route on this stack. */
    CHECK_EQ(nst_sendto(k.st, k.fd, m, n, 0, &v6), -ENETUNREACH);
    /* An address that is not ours cannot be bound; an IPv4 ping socket
     * takes no IPv6 destination. */
    int fd2 = nst_socket_family(k.st, NST_AF_INET6, NST_SOCK_ICMP);
    struct nst_sockaddr peer = {.family = NST_AF_INET6, .addr6 = PEER};
    CHECK_EQ(nst_bind(k.st, fd2, &peer), -EADDRNOTAVAIL);
    CHECK_EQ(nst_bind(k.st, fd2, &v4), -EAFNOSUPPORT);
    int fd4 = nst_socket(k.st, NST_SOCK_ICMP);
    m[0] = 8;
    CHECK_EQ(nst_sendto(k.st, fd4, m, n, 0, &v6), -EAFNOSUPPORT);
    nst_stack_free(k.st);
}

/* ss lists the socket with its IPv6 name; -4 hides it, -6 shows it alone. */
static void test_ss_lists_ipv6_socket(void)
{
    struct sock6 k;
    sock_up(&k, 0x0102);
    int fd4 = nst_socket(k.st, NST_SOCK_ICMP);
    struct nst_sockaddr v4 = {0, 0x0304};
    CHECK_EQ(nst_bind(k.st, fd4, &v4), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK_EQ(nst_inspect_run(k.st, "ss -wa -6", out), 0);
    fclose(out);
    CHECK(strstr(text, "[::]:258") != NULL);
    CHECK(strstr(text, "0.0.0.0:772") == NULL);
    free(text);
    out = open_memstream(&text, &len);
    CHECK_EQ(nst_inspect_run(k.st, "ss -wa -4", out), 0);
    fclose(out);
    CHECK(strstr(text, "[::]:258") == NULL);
    CHECK(strstr(text, "0.0.0.0:772") != NULL);
    free(text);
    out = open_memstream(&text, &len);
    CHECK_EQ(nst_inspect_run(k.st, "ss -wa", out), 0);
    fclose(out);
    CHECK(strstr(text, "[::]:258") != NULL);
    CHECK(strstr(text, "0.0.0.0:772") != NULL);
    free(text);
    nst_stack_free(k.st);
}

/* ---- across the path ------------------------------------------------------ */

#define PAYLOAD 56
#define REQ6_FRAME (14 + 40 + 8 + PAYLOAD) /* 118 bytes: echo request/reply */
#define ND_FRAME (14 + 40 + 24 + 8)        /* 86: NS or NA with a link-layer address option */
#define PROBE_FRAME (14 + 40 + 8 + 32)     /* 94: traceroute's probe */
#define ERR6_FRAME (14 + 40 + 8 + 40 + 8 + 32) /* 142: Time Exceeded quoting the probe */
#define SER(len) ((nst_time_t)(len) * 8)   /* ns at 1 Gbit/s */
#define ONE_WAY NST_MSEC(40)

static const struct nst_stats *ST(struct nst_stack *st) { return nst_stack_stats(st); }

static struct nst_sockaddr addr6(const char *s)
{
    struct nst_sockaddr a = {.family = NST_AF_INET6};
    CHECK_EQ(nst_ip6_parse(s, &a.addr6, NULL), 0);
    return a;
}

struct path6 {
    struct nst_lab_path p;
    int fd;
};

static int fd_readable(void *arg)
{
    struct path6 *x = arg;
    return (nst_socket_events(x->p.ny, x->fd) & NST_EV_IN) != 0;
}

static void path6_up(struct path6 *x, uint32_t middle_mtu)
{
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    o.ipv6 = 1;
    o.dynamic_wan = 1; /* no static neighbours: Neighbor Discovery on every link, timed below */
    o.middle_mtu = middle_mtu;
    CHECK_EQ(nst_lab_path_build(&x->p, &o), 0);
    x->fd = nst_socket_family(x->p.ny, NST_AF_INET6, NST_SOCK_ICMP);
    CHECK(x->fd >= 0);
}

/* Sends an echo request of `size` data bytes with hop limit `hops` (0:
 * the default) and returns the time until something comes back (-1: not
 * within 5 s), the answer in msg / from. */
static nst_time_t send_wait(struct path6 *x, const char *dst, uint16_t seq, size_t size, int hops, uint8_t *msg,
                            size_t cap, struct nst_sockaddr *from, ssize_t *len)
{
    uint8_t req[8 + 2000];
    memset(req, 0, sizeof(req));
    req[0] = NST_ICMP6_ECHO_REQUEST;
    nst_put16(req + 6, seq);
    if (hops)
        CHECK_EQ(nst_setsockopt(x->p.ny, x->fd, NST_IPPROTO_IP, NST_IP_TTL, &hops, sizeof(hops)), 0);
    struct nst_sockaddr to = addr6(dst);
    nst_time_t t = nst_world_now(x->p.world);
    CHECK_EQ(nst_sendto(x->p.ny, x->fd, req, 8 + size, 0, &to), (ssize_t)(8 + size));
    if (!nst_world_run_until_cond(x->p.world, fd_readable, x, t + NST_SEC(5)))
        return -1;
    *len = nst_recvfrom(x->p.ny, x->fd, msg, cap, 0, from);
    return nst_world_now(x->p.world) - t;
}

/* Every address passes DAD before use: one solicitation each after a
 * random delay below 1 s (RFC 4862 5.4.2), then RetransTimer (1 s) of
 * silence. Until then New York has no source address to send from. */
static void test_dad_before_use(void)
{
    struct path6 x;
    path6_up(&x, 0);
    uint8_t req[8] = {NST_ICMP6_ECHO_REQUEST};
    struct nst_sockaddr london = addr6("2001:db8:4::2");
    CHECK_EQ(nst_sendto(x.p.ny, x.fd, req, sizeof(req), 0, &london), -EADDRNOTAVAIL);
    struct nst_addr6_info a[NST_IP6_MAX_ADDRS];
    int n = nst_iface_addr6_list(x.p.ny, 0, a, NST_IP6_MAX_ADDRS);
    CHECK_EQ(n, 2); /* the link-local address and 2001:db8:1::2 */
    for (int i = 0; i < n; i++)
        CHECK_EQ(a[i].state, NST_ADDR6_TENTATIVE);
    nst_time_t done = nst_lab_path_wait_dad(&x.p);
    CHECK(done > NST_SEC(1) && done < NST_SEC(2));
    CHECK_EQ(done, 1938427570); /* seed 1: the last address's random delay + 1 s */
    n = nst_iface_addr6_list(x.p.ny, 0, a, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < n; i++)
        CHECK_EQ(a[i].state, NST_ADDR6_PREFERRED);
    /* One DAD solicitation per address: 2 per interface, 8 interfaces. */
    uint64_t ns = ST(x.p.ny)->nd_tx_ns + ST(x.p.london)->nd_tx_ns;
    for (int i = 0; i < 3; i++)
        ns += ST(x.p.routers[i])->nd_tx_ns;
    CHECK_EQ(ns, 16);
    CHECK_EQ(ST(x.p.ny)->nd_dad_ok, 2);
    nst_lab_path_free(&x.p);
}

/* The first ping waits for Neighbor Discovery on each of the 4 links (a
 * solicitation and an advertisement, each 86 bytes); the reply needs none:
 * each solicitation carried its sender's link-layer address (RFC 4861
 * 7.2.3). Later pings take the bare 80 ms + 8 x 944 ns. */
static void test_ping6_rtt_exact(void)
{
    struct path6 x;
    path6_up(&x, 0);
    nst_lab_path_wait_dad(&x.p);
    const nst_time_t rtt = 2 * ONE_WAY + 8 * SER(REQ6_FRAME); /* 80 ms + 7552 ns */
    const nst_time_t nd = 2 * ONE_WAY + 4 * 2 * SER(ND_FRAME); /* 80 ms + 5504 ns */
    uint8_t msg[256];
    struct nst_sockaddr from;
    ssize_t len;
    for (uint16_t seq = 1; seq <= 4; seq++) {
        nst_time_t t = send_wait(&x, "2001:db8:4::2", seq, PAYLOAD, 0, msg, sizeof(msg), &from, &len);
        CHECK_EQ(t, seq == 1 ? rtt + nd : rtt);
        CHECK_EQ(len, 8 + PAYLOAD);
        CHECK_EQ(msg[0], NST_ICMP6_ECHO_REPLY);
        CHECK_EQ(nst_get16(msg + 6), seq);
        CHECK_EQ(from.family, NST_AF_INET6);
        CHECK_MEM(from.addr6.b, addr6("2001:db8:4::2").addr6.b, 16);
        CHECK_EQ(from.port, 61); /* London's 64, less three routers */
        nst_world_run_for(x.p.world, NST_SEC(1));
    }
    CHECK_EQ(rtt + nd, NST_MSEC(160) + 13056);
    CHECK_EQ(ST(x.p.ny)->icmp6_tx_echo_request, 4);
    CHECK_EQ(ST(x.p.london)->icmp6_tx_echo_reply, 4);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(ST(x.p.routers[i])->ip6_forwarded, 8);
    /* No ARP at all for IPv6. */
    CHECK_EQ(ST(x.p.ny)->arp_tx_requests, 0);
    CHECK_EQ(ST(x.p.routers[2])->arp_tx_requests, 0);
    nst_lab_path_free(&x.p);
}

/* Hop limit 1, 2, 3: each router answers Time Exceeded code 0 (RFC 4443
 * 3.3) from its address toward New York, quoting the probe; 4: London. */
static void test_traceroute6_exact(void)
{
    struct path6 x;
    path6_up(&x, 0);
    nst_lab_path_wait_dad(&x.p);
    uint8_t msg[256];
    struct nst_sockaddr from;
    ssize_t len;
    /* Neighbours first, so every probe is timed on the wire alone. */
    CHECK(send_wait(&x, "2001:db8:4::2", 100, PAYLOAD, 0, msg, sizeof(msg), &from, &len) > 0);
    static const char *const hop[4] = {"2001:db8:1::1", "2001:db8:12::2", "2001:db8:23::2", "2001:db8:4::2"};
    static const nst_time_t lat[4] = {NST_USEC(500), NST_USEC(19500), NST_USEC(39500), NST_MSEC(40)};
    for (int h = 1; h <= 4; h++) {
        nst_time_t t = send_wait(&x, "2001:db8:4::2", (uint16_t)h, 32, h, msg, sizeof(msg), &from, &len);
        nst_time_t back = h < 4 ? SER(ERR6_FRAME) : SER(PROBE_FRAME);
        CHECK_EQ(t, 2 * lat[h - 1] + h * (SER(PROBE_FRAME) + back));
        CHECK_MEM(from.addr6.b, addr6(hop[h - 1]).addr6.b, 16);
        if (h < 4) {
            CHECK_EQ(msg[0], NST_ICMP6_TIME_EXCEEDED);
            CHECK_EQ(msg[1], NST_ICMP6_HOP_LIMIT_EXCEEDED);
            CHECK_EQ(len, 8 + 40 + 8 + 32); /* the whole probe quoted */
            CHECK_EQ(msg[8 + 7], 1);         /* its hop limit as it reached the router */
            CHECK_EQ(nst_get16(msg + 8 + 40 + 6), h);
            CHECK_EQ(ST(x.p.routers[h - 1])->icmp6_tx_time_exceeded, 1);
        } else {
            CHECK_EQ(msg[0], NST_ICMP6_ECHO_REPLY);
        }
    }
    CHECK_EQ(ST(x.p.ny)->icmp6_rx_time_exceeded, 3);
    nst_lab_path_free(&x.p);
}

/* Routers never fragment (RFC 8200 5): r2 answers a 1462-byte frame for
 * the 1280-byte link with Packet Too Big (RFC 4443 3.2), the MTU in it,
 * quoting as much as fits in 1280 bytes; the socket gets it, New York's
 * path MTU drops (RFC 8201) and its next request leaves in 2 fragments. */
static void test_packet_too_big(void)
{
    struct path6 x;
    path6_up(&x, 1280);
    nst_lab_path_wait_dad(&x.p);
    uint8_t msg[2048];
    struct nst_sockaddr from;
    ssize_t len;
    CHECK(send_wait(&x, "2001:db8:4::2", 100, PAYLOAD, 0, msg, sizeof(msg), &from, &len) > 0);
    nst_time_t t = send_wait(&x, "2001:db8:4::2", 1, 1400, 0, msg, sizeof(msg), &from, &len);
    const nst_time_t to_r2 = NST_USEC(19500) + 2 * SER(14 + 40 + 8 + 1400);
    const nst_time_t from_r2 = NST_USEC(19500) + 2 * SER(14 + 1280);
    CHECK_EQ(t, to_r2 + from_r2);
    CHECK_EQ(msg[0], NST_ICMP6_PACKET_TOO_BIG);
    CHECK_EQ(nst_get32(msg + 4), 1280);
    CHECK_EQ(len, 1280 - 40); /* RFC 4443 2.4 (c): no more than the minimum MTU */
    CHECK_MEM(from.addr6.b, addr6("2001:db8:12::2").addr6.b, 16);
    CHECK_EQ(ST(x.p.routers[1])->icmp6_tx_packet_too_big, 1);
    CHECK_EQ(ST(x.p.routers[1])->ip6_frag_created, 0);
    /* The next request is fragmented by New York; London's 1448-byte
     * reply meets r3's Packet Too Big in turn, and is lost. */
    nst_world_run_for(x.p.world, NST_SEC(1));
    CHECK_EQ(send_wait(&x, "2001:db8:4::2", 2, 1400, 0, msg, sizeof(msg), &from, &len), -1);
    CHECK_EQ(ST(x.p.ny)->ip6_frag_created, 2);
    CHECK_EQ(ST(x.p.routers[2])->icmp6_tx_packet_too_big, 1);
    t = send_wait(&x, "2001:db8:4::2", 3, 1400, 0, msg, sizeof(msg), &from, &len);
    CHECK(t > 0);
    CHECK_EQ(len, 8 + 1400);
    CHECK_EQ(msg[0], NST_ICMP6_ECHO_REPLY);
    CHECK_EQ(nst_get16(msg + 6), 3);
    CHECK_EQ(ST(x.p.london)->ip6_frag_created, 2);
    CHECK_EQ(ST(x.p.london)->ip6_reass_ok, 2);
    CHECK_EQ(ST(x.p.ny)->ip6_reass_ok, 1);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(ST(x.p.routers[i])->ip6_frag_created, 0);
    nst_lab_path_free(&x.p);
}

/* The simulator's calls: an IPv6-only link between two hosts, link-local
 * and global pings across it, and the errors. */
static void test_world_ipv6_api(void)
{
    struct nst_world *w = nst_world_new(7);
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    struct nst_stack *a = nst_world_add_host(w, "a", &c), *b = nst_world_add_host(w, "b", &c);
    struct nst_stack *x = nst_world_add_host(w, "x", &c), *v4only = nst_world_add_host(w, "v4", NULL);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    struct nst_sim_link *l = nst_world_connect6(w, a, "2001:db8:9::1/64", b, "2001:db8:9::2/64", &lp);
    CHECK(l != NULL);
    CHECK_EQ(nst_sim_link_addr6(l, 2, "2001:db8:9::3/64"), -EINVAL);
    CHECK_EQ(nst_sim_link_addr6(l, 0, "10.0.0.1/24"), -EINVAL);
    CHECK_EQ(nst_sim_link_addr6(l, 0, "2001:db8:9::1"), -EINVAL); /* no /LEN */
    CHECK_EQ(nst_sim_link_addr6(l, 0, "2001:db8:9::1/64"), -EEXIST);
    CHECK_EQ(nst_sim_link_addr6(l, 1, "2001:db8:a::2/64"), 0); /* a second prefix */
    /* A stack without IPv6 takes no IPv6 address; the link stays (the
     * world owns it) but the call says it failed. */
    CHECK(nst_world_connect6(w, x, "2001:db8:b::1/64", v4only, "2001:db8:b::2/64", &lp) == NULL);
    int ia = nst_sim_link_ifindex(l, 0), ib = nst_sim_link_ifindex(l, 1);
    struct nst_iface_info ii;
    CHECK_EQ(nst_iface_get(a, ia, &ii), 0);
    CHECK_EQ(ii.addr, 0); /* IPv6 only */
    nst_world_run_for(w, NST_SEC(3));
    /* Ping b's addresses from a: its link-local (with the scope) and the
     * one in a's prefix; the other prefix is not a's. */
    int fd = nst_socket_family(a, NST_AF_INET6, NST_SOCK_ICMP);
    uint8_t req[16] = {NST_ICMP6_ECHO_REQUEST}, in[64];
    struct nst_addr6_info bl[NST_IP6_MAX_ADDRS];
    int n = nst_iface_addr6_list(b, ib, bl, NST_IP6_MAX_ADDRS);
    CHECK_EQ(n, 3);
    int lls = 0, answered = 0;
    nst_ip6_t other = addr6("2001:db8:a::2").addr6;
    for (int i = 0; i < n; i++) {
        struct nst_sockaddr to = {.family = NST_AF_INET6, .addr6 = bl[i].addr};
        int ll = bl[i].origin == NST_ADDR6_LINK_LOCAL;
        lls += ll;
        CHECK_EQ(bl[i].state, NST_ADDR6_PREFERRED);
        if (memcmp(&bl[i].addr, &other, 16) == 0) {
            CHECK_EQ(nst_sendto(a, fd, req, sizeof(req), 0, &to), -ENETUNREACH);
            continue;
        }
        if (ll) {
            /* A link-local destination needs its interface (RFC 4007 6),
             * as Linux's ping sockets want it. */
            CHECK_EQ(nst_sendto(a, fd, req, sizeof(req), 0, &to), -EINVAL);
            to.scope_id = (uint32_t)ia + 1;
        }
        nst_put16(req + 6, (uint16_t)(i + 1));
        CHECK_EQ(nst_sendto(a, fd, req, sizeof(req), 0, &to), (ssize_t)sizeof(req));
        nst_world_run_for(w, NST_SEC(1));
        struct nst_sockaddr from;
        CHECK_EQ(nst_recvfrom(a, fd, in, sizeof(in), 0, &from), (ssize_t)sizeof(req));
        CHECK_EQ(in[0], NST_ICMP6_ECHO_REPLY);
        CHECK_EQ(nst_get16(in + 6), i + 1);
        CHECK_MEM(from.addr6.b, bl[i].addr.b, 16);
        CHECK_EQ(from.scope_id, ll ? (uint32_t)ia + 1 : 0);
        answered++;
    }
    CHECK_EQ(lls, 1);
    CHECK_EQ(answered, 2);
    nst_world_free(w);
}

int main(void)
{
    RUN(test_echo_reply_by_identifier);
    RUN(test_errors_quoting_a_request);
    RUN(test_receive_buffer_bounded);
    RUN(test_send_refusals);
    RUN(test_ss_lists_ipv6_socket);
    RUN(test_dad_before_use);
    RUN(test_ping6_rtt_exact);
    RUN(test_traceroute6_exact);
    RUN(test_packet_too_big);
    RUN(test_world_ipv6_api);
    return nst_test_done();
}
