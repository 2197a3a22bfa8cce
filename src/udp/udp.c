/* UDP (RFC 768, RFC 1122 4.1): sockets, demultiplexing by port, checksums,
 * port unreachable for datagrams nobody listens for. */
#include "udp/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "ip6/ip6.h"
#include "socket/dgram.h"
#include "socket/inaddr.h"
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
 * choice open; like BSD we prefer a connected match, then a bound address,
 * then (as Linux) a wildcard socket of the datagram's own family over a
 * dual-stack one). */
static struct nst_dgram_sock *udp_lookup(struct nst_stack *st, const nst_ip6_t *laddr, uint16_t lport,
                                         const nst_ip6_t *raddr, uint16_t rport)
{
    struct nst_dgram_sock *best = NULL;
    int best_score = -1;
    uint8_t kind = nst_in6_kind(laddr);
    uint64_t h = port_hash(st, lport);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->udp.ports, h, n) {
        struct nst_dgram_sock *d = as_dgram(n);
        if (d->lport != lport)
            continue;
        int any = nst_in6_is_any(&d->laddr);
        uint8_t cover = nst_in6_cover(&d->base, &d->laddr);
        if (any ? !(cover & kind) : !nst_ip6_eq(&d->laddr, laddr))
            continue;
        if (d->connected && (d->rport != rport || !nst_ip6_eq(&d->raddr, raddr)))
            continue;
        int score = (any ? (cover == kind) : 4) + (d->connected ? 8 : 0);
        if (score > best_score) {
            best = d;
            best_score = score;
        }
    }
    return best;
}

