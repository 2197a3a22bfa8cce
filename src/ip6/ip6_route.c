/* The IPv6 routing table: longest-prefix match over /0../128, ties broken
 * by the lowest metric, kept sorted so that the first match is the best
 * one (as IPv4's route.c). Routes come from addresses (CONNECTED), the
 * operator (STATIC), Router Advertisements (RA) and Redirects (REDIRECT);
 * every change makes connections look their way out up again. */
#include <errno.h>
#include <string.h>

#include "ip6/ip6_impl.h"

static int route_before(const struct nst_route6 *a, const struct nst_route6 *b)
{
    if (a->prefix_len != b->prefix_len)
        return a->prefix_len > b->prefix_len;
    return a->metric < b->metric;
}

/* Host bits beyond the prefix set: almost certainly a mistake. */
static int host_bits_clear(const nst_ip6_t *a, unsigned len)
{
    for (unsigned bit = len; bit < 128; bit++)
        if (a->b[bit / 8] & (0x80 >> (bit % 8)))
            return 0;
    return 1;
}

static int gw_eq(const nst_ip6_t *a, const nst_ip6_t *gw)
{
    static const nst_ip6_t none;
    return nst_ip6_eq(a, gw ? gw : &none);
}

int nst_ip6_route_add(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway,
                      int ifindex, uint32_t metric, int origin)
{
    struct nst_ip6_state *s = st->ip6;
    if (!s)
        return -EAFNOSUPPORT;
    if (!dst || prefix_len > 128 || ifindex < 0 || ifindex >= st->ip.n_ifaces || !host_bits_clear(dst, prefix_len))
        return -EINVAL;
    if (gateway && nst_ip6_is_multicast(gateway))
        return -EINVAL;
    for (int i = 0; i < s->n_routes; i++) {
        const struct nst_route6 *r = &s->routes[i];
        if (r->prefix_len == prefix_len && nst_ip6_eq(&r->dst, dst) && gw_eq(&r->gateway, gateway) &&
            r->ifindex == ifindex)
            return -EEXIST;
    }
    if (s->n_routes >= NST_MAX_ROUTES6)
        return -ENOSPC;
    struct nst_route6 nr = {.dst = *dst, .prefix_len = prefix_len, .ifindex = ifindex, .metric = metric,
                            .origin = origin};
    if (gateway)
        nr.gateway = *gateway;
    int pos = s->n_routes;
    while (pos > 0 && route_before(&nr, &s->routes[pos - 1])) {
        s->routes[pos] = s->routes[pos - 1];
        pos--;
    }
    s->routes[pos] = nr;
    s->n_routes++;
    nst_dst_invalidate_all(&st->ip);
    return 0;
}

int nst_ip6_route_del_match(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway,
                            int ifindex, int origin)
{
    struct nst_ip6_state *s = st->ip6;
    int kept = 0, gone = 0;
    for (int i = 0; i < s->n_routes; i++) {
        const struct nst_route6 *r = &s->routes[i];
        int match = r->prefix_len == prefix_len && nst_ip6_eq(&r->dst, dst) &&
                    (!gateway || nst_ip6_eq(&r->gateway, gateway)) && (ifindex < 0 || r->ifindex == ifindex) &&
                    (origin < 0 || r->origin == origin);
        if (match)
            gone++;
        else
            s->routes[kept++] = *r;
    }
    s->n_routes = kept;
    if (gone)
        nst_dst_invalidate_all(&st->ip);
    return gone;
}

int nst_ip6_route_lookup_if(const struct nst_stack *st, const nst_ip6_t *dst, int ifindex, struct nst_route6 *out)
{
    const struct nst_ip6_state *s = st->ip6;
    if (!s)
        return -ENETUNREACH;
    for (int i = 0; i < s->n_routes; i++) {
        const struct nst_route6 *r = &s->routes[i];
        if ((ifindex < 0 || r->ifindex == ifindex) && nst_ip6_in_prefix(dst, &r->dst, r->prefix_len)) {
            *out = *r;
            return 0;
        }
    }
    return -ENETUNREACH;
}

int nst_route6_add(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway,
                   int ifindex, uint32_t metric)
{
    if (gateway && nst_ip6_is_unspecified(gateway))
        gateway = NULL;
    return nst_ip6_route_add(st, dst, prefix_len, gateway, ifindex, metric, NST_ROUTE6_STATIC);
}

int nst_route6_del(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway)
{
    if (!st->ip6)
        return -EAFNOSUPPORT;
    return nst_ip6_route_del_match(st, dst, prefix_len, gateway, -1, -1) ? 0 : -ESRCH;
}

int nst_route6_lookup(const struct nst_stack *st, const nst_ip6_t *dst, struct nst_route6 *out)
{
    return nst_ip6_route_lookup_if(st, dst, -1, out);
}

int nst_route6_list(const struct nst_stack *st, struct nst_route6 *out, int max)
{
    if (!st->ip6)
        return 0;
    int n = st->ip6->n_routes;
    if (max > 0)
        memcpy(out, st->ip6->routes, sizeof(*out) * (size_t)(n < max ? n : max));
    return n;
}
