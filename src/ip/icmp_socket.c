/* ICMP echo sockets: what `ping` and `traceroute` use (see socket.h), over
 * IPv4 (ICMP, RFC 792) and IPv6 (ICMPv6, RFC 4443 4: an NST_AF_INET6
 * socket). The identifier plays the role of a port: each socket owns one,
 * and replies and errors quoting its requests come back to it. The two
 * families have separate identifier spaces, as on Linux. */
#include "ip/icmp_socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "ip6/ip6.h"
#include "socket/dgram.h"
#include "socket/inaddr.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/icmpv6.h"
#include "wire/ipv4.h"

/* What differs between the two families' echo sockets; the rest (binding,
 * identifiers, the checks on a message to send) is one piece of code. */
struct icmp_family {
    uint8_t proto;        /* ICMP or ICMPv6: the identifier space nst_port_pick draws from */
    uint8_t echo_request; /* the only type a socket sends, as with Linux's ping sockets */
    size_t max_len;       /* the largest message: what an IP packet holds after its header */
    uint32_t id_key;      /* the identifiers' hash keys, distinct from UDP's port keys */
    int (*id_taken)(void *st, uint16_t id);
    /* The local address a bind names, as the socket holds it: 0, or
     * -EADDRNOTAVAIL when it is neither "any" nor one of the stack's. */
    int (*bind_addr)(struct nst_stack *st, const struct nst_sockaddr *a, nst_ip6_t *out);
    /* 0 or an error for a destination, checked before the socket takes an
     * identifier. */
    int (*check_dest)(const struct nst_sockaddr *to);
    /* Writes the echo request msg (identifier d->lport, the checksum) and
     * sends it to `to`. */
    int (*send_echo)(struct nst_stack *st, struct nst_dgram_sock *d, const uint8_t *msg, size_t len,
                     const struct nst_sockaddr *to);
};

static const struct icmp_family icmp4_family, icmp6_family;

static int is_v6(const struct nst_dgram_sock *d) { return d->base.family == NST_AF_INET6; }
static const struct icmp_family *family_of(const struct nst_dgram_sock *d)
{
    return is_v6(d) ? &icmp6_family : &icmp4_family;
}

static uint64_t id_hash(struct nst_stack *st, uint16_t id, int v6)
{
    uint32_t k = (v6 ? icmp6_family.id_key : icmp4_family.id_key) ^ id;
    return nst_siphash24(st->hash_key, &k, sizeof(k));
}

static struct nst_dgram_sock *icmp_find(struct nst_stack *st, uint16_t id, int v6)
{
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->icmp_socks.ids, id_hash(st, id, v6), n) {
        struct nst_dgram_sock *d = (struct nst_dgram_sock *)((char *)n - offsetof(struct nst_dgram_sock, node));
        if (d->lport == id && is_v6(d) == v6)
            return d;
    }
    return NULL;
}

static int id_taken(void *arg, uint16_t id) { return icmp_find(arg, id, 0) != NULL; }
static int id6_taken(void *arg, uint16_t id) { return icmp_find(arg, id, 1) != NULL; }

/* Gives d (its laddr set) identifier id, or one picked as RFC 6056 picks
 * ports when id is 0. */
static int icmp_take_id(struct nst_stack *st, struct nst_dgram_sock *d, uint16_t id)
{
    const struct icmp_family *f = family_of(d);
    if (id == 0) {
        nst_ip6_t none = nst_in6_any(d->base.family);
        int p = nst_port_pick(st, f->proto, &d->laddr, &none, 0, f->id_taken, st);
        if (p < 0)
            return p;
        id = (uint16_t)p;
    } else if (icmp_find(st, id, is_v6(d))) {
        return -EADDRINUSE;
    }
    d->lport = id;
    d->bound = 1;
    nst_htable_insert(&st->icmp_socks.ids, &d->node, id_hash(st, id, is_v6(d)));
    return 0;
}

