/* Datagram socket machinery shared by UDP and ICMP echo sockets. */
#include "socket/dgram.h"

#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "socket/inaddr.h"

void nst_dgram_init(struct nst_stack *st, struct nst_dgram_sock *d, int type, const struct nst_proto_ops *ops)
{
    memset(d, 0, sizeof(*d));
    d->base.fd = -1;
    d->base.type = type;
    d->base.ops = ops;
    d->rcvbuf = st->cfg.udp_rcvbuf;
}

/* The source of a queued datagram rides in its headroom, just before the
 * payload (no bigger packet, no more truesize charged for it). */
struct dgram_src {
    nst_ip6_t addr;
    uint16_t port;
    uint8_t scope;
};

static struct dgram_src *dgram_src_of(struct nst_pkt *p)
{
    return (struct dgram_src *)(void *)(p->buf + ((p->off - sizeof(struct dgram_src)) & ~(size_t)7));
}

int nst_dgram_enqueue(struct nst_stack *st, struct nst_dgram_sock *d, const uint8_t *data, size_t len,
                      const nst_ip6_t *from, uint16_t from_port, uint8_t scope)
{
    /* Each datagram is charged the memory its copy really takes, buffer
     * and packet header (as Linux charges an skb's truesize): SO_RCVBUF
     * then bounds memory, and a flood of empty datagrams, each in a whole
     * buffer, is cut off as soon as it fills that much. */
    size_t cost = nst_pkt_truesize(len);
    if (d->rx_mem + cost > d->rcvbuf)
        return -ENOBUFS;
    struct nst_pkt *p = nst_pkt_alloc(st, len);
    if (!p)
        return -ENOBUFS;
    d->rx_mem += cost;
    memcpy(nst_pkt_data(p), data, len);
    *dgram_src_of(p) = (struct dgram_src){*from, from_port, scope};
    nst_pktq_push(&d->rxq, p);
    nst_sock_notify(st, &d->base);
    return 0;
}

void nst_dgram_set_error(struct nst_stack *st, struct nst_dgram_sock *d, int err)
{
    d->error = err;
    nst_sock_notify(st, &d->base);
}

void nst_dgram_free_queue(struct nst_stack *st, struct nst_dgram_sock *d)
{
    nst_pktq_clear(st, &d->rxq);
    d->rx_mem = 0;
}

ssize_t nst_dgram_recvfrom(struct nst_stack *st, struct nst_sock *s, void *buf, size_t len, int flags,
                           struct nst_sockaddr *from)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (d->error) {
        int e = d->error;
        d->error = 0;
        return -e;
    }
    struct nst_pkt *p = d->rxq.head;
    if (!p)
        return -EAGAIN;
    /* Datagram semantics: one datagram per call, the excess is discarded. */
    size_t n = NST_MIN(len, (size_t)p->len);
    memcpy(buf, nst_pkt_data(p), n);
    if (from) {
        const struct dgram_src *src = dgram_src_of(p);
        nst_sock_addr_out(s, &src->addr, src->port, src->scope, from);
    }
    if (!(flags & NST_MSG_PEEK)) {
        d->rx_mem -= nst_pkt_truesize(p->len);
        nst_pkt_free(st, nst_pktq_pop(&d->rxq));
    }
    return (ssize_t)n;
}

int nst_dgram_getname(struct nst_stack *st, struct nst_sock *s, int peer, struct nst_sockaddr *out)
{
    (void)st;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (peer) {
        if (!d->connected)
            return -ENOTCONN;
        nst_sock_addr_out(s, &d->raddr, d->rport, d->scope, out);
    } else {
        nst_ip6_t any = nst_in6_any(s->family);
        nst_sock_addr_out(s, d->bound ? &d->laddr : &any, d->lport, d->scope, out);
    }
    return 0;
}

int nst_dgram_setsockopt(struct nst_stack *st, struct nst_sock *s, int level, int name, const void *val,
                         size_t len)
{
    (void)st;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    int v;
    int err = nst_sockopt_int(val, len, &v);
    if (err)
        return err;
    if (level == NST_IPPROTO_IP && name == NST_IP_TTL) {
        if (v < 1 || v > 255)
            return -EINVAL;
        d->ttl = (uint8_t)v;
        return 0;
    }
    if (level == NST_IPPROTO_IPV6 && s->family == NST_AF_INET6 &&
        (name == NST_IPV6_UNICAST_HOPS || name == NST_IPV6_TCLASS)) {
        if (v < -1 || v > 255 || (v == 0 && name == NST_IPV6_UNICAST_HOPS))
            return -EINVAL;
        uint8_t b = v < 0 ? 0 : (uint8_t)v; /* -1: the default */
        if (name == NST_IPV6_UNICAST_HOPS)
            d->ttl = b;
        else
            d->tclass = b;
        return 0;
    }
    if (level == NST_IPPROTO_IPV6)
        return nst_sock_ipv6_setopt(s, name, val, len, d->bound);
    if (level == NST_SOL_SOCKET && name == NST_SO_RCVBUF) {
        if (v < 256)
            return -EINVAL;
        d->rcvbuf = (size_t)v;
        return 0;
    }
    if (level == NST_SOL_SOCKET && name == NST_SO_REUSEADDR) {
        d->reuseaddr = v != 0;
        return 0;
    }
    return -ENOPROTOOPT;
}

int nst_dgram_getsockopt(struct nst_stack *st, struct nst_sock *s, int level, int name, void *val, size_t *len)
{
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    if (level == NST_IPPROTO_IP && name == NST_IP_TTL)
        return nst_sockopt_put_int(val, len, d->ttl ? d->ttl : st->cfg.default_ttl);
    if (level == NST_IPPROTO_IPV6 && name == NST_IPV6_UNICAST_HOPS && s->family == NST_AF_INET6)
        return nst_sockopt_put_int(val, len, d->ttl ? d->ttl : 64);
    if (level == NST_IPPROTO_IPV6 && name == NST_IPV6_TCLASS && s->family == NST_AF_INET6)
        return nst_sockopt_put_int(val, len, d->tclass);
    if (level == NST_IPPROTO_IPV6)
        return nst_sock_ipv6_getopt(s, name, val, len);
    if (level == NST_SOL_SOCKET && name == NST_SO_RCVBUF)
        return nst_sockopt_put_int(val, len, (int)d->rcvbuf);
    if (level == NST_SOL_SOCKET && name == NST_SO_REUSEADDR)
        return nst_sockopt_put_int(val, len, d->reuseaddr);
    if (level == NST_SOL_SOCKET && name == NST_SO_ERROR) {
        int e = d->error;
        d->error = 0;
        return nst_sockopt_put_int(val, len, e);
    }
    return -ENOPROTOOPT;
}

int nst_dgram_events(struct nst_stack *st, struct nst_sock *s)
{
    (void)st;
    struct nst_dgram_sock *d = (struct nst_dgram_sock *)s;
    int ev = NST_EV_OUT;
    if (d->rxq.count)
        ev |= NST_EV_IN;
    if (d->error)
        ev |= NST_EV_ERR | NST_EV_IN;
    return ev;
}

int nst_dgram_addr_ok(struct nst_stack *st, const nst_ip6_t *a) { return nst_in6_is_any(a) || nst_in6_is_local(st, a); }
