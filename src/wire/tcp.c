/* TCP header (RFC 9293 3.1) and the options nstack speaks: MSS (RFC 9293
 * 3.2), window scale and timestamps (RFC 7323), SACK (RFC 2018). */
#include "tcp.h"

#include "checksum.h"
#include "ipv4.h"

#include <errno.h>
#include <string.h>

#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8
#define TCP_MAX_OPTS (NST_TCP_MAX_HLEN - NST_TCP_HLEN)

/* Applies one option whose length has already been bounded by the header.
 * A known kind with the wrong length is ignored rather than refusing the
 * segment: its length still tells where the next option starts, and RFC
 * 1122 4.2.2.5 asks receivers to be liberal with options. */
static void apply_option(uint8_t kind, const uint8_t *o, uint8_t olen, struct nst_tcp_opts *opts)
{
    switch (kind) {
    case NST_TCPOPT_MSS:
        if (olen == TCPOLEN_MSS) {
            opts->has_mss = 1;
            opts->mss = nst_get16(o + 2);
        }
        break;
    case NST_TCPOPT_WSCALE:
        if (olen == TCPOLEN_WSCALE) {
            opts->has_wscale = 1;
            opts->wscale = o[2];
        }
        break;
    case NST_TCPOPT_SACK_PERM:
        if (olen == TCPOLEN_SACK_PERM)
            opts->sack_ok = 1;
        break;
    case NST_TCPOPT_TS:
        if (olen == TCPOLEN_TS) {
            opts->has_ts = 1;
            opts->ts_val = nst_get32(o + 2);
            opts->ts_ecr = nst_get32(o + 6);
        }
        break;
    case NST_TCPOPT_FASTOPEN: {
        /* RFC 7413 4.1.1: empty (a request) or a cookie of 4 to 16 bytes. */
        uint8_t n = (uint8_t)(olen - 2);
        if (n != 0 && (n < NST_TCP_FASTOPEN_MIN || n > NST_TCP_FASTOPEN_MAX || (n & 1)))
            break;
        opts->has_fastopen = 1;
        opts->fastopen_len = n;
        memcpy(opts->fastopen_cookie, o + 2, n);
        break;
    }
    case NST_TCPOPT_SACK: {
        /* RFC 2018 3: 2 + 8n bytes; in 40 bytes of options n is at most 4. */
        size_t body = (size_t)olen - TCPOLEN_SACK_BASE;
        size_t n = body / TCPOLEN_SACK_BLOCK;
        if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK || body % TCPOLEN_SACK_BLOCK || n > NST_TCP_MAX_SACK)
            break;
        for (size_t i = 0; i < n; i++) {
            opts->sack[i].start = nst_get32(o + 2 + 8 * i);
            opts->sack[i].end = nst_get32(o + 6 + 8 * i);
        }
        opts->sack_count = (uint8_t)n;
        break;
    }
    default:
        break; /* RFC 9293 3.1: unknown kinds are skipped by their length */
    }
}

/* Walks opt[0..len). Returns 0 or -NST_TCP_ERR_OPTIONS. */
static int parse_options(const uint8_t *opt, size_t len, struct nst_tcp_opts *opts)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opt[i];
        if (kind == NST_TCPOPT_EOL)
            break;
        if (kind == NST_TCPOPT_NOP) {
            i++;
            continue;
        }
        /* RFC 9293 3.1: every other kind has a length byte counting kind and
         * length; an illegal one (0 or 1, or past the header) must be
         * handled: the segment is refused. */
        if (len - i < 2)
            return -NST_TCP_ERR_OPTIONS;
        uint8_t olen = opt[i + 1];
        if (olen < 2 || olen > len - i)
            return -NST_TCP_ERR_OPTIONS;
        apply_option(kind, opt + i, olen, opts);
        i += olen;
    }
    return 0;
}

