/* The IPv4 layer's state: set-up and tear-down. */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"

int nst_ip_init(struct nst_stack *st)
{
    st->ip.routes = calloc(NST_MAX_ROUTES, sizeof(*st->ip.routes));
    if (!st->ip.routes)
        return -ENOMEM;
    st->ip.next_id = (uint16_t)nst_rng_next(&st->rng);
    st->ip.dst_gen = 1;
    st->ip.icmp_bucket.tokens = st->cfg.icmp_burst;
    st->ip.icmp_bucket.last = 0;
    nst_timer_init(&st->ip.loopback_timer, nst_ip_loopback_run);
    nst_ip_reass_init(st);
    return 0;
}

void nst_ip_fini(struct nst_stack *st)
{
    nst_timer_cancel(st, &st->ip.loopback_timer);
    nst_pktq_clear(st, &st->ip.loopback);
    nst_ip_reass_fini(st);
    nst_arp_fini(st);
    free(st->ip.routes);
    st->ip.routes = NULL;
}
