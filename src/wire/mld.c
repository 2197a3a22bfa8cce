/* Multicast Listener Discovery messages: MLDv2 (RFC 3810 5) and MLDv1
 * (RFC 2710 3), and the Router Alert option they travel with (RFC 2711). */
#include "mld.h"

#include "checksum.h"
#include "icmpv6.h"
#include "ipv6.h"

#include <errno.h>
#include <string.h>

/* ---- the time codes (RFC 3810 5.1.3, 5.1.9) -------------------------------- */

/* Both codes are exact below a threshold and floating point above it:
 * 1 | exp (3 bits) | mant; value = (mant | 1 << mant_bits) << (exp + 3). */
static uint32_t float_decode(uint32_t code, unsigned mant_bits)
{
    uint32_t mant = code & ((1u << mant_bits) - 1);
    uint32_t exp = (code >> mant_bits) & 7;
    return (mant | 1u << mant_bits) << (exp + 3);
}

static uint32_t float_encode(uint32_t v, unsigned mant_bits)
{
    uint32_t exact_max = 1u << (mant_bits + 3); /* 32768 or 128 */
    if (v < exact_max)
        return v;
    uint32_t exp = 0;
    while (exp < 7 && (v >> (exp + 3)) >= (2u << mant_bits))
        exp++;
    uint32_t mant = v >> (exp + 3);
    if (mant >= (2u << mant_bits)) /* beyond the largest code: the largest */
        mant = (2u << mant_bits) - 1;
    return 1u << (mant_bits + 3) | exp << mant_bits | (mant & ((1u << mant_bits) - 1));
}

uint32_t nst_mld_code_to_ms(uint16_t code) { return code < 32768 ? code : float_decode(code, 12); }
uint16_t nst_mld_ms_to_code(uint32_t ms) { return (uint16_t)float_encode(ms, 12); }
uint32_t nst_mld_qqic_to_s(uint8_t qqic) { return qqic < 128 ? qqic : float_decode(qqic, 4); }
uint8_t nst_mld_s_to_qqic(uint32_t s) { return (uint8_t)float_encode(s, 4); }

/* ---- queries --------------------------------------------------------------- */

int nst_mld_query_parse(const uint8_t *msg, size_t len, struct nst_mld_query *q)
{
    memset(q, 0, sizeof(*q));
    if (len < 1 || msg[0] != NST_ICMP6_MLD_QUERY)
        return -NST_MLD_ERR_TYPE;
    /* RFC 3810 8.1: a query of 24 bytes is MLDv1, of 28 or more MLDv2;
     * other lengths are silently ignored. */
    if (len == NST_MLD_V1_LEN) {
        q->version = 1;
        q->max_resp_ms = nst_get16(msg + 4); /* RFC 2710 3.4: milliseconds */
    } else if (len >= NST_MLD_V2_QUERY_MIN) {
        q->version = 2;
        q->max_resp_ms = nst_mld_code_to_ms(nst_get16(msg + 4));
        q->suppress = (msg[24] >> 3) & 1;
        q->qrv = msg[24] & 7;
        q->qqi_s = nst_mld_qqic_to_s(msg[25]);
        q->n_sources = nst_get16(msg + 26);
        if ((size_t)q->n_sources * 16 > len - NST_MLD_V2_QUERY_MIN)
            return -NST_MLD_ERR_LENGTH;
        q->sources = msg + NST_MLD_V2_QUERY_MIN;
    } else {
        return -NST_MLD_ERR_LENGTH;
    }
    memcpy(q->group.b, msg + 8, 16);
    if (!nst_ip6_is_unspecified(&q->group) && !nst_ip6_is_multicast(&q->group))
        return -NST_MLD_ERR_GROUP;
    return 0;
}

void nst_mld_query_source(const struct nst_mld_query *q, unsigned i, nst_ip6_t *out)
{
    memcpy(out->b, q->sources + (size_t)i * 16, 16);
}

/* The ICMPv6 header (type, code 0, checksum) around a body already at
 * buf + 4 onwards; word: bytes 4..8. */
static int finish(uint8_t type, const uint8_t *buf, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst,
                  uint8_t *out, size_t cap)
{
    struct nst_icmp6_repr ic = {type, 0, nst_get32(buf + 4), buf + NST_ICMP6_HLEN, len - NST_ICMP6_HLEN};
    return nst_icmp6_emit(&ic, src, dst, out, cap);
}

int nst_mld_query_emit(const struct nst_mld_query *q, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                       size_t cap)
{
    if (q->version != 1 && q->version != 2)
        return -EINVAL;
    size_t len = q->version == 1 ? NST_MLD_V1_LEN : NST_MLD_V2_QUERY_MIN + (size_t)q->n_sources * 16;
    if (len > cap)
        return -ENOSPC;
    memset(buf, 0, len);
    nst_put16(buf + 4, q->version == 1 ? (uint16_t)(q->max_resp_ms > 0xffff ? 0xffff : q->max_resp_ms)
                                       : nst_mld_ms_to_code(q->max_resp_ms));
    memcpy(buf + 8, q->group.b, 16);
    if (q->version == 2) {
        buf[24] = (uint8_t)((q->suppress ? 8 : 0) | (q->qrv & 7));
        buf[25] = nst_mld_s_to_qqic(q->qqi_s);
        nst_put16(buf + 26, q->n_sources);
        if (q->n_sources)
            memcpy(buf + NST_MLD_V2_QUERY_MIN, q->sources, (size_t)q->n_sources * 16);
    }
    return finish(NST_ICMP6_MLD_QUERY, buf, len, src, dst, buf, cap);
}

