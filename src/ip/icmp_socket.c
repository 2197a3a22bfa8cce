/* ICMP echo sockets: what `ping` and `traceroute` use (see socket.h). The
 * identifier plays the role of a port: each socket owns one, and replies and
 * errors quoting its requests come back to it. */
#include "ip/icmp_socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "ip6/ip6.h"
#include "socket/dgram.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static uint64_t id_hash(struct nst_stack *st, uint16_t id)
{
    uint32_t k = 0x1c300000u ^ id; /* distinct from UDP's port keys */
    return nst_siphash24(st->hash_key, &k, sizeof(k));
}

static struct nst_dgram_sock *icmp_find(struct nst_stack *st, uint16_t id)
{
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->icmp_socks.ids, id_hash(st, id), n) {
        struct nst_dgram_sock *d = (struct nst_dgram_sock *)((char *)n - offsetof(struct nst_dgram_sock, node));
        if (d->lport == id)
            return d;
    }
    return NULL;
}

static int id_taken(void *arg, uint16_t id) { return icmp_find(arg, id) != NULL; }

static int icmp_do_bind(struct nst_stack *st, struct nst_dgram_sock *d, nst_ip4_t addr4, uint16_t id)
{
    nst_ip6_t addr, none;
    nst_ip6_from_ip4(addr4, &addr);
    nst_ip6_from_ip4(0, &none);
    if (d->bound)
        return -EINVAL;
    if (!nst_dgram_addr_ok(st, &addr))
        return -EADDRNOTAVAIL;
    if (id == 0) {
        int p = nst_port_pick(st, NST_IP_PROTO_ICMP, &addr, &none, 0, id_taken, st);
        if (p < 0)
            return p;
        id = (uint16_t)p;
    } else if (icmp_find(st, id)) {
        return -EADDRINUSE;
    }
    d->laddr = addr;
    d->lport = id;
    d->bound = 1;
    nst_htable_insert(&st->icmp_socks.ids, &d->node, id_hash(st, id));
    return 0;
}

static int icmp_bind(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    return icmp_do_bind(st, (struct nst_dgram_sock *)s, a->addr, a->port);
}

static ssize_t icmp_sendto(struct nst_stack *st, struct nst_sock *s, const void *buf, size_t len, int flags,
                           const struct nst_sockaddr *to)
{
    (void)flags;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    const uint8_t *msg = buf;
    if (!to)
        return -EDESTADDRREQ;
    if (len < NST_ICMP_HLEN || len > 65535 - NST_IPV4_HLEN)
        return -EINVAL;
    if (msg[0] != NST_ICMP_ECHO_REQUEST || msg[1] != 0)
        return -EINVAL; /* only echo requests, like Linux's ping sockets */
    if (!d->bound) {
        int err = icmp_do_bind(st, d, 0, 0);
        if (err)
            return err;
    }
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (!p)
        return -ENOBUFS;
    struct nst_icmp_repr r = {.type = NST_ICMP_ECHO_REQUEST, .id = d->lport, .seq = nst_get16(msg + 6),
                              .data = msg + NST_ICMP_HLEN, .data_len = len - NST_ICMP_HLEN};
    nst_icmp_emit(&r, nst_pkt_data(p), p->len);
    NST_STAT_INC(st, icmp, tx_msgs);
    NST_STAT_INC(st, icmp, tx_echo_request);
    int err = nst_ip_output(st, p, nst_ip6_to_ip4(&d->laddr), to->addr, NST_IP_PROTO_ICMP, d->ttl, 0, 0);
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

struct nst_sock *nst_icmp_sock_new(struct nst_stack *st)
{
    struct nst_dgram_sock *d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    nst_dgram_init(st, d, NST_SOCK_ICMP, &icmp_sock_ops);
    return &d->base;
}

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
    struct nst_dgram_sock *d = icmp_find(st, id);
    if (!d)
        return 0;
    nst_ip6_t from;
    nst_ip6_from_ip4(rx->hdr.src, &from);
    if (nst_dgram_enqueue(st, d, msg, len, &from, rx->hdr.ttl, 0) < 0)
        NST_STAT_INC(st, icmp, rx_unmatched);
    return 1;
}

int nst_icmp_sock_init(struct nst_stack *st) { return nst_htable_init(&st->icmp_socks.ids, 16); }
void nst_icmp_sock_fini(struct nst_stack *st) { nst_htable_free(&st->icmp_socks.ids); }