static int icmp_bind(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if ((a->family == NST_AF_INET6) != is_v6(d))
        return -EAFNOSUPPORT;
    if (d->bound)
        return -EINVAL;
    int err = family_of(d)->bind_addr(st, a, &d->laddr);
    if (!err)
        err = icmp_take_id(st, d, a->port);
    if (err)
        d->laddr = nst_in6_any(d->base.family); /* unbound again */
    return err;
}

static ssize_t icmp_sendto(struct nst_stack *st, struct nst_sock *s, const void *buf, size_t len, int flags,
                           const struct nst_sockaddr *to)
{
    (void)flags;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    const struct icmp_family *f = family_of(d);
    const uint8_t *msg = buf;
    if (!to)
        return -EDESTADDRREQ;
    if ((to->family == NST_AF_INET6) != is_v6(d))
        return -EAFNOSUPPORT;
    /* Both headers are 8 bytes: type, code, checksum, identifier, sequence. */
    if (len < NST_ICMP_HLEN || len > f->max_len)
        return -EINVAL;
    if (msg[0] != f->echo_request || msg[1] != 0)
        return -EINVAL; /* only echo requests, like Linux's ping sockets */
    int err = f->check_dest(to);
    if (err)
        return err;
    if (!d->bound) {
        d->laddr = nst_in6_any(d->base.family);
        err = icmp_take_id(st, d, 0);
        if (err)
            return err;
    }
    err = f->send_echo(st, d, msg, len, to);
    return err < 0 ? err : (ssize_t)len;
}

static void icmp_close(struct nst_stack *st, struct nst_sock *s)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (d->bound)
        nst_htable_remove(&st->icmp_socks.ids, &d->node);
    nst_dgram_free_queue(st, d);
    free(d);
}

static const struct nst_proto_ops icmp_sock_ops = {
    .bind = icmp_bind,
    .sendto = icmp_sendto,
    .recvfrom = nst_dgram_recvfrom,
    .close = icmp_close,
    .getname = nst_dgram_getname,
    .setsockopt = nst_dgram_setsockopt,
    .getsockopt = nst_dgram_getsockopt,
    .events = nst_dgram_events,
};

struct nst_sock *nst_icmp_sock_new(struct nst_stack *st, int family)
{
    struct nst_dgram_sock *d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    nst_dgram_init(st, d, NST_SOCK_ICMP, &icmp_sock_ops);
    d->base.family = (uint8_t)family;
    d->laddr = nst_in6_any(family);
    return &d->base;
}

/* ---- ICMP echo sockets (RFC 792) ---------------------------------------- */

static int icmp4_bind_addr(struct nst_stack *st, const struct nst_sockaddr *a, nst_ip6_t *out)
{
    nst_ip6_from_ip4(a->addr, out);
    return nst_dgram_addr_ok(st, out) ? 0 : -EADDRNOTAVAIL;
}

static int icmp4_check_dest(const struct nst_sockaddr *to)
{
    (void)to;
    return 0;
}

static int icmp4_send_echo(struct nst_stack *st, struct nst_dgram_sock *d, const uint8_t *msg, size_t len,
                           const struct nst_sockaddr *to)
{
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (!p)
        return -ENOBUFS;
    struct nst_icmp_repr r = {.type = NST_ICMP_ECHO_REQUEST, .id = d->lport, .seq = nst_get16(msg + 6),
                              .data = msg + NST_ICMP_HLEN, .data_len = len - NST_ICMP_HLEN};
    nst_icmp_emit(&r, nst_pkt_data(p), p->len);
    NST_STAT_INC(st, icmp, tx_msgs);
    NST_STAT_INC(st, icmp, tx_echo_request);
    return nst_ip_output(st, p, nst_ip6_to_ip4(&d->laddr), to->addr, NST_IP_PROTO_ICMP, d->ttl, 0, 0);
}

static const struct icmp_family icmp4_family = {
    .proto = NST_IP_PROTO_ICMP,
    .echo_request = NST_ICMP_ECHO_REQUEST,
    .max_len = 65535 - NST_IPV4_HLEN,
    .id_key = 0x1c300000u,
    .id_taken = id_taken,
    .bind_addr = icmp4_bind_addr,
    .check_dest = icmp4_check_dest,
    .send_echo = icmp4_send_echo,
};