/* ---- MLDv2 reports (RFC 3810 5.2) ----------------------------------------- */

int nst_mld_report_parse(const uint8_t *msg, size_t len, struct nst_mld_report *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 1 || msg[0] != NST_ICMP6_MLD2_REPORT)
        return -NST_MLD_ERR_TYPE;
    if (len < NST_MLD_V2_REPORT_MIN)
        return -NST_MLD_ERR_LENGTH;
    out->n_records = nst_get16(msg + 6);
    out->msg = msg;
    out->len = len;
    /* Every record, its sources and its auxiliary data (5.2.6: Aux Data
     * Len in 32-bit words) must lie within the message. */
    size_t at = NST_MLD_V2_REPORT_MIN;
    for (unsigned i = 0; i < out->n_records; i++) {
        if (len - at < NST_MLD_RECORD_MIN)
            return -NST_MLD_ERR_LENGTH;
        size_t rlen = nst_mld_record_len(nst_get16(msg + at + 2)) + (size_t)msg[at + 1] * 4;
        if (rlen > len - at)
            return -NST_MLD_ERR_LENGTH;
        at += rlen;
    }
    return 0;
}

int nst_mld_report_next(const struct nst_mld_report *r, size_t *off, unsigned *index, struct nst_mld_record *rec)
{
    if (*index >= r->n_records)
        return -1;
    size_t at = *off ? *off : NST_MLD_V2_REPORT_MIN;
    const uint8_t *p = r->msg + at;
    rec->type = p[0];
    rec->n_sources = nst_get16(p + 2);
    memcpy(rec->group.b, p + 4, 16);
    rec->sources = p + NST_MLD_RECORD_MIN;
    *off = at + nst_mld_record_len(rec->n_sources) + (size_t)p[1] * 4;
    (*index)++;
    return 0;
}

int nst_mld_report_emit(const struct nst_mld_record *recs, unsigned n, const nst_ip6_t *src, const nst_ip6_t *dst,
                        uint8_t *buf, size_t cap)
{
    size_t len = NST_MLD_V2_REPORT_MIN;
    for (unsigned i = 0; i < n; i++)
        len += nst_mld_record_len(recs[i].n_sources);
    if (len > cap || n > 0xffff)
        return -ENOSPC;
    memset(buf, 0, NST_MLD_V2_REPORT_MIN);
    nst_put16(buf + 6, (uint16_t)n);
    size_t at = NST_MLD_V2_REPORT_MIN;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = buf + at;
        p[0] = recs[i].type;
        p[1] = 0; /* no auxiliary data (5.2.6: none is defined for MLDv2) */
        nst_put16(p + 2, recs[i].n_sources);
        memcpy(p + 4, recs[i].group.b, 16);
        if (recs[i].n_sources)
            memcpy(p + NST_MLD_RECORD_MIN, recs[i].sources, (size_t)recs[i].n_sources * 16);
        at += nst_mld_record_len(recs[i].n_sources);
    }
    return finish(NST_ICMP6_MLD2_REPORT, buf, len, src, dst, buf, cap);
}

/* ---- MLDv1 (RFC 2710 3) ----------------------------------------------------- */

int nst_mld_v1_parse(const uint8_t *msg, size_t len, struct nst_mld_v1 *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 1 || (msg[0] != NST_ICMP6_MLD_QUERY && msg[0] != NST_ICMP6_MLD_REPORT && msg[0] != NST_ICMP6_MLD_DONE))
        return -NST_MLD_ERR_TYPE;
    /* RFC 2710 3: 24 bytes. Longer messages may be a later version's, and a
     * Report or Done of another length is none we know. */
    if (len != NST_MLD_V1_LEN)
        return -NST_MLD_ERR_LENGTH;
    out->type = msg[0];
    out->max_delay_ms = nst_get16(msg + 4);
    memcpy(out->group.b, msg + 8, 16);
    if (out->type != NST_ICMP6_MLD_QUERY && !nst_ip6_is_multicast(&out->group))
        return -NST_MLD_ERR_GROUP;
    return 0;
}

int nst_mld_v1_emit(const struct nst_mld_v1 *m, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf, size_t cap)
{
    if (cap < NST_MLD_V1_LEN)
        return -ENOSPC;
    memset(buf, 0, NST_MLD_V1_LEN);
    nst_put16(buf + 4, m->max_delay_ms);
    memcpy(buf + 8, m->group.b, 16);
    return finish(m->type, buf, NST_MLD_V1_LEN, src, dst, buf, cap);
}

void nst_mld_hbh_emit(uint8_t next_header, uint8_t out[NST_MLD_HBH_LEN])
{
    out[0] = next_header;
    out[1] = 0;                        /* 8 bytes in all */
    out[2] = NST_IP6_OPT_ROUTER_ALERT; /* 00: skip if unknown; 0: does not change en route */
    out[3] = 2;
    nst_put16(out + 4, NST_ROUTER_ALERT_MLD);
    out[6] = 1; /* PadN of 2 bytes: two of type and length, none of data */
    out[7] = 0;
}
