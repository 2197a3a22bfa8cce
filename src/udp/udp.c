/* UDP (RFC 768, RFC 1122 4.1): sockets, demultiplexing by port, checksums,
 * port unreachable for datagrams nobody listens for. */
#include "udp/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "socket/dgram.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/checksum.h"
#include "wire/udp.h"

#define UDP_MAX_PAYLOAD (65535 - NST_IPV4_HLEN - NST_UDP_HLEN)

static uint64_t port_hash(struct nst_stack *st, uint16_t port)
{
    return nst_siphash24(st->hash_key, &port, sizeof(port));
}

static struct nst_dgram_sock *as_dgram(struct nst_hnode *n)
{
    return (struct nst_dgram_sock *)((char *)n - offsetof(struct nst_dgram_sock, node));
}

/* The most specific socket for a datagram (RFC 1122 4.1.3.4 leaves the
 * choice open; like BSD we prefer a connected match, then a bound address). */
static struct nst_dgram_sock *udp_lookup(struct nst_stack *st, nst_ip4_t laddr, uint16_t lport, nst_ip4_t raddr,
                                         uint16_t rport)
{
    struct nst_dgram_sock *best = NULL;
    int best_score = -1;
    uint64_t h = port_hash(st, lport);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->udp.ports, h, n) {
        struct nst_dgram_sock *d = as_dgram(n);
        if (d->lport != lport || (d->laddr && d->laddr != laddr))
            continue;
        if (d->connected && (d->raddr != raddr || d->rport != rport))
            continue;
        int score = (d->laddr ? 1 : 0) + (d->connected ? 2 : 0);
        if (score > best_score) {
            best = d;
            best_score = score;
        }
    }
    return best;
}

static int udp_port_conflicts(struct nst_stack *st, const struct nst_dgram_sock *me, nst_ip4_t laddr,
                              uint16_t port)
{
    uint64_t h = port_hash(st, port);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->udp.ports, h, n) {
        struct nst_dgram_sock *d = as_dgram(n);
        if (d == me || d->lport != port)
            continue;
        if (d->laddr && laddr && d->laddr != laddr)
            continue; /* different specific addresses never overlap */
        if (!(d->reuseaddr && me->reuseaddr))
            return 1;
    }
    return 0;
}

struct pick_arg {
    struct nst_stack *st;
    struct nst_dgram_sock *d;
};

static int udp_port_taken(void *arg, uint16_t port)
{
    struct pick_arg *a = arg;
    uint64_t h = port_hash(a->st, port);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&a->st->udp.ports, h, n) {
        if (as_dgram(n)->lport == port)
            return 1;
    }
    return 0;
}

static int udp_do_bind(struct nst_stack *st, struct nst_dgram_sock *d, nst_ip4_t addr, uint16_t port)
{
    if (d->bound)
        return -EINVAL;
    if (!nst_dgram_addr_ok(st, addr))
        return -EADDRNOTAVAIL;
    if (port == 0) {
        struct pick_arg a = {st, d};
        int p = nst_port_pick(st, NST_IP_PROTO_UDP, addr, d->raddr, d->rport, udp_port_taken, &a);
        if (p < 0)
            return p;
        port = (uint16_t)p;
    } else if (udp_port_conflicts(st, d, addr, port)) {
        return -EADDRINUSE;
    }
    d->laddr = addr;
    d->lport = port;
    d->bound = 1;
    nst_htable_insert(&st->udp.ports, &d->node, port_hash(st, port));
    return 0;
}

static int udp_bind(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    return udp_do_bind(st, (struct nst_dgram_sock *)s, a->addr, a->port);
}

static int udp_connect(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (a->addr == 0 || a->port == 0)
        return -EINVAL;
    if (nst_ip_route_src(st, a->addr, NULL, NULL) < 0)
        return -ENETUNREACH;
    d->raddr = a->addr;
    d->rport = a->port;
    d->connected = 1;
    if (!d->bound) {
        int err = udp_do_bind(st, d, 0, 0);
        if (err) {
            /* A failed connect leaves the socket unconnected, as it was. */
            d->raddr = 0;
            d->rport = 0;
            d->connected = 0;
            return err;
        }
    }
    return 0;
}

