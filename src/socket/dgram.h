/* What UDP sockets and ICMP echo sockets share: addresses, a bounded
 * receive queue of whole datagrams, a pending error, TTL and buffer options. */
#ifndef NST_SOCKET_DGRAM_H
#define NST_SOCKET_DGRAM_H

#include "core/hash.h"
#include "core/pkt.h"
#include "socket/sock.h"

struct nst_dgram_sock {
    struct nst_sock base;
    struct nst_hnode node;    /* in the protocol's table, keyed by local port / identifier */
    nst_ip6_t laddr, raddr;   /* as the transports hold them (socket/inaddr.h) */
    uint16_t lport, rport;
    uint8_t scope;            /* a link-local address's interface + 1, else 0 */
    uint8_t tclass;           /* NST_IPV6_TCLASS */
    int bound, connected;
    int reuseaddr;
    int error;                /* pending error (positive errno), reported once */
    uint8_t ttl;              /* 0: stack default */
    size_t rcvbuf;
    size_t rx_mem;            /* what rxq occupies: the sum of its packets' truesize */
    struct nst_pktq rxq;      /* data = payload; aux = source address, aux2 = source port */
};

void nst_dgram_init(struct nst_stack *st, struct nst_dgram_sock *d, int type, const struct nst_proto_ops *ops);
/* Queues a copy of a received datagram from from:from_port (scope: the
 * interface + 1 it came in on, for a link-local source); 0, or -ENOBUFS
 * when the receive buffer cannot hold its truesize (the caller counts it). */
int nst_dgram_enqueue(struct nst_stack *st, struct nst_dgram_sock *d, const uint8_t *data, size_t len,
                      const nst_ip6_t *from, uint16_t from_port, uint8_t scope);
void nst_dgram_set_error(struct nst_stack *st, struct nst_dgram_sock *d, int err);
void nst_dgram_free_queue(struct nst_stack *st, struct nst_dgram_sock *d);

/* Ops both protocols use as they are. */
ssize_t nst_dgram_recvfrom(struct nst_stack *st, struct nst_sock *s, void *buf, size_t len, int flags,
                           struct nst_sockaddr *from);
int nst_dgram_getname(struct nst_stack *st, struct nst_sock *s, int peer, struct nst_sockaddr *out);
int nst_dgram_setsockopt(struct nst_stack *st, struct nst_sock *s, int level, int name, const void *val,
                         size_t len);
int nst_dgram_getsockopt(struct nst_stack *st, struct nst_sock *s, int level, int name, void *val, size_t *len);
int nst_dgram_events(struct nst_stack *st, struct nst_sock *s);

/* A local address a socket may bind: the wildcard or one of ours. */
int nst_dgram_addr_ok(struct nst_stack *st, const nst_ip6_t *a);

#endif
