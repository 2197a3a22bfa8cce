/* UDP (RFC 768) internal interface. */
#ifndef NST_UDP_UDP_H
#define NST_UDP_UDP_H

#include "core/hash.h"
#include "ip/ip.h"

struct nst_udp_state {
    struct nst_htable ports; /* bound sockets by local port */
};

int nst_udp_init(struct nst_stack *st);
void nst_udp_fini(struct nst_stack *st);
/* An ICMP error quoting a UDP datagram we sent. */
void nst_udp_icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len);
/* An ICMPv6 error quoting a UDP datagram we sent (its IPv6 header first,
 * the UDP header at l4_off, perhaps past the quote's end). */
void nst_udp_icmp6_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len,
                         size_t l4_off);
void nst_udp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *dgram, size_t len);

#endif
