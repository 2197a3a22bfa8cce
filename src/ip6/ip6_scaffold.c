/* SCAFFOLD for the session that builds the IPv6 layer: the interface of
 * ip6.h with no layer behind it, so the transports and the simulator can
 * be written against it in parallel. Removed when ip6_*.c land; nothing
 * calls these on a stack today. */
#include "core/stack_impl.h"
#include "ip6/ip6.h"

#include <errno.h>

int nst_ip6_init(struct nst_stack *st)
{
    st->ip6 = NULL;
    return 0;
}

void nst_ip6_fini(struct nst_stack *st) { (void)st; }

void nst_ipv6_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)st, (void)ifindex, (void)pkt, (void)len;
}

int nst_ip6_output(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                   uint8_t next_header, uint8_t hop_limit, uint8_t tclass, int ifindex, int dontfrag,
                   struct nst_dst *dc)
{
    (void)src, (void)dst, (void)next_header, (void)hop_limit, (void)tclass, (void)ifindex, (void)dontfrag, (void)dc;
    nst_pkt_free(st, p);
    return -EAFNOSUPPORT;
}

int nst_ip6_route_src(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, nst_ip6_t *src, uint32_t *mtu)
{
    (void)st, (void)dst, (void)ifindex, (void)src, (void)mtu;
    return -ENETUNREACH;
}

int nst_ip6_is_local(const struct nst_stack *st, const nst_ip6_t *a)
{
    (void)st, (void)a;
    return 0;
}

void nst_icmp6_send_error(struct nst_stack *st, uint8_t type, uint8_t code, uint32_t param, const uint8_t *orig,
                          size_t orig_len, int ifindex)
{
    (void)st, (void)type, (void)code, (void)param, (void)orig, (void)orig_len, (void)ifindex;
}

#include "ip/icmp_socket.h"

/* SCAFFOLD: ICMPv6 echo sockets (icmp_socket.c) replace this. */
int nst_icmp6_sock_deliver(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    (void)st, (void)rx, (void)msg, (void)len;
    return 0;
}