static ssize_t udp_sendto(struct nst_stack *st, struct nst_sock *s, const void *buf, size_t len, int flags,
                          const struct nst_sockaddr *to)
{
    (void)flags;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    nst_ip4_t dst = to ? to->addr : d->raddr;
    uint16_t dport = to ? to->port : d->rport;
    if (!to && !d->connected)
        return -EDESTADDRREQ;
    if (to && d->connected)
        return -EISCONN;
    if (dst == 0 || dport == 0)
        return -EINVAL;
    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (nst_ip_is_broadcast_or_multicast(st, dst))
        return -EACCES; /* no SO_BROADCAST: refuse, as BSD does without it */
    nst_ip4_t src = d->laddr;
    if (!src && nst_ip_route_src(st, dst, &src, NULL) < 0)
        return -ENETUNREACH;
    if (!d->bound) {
        int err = udp_do_bind(st, d, 0, 0);
        if (err)
            return err;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, NST_UDP_HLEN + len);
    if (!p)
        return -ENOBUFS;
    uint8_t *u = nst_pkt_data(p);
    memcpy(u + NST_UDP_HLEN, buf, len);
    struct nst_udp_repr r = {.src_port = d->lport, .dst_port = dport, .length = (uint16_t)(NST_UDP_HLEN + len)};
    nst_udp_emit(&r, u, src, dst);
    NST_STAT_INC(st, udp, tx_datagrams);
    int err = nst_ip_output(st, p, src, dst, NST_IP_PROTO_UDP, d->ttl, 0, 0);
    return err < 0 ? err : (ssize_t)len;
}

static void udp_close(struct nst_stack *st, struct nst_sock *s)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (d->bound)
        nst_htable_remove(&st->udp.ports, &d->node);
    nst_dgram_free_queue(st, d);
    free(d);
}

static const struct nst_proto_ops udp_ops = {
    .bind = udp_bind,
    .connect = udp_connect,
    .sendto = udp_sendto,
    .recvfrom = nst_dgram_recvfrom,
    .close = udp_close,
    .getname = nst_dgram_getname,
    .setsockopt = nst_dgram_setsockopt,
    .getsockopt = nst_dgram_getsockopt,
    .events = nst_dgram_events,
};

struct nst_sock *nst_udp_sock_new(struct nst_stack *st)
{
    struct nst_dgram_sock *d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    nst_dgram_init(st, d, NST_SOCK_DGRAM, &udp_ops);
    return &d->base;
}

void nst_udp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *dgram, size_t len)
{
    struct nst_udp_repr u;
    if (rx->family != 4) /* IPv6: not yet (the dual-stack transports are being built) */
        return;
    int err = nst_udp_parse(dgram, len, rx->hdr.src, rx->hdr.dst, &u, 1);
    if (err == -EBADMSG) {
        NST_STAT_INC(st, udp, rx_bad_checksum);
        return;
    }
    if (err < 0) {
        NST_STAT_INC(st, udp, rx_malformed);
        return;
    }
    NST_STAT_INC(st, udp, rx_datagrams);
    struct nst_dgram_sock *d = udp_lookup(st, rx->hdr.dst, u.dst_port, rx->hdr.src, u.src_port);
    if (!d) {
        NST_STAT_INC(st, udp, rx_no_port);
        /* RFC 1122 4.1.3.1: port unreachable (never for broadcasts; icmp.c checks). */
        nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_PORT_UNREACH, 0, 0, rx->ip, rx->ip_len);
        return;
    }
    if (nst_dgram_enqueue(st, d, dgram + NST_UDP_HLEN, u.length - NST_UDP_HLEN, rx->hdr.src, u.src_port) < 0)
        NST_STAT_INC(st, udp, rx_queue_full);
}

/* A connected socket learns that its peer refused (port unreachable:
 * ECONNREFUSED on the next call, as BSD sockets report it). */
void nst_udp_icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len)
{
    size_t hl = (size_t)(quoted[0] & 0x0f) * 4;
    if (len < hl + NST_UDP_HLEN)
        return;
    nst_ip4_t src = nst_get32(quoted + 12), dst = nst_get32(quoted + 16);
    uint16_t sport = nst_get16(quoted + hl), dport = nst_get16(quoted + hl + 2);
    struct nst_dgram_sock *d = udp_lookup(st, src, sport, dst, dport);
    if (!d || !d->connected)
        return;
    /* Time Exceeded is transient (a routing loop, a traceroute probe):
     * BSD and Linux do not fail the socket for it, nor do we. */
    if (type != NST_ICMP_DEST_UNREACH)
        return;
    int err = EHOSTUNREACH;
    if (code == NST_ICMP_PORT_UNREACH || code == NST_ICMP_PROTO_UNREACH)
        err = ECONNREFUSED;
    else if (code == NST_ICMP_NET_UNREACH)
        err = ENETUNREACH;
    else if (code == NST_ICMP_FRAG_NEEDED)
        err = EMSGSIZE; /* RFC 1191: the datagram was too big for the path */
    nst_dgram_set_error(st, d, err);
}

int nst_udp_init(struct nst_stack *st) { return nst_htable_init(&st->udp.ports, 64); }
void nst_udp_fini(struct nst_stack *st) { nst_htable_free(&st->udp.ports); }
