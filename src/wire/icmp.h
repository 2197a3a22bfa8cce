/* ICMPv4 (RFC 792): echo, destination unreachable, time exceeded. Pure. */
#ifndef NST_WIRE_ICMP_H
#define NST_WIRE_ICMP_H

#include <nstack/types.h>

#define NST_ICMP_HLEN 8
#define NST_ICMP_ECHO_REPLY 0
#define NST_ICMP_DEST_UNREACH 3
#define NST_ICMP_ECHO_REQUEST 8
#define NST_ICMP_TIME_EXCEEDED 11

/* Destination unreachable codes */
#define NST_ICMP_NET_UNREACH 0
#define NST_ICMP_HOST_UNREACH 1
#define NST_ICMP_PROTO_UNREACH 2
#define NST_ICMP_PORT_UNREACH 3
#define NST_ICMP_FRAG_NEEDED 4
/* Time exceeded codes */
#define NST_ICMP_TTL_EXCEEDED 0
#define NST_ICMP_REASS_EXCEEDED 1

struct nst_icmp_repr {
    uint8_t type;
    uint8_t code;
    uint16_t id;         /* echo: identifier; other types: bytes 4-5 */
    uint16_t seq;        /* echo: sequence; frag-needed: next-hop MTU; else bytes 6-7 */
    const uint8_t *data; /* after the 8-byte header (echo payload, or the quoted datagram) */
    size_t data_len;
};

/* Returns 0, -EINVAL (shorter than 8) or -EBADMSG (bad checksum). */
int nst_icmp_parse(const uint8_t *buf, size_t len, struct nst_icmp_repr *out, int verify_checksum);
/* Writes header + data (data may already be at buf + 8) with its checksum.
 * Returns the length written or -ENOSPC if cap is too small. */
int nst_icmp_emit(const struct nst_icmp_repr *r, uint8_t *buf, size_t cap);
/* How many bytes of an offending datagram an error quotes: its IP header
 * plus 8 bytes of payload (RFC 792), bounded by what is there. */
size_t nst_icmp_quote_len(const uint8_t *ip, size_t len);

#endif
