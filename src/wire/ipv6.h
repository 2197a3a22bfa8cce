/* IPv6 (RFC 8200): the fixed header, the extension-header chain, and the
 * address kinds of RFC 4291. Pure: no allocation, every length checked. */
#ifndef NST_WIRE_IPV6_H
#define NST_WIRE_IPV6_H

#include <nstack/types.h>

#include <string.h>

#define NST_IPV6_HLEN 40
#define NST_ETHERTYPE_IPV6 0x86dd
#define NST_IPV6_MIN_MTU 1280 /* RFC 8200 5 */

/* Next Header values (IANA "Assigned Internet Protocol Numbers"). */
#define NST_IP6_NH_HOPOPTS 0
#define NST_IP6_NH_TCP 6
#define NST_IP6_NH_UDP 17
#define NST_IP6_NH_ROUTING 43
#define NST_IP6_NH_FRAGMENT 44
#define NST_IP6_NH_ESP 50
#define NST_IP6_NH_AH 51
#define NST_IP6_NH_ICMPV6 58
#define NST_IP6_NH_NONE 59
#define NST_IP6_NH_DSTOPTS 60

/* Why a fixed header was refused; nst_ipv6_parse returns the negative value. */
enum nst_ipv6_error {
    NST_IPV6_ERR_TRUNCATED = 1, /* shorter than 40 bytes */
    NST_IPV6_ERR_VERSION,       /* version != 6 */
    NST_IPV6_ERR_LENGTH,        /* payload length past the buffer */
    NST_IPV6_ERR_JUMBO,         /* payload length 0 with a payload: a jumbogram (RFC 2675), not supported */
};

struct nst_ipv6_repr {
    uint8_t tclass;       /* traffic class: DSCP and the ECN bits (RFC 3168 5) */
    uint32_t flow_label;  /* 20 bits (RFC 6437) */
    uint16_t payload_len; /* bytes after the fixed header, from the header */
    uint8_t next_header;
    uint8_t hop_limit;
    nst_ip6_t src;
    nst_ip6_t dst;
};

/* Validates and parses the fixed header at buf[0..len). Bytes past
 * 40 + payload_len (link padding) are allowed. Returns 40 or
 * -enum nst_ipv6_error. */
int nst_ipv6_parse(const uint8_t *buf, size_t len, struct nst_ipv6_repr *out);
/* Writes the 40-byte fixed header. Returns 40. */
int nst_ipv6_emit(const struct nst_ipv6_repr *r, uint8_t *buf);
const char *nst_ipv6_error_str(int err);

/* Partial sum of the IPv6 pseudo-header (RFC 8200 8.1): source,
 * destination, upper-layer length (32 bits), zeros, next header. */
uint32_t nst_csum_pseudo6(const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t next_header, uint32_t len);

/* ---- the extension-header chain (RFC 8200 4) ----------------------------- */

/* At most this many extension headers are walked: a longer chain is
 * refused (RFC 8200 4.1 gives no limit; RFC 8504 5.3 lets a node set one
 * so a chain cannot make it work without end). */
#define NST_IPV6_MAX_EXT_HEADERS 8

/* What the walk found. When it refuses a packet, `icmp_code` and
 * `pointer` say which ICMPv6 Parameter Problem (RFC 4443 3.4) is owed
 * (code -1: drop without one). */
struct nst_ipv6_ext {
    uint8_t proto;          /* the upper-layer protocol (or NH_NONE) */
    uint16_t proto_off;     /* its offset from the start of the IPv6 header */
    uint16_t nh_field_off;  /* where the Next Header field naming it is (the
                             * pointer of a Parameter Problem code 1 when
                             * nothing handles it: RFC 8200 4) */
    uint8_t n_headers;      /* extension headers walked */
    /* Fragment header (RFC 8200 4.5) */
    uint8_t has_frag;
    uint8_t frag_more;      /* the M flag */
    uint8_t atomic;         /* offset 0 and M 0: RFC 6946, processed in isolation */
    uint16_t frag_off;      /* in bytes */
    uint32_t frag_id;
    uint16_t frag_hdr_off;  /* where the Fragment header starts */
    uint8_t frag_next;      /* its Next Header: what the fragments hold */
    /* Hop-by-Hop options (RFC 8200 4.3) */
    uint8_t router_alert;   /* RFC 2711 option present */
    uint16_t router_alert_value;
    /* An error */
    int icmp_code;
    uint32_t pointer;
};