static int udp_port_conflicts(struct nst_stack *st, const struct nst_dgram_sock *me, const nst_ip6_t *laddr,
                              uint16_t port)
{
    uint8_t cover = nst_in6_cover(&me->base, laddr);
    uint64_t h = port_hash(st, port);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->udp.ports, h, n) {
        struct nst_dgram_sock *d = as_dgram(n);
        if (d == me || d->lport != port)
            continue;
        if (!(nst_in6_cover(&d->base, &d->laddr) & cover))
            continue; /* a v6-only socket and an IPv4 one (RFC 3493 5.3) */
        if (!nst_in6_is_any(&d->laddr) && !nst_in6_is_any(laddr) && !nst_ip6_eq(&d->laddr, laddr))
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

/* addr: the local address (a wildcard of either form: the socket's own). */
static int udp_do_bind(struct nst_stack *st, struct nst_dgram_sock *d, nst_ip6_t addr, uint16_t port)
{
    if (d->bound)
        return -EINVAL;
    if (!nst_dgram_addr_ok(st, &addr))
        return -EADDRNOTAVAIL;
    if (port == 0) {
        struct pick_arg a = {st, d};
        int p = nst_port_pick(st, NST_IP_PROTO_UDP, &addr, &d->raddr, d->rport, udp_port_taken, &a);
        if (p < 0)
            return p;
        port = (uint16_t)p;
    } else if (udp_port_conflicts(st, d, &addr, port)) {
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
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    nst_ip6_t addr;
    int err = nst_sock_addr_in(s, a, 0, &addr);
    if (err)
        return err == -ENETUNREACH ? -EINVAL : err;
    if (a->scope_id > NST_MAX_IFACES)
        return -ENODEV;
    err = udp_do_bind(st, d, addr, a->port);
    if (!err && nst_ip6_is_link_local(&addr))
        d->scope = (uint8_t)a->scope_id;
    return err;
}

/* Where a datagram to dst goes out: its source address and the interface
 * of a link-local dst (scope_id, else the socket's: RFC 4007 6). */
static int udp_route(struct nst_stack *st, const struct nst_dgram_sock *d, const nst_ip6_t *dst, uint32_t scope_id,
                     nst_ip6_t *src, uint8_t *scope)
{
    *scope = 0;
    if (scope_id > NST_MAX_IFACES)
        return -ENODEV;
    if (nst_ip6_is_link_local(dst)) {
        *scope = (uint8_t)(scope_id ? scope_id : d->scope);
        if (!*scope)
            return -EINVAL;
    }
    uint32_t mtu;
    if (nst_in6_route_src(st, dst, *scope ? *scope - 1 : -1, src, &mtu) < 0)
        return -ENETUNREACH;
    /* A socket bound to one family's address cannot reach the other's. */
    if (!nst_in6_is_any(&d->laddr)) {
        if (nst_in6_kind(&d->laddr) != nst_in6_kind(dst))
            return -ENETUNREACH;
        *src = d->laddr;
    }
    return 0;
}

static int udp_connect(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    nst_ip6_t raddr, src;
    uint8_t scope;
    int err = nst_sock_addr_in(s, a, 1, &raddr);
    if (err)
        return err;
    if (nst_in6_is_any(&raddr) || a->port == 0)
        return -EINVAL;
    err = udp_route(st, d, &raddr, a->scope_id, &src, &scope);
    if (err)
        return err;
    d->raddr = raddr;
    d->rport = a->port;
    d->connected = 1;
    if (!d->bound) {
        err = udp_do_bind(st, d, nst_in6_any(s->family), 0);
        if (err) {
            /* A failed connect leaves the socket unconnected, as it was. */
            memset(&d->raddr, 0, sizeof(d->raddr));
            d->rport = 0;
            d->connected = 0;
            return err;
        }
    }
    if (scope)
        d->scope = scope;
    return 0;
}

/* Builds and sends one datagram (UDP header and payload in p) from src to
 * dst: IPv4 for a mapped dst, else IPv6 with its mandatory checksum. */
static int udp_output(struct nst_stack *st, struct nst_dgram_sock *d, struct nst_pkt *p, const nst_ip6_t *src,
                      const nst_ip6_t *dst, uint16_t dport, uint8_t scope)
{
    uint8_t *u = nst_pkt_data(p);
    struct nst_udp_repr r = {.src_port = d->lport, .dst_port = dport, .length = (uint16_t)p->len};
    NST_STAT_INC(st, udp, tx_datagrams);
    if (nst_ip6_is_v4mapped(dst)) {
        nst_ip4_t s4 = nst_ip6_to_ip4(src), d4 = nst_ip6_to_ip4(dst);
        nst_udp_emit(&r, u, s4, d4);
        return nst_ip_output(st, p, s4, d4, NST_IP_PROTO_UDP, d->ttl, 0, 0);
    }
    nst_udp6_emit(&r, u, src, dst);
    return nst_ip6_output(st, p, src, dst, NST_IP6_NH_UDP, d->ttl, d->tclass, scope ? scope - 1 : -1, 0, NULL);
}

static ssize_t udp_sendto(struct nst_stack *st, struct nst_sock *s, const void *buf, size_t len, int flags,
                          const struct nst_sockaddr *to)
{
    (void)flags;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (!to && !d->connected)
        return -EDESTADDRREQ;
    if (to && d->connected)
        return -EISCONN;
    nst_ip6_t dst = d->raddr;
    uint16_t dport = to ? to->port : d->rport;
    uint32_t scope_id = 0;
    if (to) {
        int err = nst_sock_addr_in(s, to, 1, &dst);
        if (err)
            return err;
        scope_id = to->scope_id;
    }
    if (nst_in6_is_any(&dst) || dport == 0)
        return -EINVAL;
    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (nst_ip6_is_v4mapped(&dst) && nst_ip_is_broadcast_or_multicast(st, nst_ip6_to_ip4(&dst)))
        return -EACCES; /* no SO_BROADCAST: refuse, as BSD does without it */
    nst_ip6_t src;
    uint8_t scope;
    int err = udp_route(st, d, &dst, scope_id, &src, &scope);
    if (err)
        return err;
    if (!d->bound) {
        err = udp_do_bind(st, d, nst_in6_any(s->family), 0);
        if (err)
            return err;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, NST_UDP_HLEN + len);
    if (!p)
        return -ENOBUFS;
    memcpy(nst_pkt_data(p) + NST_UDP_HLEN, buf, len);
    err = udp_output(st, d, p, &src, &dst, dport, scope);
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

/* The datagram's header, checked over its family's pseudo-header, and its
 * addresses as the sockets hold them. 0, or -1 (counted). */
static int udp_rx_parse(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *dgram, size_t len,
                        struct nst_udp_repr *u, nst_ip6_t *src, nst_ip6_t *dst)
{
    int err;
    if (rx->family == 6) {
        *src = rx->hdr6.src;
        *dst = rx->hdr6.dst;
        err = nst_udp6_parse(dgram, len, src, dst, u);
    } else {
        nst_ip6_from_ip4(rx->hdr.src, src);
        nst_ip6_from_ip4(rx->hdr.dst, dst);
        err = nst_udp_parse(dgram, len, rx->hdr.src, rx->hdr.dst, u, 1);
    }
    if (err == -EBADMSG)
        NST_STAT_INC(st, udp, rx_bad_checksum);
    else if (err == -ENOMSG)
        NST_STAT_INC(st, udp, rx_zero_checksum6); /* RFC 8200 8.1 */
    else if (err < 0)
        NST_STAT_INC(st, udp, rx_malformed);
    return err < 0 ? -1 : 0;
}

void nst_udp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *dgram, size_t len)
{
    struct nst_udp_repr u;
    nst_ip6_t src, dst;
    if (udp_rx_parse(st, rx, dgram, len, &u, &src, &dst) < 0)
        return;
    NST_STAT_INC(st, udp, rx_datagrams);
    struct nst_dgram_sock *d = udp_lookup(st, &dst, u.dst_port, &src, u.src_port);
    if (!d) {
        NST_STAT_INC(st, udp, rx_no_port);
        /* RFC 1122 4.1.3.1, RFC 4443 3.1 code 4: port unreachable (never
         * for broadcasts or multicasts; icmp.c and icmp6.c check). */
        if (rx->family == 6)
            nst_icmp6_send_error(st, NST_ICMP6_DEST_UNREACH, NST_ICMP6_PORT_UNREACH, 0, rx->ip, rx->ip_len,
                                 rx->ifindex);
        else
            nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_PORT_UNREACH, 0, 0, rx->ip, rx->ip_len);
        return;
    }
    uint8_t scope = rx->family == 6 && nst_ip6_is_link_local(&src) ? (uint8_t)(rx->ifindex + 1) : 0;
    if (nst_dgram_enqueue(st, d, dgram + NST_UDP_HLEN, u.length - NST_UDP_HLEN, &src, u.src_port, scope) < 0)
        NST_STAT_INC(st, udp, rx_queue_full);
}

/* A connected socket learns that its peer refused (port unreachable:
 * ECONNREFUSED on the next call, as BSD sockets report it). Time Exceeded
 * is transient (a routing loop, a traceroute probe): BSD and Linux do not
 * fail the socket for it, nor do we. */
static void quoted_error(struct nst_stack *st, const nst_ip6_t *src, const nst_ip6_t *dst, const uint8_t *udp,
                         int err)
{
    uint16_t sport = nst_get16(udp), dport = nst_get16(udp + 2);
    struct nst_dgram_sock *d = udp_lookup(st, src, sport, dst, dport);
    if (d && d->connected && err)
        nst_dgram_set_error(st, d, err);
}

void nst_udp_icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len)
{
    size_t hl = (size_t)(quoted[0] & 0x0f) * 4;
    if (len < hl + NST_UDP_HLEN)
        return;
    nst_ip6_t src, dst;
    nst_ip6_from_ip4(nst_get32(quoted + 12), &src);
    nst_ip6_from_ip4(nst_get32(quoted + 16), &dst);
    int err = 0;
    if (type == NST_ICMP_DEST_UNREACH) {
        err = EHOSTUNREACH;
        if (code == NST_ICMP_PORT_UNREACH || code == NST_ICMP_PROTO_UNREACH)
            err = ECONNREFUSED;
        else if (code == NST_ICMP_NET_UNREACH)
            err = ENETUNREACH;
        else if (code == NST_ICMP_FRAG_NEEDED)
            err = EMSGSIZE; /* RFC 1191: the datagram was too big for the path */
    }
    quoted_error(st, &src, &dst, quoted + hl, err);
}

