/* IPv4 header (RFC 791). Pure: no allocation, every length checked. */
#ifndef NST_WIRE_IPV4_H
#define NST_WIRE_IPV4_H

#include <nstack/types.h>

#define NST_IPV4_HLEN 20
#define NST_IPV4_MAX_HLEN 60
#define NST_IP_PROTO_ICMP 1
#define NST_IP_PROTO_TCP 6
#define NST_IP_PROTO_UDP 17

#define NST_IPV4_FLAG_DF 0x4000
#define NST_IPV4_FLAG_MF 0x2000
#define NST_IPV4_OFFMASK 0x1fff

/* RFC 3168 5: the ECN field, the two low bits of the TOS octet. */
#define NST_ECN_MASK 0x03
#define NST_ECN_NOT_ECT 0x00
#define NST_ECN_ECT1 0x01
#define NST_ECN_ECT0 0x02
#define NST_ECN_CE 0x03

/* Why a header was refused; nst_ipv4_parse returns the negative value. */
enum nst_ipv4_error {
    NST_IPV4_ERR_TRUNCATED = 1, /* buffer shorter than 20 or than the IHL */
    NST_IPV4_ERR_VERSION,       /* version != 4 */
    NST_IPV4_ERR_IHL,           /* IHL < 5 */
    NST_IPV4_ERR_LENGTH,        /* total length < IHL or > buffer */
    NST_IPV4_ERR_CHECKSUM,
    NST_IPV4_ERR_OPTIONS,       /* an option's length runs past the header */
};

struct nst_ipv4_repr {
    uint8_t tos;
    uint16_t total_len;  /* header + payload, from the header */
    uint16_t id;
    int df;              /* don't fragment */
    int mf;              /* more fragments */
    uint16_t frag_off;   /* in bytes (the field times 8) */
    uint8_t ttl;
    uint8_t proto;
    nst_ip4_t src;
    nst_ip4_t dst;
    uint8_t hdr_len;     /* bytes, 20..60 */
};

/* Validates and parses the header at buf[0..len). Options are checked for
 * well-formed lengths and otherwise skipped. Bytes past total_len (link
 * padding) are allowed. Returns the header length or -enum nst_ipv4_error. */
int nst_ipv4_parse(const uint8_t *buf, size_t len, struct nst_ipv4_repr *out, int verify_checksum);
/* Writes a 20-byte header (no options) with its checksum. Returns 20. */
int nst_ipv4_emit(const struct nst_ipv4_repr *r, uint8_t *buf);
const char *nst_ipv4_error_str(int err);
/* RFC 3168 5: a congested router sets CE in a datagram whose ECN field is
 * ECT(0) or ECT(1) instead of dropping it. Sets CE in the header at
 * hdr[0..len) and patches the header checksum (RFC 1624). Returns 1 if
 * marked, 0 if the datagram is Not-ECT (or already CE), -1 if hdr is not
 * an IPv4 header. */
int nst_ipv4_mark_ce(uint8_t *hdr, size_t len);

#endif