/* Why a chain was refused; nst_ipv6_walk returns the negative value. */
enum nst_ipv6_ext_error {
    NST_IPV6_EXT_TRUNCATED = 1, /* a header runs past the payload */
    NST_IPV6_EXT_HOPOPTS_NOT_FIRST, /* RFC 8200 4.1: only right after the fixed header */
    NST_IPV6_EXT_BAD_OPTION,    /* an option's length runs past its header */
    NST_IPV6_EXT_UNKNOWN_OPTION, /* an unrecognised option whose type says discard */
    NST_IPV6_EXT_ROUTING,       /* a routing header to act on (type 0 is deprecated: RFC 5095) */
    NST_IPV6_EXT_TOO_MANY,      /* longer than NST_IPV6_MAX_EXT_HEADERS */
    NST_IPV6_EXT_FRAG_LENGTH,   /* a fragment with M set whose length is not a multiple of 8 */
    NST_IPV6_EXT_FRAG_CHAIN,    /* RFC 8200 4.5 / RFC 7112: first fragment without the whole header chain */
    NST_IPV6_EXT_FRAG_OVERFLOW, /* offset + length past 65,535 */
    NST_IPV6_EXT_FRAG_NESTED,   /* a second Fragment header: fragments of fragments are refused */
};

/* Walks the chain after the fixed header `hdr` (already parsed as `ip`,
 * with hdr[0..40 + ip->payload_len) readable) up to the upper-layer
 * header, applying RFC 8200 4's rules: Hop-by-Hop only first, options by
 * the two high bits of their type (4.2), a routing header with segments
 * left refused (type 0 by RFC 5095, every other type as 4.4 says for an
 * unrecognised one: nstack routes no source-routed packets), the Fragment
 * header noted (its payload is not walked further unless it is the first
 * fragment, which must then carry the whole chain: RFC 7112). A header
 * after a non-first fragment's Fragment header is not looked at. Returns
 * 0 or -enum nst_ipv6_ext_error with ext->icmp_code/pointer set. */
int nst_ipv6_walk(const uint8_t *hdr, const struct nst_ipv6_repr *ip, struct nst_ipv6_ext *ext);
const char *nst_ipv6_ext_error_str(int err);

/* ---- addresses (RFC 4291 2) ---------------------------------------------- */

static inline int nst_ip6_eq(const nst_ip6_t *a, const nst_ip6_t *b) { return memcmp(a->b, b->b, 16) == 0; }
static inline int nst_ip6_is_unspecified(const nst_ip6_t *a)
{
    static const nst_ip6_t zero;
    return nst_ip6_eq(a, &zero);
}
static inline int nst_ip6_is_loopback(const nst_ip6_t *a)
{
    static const nst_ip6_t lo = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    return nst_ip6_eq(a, &lo);
}
static inline int nst_ip6_is_multicast(const nst_ip6_t *a) { return a->b[0] == 0xff; }
/* fe80::/10 (2.5.6) */
static inline int nst_ip6_is_link_local(const nst_ip6_t *a) { return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80; }
/* The scope of a multicast address (2.7): 1 interface, 2 link, 5 site, 8 organisation, 14 global. */
static inline int nst_ip6_mcast_scope(const nst_ip6_t *a) { return a->b[1] & 0x0f; }
/* Is `a` within prefix/len? */
int nst_ip6_in_prefix(const nst_ip6_t *a, const nst_ip6_t *prefix, unsigned len);
/* ff02::1:ffXX:XXXX, the solicited-node address of `a` (2.7.1). */
void nst_ip6_solicited_node(const nst_ip6_t *a, nst_ip6_t *out);
static inline int nst_ip6_is_solicited_node(const nst_ip6_t *a)
{
    static const uint8_t p[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    return memcmp(a->b, p, sizeof p) == 0;
}
/* The all-nodes (ff02::1) and all-routers (ff02::2) link-scope groups. */
void nst_ip6_all_nodes(nst_ip6_t *out);
void nst_ip6_all_routers(nst_ip6_t *out);
/* RFC 2464 7: the Ethernet address of a multicast group, 33:33 and its
 * low 32 bits. */
void nst_ip6_mcast_mac(const nst_ip6_t *group, struct nst_mac *out);
/* The modified EUI-64 interface identifier of a MAC (RFC 4291 2.5.1 and
 * appendix A: ff:fe in the middle, the universal/local bit inverted) into
 * the low 64 bits of `a`, the prefix's 64 bits above it. */
void nst_ip6_from_eui64(const nst_ip6_t *prefix, const struct nst_mac *mac, nst_ip6_t *a);
/* Is the interface identifier (8 bytes) one an address may not end in
 * (RFC 5453, RFC 4291 2.6.1)? RFC 7217 and RFC 8981 identifiers avoid them. */
int nst_ip6_iid_reserved(const uint8_t iid[8]);

#endif
