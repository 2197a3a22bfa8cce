/* ICMPv6 echo sockets (src/ip/icmp_socket.c, RFC 4443 4): what reaches a
 * socket and what does not. Messages are handed to nst_icmp6_sock_deliver
 * as the ICMPv6 input hands them (checksum verified, rx->hdr6 filled): an
 * Echo Reply by its identifier; Time Exceeded, Destination Unreachable,
 * Packet Too Big and Parameter Problem when they quote one of the socket's
 * Echo Requests (behind the quoted IPv6 header, or a first fragment's
 * Fragment header); nothing else. */
#include <errno.h>
#include <nstack/nstack.h>

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
    k->fd = nst_icmp6_socket(k->st);
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
    int fd2 = nst_icmp6_socket(k.st);
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
    int fd2 = nst_icmp6_socket(k.st);
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

int main(void)
{
    RUN(test_echo_reply_by_identifier);
    RUN(test_errors_quoting_a_request);
    RUN(test_receive_buffer_bounded);
    RUN(test_send_refusals);
    RUN(test_ss_lists_ipv6_socket);
    return nst_test_done();
}
