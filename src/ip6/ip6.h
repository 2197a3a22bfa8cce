/* The IPv6 layer's internal interface (RFC 8200, RFC 4443, RFC 4861,
 * RFC 4862, RFC 8201), used by the transports above it, by the link input
 * path below it, and between its own files:
 *
 *   ip6_addr.c     per-interface addresses (link-local, static, SLAAC), their
 *                  DAD state, multicast groups joined (all-nodes, solicited-node)
 *   ip6_route.c    the routing table, /0../128 longest-prefix match
 *   ipv6_input.c   fixed header, extension-header walk, delivery
 *   ipv6_output.c  source selection, fragmentation by the source, next hop
 *   ip6_reass.c    bounded reassembly (RFC 8200 4.5, RFC 5722, RFC 6946)
 *   ip6_forward.c  hop limit, Time Exceeded, Packet Too Big
 *   icmp6.c        echo, errors with rate limit, errors to the transports
 *   ip6_pmtu.c     the path MTU cache (RFC 8201)
 *   nd_cache.c     the neighbour cache and unreachability detection (RFC 4861 7.3)
 *   nd.c           NS/NA in and out, DAD (RFC 4862 5.4)
 *   nd_router.c    RS/RA, default routers, prefix list, redirects (RFC 4861 6, 8)
 *   slaac.c        stateless address autoconfiguration (RFC 4862 5.5)
 *
 * Addresses are nst_ip6_t (16 bytes, network order). A transport that
 * speaks both families keeps IPv4 addresses as IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2) and sends those through IPv4. */
#ifndef NST_IP6_IP6_H
#define NST_IP6_IP6_H

#include <nstack/stack.h>

#include "core/pkt.h"
#include "ip/ip.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"

struct nst_ip6_state; /* defined by the layer (ip6_impl.h); st->ip6 */

/* ---- IPv4-mapped addresses: how a dual-stack transport holds IPv4 -------- */

static inline void nst_ip6_from_ip4(nst_ip4_t a, nst_ip6_t *out)
{
    memset(out->b, 0, 10);
    out->b[10] = 0xff;
    out->b[11] = 0xff;
    out->b[12] = (uint8_t)(a >> 24);
    out->b[13] = (uint8_t)(a >> 16);
    out->b[14] = (uint8_t)(a >> 8);
    out->b[15] = (uint8_t)a;
}

static inline int nst_ip6_is_v4mapped(const nst_ip6_t *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, prefix, 12) == 0;
}

static inline nst_ip4_t nst_ip6_to_ip4(const nst_ip6_t *a)
{
    return ((nst_ip4_t)a->b[12] << 24) | ((nst_ip4_t)a->b[13] << 16) | ((nst_ip4_t)a->b[14] << 8) | a->b[15];
}

/* ---- the layer ------------------------------------------------------------ */

int nst_ip6_init(struct nst_stack *st);
void nst_ip6_fini(struct nst_stack *st);
/* A new interface (nst_iface_add, with st->ip6 set): its EUI-64
 * link-local address (DAD first), the all-nodes group. */
int nst_ip6_iface_up(struct nst_stack *st, int ifindex);

/* Upper-layer reachability confirmation (RFC 4861 7.3.1): a transport saw
 * forward progress with neighbour addr (TCP: new data acknowledged), so
 * its entry is REACHABLE again without a probe. */
void nst_nd_confirm(struct nst_stack *st, int ifindex, const nst_ip6_t *addr);

/* Link input: an IPv6 packet (Ethernet payload) from interface ifindex. */
void nst_ipv6_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len);

/* Sends p (its data: the upper-layer header + payload) from src to dst.
 * src NULL or :: : chosen (RFC 6724). hop_limit 0: the default (the
 * interface's, from RAs, else 64). ifindex >= 0 pins the interface (a
 * link-local or multicast destination needs one). dontfrag: -EMSGSIZE
 * instead of fragmenting past the path MTU. dc: a connection's cached way
 * out, or NULL. Always consumes p. 0 or -ENETUNREACH / -EMSGSIZE /
 * -EADDRNOTAVAIL / -ENOMEM. */
int nst_ip6_output(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                   uint8_t next_header, uint8_t hop_limit, uint8_t tclass, int ifindex, int dontfrag,
                   struct nst_dst *dc);

/* The source address and path MTU the stack would use toward dst
 * (ifindex >= 0: out of that interface). 0, or -ENETUNREACH /
 * -EADDRNOTAVAIL (no usable source). */
int nst_ip6_route_src(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, nst_ip6_t *src, uint32_t *mtu);

/* Nonzero if a is one of the stack's unicast addresses (a tentative one,
 * still under DAD, is not: RFC 4862 5.4). */
int nst_ip6_is_local(const struct nst_stack *st, const nst_ip6_t *a);

/* Sends an ICMPv6 error (RFC 4443 2.4: never about an error, a multicast
 * packet (but for Packet Too Big and Parameter Problem code 2), or an
 * unspecified/multicast source; rate limited) about the packet orig (IPv6
 * header first). param: the MTU of Packet Too Big, the pointer of
 * Parameter Problem, else 0. */
void nst_icmp6_send_error(struct nst_stack *st, uint8_t type, uint8_t code, uint32_t param, const uint8_t *orig,
                          size_t orig_len, int ifindex);

#endif
