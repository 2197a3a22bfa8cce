/* The routing table: longest-prefix match (RFC 1812 5.2.4.3), ties broken by
 * the lowest metric. Kept sorted so that the first match is the best one;
 * a linear scan of a few hundred routes costs less than a trie here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"

static int route_before(const struct nst_route *a, const struct nst_route *b)
{
    if (a->prefix_len != b->prefix_len)
        return a->prefix_len > b->prefix_len;
    return a->metric < b->metric;
}

int nst_route_add(struct nst_stack *st, nst_ip4_t dst, uint8_t prefix_len, nst_ip4_t gateway, int ifindex,
                  uint32_t metric)
{
    struct nst_ip_state *ip = &st->ip;
    if (prefix_len > 32 || ifindex < 0 || ifindex >= ip->n_ifaces)
        return -EINVAL;
    if (dst & ~nst_prefix_mask(prefix_len))
        return -EINVAL; /* host bits set: almost certainly a mistake */
    for (int i = 0; i < ip->n_routes; i++) {
        struct nst_route *r = &ip->routes[i];
        if (r->dst == dst && r->prefix_len == prefix_len && r->metric == metric)
            return -EEXIST;
    }
    if (ip->n_routes >= NST_MAX_ROUTES)
        return -ENOSPC;
    struct nst_route nr = {.dst = dst, .prefix_len = prefix_len, .gateway = gateway, .ifindex = ifindex,
                           .metric = metric};
    int pos = ip->n_routes;
    while (pos > 0 && route_before(&nr, &ip->routes[pos - 1])) {
        ip->routes[pos] = ip->routes[pos - 1];
        pos--;
    }
    ip->routes[pos] = nr;
    ip->n_routes++;
    nst_dst_invalidate_all(ip);
    return 0;
}

int nst_route_del(struct nst_stack *st, nst_ip4_t dst, uint8_t prefix_len)
{
    struct nst_ip_state *ip = &st->ip;
    for (int i = 0; i < ip->n_routes; i++) {
        if (ip->routes[i].dst == dst && ip->routes[i].prefix_len == prefix_len) {
            memmove(&ip->routes[i], &ip->routes[i + 1], (size_t)(ip->n_routes - i - 1) * sizeof(ip->routes[0]));
            ip->n_routes--;
            nst_dst_invalidate_all(ip);
            return 0;
        }
    }
    return -ESRCH;
}

int nst_route_lookup(const struct nst_stack *st, nst_ip4_t dst, struct nst_route *out)
{
    const struct nst_ip_state *ip = &st->ip;
    for (int i = 0; i < ip->n_routes; i++) {
        const struct nst_route *r = &ip->routes[i];
        if ((dst & nst_prefix_mask(r->prefix_len)) == r->dst) {
            *out = *r;
            return 0;
        }
    }
    return -ENETUNREACH;
}

int nst_route_list(const struct nst_stack *st, struct nst_route *out, int max)
{
    int n = NST_MIN(max, st->ip.n_routes);
    if (n > 0)
        memcpy(out, st->ip.routes, (size_t)n * sizeof(*out));
    return st->ip.n_routes;
}
