/* ICMP echo sockets ("ping sockets"), see include/nstack/socket.h. */
#ifndef NST_IP_ICMP_SOCKET_H
#define NST_IP_ICMP_SOCKET_H

#include "core/hash.h"
#include "ip/ip.h"

/* ICMP echo sockets (icmp_socket.c) */
struct nst_icmp_sock_state {
    struct nst_htable ids; /* sockets by identifier */
};
int nst_icmp_sock_init(struct nst_stack *st);
void nst_icmp_sock_fini(struct nst_stack *st);
/* Delivers an echo reply or an ICMP error quoting an echo request to the
 * socket that owns the identifier. Returns 1 if a socket took it. */
int nst_icmp_sock_deliver(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len);
/* The same for ICMPv6 (RFC 4443 4.2 echo replies, and errors quoting an
 * echo request; rx->family 6, msg: the ICMPv6 message, checksum verified). */
int nst_icmp6_sock_deliver(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len);


#endif
