/* ICMPv6 (RFC 4443): errors, echo, and the rules for when an error may be
 * sent. Neighbor Discovery's messages are in ndp.h. Pure. */
#ifndef NST_WIRE_ICMPV6_H
#define NST_WIRE_ICMPV6_H

#include <nstack/types.h>

#define NST_ICMP6_HLEN 8

/* RFC 4443 2.1: types below 128 are errors, the others informational. */
#define NST_ICMP6_DEST_UNREACH 1
#define NST_ICMP6_PACKET_TOO_BIG 2
#define NST_ICMP6_TIME_EXCEEDED 3
#define NST_ICMP6_PARAM_PROBLEM 4
#define NST_ICMP6_ECHO_REQUEST 128
#define NST_ICMP6_ECHO_REPLY 129
#define NST_ICMP6_MLD_QUERY 130    /* RFC 2710 / RFC 3810 */
#define NST_ICMP6_MLD_REPORT 131
#define NST_ICMP6_MLD_DONE 132
#define NST_ICMP6_ROUTER_SOLICIT 133 /* RFC 4861 */
#define NST_ICMP6_ROUTER_ADVERT 134
#define NST_ICMP6_NEIGHBOR_SOLICIT 135
#define NST_ICMP6_NEIGHBOR_ADVERT 136
#define NST_ICMP6_REDIRECT 137
#define NST_ICMP6_MLD2_REPORT 143  /* RFC 3810 */

/* Destination Unreachable codes (3.1) */
#define NST_ICMP6_NO_ROUTE 0
#define NST_ICMP6_ADMIN_PROHIBITED 1
#define NST_ICMP6_BEYOND_SCOPE 2
#define NST_ICMP6_ADDR_UNREACH 3
#define NST_ICMP6_PORT_UNREACH 4
/* Time Exceeded codes (3.3) */
#define NST_ICMP6_HOP_LIMIT_EXCEEDED 0
#define NST_ICMP6_REASS_EXCEEDED 1
/* Parameter Problem codes (3.4; 3 from RFC 7112) */
#define NST_ICMP6_ERRONEOUS_FIELD 0
#define NST_ICMP6_UNKNOWN_NEXT_HEADER 1
#define NST_ICMP6_UNKNOWN_OPTION 2
#define NST_ICMP6_INCOMPLETE_CHAIN 3

/* RFC 4443 2.4 (c): an error carries as much of the invoking packet as
 * fits without the error exceeding the minimum IPv6 MTU. */
#define NST_ICMP6_MAX_QUOTE (1280 - 40 - NST_ICMP6_HLEN)

struct nst_icmp6_repr {
    uint8_t type;
    uint8_t code;
    /* The 32 bits after the checksum: echo identifier << 16 | sequence,
     * the MTU of Packet Too Big, the pointer of Parameter Problem, unused
     * (zero) otherwise. */
    uint32_t word;
    const uint8_t *data; /* the echo data, or the quoted packet */
    size_t data_len;
};

static inline int nst_icmp6_is_error(uint8_t type) { return type < 128; }

/* Parses the message at buf[0..len) carried from src to dst. Returns 0,
 * -EINVAL (shorter than 4, or than 8 for a type with a 32-bit field) or
 * -EBADMSG (bad checksum: it covers the pseudo-header, RFC 4443 2.3). */
int nst_icmp6_parse(const uint8_t *buf, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst,
                    struct nst_icmp6_repr *out, int verify_checksum);
/* Writes header + data (data may already be at buf + 8) with its
 * checksum. Returns the length or -ENOSPC. */
int nst_icmp6_emit(const struct nst_icmp6_repr *r, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                   size_t cap);

/* What an error may be sent about (RFC 4443 2.4 (e) and (f)). */
struct nst_icmp6_invoking {
    const nst_ip6_t *src, *dst;
    int link_multicast; /* arrived as a link-layer multicast or broadcast */
    int is_error;       /* it was an ICMPv6 error message itself */
    int is_redirect;    /* it was a Redirect */
};
/* May an error of this type and code be sent about that packet? Never
 * about an error or a redirect, nor to a source that names no single node
 * (unspecified, multicast); about a packet sent to a multicast address
 * (or as a link multicast) only Packet Too Big and Parameter Problem code
 * 2 for an option whose type says so (the caller passes code 2 only
 * then). */
int nst_icmp6_error_allowed(const struct nst_icmp6_invoking *p, uint8_t type, uint8_t code);

#endif
