/* IPv4 header (RFC 791 3.1), validated with the checks RFC 1812 5.2.2 lists
 * (length at least 20, checksum, version 4, IHL at least 5, total length at
 * least the header). The structural checks come before the checksum so the
 * error says what is wrong; a header that is well formed but corrupted
 * still fails the checksum. */
#include "ipv4.h"

#include <stddef.h>
#include <string.h>

#include "checksum.h"

#include <errno.h>

#define IPOPT_EOL 0
#define IPOPT_NOP 1

/* RFC 791 3.1 "Options": EOL ends the list, NOP is one byte, every other
 * option is type, length (counting both), data. Returns 0 or
 * -NST_IPV4_ERR_OPTIONS. Options are not acted on (no source routing: RFC
 * 7126 recommends dropping or ignoring it, and we ignore all options). */
static int walk_options(const uint8_t *opt, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t type = opt[i];
        if (type == IPOPT_EOL)
            return 0;
        if (type == IPOPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2)
            return -NST_IPV4_ERR_OPTIONS; /* no room for the length byte */
        uint8_t olen = opt[i + 1];
        if (olen < 2 || olen > len - i)
            return -NST_IPV4_ERR_OPTIONS;
        i += olen;
    }
    return 0;
}

int nst_ipv4_parse(const uint8_t *buf, size_t len, struct nst_ipv4_repr *out, int verify_checksum)
{
    if (len < NST_IPV4_HLEN)
        return -NST_IPV4_ERR_TRUNCATED;
    if ((buf[0] >> 4) != 4)
        return -NST_IPV4_ERR_VERSION;
    size_t hl = (size_t)(buf[0] & 0x0f) * 4;
    if (hl < NST_IPV4_HLEN)
        return -NST_IPV4_ERR_IHL;
    if (len < hl)
        return -NST_IPV4_ERR_TRUNCATED;
    uint16_t total = nst_get16(buf + 2);
    /* RFC 1812 5.2.2: total length at least the header, at most what the
     * link delivered; bytes past it are link padding and are allowed. */
    if (total < hl || total > len)
        return -NST_IPV4_ERR_LENGTH;
    if (verify_checksum && nst_csum_finish(nst_csum_header(buf, (size_t)hl)) != 0)
        return -NST_IPV4_ERR_CHECKSUM;
    int err = walk_options(buf + NST_IPV4_HLEN, hl - NST_IPV4_HLEN);
    if (err)
        return err;

    uint16_t frag = nst_get16(buf + 6);
    out->tos = buf[1];
    out->total_len = total;
    out->id = nst_get16(buf + 4);
    out->df = (frag & NST_IPV4_FLAG_DF) != 0;
    out->mf = (frag & NST_IPV4_FLAG_MF) != 0;
    out->frag_off = (uint16_t)((frag & NST_IPV4_OFFMASK) * 8); /* RFC 791: 8-octet units */
    out->ttl = buf[8];
    out->proto = buf[9];
    /* Both addresses in one 8-byte store: the transports read them as a
     * pair (one load), and a load spanning two separate stores would wait
     * for both to retire (a store-forwarding stall on every datagram). */
    const nst_ip4_t addrs[2] = {nst_get32(buf + 12), nst_get32(buf + 16)};
    _Static_assert(offsetof(struct nst_ipv4_repr, dst) == offsetof(struct nst_ipv4_repr, src) + sizeof(nst_ip4_t),
                   "src and dst adjacent");
    memcpy((unsigned char *)out + offsetof(struct nst_ipv4_repr, src), addrs, sizeof(addrs));
    out->hdr_len = (uint8_t)hl;
    return (int)hl;
}

int nst_ipv4_emit(const struct nst_ipv4_repr *r, uint8_t *buf)
{
    uint16_t frag = (uint16_t)((r->frag_off / 8) & NST_IPV4_OFFMASK);
    if (r->df)
        frag |= NST_IPV4_FLAG_DF;
    if (r->mf)
        frag |= NST_IPV4_FLAG_MF;
    uint16_t w0 = (uint16_t)(0x4500 | r->tos); /* version 4, IHL 5: we send no options */
    uint16_t w4 = (uint16_t)(r->ttl << 8 | r->proto);
    nst_put16(buf, w0);
    nst_put16(buf + 2, r->total_len);
    nst_put16(buf + 4, r->id);
    nst_put16(buf + 6, frag);
    nst_put16(buf + 8, w4);
    nst_put32(buf + 12, r->src);
    nst_put32(buf + 16, r->dst);
    /* RFC 791 3.1 / RFC 1071: the header checksum, summed from the 16-bit
     * words just written rather than read back from buf (a wide load over
     * fresh narrow stores stalls the CPU until they reach the cache). */
    uint32_t sum = (uint32_t)w0 + r->total_len + r->id + frag + w4 + (r->src >> 16) + (r->src & 0xffffu) +
                   (r->dst >> 16) + (r->dst & 0xffffu);
    nst_put16(buf + 10, nst_csum_finish(sum));
    return NST_IPV4_HLEN;
}

const char *nst_ipv4_error_str(int err)
{
    switch (err < 0 ? -err : err) {
    case NST_IPV4_ERR_TRUNCATED: return "truncated";
    case NST_IPV4_ERR_VERSION: return "bad version";
    case NST_IPV4_ERR_IHL: return "header length < 20";
    case NST_IPV4_ERR_LENGTH: return "bad total length";
    case NST_IPV4_ERR_CHECKSUM: return "bad header checksum";
    case NST_IPV4_ERR_OPTIONS: return "malformed options";
    default: return "unknown error";
    }
}

int nst_ipv4_mark_ce(uint8_t *hdr, size_t len)
{
    if (len < NST_IPV4_HLEN || (hdr[0] >> 4) != 4)
        return -1;
    uint8_t ecn = hdr[1] & NST_ECN_MASK;
    /* RFC 3168 5: only an ECN-capable transport may be marked; a CE mark
     * is already there. */
    if (ecn == NST_ECN_NOT_ECT || ecn == NST_ECN_CE)
        return 0;
    uint16_t old_w = nst_get16(hdr);
    hdr[1] |= NST_ECN_CE;
    /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), the word holding TOS. */
    nst_put16(hdr + 10, nst_csum_update16(nst_get16(hdr + 10), old_w, nst_get16(hdr)));
    return 1;
}
