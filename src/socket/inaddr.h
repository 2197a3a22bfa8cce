/* How the transports hold addresses of both families: every address is an
 * nst_ip6_t, an IPv4 one IPv4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2), as
 * a dual-stack socket's peers show on Linux. An unspecified address is
 * either form of "any": :: (an AF_INET6 socket's) or ::ffff:0.0.0.0 (an
 * AF_INET socket's). Which families a local address takes is its "cover":
 * a mapped address IPv4 only, another IPv6 only, :: both unless the
 * socket is IPV6_V6ONLY (RFC 3493 5.3), ::ffff:0.0.0.0 IPv4 only. */
#ifndef NST_SOCKET_INADDR_H
#define NST_SOCKET_INADDR_H

#include <string.h>

#include "ip6/ip6.h"
#include "socket/sock.h"

enum { NST_COVER_V4 = 1, NST_COVER_V6 = 2 };

/* :: or ::ffff:0.0.0.0 */
static inline int nst_in6_is_any(const nst_ip6_t *a)
{
    return nst_ip6_is_unspecified(a) || (nst_ip6_is_v4mapped(a) && nst_ip6_to_ip4(a) == 0);
}

static inline nst_ip6_t nst_in6_from4(nst_ip4_t a)
{
    nst_ip6_t m;
    nst_ip6_from_ip4(a, &m);
    return m;
}

/* The wildcard a socket of this family starts bound to. */
static inline nst_ip6_t nst_in6_any(int family)
{
    nst_ip6_t a = {{0}};
    return family == NST_AF_INET6 ? a : nst_in6_from4(0);
}

/* The families a local address of socket s takes (NST_COVER_*). */
static inline uint8_t nst_in6_cover(const struct nst_sock *s, const nst_ip6_t *laddr)
{
    if (nst_ip6_is_v4mapped(laddr))
        return NST_COVER_V4;
    if (!nst_ip6_is_unspecified(laddr))
        return NST_COVER_V6;
    if (s->family != NST_AF_INET6)
        return NST_COVER_V4; /* an AF_INET socket not bound yet */
    return s->v6only ? NST_COVER_V6 : NST_COVER_V4 | NST_COVER_V6;
}

/* The family a (remote or local, specific) address belongs to. */
static inline uint8_t nst_in6_kind(const nst_ip6_t *a) { return nst_ip6_is_v4mapped(a) ? NST_COVER_V4 : NST_COVER_V6; }

/* Is a one of the stack's unicast addresses (of either family)? */
int nst_in6_is_local(struct nst_stack *st, const nst_ip6_t *a);
/* The source address and path MTU toward dst (ifindex >= 0: out of that
 * interface, for a link-local dst). 0, or -ENETUNREACH (no route, or a
 * destination no connection may have: broadcast, multicast,
 * unspecified), -EADDRNOTAVAIL (IPv6: no usable source yet). */
int nst_in6_route_src(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, nst_ip6_t *src, uint32_t *mtu);

/* An address given to socket s (bind, connect, sendto) as the transports
 * hold it. An AF_INET socket takes only AF_INET addresses (family 0 too);
 * an AF_INET6 one takes AF_INET6 ones and, with v4_ok (datagrams, as
 * Linux's udpv6_sendmsg), AF_INET ones as mapped. A mapped address on an
 * IPV6_V6ONLY socket is refused. 0, -EAFNOSUPPORT or -ENETUNREACH. */
int nst_sock_addr_in(const struct nst_sock *s, const struct nst_sockaddr *a, int v4_ok, nst_ip6_t *out);
/* The reverse: addr/port as socket s reports them (its family: an IPv4
 * peer of an AF_INET6 socket as ::ffff:a.b.c.d). scope_id: the interface
 * + 1 of a link-local address, else 0. */
void nst_sock_addr_out(const struct nst_sock *s, const nst_ip6_t *addr, uint16_t port, uint32_t scope_id,
                       struct nst_sockaddr *out);
/* NST_IPPROTO_IPV6 options common to every transport (NST_IPV6_V6ONLY);
 * bound: the socket has a local port (V6ONLY is fixed then, as Linux). */
int nst_sock_ipv6_setopt(struct nst_sock *s, int name, const void *val, size_t len, int bound);
int nst_sock_ipv6_getopt(const struct nst_sock *s, int name, void *val, size_t *len);

#endif