int nst_tcp_parse(const uint8_t *buf, size_t len, nst_ip4_t src, nst_ip4_t dst, struct nst_tcp_repr *out,
                  int verify_checksum)
{
    if (len < NST_TCP_HLEN)
        return -NST_TCP_ERR_TRUNCATED;
    size_t hl = (size_t)(buf[12] >> 4) * 4;
    if (hl < NST_TCP_HLEN)
        return -NST_TCP_ERR_OFFSET;
    if (hl > len)
        return -NST_TCP_ERR_TRUNCATED;
    if (verify_checksum) {
        /* RFC 9293 3.1: the checksum covers the pseudo-header, the header
         * and the data. An IPv4 payload is at most 65515 bytes. */
        if (len > 0xffff)
            return -NST_TCP_ERR_CHECKSUM;
        uint32_t sum = nst_csum_pseudo(src, dst, NST_IP_PROTO_TCP, (uint16_t)len);
        if (nst_csum_finish(nst_csum_add(sum, buf, len)) != 0)
            return -NST_TCP_ERR_CHECKSUM;
    }
    memset(&out->opts, 0, sizeof out->opts);
    int err = parse_options(buf + NST_TCP_HLEN, hl - NST_TCP_HLEN, &out->opts);
    if (err)
        return err;
    out->src_port = nst_get16(buf);
    out->dst_port = nst_get16(buf + 2);
    out->seq = nst_get32(buf + 4);
    out->ack = nst_get32(buf + 8);
    out->flags = buf[13];
    out->window = nst_get16(buf + 14);
    out->urg_ptr = nst_get16(buf + 18);
    out->hdr_len = (uint8_t)hl;
    return (int)hl;
}

/* The layout is Linux's (tcp_options_write), so captures read the same as
 * the kernel's and every option stays 4-byte aligned without padding:
 *   MSS(4) | SACK_PERM,TS (12) or NOP,NOP,TS (12) or NOP,NOP,SACK_PERM (4)
 *   | NOP,WS (4) | NOP,NOP,SACK 2+8n.
 * The SACK blocks get what room is left: 3 beside timestamps, 4 alone. */
/* NOP, NOP, kind, length, the cookie, NOPs to a multiple of 4. */
static size_t fastopen_opt_len(const struct nst_tcp_opts *o)
{
    return (4u + (o->fastopen_len & ~1u) + 3u) & ~3u;
}

static size_t fixed_opts_len(const struct nst_tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss)
        n += 4;
    if (o->has_ts)
        n += 12;
    else if (o->sack_ok)
        n += 4;
    if (o->has_wscale)
        n += 4;
    if (o->has_fastopen)
        n += fastopen_opt_len(o);
    return n;
}

static size_t sack_blocks_fitting(const struct nst_tcp_opts *o)
{
    size_t fixed = fixed_opts_len(o);
    size_t want = o->sack_count < NST_TCP_MAX_SACK ? o->sack_count : NST_TCP_MAX_SACK;
    if (!want || fixed + 4 + TCPOLEN_SACK_BLOCK > TCP_MAX_OPTS)
        return 0;
    size_t room = (TCP_MAX_OPTS - fixed - 4) / TCPOLEN_SACK_BLOCK;
    return want < room ? want : room;
}

size_t nst_tcp_opts_len(const struct nst_tcp_opts *o)
{
    size_t n = sack_blocks_fitting(o);
    return fixed_opts_len(o) + (n ? 4 + TCPOLEN_SACK_BLOCK * n : 0);
}

/* The header is summed while it is written, in the 16-bit words of the
 * checksum (RFC 1071), so computing the checksum never reads back bytes
 * just stored: such a wide load over many narrow fresh stores makes the
 * CPU wait for the stores to reach the cache (a store-forwarding stall),
 * which cost more than the whole sum. Every field and option in our layout
 * starts at an even offset, so the words are the checksum's words. */
struct tcp_writer {
    uint8_t *p;
    uint32_t sum; /* at most 30 words of 0xffff: no overflow */
};

static void w16(struct tcp_writer *w, uint16_t v)
{
    nst_put16(w->p, v);
    w->p += 2;
    w->sum += v;
}

static void w32(struct tcp_writer *w, uint32_t v)
{
    w16(w, (uint16_t)(v >> 16));
    w16(w, (uint16_t)v);
}

static void w4(struct tcp_writer *w, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    w16(w, (uint16_t)(a << 8 | b));
    w16(w, (uint16_t)(c << 8 | d));
}