/* The identifier an ICMP message is about: its own for an echo reply, the
 * quoted echo request's for an error. 0 if there is none. */
static int icmp_owner_id(const uint8_t *msg, size_t len, uint16_t *id)
{
    if (msg[0] == NST_ICMP_ECHO_REPLY) {
        *id = nst_get16(msg + 4);
        return 1;
    }
    const uint8_t *q = msg + NST_ICMP_HLEN;
    size_t qlen = len - NST_ICMP_HLEN;
    if (qlen < NST_IPV4_HLEN)
        return 0;
    size_t hl = (size_t)(q[0] & 0x0f) * 4;
    if (hl < NST_IPV4_HLEN || qlen < hl + NST_ICMP_HLEN || q[9] != NST_IP_PROTO_ICMP ||
        q[hl] != NST_ICMP_ECHO_REQUEST)
        return 0;
    *id = nst_get16(q + hl + 4);
    return 1;
}

int nst_icmp_sock_deliver(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    uint16_t id;
    if (!icmp_owner_id(msg, len, &id))
        return 0;
    struct nst_dgram_sock *d = icmp_find(st, id, 0);
    if (!d)
        return 0;
    nst_ip6_t from;
    nst_ip6_from_ip4(rx->hdr.src, &from);
    if (nst_dgram_enqueue(st, d, msg, len, &from, rx->hdr.ttl, 0) < 0)
        NST_STAT_INC(st, icmp, rx_unmatched);
    return 1;
}

/* ---- ICMPv6 echo sockets (RFC 4443 4) ------------------------------------
 * The same datagram socket with family NST_AF_INET6: laddr an IPv6 address
 * (:: until bound), ttl the hop limit (NST_IP_TTL or NST_IPV6_UNICAST_HOPS),
 * the sender of each queued message an IPv6 address and its hop limit in
 * the port, as ping prints it. */

static int icmp6_bind_addr(struct nst_stack *st, const struct nst_sockaddr *a, nst_ip6_t *out)
{
    if (!nst_ip6_is_unspecified(&a->addr6) && !nst_ip6_is_local(st, &a->addr6))
        return -EADDRNOTAVAIL;
    *out = a->addr6;
    return 0;
}

/* RFC 4007 6: a link-local (or link-scope multicast) destination means
 * nothing without its zone, the interface. */
static int icmp6_check_dest(const struct nst_sockaddr *to)
{
    if (!to->scope_id && (nst_ip6_is_link_local(&to->addr6) ||
                          (nst_ip6_is_multicast(&to->addr6) && nst_ip6_mcast_scope(&to->addr6) <= 2)))
        return -EINVAL;
    return 0;
}

/* RFC 4443 4.1: an Echo Request, identifier and sequence number in its
 * second word, data echoed back in the reply. The checksum covers the
 * pseudo-header (2.3), so the source is chosen before the message is
 * written. */
