/* TCP header and options (RFC 9293 3.1, RFC 7323, RFC 2018). Pure. */
#ifndef NST_WIRE_TCP_H
#define NST_WIRE_TCP_H

#include <nstack/types.h>

#define NST_TCP_HLEN 20
#define NST_TCP_MAX_HLEN 60

#define NST_TCP_FIN 0x01
#define NST_TCP_SYN 0x02
#define NST_TCP_RST 0x04
#define NST_TCP_PSH 0x08
#define NST_TCP_ACK 0x10
#define NST_TCP_URG 0x20
#define NST_TCP_ECE 0x40
#define NST_TCP_CWR 0x80

#define NST_TCPOPT_EOL 0
#define NST_TCPOPT_NOP 1
#define NST_TCPOPT_MSS 2
#define NST_TCPOPT_WSCALE 3
#define NST_TCPOPT_SACK_PERM 4
#define NST_TCPOPT_SACK 5
#define NST_TCPOPT_TS 8
#define NST_TCPOPT_FASTOPEN 34 /* RFC 7413 4.1.1 */

/* RFC 7413 4.1.1: a cookie of 4 to 16 bytes (even lengths, as Linux). */
#define NST_TCP_FASTOPEN_MIN 4
#define NST_TCP_FASTOPEN_MAX 16

#define NST_TCP_MAX_SACK 4

enum nst_tcp_error {
    NST_TCP_ERR_TRUNCATED = 1, /* shorter than 20 or than the data offset */
    NST_TCP_ERR_OFFSET,        /* data offset < 5 */
    NST_TCP_ERR_CHECKSUM,
    NST_TCP_ERR_OPTIONS,       /* an option's length is 0, 1, or runs past the header */
};

struct nst_tcp_sack_block {
    uint32_t start, end;
};

struct nst_tcp_opts {
    uint8_t has_mss, has_wscale, sack_ok, has_ts;
    uint16_t mss;
    uint8_t wscale;      /* as received; the caller clamps to 14 (RFC 7323 2.3) */
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count;  /* blocks in sack[] */
    struct nst_tcp_sack_block sack[NST_TCP_MAX_SACK];
    /* RFC 7413 Fast Open: the option, with a cookie of fastopen_len bytes
     * (0: a cookie request). */
    uint8_t has_fastopen, fastopen_len;
    uint8_t fastopen_cookie[NST_TCP_FASTOPEN_MAX];
};

struct nst_tcp_repr {
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;       /* NST_TCP_* */
    uint16_t window;     /* raw field, not scaled */
    uint16_t urg_ptr;
    uint8_t hdr_len;     /* bytes, 20..60 */
    struct nst_tcp_opts opts;
};

/* buf/len is the whole segment (IP payload). Unknown options are skipped;
 * options with a known kind but the wrong length are ignored (not applied).
 * Returns the header length or -enum nst_tcp_error. */
int nst_tcp_parse(const uint8_t *buf, size_t len, nst_ip4_t src, nst_ip4_t dst, struct nst_tcp_repr *out,
                  int verify_checksum);
/* Length of the options r->opts would take, padded to 4 bytes (<= 40:
 * SACK blocks that do not fit are left out). */
size_t nst_tcp_opts_len(const struct nst_tcp_opts *o);
/* Writes header + options at buf (r->hdr_len is ignored and recomputed).
 * The checksum field is left 0: call nst_tcp_set_checksum once the payload
 * follows the header. Returns the header length. */
int nst_tcp_emit(const struct nst_tcp_repr *r, uint8_t *buf);
/* The same, also giving the partial sum of the header written (checksum
 * field 0), as nst_csum_add(0, buf, hlen) would after it. */
int nst_tcp_emit_sum(const struct nst_tcp_repr *r, uint8_t *buf, uint32_t *hdr_sum);
/* Computes and stores the checksum of the segment seg[0..len). */
void nst_tcp_set_checksum(uint8_t *seg, size_t len, nst_ip4_t src, nst_ip4_t dst);
/* Stores the checksum of the segment seg[0..len) given seg_sum, its partial
 * sum (header with a zero checksum field, then payload) that the caller
 * has computed: nothing of the segment is read. With nst_tcp_emit_sum and
 * nst_csum_copy the payload and the header are each touched once. */
void nst_tcp_put_checksum(uint8_t *seg, size_t len, uint32_t seg_sum, nst_ip4_t src, nst_ip4_t dst);
/* The partial sum a received segment's checksum check starts from: the
 * pseudo-header and the hlen header bytes. The segment is intact when
 * nst_csum_finish(nst_csum_block_add(start, payload_sum, hlen)) == 0. */
uint32_t nst_tcp_csum_start(const uint8_t *seg, size_t hlen, size_t len, nst_ip4_t src, nst_ip4_t dst);
const char *nst_tcp_error_str(int err);

#endif
