/* TCP's interface to the rest of the stack. */
#ifndef NST_TCP_TCP_H
#define NST_TCP_TCP_H

#include "ip/ip.h"

struct nst_tcp_state;

int nst_tcp_init(struct nst_stack *st);
void nst_tcp_fini(struct nst_stack *st);
/* seg/len: the TCP segment (IP payload). */
void nst_tcp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *seg, size_t len);
/* An ICMP error (type/code) quoting a datagram we sent (quoted: its IP header + >= 8 bytes). */
void nst_tcp_icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len);
/* The same with the ICMP header's bytes 6-7, which a "fragmentation
 * needed" message uses for the next-hop MTU (RFC 1191 4; 0: not given). */
void nst_tcp_icmp_error_mtu(struct nst_stack *st, uint8_t type, uint8_t code, uint16_t next_hop_mtu,
                            const uint8_t *quoted, size_t len);
/* An ICMPv6 error (RFC 4443) quoting a packet we sent (quoted: its IPv6
 * header first, the TCP header at l4_off, perhaps past the quote's end);
 * param: the MTU of a Packet Too Big (RFC 8201), else the message's
 * 32-bit field. */
void nst_tcp_icmp6_error(struct nst_stack *st, uint8_t type, uint8_t code, uint32_t param, const uint8_t *quoted,
                         size_t len, size_t l4_off);

#endif
