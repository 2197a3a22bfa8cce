/* Neighbor Discovery for IPv6 (RFC 4861 4): Router Solicitation and
 * Advertisement, Neighbor Solicitation and Advertisement, Redirect, and
 * their options; each message validated as sections 6.1 7.1 8.1 say.
 * Pure. */
#ifndef NST_WIRE_NDP_H
#define NST_WIRE_NDP_H

#include <nstack/types.h>

/* Option types (4.6; 25 is RFC 8106's RDNSS, parsed as unknown) */
#define NST_ND_OPT_SOURCE_LLADDR 1
#define NST_ND_OPT_TARGET_LLADDR 2
#define NST_ND_OPT_PREFIX_INFO 3
#define NST_ND_OPT_REDIRECTED 4
#define NST_ND_OPT_MTU 5
#define NST_ND_OPT_NONCE 14 /* RFC 7527 (Enhanced DAD), RFC 3971 5.3.2 */
#define NST_ND_NONCE_LEN 6

/* Flags of an advertisement (NA: 4.4; RA: 4.2). */
#define NST_ND_NA_ROUTER 0x80
#define NST_ND_NA_SOLICITED 0x40
#define NST_ND_NA_OVERRIDE 0x20
#define NST_ND_RA_MANAGED 0x80
#define NST_ND_RA_OTHER 0x40
/* Prefix Information flags (4.6.2) */
#define NST_ND_PREFIX_ONLINK 0x80
#define NST_ND_PREFIX_AUTO 0x40

/* A Router Advertisement keeps at most this many prefixes; more are
 * counted and ignored (a flood of prefixes is an attack: RFC 6104, 6105). */
#define NST_ND_MAX_PREFIXES 4

struct nst_nd_prefix {
    uint8_t len;             /* prefix length */
    uint8_t flags;           /* NST_ND_PREFIX_* */
    uint32_t valid_lifetime; /* seconds; 0xffffffff is infinity */
    uint32_t preferred_lifetime;
    nst_ip6_t prefix;
};

struct nst_nd_repr {
    uint8_t type;           /* NST_ICMP6_ROUTER_SOLICIT .. NST_ICMP6_REDIRECT */
    uint8_t flags;          /* NA and RA flags */
    /* RA */
    uint8_t cur_hop_limit;
    uint16_t router_lifetime; /* seconds */
    uint32_t reachable_time;  /* milliseconds */
    uint32_t retrans_timer;   /* milliseconds */
    /* NS, NA, Redirect */
    nst_ip6_t target;
    /* Redirect */
    nst_ip6_t dest;
    /* Options */
    uint8_t has_src_lladdr, has_tgt_lladdr, has_mtu;
    uint8_t has_nonce;        /* an NS's Nonce option of 6 bytes (RFC 7527 4.2) */
    uint8_t nonce[NST_ND_NONCE_LEN];
    struct nst_mac src_lladdr, tgt_lladdr;
    uint32_t mtu;
    uint8_t n_prefixes;
    uint8_t prefixes_dropped; /* past NST_ND_MAX_PREFIXES */
    struct nst_nd_prefix prefix[NST_ND_MAX_PREFIXES];
    const uint8_t *redirected; /* Redirected Header option's data (the invoking packet) */
    size_t redirected_len;
};

/* Why a message was refused (each is a silent drop, counted). */
enum nst_nd_error {
    NST_ND_ERR_HOP_LIMIT = 1, /* not 255: it came from off the link */
    NST_ND_ERR_CODE,          /* ICMP code not 0 */
    NST_ND_ERR_LENGTH,        /* shorter than the message's fixed part */
    NST_ND_ERR_OPTION,        /* an option of length 0, or past the end */
    NST_ND_ERR_TARGET,        /* a multicast target (NS, NA) */
    NST_ND_ERR_DAD_LLADDR,    /* from :: with a source link-layer address option */
    NST_ND_ERR_DAD_DEST,      /* NS from :: not to a solicited-node address */
    NST_ND_ERR_SOLICITED_MCAST, /* NA to a multicast address with S set */
    NST_ND_ERR_SOURCE,        /* RA or Redirect not from a link-local address */
    NST_ND_ERR_REDIRECT,      /* Redirect to a multicast destination, or an off-link target */
    NST_ND_ERR_TYPE,          /* not a Neighbor Discovery message */
};

/* The IPv6 header fields Neighbor Discovery checks. */
struct nst_nd_ip {
    const nst_ip6_t *src, *dst;
    uint8_t hop_limit;
};

/* Parses and validates the ICMPv6 message msg[0..len) (checksum already
 * verified) as its type's section requires. Unknown options are skipped
 * (4.6); options of a kind that does not belong to the message are
 * ignored. Returns 0 or -enum nst_nd_error. */
int nst_nd_parse(const uint8_t *msg, size_t len, const struct nst_nd_ip *ip, struct nst_nd_repr *out);
const char *nst_nd_error_str(int err);

/* Writes any of the five messages and its checksum for the given
 * addresses: the fixed part, then the options r has, in this order: for an
 * RA the n_prefixes prefixes and the MTU (has_mtu); source and target
 * link-layer addresses (when has_src_lladdr/has_tgt_lladdr is set); an
 * NS's nonce (has_nonce); for a Redirect the Redirected Header
 * (redirected_len bytes, zero-padded; the caller keeps the whole message
 * within 1280 bytes, 4.6.3). Returns the length or -ENOSPC / -EINVAL (not
 * an ND type, too many prefixes). */
int nst_nd_emit(const struct nst_nd_repr *r, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                size_t cap);

#endif
