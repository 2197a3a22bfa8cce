/* UDP over IPv6 (RFC 768 over RFC 8200) between two simulated hosts with
 * 2001:db8::1 and ::2: an echo whose datagrams carry a valid checksum over
 * the IPv6 pseudo-header (RFC 8200 8.1), a zero checksum refused and
 * counted, a datagram to a closed port answered with ICMPv6 port
 * unreachable (RFC 4443 3.1 code 4) that a connected socket reads as
 * ECONNREFUSED, and the hop limit and traffic class options on the wire. */
#include <errno.h>
#include <nstack/nstack.h>
#include <string.h>

#include "core/pkt.h"
#include "ip6/ip6.h"
#include "support/sim_util.h"
#include "test.h"
#include "wire/udp.h"

struct net6 {
    struct nst_world *w;
    struct nst_stack *a, *b;
    struct nst_sim_link *l;
    nst_ip6_t a6, b6;
};

/* The last IPv6 packet each way, and how many ICMPv6 port unreachables b sent. */
struct seen {
    uint8_t pkt[2][2048];
    size_t len[2];
    unsigned unreach;
};

static void observe(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *frame,
                    size_t len)
{
    (void)now;
    struct seen *s = arg;
    if (ev != NST_SIM_OFFERED || len < 14 + 40 || nst_get16(frame + 12) != 0x86dd)
        return;
    size_t ip_len = 40 + (size_t)nst_get16(frame + 18);
    if (ip_len > sizeof(s->pkt[0]) || 14 + ip_len > len)
        return;
    if (frame[20] == NST_IP6_NH_ICMPV6 && frame[54] == NST_ICMP6_DEST_UNREACH && frame[55] == NST_ICMP6_PORT_UNREACH)
        s->unreach++;
    if (frame[20] != NST_IP6_NH_UDP)
        return;
    memcpy(s->pkt[dir], frame + 14, ip_len);
    s->len[dir] = ip_len;
}

static void net_up(struct net6 *n, struct seen *s)
{
    memset(n, 0, sizeof(*n));
    memset(s, 0, sizeof(*s));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_dad_delay = 0;
    c.nd_rtr_solicitations = 0; /* no router here */
    n->w = nst_world_new(71);
    n->a = nst_world_add_host(n->w, "a", &c);
    n->b = nst_world_add_host(n->w, "b", &c);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    n->l = nst_world_connect(n->w, n->a, NST_IP4(10, 0, 0, 1), 24, n->b, NST_IP4(10, 0, 0, 2), 24, &lp);
    nst_sim_link_observe(n->l, observe, s);
    CHECK_EQ(nst_ip6_parse("2001:db8::1", &n->a6, NULL), 0);
    CHECK_EQ(nst_ip6_parse("2001:db8::2", &n->b6, NULL), 0);
    CHECK_EQ(nst_iface_addr6_add(n->a, 0, &n->a6, 64), 0);
    CHECK_EQ(nst_iface_addr6_add(n->b, 0, &n->b6, 64), 0);
    nst_world_run_until(n->w, NST_SEC(2));
}

static struct nst_sockaddr sa6(const nst_ip6_t *a, uint16_t port)
{
    struct nst_sockaddr s = {.family = NST_AF_INET6, .port = port};
    s.addr6 = *a;
    return s;
}

static int udp6(struct nst_stack *st, uint16_t port)
{
    int fd = nst_socket_family(st, NST_AF_INET6, NST_SOCK_DGRAM);
    CHECK(fd >= 0);
    if (port) {
        struct nst_sockaddr any = {.family = NST_AF_INET6, .port = port};
        CHECK_EQ(nst_bind(st, fd, &any), 0);
    }
    return fd;
}

/* The checksum of the UDP datagram in an IPv6 packet is right (and not 0). */
static int udp_checksum_ok(const uint8_t *ip6, size_t len)
{
    nst_ip6_t src, dst;
    memcpy(src.b, ip6 + 8, 16);
    memcpy(dst.b, ip6 + 24, 16);
    struct nst_udp_repr r;
    return nst_get16(ip6 + 40 + 6) != 0 && nst_udp6_parse(ip6 + 40, len - 40, &src, &dst, &r) == 0;
}

