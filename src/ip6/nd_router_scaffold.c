/* SCAFFOLD while router discovery and SLAAC are built (nd_router.h):
 * removed when nd_router.c and slaac.c land. */
#include "core/stack_impl.h"
#include "ip6/nd_router.h"

void nst_nd_router_start(struct nst_stack *st, int ifindex) { (void)st, (void)ifindex; }

void nst_nd_router_input(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_nd_repr *nd)
{
    (void)st, (void)rx, (void)nd;
}

void nst_slaac_dad_failed(struct nst_stack *st, int ifindex, const nst_ip6_t *addr)
{
    (void)st, (void)ifindex, (void)addr;
}

void nst_nd_router_fini(struct nst_stack *st) { (void)st; }