void nst_udp_icmp6_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len,
                         size_t off)
{
    if (len < NST_IPV6_HLEN || off < NST_IPV6_HLEN || len < off + NST_UDP_HLEN)
        return; /* RFC 4443 2.4 (c): cut before the ports */
    nst_ip6_t src, dst;
    memcpy(src.b, quoted + 8, 16);
    memcpy(dst.b, quoted + 24, 16);
    int err = 0;
    if (type == NST_ICMP6_DEST_UNREACH) /* RFC 4443 3.1, as Linux's icmpv6_err_convert */
        err = code == NST_ICMP6_PORT_UNREACH      ? ECONNREFUSED
              : code == NST_ICMP6_NO_ROUTE        ? ENETUNREACH
              : code == NST_ICMP6_ADMIN_PROHIBITED ? EACCES
                                                   : EHOSTUNREACH;
    else if (type == NST_ICMP6_PACKET_TOO_BIG)
        err = EMSGSIZE; /* RFC 8201: the path is narrower; the application resends smaller */
    else if (type == NST_ICMP6_PARAM_PROBLEM && code == NST_ICMP6_UNKNOWN_NEXT_HEADER)
        err = ECONNREFUSED;
    quoted_error(st, &src, &dst, quoted + off, err);
}

int nst_udp_init(struct nst_stack *st) { return nst_htable_init(&st->udp.ports, 64); }
void nst_udp_fini(struct nst_stack *st) { nst_htable_free(&st->udp.ports); }