static void test_echo(void)
{
    struct net6 n;
    struct seen s;
    net_up(&n, &s);
    int srv = udp6(n.b, 7);
    int cli = udp6(n.a, 0);
    struct nst_sockaddr to = sa6(&n.b6, 7);
    static const char msg[] = "an IPv6 datagram, echoed";
    CHECK_EQ(nst_sendto(n.a, cli, msg, sizeof(msg), 0, &to), (ssize_t)sizeof(msg));
    nst_world_run_for(n.w, NST_MSEC(10));
    char buf[128];
    struct nst_sockaddr from;
    CHECK_EQ(nst_recvfrom(n.b, srv, buf, sizeof(buf), 0, &from), (ssize_t)sizeof(msg));
    CHECK_MEM(buf, msg, sizeof(msg));
    CHECK_EQ(from.family, NST_AF_INET6);
    CHECK_MEM(&from.addr6, &n.a6, 16);
    CHECK_EQ(s.len[0], 40 + 8 + sizeof(msg));
    CHECK(udp_checksum_ok(s.pkt[0], s.len[0]));
    CHECK_EQ(nst_sendto(n.b, srv, buf, sizeof(msg), 0, &from), (ssize_t)sizeof(msg));
    nst_world_run_for(n.w, NST_MSEC(10));
    struct nst_sockaddr back;
    CHECK_EQ(nst_recvfrom(n.a, cli, buf, sizeof(buf), 0, &back), (ssize_t)sizeof(msg));
    CHECK_MEM(buf, msg, sizeof(msg));
    char text[NST_SOCKADDR_STRLEN];
    CHECK(strcmp(nst_sockaddr_str(&back, text, sizeof(text)), "[2001:db8::2]:7") == 0);
    CHECK(udp_checksum_ok(s.pkt[1], s.len[1]));
    CHECK_EQ(nst_stack_stats(n.b)->udp_rx_datagrams, 1);
    CHECK_EQ(nst_stack_stats(n.b)->udp_rx_bad_checksum, 0);
    /* Hop limit and traffic class, on the wire. */
    int hops = 9, tclass = 0xb8; /* DSCP EF */
    CHECK_EQ(nst_setsockopt(n.a, cli, NST_IPPROTO_IPV6, NST_IPV6_UNICAST_HOPS, &hops, sizeof(hops)), 0);
    CHECK_EQ(nst_setsockopt(n.a, cli, NST_IPPROTO_IPV6, NST_IPV6_TCLASS, &tclass, sizeof(tclass)), 0);
    CHECK_EQ(nst_sendto(n.a, cli, "x", 1, 0, &to), 1);
    nst_world_run_for(n.w, NST_MSEC(10));
    CHECK_EQ(s.pkt[0][7], 9);
    CHECK_EQ(((s.pkt[0][0] & 0x0f) << 4) | (s.pkt[0][1] >> 4), 0xb8);
    nst_world_free(n.w);
}

/* RFC 8200 8.1: a zero checksum over IPv6 is refused (counted), a wrong
 * one too; neither reaches the socket. */
static void test_checksum_refused(void)
{
    struct net6 n;
    struct seen s;
    net_up(&n, &s);
    int srv = udp6(n.b, 9);
    for (int bad = 0; bad < 2; bad++) {
        struct nst_pkt *p = nst_pkt_alloc(n.a, 8 + 4);
        uint8_t *u = nst_pkt_data(p);
        memcpy(u + 8, "zero", 4);
        struct nst_udp_repr r = {.src_port = 5000, .dst_port = 9, .length = 12};
        nst_udp6_emit(&r, u, &n.a6, &n.b6);
        if (bad == 0)
            nst_put16(u + 6, 0);
        else
            u[11] ^= 1; /* the payload changed after the checksum */
        CHECK_EQ(nst_ip6_output(n.a, p, &n.a6, &n.b6, NST_IP6_NH_UDP, 0, 0, -1, 0, NULL), 0);
        nst_world_run_for(n.w, NST_MSEC(10));
    }
    char buf[16];
    CHECK_EQ(nst_recv(n.b, srv, buf, sizeof(buf), 0), -EAGAIN);
    CHECK_EQ(nst_stack_stats(n.b)->udp_rx_zero_checksum6, 1);
    CHECK_EQ(nst_stack_stats(n.b)->udp_rx_bad_checksum, 1);
    CHECK_EQ(nst_stack_stats(n.b)->udp_rx_datagrams, 0);
    CHECK_EQ(s.unreach, 0); /* no error about a datagram refused */
    nst_world_free(n.w);
}

/* RFC 4443 3.1: nobody on port 9999: ICMPv6 destination unreachable code
 * 4 comes back; a connected socket reads ECONNREFUSED, once. */
static void test_port_unreachable(void)
{
    struct net6 n;
    struct seen s;
    net_up(&n, &s);
    int cli = udp6(n.a, 0);
    struct nst_sockaddr to = sa6(&n.b6, 9999);
    CHECK_EQ(nst_connect(n.a, cli, &to), 0);
    CHECK_EQ(nst_send(n.a, cli, "anyone?", 7, 0), 7);
    nst_world_run_for(n.w, NST_MSEC(10));
    CHECK_EQ(nst_stack_stats(n.b)->udp_rx_no_port, 1);
    CHECK_EQ(s.unreach, 1);
    char buf[16];
    CHECK_EQ(nst_recv(n.a, cli, buf, sizeof(buf), 0), -ECONNREFUSED);
    CHECK_EQ(nst_recv(n.a, cli, buf, sizeof(buf), 0), -EAGAIN);
    /* An unconnected socket is not told (as Linux without IPV6_RECVERR). */
    int u = udp6(n.a, 0);
    CHECK_EQ(nst_sendto(n.a, u, "x", 1, 0, &to), 1);
    nst_world_run_for(n.w, NST_MSEC(10));
    CHECK_EQ(s.unreach, 2);
    CHECK_EQ(nst_recv(n.a, u, buf, sizeof(buf), 0), -EAGAIN);
    nst_world_free(n.w);
}

int main(void)
{
    RUN(test_echo);
    RUN(test_checksum_refused);
    RUN(test_port_unreachable);
    return nst_test_done();
}
