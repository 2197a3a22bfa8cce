/* UDP header (RFC 768). Pure. */
#ifndef NST_WIRE_UDP_H
#define NST_WIRE_UDP_H

#include <nstack/types.h>

#define NST_UDP_HLEN 8

struct nst_udp_repr {
    uint16_t src_port;
    uint16_t dst_port;
    uint16_t length; /* header + payload, from the header */
};

/* buf/len is the IP payload. Checks 8 <= length <= len and, when
 * verify_checksum and the checksum is not 0 (absent), the checksum over the
 * pseudo-header. Returns 0, -EINVAL or -EBADMSG. */
int nst_udp_parse(const uint8_t *buf, size_t len, nst_ip4_t src, nst_ip4_t dst, struct nst_udp_repr *out,
                  int verify_checksum);
/* Writes the header at buf, whose payload (length - 8 bytes) already
 * follows it, and fills in the checksum (0 is sent as 0xffff). */
void nst_udp_emit(const struct nst_udp_repr *r, uint8_t *buf, nst_ip4_t src, nst_ip4_t dst);

/* The same over IPv6, where the checksum (over the RFC 8200 8.1
 * pseudo-header) is mandatory: a zero checksum field is -ENOMSG, a wrong
 * one -EBADMSG, a bad length -EINVAL. */
int nst_udp6_parse(const uint8_t *buf, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst,
                   struct nst_udp_repr *out);
void nst_udp6_emit(const struct nst_udp_repr *r, uint8_t *buf, const nst_ip6_t *src, const nst_ip6_t *dst);

#endif
