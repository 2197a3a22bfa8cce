/* The path MTU cache (RFC 8201): what Packet Too Big messages taught us
 * about each destination, in a small table (the least useful slot
 * recycled), never below the IPv6 minimum of 1280 (RFC 8201 4, RFC 8200
 * 5), and forgotten after 10 minutes so a path that grew is found again
 * (RFC 8201 4: "at least 5 minutes", 10 recommended). */
#include "ip6/ip6_impl.h"

#define PMTU_AGE NST_SEC(600)

static struct nst_ip6_pmtu *pmtu_find(struct nst_stack *st, const nst_ip6_t *dst)
{
    /* Every new connection asks (nst_ip6_route_src): most paths never
     * sent a Packet Too Big. */
    if (!st->ip6->pmtu_used)
        return NULL;
    for (int i = 0; i < NST_IP6_PMTU_SLOTS; i++) {
        struct nst_ip6_pmtu *p = &st->ip6->pmtu[i];
        if (p->mtu && nst_ip6_eq(&p->dst, dst)) {
            if (p->expires <= st->now) { /* aged out: back to the link MTU */
                p->mtu = 0;
                st->ip6->pmtu_used--;
                nst_dst_invalidate_all(&st->ip);
                return NULL;
            }
            return p;
        }
    }
    return NULL;
}

uint32_t nst_ip6_pmtu_get(struct nst_stack *st, const nst_ip6_t *dst)
{
    const struct nst_ip6_pmtu *p = pmtu_find(st, dst);
    return p ? p->mtu : 0;
}

int nst_ip6_pmtu_update(struct nst_stack *st, const nst_ip6_t *dst, uint32_t mtu)
{
    if (mtu < NST_IPV6_MIN_MTU)
        mtu = NST_IPV6_MIN_MTU; /* RFC 8201 4: a smaller report is raised to 1280 */
    struct nst_ip6_pmtu *p = pmtu_find(st, dst);
    if (p && mtu >= p->mtu)
        return 0; /* RFC 8201 4: never raised by a Packet Too Big */
    if (!p) {
        /* A report of no decrease below the link MTU changes nothing. */
        struct nst_route6 rt;
        if (nst_ip6_route_lookup_if(st, dst, -1, &rt) == 0 && mtu >= nst_ip6_if(st, rt.ifindex)->mtu)
            return 0;
        p = &st->ip6->pmtu[0];
        for (int i = 0; i < NST_IP6_PMTU_SLOTS; i++) {
            struct nst_ip6_pmtu *q = &st->ip6->pmtu[i];
            if (!q->mtu || q->expires <= st->now) {
                p = q;
                break;
            }
            if (q->expires < p->expires)
                p = q; /* the one closest to aging out anyway */
        }
        p->dst = *dst;
    }
    if (!p->mtu)
        st->ip6->pmtu_used++;
    p->mtu = mtu;
    p->expires = st->now + PMTU_AGE;
    nst_dst_invalidate_all(&st->ip);
    return 1;
}