static void emit_options(const struct nst_tcp_opts *o, struct tcp_writer *w)
{
    if (o->has_mss)
        w4(w, NST_TCPOPT_MSS, TCPOLEN_MSS, (uint8_t)(o->mss >> 8), (uint8_t)o->mss);
    if (o->has_ts) {
        if (o->sack_ok)
            w4(w, NST_TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM, NST_TCPOPT_TS, TCPOLEN_TS);
        else
            w4(w, NST_TCPOPT_NOP, NST_TCPOPT_NOP, NST_TCPOPT_TS, TCPOLEN_TS);
        w32(w, o->ts_val);
        w32(w, o->ts_ecr);
    } else if (o->sack_ok) {
        w4(w, NST_TCPOPT_NOP, NST_TCPOPT_NOP, NST_TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM);
    }
    if (o->has_wscale)
        w4(w, NST_TCPOPT_NOP, NST_TCPOPT_WSCALE, TCPOLEN_WSCALE, o->wscale);
    if (o->has_fastopen) {
        /* Cookies have even lengths (parse refuses others): 16-bit words. */
        uint8_t n = o->fastopen_len & (uint8_t)~1u;
        w4(w, NST_TCPOPT_NOP, NST_TCPOPT_NOP, NST_TCPOPT_FASTOPEN, (uint8_t)(2 + n));
        for (uint8_t i = 0; i < n; i += 2)
            w16(w, (uint16_t)(o->fastopen_cookie[i] << 8 | o->fastopen_cookie[i + 1]));
        if (n % 4)
            w16(w, (uint16_t)(NST_TCPOPT_NOP << 8 | NST_TCPOPT_NOP));
    }
    size_t n = sack_blocks_fitting(o);
    if (n) {
        w4(w, NST_TCPOPT_NOP, NST_TCPOPT_NOP, NST_TCPOPT_SACK, (uint8_t)(TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK * n));
        for (size_t i = 0; i < n; i++) {
            w32(w, o->sack[i].start);
            w32(w, o->sack[i].end);
        }
    }
}

int nst_tcp_emit_sum(const struct nst_tcp_repr *r, uint8_t *buf, uint32_t *hdr_sum)
{
    size_t hl = NST_TCP_HLEN + nst_tcp_opts_len(&r->opts);
    struct tcp_writer w = {buf, 0};
    w16(&w, r->src_port);
    w16(&w, r->dst_port);
    w32(&w, r->seq);
    w32(&w, r->ack);
    w16(&w, (uint16_t)(((hl / 4) << 12) | r->flags));
    w16(&w, r->window);
    w16(&w, 0); /* the checksum, filled in later */
    w16(&w, r->urg_ptr);
    emit_options(&r->opts, &w);
    *hdr_sum = nst_csum_block_add(0, w.sum, 0); /* folded to 16 bits */
    return (int)hl;
}

int nst_tcp_emit(const struct nst_tcp_repr *r, uint8_t *buf)
{
    uint32_t sum;
    return nst_tcp_emit_sum(r, buf, &sum);
}

void nst_tcp_set_checksum(uint8_t *seg, size_t len, nst_ip4_t src, nst_ip4_t dst)
{
    if (len < NST_TCP_HLEN || len > 0xffff)
        return;
    nst_put16(seg + 16, 0);
    uint32_t sum = nst_csum_pseudo(src, dst, NST_IP_PROTO_TCP, (uint16_t)len);
    nst_put16(seg + 16, nst_csum_finish(nst_csum_add(sum, seg, len)));
}

void nst_tcp_put_checksum(uint8_t *seg, size_t len, uint32_t seg_sum, nst_ip4_t src, nst_ip4_t dst)
{
    if (len < NST_TCP_HLEN || len > 0xffff)
        return;
    uint32_t sum = nst_csum_pseudo(src, dst, NST_IP_PROTO_TCP, (uint16_t)len);
    nst_put16(seg + 16, nst_csum_finish(nst_csum_block_add(sum, seg_sum, 0)));
}

uint32_t nst_tcp_csum_start(const uint8_t *seg, size_t hlen, size_t len, nst_ip4_t src, nst_ip4_t dst)
{
    /* RFC 9293 3.1: the pseudo-header's length is the whole segment's. */
    return nst_csum_fold(nst_csum_pseudo(src, dst, NST_IP_PROTO_TCP, (uint16_t)len) + nst_csum_header(seg, hlen));
}

const char *nst_tcp_error_str(int err)
{
    switch (err < 0 ? -err : err) {
    case NST_TCP_ERR_TRUNCATED: return "truncated";
    case NST_TCP_ERR_OFFSET: return "data offset < 5";
    case NST_TCP_ERR_CHECKSUM: return "bad checksum";
    case NST_TCP_ERR_OPTIONS: return "malformed options";
    default: return "unknown error";
    }
}
