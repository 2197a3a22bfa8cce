/* Multicast Listener Discovery: MLDv2 (RFC 3810 5) Queries and Reports,
 * MLDv1 (RFC 2710 3) Query, Report and Done, and the Router Alert
 * hop-by-hop option every MLD message carries (RFC 2711). Pure: views of
 * received messages, every length checked, and writers with checksums. */
#ifndef NST_WIRE_MLD_H
#define NST_WIRE_MLD_H

#include <nstack/types.h>

#include <stddef.h>

/* RFC 3810 5.1, 5.2: the fixed parts, ICMPv6 header included. */
#define NST_MLD_V1_LEN 24        /* RFC 2710 3: every MLDv1 message */
#define NST_MLD_V2_QUERY_MIN 28  /* RFC 3810 5.1 */
#define NST_MLD_V2_REPORT_MIN 8  /* RFC 3810 5.2: header and the record count */
#define NST_MLD_RECORD_MIN 20    /* one Multicast Address Record without sources */

/* Multicast Address Record types (RFC 3810 5.2.12). */
#define NST_MLD_MODE_IS_INCLUDE 1
#define NST_MLD_MODE_IS_EXCLUDE 2
#define NST_MLD_CHANGE_TO_INCLUDE 3
#define NST_MLD_CHANGE_TO_EXCLUDE 4
#define NST_MLD_ALLOW_NEW_SOURCES 5
#define NST_MLD_BLOCK_OLD_SOURCES 6

/* The Router Alert hop-by-hop header an MLD message rides behind (RFC
 * 2711 2.1, value 0: "Multicast Listener Discovery message"). */
#define NST_MLD_HBH_LEN 8
#define NST_IP6_OPT_ROUTER_ALERT 5
#define NST_ROUTER_ALERT_MLD 0

/* Why a query was refused (nst_mld_query_parse returns the negative value). */
enum nst_mld_error {
    NST_MLD_ERR_TYPE = 1,   /* not a Multicast Listener Query (130) */
    NST_MLD_ERR_LENGTH,     /* RFC 3810 8.1: 24 is MLDv1, 28 and more MLDv2;
                             * anything else, or sources past the end, is neither */
    NST_MLD_ERR_GROUP,      /* a multicast address field neither :: nor multicast */
};

/* A Multicast Listener Query, MLDv1 or MLDv2 (RFC 3810 5.1, RFC 2710 3.6). */
struct nst_mld_query {
    uint8_t version;          /* 1 (24 bytes) or 2 */
    uint32_t max_resp_ms;     /* Maximum Response Delay, decoded (5.1.3) */
    nst_ip6_t group;          /* :: for a General Query */
    uint8_t suppress;         /* the S flag (5.1.7) */
    uint8_t qrv;              /* Querier's Robustness Variable, 0..7 (5.1.8) */
    uint32_t qqi_s;           /* Querier's Query Interval, decoded (5.1.9) */
    uint16_t n_sources;
    const uint8_t *sources;   /* n_sources addresses of 16 bytes, in the message */
};

/* Parses a query at msg[0..len) (an ICMPv6 message, checksum verified).
 * 0 or -enum nst_mld_error. */
int nst_mld_query_parse(const uint8_t *msg, size_t len, struct nst_mld_query *out);
void nst_mld_query_source(const struct nst_mld_query *q, unsigned i, nst_ip6_t *out);
/* Writes a query (version 1 or 2; sources taken from q->sources) with its
 * checksum. For tests and fuzzing: nstack is no querier. Length or
 * -ENOSPC / -EINVAL. */
int nst_mld_query_emit(const struct nst_mld_query *q, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                       size_t cap);

/* Maximum Response Code <-> milliseconds (RFC 3810 5.1.3: exact below
 * 32768, then a 12-bit mantissa and 3-bit exponent), and QQIC <-> seconds
 * (5.1.9: the same scheme below 128 and above). Encoding rounds down. */
uint32_t nst_mld_code_to_ms(uint16_t code);
uint16_t nst_mld_ms_to_code(uint32_t ms);
uint32_t nst_mld_qqic_to_s(uint8_t qqic);
uint8_t nst_mld_s_to_qqic(uint32_t s);

/* One Multicast Address Record (RFC 3810 5.2.4). In a parsed report
 * sources points into the message. */
struct nst_mld_record {
    uint8_t type;
    uint16_t n_sources;
    nst_ip6_t group;
    const uint8_t *sources;   /* n_sources addresses of 16 bytes */
};

/* An MLDv2 Report (type 143): its records are read one by one. */
struct nst_mld_report {
    uint16_t n_records;
    const uint8_t *msg;
    size_t len;
};
/* Checks that the report's records (their sources and auxiliary data)
 * all lie within msg[0..len). 0 or -NST_MLD_ERR_TYPE / -NST_MLD_ERR_LENGTH. */
int nst_mld_report_parse(const uint8_t *msg, size_t len, struct nst_mld_report *out);
/* The record at *off (start with 0); advances *off. 0, or -1 at the end. */
int nst_mld_report_next(const struct nst_mld_report *r, size_t *off, unsigned *index, struct nst_mld_record *rec);
/* The bytes a record takes on the wire. */
static inline size_t nst_mld_record_len(uint16_t n_sources) { return NST_MLD_RECORD_MIN + (size_t)n_sources * 16; }
/* Writes an MLDv2 Report of n records with its checksum. Length or -ENOSPC. */
int nst_mld_report_emit(const struct nst_mld_record *recs, unsigned n, const nst_ip6_t *src, const nst_ip6_t *dst,
                        uint8_t *buf, size_t cap);

/* An MLDv1 message (RFC 2710 3): Report (131), Done (132), or Query. */
struct nst_mld_v1 {
    uint8_t type;
    uint16_t max_delay_ms;
    nst_ip6_t group;
};
/* 0 or -enum nst_mld_error (a length other than 24). */
int nst_mld_v1_parse(const uint8_t *msg, size_t len, struct nst_mld_v1 *out);
int nst_mld_v1_emit(const struct nst_mld_v1 *m, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                    size_t cap);

/* The 8-byte Hop-by-Hop Options header with a Router Alert for MLD
 * (RFC 2711) and PadN to its length, next_header after it. */
void nst_mld_hbh_emit(uint8_t next_header, uint8_t out[NST_MLD_HBH_LEN]);

#endif