static int icmp6_send_echo(struct nst_stack *st, struct nst_dgram_sock *d, const uint8_t *msg, size_t len,
                           const struct nst_sockaddr *to)
{
    int ifindex = to->scope_id ? (int)to->scope_id - 1 : -1;
    nst_ip6_t src = d->laddr;
    if (nst_ip6_is_unspecified(&src)) {
        uint32_t mtu;
        int err = nst_ip6_route_src(st, &to->addr6, ifindex, &src, &mtu);
        if (err)
            return err;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (!p)
        return -ENOBUFS;
    struct nst_icmp6_repr r = {.type = NST_ICMP6_ECHO_REQUEST,
                               .word = (uint32_t)d->lport << 16 | nst_get16(msg + 6),
                               .data = msg + NST_ICMP6_HLEN,
                               .data_len = len - NST_ICMP6_HLEN};
    nst_icmp6_emit(&r, &src, &to->addr6, nst_pkt_data(p), p->len);
    NST_STAT_INC(st, icmp6, tx_msgs);
    NST_STAT_INC(st, icmp6, tx_echo_request);
    return nst_ip6_output(st, p, &src, &to->addr6, NST_IP6_NH_ICMPV6, d->ttl, d->tclass, ifindex, 0, NULL);
}

static const struct icmp_family icmp6_family = {
    .proto = NST_IP6_NH_ICMPV6,
    .echo_request = NST_ICMP6_ECHO_REQUEST,
    .max_len = 65535 - NST_IPV6_HLEN,
    .id_key = 0x1c600000u,
    .id_taken = id6_taken,
    .bind_addr = icmp6_bind_addr,
    .check_dest = icmp6_check_dest,
    .send_echo = icmp6_send_echo,
};

/* Where the upper-layer header of a quoted IPv6 packet starts, skipping
 * the extension headers an echo request may carry (a first fragment's
 * Fragment header; options). 0 if the quote ends before it or it is not
 * ICMPv6. */
static size_t quoted_icmp6_off(const uint8_t *q, size_t qlen)
{
    if (qlen < NST_IPV6_HLEN || q[0] >> 4 != 6)
        return 0;
    uint8_t nh = q[6];
    size_t off = NST_IPV6_HLEN;
    for (int i = 0; i < NST_IPV6_MAX_EXT_HEADERS && nh != NST_IP6_NH_ICMPV6; i++) {
        if (off + 8 > qlen)
            return 0;
        if (nh == NST_IP6_NH_FRAGMENT) {
            if ((nst_get16(q + off + 2) & 0xfff8) != 0)
                return 0; /* a later fragment quotes no ICMPv6 header */
            nh = q[off];
            off += 8;
        } else if (nh == NST_IP6_NH_HOPOPTS || nh == NST_IP6_NH_DSTOPTS || nh == NST_IP6_NH_ROUTING) {
            nh = q[off];
            off += ((size_t)q[off + 1] + 1) * 8;
        } else {
            return 0;
        }
    }
    return nh == NST_IP6_NH_ICMPV6 && off + NST_ICMP6_HLEN <= qlen ? off : 0;
}

/* The identifier an ICMPv6 message is about: its own for an Echo Reply,
 * the quoted Echo Request's for an error (RFC 4443 2.4 (c): errors quote
 * as much of the invoking packet as fits). 0 if there is none. */
static int icmp6_owner_id(const uint8_t *msg, size_t len, uint16_t *id)
{
    if (len < NST_ICMP6_HLEN)
        return 0;
    if (msg[0] == NST_ICMP6_ECHO_REPLY) {
        *id = nst_get16(msg + 4);
        return 1;
    }
    if (msg[0] != NST_ICMP6_DEST_UNREACH && msg[0] != NST_ICMP6_PACKET_TOO_BIG &&
        msg[0] != NST_ICMP6_TIME_EXCEEDED && msg[0] != NST_ICMP6_PARAM_PROBLEM)
        return 0;
    const uint8_t *q = msg + NST_ICMP6_HLEN;
    size_t off = quoted_icmp6_off(q, len - NST_ICMP6_HLEN);
    if (!off || q[off] != NST_ICMP6_ECHO_REQUEST)
        return 0;
    *id = nst_get16(q + off + 4);
    return 1;
}

int nst_icmp6_sock_deliver(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    uint16_t id;
    if (!icmp6_owner_id(msg, len, &id))
        return 0;
    struct nst_dgram_sock *d = icmp_find(st, id, 1);
    if (!d)
        return 0;
    /* A link-local sender comes with its interface as the scope. */
    uint8_t scope = nst_ip6_is_link_local(&rx->hdr6.src) ? (uint8_t)(rx->ifindex + 1) : 0;
    /* Taken either way: dropped, as a full UDP socket drops, when the
     * receive buffer is full. */
    nst_dgram_enqueue(st, d, msg, len, &rx->hdr6.src, rx->hdr6.hop_limit, scope);
    return 1;
}

int nst_icmp_sock_init(struct nst_stack *st) { return nst_htable_init(&st->icmp_socks.ids, 16); }
void nst_icmp_sock_fini(struct nst_stack *st) { nst_htable_free(&st->icmp_socks.ids); }
